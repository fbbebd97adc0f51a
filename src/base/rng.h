/* rng.h: counter-based random streams (Philox4x32-10, Salmon et al., SC'11).
 *
 * A stream is (seed, stream id); its n-th value depends on nothing but those and n, so
 * the training data, test data, initialisation, batch order, dropout, probe and validation streams
 * never depend on how much another stream consumed, and a config change that draws more
 * from one stream leaves every other stream unchanged. */
#ifndef SWEEP_RNG_H
#define SWEEP_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SW_STREAM_TRAIN_DATA = 1,
    SW_STREAM_TEST_DATA,
    SW_STREAM_INIT,
    SW_STREAM_BATCH_ORDER,
    SW_STREAM_DROPOUT,
    SW_STREAM_PROBE,
    SW_STREAM_VAL_DATA,
    SW_STREAM_PERMUTE,  /* of task.permute_seed, not of the run's seed */
    SW_STREAM_GENERATE, /* `sweep sample --seed`; new streams go last, so the ids of the
                           streams files were made with stay */
    SW_STREAM_COUNT
} sw_stream_id;

typedef struct sw_rng {
    uint32_t key[2];
    uint32_t stream;
    uint64_t block;     /* next 128-bit block to generate */
    uint32_t buf[4];
    int used;           /* values of buf already handed out (4 = empty) */
    int has_spare;      /* Box-Muller's second normal is cached */
    double spare;
} sw_rng;

/* One Philox4x32-10 block: the 4 words for counter `ctr` under key `key` (the bijection
 * every stream is built on; exposed for the known-answer test). A stream's block n has
 * counter {n low, n high, stream id, 0x5357} and key {seed low, seed high}. */
void sw_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Positions `r` at the start of stream `stream` of `seed`. */
void sw_rng_init(sw_rng *r, uint64_t seed, uint32_t stream);

uint32_t sw_rng_u32(sw_rng *r);

/* Fills out[0..n) with the next n values of the stream: the same values n calls of
 * sw_rng_u32 would return, generated 32 blocks at a time with the fastest implementation
 * the CPU runs (sw_rng_impl_best). */
void sw_rng_fill_u32(sw_rng *r, uint32_t *out, size_t n);

/* The implementations of the bulk fill. All give the same values (integer operations
 * only); they differ in speed. GENERIC is plain C (vectorised by the compiler for the
 * build's instruction set); AVX2 and AVX512 use those instructions whatever the build
 * targets, chosen when the CPU has them (x86 with GCC or clang; elsewhere unsupported). */
typedef enum { SW_RNG_IMPL_GENERIC, SW_RNG_IMPL_AVX2, SW_RNG_IMPL_AVX512, SW_RNG_IMPL_COUNT } sw_rng_impl;

const char *sw_rng_impl_name(sw_rng_impl impl);
int sw_rng_impl_supported(sw_rng_impl impl);
sw_rng_impl sw_rng_impl_best(void);

/* Caps what sw_rng_impl_best picks at `max` (for the whole process; the kernels' choice sets
 * it, so that SWEEP_KERNELS=avx2 runs AVX2 code throughout). Every implementation gives the
 * same values, so only speed changes. */
void sw_rng_impl_cap(sw_rng_impl max);

/* sw_rng_fill_u32 with a given implementation, which must be supported (asserted): for the
 * tests that compare them and for benchmarks. */
void sw_rng_fill_u32_using(sw_rng *r, uint32_t *out, size_t n, sw_rng_impl impl);

/* Uniform in [0, 1) with 53 random bits. */
double sw_rng_uniform(sw_rng *r);

/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint32_t sw_rng_below(sw_rng *r, uint32_t n);

/* Standard normal (Box-Muller in double precision). */
double sw_rng_normal(sw_rng *r);

/* Fills out[0..n) with the next n values sw_rng_normal would return, and leaves the stream
 * (and its spare value) where those n calls would; the words are drawn by sw_rng_fill_u32. */
void sw_rng_fill_normal(sw_rng *r, double *out, size_t n);

/* sw_rng_fill_normal rounded to float, for data sets that store floats: out[k] is, bit for
 * bit, (float) of what sw_rng_fill_normal would store, and the stream (its spare included)
 * is left exactly where that leaves it, so everything drawn afterwards is unchanged. Several
 * times faster: a vectorised double log, sine and cosine accurate to a few ulps, whose
 * result is rounded to float only when it lies far enough from a midpoint between two
 * floats that libm's double would round to the same float; the rare others (about 3 in
 * 100,000 pairs) are libm's, recomputed. Words by sw_rng_fill_u32, normals with the
 * fastest implementation the CPU runs (sw_rng_impl_best); every implementation gives the
 * same floats. */
void sw_rng_fill_normal_float(sw_rng *r, float *out, size_t n);

/* sw_rng_fill_normal_float with a given implementation (supported: asserted), for tests
 * and benchmarks. */
void sw_rng_fill_normal_float_using(sw_rng *r, float *out, size_t n, sw_rng_impl impl);

/* The distance, in ulps of the fast double, that the test of the rng allows between
 * sw_rng_fill_normal_float's fast doubles and libm's (measured: 3; the worst case by
 * analysis: 9); the rounding test's margin is 1024 times this. */
#define SW_RNG_NORMAL_FAST_ULPS 4

/* Box-Muller pairs of given words (4 per pair: w0, w1 make u1, w2, w3 the angle), for tests
 * and benchmarks. sw_rng_normal_pairs: libm's doubles (what the stream functions give),
 * cosine in out[2p], sine in out[2p + 1]. sw_rng_normal_pairs_float_using: the floats of
 * sw_rng_fill_normal_float by implementation `impl` (supported: asserted), and in `fast`,
 * when not NULL, its doubles before the rounding test; returns how many pairs it recomputed
 * with libm. */
void sw_rng_normal_pairs(double *out, const uint32_t *words, size_t pairs);
size_t sw_rng_normal_pairs_float_using(float *out, double *fast, const uint32_t *words, size_t pairs,
                                       sw_rng_impl impl);

#endif
