/* train.c: one run, start to finish: data, initialisation, the training step, evaluation,
 * and everything recorded along the way (see train.h for the contract).
 *
 * The training step (train_step below): forward with fresh dropout masks, backward of
 * the mean cross-entropy, global gradient norm, optional clipping, optimizer update,
 * repacking of the transposed weights. Everything is allocated before the first epoch. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "model.h"
#include "optim.h"
#include "record.h"
#include "rng.h"
#include "task.h"

/* What an epoch's training steps add up (and the seconds it has taken, when a resumed
 * state carries its first part). Part of a state taken inside an epoch. */
typedef struct {
    double loss_sum, norm_sum, norm_max, seconds;
    int64_t seen, right;
} epoch_sums;

/* Everything a run owns while it trains; released in one place. */
typedef struct {
    sw_model_shape shape;
    size_t n;                      /* parameter count */
    sw_real *flat;                 /* params | grads, 2n values */
    sw_params params, grads;
    sw_optimizer opt;
    sw_task_data data;             /* train, val (n == 0 without one), test, probe */
    sw_model_work *work;
    int *order;                    /* (train_size) batch-order permutation */
    int order_pos;
    /* The epoch under way: what its training steps added up so far, and where a resumed
     * state left it (start_epoch, start_step: the run's first step; 1, 0 from the start), and
     * the last state the run has on disk (saved_epoch, saved_step: E, S; the resumed one, or
     * 0, 0 for none) so that a stop does not write the same state twice. */
    epoch_sums sums;
    double t_epoch;                /* sw_now() when the epoch (or its resumption) began */
    int start_epoch, start_step;
    int saved_epoch, saved_step;
    int *batch_index;              /* (max_batch) */
    int32_t *batch_labels;         /* (max_batch) or, per-step targets, (max_batch,T) */
    float *batch_values;           /* regression targets (max_batch,K) */
    double *step_norms;            /* (L,T) */
    sw_rng batch_rng, dropout_rng;
    const sw_train_hooks *hooks;   /* may be NULL */
    double t_start;                /* sw_now() when sw_train_run started */
    double seconds_before;         /* wall seconds of the work before a resumed state */
    /* Threads of the passes (hooks->threads): 1 or `allowed`, whichever full training
     * steps took less wall time on (sec[0], sec[1]: moving averages, 0 until measured);
     * the other choice is tried again after about PROBE_EVERY of its own step times. */
    struct {
        int allowed, use_many;
        double sec[2], since_probe;
    } tune;
} run_state;

static void run_state_free(run_state *st)
{
    free(st->flat);
    sw_optimizer_free(&st->opt);
    sw_task_data_free(&st->data);
    sw_model_work_free(st->work);
    free(st->order);
    free(st->batch_index);
    free(st->batch_labels);
    free(st->batch_values);
    free(st->step_norms);
    memset(st, 0, sizeof *st);
}

void sw_run_result_free(sw_run_result *r)
{
    if (!r) return;
    sw_record_free(r);
    memset(r, 0, sizeof *r);
}

/* Next training index: a lazy Fisher-Yates shuffle that is restarted at every epoch, so
 * an epoch's samples are drawn without replacement (and a full pass sees each once). */
static int next_index(run_state *st)
{
    int N = st->data.train.n;
    if (st->order_pos == N) st->order_pos = 0;
    int i = st->order_pos;
    int j = i + (int)sw_rng_below(&st->batch_rng, (uint32_t)(N - i));
    int tmp = st->order[i];
    st->order[i] = st->order[j];
    st->order[j] = tmp;
    st->order_pos++;
    return st->order[i];
}

static void restart_order(run_state *st)
{
    for (int i = 0; i < st->data.train.n; i++) st->order[i] = i;
    st->order_pos = 0;
}

/* The targets of rows index[0..B) of `d`, batch-first in the run's batch buffers. */
static sw_targets gather_targets(run_state *st, const sw_dataset *d, const int *index, int B)
{
    sw_targets y = {NULL, NULL};
    if (d->target == SW_TARGET_VALUE_LAST) {
        int K = d->outputs;
        for (int b = 0; b < B; b++)
            memcpy(st->batch_values + (size_t)b * K, d->v + (size_t)index[b] * K, (size_t)K * sizeof(float));
        y.values = st->batch_values;
    } else {
        size_t per = d->target == SW_TARGET_CLASS_STEPS ? (size_t)d->seq_len : 1;
        for (int b = 0; b < B; b++)
            memcpy(st->batch_labels + (size_t)b * per, d->y + (size_t)index[b] * per, per * sizeof(int32_t));
        y.labels = st->batch_labels;
    }
    return y;
}

/* Fraction of correct predictions among those scored in `sequences` sequences; NaN for a
 * regression, which has none. */
static double accuracy_of(const run_state *st, long correct, long sequences)
{
    int per = sw_model_scored_steps(&st->shape, st->work->seq_len);
    return per > 0 ? (double)correct / ((double)sequences * per) : NAN;
}

/* A choice of thread count is tried again after this many of its step times have gone to
 * the other: at most about 2% of the time goes to the slower choice. */
#define PROBE_EVERY 50

/* Before a pass: the threads the hooks allow now (one without hooks), or one when the
 * training steps have measured one faster (see run_state.tune). For a training step
 * (`step`), also picks the choice to measure. */
static void take_threads(run_state *st, int step)
{
    const sw_train_hooks *h = st->hooks;
    int n = h && h->threads ? h->threads(h->threads_ctx) : 1;
    n = n > 1 ? n : 1;
    if (n == 1 || h->threads_exact) {
        st->work->threads = n;
        return;
    }
    if (n != st->tune.allowed) { /* a new count: measure it afresh */
        st->tune.allowed = n;
        st->tune.sec[1] = st->tune.since_probe = 0;
        st->tune.use_many = 1;
    } else if (step) {
        const double *sec = st->tune.sec;
        if (sec[0] == 0 || sec[1] == 0) { /* measure each once */
            st->tune.use_many = sec[1] == 0;
        } else {
            int best = sec[1] < sec[0], other = !best;
            st->tune.use_many = st->tune.since_probe >= PROBE_EVERY * sec[other] ? other : best;
            if (st->tune.use_many == other) st->tune.since_probe = 0;
        }
    }
    st->work->threads = st->tune.use_many ? n : 1;
}

/* After a full training step of `seconds` on the chosen thread count. */
static void tell_step_time(run_state *st, double seconds)
{
    if (st->tune.allowed <= 1) return;
    double *sec = &st->tune.sec[st->tune.use_many];
    *sec = *sec > 0 ? 0.7 * *sec + 0.3 * seconds : seconds;
    st->tune.since_probe += seconds;
}

/* One optimizer step on batch `index[0..B)`. Returns the summed loss (NaN/Inf when the
 * run diverged: the update is then skipped), and the gradient norm before clipping. */
static double train_step(run_state *st, const sw_config *cfg, int *index, int B, double lr,
                         int *correct, double *grad_norm)
{
    sw_model_work *w = st->work;
    sw_real *grad_flat = st->flat + st->n;
    sw_targets y = gather_targets(st, &st->data.train, index, B);
    take_threads(st, 1);
    sw_model_load_input(w, st->data.train.x, st->data.train.steps, index, B);
    int dropout = cfg->model.dropout > 0;
    if (dropout) sw_model_sample_dropout(w, &st->dropout_rng, B, cfg->model.dropout);
    double loss = sw_model_forward(w, &st->params, &y, dropout, correct, NULL);
    if (!isfinite(loss)) return loss;
    memset(grad_flat, 0, st->n * sizeof(sw_real));
    sw_model_backward(w, &st->params, &st->grads, &y, NULL);
    double norm = sw_global_norm(grad_flat, st->n);
    *grad_norm = norm;
    if (!isfinite(norm)) return NAN;
    if (cfg->train.clip > 0 && norm > cfg->train.clip) {
        sw_real scale = (sw_real)(cfg->train.clip / (norm + 1e-6)); /* torch clip_grad_norm_ */
        for (size_t i = 0; i < st->n; i++) grad_flat[i] *= scale;
    }
    sw_optimizer_step(&st->opt, &cfg->train, st->flat, grad_flat, lr);
    sw_model_pack(w, &st->params);
    return loss;
}

/* True when hooks->stop asks the run to stop (a signal, Ctrl-C): read before every
 * training step and every evaluation chunk. */
static bool stop_requested(const run_state *st)
{
    return st->hooks && st->hooks->stop && atomic_load(st->hooks->stop);
}

/* Mean loss and accuracy over a dataset, in evaluation mode (no dropout). With
 * `interruptible`, gives up between two chunks when the run is asked to stop and returns
 * false (nothing computed is kept: the evaluation is redone whole on resumption). */
static bool evaluate(run_state *st, const sw_dataset *d, bool interruptible, double *mean_loss, double *accuracy)
{
    sw_model_work *w = st->work;
    double total = 0;
    long right = 0;
    int chunk = w->max_batch;
    int *index = st->batch_index;
    take_threads(st, 0);
    for (int start = 0; start < d->n; start += chunk) {
        if (interruptible && stop_requested(st)) return false;
        int B = d->n - start < chunk ? d->n - start : chunk;
        for (int b = 0; b < B; b++) index[b] = start + b;
        sw_model_load_input(w, d->x, d->steps, index, B);
        int correct = 0;
        sw_targets y = gather_targets(st, d, index, B);
        total += sw_model_forward(w, &st->params, &y, 0, &correct, NULL);
        right += correct;
    }
    *mean_loss = total / d->n;
    *accuracy = accuracy_of(st, right, d->n);
    return true;
}

/* Forward of the probe set in evaluation mode; copies every layer's h_t into hidden
 * (L,P,T,H). The work's time-major (T,P,H) caches are transposed to batch-first here. A
 * transformer's attention weights, averaged over the probe sequences, go to attention
 * (L,A,T,T) when it is not NULL. */
static void probe_forward(run_state *st, float *hidden, float *attention)
{
    sw_model_work *w = st->work;
    const sw_dataset *p = &st->data.probe;
    int T = p->seq_len, P = p->n, H = st->shape.hidden;
    take_threads(st, 0);
    sw_model_load_input(w, p->x, p->steps, NULL, P);
    for (int b = 0; b < P; b++) st->batch_index[b] = b;
    sw_targets y = gather_targets(st, p, st->batch_index, P);
    sw_model_forward(w, &st->params, &y, 0, NULL, NULL);
    if (attention && st->shape.cell == SW_CELL_TRANSFORMER) {
        size_t per = (size_t)st->shape.heads * T * T; /* one sequence's (A,T,T) */
        for (int l = 0; l < st->shape.layers; l++) {
            const sw_real *att = w->tf->att[l];
            float *out = attention + (size_t)l * per;
            for (size_t i = 0; i < per; i++) out[i] = 0;
            for (int b = 0; b < P; b++) /* sequence by sequence: each one's (A,T,T) is contiguous */
                for (size_t i = 0; i < per; i++) out[i] += (float)att[(size_t)b * per + i];
            for (size_t i = 0; i < per; i++) out[i] /= (float)P;
        }
    }
    if (!hidden) return;
    for (int l = 0; l < st->shape.layers; l++)
        for (int b = 0; b < P; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    hidden[(((size_t)l * P + b) * T + t) * H + j] =
                        (float)w->h[l][((size_t)t * P + b) * H + j];
}

/* sum over the P rows of v (P,n) of each row's L2 norm: (1/P) sum_b ||d l_b / d .|| when v
 * is a gradient of the mean loss over the P sequences. */
static double sum_of_row_norms(const sw_real *v, int P, int n)
{
    enum { ROWS = 8 };
    double sum = 0;
    int b = 0;
    /* Each row's sum of squares is one chain of dependent additions, in the order of its
     * elements: ROWS rows' chains run side by side, each in that order, so every sum is what
     * it was alone (this pass took 1% of a reference run). */
    for (; b + ROWS <= P; b += ROWS) {
        double sq[ROWS];
        sw_sum_squares_side(sq, v + (size_t)b * n, (size_t)n, (size_t)n, ROWS);
        for (int r = 0; r < ROWS; r++) sum += sqrt(sq[r]);
    }
    for (; b < P; b++) sum += sqrt(sw_sum_squares(v + (size_t)b * n, (size_t)n));
    return sum;
}

/* out (n) = sum over the P rows of v (P,n), row after row in float. The pointers do not
 * alias (restrict), so the columns are summed in vector registers. */
static void sum_rows(float *restrict out, const sw_real *restrict v, int P, int n)
{
    for (int j = 0; j < n; j++) out[j] = 0;
    for (int b = 0; b < P; b++)
        for (int j = 0; j < n; j++) out[j] += (float)v[(size_t)b * n + j];
}

/* Per-timestep gradients on the probe set with the current weights, into record r. */
static void record_gradients(run_state *st, sw_run_result *res, int r, int epoch)
{
    sw_model_work *w = st->work;
    int T = st->data.probe.seq_len, P = st->data.probe.n, H = st->shape.hidden, L = st->shape.layers;
    probe_forward(st, NULL, NULL);
    /* The parameter gradients are not needed: accumulate them into the grads buffer,
     * which the next training step zeroes anyway. Only this pass keeps d loss / d h_t. */
    w->record_dh = 1;
    sw_model_backward(w, &st->params, &st->grads, NULL, st->step_norms);
    w->record_dh = 0;
    res->grad_epoch[r] = epoch;
    /* dh_total is d(mean_b l_b)/dh = (1/P) d l_b/dh, so sums over b give the contract's
     * (1/P) sum_b quantities directly. */
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            const sw_real *dh = w->dh_total[l] + (size_t)t * P * H;
            sum_rows(res->dloss_dh + (((size_t)r * L + l) * T + t) * H, dh, P, H);
            res->dloss_dh_norm[((size_t)r * L + l) * T + t] = (float)sum_of_row_norms(dh, P, H);
            res->dW_hh_norm[((size_t)r * L + l) * T + t] = (float)st->step_norms[(size_t)l * T + t];
        }
    int I = st->shape.input;
    for (int t = 0; t < T; t++)
        res->dloss_dx_norm[(size_t)r * T + t] = (float)sum_of_row_norms(w->dx_total + (size_t)t * P * I, P, I);
    res->grad_records = r + 1;
}

static int fail(sw_run_result *res, int code, const char *what)
{
    res->status = SW_RUN_FAILED;
    snprintf(res->error, sizeof res->error, "%s: %s", what, sw_strerror(code));
    return code;
}

/* Subnormal floats (below 1.2e-38) cost x86 cores about a hundred times a normal operation,
 * and a vanishing gradient is exactly a stream of them: a vanilla RNN at T=500 trained 15x
 * slower with them. Flushing them to zero (FTZ, DAZ) changes only values that small. The
 * mode is per thread, so it is set for the run and restored after it. */
static unsigned flush_subnormals(void)
{
#if defined(__SSE__)
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
#else
    return 0;
#endif
}

static void restore_float_mode(unsigned old)
{
#if defined(__SSE__)
    _mm_setcsr(old);
#else
    (void)old;
#endif
}

/* The run's sets (task.h's sw_task_data_make): generated from the seed, or taken from the
 * data file or text the hooks hand over. */
static int load_data(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks)
{
    sw_task_source src = {hooks ? hooks->train_data : NULL, hooks ? hooks->test_data : NULL,
                          hooks ? hooks->text : NULL};
    return sw_task_data_make(&st->data, &cfg->task, cfg->record.probe_size, (uint64_t)cfg->seed, &src);
}

/* /task: the permutation of task.permute, a text's vocabulary. */
static void copy_task_record(sw_run_result *res, const run_state *st, const sw_config *cfg, const sw_train_hooks *hooks)
{
    if (res->permutation && st->data.steps)
        memcpy(res->permutation, st->data.steps, (size_t)cfg->task.seq_len * sizeof *res->permutation);
    if (res->vocabulary && cfg->task.kind == SW_TASK_TEXT && hooks && hooks->text)
        memcpy(res->vocabulary, hooks->text->vocab, (size_t)cfg->task.input_size * sizeof *res->vocabulary);
}

/* /probe/labels (the class of a last-step classifier, else -1) and /probe/targets (P,Y):
 * the class or the K values at the last step, or the class at every step. */
static void copy_probe_targets(sw_run_result *res, const sw_dataset *probe)
{
    int P = probe->n;
    size_t Y = probe->target == SW_TARGET_VALUE_LAST ? (size_t)probe->outputs
               : probe->target == SW_TARGET_CLASS_STEPS ? (size_t)probe->seq_len : 1;
    for (int b = 0; b < P; b++) {
        res->probe_labels[b] = probe->target == SW_TARGET_CLASS_LAST ? probe->y[b] : -1;
        for (size_t k = 0; k < Y; k++)
            res->probe_targets[(size_t)b * Y + k] =
                probe->v ? probe->v[(size_t)b * Y + k] : (float)probe->y[(size_t)b * Y + k];
    }
}

/* Allocates the result, the data sets, the model and the buffers, and initialises the
 * parameters from the seed. Returns SW_OK, or a code with res->status FAILED. */
static int run_setup(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *res)
{
    uint64_t seed = (uint64_t)cfg->seed;
    const sw_task_config *task = &cfg->task;
    sw_task_layout lay = sw_task_layout_of(task);
    int B = cfg->train.batch, P = cfg->record.probe_size, T = lay.steps;
    int max_batch = B > P ? B : P;
    int rc;
    st->shape = sw_model_shape_from_config(cfg);
    st->n = sw_param_count(&st->shape);
    if ((rc = sw_record_alloc(res, cfg))) return fail(res, rc, "allocating results");
    if ((rc = load_data(st, cfg, hooks))) return fail(res, rc, "loading the data");
    st->flat = malloc(2 * st->n * sizeof(sw_real));
    st->order = malloc((size_t)task->train_size * sizeof(int));
    st->batch_index = malloc((size_t)max_batch * sizeof(int));
    st->batch_labels = malloc((size_t)max_batch * T * sizeof(int32_t));
    st->batch_values = malloc((size_t)max_batch * lay.outputs * sizeof(float));
    st->step_norms = malloc((size_t)st->shape.layers * T * sizeof(double));
    if (!st->flat || !st->order || !st->batch_index || !st->batch_labels || !st->batch_values || !st->step_norms)
        return fail(res, SW_ENOMEM, "allocating the model");
    if ((rc = sw_optimizer_init(&st->opt, cfg->train.optimizer, st->n)) ||
        (rc = sw_model_work_create(&st->work, &st->shape, max_batch, T, 1)))
        return fail(res, rc, "allocating the model");
    sw_params_bind(&st->params, st->flat, &st->shape);
    sw_params_bind(&st->grads, st->flat + st->n, &st->shape);
    sw_dataset_copy_inputs(&st->data.probe, 0, P, res->probe_inputs);
    copy_probe_targets(res, &st->data.probe);
    copy_task_record(res, st, cfg, hooks);

    sw_rng init_rng;
    sw_rng_init(&init_rng, seed, SW_STREAM_INIT);
    sw_rng_init(&st->batch_rng, seed, SW_STREAM_BATCH_ORDER);
    sw_rng_init(&st->dropout_rng, seed, SW_STREAM_DROPOUT);
    if ((rc = sw_model_init_params(&st->params, &st->shape, &cfg->model, &init_rng)))
        return fail(res, rc, "initialising the model");
    sw_model_pack(st->work, &st->params);
    st->work->record_dh = 0; /* training steps need no d loss / d h_t; record_gradients asks */
    /* Until an epoch completes, "best" is the initial model. */
    memcpy(res->weights_best, st->flat, st->n * sizeof(sw_real));
    return SW_OK;
}

/* ---- the state at an epoch boundary or inside an epoch (train.h) ---------------------- */

/* The streams training draws from after setup: their positions are part of a state. The
 * data, initialisation and probe streams are spent in setup, which a resumed run redoes. */
enum { SAVED_BATCH, SAVED_DROPOUT, SAVED_STREAM_COUNT };
static const struct {
    const char *path;
    uint32_t id;
} saved_streams[SAVED_STREAM_COUNT] = {
    [SAVED_BATCH] = {"/state/rng/batch_order", SW_STREAM_BATCH_ORDER},
    [SAVED_DROPOUT] = {"/state/rng/dropout", SW_STREAM_DROPOUT},
};

/* An sw_rng as integers: key[2], stream, block, buf[4], used, has_spare, spare's bits. */
#define RNG_WORDS 11

/* The batch order is stored as int32 (SW_REC_I32) straight from the run's int array. */
_Static_assert(sizeof(int) == sizeof(int32_t), "the batch order is stored as int32");

struct sw_train_state {
    int epoch;               /* epochs completed (E) */
    int step;                /* training steps of epoch E+1 done (S; 0 at the boundary) */
    size_t n;                /* parameters */
    int order_len;           /* task.train_size: the batch order's length */
    sw_record_sizes sizes;   /* E = epoch, R = its gradient records, the others the run's */
    double seconds;          /* wall seconds of the run's work up to the state */
    sw_real *weights;        /* (n) */
    sw_real *moments;        /* (3n) the optimizer's m | v | g (optim.h's one buffer) */
    int64_t opt_steps;
    int64_t rng[SAVED_STREAM_COUNT][RNG_WORDS];
    int *order;              /* (order_len) the batch-order permutation ... */
    int order_pos;           /* ... and the position of its lazy shuffle */
    epoch_sums sums;         /* epoch E+1's steps so far (zero at a boundary) */
    sw_run_result *result;   /* best_*, weights_best, history and gradient records so far */
    /* A state made by create or clone owns its arrays (own); one taken from a running run
     * (state_view) points into the run and lives on its stack. */
    bool owned;
    sw_run_result own;
};

static void pack_rng(const sw_rng *r, int64_t w[RNG_WORDS])
{
    uint64_t spare;
    memcpy(&spare, &r->spare, sizeof spare);
    int64_t v[RNG_WORDS] = {r->key[0], r->key[1], r->stream, (int64_t)r->block, r->buf[0], r->buf[1], r->buf[2],
                            r->buf[3], r->used, r->has_spare, (int64_t)spare};
    memcpy(w, v, sizeof v);
}

/* The stream of `w` into *r when it is a valid position of stream `id` of `seed`. */
static bool unpack_rng(const int64_t w[RNG_WORDS], uint64_t seed, uint32_t id, sw_rng *r)
{
    sw_rng fresh;
    sw_rng_init(&fresh, seed, id);
    if ((uint32_t)w[0] != fresh.key[0] || (uint32_t)w[1] != fresh.key[1] || (uint32_t)w[2] != id || w[8] < 0 ||
        w[8] > 4 || (w[9] != 0 && w[9] != 1))
        return false;
    *r = fresh;
    r->block = (uint64_t)w[3];
    for (int i = 0; i < 4; i++) r->buf[i] = (uint32_t)w[4 + i];
    r->used = (int)w[8];
    r->has_spare = (int)w[9];
    uint64_t spare = (uint64_t)w[10];
    memcpy(&r->spare, &spare, sizeof spare);
    return true;
}

/* The record rows that grow epoch by epoch (history columns, gradient records): what a
 * state holds of the run's record besides the best epoch's values and weights. */
static bool is_progress_row(const sw_record_row *row)
{
    return sw_record_is_array(row) && row->rank >= 1 &&
           (row->dims[0] == SW_SIZE_EPOCHS || row->dims[0] == SW_SIZE_RECORDS);
}

int sw_train_state_parts(const sw_train_state *cst, sw_train_state_part *parts, int max)
{
    sw_train_state *st = (sw_train_state *)cst; /* readers fill their own states through it */
    sw_run_result *r = st->result;
    sw_train_state_part all[SW_TRAIN_STATE_MAX_PARTS];
    int k = 0;
    all[k++] = (sw_train_state_part){"/state/weights", SW_REC_REAL, st->n, st->weights};
    all[k++] = (sw_train_state_part){"/state/optimizer/moments", SW_REC_REAL, 3 * st->n, st->moments};
    all[k++] = (sw_train_state_part){"/state/optimizer/steps", SW_REC_I64, 1, &st->opt_steps};
    for (int s = 0; s < SAVED_STREAM_COUNT; s++)
        all[k++] = (sw_train_state_part){saved_streams[s].path, SW_REC_I64, RNG_WORDS, st->rng[s]};
    all[k++] = (sw_train_state_part){"/state/seconds", SW_REC_F64, 1, &st->seconds};
    all[k++] = (sw_train_state_part){"/state/best/epoch", SW_REC_I32, 1, &r->best_epoch};
    all[k++] = (sw_train_state_part){"/state/best/metric", SW_REC_F64, 1, &r->best_metric};
    all[k++] = (sw_train_state_part){"/state/best/test_acc", SW_REC_F64, 1, &r->best_test_acc};
    all[k++] = (sw_train_state_part){"/state/best/test_loss", SW_REC_F64, 1, &r->best_test_loss};
    all[k++] = (sw_train_state_part){"/state/best/weights", SW_REC_REAL, st->n, r->weights_best};
    /* the epoch under way: where its batches come from, and what its steps added up */
    all[k++] = (sw_train_state_part){"/state/epoch/order", SW_REC_I32, (size_t)st->order_len, st->order};
    all[k++] = (sw_train_state_part){"/state/epoch/order_pos", SW_REC_I32, 1, &st->order_pos};
    all[k++] = (sw_train_state_part){"/state/epoch/loss_sum", SW_REC_F64, 1, &st->sums.loss_sum};
    all[k++] = (sw_train_state_part){"/state/epoch/grad_norm_sum", SW_REC_F64, 1, &st->sums.norm_sum};
    all[k++] = (sw_train_state_part){"/state/epoch/grad_norm_max", SW_REC_F64, 1, &st->sums.norm_max};
    all[k++] = (sw_train_state_part){"/state/epoch/seconds", SW_REC_F64, 1, &st->sums.seconds};
    all[k++] = (sw_train_state_part){"/state/epoch/seen", SW_REC_I64, 1, &st->sums.seen};
    all[k++] = (sw_train_state_part){"/state/epoch/correct", SW_REC_I64, 1, &st->sums.right};
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!is_progress_row(row)) continue;
        SW_ASSERT(k < SW_TRAIN_STATE_MAX_PARTS);
        all[k++] = (sw_train_state_part){row->path, row->type, sw_record_count(row, &st->sizes),
                                         sw_record_array(sw_record_field(row, r))};
    }
    for (int i = 0; i < k && i < max; i++) parts[i] = all[i];
    return k;
}

int sw_train_state_epoch(const sw_train_state *st)
{
    return st->epoch;
}

int sw_train_state_step(const sw_train_state *st)
{
    return st->step;
}

int sw_train_state_records(const sw_train_state *st)
{
    return (int)st->sizes.n[SW_SIZE_RECORDS];
}

void sw_train_state_free(sw_train_state *st)
{
    if (!st) return;
    if (st->owned) {
        free(st->weights);
        free(st->moments);
        free(st->order);
        sw_record_free(&st->own);
    }
    free(st);
}

/* An owned, zeroed state of these sizes (E = epoch, S = step, a batch order of order_len);
 * NULL when out of memory. Allocates exactly what the parts hold, not a whole result. */
static sw_train_state *state_alloc(const sw_record_sizes *sizes, int epoch, int step, int order_len)
{
    sw_train_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->owned = true;
    st->epoch = epoch;
    st->step = step;
    st->order_len = order_len;
    st->sizes = *sizes;
    st->n = (size_t)sizes->n[SW_SIZE_PARAMS];
    st->result = &st->own;
    st->weights = calloc(st->n + 1, sizeof(sw_real));
    st->moments = calloc(3 * st->n + 1, sizeof(sw_real));
    st->order = calloc((size_t)order_len + 1, sizeof(int));
    st->own.weights_best = calloc(st->n + 1, sizeof(sw_real));
    bool ok = st->weights && st->moments && st->order && st->own.weights_best;
    for (size_t i = 0; i < sw_record_len && ok; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!is_progress_row(row)) continue;
        void *a = calloc(sw_record_count(row, sizes) + 1, sw_record_mem_size(row->type));
        sw_record_set_array(sw_record_field(row, &st->own), a);
        ok = a != NULL;
    }
    if (!ok) {
        sw_train_state_free(st);
        return NULL;
    }
    return st;
}

/* Copies every part of `from` into `to` (states of the same sizes), and the values a view
 * keeps in itself rather than in the run. */
static void copy_parts(sw_train_state *to, const sw_train_state *from)
{
    sw_train_state_part a[SW_TRAIN_STATE_MAX_PARTS], b[SW_TRAIN_STATE_MAX_PARTS];
    int n = sw_train_state_parts(to, a, SW_TRAIN_STATE_MAX_PARTS);
    SW_ASSERT(n == sw_train_state_parts(from, b, SW_TRAIN_STATE_MAX_PARTS));
    for (int i = 0; i < n; i++) {
        SW_ASSERT(a[i].count == b[i].count && a[i].type == b[i].type);
        if (a[i].count) memcpy(a[i].data, b[i].data, a[i].count * sw_record_mem_size(a[i].type));
    }
}

int sw_train_state_clone(const sw_train_state *from, sw_train_state **out)
{
    *out = state_alloc(&from->sizes, from->epoch, from->step, from->order_len);
    if (!*out) return SW_ENOMEM;
    copy_parts(*out, from);
    return SW_OK;
}

/* The config a run trains with: sizes left at 0 are the task's own. A sweep resolved them
 * already; code may not have. */
static sw_config resolve_config(const sw_config *given)
{
    sw_config resolved = *given;
    if (!sw_task_reads_file(resolved.task.kind)) sw_task_resolve(&resolved.task, NULL, NULL, 0, NULL);
    return resolved;
}

int sw_train_steps_per_epoch(const sw_config *given)
{
    sw_config cfg = resolve_config(given);
    if (cfg.train.steps_per_epoch > 0) return cfg.train.steps_per_epoch;
    return (cfg.task.train_size + cfg.train.batch - 1) / cfg.train.batch; /* one full pass */
}

/* The sizes of a state of a run of `cfg` after `epoch` epochs and `step` steps of the next,
 * when that is a state such a run can have (0 <= epoch < train.epochs, 0 <= step <= its
 * steps per epoch, not both 0; `records` its gradient records). */
static bool state_sizes(const sw_config *cfg, int epoch, int step, int records, sw_record_sizes *sizes)
{
    if (epoch < 0 || epoch >= cfg->train.epochs || step < 0 || step > sw_train_steps_per_epoch(cfg) ||
        (epoch == 0 && step == 0))
        return false;
    sw_record_sizes_of_run(cfg, epoch, sizes);
    return sizes->n[SW_SIZE_RECORDS] == records;
}

int sw_train_state_create(const sw_config *given, int epoch, int step, int records, sw_train_state **out)
{
    *out = NULL;
    sw_config cfg = resolve_config(given);
    sw_record_sizes sizes;
    if (!state_sizes(&cfg, epoch, step, records, &sizes)) return SW_EINVAL;
    *out = state_alloc(&sizes, epoch, step, cfg.task.train_size);
    return *out ? SW_OK : SW_ENOMEM;
}

/* The running run's state after `epoch` epochs, `step` steps of the next and `records`
 * gradient records, as a view: the big parts point into the run (nothing is copied), so it
 * is valid until the run moves on. Also the destination a resumed state is copied into. */
static void state_view(sw_train_state *v, run_state *st, sw_run_result *res, const sw_config *cfg, int epoch,
                       int step, int records)
{
    memset(v, 0, sizeof *v);
    v->epoch = epoch;
    v->step = step;
    v->n = st->n;
    v->order_len = cfg->task.train_size;
    sw_record_sizes_of_run(cfg, epoch, &v->sizes);
    v->sizes.n[SW_SIZE_RECORDS] = records;
    double now = sw_now();
    v->seconds = st->seconds_before + (now - st->t_start);
    v->weights = st->flat;
    v->moments = st->opt.m;
    v->opt_steps = st->opt.steps;
    pack_rng(&st->batch_rng, v->rng[SAVED_BATCH]);
    pack_rng(&st->dropout_rng, v->rng[SAVED_DROPOUT]);
    v->order = st->order;
    v->order_pos = st->order_pos;
    if (step > 0) { /* at a boundary the epoch's sums are those of the one completed: not kept */
        v->sums = st->sums;
        v->sums.seconds += now - st->t_epoch;
    }
    v->result = res;
}

/* A batch order as the run makes it: a permutation of 0..N-1, its position within 0..N. */
static bool order_valid(const int *order, int pos, int N)
{
    if (pos < 0 || pos > N) return false;
    unsigned char *seen = calloc((size_t)N + 1, 1);
    bool ok = seen != NULL;
    for (int i = 0; i < N && ok; i++) {
        ok = order[i] >= 0 && order[i] < N && !seen[order[i]];
        if (ok) seen[order[i]] = 1;
    }
    free(seen);
    return ok;
}

/* Puts the run where hooks->resume left it, after run_setup: weights, optimizer, streams,
 * the record so far, and inside an epoch its batch order and sums. Returns SW_OK, or
 * SW_EINVAL (res FAILED) for a state of another run. */
static int resume_from(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *res)
{
    const sw_train_state *from = hooks->resume;
    sw_record_sizes want;
    bool same = state_sizes(cfg, from->epoch, from->step, sw_train_state_records(from), &want) &&
                from->n == st->n && from->order_len == cfg->task.train_size;
    for (int s = 0; s < SW_SIZE_COUNT && same; s++) same = want.n[s] == from->sizes.n[s];
    if (!same) return fail(res, SW_EINVAL, "resuming (the state is not one of this run's)");
    if (hooks->until_epoch > 0 && hooks->until_epoch <= from->epoch)
        return fail(res, SW_EINVAL, "resuming (until_epoch is not after the state's epoch)");
    sw_train_state to;
    state_view(&to, st, res, cfg, from->epoch, from->step, sw_train_state_records(from));
    copy_parts(&to, from);
    uint64_t seed = (uint64_t)cfg->seed;
    if (!unpack_rng(to.rng[SAVED_BATCH], seed, saved_streams[SAVED_BATCH].id, &st->batch_rng) ||
        !unpack_rng(to.rng[SAVED_DROPOUT], seed, saved_streams[SAVED_DROPOUT].id, &st->dropout_rng))
        return fail(res, SW_EINVAL, "resuming (the state's random streams are not this run's)");
    if (from->step > 0 && !order_valid(st->order, to.order_pos, st->data.train.n))
        return fail(res, SW_EINVAL, "resuming (the state's batch order is not a permutation of the training set)");
    st->opt.steps = (long)to.opt_steps;
    st->seconds_before = to.seconds;
    st->order_pos = to.order_pos;
    st->sums = to.sums;
    st->start_epoch = from->epoch + 1;
    st->start_step = from->step;
    st->saved_epoch = from->epoch;
    st->saved_step = from->step;
    res->history.epochs = from->epoch;
    res->grad_records = sw_train_state_records(from);
    sw_model_pack(st->work, &st->params);
    return SW_OK;
}

/* Hands the state after `epoch` epochs and `step` steps of the next to
 * hooks->on_checkpoint. Returns SW_OK, or its code with res FAILED. */
static int checkpoint(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *res, int epoch,
                      int step)
{
    sw_train_state view;
    state_view(&view, st, res, cfg, epoch, step, res->grad_records);
    int rc = hooks->on_checkpoint(hooks->checkpoint_ctx, &view);
    if (rc) return fail(res, rc < 0 ? rc : SW_EIO, "saving a checkpoint");
    st->saved_epoch = epoch;
    st->saved_step = step;
    return SW_OK;
}

/* The run was asked to stop after `epoch` epochs and `step` steps of the next: it saves
 * that state (unless the last checkpoint, or the state it resumed from, already holds it,
 * or nothing was done) and returns SW_EINTERRUPTED, or the failed checkpoint's code. */
static int stop_here(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *res, int epoch,
                     int step)
{
    bool saved = epoch == st->saved_epoch && step == st->saved_step; /* (0, 0): nothing done */
    if (!saved && hooks->on_checkpoint) {
        int rc = checkpoint(st, cfg, hooks, res, epoch, step);
        if (rc) return rc;
    }
    return fail(res, SW_EINTERRUPTED, "training");
}

/* How an epoch ended. */
typedef enum { EPOCH_DONE, EPOCH_DIVERGED, EPOCH_STOPPED } epoch_end;

/* The training steps of one epoch from step `first` (0, or where a resumed state left it),
 * adding to st->sums. Before each step, a stop request ends it: EPOCH_STOPPED with *done
 * the steps done. EPOCH_DIVERGED when the loss or gradient diverged (the result's status
 * and error say where). */
static epoch_end train_steps(run_state *st, const sw_config *cfg, sw_run_result *res, int epoch, int steps,
                             int first, double lr, int *done)
{
    const sw_train_hooks *hooks = st->hooks;
    int B = cfg->train.batch, train_size = cfg->task.train_size;
    int *index = st->batch_index;
    epoch_sums *sums = &st->sums;
    for (int s = first; s < steps; s++) {
        if (stop_requested(st)) {
            *done = s;
            return EPOCH_STOPPED;
        }
        int nb = B;
        if (cfg->train.steps_per_epoch == 0 && train_size - s * B < B)
            nb = train_size - s * B; /* last, partial batch of a full pass */
        for (int b = 0; b < nb; b++) index[b] = next_index(st);
        int correct = 0;
        double norm = 0, t0 = sw_now();
        double loss = train_step(st, cfg, index, nb, lr, &correct, &norm);
        if (nb == B) tell_step_time(st, sw_now() - t0);
        if (!isfinite(loss)) {
            res->status = SW_RUN_DIVERGED;
            snprintf(res->error, sizeof res->error, "loss or gradient became %s at epoch %d, step %d",
                     isnan(loss) ? "NaN" : "infinite", epoch, s + 1);
            return EPOCH_DIVERGED;
        }
        sums->loss_sum += loss / nb;
        sums->norm_sum += norm;
        sums->norm_max = fmax(sums->norm_max, norm);
        sums->right += correct;
        sums->seen += nb;
        if (hooks && hooks->on_step) hooks->on_step(hooks->ctx, epoch, s + 1);
    }
    *done = steps;
    return EPOCH_DONE;
}

/* One epoch from step `first`: its training steps, the test (and validation) set, the
 * history entry, the best weights and the gradient record when one is due. A stop request
 * ends it before a step or an evaluation chunk (EPOCH_STOPPED, *done the steps done; the
 * evaluation is redone whole on resumption); EPOCH_DIVERGED leaves the history as it was. */
static epoch_end train_epoch(run_state *st, const sw_config *run_cfg, sw_run_result *res, int epoch, int steps,
                             int first, int *done)
{
    st->t_epoch = sw_now();
    sw_config scratch; /* the epoch's values where per-epoch tables give them (config.h) */
    const sw_config *cfg = sw_config_at_epoch(run_cfg, epoch, &scratch);
    double lr = sw_schedule_lr(&cfg->train, epoch);
    if (first == 0) {
        memset(&st->sums, 0, sizeof st->sums);
        restart_order(st);
    }
    epoch_end end = train_steps(st, cfg, res, epoch, steps, first, lr, done);
    if (end != EPOCH_DONE) return end;
    double test_loss, test_acc, val_loss = NAN, val_acc = NAN;
    if (!evaluate(st, &st->data.test, true, &test_loss, &test_acc) ||
        (st->data.val.n > 0 && !evaluate(st, &st->data.val, true, &val_loss, &val_acc)))
        return EPOCH_STOPPED;
    int test_bad = !isfinite(test_loss);
    if (test_bad || (st->data.val.n > 0 && !isfinite(val_loss))) {
        double bad = test_bad ? test_loss : val_loss;
        res->status = SW_RUN_DIVERGED;
        snprintf(res->error, sizeof res->error, "%s loss became %s at epoch %d", test_bad ? "test" : "validation",
                 isnan(bad) ? "NaN" : "infinite", epoch);
        return EPOCH_DIVERGED;
    }
    const epoch_sums *sums = &st->sums;
    sw_history *h = &res->history;
    int e = h->epochs;
    h->train_loss[e] = sums->loss_sum / steps;
    h->train_acc[e] = accuracy_of(st, (long)sums->right, (long)sums->seen);
    h->test_loss[e] = test_loss;
    h->test_acc[e] = test_acc;
    h->val_loss[e] = val_loss;
    h->val_acc[e] = val_acc;
    h->lr[e] = lr;
    h->grad_norm[e] = sums->norm_sum / steps;
    h->grad_norm_max[e] = sums->norm_max;
    sw_task_metric metric = sw_task_metric_of(&cfg->task);
    if (sw_history_best_epoch(h, e + 1, metric) == epoch) {
        res->best_epoch = epoch;
        res->best_metric = sw_history_column(h, metric.name)[e];
        res->best_test_acc = test_acc;
        res->best_test_loss = test_loss;
        memcpy(res->weights_best, st->flat, st->n * sizeof(sw_real));
    }
    if (epoch % cfg->record.grad_every == 0 || epoch == cfg->train.epochs)
        record_gradients(st, res, res->grad_records, epoch);
    h->seconds[e] = sums->seconds + (sw_now() - st->t_epoch);
    h->epochs = e + 1;
    return EPOCH_DONE;
}

/* The epochs after those already in the result (none, or a resumed state's), until the
 * last or a divergence (res->status says which), with checkpoints where train.h's rule
 * puts them. Returns SW_OK, SW_EINTERRUPTED when hooks->stop asked to stop, or the code
 * of a failed checkpoint. */
static int train_epochs(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *res)
{
    int steps = sw_train_steps_per_epoch(cfg);
    int last = cfg->train.epochs;
    if (hooks && hooks->until_epoch > 0 && hooks->until_epoch < last) last = hooks->until_epoch;
    res->status = last < cfg->train.epochs ? SW_RUN_STOPPED : SW_RUN_DONE;
    int every = cfg->record.checkpoint_every;
    double since = sw_now(); /* the end of the previous checkpoint, or the start */
    for (int epoch = res->history.epochs + 1; epoch <= last; epoch++) {
        int done = 0;
        epoch_end end = train_epoch(st, cfg, res, epoch, steps, epoch == st->start_epoch ? st->start_step : 0, &done);
        if (end == EPOCH_DIVERGED) return SW_OK;
        if (end == EPOCH_STOPPED) return stop_here(st, cfg, hooks, res, epoch - 1, done);
        if (hooks && hooks->on_epoch) hooks->on_epoch(hooks->ctx, epoch, &res->history);
        if (epoch < last && stop_requested(st)) return stop_here(st, cfg, hooks, res, epoch, 0);
        bool due = every > 0 && epoch % every == 0 && epoch < last &&
                   ((hooks && hooks->checkpoint_unthrottled) || sw_now() - since >= SW_CHECKPOINT_MIN_SECONDS);
        bool rung = epoch == last && last < cfg->train.epochs;
        if (hooks && hooks->on_checkpoint && (due || rung)) {
            int rc = checkpoint(st, cfg, hooks, res, epoch, 0);
            if (rc) return rc;
            since = sw_now();
        }
    }
    return SW_OK;
}

/* After the last epoch or the divergence: final accuracies and weights, the probe's hidden
 * states with the final and the best weights, and a gradient record for a run that
 * diverged before its first (not for one stopped at a rung before it: that file must stay
 * an exact prefix of the full run's). */
static void run_finish(run_state *st, sw_run_result *res)
{
    const sw_history *h = &res->history;
    if (h->epochs > 0) {
        res->final_test_acc = h->test_acc[h->epochs - 1];
        res->final_train_acc = h->train_acc[h->epochs - 1];
    }
    memcpy(res->weights_final, st->flat, st->n * sizeof(sw_real));
    probe_forward(st, res->hidden_final, res->attention_final);
    memcpy(st->flat, res->weights_best, st->n * sizeof(sw_real));
    sw_model_pack(st->work, &st->params);
    probe_forward(st, res->hidden_best, res->attention_best);
    /* A run that diverged before its first gradient record gets one at its best epoch (0:
     * the initial weights, when no epoch completed): the gradient flow it diverged from,
     * rather than an empty /gradients. */
    if (res->status == SW_RUN_DIVERGED && res->grad_records == 0 && res->grad_capacity > 0)
        record_gradients(st, res, 0, res->best_epoch);
}

int sw_train_run(const sw_config *given, const sw_train_hooks *hooks, sw_run_result *res)
{
    sw_config resolved = resolve_config(given);
    const sw_config *cfg = &resolved;
    unsigned float_mode = flush_subnormals();
    memset(res, 0, sizeof *res);
    run_state st;
    memset(&st, 0, sizeof st);
    st.hooks = hooks;
    st.t_start = sw_now();
    st.start_epoch = 1;
    int rc = run_setup(&st, cfg, hooks, res);
    if (rc == SW_OK && hooks && hooks->resume) rc = resume_from(&st, cfg, hooks, res);
    if (rc == SW_OK) rc = train_epochs(&st, cfg, hooks, res);
    if (rc == SW_OK) run_finish(&st, res);
    res->wall_seconds = st.seconds_before + (sw_now() - st.t_start);
    run_state_free(&st);
    restore_float_mode(float_mode);
    return rc;
}
