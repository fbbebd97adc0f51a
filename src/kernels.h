/* kernels.h: the dense loops the engine spends its time in.
 *
 * Matrices are row-major. Every kernel keeps its innermost loop over contiguous memory
 * and computes each output element with the same operation order whatever the tiling,
 * so results never depend on how rows were blocked. No kernel allocates. */
#ifndef SWEEP_KERNELS_H
#define SWEEP_KERNELS_H

#include <stddef.h>

#include "common.h"

/* out (R,N) = [bias (N) broadcast, or 0 when bias is NULL] + a (R,K) @ b (K,N).
 * With accumulate != 0 the product is added to out instead (bias ignored). */
void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K,
               int N, int accumulate);

/* out (R,N) = tanh(out + a (R,K) @ b (K,N)): a recurrent step with its activation applied
 * while each tile is still in registers; bit-identical to sw_matmul (accumulate) followed
 * by sw_tanh_inplace. */
void sw_matmul_acc_tanh(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N);

/* out (K,N) += a^T @ b, with a (R,K) and b (R,N): the weight-gradient form. */
void sw_matmul_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N);

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

/* The kernels in use, for reports: e.g. "avx2" (AVX2 + FMA). */
const char *sw_kernels_name(void);

/* Runs `iters` iterations of an unrolled loop of independent FP32 vector FMAs of the
 * kernels' vector width and returns the floating-point operations done: timed by the
 * caller, the core's peak that the matrix kernels are measured against. */
double sw_kernels_fma_peak(long iters);

#endif
