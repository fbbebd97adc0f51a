/* dropout.h: the masks of inverted dropout, drawn from a random stream. An element is kept,
 * scaled by 1 / (1 - p), when its 32-bit draw is at least p * 2^32, else dropped (0): every
 * mask of the engine (the recurrent layers', the readout's, the transformer's) is drawn
 * here, so a stream position means the same mask wherever it is drawn. */
#ifndef SWEEP_DROPOUT_H
#define SWEEP_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "rng.h"

/* The draw below which an element is dropped, for drop probability p in [0, 1). */
uint64_t sw_dropout_threshold(double p);

/* What a kept element is multiplied by: 1 / (1 - p). */
sw_real sw_dropout_keep_scale(double p);

/* mask[0..n): keep_scale where the draw is at least threshold, else 0. */
void sw_dropout_fill(sw_real *mask, size_t n, sw_rng *rng, uint64_t threshold, sw_real keep_scale);

/* keep[0..n): 1 where the draw is at least threshold, else 0 (a byte mask, for masks that
 * are large and scaled elsewhere). */
void sw_dropout_fill_keep(unsigned char *keep, size_t n, sw_rng *rng, uint64_t threshold);

#endif
