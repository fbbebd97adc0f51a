/* task.h: the tasks a run trains on: their data and what the network must predict.
 *
 * mean_sign:  x ~ N(0,1) i.i.d., shape (N,T,I); label 1 when the mean of all T*I values
 *             is > 0, else 0 (the seed experiment).
 * first_sign: same inputs; label 1 when the mean of the first k = task.signal_steps steps
 *             (k*I values) is > 0. Steps k+1..T are pure noise the network must carry the
 *             answer across, so accuracy measures memory over T-k steps.
 * adding:     (Arjovsky, Shah & Bengio 2016) each step is (value ~ U[0,1], marker); one
 *             marker is 1 in [0, T/2) and one in [T/2, T); the target is the sum of the
 *             two marked values, predicted at the last step (MSE). Always answering 1
 *             gives MSE 1/6, the baseline.
 * copy:       (same paper) 10 symbols from 1..8, T-1 blanks (0), the delimiter 9, 10
 *             blanks: T+20 steps, one-hot over 10 categories; the target is blank (0) for
 *             T+10 steps, then the 10 symbols; a 9-way prediction at every step, loss
 *             averaged over all T+20 steps, accuracy over the 10 recalled symbols only.
 *             Baseline (blanks, then uniform guesses): 10 ln 8 / (T+20).
 * file:       the user's own data (data.h reads it; the engine only sees sw_dataset). Files
 *             of images ([H,W] per sequence: IDX directories, HDF5 files with one target per
 *             sequence) are read row by row (T = H, I = W) or, task.sequence pixels, pixel
 *             by pixel (T = H*W, I = 1); task.permute feeds every sequence's steps in one
 *             fixed order drawn from task.permute_seed (permuted MNIST).
 * text:       character-level language modelling (char-rnn): the text in task.path is cut
 *             into consecutive parts, training | validation | test (task.val_fraction and
 *             task.test_fraction of its characters), each part into windows of T =
 *             task.seq_len characters; inputs are one-hot over the V characters of the text
 *             (I = V), the target of step t is the character after it (a V-way prediction
 *             at every step). Measured in bits per character (the loss / ln 2); the
 *             baseline is the entropy of the text's character frequencies. */
#ifndef SWEEP_TASK_H
#define SWEEP_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The shape of a task's sequences and targets, derived from its config (and, for file
 * tasks, from the data file's shape recorded in it). */
typedef struct {
    sw_target_kind target;
    int input;       /* I features per step */
    int steps;       /* T steps per sequence (copy: seq_len + 20) */
    int outputs;     /* classes C, or regression values K */
    int scored_from; /* CLASS_STEPS: first step counted in the accuracy */
} sw_task_layout;

sw_task_layout sw_task_layout_of(const sw_task_config *task);

/* What a data file holds, as sw_task_resolve needs it (data.h fills it in). */
typedef struct {
    sw_target_kind target;
    int outputs;          /* classes C or regression values K */
    int seq_len, input;   /* T, I (images: H, W) */
    int n_train, n_test;
    bool images;          /* the sequences are [H,W] images with one target each */
    /* a text (task.kind text): its characters, vocabulary size, unigram entropy (nats per
     * character) and encoding (1 UTF-8, 0 bytes) */
    long long chars;
    int vocab;
    double unigram;
    int utf8;
} sw_data_shape;

/* True for the tasks that read task.path (file, text): their sizes are resolved from it. */
bool sw_task_reads_file(sw_task_kind kind);

/* The text task's parts, in characters: training, validation, test (consecutive, in that
 * order), for a text of `chars` characters. */
void sw_text_parts(const sw_task_config *task, long long chars, long long parts[3]);

/* Windows of T characters (each with its T next characters as targets) in a part of
 * `chars` characters: (chars - 1) / T. */
long long sw_text_windows(long long chars, int T);

/* Fills in the sizes the config left at 0 with the task's own (task.seq_len,
 * input_size, train_size, test_size; for a file task, its file's) and records a file's
 * targets; checks explicit ones against what the task fixes (adding has 2 inputs, copy
 * 10, a file its own T and I; a file's train/test sizes take at most its sequences, the
 * first ones; task.val_size takes the file's last training sequences, which the training
 * set then leaves out). A text's sizes are its windows: train_size, val_size and
 * test_size at most the windows of each part (0: all), input_size its vocabulary.
 * Checks that task.sequence, task.permute and permute_seed are used on images only, and
 * task.val_fraction and test_fraction on a text only. `file` is NULL except for file and
 * text tasks. Idempotent. Returns SW_OK or SW_ECONFIG with the message (naming the file
 * when the file is what is wrong) in err and the key most responsible in *bad_key. */
int sw_task_resolve(sw_task_config *task, const sw_data_shape *file, char *err, size_t errlen,
                    const char **bad_key);

/* The quantity a task's runs are selected by: test accuracy (higher is better) for
 * classification, test loss (lower is better) for regression; with a validation set
 * (task.val_size > 0) the validation accuracy or loss instead, so that selection never
 * reads the test set. */
typedef enum { SW_METRIC_MAX, SW_METRIC_MIN, SW_METRIC_MODE_COUNT } sw_metric_mode;
typedef struct {
    const char *name;    /* a /history column: "test_acc", "test_loss", "val_acc" or "val_loss" */
    sw_metric_mode mode;
} sw_task_metric;

sw_task_metric sw_task_metric_of(const sw_task_config *task);

/* "max", "min". */
const char *sw_metric_mode_name(sw_metric_mode mode);

/* Baseline loss of a task (what a constant answer scores), or NaN when it has none:
 * adding 1/6, copy 10 ln 8 / (T+20), text the entropy of its character frequencies
 * (nats; what predicting those frequencies at every step scores on the whole text). */
double sw_task_baseline_loss(const sw_task_config *task);

/* A set of sequences with their targets. Arrays are owned unless `borrowed` (a file
 * task's data, shared read-only by every run of the process). */
typedef struct sw_dataset {
    int n, seq_len, input;
    sw_target_kind target;
    int outputs;
    float *x;   /* (N,T,I) as stored */
    int32_t *y; /* CLASS_LAST (N); CLASS_STEPS (N,T); NULL for VALUE_LAST */
    float *v;   /* VALUE_LAST (N,K); NULL otherwise */
    /* (T) when not NULL: step t of every sequence, as the network sees it, is stored step
     * steps[t] of x (task.permute); NULL: the stored order. Never owned. */
    const int32_t *steps;
    int borrowed;
} sw_dataset;

/* Rows [first, first+n) of `d` as a borrowed view (no copy). */
sw_dataset sw_dataset_view(const sw_dataset *d, int first, int n);

/* Sequences [first, first+n) of d as the network sees them (d->steps applied) into out
 * (n,T,I). */
void sw_dataset_copy_inputs(const sw_dataset *d, int first, int n, float *out);

/* The permutation of task.permute: out[t] (t < T) is the stored step fed at step t, a
 * uniformly random permutation of 0..T-1 drawn from task.permute_seed alone (Fisher-Yates
 * on its own stream), so every run of a sweep sees the same one. */
void sw_task_permutation(const sw_task_config *task, int T, int32_t *out);

/* A loaded text (data.h reads and caches it): its characters as indices into its
 * vocabulary. Read-only once loaded. */
typedef struct sw_text {
    long long n;     /* characters */
    int32_t *codes;  /* (n) each character's index into vocab */
    int vocab_size;  /* V */
    int32_t *vocab;  /* (V) the distinct characters, ascending: Unicode code points when
                        utf8, else byte values */
    int utf8;        /* 1: the file is UTF-8 (ASCII included); 0: read as bytes */
    double unigram;  /* entropy of the character frequencies, nats per character */
} sw_text;

/* Where a task's data comes from besides its config: a file task's splits, a text. */
typedef struct {
    const sw_dataset *train, *test; /* file: the data file's splits (as loaded) */
    const sw_text *text;            /* text */
} sw_task_source;

/* The sets a run trains, selects and evaluates on, and its probe set. */
typedef struct {
    sw_dataset train, val, test, probe; /* val: n == 0 without a validation set */
    int32_t *steps;                     /* (T) task.permute's order (owned), or NULL */
} sw_task_data;

/* The sets of a run of `task` (resolved) with probe_size probe sequences: generated from
 * `seed` (synthetic tasks); for a file task borrowed views of src's splits (the first
 * train_size / test_size rows; the probe set the first probe_size test rows; the
 * validation set the last val_size training rows), read pixel by pixel and permuted as the
 * task says; for a text its windows, one-hot, from src->text (the probe set the first
 * probe_size test windows). Returns SW_OK, SW_EINVAL (src lacks what the task needs, or
 * holds fewer sequences than it asks for) or SW_ENOMEM; *d is then freed. */
int sw_task_data_make(sw_task_data *d, const sw_task_config *task, int probe_size, uint64_t seed,
                      const sw_task_source *src);

/* NULL-tolerant; leaves *d zeroed. */
void sw_task_data_free(sw_task_data *d);

/* Generates n sequences of a synthetic `task` (not file) from stream `stream` of `seed`
 * into d (allocated here; release with sw_dataset_free). Returns SW_OK or SW_ENOMEM. */
int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream);

/* NULL-tolerant; leaves *d zeroed. */
void sw_dataset_free(sw_dataset *d);

/* "mean_sign", "first_sign", "adding", "copy", "file", "text". */
const char *sw_task_name(sw_task_kind kind);

#endif
