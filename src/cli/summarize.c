/* summarize.c: `sweep summarize DIR...` (see summarize.h). */
#define _POSIX_C_SOURCE 200809L
#include "summarize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "outdir.h"
#include "summary.h"
#include "summary_tables.h"

const char *sw_summarize_usage(void)
{
    return "usage: sweep summarize DIR [DIR...] [--by KEYS] [--sort [-|+]COLUMN] [--top N] [--legend]\n"
           "                       [--format text|markdown|csv] [--runs] [--history RUN_ID] [--rungs]\n"
           "                       [--pareto METRIC,COST]\n"
           "\n"
           "Prints the best-epoch table of the runs in DIR (or in several directories, to compare\n"
           "sweeps) from their HDF5 files alone: one row per configuration, with the runs done /\n"
           "failed / diverged, the parameter count, best test accuracy mean +- std and min-max over seeds\n"
           "(percent), median best epoch, final test and train accuracy, the vanishing-gradient\n"
           "figures dh1/dhT and dx1/dxT and seconds per run (--legend: every column's meaning, one\n"
           "line each, under the table; all of them below).\n"
           "A configuration is every key whose value differs between the runs, but the seed: the\n"
           "keys the sweep swept and any other (files of two sweeps at T=20 and T=50 linked into one\n"
           "directory are two rows per cell, not one average). Runs of several sweeps (their name and\n"
           "the directory their files are in) get a `sweep` column, and a note says so.\n"
           "Statistics use the done (and stopped) runs. Columns with the same value in every row are\n"
           "stated once above the table, except the metrics, which always stay in it.\n"
           "Runs selected by their test loss (regression: adding) show best, final and train MSE\n"
           "instead of accuracies, lower is better; text runs (task.kind text) the same in bits per\n"
           "character (loss / ln 2); tasks with a baseline loss (adding, copy, text: its unigram\n"
           "entropy) show it and the test loss at the best epoch. Runs of other tasks keep their\n"
           "own columns.\n"
           "With a validation set (task.val_size) the best epoch is chosen by it: val acc % (or val\n"
           "loss) shows that metric, best acc % the test accuracy at that epoch. Early-stopped runs\n"
           "(status stopped) get a stopped count and enter the statistics with their best epoch so\n"
           "far; when sweep.h5 has early-stopping decisions, a per-rung account follows the table.\n"
           "Rows come in grid order; a search (sampled points, or early stopping) sorts them best\n"
           "first by its metric (the validation one when there is a validation set).\n"
           "\n"
           "  --by KEYS          group by these comma-separated keys instead (e.g. cell or model.cell,\n"
           "                     written as in a config; `sweep` for the sweep); --by '' puts all runs\n"
           "                     in one row\n"
           "  --sort COLUMN      sort rows by a column (CSV header name, text title, key, or best,\n"
           "                     final, epoch, train, loss, baseline, vanishing, input, params,\n"
           "                     seconds); accuracies sort high first, losses and the rest low first; a\n"
           "                     leading - or + forces descending or ascending\n"
           "  --top N            only the first N rows: the best N configurations (or runs, with\n"
           "                     --runs) by the metric, or the first N in --sort's order\n"
           "  --legend           every column's meaning under the table (text, markdown)\n"
           "  --format FORMAT    text (aligned, default), markdown, or csv (every column, raw numbers)\n"
           "  --runs             one row per run (with its status and error)\n"
           "  --history RUN_ID   one run's per-epoch table, best epoch marked\n"
           "  --rungs            the early-stopping decisions per rung (sweep.h5 /decisions) alone\n"
           "                     (one directory)\n"
           "  --pareto METRIC,COST  only the configurations no other beats on both METRIC (named as\n"
           "                     for --sort: best, val, final, loss, ...; better by its own direction)\n"
           "                     and COST, lower is better: s/run (mean wall seconds per run) or params\n"
           "                     (parameter count); equal rows both stay; cheapest first (docs/summarize.md).\n"
           "                     Peak memory is not recorded in run files; `sweep report` marks the\n"
           "                     frontier on a scatter of the metric against each cost\n"
           "\n"
           "Exit status: 0 printed; 1 no readable run file; 2 usage error.\n";
}

/* Parses the value of --top: a whole number from 1. */
static int parse_top(const char *val, int *top)
{
    char *end;
    long v = strtol(val, &end, 10);
    if (end == val || *end || v < 1 || v > 1000000000L) return -1;
    *top = (int)v;
    return 0;
}

/* Fills opt and dirs (argc entries) from argv; returns -1 when parsed, else the exit status
 * (0 after --help, 2 after a usage error, its message printed). */
static int parse_summarize_args(int argc, char **argv, sw_summary_options *opt, const char **dirs, int *ndirs)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *names[] = {"--by", "--sort", "--format", "--history", "--top", "--pareto"};
        int which = -1;
        for (int k = 0; k < 6; k++) {
            size_t n = strlen(names[k]);
            if (!strncmp(a, names[k], n) && (a[n] == 0 || a[n] == '=')) {
                which = k;
                if (a[n] == '=') val = a + n + 1;
                else if (i + 1 < argc) val = argv[++i];
                else {
                    fprintf(stderr, "sweep summarize: %s needs a value\n%s", names[k], sw_summarize_usage());
                    return 2;
                }
            }
        }
        if (which == 0) opt->by = val;
        else if (which == 1) opt->sort = val;
        else if (which == 3) opt->history_run = val;
        else if (which == 5) opt->pareto = val;
        else if (which == 4) {
            if (parse_top(val, &opt->top)) {
                fprintf(stderr, "sweep summarize: --top takes a number of rows from 1, got '%s'\n", val);
                return 2;
            }
        } else if (which == 2) {
            if (!strcmp(val, "text")) opt->format = SW_TABLE_TEXT;
            else if (!strcmp(val, "markdown") || !strcmp(val, "md")) opt->format = SW_TABLE_MARKDOWN;
            else if (!strcmp(val, "csv")) opt->format = SW_TABLE_CSV;
            else {
                fprintf(stderr, "sweep summarize: unknown --format '%s' (text, markdown or csv)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--runs")) {
            opt->per_run = 1;
        } else if (!strcmp(a, "--rungs")) {
            opt->rungs = 1;
        } else if (!strcmp(a, "--legend")) {
            opt->legend = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(sw_summarize_usage(), stdout);
            sw_summary_print_columns(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sweep summarize: unknown option '%s'\n%s", a, sw_summarize_usage());
            return 2;
        } else {
            dirs[(*ndirs)++] = a;
        }
    }
    if (!*ndirs) {
        fprintf(stderr, "sweep summarize: which directory?\n%s", sw_summarize_usage());
        return 2;
    }
    return -1;
}

int sw_summarize_main(int argc, char **argv)
{
    sw_summary_options opt = {NULL, NULL, SW_TABLE_TEXT, 0, NULL, 0, 0, 0, NULL};
    const char **dirs = calloc((size_t)(argc > 0 ? argc : 1), sizeof *dirs);
    if (!dirs) {
        fprintf(stderr, "sweep summarize: out of memory\n");
        return 1;
    }
    int ndirs = 0, status = parse_summarize_args(argc, argv, &opt, dirs, &ndirs);
    if (status >= 0) {
        free(dirs);
        return status;
    }
    char err[2048] = "";
    int rc = sw_summarize_dirs(dirs, ndirs, &opt, stdout, stderr, err, sizeof err);
    fflush(stdout);
    status = 0;
    if (rc != SW_OK) {
        fprintf(stderr, "sweep summarize: %s\n", err[0] ? err : sw_strerror(rc));
        status = 1;
        if (rc == SW_EINVAL) status = 2;
        for (int d = 0; d < ndirs && rc == SW_ENOTFOUND; d++) { /* a directory that is not there: usage */
            struct stat st;
            if (stat(dirs[d], &st) != 0 || !S_ISDIR(st.st_mode)) status = 2;
        }
    }
    free(dirs);
    return status;
}
