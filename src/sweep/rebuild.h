/* rebuild.h: `sweep index DIR`: an output directory's index (index.h) written anew from
 * the run files it holds, for a copied, merged or repaired directory. */
#ifndef SWEEP_REBUILD_H
#define SWEEP_REBUILD_H

#include <stddef.h>
#include <stdio.h>

/* Rebuilds DIR/sweep.h5 from the run files present: in the manifest's grid order when
 * DIR holds one (rows of runs without a file are "pending"), with the config text of the
 * existing index when it is readable; otherwise every run file present, by name. Every
 * file is read through once (sw_h5_verify_run); each that does not verify (damaged,
 * truncated, empty, foreign) is named with the reason on `diag` (may be NULL) and its row
 * says "unreadable". Writes a one-line account to `report` (may be NULL). Returns SW_OK or
 * a negative code with the message in err; *damaged (may be NULL) is the number of files
 * that did not verify (also on SW_OK: the index is written, those files named in it). */
int sw_sweep_rebuild_index(const char *dir, FILE *report, FILE *diag, int *damaged, char *err, size_t errlen);

#endif
