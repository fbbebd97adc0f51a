/* task.c: the synthetic tasks' generators and every task's layout (see task.h). */
#include "task.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

/* The copy task's fixed parts (Arjovsky et al. 2016, memory_problem.py). */
enum { COPY_SYMBOLS = 10, COPY_ALPHABET = 8, COPY_DELIMITER = 9, COPY_CATEGORIES = 10 };

/* One row per task kind: what it is called and what it brings when the config leaves
 * a size at 0 ("the task's own"). 0 in `input` means the config's value is free (the
 * Gaussian tasks take any number of features); a file task's sizes come from its file. */
static const struct {
    const char *name;
    int seq_len, input, train_size, test_size;
    sw_target_kind target;
    int outputs;
} task_table[SW_TASK_COUNT] = {
    [SW_TASK_MEAN_SIGN] = {"mean_sign", 20, 10, 5000, 1000, SW_TARGET_CLASS_LAST, 2},
    [SW_TASK_FIRST_SIGN] = {"first_sign", 20, 10, 5000, 1000, SW_TARGET_CLASS_LAST, 2},
    [SW_TASK_ADDING] = {"adding", 20, 2, 5000, 1000, SW_TARGET_VALUE_LAST, 1},
    [SW_TASK_COPY] = {"copy", 20, COPY_CATEGORIES, 5000, 1000, SW_TARGET_CLASS_STEPS, COPY_ALPHABET + 1},
    [SW_TASK_FILE] = {"file", 0, 0, 0, 0, SW_TARGET_CLASS_LAST, 0},
    [SW_TASK_TEXT] = {"text", 50, 0, 0, 0, SW_TARGET_CLASS_STEPS, 0},
};

bool sw_task_reads_file(sw_task_kind kind)
{
    return kind == SW_TASK_FILE || kind == SW_TASK_TEXT;
}

const char *sw_task_name(sw_task_kind kind)
{
    return (unsigned)kind < SW_TASK_COUNT ? task_table[kind].name : "unknown";
}

sw_task_layout sw_task_layout_of(const sw_task_config *given)
{
    SW_ASSERT((unsigned)given->kind < SW_TASK_COUNT);
    /* Sizes left at 0 are the task's own (a file task's are resolved when it is read). */
    sw_task_config resolved = *given;
    if (!sw_task_reads_file(resolved.kind)) sw_task_resolve(&resolved, NULL, NULL, 0, NULL);
    const sw_task_config *task = &resolved;
    sw_task_layout l = {task_table[task->kind].target, task->input_size, task->seq_len,
                        task_table[task->kind].outputs, 0};
    if (task->kind == SW_TASK_COPY) {
        l.steps = task->seq_len + 2 * COPY_SYMBOLS;
        l.scored_from = task->seq_len + COPY_SYMBOLS;
    } else if (task->kind == SW_TASK_FILE) {
        l.target = task->file_target;
        l.outputs = task->file_outputs;
    } else if (task->kind == SW_TASK_TEXT) {
        l.outputs = task->input_size; /* the next character, out of the vocabulary */
    }
    return l;
}

sw_task_metric sw_task_metric_of(const sw_task_config *task)
{
    bool val = task->val_size > 0;
    /* a text is measured in bits per character, the loss / ln 2 */
    if (sw_task_layout_of(task).target == SW_TARGET_VALUE_LAST || task->kind == SW_TASK_TEXT)
        return (sw_task_metric){val ? "val_loss" : "test_loss", SW_METRIC_MIN};
    return (sw_task_metric){val ? "val_acc" : "test_acc", SW_METRIC_MAX};
}

const char *sw_metric_mode_name(sw_metric_mode mode)
{
    static const char *names[SW_METRIC_MODE_COUNT] = {"max", "min"};
    return (unsigned)mode < SW_METRIC_MODE_COUNT ? names[mode] : "unknown";
}

double sw_task_baseline_loss(const sw_task_config *task)
{
    switch (task->kind) {
    case SW_TASK_ADDING: return 1.0 / 6.0;
    case SW_TASK_COPY: return COPY_SYMBOLS * log((double)COPY_ALPHABET) / (task->seq_len + 2.0 * COPY_SYMBOLS);
    case SW_TASK_TEXT: return task->text_unigram > 0 ? task->text_unigram : NAN;
    default: return NAN;
    }
}

/* Resolves one size: 0 takes `own`; an explicit value must equal `own` when `fixed`
 * (the task decides it) and may be at most `own` when `at_most` (a prefix of a file). */
static int resolve_size(int *value, int own, bool fixed, bool at_most, const char *key, const char *what,
                        char *err, size_t errlen, const char **bad_key)
{
    if (*value == 0) {
        *value = own;
        return SW_OK;
    }
    if ((fixed && *value != own) || (at_most && *value > own)) {
        *bad_key = key;
        sw_set_error(err, errlen, "%s: %d %s %d %s; allowed: %s%d, or leave it out", key, *value,
                     fixed ? "differs from the task's" : "is more than the", own, what, at_most ? "at most " : "", own);
        return SW_ECONFIG;
    }
    return SW_OK;
}

/* The keys that apply to some tasks only keep their defaults on the others (a value there
 * would silently do nothing): task.sequence, permute and permute_seed belong to images,
 * val_fraction and test_fraction to a text, task.path to the tasks that read it. */
static sw_config key_defaults; /* the schema's defaults, parsed once (resolving is frequent) */
static pthread_once_t key_defaults_once = PTHREAD_ONCE_INIT;

static void parse_key_defaults(void)
{
    sw_config_defaults(&key_defaults);
}

static int check_task_keys(const sw_task_config *t, const sw_data_shape *file, char *err, size_t errlen,
                           const char **bad_key)
{
    pthread_once(&key_defaults_once, parse_key_defaults);
    const sw_task_config *d = &key_defaults.task;
    bool images = t->kind == SW_TASK_FILE && (!file || file->images);
    if (!sw_task_reads_file(t->kind) && t->path[0]) {
        *bad_key = "task.path";
        sw_set_error(err, errlen, "task.path: only task.kind file and text read a file (task.kind is %s); remove "
                     "task.path or set task.kind: file or text", sw_task_name(t->kind));
        return SW_ECONFIG;
    }
    const char *key = t->sequence != d->sequence ? "task.sequence" : t->permute != d->permute ? "task.permute"
                      : t->permute_seed != d->permute_seed ? "task.permute_seed" : NULL;
    if (key && !images) {
        *bad_key = key;
        if (t->kind == SW_TASK_FILE)
            sw_set_error(err, errlen, "%s: %s: its sequences are not images (its targets are one per step, which "
                         "reordering the steps would not move with them); %s applies to images only", key, t->path,
                         key);
        else if (t->kind == SW_TASK_TEXT)
            sw_set_error(err, errlen, "%s: %s is a text, not images; %s applies to images (task.kind file: an IDX "
                         "directory or an HDF5 file of images)", key, t->path, key);
        else
            sw_set_error(err, errlen, "%s: task.kind %s has no images; %s applies to images (task.kind file)", key,
                         sw_task_name(t->kind), key);
        return SW_ECONFIG;
    }
    if (t->permute_seed != d->permute_seed && !t->permute) {
        *bad_key = "task.permute_seed";
        sw_set_error(err, errlen, "task.permute_seed: applies with task.permute: true only; remove it or add "
                     "task.permute: true");
        return SW_ECONFIG;
    }
    key = t->val_fraction != d->val_fraction ? "task.val_fraction"
          : t->test_fraction != d->test_fraction ? "task.test_fraction" : NULL;
    if (key && t->kind != SW_TASK_TEXT) {
        *bad_key = key;
        sw_set_error(err, errlen, "%s: applies to task.kind text only (task.kind is %s); remove it", key,
                     sw_task_name(t->kind));
        return SW_ECONFIG;
    }
    return SW_OK;
}

void sw_text_parts(const sw_task_config *task, long long chars, long long parts[3])
{
    parts[2] = (long long)floor((double)chars * task->test_fraction);
    parts[1] = (long long)floor((double)chars * task->val_fraction);
    parts[0] = chars - parts[1] - parts[2];
}

long long sw_text_windows(long long chars, int T)
{
    return T >= 1 && chars > T ? (chars - 1) / T : 0;
}

/* A text task's sizes: T (default 50), I = its vocabulary, and the windows of each part. */
static int resolve_text(sw_task_config *t, const sw_data_shape *text, char *err, size_t errlen, const char **bad_key)
{
    int rc = resolve_size(&t->seq_len, task_table[SW_TASK_TEXT].seq_len, false, false, "task.seq_len", "steps", err,
                          errlen, bad_key);
    if (!rc) rc = resolve_size(&t->input_size, text->vocab, true, false, "task.input_size",
                               "characters in the text's vocabulary", err, errlen, bad_key);
    if (rc) return rc;
    long long parts[3];
    sw_text_parts(t, text->chars, parts);
    static const char *const part_name[3] = {"training", "validation", "test"};
    for (int p = 0; p < 3; p++) {
        if (p == 1 && parts[1] == 0 && t->val_fraction == 0) continue; /* no validation text */
        if (sw_text_windows(parts[p], t->seq_len) > 0) continue;
        static const char *const remedy[3] = {"smaller task.val_fraction and task.test_fraction",
                                              "a larger task.val_fraction (or 0: no validation text)",
                                              "a larger task.test_fraction"};
        *bad_key = text->chars == 0 ? "task.path" : "task.seq_len";
        if (text->chars == 0)
            sw_set_error(err, errlen, "task.path: %s is empty: there is no text to learn from", t->path);
        else
            sw_set_error(err, errlen, "task.seq_len: %s has %lld character%s, and its %s part (%lld) is shorter than "
                         "one window of task.seq_len + 1 = %d characters; allowed: a shorter task.seq_len, %s, or a "
                         "longer text", t->path, text->chars, text->chars == 1 ? "" : "s", part_name[p], parts[p],
                         t->seq_len + 1, remedy[p]);
        return SW_ECONFIG;
    }
    long long own[3];
    for (int p = 0; p < 3; p++) {
        own[p] = sw_text_windows(parts[p], t->seq_len);
        if (own[p] > INT_MAX) own[p] = INT_MAX;
    }
    if (t->val_fraction == 0 && t->val_size > 0) {
        *bad_key = "task.val_size";
        sw_set_error(err, errlen, "task.val_size: %d, but task.val_fraction is 0 (no validation text); set "
                     "task.val_fraction", t->val_size);
        return SW_ECONFIG;
    }
    if ((rc = resolve_size(&t->train_size, (int)own[0], false, true, "task.train_size",
                           "windows in the text's training part", err, errlen, bad_key)) ||
        (rc = resolve_size(&t->val_size, (int)own[1], false, true, "task.val_size",
                           "windows in the text's validation part", err, errlen, bad_key)) ||
        (rc = resolve_size(&t->test_size, (int)own[2], false, true, "task.test_size",
                           "windows in the text's test part", err, errlen, bad_key)))
        return rc;
    t->text_unigram = text->unigram;
    t->text_utf8 = text->utf8;
    return SW_OK;
}

/* A file's T and I as the task reads them: an image's rows, or its pixels one by one. */
static void file_steps(const sw_task_config *t, const sw_data_shape *file, int *T, int *I)
{
    *T = file->seq_len;
    *I = file->input;
    if (t->sequence == SW_SEQUENCE_PIXELS) {
        *T = file->seq_len * file->input;
        *I = 1;
    }
}

int sw_task_resolve(sw_task_config *t, const sw_data_shape *file, char *err, size_t errlen, const char **bad_key)
{
    const char *dummy;
    if (!bad_key) bad_key = &dummy;
    *bad_key = NULL;
    SW_ASSERT((unsigned)t->kind < SW_TASK_COUNT);
    bool is_file = t->kind == SW_TASK_FILE;
    if (sw_task_reads_file(t->kind) && (!t->path[0] || !file)) {
        *bad_key = t->path[0] ? "task.path" : "task.kind";
        sw_set_error(err, errlen, "%s: task.kind %s needs task.path, %s", *bad_key, sw_task_name(t->kind),
                     is_file ? "the HDF5 data file or IDX directory to train on" : "the text file to learn");
        return SW_ECONFIG;
    }
    int rc = check_task_keys(t, file, err, errlen, bad_key);
    if (rc) return rc;
    if (t->kind == SW_TASK_TEXT) return resolve_text(t, file, err, errlen, bad_key);
    int own_T = task_table[t->kind].seq_len, own_I = task_table[t->kind].input;
    if (is_file) file_steps(t, file, &own_T, &own_I);
    if (is_file && own_T > SW_MAX_SEQ_LEN) {
        *bad_key = "task.sequence";
        sw_set_error(err, errlen, "task.sequence: %s's %d x %d images read pixel by pixel are %d steps, more than the "
                     "limit of %d; allowed: rows", t->path, file->seq_len, file->input, own_T, SW_MAX_SEQ_LEN);
        return SW_ECONFIG;
    }
    /* A file's validation set is the end of its training set, so training keeps the rows
     * before it and at least one is left. */
    if (is_file && t->val_size >= file->n_train) {
        *bad_key = "task.val_size";
        sw_set_error(err, errlen, "task.val_size: %d is not less than the %d training sequences in the file (the "
                     "validation set is the last task.val_size of them); allowed: 0 to %d", t->val_size,
                     file->n_train, file->n_train - 1);
        return SW_ECONFIG;
    }
    int own_train = is_file ? file->n_train - t->val_size : task_table[t->kind].train_size;
    int own_test = is_file ? file->n_test : task_table[t->kind].test_size;
    bool input_fixed = t->kind != SW_TASK_MEAN_SIGN && t->kind != SW_TASK_FIRST_SIGN;
    const char *steps = is_file ? "steps per sequence in the file" : "steps";
    if ((rc = resolve_size(&t->seq_len, own_T, is_file, false, "task.seq_len", steps, err, errlen, bad_key)) ||
        (rc = resolve_size(&t->input_size, own_I, input_fixed, false, "task.input_size", "input features", err,
                           errlen, bad_key)) ||
        (rc = resolve_size(&t->train_size, own_train, false, is_file, "task.train_size",
                           t->val_size ? "training sequences in the file before its validation set"
                                       : "training sequences in the file", err, errlen, bad_key)) ||
        (rc = resolve_size(&t->test_size, own_test, false, is_file, "task.test_size", "test sequences in the file",
                           err, errlen, bad_key)))
        return rc;
    if (is_file) {
        t->file_target = file->target;
        t->file_outputs = file->outputs;
        t->file_images = file->images;
    }
    return SW_OK;
}

/* mean_sign, first_sign: Gaussian inputs, the label from the stored float values, so it
 * is exactly what the network sees. */
static void generate_sign(sw_dataset *d, const sw_task_config *task, sw_rng *rng)
{
    size_t per_seq = (size_t)d->seq_len * (size_t)d->input;
    size_t label_values = per_seq;
    if (task->kind == SW_TASK_FIRST_SIGN) {
        int k = task->signal_steps < task->seq_len ? task->signal_steps : task->seq_len;
        label_values = (size_t)k * (size_t)task->input_size;
        if (label_values > per_seq) label_values = per_seq;
    }
    /* The normals of a few sequences at a time (about 16 KiB), the labels summed while they
     * are in L1. The floats are (float) of sw_rng_fill_normal's doubles bit for bit, and a
     * fill in parts draws what one fill of the whole would. */
    enum { FILL_VALUES = 4096 };
    int batch = per_seq >= FILL_VALUES ? 1 : (int)(FILL_VALUES / per_seq);
    for (int s0 = 0; s0 < d->n; s0 += batch) {
        int m = d->n - s0 < batch ? d->n - s0 : batch;
        sw_rng_fill_normal_float(rng, d->x + (size_t)s0 * per_seq, (size_t)m * per_seq);
        for (int s = s0; s < s0 + m; s++) {
            const float *xs = d->x + (size_t)s * per_seq;
            double sum = 0;
            for (size_t j = 0; j < label_values; j++) sum += xs[j];
            d->y[s] = sum > 0.0;
        }
    }
}

/* adding: per sequence T uniform values, then the two marker positions; the target is
 * summed from the stored floats. With T = 1 both markers fall on the one step. */
static void generate_adding(sw_dataset *d, sw_rng *rng)
{
    int T = d->seq_len, half = T / 2 > 0 ? T / 2 : 1;
    for (int s = 0; s < d->n; s++) {
        float *xs = d->x + (size_t)s * T * 2;
        for (int t = 0; t < T; t++) {
            xs[2 * t] = (float)sw_rng_uniform(rng);
            xs[2 * t + 1] = 0;
        }
        int first = (int)sw_rng_below(rng, (uint32_t)half);
        int second = T > 1 ? half + (int)sw_rng_below(rng, (uint32_t)(T - half)) : 0;
        xs[2 * first + 1] = 1;
        xs[2 * second + 1] = 1;
        d->v[s] = (float)((double)xs[2 * first] + (first == second ? 0.0 : (double)xs[2 * second]));
    }
}

/* copy: symbols, blanks, delimiter, blanks as one-hot rows; targets blank then symbols. */
static void generate_copy(sw_dataset *d, const sw_task_config *task, sw_rng *rng)
{
    int T = d->seq_len, delay = task->seq_len, C = COPY_CATEGORIES;
    memset(d->x, 0, (size_t)d->n * T * C * sizeof(float));
    memset(d->y, 0, (size_t)d->n * T * sizeof(int32_t));
    for (int s = 0; s < d->n; s++) {
        float *xs = d->x + (size_t)s * T * C;
        int32_t *ys = d->y + (size_t)s * T;
        for (int t = 0; t < T; t++) {
            int symbol = 0;
            if (t < COPY_SYMBOLS) {
                symbol = 1 + (int)sw_rng_below(rng, COPY_ALPHABET);
                ys[delay + COPY_SYMBOLS + t] = symbol;
            } else if (t == COPY_SYMBOLS + delay - 1) {
                symbol = COPY_DELIMITER;
            }
            xs[(size_t)t * C + symbol] = 1;
        }
    }
}

int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream)
{
    memset(d, 0, sizeof *d);
    sw_task_layout lay = sw_task_layout_of(task);
    SW_ASSERT(n >= 0 && lay.steps >= 1 && lay.input >= 1 && !sw_task_reads_file(task->kind));
    size_t per_seq = (size_t)lay.steps * (size_t)lay.input;
    size_t per_target = lay.target == SW_TARGET_CLASS_STEPS ? (size_t)lay.steps : 1;
    d->x = sw_alloc_large((size_t)n * per_seq * sizeof *d->x + 1);
    if (lay.target == SW_TARGET_VALUE_LAST)
        d->v = malloc((size_t)n * lay.outputs * sizeof *d->v + 1);
    else
        d->y = malloc((size_t)n * per_target * sizeof *d->y + 1);
    if (!d->x || (!d->y && !d->v)) {
        sw_dataset_free(d);
        return SW_ENOMEM;
    }
    d->n = n;
    d->seq_len = lay.steps;
    d->input = lay.input;
    d->target = lay.target;
    d->outputs = lay.outputs;
    sw_rng rng;
    sw_rng_init(&rng, seed, stream);
    switch (task->kind) {
    case SW_TASK_ADDING: generate_adding(d, &rng); break;
    case SW_TASK_COPY: generate_copy(d, task, &rng); break;
    default: generate_sign(d, task, &rng); break;
    }
    return SW_OK;
}

sw_dataset sw_dataset_view(const sw_dataset *d, int first, int n)
{
    SW_ASSERT(first >= 0 && n >= 0 && first + n <= d->n);
    sw_dataset v = *d;
    size_t per_target = d->target == SW_TARGET_CLASS_STEPS ? (size_t)d->seq_len : 1;
    v.n = n;
    v.x = d->x ? d->x + (size_t)first * d->seq_len * d->input : NULL;
    v.y = d->y ? d->y + (size_t)first * per_target : NULL;
    v.v = d->v ? d->v + (size_t)first * d->outputs : NULL;
    v.borrowed = 1;
    return v;
}

void sw_dataset_free(sw_dataset *d)
{
    if (!d) return;
    if (!d->borrowed) {
        sw_free_large(d->x); /* sw_alloc_large's, or a data file's from malloc */
        free(d->y);
        free(d->v);
    }
    memset(d, 0, sizeof *d);
}

void sw_dataset_copy_inputs(const sw_dataset *d, int first, int n, float *out)
{
    SW_ASSERT(first >= 0 && n >= 0 && first + n <= d->n);
    if (n == 0) return; /* an empty set (a text without validation windows) has no x */
    size_t T = (size_t)d->seq_len, I = (size_t)d->input;
    const float *x = d->x + (size_t)first * T * I;
    if (!d->steps) {
        memcpy(out, x, (size_t)n * T * I * sizeof *out);
        return;
    }
    for (size_t s = 0; s < (size_t)n; s++)
        for (size_t t = 0; t < T; t++)
            memcpy(out + (s * T + t) * I, x + (s * T + (size_t)d->steps[t]) * I, I * sizeof *out);
}

void sw_task_permutation(const sw_task_config *task, int T, int32_t *out)
{
    sw_rng rng;
    sw_rng_init(&rng, (uint64_t)task->permute_seed, SW_STREAM_PERMUTE);
    for (int t = 0; t < T; t++) out[t] = t;
    for (int t = T - 1; t > 0; t--) {
        int j = (int)sw_rng_below(&rng, (uint32_t)t + 1);
        int32_t tmp = out[t];
        out[t] = out[j];
        out[j] = tmp;
    }
}

/* n windows of T characters starting at character `from` of the text, one after the other:
 * window s holds characters from + s*T .. + T - 1 as one-hot inputs (N,T,V), the character
 * after each as its target (N,T). */
static int text_windows(sw_dataset *d, const sw_text *text, long long from, int n, int T)
{
    int V = text->vocab_size;
    memset(d, 0, sizeof *d);
    d->x = calloc((size_t)n * T * V + 1, sizeof *d->x);
    d->y = malloc(((size_t)n * T + 1) * sizeof *d->y);
    if (!d->x || !d->y) {
        sw_dataset_free(d);
        return SW_ENOMEM;
    }
    *d = (sw_dataset){n, T, V, SW_TARGET_CLASS_STEPS, V, d->x, d->y, NULL, NULL, 0};
    for (size_t s = 0; s < (size_t)n; s++) {
        const int32_t *c = text->codes + from + (long long)s * T;
        for (size_t t = 0; t < (size_t)T; t++) {
            d->x[(s * T + t) * V + (size_t)c[t]] = 1;
            d->y[s * T + t] = c[t + 1];
        }
    }
    return SW_OK;
}

/* A text task's sets: the first windows of each part (parts: training | validation | test). */
static int text_data(sw_task_data *d, const sw_task_config *task, int P, const sw_text *text)
{
    long long parts[3];
    sw_text_parts(task, text->n, parts);
    int T = task->seq_len;
    if (!text->codes || text->vocab_size != task->input_size || P > task->test_size ||
        sw_text_windows(parts[0], T) < task->train_size || sw_text_windows(parts[1], T) < task->val_size ||
        sw_text_windows(parts[2], T) < task->test_size)
        return SW_EINVAL;
    int rc = text_windows(&d->train, text, 0, task->train_size, T);
    if (!rc && task->val_size > 0) rc = text_windows(&d->val, text, parts[0], task->val_size, T);
    if (!rc) rc = text_windows(&d->test, text, parts[0] + parts[1], task->test_size, T);
    if (!rc) d->probe = sw_dataset_view(&d->test, 0, P);
    return rc;
}

/* A file's split as the task reads it: pixel by pixel (the same floats: an image's rows
 * one after the other are its pixels in order), in the permuted order. */
static sw_dataset image_view(const sw_dataset *split, const sw_task_config *task, const int32_t *steps)
{
    sw_dataset v = *split;
    if (task->sequence == SW_SEQUENCE_PIXELS) {
        v.seq_len = split->seq_len * split->input;
        v.input = 1;
    }
    v.steps = steps;
    v.borrowed = 1;
    return v;
}

/* A file task's sets: views of the file's splits. */
static int file_data(sw_task_data *d, const sw_task_config *task, int P, const sw_task_source *src)
{
    const sw_dataset *train = src->train, *test = src->test;
    if (!train || !test || train->n < task->train_size + task->val_size || test->n < task->test_size ||
        test->n < P)
        return SW_EINVAL;
    sw_dataset tr = image_view(train, task, NULL), te = image_view(test, task, NULL);
    if (tr.seq_len != task->seq_len || tr.input != task->input_size || te.seq_len != task->seq_len)
        return SW_EINVAL;
    if (task->permute) {
        if (!(d->steps = malloc((size_t)task->seq_len * sizeof *d->steps))) return SW_ENOMEM;
        sw_task_permutation(task, task->seq_len, d->steps);
        tr.steps = te.steps = d->steps;
    }
    d->train = sw_dataset_view(&tr, 0, task->train_size);
    d->val = sw_dataset_view(&tr, tr.n - task->val_size, task->val_size);
    d->test = sw_dataset_view(&te, 0, task->test_size);
    d->probe = sw_dataset_view(&te, 0, P);
    return SW_OK;
}

int sw_task_data_make(sw_task_data *d, const sw_task_config *task, int probe_size, uint64_t seed,
                      const sw_task_source *src)
{
    memset(d, 0, sizeof *d);
    int rc;
    if (task->kind == SW_TASK_FILE)
        rc = src ? file_data(d, task, probe_size, src) : SW_EINVAL;
    else if (task->kind == SW_TASK_TEXT)
        rc = src && src->text ? text_data(d, task, probe_size, src->text) : SW_EINVAL;
    else if (!(rc = sw_dataset_generate(&d->train, task, task->train_size, seed, SW_STREAM_TRAIN_DATA)) &&
             !(rc = sw_dataset_generate(&d->test, task, task->test_size, seed, SW_STREAM_TEST_DATA)) &&
             !(rc = sw_dataset_generate(&d->probe, task, probe_size, seed, SW_STREAM_PROBE)) && task->val_size > 0)
        rc = sw_dataset_generate(&d->val, task, task->val_size, seed, SW_STREAM_VAL_DATA);
    if (rc) sw_task_data_free(d);
    return rc;
}

void sw_task_data_free(sw_task_data *d)
{
    if (!d) return;
    sw_dataset_free(&d->train);
    sw_dataset_free(&d->val);
    sw_dataset_free(&d->test);
    sw_dataset_free(&d->probe);
    free(d->steps);
    memset(d, 0, sizeof *d);
}
