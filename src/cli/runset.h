/* runset.h: the run files of a directory as the summaries see them: every file that reads
 * through (damaged ones named and skipped), in the grid order of the directory's index,
 * with the keys they vary and what each run's metric adds to the tables (its losses, its
 * baseline, its validation metric). Internal to the command line (cli/). */
#ifndef SWEEP_RUNSET_H
#define SWEEP_RUNSET_H

#include <stdio.h>

#include "config.h"
#include "runfile.h"

/* What a run's metric adds to the tables. A run selected by the lowest test loss (a
 * regression task: its loss is the MSE) has no accuracy to show; a run whose task has a
 * baseline loss (what a constant answer scores) is shown with its test loss next to it. */
typedef struct {
    int by_loss;      /* metric_mode min: the best epoch is the lowest test loss */
    int shows_loss;   /* by_loss, or a baseline to compare the loss with: in the loss columns */
    double best_loss; /* test loss at the best epoch */
    double final_loss, final_train_loss; /* of the last epoch in /history; NaN when unread */
    double baseline;  /* sw_task_baseline_loss; NaN when the task has none */
    int val;          /* selected on its validation set (/summary metric val_acc or val_loss) */
    double val_best;  /* that metric at the best epoch (accuracy as a fraction); NaN without */
} run_loss;

/* The families of columns a table can have: a column is there when the runs have every
 * family it names (FAM_ALWAYS: none), so a directory of classification runs gets exactly
 * the accuracy columns and regression or copy runs add theirs. */
enum {
    FAM_ALWAYS = 0,
    FAM_ACC = 1,         /* a run is selected by test accuracy */
    FAM_LOSS = 2,        /* a run shows its loss (run_loss.shows_loss) */
    FAM_LOSS_METRIC = 4, /* a run is selected by test loss */
    FAM_BASELINE = 8,    /* a run's task has a baseline loss */
    FAM_NEVER = 16,      /* no run: the column is not in that format */
    FAM_VAL_ACC = 32,    /* a run is selected by validation accuracy (task.val_size > 0) */
    FAM_VAL_LOSS = 64,   /* a run is selected by validation loss (a regression with val_size) */
    FAM_STOPPED = 128,   /* a run was stopped early at a rung */
    FAM_INPUT_GRAD = 256 /* a run file records the input's gradient (/gradients/dloss_dx_norm) */
};

typedef struct {
    sw_run_file *runs; /* in grid order */
    run_loss *loss;    /* parallel to runs */
    int n;
    const char **keys; /* swept keys (union over runs, first-seen order); point into runs */
    int nkeys;
    int unreadable, pending, in_index;
    char *sweep;       /* name from the first run that has one */
    unsigned fams;     /* FAM_* bits the runs have */
    const char *loss_name; /* "MSE" when every run in the loss columns is a regression run
                              (selected by test loss), else "loss" */
} run_set;

/* Reads the run files of dir into *rs (released with sw_runset_free whatever the return),
 * in grid order, with their swept keys, what their metrics add and the sweep's name; what:
 * SW_READ_* parts beyond the summary. SW_ENOTFOUND when dir is no directory; messages in
 * err, a line per skipped file on diag (may be NULL). */
int sw_runset_load(const char *dir, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen);

/* Frees what rs owns and zeroes it. */
void sw_runset_free(run_set *rs);

/* Compares the values of key k in two configs: numbers numerically, choices by their order
 * in the schema (rnn < lstm < gru), lists by text. */
int sw_runset_cmp_key(const sw_key_info *k, const sw_config *a, const sw_config *b);

#endif
