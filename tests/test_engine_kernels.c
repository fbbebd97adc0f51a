/* Matrix kernels on awkward shapes (row counts that are not a multiple of the register
 * tile, column counts with a tail, inner sizes longer than a packed chunk): sw_matmul and
 * sw_matmul_at_acc against a naive double product; every output element bit-identical to
 * one fused multiply-add chain in increasing order from its initial value (the property
 * that makes results independent of tiling, vector width and threads); the packed
 * kernels bit-identical to the unpacked ones; the fused recurrent step bit-identical to a
 * product followed by tanh; and every result independent of how rows are blocked (a row
 * computed alone equals the same row computed in a batch) or how panels are shared. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "rng.h"

#ifdef SW_REAL_DOUBLE
#define FMA fma
#else
#define FMA fmaf
#endif

static void fill(sw_real *x, size_t n, sw_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)(sw_rng_uniform(r) * 2 - 1);
}

int main(void)
{
    static const int shapes[][3] = {{1, 1, 1},    {5, 7, 3},      {32, 64, 64}, {13, 10, 64}, {7, 64, 33},
                                    {6, 17, 95},  {29, 3, 256},   {100, 64, 40}, {3, 300, 20}, {40, 600, 17},
                                    {700, 12, 9}, {33, 257, 130}};
    sw_rng r;
    sw_rng_init(&r, 11, SW_STREAM_INIT);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int R = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
        sw_real *a = malloc(sizeof(sw_real) * R * K), *b = malloc(sizeof(sw_real) * K * N);
        sw_real *bias = malloc(sizeof(sw_real) * N), *out = malloc(sizeof(sw_real) * R * N);
        sw_real *fused = malloc(sizeof(sw_real) * R * N), *row = malloc(sizeof(sw_real) * N);
        sw_real *g = malloc(sizeof(sw_real) * R * N), *gw = malloc(sizeof(sw_real) * K * N);
        if (!a || !b || !bias || !out || !fused || !row || !g || !gw) return 1;
        fill(a, (size_t)R * K, &r), fill(b, (size_t)K * N, &r), fill(bias, (size_t)N, &r), fill(g, (size_t)R * N, &r);

        /* bias + a @ b against double sums */
        sw_matmul(out, a, b, bias, R, K, N, 0);
        bool close = true;
        for (int i = 0; i < R; i++)
            for (int j = 0; j < N; j++) {
                double want = bias[j];
                for (int k = 0; k < K; k++) want += (double)a[i * K + k] * b[k * N + j];
                close &= check_close(out[i * N + j], want, 1e-5, 1e-5);
            }
        CHECK(close, "matmul %dx%dx%d", R, K, N);

        /* each element is one FMA chain over k in order, from the bias */
        bool chained = true;
        for (int i = 0; i < R; i++)
            for (int j = 0; j < N; j++) {
                sw_real acc = bias[j];
                for (int k = 0; k < K; k++) acc = FMA(a[i * K + k], b[k * N + j], acc);
                chained &= !memcmp(&acc, &out[i * N + j], sizeof acc);
            }
        CHECK(chained, "matmul is one FMA chain per element %dx%dx%d", R, K, N);

        /* packed b: the same bits, whether packed from b or from its transpose */
        size_t psize = sw_packed_size(K, N);
        sw_real *bp = malloc(sizeof(sw_real) * psize), *bp2 = malloc(sizeof(sw_real) * psize);
        sw_real *bt = malloc(sizeof(sw_real) * K * N), *pk = malloc(sizeof(sw_real) * R * N);
        if (!bp || !bp2 || !bt || !pk) return 1;
        sw_transpose(bt, b, K, N);
        sw_pack(bp, b, K, N);
        sw_pack_transposed(bp2, bt, K, N);
        CHECK(!memcmp(bp, bp2, sizeof(sw_real) * psize), "pack == pack_transposed %dx%d", K, N);
        sw_matmul_packed(pk, a, bp, bias, R, K, N, 0, 0);
        CHECK(!memcmp(pk, out, sizeof(sw_real) * R * N), "packed == unpacked %dx%dx%d", R, K, N);

        /* a row alone == the same row in the batch, bitwise */
        bool same_rows = true;
        for (int i = 0; i < R; i++) {
            sw_matmul(row, a + (size_t)i * K, b, bias, 1, K, N, 0);
            same_rows &= !memcmp(row, out + (size_t)i * N, sizeof(sw_real) * N);
        }
        CHECK(same_rows, "rows independent of blocking %dx%dx%d", R, K, N);

        /* fused step == accumulate then tanh, bitwise */
        memcpy(fused, out, sizeof(sw_real) * R * N); /* both start from bias + a @ b */
        sw_matmul(out, a, b, NULL, R, K, N, 1);
        sw_tanh_inplace(out, (size_t)R * N);
        memcpy(pk, fused, sizeof(sw_real) * R * N);
        sw_matmul_acc_tanh(fused, a, b, R, K, N);
        CHECK(!memcmp(out, fused, sizeof(sw_real) * R * N), "fused tanh step %dx%dx%d", R, K, N);
        sw_matmul_packed(pk, a, bp, NULL, R, K, N, 1, 1);
        CHECK(!memcmp(out, pk, sizeof(sw_real) * R * N), "packed fused tanh step %dx%dx%d", R, K, N);

        /* gw (K,N) += a^T @ g */
        memset(gw, 0, sizeof(sw_real) * K * N);
        sw_matmul_at_acc(gw, a, g, R, K, N);
        close = true;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) {
                double want = 0;
                for (int i = 0; i < R; i++) want += (double)a[i * K + k] * g[i * N + j];
                close &= check_close(gw[k * N + j], want, 1e-5, 1e-5);
            }
        CHECK(close, "matmul_at_acc %dx%dx%d", R, K, N);

        /* at_acc: one FMA chain over rows per element, from the value already there;
         * the same bits when its panels are computed in any split (as threads share them) */
        sw_real *gw2 = malloc(sizeof(sw_real) * K * N);
        if (!gw2) return 1;
        fill(gw, (size_t)K * N, &r);
        memcpy(gw2, gw, sizeof(sw_real) * K * N);
        chained = true;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) {
                sw_real acc = gw[k * N + j];
                for (int i = 0; i < R; i++) acc = FMA(a[i * K + k], g[i * N + j], acc);
                bt[k * N + j] = acc;
            }
        sw_matmul_at_acc(gw, a, g, R, K, N);
        CHECK(!memcmp(gw, bt, sizeof(sw_real) * K * N), "matmul_at_acc is one FMA chain per element %dx%dx%d", R,
              K, N);
        int P = sw_matmul_panels(N), cut = P / 3;
        sw_matmul_at_acc_cols(gw2, a, g, R, K, N, cut, P);
        sw_matmul_at_acc_cols(gw2, a, g, R, K, N, 0, cut);
        CHECK(!memcmp(gw, gw2, sizeof(sw_real) * K * N), "matmul_at_acc by panels %dx%dx%d", R, K, N);
        free(a), free(b), free(bias), free(out), free(fused), free(row), free(g), free(gw), free(gw2);
        free(bp), free(bp2), free(bt), free(pk);
    }
    return check_report("engine_kernels");
}
