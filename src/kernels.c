#include "kernels.h"

#include <math.h>
#include <string.h>

/* Output columns per tile. With 4 rows that is 16 AVX2 accumulators' worth of work; the
 * compiler keeps the tile in registers because its size is a compile-time constant. */
#define TILE_N 32
#define TILE_R 4

/* One tile: rows r0..r0+nr-1, columns c0..c0+TILE_N-1 (all present). */
static inline void matmul_tile_full(sw_real *restrict out, const sw_real *restrict a,
                                    const sw_real *restrict b, const sw_real *restrict bias,
                                    int nr, int K, int N, int c0, int accumulate)
{
    sw_real acc[TILE_R][TILE_N];
    for (int i = 0; i < nr; i++)
        for (int c = 0; c < TILE_N; c++)
            acc[i][c] = accumulate ? out[(size_t)i * N + c0 + c] : (bias ? bias[c0 + c] : 0);
    if (nr == TILE_R) {
        for (int k = 0; k < K; k++) {
            const sw_real *brow = b + (size_t)k * N + c0;
            for (int i = 0; i < TILE_R; i++) {
                sw_real av = a[(size_t)i * K + k];
                for (int c = 0; c < TILE_N; c++) acc[i][c] += av * brow[c];
            }
        }
    } else {
        for (int k = 0; k < K; k++) {
            const sw_real *brow = b + (size_t)k * N + c0;
            for (int i = 0; i < nr; i++) {
                sw_real av = a[(size_t)i * K + k];
                for (int c = 0; c < TILE_N; c++) acc[i][c] += av * brow[c];
            }
        }
    }
    for (int i = 0; i < nr; i++)
        for (int c = 0; c < TILE_N; c++) out[(size_t)i * N + c0 + c] = acc[i][c];
}

void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K,
               int N, int accumulate)
{
    int nfull = N - N % TILE_N;
    for (int r0 = 0; r0 < R; r0 += TILE_R) {
        int nr = R - r0 < TILE_R ? R - r0 : TILE_R;
        sw_real *o = out + (size_t)r0 * N;
        const sw_real *ar = a + (size_t)r0 * K;
        for (int c0 = 0; c0 < nfull; c0 += TILE_N)
            matmul_tile_full(o, ar, b, bias, nr, K, N, c0, accumulate);
        if (nfull < N) {
            /* Column tail: same per-element order (bias, then k = 0..K-1). */
            for (int i = 0; i < nr; i++) {
                sw_real *orow = o + (size_t)i * N;
                for (int c = nfull; c < N; c++)
                    if (!accumulate) orow[c] = bias ? bias[c] : 0;
                for (int k = 0; k < K; k++) {
                    sw_real av = ar[(size_t)i * K + k];
                    const sw_real *brow = b + (size_t)k * N;
                    for (int c = nfull; c < N; c++) orow[c] += av * brow[c];
                }
            }
        }
    }
}

void sw_matmul_at_acc(sw_real *restrict out, const sw_real *restrict a, const sw_real *restrict b,
                      int R, int K, int N)
{
    for (int r = 0; r < R; r++) {
        const sw_real *arow = a + (size_t)r * K;
        const sw_real *brow = b + (size_t)r * N;
        for (int k = 0; k < K; k++) {
            sw_real av = arow[k];
            sw_real *orow = out + (size_t)k * N;
            for (int c = 0; c < N; c++) orow[c] += av * brow[c];
        }
    }
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

#ifdef SW_REAL_DOUBLE
void sw_tanh_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = tanh(x[i]);
}

void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 1.0 / (1.0 + exp(-x[i]));
}
#else
/* tanh x = x P(x^2) / Q(x^2): Lambert's continued fraction for tanh truncated after 12
 * terms and expanded into polynomials; beyond |x| = 8.75 it is clamped (error there is
 * below float resolution of 1 - tanh). Max abs error in float: 3.6e-7. */
static inline float tanh_rational(float x)
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

void sw_tanh_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = tanh_rational(x[i]);
}

void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    /* sigmoid(x) = (1 + tanh(x/2)) / 2: one vectorisable approximation serves both. */
    for (size_t i = 0; i < n; i++) x[i] = 0.5f + 0.5f * tanh_rational(0.5f * x[i]);
}
#endif
