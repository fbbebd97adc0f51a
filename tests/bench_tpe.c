/* bench_tpe.c: how long TPE takes to propose a round, against the number of earlier points.
 *
 * The space of the search benchmark (tests/bench_search.py: loguniform lr, int_loguniform
 * hidden, uniform dropout, loguniform clip, a choice of 3 cells); N earlier points drawn
 * at random with a smooth loss of their values (a tenth of them stopped early, as with
 * stop: sha), then one round of B points proposed after them (sw_tpe_round: the constant
 * liar included), timed on one thread. Prints the median of R repeats per N, per round and
 * per point, in milliseconds.
 *
 * Usage: bench_tpe [--points 10,100,1000] [--batch 8] [--repeats 5] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"
#include "tpe.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    char points[256] = "10,100,1000";
    int batch = 8, repeats = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--points")) snprintf(points, sizeof points, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_tpe [--points 10,100,1000] [--batch 8] [--repeats 5]\n");
            return 2;
        }
    }
    if (batch < 1 || repeats < 1) return 2;
    const sw_tpe_dim dims[5] = {{SW_DIST_LOGUNIFORM, 1e-4, 3e-2, 0},
                                {SW_DIST_INT_LOGUNIFORM, 8, 128, 0},
                                {SW_DIST_UNIFORM, 0, 0.5, 0},
                                {SW_DIST_LOGUNIFORM, 0.1, 10, 0},
                                {SW_DIST_CHOICE, 0, 2, 3}};
    sw_tpe_space s = {5, dims, 1, NULL, NULL};
    printf("TPE: one round of %d points after N earlier ones (5 keys, one thread), median of %d\n", batch, repeats);
    printf("%8s %14s %14s\n", "N", "ms per round", "ms per point");
    for (char *tok = strtok(points, ","); tok; tok = strtok(NULL, ",")) {
        int n = atoi(tok);
        if (n < 1) continue;
        double *x = malloc((size_t)(n + batch) * 5 * sizeof *x), *score = malloc((size_t)batch * sizeof *score);
        sw_tpe_result *r = malloc((size_t)(n + batch) * sizeof *r);
        sw_tpe_origin *how = malloc((size_t)batch * sizeof *how);
        double *ms = malloc((size_t)repeats * sizeof *ms);
        if (!x || !score || !r || !how || !ms) return 1;
        sw_rng g;
        sw_rng_init(&g, 42, 1);
        for (int i = 0; i < n; i++) {
            double *p = &x[(size_t)i * 5];
            for (int d = 0; d < 5; d++) {
                double u = sw_rng_uniform(&g);
                p[d] = dims[d].dist == SW_DIST_CHOICE ? floor(u * 3)
                                                      : sw_samplers[dims[d].dist].map(u, dims[d].lo, dims[d].hi);
            }
            double loss = fabs(log(p[0]) - log(3e-3)) + 0.3 * fabs(log(p[1]) - log(48)) + p[2] + (p[4] == 0);
            r[i] = (sw_tpe_result){i % 10 == 9 ? SW_TPE_STOPPED : SW_TPE_DONE, 1, loss};
        }
        for (int k = 0; k < repeats; k++) {
            double t0 = sw_now();
            if (sw_tpe_round(&s, x, r, n, batch, score, how) != SW_OK) return 1;
            ms[k] = (sw_now() - t0) * 1e3;
        }
        qsort(ms, (size_t)repeats, sizeof *ms, cmp_double);
        printf("%8d %14.2f %14.3f\n", n, ms[repeats / 2], ms[repeats / 2] / batch);
        free(x), free(score), free(r), free(how), free(ms);
    }
    return 0;
}
