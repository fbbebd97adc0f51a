/* Matrix kernels on awkward shapes (row counts that are not a multiple of the register
 * tile, column counts with a tail, inner sizes longer than a packed chunk): sw_matmul and
 * sw_matmul_at_acc against a naive double product; every output element bit-identical to
 * one fused multiply-add chain in increasing order from its initial value (the property
 * that makes results independent of tiling, vector width and threads); the packed
 * kernels bit-identical to the unpacked ones (and a product with a leading part of a packed
 * operand, sw_matmul_packed_sub, one chain per element too); the fused recurrent step bit-identical to a
 * product followed by tanh; the cells (forward and backward, the latter in each of its three forms of
 * taking the gradient from above) bit-identical to the engine's former loops; and every result independent of how rows are blocked (a row
 * computed alone equals the same row computed in a batch) or how panels are shared.
 * Every build of the kernels this CPU runs is checked (avx2, avx512, avx512emu), each
 * against the same FMA chains, so passing proves them bit-identical to each other. The
 * engine's common sizes (batch 32; K = 10 inputs, 32..256; N = H, 3H, 4H) and every tile
 * height are checked the same way, each product kind and start (0, bias, accumulate, tanh). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "kernels_variant.h"
#include "rng.h"

#ifdef SW_REAL_DOUBLE
#define FMA fma
#else
#define FMA fmaf
#endif

/* CHECK, naming the build of the kernels under test. */
#define KCHECK(cond, ...)                                                                                              \
    do {                                                                                                               \
        CHECK(cond, __VA_ARGS__);                                                                                      \
        if (!(cond)) fprintf(stderr, "  (kernels %s)\n", kt->name);                                                   \
    } while (0)

static void fill(sw_real *x, size_t n, sw_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)(sw_rng_uniform(r) * 2 - 1);
}

/* tanh and sigmoid of the same values by every build: the first build's results, and
 * how many values (an odd count, so vector loops leave a tail). */
enum { ACT_N = 1001 };
static sw_real first_tanh[ACT_N], first_sigmoid[ACT_N];
static int have_first;

/* out (R,N) as one FMA chain per element over k in order from init (0, bias or out's
 * value), with tanh applied when asked: what every product must give bit for bit. */
static void chain_product(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K, int N,
                          int accumulate, int apply_tanh, const sw_kernel_table *kt)
{
    for (int i = 0; i < R; i++)
        for (int j = 0; j < N; j++) {
            sw_real acc = accumulate ? out[i * N + j] : bias ? bias[j] : 0;
            for (int k = 0; k < K; k++) acc = FMA(a[i * K + k], b[k * N + j], acc);
            out[i * N + j] = acc;
        }
    if (apply_tanh) kt->tanh_inplace(out, (size_t)R * N);
}

/* out (K,N) += a^T b with a (R,K), b (R,N), as one FMA chain per element over i in order
 * from out's value: what the weight-gradient form must give bit for bit. */
static void chain_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            sw_real acc = out[k * N + j];
            for (int i = 0; i < R; i++) acc = FMA(a[i * K + k], b[i * N + j], acc);
            out[k * N + j] = acc;
        }
}

/* The products at the engine's common sizes and every tile height, against FMA chains bit
 * for bit: the packed product from 0, from the bias, accumulating, and accumulating with
 * tanh (the rnn step), for R = 1..27 rows (every tile height up to 12, and the splits of
 * the rows left after full tiles) and the batch of 32 at K = 10, 32, 64, 96, 128 and
 * N = H, 3H, 4H; the weight-gradient form for K = 1..40 (tiles up to 12 columns of a
 * tall, b read in place or packed) and at the training's shapes (T*32 rows). N includes
 * a partial last panel where it is not a multiple of the panel width. */
static int check_common_shapes(const sw_kernel_table *kt)
{
    static const int products[][3] = {
        {32, 32, 32},  {32, 32, 96},  {32, 32, 128}, {32, 10, 32},  {32, 10, 96},  {32, 10, 128}, {32, 64, 64},
        {32, 64, 192}, {32, 64, 256}, {32, 128, 32}, {32, 96, 32},  {32, 256, 64}, {32, 128, 128}, {32, 128, 512},
        {16, 32, 128}, {640, 10, 128}, {33, 40, 120}, {31, 32, 40},
    };
    static const int grads[][3] = {
        {640, 32, 128}, {640, 32, 32}, {640, 10, 128}, {640, 10, 96}, {640, 64, 256}, {3200, 32, 128},
        {640, 128, 128}, {608, 32, 96}, {100, 36, 64}, {100, 37, 64}, {100, 25, 130}, {640, 64, 64},
        {300, 96, 200}, {300, 97, 64}, /* b read in place up to K = 96 */
    };
    enum { MAXR = 3200, MAXK = 256, MAXN = 512 };
    sw_rng r;
    sw_rng_init(&r, 23, SW_STREAM_INIT);
    sw_real *a = malloc(sizeof(sw_real) * MAXR * MAXK), *b = malloc(sizeof(sw_real) * MAXR * MAXN);
    sw_real *bias = malloc(sizeof(sw_real) * MAXN), *bp = malloc(sizeof(sw_real) * kt->packed_size(MAXK, MAXN));
    sw_real *got = malloc(sizeof(sw_real) * MAXR * MAXN), *want = malloc(sizeof(sw_real) * MAXR * MAXN);
    if (!a || !b || !bias || !bp || !got || !want) return 1;
    fill(a, (size_t)MAXR * MAXK, &r), fill(b, (size_t)MAXR * MAXN, &r), fill(bias, MAXN, &r);
    int nprod = (int)(sizeof products / sizeof products[0]), nheights = 27;
    for (int p = 0; p < nprod + nheights; p++) {
        int R = p < nprod ? products[p][0] : p - nprod + 1, K = p < nprod ? products[p][1] : 10;
        int N = p < nprod ? products[p][2] : 69;
        kt->pack(bp, b, K, N);
        for (int mode = 0; mode < 4; mode++) { /* from 0, from the bias, accumulate, accumulate + tanh */
            const sw_real *bs = mode == 1 ? bias : NULL;
            int acc = mode >= 2, th = mode == 3;
            fill(want, (size_t)R * N, &r);
            memcpy(got, want, sizeof(sw_real) * R * N);
            chain_product(want, a, b, bs, R, K, N, acc, th, kt);
            kt->matmul_packed(got, a, bp, bs, R, K, N, acc, th);
            KCHECK(!memcmp(got, want, sizeof(sw_real) * R * N), "packed product %dx%dx%d (%s) one FMA chain per element",
                   R, K, N, (const char *[]){"from 0", "bias", "accumulate", "accumulate, tanh"}[mode]);
        }
    }
    int ngrads = (int)(sizeof grads / sizeof grads[0]), nwidths = 40;
    for (int g = 0; g < ngrads + nwidths; g++) {
        int R = g < ngrads ? grads[g][0] : 300, K = g < ngrads ? grads[g][1] : g - ngrads + 1;
        int N = g < ngrads ? grads[g][2] : 69;
        fill(want, (size_t)K * N, &r);
        memcpy(got, want, sizeof(sw_real) * K * N);
        chain_at_acc(want, a, b, R, K, N);
        kt->matmul_at_acc(got, a, b, R, K, N);
        KCHECK(!memcmp(got, want, sizeof(sw_real) * K * N), "weight-gradient form %dx%dx%d one FMA chain per element",
               R, K, N);
    }
    free(a), free(b), free(bias), free(bp), free(got), free(want);
    return 0;
}

/* The gru cells of R rows as the engine computed them before sw_gru_cells: row by row,
 * the sigmoids and the tanh by this build's activation calls, gate by gate. */
static void gru_cells_by_gates(sw_real *a, sw_real *hn, sw_real *h, const sw_real *hp, const sw_real *h_prev, int R,
                               int H, const sw_kernel_table *kt)
{
    for (int b = 0; b < R; b++, a += 3 * H, hp += 3 * H, h_prev += H, hn += H, h += H) {
        for (int j = 0; j < 2 * H; j++) a[j] += hp[j];
        kt->sigmoid_inplace(a, 2 * (size_t)H);
        for (int j = 0; j < H; j++) {
            hn[j] = hp[2 * H + j];
            a[2 * H + j] += a[j] * hn[j];
        }
        kt->tanh_inplace(a + 2 * H, (size_t)H);
        for (int j = 0; j < H; j++) h[j] = a[2 * H + j] + a[H + j] * (h_prev[j] - a[2 * H + j]);
    }
}

/* sw_gru_cells bit-identical to the gate-by-gate calls, at hidden sizes with and without a
 * vector tail (1, lanes - 1, lanes + 3, the study's 32, 40, 64), pre-activations wide
 * enough to reach the tanh's clamps. */
static int check_gru_cells(const sw_kernel_table *kt, sw_rng *r)
{
    static const int sizes[][2] = {{1, 1}, {3, 7}, {5, 15}, {2, 19}, {32, 32}, {7, 40}, {32, 64}, {4, 100}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int R = sizes[s][0], H = sizes[s][1];
        size_t ga = (size_t)R * 3 * H, gh = (size_t)R * H;
        sw_real *a = malloc(ga * sizeof *a), *a2 = malloc(ga * sizeof *a), *hp = malloc(ga * sizeof *a);
        sw_real *hprev = malloc(gh * sizeof *a), *hn = malloc(gh * sizeof *a), *hn2 = malloc(gh * sizeof *a);
        sw_real *h = malloc(gh * sizeof *a), *h2 = malloc(gh * sizeof *a);
        fill(a, ga, r), fill(hp, ga, r), fill(hprev, gh, r);
        for (size_t i = 0; i < ga; i++) a[i] *= 12, hp[i] *= 4;
        memcpy(a2, a, ga * sizeof *a);
        kt->gru_cells(a, hn, h, hp, hprev, R, H);
        gru_cells_by_gates(a2, hn2, h2, hp, hprev, R, H, kt);
        KCHECK(!memcmp(a, a2, ga * sizeof *a) && !memcmp(hn, hn2, gh * sizeof *a) && !memcmp(h, h2, gh * sizeof *a),
               "gru cells %dx%d identical to the gate-by-gate calls", R, H);
        free(a), free(a2), free(hp), free(hprev), free(hn), free(hn2), free(h), free(h2);
    }
    return 0;
}

/* The lstm cells of R rows as the engine computed them before sw_lstm_cells: row by row,
 * the gates by this build's activation calls. */
static void lstm_cells_by_gates(sw_real *a, sw_real *c, sw_real *tc, sw_real *h, const sw_real *c_prev, int R, int H,
                                const sw_kernel_table *kt)
{
    for (int b = 0; b < R; b++, a += 4 * H, c_prev += H, c += H, tc += H, h += H) {
        kt->sigmoid_inplace(a, 2 * (size_t)H);
        kt->tanh_inplace(a + 2 * H, (size_t)H);
        kt->sigmoid_inplace(a + 3 * H, (size_t)H);
        for (int j = 0; j < H; j++) c[j] = FMA(a[H + j], c_prev[j], a[j] * a[2 * H + j]); /* f c' fused */
        memcpy(tc, c, (size_t)H * sizeof *c);
        kt->tanh_inplace(tc, (size_t)H);
        for (int j = 0; j < H; j++) h[j] = a[3 * H + j] * tc[j];
    }
}

/* sw_lstm_cells bit-identical to the gate-by-gate calls, at the sizes of check_gru_cells. */
static int check_lstm_cells(const sw_kernel_table *kt, sw_rng *r)
{
    static const int sizes[][2] = {{1, 1}, {3, 7}, {5, 15}, {2, 19}, {32, 32}, {7, 40}, {32, 64}, {4, 100}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int R = sizes[s][0], H = sizes[s][1];
        size_t ga = (size_t)R * 4 * H, gh = (size_t)R * H;
        sw_real *a = malloc(ga * sizeof *a), *a2 = malloc(ga * sizeof *a), *cp = malloc(gh * sizeof *a);
        sw_real *c = malloc(gh * sizeof *a), *c2 = malloc(gh * sizeof *a), *tc = malloc(gh * sizeof *a);
        sw_real *tc2 = malloc(gh * sizeof *a), *h = malloc(gh * sizeof *a), *h2 = malloc(gh * sizeof *a);
        fill(a, ga, r), fill(cp, gh, r);
        for (size_t i = 0; i < ga; i++) a[i] *= 12;
        for (size_t i = 0; i < gh; i++) cp[i] *= 6;
        memcpy(a2, a, ga * sizeof *a);
        kt->lstm_cells(a, c, tc, h, cp, R, H);
        lstm_cells_by_gates(a2, c2, tc2, h2, cp, R, H, kt);
        KCHECK(!memcmp(a, a2, ga * sizeof *a) && !memcmp(c, c2, gh * sizeof *a) && !memcmp(tc, tc2, gh * sizeof *a) &&
                   !memcmp(h, h2, gh * sizeof *a),
               "lstm cells %dx%d identical to the gate-by-gate calls", R, H);
        free(a), free(a2), free(cp), free(c), free(c2), free(tc), free(tc2), free(h), free(h2);
    }
    return 0;
}

/* ---- the cells backward: against the engine's loops before the kernels (model.c's
 * *_cell_backward_body), value by value, with the fused operations GCC compiled them to
 * (1 - x x as one fused step, lstm's dcell + (d o)(1 - tc tc) as one) written out. */

/* 1 - x x in one rounding. */
static sw_real one_minus_sq(sw_real x)
{
    return FMA(-x, x, 1);
}

/* d loss / d h of value j from d = dh[j], by form: d + above[j], d + 0 (+0 for a d of -0)
 * or d. */
static sw_real dh_in(sw_real d, const sw_real *above, size_t j, sw_dh_form form)
{
    return form == SW_DH_ADD ? d + above[j] : form == SW_DH_ZERO ? d + (sw_real)0 : d;
}

static void rnn_backward_ref(sw_real *da, const sw_real *dh, const sw_real *above, const sw_real *h, size_t n, int relu,
                             sw_dh_form form)
{
    for (size_t i = 0; i < n; i++) {
        sw_real d = dh_in(dh[i], above, i, form);
        da[i] = relu ? (h[i] > 0 ? d : 0) : d * one_minus_sq(h[i]);
    }
}

static void lstm_backward_ref(sw_real *a, sw_real *dcell, const sw_real *tc, const sw_real *c_prev, const sw_real *dh,
                              const sw_real *above, int R, int H, sw_dh_form form)
{
    for (int b = 0; b < R; b++, a += 4 * H, dcell += H, tc += H, c_prev += H, dh += H)
        for (int j = 0; j < H; j++) {
            sw_real i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
            sw_real d = dh_in(dh[j], above, (size_t)b * H + j, form);
            sw_real dc = FMA(d * o, one_minus_sq(tc[j]), dcell[j]);
            a[3 * H + j] = d * tc[j] * o * (1 - o);
            a[j] = dc * g * i * (1 - i);
            a[2 * H + j] = dc * i * one_minus_sq(g);
            a[H + j] = dc * c_prev[j] * f * (1 - f);
            dcell[j] = dc * f;
        }
}

static void gru_backward_ref(sw_real *a, sw_real *dhn, sw_real *dh, const sw_real *hn, const sw_real *h_prev,
                             const sw_real *above, int R, int H, sw_dh_form form)
{
    for (int b = 0; b < R; b++, a += 3 * H, dhn += H, dh += H, hn += H, h_prev += H)
        for (int j = 0; j < H; j++) {
            sw_real r = a[j], z = a[H + j], n = a[2 * H + j], d = dh_in(dh[j], above, (size_t)b * H + j, form);
            sw_real dn = d * (1 - z) * one_minus_sq(n);
            a[H + j] = d * (h_prev[j] - n) * z * (1 - z);
            a[j] = dn * hn[j] * r * (1 - r);
            a[2 * H + j] = dn;
            dhn[j] = dn * r;
            dh[j] = d * z;
        }
}

/* Values in (-scale, scale), every 5th a signed zero (dh + 0 is +0 where dh is -0: the
 * zero form must not pass a -0 through) and every 7th a gate value at 0 or 1, from
 * (i + phase): each array's at other places than the others'. */
static void fill_cells(sw_real *x, size_t n, sw_rng *r, double scale, size_t phase)
{
    fill(x, n, r);
    for (size_t i = 0; i < n; i++) {
        size_t k = i + phase;
        x[i] *= (sw_real)scale;
        if (k % 5 == 3) x[i] = (sw_real)(k % 10 == 3 ? -0.0 : 0.0);
        if (k % 7 == 2) x[i] = (sw_real)(k % 14 == 2);
    }
}

/* Hidden sizes (and rows) with and without vector tails for 8 and 16 lanes, the study's. */
static const int backward_sizes[][2] = {{1, 1}, {3, 7}, {2, 16}, {5, 17}, {4, 33}, {32, 64}, {3, 100}};
enum { BACKWARD_SIZES = sizeof backward_sizes / sizeof backward_sizes[0] };

/* sw_rnn_cells_backward (tanh and relu) in every form identical to the former loops; n = R H. */
static int check_rnn_cells_backward(const sw_kernel_table *kt, sw_rng *r)
{
    for (int form = 0; form < SW_DH_FORM_COUNT; form++)
        for (int s = 0; s < BACKWARD_SIZES; s++)
            for (int relu = 0; relu < 2; relu++) {
                size_t n = (size_t)backward_sizes[s][0] * backward_sizes[s][1];
                sw_real *dh = malloc(n * sizeof *dh), *above = malloc(n * sizeof *dh), *h = malloc(n * sizeof *dh);
                sw_real *da = malloc(n * sizeof *dh), *da2 = malloc(n * sizeof *dh);
                fill_cells(dh, n, r, 3, 1), fill_cells(above, n, r, 3, 2), fill_cells(h, n, r, 1, 3);
                const sw_real *ab = form == SW_DH_ADD ? above : NULL;
                kt->rnn_cells_backward(da, dh, ab, h, n, relu, (sw_dh_form)form);
                rnn_backward_ref(da2, dh, ab, h, n, relu, (sw_dh_form)form);
                KCHECK(!memcmp(da, da2, n * sizeof *da), "rnn %s cells backward, form %d, n = %zu, identical to the "
                       "former loop", relu ? "relu" : "tanh", form, n);
                free(dh), free(above), free(h), free(da), free(da2);
            }
    return 0;
}

/* sw_lstm_cells_backward in every form identical to the former loop: gates, dcell. */
static int check_lstm_cells_backward(const sw_kernel_table *kt, sw_rng *r)
{
    for (int form = 0; form < SW_DH_FORM_COUNT; form++)
        for (int s = 0; s < BACKWARD_SIZES; s++) {
            int R = backward_sizes[s][0], H = backward_sizes[s][1];
            size_t ga = (size_t)R * 4 * H, gh = (size_t)R * H, z = sizeof(sw_real);
            sw_real *a = malloc(ga * z), *a2 = malloc(ga * z), *dcell = malloc(gh * z), *dcell2 = malloc(gh * z);
            sw_real *tc = malloc(gh * z), *cp = malloc(gh * z), *dh = malloc(gh * z), *above = malloc(gh * z);
            fill_cells(a, ga, r, 1, 4), fill_cells(dcell, gh, r, 2, 5), fill_cells(tc, gh, r, 1, 6);
            fill_cells(cp, gh, r, 4, 7), fill_cells(dh, gh, r, 2, 8), fill_cells(above, gh, r, 2, 9);
            memcpy(a2, a, ga * z), memcpy(dcell2, dcell, gh * z);
            const sw_real *ab = form == SW_DH_ADD ? above : NULL;
            kt->lstm_cells_backward(a, dcell, tc, cp, dh, ab, R, H, (sw_dh_form)form);
            lstm_backward_ref(a2, dcell2, tc, cp, dh, ab, R, H, (sw_dh_form)form);
            KCHECK(!memcmp(a, a2, ga * z) && !memcmp(dcell, dcell2, gh * z),
                   "lstm cells backward, form %d, %dx%d, identical to the former loop", form, R, H);
            free(a), free(a2), free(dcell), free(dcell2), free(tc), free(cp), free(dh), free(above);
        }
    return 0;
}

/* sw_gru_cells_backward in every form identical to the former loop: gates, dhn, dh. */
static int check_gru_cells_backward(const sw_kernel_table *kt, sw_rng *r)
{
    for (int form = 0; form < SW_DH_FORM_COUNT; form++)
        for (int s = 0; s < BACKWARD_SIZES; s++) {
            int R = backward_sizes[s][0], H = backward_sizes[s][1];
            size_t ga = (size_t)R * 3 * H, gh = (size_t)R * H, z = sizeof(sw_real);
            sw_real *a = malloc(ga * z), *a2 = malloc(ga * z), *dhn = malloc(gh * z), *dhn2 = malloc(gh * z);
            sw_real *dh = malloc(gh * z), *dh2 = malloc(gh * z), *hn = malloc(gh * z), *hp = malloc(gh * z);
            sw_real *above = malloc(gh * z);
            fill_cells(a, ga, r, 1, 10), fill_cells(dh, gh, r, 2, 11), fill_cells(hn, gh, r, 3, 12);
            fill_cells(hp, gh, r, 1, 13), fill_cells(above, gh, r, 2, 14);
            memcpy(a2, a, ga * z), memcpy(dh2, dh, gh * z);
            const sw_real *ab = form == SW_DH_ADD ? above : NULL;
            kt->gru_cells_backward(a, dhn, dh, hn, hp, ab, R, H, (sw_dh_form)form);
            gru_backward_ref(a2, dhn2, dh2, hn, hp, ab, R, H, (sw_dh_form)form);
            KCHECK(!memcmp(a, a2, ga * z) && !memcmp(dhn, dhn2, gh * z) && !memcmp(dh, dh2, gh * z),
                   "gru cells backward, form %d, %dx%d, identical to the former loop", form, R, H);
            free(a), free(a2), free(dhn), free(dhn2), free(dh), free(dh2), free(hn), free(hp), free(above);
        }
    return 0;
}

/* tanh and sigmoid of a sweep of values give the first build's bits (the first build records them). */
static void check_activations_match_first_build(const sw_kernel_table *kt)
{
    sw_real th[ACT_N], sg[ACT_N];
    for (int i = 0; i < ACT_N; i++) th[i] = sg[i] = (sw_real)(-12.0 + 24.0 * i / (ACT_N - 1));
    th[0] = sg[0] = (sw_real)-0.0, th[1] = sg[1] = (sw_real)8.75, th[2] = sg[2] = (sw_real)1e-30;
    kt->tanh_inplace(th, ACT_N);
    kt->sigmoid_inplace(sg, ACT_N);
    if (!have_first) {
        memcpy(first_tanh, th, sizeof th), memcpy(first_sigmoid, sg, sizeof sg), have_first = 1;
    } else {
        KCHECK(!memcmp(first_tanh, th, sizeof th), "tanh identical to the first build's");
        KCHECK(!memcmp(first_sigmoid, sg, sizeof sg), "sigmoid identical to the first build's");
    }
}

/* The activations' vector body and their scalar tail give the same bits for the same
 * value: each value once in a long call (the body) and once alone (the tail), over a
 * sweep of ordinary values and the edge cases (signed zeros, the clamps and values
 * next to them, infinities, NaN, subnormals). */
static void check_activation_body_and_tail(const sw_kernel_table *kt)
{
    enum { EDGE_N = 4096 };
    static sw_real body_t[EDGE_N], body_s[EDGE_N];
    for (int i = 0; i < EDGE_N; i++) body_t[i] = (sw_real)(-20.0 + 40.0 * i / EDGE_N);
    const double edges[] = {0.0, -0.0, 8.75, -8.75, 8.7499, -8.7499, 8.7501, -8.7501, 17.5, -17.5, 1e-40,
                            -1e-40, 1e30, -1e30, HUGE_VAL, -HUGE_VAL, NAN, 1.0, -1.0, 0.5, 4.0, -4.0};
    for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) body_t[e * 7] = (sw_real)edges[e];
    memcpy(body_s, body_t, sizeof body_t);
    sw_real alone_t[EDGE_N], alone_s[EDGE_N];
    memcpy(alone_t, body_t, sizeof body_t), memcpy(alone_s, body_t, sizeof body_t);
    kt->tanh_inplace(body_t, EDGE_N);
    kt->sigmoid_inplace(body_s, EDGE_N);
    int differ_t = 0, differ_s = 0;
    for (int i = 0; i < EDGE_N; i++) {
        kt->tanh_inplace(&alone_t[i], 1);
        kt->sigmoid_inplace(&alone_s[i], 1);
        differ_t += memcmp(&alone_t[i], &body_t[i], sizeof(sw_real)) != 0;
        differ_s += memcmp(&alone_s[i], &body_s[i], sizeof(sw_real)) != 0;
    }
    KCHECK(differ_t == 0, "tanh: vector body and scalar tail differ on %d of %d values", differ_t, EDGE_N);
    KCHECK(differ_s == 0, "sigmoid: vector body and scalar tail differ on %d of %d values", differ_s, EDGE_N);
}

/* One shape's operands, drawn once and shared by its checks: a (R,K), b (K,N) and b packed
 * (bp), bias (N), g (R,N), and out = bias + a @ b. */
typedef struct {
    int R, K, N;
    sw_real *a, *b, *bp, *bias, *g, *out;
} shape_case;

/* bias + a @ b against double sums */
static void check_matmul_against_double(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *b = sc->b, *bias = sc->bias, *out = sc->out;
    bool close = true;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < N; j++) {
            double want = bias[j];
            for (int k = 0; k < K; k++) want += (double)a[i * K + k] * b[k * N + j];
            close &= check_close(out[i * N + j], want, 1e-5, 1e-5);
        }
    KCHECK(close, "matmul %dx%dx%d", R, K, N);
}

/* each element is one FMA chain over k in order, from the bias */
static void check_matmul_chains(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *b = sc->b, *bias = sc->bias, *out = sc->out;
    bool chained = true;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < N; j++) {
            sw_real acc = bias[j];
            for (int k = 0; k < K; k++) acc = FMA(a[i * K + k], b[k * N + j], acc);
            chained &= !memcmp(&acc, &out[i * N + j], sizeof acc);
        }
    KCHECK(chained, "matmul is one FMA chain per element %dx%dx%d", R, K, N);
}

/* packed b: the same bits, whether packed from b or from its transpose; 1 when out of memory */
static int check_packed_matches_unpacked(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *b = sc->b, *bp = sc->bp, *bias = sc->bias, *out = sc->out;
    size_t psize = kt->packed_size(K, N);
    sw_real *bp2 = malloc(sizeof(sw_real) * psize);
    sw_real *bt = malloc(sizeof(sw_real) * K * N), *pk = malloc(sizeof(sw_real) * R * N);
    if (!bp2 || !bt || !pk) {
        free(bp2), free(bt), free(pk);
        return 1;
    }
    kt->transpose(bt, b, K, N);
    kt->pack_transposed(bp2, bt, K, N);
    KCHECK(!memcmp(bp, bp2, sizeof(sw_real) * psize), "pack == pack_transposed %dx%d", K, N);
    kt->matmul_packed(pk, a, bp, bias, R, K, N, 0, 0);
    KCHECK(!memcmp(pk, out, sizeof(sw_real) * R * N), "packed == unpacked %dx%dx%d", R, K, N);
    free(bp2), free(bt), free(pk);
    return 0;
}

/* matmul_packed_sub: the leading Ks rows and Ns columns of the packed b, with a and
 * out parts of wider matrices (rows lda and ldo apart): each element one FMA chain
 * from 0 or (accumulating) from its value, the rest of out untouched; 1 when out of memory */
static int check_packed_sub(const sw_kernel_table *kt, const shape_case *sc, sw_rng *r)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *b = sc->b, *bp = sc->bp;
    int Ks = K - K / 3, Ns = N - N / 2;
    size_t lda = (size_t)K + 3, ldo = (size_t)N + 5, n = (size_t)R * ldo;
    sw_real *aw = malloc(sizeof(sw_real) * R * lda), *o0 = malloc(sizeof(sw_real) * n);
    sw_real *o1 = malloc(sizeof(sw_real) * n), *o2 = malloc(sizeof(sw_real) * n);
    if (!aw || !o0 || !o1 || !o2) {
        free(aw), free(o0), free(o1), free(o2);
        return 1;
    }
    fill(aw, (size_t)R * lda, r), fill(o0, n, r);
    memcpy(o1, o0, sizeof(sw_real) * n), memcpy(o2, o0, sizeof(sw_real) * n);
    kt->matmul_packed_sub(o1, ldo, aw, lda, bp, K, R, Ks, Ns, 0);
    kt->matmul_packed_sub(o2, ldo, aw, lda, bp, K, R, Ks, Ns, 1);
    bool sub = true;
    for (int i = 0; i < R; i++)
        for (size_t j = 0; j < ldo; j++) {
            sw_real want1 = o0[i * ldo + j], want2 = want1;
            if (j < (size_t)Ns) {
                want1 = 0;
                for (int k = 0; k < Ks; k++) {
                    want1 = FMA(aw[i * lda + k], b[k * N + j], want1);
                    want2 = FMA(aw[i * lda + k], b[k * N + j], want2);
                }
            }
            sub &= !memcmp(&want1, &o1[i * ldo + j], sizeof want1) &&
                   !memcmp(&want2, &o2[i * ldo + j], sizeof want2);
        }
    KCHECK(sub, "matmul_packed_sub %dx%dx%d of %dx%dx%d", R, Ks, Ns, R, K, N);
    /* b's rows from k0 on (bp + packed_row_offset(k0)): the chain over k in two
     * calls, rows 0..k0-1 then k0..K-1, accumulating, is the chain of one call */
    int k0 = K / 3;
    memcpy(o1, o0, sizeof(sw_real) * n), memcpy(o2, o0, sizeof(sw_real) * n);
    kt->matmul_packed_sub(o1, ldo, aw, lda, bp, K, R, K, N, 1);
    kt->matmul_packed_sub(o2, ldo, aw, lda, bp, K, R, k0, N, 1);
    kt->matmul_packed_sub(o2, ldo, aw + k0, lda, bp + kt->packed_row_offset(k0), K, R, K - k0, N, 1);
    KCHECK(!memcmp(o1, o2, sizeof(sw_real) * n), "matmul_packed_sub split at row %d of %dx%dx%d", k0, R, K, N);
    free(aw), free(o0), free(o1), free(o2);
    return 0;
}

/* a row alone == the same row in the batch, bitwise; 1 when out of memory */
static int check_rows_independent(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *b = sc->b, *bias = sc->bias, *out = sc->out;
    sw_real *row = malloc(sizeof(sw_real) * N);
    if (!row) return 1;
    bool same_rows = true;
    for (int i = 0; i < R; i++) {
        kt->matmul(row, a + (size_t)i * K, b, bias, 1, K, N, 0);
        same_rows &= !memcmp(row, out + (size_t)i * N, sizeof(sw_real) * N);
    }
    KCHECK(same_rows, "rows independent of blocking %dx%dx%d", R, K, N);
    free(row);
    return 0;
}

/* fused step == accumulate then tanh, bitwise (out is left the step's result); 1 when out of memory */
static int check_fused_tanh_step(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *b = sc->b, *bp = sc->bp;
    sw_real *out = sc->out, *fused = malloc(sizeof(sw_real) * R * N), *pk = malloc(sizeof(sw_real) * R * N);
    if (!fused || !pk) {
        free(fused), free(pk);
        return 1;
    }
    memcpy(fused, out, sizeof(sw_real) * R * N); /* both start from bias + a @ b */
    kt->matmul(out, a, b, NULL, R, K, N, 1);
    kt->tanh_inplace(out, (size_t)R * N);
    memcpy(pk, fused, sizeof(sw_real) * R * N);
    kt->matmul_acc_tanh(fused, a, b, R, K, N);
    KCHECK(!memcmp(out, fused, sizeof(sw_real) * R * N), "fused tanh step %dx%dx%d", R, K, N);
    kt->matmul_packed(pk, a, bp, NULL, R, K, N, 1, 1);
    KCHECK(!memcmp(out, pk, sizeof(sw_real) * R * N), "packed fused tanh step %dx%dx%d", R, K, N);
    free(fused), free(pk);
    return 0;
}

/* gw (K,N) += a^T @ g against double sums; 1 when out of memory */
static int check_at_acc_against_double(const sw_kernel_table *kt, const shape_case *sc)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *g = sc->g;
    sw_real *gw = malloc(sizeof(sw_real) * K * N);
    if (!gw) return 1;
    memset(gw, 0, sizeof(sw_real) * K * N);
    kt->matmul_at_acc(gw, a, g, R, K, N);
    bool close = true;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            double want = 0;
            for (int i = 0; i < R; i++) want += (double)a[i * K + k] * g[i * N + j];
            close &= check_close(gw[k * N + j], want, 1e-5, 1e-5);
        }
    KCHECK(close, "matmul_at_acc %dx%dx%d", R, K, N);
    free(gw);
    return 0;
}

/* matmul_at_acc_part in 3 parts, in reverse order, covers the columns and gives gw, the
 * whole product from gw2's start, bit for bit (as threads share the panels). */
static void check_at_acc_parts(const sw_kernel_table *kt, const shape_case *sc, const sw_real *gw, sw_real *gw2)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *g = sc->g;
    int covered = 0;
    for (int part = 2; part >= 0; part--) { /* 3 parts, in reverse order */
        int c0, c1;
        kt->matmul_part_cols(N, part, 3, &c0, &c1);
        covered += c1 - c0;
        KCHECK(c0 <= c1 && (part < 2 || c1 == N) && (part > 0 || c0 == 0), "part %d of 3 of %d columns", part, N);
        kt->matmul_at_acc_part(gw2, a, g, R, K, N, part, 3);
    }
    KCHECK(covered == N, "3 parts cover the %d columns", N);
    KCHECK(!memcmp(gw, gw2, sizeof(sw_real) * K * N), "matmul_at_acc in 3 parts %dx%dx%d", R, K, N);
}

/* at_acc_part_ld: a block of columns [j0, N) of b and out (rows N apart), in 2 parts,
 * is those columns of the whole product; the columns before it are untouched (gw: the
 * product from a random start, bt: the chain's from the same start); 1 when out of memory */
static int check_at_acc_part_ld(const sw_kernel_table *kt, const shape_case *sc, const sw_real *gw, sw_real *gw2,
                                const sw_real *bt)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *g = sc->g;
    int j0 = N / 3;
    memcpy(gw2, bt, sizeof(sw_real) * K * N); /* bt: the chain's result, from gw's start */
    sw_real *gw3 = malloc(sizeof(sw_real) * K * N);
    if (!gw3) return 1;
    memcpy(gw3, gw, sizeof(sw_real) * K * N); /* gw: the product; its first columns stay */
    for (int k = 0; k < K; k++)
        for (int j = j0; j < N; j++) gw3[k * N + j] = gw2[k * N + j] = 0;
    chain_at_acc(gw2 + 0, a, g, R, K, N); /* whole, from 0 in [j0, N) */
    for (int part = 0; part < 2; part++)
        kt->matmul_at_acc_part_ld(gw3 + j0, (size_t)N, a, g + j0, (size_t)N, R, K, N - j0, part, 2);
    bool block = true;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            const sw_real *want = j < j0 ? &gw[k * N + j] : &gw2[k * N + j];
            block &= !memcmp(want, &gw3[k * N + j], sizeof *want);
        }
    KCHECK(block, "matmul_at_acc_part_ld columns %d.. of %dx%dx%d", j0, R, K, N);
    free(gw3);
    return 0;
}

/* at_acc: one FMA chain over rows per element, from the value already there; the same bits
 * when its panels are computed in any split (as threads share them) or by column block. 1
 * when out of memory. */
static int check_at_acc_chains(const sw_kernel_table *kt, const shape_case *sc, sw_rng *r)
{
    int R = sc->R, K = sc->K, N = sc->N;
    const sw_real *a = sc->a, *g = sc->g;
    sw_real *gw = malloc(sizeof(sw_real) * K * N), *bt = malloc(sizeof(sw_real) * K * N);
    sw_real *gw2 = malloc(sizeof(sw_real) * K * N);
    if (!gw || !bt || !gw2) {
        free(gw), free(bt), free(gw2);
        return 1;
    }
    fill(gw, (size_t)K * N, r);
    memcpy(gw2, gw, sizeof(sw_real) * K * N);
    memcpy(bt, gw, sizeof(sw_real) * K * N);
    chain_at_acc(bt, a, g, R, K, N);
    kt->matmul_at_acc(gw, a, g, R, K, N);
    KCHECK(!memcmp(gw, bt, sizeof(sw_real) * K * N), "matmul_at_acc is one FMA chain per element %dx%dx%d", R, K, N);
    check_at_acc_parts(kt, sc, gw, gw2);
    int oom = check_at_acc_part_ld(kt, sc, gw, gw2, bt);
    free(gw), free(gw2), free(bt);
    return oom;
}

/* Draws one shape's operands from r and runs its checks in turn; 1 when out of memory. */
static int check_shape(const sw_kernel_table *kt, const int shape[3], sw_rng *r)
{
    int R = shape[0], K = shape[1], N = shape[2];
    shape_case sc = {.R = R, .K = K, .N = N};
    sc.a = malloc(sizeof(sw_real) * R * K), sc.b = malloc(sizeof(sw_real) * K * N);
    sc.bias = malloc(sizeof(sw_real) * N), sc.out = malloc(sizeof(sw_real) * R * N);
    sc.g = malloc(sizeof(sw_real) * R * N), sc.bp = malloc(sizeof(sw_real) * kt->packed_size(K, N));
    int oom = !sc.a || !sc.b || !sc.bias || !sc.out || !sc.g || !sc.bp;
    if (oom) goto out;
    fill(sc.a, (size_t)R * K, r), fill(sc.b, (size_t)K * N, r);
    fill(sc.bias, (size_t)N, r), fill(sc.g, (size_t)R * N, r);
    kt->matmul(sc.out, sc.a, sc.b, sc.bias, R, K, N, 0);
    kt->pack(sc.bp, sc.b, K, N);
    check_matmul_against_double(kt, &sc);
    check_matmul_chains(kt, &sc);
    /* in this order: the sub-products and the at_acc chains draw from r, and the fused step
     * overwrites out */
    oom = check_packed_matches_unpacked(kt, &sc) || check_packed_sub(kt, &sc, r) ||
          check_rows_independent(kt, &sc) || check_fused_tanh_step(kt, &sc) ||
          check_at_acc_against_double(kt, &sc) || check_at_acc_chains(kt, &sc, r);
out:
    free(sc.a), free(sc.b), free(sc.bp), free(sc.bias), free(sc.g), free(sc.out);
    return oom;
}

/* Checks one build of the kernels on every shape, and its activations against the first
 * build's. */
static int check_kernels(const sw_kernel_table *kt)
{
    check_activations_match_first_build(kt);
    check_activation_body_and_tail(kt);
    if (check_common_shapes(kt)) return 1;
    {
        sw_rng gr;
        sw_rng_init(&gr, 12, SW_STREAM_INIT);
        if (check_gru_cells(kt, &gr) || check_lstm_cells(kt, &gr)) return 1;
        if (check_rnn_cells_backward(kt, &gr) || check_lstm_cells_backward(kt, &gr) ||
            check_gru_cells_backward(kt, &gr))
            return 1;
    }
    static const int shapes[][3] = {{1, 1, 1},    {5, 7, 3},      {32, 64, 64}, {13, 10, 64}, {7, 64, 33},
                                    {6, 17, 95},  {29, 3, 256},   {100, 64, 40}, {3, 300, 20}, {40, 600, 17},
                                    {700, 12, 9}, {33, 257, 130}};
    sw_rng r;
    sw_rng_init(&r, 11, SW_STREAM_INIT);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        if (check_shape(kt, shapes[s], &r)) return 1;
    return 0;
}

int main(void)
{
#ifdef SWEEP_KERNEL_DISPATCH
    const sw_kernel_table *builds[] = {&sw_kernels_avx2, &sw_kernels_avx512, &sw_kernels_avx512emu};
    __builtin_cpu_init();
    for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++) {
        if (builds[i] == &sw_kernels_avx512 && !__builtin_cpu_supports("avx512f")) {
            printf("engine_kernels: avx512 not checked: this CPU has no AVX-512\n");
            continue;
        }
        if (check_kernels(builds[i])) return 1;
    }
#else
    /* one build of the kernels: the public functions */
    const sw_kernel_table kernels = {
        sw_kernels_name(), sw_matmul,        sw_matmul_acc_tanh, sw_packed_size, sw_pack,
        sw_pack_transposed, sw_matmul_packed, sw_matmul_at_acc, sw_matmul_part_cols, sw_matmul_at_acc_part,
        sw_colsum_acc,     sw_transpose,     sw_tanh_inplace,   sw_sigmoid_inplace, sw_kernels_fma_peak,
        sw_matmul_packed_sub, sw_gru_cells, sw_lstm_cells, sw_matmul_at_acc_part_ld, sw_packed_row_offset,
        sw_rnn_cells_backward, sw_lstm_cells_backward, sw_gru_cells_backward};
    if (check_kernels(&kernels)) return 1;
#endif
    return check_report("engine_kernels");
}
