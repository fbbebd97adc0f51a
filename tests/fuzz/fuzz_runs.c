/* fuzz_runs.c: the base run files and sweep's names (fuzz_runs.h). */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_runs.h"

#include <stdio.h>
#include <stdlib.h>

#include "h5write.h"
#include "runwrite.h"
#include "hdf5_synth.h"
#include "task.h"

static const struct {
    const char *id;
    sw_cell_kind cell;
    sw_task_kind task;
    sw_run_status status;
    int epochs;
} runs[FUZZ_N_RUNS] = {
    {"cell=gru,seed=1", SW_CELL_GRU, SW_TASK_FIRST_SIGN, SW_RUN_DONE, 6},
    {"cell=lstm,seed=2", SW_CELL_LSTM, SW_TASK_FIRST_SIGN, SW_RUN_DIVERGED, 3},
    {"cell=rnn,seed=3", SW_CELL_RNN, SW_TASK_FIRST_SIGN, SW_RUN_FAILED, 2},
    {"task=adding,seed=4", SW_CELL_GRU, SW_TASK_ADDING, SW_RUN_DONE, 6},
};

void fuzz_h5_init(void)
{
    static int done;
    char err[512];
    if (done) return;
    if (sw_h5_init(err, sizeof err)) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    done = 1;
}

const char *fuzz_write_run(const char *dir, int i, sw_config *cfg)
{
    static const char *swept[] = {"model.cell", "seed"};
    char err[512];
    const char *bad = NULL;
    fuzz_h5_init();
    synth_config(cfg, runs[i].cell, i + 1);
    cfg->task.kind = runs[i].task;
    if (runs[i].task != SW_TASK_FIRST_SIGN) cfg->task.input_size = 0;
    sw_run_result r;
    if (sw_task_resolve(&cfg->task, NULL, err, sizeof err, &bad) ||
        synth_result(&r, cfg, runs[i].epochs, runs[i].status, runs[i].status == SW_RUN_FAILED)) {
        fprintf(stderr, "fuzz: base run %d: %s\n", i, err);
        abort();
    }
    sw_run_meta meta = {runs[i].id, "fuzz", swept, 2, NULL};
    if (sw_h5_write_run(dir, &meta, cfg, &r, err, sizeof err)) {
        fprintf(stderr, "fuzz: base run %d: %s\n", i, err);
        abort();
    }
    sw_run_result_free(&r);
    return runs[i].id;
}

const char *const *fuzz_sweep_strings(int *n)
{
    static const char **list;
    static int count;
    if (!list) {
        static const char *const fixed[] = {"sweep-run", "sweep-index", "done", "diverged", "failed", "pending",
                                            "test_acc", "test_loss", "min", "max", "sweep", "sweep.h5"};
        size_t cap = SW_ARRAY_LEN(fixed) + FUZZ_N_RUNS + sw_schema_len;
        for (size_t k = 0; k < sw_schema_len; k++)
            for (int c = 0; sw_schema[k].choices && sw_schema[k].choices[c]; c++) cap++;
        list = malloc(cap * sizeof *list);
        if (!list) abort();
        for (size_t i = 0; i < SW_ARRAY_LEN(fixed); i++) list[count++] = fixed[i];
        for (int i = 0; i < FUZZ_N_RUNS; i++) list[count++] = runs[i].id;
        for (size_t k = 0; k < sw_schema_len; k++) {
            list[count++] = sw_schema[k].key;
            for (int c = 0; sw_schema[k].choices && sw_schema[k].choices[c]; c++) list[count++] = sw_schema[k].choices[c];
        }
    }
    *n = count;
    return list;
}
