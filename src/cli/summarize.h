/* summarize.h: the `summarize` verb of the command line: its options into summary.h's
 * sw_summary_options, its usage text, its exit status. */
#ifndef SWEEP_SUMMARIZE_H
#define SWEEP_SUMMARIZE_H

/* The `summarize` verb: argv[0] is "summarize", then DIR and options (see --help).
 * Returns the process exit status: 0 table printed, 1 nothing readable to summarize,
 * 2 usage error (bad option, unknown key/column/run, missing directory). */
int sw_summarize_main(int argc, char **argv);

/* The verb's usage text (for `sweep --help` and `sweep summarize --help`). */
const char *sw_summarize_usage(void);

#endif
