/* fuzz_index: the index reader (sw_h5_read_index_order) and the summarizer, which orders
 * runs by it, on structurally valid sweep.h5 files with the wrong types, shapes, attributes
 * and links (h5recipe.h: a recipe applied to an index written by sw_h5_write_index, with and
 * without a pending run, or to an empty file). The run files the index lists stay as
 * written: only sweep.h5 varies.
 *
 * Recipe byte 1 (options): bits 0-1 the summary's format, bit 2 one row per run. Properties
 * checked besides no crash and no sanitizer report: a readable index hands out as many
 * strings as it counts. FUZZ_VERBOSE=1 in the environment prints the count and the summary. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzz.h"
#include "fuzz_runs.h"
#include "h5read.h"
#include "index.h"
#include "h5recipe.h"
#include "summary.h"

static h5recipe *recipe;
static char index_path[4200];

static void *write_index(const char *dir, const char *const *ids, int n, const sw_config *cfgs, size_t *len)
{
    static const char *swept[] = {"model.cell", "seed"};
    char err[512];
    sw_index_spec spec = {.sweep_name = "fuzz", .config_text = "name: fuzz\n", .run_ids = ids, .n_runs = n,
                          .swept_keys = swept, .n_swept = 2, .configs = cfgs};
    if (sw_h5_write_index(dir, &spec, err, sizeof err)) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    void *image = fuzz_read_file(index_path, len);
    if (!image) abort();
    return image;
}

static void init(void)
{
    const char *dir = fuzz_scratch_dir();
    snprintf(index_path, sizeof index_path, "%s/sweep.h5", dir);
    const char *ids[FUZZ_N_RUNS + 1];
    sw_config cfgs[FUZZ_N_RUNS + 1];
    for (int i = 0; i < FUZZ_N_RUNS; i++) ids[i] = fuzz_write_run(dir, i, &cfgs[i]);
    ids[FUZZ_N_RUNS] = "never-written";
    cfgs[FUZZ_N_RUNS] = cfgs[0];
    const void *bases[2];
    size_t lens[2];
    bases[0] = write_index(dir, ids, FUZZ_N_RUNS + 1, cfgs, &lens[0]);
    bases[1] = write_index(dir, NULL, 0, NULL, &lens[1]);
    remove(index_path);
    int n_strings;
    const char *const *strings = fuzz_sweep_strings(&n_strings);
    recipe = h5recipe_create(bases, lens, 2, NULL, 0, strings, n_strings);
    free((void *)bases[0]);
    free((void *)bases[1]);
}

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!recipe) init();
    unsigned opt;
    if (h5recipe_build(recipe, data, size, index_path, &opt)) return 0;
    char **ids = NULL;
    int n = sw_h5_read_index_order(fuzz_scratch_dir(), &ids);
    SW_ASSERT(n < 0 ? ids == NULL : n == 0 || ids != NULL);
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "fuzz_index: index order: %d\n", n);
    for (int i = 0; i < n; i++) sink += strlen(ids[i]);
    sw_h5_free_names(ids, n > 0 ? n : 0);

    sw_summary_options so = {0};
    so.format = (sw_table_format)(opt % SW_TABLE_FORMAT_COUNT);
    so.per_run = (opt >> 2) & 1;
    char err[1024];
    FILE *out = getenv("FUZZ_VERBOSE") ? stderr : fuzz_devnull();
    sw_summarize(fuzz_scratch_dir(), &so, out, out, err, sizeof err);
    return 0;
}
