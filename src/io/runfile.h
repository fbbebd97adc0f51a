/* runfile.h: a run file read back: its summary, config and, on request, its history and
 * gradient norms; and reading one through, which is what "complete" means.
 *
 * The layout is a public contract, documented path by path in docs/hdf5-layout.md and
 * written by runwrite.h. A run file counts as complete only when it reads through
 * (sw_h5_verify_run), which also finds files damaged after they were written. Thread-safe
 * (the thread-safe HDF5 build, checked by sw_h5_init). */
#ifndef SWEEP_RUNFILE_H
#define SWEEP_RUNFILE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "train.h"

/* The root attributes format and format_version of a run file. */
#define SW_RUN_FORMAT "sweep-run"
#define SW_RUN_FORMAT_VERSION 1

/* The sweep's index (sweep/index.h) beside the run files: the one .h5 file of an output
 * directory that is not a run file. */
#define SW_INDEX_NAME "sweep.h5"

/* What to read besides the root attributes, /config and /summary (always read). */
enum {
    SW_READ_HISTORY = 1,   /* /history into `history` */
    SW_READ_GRADIENTS = 2, /* /gradients/epoch and /gradients/dloss_dh_norm */
    /* Read the file through first: every array and attribute of the run record a file of
     * its status holds (record.c's table; rows added later may be absent), each array with
     * the shape its /config and /summary/epochs_completed imply and every byte of it
     * readable (run files written since the checksum have Fletcher-32 on every array, so
     * damaged data is found as well as damaged metadata), and every /config value of its
     * key's type and range. A file that fails is SW_EFORMAT, the reason in err. */
    SW_READ_VERIFY = 4
};

/* One run file as read back. Every pointer is owned by the struct (sw_run_file_free). */
typedef struct {
    char *path;
    char *run_id, *sweep, *error, *created, *program_version, *config_text;
    sw_run_status status;   /* SW_RUN_STATUS_COUNT when the file's status is not known */
    sw_config config;       /* from the /config attributes; defaults for keys the file lacks */
    int config_missing;     /* number of schema keys absent from /config */
    char config_bad[320];   /* "" or why the first /config key that is present but unusable
                               (unreadable, of the wrong type, out of its range) is; such a
                               key keeps its default */
    char **swept_keys;      /* root attribute swept_keys */
    int n_swept;
    double wall_seconds;
    /* /summary; accuracies and losses are NaN when no epoch completed */
    int epochs, epochs_planned, best_epoch;
    double best_test_acc, best_test_loss, final_test_acc, final_train_acc;
    long long param_count;
    /* What best_epoch was chosen by: /summary metric ("test_acc" or "test_loss") and
     * metric_mode (0 max, 1 min: task.h's sw_metric_mode), and its value there; files from
     * before these attributes get their task's metric (test_acc / max for classification). */
    char metric[16];
    int metric_mode;
    double best_metric;
    /* ||dl/dh_1|| / ||dl/dh_T|| of the last layer at the last recorded epoch, from
     * /gradients/dloss_dh_norm (always read; NaN when the file has no gradient record) */
    double vanishing_ratio;
    /* ||dl/dx_1|| / ||dl/dx_T||, the gradient reaching the input, at the last recorded epoch,
     * from /gradients/dloss_dx_norm (always read; NaN when the file has none: older files) */
    double input_ratio;
    /* SW_READ_HISTORY: `epochs` entries per array (one block, owned) */
    sw_history history;
    /* SW_READ_GRADIENTS */
    int grad_records, grad_layers, grad_steps; /* R, L, T */
    int32_t *grad_epoch;    /* (R) */
    float *dloss_dh_norm;   /* (R,L,T) */
} sw_run_file;

/* Reads the run file at PATH (what: SW_READ_* bits) into *out, which
 * is initialised here and released with sw_run_file_free() whatever the return value.
 * Returns SW_OK, SW_ENOTFOUND (no such file), SW_EFORMAT (not a sweep run file, or a
 * contract path is missing or malformed), SW_ENOMEM; message in err. Thread-safe. */
int sw_h5_read_run(const char *path, unsigned what, sw_run_file *out, char *err, size_t errlen);

/* Frees what *f owns; NULL-tolerant; leaves *f zeroed. */
void sw_run_file_free(sw_run_file *f);

/* Reads the run file at PATH through (sw_h5_read_run with SW_READ_VERIFY): SW_OK when it
 * is complete, with its status in *status (may be NULL); SW_ENOTFOUND when there is no
 * such file; SW_EFORMAT when it is damaged, truncated, empty, foreign or a temporary, the
 * reason in err ("DIR/x.h5: /history/test_acc has shape [3,7]; its config implies [2]");
 * SW_ENOMEM. Thread-safe. */
int sw_h5_verify_run(const char *path, sw_run_status *status, char *err, size_t errlen);

/* 1 when sw_h5_verify_run(PATH) is SW_OK, 0 otherwise. */
int sw_h5_run_is_complete(const char *path);

/* Lists the run files of DIR (names ending in ".h5", except sweep.h5 and hidden
 * temporaries), sorted by name, into a newly allocated array of malloc'ed names (not
 * paths) the caller frees with sw_h5_free_names (h5read.h). Returns the count or a negative code. */
int sw_h5_list_runs(const char *dir, char ***names);

#endif
