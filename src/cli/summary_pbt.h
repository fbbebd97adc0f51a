/* summary_pbt.h: what `sweep summarize` shows of a pbt search below its table: the
 * search's generations and exploits (sweep.h5's /pbt), and the lineage of the member with
 * the best selection metric (its file's /lineage): whose state it continued from at each
 * barrier and the values it trained with, which are not the starting values the table
 * shows. Internal to the command line (cli/). */
#ifndef SWEEP_SUMMARY_PBT_H
#define SWEEP_SUMMARY_PBT_H

#include <stdio.h>

#include "table.h"

/* After a table of dir's runs: its pbt search's account, when its index has /pbt. A
 * malformed /pbt or /lineage is said on diag (may be NULL) and left out. `named`: say which
 * directory it is. */
void sw_summary_pbt_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag);

/* One line on where dir's pbt search stands ("pbt search: 3 of 9 barriers decided (epoch
 * 6), 12 exploits; best member ..."), for `sweep status`. Returns 1 with the line in out,
 * 0 when dir's index has no /pbt (or it does not read). */
int sw_summary_pbt_line(const char *dir, char *out, size_t outlen);

#endif
