/* record.h: what a run records, declared once: one row per array or attribute of a run
 * file's /history, /summary, /weights, /probe and /gradients.
 *
 * The table (record.c, `sw_record`) is to the run file what config.c's schema is to the
 * config: each row gives the HDF5 path, the element type, the dimensions in the run's
 * sizes (E, R, L, P, T, I, H, N), where the values live (a field of sw_run_result or
 * sw_history, a config key, a size, or a 0..n-1 coordinate), the dimension scales and
 * the long_name. Allocation and freeing of a result, the HDF5 writer and reader, the
 * memory and file-size estimates, `sweep help layout`, the contract checker's test and the
 * docs test all loop over it, so a new recorded quantity is one field plus one row.
 *
 * Part of the engine library: no HDF5 here (h5io.c maps the element types). */
#ifndef SWEEP_RECORD_H
#define SWEEP_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include <stdint.h>

#include "common.h"
#include "config.h"
#include "task.h"

typedef enum {
    SW_RUN_DONE,     /* all epochs completed */
    SW_RUN_DIVERGED, /* loss became NaN/Inf; history holds the epochs before it */
    SW_RUN_FAILED,   /* an error stopped it; `error` says why */
    SW_RUN_STOPPED,  /* trained up to hooks->until_epoch < train.epochs (early stopping's rungs):
                        an exact prefix of the same run trained to the end */
    SW_RUN_STATUS_COUNT
} sw_run_status;

/* "done", "diverged", "failed", "stopped". */
const char *sw_run_status_name(sw_run_status status);

/* Per-epoch record (index e is epoch e+1). Every array here and in sw_run_result is a row
 * of record.c's table, which allocates, frees, writes and reads them: a new recorded array
 * is a field here plus a row there. */
typedef struct {
    int epochs;         /* epochs completed (length of every array below) */
    int capacity;
    double *train_loss; /* mean over the epoch's batches */
    double *train_acc;  /* fraction in [0,1] over the samples seen */
    double *test_loss;
    double *test_acc;
    double *lr;         /* learning rate used in the epoch */
    double *grad_norm;  /* mean global gradient norm over the epoch's steps (before clipping) */
    double *grad_norm_max; /* largest global gradient norm of the epoch's steps (before clipping) */
    double *seconds;    /* wall seconds of the epoch (training and evaluation) */
    double *val_loss;   /* validation set (task.val_size > 0), evaluation mode; NaN without one */
    double *val_acc;
} sw_history;

typedef struct {
    sw_run_status status;
    char error[256];      /* FAILED: the reason; DIVERGED: where it happened */

    sw_history history;
    /* The best epoch by the task's metric (task.h: test accuracy, highest; regression: test
     * loss, lowest; with a validation set, its accuracy or loss), earliest on ties; 0 if
     * none. best_metric is the metric's value there, best_test_* the test set's. */
    int best_epoch;
    double best_metric;
    double best_test_acc, best_test_loss, final_test_acc, final_train_acc;
    double wall_seconds;  /* whole run, including data generation */

    /* Parameters, each a flat buffer of param_count values in the order and layout of
     * model.h's tensor table (PyTorch state-dict layout). */
    size_t param_count;
    sw_real *weights_final;
    sw_real *weights_best;   /* copy taken at the end of the best epoch */

    /* Probe set: P sequences from the test distribution with their own random stream. */
    int probe_size;          /* P */
    float *probe_inputs;     /* (P,T,I) */
    int32_t *probe_labels;   /* (P) a last-step classifier's classes; -1 for other tasks */
    float *probe_targets;    /* (P,Y) the task's targets: Y = 1 class or K values at the last
                                step, or T classes, one per step */
    float *hidden_final;     /* (L,P,T,H) every layer's h_t, eval mode, final weights */
    float *hidden_best;      /* (L,P,T,H) same with the best weights */
    float *attention_final;  /* (L,A,T,T) transformer: attention weights, mean over the
                                probe set, eval mode, final weights (A = 0 otherwise) */
    float *attention_best;   /* (L,A,T,T) same with the best weights */

    /* The task as the run saw it (rows of record.c's table written for these tasks only). */
    int32_t *permutation;    /* (T) task.permute: the stored step fed at each step */
    int32_t *vocabulary;     /* (I) task.kind text: the characters, in the one-hot order */

    /* Per-timestep gradients on the probe set, eval mode, at the end of recorded epochs. */
    int grad_records;        /* R */
    int grad_capacity;
    int32_t *grad_epoch;     /* (R) epochs recorded, from 1 */
    float *dloss_dh_norm;    /* (R,L,T) (1/P) sum_b ||d l_b / d h_{b,t}||_2 */
    float *dloss_dh;         /* (R,L,T,H) (1/P) sum_b d l_b / d h_{b,t} */
    float *dloss_dx_norm;    /* (R,T) (1/P) sum_b ||d l_b / d x_{b,t}||_2 */
    float *dW_hh_norm;       /* (R,L,T) Frobenius norm of step t's term of d(mean l)/dW_hh */
} sw_run_result;

/* The sizes every dimension is expressed in. */
typedef enum {
    SW_SIZE_EPOCHS,  /* E: epochs completed (planned: train.epochs) */
    SW_SIZE_RECORDS, /* R: gradient records (planned: every grad_every epochs and the last) */
    SW_SIZE_LAYERS,  /* L: model.layers */
    SW_SIZE_PROBE,   /* P: record.probe_size */
    SW_SIZE_STEPS,   /* T: time steps per sequence (task.seq_len; copy: seq_len + 20) */
    SW_SIZE_INPUTS,  /* I: task.input_size */
    SW_SIZE_TARGETS, /* Y: targets per sequence: 1 (a class at the last step), K (values),
                        or T (a class per step) */
    SW_SIZE_HIDDEN,  /* H: model.hidden */
    SW_SIZE_HEADS,   /* A: attention heads (model.heads with the transformer, else 0) */
    SW_SIZE_PARAMS,  /* N: parameters of the model */
    SW_SIZE_COUNT
} sw_record_size;

typedef struct {
    long long n[SW_SIZE_COUNT];
} sw_record_sizes;

/* The sizes of a run of `cfg` when nothing has been recorded yet: E is train.epochs and R
 * the number of gradient records a complete run makes (the one place that counts them).
 * These are the capacities a result is allocated with. */
void sw_record_sizes_planned(const sw_config *cfg, sw_record_sizes *sizes);

/* The sizes of what `result` holds: the planned ones with E = history.epochs and
 * R = grad_records (arrays are written up to these, from their start). */
void sw_record_sizes_recorded(const sw_config *cfg, const sw_run_result *result,
                              sw_record_sizes *sizes);

/* The sizes of the file of a run of `cfg` that completed `epochs` epochs (0..train.epochs):
 * the planned ones with E = epochs and R = the gradient records made in those epochs
 * (every grad_every-th and the last planned). A run that diverged before its first record
 * makes one more at its best epoch (train.c), which a reader allows beside R = 0. */
void sw_record_sizes_of_run(const sw_config *cfg, int epochs, sw_record_sizes *sizes);

/* "E", "R", ... and a few words on the size ("epochs completed"). */
const char *sw_record_size_symbol(sw_record_size size);
const char *sw_record_size_meaning(sw_record_size size);

typedef enum {
    SW_REC_DATASET,   /* an array */
    SW_REC_SCALE,     /* an array that is a dimension scale (coordinate) of its group */
    SW_REC_ATTRIBUTE, /* a scalar attribute of the parent group */
    SW_REC_WEIGHTS,   /* a group of the N parameters, tensor by tensor (model.h's table) */
    SW_REC_KIND_COUNT
} sw_record_kind;

/* Element type: the file's type and the type in memory. */
typedef enum {
    SW_REC_F64,  /* float64; double */
    SW_REC_F32,  /* float32; float */
    SW_REC_I32,  /* int32; int32_t (int for scalar fields) */
    SW_REC_I64,  /* int64; int64_t */
    SW_REC_REAL, /* float32; sw_real (float, or double in the f64 test build) */
    SW_REC_TYPE_COUNT
} sw_record_type;

/* Where a row's values come from. */
typedef enum {
    SW_FROM_RANGE,   /* coordinate first, first+1, ...: nothing stored */
    SW_FROM_RESULT,  /* field of sw_run_result at `offset` */
    SW_FROM_HISTORY, /* field of sw_history at `offset` */
    SW_FROM_CONFIG,  /* int field of sw_config at `offset` */
    SW_FROM_SIZE,    /* the size numbered `offset` (an sw_record_size) */
    SW_FROM_COUNT
} sw_record_source;

enum {
    SW_REC_RESULTS_ONLY = 1, /* written for done and diverged runs only (not failed) */
    SW_REC_NEEDS_EPOCH = 2,  /* written as 0 / NaN when no epoch completed */
    SW_REC_ADDED = 4,        /* added to format 1 after files were written: readers take a
                                file without it (a resumed sweep keeps older run files) and
                                read NaN (0 for integers) */
    SW_REC_NEEDS_VAL = 8,    /* written only when task.val_size > 0 (so a run without a
                                validation set writes the files it always did); also ADDED,
                                so readers read NaN where it is absent */
    SW_REC_NEEDS_ATTENTION = 16, /* written only for model.cell transformer (recurrent runs
                                    write the files they always did); also ADDED */
    SW_REC_NEEDS_PERMUTE = 32,   /* written only with task.permute; also ADDED */
    SW_REC_NEEDS_TEXT = 64,      /* written only for task.kind text; also ADDED */
    SW_REC_TRAINED = 128         /* a trained network's parameters: dense floats, which
                                    shuffled and deflated shrink 1.09-1.12x, so record.compress
                                    auto stores them as they are without trying (hidden states
                                    and gradients are tried: relu's are half zeros) */
};

#define SW_RECORD_MAX_RANK 4

typedef struct {
    const char *path;           /* "/history/train_loss"; attributes: "/summary/best_epoch" */
    sw_record_kind kind;
    sw_record_type type;
    int rank;                   /* 0 for attributes */
    sw_record_size dims[SW_RECORD_MAX_RANK];
    const char *scales[SW_RECORD_MAX_RANK]; /* scale (sibling row) attached to each dim */
    sw_record_source from;
    size_t offset;
    int first;                  /* SW_FROM_RANGE: the first coordinate */
    unsigned flags;             /* SW_REC_RESULTS_ONLY | SW_REC_NEEDS_EPOCH | SW_REC_ADDED | ... */
    const char *long_name;      /* datasets and scales: their long_name attribute;
                                   attributes and weights: a description (not written) */
} sw_record_row;

/* The table, in the order the writer creates the objects (groups in the order
 * history, summary, weights, probe, gradients; scales before the arrays using them). */
extern const sw_record_row sw_record[];
extern const size_t sw_record_len;

/* Text attributes, which the numeric table above cannot hold: each row's value follows
 * from the run's config. Written after the table's rows for done, diverged and failed runs. */
typedef struct {
    const char *path;      /* "/summary/metric" */
    const char *(*value)(const sw_config *cfg);
    const char *long_name;
} sw_record_text_row;

extern const sw_record_text_row sw_record_text[];
extern const size_t sw_record_text_len;

/* The text row of `path`, or NULL. */
const sw_record_text_row *sw_record_text_find(const char *path);

/* 1 when a run of `cfg` writes the row: `full` for done and diverged runs (every row), 0
 * for failed ones (no SW_REC_RESULTS_ONLY row); SW_REC_NEEDS_VAL rows need task.val_size > 0,
 * SW_REC_NEEDS_ATTENTION rows the transformer, SW_REC_NEEDS_PERMUTE task.permute and
 * SW_REC_NEEDS_TEXT task.kind text. */
int sw_record_written(const sw_record_row *row, const sw_config *cfg, int full);

/* The /history column `name` ("val_acc") of `h` (its array, borrowed), or NULL when the
 * table has no such float64 column. */
const double *sw_history_column(const sw_history *h, const char *name);

/* The epoch (from 1) of the best value of `metric` in the first `epochs` entries of h's
 * column metric.name: the highest for SW_METRIC_MAX, the lowest for MIN, the earliest on
 * ties; NaN never counts. 0 when no entry is finite or the column is unknown. */
int sw_history_best_epoch(const sw_history *h, int epochs, sw_task_metric metric);

/* The row of `path`, or NULL. */
const sw_record_row *sw_record_find(const char *path);

/* The last component of the row's path ("train_loss"). */
const char *sw_record_name(const sw_record_row *row);

/* The group the row's object lives in ("/history"), into buf; a weights row's group is
 * its own path. */
void sw_record_group(const sw_record_row *row, char *buf, size_t buflen);

/* "float64", "float32", "int32", "int64": the type in the file. */
const char *sw_record_type_name(sw_record_type type);

/* Bytes of one element in memory / in the file. */
size_t sw_record_mem_size(sw_record_type type);
size_t sw_record_file_size(sw_record_type type);

/* Elements of the row at the given sizes (1 for attributes). */
size_t sw_record_count(const sw_record_row *row, const sw_record_sizes *sizes);

/* 1 when the row is an array owned by a result (a pointer field that sw_record_alloc
 * allocates and sw_record_free releases). */
int sw_record_is_array(const sw_record_row *row);

/* The address of the row's field in *r (history rows in r->history), or NULL when the
 * row's values do not live in a result. */
void *sw_record_field(const sw_record_row *row, sw_run_result *r);
const void *sw_record_field_const(const sw_record_row *row, const sw_run_result *r);

/* The same for a history row in a standalone sw_history (readers); NULL for other rows. */
void *sw_record_history_field(const sw_record_row *row, sw_history *h);

/* The array a pointer field holds, and storing one into it (fields are typed pointers;
 * these go through their bytes, so no type-punned lvalue is involved). */
void *sw_record_array(const void *field);
void sw_record_set_array(void *field, void *array);

/* The value of a scalar row (an attribute) for a result: its field, config key or size
 * (as a double, exact for every int); 0 or NaN for a SW_REC_NEEDS_EPOCH row when no epoch
 * completed (sizes->n[SW_SIZE_EPOCHS] == 0). */
double sw_record_value(const sw_record_row *row, const sw_config *cfg, const sw_run_result *r,
                       const sw_record_sizes *sizes);

/* Allocates every array of a result of `cfg` (zero-filled) at the planned sizes and sets
 * param_count, probe_size, history.capacity and grad_capacity. `r` must be zeroed or
 * freed. Returns SW_OK or SW_ENOMEM (what was allocated stays for sw_record_free). */
int sw_record_alloc(sw_run_result *r, const sw_config *cfg);

/* Frees every array of *r and sets the pointers to NULL; NULL-tolerant. */
void sw_record_free(sw_run_result *r);

/* Frees the history arrays of a standalone sw_history (readers); NULL-tolerant. */
void sw_record_free_history(sw_history *h);

/* Bytes a result of `cfg` allocates (the arrays at the planned sizes). */
double sw_record_memory_bytes(const sw_config *cfg);

/* Bytes of data in the datasets of a done run's file (every planned epoch and record),
 * before compression and without HDF5's own metadata: the file's size, give or take the
 * compression of the arrays that deflate shrinks by 1.3x or more (not hidden states,
 * gradients or weights, which are stored as they are) and some kilobytes. */
double sw_record_file_bytes(const sw_config *cfg);

/* Prints the table (`sweep help layout`): a legend of the sizes, then one line per row:
 * path, kind, dtype, [shape], scales (or -), meaning. */
void sw_record_print(FILE *out);

#endif
