/* config.h: the resolved configuration of one run, and the schema of every config key.
 *
 * The schema (config.c, table `sw_schema`) is the one place that lists every key: its
 * dotted name, type, default, allowed range and meaning. The YAML reader, `--set`, the
 * HDF5 /config attributes, the resolved-YAML text and docs/config.md all follow it. */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SW_TASK_MEAN_SIGN,
    SW_TASK_FIRST_SIGN,
    SW_TASK_ADDING,
    SW_TASK_COPY,
    SW_TASK_FILE,
    SW_TASK_TEXT, /* character-level language modelling on a text file */
    SW_TASK_COUNT
} sw_task_kind;
/* SW_CELL_TRANSFORMER is not recurrent: a stack of causal self-attention encoder layers
 * (model.h) that takes the place of the recurrent layers under the same heads. */
typedef enum { SW_CELL_RNN, SW_CELL_LSTM, SW_CELL_GRU, SW_CELL_TRANSFORMER, SW_CELL_COUNT } sw_cell_kind;
typedef enum { SW_OPTIM_ADAM, SW_OPTIM_SGD, SW_OPTIM_RMSPROP, SW_OPTIM_ADAMW, SW_OPTIM_COUNT } sw_optimizer_kind;
/* What a task asks the network to predict; decides the model's head and loss. */
typedef enum {
    SW_TARGET_CLASS_LAST,  /* a class at the last step: softmax cross-entropy */
    SW_TARGET_VALUE_LAST,  /* K values at the last step: mean squared error */
    SW_TARGET_CLASS_STEPS, /* a class at every step: cross-entropy averaged over the steps */
    SW_TARGET_COUNT
} sw_target_kind;
typedef enum { SW_ACT_TANH, SW_ACT_RELU, SW_ACT_COUNT } sw_activation_kind;
/* How an image file's [H,W] images become sequences: H steps of a row of W pixels, or
 * H*W steps of one pixel (sequential MNIST). */
typedef enum { SW_SEQUENCE_ROWS, SW_SEQUENCE_PIXELS, SW_SEQUENCE_COUNT } sw_sequence_kind;
typedef enum { SW_INIT_XAVIER, SW_INIT_ORTHOGONAL, SW_INIT_IDENTITY, SW_INIT_COUNT } sw_init_kind;
typedef enum {
    SW_SCHED_CONSTANT,
    SW_SCHED_STEP,
    SW_SCHED_MULTISTEP,
    SW_SCHED_EXPONENTIAL,
    SW_SCHED_COSINE,
    SW_SCHED_TABLE, /* the learning rate of every epoch, given (schedule.values) */
    SW_SCHED_COUNT
} sw_schedule_kind;

#define SW_MAX_LAYERS 8
#define SW_MAX_HIDDEN 1024
#define SW_MAX_SEQ_LEN 10000
#define SW_MAX_MILESTONES 16
#define SW_MAX_PATH 1024
/* The longest per-epoch table (an HDF5 attribute of /config holds it: 64 KiB at most) */
#define SW_MAX_TABLE 4096

/* Values are written as the user should read them back (messages, config text, run ids):
 * the shortest text that round-trips, whole numbers below a million in plain digits. */
#define SW_CONFIG_PLAIN_BELOW 1e6

typedef struct {
    sw_task_kind kind;
    int seq_len;      /* T */
    int input_size;   /* I */
    int train_size;
    int test_size;
    int val_size;     /* validation sequences; 0: none (selection reads the test set) */
    int signal_steps; /* first_sign: the label depends on the first k steps only */
    char path[SW_MAX_PATH]; /* file: the data file (HDF5) or IDX directory; text: the text */
    sw_sequence_kind sequence; /* file (images): rows or pixels */
    bool permute;              /* file (images): one fixed permutation of the time steps */
    int64_t permute_seed;      /* ... drawn from this seed (the same for every run) */
    double val_fraction;       /* text: the part of the text before the test part that
                                  validates (consecutive: train | val | test) */
    double test_fraction;      /* text: the last part of the text, the test text */
    /* file: what the data file holds, filled in when it is read (not keys; see
     * task.h's sw_task_layout for every task's targets) */
    sw_target_kind file_target;
    int file_outputs; /* classes C or regression values K */
    bool file_images; /* the file's sequences are images (task.sequence and permute apply) */
    /* text: what the text holds, filled in when it is read (not keys) */
    double text_unigram; /* entropy of the text's character frequencies, nats per character */
    int text_utf8;       /* 1: the characters are UTF-8 code points; 0: bytes */
} sw_task_config;

typedef struct {
    sw_cell_kind cell;
    int hidden; /* H */
    int layers; /* L */
    double dropout;
    double forget_bias; /* initial bias of the lstm forget gate / gru update gate */
    sw_activation_kind activation; /* rnn: tanh or relu */
    sw_init_kind init;  /* recurrent-matrix initialisation */
    double init_scale;  /* identity: diagonal value; orthogonal: gain */
    int heads;          /* transformer: attention heads (divide hidden) */
    int ff;             /* transformer: feed-forward width; 0: 4 * hidden */
} sw_model_config;

typedef struct {
    sw_schedule_kind kind;
    int step;                          /* step: epochs between decays */
    double gamma;                      /* step, multistep, exponential: decay factor */
    int milestones[SW_MAX_MILESTONES]; /* multistep: epochs after which lr *= gamma */
    int n_milestones;
    double min_lr;                     /* cosine: lr reached at the last epoch */
    int warmup;                        /* all kinds but table: epochs of linear warmup first */
    /* Per-epoch tables (valuelist.h handles; SW_VALUES_NONE: none): value e-1 is the one
     * epoch e trains with. `values` is the table kind's learning rate; the others, when
     * given, replace their key's value (train.clip, model.dropout, ...) epoch by epoch. */
    int values;
    int clip_values, weight_decay_values, momentum_values, beta1_values, beta2_values, eps_values, alpha_values,
        dropout_values;
} sw_schedule_config;

typedef struct {
    int epochs;
    int batch;
    int steps_per_epoch; /* 0: one full pass over the training set per epoch */
    sw_optimizer_kind optimizer;
    double lr;
    double beta1, beta2, eps;  /* adam */
    double momentum;           /* sgd, rmsprop */
    double alpha;              /* rmsprop: decay of the squared-gradient average */
    bool centered;             /* rmsprop: divide by the gradient's estimated variance */
    bool nesterov;             /* sgd */
    double weight_decay;       /* adamw: decoupled; others: L2 term added to the gradient */
    double clip;               /* max global gradient norm; 0 = off */
    sw_schedule_config schedule;
} sw_train_config;

/* How a run file's large arrays are stored (record.compress): deflated where that shrinks
 * them by 1.3x or more (estimated from a sample spread over each; parameters never), never, or always. */
typedef enum { SW_COMPRESS_AUTO, SW_COMPRESS_NONE, SW_COMPRESS_DEFLATE, SW_COMPRESS_COUNT } sw_compress_kind;

typedef struct {
    int grad_every; /* per-timestep gradients every N epochs (and at the last epoch) */
    int probe_size; /* P probe sequences for hidden states and gradients */
    int checkpoint_every; /* a checkpoint every N epochs (train.h's rule); 0: only when a run stops
                             early (Ctrl-C, a rung). Not part of the run's identity (sw_key_is_runtime) */
    bool report;          /* keep DIR/report.html current while the sweep runs (a sweep setting) */
    double report_every;  /* the live report's longest gap between rewrites, seconds (a sweep setting) */
    sw_compress_kind compress; /* how run files store large arrays; not part of the run's identity */
    int deflate_level;         /* zlib's level 1-9 where they are deflated; likewise */
} sw_record_config;

typedef struct {
    sw_task_config task;
    sw_model_config model;
    sw_train_config train;
    sw_record_config record;
    int64_t seed;
} sw_config;

/* ---- the schema ---------------------------------------------------------------- */

typedef enum {
    SW_TYPE_INT,      /* int field */
    SW_TYPE_INT64,    /* int64_t field (seed) */
    SW_TYPE_FLOAT,    /* double field */
    SW_TYPE_BOOL,     /* bool field */
    SW_TYPE_ENUM,     /* enum field, written as one of `choices` */
    SW_TYPE_INT_LIST, /* int[SW_MAX_MILESTONES] with a count field */
    SW_TYPE_STRING,   /* char[max + 1] field (max: the longest text allowed) */
    SW_TYPE_FLOAT_LIST, /* int handle of a list of doubles (valuelist.h): a per-epoch table of the
                           key `per_epoch_of`, whose range each value must be in */
    SW_TYPE_COUNT
} sw_value_type;

typedef struct {
    const char *key;         /* dotted name, e.g. "train.lr" */
    sw_value_type type;
    size_t offset;           /* of the field in sw_config */
    size_t count_offset;     /* INT_LIST: offset of its int count */
    const char *const *choices; /* ENUM: NULL-terminated names, index = enum value */
    double min, max;         /* allowed range (inclusive unless flagged below) */
    bool min_exclusive, max_exclusive;
    const char *default_text;/* the default, as written in YAML */
    const char *doc;         /* one-line meaning */
    const char *per_epoch_of;/* FLOAT_LIST: the key whose value of each epoch it gives */
} sw_key_info;

/* The schema table and its length. Order: task, model, train, record, seed. */
extern const sw_key_info sw_schema[];
extern const size_t sw_schema_len;

/* The sections the keys live in ("task", ..., "train.schedule"), NULL-terminated. */
extern const char *const sw_schema_sections[];

/* True for the keys that say how a run is executed rather than what it computes (its
 * results never depend on them: record.checkpoint_every). They are left out of the run's
 * YAML text, hence of its hash and the sweep's manifest, and out of its file's /config, so
 * that changing one neither makes a sweep "changed" nor changes a byte of its files. */
bool sw_key_is_runtime(const sw_key_info *key);

/* True for the runtime keys that are settings of the whole sweep rather than of its runs
 * (record.report, record.report_every): they cannot vary between runs (grid, zip, a
 * search space), and the sweep reads them from its runs' common value. */
bool sw_key_is_sweep_setting(const sw_key_info *key);

/* Looks a dotted key up; NULL when unknown. */
const sw_key_info *sw_schema_find(const char *key);

/* Whether `key` ends with the dotted components `suffix` ("schedule.kind" ends
 * "train.schedule.kind"; "kind" does not end "task.kinds"). */
bool sw_key_has_suffix(const char *key, const char *suffix);

/* Resolves a key as a user may write it on the command line or in grid/zip/exclude:
 * canonical ("model.hidden") or any dotted suffix that names one key ("hidden",
 * "schedule.kind"). NULL when unknown or ambiguous. */
const sw_key_info *sw_resolve_key(const char *name);

/* The shortest dotted suffix of a canonical key that no other key ends with ("seq_len",
 * "schedule.kind"); written into out. */
void sw_short_key(const char *canonical, char *out, size_t outlen);

/* sw_resolve_key for commands that take a key by name (summarize --by, --sort): the key, or
 * NULL with the reason in err: "unknown key 'cel' (did you mean 'model.cell'?)", or "key
 * 'kind' is ambiguous: it could be task.kind, train.schedule.kind; write the full name". */
const sw_key_info *sw_resolve_key_explained(const char *name, char *err, size_t errlen);

/* The known key or section nearest to `key` by edit distance (for "did you mean"), or
 * NULL when nothing is reasonably close. */
const char *sw_schema_suggest(const char *key);

/* Fills `cfg` with the defaults of the seed protocol: every key's default_text, parsed. */
void sw_config_defaults(sw_config *cfg);

/* Sets one key from the text of a YAML scalar. `quoted` tells whether the scalar was
 * quoted (a quoted "3" is a string, not an int). Checks the type and the key's own range.
 * On error returns SW_ECONFIG and writes a message naming the key, the value and what is
 * allowed into err (errlen bytes). */
int sw_config_set(sw_config *cfg, const sw_key_info *key, const char *text, bool quoted,
                  char *err, size_t errlen);

/* Sets an INT_LIST key from n integers (already parsed). Same error contract. */
int sw_config_set_list(sw_config *cfg, const sw_key_info *key, const long long *values,
                       int n, char *err, size_t errlen);

/* Sets a FLOAT_LIST key from n numbers (already parsed): each must be in the range of the
 * key it tabulates. Same error contract; SW_ENOMEM when out of memory. */
int sw_config_set_floats(sw_config *cfg, const sw_key_info *key, const double *values, int n, char *err,
                         size_t errlen);

/* A FLOAT_LIST key's values and their number in *n (NULL and 0 when it has none). */
const double *sw_config_get_floats(const sw_config *cfg, const sw_key_info *key, int *n);

/* The key of the schema whose range a key's values must be in: its per_epoch_of for a
 * FLOAT_LIST, else the key itself. */
const sw_key_info *sw_key_range_of(const sw_key_info *key);

/* True when some per-epoch table is given (a config whose values change by epoch). */
bool sw_config_has_tables(const sw_config *cfg);

/* The config epoch `epoch` (from 1) trains with: cfg with each tabulated key set to its
 * table's value for that epoch (train.lr too, under the table schedule). Returns cfg
 * itself when it has no tables, else `scratch`, filled. */
const sw_config *sw_config_at_epoch(const sw_config *cfg, int epoch, sw_config *scratch);

/* Checks every key's value against its own type and range (a config built in code gets
 * the checks of one read from a file; the rules across keys are validate.h's). On error
 * returns SW_ECONFIG, the message in err and the key in *bad_key (may be NULL). */
int sw_config_check_keys(const sw_config *cfg, char *err, size_t errlen, const char **bad_key);

/* Whether v lies in the key's range (min, max, inclusive unless the key says otherwise);
 * NaN never does. */
bool sw_key_in_range(const sw_key_info *key, double v);

/* Formats the value of `key` in `cfg` as YAML scalar text (lists as "[20, 40]"; a list that
 * does not fit in outlen ends "...]": sw_config_to_yaml writes lists whole). */
void sw_config_format(const sw_config *cfg, const sw_key_info *key, char *out, size_t outlen);

/* The same three for any key table whose offsets point into another struct (`record`): the
 * sweep-level search keys (sample.c) are parsed, checked and printed by the schema's rules.
 * sw_key_set: as sw_config_set; sw_key_format: as sw_config_format; sw_key_print_row: the
 * key's line of `sweep help keys` (key, type, default or "none", allowed values, meaning). */
int sw_key_set(void *record, const sw_key_info *key, const char *text, bool quoted, char *err, size_t errlen);
void sw_key_format(const void *record, const sw_key_info *key, char *out, size_t outlen);
void sw_key_print_row(FILE *f, const sw_key_info *key);

/* Writes the resolved config as a YAML document (nested sections, every key but the
 * sw_key_is_runtime ones: the text is the run's identity, hashed for manifests) into a
 * newly malloc'ed string the caller frees; NULL when out of memory. */
char *sw_config_to_yaml(const sw_config *cfg);

/* Field accessors used by generic code (HDF5 /config attributes, run ids). */
long long sw_config_get_int(const sw_config *cfg, const sw_key_info *key);
double sw_config_get_float(const sw_config *cfg, const sw_key_info *key);
const char *sw_config_get_enum(const sw_config *cfg, const sw_key_info *key);
const char *sw_config_get_string(const sw_config *cfg, const sw_key_info *key); /* NULL: not a string key */

/* Number of gates per cell (rnn 1, lstm 4, gru 3; transformer 0: no gates) and the cell's name. */
int sw_cell_gates(sw_cell_kind cell);
const char *sw_cell_name(sw_cell_kind cell);

/* The transformer's feed-forward width: model.ff, or 4 * model.hidden when it is 0. */
int sw_model_ff_width(const sw_model_config *m);

#endif
