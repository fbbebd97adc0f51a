/* test_engine_work: the model's work area (model.h). Its block: from one huge page up, on
 * huge pages (2 MiB-aligned) even below SW_LARGE_BYTES, zeroed. The recording pass's
 * per-step norms of d loss / d W_hh, 4 steps side by side in norm_scratch, bit for bit
 * those of the one-step-at-a-time path (norm_scratch NULL), for step counts around 4 and
 * every recurrent cell; norm_scratch absent when it would exceed 256 KiB; and
 * sw_sum_squares_side (optim.h) against sw_sum_squares, k = 1..9 sums, odd lengths.
 * sw_model_load_input, which copies a batch of (N,T,I)
 * sequences into the work's time-major x (T,B,I) in blocks of steps, against the plain
 * step-by-step copy, on sizes that are not multiples of its block (T, B and I odd, T
 * across several blocks and below one), with and without a permutation of the steps
 * (task.permute) and a batch index (random rows, repeats allowed), in both the float and
 * the double engine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "optim.h"

/* The definition: x[t][b][i] = data[index[b]][steps[t]][i]. */
static void load_plain(sw_real *x, const float *data, const int32_t *steps, const int *index, int B, int T, int I)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; i < I; i++)
                x[((size_t)t * B + b) * I + i] =
                    (sw_real)data[((size_t)(index ? index[b] : b) * T + (steps ? steps[t] : t)) * I + i];
}

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

/* One case: N sequences, a batch of B of them into a work sized for max_batch. */
static void check_case(int T, int I, int B, int max_batch, int permute, int indexed, uint64_t *seed)
{
    int N = B + 7;
    sw_model_shape shape = {.cell = SW_CELL_RNN, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST,
                            .input = I, .hidden = 3, .layers = 1, .gates = 1, .outputs = 2};
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, max_batch, T, 0) == SW_OK, "work T=%d I=%d B=%d", T, I, B);
    float *data = malloc((size_t)N * T * I * sizeof *data); /* exact size: ASan sees any read past it */
    int32_t *steps = malloc((size_t)T * sizeof *steps);
    int *index = malloc((size_t)B * sizeof *index);
    sw_real *want = calloc((size_t)max_batch * T * I, sizeof *want);
    if (!w || !data || !steps || !index || !want) {
        CHECK(0, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < (size_t)N * T * I; k++) data[k] = (float)k + 0.25f; /* every value distinct */
    for (int t = 0; t < T; t++) steps[t] = t;
    for (int t = T - 1; t > 0; t--) { /* Fisher-Yates */
        int u = (int)(next(seed) % (uint64_t)(t + 1));
        int32_t tmp = steps[t];
        steps[t] = steps[u], steps[u] = tmp;
    }
    for (int b = 0; b < B; b++) index[b] = (int)(next(seed) % (uint64_t)N);
    const int32_t *s = permute ? steps : NULL;
    const int *ix = indexed ? index : NULL;
    /* Stale values from a previous, larger batch must not matter: only T*B*I are compared. */
    for (size_t k = 0; k < (size_t)max_batch * T * I; k++) w->x[k] = -1;
    sw_model_load_input(w, data, s, ix, B);
    load_plain(want, data, s, ix, B, T, I);
    size_t n = (size_t)T * B * I, first_bad = n;
    for (size_t k = 0; k < n && first_bad == n; k++)
        if (w->x[k] != want[k]) first_bad = k;
    CHECK(w->batch == B, "batch %d, want %d", w->batch, B);
    CHECK(first_bad == n, "T=%d I=%d B=%d permute=%d index=%d: x[%zu] = %g, want %g", T, I, B, permute, indexed,
          first_bad, first_bad < n ? (double)w->x[first_bad] : 0.0, first_bad < n ? (double)want[first_bad] : 0.0);
done:
    free(want), free(index), free(steps), free(data);
    sw_model_work_free(w);
}

/* The reference run's work (H=64, 2 layers, T=20, 64 rows): 3.9 MB, on huge pages. */
static void check_block(void)
{
    sw_model_shape shape = {.cell = SW_CELL_RNN, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST,
                            .input = 10, .hidden = 64, .layers = 2, .gates = 1, .outputs = 2};
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, 64, 20, 1) == SW_OK, "the reference run's work");
    if (!w) return;
    CHECK((uintptr_t)w->block % SW_HUGE_PAGE_BYTES == 0, "a work block of 2-4 MiB at %p: not on huge pages", w->block);
    const unsigned char *b = w->block;
    size_t nonzero = 0, n = (size_t)((const char *)w->dw_scratch - (const char *)w->block);
    for (size_t k = 0; k < n; k++) nonzero += b[k] != 0;
    CHECK(n >= SW_HUGE_PAGE_BYTES && nonzero == 0, "the work block: %zu of %zu bytes not zero", nonzero, n);
    sw_model_work_free(w);
}

/* Per-step dW_hh norms (L,T) of one recording backward pass. */
static void step_norms_of(sw_model_work *w, const sw_params *p, const sw_params *g, sw_real *grad_flat, size_t n,
                          const sw_targets *y, double *norms)
{
    memset(grad_flat, 0, n * sizeof *grad_flat);
    sw_model_forward(w, p, y, 0, NULL, NULL);
    sw_model_backward(w, p, g, y, norms);
}

static void check_step_norms(sw_cell_kind cell, int T, uint64_t *seed)
{
    enum { I = 3, H = 5, B = 3, L = 2 };
    sw_model_shape shape = {.cell = cell, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST, .input = I,
                            .hidden = H, .layers = L, .gates = sw_cell_gates(cell), .outputs = 2};
    size_t n = sw_param_count(&shape);
    sw_real *flat = malloc(2 * n * sizeof *flat), *x = malloc((size_t)B * T * I * sizeof *x);
    double *a = calloc((size_t)L * T, sizeof *a), *b = calloc((size_t)L * T, sizeof *b);
    sw_params params, grads;
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 1) == SW_OK, "work");
    if (!flat || !x || !a || !b || !w) {
        CHECK(0, "out of memory");
        goto done;
    }
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    for (size_t i = 0; i < n; i++) flat[i] = (sw_real)((double)next(seed) / (1u << 31) - 0.5);
    for (size_t i = 0; i < (size_t)B * T * I; i++) x[i] = (sw_real)((double)next(seed) / (1u << 30) - 1.0);
    int32_t labels[B] = {0, 1, 1};
    sw_targets y = {labels, NULL};
    sw_model_pack(w, &params);
    sw_model_load_input_real(w, x, B);
    CHECK(w->norm_scratch != NULL, "%s H=%d: no norm_scratch", sw_cell_name(cell), H);
    step_norms_of(w, &params, &grads, flat + n, n, &y, a);
    sw_real *kept = w->norm_scratch;
    w->norm_scratch = NULL; /* one step at a time */
    step_norms_of(w, &params, &grads, flat + n, n, &y, b);
    w->norm_scratch = kept;
    int nonzero = 0;
    for (int i = 0; i < L * T; i++) nonzero += a[i] != 0;
    CHECK(T == 1 || nonzero >= L * (T - 1), "%s T=%d: %d of %d step norms nonzero", sw_cell_name(cell), T, nonzero, L * T);
    CHECK(!memcmp(a, b, (size_t)L * T * sizeof *a), "%s T=%d: step norms 4 at a time differ from one at a time",
          sw_cell_name(cell), T);
done:
    sw_model_work_free(w);
    free(a), free(b), free(x), free(flat);
}

/* Past 256 KiB (lstm H=80: 4 x 80 x 320 floats), no norm_scratch. */
static void check_norm_scratch_bound(void)
{
    sw_model_shape shape = {.cell = SW_CELL_LSTM, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST, .input = 2,
                            .hidden = 80, .layers = 1, .gates = 4, .outputs = 2};
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, 2, 3, 1) == SW_OK, "work");
    if (w) CHECK(w->norm_scratch == NULL, "lstm H=80: a norm_scratch of more than 256 KiB");
    sw_model_work_free(w);
    shape.hidden = 64; /* 256 KiB exactly (in float) */
    CHECK(sw_model_work_create(&w, &shape, 2, 3, 0) == SW_OK, "work");
    if (w) CHECK(w->norm_scratch == NULL, "a work without record_dh has a norm_scratch");
    sw_model_work_free(w);
}

static void check_sum_squares_side(uint64_t *seed)
{
    enum { STRIDE = 41 };
    sw_real x[9 * STRIDE];
    for (int i = 0; i < 9 * STRIDE; i++) x[i] = (sw_real)((double)next(seed) / (1u << 28) - 8.0) / 3;
    for (int k = 1; k <= 9; k++)
        for (size_t n = 0; n <= STRIDE; n += 9) {
            double side[9];
            sw_sum_squares_side(side, x, n, STRIDE, k);
            for (int r = 0; r < k; r++) {
                double one = sw_sum_squares(x + (size_t)r * STRIDE, n);
                CHECK(!memcmp(&side[r], &one, sizeof one), "k=%d n=%zu: sum %d is %.17g, alone %.17g", k, n, r, side[r],
                      one);
            }
        }
}

int main(void)
{
    check_block();
    uint64_t side_seed = 5;
    check_sum_squares_side(&side_seed);
    check_norm_scratch_bound();
    uint64_t norm_seed = 99;
    const sw_cell_kind cells[] = {SW_CELL_RNN, SW_CELL_LSTM, SW_CELL_GRU};
    const int steps[] = {1, 2, 4, 5, 8, 11};
    for (int c = 0; c < 3; c++)
        for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) check_step_norms(cells[c], steps[k], &norm_seed);
    /* I = 1 (pixels) copies 256 steps a block, I = 10 (mean_sign) 25, I = 17 16. A step's
     * copy takes another path below 4 values, from 4, from 8, and past 8 (vectors of 8, the
     * last overlapping): each side of each bound. */
    const int Ts[] = {1, 7, 24, 25, 26, 53, 301, 517};
    const int Is[] = {1, 2, 3, 4, 5, 7, 8, 9, 10, 16, 17, 28};
    const int Bs[] = {1, 5, 33};
    uint64_t seed = 12345;
    for (size_t a = 0; a < sizeof Ts / sizeof *Ts; a++)
        for (size_t c = 0; c < sizeof Is / sizeof *Is; c++)
            for (size_t d = 0; d < sizeof Bs / sizeof *Bs; d++)
                for (int mode = 0; mode < 4; mode++) {
                    if (Ts[a] > 60 && (Bs[d] > 5 || Is[c] > 3) && mode != 3) continue; /* the long ones once */
                    check_case(Ts[a], Is[c], Bs[d], Bs[d] + (mode & 1), mode & 1, mode >> 1 & 1, &seed);
                }
    return check_report("engine_work");
}
