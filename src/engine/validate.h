/* validate.h: whether a config can run: every key in its range (config.h), then the rules
 * that involve several keys, and the memory its run would need (estimate.h). */
#ifndef SWEEP_VALIDATE_H
#define SWEEP_VALIDATE_H

#include <stddef.h>

#include "config.h"

/* Checks rules that involve several keys (batch <= train_size, signal_steps <= seq_len,
 * memory estimate, ...). On error returns SW_ECONFIG, the message in err, and the key
 * most responsible in *bad_key (so a caller can point at its position in a file). */
int sw_config_validate(const sw_config *cfg, char *err, size_t errlen, const char **bad_key);

#endif
