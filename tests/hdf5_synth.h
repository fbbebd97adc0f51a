/* hdf5_synth.h: synthetic run results for the HDF5 and summarizer tests.
 *
 * synth_result() allocates a sw_run_result through record.c's table, as sw_train_run()
 * does (so sw_run_result_free() releases it), and fills it with values that are a
 * deterministic function of (seed, position): a reader can recompute every element it
 * reads back. Every array of the table gets values, including ones added after this
 * file was written; the quantities with a meaning (accuracies, epochs, labels, the
 * vanishing gradient) then get values that respect it. No engine involved. */
#ifndef SWEEP_TEST_HDF5_SYNTH_H
#define SWEEP_TEST_HDF5_SYNTH_H

#include <stdio.h>
#include <sys/stat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mkdir_p.h"
#include "model.h"
#include "record.h"
#include "train.h"

/* A value in [-1, 1) from a seed and an index (splitmix64 finaliser). */
static inline double synth_value(unsigned long long seed, unsigned long long i)
{
    unsigned long long z = seed * 0x9E3779B97F4A7C15ull + i + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 4503599627370496.0 - 1.0;
}

/* Test accuracy of epoch e (from 1) for a given seed: rises then wobbles, in [0.5, 1]. */
static inline double synth_test_acc(unsigned long long seed, int e)
{
    double a = 0.5 + 0.45 * (1.0 - exp(-0.3 * e)) + 0.02 * synth_value(seed + 77, (unsigned long long)e);
    return a > 1 ? 1 : a < 0 ? 0 : a;
}

/* A small config: T=12, I=3, H=5, L=2, 6 epochs, gradients every 2 epochs, P=4. */
static inline void synth_config(sw_config *cfg, sw_cell_kind cell, long long seed)
{
    sw_config_defaults(cfg);
    cfg->task.seq_len = 12;
    cfg->task.input_size = 3;
    cfg->task.signal_steps = 3;
    cfg->model.cell = cell;
    cfg->model.hidden = 5;
    cfg->model.layers = 2;
    cfg->train.epochs = 6;
    cfg->record.grad_every = 2;
    cfg->record.probe_size = 4;
    cfg->seed = seed;
}

/* Fills *r for cfg with `epochs` completed epochs (<= cfg->train.epochs) and the given
 * status. For SW_RUN_FAILED with no_arrays set, weights, probe and gradients stay NULL,
 * like a run that failed before allocating them. Returns 0, or -1 when out of memory. */
static inline int synth_result(sw_run_result *r, const sw_config *cfg, int epochs,
                               sw_run_status status, int no_arrays)
{
    memset(r, 0, sizeof *r);
    unsigned long long seed = (unsigned long long)cfg->seed;
    int E = cfg->train.epochs, T = cfg->task.seq_len, I = cfg->task.input_size;
    int H = cfg->model.hidden, L = cfg->model.layers, P = cfg->record.probe_size;
    if (sw_record_alloc(r, cfg) != SW_OK) return -1;
    sw_record_sizes planned;
    sw_record_sizes_planned(cfg, &planned);
    for (size_t i = 0; i < sw_record_len; i++) { /* every array: values in [-1, 1) */
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row)) continue;
        void *a = sw_record_array(sw_record_field(row, r));
        size_t count = sw_record_count(row, &planned);
        for (size_t k = 0; k < count; k++) {
            double v = synth_value(seed + 100 + i, k);
            switch (row->type) {
            case SW_REC_F64: ((double *)a)[k] = v; break;
            case SW_REC_F32: ((float *)a)[k] = (float)v; break;
            case SW_REC_REAL: ((sw_real *)a)[k] = (sw_real)v; break;
            case SW_REC_I32: ((int32_t *)a)[k] = (int32_t)(v * 1000); break;
            default: break;
            }
        }
    }
    size_t n = r->param_count;
    r->status = status;
    if (status == SW_RUN_FAILED) strcpy(r->error, "synthetic failure: out of luck");
    if (status == SW_RUN_DIVERGED) strcpy(r->error, "loss or gradient became NaN at epoch 3, step 2");
    sw_history *h = &r->history;
    h->epochs = epochs;
    for (int e = 0; e < epochs; e++) {
        h->test_acc[e] = synth_test_acc(seed, e + 1);
        h->train_acc[e] = h->test_acc[e] + 0.01;
        if (h->train_acc[e] > 1) h->train_acc[e] = 1;
        h->train_loss[e] = 0.7 * exp(-0.2 * e) + 0.01 * synth_value(seed + 1, (unsigned)e);
        h->test_loss[e] = 0.7 * exp(-0.2 * e) + 0.02 + 0.01 * synth_value(seed + 2, (unsigned)e);
        h->lr[e] = 1e-3 * pow(0.5, e / 2);
        h->grad_norm[e] = 1.0 + synth_value(seed + 3, (unsigned)e);
        h->seconds[e] = 0.25 + 0.01 * e;
        if (r->best_epoch == 0 || h->test_acc[e] > r->best_test_acc) {
            r->best_epoch = e + 1;
            r->best_test_acc = h->test_acc[e];
            r->best_test_loss = h->test_loss[e];
        }
    }
    if (epochs > 0) {
        r->final_test_acc = h->test_acc[epochs - 1];
        r->final_train_acc = h->train_acc[epochs - 1];
    }
    r->wall_seconds = 1.5 + 0.25 * epochs + 0.001 * (double)(seed % 100);
    if (status == SW_RUN_FAILED && no_arrays) {
        /* Failed before the run's own arrays existed: only the history was there. */
        for (size_t i = 0; i < sw_record_len; i++) {
            const sw_record_row *row = &sw_record[i];
            if (!sw_record_is_array(row) || !(row->flags & SW_REC_RESULTS_ONLY)) continue;
            void *field = sw_record_field(row, r);
            free(sw_record_array(field));
            sw_record_set_array(field, NULL);
        }
        r->param_count = 0;
        r->probe_size = 0;
        r->grad_capacity = 0;
        return 0;
    }
    size_t hid = (size_t)L * P * T * H;
    int R = 0;
    for (int e = 1; e <= epochs; e++)
        if (e % cfg->record.grad_every == 0 || e == E) R++;
    for (size_t i = 0; i < n; i++) {
        r->weights_final[i] = (sw_real)synth_value(seed + 10, i);
        r->weights_best[i] = (sw_real)synth_value(seed + 11, i);
    }
    for (size_t i = 0; i < (size_t)P * T * I; i++) r->probe_inputs[i] = (float)synth_value(seed + 12, i);
    for (int i = 0; i < P; i++) r->probe_labels[i] = i % 2;
    for (size_t i = 0; i < hid; i++) {
        r->hidden_final[i] = (float)synth_value(seed + 13, i);
        r->hidden_best[i] = (float)synth_value(seed + 14, i);
    }
    r->grad_records = R;
    for (int e = 1, k = 0; e <= epochs; e++)
        if (e % cfg->record.grad_every == 0 || e == E) r->grad_epoch[k++] = e;
    /* dloss_dh_norm decays towards early steps, like a vanishing gradient: step t of the
     * last layer is 10^-(T-1-t)/(T-1) * (1 + seed/1000) so the ratio first/last is 0.1. */
    for (int k = 0; k < R; k++)
        for (int l = 0; l < L; l++)
            for (int t = 0; t < T; t++) {
                size_t at = ((size_t)k * L + l) * T + t;
                r->dloss_dh_norm[at] = (float)(pow(10.0, -(double)(T - 1 - t) / (T - 1) * (1 + 0.1 * (seed % 3))) *
                                               (1 + 0.001 * (double)seed));
                r->dW_hh_norm[at] = (float)(0.5 + 0.5 * synth_value(seed + 15, at));
                for (int j = 0; j < H; j++)
                    r->dloss_dh[at * H + j] = (float)synth_value(seed + 16, at * H + j);
            }
    /* dloss_dx_norm decays more gently: first/last is 10^-0.5 (times a per-seed factor). */
    for (int k = 0; k < R; k++)
        for (int t = 0; t < T; t++)
            r->dloss_dx_norm[(size_t)k * T + t] =
                (float)(pow(10.0, -0.5 * (double)(T - 1 - t) / (T > 1 ? T - 1 : 1) * (1 + 0.1 * (seed % 2))) *
                        (1 + 0.002 * (double)seed));
    return 0;
}

#endif
