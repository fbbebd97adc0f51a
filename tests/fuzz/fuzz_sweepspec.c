/* fuzz_sweepspec: the sweep-file language from memory, through expansion and validation.
 *
 * Input: the sweep file's text, then optionally NUL-separated `--set KEY=VALUE` overrides
 * (at most 8): "name: x\ngrid: ...\0model.hidden=[4,8]\0seed=3". Everything
 * sw_sweep_spec_parse accepts is then printed as the --dry-run plan would be, which walks
 * every run id and swept value. Properties checked: no crash, no sanitizer report, and an
 * error always comes with a message; success means at least one run, each with an id.
 *
 * The sweep file is taken to live in the scratch directory, which holds a tiny data file
 * data.h5 (8 + 4 sequences of 5 steps x 3 inputs, 2 classes), so that `task.kind: file`
 * with `task.path: data.h5` resolves without reading a large data set. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz.h"
#include "dryrun.h"
#include "sweepspec.h"

#define MAX_SETS 8

static char sweep_path[4200];

static void write_data_file(const char *path)
{
    static const float x[8 * 5 * 3] = {0.5f, -1, 0.25f, 1, 0, 2};
    static const int y[8] = {0, 1, 1, 0, 1, 0, 0, 1};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t train_x[3] = {8, 5, 3}, test_x[3] = {4, 5, 3}, train_y = 8, test_y = 4;
    if (f < 0 || H5Gclose(H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Gclose(H5Gcreate2(f, "test", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5LTmake_dataset_float(f, "train/x", 3, train_x, x) < 0 || H5LTmake_dataset_int(f, "train/y", 1, &train_y, y) < 0 ||
        H5LTmake_dataset_float(f, "test/x", 3, test_x, x) < 0 || H5LTmake_dataset_int(f, "test/y", 1, &test_y, y) < 0 ||
        H5Fclose(f) < 0) {
        fprintf(stderr, "fuzz_sweepspec: cannot write %s\n", path);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sweep_path[0]) {
        char path[4200];
        snprintf(path, sizeof path, "%s/data.h5", fuzz_scratch_dir());
        write_data_file(path);
        snprintf(sweep_path, sizeof sweep_path, "%s/sweep.yaml", fuzz_scratch_dir());
    }
    /* A NUL-terminated copy: the parser gets the text's length, the overrides are C strings. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    size_t len = strlen(text);
    const char *sets[MAX_SETS];
    int n_sets = 0;
    for (size_t at = len; at < size && n_sets < MAX_SETS; at += strlen(text + at + 1) + 1)
        sets[n_sets++] = text + at + 1;

    sw_sweep_spec *spec = NULL;
    char err[1024] = "";
    int rc = sw_sweep_spec_parse(sweep_path, text, len, sets, n_sets, &spec, err, sizeof err);
    if (rc == SW_OK) {
        SW_ASSERT(spec && spec->n_runs > 0);
        for (int i = 0; i < spec->n_runs; i++) SW_ASSERT(spec->runs[i].id && spec->runs[i].id[0]);
        sw_sweep_print_plan(spec, 2, "/nonexistent-fuzz-dir/out", fuzz_devnull());
    } else {
        SW_ASSERT(!spec && err[0]);
    }
    sw_sweep_spec_free(spec);
    free(text);
    return 0;
}
