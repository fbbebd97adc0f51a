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
#include "rng.h"
#include "task.h"

const char *sw_run_status_name(sw_run_status status)
{
    static const char *names[SW_RUN_STATUS_COUNT] = {"done", "diverged", "failed"};
    return (unsigned)status < SW_RUN_STATUS_COUNT ? names[status] : "unknown";
}

/* Everything a run owns while it trains; released in one place. */
typedef struct {
    sw_model_shape shape;
    size_t n;                      /* parameter count */
    sw_real *flat;                 /* params | grads, 2n values */
    sw_params params, grads;
    sw_optimizer opt;
    sw_dataset train, test, probe;
    sw_model_work *work;
    int *order;                    /* (train_size) batch-order permutation */
    int order_pos;
    int *batch_index;              /* (max_batch) */
    int32_t *batch_labels;         /* (max_batch) or, per-step targets, (max_batch,T) */
    float *batch_values;           /* regression targets (max_batch,K) */
    double *step_norms;            /* (L,T) */
    sw_rng batch_rng, dropout_rng;
} run_state;

static void run_state_free(run_state *st)
{
    free(st->flat);
    sw_optimizer_free(&st->opt);
    sw_dataset_free(&st->train);
    sw_dataset_free(&st->test);
    sw_dataset_free(&st->probe);
    sw_model_work_free(st->work);
    free(st->order);
    free(st->batch_index);
    free(st->batch_labels);
    free(st->batch_values);
    free(st->step_norms);
    memset(st, 0, sizeof *st);
}

static int history_init(sw_history *h, int epochs)
{
    memset(h, 0, sizeof *h);
    double *block = calloc((size_t)7 * epochs, sizeof(double));
    if (!block) return SW_ENOMEM;
    h->capacity = epochs;
    double **cols[7] = {&h->train_loss, &h->train_acc, &h->test_loss, &h->test_acc,
                        &h->lr, &h->grad_norm, &h->seconds};
    for (int i = 0; i < 7; i++) *cols[i] = block + (size_t)i * epochs;
    return SW_OK;
}

/* Number of epochs at which gradients are recorded: multiples of grad_every and the last. */
static int grad_record_count(const sw_config *cfg)
{
    int every = cfg->record.grad_every, E = cfg->train.epochs;
    return E / every + (E % every != 0);
}

static int result_alloc(sw_run_result *r, const sw_config *cfg, const sw_model_shape *s, size_t n)
{
    sw_task_layout lay = sw_task_layout_of(&cfg->task);
    int T = lay.steps, I = lay.input, H = s->hidden, L = s->layers;
    int P = cfg->record.probe_size, R = grad_record_count(cfg);
    if (history_init(&r->history, cfg->train.epochs)) return SW_ENOMEM;
    r->param_count = n;
    r->probe_size = P;
    r->grad_capacity = R;
    size_t hidden = (size_t)L * P * T * H;
    r->weights_final = malloc(n * sizeof(sw_real));
    r->weights_best = malloc(n * sizeof(sw_real));
    r->probe_inputs = malloc((size_t)P * T * I * sizeof(float));
    r->probe_labels = malloc((size_t)P * sizeof(int32_t));
    r->hidden_final = malloc(hidden * sizeof(float));
    r->hidden_best = malloc(hidden * sizeof(float));
    r->grad_epoch = calloc((size_t)R, sizeof(int32_t));
    r->dloss_dh_norm = calloc((size_t)R * L * T, sizeof(float));
    r->dloss_dh = calloc((size_t)R * L * T * H, sizeof(float));
    r->dW_hh_norm = calloc((size_t)R * L * T, sizeof(float));
    if (!r->weights_final || !r->weights_best || !r->probe_inputs || !r->probe_labels ||
        !r->hidden_final || !r->hidden_best || !r->grad_epoch || !r->dloss_dh_norm ||
        !r->dloss_dh || !r->dW_hh_norm)
        return SW_ENOMEM;
    return SW_OK;
}

void sw_run_result_free(sw_run_result *r)
{
    if (!r) return;
    free(r->history.train_loss); /* the history's single block */
    free(r->weights_final);
    free(r->weights_best);
    free(r->probe_inputs);
    free(r->probe_labels);
    free(r->hidden_final);
    free(r->hidden_best);
    free(r->grad_epoch);
    free(r->dloss_dh_norm);
    free(r->dloss_dh);
    free(r->dW_hh_norm);
    memset(r, 0, sizeof *r);
}

/* Next training index: a lazy Fisher-Yates shuffle that is restarted at every epoch, so
 * an epoch's samples are drawn without replacement (and a full pass sees each once). */
static int next_index(run_state *st)
{
    int N = st->train.n;
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
    for (int i = 0; i < st->train.n; i++) st->order[i] = i;
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

/* One optimizer step on batch `index[0..B)`. Returns the summed loss (NaN/Inf when the
 * run diverged: the update is then skipped), and the gradient norm before clipping. */
static double train_step(run_state *st, const sw_config *cfg, int *index, int B, double lr,
                         int *correct, double *grad_norm)
{
    sw_model_work *w = st->work;
    sw_real *grad_flat = st->flat + st->n;
    sw_targets y = gather_targets(st, &st->train, index, B);
    sw_model_load_input(w, st->train.x, index, B);
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

/* Fraction of correct predictions among those scored in `sequences` sequences; NaN for a
 * regression, which has none. */
static double accuracy_of(const run_state *st, long correct, long sequences)
{
    int per = sw_model_scored_steps(&st->shape, st->work->seq_len);
    return per > 0 ? (double)correct / ((double)sequences * per) : NAN;
}

/* Mean loss and accuracy over a dataset, in evaluation mode (no dropout). */
static void evaluate(run_state *st, const sw_dataset *d, double *mean_loss, double *accuracy)
{
    sw_model_work *w = st->work;
    double total = 0;
    long right = 0;
    int chunk = w->max_batch;
    int *index = st->batch_index;
    for (int start = 0; start < d->n; start += chunk) {
        int B = d->n - start < chunk ? d->n - start : chunk;
        for (int b = 0; b < B; b++) index[b] = start + b;
        sw_model_load_input(w, d->x, index, B);
        sw_targets y = gather_targets(st, d, index, B);
        int correct = 0;
        total += sw_model_forward(w, &st->params, &y, 0, &correct, NULL);
        right += correct;
    }
    *mean_loss = total / d->n;
    *accuracy = accuracy_of(st, right, d->n);
}

/* Forward of the probe set in evaluation mode; copies every layer's h_t into hidden
 * (L,P,T,H). The work's time-major (T,P,H) caches are transposed to batch-first here. */
static void probe_forward(run_state *st, float *hidden)
{
    sw_model_work *w = st->work;
    const sw_dataset *p = &st->probe;
    int T = p->seq_len, P = p->n, H = st->shape.hidden;
    sw_model_load_input(w, p->x, NULL, P);
    for (int b = 0; b < P; b++) st->batch_index[b] = b;
    sw_targets y = gather_targets(st, p, st->batch_index, P);
    sw_model_forward(w, &st->params, &y, 0, NULL, NULL);
    if (!hidden) return;
    for (int l = 0; l < st->shape.layers; l++)
        for (int b = 0; b < P; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    hidden[(((size_t)l * P + b) * T + t) * H + j] =
                        (float)w->h[l][((size_t)t * P + b) * H + j];
}

/* Per-timestep gradients on the probe set with the current weights, into record r. */
static void record_gradients(run_state *st, sw_run_result *res, int r, int epoch)
{
    sw_model_work *w = st->work;
    int T = st->probe.seq_len, P = st->probe.n, H = st->shape.hidden, L = st->shape.layers;
    probe_forward(st, NULL);
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
            double norm_sum = 0;
            float *mean = res->dloss_dh + (((size_t)r * L + l) * T + t) * H;
            for (int j = 0; j < H; j++) mean[j] = 0;
            for (int b = 0; b < P; b++) {
                double sq = 0;
                for (int j = 0; j < H; j++) {
                    sw_real v = dh[(size_t)b * H + j];
                    sq += (double)v * v;
                    mean[j] += (float)v;
                }
                norm_sum += sqrt(sq);
            }
            res->dloss_dh_norm[((size_t)r * L + l) * T + t] = (float)norm_sum;
            res->dW_hh_norm[((size_t)r * L + l) * T + t] = (float)st->step_norms[(size_t)l * T + t];
        }
    res->grad_records = r + 1;
}

/* The run's train, test and probe sets: generated from the seed, or for a file task
 * borrowed views of the process's shared copy (the first train_size / test_size rows;
 * the probe set is the first P test sequences). */
static int load_data(run_state *st, const sw_config *cfg, const sw_train_hooks *hooks)
{
    const sw_task_config *task = &cfg->task;
    int P = cfg->record.probe_size;
    uint64_t seed = (uint64_t)cfg->seed;
    if (task->kind == SW_TASK_FILE) {
        const sw_dataset *train = hooks ? hooks->train_data : NULL, *test = hooks ? hooks->test_data : NULL;
        if (!train || !test || train->n < task->train_size || test->n < task->test_size || test->n < P)
            return SW_EINVAL;
        st->train = sw_dataset_view(train, 0, task->train_size);
        st->test = sw_dataset_view(test, 0, task->test_size);
        st->probe = sw_dataset_view(test, 0, P);
        return SW_OK;
    }
    int rc;
    if ((rc = sw_dataset_generate(&st->train, task, task->train_size, seed, SW_STREAM_TRAIN_DATA)) ||
        (rc = sw_dataset_generate(&st->test, task, task->test_size, seed, SW_STREAM_TEST_DATA)) ||
        (rc = sw_dataset_generate(&st->probe, task, P, seed, SW_STREAM_PROBE)))
        return rc;
    return SW_OK;
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

int sw_train_run(const sw_config *given, const sw_train_hooks *hooks, sw_run_result *res)
{
    /* Sizes left at 0 are the task's own; a sweep resolved them already, code may not have. */
    sw_config resolved = *given;
    if (resolved.task.kind != SW_TASK_FILE) sw_task_resolve(&resolved.task, NULL, NULL, 0, NULL);
    const sw_config *cfg = &resolved;
    double t_start = sw_now();
    unsigned float_mode = flush_subnormals();
    memset(res, 0, sizeof *res);
    run_state st;
    memset(&st, 0, sizeof st);
    int rc = SW_OK;
    uint64_t seed = (uint64_t)cfg->seed;
    st.shape = sw_model_shape_from_config(cfg);
    st.n = sw_param_count(&st.shape);
    const sw_task_config *task = &cfg->task;
    sw_task_layout lay = sw_task_layout_of(task);
    int B = cfg->train.batch, P = cfg->record.probe_size, T = lay.steps;
    int max_batch = B > P ? B : P;

    if ((rc = result_alloc(res, cfg, &st.shape, st.n))) { fail(res, rc, "allocating results"); goto done; }
    if ((rc = load_data(&st, cfg, hooks))) {
        fail(res, rc, "loading the data");
        goto done;
    }
    st.flat = malloc(2 * st.n * sizeof(sw_real));
    st.order = malloc((size_t)task->train_size * sizeof(int));
    st.batch_index = malloc((size_t)max_batch * sizeof(int));
    st.batch_labels = malloc((size_t)max_batch * T * sizeof(int32_t));
    st.batch_values = malloc((size_t)max_batch * lay.outputs * sizeof(float));
    st.step_norms = malloc((size_t)st.shape.layers * T * sizeof(double));
    if (!st.flat || !st.order || !st.batch_index || !st.batch_labels || !st.batch_values || !st.step_norms) { fail(res, rc = SW_ENOMEM, "allocating the model"); goto done; }
    if ((rc = sw_optimizer_init(&st.opt, cfg->train.optimizer, st.n)) ||
        (rc = sw_model_work_create(&st.work, &st.shape, max_batch, T, 1))) {
        fail(res, rc, "allocating the model");
        goto done;
    }
    sw_params_bind(&st.params, st.flat, &st.shape);
    sw_params_bind(&st.grads, st.flat + st.n, &st.shape);
    memcpy(res->probe_inputs, st.probe.x, (size_t)P * T * lay.input * sizeof(float));
    if (st.probe.target == SW_TARGET_CLASS_LAST) memcpy(res->probe_labels, st.probe.y, (size_t)P * sizeof(int32_t));

    sw_rng init_rng;
    sw_rng_init(&init_rng, seed, SW_STREAM_INIT);
    sw_rng_init(&st.batch_rng, seed, SW_STREAM_BATCH_ORDER);
    sw_rng_init(&st.dropout_rng, seed, SW_STREAM_DROPOUT);
    if ((rc = sw_model_init_params(&st.params, &st.shape, &cfg->model, &init_rng))) {
        fail(res, rc, "initialising the model");
        goto done;
    }
    sw_model_pack(st.work, &st.params);
    st.work->record_dh = 0; /* training steps need no d loss / d h_t; record_gradients asks */
    /* Until an epoch completes, "best" is the initial model. */
    memcpy(res->weights_best, st.flat, st.n * sizeof(sw_real));

    int steps = cfg->train.steps_per_epoch;
    if (steps == 0) steps = (task->train_size + B - 1) / B; /* one full pass */
    sw_history *h = &res->history;
    int *index = st.batch_index;
    int minimize = sw_task_metric_of(task).mode == SW_METRIC_MIN;
    res->status = SW_RUN_DONE;
    for (int epoch = 1; epoch <= cfg->train.epochs; epoch++) {
        double t_epoch = sw_now();
        double lr = sw_schedule_lr(&cfg->train, epoch);
        double loss_sum = 0, norm_sum = 0;
        long seen = 0, right = 0;
        restart_order(&st);
        for (int s = 0; s < steps; s++) {
            int nb = B;
            if (cfg->train.steps_per_epoch == 0 && task->train_size - s * B < B)
                nb = task->train_size - s * B; /* last, partial batch of a full pass */
            for (int b = 0; b < nb; b++) index[b] = next_index(&st);
            int correct = 0;
            double norm = 0;
            double loss = train_step(&st, cfg, index, nb, lr, &correct, &norm);
            if (!isfinite(loss)) {
                res->status = SW_RUN_DIVERGED;
                snprintf(res->error, sizeof res->error,
                         "loss or gradient became %s at epoch %d, step %d", isnan(loss) ? "NaN" : "infinite",
                         epoch, s + 1);
                goto finish;
            }
            loss_sum += loss / nb;
            norm_sum += norm;
            right += correct;
            seen += nb;
        }
        double test_loss, test_acc;
        evaluate(&st, &st.test, &test_loss, &test_acc);
        if (!isfinite(test_loss)) {
            res->status = SW_RUN_DIVERGED;
            snprintf(res->error, sizeof res->error, "test loss became %s at epoch %d",
                     isnan(test_loss) ? "NaN" : "infinite", epoch);
            goto finish;
        }
        int e = h->epochs;
        h->train_loss[e] = loss_sum / steps;
        h->train_acc[e] = accuracy_of(&st, right, seen);
        h->test_loss[e] = test_loss;
        h->test_acc[e] = test_acc;
        h->lr[e] = lr;
        h->grad_norm[e] = norm_sum / steps;
        double metric = minimize ? test_loss : test_acc;
        if (res->best_epoch == 0 || (minimize ? metric < res->best_metric : metric > res->best_metric)) {
            res->best_epoch = epoch;
            res->best_metric = metric;
            res->best_test_acc = test_acc;
            res->best_test_loss = test_loss;
            memcpy(res->weights_best, st.flat, st.n * sizeof(sw_real));
        }
        if (epoch % cfg->record.grad_every == 0 || epoch == cfg->train.epochs)
            record_gradients(&st, res, res->grad_records, epoch);
        h->seconds[e] = sw_now() - t_epoch;
        h->epochs = e + 1;
        if (hooks && hooks->on_epoch) hooks->on_epoch(hooks->ctx, epoch, h);
        if (hooks && hooks->stop && atomic_load(hooks->stop) && epoch < cfg->train.epochs) {
            rc = SW_EINTERRUPTED;
            fail(res, rc, "training");
            goto done;
        }
    }

finish:
    if (h->epochs > 0) {
        res->final_test_acc = h->test_acc[h->epochs - 1];
        res->final_train_acc = h->train_acc[h->epochs - 1];
    }
    memcpy(res->weights_final, st.flat, st.n * sizeof(sw_real));
    probe_forward(&st, res->hidden_final);
    memcpy(st.flat, res->weights_best, st.n * sizeof(sw_real));
    sw_model_pack(st.work, &st.params);
    probe_forward(&st, res->hidden_best);
    /* A run that diverged before its first gradient record gets one at its best epoch (0:
     * the initial weights, when no epoch completed): the gradient flow it diverged from,
     * rather than an empty /gradients. */
    if (res->grad_records == 0 && res->grad_capacity > 0) record_gradients(&st, res, 0, res->best_epoch);
    rc = SW_OK;

done:
    res->wall_seconds = sw_now() - t_start;
    run_state_free(&st);
    restore_float_mode(float_mode);
    return rc;
}
