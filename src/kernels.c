#include "kernels.h"

#include <math.h>
#include <string.h>

/* Output columns per tile, and rows: 4 rows of 32 floats are 16 AVX2 accumulators, all
 * AVX2 has; with AVX-512's 32 vector registers 6 rows fit (24 accumulators plus the row of
 * b and the broadcast) and are ~2% faster on the reference run. The compiler keeps the
 * tile in registers because its size is a compile-time constant. The tiling does not
 * change any result (see tile()). */
#define TILE_N 32
#ifdef __AVX512VL__
#define TILE_R 6
#else
#define TILE_R 4
#endif

/* tanh of one element, as sw_tanh_inplace computes it (the fused step below must give
 * bit-identical results to a product followed by sw_tanh_inplace). */
#ifdef SW_REAL_DOUBLE
static inline sw_real tanh_one(sw_real x) { return tanh(x); }
#else
/* tanh x = x P(x^2) / Q(x^2): Lambert's continued fraction for tanh truncated after 12
 * terms and expanded into polynomials; beyond |x| = 8.75 it is clamped (error there is
 * below float resolution of 1 - tanh). Max abs error in float: 3.6e-7. */
static inline float tanh_one(float x)
{
    const float clamp = 8.75f;
    x = x < -clamp ? -clamp : (x > clamp ? clamp : x);
    float u = x * x;
    float p = 1.264885555749117e-13f;
    p = p * u + 5.179706350792634e-10f;
    p = p * u + 3.2286836253274086e-07f;
    p = p * u + 6.625258799171843e-05f;
    p = p * u + 0.0052173913043478265f;
    p = p * u + 0.14666666666666667f;
    p = p * u + 1.0f;
    float q = 1.1510458557316966e-11f;
    q = q * u + 1.5193805295658393e-08f;
    q = q * u + 5.230467473030402e-06f;
    q = q * u + 0.0006625258799171842f;
    q = q * u + 0.03188405797101449f;
    q = q * u + 0.48f;
    q = q * u + 1.0f;
    float t = x * p / q;
    return t > 1.0f ? 1.0f : (t < -1.0f ? -1.0f : t);
}
#endif

/* One register tile of out (nr <= TILE_R rows, TILE_N columns from c0), row stride N:
 *   out[i][c] (+)= sum over s < S of A(i,s) * b[s * N + c0 + c],  A(i,s) = a[i*ai + s*as].
 * The strides let one kernel serve a @ b (ai = K, as = 1) and a^T @ b (ai = 1, as = K).
 * Each element sums in the order s = 0..S-1 whatever the tile, so results do not depend
 * on blocking. */
static inline void tile(sw_real *restrict out, const sw_real *restrict a, size_t ai, size_t as,
                        const sw_real *restrict b, const sw_real *restrict bias, int nr, int S, int N,
                        int c0, int accumulate, int apply_tanh)
{
    sw_real acc[TILE_R][TILE_N];
    for (int i = 0; i < TILE_R; i++)
        for (int c = 0; c < TILE_N; c++)
            acc[i][c] = i >= nr ? 0 : accumulate ? out[(size_t)i * N + c0 + c] : (bias ? bias[c0 + c] : 0);
    if (nr == TILE_R) {
        for (int s = 0; s < S; s++) {
            const sw_real *brow = b + (size_t)s * N + c0;
            for (int i = 0; i < TILE_R; i++) {
                sw_real av = a[i * ai + s * as];
                for (int c = 0; c < TILE_N; c++) acc[i][c] += av * brow[c];
            }
        }
    } else {
        for (int s = 0; s < S; s++) {
            const sw_real *brow = b + (size_t)s * N + c0;
            for (int i = 0; i < nr; i++) {
                sw_real av = a[i * ai + s * as];
                for (int c = 0; c < TILE_N; c++) acc[i][c] += av * brow[c];
            }
        }
    }
    if (apply_tanh)
        for (int i = 0; i < nr; i++)
            for (int c = 0; c < TILE_N; c++) out[(size_t)i * N + c0 + c] = tanh_one(acc[i][c]);
    else
        for (int i = 0; i < nr; i++)
            for (int c = 0; c < TILE_N; c++) out[(size_t)i * N + c0 + c] = acc[i][c];
}

/* Columns past the last full tile, one output row at a time, same summation order. */
static void column_tail(sw_real *restrict out, const sw_real *restrict a, size_t ai, size_t as,
                        const sw_real *restrict b, const sw_real *restrict bias, int nr, int S, int N,
                        int c_from, int accumulate, int apply_tanh)
{
    for (int i = 0; i < nr; i++) {
        sw_real *orow = out + (size_t)i * N;
        if (!accumulate)
            for (int c = c_from; c < N; c++) orow[c] = bias ? bias[c] : 0;
        for (int s = 0; s < S; s++) {
            sw_real av = a[i * ai + s * as];
            const sw_real *brow = b + (size_t)s * N;
            for (int c = c_from; c < N; c++) orow[c] += av * brow[c];
        }
        if (apply_tanh)
            for (int c = c_from; c < N; c++) orow[c] = tanh_one(orow[c]);
    }
}

/* out (M,N) (+)= A (M,S) @ b (S,N) with A(i,s) = a[i*ai + s*as]. */
static void strided_matmul(sw_real *out, const sw_real *a, size_t ai, size_t as, const sw_real *b,
                           const sw_real *bias, int M, int S, int N, int accumulate, int apply_tanh)
{
    int nfull = N - N % TILE_N;
    for (int r0 = 0; r0 < M; r0 += TILE_R) {
        int nr = M - r0 < TILE_R ? M - r0 : TILE_R;
        sw_real *o = out + (size_t)r0 * N;
        const sw_real *ar = a + (size_t)r0 * ai;
        for (int c0 = 0; c0 < nfull; c0 += TILE_N) tile(o, ar, ai, as, b, bias, nr, S, N, c0, accumulate, apply_tanh);
        if (nfull < N) column_tail(o, ar, ai, as, b, bias, nr, S, N, nfull, accumulate, apply_tanh);
    }
}

void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K,
               int N, int accumulate)
{
    strided_matmul(out, a, (size_t)K, 1, b, bias, R, K, N, accumulate, 0);
}

void sw_matmul_acc_tanh(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    strided_matmul(out, a, (size_t)K, 1, b, NULL, R, K, N, 1, 1);
}

void sw_matmul_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    strided_matmul(out, a, 1, (size_t)K, b, NULL, K, R, N, 1, 0);
}

void sw_colsum_acc(sw_real *restrict out, const sw_real *restrict a, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const sw_real *arow = a + (size_t)r * cols;
        for (int c = 0; c < cols; c++) out[c] += arow[c];
    }
}

void sw_transpose(sw_real *restrict dst, const sw_real *restrict src, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

void sw_tanh_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = tanh_one(x[i]);
}

#ifdef SW_REAL_DOUBLE
void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 1.0 / (1.0 + exp(-x[i]));
}
#else
void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    /* sigmoid(x) = (1 + tanh(x/2)) / 2: one vectorisable approximation serves both. */
    for (size_t i = 0; i < n; i++) x[i] = 0.5f + 0.5f * tanh_one(0.5f * x[i]);
}
#endif

#if defined(__AVX512F__)
#define PEAK_VEC_BYTES 64
#else
#define PEAK_VEC_BYTES 32
#endif

const char *sw_kernels_name(void)
{
#if defined(__AVX512F__)
    return "avx512";
#elif defined(__AVX2__)
    return "avx2";
#else
    return "generic";
#endif
}

double sw_kernels_fma_peak(long iters)
{
    /* 12 chains: more than FMA latency times FMA units on current x86 cores (4 x 2), few
     * enough to stay in 16 vector registers with the two constants. */
    typedef float vecf __attribute__((vector_size(PEAK_VEC_BYTES)));
    enum { CHAINS = 12, PEAK_LANES = PEAK_VEC_BYTES / 4 };
    vecf acc[CHAINS], mul, add;
    for (int l = 0; l < PEAK_LANES; l++) mul[l] = 0.999999f, add[l] = 1e-7f;
    for (int k = 0; k < CHAINS; k++)
        for (int l = 0; l < PEAK_LANES; l++) acc[k][l] = (float)(k + l);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < CHAINS; k++) acc[k] = acc[k] * mul + add;
    float sum = 0;
    for (int k = 0; k < CHAINS; k++)
        for (int l = 0; l < PEAK_LANES; l++) sum += acc[k][l];
    volatile float sink = sum; /* keeps the loop from being optimised away */
    (void)sink;
    return 2.0 * CHAINS * PEAK_LANES * (double)iters;
}
