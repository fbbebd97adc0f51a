/* test_hdf5_fixture: writes a small sweep directory for the script tests (contract checker,
 * h5py, summarizer): real tiny runs of each cell trained by the engine, synthetic done,
 * diverged and failed runs, and the index sweep.h5 with one pending run.
 *
 * Usage: test_hdf5_fixture DIR     (DIR is emptied of .h5 files first)
 * Prints the file names it wrote, one per line, and exits 0 on success. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5write.h"
#include "index.h"
#include "runwrite.h"
#include "hdf5_synth.h"
#include "train.h"

static const char *swept[] = {"model.cell", "seed"};

static int write_one(const char *dir, const char *id, const sw_config *cfg, const sw_run_result *r)
{
    sw_run_meta meta = {id, "fixture", swept, 2, NULL};
    char err[512];
    if (sw_h5_write_run(dir, &meta, cfg, r, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }
    printf("%s.h5\n", id);
    return 0;
}

/* A tiny real run: T=8, I=3, H=6, L=2, 3 epochs. */
static void tiny_config(sw_config *cfg, sw_cell_kind cell, long long seed)
{
    sw_config_defaults(cfg);
    cfg->task.seq_len = 8;
    cfg->task.input_size = 3;
    cfg->task.train_size = 128;
    cfg->task.test_size = 64;
    cfg->task.signal_steps = 2;
    cfg->model.cell = cell;
    cfg->model.hidden = 6;
    cfg->model.layers = 2;
    cfg->train.epochs = 3;
    cfg->train.batch = 16;
    cfg->train.steps_per_epoch = 4;
    cfg->record.probe_size = 8;
    cfg->seed = seed;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    char cmd[1024];
    mkdir_p(dir);
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 3 && !strcmp(e->d_name + n - 3, ".h5")) {
            snprintf(cmd, sizeof cmd, "%s/%s", dir, e->d_name);
            unlink(cmd);
        }
    }
    closedir(d);
    char err[512];
    if (sw_h5_init(err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }
    int bad = 0;
    const char *ids[9];
    sw_config cfgs[9];
    int n = 0;
    /* real runs, one per recurrent cell */
    for (int cell = 0; cell < SW_CELL_TRANSFORMER; cell++) {
        static char names[SW_CELL_COUNT][64];
        snprintf(names[cell], sizeof names[cell], "cell=%s,seed=1", sw_cell_name((sw_cell_kind)cell));
        tiny_config(&cfgs[n], (sw_cell_kind)cell, 1);
        sw_run_result r;
        int rc = sw_train_run(&cfgs[n], NULL, &r);
        if (rc != SW_OK) {
            fprintf(stderr, "fixture: training %s: %s (%s)\n", names[cell], sw_strerror(rc), r.error);
            bad = 1;
        } else {
            bad |= write_one(dir, names[cell], &cfgs[n], &r);
        }
        sw_run_result_free(&r);
        ids[n++] = names[cell];
    }
    /* synthetic: two more seeds of rnn (done), a diverged lstm and a failed gru */
    struct {
        const char *id;
        sw_cell_kind cell;
        long long seed;
        sw_run_status status;
        int epochs;
    } syn[] = {{"cell=rnn,seed=2", SW_CELL_RNN, 2, SW_RUN_DONE, 6},
               {"cell=rnn,seed=3", SW_CELL_RNN, 3, SW_RUN_DONE, 6},
               {"cell=lstm,seed=2", SW_CELL_LSTM, 2, SW_RUN_DIVERGED, 3},
               {"cell=gru,seed=2", SW_CELL_GRU, 2, SW_RUN_FAILED, 2}};
    for (size_t i = 0; i < SW_ARRAY_LEN(syn); i++) {
        synth_config(&cfgs[n], syn[i].cell, syn[i].seed);
        sw_run_result r;
        if (synth_result(&r, &cfgs[n], syn[i].epochs, syn[i].status, syn[i].status == SW_RUN_FAILED)) {
            fprintf(stderr, "fixture: out of memory\n");
            return 1;
        }
        bad |= write_one(dir, syn[i].id, &cfgs[n], &r);
        sw_run_result_free(&r);
        ids[n++] = syn[i].id;
    }
    /* one listed run never written: pending */
    synth_config(&cfgs[n], SW_CELL_LSTM, 3);
    ids[n++] = "cell=lstm,seed=3";
    const char *text = "name: fixture\ngrid:\n  model.cell: [rnn, lstm, gru]\n  seed: [1, 2, 3]\n";
    sw_index_spec spec = {.sweep_name = "fixture", .config_text = text, .run_ids = ids, .n_runs = n,
                          .swept_keys = swept, .n_swept = 2, .configs = cfgs};
    if (sw_h5_write_index(dir, &spec, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return 1;
    }
    printf("sweep.h5\n");
    return bad;
}
