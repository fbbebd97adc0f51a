/* Normals rounded to float (sw_rng_fill_normal_float): on every implementation the CPU runs,
 * bit for bit (float) of libm's double normals, on 10^7 pairs of stream words and on edge
 * words (u1 = 1 and its smallest value, the angle at and around 0, pi/2, pi, 3 pi/2 and
 * 2 pi); the fast doubles within the error the rounding test's margin assumes (measured,
 * so a wrong coefficient fails); the fallback to libm neither more frequent than its margin
 * implies nor absent (a rounding test that never fires fails); and the stream, spare
 * included, left where sw_rng_fill_normal leaves it. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"

enum { CHUNK = 1 << 18 }; /* pairs compared at a time (the edge words fit one) */

typedef struct {
    size_t pairs, fallbacks, mismatches, first_mismatch;
    double max_ulps;      /* of the fast doubles against libm's, in ulps of the fast one */
} pair_stats;

/* ulps of x: the gap to the next double away from zero. */
static double ulp_of(double x)
{
    double a = fabs(x);
    return nextafter(a, INFINITY) - a;
}

/* Runs implementation impl on `pairs` pairs of words and accumulates into st. */
static void compare_pairs(pair_stats *st, const uint32_t *words, size_t pairs, sw_rng_impl impl, double *ref,
                          double *fast, float *got)
{
    sw_rng_normal_pairs(ref, words, pairs);
    st->fallbacks += sw_rng_normal_pairs_float_using(got, fast, words, pairs, impl);
    for (size_t k = 0; k < 2 * pairs; k++) {
        float want = (float)ref[k];
        if (memcmp(&want, &got[k], sizeof want)) {
            if (!st->mismatches) st->first_mismatch = st->pairs + k / 2;
            st->mismatches++;
        }
        if (fabs(ref[k]) >= 0x1p-100) { /* below: libm's by the rounding test, not measured */
            double ulps = fabs(fast[k] - ref[k]) / ulp_of(fast[k]);
            if (!(ulps <= st->max_ulps)) st->max_ulps = ulps; /* NaN too */
        }
    }
    st->pairs += pairs;
}

/* The words of a pair whose uniforms are k1 * 2^-53 (u1 = 1 - that) and k2 * 2^-53, k < 2^53;
 * the bits uniform_of drops are set to `junk`'s. */
static void words_of(uint32_t w[4], uint64_t k1, uint64_t k2, uint32_t junk)
{
    w[0] = (uint32_t)(k1 >> 26) << 5 | (junk & 31u);
    w[1] = (uint32_t)(k1 & 0x3FFFFFF) << 6 | (junk >> 8 & 63u);
    w[2] = (uint32_t)(k2 >> 26) << 5 | (junk >> 16 & 31u);
    w[3] = (uint32_t)(k2 & 0x3FFFFFF) << 6 | (junk >> 24 & 63u);
}

/* Edge words: u1 = 1 (radius -0), u1 at its smallest (the largest radius), and a few others,
 * each with the angle at and around 0, pi/2, pi, 3 pi/2 and just below 2 pi; then the
 * all-zero and all-ones words. Returns the number of pairs written. */
static size_t edge_words(uint32_t *w)
{
    static const uint64_t u1s[] = {0, (1ull << 53) - 1, 1, 2, 1ull << 52, (1ull << 53) - 2, 123456789012345ull};
    const uint64_t around[] = {0, 1ull << 51, 1ull << 52, 3ull << 51, (1ull << 53) - 2048};
    size_t n = 0;
    for (size_t a = 0; a < sizeof u1s / sizeof u1s[0]; a++)
        for (size_t c = 0; c < sizeof around / sizeof around[0]; c++)
            for (int64_t d = -2047; d <= 2047; d++) {
                int64_t k2 = (int64_t)around[c] + d;
                if (k2 < 0 || k2 >= (int64_t)1 << 53) continue;
                words_of(w + 4 * n++, u1s[a], (uint64_t)k2, (uint32_t)((uint64_t)d * 2654435761u));
            }
    for (int v = 0; v < 2; v++, n++)
        for (int k = 0; k < 4; k++) w[4 * n + k] = v ? 0xFFFFFFFFu : 0;
    return n;
}

int main(int argc, char **argv)
{
    /* argv[1]: pairs of stream words (default 10^7). */
    size_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint32_t *words = malloc(4 * CHUNK * sizeof *words);
    double *ref = malloc(2 * CHUNK * sizeof *ref), *fast = malloc(2 * CHUNK * sizeof *fast);
    float *got = malloc(2 * CHUNK * sizeof *got);
    if (!words || !ref || !fast || !got) return 1;
    size_t edges = 0;

    /* Expected fallbacks per pair: two values, each in a window of 2 * margin + 1 ulps out of
     * the 2^29 between floats; the test allows half to twice that. */
    const double margin = 1024.0 * SW_RNG_NORMAL_FAST_ULPS, expected = 2 * (2 * margin + 1) / 0x1p29;
    int impls_run = 0;
    for (int impl = 0; impl < SW_RNG_IMPL_COUNT; impl++) {
        const char *name = sw_rng_impl_name((sw_rng_impl)impl);
        if (!sw_rng_impl_supported((sw_rng_impl)impl)) {
            printf("  (normals %s: not on this CPU)\n", name);
            continue;
        }
        impls_run++;
        pair_stats edge = {0}, stream = {0};
        edges = edge_words(words);
        compare_pairs(&edge, words, edges, (sw_rng_impl)impl, ref, fast, got);
        CHECK(edge.mismatches == 0, "%s: edge words: %zu of %zu values differ from libm's float (first: pair %zu)",
              name, edge.mismatches, 2 * edges, edge.first_mismatch);
        CHECK(edge.max_ulps <= SW_RNG_NORMAL_FAST_ULPS, "%s: edge words: fast doubles within %d ulps of libm's: %.2f",
              name, SW_RNG_NORMAL_FAST_ULPS, edge.max_ulps);
        sw_rng r;
        sw_rng_init(&r, 20261207, SW_STREAM_TRAIN_DATA);
        for (size_t done = 0; done < total; done += CHUNK) {
            size_t pairs = total - done < CHUNK ? total - done : CHUNK;
            sw_rng_fill_u32(&r, words, 4 * pairs);
            compare_pairs(&stream, words, pairs, (sw_rng_impl)impl, ref, fast, got);
        }
        double rate = stream.pairs ? (double)stream.fallbacks / (double)stream.pairs : 0;
        printf("  %s: %zu pairs, fast doubles within %.2f ulps of libm's (edges %.2f), %zu recomputed by libm "
               "(%.2e per pair, margin's %.2e)\n",
               name, stream.pairs, stream.max_ulps, edge.max_ulps, stream.fallbacks, rate, expected);
        CHECK(stream.mismatches == 0, "%s: %zu of %zu values differ from libm's float (first: pair %zu)", name,
              stream.mismatches, 2 * stream.pairs, stream.first_mismatch);
        CHECK(stream.max_ulps <= SW_RNG_NORMAL_FAST_ULPS, "%s: fast doubles within %d ulps of libm's: %.2f", name,
              SW_RNG_NORMAL_FAST_ULPS, stream.max_ulps);
        if (total >= 1000000)
            CHECK(rate <= 2 * expected && rate >= expected / 2,
                  "%s: libm recomputes %.2e of the pairs: within [%.2e, %.2e] (the margin's rate %.2e)", name, rate,
                  expected / 2, 2 * expected, expected);
    }
    CHECK(impls_run >= 1, "at least the generic normals run");

    /* The stream fill: (float) of sw_rng_fill_normal, and the stream (spare included) left
     * where that leaves it: fresh, with a spare pending, mid-block, for odd and even counts
     * around the fill's chunks (256 pairs). */
    enum { NN = 1100 };
    double *zd = malloc(NN * sizeof *zd);
    float *zf = malloc(NN * sizeof *zf);
    for (int impl = 0; impl < SW_RNG_IMPL_COUNT && zd && zf; impl++) {
        if (!sw_rng_impl_supported((sw_rng_impl)impl)) continue;
        bool all_same = true;
        for (int pre = 0; pre < 4; pre++)
            for (size_t n = 0; n <= NN; n += (n < 12 ? 1 : n < 500 ? 37 : 101)) {
                sw_rng a, b;
                sw_rng_init(&a, 11, SW_STREAM_TRAIN_DATA);
                sw_rng_init(&b, 11, SW_STREAM_TRAIN_DATA);
                if (pre & 1) sw_rng_normal(&a), sw_rng_normal(&b);
                if (pre & 2) sw_rng_u32(&a), sw_rng_u32(&b);
                sw_rng_fill_normal_float_using(&a, zf, n, (sw_rng_impl)impl);
                sw_rng_fill_normal(&b, zd, n);
                bool same = a.has_spare == b.has_spare && !memcmp(&a.spare, &b.spare, sizeof a.spare) &&
                            a.block == b.block && a.used == b.used;
                for (size_t k = 0; k < n; k++) {
                    float want = (float)zd[k];
                    same &= !memcmp(&want, &zf[k], sizeof want);
                }
                double na = sw_rng_normal(&a), nb = sw_rng_normal(&b);
                same &= !memcmp(&na, &nb, sizeof na) && sw_rng_u32(&a) == sw_rng_u32(&b);
                if (!same) fprintf(stderr, "  float fill differs: %s, pre %d, n %zu\n", sw_rng_impl_name((sw_rng_impl)impl), pre, n);
                all_same &= same;
            }
        CHECK(all_same, "sw_rng_fill_normal_float (%s) gives (float) of sw_rng_fill_normal and leaves the stream there",
              sw_rng_impl_name((sw_rng_impl)impl));
    }
    free(zd);
    free(zf);
    free(words);
    free(ref);
    free(fast);
    free(got);
    return check_report("engine_normal_float");
}
