/* dump_task_data: the sequences and targets a run trains, validates, tests and probes on,
 * exactly as the engine is handed them, written to HDF5 for an independent check
 * (tests/test_task_sequences.py rebuilds them with numpy from the IDX bytes and the text).
 *
 * Usage: dump_task_data CONFIG.yaml OUT.h5 [KEY=VALUE ...]
 *
 * The config is expanded as `sweep` does (sw_sweep_spec_load: the data file or text read
 * and checked, the sizes resolved); its first run's sets come from task.c's
 * sw_task_data_make, given what sweep.c gives a run. OUT.h5 holds, for set in train, val,
 * test, probe: /<set>/x float32 (N,T,I) as the network sees it (task.permute applied,
 * sw_dataset_copy_inputs), /<set>/y int32 (N) or (N,T), or /<set>/v float32 (N,K); and
 * /steps int32 (T) when the steps are permuted, /vocabulary int32 (V) and the attributes
 * unigram and utf8 for a text; root attributes seq_len, input_size, train_size, val_size,
 * test_size. Exit status 0, or 2 with the message on stderr (as sweep). */
#include <hdf5.h>
#include <hdf5_hl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"
#include "sweepspec.h"
#include "task.h"

static int write_set(hid_t f, const char *name, const sw_dataset *d)
{
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    size_t T = (size_t)d->seq_len, I = (size_t)d->input;
    float *x = malloc(((size_t)d->n * T * I + 1) * sizeof *x);
    int rc = x ? 0 : -1;
    if (!rc) sw_dataset_copy_inputs(d, 0, d->n, x);
    hsize_t xd[3] = {(hsize_t)d->n, T, I};
    if (!rc) rc = H5LTmake_dataset_float(g, "x", 3, xd, x);
    if (!rc && d->y) {
        hsize_t yd[2] = {(hsize_t)d->n, T};
        rc = H5LTmake_dataset_int(g, "y", d->target == SW_TARGET_CLASS_STEPS ? 2 : 1, yd, d->y);
    }
    if (!rc && d->v) {
        hsize_t vd[2] = {(hsize_t)d->n, (hsize_t)d->outputs};
        rc = H5LTmake_dataset_float(g, "v", 2, vd, d->v);
    }
    free(x);
    H5Gclose(g);
    return rc;
}

static int write_all(const char *path, const sw_config *cfg, const sw_task_data *d, const sw_text *text)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return -1;
    const sw_task_config *t = &cfg->task;
    int sizes[5] = {t->seq_len, t->input_size, t->train_size, t->val_size, t->test_size};
    const char *names[5] = {"seq_len", "input_size", "train_size", "val_size", "test_size"};
    int rc = 0;
    for (int i = 0; i < 5 && !rc; i++) rc = H5LTset_attribute_int(f, "/", names[i], &sizes[i], 1);
    if (!rc) rc = write_set(f, "train", &d->train);
    if (!rc) rc = write_set(f, "val", &d->val);
    if (!rc) rc = write_set(f, "test", &d->test);
    if (!rc) rc = write_set(f, "probe", &d->probe);
    hsize_t n = (hsize_t)t->seq_len;
    if (!rc && d->steps) rc = H5LTmake_dataset_int(f, "steps", 1, &n, d->steps);
    if (!rc && text) {
        hsize_t v = (hsize_t)text->vocab_size;
        rc = H5LTmake_dataset_int(f, "vocabulary", 1, &v, text->vocab);
        if (!rc) rc = H5LTset_attribute_double(f, "/", "unigram", &text->unigram, 1);
        if (!rc) rc = H5LTset_attribute_int(f, "/", "utf8", &text->utf8, 1);
    }
    H5Fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CONFIG.yaml OUT.h5 [KEY=VALUE ...]\n", argv[0]);
        return 2;
    }
    sw_sweep_spec *spec = NULL;
    char err[2048];
    if (sw_sweep_spec_load(argv[1], (const char **)argv + 3, argc - 3, &spec, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    const sw_config *cfg = &spec->runs[0].cfg;
    const sw_data_file *file = NULL;
    const sw_text *text = NULL;
    sw_task_source src = {0};
    if (cfg->task.kind == SW_TASK_FILE && !sw_data_open(cfg->task.path, &file, err, sizeof err)) {
        src.train = &file->train;
        src.test = &file->test;
    }
    if (cfg->task.kind == SW_TASK_TEXT && !sw_text_open(cfg->task.path, &text, err, sizeof err)) src.text = text;
    sw_task_data d;
    int rc = sw_task_data_make(&d, &cfg->task, cfg->record.probe_size, (uint64_t)cfg->seed, &src);
    if (rc) fprintf(stderr, "sw_task_data_make: %s\n", sw_strerror(rc));
    if (!rc && write_all(argv[2], cfg, &d, text)) {
        fprintf(stderr, "%s: cannot be written\n", argv[2]);
        rc = -1;
    }
    sw_task_data_free(&d);
    sw_sweep_spec_free(spec);
    sw_data_cache_clear();
    return rc ? 1 : 0;
}
