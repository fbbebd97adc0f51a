/* textsample.h: the `sample` verb of the command line: text written by a character-level
 * run's best weights (engine/textgen.h writes it; this reads the run file and the options). */
#ifndef SWEEP_TEXTSAMPLE_H
#define SWEEP_TEXTSAMPLE_H

/* The `sample` verb: argv[0] is "sample", then RUN.h5 and options (see its usage text).
 * Returns the process exit status: 0 text written; 1 out of memory; 2 usage error, or
 * RUN.h5 is not a text run's complete file, or the prime has a character the run never
 * saw (one line on stderr saying which). */
int sw_text_sample_main(int argc, char **argv);

/* The verb's usage text (for `sweep help sample` and `sweep sample --help`). */
const char *sw_text_sample_usage(void);

#endif
