#include "rng.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "common.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(SW_RNG_NO_SIMD)
#define SW_RNG_X86 1
#include <immintrin.h>
/* AVX2 with FMA (the normals' AVX2 path multiplies-adds; every AVX2 CPU of note has both). */
static int cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int cpu_has_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#else
#define SW_RNG_X86 0
#endif

void sw_philox4x32_10(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void sw_rng_init(sw_rng *r, uint64_t seed, uint32_t stream)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->stream = stream;
    r->block = 0;
    r->used = 4;
    r->has_spare = 0;
    r->spare = 0;
}

uint32_t sw_rng_u32(sw_rng *r)
{
    if (r->used == 4) {
        /* Counter: 64-bit block index, the stream id, and a constant word. */
        uint32_t ctr[4] = {(uint32_t)r->block, (uint32_t)(r->block >> 32), r->stream, 0x5357u};
        sw_philox4x32_10(ctr, r->key, r->buf);
        r->block++;
        r->used = 0;
    }
    return r->buf[r->used++];
}

/* Philox over BLOCKS consecutive blocks at once: out receives their 4 * BLOCKS words in
 * stream order. One implementation per instruction set (sw_rng_impl), all giving the same
 * words: the rounds are integer operations, so only speed differs. */
#define BLOCKS 64
typedef void philox_blocks_fn(const sw_rng *r, uint64_t first_block, uint32_t *out /* 4*BLOCKS */);

/* Any C compiler: lane-major over 64-bit lanes so the compiler vectorises the rounds with
 * the instruction set the whole build targets (32x32->64-bit multiplies are vector
 * instructions). */
static void philox_blocks_generic(const sw_rng *r, uint64_t first_block, uint32_t *out)
{
    /* 32-bit words held in 64-bit lanes: the products then need no widening, which is
     * what lets the compiler vectorise the rounds. */
    uint64_t c0[BLOCKS], c1[BLOCKS], c2[BLOCKS], c3[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        uint64_t block = first_block + (uint64_t)i;
        c0[i] = block & 0xFFFFFFFFu, c1[i] = block >> 32, c2[i] = r->stream, c3[i] = 0x5357u;
    }
    uint64_t k0 = r->key[0], k1 = r->key[1];
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < BLOCKS; i++) {
            /* The masks tell the compiler the factors fit 32 bits (they always do), so it
             * can use the cheap 32x32->64 vector multiply; 2x faster than without them. */
            uint64_t p0 = (uint64_t)0xD2511F53u * (c0[i] & 0xFFFFFFFFu);
            uint64_t p1 = (uint64_t)0xCD9E8D57u * (c2[i] & 0xFFFFFFFFu);
            uint64_t n0 = (p1 >> 32) ^ c1[i] ^ k0;
            uint64_t n2 = (p0 >> 32) ^ c3[i] ^ k1;
            c1[i] = p1 & 0xFFFFFFFFu;
            c3[i] = p0 & 0xFFFFFFFFu;
            c0[i] = n0;
            c2[i] = n2;
        }
        k0 = (k0 + 0x9E3779B9u) & 0xFFFFFFFFu;
        k1 = (k1 + 0xBB67AE85u) & 0xFFFFFFFFu;
    }
    for (int i = 0; i < BLOCKS; i++) {
        out[4 * i] = (uint32_t)c0[i], out[4 * i + 1] = (uint32_t)c1[i];
        out[4 * i + 2] = (uint32_t)c2[i], out[4 * i + 3] = (uint32_t)c3[i];
    }
}

/* The counters' first two words (block number low, high) of BLOCKS blocks. */
static void block_words(uint64_t first_block, uint32_t lo[BLOCKS], uint32_t hi[BLOCKS])
{
    for (int i = 0; i < BLOCKS; i++) {
        uint64_t block = first_block + (uint64_t)i;
        lo[i] = (uint32_t)block, hi[i] = (uint32_t)(block >> 32);
    }
}

#if SW_RNG_X86
/* x86: each counter word of the blocks in one register of 32-bit lanes (the generic form
 * spends 64-bit lanes on 32-bit words and interleaves its output word by word). The high
 * and low halves of a 32x32-bit product come from two widening multiplies, of the even
 * and of the odd lanes, blended; the output is a transpose of the four words. */
__attribute__((target("avx2"))) static inline void philox_round_avx2(__m256i c[4], __m256i k0, __m256i k1)
{
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    __m256i e0 = _mm256_mul_epu32(c[0], m0), o0 = _mm256_mul_epu32(_mm256_srli_epi64(c[0], 32), m0);
    __m256i e1 = _mm256_mul_epu32(c[2], m1), o1 = _mm256_mul_epu32(_mm256_srli_epi64(c[2], 32), m1);
    __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
    __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
    __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
    __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
    c[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), k0);
    c[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), k1);
    c[1] = lo1, c[3] = lo0;
}

/* Two groups of 8 blocks at a time, their rounds interleaved (as the AVX-512 form's). */
__attribute__((target("avx2"))) static void philox_blocks_avx2(const sw_rng *r, uint64_t first_block, uint32_t *out)
{
    enum { PAIR = 2 };
    uint32_t lo[BLOCKS], hi[BLOCKS];
    block_words(first_block, lo, hi);
    for (int g0 = 0; g0 < BLOCKS / 8; g0 += PAIR) {
        __m256i c[PAIR][4];
        for (int g = 0; g < PAIR; g++) {
            c[g][0] = _mm256_loadu_si256((const __m256i *)(lo + 8 * (g0 + g)));
            c[g][1] = _mm256_loadu_si256((const __m256i *)(hi + 8 * (g0 + g)));
            c[g][2] = _mm256_set1_epi32((int)r->stream), c[g][3] = _mm256_set1_epi32(0x5357);
        }
        uint32_t k0 = r->key[0], k1 = r->key[1];
        for (int round = 0; round < 10; round++) {
            __m256i vk0 = _mm256_set1_epi32((int)k0), vk1 = _mm256_set1_epi32((int)k1);
            for (int g = 0; g < PAIR; g++) philox_round_avx2(c[g], vk0, vk1);
            k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
        }
        for (int g = 0; g < PAIR; g++) {
            /* Per 128-bit lane: u0 = block 0 | block 4, u1 = 1 | 5, u2 = 2 | 6, u3 = 3 | 7. */
            __m256i t0 = _mm256_unpacklo_epi32(c[g][0], c[g][1]), t1 = _mm256_unpackhi_epi32(c[g][0], c[g][1]);
            __m256i t2 = _mm256_unpacklo_epi32(c[g][2], c[g][3]), t3 = _mm256_unpackhi_epi32(c[g][2], c[g][3]);
            __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
            __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
            __m256i *dst = (__m256i *)(out + 32 * (g0 + g));
            _mm256_storeu_si256(dst, _mm256_permute2x128_si256(u0, u1, 0x20));
            _mm256_storeu_si256(dst + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
            _mm256_storeu_si256(dst + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
            _mm256_storeu_si256(dst + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
        }
    }
}

/* AVX-512: BLOCKS / 16 groups of 16 blocks, each counter word of a group in one register,
 * the groups' rounds interleaved (one group's round is a chain of dependent operations:
 * alone, it left the vector units idle half the time). The high and low halves of the 32x32
 * products come from the even and odd lanes' widening multiplies by one masked shuffle
 * each (lane pairs swapped, half the lanes kept). */
__attribute__((target("avx512f"))) static inline void philox_round_avx512(__m512i c[4], __m512i k0, __m512i k1)
{
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    const __mmask16 even = 0x5555, odd = 0xAAAA;
    __m512i e0 = _mm512_mul_epu32(c[0], m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(c[0], 32), m0);
    __m512i e1 = _mm512_mul_epu32(c[2], m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(c[2], 32), m1);
    /* hi: even lanes the even product's upper word (its odd lane), odd lanes o's; lo: even
     * lanes e's lower word, odd lanes the odd product's lower word (its even lane). */
    __m512i hi0 = _mm512_mask_shuffle_epi32(o0, even, e0, _MM_PERM_CDAB);
    __m512i lo0 = _mm512_mask_shuffle_epi32(e0, odd, o0, _MM_PERM_CDAB);
    __m512i hi1 = _mm512_mask_shuffle_epi32(o1, even, e1, _MM_PERM_CDAB);
    __m512i lo1 = _mm512_mask_shuffle_epi32(e1, odd, o1, _MM_PERM_CDAB);
    c[0] = _mm512_ternarylogic_epi32(hi1, c[1], k0, 0x96); /* a ^ b ^ c */
    c[2] = _mm512_ternarylogic_epi32(hi0, c[3], k1, 0x96);
    c[1] = lo1, c[3] = lo0;
}

/* A group's four words into out (64 words, blocks in order). */
__attribute__((target("avx512f"))) static inline void philox_store_avx512(const __m512i c[4], uint32_t *out)
{
    /* Per 128-bit lane k: u0 = block 4k, u1 = 4k+1, u2 = 4k+2, u3 = 4k+3; then a 4x4
     * transpose of the 128-bit lanes puts blocks 0..15 in order. */
    __m512i t0 = _mm512_unpacklo_epi32(c[0], c[1]), t1 = _mm512_unpackhi_epi32(c[0], c[1]);
    __m512i t2 = _mm512_unpacklo_epi32(c[2], c[3]), t3 = _mm512_unpackhi_epi32(c[2], c[3]);
    __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    __m512i v0 = _mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(2, 0, 2, 0)); /* blocks 0 8 1 9 */
    __m512i v1 = _mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(3, 1, 3, 1)); /* 4 12 5 13 */
    __m512i v2 = _mm512_shuffle_i32x4(u2, u3, _MM_SHUFFLE(2, 0, 2, 0)); /* 2 10 3 11 */
    __m512i v3 = _mm512_shuffle_i32x4(u2, u3, _MM_SHUFFLE(3, 1, 3, 1)); /* 6 14 7 15 */
    _mm512_storeu_si512(out, _mm512_shuffle_i32x4(v0, v2, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(v1, v3, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(v0, v2, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(v1, v3, _MM_SHUFFLE(3, 1, 3, 1)));
}

__attribute__((target("avx512f"))) static void philox_blocks_avx512(const sw_rng *r, uint64_t first_block,
                                                                    uint32_t *out)
{
    enum { GROUPS = BLOCKS / 16 };
    uint32_t lo[BLOCKS], hi[BLOCKS];
    block_words(first_block, lo, hi);
    __m512i c[GROUPS][4];
    for (int g = 0; g < GROUPS; g++) {
        c[g][0] = _mm512_loadu_si512(lo + 16 * g), c[g][1] = _mm512_loadu_si512(hi + 16 * g);
        c[g][2] = _mm512_set1_epi32((int)r->stream), c[g][3] = _mm512_set1_epi32(0x5357);
    }
    uint32_t k0 = r->key[0], k1 = r->key[1];
    for (int round = 0; round < 10; round++) {
        __m512i vk0 = _mm512_set1_epi32((int)k0), vk1 = _mm512_set1_epi32((int)k1);
        for (int g = 0; g < GROUPS; g++) philox_round_avx512(c[g], vk0, vk1);
        k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
    }
    for (int g = 0; g < GROUPS; g++) philox_store_avx512(c[g], out + 64 * g);
}
#endif

/* The implementations, one row each: name, the CPU check, the code. */
static const struct {
    const char *name;
    int (*supported)(void);
    philox_blocks_fn *blocks;
} philox_impls[SW_RNG_IMPL_COUNT] = {
    [SW_RNG_IMPL_GENERIC] = {"generic", NULL, philox_blocks_generic},
#if SW_RNG_X86
    [SW_RNG_IMPL_AVX2] = {"avx2", cpu_has_avx2, philox_blocks_avx2},
    [SW_RNG_IMPL_AVX512] = {"avx512", cpu_has_avx512, philox_blocks_avx512},
#else
    [SW_RNG_IMPL_AVX2] = {"avx2", NULL, NULL},
    [SW_RNG_IMPL_AVX512] = {"avx512", NULL, NULL},
#endif
};

const char *sw_rng_impl_name(sw_rng_impl impl)
{
    return impl >= 0 && impl < SW_RNG_IMPL_COUNT ? philox_impls[impl].name : "?";
}

int sw_rng_impl_supported(sw_rng_impl impl)
{
    if (impl < 0 || impl >= SW_RNG_IMPL_COUNT || !philox_impls[impl].blocks) return 0;
    return !philox_impls[impl].supported || philox_impls[impl].supported();
}

/* sw_rng_impl_cap's: the highest implementation sw_rng_impl_best may pick. */
static _Atomic int impl_cap = SW_RNG_IMPL_COUNT - 1;

void sw_rng_impl_cap(sw_rng_impl max)
{
    SW_ASSERT(max >= 0 && max < SW_RNG_IMPL_COUNT);
    atomic_store_explicit(&impl_cap, (int)max, memory_order_relaxed);
}

sw_rng_impl sw_rng_impl_best(void)
{
    /* Asked at every bulk fill: the CPU check reads a word the C runtime filled in
     * before main, so there is nothing to cache (and no race between threads). */
    int cap = atomic_load_explicit(&impl_cap, memory_order_relaxed);
    for (int impl = cap; impl > SW_RNG_IMPL_GENERIC; impl--)
        if (sw_rng_impl_supported((sw_rng_impl)impl)) return (sw_rng_impl)impl;
    return SW_RNG_IMPL_GENERIC;
}

void sw_rng_fill_u32_using(sw_rng *r, uint32_t *out, size_t n, sw_rng_impl impl)
{
    SW_ASSERT(sw_rng_impl_supported(impl));
    philox_blocks_fn *blocks = philox_impls[impl].blocks;
    size_t i = 0;
    while (i < n && r->used < 4) out[i++] = r->buf[r->used++];
    while (n - i >= 4 * BLOCKS) {
        blocks(r, r->block, out + i);
        r->block += BLOCKS;
        i += 4 * BLOCKS;
    }
    /* Whole blocks short of BLOCKS: one more call into a buffer, of which only those are
     * kept (the blocks after them are not consumed: counters, not a state, make them). */
    size_t whole = (n - i) / 4;
    if (whole >= 4) {
        uint32_t spill[4 * BLOCKS];
        blocks(r, r->block, spill);
        memcpy(out + i, spill, whole * 4 * sizeof(uint32_t));
        r->block += whole;
        i += whole * 4;
    }
    while (i < n) out[i++] = sw_rng_u32(r);
}

void sw_rng_fill_u32(sw_rng *r, uint32_t *out, size_t n)
{
    sw_rng_fill_u32_using(r, out, n, sw_rng_impl_best());
}

/* The uniform of two consecutive words w0, w1 of the stream: 27 + 26 bits. */
static inline double uniform_of(uint32_t w0, uint32_t w1)
{
    uint64_t hi = w0 >> 5, lo = w1 >> 6;
    return ((double)hi * 67108864.0 + (double)lo) * (1.0 / 9007199254740992.0);
}

double sw_rng_uniform(sw_rng *r)
{
    uint32_t w0 = sw_rng_u32(r), w1 = sw_rng_u32(r);
    return uniform_of(w0, w1);
}

uint32_t sw_rng_below(sw_rng *r, uint32_t n)
{
    /* Lemire's multiply-and-reject. */
    uint64_t m = (uint64_t)sw_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)sw_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Box-Muller of one block's four words: *cosine is returned first, *sine kept as spare. */
static inline void normal_pair(const uint32_t w[4], double *cosine, double *sine)
{
    double u1 = 1.0 - uniform_of(w[0], w[1]); /* (0, 1]: log is finite */
    double u2 = uniform_of(w[2], w[3]);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586 * u2;
    *sine = radius * sin(angle);
    *cosine = radius * cos(angle);
}

double sw_rng_normal(sw_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    uint32_t w[4];
    for (int k = 0; k < 4; k++) w[k] = sw_rng_u32(r);
    double cosine;
    normal_pair(w, &cosine, &r->spare);
    r->has_spare = 1;
    return cosine;
}

void sw_rng_fill_normal(sw_rng *r, double *out, size_t n)
{
    enum { PAIRS = 64 }; /* words drawn 4 * PAIRS at a time by the bulk fill */
    uint32_t words[4 * PAIRS];
    size_t i = 0;
    if (i < n && r->has_spare) out[i++] = sw_rng_normal(r);
    while (n - i >= 2) {
        size_t pairs = (n - i) / 2 < PAIRS ? (n - i) / 2 : PAIRS;
        sw_rng_fill_u32(r, words, 4 * pairs);
        for (size_t p = 0; p < pairs; p++, i += 2) normal_pair(words + 4 * p, &out[i], &out[i + 1]);
    }
    if (i < n) out[i] = sw_rng_normal(r); /* leaves the spare, as n calls would */
}

/* ---- Normals rounded to float, bit-identical to (float) of the double ones ----
 *
 * The data sets store floats, so the double normals are only ever rounded to float. A
 * double-precision log and sine/cosine accurate to a few units in the last place (ulp) give
 * the same float as libm's double rounded to float, unless the value lies so close to a
 * midpoint between two adjacent floats that the two doubles could fall on either side of
 * it. That is tested for every value (Ziv's rounding test): when the fast double lies
 * within NORMAL_MARGIN_ULPS (of its own ulp) of a midpoint, or is tiny (zero included),
 * the pair is recomputed by normal_pair, libm's. So the floats are libm's by
 * construction on every path, and the fallback is rare: (2 * margin + 1) / 2^29 per value.
 *
 * The margin's budget, in ulps of the double result (relative error 2^-53 per ulp at
 * worst): the fast path's log (fdlibm's, < 1 ulp), the square root (0.5), the argument
 * reduction (three roundings, 1.5), the sine/cosine kernels (fdlibm's, < 1), the product
 * (0.5): < 5 ulps from the exact value; libm's log, sin and cos (glibc: < 1 ulp each),
 * square root and product: < 4 ulps. So the two doubles lie within 9 ulps of each other;
 * measured over 10^7 pairs on every path: 3. The test holds them to SW_RNG_NORMAL_FAST_ULPS
 * (4, so that a slightly wrong coefficient fails it); the margin is 1024 times that, 455
 * times the worst case above. */
#define NORMAL_MARGIN_ULPS (1024 * SW_RNG_NORMAL_FAST_ULPS)
#define NORMAL_TINY_BITS 0x39B0000000000000ull /* 2^-100: below it (zero too), libm's */
#define NORMAL_HUGE_BITS 0x4030000000000000ull /* 16 (a radius is below 9): from it (inf, NaN), libm's */
#define NORMAL_HALF_LOW 0x10000000ull          /* the float midpoint in a double's low 29 bits */
#define NORMAL_LOW_MASK 0x1FFFFFFFull

/* fdlibm's constants (e_log.c, k_sin.c, k_cos.c, e_rem_pio2.c; Sun Microsystems, freely
 * usable): log1p's R(z) (error < 2^-58.45), sine and cosine on [-pi/4, pi/4] (< 2^-58), pi/2
 * in three 33-bit parts and a 53-bit tail (the multiples q * part are exact for q <= 4). */
static const double LG1 = 6.666666666666735130e-01, LG2 = 3.999999999940941908e-01,
                    LG3 = 2.857142874366239149e-01, LG4 = 2.222219843214978396e-01,
                    LG5 = 1.818357216161805012e-01, LG6 = 1.531383769920937332e-01,
                    LG7 = 1.479819860511658591e-01;
static const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
static const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                    S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                    S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
static const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                    C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                    C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
static const double PIO2_1 = 1.57079632673412561417e+00, PIO2_2 = 6.07710050630396597660e-11,
                    PIO2_3 = 2.02226624871116645580e-21, PIO2_3T = 8.47842766036889956997e-32;
static const double TWO_OVER_PI = 6.36619772367581382433e-01;
static const double SQRT2 = 1.41421356237309514547;
static const double ROUND_MAGIC = 6755399441055744.0;      /* 1.5 * 2^52: adding it rounds to an integer */
static const double EXP_MAGIC = 4503599627371519.0;        /* 2^52 + 1023 */
static const double TWO_PI = 6.283185307179586;            /* normal_pair's */

static inline uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double double_of(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Whether a fast double may round to another float than libm's: near a midpoint, or out of
 * the range the error budget is for (tiny, zero, or what no pair gives: 16 and more, inf,
 * NaN; one unsigned comparison of the magnitude's bits covers both ends). */
static inline int needs_libm(double v)
{
    uint64_t b = bits_of(v);
    uint64_t off = (b + (NORMAL_MARGIN_ULPS - NORMAL_HALF_LOW)) & NORMAL_LOW_MASK;
    uint64_t mag = b & ~(1ull << 63);
    return off <= 2 * NORMAL_MARGIN_ULPS || mag - NORMAL_TINY_BITS >= NORMAL_HUGE_BITS - NORMAL_TINY_BITS;
}

/* log(x) for x in [2^-53, 1] (fdlibm's method): x = 2^e (1 + f), 1 + f in [sqrt(1/2),
 * sqrt(2)), f exact (so x near 1 keeps its relative accuracy); log(1) = +0 as libm's. */
static inline double fast_log(double x)
{
    uint64_t ix = bits_of(x);
    uint64_t biased = ix >> 52;
    double m = double_of((ix & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    if (m > SQRT2) m *= 0.5, biased++;
    double e = double_of(biased | 0x4330000000000000ull) - EXP_MAGIC;
    double f = m - 1.0;
    double hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
    double t1 = w * (LG2 + w * (LG4 + w * LG6)), t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    return e * LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + e * LN2_LO)) - f);
}

static inline double kernel_sin(double x)
{
    double z = x * x, v = z * x;
    return x + v * (S1 + z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))));
}

static inline double kernel_cos(double x)
{
    double z = x * x, w = z * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z, one_minus = 1.0 - hz;
    return one_minus + (((1.0 - one_minus) - hz) + z * r);
}

/* sin and cos of angle in [0, 2 pi): angle - q pi/2 in four parts (exact first step by
 * Sterbenz, so the reduced argument is accurate relative to itself near the zeros). */
static inline void fast_sincos(double angle, double *sine, double *cosine)
{
    double t = angle * TWO_OVER_PI + ROUND_MAGIC;
    unsigned q = (unsigned)bits_of(t) & 3u;
    double qd = t - ROUND_MAGIC;
    double r = angle - qd * PIO2_1;
    r = r - qd * PIO2_2;
    r = r - qd * PIO2_3;
    r = r - qd * PIO2_3T;
    double s = kernel_sin(r), c = kernel_cos(r);
    double sn = q & 1 ? c : s, cs = q & 1 ? s : c;
    *sine = q & 2 ? -sn : sn;
    *cosine = (q + 1) & 2 ? -cs : cs;
}

/* The fast pair of one block's words (normal_pair's formula). */
static inline void fast_pair(const uint32_t w[4], double *cosine, double *sine)
{
    double u1 = 1.0 - uniform_of(w[0], w[1]);
    double u2 = uniform_of(w[2], w[3]);
    double radius = sqrt(-2.0 * fast_log(u1));
    double s, c;
    fast_sincos(TWO_PI * u2, &s, &c);
    *sine = radius * s;
    *cosine = radius * c;
}

/* A pair the fast path could not vouch for: libm's, rounded. */
static void pair_by_libm(const uint32_t w[4], float out[2])
{
    double cosine, sine;
    normal_pair(w, &cosine, &sine);
    out[0] = (float)cosine, out[1] = (float)sine;
}

/* A kernel: out[2p], out[2p + 1] = the floats of pair p of words (4 each), p < pairs; fast
 * (when not NULL) receives the fast doubles before the rounding test. Returns the number of
 * pairs recomputed by libm. */
typedef size_t normal_pairs_fn(float *out, double *fast, const uint32_t *words, size_t pairs);

static size_t normal_pairs_generic(float *out, double *fast, const uint32_t *words, size_t pairs)
{
    size_t fallbacks = 0;
    for (size_t p = 0; p < pairs; p++) {
        double c, s;
        fast_pair(words + 4 * p, &c, &s);
        if (fast) fast[2 * p] = c, fast[2 * p + 1] = s;
        if (needs_libm(c) || needs_libm(s)) {
            pair_by_libm(words + 4 * p, out + 2 * p);
            fallbacks++;
        } else {
            out[2 * p] = (float)c, out[2 * p + 1] = (float)s;
        }
    }
    return fallbacks;
}

#if SW_RNG_X86
/* x86: the generic method lane by lane, 8 (AVX-512) or 4 (AVX2) pairs at a time; the
 * pairs' words are de-interleaved so that w0 and w2 (w1 and w3) of every pair share a
 * register: uniform_of takes the same bits of both. The rounding test's flags pick the pairs
 * libm recomputes. */
__attribute__((target("avx512f"))) static inline __m512d uniforms_avx512(__m256i hi, __m256i lo)
{
    __m512d h = _mm512_cvtepi32_pd(hi), l = _mm512_cvtepi32_pd(lo);
    return _mm512_mul_pd(_mm512_add_pd(_mm512_mul_pd(h, _mm512_set1_pd(67108864.0)), l),
                         _mm512_set1_pd(1.0 / 9007199254740992.0));
}

__attribute__((target("avx512f"))) static inline __m512d log_avx512(__m512d x)
{
    __m512i ix = _mm512_castpd_si512(x);
    __m512i biased = _mm512_srli_epi64(ix, 52);
    __m512d m = _mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(ix, _mm512_set1_epi64(0x000FFFFFFFFFFFFF)),
                                                    _mm512_set1_epi64(0x3FF0000000000000)));
    __mmask8 big = _mm512_cmp_pd_mask(m, _mm512_set1_pd(SQRT2), _CMP_GT_OQ);
    m = _mm512_mask_mul_pd(m, big, m, _mm512_set1_pd(0.5));
    biased = _mm512_mask_add_epi64(biased, big, biased, _mm512_set1_epi64(1));
    __m512d e = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(biased, _mm512_set1_epi64(0x4330000000000000))),
                              _mm512_set1_pd(EXP_MAGIC));
    __m512d f = _mm512_sub_pd(m, _mm512_set1_pd(1.0));
    __m512d hfsq = _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(0.5), f), f);
    __m512d s = _mm512_div_pd(f, _mm512_add_pd(_mm512_set1_pd(2.0), f));
    __m512d z = _mm512_mul_pd(s, s), w = _mm512_mul_pd(z, z);
    __m512d t1 = _mm512_fmadd_pd(w, _mm512_set1_pd(LG6), _mm512_set1_pd(LG4));
    t1 = _mm512_mul_pd(w, _mm512_fmadd_pd(w, t1, _mm512_set1_pd(LG2)));
    __m512d t2 = _mm512_fmadd_pd(w, _mm512_set1_pd(LG7), _mm512_set1_pd(LG5));
    t2 = _mm512_fmadd_pd(w, t2, _mm512_set1_pd(LG3));
    t2 = _mm512_mul_pd(z, _mm512_fmadd_pd(w, t2, _mm512_set1_pd(LG1)));
    __m512d inner = _mm512_fmadd_pd(s, _mm512_add_pd(hfsq, _mm512_add_pd(t2, t1)), _mm512_mul_pd(e, _mm512_set1_pd(LN2_LO)));
    return _mm512_fmsub_pd(e, _mm512_set1_pd(LN2_HI), _mm512_sub_pd(_mm512_sub_pd(hfsq, inner), f));
}

__attribute__((target("avx512f"))) static inline void sincos_avx512(__m512d angle, __m512d *sine, __m512d *cosine)
{
    __m512d t = _mm512_fmadd_pd(angle, _mm512_set1_pd(TWO_OVER_PI), _mm512_set1_pd(ROUND_MAGIC));
    __m512i q = _mm512_castpd_si512(t);
    __m512d qd = _mm512_sub_pd(t, _mm512_set1_pd(ROUND_MAGIC));
    __m512d r = _mm512_fnmadd_pd(qd, _mm512_set1_pd(PIO2_1), angle);
    r = _mm512_fnmadd_pd(qd, _mm512_set1_pd(PIO2_2), r);
    r = _mm512_fnmadd_pd(qd, _mm512_set1_pd(PIO2_3), r);
    r = _mm512_fnmadd_pd(qd, _mm512_set1_pd(PIO2_3T), r);
    __m512d z = _mm512_mul_pd(r, r), w = _mm512_mul_pd(z, z);
    __m512d ps = _mm512_fmadd_pd(z, _mm512_set1_pd(S6), _mm512_set1_pd(S5));
    ps = _mm512_fmadd_pd(z, ps, _mm512_set1_pd(S4));
    ps = _mm512_fmadd_pd(z, ps, _mm512_set1_pd(S3));
    ps = _mm512_fmadd_pd(z, ps, _mm512_set1_pd(S2));
    ps = _mm512_fmadd_pd(z, ps, _mm512_set1_pd(S1));
    __m512d s = _mm512_fmadd_pd(_mm512_mul_pd(z, r), ps, r);
    __m512d pa = _mm512_fmadd_pd(z, _mm512_set1_pd(C3), _mm512_set1_pd(C2));
    pa = _mm512_mul_pd(z, _mm512_fmadd_pd(z, pa, _mm512_set1_pd(C1)));
    __m512d pb = _mm512_fmadd_pd(z, _mm512_set1_pd(C6), _mm512_set1_pd(C5));
    pb = _mm512_fmadd_pd(z, pb, _mm512_set1_pd(C4));
    __m512d rc = _mm512_fmadd_pd(_mm512_mul_pd(w, w), pb, pa);
    __m512d hz = _mm512_mul_pd(_mm512_set1_pd(0.5), z);
    __m512d one = _mm512_set1_pd(1.0), om = _mm512_sub_pd(one, hz);
    __m512d c = _mm512_add_pd(om, _mm512_fmadd_pd(z, rc, _mm512_sub_pd(_mm512_sub_pd(one, om), hz)));
    __mmask8 odd = _mm512_test_epi64_mask(q, _mm512_set1_epi64(1));
    __m512i sn = _mm512_castpd_si512(_mm512_mask_blend_pd(odd, s, c));
    __m512i cs = _mm512_castpd_si512(_mm512_mask_blend_pd(odd, c, s));
    __m512i two = _mm512_set1_epi64(2);
    __m512i sin_sign = _mm512_slli_epi64(_mm512_and_si512(q, two), 62);
    __m512i cos_sign = _mm512_slli_epi64(_mm512_and_si512(_mm512_add_epi64(q, _mm512_set1_epi64(1)), two), 62);
    *sine = _mm512_castsi512_pd(_mm512_xor_si512(sn, sin_sign));
    *cosine = _mm512_castsi512_pd(_mm512_xor_si512(cs, cos_sign));
}

/* needs_libm, lane by lane. */
__attribute__((target("avx512f"))) static inline __mmask8 needs_libm_avx512(__m512d v)
{
    __m512i b = _mm512_castpd_si512(v);
    __m512i off = _mm512_and_si512(_mm512_add_epi64(b, _mm512_set1_epi64(NORMAL_MARGIN_ULPS - NORMAL_HALF_LOW)),
                                   _mm512_set1_epi64(NORMAL_LOW_MASK));
    __m512i mag = _mm512_and_si512(b, _mm512_set1_epi64(0x7FFFFFFFFFFFFFFF));
    return _mm512_cmple_epu64_mask(off, _mm512_set1_epi64(2 * NORMAL_MARGIN_ULPS)) |
           _mm512_cmpge_epu64_mask(_mm512_sub_epi64(mag, _mm512_set1_epi64(NORMAL_TINY_BITS)),
                                   _mm512_set1_epi64(NORMAL_HUGE_BITS - NORMAL_TINY_BITS));
}

__attribute__((target("avx512f"))) static size_t normal_pairs_avx512(float *out, double *fast, const uint32_t *words,
                                                                    size_t pairs)
{
    const __m512i first = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 2, 6, 10, 14, 18, 22, 26, 30);
    const __m512i second = _mm512_setr_epi32(1, 5, 9, 13, 17, 21, 25, 29, 3, 7, 11, 15, 19, 23, 27, 31);
    size_t fallbacks = 0, p = 0;
    for (; p + 8 <= pairs; p += 8) {
        const uint32_t *w = words + 4 * p;
        __m512i a = _mm512_loadu_si512(w), b = _mm512_loadu_si512(w + 16);
        __m512i hi = _mm512_srli_epi32(_mm512_permutex2var_epi32(a, first, b), 5);   /* w0 | w2 */
        __m512i lo = _mm512_srli_epi32(_mm512_permutex2var_epi32(a, second, b), 6);  /* w1 | w3 */
        __m512d u1 = _mm512_sub_pd(_mm512_set1_pd(1.0),
                                   uniforms_avx512(_mm512_castsi512_si256(hi), _mm512_castsi512_si256(lo)));
        __m512d u2 = uniforms_avx512(_mm512_extracti64x4_epi64(hi, 1), _mm512_extracti64x4_epi64(lo, 1));
        __m512d radius = _mm512_sqrt_pd(_mm512_mul_pd(_mm512_set1_pd(-2.0), log_avx512(u1)));
        __m512d s, c;
        sincos_avx512(_mm512_mul_pd(_mm512_set1_pd(TWO_PI), u2), &s, &c);
        __m512d sv = _mm512_mul_pd(radius, s), cv = _mm512_mul_pd(radius, c);
        __m256 fc = _mm512_cvtpd_ps(cv), fs = _mm512_cvtpd_ps(sv);
        __m256 lo_half = _mm256_unpacklo_ps(fc, fs), hi_half = _mm256_unpackhi_ps(fc, fs);
        _mm256_storeu_ps(out + 2 * p, _mm256_permute2f128_ps(lo_half, hi_half, 0x20));
        _mm256_storeu_ps(out + 2 * p + 8, _mm256_permute2f128_ps(lo_half, hi_half, 0x31));
        if (fast) {
            double cb[8], sb[8];
            _mm512_storeu_pd(cb, cv), _mm512_storeu_pd(sb, sv);
            for (int j = 0; j < 8; j++) fast[2 * (p + j)] = cb[j], fast[2 * (p + j) + 1] = sb[j];
        }
        unsigned flags = needs_libm_avx512(cv) | needs_libm_avx512(sv);
        for (; flags; flags &= flags - 1, fallbacks++) {
            int j = __builtin_ctz(flags);
            pair_by_libm(w + 4 * j, out + 2 * (p + (size_t)j));
        }
    }
    return fallbacks + normal_pairs_generic(out + 2 * p, fast ? fast + 2 * p : NULL, words + 4 * p, pairs - p);
}

#define AVX2_FMA __attribute__((target("avx2,fma")))
AVX2_FMA static inline __m256d uniforms_avx2(__m128i hi, __m128i lo)
{
    __m256d h = _mm256_cvtepi32_pd(hi), l = _mm256_cvtepi32_pd(lo);
    return _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(h, _mm256_set1_pd(67108864.0)), l),
                         _mm256_set1_pd(1.0 / 9007199254740992.0));
}

AVX2_FMA static inline __m256d log_avx2(__m256d x)
{
    __m256i ix = _mm256_castpd_si256(x);
    __m256i biased = _mm256_srli_epi64(ix, 52);
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(ix, _mm256_set1_epi64x(0x000FFFFFFFFFFFFF)),
                                                    _mm256_set1_epi64x(0x3FF0000000000000)));
    __m256d big = _mm256_cmp_pd(m, _mm256_set1_pd(SQRT2), _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), big);
    biased = _mm256_sub_epi64(biased, _mm256_castpd_si256(big)); /* all ones: + 1 */
    __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(biased, _mm256_set1_epi64x(0x4330000000000000))),
                              _mm256_set1_pd(EXP_MAGIC));
    __m256d f = _mm256_sub_pd(m, _mm256_set1_pd(1.0));
    __m256d hfsq = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(0.5), f), f);
    __m256d s = _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f));
    __m256d z = _mm256_mul_pd(s, s), w = _mm256_mul_pd(z, z);
    __m256d t1 = _mm256_fmadd_pd(w, _mm256_set1_pd(LG6), _mm256_set1_pd(LG4));
    t1 = _mm256_mul_pd(w, _mm256_fmadd_pd(w, t1, _mm256_set1_pd(LG2)));
    __m256d t2 = _mm256_fmadd_pd(w, _mm256_set1_pd(LG7), _mm256_set1_pd(LG5));
    t2 = _mm256_fmadd_pd(w, t2, _mm256_set1_pd(LG3));
    t2 = _mm256_mul_pd(z, _mm256_fmadd_pd(w, t2, _mm256_set1_pd(LG1)));
    __m256d inner = _mm256_fmadd_pd(s, _mm256_add_pd(hfsq, _mm256_add_pd(t2, t1)), _mm256_mul_pd(e, _mm256_set1_pd(LN2_LO)));
    return _mm256_fmsub_pd(e, _mm256_set1_pd(LN2_HI), _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
}

AVX2_FMA static inline void sincos_avx2(__m256d angle, __m256d *sine, __m256d *cosine)
{
    __m256d t = _mm256_fmadd_pd(angle, _mm256_set1_pd(TWO_OVER_PI), _mm256_set1_pd(ROUND_MAGIC));
    __m256i q = _mm256_castpd_si256(t);
    __m256d qd = _mm256_sub_pd(t, _mm256_set1_pd(ROUND_MAGIC));
    __m256d r = _mm256_fnmadd_pd(qd, _mm256_set1_pd(PIO2_1), angle);
    r = _mm256_fnmadd_pd(qd, _mm256_set1_pd(PIO2_2), r);
    r = _mm256_fnmadd_pd(qd, _mm256_set1_pd(PIO2_3), r);
    r = _mm256_fnmadd_pd(qd, _mm256_set1_pd(PIO2_3T), r);
    __m256d z = _mm256_mul_pd(r, r), w = _mm256_mul_pd(z, z);
    __m256d ps = _mm256_fmadd_pd(z, _mm256_set1_pd(S6), _mm256_set1_pd(S5));
    ps = _mm256_fmadd_pd(z, ps, _mm256_set1_pd(S4));
    ps = _mm256_fmadd_pd(z, ps, _mm256_set1_pd(S3));
    ps = _mm256_fmadd_pd(z, ps, _mm256_set1_pd(S2));
    ps = _mm256_fmadd_pd(z, ps, _mm256_set1_pd(S1));
    __m256d s = _mm256_fmadd_pd(_mm256_mul_pd(z, r), ps, r);
    __m256d pa = _mm256_fmadd_pd(z, _mm256_set1_pd(C3), _mm256_set1_pd(C2));
    pa = _mm256_mul_pd(z, _mm256_fmadd_pd(z, pa, _mm256_set1_pd(C1)));
    __m256d pb = _mm256_fmadd_pd(z, _mm256_set1_pd(C6), _mm256_set1_pd(C5));
    pb = _mm256_fmadd_pd(z, pb, _mm256_set1_pd(C4));
    __m256d rc = _mm256_fmadd_pd(_mm256_mul_pd(w, w), pb, pa);
    __m256d hz = _mm256_mul_pd(_mm256_set1_pd(0.5), z);
    __m256d one = _mm256_set1_pd(1.0), om = _mm256_sub_pd(one, hz);
    __m256d c = _mm256_add_pd(om, _mm256_fmadd_pd(z, rc, _mm256_sub_pd(_mm256_sub_pd(one, om), hz)));
    __m256d odd = _mm256_castsi256_pd(_mm256_slli_epi64(q, 63));
    __m256i sn = _mm256_castpd_si256(_mm256_blendv_pd(s, c, odd));
    __m256i cs = _mm256_castpd_si256(_mm256_blendv_pd(c, s, odd));
    __m256i two = _mm256_set1_epi64x(2);
    __m256i sin_sign = _mm256_slli_epi64(_mm256_and_si256(q, two), 62);
    __m256i cos_sign = _mm256_slli_epi64(_mm256_and_si256(_mm256_add_epi64(q, _mm256_set1_epi64x(1)), two), 62);
    *sine = _mm256_castsi256_pd(_mm256_xor_si256(sn, sin_sign));
    *cosine = _mm256_castsi256_pd(_mm256_xor_si256(cs, cos_sign));
}

/* needs_libm, lane by lane: all ones where true. off and mag are below 2^63, so signed
 * comparisons serve (mag's range test as two of them). */
AVX2_FMA static inline __m256i needs_libm_avx2(__m256d v)
{
    __m256i b = _mm256_castpd_si256(v);
    __m256i off = _mm256_and_si256(_mm256_add_epi64(b, _mm256_set1_epi64x(NORMAL_MARGIN_ULPS - NORMAL_HALF_LOW)),
                                   _mm256_set1_epi64x(NORMAL_LOW_MASK));
    __m256i mag = _mm256_and_si256(b, _mm256_set1_epi64x(0x7FFFFFFFFFFFFFFF));
    __m256i out_of_range = _mm256_or_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)NORMAL_TINY_BITS), mag),
                                           _mm256_cmpgt_epi64(mag, _mm256_set1_epi64x((long long)NORMAL_HUGE_BITS - 1)));
    return _mm256_or_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(2 * NORMAL_MARGIN_ULPS + 1), off), out_of_range);
}

AVX2_FMA static size_t normal_pairs_avx2(float *out, double *fast, const uint32_t *words, size_t pairs)
{
    const __m256i spread = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    size_t fallbacks = 0, p = 0;
    for (; p + 4 <= pairs; p += 4) {
        const uint32_t *w = words + 4 * p;
        /* Per register, two pairs' words as w0 w0 w1 w1 | w2 w2 w3 w3; then four pairs'. */
        __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)w), spread);
        __m256i b = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(w + 8)), spread);
        __m256i hi = _mm256_srli_epi32(_mm256_unpacklo_epi64(a, b), 5); /* w0 | w2 */
        __m256i lo = _mm256_srli_epi32(_mm256_unpackhi_epi64(a, b), 6); /* w1 | w3 */
        __m256d u1 = _mm256_sub_pd(_mm256_set1_pd(1.0),
                                   uniforms_avx2(_mm256_castsi256_si128(hi), _mm256_castsi256_si128(lo)));
        __m256d u2 = uniforms_avx2(_mm256_extracti128_si256(hi, 1), _mm256_extracti128_si256(lo, 1));
        __m256d radius = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), log_avx2(u1)));
        __m256d s, c;
        sincos_avx2(_mm256_mul_pd(_mm256_set1_pd(TWO_PI), u2), &s, &c);
        __m256d sv = _mm256_mul_pd(radius, s), cv = _mm256_mul_pd(radius, c);
        __m128 fc = _mm256_cvtpd_ps(cv), fs = _mm256_cvtpd_ps(sv);
        _mm_storeu_ps(out + 2 * p, _mm_unpacklo_ps(fc, fs));
        _mm_storeu_ps(out + 2 * p + 4, _mm_unpackhi_ps(fc, fs));
        if (fast) {
            double cb[4], sb[4];
            _mm256_storeu_pd(cb, cv), _mm256_storeu_pd(sb, sv);
            for (int j = 0; j < 4; j++) fast[2 * (p + j)] = cb[j], fast[2 * (p + j) + 1] = sb[j];
        }
        unsigned flags = (unsigned)_mm256_movemask_pd(
            _mm256_castsi256_pd(_mm256_or_si256(needs_libm_avx2(cv), needs_libm_avx2(sv))));
        for (; flags; flags &= flags - 1, fallbacks++) {
            int j = __builtin_ctz(flags);
            pair_by_libm(w + 4 * j, out + 2 * (p + (size_t)j));
        }
    }
    return fallbacks + normal_pairs_generic(out + 2 * p, fast ? fast + 2 * p : NULL, words + 4 * p, pairs - p);
}
#endif

/* The kernels by implementation (sw_rng_impl; supported as the Philox fills are). */
static normal_pairs_fn *const normal_impls[SW_RNG_IMPL_COUNT] = {
    [SW_RNG_IMPL_GENERIC] = normal_pairs_generic,
#if SW_RNG_X86
    [SW_RNG_IMPL_AVX2] = normal_pairs_avx2,
    [SW_RNG_IMPL_AVX512] = normal_pairs_avx512,
#endif
};

size_t sw_rng_normal_pairs_float_using(float *out, double *fast, const uint32_t *words, size_t pairs,
                                       sw_rng_impl impl)
{
    SW_ASSERT(sw_rng_impl_supported(impl) && normal_impls[impl]);
    return normal_impls[impl](out, fast, words, pairs);
}

void sw_rng_normal_pairs(double *out, const uint32_t *words, size_t pairs)
{
    for (size_t p = 0; p < pairs; p++) normal_pair(words + 4 * p, &out[2 * p], &out[2 * p + 1]);
}

void sw_rng_fill_normal_float_using(sw_rng *r, float *out, size_t n, sw_rng_impl impl)
{
    SW_ASSERT(sw_rng_impl_supported(impl) && normal_impls[impl]);
    enum { PAIRS = 256 }; /* words drawn 4 * PAIRS at a time by the bulk fill */
    uint32_t words[4 * PAIRS];
    size_t i = 0;
    if (i < n && r->has_spare) out[i++] = (float)sw_rng_normal(r);
    while (n - i >= 2) {
        size_t pairs = (n - i) / 2 < PAIRS ? (n - i) / 2 : PAIRS;
        sw_rng_fill_u32_using(r, words, 4 * pairs, impl);
        normal_impls[impl](out + i, NULL, words, pairs);
        i += 2 * pairs;
    }
    if (i < n) out[i] = (float)sw_rng_normal(r); /* leaves the spare, as n calls would */
}

void sw_rng_fill_normal_float(sw_rng *r, float *out, size_t n)
{
    sw_rng_fill_normal_float_using(r, out, n, sw_rng_impl_best());
}
