/* Random streams: Philox4x32-10 against the known-answer vectors published with Random123
 * (Salmon et al.), the bulk generator against the one-at-a-time one at every offset and
 * length, streams independent of one another, and the derived draws in range. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"

/* Philox4x32-10 gives Random123's kat_vectors for philox4x32_10. */
static void check_philox_known_answers(void)
{
    static const struct {
        uint32_t ctr[4], key[2], want[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        sw_philox4x32_10(kat[i].ctr, kat[i].key, out);
        CHECK(!memcmp(out, kat[i].want, sizeof out), "known answer %zu: %08x %08x %08x %08x", i, out[0], out[1],
              out[2], out[3]);
    }
}

/* A stream is the documented counter layout. */
static void check_stream_counter_layout(void)
{
    sw_rng r;
    uint64_t seed = 0x123456789abcdefULL;
    sw_rng_init(&r, seed, SW_STREAM_DROPOUT);
    for (uint64_t block = 0; block < 3; block++) {
        uint32_t ctr[4] = {(uint32_t)block, 0, SW_STREAM_DROPOUT, 0x5357u};
        uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, want[4];
        sw_philox4x32_10(ctr, key, want);
        for (int w = 0; w < 4; w++) CHECK(sw_rng_u32(&r) == want[w], "block %d word %d", (int)block, w);
    }
}

/* Bulk fill == one at a time, for every implementation the CPU runs, from every phase
 * within a block and across the chunks of blocks generated at once (64: up to 256
 * words, past them, and the whole blocks left after them), with block numbers whose
 * high word changes inside a chunk, and it leaves the stream where the scalar calls
 * would. */
static void check_bulk_fill_matches_scalar(void)
{
    enum { N = 1000 };
    uint32_t *bulk = malloc(N * sizeof *bulk), *one = malloc(N * sizeof *one);
    static const uint64_t starts[] = {0, 0xFFFFFFF9u, 0x3FFFFFFFFull + 0xFFFFFFF0u};
    int impls_run = 0;
    for (int impl = 0; impl < SW_RNG_IMPL_COUNT; impl++) {
        if (!sw_rng_impl_supported((sw_rng_impl)impl)) {
            printf("  (bulk fill %s: not on this CPU)\n", sw_rng_impl_name((sw_rng_impl)impl));
            continue;
        }
        impls_run++;
        bool all_equal = true;
        for (size_t st = 0; st < sizeof starts / sizeof starts[0]; st++)
            for (int skip = 0; skip < 5 && bulk && one; skip++)
                for (size_t n = 0; n <= 600; n += (n < 70 ? 1 : 13)) {
                    sw_rng a, b;
                    sw_rng_init(&a, 42, SW_STREAM_TRAIN_DATA);
                    sw_rng_init(&b, 42, SW_STREAM_TRAIN_DATA);
                    a.block = b.block = starts[st];
                    for (int k = 0; k < skip; k++) sw_rng_u32(&a), sw_rng_u32(&b);
                    sw_rng_fill_u32_using(&a, bulk, n, (sw_rng_impl)impl);
                    for (size_t k = 0; k < n; k++) one[k] = sw_rng_u32(&b);
                    bool same = !memcmp(bulk, one, n * sizeof *bulk) && sw_rng_u32(&a) == sw_rng_u32(&b);
                    if (!same) fprintf(stderr, "  bulk differs: start %zu, skip %d, n %zu\n", st, skip, n);
                    all_equal &= same;
                }
        CHECK(all_equal, "sw_rng_fill_u32 (%s) gives what sw_rng_u32 gives", sw_rng_impl_name((sw_rng_impl)impl));
    }
    CHECK(impls_run >= 1 && sw_rng_impl_supported(sw_rng_impl_best()), "at least the generic fill runs; best %s",
          sw_rng_impl_name(sw_rng_impl_best()));
    free(bulk);
    free(one);
}

/* Bulk normals == one at a time, bit for bit, from a fresh stream, after an odd number
 * of normals (a spare pending) and mid-block, for counts around the fill's chunks, and
 * the stream (spare included) is left where the scalar calls leave it. */
static void check_bulk_normals_match_scalar(void)
{
    bool normals_equal = true;
    enum { NN = 300 };
    double *zb = malloc(NN * sizeof *zb), *zo = malloc(NN * sizeof *zo);
    for (int pre = 0; pre < 4 && zb && zo; pre++)
        for (size_t n = 0; n <= NN; n += (n < 10 ? 1 : n < 120 ? 7 : 61)) {
            sw_rng a, b;
            sw_rng_init(&a, 11, SW_STREAM_TRAIN_DATA);
            sw_rng_init(&b, 11, SW_STREAM_TRAIN_DATA);
            if (pre & 1) sw_rng_normal(&a), sw_rng_normal(&b);
            if (pre & 2) sw_rng_u32(&a), sw_rng_u32(&b);
            sw_rng_fill_normal(&a, zb, n);
            for (size_t k = 0; k < n; k++) zo[k] = sw_rng_normal(&b);
            double za = sw_rng_normal(&a), zb2 = sw_rng_normal(&b);
            bool same = !memcmp(zb, zo, n * sizeof *zb) && !memcmp(&za, &zb2, sizeof za) &&
                        sw_rng_u32(&a) == sw_rng_u32(&b);
            if (!same) fprintf(stderr, "  bulk normals differ: pre %d, n %zu\n", pre, n);
            normals_equal &= same;
        }
    CHECK(normals_equal && zb && zo, "sw_rng_fill_normal gives what sw_rng_normal gives, and leaves the stream there");
    free(zb);
    free(zo);
}

/* Streams and seeds differ; drawing from one stream does not move another. */
static void check_streams_and_seeds_independent(void)
{
    sw_rng s1, s2, s3;
    sw_rng_init(&s1, 7, SW_STREAM_INIT);
    sw_rng_init(&s2, 7, SW_STREAM_PROBE);
    sw_rng_init(&s3, 8, SW_STREAM_INIT);
    int same12 = 0, same13 = 0;
    for (int k = 0; k < 64; k++) {
        uint32_t a = sw_rng_u32(&s1), b = sw_rng_u32(&s2), c = sw_rng_u32(&s3);
        same12 += a == b, same13 += a == c;
    }
    CHECK(same12 < 2 && same13 < 2, "streams and seeds give different values (%d, %d equal)", same12, same13);
}

/* Derived draws: ranges and rough moments over 200,000 values. */
static void check_derived_draws_in_range(void)
{
    sw_rng d;
    sw_rng_init(&d, 3, SW_STREAM_BATCH_ORDER);
    double sum = 0, sq = 0, usum = 0;
    int below_ok = 1, uniform_ok = 1, counts[7] = {0};
    enum { M = 200000 };
    for (int k = 0; k < M; k++) {
        double z = sw_rng_normal(&d);
        sum += z, sq += z * z;
        double u = sw_rng_uniform(&d);
        uniform_ok &= u >= 0 && u < 1;
        usum += u;
        uint32_t b = sw_rng_below(&d, 7);
        below_ok &= b < 7;
        if (b < 7) counts[b]++;
    }
    CHECK(uniform_ok && fabs(usum / M - 0.5) < 0.005, "uniform in [0,1), mean %g", usum / M);
    CHECK(fabs(sum / M) < 0.01 && fabs(sq / M - 1) < 0.02, "normal: mean %g, variance %g", sum / M, sq / M);
    bool flat = below_ok;
    for (int b = 0; b < 7; b++) flat &= fabs(counts[b] / (double)M - 1.0 / 7) < 0.005;
    CHECK(flat, "below(7) in range and flat");
}

int main(void)
{
    check_philox_known_answers();
    check_stream_counter_layout();
    check_bulk_fill_matches_scalar();
    check_bulk_normals_match_scalar();
    check_streams_and_seeds_independent();
    check_derived_draws_in_range();
    return check_report("engine_rng");
}
