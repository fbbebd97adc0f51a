/* kernels.h: the dense loops the engine spends its time in.
 *
 * Matrices are row-major. Every matrix kernel computes each output element as one chain
 * of fused multiply-adds over the inner index in increasing order, starting from its
 * initial value (0, a bias or the output's current value): results never depend on how
 * rows or columns were blocked, on the vector width, or on which thread did which part.
 * No kernel allocates. */
#ifndef SWEEP_KERNELS_H
#define SWEEP_KERNELS_H

#include <stddef.h>

#include "common.h"

/* out (R,N) = [bias (N) broadcast, or 0 when bias is NULL] + a (R,K) @ b (K,N).
 * With accumulate != 0 the product is added to out instead (bias ignored). */
void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K,
               int N, int accumulate);

/* out (R,N) = tanh(out + a (R,K) @ b (K,N)): a recurrent step with its activation applied
 * while each tile is still in cache; bit-identical to sw_matmul (accumulate) followed
 * by sw_tanh_inplace. */
void sw_matmul_acc_tanh(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N);

/* A right-hand operand b (K,N) packed for sw_matmul_packed: panels of a few columns, each
 * K rows of contiguous values. sw_packed_size is the number of values (N rounded up to
 * whole panels, times K); sw_pack packs a row-major b, sw_pack_transposed packs b from
 * its transpose bt (N,K) (a PyTorch weight, for x @ W^T). */
size_t sw_packed_size(int K, int N);
void sw_pack(sw_real *packed, const sw_real *b, int K, int N);
void sw_pack_transposed(sw_real *packed, const sw_real *bt, int K, int N);

/* The first N' <= N columns of a packed (K,N) operand are a packed (K,N') one: a product
 * with the leading columns only may be given the whole packed operand. And its rows from k
 * on start sw_packed_row_offset(k) values in: with the same Kp, sw_matmul_packed_sub
 * takes bp + sw_packed_row_offset(k) as the packed operand of b's rows k, k+1, ... */
size_t sw_packed_row_offset(int k);

/* sw_matmul with b packed, and with apply_tanh != 0 tanh applied to the result (as
 * sw_tanh_inplace would); bit-identical to sw_matmul (then sw_tanh_inplace). */
void sw_matmul_packed(sw_real *out, const sw_real *a, const sw_real *bp, const sw_real *bias, int R, int K,
                      int N, int accumulate, int apply_tanh);

/* out (R,N) (+)= a (R,K) @ b, with b the first K rows and N columns of a packed (Kp, Np)
 * operand bp (K <= Kp, N <= Np), out's rows ldo values apart and a's lda apart: a product
 * with a part of bigger matrices (the attention's causal blocks). Each element as
 * sw_matmul_packed computes it (one chain over s = 0..K-1 from 0, or from out). */
void sw_matmul_packed_sub(sw_real *out, size_t ldo, const sw_real *a, size_t lda, const sw_real *bp, int Kp, int R,
                          int K, int N, int accumulate);

/* out (K,N) += a^T @ b, with a (R,K) and b (R,N): the weight-gradient form. */
void sw_matmul_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N);

/* What part `part` of `parts` (threads) computes of a sw_matmul_at_acc with N columns:
 * the output columns [*c0, *c1) (whole panels; a part may be empty), and that product on
 * those columns only. Every element is still computed whole, by one part, so the result
 * does not depend on `parts`. */
void sw_matmul_part_cols(int N, int part, int parts, int *c0, int *c1);
void sw_matmul_at_acc_part(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N, int part,
                           int parts);

/* sw_matmul_at_acc_part with out's rows ldo values apart and b's ldb (both >= N): the
 * product on a block of columns of bigger matrices. Each element as sw_matmul_at_acc
 * computes it. */
void sw_matmul_at_acc_part_ld(sw_real *out, size_t ldo, const sw_real *a, const sw_real *b, size_t ldb, int R, int K,
                              int N, int part, int parts);

/* out (cols) += sum over rows of a (rows,cols). */
void sw_colsum_acc(sw_real *out, const sw_real *a, int rows, int cols);

/* dst (cols,rows) = src (rows,cols)^T */
void sw_transpose(sw_real *dst, const sw_real *src, int rows, int cols);

/* In-place elementwise tanh and logistic sigmoid. The float build uses a rational
 * approximation (max abs error 3.6e-7, vectorisable: a libm call per element would cost
 * more than all the matrix work); the double build uses libm so finite differences
 * test the exact derivative formulas. */
void sw_tanh_inplace(sw_real *x, size_t n);
void sw_sigmoid_inplace(sw_real *x, size_t n);

/* R rows of gru cells at one step, in one pass while each row's values are in registers:
 * a (R,3H) holds W_i x + b_i (r, z, n) and becomes the gates r = sigmoid(a_r + hp_r),
 * z = sigmoid(a_z + hp_z), n = tanh(a_n + r hn); hn (R,H) receives hp_n = W_hn h' + b_hn;
 * h (R,H) = n + z (h_prev - n). hp (R,3H) is W_h h' + b_h. Each value bit-identical to
 * sw_sigmoid_inplace and sw_tanh_inplace applied gate by gate, row by row. */
void sw_gru_cells(sw_real *a, sw_real *hn, sw_real *h, const sw_real *hp, const sw_real *h_prev, int R, int H);

/* R rows of lstm cells at one step, in one pass: a (R,4H) holds the pre-activations (i, f,
 * g, o) and becomes the gates (sigmoid, sigmoid, tanh, sigmoid); c (R,H) = f c_prev + i g,
 * tc (R,H) = tanh c, h (R,H) = o tc. Each value bit-identical to sw_sigmoid_inplace and
 * sw_tanh_inplace applied gate by gate, row by row. */
void sw_lstm_cells(sw_real *a, sw_real *c, sw_real *tc, sw_real *h, const sw_real *c_prev, int R, int H);

/* How a step's backward cells take the gradient from above (the layer above's d loss /
 * d h_t, or the head's) into dh, d loss / d h_t from step t+1: */
typedef enum {
    SW_DH_DONE, /* dh holds the sum already (the caller added it, keeping both) */
    SW_DH_ADD,  /* dh + above, added value by value as the cells read it */
    SW_DH_ZERO, /* dh + 0, for an above that is zero and not stored (dh + 0 is not dh when
                 * dh is -0) */
    SW_DH_FORM_COUNT
} sw_dh_form;

/* One step's rnn cells backward over n values: da = d loss / d pre-activation from dh (by
 * `form`; above NULL unless SW_DH_ADD) and the activations h: dh (1 - h h) with the
 * product 1 - h h fused, or, with relu != 0, h > 0 ? dh : 0. */
void sw_rnn_cells_backward(sw_real *da, const sw_real *dh, const sw_real *above, const sw_real *h, size_t n, int relu,
                           sw_dh_form form);

/* R rows of lstm cells backward at one step: from dh (R,H; with above (R,H) by `form`) and
 * the running dcell (R,H, updated to d loss / d c_{t-1}), the gradients of the gates'
 * pre-activations written over the gate activations a (R,4H: i, f, g, o) they come from;
 * tc (R,H) = tanh c_t, c_prev (R,H) = c_{t-1}. Per value, with d = dh in:
 *   dc = fma(d o, fma(-tc, tc, 1), dcell), do = d tc o (1 - o), di = dc g i (1 - i),
 *   dg = dc i fma(-g, g, 1), df = dc c_prev f (1 - f), dcell = dc f
 * (the fused operations those the engine's earlier loops were compiled to). */
void sw_lstm_cells_backward(sw_real *a, sw_real *dcell, const sw_real *tc, const sw_real *c_prev, const sw_real *dh,
                            const sw_real *above, int R, int H, sw_dh_form form);

/* R rows of gru cells backward at one step: from dh (R,H; with above by `form`) the
 * gradients of the input-side pre-activations written over the gate activations a (R,3H:
 * r, z, n), the n gate's recurrent side into dhn (R,H), and dh left holding the direct
 * path h' -> h; hn (R,H) = W_hn h' + b_hn, h_prev (R,H) = h'. Per value, with d = dh in:
 *   dn = d (1 - z) fma(-n, n, 1), dz = d (h_prev - n) z (1 - z), dr = dn hn r (1 - r),
 *   dhn = dn r, dh = d z. */
void sw_gru_cells_backward(sw_real *a, sw_real *dhn, sw_real *dh, const sw_real *hn, const sw_real *h_prev,
                           const sw_real *above, int R, int H, sw_dh_form form);

/* Which build of these kernels runs. x86-64 builds carry them for "avx2" (AVX2 + FMA, any
 * x86-64-v3 CPU) and "avx512" (x86-64-v4), chosen once per process, and "avx512emu" (the
 * AVX-512 code compiled for AVX2, for tests on CPUs without AVX-512). All give
 * bit-identical results (see the comment in kernels.c): the choice is one of speed only.
 *
 * sw_kernels_select chooses: one of those names, or "auto" (also NULL or "") for the best
 * the CPU runs (avx512 or avx2). Returns SW_OK, or SW_EINVAL with the reason in err (unknown name, a CPU without
 * those instructions, or kernels already chosen differently: packed weights are laid out
 * for one build). Without a call, the first kernel call chooses as the environment variable
 * SWEEP_KERNELS says (auto when unset or not usable). sw_kernels_name names the kernels in
 * use (choosing them if not done yet). */
int sw_kernels_select(const char *name, char *err, size_t errlen);
const char *sw_kernels_name(void);

/* Runs `iters` iterations of an unrolled loop of independent FP32 vector FMAs of the
 * kernels' vector width and returns the floating-point operations done: timed by the
 * caller, the core's peak that the matrix kernels are measured against. */
double sw_kernels_fma_peak(long iters);

#endif
