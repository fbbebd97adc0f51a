/* config.c: the schema of every config key, its defaults (the seed protocol), parsing of
 * scalar values with their ranges, each key's own range check, and formatting. The rules
 * across keys are validate.c's, the memory and cost estimates estimate.c's.
 *
 * This file is part of the engine library, so it stays free of YAML and HDF5: callers
 * hand it scalar text and it answers with values or with a message that names the key,
 * the value and what is allowed. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "valuelist.h"

/* Enum fields are read and written through int pointers; gcc gives these enums the size
 * of an int, and the build would silently corrupt neighbouring fields if that changed. */
_Static_assert(sizeof(sw_task_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sw_cell_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sw_optimizer_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sw_schedule_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sw_sequence_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(sw_compress_kind) == sizeof(int), "enum size");

static const char *const task_kinds[] = {"mean_sign", "first_sign", "adding", "copy", "file", "text", NULL};
static const char *const sequence_kinds[] = {"rows", "pixels", NULL};
static const char *const cell_kinds[] = {"rnn", "lstm", "gru", "transformer", NULL};
static const char *const optim_kinds[] = {"adam", "sgd", "rmsprop", "adamw", NULL};
static const char *const activation_kinds[] = {"tanh", "relu", NULL};
static const char *const init_kinds[] = {"xavier", "orthogonal", "identity", NULL};
static const char *const sched_kinds[] = {"constant", "step", "multistep", "exponential", "cosine", "table", NULL};
static const char *const compress_kinds[] = {"auto", "none", "deflate", NULL};

_Static_assert(SW_ARRAY_LEN(task_kinds) == SW_TASK_COUNT + 1, "task kinds");
_Static_assert(SW_ARRAY_LEN(cell_kinds) == SW_CELL_COUNT + 1, "cell kinds");
_Static_assert(SW_ARRAY_LEN(sequence_kinds) == SW_SEQUENCE_COUNT + 1, "sequence kinds");
_Static_assert(SW_ARRAY_LEN(optim_kinds) == SW_OPTIM_COUNT + 1, "optimizer kinds");
_Static_assert(SW_ARRAY_LEN(sched_kinds) == SW_SCHED_COUNT + 1, "schedule kinds");
_Static_assert(SW_ARRAY_LEN(compress_kinds) == SW_COMPRESS_COUNT + 1, "compress kinds");

#define OFF(field) offsetof(sw_config, field)
#define NOMAX HUGE_VAL

/* Rows leave the last column, per_epoch_of, out: only a FLOAT_LIST has one. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* A per-epoch table of key `of`: its values are checked against that key's range. */
#define TABLE(name, field, of)                                                                                    \
    {"train.schedule." name, SW_TYPE_FLOAT_LIST, OFF(train.schedule.field), 0, NULL, 0, 0, false, false, "[]",    \
     "the value of " of " in each epoch, one per epoch (as many as train.epochs; in " of "'s range), replacing " \
     of " epoch by epoch; [] (the default): " of " in every epoch. For replaying a pbt member (sweep replay)",    \
     of}

/* Columns: key, type, offset, count_offset, choices, min, max, min_excl, max_excl,
 * default (YAML text), meaning (and for a FLOAT_LIST the key it tabulates). The defaults are the seed protocol; sw_config_defaults
 * parses them from this column, so a new key is a field plus a row. */
const sw_key_info sw_schema[] = {
    {"task.kind", SW_TYPE_ENUM, OFF(task.kind), 0, task_kinds, 0, 0, false, false, "mean_sign",
     "mean_sign: label is the sign of the mean of all T*I inputs; first_sign: the sign of the "
     "mean of the first signal_steps steps only (later steps are noise); adding: the sum of the two "
     "marked values of T (value, marker) pairs (MSE, baseline 1/6); copy: recall 10 symbols after T "
     "blanks (T+20 steps, a prediction at every step); file: the data in task.path; text: predict the next "
     "character of the text in task.path at every step (bits per character)"},
    {"task.seq_len", SW_TYPE_INT, OFF(task.seq_len), 0, NULL, 0, SW_MAX_SEQ_LEN, false, false, "0",
     "sequence length T (copy: the delay; its sequences have T+20 steps); 0: the task's own (20; a "
     "file's T, which an explicit value must equal, H*W with task.sequence pixels; text: 50, the "
     "characters per window)"},
    {"task.input_size", SW_TYPE_INT, OFF(task.input_size), 0, NULL, 0, 4096, false, false, "0",
     "input features I per time step; 0: the task's own (10; adding 2, copy 10, a file's I, 1 with "
     "task.sequence pixels; text: the characters of its vocabulary; only mean_sign and first_sign accept "
     "another value)"},
    {"task.train_size", SW_TYPE_INT, OFF(task.train_size), 0, NULL, 0, INT_MAX, false, false, "0",
     "training sequences, generated from the run's seed (file: the first ones of the file; text: the first "
     "windows of its training part); 0: the task's own (5000; a file's all; every window of the text's "
     "training part)"},
    {"task.test_size", SW_TYPE_INT, OFF(task.test_size), 0, NULL, 0, INT_MAX, false, false, "0",
     "test sequences, evaluated after every epoch; 0: the task's own (1000; a file's all; every window of "
     "the text's test part)"},
    {"task.val_size", SW_TYPE_INT, OFF(task.val_size), 0, NULL, 0, INT_MAX, false, false, "0",
     "validation sequences, evaluated after every epoch and used to choose best_epoch (the test set is "
     "then only reported); generated from their own stream of the run's seed (file: the last ones of the "
     "file's training set, which training then leaves out; less than the file's training sequences; text: "
     "the first windows of its validation part, task.val_fraction); 0: none, best_epoch is chosen on the "
     "test set (text: every window of the validation part, none when task.val_fraction is 0)"},
    {"task.signal_steps", SW_TYPE_INT, OFF(task.signal_steps), 0, NULL, 1, SW_MAX_SEQ_LEN, false, false,
     "5", "first_sign: number k of leading steps that carry the label (k <= seq_len)"},
    {"task.path", SW_TYPE_STRING, OFF(task.path), 0, NULL, 0, SW_MAX_PATH - 1, false, false, "\"\"",
     "file: an HDF5 file (/train/x, /test/x float32 [N,T,I]; /train/y, /test/y int32 [N] classes, "
     "float32 [N] or [N,K] values, or int32 [N,T] a class per step) or a directory of MNIST-style IDX "
     "files (images as row sequences); text: a text file (UTF-8, else read as bytes); relative paths are "
     "from the config file's directory"},
    {"task.sequence", SW_TYPE_ENUM, OFF(task.sequence), 0, sequence_kinds, 0, 0, false, false, "rows",
     "file of images (IDX, or HDF5 with one target per sequence): rows reads an [H,W] image as H steps of "
     "W pixels; pixels as H*W steps of one pixel (sequential MNIST: T = 784, I = 1)"},
    {"task.permute", SW_TYPE_BOOL, OFF(task.permute), 0, NULL, 0, 1, false, false, "false",
     "file of images: feed every sequence's steps in one fixed random order (permuted MNIST with "
     "task.sequence pixels), drawn from task.permute_seed and recorded in /task/permutation"},
    {"task.permute_seed", SW_TYPE_INT64, OFF(task.permute_seed), 0, NULL, 0, NOMAX, false, false, "0",
     "task.permute: the seed of the permutation (not the run's seed: every run of a sweep sees the same "
     "one, as in the papers)"},
    {"task.val_fraction", SW_TYPE_FLOAT, OFF(task.val_fraction), 0, NULL, 0, 0.5, false, false, "0.05",
     "text: the part of the text before its test part that is the validation text (consecutive parts: "
     "training | validation | test); 0: no validation text"},
    {"task.test_fraction", SW_TYPE_FLOAT, OFF(task.test_fraction), 0, NULL, 0, 0.5, true, false, "0.05",
     "text: the last part of the text, the test text (every part is cut into windows of task.seq_len "
     "characters, each with the next character as the target of every step)"},

    {"model.cell", SW_TYPE_ENUM, OFF(model.cell), 0, cell_kinds, 0, 0, false, false, "rnn",
     "recurrent cell: rnn (tanh), lstm or gru; or transformer: causal self-attention encoder layers "
     "(PyTorch's TransformerEncoderLayer, post-norm, relu) on a linear embedding plus sinusoidal positions"},
    {"model.hidden", SW_TYPE_INT, OFF(model.hidden), 0, NULL, 1, SW_MAX_HIDDEN, false, false, "64",
     "hidden units H per layer"},
    {"model.layers", SW_TYPE_INT, OFF(model.layers), 0, NULL, 1, SW_MAX_LAYERS, false, false, "2",
     "stacked recurrent layers L"},
    {"model.dropout", SW_TYPE_FLOAT, OFF(model.dropout), 0, NULL, 0, 1, false, true, "0.2",
     "inverted dropout probability between layers and before the readout (training only)"},
    {"model.forget_bias", SW_TYPE_FLOAT, OFF(model.forget_bias), 0, NULL, -10, 10, false, false, "0.0",
     "initial b_ih of the lstm forget gate / gru update gate (rnn, transformer: ignored); e.g. 1 or 2 helps "
     "gated cells carry information over long sequences"},
    {"model.activation", SW_TYPE_ENUM, OFF(model.activation), 0, activation_kinds, 0, 0, false, false, "tanh",
     "rnn cell nonlinearity: tanh or relu (PyTorch's nonlinearity; lstm and gru have their own)"},
    {"model.init", SW_TYPE_ENUM, OFF(model.init), 0, init_kinds, 0, 0, false, false, "xavier",
     "recurrent weights' initialisation: xavier (uniform, whole tensors), orthogonal (each gate "
     "block of W_hh orthogonal, times init_scale), identity (each gate block of W_hh = init_scale * I, "
     "W_ih ~ N(0, 0.001^2): the IRNN of Le et al. 2015, with activation relu); transformer: ignored "
     "(PyTorch's own initialisation)"},
    {"model.init_scale", SW_TYPE_FLOAT, OFF(model.init_scale), 0, NULL, 0, 10, true, false, "1.0",
     "orthogonal: gain; identity: the diagonal value (xavier, transformer: ignored)"},
    {"model.heads", SW_TYPE_INT, OFF(model.heads), 0, NULL, 1, 64, false, false, "4",
     "transformer: attention heads per layer (must divide model.hidden); another value with a recurrent "
     "cell is an error"},
    {"model.ff", SW_TYPE_INT, OFF(model.ff), 0, NULL, 0, 16384, false, false, "0",
     "transformer: feed-forward width (dim_feedforward); 0: 4 * model.hidden; another value with a "
     "recurrent cell is an error"},

    {"train.epochs", SW_TYPE_INT, OFF(train.epochs), 0, NULL, 1, 1000000, false, false, "50",
     "epochs; the test set is evaluated after each"},
    {"train.batch", SW_TYPE_INT, OFF(train.batch), 0, NULL, 1, INT_MAX, false, false, "32",
     "mini-batch size (at most task.train_size)"},
    {"train.steps_per_epoch", SW_TYPE_INT, OFF(train.steps_per_epoch), 0, NULL, 0, INT_MAX, false, false,
     "10", "optimizer steps per epoch, each on a batch drawn without replacement; 0 means one "
     "full pass over the training set per epoch"},
    {"train.optimizer", SW_TYPE_ENUM, OFF(train.optimizer), 0, optim_kinds, 0, 0, false, false, "adam",
     "adam (bias-corrected), sgd (with optional momentum and nesterov), rmsprop or adamw (decoupled "
     "weight decay), each with PyTorch's semantics"},
    {"train.lr", SW_TYPE_FLOAT, OFF(train.lr), 0, NULL, 0, NOMAX, true, false, "0.001",
     "base learning rate (before the schedule)"},
    {"train.beta1", SW_TYPE_FLOAT, OFF(train.beta1), 0, NULL, 0, 1, false, true, "0.9",
     "adam: decay of the first-moment average"},
    {"train.beta2", SW_TYPE_FLOAT, OFF(train.beta2), 0, NULL, 0, 1, false, true, "0.999",
     "adam: decay of the second-moment average"},
    {"train.eps", SW_TYPE_FLOAT, OFF(train.eps), 0, NULL, 0, NOMAX, true, false, "1.0e-8",
     "adam, adamw, rmsprop: term added to the denominator"},
    {"train.momentum", SW_TYPE_FLOAT, OFF(train.momentum), 0, NULL, 0, 1, false, true, "0.0",
     "sgd, rmsprop: momentum factor (0 = none)"},
    {"train.nesterov", SW_TYPE_BOOL, OFF(train.nesterov), 0, NULL, 0, 1, false, false, "false",
     "sgd: Nesterov momentum (needs momentum > 0)"},
    {"train.alpha", SW_TYPE_FLOAT, OFF(train.alpha), 0, NULL, 0, 1, false, true, "0.99",
     "rmsprop: decay of the squared-gradient average"},
    {"train.centered", SW_TYPE_BOOL, OFF(train.centered), 0, NULL, 0, 1, false, false, "false",
     "rmsprop: normalise by the gradient's estimated variance instead of its second moment"},
    {"train.weight_decay", SW_TYPE_FLOAT, OFF(train.weight_decay), 0, NULL, 0, NOMAX, false, false, "0.0",
     "adamw: decoupled decay (weights shrink by lr * weight_decay per step); others: L2 penalty "
     "added to the gradient (PyTorch semantics); 0 = off"},
    {"train.clip", SW_TYPE_FLOAT, OFF(train.clip), 0, NULL, 0, NOMAX, false, false, "0.0",
     "maximum global gradient norm (clip by global norm); 0 = off"},
    {"train.schedule.kind", SW_TYPE_ENUM, OFF(train.schedule.kind), 0, sched_kinds, 0, 0, false, false,
     "step", "learning-rate schedule: constant, step, multistep, exponential, cosine, or table (the rate of "
     "every epoch in train.schedule.values)"},
    {"train.schedule.step", SW_TYPE_INT, OFF(train.schedule.step), 0, NULL, 1, INT_MAX, false, false, "20",
     "step: epochs between decays (lr *= gamma after every `step` epochs)"},
    {"train.schedule.gamma", SW_TYPE_FLOAT, OFF(train.schedule.gamma), 0, NULL, 0, 1, true, false, "0.5",
     "step, multistep, exponential: decay factor"},
    {"train.schedule.milestones", SW_TYPE_INT_LIST, OFF(train.schedule.milestones),
     OFF(train.schedule.n_milestones), NULL, 1, INT_MAX, false, false, "[]",
     "multistep: ascending epochs after which lr *= gamma"},
    {"train.schedule.min_lr", SW_TYPE_FLOAT, OFF(train.schedule.min_lr), 0, NULL, 0, NOMAX, false, false,
     "0.0", "cosine: learning rate reached at the last epoch (at most train.lr)"},
    {"train.schedule.warmup", SW_TYPE_INT, OFF(train.schedule.warmup), 0, NULL, 0, INT_MAX, false, false,
     "0", "epochs of linear warmup from lr/warmup to lr before the schedule starts (not with table)"},
    {"train.schedule.values", SW_TYPE_FLOAT_LIST, OFF(train.schedule.values), 0, NULL, 0, 0, false, false, "[]",
     "table: the learning rate of each epoch, one per epoch (as many as train.epochs, each > 0); train.lr and "
     "warmup do not apply. Only with kind table", "train.lr"},
    TABLE("clip_values", clip_values, "train.clip"),
    TABLE("weight_decay_values", weight_decay_values, "train.weight_decay"),
    TABLE("momentum_values", momentum_values, "train.momentum"),
    TABLE("beta1_values", beta1_values, "train.beta1"),
    TABLE("beta2_values", beta2_values, "train.beta2"),
    TABLE("eps_values", eps_values, "train.eps"),
    TABLE("alpha_values", alpha_values, "train.alpha"),
    TABLE("dropout_values", dropout_values, "model.dropout"),

    {"record.grad_every", SW_TYPE_INT, OFF(record.grad_every), 0, NULL, 1, INT_MAX, false, false, "1",
     "record per-timestep gradients on the probe set every N epochs (and at the last)"},
    {"record.probe_size", SW_TYPE_INT, OFF(record.probe_size), 0, NULL, 1, 4096, false, false, "64",
     "probe sequences P for hidden states and per-timestep gradients"},
    {"record.checkpoint_every", SW_TYPE_INT, OFF(record.checkpoint_every), 0, NULL, 0, INT_MAX, false, false, "1",
     "save what a run needs to resume after every N epochs (at most about once per second of its work); "
     "an interrupted or killed sweep resumes each run from its last checkpoint, bit-identically; 0: only "
     "when a run is stopped (Ctrl-C). Not recorded in run files or hashes: changing it changes no result"},
    {"record.compress", SW_TYPE_ENUM, OFF(record.compress), 0, compress_kinds, 0, 0, false, false, "auto",
     "how run files store their large arrays (1024 values or more): auto deflates those it shrinks by "
     "1.3x or more (estimated from 16 runs of 128 values spread over each; trained float tensors shrink "
     "less and are stored as they are, a network's parameters without estimating), none deflates nothing (the fastest to write and read), deflate deflates them all. "
     "Every array keeps its Fletcher-32 checksum and reads with any HDF5 reader. Not recorded in run "
     "files or hashes: it changes how a file is stored, not what it holds"},
    {"record.deflate_level", SW_TYPE_INT, OFF(record.deflate_level), 0, NULL, 1, 9, false, false, "4",
     "zlib's level (1 fastest, 9 smallest) for the arrays record.compress deflates. Not recorded in run "
     "files or hashes"},
    {"record.report", SW_TYPE_BOOL, OFF(record.report), 0, NULL, 0, 1, false, false, "false",
     "keep DIR/report.html current while the sweep runs, as `sweep CONFIG --report` does (for sweeps "
     "started by a batch system): rewritten when a run finishes or a barrier closes, and otherwise at "
     "most every record.report_every seconds. A setting of the whole sweep (set it in base: or with --set, "
     "never in grid); not recorded in run files or hashes"},
    {"record.report_every", SW_TYPE_FLOAT, OFF(record.report_every), 0, NULL, 0, 86400, true, false, "60",
     "with record.report (or --report): the longest time in seconds between two rewrites of the live "
     "report while something changes (--report-every overrides it). A setting of the whole sweep; not "
     "recorded in run files or hashes"},

    {"seed", SW_TYPE_INT64, OFF(seed), 0, NULL, 0, NOMAX, false, false, "0",
     "random seed: data, initialisation, batch order and dropout all derive from it"},
};
#pragma GCC diagnostic pop
const size_t sw_schema_len = SW_ARRAY_LEN(sw_schema);

const char *const sw_schema_sections[] = {"task", "model", "train", "train.schedule", "record", NULL};

/* The runtime keys (sw_key_is_runtime). */
static const char *const runtime_keys[] = {"record.checkpoint_every", "record.compress", "record.deflate_level",
                                           "record.report", "record.report_every"};
/* The runtime keys that are settings of the whole sweep (sw_key_is_sweep_setting). */
static const char *const sweep_settings[] = {"record.report", "record.report_every"};

bool sw_key_is_runtime(const sw_key_info *key)
{
    for (size_t i = 0; key && i < SW_ARRAY_LEN(runtime_keys); i++)
        if (!strcmp(key->key, runtime_keys[i])) return true;
    return false;
}

bool sw_key_is_sweep_setting(const sw_key_info *key)
{
    for (size_t i = 0; key && i < SW_ARRAY_LEN(sweep_settings); i++)
        if (!strcmp(key->key, sweep_settings[i])) return true;
    return false;
}

const sw_key_info *sw_schema_find(const char *key)
{
    if (!key) return NULL;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (strcmp(sw_schema[i].key, key) == 0) return &sw_schema[i];
    return NULL;
}

static const char *last_component(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

/* Nearest name in a NULL-terminated list, or NULL when nothing is close: a distance of
 * at most a third of the word's length (and at least 1, at most 3) counts as a typo. */
static const char *nearest_word(const char *word, const char *const *names)
{
    const char *best = NULL;
    int best_d = 1000;
    for (int i = 0; names[i]; i++) {
        int d = sw_edit_distance(word, names[i]);
        if (d < best_d) best_d = d, best = names[i];
    }
    int limit = (int)strlen(word) / 3;
    if (limit < 1) limit = 1;
    if (limit > 3) limit = 3;
    return best_d <= limit ? best : NULL;
}

const char *sw_schema_suggest(const char *key)
{
    if (!key || !*key) return NULL;
    const char *best = NULL;
    int best_d = 1000;
    const char *tail = last_component(key);
    for (size_t i = 0; i < sw_schema_len; i++) {
        const char *k = sw_schema[i].key;
        int d = sw_edit_distance(key, k);
        /* The right name in the wrong section ("model.seq_len") or a typo in the last part
         * of a key written without its section ("hiden") is still a near miss. */
        int dt = sw_edit_distance(tail, last_component(k)) + 1;
        if (dt < d) d = dt;
        if (d < best_d) best_d = d, best = k;
    }
    /* A misspelt section ("taks: {...}", "Model"). */
    for (int i = 0; sw_schema_sections[i]; i++) {
        const char *sec = sw_schema_sections[i];
        int d = sw_edit_distance(key, sec);
        int dt = sw_edit_distance(tail, last_component(sec)) + 1;
        if (dt < d) d = dt;
        if (d < best_d) best_d = d, best = sec;
    }
    int limit = (int)strlen(tail) / 3 + 1;
    if (limit < 2) limit = 2;
    if (limit > 4) limit = 4;
    return best_d <= limit ? best : NULL;
}

bool sw_key_has_suffix(const char *key, const char *suffix)
{
    size_t k = strlen(key), s = strlen(suffix);
    if (s > k) return false;
    if (strcmp(key + k - s, suffix)) return false;
    return s == k || key[k - s - 1] == '.';
}

const sw_key_info *sw_resolve_key(const char *name)
{
    const sw_key_info *k = sw_schema_find(name);
    if (k) return k;
    const sw_key_info *found = NULL;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (sw_key_has_suffix(sw_schema[i].key, name)) {
            if (found) return NULL;
            found = &sw_schema[i];
        }
    return found;
}

const sw_key_info *sw_resolve_key_explained(const char *name, char *err, size_t errlen)
{
    const sw_key_info *k = sw_resolve_key(name);
    if (k) return k;
    char candidates[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < sw_schema_len && used < sizeof candidates; i++)
        if (*name && sw_key_has_suffix(sw_schema[i].key, name))
            used += (size_t)snprintf(candidates + used, sizeof candidates - used, "%s%s", used ? ", " : "",
                                     sw_schema[i].key);
    if (used) {
        sw_set_error(err, errlen, "key '%s' is ambiguous: it could be %s; write the full name", name, candidates);
        return NULL;
    }
    const char *near = sw_schema_suggest(name);
    if (near)
        sw_set_error(err, errlen, "unknown key '%s' (did you mean '%s'?)", name, near);
    else
        sw_set_error(err, errlen, "unknown key '%s'; `sweep help keys` lists the keys", name);
    return NULL;
}

void sw_short_key(const char *canonical, char *out, size_t outlen)
{
    /* Try suffixes from the last component outward. */
    const char *p = canonical + strlen(canonical);
    for (;;) {
        while (p > canonical && p[-1] != '.') p--;
        int matches = 0;
        for (size_t i = 0; i < sw_schema_len; i++) matches += sw_key_has_suffix(sw_schema[i].key, p);
        if (matches == 1 || p == canonical) break;
        p--; /* step over the dot to take one more component */
    }
    snprintf(out, outlen, "%s", p);
}

/* The seed protocol is the schema's default column: a key's default is written once, as
 * the YAML text docs/config.md shows, and parsed here like a value from a file. */
void sw_config_defaults(sw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < sw_schema_len; i++) {
        int rc = sw_config_set(cfg, &sw_schema[i], sw_schema[i].default_text, false, NULL, 0);
        SW_ASSERT(rc == SW_OK); /* a default that is not a valid value of its own key */
    }
}

/* ---- scalar parsing ---------------------------------------------------------- */

/* "an integer from 1 to 1024", "a number in [0, 1)", "true or false", ... */
static void describe_allowed(const sw_key_info *k, char *out, size_t outlen)
{
    char lo[40], hi[40];
    switch (k->type) {
    case SW_TYPE_BOOL: snprintf(out, outlen, "true or false"); return;
    case SW_TYPE_STRING: snprintf(out, outlen, "a string of at most %.0f bytes", k->max); return;
    case SW_TYPE_ENUM: {
        size_t n = (size_t)snprintf(out, outlen, "one of ");
        for (int i = 0; k->choices[i] && n < outlen; i++)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? ", " : "", k->choices[i]);
        return;
    }
    case SW_TYPE_INT_LIST:
        snprintf(out, outlen, "a list of at most %d strictly ascending integers >= %.0f, e.g. [20, 40]",
                 SW_MAX_MILESTONES, k->min);
        return;
    case SW_TYPE_FLOAT_LIST: {
        char each[120] = "a number";
        if (sw_key_range_of(k) != k) describe_allowed(sw_key_range_of(k), each, sizeof each);
        snprintf(out, outlen, "a list of numbers, one per epoch, each %s, e.g. [0.01, 0.01, 0.005]", each);
        return;
    }
    case SW_TYPE_INT:
    case SW_TYPE_INT64:
        if (k->max >= (double)INT_MAX)
            snprintf(out, outlen, "an integer >= %.0f", k->min);
        else
            snprintf(out, outlen, "an integer from %.0f to %.0f", k->min, k->max);
        return;
    case SW_TYPE_FLOAT:
        sw_format_shortest(lo, sizeof lo, k->min, SW_CONFIG_PLAIN_BELOW);
        sw_format_shortest(hi, sizeof hi, k->max, SW_CONFIG_PLAIN_BELOW);
        if (isinf(k->max))
            snprintf(out, outlen, "a number %s %s", k->min_exclusive ? ">" : ">=", lo);
        else
            snprintf(out, outlen, "a number in %c%s, %s%c", k->min_exclusive ? '(' : '[', lo, hi,
                     k->max_exclusive ? ')' : ']');
        return;
    default: snprintf(out, outlen, "?"); return;
    }
}

/* Plain decimal integer: optional sign, digits. No hex, octal prefixes or underscores:
 * YAML 1.1 and 1.2 disagree on those. */
static bool is_int_text(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    if (!isdigit((unsigned char)*s)) return false;
    while (isdigit((unsigned char)*s)) s++;
    return *s == 0;
}

/* Decimal number: [sign] (digits [. digits*] | . digits) [(e|E) [sign] digits]. Rejects
 * inf/nan/hex, which strtod would otherwise accept. */
static bool is_float_text(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    int digits = 0;
    while (isdigit((unsigned char)*s)) s++, digits++;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) s++, digits++;
    }
    if (!digits) return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    return *s == 0;
}

static bool is_yaml_null(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

bool sw_key_in_range(const sw_key_info *k, double v)
{
    if (k->min_exclusive ? !(v > k->min) : !(v >= k->min)) return false;
    if (k->max_exclusive ? !(v < k->max) : !(v <= k->max)) return false;
    return true;
}

/* Describes what the user wrote for a wrong-type message: quoted text is a string. */
static void describe_given(const char *text, bool quoted, char *out, size_t outlen)
{
    if (quoted)
        snprintf(out, outlen, "the quoted string \"%s\"", text);
    else if (is_yaml_null(text))
        snprintf(out, outlen, "no value");
    else
        snprintf(out, outlen, "\"%s\"", text);
}

static int type_error(const sw_key_info *k, const char *what, const char *text, bool quoted, char *err,
                      size_t errlen)
{
    char allowed[200], given[160];
    describe_allowed(k, allowed, sizeof allowed);
    describe_given(text, quoted, given, sizeof given);
    bool numeric = is_float_text(text);
    sw_set_error(err, errlen, "%s: expected %s, got %s; allowed: %s%s", k->key, what, given, allowed,
        quoted && numeric ? " (remove the quotes)" : "");
    return SW_ECONFIG;
}

static int range_error(const sw_key_info *k, const char *text, char *err, size_t errlen)
{
    char allowed[200];
    describe_allowed(k, allowed, sizeof allowed);
    sw_set_error(err, errlen, "%s: %s is out of range; allowed: %s", k->key, text, allowed);
    return SW_ECONFIG;
}

/* Parses "[1, 2, 3]", "[]" or a single integer into values. */
static int parse_int_list_text(const sw_key_info *k, const char *text, long long *vals, int *n, char *err,
                               size_t errlen)
{
    const char *s = text;
    while (isspace((unsigned char)*s)) s++;
    *n = 0;
    if (*s != '[') {
        if (!is_int_text(s)) return type_error(k, "a list of integers", text, false, err, errlen);
        errno = 0;
        vals[0] = strtoll(s, NULL, 10);
        if (errno) return range_error(k, text, err, errlen);
        *n = 1;
        return SW_OK;
    }
    s++;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == ']' && *n == 0) { s++; break; }
        char item[32];
        size_t len = 0;
        while (*s && *s != ',' && *s != ']' && !isspace((unsigned char)*s) && len + 1 < sizeof item)
            item[len++] = *s++;
        item[len] = 0;
        while (isspace((unsigned char)*s)) s++;
        if (!is_int_text(item)) {
            sw_set_error(err, errlen, "%s: \"%s\" in %s is not an integer; allowed: a list of integers, e.g. [20, 40]",
                k->key, item, text);
            return SW_ECONFIG;
        }
        if (*n >= SW_MAX_MILESTONES) {
            sw_set_error(err, errlen, "%s: more than %d values in %s", k->key, SW_MAX_MILESTONES, text);
            return SW_ECONFIG;
        }
        errno = 0;
        vals[(*n)++] = strtoll(item, NULL, 10);
        if (errno) return range_error(k, item, err, errlen);
        if (*s == ',') { s++; continue; }
        if (*s == ']') { s++; break; }
        sw_set_error(err, errlen, "%s: malformed list %s; write it as [20, 40]", k->key, text);
        return SW_ECONFIG;
    }
    while (isspace((unsigned char)*s)) s++;
    if (*s) {
        sw_set_error(err, errlen, "%s: unexpected text after the list in %s", k->key, text);
        return SW_ECONFIG;
    }
    return SW_OK;
}

static int set_int(void *record, const sw_key_info *k, const char *text, bool quoted, char *err,
                   size_t errlen)
{
    if (quoted || !is_int_text(text)) {
        if (!quoted && is_float_text(text)) {
            char allowed[200];
            describe_allowed(k, allowed, sizeof allowed);
            sw_set_error(err, errlen, "%s: expected an integer, got %s; allowed: %s", k->key, text, allowed);
            return SW_ECONFIG;
        }
        return type_error(k, "an integer", text, quoted, err, errlen);
    }
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == ERANGE || v < (long long)k->min || (double)v > k->max) return range_error(k, text, err, errlen);
    char *field = (char *)record + k->offset;
    if (k->type == SW_TYPE_INT)
        *(int *)field = (int)v;
    else
        *(int64_t *)field = (int64_t)v;
    return SW_OK;
}

static int set_float(void *record, const sw_key_info *k, const char *text, bool quoted, char *err,
                     size_t errlen)
{
    if (!quoted && (!strcmp(text, ".inf") || !strcmp(text, "-.inf") || !strcmp(text, ".nan") ||
                    !strcmp(text, ".Inf") || !strcmp(text, ".NaN") || !strcmp(text, "+.inf"))) {
        char allowed[200];
        describe_allowed(k, allowed, sizeof allowed);
        sw_set_error(err, errlen, "%s: %s is not a finite number; allowed: %s", k->key, text, allowed);
        return SW_ECONFIG;
    }
    if (quoted || !is_float_text(text)) return type_error(k, "a number", text, quoted, err, errlen);
    errno = 0;
    double v = strtod(text, NULL);
    if (!isfinite(v) || errno == ERANGE) {
        /* Underflow to 0 or overflow: the written value cannot be represented. */
        if (!isfinite(v) || v != 0 || strspn(text, "+-0.eE") != strlen(text)) {
            sw_set_error(err, errlen, "%s: %s cannot be represented as a double", k->key, text);
            return SW_ECONFIG;
        }
    }
    if (!sw_key_in_range(k, v)) return range_error(k, text, err, errlen);
    *(double *)((char *)record + k->offset) = v;
    return SW_OK;
}

static int set_bool(void *record, const sw_key_info *k, const char *text, bool quoted, char *err,
                    size_t errlen)
{
    bool *field = (bool *)((char *)record + k->offset);
    if (!quoted && !strcmp(text, "true")) { *field = true; return SW_OK; }
    if (!quoted && !strcmp(text, "false")) { *field = false; return SW_OK; }
    static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off",
                                         "YES", "NO", "ON", "OFF", "True", "False", "TRUE", "FALSE", NULL};
    for (int i = 0; yaml11[i]; i++)
        if (!quoted && !strcmp(text, yaml11[i])) {
            sw_set_error(err, errlen, "%s: \"%s\" is not accepted as a boolean (YAML 1.1 and 1.2 tools read "
                "it differently); write true or false", k->key, text);
            return SW_ECONFIG;
        }
    return type_error(k, "a boolean", text, quoted, err, errlen);
}

static int set_enum(void *record, const sw_key_info *k, const char *text, char *err, size_t errlen)
{
    for (int i = 0; k->choices[i]; i++)
        if (!strcmp(text, k->choices[i])) {
            *(int *)((char *)record + k->offset) = i;
            return SW_OK;
        }
    char allowed[200];
    describe_allowed(k, allowed, sizeof allowed);
    const char *near = nearest_word(text, k->choices);
    /* Quoted or not, a choice is text: name it as written. */
    if (near)
        sw_set_error(err, errlen, "%s: unknown value \"%s\"; allowed: %s (did you mean \"%s\"?)", k->key, text, allowed,
                     near);
    else
        sw_set_error(err, errlen, "%s: unknown value \"%s\"; allowed: %s", k->key, text, allowed);
    return SW_ECONFIG;
}

/* Parses "[0.1, 0.05]", "[]" or a single number into a FLOAT_LIST key of record. */
static int set_float_list_text(void *record, const sw_key_info *k, const char *text, char *err, size_t errlen)
{
    const char *s = text;
    while (isspace((unsigned char)*s)) s++;
    bool bracketed = *s == '[';
    if (bracketed) s++;
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    double *vals = malloc(cap * sizeof *vals);
    if (!vals) return SW_ENOMEM;
    int n = 0, rc = SW_OK;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if ((bracketed && *s == ']' && n == 0) || (!bracketed && !*s && n == 0)) break;
        char item[64];
        size_t len = 0;
        while (*s && *s != ',' && *s != ']' && !isspace((unsigned char)*s) && len + 1 < sizeof item) item[len++] = *s++;
        item[len] = 0;
        while (isspace((unsigned char)*s)) s++;
        if (!is_float_text(item) || (size_t)n >= cap) {
            sw_set_error(err, errlen, "%s: \"%s\" is not a number; allowed: a list of numbers, one per epoch, "
                         "e.g. [0.01, 0.01, 0.005]", k->key, item);
            rc = SW_ECONFIG;
            break;
        }
        vals[n++] = strtod(item, NULL);
        if (*s == ',') { s++; continue; }
        if (bracketed && *s == ']') s++;
        while (isspace((unsigned char)*s)) s++;
        if (*s) {
            sw_set_error(err, errlen, "%s: malformed list %s; write it as [0.01, 0.005]", k->key, text);
            rc = SW_ECONFIG;
        }
        break;
    }
    if (!rc) rc = sw_config_set_floats(record, k, vals, n, err, errlen);
    free(vals);
    return rc;
}

int sw_config_set(sw_config *cfg, const sw_key_info *k, const char *text, bool quoted, char *err,
                  size_t errlen)
{
    return sw_key_set(cfg, k, text, quoted, err, errlen);
}

int sw_key_set(void *record, const sw_key_info *k, const char *text, bool quoted, char *err, size_t errlen)
{
    SW_ASSERT(record && k && text);
    switch (k->type) {
    case SW_TYPE_INT:
    case SW_TYPE_INT64: return set_int(record, k, text, quoted, err, errlen);
    case SW_TYPE_FLOAT: return set_float(record, k, text, quoted, err, errlen);
    case SW_TYPE_BOOL: return set_bool(record, k, text, quoted, err, errlen);
    case SW_TYPE_ENUM: return set_enum(record, k, text, err, errlen);
    case SW_TYPE_STRING: {
        if (strlen(text) > (size_t)k->max) return range_error(k, "the text given", err, errlen);
        if (!quoted && (!strcmp(text, "true") || !strcmp(text, "false")))
            return type_error(k, "a string", text, quoted, err, errlen);
        /* The schema writes an empty default as YAML does, "" (it reaches here unquoted). */
        snprintf((char *)record + k->offset, (size_t)k->max + 1, "%s", !quoted && !strcmp(text, "\"\"") ? "" : text);
        return SW_OK;
    }
    case SW_TYPE_INT_LIST: {
        if (quoted) return type_error(k, "a list of integers", text, quoted, err, errlen);
        long long vals[SW_MAX_MILESTONES];
        int n = 0;
        int rc = parse_int_list_text(k, text, vals, &n, err, errlen);
        if (rc) return rc;
        return sw_config_set_list(record, k, vals, n, err, errlen);
    }
    case SW_TYPE_FLOAT_LIST: {
        if (quoted) return type_error(k, "a list of numbers", text, quoted, err, errlen);
        return set_float_list_text(record, k, text, err, errlen);
    }
    default: SW_ASSERT(!"unknown key type");
    }
    return SW_EINVAL;
}

int sw_config_set_list(sw_config *cfg, const sw_key_info *k, const long long *values, int n, char *err,
                       size_t errlen)
{
    SW_ASSERT(cfg && k && k->type == SW_TYPE_INT_LIST && n >= 0);
    if (n > SW_MAX_MILESTONES) {
        sw_set_error(err, errlen, "%s: %d values given; allowed: at most %d", k->key, n, SW_MAX_MILESTONES);
        return SW_ECONFIG;
    }
    for (int i = 0; i < n; i++) {
        if ((double)values[i] < k->min || (double)values[i] > k->max) {
            char text[32];
            snprintf(text, sizeof text, "%lld", values[i]);
            return range_error(k, text, err, errlen);
        }
        if (i > 0 && values[i] <= values[i - 1]) {
            sw_set_error(err, errlen, "%s: %lld follows %lld; allowed: strictly ascending epochs, e.g. [20, 40]", k->key,
                values[i], values[i - 1]);
            return SW_ECONFIG;
        }
    }
    int *dst = (int *)((char *)cfg + k->offset);
    for (int i = 0; i < n; i++) dst[i] = (int)values[i];
    for (int i = n; i < SW_MAX_MILESTONES; i++) dst[i] = 0;
    *(int *)((char *)cfg + k->count_offset) = n;
    return SW_OK;
}

const sw_key_info *sw_key_range_of(const sw_key_info *k)
{
    const sw_key_info *of = k && k->type == SW_TYPE_FLOAT_LIST ? sw_schema_find(k->per_epoch_of) : NULL;
    return of ? of : k;
}

int sw_config_set_floats(sw_config *cfg, const sw_key_info *k, const double *values, int n, char *err,
                         size_t errlen)
{
    SW_ASSERT(cfg && k && k->type == SW_TYPE_FLOAT_LIST && n >= 0);
    const sw_key_info *of = sw_key_range_of(k);
    if (n > SW_MAX_TABLE) {
        sw_set_error(err, errlen, "%s: %d values; allowed: at most %d (one per epoch)", k->key, n, SW_MAX_TABLE);
        return SW_ECONFIG;
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(values[i]) || !sw_key_in_range(of, values[i])) {
            char text[40], allowed[200];
            sw_format_shortest(text, sizeof text, values[i], SW_CONFIG_PLAIN_BELOW);
            describe_allowed(of, allowed, sizeof allowed);
            sw_set_error(err, errlen, "%s: value %d (epoch %d), %s, is out of %s's range; allowed: %s", k->key, i + 1,
                         i + 1, text, of->key, allowed);
            return SW_ECONFIG;
        }
    int id;
    if (sw_values_intern(values, n, &id)) {
        sw_set_error(err, errlen, "%s: out of memory", k->key);
        return SW_ENOMEM;
    }
    *(int *)((char *)cfg + k->offset) = id;
    return SW_OK;
}

const double *sw_config_get_floats(const sw_config *cfg, const sw_key_info *k, int *n)
{
    *n = 0;
    if (k->type != SW_TYPE_FLOAT_LIST) return NULL;
    return sw_values_get(*(const int *)((const char *)cfg + k->offset), n);
}

bool sw_config_has_tables(const sw_config *cfg)
{
    int n;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (sw_config_get_floats(cfg, &sw_schema[i], &n) && n > 0) return true;
    return false;
}

const sw_config *sw_config_at_epoch(const sw_config *cfg, int epoch, sw_config *scratch)
{
    if (!sw_config_has_tables(cfg)) return cfg;
    *scratch = *cfg;
    for (size_t i = 0; i < sw_schema_len; i++) {
        int n;
        const double *v = sw_config_get_floats(cfg, &sw_schema[i], &n);
        if (!v || epoch < 1 || epoch > n) continue; /* validate.c makes n train.epochs */
        const sw_key_info *of = sw_key_range_of(&sw_schema[i]);
        SW_ASSERT(of->type == SW_TYPE_FLOAT);
        *(double *)((char *)scratch + of->offset) = v[epoch - 1];
    }
    return scratch;
}

int sw_config_check_keys(const sw_config *cfg, char *err, size_t errlen, const char **bad_key)
{
    const char *dummy;
    if (!bad_key) bad_key = &dummy;
    *bad_key = NULL;
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        char text[64];
        bool ok = true;
        switch (k->type) {
        case SW_TYPE_INT:
        case SW_TYPE_INT64: ok = sw_key_in_range(k, (double)sw_config_get_int(cfg, k)); break;
        case SW_TYPE_FLOAT: ok = isfinite(sw_config_get_float(cfg, k)) && sw_key_in_range(k, sw_config_get_float(cfg, k)); break;
        case SW_TYPE_ENUM: ok = sw_config_get_enum(cfg, k) != NULL; break;
        case SW_TYPE_BOOL: break;
        case SW_TYPE_STRING: ok = memchr((const char *)cfg + k->offset, 0, (size_t)k->max + 1) != NULL; break;
        case SW_TYPE_INT_LIST: {
            int n = *(const int *)((const char *)cfg + k->count_offset);
            const int *v = (const int *)((const char *)cfg + k->offset);
            ok = n >= 0 && n <= SW_MAX_MILESTONES;
            for (int j = 0; ok && j < n; j++) ok = v[j] >= k->min && (j == 0 || v[j] > v[j - 1]);
            break;
        }
        case SW_TYPE_FLOAT_LIST: {
            int n;
            const double *v = sw_config_get_floats(cfg, k, &n);
            for (int j = 0; ok && j < n; j++) ok = isfinite(v[j]) && sw_key_in_range(sw_key_range_of(k), v[j]);
            break;
        }
        default: ok = false;
        }
        if (!ok) {
            *bad_key = k->key;
            sw_config_format(cfg, k, text, sizeof text);
            return range_error(k, text, err, errlen);
        }
    }
    return SW_OK;
}

/* ---- formatting ------------------------------------------------------------------ */

/* A float written so that both YAML 1.1 (PyYAML) and 1.2 readers see a float that
 * round-trips: a '.' in the mantissa and a signed exponent ("0.001", "1.0", "1.0e-8"). */
static void format_float(double v, char *out, size_t outlen)
{
    char buf[64];
    sw_format_shortest(buf, sizeof buf, v, SW_CONFIG_PLAIN_BELOW);
    char *e = strchr(buf, 'e');
    if (!e) {
        if (!strchr(buf, '.') && isfinite(v))
            snprintf(out, outlen, "%s.0", buf);
        else
            snprintf(out, outlen, "%s", buf);
        return;
    }
    *e = 0;
    const char *exp = e + 1;
    char sign = '+';
    if (*exp == '+' || *exp == '-') sign = *exp++;
    while (*exp == '0' && exp[1]) exp++;
    snprintf(out, outlen, "%s%se%c%s", buf, strchr(buf, '.') ? "" : ".0", sign, exp);
}

/* A YAML double-quoted scalar: quotes, backslashes and control characters escaped. */
static void format_string(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 6 < outlen; p++) {
        if (*p == '"' || *p == '\\') out[n++] = '\\', out[n++] = (char)*p;
        else if (*p < 0x20) n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", *p);
        else out[n++] = (char)*p;
    }
    if (n + 1 < outlen) out[n++] = '"';
    out[n] = 0;
}

const char *sw_config_get_string(const sw_config *cfg, const sw_key_info *key)
{
    return key->type == SW_TYPE_STRING ? (const char *)cfg + key->offset : NULL;
}

/* "[0.01, 0.005]" into out, as much as fits; returns the length the whole list needs (as
 * snprintf does). Every value is written so that it reads back as the same double. */
static size_t format_float_list(const double *v, int n, char *out, size_t outlen)
{
    size_t used = (size_t)snprintf(out, outlen, "[");
    for (int i = 0; i < n; i++) {
        char one[48];
        format_float(v[i], one, sizeof one);
        used += (size_t)snprintf(used < outlen ? out + used : NULL, used < outlen ? outlen - used : 0, "%s%s",
                                 i ? ", " : "", one);
    }
    used += (size_t)snprintf(used < outlen ? out + used : NULL, used < outlen ? outlen - used : 0, "]");
    return used;
}

void sw_config_format(const sw_config *cfg, const sw_key_info *k, char *out, size_t outlen)
{
    sw_key_format(cfg, k, out, outlen);
}

void sw_key_format(const void *record, const sw_key_info *k, char *out, size_t outlen)
{
    if (!outlen) return;
    const char *field = (const char *)record + k->offset;
    switch (k->type) {
    case SW_TYPE_INT: snprintf(out, outlen, "%d", *(const int *)field); break;
    case SW_TYPE_INT64: snprintf(out, outlen, "%lld", (long long)*(const int64_t *)field); break;
    case SW_TYPE_FLOAT: format_float(*(const double *)field, out, outlen); break;
    case SW_TYPE_BOOL: snprintf(out, outlen, "%s", *(const bool *)field ? "true" : "false"); break;
    case SW_TYPE_STRING: format_string(field, out, outlen); break;
    case SW_TYPE_ENUM: {
        const char *name = sw_config_get_enum(record, k);
        snprintf(out, outlen, "%s", name ? name : "?");
        break;
    }
    case SW_TYPE_INT_LIST: {
        int n = *(const int *)((const char *)record + k->count_offset);
        const int *v = (const int *)field;
        size_t used = (size_t)snprintf(out, outlen, "[");
        for (int i = 0; i < n && used < outlen; i++)
            used += (size_t)snprintf(out + used, outlen - used, "%s%d", i ? ", " : "", v[i]);
        if (used < outlen) snprintf(out + used, outlen - used, "]");
        break;
    }
    case SW_TYPE_FLOAT_LIST: {
        int n;
        const double *v = sw_values_get(*(const int *)field, &n);
        if (format_float_list(v, n, out, outlen) >= outlen && outlen > 5) snprintf(out + outlen - 5, 5, "...]");
        break;
    }
    default: snprintf(out, outlen, "?");
    }
}

void sw_key_print_row(FILE *f, const sw_key_info *k)
{
    static const char *const types[SW_TYPE_COUNT] = {"int", "int", "float", "bool", "enum", "int list", "string",
                                                       "float list"};
    char allowed[160];
    switch (k->type) {
    case SW_TYPE_ENUM: {
        size_t n = 0;
        allowed[0] = 0;
        for (int c = 0; k->choices[c] && n < sizeof allowed; c++)
            n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s%s", c ? "|" : "", k->choices[c]);
        break;
    }
    case SW_TYPE_BOOL: snprintf(allowed, sizeof allowed, "true|false"); break;
    case SW_TYPE_INT_LIST: snprintf(allowed, sizeof allowed, "ascending, >= %.0f", k->min); break;
    case SW_TYPE_FLOAT_LIST: snprintf(allowed, sizeof allowed, "%s's, per epoch", k->per_epoch_of); break;
    case SW_TYPE_STRING: snprintf(allowed, sizeof allowed, "text, <= %.0f bytes", k->max); break;
    case SW_TYPE_FLOAT:
        if (isinf(k->max))
            snprintf(allowed, sizeof allowed, "%s %g", k->min_exclusive ? ">" : ">=", k->min);
        else
            snprintf(allowed, sizeof allowed, "%c%g, %g%c", k->min_exclusive ? '(' : '[', k->min, k->max,
                     k->max_exclusive ? ')' : ']');
        break;
    default:
        if (k->max >= (double)INT_MAX)
            snprintf(allowed, sizeof allowed, ">= %.0f", k->min);
        else
            snprintf(allowed, sizeof allowed, "%.0f..%.0f", k->min, k->max);
    }
    fprintf(f, "%-27s %-9s %-10s %-22s %s\n", k->key, types[k->type], k->default_text ? k->default_text : "none",
            allowed, k->doc);
}

/* Appends n bytes of line to the growing text (*text, *len, *cap); false when out of memory
 * (the text is then freed). */
static bool append_text(char **text, size_t *len, size_t *cap, const char *line, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap) *cap *= 2;
        char *bigger = realloc(*text, *cap);
        if (!bigger) {
            free(*text);
            *text = NULL;
            return false;
        }
        *text = bigger;
    }
    memcpy(*text + *len, line, n + 1);
    *len += n;
    return true;
}

/* "  key: value\n" of key k at `depth` into a new string (lists whole); NULL when out of memory. */
static char *yaml_leaf(const sw_config *cfg, const sw_key_info *k, const char *part, int depth)
{
    size_t cap = 256;
    int n;
    const double *v = sw_config_get_floats(cfg, k, &n);
    if (v) cap = format_float_list(v, n, NULL, 0) + 1;
    char *value = malloc(cap), *line = NULL;
    if (value) {
        sw_config_format(cfg, k, value, cap);
        size_t need = (size_t)snprintf(NULL, 0, "%*s%s: %s\n", 2 * depth, "", part, value) + 1;
        if ((line = malloc(need))) snprintf(line, need, "%*s%s: %s\n", 2 * depth, "", part, value);
    }
    free(value);
    return line;
}

char *sw_config_to_yaml(const sw_config *cfg)
{
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    if (!text) return NULL;
    text[0] = 0;
    const char *prev = "";
    for (size_t i = 0; i < sw_schema_len; i++) {
        if (sw_key_is_runtime(&sw_schema[i])) continue; /* not part of what the run is */
        const char *key = sw_schema[i].key;
        /* Open the sections this key needs that the previous key did not share. */
        size_t common = 0; /* length of the shared section prefix, ending at a '.' */
        for (size_t j = 0; key[j] && key[j] == prev[j]; j++)
            if (key[j] == '.') common = j + 1;
        int depth = 0;
        for (size_t j = 0; j < common; j++) depth += key[j] == '.';
        const char *part = key + common;
        for (;;) {
            const char *dot = strchr(part, '.');
            if (dot) {
                char line[512];
                size_t n = (size_t)snprintf(line, sizeof line, "%*s%.*s:\n", 2 * depth, "", (int)(dot - part), part);
                if (!append_text(&text, &len, &cap, line, n)) return NULL;
                part = dot + 1;
                depth++;
                continue;
            }
            char *line = yaml_leaf(cfg, &sw_schema[i], part, depth);
            bool ok = line && append_text(&text, &len, &cap, line, strlen(line));
            free(line);
            if (!ok) {
                free(text);
                return NULL;
            }
            break;
        }
        prev = key;
    }
    return text;
}

long long sw_config_get_int(const sw_config *cfg, const sw_key_info *k)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case SW_TYPE_INT:
    case SW_TYPE_ENUM: return *(const int *)field;
    case SW_TYPE_INT64: return (long long)*(const int64_t *)field;
    case SW_TYPE_BOOL: return *(const bool *)field;
    case SW_TYPE_FLOAT: return (long long)*(const double *)field;
    case SW_TYPE_INT_LIST: return *(const int *)((const char *)cfg + k->count_offset);
    case SW_TYPE_FLOAT_LIST: {
        int n;
        sw_config_get_floats(cfg, k, &n);
        return n;
    }
    default: return 0;
    }
}

double sw_config_get_float(const sw_config *cfg, const sw_key_info *k)
{
    if (k->type == SW_TYPE_FLOAT) return *(const double *)((const char *)cfg + k->offset);
    return (double)sw_config_get_int(cfg, k);
}

const char *sw_config_get_enum(const sw_config *cfg, const sw_key_info *k)
{
    if (k->type != SW_TYPE_ENUM) return NULL;
    int v = *(const int *)((const char *)cfg + k->offset);
    for (int i = 0; k->choices[i]; i++)
        if (i == v) return k->choices[i];
    return NULL;
}

int sw_cell_gates(sw_cell_kind cell)
{
    switch (cell) {
    case SW_CELL_RNN: return 1;
    case SW_CELL_LSTM: return 4;
    case SW_CELL_GRU: return 3;
    case SW_CELL_TRANSFORMER: return 0;
    default: SW_ASSERT(!"unknown cell");
    }
    return 1;
}

int sw_model_ff_width(const sw_model_config *m)
{
    return m->ff > 0 ? m->ff : 4 * m->hidden;
}

const char *sw_cell_name(sw_cell_kind cell)
{
    return cell >= 0 && cell < SW_CELL_COUNT ? cell_kinds[cell] : "?";
}
