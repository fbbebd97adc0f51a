/* test_tsan_selfcheck.c MODE (SWEEP_TSAN builds only): that the ThreadSanitizer pass can fail.
 *   race    two OpenMP threads write one variable unsynchronised: ThreadSanitizer must
 *           report it (the test expects its exit status, tests/CMakeLists.txt);
 *   synced  each thread writes its own half, a barrier, then one thread reads both halves
 *           and both add through a reduction: synchronised by OpenMP alone (its barrier and
 *           reduction, which LLVM's OpenMP runtime reports to ThreadSanitizer through its
 *           Archer tool), so a report here means the pass takes OpenMP's own synchronisation
 *           for races and its reports on sweep's code would mean nothing. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

static int shared_value;
static double halves[2][4096];

static int race(void)
{
#pragma omp parallel num_threads(2)
    shared_value += omp_get_thread_num() + 1; /* the race */
    return shared_value > 0 ? 0 : 1;
}

static int synced(void)
{
    double sum = 0, total = 0;
#pragma omp parallel num_threads(2) reduction(+ : total)
    {
        int t = omp_get_thread_num();
        for (int i = 0; i < 4096; i++) halves[t][i] = t + i;
#pragma omp barrier
#pragma omp single
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 4096; i++) sum += halves[h][i];
        for (int i = t; i < 4096; i += 2) total += halves[0][i];
    }
    printf("%g %g\n", sum, total);
    return sum > 0 && total > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "race")) return race();
    if (argc == 2 && !strcmp(argv[1], "synced")) return synced();
    fprintf(stderr, "usage: test_tsan_selfcheck race|synced\n");
    return 2;
}
