#include "rng.h"

#include <math.h>
#include <string.h>

#include "common.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(SW_RNG_NO_SIMD)
#define SW_RNG_X86 1
#include <immintrin.h>
static int cpu_has_avx2(void) { return __builtin_cpu_supports("avx2"); }
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

sw_rng_impl sw_rng_impl_best(void)
{
    /* Asked at every bulk fill: the CPU check reads a word the C runtime filled in
     * before main, so there is nothing to cache (and no race between threads). */
    for (int impl = SW_RNG_IMPL_COUNT - 1; impl > SW_RNG_IMPL_GENERIC; impl--)
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
