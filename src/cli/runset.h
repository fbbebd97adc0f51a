/* runset.h: the run files of one or more directories as the summaries see them: every file
 * that reads through (damaged ones named and skipped), in the grid order of each
 * directory's index, with the keys that tell them apart, the sweeps they come from, and
 * what each run's metric adds to the tables (its losses, its baseline, its validation
 * metric). Internal to the command line (cli/). */
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

/* The sweeps the runs come from. A sweep is its name (the run files' root attribute `sweep`)
 * and the directory its files really are in (links resolved), so that the files of two
 * sweeps linked or copied into one directory, or given as several directories, are never
 * taken for one sweep, even when both sweeps have the same name. */
typedef struct {
    char *name;   /* the runs' `sweep` attribute ("" when absent) */
    char *origin; /* the real directory of its files (with the name, its identity) */
    char *label;  /* what the table shows: the name, or "name (DIR)" when sweeps share it */
    int runs;
    int at_arg;   /* its files are in the directory argument they were read from (not links) */
} sweep_origin;

typedef struct {
    sw_run_file *runs; /* in grid order, directory by directory */
    run_loss *loss;    /* parallel to runs */
    int *source;       /* parallel to runs: the index in dirs of the directory it was read from */
    int *sweep_of;     /* parallel to runs: its entry in sweeps */
    int n;
    const char **keys; /* schema key strings: first the nunswept keys whose values differ between
                          the runs though no file lists them as swept (schema order), then the
                          swept keys the files list (their union, first-seen order) */
    int nkeys, nunswept;
    sweep_origin *sweeps; /* in order of first appearance */
    int nsweeps;
    const char *const *dirs; /* the directories read, as given */
    int ndirs;
    int unreadable, pending;
    char *sweep;       /* name from the first run that has one */
    unsigned fams;     /* FAM_* bits the runs have */
    const char *loss_name; /* "MSE" when every run in the loss columns is a regression run
                              (selected by test loss), else "loss" */
    int sampled;       /* every run is a point of a sampled search (its id names the point) */
} run_set;

/* The `sweep` pseudo-key: the group keys are schema key strings, or this one (a pointer
 * compared by address) for the column of the sweep a run belongs to. */
extern const char sw_sweep_key[];

/* Reads the run files of dirs[0..ndirs) into *rs (released with sw_runset_free whatever the
 * return), each directory's in its grid order, with the keys that tell them apart, their
 * sweeps and what their metrics add; what: SW_READ_* parts beyond the summary. SW_ENOTFOUND
 * when a directory is missing; messages in err, a line per skipped file on diag (may be
 * NULL). */
int sw_runset_load(const char *const *dirs, int ndirs, unsigned what, run_set *rs, FILE *diag, char *err,
                   size_t errlen);

/* Frees what rs owns and zeroes it. */
void sw_runset_free(run_set *rs);

/* Compares runs a and b by a group key: a config key's values, or sw_sweep_key (the order
 * the sweeps first appear in). */
int sw_runset_cmp_group_key(const run_set *rs, const char *key, int a, int b);

#endif
