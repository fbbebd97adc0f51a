/* kernels_variant.h: kernels.c built once per instruction set, and the table through
 * which kernels_dispatch.c calls the variant chosen at run time (private to the two).
 *
 * x86-64 builds compile kernels.c three times, with SW_KERNELS_SUFFIX _avx2
 * (-march=x86-64-v3: AVX2 and FMA), _avx512 (-march=x86-64-v4) and _avx512emu (AVX-512's
 * code, tiles of 32 floats, compiled for AVX2: the compiler splits each 512-bit operation
 * in two; for tests of the AVX-512 code's results on CPUs without AVX-512, never chosen
 * automatically). Each public name of kernels.h gets the suffix, and the file defines its
 * table sw_kernels_avx2 / _avx512 / _avx512emu. kernels_dispatch.c then defines the
 * public names. A build of kernels.c without a
 * suffix (the double engine, -DSWEEP_NATIVE=ON, other processors) defines the public
 * names directly. */
#ifndef SWEEP_KERNELS_VARIANT_H
#define SWEEP_KERNELS_VARIANT_H

#include <stddef.h>

#include "common.h"

#ifdef SW_KERNELS_SUFFIX
#define SW_KERNELS_CAT2(a, b) a##b
#define SW_KERNELS_CAT(a, b) SW_KERNELS_CAT2(a, b)
#define sw_matmul SW_KERNELS_CAT(sw_matmul, SW_KERNELS_SUFFIX)
#define sw_matmul_acc_tanh SW_KERNELS_CAT(sw_matmul_acc_tanh, SW_KERNELS_SUFFIX)
#define sw_packed_size SW_KERNELS_CAT(sw_packed_size, SW_KERNELS_SUFFIX)
#define sw_pack SW_KERNELS_CAT(sw_pack, SW_KERNELS_SUFFIX)
#define sw_pack_transposed SW_KERNELS_CAT(sw_pack_transposed, SW_KERNELS_SUFFIX)
#define sw_matmul_packed SW_KERNELS_CAT(sw_matmul_packed, SW_KERNELS_SUFFIX)
#define sw_matmul_packed_sub SW_KERNELS_CAT(sw_matmul_packed_sub, SW_KERNELS_SUFFIX)
#define sw_matmul_at_acc SW_KERNELS_CAT(sw_matmul_at_acc, SW_KERNELS_SUFFIX)
#define sw_matmul_part_cols SW_KERNELS_CAT(sw_matmul_part_cols, SW_KERNELS_SUFFIX)
#define sw_matmul_at_acc_part SW_KERNELS_CAT(sw_matmul_at_acc_part, SW_KERNELS_SUFFIX)
#define sw_matmul_at_acc_part_ld SW_KERNELS_CAT(sw_matmul_at_acc_part_ld, SW_KERNELS_SUFFIX)
#define sw_packed_row_offset SW_KERNELS_CAT(sw_packed_row_offset, SW_KERNELS_SUFFIX)
#define sw_colsum_acc SW_KERNELS_CAT(sw_colsum_acc, SW_KERNELS_SUFFIX)
#define sw_transpose SW_KERNELS_CAT(sw_transpose, SW_KERNELS_SUFFIX)
#define sw_tanh_inplace SW_KERNELS_CAT(sw_tanh_inplace, SW_KERNELS_SUFFIX)
#define sw_sigmoid_inplace SW_KERNELS_CAT(sw_sigmoid_inplace, SW_KERNELS_SUFFIX)
#define sw_kernels_fma_peak SW_KERNELS_CAT(sw_kernels_fma_peak, SW_KERNELS_SUFFIX)
#define sw_gru_cells SW_KERNELS_CAT(sw_gru_cells, SW_KERNELS_SUFFIX)
#define sw_lstm_cells SW_KERNELS_CAT(sw_lstm_cells, SW_KERNELS_SUFFIX)
#define sw_rnn_cells_backward SW_KERNELS_CAT(sw_rnn_cells_backward, SW_KERNELS_SUFFIX)
#define sw_lstm_cells_backward SW_KERNELS_CAT(sw_lstm_cells_backward, SW_KERNELS_SUFFIX)
#define sw_gru_cells_backward SW_KERNELS_CAT(sw_gru_cells_backward, SW_KERNELS_SUFFIX)
#define sw_kernels_table_of_this_build SW_KERNELS_CAT(sw_kernels, SW_KERNELS_SUFFIX)
#endif

/* After the renames: in a per-instruction-set build, kernels.h declares the suffixed names. */
#include "kernels.h"

/* The variants, in order of preference; SW_KERNELS_AUTO lets the CPU decide. */
typedef enum {
    SW_KERNELS_AVX2,
    SW_KERNELS_AVX512,
    SW_KERNELS_AVX512EMU,
    SW_KERNELS_COUNT,
    SW_KERNELS_AUTO = SW_KERNELS_COUNT
} sw_kernels_kind;

typedef struct {
    const char *name;
    void (*matmul)(sw_real *, const sw_real *, const sw_real *, const sw_real *, int, int, int, int);
    void (*matmul_acc_tanh)(sw_real *, const sw_real *, const sw_real *, int, int, int);
    size_t (*packed_size)(int, int);
    void (*pack)(sw_real *, const sw_real *, int, int);
    void (*pack_transposed)(sw_real *, const sw_real *, int, int);
    void (*matmul_packed)(sw_real *, const sw_real *, const sw_real *, const sw_real *, int, int, int, int, int);
    void (*matmul_at_acc)(sw_real *, const sw_real *, const sw_real *, int, int, int);
    void (*matmul_part_cols)(int, int, int, int *, int *);
    void (*matmul_at_acc_part)(sw_real *, const sw_real *, const sw_real *, int, int, int, int, int);
    void (*colsum_acc)(sw_real *, const sw_real *, int, int);
    void (*transpose)(sw_real *, const sw_real *, int, int);
    void (*tanh_inplace)(sw_real *, size_t);
    void (*sigmoid_inplace)(sw_real *, size_t);
    double (*fma_peak)(long);
    void (*matmul_packed_sub)(sw_real *, size_t, const sw_real *, size_t, const sw_real *, int, int, int, int, int);
    void (*gru_cells)(sw_real *, sw_real *, sw_real *, const sw_real *, const sw_real *, int, int);
    void (*lstm_cells)(sw_real *, sw_real *, sw_real *, sw_real *, const sw_real *, int, int);
    void (*matmul_at_acc_part_ld)(sw_real *, size_t, const sw_real *, const sw_real *, size_t, int, int, int, int, int);
    size_t (*packed_row_offset)(int);
    void (*rnn_cells_backward)(sw_real *, const sw_real *, const sw_real *, const sw_real *, size_t, int, sw_dh_form);
    void (*lstm_cells_backward)(sw_real *, sw_real *, const sw_real *, const sw_real *, const sw_real *,
                                const sw_real *, int, int, sw_dh_form);
    void (*gru_cells_backward)(sw_real *, sw_real *, sw_real *, const sw_real *, const sw_real *, const sw_real *, int,
                               int, sw_dh_form);
} sw_kernel_table;

extern const sw_kernel_table sw_kernels_avx2, sw_kernels_avx512, sw_kernels_avx512emu;

#endif
