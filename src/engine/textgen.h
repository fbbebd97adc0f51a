/* textgen.h: text written by a trained character-level model (task.kind text), one
 * character at a time: `sweep sample RUN.h5`.
 *
 * The model predicts the next character from a window of the text before it: at every
 * step it is given the last min(n, T) characters so far (T = task.seq_len, the windows it
 * was trained on, each started from a zero state), and the character it predicts after
 * the last of them is drawn from softmax(logits / temperature) (temperature 0: the most
 * likely one), with its own random stream of the seed: the same seed gives the same text. */
#ifndef SWEEP_TEXTGEN_H
#define SWEEP_TEXTGEN_H

#include <stdint.h>

#include "common.h"
#include "config.h"

typedef struct {
    int chars;          /* characters to write after the prime */
    double temperature; /* > 0, or 0 for the most likely character at every step */
    uint64_t seed;
} sw_textgen_options;

/* Writes opt->chars characters (indices into the vocabulary) into out after the n_prime
 * characters of `prime` (indices, n_prime >= 1), predicted by the model of `cfg` (a
 * resolved task.kind text config) with parameters `weights` (model.h's flat layout).
 * Returns SW_OK, SW_EINVAL (cfg is not a text task's, a prime index is out of range) or
 * SW_ENOMEM. */
int sw_textgen(const sw_config *cfg, const sw_real *weights, const int32_t *prime, int n_prime,
               const sw_textgen_options *opt, int32_t *out);

#endif
