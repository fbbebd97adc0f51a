#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <sys/mman.h>
#endif

const char *sw_strerror(int err)
{
    switch (err) {
    case SW_OK: return "success";
    case SW_ENOMEM: return "out of memory";
    case SW_EINVAL: return "invalid argument";
    case SW_EIO: return "input/output error";
    case SW_EHDF5: return "HDF5 error";
    case SW_EDIVERGED: return "training diverged (loss is NaN or infinite)";
    case SW_EINTERRUPTED: return "interrupted";
    case SW_ECONFIG: return "configuration error";
    case SW_ETOOBIG: return "run would not fit in memory";
    case SW_ENOTFOUND: return "not found";
    case SW_EFORMAT: return "unexpected file format";
    case SW_EMPI: return "MPI error";
    default: return "unknown error";
    }
}

void sw_assert_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

void sw_set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

double sw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *sw_plural(long n)
{
    return n == 1 ? "" : "s";
}

void sw_format_bytes(double b, char *out, size_t outlen)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (b >= 1024 && u < 6) b /= 1024, u++;
    snprintf(out, outlen, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

void sw_format_shortest(char *out, size_t outlen, double v, double plain_below)
{
    if (v == floor(v) && fabs(v) < plain_below) {
        snprintf(out, outlen, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(out, outlen, "%.*g", p, v);
        if (strtod(out, NULL) == v) return;
    }
}

int sw_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return SW_EDIT_DISTANCE_FAR;
    int row[64]; /* one row of the table, updated in place; diag holds the entry above-left */
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* A run's big buffers are fresh mappings (sw_malloc_tune), faulted in page by page when
 * first written: the vanishing study's data sets at T=500 (110 MB a run) took 27,000 faults,
 * and a fault costs several microseconds under virtualisation (measured: page faults 6-7% of a
 * shortened study's CPU time). With huge pages the same block takes 55. */
#define HUGE_PAGE SW_HUGE_PAGE_BYTES

void *sw_alloc_large(size_t bytes)
{
    if (bytes < SW_LARGE_BYTES) return aligned_alloc(64, (bytes + 63) / 64 * 64);
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: without it, small pages */
#endif
    return p;
}

void *sw_calloc_large(size_t bytes)
{
    void *p = sw_alloc_large(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* glibc gives freed memory back to the system once 128 KiB lie free at the top of its
 * heap, and serves blocks of 128 KiB or more (after the first, of the largest size freed)
 * from fresh mappings: HDF5's chunk and filter buffers (up to 256 KiB each, for every array
 * of every run file written or read) then came from new pages, faulted in and zeroed, file
 * after file (measured: 40% of writing a reference run's file, 1.1% of the run's CPU time).
 * Blocks below 4 MiB come from the heap and up to 8 MiB stay there free: the training's
 * large buffers are still mapped apart, and what a process keeps unused is at most 8 MiB a
 * heap. */
void sw_malloc_tune(void)
{
#ifdef __GLIBC__
    if (getenv("GLIBC_TUNABLES") || getenv("MALLOC_TRIM_THRESHOLD_") || getenv("MALLOC_MMAP_THRESHOLD_")) return;
    mallopt(M_MMAP_THRESHOLD, (int)SW_LARGE_BYTES); /* sw_alloc_large's huge pages from here */
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
}
