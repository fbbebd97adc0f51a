/* data.h: the user's own data for `task.kind: file`, read once per process.
 *
 * Two formats, told apart by what the path is:
 *
 * An HDF5 file with /train and /test groups, each holding
 *   x  float [N,T,I]   N sequences of T steps of I features (float64 is converted)
 *   y  integer [N]     a class at the last step              SW_TARGET_CLASS_LAST
 *      integer [N,T]   a class at every step                 SW_TARGET_CLASS_STEPS
 *      float [N]       one value at the last step (K = 1)    SW_TARGET_VALUE_LAST
 *      float [N,K]     K values at the last step             SW_TARGET_VALUE_LAST
 * Classes C: the root attribute `n_classes` when present, else the largest label of
 * train and test + 1. Labels of any integer type that fits int32 (numpy's int64 too).
 *
 * A directory of IDX files as distributed for MNIST and Fashion-MNIST:
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte, each possibly gzip-compressed (name + ".gz"). Each image
 * [rows,cols] becomes a sequence of T = rows steps of I = cols pixels, scaled by 1/255;
 * its label is a class at the last step; C = 10, or the largest label + 1 when larger
 * (a subset may lack some of the 10 classes, which must not shrink the head).
 *
 * The data stays in memory until sw_data_cache_clear(): every run of the process takes
 * borrowed views of it (sw_dataset_view), so a 60,000 x 28 x 28 set exists once. */
#ifndef SWEEP_DATA_H
#define SWEEP_DATA_H

#include <stddef.h>

#include "config.h"
#include "task.h"

/* Refused before anything is allocated: a file with more values than this in one array
 * (8 GiB of float32) is almost certainly a mistake on a machine that trains small RNNs;
 * a head of more than SW_DATA_MAX_OUTPUTS classes or values likewise. */
#define SW_DATA_MAX_VALUES ((size_t)1 << 31)
#define SW_DATA_MAX_OUTPUTS 10000

typedef enum { SW_DATA_HDF5, SW_DATA_IDX, SW_DATA_FORMAT_COUNT } sw_data_format;

/* One loaded data file. Everything here is owned by the cache and read-only. */
typedef struct {
    char path[SW_MAX_PATH]; /* as given to the first sw_data_open of it */
    sw_data_format format;
    sw_target_kind target;
    int outputs;        /* classes C, or regression values K */
    int seq_len, input; /* T, I */
    int n_train, n_test;
    sw_dataset train, test; /* owned (borrowed == 0); take sw_dataset_view()s of them */
} sw_data_file;

/* Loads the data file or IDX directory at `path`, or finds it already loaded: the cache
 * is keyed by the resolved path (realpath), so "d.h5" and "./d.h5" are one entry, and
 * concurrent callers wait for a single load (one mutex). On success *out points into the
 * cache, valid until sw_data_cache_clear(). On failure *out is NULL, nothing is cached
 * (a later call tries again), err holds one line naming the file and the dataset, and
 * the return is SW_ENOTFOUND (missing file or dataset), SW_EFORMAT (anything wrong with
 * the contents), SW_ENOMEM or SW_EINVAL (path longer than SW_MAX_PATH). */
int sw_data_open(const char *path, const sw_data_file **out, char *err, size_t errlen);

/* Frees every loaded file. Call when no run uses the data any more (process end); every
 * pointer and view obtained before becomes invalid. Idempotent. */
void sw_data_cache_clear(void);

/* "hdf5", "idx". */
const char *sw_data_format_name(sw_data_format format);

/* One line for logs: "60000 train + 10000 test sequences, 28 steps x 28 inputs, 10
 * classes at the last step (idx)". */
void sw_data_describe(const sw_data_file *f, char *out, size_t outlen);

#endif
