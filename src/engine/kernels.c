/* kernels_variant.h first: in a per-instruction-set build it renames the public names. */
#include "kernels_variant.h"
#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX__) && !defined(SW_REAL_DOUBLE)
#include <immintrin.h>
#endif

/* Register tiles. The right-hand operand b (S,N) is read in panels of NR columns, each
 * stored as S rows of NR contiguous values (packed once, or on the fly into a buffer on
 * the stack), so a tile streams one contiguous block instead of rows N apart (which, N a
 * multiple of 512 bytes, fall into a handful of L1 sets and evict each other). A tile is
 * up to MR rows by NR columns: NR = two vectors, MR = 6, so AVX2 holds its 12 accumulators,
 * the two vectors of b and the broadcast value of a in its 16 registers (the shape of
 * BLIS's Haswell and Zen kernels). AVX-512's tile is twice as wide and, with 32 registers,
 * up to 12 rows tall (24 accumulators): at batch 32 and H = 32..64 a product is only a
 * few tiles, and taller ones read each panel of b fewer times.
 *
 * Every output element is computed as ONE chain of fused multiply-adds, in the order
 * s = 0..S-1, from its initial value (0, the bias, or the output's current value), and
 * stored as sw_real between chunks of s. Tile shapes, blocking, vector width and thread
 * count therefore never change a result: the AVX2 and AVX-512 builds of this file, and
 * the previous unpacked kernels, give bit-identical outputs. */
#if defined(SW_KERNELS_VEC_BYTES)
#define VEC_BYTES SW_KERNELS_VEC_BYTES /* the avx512emu build: AVX-512's tiles on AVX2 */
#elif defined(__AVX512F__) && !defined(SW_REAL_DOUBLE)
#define VEC_BYTES 64
#else
#define VEC_BYTES 32
#endif
#define LANES ((int)(VEC_BYTES / sizeof(sw_real)))
#define NR (2 * LANES)
#if VEC_BYTES == 64
#define MR 12
#else
#define MR 6
#endif

/* Rows of a's block whose products with all of b's panels are taken before moving on:
 * about 128 KB of a, so the block stays in L2 while the panels stream past it. */
#define A_BLOCK_BYTES (128 * 1024)
/* Operands (a and b of the weight-gradient form) larger than this are fetched a chunk
 * ahead (next_chunk_fetch). */
#define FETCH_NEXT_BYTES (4 * 1024 * 1024)
/* Length of a chunk of s packed on the stack (sw_matmul, sw_matmul_at_acc). */
#define KC 256
/* The weight-gradient form reads b in place, not packed, when a (R,K) has at most this many
 * columns. Measured (R = 640 and 3200, one thread, against packing each panel): AVX-512
 * 1.1-1.2x at K = 32..96 (N = 64..256; before, only up to 3 tiles, K = 36, read in place),
 * even at K = 128 and 256, 0.97x at 3200 x 256 x 1024; AVX2 1.03-1.1x up to K = 96, 0.97x
 * at K = 128 and 0.7x at 3200 x 256 x 1024 (b's rows 4 KB apart evict each other). */
#define IN_PLACE_COLS 96

typedef sw_real vec __attribute__((vector_size(VEC_BYTES)));
typedef sw_real vec_u __attribute__((vector_size(VEC_BYTES), aligned(sizeof(sw_real))));

/* x in every lane: x - 0 is x for every x, -0 included (x + 0 is not), so the compiler
 * drops the subtraction and keeps a broadcast. */
static inline vec splat(sw_real x)
{
    return x - (vec){0};
}

#ifndef SW_REAL_DOUBLE
/* bound > x ? bound : x, and bound < x ? bound : x, lane by lane: x86's maxps and minps
 * exactly (a NaN x passes through, as the selects x < b ? b : x do). GCC does not make them of
 * vectorised selects when NaNs are honoured: it compares, masks and blends, which cost
 * tanh more than its division. */
static inline vec lanes_max(vec bound, vec x)
{
#if VEC_BYTES == 32 && defined(__AVX__)
    return (vec)_mm256_max_ps((__m256)bound, (__m256)x);
#elif VEC_BYTES == 64 && defined(__AVX512F__)
    return (vec)_mm512_max_ps((__m512)bound, (__m512)x);
#elif VEC_BYTES == 64 && defined(__AVX__) /* avx512emu: two AVX halves */
    union { vec v; __m256 h[2]; } b = {bound}, u = {x};
    u.h[0] = _mm256_max_ps(b.h[0], u.h[0]), u.h[1] = _mm256_max_ps(b.h[1], u.h[1]);
    return u.v;
#else
    for (int l = 0; l < LANES; l++) x[l] = bound[l] > x[l] ? bound[l] : x[l];
    return x;
#endif
}

static inline vec lanes_min(vec bound, vec x)
{
#if VEC_BYTES == 32 && defined(__AVX__)
    return (vec)_mm256_min_ps((__m256)bound, (__m256)x);
#elif VEC_BYTES == 64 && defined(__AVX512F__)
    return (vec)_mm512_min_ps((__m512)bound, (__m512)x);
#elif VEC_BYTES == 64 && defined(__AVX__)
    union { vec v; __m256 h[2]; } b = {bound}, u = {x};
    u.h[0] = _mm256_min_ps(b.h[0], u.h[0]), u.h[1] = _mm256_min_ps(b.h[1], u.h[1]);
    return u.v;
#else
    for (int l = 0; l < LANES; l++) x[l] = bound[l] < x[l] ? bound[l] : x[l];
    return x;
#endif
}

/* a b + c in one rounding, lane by lane: for sums of two products, which the compiler may
 * fuse either way (GCC and clang choose differently); this fixes which one is fused. */
static inline vec lanes_fma(vec a, vec b, vec c)
{
#if VEC_BYTES == 32 && defined(__FMA__)
    return (vec)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#elif VEC_BYTES == 64 && defined(__AVX512F__)
    return (vec)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif VEC_BYTES == 64 && defined(__FMA__)
    union { vec v; __m256 h[2]; } x = {a}, y = {b}, u = {c};
    u.h[0] = _mm256_fmadd_ps(x.h[0], y.h[0], u.h[0]), u.h[1] = _mm256_fmadd_ps(x.h[1], y.h[1], u.h[1]);
    return u.v;
#else
    for (int l = 0; l < LANES; l++) c[l] = fmaf(a[l], b[l], c[l]);
    return c;
#endif
}

/* tanh of every lane, as sw_tanh_inplace computes it (the fused step below must give
 * bit-identical results to a product followed by sw_tanh_inplace).
 * tanh x = x P(x^2) / Q(x^2): Lambert's continued fraction for tanh truncated after 12
 * terms and expanded into polynomials; beyond |x| = 8.75 it is clamped (error there is
 * below float resolution of 1 - tanh). Max abs error in float: 3.6e-7. These are the
 * operations, in this order, that every earlier build applied element by element: run
 * files made before the vector form are reproduced bit for bit. */
static inline vec tanh_vec(vec x)
{
    x = lanes_max(splat(-8.75f), x); /* x < -8.75 ? -8.75 : x */
    x = lanes_min(splat(8.75f), x);  /* x > 8.75 ? 8.75 : x */
    vec u = x * x;
    vec p = splat(1.264885555749117e-13f);
    p = p * u + 5.179706350792634e-10f;
    p = p * u + 3.2286836253274086e-07f;
    p = p * u + 6.625258799171843e-05f;
    p = p * u + 0.0052173913043478265f;
    p = p * u + 0.14666666666666667f;
    p = p * u + 1.0f;
    vec q = splat(1.1510458557316966e-11f);
    q = q * u + 1.5193805295658393e-08f;
    q = q * u + 5.230467473030402e-06f;
    q = q * u + 0.0006625258799171842f;
    q = q * u + 0.03188405797101449f;
    q = q * u + 0.48f;
    q = q * u + 1.0f;
    vec t = x * p / q;
    t = lanes_min(splat(1.0f), t);
    return lanes_max(splat(-1.0f), t);
}

/* One element (the tails of the vector loops): lane 0 of the same vector operations. */
static inline float tanh_one(float x)
{
    return tanh_vec(splat(x))[0];
}
#else
static inline sw_real tanh_one(sw_real x) { return tanh(x); }

static inline vec tanh_vec(vec x)
{
    for (int l = 0; l < LANES; l++) x[l] = tanh_one(x[l]);
    return x;
}
#endif

/* How a tile's sums start. */
typedef enum { INIT_ZERO, INIT_BIAS, INIT_OUT } tile_init;

/* One tile: rows i < mr (a compile-time constant after inlining, so that acc lives in
 * registers), columns c < nc <= NR of out (row stride ldo):
 *   out[i][c] = act(init + sum over s < S of A(i,s) * bp[s*bs + c]),  A(i,s) = a[i*ai + s*as]
 * where init is 0, bias[c] or out[i][c]. The strides let one kernel read a row-major a
 * (ai = K, as = 1) or a transposed one (ai = 1, as = K), and b from a panel (bs = NR) or
 * in place (bs = N, all NR columns present).
 *
 * The tile is two functions: tile_full for a tile of all NR columns (nearly every tile)
 * and tile_edge for the last panel's first nc < NR. Both call tile_sums for the chains,
 * so both compute each element the same way; tile_edge goes through a buffer on the
 * stack, and kept apart, that buffer no longer makes the compiler keep a full tile's
 * accumulators in memory (measured: a store and a reload of each accumulator per tile,
 * 4-5% of the product's time at K = 32). */
static inline __attribute__((always_inline)) void tile_sums(const int mr, vec acc[MR][2], const sw_real *restrict a,
                                                            size_t ai, size_t as, const sw_real *restrict bp,
                                                            size_t bs, int S, int apply_tanh)
{
#pragma GCC unroll 4
    for (int s = 0; s < S; s++) {
        vec b0 = *(const vec_u *)(bp + s * bs), b1 = *(const vec_u *)(bp + s * bs + LANES);
        for (int i = 0; i < mr; i++) {
            vec av = splat(a[i * ai + s * as]);
            acc[i][0] += av * b0;
            acc[i][1] += av * b1;
        }
    }
    /* Unrolled, or the compiler indexes acc in memory (tanh_vec is long). */
    if (apply_tanh)
#pragma GCC unroll 16
        for (int i = 0; i < mr; i++)
#pragma GCC unroll 2
            for (int v = 0; v < 2; v++) acc[i][v] = tanh_vec(acc[i][v]);
}

static inline __attribute__((always_inline)) void tile_full(const int mr, sw_real *restrict out, size_t ldo,
                                                            const sw_real *restrict a, size_t ai, size_t as,
                                                            const sw_real *restrict bp, size_t bs, int S,
                                                            const sw_real *restrict bias, tile_init init,
                                                            int apply_tanh)
{
    vec acc[MR][2];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 2; v++)
            acc[i][v] = init == INIT_OUT    ? *(const vec_u *)(out + i * ldo + v * LANES)
                        : init == INIT_BIAS ? *(const vec_u *)(bias + v * LANES)
                                            : (vec){0};
    tile_sums(mr, acc, a, ai, as, bp, bs, S, apply_tanh);
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 2; v++) *(vec_u *)(out + i * ldo + v * LANES) = acc[i][v];
}

static inline __attribute__((always_inline)) void tile_edge(const int mr, sw_real *restrict out, size_t ldo, int nc,
                                                            const sw_real *restrict a, size_t ai, size_t as,
                                                            const sw_real *restrict bp, size_t bs, int S,
                                                            const sw_real *restrict bias, tile_init init,
                                                            int apply_tanh)
{
    vec acc[MR][2];
    sw_real tmp[MR][NR];
    for (int i = 0; i < mr; i++)
        for (int c = 0; c < NR; c++)
            tmp[i][c] = c >= nc ? 0 : init == INIT_OUT ? out[i * ldo + c] : init == INIT_BIAS ? bias[c] : 0;
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 2; v++) memcpy(&acc[i][v], &tmp[i][v * LANES], sizeof(vec));
    tile_sums(mr, acc, a, ai, as, bp, bs, S, apply_tanh);
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 2; v++) memcpy(&tmp[i][v * LANES], &acc[i][v], sizeof(vec));
    for (int i = 0; i < mr; i++)
        for (int c = 0; c < nc; c++) out[i * ldo + c] = tmp[i][c];
}

#if MR == 12
#define TILE_ROWS_WIDE_CASES(tilefn, ...)                                                                              \
    case 12: tilefn(12, __VA_ARGS__); break;                                                                           \
    case 11: tilefn(11, __VA_ARGS__); break;                                                                           \
    case 10: tilefn(10, __VA_ARGS__); break;                                                                           \
    case 9: tilefn(9, __VA_ARGS__); break;                                                                             \
    case 8: tilefn(8, __VA_ARGS__); break;                                                                             \
    case 7: tilefn(7, __VA_ARGS__); break;
#else
#define TILE_ROWS_WIDE_CASES(tilefn, ...)
#endif
#define TILE_ROWS_CASES(tilefn, ...)                                                                                   \
    switch (mr) {                                                                                                      \
    TILE_ROWS_WIDE_CASES(tilefn, __VA_ARGS__)                                                                          \
    case 6: tilefn(6, __VA_ARGS__); break;                                                                             \
    case 5: tilefn(5, __VA_ARGS__); break;                                                                             \
    case 4: tilefn(4, __VA_ARGS__); break;                                                                             \
    case 3: tilefn(3, __VA_ARGS__); break;                                                                             \
    case 2: tilefn(2, __VA_ARGS__); break;                                                                             \
    case 1: tilefn(1, __VA_ARGS__); break;                                                                             \
    default: SW_ASSERT(!"tile rows out of range");                                                                    \
    }

/* A tile of any mr <= MR rows and nc <= NR columns, each row count its own instantiation. */
static void tile_any(int mr, sw_real *out, size_t ldo, int nc, const sw_real *a, size_t ai, size_t as,
                     const sw_real *bp, size_t bs, int S, const sw_real *bias, tile_init init, int apply_tanh)
{
    /* apply_tanh a constant in each instantiation: with it a variable, the compiler stores
     * the sums before it tests it (the tanh needs the registers), also when it is 0. */
    if (nc == NR && !apply_tanh) {
        TILE_ROWS_CASES(tile_full, out, ldo, a, ai, as, bp, bs, S, bias, init, 0)
    } else if (nc == NR) {
        TILE_ROWS_CASES(tile_full, out, ldo, a, ai, as, bp, bs, S, bias, init, 1)
    } else {
        TILE_ROWS_CASES(tile_edge, out, ldo, nc, a, ai, as, bp, bs, S, bias, init, apply_tanh)
    }
}

#if VEC_BYTES == 64
/* AVX-512 also has a tile two panels (four vectors) wide, up to WIDE_MR rows (24
 * accumulators, the four vectors of b and the broadcast value of a in its 32 registers):
 * at batch 32 and N = 64 a product is 6 such tiles instead of 8 of one panel, with half the
 * broadcasts per multiply-add (measured: 1-2% faster products with a packed b; with the
 * tanh applied, 2-3% slower, so those keep one panel). The second panel's values are pstep
 * after the first's. Each element is the same chain as in tile_full. */
#define WIDE_MR 6
static inline __attribute__((always_inline)) void tile2_full(const int mr, sw_real *restrict out, size_t ldo,
                                                             const sw_real *restrict a, size_t ai, size_t as,
                                                             const sw_real *restrict bp, size_t bs, size_t pstep,
                                                             int S, const sw_real *restrict bias, tile_init init)
{
    vec acc[WIDE_MR][4];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 4; v++)
            acc[i][v] = init == INIT_OUT    ? *(const vec_u *)(out + i * ldo + v * LANES)
                        : init == INIT_BIAS ? *(const vec_u *)(bias + v * LANES)
                                            : (vec){0};
#pragma GCC unroll 4
    for (int s = 0; s < S; s++) {
        const sw_real *b01 = bp + s * bs, *b23 = bp + pstep + s * bs;
        vec b0 = *(const vec_u *)b01, b1 = *(const vec_u *)(b01 + LANES);
        vec b2 = *(const vec_u *)b23, b3 = *(const vec_u *)(b23 + LANES);
        for (int i = 0; i < mr; i++) {
            vec av = splat(a[i * ai + s * as]);
            acc[i][0] += av * b0;
            acc[i][1] += av * b1;
            acc[i][2] += av * b2;
            acc[i][3] += av * b3;
        }
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < 4; v++) *(vec_u *)(out + i * ldo + v * LANES) = acc[i][v];
}

#define TILE2_ROWS_CASES(...)                                                                                          \
    switch (mr) {                                                                                                      \
    case 6: tile2_full(6, __VA_ARGS__); break;                                                                         \
    case 5: tile2_full(5, __VA_ARGS__); break;                                                                         \
    case 4: tile2_full(4, __VA_ARGS__); break;                                                                         \
    case 3: tile2_full(3, __VA_ARGS__); break;                                                                         \
    case 2: tile2_full(2, __VA_ARGS__); break;                                                                         \
    case 1: tile2_full(1, __VA_ARGS__); break;                                                                         \
    default: SW_ASSERT(!"tile rows out of range");                                                                    \
    }

/* A tile two whole panels wide, of any mr <= WIDE_MR rows. */
static void tile2_any(int mr, sw_real *out, size_t ldo, const sw_real *a, size_t ai, size_t as, const sw_real *bp,
                      size_t bs, size_t pstep, int S, const sw_real *bias, tile_init init)
{
    TILE2_ROWS_CASES(out, ldo, a, ai, as, bp, bs, pstep, S, bias, init)
}
#define HAVE_TILE2 1
#define WIDE_MR_OR_1 WIDE_MR
#else
#define HAVE_TILE2 0
#define WIDE_MR_OR_1 1
static void tile2_any(int mr, sw_real *out, size_t ldo, const sw_real *a, size_t ai, size_t as, const sw_real *bp,
                      size_t bs, size_t pstep, int S, const sw_real *bias, tile_init init)
{
    (void)mr, (void)out, (void)ldo, (void)a, (void)ai, (void)as, (void)bp, (void)bs, (void)pstep, (void)S, (void)bias;
    (void)init;
    SW_ASSERT(!"no two-panel tiles in this build");
}
#endif

/* Rows of the next tile when `left` rows remain and tiles have at most `most` rows:
 * `most`, except that most + 1 to most + 3 rows are split 4 + the rest, so no tile of 1
 * to 3 rows (too few independent sums to hide the FMA latency) follows full ones: 32 rows
 * at most 6 are 6+6+6+6+4+4. */
static inline int tile_rows_up_to(int left, int most)
{
    return left > most && left < most + 4 ? 4 : left < most ? left : most;
}

/* Tiles of the products with a packed b (rows of a) are at most PRODUCT_MR rows; those of
 * the weight-gradient form (columns of a) use all MR. AVX-512, measured at batch 32:
 * 8 rows (32 = 4 x 8) beat 12 (12 + 12 + 8) by 2-5% on the step products, 12 beat 8 on the
 * weight gradient (K = 10: one tile instead of two; b read once). */
#define PRODUCT_MR (MR < 8 ? MR : 8)
static inline int tile_rows(int left) { return tile_rows_up_to(left, PRODUCT_MR); }
static inline int tile_rows_balanced(int left, int most)
{
    int tiles = (left + most - 1) / most;
    return (left + tiles - 1) / tiles;
}
static inline int tile_rows_wide(int left) { return tile_rows_balanced(left, MR); }

#ifndef SW_REAL_DOUBLE
/* A LANES x LANES block of floats transposed in registers: at each distance d, rows i and
 * i + d (i without bit d) swap the lanes that make their off-diagonal d x d blocks. */
typedef int lane_index __attribute__((vector_size(VEC_BYTES)));
#define SWAP_LO(k, d) ((k) & (d) ? LANES + (k) - (d) : (k))
#define SWAP_HI(k, d) ((k) & (d) ? LANES + (k) : (k) + (d))
#if VEC_BYTES == 64
#define LANE_MASK(F, d)                                                                                                \
    (lane_index){F(0, d),  F(1, d),  F(2, d),  F(3, d),  F(4, d),  F(5, d),  F(6, d),  F(7, d),                       \
                 F(8, d),  F(9, d),  F(10, d), F(11, d), F(12, d), F(13, d), F(14, d), F(15, d)}
#else
#define LANE_MASK(F, d) (lane_index){F(0, d), F(1, d), F(2, d), F(3, d), F(4, d), F(5, d), F(6, d), F(7, d)}
#endif
#ifdef __clang__
/* clang has no __builtin_shuffle with a mask vector (its __builtin_shufflevector takes the
 * indices as constants); lane by lane, it makes the same shuffles of these constant masks. */
static inline vec shuffle_lanes(vec a, vec b, lane_index m)
{
    vec o;
    for (int k = 0; k < LANES; k++) o[k] = m[k] < LANES ? a[m[k]] : b[m[k] - LANES];
    return o;
}
#else
#define shuffle_lanes(a, b, m) __builtin_shuffle(a, b, m)
#endif
#define TRANSPOSE_STAGE(r, d)                                                                                          \
    for (int i = 0; i < LANES; i++)                                                                                    \
        if (!(i & (d))) {                                                                                              \
            vec lo = shuffle_lanes(r[i], r[i + (d)], LANE_MASK(SWAP_LO, d));                                           \
            vec hi = shuffle_lanes(r[i], r[i + (d)], LANE_MASK(SWAP_HI, d));                                           \
            r[i] = lo, r[i + (d)] = hi;                                                                                \
        }

/* dst rows s (LANES of them, NR apart) = columns of src's LANES rows (ld apart). */
static inline void transpose_block(sw_real *restrict dst, const sw_real *restrict src, size_t ld)
{
    vec r[LANES];
    for (int i = 0; i < LANES; i++) r[i] = *(const vec_u *)(src + (size_t)i * ld);
#if VEC_BYTES == 64
    TRANSPOSE_STAGE(r, 8)
#endif
    TRANSPOSE_STAGE(r, 4)
    TRANSPOSE_STAGE(r, 2)
    TRANSPOSE_STAGE(r, 1)
    for (int i = 0; i < LANES; i++) *(vec_u *)(dst + (size_t)i * NR) = r[i];
}
#endif

/* Panel p of b (S,N) row-major with rows ldb apart (or, from_bt, of b = bt^T with bt (N,S)
 * row-major), rows s0..s0+S-1, into dst (S,NR); columns past N are 0. */
static void pack_panel_ld(sw_real *restrict dst, const sw_real *restrict b, size_t ldb, int from_bt, int s0, int S,
                          int N, int p)
{
    int c0 = p * NR, nc = N - c0 < NR ? N - c0 : NR, s = 0;
#ifndef SW_REAL_DOUBLE
    /* From bt, whole blocks of LANES rows of a full panel: in registers (element by element,
     * a strided read per value, it took 1% of a training step at H = 64). */
    if (from_bt && nc == NR)
        for (; s + LANES <= S; s += LANES)
            for (int c = 0; c < NR; c += LANES)
                transpose_block(dst + (size_t)s * NR + c, b + (size_t)(c0 + c) * S + s0 + s, (size_t)S);
#endif
    for (; s < S; s++) {
        sw_real *d = dst + (size_t)s * NR;
        const sw_real *src = b + (size_t)(s0 + s) * ldb + c0;
        if (from_bt) {
            for (int c = 0; c < nc; c++) d[c] = b[(size_t)(c0 + c) * S + s0 + s];
        } else if (nc == NR) { /* two vector copies, not a call to memcpy */
            *(vec_u *)d = *(const vec_u *)src;
            *(vec_u *)(d + LANES) = *(const vec_u *)(src + LANES);
            continue;
        } else {
            for (int c = 0; c < nc; c++) d[c] = src[c];
        }
        for (int c = nc; c < NR; c++) d[c] = 0;
    }
}

static void pack_panel(sw_real *restrict dst, const sw_real *restrict b, int from_bt, int s0, int S, int N, int p)
{
    pack_panel_ld(dst, b, (size_t)N, from_bt, s0, S, N, p);
}

static inline int panels_of(int N) { return (N + NR - 1) / NR; }

size_t sw_packed_size(int K, int N)
{
    return (size_t)panels_of(N) * NR * (size_t)K;
}

size_t sw_packed_row_offset(int k)
{
    return (size_t)k * NR;
}

void sw_pack(sw_real *packed, const sw_real *b, int K, int N)
{
    for (int p = 0; p < panels_of(N); p++) pack_panel(packed + (size_t)p * K * NR, b, 0, 0, K, N, p);
}

void sw_pack_transposed(sw_real *packed, const sw_real *bt, int K, int N)
{
    for (int p = 0; p < panels_of(N); p++) pack_panel(packed + (size_t)p * K * NR, bt, 1, 0, K, N, p);
}

/* Rows per block of a: A_BLOCK_BYTES of it, a whole number of PRODUCT_MR-row tiles, at
 * least 4. */
static int block_rows(int K)
{
    int rows = (int)(A_BLOCK_BYTES / ((size_t)(K > 0 ? K : 1) * sizeof(sw_real)));
    rows -= rows % PRODUCT_MR;
    return rows < 4 * PRODUCT_MR ? 4 * PRODUCT_MR : rows;
}

void sw_matmul_packed(sw_real *out, const sw_real *a, const sw_real *bp, const sw_real *bias, int R, int K, int N,
                      int accumulate, int apply_tanh)
{
    tile_init init = accumulate ? INIT_OUT : bias ? INIT_BIAS : INIT_ZERO;
    int P = panels_of(N), rows = block_rows(K);
    for (int r0 = 0; r0 < R; r0 += rows) {
        int r1 = R - r0 < rows ? R : r0 + rows;
        for (int p = 0; p < P; p++) {
            int c0 = p * NR, nc = N - c0 < NR ? N - c0 : NR;
            if (HAVE_TILE2 && !apply_tanh && N - c0 >= 2 * NR) { /* two whole panels at once */
                const sw_real *panel = bp + (size_t)p * K * NR, *pb = bias ? bias + c0 : NULL;
                for (int r = r0, mr; r < r1; r += mr) {
                    mr = tile_rows_up_to(r1 - r, WIDE_MR_OR_1);
                    tile2_any(mr, out + (size_t)r * N + c0, (size_t)N, a + (size_t)r * K, (size_t)K, 1, panel, NR,
                              (size_t)K * NR, K, pb, init);
                }
                p++;
                continue;
            }
            const sw_real *panel = bp + (size_t)p * K * NR, *pb = bias ? bias + c0 : NULL;
            for (int r = r0, mr; r < r1; r += mr) {
                mr = tile_rows(r1 - r);
                tile_any(mr, out + (size_t)r * N + c0, (size_t)N, nc, a + (size_t)r * K, (size_t)K, 1, panel, NR, K,
                         pb, init, apply_tanh);
            }
        }
    }
}

void sw_matmul_packed_sub(sw_real *out, size_t ldo, const sw_real *a, size_t lda, const sw_real *bp, int Kp, int R,
                          int K, int N, int accumulate)
{
    tile_init init = accumulate ? INIT_OUT : INIT_ZERO;
    /* A few rows (a strip) are one block: no division to find out. */
    int P = panels_of(N), rows = R <= 4 * PRODUCT_MR ? R : block_rows(K);
    for (int r0 = 0; r0 < R; r0 += rows) {
        int r1 = R - r0 < rows ? R : r0 + rows;
        for (int p = 0; p < P; p++) {
            int c0 = p * NR, nc = N - c0 < NR ? N - c0 : NR;
            const sw_real *panel = bp + (size_t)p * Kp * NR;
            for (int r = r0, mr; r < r1; r += mr) {
                mr = tile_rows(r1 - r);
                tile_any(mr, out + (size_t)r * ldo + c0, ldo, nc, a + (size_t)r * lda, lda, 1, panel, NR, K, NULL, init,
                         0);
            }
        }
    }
}

/* out (R,N) (+)= a (R,K) @ b (K,N) with b packed on the fly, KC rows of a panel at a time
 * (the sums are stored between chunks, which leaves each element's chain unchanged). */
static void matmul_unpacked(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K,
                            int N, int accumulate, int apply_tanh)
{
    _Alignas(64) sw_real panel[KC * NR];
    int P = panels_of(N), rows = block_rows(K < KC ? K : KC);
    for (int r0 = 0; r0 < R; r0 += rows) {
        int r1 = R - r0 < rows ? R : r0 + rows;
        for (int p = 0; p < P; p++) {
            int c0 = p * NR, nc = N - c0 < NR ? N - c0 : NR;
            for (int s0 = 0; s0 < K || s0 == 0; s0 += KC) {
                int S = K - s0 < KC ? K - s0 : KC, last = s0 + S >= K;
                tile_init init = s0 > 0 || accumulate ? INIT_OUT : bias ? INIT_BIAS : INIT_ZERO;
                pack_panel(panel, b, 0, s0, S, N, p);
                for (int r = r0, mr; r < r1; r += mr) {
                    mr = tile_rows(r1 - r);
                    tile_any(mr, out + (size_t)r * N + c0, (size_t)N, nc, a + (size_t)r * K + s0, (size_t)K, 1,
                             panel, NR, S, bias ? bias + c0 : NULL, init, apply_tanh && last);
                }
            }
        }
    }
}

void sw_matmul(sw_real *out, const sw_real *a, const sw_real *b, const sw_real *bias, int R, int K, int N,
               int accumulate)
{
    matmul_unpacked(out, a, b, bias, R, K, N, accumulate, 0);
}

void sw_matmul_acc_tanh(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    matmul_unpacked(out, a, b, NULL, R, K, N, 1, 1);
}

/* The weight-gradient form reads a chunk of rows of a and b that no earlier work touched
 * (at long sequences, megabytes of stored activations), a tile's column of a at a time:
 * a new line every step, too far apart for the hardware's stream prefetchers, so each
 * chunk began with a wait for memory (R = 16000 rows: half the rate of R = 640). The next
 * chunk's rows are therefore asked for while this one computes, a few rows before each
 * tile. Prefetches change no value. */
typedef struct {
    const char *a, *a_end, *b; /* next lines of a's rows (one contiguous range), b's rows */
    size_t b_row, b_seg;       /* b: row stride, the bytes of this part's columns */
    int row, end, steps_left;
} next_chunk_fetch;

/* The next chunk (rows s .. s+kc-1, columns of panels p0..p1-1) to fetch over `steps`
 * steps; with `enabled` 0, nothing to fetch. */
static void next_chunk_start(next_chunk_fetch *f, int enabled, const sw_real *a, const sw_real *b, size_t ldb, int R,
                             int K, int N, int s, int kc, int p0, int p1, int steps)
{
    int end = !enabled ? s : R - s < kc ? R : s + kc;
    int c0 = p0 * NR, c1 = p1 * NR < N ? p1 * NR : N;
    f->a = (const char *)(a + (size_t)s * K), f->a_end = (const char *)(a + (size_t)end * K);
    f->b_row = ldb * sizeof(sw_real), f->b_seg = (size_t)(c1 - c0) * sizeof(sw_real);
    f->b = (const char *)(b + (size_t)s * ldb + c0);
    f->row = s, f->end = end, f->steps_left = steps > 0 ? steps : 1;
    if (f->b_seg == f->b_row && end > s) { /* whole rows: one contiguous range, like a's */
        f->b_seg = (size_t)(end - s) * f->b_row;
        f->end = s + 1;
    }
}

/* One step's share of the next chunk's lines (its remaining lines over the steps left). */
static inline void next_chunk_step(next_chunk_fetch *f)
{
    size_t a_left = f->a < f->a_end ? (size_t)(f->a_end - f->a) : 0;
    size_t a_bytes = (a_left / (size_t)f->steps_left + 63) & ~(size_t)63;
    for (const char *e = f->a + a_bytes; f->a < e && f->a < f->a_end; f->a += 64) __builtin_prefetch(f->a, 0, 2);
    int rows = (f->end - f->row + f->steps_left - 1) / f->steps_left;
    for (int n = 0; n < rows && f->row < f->end; n++, f->row++, f->b += f->b_row)
        for (size_t o = 0; o < f->b_seg; o += 64) __builtin_prefetch(f->b + o, 0, 2);
    if (f->steps_left > 1) f->steps_left--;
}

/* sw_matmul_at_acc on the columns of panels p0..p1-1, out's rows ldo apart and b's ldb. */
static void at_acc_panels(sw_real *out, size_t ldo, const sw_real *a, const sw_real *b, size_t ldb, int R, int K, int N,
                          int p0, int p1)
{
    /* The chunk of s is shortened for a wide a, so that a chunk of it (KC x K values,
     * read once per panel) stays in L2. */
    _Alignas(64) sw_real panel[KC * NR];
    int kc = (int)(A_BLOCK_BYTES / ((size_t)(K > 0 ? K : 1) * sizeof(sw_real)));
    kc = kc > KC ? KC : kc < 16 ? 16 : kc;
    /* b is read in place (below) by several tiles; from the third on, a chunk of 256 of
     * its rows (N = 128: 512 bytes apart, all in 16 of L1's 64 sets) no longer stays in L1:
     * half as many rows do. */
    if (K > 2 * MR && K <= IN_PLACE_COLS && kc > KC / 2) kc = KC / 2;
    int tiles = 0; /* tiles per chunk: the next chunk's rows are fetched over as many steps */
    for (int k = 0; k < K; k += tile_rows_wide(K - k)) tiles++;
    tiles *= p1 - p0;
    /* Only for operands of several MB (which come from memory, not from a cache), and not
     * for a narrow a (K <= 2 MR: a read in order, b in place): there the requests cost
     * more than they save (measured: 0.96x at 1.6 MB, 1.16x at 8 MB). */
    int fetch_next = K > 2 * MR && (size_t)R * (size_t)(K + N) * sizeof(sw_real) > FETCH_NEXT_BYTES;
    for (int s0 = 0; s0 < R; s0 += kc) {
        int S = R - s0 < kc ? R - s0 : kc;
        next_chunk_fetch fetch;
        next_chunk_start(&fetch, fetch_next, a, b, ldb, R, K, N, s0 + S, kc, p0, p1, tiles);
        for (int p = p0; p < p1; p++) {
            int c0 = p * NR, nc = N - c0 < NR ? N - c0 : NR;
            /* A panel used by the tiles of a narrow a is not worth its copy: read b in place. */
            int in_place = nc == NR && K <= IN_PLACE_COLS;
            const sw_real *bp = in_place ? b + (size_t)s0 * ldb + c0 : panel;
            if (!in_place) pack_panel_ld(panel, b, ldb, 0, s0, S, N, p);
            for (int k = 0, mr; k < K; k += mr) {
                mr = tile_rows_wide(K - k);
                next_chunk_step(&fetch);
                tile_any(mr, out + (size_t)k * ldo + c0, ldo, nc, a + (size_t)s0 * K + k, 1, (size_t)K, bp,
                         in_place ? ldb : NR, S, NULL, INIT_OUT, 0);
            }
        }
    }
}

/* Panels [*p0, *p1) of part `part` of `parts`: the first N % parts parts one more. */
static void part_panels(int N, int part, int parts, int *p0, int *p1)
{
    int P = panels_of(N), each = P / parts, extra = P % parts;
    *p0 = part * each + (part < extra ? part : extra);
    *p1 = *p0 + each + (part < extra);
}

void sw_matmul_part_cols(int N, int part, int parts, int *c0, int *c1)
{
    int p0, p1;
    part_panels(N, part, parts, &p0, &p1);
    *c0 = p0 * NR < N ? p0 * NR : N;
    *c1 = p1 * NR < N ? p1 * NR : N;
}

void sw_matmul_at_acc_part(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N, int part, int parts)
{
    int p0, p1;
    part_panels(N, part, parts, &p0, &p1);
    at_acc_panels(out, (size_t)N, a, b, (size_t)N, R, K, N, p0, p1);
}

void sw_matmul_at_acc_part_ld(sw_real *out, size_t ldo, const sw_real *a, const sw_real *b, size_t ldb, int R, int K,
                              int N, int part, int parts)
{
    int p0, p1;
    part_panels(N, part, parts, &p0, &p1);
    at_acc_panels(out, ldo, a, b, ldb, R, K, N, p0, p1);
}

void sw_matmul_at_acc(sw_real *out, const sw_real *a, const sw_real *b, int R, int K, int N)
{
    at_acc_panels(out, (size_t)N, a, b, (size_t)N, R, K, N, 0, panels_of(N));
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
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) *(vec_u *)(x + i) = tanh_vec(*(const vec_u *)(x + i));
    for (; i < n; i++) x[i] = tanh_one(x[i]);
}

#ifdef SW_REAL_DOUBLE
void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 1.0 / (1.0 + exp(-x[i]));
}
#else
void sw_sigmoid_inplace(sw_real *x, size_t n)
{
    /* sigmoid(x) = (1 + tanh(x/2)) / 2: one approximation serves both. */
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        *(vec_u *)(x + i) = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * *(const vec_u *)(x + i));
    for (; i < n; i++) x[i] = 0.5f + 0.5f * tanh_one(0.5f * x[i]);
}
#endif

/* One gru cell of one value: what model.c's per-row steps computed, operation for operation
 * (the sigmoids as sw_sigmoid_inplace, the tanh as sw_tanh_inplace). */
static inline void gru_cell_one(sw_real *restrict r, sw_real *restrict z, sw_real *restrict n,
                                const sw_real *restrict hp, const sw_real *restrict h_prev, sw_real *restrict hn,
                                sw_real *restrict h, int H, int j)
{
#ifdef SW_REAL_DOUBLE
    sw_real rv = 1.0 / (1.0 + exp(-(r[j] + hp[j])));
    sw_real zv = 1.0 / (1.0 + exp(-(z[j] + hp[H + j])));
#else
    sw_real rv = 0.5f + 0.5f * tanh_one(0.5f * (r[j] + hp[j]));
    sw_real zv = 0.5f + 0.5f * tanh_one(0.5f * (z[j] + hp[H + j]));
#endif
    sw_real hnv = hp[2 * H + j];
    sw_real nv = tanh_one(n[j] + rv * hnv);
    r[j] = rv, z[j] = zv, n[j] = nv, hn[j] = hnv;
    h[j] = nv + zv * (h_prev[j] - nv);
}

void sw_gru_cells(sw_real *restrict a, sw_real *restrict hn, sw_real *restrict h, const sw_real *restrict hp,
                  const sw_real *restrict h_prev, int R, int H)
{
    for (int b = 0; b < R; b++, a += 3 * H, hp += 3 * H, h_prev += H, hn += H, h += H) {
        sw_real *restrict r = a, *restrict z = a + H, *restrict n = a + 2 * H;
        int j = 0;
#ifndef SW_REAL_DOUBLE
        for (; j + LANES <= H; j += LANES) {
            vec rv = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * (*(const vec_u *)(r + j) +
                                                                           *(const vec_u *)(hp + j)));
            vec zv = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * (*(const vec_u *)(z + j) +
                                                                           *(const vec_u *)(hp + H + j)));
            vec hnv = *(const vec_u *)(hp + 2 * H + j);
            vec nv = tanh_vec(*(const vec_u *)(n + j) + rv * hnv);
            *(vec_u *)(r + j) = rv, *(vec_u *)(z + j) = zv, *(vec_u *)(n + j) = nv, *(vec_u *)(hn + j) = hnv;
            *(vec_u *)(h + j) = nv + zv * (*(const vec_u *)(h_prev + j) - nv);
        }
#endif
        for (; j < H; j++) gru_cell_one(r, z, n, hp, h_prev, hn, h, H, j);
    }
}

/* One lstm cell of one value: what model.c's steps computed, operation for operation (the
 * sigmoids as sw_sigmoid_inplace, the tanh as sw_tanh_inplace). */
static inline void lstm_cell_one(sw_real *restrict a, const sw_real *restrict c_prev, sw_real *restrict c,
                                 sw_real *restrict tc, sw_real *restrict h, int H, int j)
{
#ifdef SW_REAL_DOUBLE
    sw_real iv = 1.0 / (1.0 + exp(-a[j])), fv = 1.0 / (1.0 + exp(-a[H + j]));
    sw_real ov = 1.0 / (1.0 + exp(-a[3 * H + j]));
#else
    sw_real iv = 0.5f + 0.5f * tanh_one(0.5f * a[j]), fv = 0.5f + 0.5f * tanh_one(0.5f * a[H + j]);
    sw_real ov = 0.5f + 0.5f * tanh_one(0.5f * a[3 * H + j]);
#endif
    sw_real gv = tanh_one(a[2 * H + j]);
#ifdef SW_REAL_DOUBLE
    sw_real cv = fma(fv, c_prev[j], iv * gv);
#else
    sw_real cv = fmaf(fv, c_prev[j], iv * gv); /* f c' fused, as lanes_fma in the vector loop */
#endif
    sw_real tv = tanh_one(cv);
    a[j] = iv, a[H + j] = fv, a[2 * H + j] = gv, a[3 * H + j] = ov;
    c[j] = cv, tc[j] = tv, h[j] = ov * tv;
}

void sw_lstm_cells(sw_real *restrict a, sw_real *restrict c, sw_real *restrict tc, sw_real *restrict h,
                   const sw_real *restrict c_prev, int R, int H)
{
    for (int b = 0; b < R; b++, a += 4 * H, c_prev += H, c += H, tc += H, h += H) {
        int j = 0;
#ifndef SW_REAL_DOUBLE
        for (; j + LANES <= H; j += LANES) {
            vec iv = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * *(const vec_u *)(a + j));
            vec fv = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * *(const vec_u *)(a + H + j));
            vec gv = tanh_vec(*(const vec_u *)(a + 2 * H + j));
            vec ov = splat(0.5f) + splat(0.5f) * tanh_vec(splat(0.5f) * *(const vec_u *)(a + 3 * H + j));
            vec cv = lanes_fma(fv, *(const vec_u *)(c_prev + j), iv * gv);
            vec tv = tanh_vec(cv);
            *(vec_u *)(a + j) = iv, *(vec_u *)(a + H + j) = fv, *(vec_u *)(a + 2 * H + j) = gv;
            *(vec_u *)(a + 3 * H + j) = ov;
            *(vec_u *)(c + j) = cv, *(vec_u *)(tc + j) = tv, *(vec_u *)(h + j) = ov * tv;
        }
#endif
        for (; j < H; j++) lstm_cell_one(a, c_prev, c, tc, h, H, j);
    }
}

/* ---- the cells backward ---------------------------------------------------------
 * Every fused multiply-add is written out (lanes_fma, fma_one), the same in the vector
 * loops and their scalar tails, and no product feeds a sum anywhere else, so no variant or
 * tail can contract differently: they are the operations the engine's earlier loops in
 * model.c were compiled to (1 - x x fused, as vfnmadd; lstm's dcell + (d o)(1 - tc tc)
 * fused), and give their bits. */
static inline sw_real fma_one(sw_real a, sw_real b, sw_real c)
{
#ifdef SW_REAL_DOUBLE
    return fma(a, b, c);
#else
    return fmaf(a, b, c);
#endif
}

/* d loss / d h of value j from dh and above, by form (a constant in each instantiation). */
static inline sw_real dh_in_one(const sw_real *restrict dh, const sw_real *restrict above, size_t j, const int form)
{
    return form == SW_DH_ADD ? dh[j] + above[j] : form == SW_DH_ZERO ? dh[j] + (sw_real)0 : dh[j];
}

#ifndef SW_REAL_DOUBLE
static inline vec dh_in_vec(const sw_real *restrict dh, const sw_real *restrict above, size_t j, const int form)
{
    vec d = *(const vec_u *)(dh + j);
    return form == SW_DH_ADD ? d + *(const vec_u *)(above + j) : form == SW_DH_ZERO ? d + (vec){0} : d;
}

/* 1 - x x in one rounding. */
static inline vec one_minus_sq_vec(vec x)
{
    return lanes_fma(-x, x, splat(1.0f));
}

/* x where keep > 0, else +0 (a NaN keep gives 0), lane by lane. */
static inline vec where_positive(vec keep, vec x)
{
    typedef int32_t mask __attribute__((vector_size(VEC_BYTES)));
    return (vec)((mask)x & (keep > (vec){0}));
}
#endif

static inline __attribute__((always_inline)) void rnn_cells_backward_form(sw_real *restrict da,
                                                                          const sw_real *restrict dh,
                                                                          const sw_real *restrict above,
                                                                          const sw_real *restrict h, size_t n,
                                                                          int relu, const int form)
{
    size_t i = 0;
    if (relu) {
#ifndef SW_REAL_DOUBLE
        for (; i + LANES <= n; i += LANES)
            *(vec_u *)(da + i) = where_positive(*(const vec_u *)(h + i), dh_in_vec(dh, above, i, form));
#endif
        for (; i < n; i++) da[i] = h[i] > 0 ? dh_in_one(dh, above, i, form) : 0;
    } else {
#ifndef SW_REAL_DOUBLE
        for (; i + LANES <= n; i += LANES)
            *(vec_u *)(da + i) = dh_in_vec(dh, above, i, form) * one_minus_sq_vec(*(const vec_u *)(h + i));
#endif
        for (; i < n; i++) da[i] = dh_in_one(dh, above, i, form) * fma_one(-h[i], h[i], 1);
    }
}

void sw_rnn_cells_backward(sw_real *da, const sw_real *dh, const sw_real *above, const sw_real *h, size_t n, int relu,
                           sw_dh_form form)
{
    switch (form) {
    case SW_DH_ADD: rnn_cells_backward_form(da, dh, above, h, n, relu, SW_DH_ADD); break;
    case SW_DH_ZERO: rnn_cells_backward_form(da, dh, NULL, h, n, relu, SW_DH_ZERO); break;
    default: rnn_cells_backward_form(da, dh, NULL, h, n, relu, SW_DH_DONE); break;
    }
}

/* One lstm value backward (see kernels.h): the vector loop's operations on one lane. */
static inline __attribute__((always_inline)) void lstm_cell_backward_one(sw_real *restrict a, sw_real *restrict dcell,
                                                                         const sw_real *restrict tc,
                                                                         const sw_real *restrict c_prev,
                                                                         const sw_real *restrict dh,
                                                                         const sw_real *restrict above, int H, int j,
                                                                         const int form)
{
    sw_real i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], t = tc[j];
    sw_real d = dh_in_one(dh, above, j, form);
    sw_real dc = fma_one(d * o, fma_one(-t, t, 1), dcell[j]);
    a[3 * H + j] = d * t * o * (1 - o);
    a[j] = dc * g * i * (1 - i);
    a[2 * H + j] = dc * i * fma_one(-g, g, 1);
    a[H + j] = dc * c_prev[j] * f * (1 - f);
    dcell[j] = dc * f;
}

/* Rows of lstm cells backward, the row loop inside each form's copy (at H = 32 a row is two
 * vectors per gate: a call and a switch per row cost about as much as the row). */
static inline __attribute__((always_inline)) void
lstm_cells_backward_form(sw_real *restrict a, sw_real *restrict dcell, const sw_real *restrict tc,
                         const sw_real *restrict c_prev, const sw_real *restrict dh, const sw_real *restrict above,
                         int R, int H, const int form)
{
    for (int b = 0; b < R; b++, a += 4 * H, dcell += H, tc += H, c_prev += H, dh += H) {
        const sw_real *restrict ab = form == SW_DH_ADD ? above + (size_t)b * H : NULL;
        int j = 0;
#ifndef SW_REAL_DOUBLE
        for (; j + LANES <= H; j += LANES) {
            vec i = *(const vec_u *)(a + j), f = *(const vec_u *)(a + H + j);
            vec g = *(const vec_u *)(a + 2 * H + j), o = *(const vec_u *)(a + 3 * H + j);
            vec t = *(const vec_u *)(tc + j), d = dh_in_vec(dh, ab, j, form), one = splat(1.0f);
            vec dc = lanes_fma(d * o, one_minus_sq_vec(t), *(const vec_u *)(dcell + j));
            *(vec_u *)(a + 3 * H + j) = d * t * o * (one - o);
            *(vec_u *)(a + j) = dc * g * i * (one - i);
            *(vec_u *)(a + 2 * H + j) = dc * i * one_minus_sq_vec(g);
            *(vec_u *)(a + H + j) = dc * *(const vec_u *)(c_prev + j) * f * (one - f);
            *(vec_u *)(dcell + j) = dc * f;
        }
#endif
        for (; j < H; j++) lstm_cell_backward_one(a, dcell, tc, c_prev, dh, ab, H, j, form);
    }
}

void sw_lstm_cells_backward(sw_real *a, sw_real *dcell, const sw_real *tc, const sw_real *c_prev, const sw_real *dh,
                            const sw_real *above, int R, int H, sw_dh_form form)
{
    switch (form) {
    case SW_DH_ADD: lstm_cells_backward_form(a, dcell, tc, c_prev, dh, above, R, H, SW_DH_ADD); break;
    case SW_DH_ZERO: lstm_cells_backward_form(a, dcell, tc, c_prev, dh, NULL, R, H, SW_DH_ZERO); break;
    default: lstm_cells_backward_form(a, dcell, tc, c_prev, dh, NULL, R, H, SW_DH_DONE); break;
    }
}

/* One gru value backward (see kernels.h): the vector loop's operations on one lane. */
static inline __attribute__((always_inline)) void gru_cell_backward_one(sw_real *restrict a, sw_real *restrict dhn,
                                                                        sw_real *restrict dh,
                                                                        const sw_real *restrict hn,
                                                                        const sw_real *restrict h_prev,
                                                                        const sw_real *restrict above, int H, int j,
                                                                        const int form)
{
    sw_real r = a[j], z = a[H + j], n = a[2 * H + j];
    sw_real d = dh_in_one(dh, above, j, form);
    sw_real dn = d * (1 - z) * fma_one(-n, n, 1);
    a[H + j] = d * (h_prev[j] - n) * z * (1 - z);
    a[j] = dn * hn[j] * r * (1 - r);
    a[2 * H + j] = dn;
    dhn[j] = dn * r;
    dh[j] = d * z; /* the direct path h' -> h, before the W_hh term is added */
}

/* Rows of gru cells backward, the row loop inside each form's copy (as lstm's). */
static inline __attribute__((always_inline)) void
gru_cells_backward_form(sw_real *restrict a, sw_real *restrict dhn, sw_real *restrict dh, const sw_real *restrict hn,
                        const sw_real *restrict h_prev, const sw_real *restrict above, int R, int H, const int form)
{
    for (int b = 0; b < R; b++, a += 3 * H, dhn += H, dh += H, hn += H, h_prev += H) {
        const sw_real *restrict ab = form == SW_DH_ADD ? above + (size_t)b * H : NULL;
        int j = 0;
#ifndef SW_REAL_DOUBLE
        for (; j + LANES <= H; j += LANES) {
            vec r = *(const vec_u *)(a + j), z = *(const vec_u *)(a + H + j), n = *(const vec_u *)(a + 2 * H + j);
            vec d = dh_in_vec(dh, ab, j, form), one = splat(1.0f);
            vec dn = d * (one - z) * one_minus_sq_vec(n);
            *(vec_u *)(a + H + j) = d * (*(const vec_u *)(h_prev + j) - n) * z * (one - z);
            *(vec_u *)(a + j) = dn * *(const vec_u *)(hn + j) * r * (one - r);
            *(vec_u *)(a + 2 * H + j) = dn;
            *(vec_u *)(dhn + j) = dn * r;
            *(vec_u *)(dh + j) = d * z;
        }
#endif
        for (; j < H; j++) gru_cell_backward_one(a, dhn, dh, hn, h_prev, ab, H, j, form);
    }
}

void sw_gru_cells_backward(sw_real *a, sw_real *dhn, sw_real *dh, const sw_real *hn, const sw_real *h_prev,
                           const sw_real *above, int R, int H, sw_dh_form form)
{
    switch (form) {
    case SW_DH_ADD: gru_cells_backward_form(a, dhn, dh, hn, h_prev, above, R, H, SW_DH_ADD); break;
    case SW_DH_ZERO: gru_cells_backward_form(a, dhn, dh, hn, h_prev, NULL, R, H, SW_DH_ZERO); break;
    default: gru_cells_backward_form(a, dhn, dh, hn, h_prev, NULL, R, H, SW_DH_DONE); break;
    }
}

double sw_kernels_fma_peak(long iters)
{
    /* 12 chains: more than FMA latency times FMA units on current x86 cores (4 x 2), few
     * enough to stay in 16 vector registers with the two constants. */
    typedef float vecf __attribute__((vector_size(VEC_BYTES)));
    enum { CHAINS = 12, PEAK_LANES = VEC_BYTES / 4 };
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

#ifdef SW_KERNELS_SUFFIX
#define SW_KERNELS_STR2(x) #x
#define SW_KERNELS_STR(x) SW_KERNELS_STR2(x)
#define VARIANT_NAME (&SW_KERNELS_STR(SW_KERNELS_SUFFIX)[1]) /* "_avx2" -> "avx2" */
#elif VEC_BYTES == 64
#define VARIANT_NAME "avx512"
#elif defined(__AVX2__)
#define VARIANT_NAME "avx2"
#else
#define VARIANT_NAME "generic"
#endif

#ifdef SW_KERNELS_SUFFIX
const sw_kernel_table sw_kernels_table_of_this_build = {
    VARIANT_NAME,     sw_matmul,        sw_matmul_acc_tanh,    sw_packed_size,  sw_pack,
    sw_pack_transposed, sw_matmul_packed, sw_matmul_at_acc,    sw_matmul_part_cols, sw_matmul_at_acc_part,
    sw_colsum_acc,    sw_transpose,     sw_tanh_inplace,       sw_sigmoid_inplace, sw_kernels_fma_peak,
    sw_matmul_packed_sub, sw_gru_cells, sw_lstm_cells, sw_matmul_at_acc_part_ld, sw_packed_row_offset,
    sw_rnn_cells_backward, sw_lstm_cells_backward, sw_gru_cells_backward,
};
#else
/* One build of the kernels, no choice: only its own name (or auto) is accepted. */
const char *sw_kernels_name(void)
{
    return VARIANT_NAME;
}

int sw_kernels_select(const char *name, char *err, size_t errlen)
{
    if (!name || !name[0] || !strcmp(name, "auto") || !strcmp(name, VARIANT_NAME)) return SW_OK;
    sw_set_error(err, errlen, "this build has only its %s kernels (built for one CPU, -DSWEEP_NATIVE=ON)",
                 VARIANT_NAME);
    return SW_EINVAL;
}
#endif
