#include "rng.h"

#include <math.h>

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

/* Philox over LANES consecutive blocks at once, lane-major so the compiler vectorises
 * the rounds (32x32->64-bit multiplies are vector instructions). */
#define LANES 16
static void philox_blocks(const sw_rng *r, uint64_t first_block, uint32_t *out /* 4*LANES */)
{
    /* 32-bit words held in 64-bit lanes: the products then need no widening, which is
     * what lets the compiler vectorise the rounds. */
    uint64_t c0[LANES], c1[LANES], c2[LANES], c3[LANES];
    for (int i = 0; i < LANES; i++) {
        uint64_t block = first_block + (uint64_t)i;
        c0[i] = block & 0xFFFFFFFFu, c1[i] = block >> 32, c2[i] = r->stream, c3[i] = 0x5357u;
    }
    uint64_t k0 = r->key[0], k1 = r->key[1];
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < LANES; i++) {
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
    for (int i = 0; i < LANES; i++) {
        out[4 * i] = (uint32_t)c0[i], out[4 * i + 1] = (uint32_t)c1[i];
        out[4 * i + 2] = (uint32_t)c2[i], out[4 * i + 3] = (uint32_t)c3[i];
    }
}

void sw_rng_fill_u32(sw_rng *r, uint32_t *out, size_t n)
{
    size_t i = 0;
    while (i < n && r->used < 4) out[i++] = r->buf[r->used++];
    while (n - i >= 4 * LANES) {
        philox_blocks(r, r->block, out + i);
        r->block += LANES;
        i += 4 * LANES;
    }
    while (i < n) out[i++] = sw_rng_u32(r);
}

double sw_rng_uniform(sw_rng *r)
{
    uint64_t hi = sw_rng_u32(r) >> 5, lo = sw_rng_u32(r) >> 6; /* 27 + 26 bits */
    return ((double)hi * 67108864.0 + (double)lo) * (1.0 / 9007199254740992.0);
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

double sw_rng_normal(sw_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = 1.0 - sw_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = sw_rng_uniform(r);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586 * u2;
    r->spare = radius * sin(angle);
    r->has_spare = 1;
    return radius * cos(angle);
}
