/* test_summary_fixture: writes a sweep directory of an early-stopping search with a
 * validation set, for the summarizer's and the analysis tests: 9 synthetic runs (model.cell x
 * seed, task.val_size 16, 9 epochs, best epoch chosen by validation accuracy) cut by
 * successive halving (eta 3, min_epochs 1: rungs at epochs 1 and 3), so 6 runs stop at
 * epoch 1, 2 at epoch 3 and 1 is done; the index sweep.h5 with the decisions under
 * /decisions as docs/hdf5-layout.md describes them.
 *
 * The decisions are made here from the runs' validation accuracy at each rung (the highest
 * third promoted, ties by run id) and appended to the index with the HDF5 API, independently
 * of the sweep's own writer, so the readers are tested against the documented layout.
 *
 * Usage: test_summary_fixture DIR     (DIR is emptied of .h5 files first)
 * Prints the file names it wrote, one per line, and exits 0 on success. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5write.h"
#include "index.h"
#include "runwrite.h"
#include "hdf5_synth.h"
#include "train.h"

enum { NRUNS = 9, EPOCHS = 9, ETA = 3, MIN_EPOCHS = 1, MAX_ROWS = 64 };

static const char *swept[] = {"model.cell", "seed"};

/* Validation accuracy of a run at epoch e (from 1): rises, then wobbles; a function of the
 * run alone, so a run stopped at a rung is a prefix of the same run trained to the end. */
static double val_acc_of(long long seed, int cell, int e)
{
    return synth_test_acc((unsigned long long)(seed * 31 + cell * 7 + 5), e) - 0.01 * cell;
}

/* The decisions, in the order of the layout: bracket, rung, run id. */
typedef struct {
    int n;
    int32_t bracket[MAX_ROWS], rung[MAX_ROWS], epoch[MAX_ROWS];
    const char *run[MAX_ROWS];
    double metric[MAX_ROWS], cutoff[MAX_ROWS];
    int8_t promoted[MAX_ROWS];
} decisions;

typedef struct {
    char id[64];
    sw_cell_kind cell;
    long long seed;
    int epochs; /* where it ends: its rung, or EPOCHS */
} fixture_run;

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Successive halving over runs[]: at each rung epoch below EPOCHS the runs still in are
 * ranked by validation accuracy there (higher first, ties by run id); the best n/ETA go on,
 * the others end at that epoch. Fills d and every run's epochs. */
static void halve(fixture_run *runs, int n, decisions *d)
{
    int in[NRUNS], nin = n;
    for (int i = 0; i < n; i++) in[i] = i, runs[i].epochs = EPOCHS;
    for (int rung = 0, epoch = MIN_EPOCHS; epoch < EPOCHS && nin > 1; rung++, epoch *= ETA) {
        /* rows in run-id order; the ranking decides who is promoted */
        const char *ids[NRUNS];
        for (int k = 0; k < nin; k++) ids[k] = runs[in[k]].id;
        qsort(ids, (size_t)nin, sizeof *ids, cmp_ids);
        int order[NRUNS];
        for (int k = 0; k < nin; k++)
            for (int i = 0; i < nin; i++)
                if (!strcmp(runs[in[i]].id, ids[k])) order[k] = in[i];
        int keep = nin / ETA;
        int rank[NRUNS];
        for (int k = 0; k < nin; k++) rank[k] = k;
        for (int a = 1; a < nin; a++) /* insertion sort by metric, descending; stable keeps id order */
            for (int b = a; b > 0; b--) {
                const fixture_run *x = &runs[order[rank[b]]], *y = &runs[order[rank[b - 1]]];
                if (val_acc_of(x->seed, (int)x->cell, epoch) <= val_acc_of(y->seed, (int)y->cell, epoch)) break;
                int t = rank[b];
                rank[b] = rank[b - 1];
                rank[b - 1] = t;
            }
        double cutoff = keep ? val_acc_of(runs[order[rank[keep - 1]]].seed, (int)runs[order[rank[keep - 1]]].cell,
                                          epoch)
                             : NAN;
        int next[NRUNS], nnext = 0;
        for (int k = 0; k < nin; k++) {
            fixture_run *r = &runs[order[k]];
            int promoted = 0;
            for (int q = 0; q < keep; q++) promoted |= rank[q] == k;
            d->bracket[d->n] = 0;
            d->rung[d->n] = rung;
            d->epoch[d->n] = epoch;
            d->run[d->n] = r->id;
            d->metric[d->n] = val_acc_of(r->seed, (int)r->cell, epoch);
            d->cutoff[d->n] = cutoff;
            d->promoted[d->n] = (int8_t)promoted;
            d->n++;
            if (promoted)
                next[nnext++] = order[k];
            else
                r->epochs = epoch;
        }
        memcpy(in, next, sizeof next);
        nin = nnext;
    }
}

static hid_t vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int put_dset(hid_t g, const char *name, hid_t ftype, hid_t mtype, int n, const void *buf)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(g, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(s);
    return ok ? 0 : 1;
}

static int put_attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = vlen_str(), s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, t, &value) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return ok ? 0 : 1;
}

static int put_attr_int(hid_t loc, const char *name, hid_t ftype, long long value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
    int64_t v = value;
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    return ok ? 0 : 1;
}

/* Appends /decisions and the root attribute runs_stopped to DIR/sweep.h5 where the index
 * writer did not (it counts stopped files itself: that count must then be the fixture's;
 * with a manifest it also writes /decisions, which are then kept). */
static int write_decisions(const char *dir, const decisions *d, int stopped)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sweep.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 1;
    int bad = 0;
    if (H5Aexists(f, "runs_stopped") > 0) {
        /* the index writer counts stopped files itself */
        int64_t written = -1;
        hid_t a = H5Aopen(f, "runs_stopped", H5P_DEFAULT);
        bad = a < 0 || H5Aread(a, H5T_NATIVE_INT64, &written) < 0 || written != stopped;
        if (a >= 0) H5Aclose(a);
        if (bad) fprintf(stderr, "fixture: the index says %lld runs stopped, the fixture made %d\n", (long long)written, stopped);
    } else {
        bad = put_attr_int(f, "runs_stopped", H5T_STD_I64LE, stopped);
    }
    if (H5Lexists(f, "decisions", H5P_DEFAULT) > 0) {
        H5Fclose(f);
        return bad;
    }
    hid_t g = H5Gcreate2(f, "decisions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    if (g >= 0) {
        hid_t st = vlen_str();
        bad |= put_attr_str(g, "kind", "sha") | put_attr_str(g, "metric", "val_acc");
        bad |= put_attr_int(g, "eta", H5T_STD_I32LE, ETA) | put_attr_int(g, "min_epochs", H5T_STD_I32LE, MIN_EPOCHS);
        bad |= put_dset(g, "bracket", H5T_STD_I32LE, H5T_NATIVE_INT32, d->n, d->bracket);
        bad |= put_dset(g, "rung", H5T_STD_I32LE, H5T_NATIVE_INT32, d->n, d->rung);
        bad |= put_dset(g, "epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, d->n, d->epoch);
        bad |= put_dset(g, "run", st, st, d->n, d->run);
        bad |= put_dset(g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d->n, d->metric);
        bad |= put_dset(g, "cutoff", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d->n, d->cutoff);
        bad |= put_dset(g, "promoted", H5T_STD_I8LE, H5T_NATIVE_INT8, d->n, d->promoted);
        H5Tclose(st);
        H5Gclose(g);
    }
    H5Fclose(f);
    return bad;
}

/* A run of the search: synthetic history with a validation set, the best epoch chosen by
 * its accuracy (test metrics reported there), status stopped when it ended at a rung. */
static int write_run(const char *dir, const fixture_run *fr, sw_config *cfg)
{
    synth_config(cfg, fr->cell, fr->seed);
    cfg->train.epochs = EPOCHS;
    cfg->task.val_size = 16;
    cfg->record.grad_every = 1;
    sw_run_result r;
    sw_run_status status = fr->epochs < EPOCHS ? SW_RUN_STOPPED : SW_RUN_DONE;
    if (synth_result(&r, cfg, fr->epochs, status, 0)) return 1;
    sw_history *h = &r.history;
    r.best_epoch = 0;
    for (int e = 0; e < fr->epochs; e++) {
        h->val_acc[e] = val_acc_of(fr->seed, (int)fr->cell, e + 1);
        h->val_loss[e] = 0.75 * exp(-0.18 * e) + 0.01 * synth_value((unsigned long long)fr->seed + 40, (unsigned)e);
        if (r.best_epoch == 0 || h->val_acc[e] > r.best_metric) {
            r.best_epoch = e + 1;
            r.best_metric = h->val_acc[e];
            r.best_test_acc = h->test_acc[e];
            r.best_test_loss = h->test_loss[e];
        }
    }
    sw_run_meta meta = {fr->id, "search-fixture", swept, 2, NULL};
    char err[512];
    int bad = 0;
    if (sw_h5_write_run(dir, &meta, cfg, &r, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        bad = 1;
    } else {
        printf("%s.h5\n", fr->id);
    }
    sw_run_result_free(&r);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    mkdir_p(dir);
    DIR *dd = opendir(dir);
    if (!dd) {
        perror(dir);
        return 1;
    }
    struct dirent *e;
    char path[1024];
    while ((e = readdir(dd))) {
        size_t n = strlen(e->d_name);
        if (n > 3 && !strcmp(e->d_name + n - 3, ".h5")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(dd);
    char err[512];
    if (sw_h5_init(err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }
    fixture_run runs[NRUNS];
    int n = 0;
    for (int cell = 0; cell < SW_CELL_COUNT; cell++)
        for (long long seed = 1; seed <= 3 && n < NRUNS; seed++) {
            runs[n].cell = (sw_cell_kind)cell;
            runs[n].seed = seed;
            snprintf(runs[n].id, sizeof runs[n].id, "cell=%s,seed=%lld", sw_cell_name((sw_cell_kind)cell), seed);
            n++;
        }
    static decisions d;
    halve(runs, n, &d);
    sw_config cfgs[NRUNS];
    const char *ids[NRUNS];
    int bad = 0, stopped = 0;
    for (int i = 0; i < n; i++) {
        bad |= write_run(dir, &runs[i], &cfgs[i]);
        ids[i] = runs[i].id;
        stopped += runs[i].epochs < EPOCHS;
    }
    const char *text = "name: search-fixture\ngrid:\n  model.cell: [rnn, lstm, gru]\n  seed: [1, 2, 3]\n"
                       "task: {val_size: 16}\ntrain: {epochs: 9}\n"
                       "stop: {kind: sha, metric: val_acc, eta: 3, min_epochs: 1}\n";
    sw_index_spec spec = {.sweep_name = "search-fixture", .config_text = text, .run_ids = ids, .n_runs = n,
                          .swept_keys = swept, .n_swept = 2, .configs = cfgs};
    if (sw_h5_write_index(dir, &spec, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }
    if (write_decisions(dir, &d, stopped)) {
        fprintf(stderr, "fixture: cannot append /decisions to %s/sweep.h5\n", dir);
        return 1;
    }
    printf("sweep.h5\n");
    return bad;
}
