/* summary_search.h: what `sweep summarize` shows of a sampled search below its table: the
 * best metric so far against the number of points evaluated (sweep.h5's /search), at 1, 2,
 * 4, ... points and at each round's end. Internal to the command line (cli/). */
#ifndef SWEEP_SUMMARY_SEARCH_H
#define SWEEP_SUMMARY_SEARCH_H

#include <stdio.h>

#include "table.h"

/* After a table of dir's runs (text, markdown): the best so far of its sampled search, when
 * its index has /search. A malformed /search is said on diag (may be NULL) and left out.
 * `named`: say which directory it is. */
void sw_summary_search_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag);

#endif
