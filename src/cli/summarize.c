/* summarize.c: `sweep summarize DIR` (see summarize.h). */
#define _POSIX_C_SOURCE 200809L
#include "summarize.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "summary.h"

const char *sw_summarize_usage(void)
{
    return "usage: sweep summarize DIR [--by KEYS] [--sort [-|+]COLUMN] [--format text|markdown|csv]\n"
           "                       [--runs] [--history RUN_ID] [--rungs]\n"
           "\n"
           "Prints the best-epoch table of the sweep in DIR from its HDF5 files alone: one row per\n"
           "configuration (runs grouped by every swept key except seed), with runs done / failed /\n"
           "diverged, best test accuracy mean +- std and min-max over seeds (percent), median best\n"
           "epoch, final test and train accuracy, the vanishing-gradient figure dh1/dhT\n"
           "(||dl/dh_1|| / ||dl/dh_T|| of the last layer at the last recorded epoch, geometric mean\n"
           "over seeds), dx1/dxT (the same ratio for the gradient reaching the inputs x_1 and x_T:\n"
           "every cell's, where a transformer's dh1/dhT is 0 by construction) and seconds per run.\n"
           "Statistics use the done (and stopped) runs; columns\n"
           "with the same value in every row are stated once above the table.\n"
           "Runs selected by their test loss (regression: adding) show best, final and train MSE\n"
           "instead of accuracies, lower is better; tasks with a baseline loss (adding, copy) show\n"
           "it and the test loss at the best epoch. Runs of other tasks keep their own columns.\n"
           "With a validation set (task.val_size) the best epoch is chosen by it: val acc % (or val\n"
           "loss) shows that metric, best acc % the test accuracy at that epoch. Early-stopped runs\n"
           "(status stopped) get a stopped count and enter the statistics with their best epoch so\n"
           "far; when sweep.h5 has early-stopping decisions, a per-rung account follows the table.\n"
           "\n"
           "  --by KEYS          group by these comma-separated keys instead (e.g. model.cell);\n"
           "                     --by '' puts all runs in one row\n"
           "  --sort COLUMN      sort rows by a column (CSV header name, key, or best, final, epoch,\n"
           "                     train, loss, baseline, vanishing, input, seconds); accuracies sort high\n"
           "                     first, losses and the rest low first; a leading - or + forces\n"
           "                     descending or ascending\n"
           "  --format FORMAT    text (aligned, default), markdown, or csv (every column, raw numbers)\n"
           "  --runs             one row per run (with its status and error)\n"
           "  --history RUN_ID   one run's per-epoch table, best epoch marked\n"
           "  --rungs            the early-stopping decisions per rung (sweep.h5 /decisions) alone\n"
           "\n"
           "Exit status: 0 printed; 1 no readable run file; 2 usage error.\n";
}

int sw_summarize_main(int argc, char **argv)
{
    sw_summary_options opt = {NULL, NULL, SW_TABLE_TEXT, 0, NULL, 0};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *names[] = {"--by", "--sort", "--format", "--history"};
        int which = -1;
        for (int k = 0; k < 4; k++) {
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
        if (which == 0) opt.by = val;
        else if (which == 1) opt.sort = val;
        else if (which == 3) opt.history_run = val;
        else if (which == 2) {
            if (!strcmp(val, "text")) opt.format = SW_TABLE_TEXT;
            else if (!strcmp(val, "markdown") || !strcmp(val, "md")) opt.format = SW_TABLE_MARKDOWN;
            else if (!strcmp(val, "csv")) opt.format = SW_TABLE_CSV;
            else {
                fprintf(stderr, "sweep summarize: unknown --format '%s' (text, markdown or csv)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--runs")) {
            opt.per_run = 1;
        } else if (!strcmp(a, "--rungs")) {
            opt.rungs = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(sw_summarize_usage(), stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sweep summarize: unknown option '%s'\n%s", a, sw_summarize_usage());
            return 2;
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "sweep summarize: one directory at a time ('%s' and '%s')\n", dir, a);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "sweep summarize: which directory?\n%s", sw_summarize_usage());
        return 2;
    }
    char err[2048] = "";
    int rc = sw_summarize(dir, &opt, stdout, stderr, err, sizeof err);
    fflush(stdout);
    if (rc == SW_OK) return 0;
    fprintf(stderr, "sweep summarize: %s\n", err[0] ? err : sw_strerror(rc));
    if (rc == SW_EINVAL) return 2;
    if (rc == SW_ENOTFOUND) {
        struct stat st;
        return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 1 : 2;
    }
    return 1;
}
