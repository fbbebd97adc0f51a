/* kernels_dispatch.c: the public kernels of kernels.h, each a call through the table of
 * the build of kernels.c chosen for this CPU (see kernels_variant.h). */
#include "kernels.h"
#include "kernels_variant.h"
#include "rng.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const sw_kernel_table *const variants[SW_KERNELS_COUNT] = {&sw_kernels_avx2, &sw_kernels_avx512,
                                                                   &sw_kernels_avx512emu};

/* NULL until the first kernel call or sw_kernels_select; then fixed for the process. */
static _Atomic(const sw_kernel_table *) chosen;

/* 1 when this CPU (and its operating system, which must save the wider registers) runs
 * variant k: x86-64-v3 for avx2 and avx512emu, x86-64-v4 (AVX-512 F, VL, BW, DQ, CD) for
 * avx512. */
static int cpu_runs(sw_kernels_kind k)
{
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    if (k != SW_KERNELS_AVX512) return v3;
    return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd");
}

/* The variant named (NULL, "" and "auto": SW_KERNELS_AUTO), or -1 for an unknown name. */
static int kind_of(const char *name)
{
    if (!name || !name[0] || !strcmp(name, "auto")) return SW_KERNELS_AUTO;
    for (int k = 0; k < SW_KERNELS_COUNT; k++)
        if (!strcmp(name, variants[k]->name)) return k;
    return -1;
}

static const sw_kernel_table *best(void)
{
    return variants[cpu_runs(SW_KERNELS_AVX512) ? SW_KERNELS_AVX512 : SW_KERNELS_AVX2];
}

/* Installs t unless a choice was made already; returns the choice in force. The random
 * streams' vector code follows the kernels' instruction set (AVX2 kernels, emulated AVX-512
 * included: AVX2 there too), so that SWEEP_KERNELS=avx2 runs AVX2 code throughout; their
 * values are the same on every path. */
static const sw_kernel_table *install(const sw_kernel_table *t)
{
    const sw_kernel_table *expected = NULL;
    const sw_kernel_table *in_force = atomic_compare_exchange_strong(&chosen, &expected, t) ? t : expected;
    sw_rng_impl_cap(in_force == variants[SW_KERNELS_AVX512] ? SW_RNG_IMPL_AVX512 : SW_RNG_IMPL_AVX2);
    return in_force;
}

static const sw_kernel_table *kernels(void)
{
    const sw_kernel_table *t = atomic_load_explicit(&chosen, memory_order_acquire);
    if (t) return t;
    int k = kind_of(getenv("SWEEP_KERNELS"));
    return install(k >= 0 && k < SW_KERNELS_COUNT && cpu_runs((sw_kernels_kind)k) ? variants[k] : best());
}

int sw_kernels_select(const char *name, char *err, size_t errlen)
{
    int k = kind_of(name);
    if (k < 0) {
        sw_set_error(err, errlen, "unknown kernels '%s' (avx2, avx512, avx512emu or auto)", name);
        return SW_EINVAL;
    }
    if (k < SW_KERNELS_COUNT && !cpu_runs((sw_kernels_kind)k)) {
        sw_set_error(err, errlen, "this CPU cannot run the %s kernels", variants[k]->name);
        return SW_EINVAL;
    }
    const sw_kernel_table *want = k < SW_KERNELS_COUNT ? variants[k] : best(), *got = install(want);
    if (got != want) {
        sw_set_error(err, errlen, "the %s kernels are in use already", got->name);
        return SW_EINVAL;
    }
    return SW_OK;
}

const char *sw_kernels_name(void)
{
    return kernels()->name;
}

void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K, int N,
               int accumulate)
{
    kernels()->matmul(out, a, b, bias, R, K, N, accumulate);
}

void sw_matmul_acc_tanh(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    kernels()->matmul_acc_tanh(out, a, b, R, K, N);
}

size_t sw_packed_size(int K, int N)
{
    return kernels()->packed_size(K, N);
}

size_t sw_packed_row_offset(int k)
{
    return kernels()->packed_row_offset(k);
}

void sw_pack(sw_real *packed, const sw_real *b, int K, int N)
{
    kernels()->pack(packed, b, K, N);
}

void sw_pack_transposed(sw_real *packed, const sw_real *bt, int K, int N)
{
    kernels()->pack_transposed(packed, bt, K, N);
}

void sw_matmul_packed(sw_real *out, const sw_real *a, const sw_real *bp, const sw_real *bias, int R, int K, int N,
                      int accumulate, int apply_tanh)
{
    kernels()->matmul_packed(out, a, bp, bias, R, K, N, accumulate, apply_tanh);
}

void sw_matmul_packed_sub(sw_real *out, size_t ldo, const sw_real *a, size_t lda, const sw_real *bp, int Kp, int R,
                          int K, int N, int accumulate)
{
    kernels()->matmul_packed_sub(out, ldo, a, lda, bp, Kp, R, K, N, accumulate);
}

void sw_matmul_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    kernels()->matmul_at_acc(out, a, b, R, K, N);
}

void sw_matmul_part_cols(int N, int part, int parts, int *c0, int *c1)
{
    kernels()->matmul_part_cols(N, part, parts, c0, c1);
}

void sw_matmul_at_acc_part(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N, int part, int parts)
{
    kernels()->matmul_at_acc_part(out, a, b, R, K, N, part, parts);
}

void sw_matmul_at_acc_part_ld(sw_real *out, size_t ldo, const sw_real *a, const sw_real *b, size_t ldb, int R, int K,
                              int N, int part, int parts)
{
    kernels()->matmul_at_acc_part_ld(out, ldo, a, b, ldb, R, K, N, part, parts);
}

void sw_colsum_acc(sw_real *out, const sw_real *a, int rows, int cols)
{
    kernels()->colsum_acc(out, a, rows, cols);
}

void sw_transpose(sw_real *dst, const sw_real *src, int rows, int cols)
{
    kernels()->transpose(dst, src, rows, cols);
}

void sw_tanh_inplace(sw_real *x, size_t n)
{
    kernels()->tanh_inplace(x, n);
}

void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    kernels()->sigmoid_inplace(x, n);
}

void sw_gru_cells(sw_real *a, sw_real *hn, sw_real *h, const sw_real *hp, const sw_real *h_prev, int R, int H)
{
    kernels()->gru_cells(a, hn, h, hp, h_prev, R, H);
}

void sw_lstm_cells(sw_real *a, sw_real *c, sw_real *tc, sw_real *h, const sw_real *c_prev, int R, int H)
{
    kernels()->lstm_cells(a, c, tc, h, c_prev, R, H);
}

void sw_rnn_cells_backward(sw_real *da, const sw_real *dh, const sw_real *above, const sw_real *h, size_t n, int relu,
                           sw_dh_form form)
{
    kernels()->rnn_cells_backward(da, dh, above, h, n, relu, form);
}

void sw_lstm_cells_backward(sw_real *a, sw_real *dcell, const sw_real *tc, const sw_real *c_prev, const sw_real *dh,
                            const sw_real *above, int R, int H, sw_dh_form form)
{
    kernels()->lstm_cells_backward(a, dcell, tc, c_prev, dh, above, R, H, form);
}

void sw_gru_cells_backward(sw_real *a, sw_real *dhn, sw_real *dh, const sw_real *hn, const sw_real *h_prev,
                           const sw_real *above, int R, int H, sw_dh_form form)
{
    kernels()->gru_cells_backward(a, dhn, dh, hn, h_prev, above, R, H, form);
}

double sw_kernels_fma_peak(long iters)
{
    return kernels()->fma_peak(iters);
}
