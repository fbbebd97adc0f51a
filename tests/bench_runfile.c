/* bench_runfile.c: what writing a run file and verifying it cost, without the training.
 *
 *   bench_runfile DIR [REPEATS] [hidden seq_len epochs]
 *
 * A synthetic result (tests/hdf5_synth.h: values in [-1, 1), which deflate cannot shrink,
 * like trained float tensors) of the reference config (configs/reference.yaml: rnn, 2
 * layers of H=64, T=20, 50 epochs), or of the given sizes, is written into DIR and verified
 * (sw_h5_verify_run, what `sweep index` does per file) REPEATS times; prints the median CPU
 * time (this process's user + system) of a write and of a verification, and the file's
 * size. BENCH_COMPRESS=none writes as record.compress none does. A benchmark, not a test:
 * compare builds by running them alternately. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hdf5_synth.h"
#include "h5write.h"
#include "runfile.h"
#include "runwrite.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_runfile DIR [REPEATS] [hidden seq_len epochs]\n");
        return 2;
    }
    sw_malloc_tune(); /* as sweep's main does */
    const char *dir = argv[1];
    int repeats = argc > 2 ? atoi(argv[2]) : 20;
    if (repeats < 1) repeats = 1;
    sw_config cfg;
    sw_config_defaults(&cfg);
    if (argc > 5) {
        cfg.model.hidden = atoi(argv[3]);
        cfg.task.seq_len = atoi(argv[4]);
        cfg.train.epochs = atoi(argv[5]);
    }
    const char *compress = getenv("BENCH_COMPRESS");
    if (compress && !strcmp(compress, "none")) cfg.record.compress = SW_COMPRESS_NONE;
    char err[512];
    mkdir_p(dir);
    if (sw_h5_init(err, sizeof err) != SW_OK) {
        fprintf(stderr, "bench_runfile: cannot use %s\n", dir);
        return 1;
    }
    sw_run_result r;
    if (synth_result(&r, &cfg, cfg.train.epochs, SW_RUN_DONE, 0) != 0) {
        fprintf(stderr, "bench_runfile: out of memory\n");
        return 1;
    }
    sw_run_meta meta = {"bench", "bench", NULL, 0, NULL};
    double *w = malloc((size_t)repeats * sizeof *w), *v = malloc((size_t)repeats * sizeof *v);
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.h5", dir);
    for (int i = 0; i < repeats; i++) {
        double t0 = cpu_now();
        if (sw_h5_write_run(dir, &meta, &cfg, &r, err, sizeof err) != SW_OK) {
            fprintf(stderr, "bench_runfile: %s\n", err);
            return 1;
        }
        double t1 = cpu_now();
        if (sw_h5_verify_run(path, NULL, err, sizeof err) != SW_OK) {
            fprintf(stderr, "bench_runfile: %s\n", err);
            return 1;
        }
        double t2 = cpu_now();
        w[i] = t1 - t0;
        v[i] = t2 - t1;
    }
    struct stat st;
    stat(path, &st);
    sw_record_sizes sizes;
    sw_record_sizes_planned(&cfg, &sizes);
    printf("H=%d T=%lld epochs %d: write %.2f ms, verify %.2f ms (medians of %d, CPU), file %lld bytes\n",
           cfg.model.hidden, sizes.n[SW_SIZE_STEPS], cfg.train.epochs, 1e3 * median(w, repeats), 1e3 * median(v, repeats),
           repeats, (long long)st.st_size);
    sw_run_result_free(&r);
    free(w);
    free(v);
    return 0;
}
