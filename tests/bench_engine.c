/* Engine benchmark: how close the engine comes to this core's FMA peak, per cell and size.
 *
 * Four parts, each printed as a table:
 *  1. peak: the FP32 rate of an unrolled loop of independent vector FMAs, measured here, so
 *     the shares below are of this machine's peak under the same conditions (load, clock).
 *  2. reference runs: the seed protocol (2 layers, H=64, T=20, I=10, 50 epochs of 10
 *     batches of 32, evaluation on 1,000 test sequences per epoch, probe and gradient
 *     recording) run whole by sw_train_run on one thread, for each cell; GFLOP is the
 *     program's own estimate (sw_config_cost_flops, what --dry-run prints).
 *  3. sizes: training steps (dropout masks, forward, backward, Adam, repacking) of the seed
 *     protocol's model with H = 64..512 and T = 20..500, batch 32, for each cell, on one
 *     thread and then as one run on two threads (sw_model_work.threads). GFLOP counts
 *     the matrix work only: a forward pass of one sequence is 2 T G H (in + H) per layer
 *     (input and recurrent products) plus the readout, backward twice that.
 * Rates are per second of CPU time (the calling thread's for one thread, the process's for
 * two), the best of a few repeats, and so is the peak's: on a shared machine the CPU time
 * of a thread is what it did while it had a core, and the best repeat is the closest to
 * what the code can do. Parts 3 and 3b repeat in passes over all their sizes, so that the
 * repeats of one size lie minutes apart (another machine's load comes in phases of
 * seconds). The two-thread speed-up is of wall time (one thread's wall time
 * over two threads'), meaningful only on an otherwise idle machine: `cores` (CPU time over
 * wall time of the two-thread steps) says how many cores the process actually got (near
 * 1.0: the second thread mostly waited for a core, e.g. the scheduler's fair share
 * between sessions gave this one a single core). Whole-process figures are `sweep`'s.
 *
 *  4. transformer products: the matrix products of the transformer's layers (one layer,
 *     d = 64..512, 4 heads, F = 4d, T = 20..500, batch 32, training), kind by kind, each
 *     timed alone in the layers' own passes (sw_tf_profile: the same calls, kernels, block
 *     shapes and packing as training, with everything else left out), then all of the
 *     attention's (q k^T, P v and their four backward products) together, and the whole
 *     layers' forward and backward. GFLOP counts the multiply-adds the calls perform,
 *     twice: for the attention's causal query blocks that is about half of T^2 per head
 *     (`causal`: the share of it on or below the diagonal, the rest being the diagonal
 *     blocks' upper parts). The peak is measured again before each size and the highest
 *     measured so far is the one the shares are of (the clock follows the machine's load).
 *  3b. the kernels alone: the training step's three matrix products (recurrent step, its
 *     backward, the weight gradient over T*32 rows), each timed alone at the step's shapes:
 *     the ceiling the steps of part 3 sit under. Then the data sets' Gaussian inputs:
 *     normals per ns, libm's doubles and the floats the tasks store, per implementation.
 * Usage: bench_engine [--quick | --size CELL:H:T | --kernels | --normals | --attention | --attention-size D:T] [REPEATS]
 *   REPEATS (default 3): seeds per reference run, and passes over the sizes (parts 3, 3b; repeats per size in part 4).
 *   --quick: only H = 64, 256 and T = 20, 100 (for a look in under a minute).
 *   --size CELL:H:T: only that size's training steps (for a profiler).
 *   --kernels: only part 3b (and the normals); --normals: only the normals.
 *   --attention: only part 4 (with --quick: d = 64, 256 and T = 20, 100);
 *   --attention-size D:T: only part 4 at that size. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estimate.h"
#include "kernels.h"
#include "model.h"
#include "optim.h"
#include "rng.h"
#include "train.h"
#include "transformer.h"

/* Work per timed repeat of a size, in seconds at the peak: enough steps that the clock and
 * the caches settle, few enough that the whole table takes a few minutes. */
#define RUN_SECONDS 0.25

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double thread_cpu(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }
static double process_cpu(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

/* ---- 1. peak -------------------------------------------------------------------------- */

/* FP32 FLOP per CPU second of the vector FMA loop sw_kernels_fma_peak runs (the widest
 * vectors of the kernels in use), best of five runs of ~0.1 s. */
static double measure_peak(void)
{
    double best = 0;
    long iters = 1 << 20;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = thread_cpu();
        double flops = sw_kernels_fma_peak(iters);
        double dt = thread_cpu() - t0;
        if (dt < 0.05) {
            iters *= 2, rep--;
            continue;
        }
        if (flops / dt > best) best = flops / dt;
    }
    return best;
}

/* ---- 2. reference runs ---------------------------------------------------------------- */

static int bench_reference(int repeats, double peak)
{
    printf("\nReference runs (the seed protocol, whole sw_train_run, one thread, median of %d seeds; CPU s)\n",
           repeats);
    printf("%-5s %8s %9s %9s %9s %7s %9s\n", "cell", "GFLOP", "median s", "min s", "GFLOP/s", "peak", "best acc");
    for (int cell = 0; cell < SW_CELL_TRANSFORMER; cell++) { /* the recurrent cells */
        sw_config cfg;
        sw_config_defaults(&cfg);
        cfg.model.cell = (sw_cell_kind)cell;
        double *secs = malloc((size_t)repeats * sizeof *secs), acc = 0;
        if (!secs) return 1;
        for (int r = 0; r < repeats; r++) {
            cfg.seed = 1 + r;
            sw_run_result res;
            double t0 = thread_cpu();
            int rc = sw_train_run(&cfg, NULL, &res);
            secs[r] = thread_cpu() - t0;
            if (rc != SW_OK) {
                fprintf(stderr, "run failed: %s\n", res.error);
                free(secs);
                return 1;
            }
            acc += res.best_test_acc / repeats;
            sw_run_result_free(&res);
        }
        qsort(secs, (size_t)repeats, sizeof *secs, compare_doubles);
        double median = repeats % 2 ? secs[repeats / 2] : 0.5 * (secs[repeats / 2 - 1] + secs[repeats / 2]);
        double gflop = sw_config_cost_flops(&cfg) * 1e-9, rate = gflop / median;
        printf("%-5s %8.1f %9.3f %9.3f %9.1f %6.0f%% %8.2f%%\n", sw_cell_name(cfg.model.cell), gflop, median,
               secs[0], rate, 100 * rate * 1e9 / peak, 100 * acc);
        fflush(stdout);
        free(secs);
    }
    return 0;
}

/* ---- 3. sizes --------------------------------------------------------------------------- */

typedef struct {
    sw_config cfg;
    sw_model_shape shape;
    size_t n;
    sw_real *flat; /* params | grads */
    sw_params params, grads;
    sw_optimizer opt;
    sw_model_work *work;
    float *x;        /* (B,T,I) */
    int32_t *labels; /* (B) */
    sw_rng dropout_rng;
} step_bench;

static void step_bench_free(step_bench *s)
{
    free(s->flat);
    sw_optimizer_free(&s->opt);
    sw_model_work_free(s->work);
    free(s->x);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* The seed protocol's model and optimizer at hidden size H and length T, random inputs
 * and labels. Returns 0, or 1 when out of memory. */
static int step_bench_init_layers(step_bench *s, sw_cell_kind cell, int H, int T, int layers)
{
    memset(s, 0, sizeof *s);
    sw_config_defaults(&s->cfg);
    if (layers > 0) s->cfg.model.layers = layers;
    s->cfg.model.cell = cell;
    s->cfg.model.hidden = H;
    s->cfg.task.seq_len = T;
    s->shape = sw_model_shape_from_config(&s->cfg);
    s->n = sw_param_count(&s->shape);
    int B = s->cfg.train.batch, I = s->shape.input;
    s->flat = malloc(2 * s->n * sizeof(sw_real));
    s->x = malloc((size_t)B * T * I * sizeof(float));
    s->labels = malloc((size_t)B * sizeof(int32_t));
    if (!s->flat || !s->x || !s->labels || sw_optimizer_init(&s->opt, s->cfg.train.optimizer, s->n) ||
        sw_model_work_create(&s->work, &s->shape, B, T, 0))
        return 1;
    sw_params_bind(&s->params, s->flat, &s->shape);
    sw_params_bind(&s->grads, s->flat + s->n, &s->shape);
    sw_rng rng;
    sw_rng_init(&rng, 1, SW_STREAM_INIT);
    if (sw_model_init_params(&s->params, &s->shape, &s->cfg.model, &rng)) return 1;
    for (size_t i = 0; i < (size_t)B * T * I; i++) s->x[i] = (float)(2 * sw_rng_uniform(&rng) - 1);
    for (int b = 0; b < B; b++) s->labels[b] = (int32_t)(sw_rng_uniform(&rng) < 0.5);
    sw_rng_init(&s->dropout_rng, 1, SW_STREAM_DROPOUT);
    sw_model_pack(s->work, &s->params);
    return 0;
}

static int step_bench_init(step_bench *s, sw_cell_kind cell, int H, int T)
{
    return step_bench_init_layers(s, cell, H, T, 0);
}

/* Matrix FLOPs of one training step (forward and backward of the batch). */
static double step_flops(const step_bench *s)
{
    const sw_model_shape *sh = &s->shape;
    double T = s->cfg.task.seq_len, G = sh->gates, H = sh->hidden, fwd = 0;
    for (int l = 0; l < sh->layers; l++) fwd += 2 * T * G * H * ((l == 0 ? sh->input : H) + H);
    if (sh->cell == SW_CELL_TRANSFORMER) /* as config.c's estimate: projections, feed-forward, two (T,T) products */
        fwd = 2 * T * sh->input * H + sh->layers * (2 * T * (4 * H * H + 2 * H * sh->ff) + 4 * T * T * H);
    fwd += 2 * sh->outputs * H;
    return 3 * fwd * s->cfg.train.batch;
}

/* One training step as train.c takes it (without the norm and clipping). */
static void step_once(step_bench *s)
{
    sw_model_work *w = s->work;
    int B = s->cfg.train.batch;
    sw_targets y = {s->labels, NULL};
    sw_model_load_input(w, s->x, NULL, NULL, B);
    sw_model_sample_dropout(w, &s->dropout_rng, B, s->cfg.model.dropout);
    sw_model_forward(w, &s->params, &y, 1, NULL, NULL);
    memset(s->flat + s->n, 0, s->n * sizeof(sw_real));
    sw_model_backward(w, &s->params, &s->grads, &y, NULL);
    sw_optimizer_step(&s->opt, &s->cfg.train, s->flat, s->flat + s->n, s->cfg.train.lr);
    sw_model_pack(w, &s->params);
}

/* Seconds per step of `steps` steps on `threads` (after one untimed step): wall time into
 * *wall, CPU time (the thread's on one thread, else the process's) into *cpu. */
static void time_steps(step_bench *s, int threads, int steps, double *wall, double *cpu)
{
    s->work->threads = threads;
    step_once(s); /* warm the caches and the thread team */
    double w0 = sw_now(), c0 = threads == 1 ? thread_cpu() : process_cpu();
    for (int k = 0; k < steps; k++) step_once(s);
    *cpu = ((threads == 1 ? thread_cpu() : process_cpu()) - c0) / steps;
    *wall = (sw_now() - w0) / steps;
}

/* ---- 3b. the kernels alone ------------------------------------------------------------- */

/* The three matrix products of a recurrent layer's training step, each timed alone on
 * random operands of the step's shapes (batch 32): the step's recurrent product h W_hh^T
 * (32,H)x(H,GH), rnn's with its tanh fused, the backward's dpre W_hh (32,GH)x(GH,H), and
 * the whole sequence's weight gradient h^T dpre (T*32 rows) for T = 20, 100, 500. What a
 * training step reaches (part 3) is below these: the rest of its time is the element-wise
 * work, activations, dropout masks and the optimizer. CPU seconds of one thread per call
 * (time_kernel: one timing of ~0.1 s; bench_kernels keeps the best of its passes); the operands of the weight gradient at T = 500 come from memory, not cache. */
typedef enum { KERNEL_STEP, KERNEL_STEP_TANH, KERNEL_BACK_STEP, KERNEL_WEIGHT_GRAD, KERNEL_COUNT } kernel_kind;

static const char *const kernel_names[KERNEL_COUNT] = {"step h W^T", "step + tanh", "back dpre W", "weight grad"};

static double time_kernel(kernel_kind kind, int H, int GH, int T, double peak, double *flop_out)
{
    enum { B = 32 };
    int R = kind == KERNEL_WEIGHT_GRAD ? T * B : B;
    int K = kind == KERNEL_BACK_STEP ? GH : H, N = kind == KERNEL_BACK_STEP ? H : GH;
    size_t na = (size_t)R * K, nb = kind == KERNEL_WEIGHT_GRAD ? (size_t)R * N : (size_t)K * N;
    size_t nout = kind == KERNEL_WEIGHT_GRAD ? (size_t)K * N : (size_t)R * N;
    sw_real *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *out = calloc(nout, sizeof *out);
    sw_real *bp = malloc(sw_packed_size(K, N) * sizeof *bp);
    double secs = -1, flop = 2.0 * R * K * N;
    if (a && b && out && bp) {
        sw_rng r;
        sw_rng_init(&r, 5, SW_STREAM_INIT);
        for (size_t i = 0; i < na; i++) a[i] = (sw_real)(sw_rng_uniform(&r) - 0.5) * 0.1f;
        for (size_t i = 0; i < nb; i++) b[i] = (sw_real)(sw_rng_uniform(&r) - 0.5) * 0.1f;
        if (kind != KERNEL_WEIGHT_GRAD) sw_pack(bp, b, K, N);
        long calls = (long)(0.1 * peak / flop) + 1;
        double t0 = thread_cpu();
        for (long c = 0; c < calls; c++) {
            if (kind == KERNEL_WEIGHT_GRAD)
                sw_matmul_at_acc(out, a, b, R, K, N);
            else /* accumulate (as the step adds to the input product), tanh for rnn's fused step */
                sw_matmul_packed(out, a, bp, NULL, R, K, N, kind != KERNEL_BACK_STEP, kind == KERNEL_STEP_TANH);
            if (kind == KERNEL_STEP) /* keep the sums from growing without bound */
                for (size_t i = 0; i < nout; i += 97) out[i] *= 0.5f;
        }
        secs = (thread_cpu() - t0) / (double)calls;
    }
    free(a), free(b), free(out), free(bp);
    *flop_out = flop;
    return secs;
}

static int bench_kernels(int repeats, int quick, double peak)
{
    static const int Hs[] = {32, 64, 128, 256, 512}, Ts[] = {20, 100, 500};
    typedef struct {
        int G, H, kind, T;
        double flop, secs;
    } kernel_result;
    kernel_result res[2 * 5 * (KERNEL_COUNT + 2)];
    int n = 0;
    for (int g = 0; g < 2; g++) {
        int G = g ? 4 : 1; /* rnn's shapes and lstm's (gru's 3H lies between) */
        for (size_t h = 0; h < sizeof Hs / sizeof Hs[0]; h++) {
            if (quick && Hs[h] != 32 && Hs[h] != 64 && Hs[h] != 256) continue;
            for (int k = 0; k < KERNEL_COUNT; k++) {
                if (k == KERNEL_STEP_TANH && G != 1) continue;
                for (size_t t = 0; t < (k == KERNEL_WEIGHT_GRAD ? sizeof Ts / sizeof Ts[0] : 1); t++) {
                    int T = k == KERNEL_WEIGHT_GRAD ? Ts[t] : 1;
                    if (quick && T == 500) continue;
                    res[n++] = (kernel_result){G, Hs[h], k, T, 0, 1e300};
                }
            }
        }
    }
    /* Passes over every product, as for the training steps. */
    for (int pass = 0; pass < repeats; pass++)
        for (int i = 0; i < n; i++) {
            kernel_result *r = &res[i];
            double secs = time_kernel((kernel_kind)r->kind, r->H, r->G * r->H, r->T, peak, &r->flop);
            if (secs <= 0) {
                fprintf(stderr, "bench_engine: out of memory for the kernels at H=%d\n", r->H);
                return 1;
            }
            if (secs < r->secs) r->secs = secs;
        }
    printf("\nThe matrix products alone (batch 32; one thread, best of %d passes; share of the peak)\n", repeats);
    printf("%-5s %4s %-12s %6s %5s %5s %6s %9s %7s\n", "gates", "H", "product", "rows", "K", "N", "T", "GFLOP/s",
           "peak");
    for (int i = 0; i < n; i++) {
        const kernel_result *r = &res[i];
        int GH = r->G * r->H, back = r->kind == KERNEL_BACK_STEP, wg = r->kind == KERNEL_WEIGHT_GRAD;
        char tcol[8] = "-";
        if (wg) snprintf(tcol, sizeof tcol, "%d", r->T);
        printf("%-5d %4d %-12s %6d %5d %5d %6s %9.1f %6.0f%%\n", r->G, r->H, kernel_names[r->kind], wg ? r->T * 32 : 32,
               back ? GH : r->H, back ? r->H : GH, tcol, r->flop / r->secs * 1e-9, 100 * r->flop / r->secs / peak);
    }
    fflush(stdout);
    return 0;
}

/* The data sets' Gaussian inputs: normals per ns of one thread (best of `repeats`) by
 * sw_rng_fill_normal (double, libm) and sw_rng_fill_normal_float (what the tasks store) with
 * each implementation the CPU runs, 2^22 values a time into a buffer already touched. */
static int bench_normals(int repeats)
{
    enum { N = 1 << 22 };
    double *d = malloc(N * sizeof *d);
    float *f = malloc(N * sizeof *f);
    if (!d || !f) {
        free(d), free(f);
        fprintf(stderr, "bench_engine: out of memory for the normals\n");
        return 1;
    }
    memset(d, 0, N * sizeof *d), memset(f, 0, N * sizeof *f);
    double best[1 + SW_RNG_IMPL_COUNT];
    for (int k = 0; k <= SW_RNG_IMPL_COUNT; k++) best[k] = 1e300;
    for (int pass = 0; pass < repeats; pass++)
        for (int k = 0; k <= SW_RNG_IMPL_COUNT; k++) {
            if (k > 0 && !sw_rng_impl_supported((sw_rng_impl)(k - 1))) continue;
            sw_rng r;
            sw_rng_init(&r, (uint64_t)pass, SW_STREAM_TRAIN_DATA);
            double t0 = thread_cpu();
            if (k == 0)
                sw_rng_fill_normal(&r, d, N);
            else
                sw_rng_fill_normal_float_using(&r, f, N, (sw_rng_impl)(k - 1));
            double secs = thread_cpu() - t0;
            if (secs < best[k]) best[k] = secs;
        }
    printf("\nGaussian data (one thread, best of %d; normals per ns)\n", repeats);
    printf("%-28s %8.3f\n", "double, libm", N / best[0] * 1e-9);
    for (int k = 1; k <= SW_RNG_IMPL_COUNT; k++)
        if (best[k] < 1e300)
            printf("%-28s %8.3f  %5.1fx\n", sw_rng_impl_name((sw_rng_impl)(k - 1)), N / best[k] * 1e-9,
                   best[0] / best[k]);
    printf("(float rows: sw_rng_fill_normal_float by implementation, bit-identical to (float) of the double row; "
           "the factor is over it)\n");
    fflush(stdout);
    free(d), free(f);
    return 0;
}

/* Training steps of every cell and size, or (only_cell >= 0) of one. */
static int bench_sizes(int repeats, int quick, double peak, int only_cell, int only_H, int only_T)
{
    static const int all_H[] = {64, 128, 256, 512}, all_T[] = {20, 100, 500};
    static const int quick_H[] = {64, 256}, quick_T[] = {20, 100};
    const int *Hs = quick ? quick_H : all_H, *Ts = quick ? quick_T : all_T;
    int nH = quick ? 2 : 4, nT = 2 + !quick;
    if (only_cell >= 0) Hs = &only_H, Ts = &only_T, nH = nT = 1;
    /* The repeats are passes over every size, not back to back: on a machine shared with
     * others, a slow phase lasts seconds and would spoil every repeat of one size. */
    typedef struct {
        int cell, H, T, steps;
        double flops, wall1, cpu1, wall2, cpu2;
    } size_result;
    size_result res[SW_CELL_COUNT * 4 * 3];
    int n = 0;
    for (int cell = 0; cell < SW_CELL_COUNT; cell++)
        for (int h = 0; h < nH && (only_cell < 0 ? cell != SW_CELL_TRANSFORMER : cell == only_cell); h++)
            for (int t = 0; t < nT; t++)
                res[n++] = (size_result){cell, Hs[h], Ts[t], 0, 0, 1e300, 1e300, 1e300, 1e300};
    for (int pass = 0; pass < repeats; pass++) {
        fprintf(stderr, "(training steps: pass %d of %d)\n", pass + 1, repeats);
        for (int i = 0; i < n; i++) {
            size_result *r = &res[i];
            step_bench s;
            if (step_bench_init(&s, (sw_cell_kind)r->cell, r->H, r->T)) {
                fprintf(stderr, "out of memory at %s H=%d T=%d\n", sw_cell_name((sw_cell_kind)r->cell), r->H, r->T);
                step_bench_free(&s);
                return 1;
            }
            r->flops = step_flops(&s);
            r->steps = (int)(RUN_SECONDS * peak / r->flops);
            if (r->steps < 1) r->steps = 1;
            double wall1, cpu1, wall2, cpu2;
            time_steps(&s, 1, r->steps, &wall1, &cpu1);
            time_steps(&s, 2, r->steps, &wall2, &cpu2);
            if (cpu1 < r->cpu1) r->cpu1 = cpu1, r->wall1 = wall1;
            if (wall2 < r->wall2) r->wall2 = wall2, r->cpu2 = cpu2;
            step_bench_free(&s);
        }
    }
    printf("\nTraining steps (seed protocol's model: 2 layers, batch 32, I=10, dropout 0.2, Adam; "
           "best of %d passes)\n", repeats);
    printf("%-5s %4s %4s %9s %6s %10s %9s %7s %10s %10s %8s %6s\n", "cell", "H", "T", "GFLOP/st", "steps",
           "CPU s/step", "GFLOP/s", "peak", "1 thr wall", "2 thr wall", "speed-up", "cores");
    for (int i = 0; i < n; i++) {
        const size_result *r = &res[i];
        double rate = r->flops / r->cpu1;
        printf("%-5s %4d %4d %9.2f %6d %10.4f %9.1f %6.0f%% %10.4f %10.4f %7.2fx %6.2f\n",
               sw_cell_name((sw_cell_kind)r->cell), r->H, r->T, r->flops * 1e-9, r->steps, r->cpu1, rate * 1e-9,
               100 * rate / peak, r->wall1, r->wall2, r->wall1 / r->wall2, r->cpu2 / r->wall2);
    }
    fflush(stdout);
    return 0;
}

/* ---- 4. transformer products ---------------------------------------------------------- */

/* Forward's kinds come before SW_TF_FF_DX, backward's from it. */
static int is_backward(int kind) { return kind >= SW_TF_FF_DX; }

static int is_attention(int kind)
{
    return kind == SW_TF_QK || kind == SW_TF_AV || kind == SW_TF_DP || kind == SW_TF_DV || kind == SW_TF_DQ ||
           kind == SW_TF_DK;
}

/* One pass of the layers (forward if fwd, backward if bwd, or both) with only `kinds`'
 * products (0: everything), on one thread; multiply-adds into fmas. */
static void tf_pass(step_bench *s, unsigned kinds, int fwd, int bwd, double *fmas)
{
    sw_tf_profile(s->work, kinds, fmas);
    if (fwd) sw_tf_forward_layers(s->work, &s->params, 0, 1);
    if (bwd) sw_tf_backward_layers(s->work, &s->params, &s->grads, NULL, 0, 1);
    sw_tf_profile(s->work, 0, NULL);
}

/* Best CPU seconds per pass (as tf_pass) over `repeats` repeats of enough passes for
 * RUN_SECONDS at the peak; multiply-adds of one pass into *fma (all kinds'). */
static double time_tf_pass(step_bench *s, unsigned kinds, int fwd, int bwd, int repeats, double peak, double *fma)
{
    double fmas[SW_TF_PRODUCTS] = {0}, best = 1e300;
    tf_pass(s, kinds ? kinds : ~0u, fwd, bwd, fmas); /* warms the caches, counts */
    *fma = 0;
    for (int k = 0; k < SW_TF_PRODUCTS; k++)
        if (!kinds || (kinds >> k & 1u)) *fma += fmas[k];
    int passes = (int)(RUN_SECONDS * peak / (2 * *fma));
    if (passes < 1) passes = 1;
    for (int r = 0; r < repeats; r++) {
        double t0 = thread_cpu();
        for (int k = 0; k < passes; k++) tf_pass(s, kinds, fwd, bwd, fmas);
        double c = (thread_cpu() - t0) / passes;
        if (c < best) best = c;
    }
    return best;
}

static void tf_row(int d, int T, int dh, const char *what, double fma, double causal, double secs, double peak)
{
    double rate = 2 * fma / secs;
    char share[16] = "-";
    if (causal > 0) snprintf(share, sizeof share, "%.0f%%", 100 * causal);
    printf("%4d %4d %3d  %-14s %9.3f %7s %10.5f %9.1f %6.0f%%\n", d, T, dh, what, 2e-9 * fma, share, secs,
           rate * 1e-9, 100 * rate / peak);
    fflush(stdout);
}

static int bench_attention(int repeats, int quick, double peak, int only_d, int only_T)
{
    static const int all_d[] = {64, 128, 256, 512}, all_T[] = {20, 100, 500};
    static const int quick_d[] = {64, 256}, quick_T[] = {20, 100};
    const int *ds = quick ? quick_d : all_d, *Ts = quick ? quick_T : all_T;
    int nd = quick ? 2 : 4, nT = 2 + !quick;
    if (only_d > 0) ds = &only_d, Ts = &only_T, nd = nT = 1;
    printf("\nTransformer products (1 layer, 4 heads of dh = d/4, F = 4d, batch 32, training; one thread, "
           "CPU s per pass, best of %d)\n", repeats);
    printf("%4s %4s %3s  %-14s %9s %7s %10s %9s %7s\n", "d", "T", "dh", "product", "GFLOP", "causal", "CPU s",
           "GFLOP/s", "peak");
    for (int i = 0; i < nd; i++)
        for (int j = 0; j < nT; j++) {
            int d = ds[i], T = Ts[j];
            step_bench s;
            if (step_bench_init_layers(&s, SW_CELL_TRANSFORMER, d, T, 1)) {
                fprintf(stderr, "out of memory at transformer d=%d T=%d\n", d, T);
                step_bench_free(&s);
                return 1;
            }
            /* The clock moves with the machine's load: the peak is measured again, and the
             * highest measured so far is the one shares are of. */
            double again = measure_peak();
            if (again > peak) peak = again;
            printf("(d=%d T=%d: peak measured now %.1f GFLOP/s, shares of %.1f)\n", d, T, again * 1e-9, peak * 1e-9);
            int A = s.shape.heads, dh = d / A, B = s.cfg.train.batch;
            double useful = (double)s.shape.layers * B * A * ((double)T * (T + 1) / 2) * dh;
            s.work->threads = 1;
            step_once(&s); /* real values everywhere (and w->train set) */
            double fma, secs, sum_fma = 0, sum_secs = 0;
            for (int k = 0; k < SW_TF_PRODUCTS; k++) {
                secs = time_tf_pass(&s, 1u << k, !is_backward(k), is_backward(k), repeats, peak, &fma);
                tf_row(d, T, dh, sw_tf_product_name((sw_tf_product)k), fma, is_attention(k) ? useful / fma : 0, secs,
                       peak);
                sum_fma += fma, sum_secs += secs;
            }
            unsigned att = 1u << SW_TF_QK | 1u << SW_TF_AV | 1u << SW_TF_DP | 1u << SW_TF_DV | 1u << SW_TF_DQ |
                           1u << SW_TF_DK;
            secs = time_tf_pass(&s, att, 1, 1, repeats, peak, &fma);
            tf_row(d, T, dh, "attention", fma, 6 * useful / fma, secs, peak);
            tf_row(d, T, dh, "sum above", sum_fma, 0, sum_secs, peak);
            secs = time_tf_pass(&s, 0, 1, 1, repeats, peak, &fma);
            tf_row(d, T, dh, "whole layers", fma, 0, secs, peak);
            step_bench_free(&s);
        }
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = 3, quick = 0, only_cell = -1, only_H = 0, only_T = 0, attention = 0, att_d = 0, att_T = 0;
    int kernels_only = 0, normals_only = 0;
    for (int i = 1; i < argc; i++) {
        char cell[16];
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--attention")) {
            attention = 1;
        } else if (!strcmp(argv[i], "--kernels")) {
            kernels_only = 1;
        } else if (!strcmp(argv[i], "--normals")) {
            normals_only = 1;
        } else if (!strcmp(argv[i], "--attention-size") && i + 1 < argc) {
            attention = 1;
            if (sscanf(argv[++i], "%d:%d", &att_d, &att_T) != 2 || att_d < 4 || att_d % 4 || att_T < 1) {
                fprintf(stderr, "%s: --attention-size wants D:T, D a multiple of 4, e.g. 256:100\n", argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%15[a-z]:%d:%d", cell, &only_H, &only_T) != 3 || only_H < 1 || only_T < 1) {
                fprintf(stderr, "%s: --size wants CELL:H:T, e.g. lstm:256:100\n", argv[0]);
                return 2;
            }
            for (int c = 0; c < SW_CELL_COUNT; c++)
                if (!strcmp(cell, sw_cell_name((sw_cell_kind)c))) only_cell = c;
            if (only_cell < 0) {
                fprintf(stderr, "%s: unknown cell '%s'\n", argv[0], cell);
                return 2;
            }
        } else {
            repeats = atoi(argv[i]);
            if (repeats < 1 || repeats > 100) {
                fprintf(stderr, "usage: %s [--quick | --size CELL:H:T | --kernels | --normals | --attention | "
                                "--attention-size D:T] [REPEATS 1..100]\n", argv[0]);
                return 2;
            }
        }
    }
    double peak = measure_peak();
    printf("Kernels: %s. FP32 FMA peak of one core, measured: %.1f GFLOP/s\n", sw_kernels_name(), peak * 1e-9);
    fflush(stdout);
    if (attention) return bench_attention(repeats, quick, peak, att_d, att_T) ? 1 : 0;
    if (normals_only) return bench_normals(repeats) ? 1 : 0;
    if (kernels_only) return bench_kernels(repeats, quick, peak) || bench_normals(repeats) ? 1 : 0;
    if ((only_cell < 0 && bench_reference(repeats, peak)) || bench_sizes(repeats, quick, peak, only_cell, only_H, only_T))
        return 1;
    if (only_cell < 0 && (bench_kernels(repeats, quick, peak) || bench_normals(repeats))) return 1;
    if (only_cell < 0 && bench_attention(repeats, quick, peak, 0, 0)) return 1;
    return 0;
}
