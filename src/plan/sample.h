/* sample.h: the sampled searches of a sweep file: its `search:` keys, the distributions a
 * `space:` entry can name, and the points in [0, 1)^d they are drawn from.
 *
 * A point is a function of (search seed, point index, dimension) alone: the random kind
 * takes one Philox block per (index, dimension) under the search seed, the sobol kind the
 * index-th point of the Sobol sequence (Joe and Kuo's direction numbers, Gray-code order as
 * theirs and scipy's), optionally XORed with a random digital shift drawn from the seed.
 * So every process, shard and MPI rank computes the same points, in any order. A tpe
 * search starts with such Sobol points and chooses the later ones in rounds from the
 * results (tpe.h).
 *
 * Both families are declared as tables (sw_search_keys, sw_samplers), one row each, which
 * drive the parsing in sweepspec.c, the ranges, `sweep help keys` and the docs test. */
#ifndef SWEEP_SAMPLE_H
#define SWEEP_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef enum {
    SW_SEARCH_GRID,
    SW_SEARCH_RANDOM,
    SW_SEARCH_SOBOL,
    SW_SEARCH_TPE,
    SW_SEARCH_PBT,
    SW_SEARCH_COUNT
} sw_search_kind;

/* search.factors: at most this many, as text of at most SW_PBT_FACTORS_TEXT bytes. */
#define SW_PBT_MAX_FACTORS 8
#define SW_PBT_FACTORS_TEXT 127

/* The `search:` section. */
typedef struct {
    sw_search_kind kind;
    int samples;        /* points to draw (0: not given) */
    int64_t seed;       /* of the random points, sobol's digital shift and tpe's candidates */
    bool digital_shift; /* sobol, tpe's startup: XOR every coordinate with a random word per
                           dimension (tpe: on unless written) */
    int startup;        /* tpe: the Sobol points before the model chooses any */
    int batch;          /* tpe: the points of each round after them */
    /* pbt (pbt.h): the members, the epochs between generations, the share exploited and
     * exploiting, the probability of a resample, and the factors as written ("0.8, 1.2";
     * pbt.h's sw_pbt_parse_factors reads them) */
    int population;
    int interval;
    double quantile;
    double resample;
    char factors[SW_PBT_FACTORS_TEXT + 1];
} sw_search_config;

/* The number of rounds of a search: 1 (its points are drawn before any run), or for tpe
 * 1 + ceil((samples - startup) / batch): the startup points, then rounds of `batch` (the
 * last one what is left). */
int sw_search_rounds(const sw_search_config *c);

/* The points of round r (0-based) of search c: the first into *first, the count
 * returned (0 past the last round). */
int sw_search_round_points(const sw_search_config *c, int r, int *first);

/* One key of `search:`: a row of the schema's kind (config.h), its offset into
 * sw_search_config, parsed, checked and printed by the schema's own rules. */
typedef sw_key_info sw_search_key;

extern const sw_search_key sw_search_keys[];
extern const size_t sw_search_keys_len;

/* The search key named `name` ("kind" or "search.kind"); NULL when unknown. */
const sw_search_key *sw_search_key_find(const char *name);

/* Defaults of every search key (kind grid: today's cartesian product). */
void sw_search_defaults(sw_search_config *c);

/* Sets one search key from a YAML scalar's text (`quoted`: it was quoted, so it is text).
 * Checks type and range; on error returns SW_ECONFIG with "search.KEY: ..." in err. */
int sw_search_set(sw_search_config *c, const sw_search_key *k, const char *text, bool quoted, char *err,
                  size_t errlen);

/* The value of k in c as YAML text. */
void sw_search_format(const sw_search_config *c, const sw_search_key *k, char *out, size_t outlen);

/* ---- distributions ---------------------------------------------------------------- */

typedef enum {
    SW_DIST_UNIFORM,
    SW_DIST_LOGUNIFORM,
    SW_DIST_INT_UNIFORM,
    SW_DIST_INT_LOGUNIFORM,
    SW_DIST_CHOICE,
    SW_DIST_COUNT
} sw_dist_kind;

/* One distribution of a `space:` entry, written {name: [low, high]} or {choice: [...]}. */
typedef struct {
    const char *name;
    bool integer;  /* integer keys, integer bounds; otherwise float keys (choice: any key) */
    bool log;      /* log scale: needs low > 0 */
    bool list;     /* choice: takes the list of values, not [low, high] */
    /* u in [0, 1) to a value in [lo, hi] (choice: to an index in [0, hi], lo = 0). */
    double (*map)(double u, double lo, double hi);
    const char *syntax; /* e.g. "{loguniform: [low, high]}" */
    const char *doc;
} sw_sampler_info;

extern const sw_sampler_info sw_samplers[SW_DIST_COUNT];

/* The distribution named `name`, or SW_DIST_COUNT. */
sw_dist_kind sw_sampler_find(const char *name);

/* Sampled floats keep this many significant digits, so that the values a run records,
 * shows in --dry-run and writes to its config read back exactly. */
#define SW_SAMPLE_DIGITS 6
#define SW_SAMPLE_DIGITS_TEXT "6"

/* v rounded to SW_SAMPLE_DIGITS significant digits, unless that leaves [lo, hi] (possible
 * only when a bound has more digits); then v itself, clamped to [lo, hi]. */
double sw_sample_round(double v, double lo, double hi);

/* Integer bounds are exact in a double up to here. */
#define SW_SAMPLE_INT_LIMIT 9007199254740992.0 /* 2^53 */

/* ---- points ------------------------------------------------------------------------- */

/* Sobol dimensions available (the table of direction numbers), so the most keys a sobol
 * space may sample. */
int sw_sobol_max_dims(void);

/* The 32 direction numbers of Sobol dimension `dim` (0-based, < sw_sobol_max_dims()): v[k]
 * is bit k's number, scaled to 32 bits. */
void sw_sobol_directions(int dim, uint32_t v[32]);

/* Point `index` of the Sobol sequence in the dimension whose directions are v, as a 32-bit
 * fraction (x / 2^32): the XOR of v[k] over the bits k of the Gray code index ^ index >> 1.
 * index 0 is the origin. */
uint32_t sw_sobol_point(const uint32_t v[32], uint32_t index);

/* The points of one search: its kind, seed and dimensions fixed. */
typedef struct {
    sw_search_kind kind;
    uint64_t seed;
    int dims;
    uint32_t (*v)[32]; /* sobol: direction numbers per dimension */
    uint32_t *shift;   /* sobol: per-dimension digital shift (all 0 without) */
} sw_search_points;

/* Prepares the points of search c over `dims` dimensions (tpe: its Sobol points). Returns SW_EINVAL when c's kind
 * samples nothing or dims is out of range (sobol: more than sw_sobol_max_dims()), with
 * the message in err, SW_ENOMEM when out of memory. Free with sw_search_points_clear. */
int sw_search_points_init(sw_search_points *p, const sw_search_config *c, int dims, char *err, size_t errlen);

/* NULL-tolerant; leaves p empty. */
void sw_search_points_clear(sw_search_points *p);

/* Coordinate `dim` of point `index`, in [0, 1). sobol: 32 bits, index < 2^32; random: 53
 * bits from Philox4x32-10 block {index, dim} under the search seed. */
double sw_search_unit(const sw_search_points *p, uint64_t index, int dim);

/* Writes the search keys and the distributions (`sweep help keys`). */
void sw_search_print_keys(FILE *f);

#endif
