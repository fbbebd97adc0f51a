/* manifest.h: DIR/sweep-manifest.txt, the file that says which sweep an output directory is
 * for: one line per run (its id, config hash, configuration and round), the sweep's name and
 * text, and its early-stopping settings; so that a later invocation resumes only the same
 * sweep, tells what changed, and `sweep index DIR` can rebuild the index in grid order.
 * Internal to src/sweep/ and `sweep status` (cli/status.c), which reads it. */
#ifndef SWEEP_MANIFEST_H
#define SWEEP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "stopping.h"

/* The file in DIR listing the sweep's runs (id and config hash), to detect a changed sweep. */
#define SW_MANIFEST_NAME "sweep-manifest.txt"

/* An id and its position, for lookups by id (sorted by id: find_id). */
typedef struct {
    const char *id;
    int i;
} id_pos;

typedef struct {
    char **ids, **hashes;
    int *configs; /* per run: its configuration (sw_run_spec.config); -1 when its line has none */
    int *rounds;  /* per run: its round (sw_run_spec.round); -1 when its line has none */
    int n;
    id_pos *by_id; /* ids sorted (manifest_find) */
    char *name; /* the sweep's name (NULL if the manifest has none) */
    char *text; /* the sweep file's text (NULL in manifests written before it was kept) */
    /* early stopping: the line "stop KIND METRIC ETA MIN_EPOCHS EPOCHS [BY]" (has_stop; BY
     * absent in manifests from before stop.by, which ranked runs) */
    bool has_stop;
    sw_stop_config stop;
    int stop_epochs;
    /* a pbt search: its settings, the line "pbt ..." after "pbt " (sw_manifest_pbt_line);
     * NULL without one */
    char *pbt;
} manifest;

/* ids[0..n) sorted for sw_ids_find (malloc'ed; NULL when out of memory). */
id_pos *sw_ids_sort(const char *const *ids, int n);

/* The position of `id` in what sw_ids_sort sorted; -1 when absent. */
int sw_ids_find(const id_pos *sorted, int n, const char *id);

/* Reads DIR's manifest into *m (zeroed first; released with sw_manifest_free whatever the
 * return). 1 when read; 0 when DIR has none; SW_EFORMAT (message in err) when it is
 * malformed; SW_ENOMEM. */
int sw_manifest_read(const char *dir, manifest *m, char *err, size_t errlen);

/* Whether run j of manifest `old` belongs to a round of spec's tpe search not chosen yet
 * here (another shard has gone further, or a file of an earlier round is missing now): the
 * same sweep (the same text), and a round spec does not know. Such runs are neither added
 * nor removed, and the manifest keeps them. */
bool sw_manifest_future_run(const sw_sweep_spec *spec, const manifest *old, int j);

/* Writes the manifest of spec into DIR, atomically, with the runs of later rounds `old`
 * lists (sw_manifest_future_run; old may be NULL). SW_OK or a negative code with the
 * message in err. */
int sw_manifest_write(const sw_sweep_spec *spec, const manifest *old, const char *dir, char *err, size_t errlen);

/* The sweep a config text (as the manifest and the index keep it: the file's text, then
 * the "# --set KEY=VALUE" lines its --set overrides left) describes, read again as if from
 * the file at `path` (relative data paths alike); its overrides into sets[0..*n_sets)
 * (room for 64, malloc'ed, the caller frees them). NULL when it does not read now. */
sw_sweep_spec *sw_manifest_sweep(const char *path, const char *text, char **sets, int *n_sets);

/* The position of run `id` in m; -1 when it has none. */
int sw_manifest_find(const manifest *m, const char *id);

/* Frees what m owns and zeroes it; NULL-tolerant fields. */
void sw_manifest_free(manifest *m);

/* A pbt search's settings as the manifest keeps them ("2 0.25 0.25 0 [0.8, 1.2]": interval,
 * quantile, resample, seed, factors) into out; "" for other sweeps. */
void sw_manifest_pbt_line(const sw_sweep_spec *spec, char *out, size_t outlen);

#endif
