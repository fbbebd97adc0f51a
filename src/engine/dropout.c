/* dropout.c: dropout masks (see dropout.h). Draws come 1024 at a time from the stream's
 * vectorised fill (sw_rng_fill_u32), which gives what one-by-one draws would. */
#include "dropout.h"

uint64_t sw_dropout_threshold(double p)
{
    return (uint64_t)(p * 4294967296.0);
}

sw_real sw_dropout_keep_scale(double p)
{
    return (sw_real)(1.0 / (1.0 - p));
}

void sw_dropout_fill(sw_real *mask, size_t n, sw_rng *rng, uint64_t threshold, sw_real keep_scale)
{
    uint32_t draws[1024];
    for (size_t start = 0; start < n; start += 1024) {
        size_t len = n - start < 1024 ? n - start : 1024;
        sw_rng_fill_u32(rng, draws, len);
        for (size_t i = 0; i < len; i++) mask[start + i] = draws[i] >= threshold ? keep_scale : 0;
    }
}

void sw_dropout_fill_keep(unsigned char *keep, size_t n, sw_rng *rng, uint64_t threshold)
{
    uint32_t draws[1024];
    for (size_t start = 0; start < n; start += 1024) {
        size_t len = n - start < 1024 ? n - start : 1024;
        sw_rng_fill_u32(rng, draws, len);
        for (size_t i = 0; i < len; i++) keep[start + i] = draws[i] >= threshold;
    }
}
