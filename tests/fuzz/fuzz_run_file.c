/* fuzz_run_file: the run-file reader (sw_h5_read_run, sw_h5_run_is_complete) and the
 * summarizer over what it reads, on structurally valid HDF5 files with the wrong types,
 * shapes, attributes and links (h5recipe.h: the input is a recipe applied to one of the
 * synthetic run files of fuzz_runs.h, or to an empty file).
 *
 * Recipe byte 1 (options): bit 0 SW_READ_HISTORY, bit 1 SW_READ_GRADIENTS, bits 2-3 the
 * summary's format, bit 4 one row per run, bit 5 the run's per-epoch table. Properties
 * checked besides no crash and no sanitizer report: a failed read says why, and a read that
 * succeeds hands out arrays as long as the sizes it reports (every element is touched).
 * FUZZ_VERBOSE=1 in the environment prints what was read and the summary (on stderr). */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz.h"
#include "fuzz_runs.h"
#include "runfile.h"
#include "h5recipe.h"
#include "record.h"
#include "summary.h"

static h5recipe *recipe;
static char run_path[4200];

static void init(void)
{
    const char *dir = fuzz_scratch_dir();
    const void *bases[FUZZ_N_RUNS];
    size_t lens[FUZZ_N_RUNS];
    for (int i = 0; i < FUZZ_N_RUNS; i++) {
        sw_config cfg;
        const char *id = fuzz_write_run(dir, i, &cfg);
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.h5", dir, id);
        if (!(bases[i] = fuzz_read_file(path, &lens[i]))) abort();
        remove(path);
    }
    int n_strings;
    const char *const *strings = fuzz_sweep_strings(&n_strings);
    recipe = h5recipe_create(bases, lens, FUZZ_N_RUNS, NULL, 0, strings, n_strings);
    for (int i = 0; i < FUZZ_N_RUNS; i++) free((void *)bases[i]);
    snprintf(run_path, sizeof run_path, "%s/run.h5", dir);
}

static volatile double sink;

/* Reads every element of n doubles / floats / int32 (ASan checks the bounds). */
static void touch_f64(const double *a, long long n)
{
    for (long long i = 0; i < n; i++) sink += a[i];
}

static void check_read(const sw_run_file *f, unsigned what)
{
    if (what & SW_READ_HISTORY) {
        const sw_history *h = &f->history;
        SW_ASSERT(h->epochs >= 0);
        for (size_t i = 0; i < sw_record_len; i++) {
            const sw_record_row *row = &sw_record[i];
            void *field = sw_record_history_field(row, (sw_history *)h);
            if (!field || !sw_record_is_array(row) || row->type != SW_REC_F64) continue;
            const double *a = sw_record_array(field);
            SW_ASSERT(a || h->epochs == 0);
            if (a) touch_f64(a, h->epochs);
        }
    }
    if ((what & SW_READ_GRADIENTS) && f->grad_records > 0) {
        SW_ASSERT(f->grad_layers >= 0 && f->grad_steps >= 0);
        for (int r = 0; r < f->grad_records; r++) sink += f->grad_epoch[r];
        long long n = (long long)f->grad_records * f->grad_layers * f->grad_steps;
        for (long long i = 0; i < n; i++) sink += f->dloss_dh_norm[i];
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!recipe) init();
    unsigned opt;
    if (h5recipe_build(recipe, data, size, run_path, &opt)) return 0;
    sw_h5_run_is_complete(run_path);
    unsigned what = opt & (SW_READ_HISTORY | SW_READ_GRADIENTS);
    sw_run_file f;
    char err[1024] = "", id[256] = "";
    int rc = sw_h5_read_run(run_path, what, &f, err, sizeof err);
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_run_file: read %s: %s\n", sw_strerror(rc), err);
    if (rc == SW_OK) {
        check_read(&f, what);
        if (f.run_id) snprintf(id, sizeof id, "%s", f.run_id);
    } else {
        SW_ASSERT(err[0]);
    }
    sw_run_file_free(&f);

    sw_summary_options so = {0};
    so.format = (sw_table_format)((opt >> 2) % SW_TABLE_FORMAT_COUNT);
    so.per_run = (opt >> 4) & 1;
    if ((opt >> 5) & 1) so.history_run = id;
    FILE *out = getenv("FUZZ_VERBOSE") ? stderr : fuzz_devnull();
    sw_summarize(fuzz_scratch_dir(), &so, out, out, err, sizeof err);
    return 0;
}
