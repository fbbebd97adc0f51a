/* checkpoint.h: a run's state at an epoch boundary or between two training steps
 * (train.h's sw_train_state) on disk, so that a killed or interrupted sweep resumes its
 * runs where they were.
 *
 * A checkpoint is an HDF5 file (docs/hdf5-layout.md, "Checkpoints": internal, not a
 * contract) holding every part of the state (train.h's parts) as a 1-D array with a
 * Fletcher-32 checksum, and root attributes naming the config it belongs to (a SHA-256 of
 * the run's YAML text, sw_config_to_yaml) and the program version that wrote it. Like run
 * files it is built in memory and written atomically (atomicio.h): under its final name
 * there is only ever a complete checkpoint, and a killed writer leaves at most a temporary
 * that sw_h5_remove_temporaries removes. Thread-safe (the thread-safe HDF5 build). */
#ifndef SWEEP_CHECKPOINT_H
#define SWEEP_CHECKPOINT_H

#include <stddef.h>

#include "config.h"
#include "train.h"

/* Writes `state` of a run of `cfg` to PATH atomically, replacing what was there. Returns
 * SW_OK, or a negative code with the message in err (SW_EIO: "cannot write PATH: No space
 * left on device"; SW_EHDF5; SW_ENOMEM; SW_EINVAL: path too long); PATH is then unchanged
 * and no temporary is left. */
int sw_checkpoint_write(const char *path, const sw_train_state *state, const sw_config *cfg, char *err,
                        size_t errlen);

/* Reads the checkpoint at PATH for a run of `cfg` into *out (the caller frees it with
 * sw_train_state_free). Returns SW_OK; SW_ENOTFOUND when there is no file there;
 * SW_ECONFIG when it was written for another config or by another program version (its
 * state would not continue this run bit-identically); SW_EFORMAT when it is damaged,
 * truncated or not a checkpoint; SW_ENOMEM. On error *out is NULL and err says why,
 * naming PATH. */
int sw_checkpoint_read(const char *path, const sw_config *cfg, sw_train_state **out, char *err, size_t errlen);

/* What a reader of a sweep's directory learns from a run's checkpoint without the run's
 * config: how far the run got and how its metric went (the checkpoint holds the history,
 * train.h's parts). Safe while a sweep writes: checkpoints are replaced whole. */
typedef struct {
    int epoch;          /* epochs completed */
    char created[32];   /* when it was written, ISO 8601 UTC ("" when absent) */
    char metric[16];    /* the /history column read ("": none) */
    int lower_is_better;
    double value, best; /* the metric at the last epoch, and its best (NaN: not recorded) */
} sw_checkpoint_info;

/* Reads the epoch, the time of writing and /history/<metric> (a /history column name,
 * e.g. "test_acc"; best by `lower_is_better`) of the checkpoint at PATH into *out; metric
 * NULL: the metric the run is selected by, as the history shows it (val_acc, val_loss,
 * test_acc, test_loss: the first with a finite last value; a regression records no
 * accuracy, a run without a validation set none of its values). Returns
 * SW_OK; SW_ENOTFOUND when there is no such file; SW_EFORMAT when it is damaged or not a
 * checkpoint (reason in err); SW_ENOMEM. Reads only its attributes and that column. */
int sw_checkpoint_peek(const char *path, const char *metric, int lower_is_better, sw_checkpoint_info *out,
                       char *err, size_t errlen);

#endif
