/* test_version_threads.c: the build's version strings, asked for by several threads at once.
 *
 * Runs write their files from the sweep's threads, each writing the "program" and
 * "library_versions" attributes. The strings were once composed lazily into static buffers
 * with no synchronisation, and a thread that came second could copy the first one's
 * half-written text into its run file (two sweeps' files then differed in those attributes).
 * Here eight threads leave a barrier together and make a process's first calls; every copy
 * must be whole and the same. Only a process's first calls can race, so each try is a child
 * process of its own. With the strings composed unsynchronised, 19 of 20 runs of this test
 * failed here (10 of one run's 40 tries). The ThreadSanitizer pass (label tsan) runs it too. */
#include <omp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "version.h"

#define THREADS 8
#define TRIES 40

/* One try, in a child process that has made no call yet: 0 when every thread read the whole strings. */
static int first_calls_from_threads(void)
{
    static char program[THREADS][512], libraries[THREADS][512];
#pragma omp parallel num_threads(THREADS)
    {
        int t = omp_get_thread_num();
#pragma omp barrier
        const char *p = sw_version_string();
        const char *l = sw_library_versions();
        strncpy(program[t], p, sizeof program[t] - 1);
        strncpy(libraries[t], l, sizeof libraries[t] - 1);
    }
    const char *program_now = sw_version_string(), *libraries_now = sw_library_versions();
    CHECK(!strncmp(program_now, "sweep ", 6), "program \"%s\"", program_now);
    CHECK(strstr(libraries_now, "hdf5 ") && strstr(libraries_now, "; libyaml ") && strstr(libraries_now, "; openmp "),
          "library_versions \"%s\"", libraries_now);
    CHECK(strstr(program_now, libraries_now) != NULL, "program \"%s\" names \"%s\"", program_now, libraries_now);
    for (int t = 0; t < THREADS; t++) {
        if (!program[t][0]) continue; /* the team had fewer threads */
        CHECK(!strcmp(program[t], program_now), "thread %d read program \"%s\", not \"%s\"", t, program[t],
              program_now);
        CHECK(!strcmp(libraries[t], libraries_now), "thread %d read library_versions \"%s\", not \"%s\"", t,
              libraries[t], libraries_now);
    }
    return check_failed_count != 0;
}

int main(void)
{
    /* The parent starts no OpenMP team: each child makes its own, as a fresh process would. */
    int failed_tries = 0;
    for (int i = 0; i < TRIES; i++) {
        fflush(NULL);
        pid_t child = fork();
        CHECK(child >= 0, "fork");
        if (child < 0) break;
        if (child == 0) _exit(first_calls_from_threads());
        int status = 0;
        CHECK(waitpid(child, &status, 0) == child, "waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed_tries++;
    }
    CHECK(failed_tries == 0, "%d of %d processes read a partial or different version string", failed_tries, TRIES);
    return check_report("version threads");
}
