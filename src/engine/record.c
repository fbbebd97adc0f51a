/* record.c: the run record's table and the loops every user of it shares (see record.h).
 *
 * A row's memory type and dims are also the size of what sw_record_alloc allocates, so
 * the writer can trust a non-NULL array of a result to hold sw_record_count() elements at
 * the planned sizes. */
#include "record.h"
#include "task.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "model.h"

/* Scalar int fields are read through int; the file type is int32. */
_Static_assert(sizeof(int) == sizeof(int32_t), "int is 32 bits");

const char *sw_run_status_name(sw_run_status status)
{
    static const char *names[SW_RUN_STATUS_COUNT] = {"done", "diverged", "failed", "stopped"};
    return (unsigned)status < SW_RUN_STATUS_COUNT ? names[status] : "unknown";
}

/* Sizes as the table writes them, so a row reads like docs/hdf5-layout.md's "[R, L, T]". */
#define E SW_SIZE_EPOCHS
#define R SW_SIZE_RECORDS
#define L SW_SIZE_LAYERS
#define P SW_SIZE_PROBE
#define T SW_SIZE_STEPS
#define I SW_SIZE_INPUTS
#define Y SW_SIZE_TARGETS
#define H SW_SIZE_HIDDEN
#define A SW_SIZE_HEADS
#define N SW_SIZE_PARAMS

#define RANGE(first) SW_FROM_RANGE, 0, first
#define RES(field) SW_FROM_RESULT, offsetof(sw_run_result, field), 0
#define HIST(field) SW_FROM_HISTORY, offsetof(sw_history, field), 0
#define CONF(field) SW_FROM_CONFIG, offsetof(sw_config, field), 0
#define SIZE(size) SW_FROM_SIZE, size, 0
#define ONLY SW_REC_RESULTS_ONLY
#define EPOCH SW_REC_NEEDS_EPOCH
#define ATTN (SW_REC_NEEDS_ATTENTION | SW_REC_ADDED)
#define PERM (SW_REC_NEEDS_PERMUTE | SW_REC_ADDED)
#define TEXT (SW_REC_NEEDS_TEXT | SW_REC_ADDED)
#define TRAINED SW_REC_TRAINED

/* Columns: path, kind, type, rank, dims, scales, source (from, offset, first), flags,
 * long_name. The order is the file's creation order (h5py lists members in it). */
const sw_record_row sw_record[] = {
    {"/history/epoch", SW_REC_SCALE, SW_REC_I32, 1, {E}, {NULL}, RANGE(1), 0, "epoch number (from 1)"},
    {"/history/train_loss", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(train_loss), 0,
     "mean training loss over the epoch's batches (cross-entropy; regression: mean squared error)"},
    {"/history/train_acc", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(train_acc), 0,
     "training accuracy over the predictions scored (fraction; NaN for a regression)"},
    {"/history/test_loss", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(test_loss), 0,
     "mean test loss (evaluation mode; cross-entropy, regression: mean squared error)"},
    {"/history/test_acc", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(test_acc), 0,
     "test accuracy (fraction; NaN for a regression)"},
    {"/history/lr", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(lr), 0,
     "learning rate used in the epoch"},
    {"/history/grad_norm", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(grad_norm), 0,
     "mean global gradient norm over the epoch's steps, before clipping"},
    {"/history/grad_norm_max", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(grad_norm_max),
     SW_REC_ADDED, "largest global gradient norm of the epoch's steps, before clipping"},
    {"/history/seconds", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(seconds), 0,
     "wall seconds of the epoch (training and evaluation)"},
    {"/history/val_loss", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(val_loss), SW_REC_ADDED | SW_REC_NEEDS_VAL,
     "mean validation loss (evaluation mode; cross-entropy, regression: mean squared error)"},
    {"/history/val_acc", SW_REC_DATASET, SW_REC_F64, 1, {E}, {"epoch"}, HIST(val_acc), SW_REC_ADDED | SW_REC_NEEDS_VAL,
     "validation accuracy (fraction; NaN for a regression)"},

    {"/summary/best_epoch", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, RES(best_epoch), EPOCH,
     "epoch (from 1) of the best value of the run's metric (highest test accuracy; regression: "
     "lowest test loss; with task.val_size > 0 the validation set's), earliest on ties; 0 when none"},
    {"/summary/best_metric", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, RES(best_metric),
     EPOCH | SW_REC_ADDED, "the value of the run's selection metric (attribute metric) at best_epoch; "
     "NaN when none"},
    {"/summary/best_test_acc", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, RES(best_test_acc), EPOCH,
     "test accuracy at best_epoch; NaN when no epoch completed or the task has no accuracy"},
    {"/summary/best_test_loss", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, RES(best_test_loss), EPOCH,
     "test loss at best_epoch; NaN when none"},
    {"/summary/final_test_acc", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, RES(final_test_acc), EPOCH,
     "test accuracy of the last completed epoch; NaN when none"},
    {"/summary/final_train_acc", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, RES(final_train_acc), EPOCH,
     "training accuracy of the last completed epoch; NaN when none"},
    {"/summary/param_count", SW_REC_ATTRIBUTE, SW_REC_I64, 0, {0}, {NULL}, SIZE(N), 0,
     "number of parameters"},
    {"/summary/epochs_completed", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, HIST(epochs), 0,
     "epochs completed (E)"},
    {"/summary/epochs_planned", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, CONF(train.epochs), 0,
     "train.epochs"},

    {"/task/permutation", SW_REC_DATASET, SW_REC_I32, 1, {T}, {NULL}, RES(permutation), ONLY | PERM,
     "task.permute: the step of the stored sequence (with task.sequence pixels, the pixel index row * W + col) "
     "fed at each time step; the same for every run of task.permute_seed"},
    {"/task/vocabulary", SW_REC_DATASET, SW_REC_I32, 1, {I}, {NULL}, RES(vocabulary), ONLY | TEXT,
     "task.kind text: the characters of the text in ascending order, the order of the one-hot inputs and of "
     "the outputs: Unicode code points (utf8 = 1) or byte values (utf8 = 0)"},
    {"/task/utf8", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, CONF(task.text_utf8), ONLY | TEXT,
     "1 when the text is UTF-8 (vocabulary holds code points), 0 when it was read as bytes"},
    {"/task/unigram_entropy", SW_REC_ATTRIBUTE, SW_REC_F64, 0, {0}, {NULL}, CONF(task.text_unigram), ONLY | TEXT,
     "entropy of the text's character frequencies in nats per character: the loss of predicting those "
     "frequencies at every step, the baseline of the losses (divide by ln 2 for bits per character)"},

    {"/weights/final/epoch", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, HIST(epochs), ONLY,
     "the epoch of the final weights (the last completed; 0 when none)"},
    {"/weights/final", SW_REC_WEIGHTS, SW_REC_REAL, 1, {N}, {NULL}, RES(weights_final), ONLY | TRAINED,
     "parameters after the last completed epoch, PyTorch state-dict names and shapes"},
    {"/weights/best/epoch", SW_REC_ATTRIBUTE, SW_REC_I32, 0, {0}, {NULL}, RES(best_epoch), ONLY,
     "the epoch of the best weights (0: the initial weights)"},
    {"/weights/best", SW_REC_WEIGHTS, SW_REC_REAL, 1, {N}, {NULL}, RES(weights_best), ONLY | TRAINED,
     "parameters at the end of the best epoch, PyTorch state-dict names and shapes"},

    {"/probe/layer", SW_REC_SCALE, SW_REC_I32, 1, {L}, {NULL}, RANGE(0), ONLY,
     "recurrent layer (0 = nearest the input)"},
    {"/probe/sample", SW_REC_SCALE, SW_REC_I32, 1, {P}, {NULL}, RANGE(0), ONLY, "probe sequence"},
    {"/probe/time", SW_REC_SCALE, SW_REC_I32, 1, {T}, {NULL}, RANGE(0), ONLY, "time step (0 = first)"},
    {"/probe/feature", SW_REC_SCALE, SW_REC_I32, 1, {I}, {NULL}, RANGE(0), ONLY, "input feature"},
    {"/probe/unit", SW_REC_SCALE, SW_REC_I32, 1, {H}, {NULL}, RANGE(0), ONLY, "hidden unit"},
    {"/probe/target", SW_REC_SCALE, SW_REC_I32, 1, {Y}, {NULL}, RANGE(0), ONLY | SW_REC_ADDED,
     "target index: 0 (one value or class at the last step), the regression output k, or the time step"},
    {"/probe/inputs", SW_REC_DATASET, SW_REC_F32, 3, {P, T, I}, {"sample", "time", "feature"},
     RES(probe_inputs), ONLY,
     "probe input sequences, drawn from the test distribution with their own stream"},
    {"/probe/labels", SW_REC_DATASET, SW_REC_I32, 1, {P}, {"sample"}, RES(probe_labels), ONLY,
     "class of each probe sequence (a last-step classifier's; -1 for other tasks)"},
    {"/probe/targets", SW_REC_DATASET, SW_REC_F32, 2, {P, Y}, {"sample", "target"}, RES(probe_targets),
     ONLY | SW_REC_ADDED, "the task's target of each probe sequence: the class or the K values at "
     "the last step, or the class at each step (Y = 1, K or T)"},
    {"/probe/hidden_final", SW_REC_DATASET, SW_REC_F32, 4, {L, P, T, H}, {"layer", "sample", "time", "unit"},
     RES(hidden_final), ONLY, "hidden state h_t of every layer, evaluation mode, final weights"},
    {"/probe/hidden_best", SW_REC_DATASET, SW_REC_F32, 4, {L, P, T, H}, {"layer", "sample", "time", "unit"},
     RES(hidden_best), ONLY, "hidden state h_t of every layer, evaluation mode, best weights"},
    {"/probe/head", SW_REC_SCALE, SW_REC_I32, 1, {A}, {NULL}, RANGE(0), ONLY | ATTN, "attention head"},
    {"/probe/key", SW_REC_SCALE, SW_REC_I32, 1, {T}, {NULL}, RANGE(0), ONLY | ATTN,
     "time step attended to (0 = first)"},
    {"/probe/attention_final", SW_REC_DATASET, SW_REC_F32, 4, {L, A, T, T}, {"layer", "head", "time", "key"},
     RES(attention_final), ONLY | ATTN, "attention weight of step time on step key (softmax, causal: 0 for "
     "key > time), mean over the probe sequences, evaluation mode, final weights"},
    {"/probe/attention_best", SW_REC_DATASET, SW_REC_F32, 4, {L, A, T, T}, {"layer", "head", "time", "key"},
     RES(attention_best), ONLY | ATTN, "attention weights as attention_final, best weights"},

    {"/gradients/epoch", SW_REC_SCALE, SW_REC_I32, 1, {R}, {NULL}, RES(grad_epoch), ONLY,
     "epoch at whose end the gradients were recorded (from 1; 0: the initial weights of a run "
     "that diverged in epoch 1)"},
    {"/gradients/layer", SW_REC_SCALE, SW_REC_I32, 1, {L}, {NULL}, RANGE(0), ONLY,
     "recurrent layer (0 = nearest the input)"},
    {"/gradients/time", SW_REC_SCALE, SW_REC_I32, 1, {T}, {NULL}, RANGE(0), ONLY, "time step (0 = first)"},
    {"/gradients/unit", SW_REC_SCALE, SW_REC_I32, 1, {H}, {NULL}, RANGE(0), ONLY, "hidden unit"},
    {"/gradients/dloss_dh_norm", SW_REC_DATASET, SW_REC_F32, 3, {R, L, T}, {"epoch", "layer", "time"},
     RES(dloss_dh_norm), ONLY,
     "(1/P) sum_b ||d l_b / d h_t||_2, total derivative, evaluation mode, probe set"},
    {"/gradients/dloss_dh", SW_REC_DATASET, SW_REC_F32, 4, {R, L, T, H}, {"epoch", "layer", "time", "unit"},
     RES(dloss_dh), ONLY, "(1/P) sum_b d l_b / d h_t, total derivative, evaluation mode, probe set"},
    {"/gradients/dloss_dx_norm", SW_REC_DATASET, SW_REC_F32, 2, {R, T}, {"epoch", "time"}, RES(dloss_dx_norm),
     ONLY | SW_REC_ADDED, "(1/P) sum_b ||d l_b / d x_t||_2, the gradient reaching the input at step t (total "
     "derivative, evaluation mode, probe set): every cell's, the transformer's included"},
    {"/gradients/dW_hh_norm", SW_REC_DATASET, SW_REC_F32, 3, {R, L, T}, {"epoch", "layer", "time"},
     RES(dW_hh_norm), ONLY, "Frobenius norm of time step t's term of d(mean_b l_b)/dW_hh"},
};
const size_t sw_record_len = SW_ARRAY_LEN(sw_record);

#undef E
#undef R
#undef L
#undef P
#undef T
#undef I
#undef Y
#undef H
#undef A
#undef N
#undef RANGE
#undef RES
#undef HIST
#undef CONF
#undef SIZE
#undef ONLY
#undef EPOCH
#undef ATTN
#undef PERM
#undef TEXT
#undef TRAINED

static const char *metric_name(const sw_config *cfg) { return sw_task_metric_of(&cfg->task).name; }
static const char *metric_mode(const sw_config *cfg) { return sw_metric_mode_name(sw_task_metric_of(&cfg->task).mode); }

const sw_record_text_row sw_record_text[] = {
    {"/summary/metric", metric_name, "what best_epoch is chosen by: test_acc or test_loss; with task.val_size > 0, "
     "val_acc or val_loss"},
    {"/summary/metric_mode", metric_mode, "max or min: whether a higher or a lower metric is better"},
};
const size_t sw_record_text_len = SW_ARRAY_LEN(sw_record_text);

const sw_record_text_row *sw_record_text_find(const char *path)
{
    for (size_t i = 0; path && i < sw_record_text_len; i++)
        if (!strcmp(sw_record_text[i].path, path)) return &sw_record_text[i];
    return NULL;
}

/* ---- sizes ----------------------------------------------------------------------------- */

static const struct {
    const char *symbol, *meaning;
} size_info[SW_SIZE_COUNT] = {
    [SW_SIZE_EPOCHS] = {"E", "epochs completed"},
    [SW_SIZE_RECORDS] = {"R", "gradient records"},
    [SW_SIZE_LAYERS] = {"L", "layers (model.layers)"},
    [SW_SIZE_PROBE] = {"P", "probe sequences (record.probe_size)"},
    [SW_SIZE_STEPS] = {"T", "time steps per sequence (task.seq_len; copy: seq_len + 20)"},
    [SW_SIZE_INPUTS] = {"I", "input features (task.input_size)"},
    [SW_SIZE_TARGETS] = {"Y", "targets per sequence (1, the K values, or T)"},
    [SW_SIZE_HIDDEN] = {"H", "hidden units (model.hidden)"},
    [SW_SIZE_HEADS] = {"A", "attention heads (model.heads; transformer only)"},
    [SW_SIZE_PARAMS] = {"N", "parameters"},
};

const char *sw_record_size_symbol(sw_record_size size)
{
    return (unsigned)size < SW_SIZE_COUNT ? size_info[size].symbol : "?";
}

const char *sw_record_size_meaning(sw_record_size size)
{
    return (unsigned)size < SW_SIZE_COUNT ? size_info[size].meaning : "?";
}

void sw_record_sizes_planned(const sw_config *cfg, sw_record_sizes *s)
{
    int E = cfg->train.epochs, every = cfg->record.grad_every;
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    s->n[SW_SIZE_EPOCHS] = E;
    /* Gradients are recorded at the end of every grad_every-th epoch and of the last. */
    s->n[SW_SIZE_RECORDS] = every > 0 ? E / every + (E % every != 0) : E;
    s->n[SW_SIZE_LAYERS] = cfg->model.layers;
    s->n[SW_SIZE_PROBE] = cfg->record.probe_size;
    sw_task_layout lay = sw_task_layout_of(&cfg->task);
    s->n[SW_SIZE_STEPS] = lay.steps;
    s->n[SW_SIZE_INPUTS] = lay.input;
    s->n[SW_SIZE_TARGETS] = lay.target == SW_TARGET_VALUE_LAST ? lay.outputs
                            : lay.target == SW_TARGET_CLASS_STEPS ? lay.steps : 1;
    s->n[SW_SIZE_HIDDEN] = cfg->model.hidden;
    s->n[SW_SIZE_HEADS] = cfg->model.cell == SW_CELL_TRANSFORMER ? cfg->model.heads : 0;
    s->n[SW_SIZE_PARAMS] = (long long)sw_param_count(&shape);
}

void sw_record_sizes_of_run(const sw_config *cfg, int epochs, sw_record_sizes *s)
{
    sw_record_sizes_planned(cfg, s);
    int every = cfg->record.grad_every > 0 ? cfg->record.grad_every : 1;
    s->n[SW_SIZE_EPOCHS] = epochs;
    s->n[SW_SIZE_RECORDS] = epochs / every + (epochs == cfg->train.epochs && epochs % every != 0);
}

void sw_record_sizes_recorded(const sw_config *cfg, const sw_run_result *r, sw_record_sizes *s)
{
    sw_record_sizes_planned(cfg, s);
    s->n[SW_SIZE_EPOCHS] = r->history.epochs;
    s->n[SW_SIZE_RECORDS] = r->grad_records;
}

/* ---- rows ------------------------------------------------------------------------------ */

const sw_record_row *sw_record_find(const char *path)
{
    if (!path) return NULL;
    for (size_t i = 0; i < sw_record_len; i++)
        if (strcmp(sw_record[i].path, path) == 0) return &sw_record[i];
    return NULL;
}

const char *sw_record_name(const sw_record_row *row)
{
    return strrchr(row->path, '/') + 1;
}

void sw_record_group(const sw_record_row *row, char *buf, size_t buflen)
{
    size_t n = row->kind == SW_REC_WEIGHTS ? strlen(row->path) : (size_t)(strrchr(row->path, '/') - row->path);
    if (n == 0) n = 1; /* the root */
    snprintf(buf, buflen, "%.*s", (int)n, row->path);
}

static const struct {
    const char *name;
    size_t mem, file;
} type_info[SW_REC_TYPE_COUNT] = {
    [SW_REC_F64] = {"float64", sizeof(double), 8},
    [SW_REC_F32] = {"float32", sizeof(float), 4},
    [SW_REC_I32] = {"int32", sizeof(int32_t), 4},
    [SW_REC_I64] = {"int64", sizeof(int64_t), 8},
    [SW_REC_REAL] = {"float32", sizeof(sw_real), 4},
};

const char *sw_record_type_name(sw_record_type type)
{
    return (unsigned)type < SW_REC_TYPE_COUNT ? type_info[type].name : "?";
}

size_t sw_record_mem_size(sw_record_type type)
{
    SW_ASSERT((unsigned)type < SW_REC_TYPE_COUNT);
    return type_info[type].mem;
}

size_t sw_record_file_size(sw_record_type type)
{
    SW_ASSERT((unsigned)type < SW_REC_TYPE_COUNT);
    return type_info[type].file;
}

size_t sw_record_count(const sw_record_row *row, const sw_record_sizes *s)
{
    size_t n = 1;
    for (int i = 0; i < row->rank; i++) n *= (size_t)s->n[row->dims[i]];
    return n;
}

int sw_record_is_array(const sw_record_row *row)
{
    return row->kind != SW_REC_ATTRIBUTE && (row->from == SW_FROM_RESULT || row->from == SW_FROM_HISTORY);
}

void *sw_record_field(const sw_record_row *row, sw_run_result *r)
{
    if (row->from == SW_FROM_RESULT) return (char *)r + row->offset;
    if (row->from == SW_FROM_HISTORY) return (char *)&r->history + row->offset;
    return NULL;
}

const void *sw_record_field_const(const sw_record_row *row, const sw_run_result *r)
{
    return sw_record_field(row, (sw_run_result *)r);
}

void *sw_record_history_field(const sw_record_row *row, sw_history *h)
{
    return row->from == SW_FROM_HISTORY ? (char *)h + row->offset : NULL;
}

void *sw_record_array(const void *field)
{
    void *p;
    memcpy(&p, field, sizeof p);
    return p;
}

void sw_record_set_array(void *field, void *array)
{
    memcpy(field, &array, sizeof array);
}

double sw_record_value(const sw_record_row *row, const sw_config *cfg, const sw_run_result *r,
                       const sw_record_sizes *s)
{
    SW_ASSERT(row->type == SW_REC_F64 || row->type == SW_REC_I32 || row->type == SW_REC_I64);
    int is_float = row->type == SW_REC_F64;
    if ((row->flags & SW_REC_NEEDS_EPOCH) && s->n[SW_SIZE_EPOCHS] == 0) return is_float ? NAN : 0;
    const void *field = NULL;
    switch (row->from) {
    case SW_FROM_SIZE: return (double)s->n[row->offset];
    case SW_FROM_CONFIG: field = (const char *)cfg + row->offset; break;
    case SW_FROM_RESULT:
    case SW_FROM_HISTORY: field = sw_record_field_const(row, r); break;
    default: SW_ASSERT(!"a scalar row without a value");
    }
    /* Scalar fields are double (F64) or int (I32); int64 values are sizes. */
    SW_ASSERT(row->type != SW_REC_I64);
    return is_float ? *(const double *)field : (double)*(const int *)field;
}

/* ---- allocation and estimates ------------------------------------------------------------ */

int sw_record_alloc(sw_run_result *r, const sw_config *cfg)
{
    sw_record_sizes s;
    sw_record_sizes_planned(cfg, &s);
    r->history.capacity = (int)s.n[SW_SIZE_EPOCHS];
    r->grad_capacity = (int)s.n[SW_SIZE_RECORDS];
    r->probe_size = (int)s.n[SW_SIZE_PROBE];
    r->param_count = (size_t)s.n[SW_SIZE_PARAMS];
    int rc = SW_OK;
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row)) continue;
        size_t n = sw_record_count(row, &s);
        size_t bytes = (n ? n : 1) * sw_record_mem_size(row->type);
        /* a large array on huge pages (common.h); the small ones from the heap, where
         * calloc skips zeroing what is fresh */
        void *a = bytes >= SW_LARGE_BYTES ? sw_calloc_large(bytes) : calloc(1, bytes);
        if (!a) rc = SW_ENOMEM;
        sw_record_set_array(sw_record_field(row, r), a);
    }
    return rc;
}

void sw_record_free(sw_run_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row)) continue;
        void *field = sw_record_field(row, r);
        sw_free_large(sw_record_array(field)); /* large or from the heap */
        sw_record_set_array(field, NULL);
    }
}

void sw_record_free_history(sw_history *h)
{
    if (!h) return;
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row) || row->from != SW_FROM_HISTORY) continue;
        void *field = sw_record_history_field(row, h);
        sw_free_large(sw_record_array(field)); /* large or from the heap */
        sw_record_set_array(field, NULL);
    }
}

double sw_record_memory_bytes(const sw_config *cfg)
{
    sw_record_sizes s;
    sw_record_sizes_planned(cfg, &s);
    double bytes = 0;
    for (size_t i = 0; i < sw_record_len; i++)
        if (sw_record_is_array(&sw_record[i])) {
            /* as sw_record_alloc takes them: the large ones in whole huge pages */
            double n = (double)sw_record_count(&sw_record[i], &s) * (double)sw_record_mem_size(sw_record[i].type);
            bytes += n >= (double)SW_LARGE_BYTES ? sw_alloc_large_bytes_of(n) : n;
        }
    return bytes;
}

double sw_record_file_bytes(const sw_config *cfg)
{
    sw_record_sizes s;
    sw_record_sizes_planned(cfg, &s);
    double bytes = 0;
    for (size_t i = 0; i < sw_record_len; i++)
        if (sw_record[i].kind != SW_REC_ATTRIBUTE && sw_record_written(&sw_record[i], cfg, 1))
            bytes += (double)sw_record_count(&sw_record[i], &s) * (double)sw_record_file_size(sw_record[i].type);
    return bytes;
}

/* ---- printing ------------------------------------------------------------------------------ */

static const char *const kind_names[SW_REC_KIND_COUNT] = {"dataset", "scale", "attribute", "weights"};

void sw_record_print(FILE *out)
{
    fprintf(out, "What a run file records besides its root attributes and /config (docs/hdf5-layout.md);\n"
                 "a failed run's file has /history and /summary only. Shapes are in the run's sizes:\n");
    for (int s = 0; s < SW_SIZE_COUNT; s++) fprintf(out, "  %s  %s\n", size_info[s].symbol, size_info[s].meaning);
    fprintf(out, "\n%-28s %-9s %-7s %-9s %-23s %s\n", "path", "kind", "dtype", "shape", "scales", "meaning");
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        char shape[64] = "[", scales[128] = "";
        size_t used = 1;
        for (int d = 0; d < row->rank; d++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%s", d ? "," : "",
                                     size_info[row->dims[d]].symbol);
        snprintf(shape + used, sizeof shape - used, "]");
        used = 0;
        for (int d = 0; d < row->rank && row->scales[d]; d++)
            used += (size_t)snprintf(scales + used, sizeof scales - used, "%s%s", d ? "," : "", row->scales[d]);
        fprintf(out, "%-28s %-9s %-7s %-9s %-23s %s%s\n", row->path, kind_names[row->kind],
                sw_record_type_name(row->type), shape, scales[0] ? scales : "-", row->long_name,
                row->flags & SW_REC_NEEDS_VAL ? " (added later: written only with task.val_size > 0)"
                : row->flags & SW_REC_NEEDS_ATTENTION ? " (added later: written only with model.cell transformer)"
                : row->flags & SW_REC_NEEDS_PERMUTE ? " (added later: written only with task.permute)"
                : row->flags & SW_REC_NEEDS_TEXT ? " (added later: written only for task.kind text)"
                : row->flags & SW_REC_ADDED ? " (added later: absent from older files)" : "");
    }
}

int sw_record_written(const sw_record_row *row, const sw_config *cfg, int full)
{
    if (!full && (row->flags & SW_REC_RESULTS_ONLY)) return 0;
    if ((row->flags & SW_REC_NEEDS_ATTENTION) && cfg->model.cell != SW_CELL_TRANSFORMER) return 0;
    if ((row->flags & SW_REC_NEEDS_PERMUTE) && !cfg->task.permute) return 0;
    if ((row->flags & SW_REC_NEEDS_TEXT) && cfg->task.kind != SW_TASK_TEXT) return 0;
    return !(row->flags & SW_REC_NEEDS_VAL) || cfg->task.val_size > 0;
}

const double *sw_history_column(const sw_history *h, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/history/%s", name ? name : "");
    const sw_record_row *row = sw_record_find(path);
    if (!row || row->from != SW_FROM_HISTORY || row->type != SW_REC_F64) return NULL;
    return sw_record_array((const char *)h + row->offset);
}

int sw_history_best_epoch(const sw_history *h, int epochs, sw_task_metric metric)
{
    const double *v = sw_history_column(h, metric.name);
    int best = 0;
    for (int e = 0; v && e < epochs; e++) {
        if (!isfinite(v[e])) continue;
        if (best == 0 || (metric.mode == SW_METRIC_MIN ? v[e] < v[best - 1] : v[e] > v[best - 1])) best = e + 1;
    }
    return best;
}
