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
 * Both are images ([H,W] per sequence, with one target each; an HDF5 file's sequences
 * count as images unless its targets are one per step), which task.sequence can read
 * pixel by pixel and task.permute permute (task.c; the same floats, no copy).
 *
 * A text file (task.kind text, sw_text_open): UTF-8 when it decodes as UTF-8 (ASCII
 * included), its characters Unicode code points; else read as bytes. Its vocabulary is
 * the set of characters present, in ascending order, at most SW_TEXT_MAX_VOCAB.
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
/* A text's characters are one-hot inputs: at most task.input_size's limit of them, and a
 * text of at most 1 GiB (its characters as int32 take four times that). */
#define SW_TEXT_MAX_VOCAB 4096
#define SW_TEXT_MAX_BYTES ((long long)1 << 30)

typedef enum { SW_DATA_HDF5, SW_DATA_IDX, SW_DATA_FORMAT_COUNT } sw_data_format;

/* One loaded data file. Everything here is owned by the cache and read-only. */
typedef struct {
    char path[SW_MAX_PATH]; /* as given to the first sw_data_open of it */
    sw_data_format format;
    sw_target_kind target;
    int outputs;        /* classes C, or regression values K */
    int seq_len, input; /* T, I */
    int n_train, n_test;
    bool images;        /* [H,W] images with one target each (seq_len = H, input = W) */
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

/* The shape sw_task_resolve needs of a loaded file or text. */
sw_data_shape sw_data_shape_of(const sw_data_file *f);
sw_data_shape sw_text_shape_of(const sw_text *t);

/* Loads the text file at `path` (task.kind text), or finds it already loaded; cached and
 * locked as sw_data_open. On failure *out is NULL and err holds one line that starts with
 * the file: SW_ENOTFOUND (no such file), SW_EFORMAT (a directory, an empty file, a single
 * distinct character, more than SW_TEXT_MAX_VOCAB of them, longer than SW_TEXT_MAX_BYTES),
 * SW_EIO, SW_ENOMEM or SW_EINVAL (path longer than SW_MAX_PATH). */
int sw_text_open(const char *path, const sw_text **out, char *err, size_t errlen);

/* The code point of the UTF-8 sequence at b[0..len) into *cp, and its length in bytes; 0
 * when b does not start with a well-formed one (overlong forms, surrogates and values
 * past U+10FFFF are not). */
int sw_utf8_decode(const unsigned char *b, size_t len, int32_t *cp);

/* The UTF-8 bytes of code point cp (0..U+10FFFF) into out; returns their number (1-4). */
int sw_utf8_encode(int32_t cp, char out[4]);

/* Bytes the file or text at `path` holds in memory (its arrays) when it is loaded, else 0. */
double sw_data_loaded_bytes(const char *path);

/* Frees every loaded file and text. Call when no run uses the data any more (process
 * end); every pointer and view obtained before becomes invalid. Idempotent. */
void sw_data_cache_clear(void);

/* "hdf5", "idx". */
const char *sw_data_format_name(sw_data_format format);

/* One line for logs: "60000 train + 10000 test sequences, 28 steps x 28 inputs, 10
 * classes at the last step (idx)". */
void sw_data_describe(const sw_data_file *f, char *out, size_t outlen);

#endif
