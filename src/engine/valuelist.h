/* valuelist.h: the lists of numbers a config holds by handle (the per-epoch tables of
 * config.h's SW_TYPE_FLOAT_LIST keys).
 *
 * A config is copied by value everywhere (a run's, a generation's, an epoch's), so a table
 * of up to train.epochs values cannot live inside it. It holds an int handle instead, and
 * the values live here, interned: the same values always get the same handle, so configs
 * with equal tables stay equal byte for byte, and a handle stays valid for the life of the
 * process (tables are never freed: a sweep reads a few distinct ones). Thread-safe. */
#ifndef SWEEP_VALUELIST_H
#define SWEEP_VALUELIST_H

/* The handle of the empty list (every config's default). */
#define SW_VALUES_NONE 0

/* The handle of values[0..n) (n >= 0; n == 0: SW_VALUES_NONE) into *id. Values are
 * compared bit for bit (-0.0 and 0.0 differ). Returns SW_OK or SW_ENOMEM. */
int sw_values_intern(const double *values, int n, int *id);

/* The values of handle id and their number in *n; an unknown handle is the empty list
 * (*n = 0, NULL). The pointer stays valid for the life of the process. */
const double *sw_values_get(int id, int *n);

#endif
