#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "common.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
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

/* b in the largest unit it has at least one of; shown with one decimal (none in bytes),
 * rounded to the nearest or up. */
static void format_bytes(double b, int up, char *out, size_t outlen)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (b >= 1024 && u < 6) b /= 1024, u++;
    double step = u ? 0.1 : 1;
    /* the quotient is a little above a whole number of steps when b is one (5.4 / 0.1) */
    if (up) b = ceil(b / step * (1 - 1e-12)) * step;
    snprintf(out, outlen, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

void sw_format_bytes(double b, char *out, size_t outlen)
{
    format_bytes(b, 0, out, outlen);
}

void sw_format_bytes_up(double b, char *out, size_t outlen)
{
    format_bytes(b, 1, out, outlen);
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

/* A sweep's runs allocate the same large blocks again and again (the seeds of one config:
 * data sets and work areas of equal sizes), and each fresh block was faulted in and zeroed
 * by the kernel anew (clear_page_erms: 4% of the vanishing study's CPU time). A freed large
 * block is therefore kept as a spare and handed out again for the same rounded size. The
 * spares are bounded: live plus spare bytes never exceed the most live bytes at any time so
 * far, which the process held anyway, so its peak is what it would be without the reuse (and
 * --dry-run's memory estimate still holds); and at most LARGE_SPARE_MAX blocks, the oldest
 * freed first. */
#define LARGE_SPARE_MAX 8

typedef struct {
    void *p;
    size_t bytes; /* rounded to HUGE_PAGE */
} large_block;

static struct {
    pthread_mutex_t lock;
    large_block *live; /* blocks handed out, in order of allocation */
    size_t n_live, cap_live;
    large_block spare[LARGE_SPARE_MAX]; /* freed blocks kept, oldest first */
    size_t n_spare;
    sw_large_usage usage;
} large = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void take_spare(size_t i)
{
    large.usage.spare_bytes -= large.spare[i].bytes;
    large.n_spare--;
    memmove(&large.spare[i], &large.spare[i + 1], (large.n_spare - i) * sizeof *large.spare);
}

static void forget_live(size_t i)
{
    large.usage.live_bytes -= large.live[i].bytes;
    large.n_live--;
    memmove(&large.live[i], &large.live[i + 1], (large.n_live - i) * sizeof *large.live);
}

/* A fresh block of `rounded` bytes, registered as live; the lock is held and the live list
 * has room. The oldest spares
 * go first, into `evicted` (freed by the caller, after the lock), while the total would
 * exceed the peak that this block makes. NULL when out of memory. */
static void *fresh_large_locked(size_t rounded, void **evicted, size_t *n_evicted)
{
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: without it, small pages */
#endif
    for (size_t i = 0; i < large.n_live; i++) /* freed with free() instead of sw_free_large */
        if (large.live[i].p == p) forget_live(i--);
    sw_large_usage *u = &large.usage;
    u->live_bytes += rounded;
    if (u->live_bytes > u->peak_bytes) u->peak_bytes = u->live_bytes;
    while (large.n_spare && u->live_bytes + u->spare_bytes > u->peak_bytes) {
        evicted[(*n_evicted)++] = large.spare[0].p;
        take_spare(0);
    }
    large.live[large.n_live++] = (large_block){p, rounded};
    u->fresh++;
    return p;
}

/* A block below SW_LARGE_BYTES, from the heap; from one huge page up, the huge pages that
 * lie whole inside it are advised as such: the reference run's data set (4.0 MB) took some
 * 1000 page faults, and its memory, freed, still serves HDF5's buffers from the heap. */
static void *heap_block(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && bytes >= HUGE_PAGE) {
        uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        uintptr_t hi = ((uintptr_t)p + bytes) / HUGE_PAGE * HUGE_PAGE;
        if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return p;
}

size_t sw_alloc_large_bytes(size_t bytes)
{
    size_t unit = bytes < SW_LARGE_BYTES ? 64 : HUGE_PAGE;
    return bytes > SIZE_MAX - unit ? SIZE_MAX : (bytes + unit - 1) / unit * unit;
}

double sw_alloc_large_bytes_of(double bytes)
{
    return bytes < (double)SIZE_MAX ? (double)sw_alloc_large_bytes((size_t)bytes) : bytes;
}

void *sw_alloc_large(size_t bytes)
{
    if (bytes < SW_LARGE_BYTES) return heap_block(bytes);
    if (bytes > SIZE_MAX - HUGE_PAGE) return NULL; /* its rounding would wrap around */
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL, *evicted[LARGE_SPARE_MAX];
    size_t n_evicted = 0;
    pthread_mutex_lock(&large.lock);
    if (large.n_live == large.cap_live) { /* room to register the block */
        size_t cap = large.cap_live ? 2 * large.cap_live : 16;
        large_block *more = realloc(large.live, cap * sizeof *more);
        if (!more) {
            pthread_mutex_unlock(&large.lock);
            return NULL;
        }
        large.live = more, large.cap_live = cap;
    }
    for (size_t i = large.n_spare; i-- > 0 && !p;) /* the most recently freed: warm in cache */
        if (large.spare[i].bytes == rounded) {
            p = large.spare[i].p;
            take_spare(i);
            large.live[large.n_live++] = (large_block){p, rounded};
            large.usage.live_bytes += rounded;
            large.usage.reused++;
        }
    if (!p) p = fresh_large_locked(rounded, evicted, &n_evicted);
    pthread_mutex_unlock(&large.lock);
    for (size_t i = 0; i < n_evicted; i++) free(evicted[i]);
    return p;
}

void *sw_calloc_large(size_t bytes)
{
    void *p = sw_alloc_large(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void *sw_carve(char *base, size_t *used, size_t bytes)
{
    size_t aligned = bytes <= SIZE_MAX - 63 ? (bytes + 63) & ~(size_t)63 : SIZE_MAX;
    void *at = base ? base + *used : NULL;
    *used = aligned <= SIZE_MAX - *used ? *used + aligned : SIZE_MAX;
    return at;
}

/* What sw_calloc_huge asks sw_calloc_large for: a block of 2-4 MiB padded to SW_LARGE_BYTES. */
static size_t huge_request(size_t bytes)
{
    return bytes >= HUGE_PAGE && bytes < SW_LARGE_BYTES ? SW_LARGE_BYTES : bytes;
}

void *sw_calloc_huge(size_t bytes)
{
    return sw_calloc_large(huge_request(bytes));
}

size_t sw_calloc_huge_bytes(size_t bytes)
{
    return sw_alloc_large_bytes(huge_request(bytes));
}

void sw_free_large(void *p)
{
    if (!p) return;
    void *evicted = NULL;
    size_t i = 0;
    pthread_mutex_lock(&large.lock);
    while (i < large.n_live && large.live[i].p != p) i++;
    if (i == large.n_live) { /* not a large block: from the heap */
        pthread_mutex_unlock(&large.lock);
        free(p);
        return;
    }
    large_block b = large.live[i];
    forget_live(i);
    if (large.n_spare == LARGE_SPARE_MAX) {
        evicted = large.spare[0].p;
        take_spare(0);
    }
    large.spare[large.n_spare++] = b;
    large.usage.spare_bytes += b.bytes;
    pthread_mutex_unlock(&large.lock);
    free(evicted);
}

void sw_large_release(void)
{
    pthread_mutex_lock(&large.lock);
    for (size_t i = 0; i < large.n_spare; i++) free(large.spare[i].p);
    large.n_spare = 0;
    large.usage.spare_bytes = 0;
    pthread_mutex_unlock(&large.lock);
}

sw_large_usage sw_large_usage_now(void)
{
    pthread_mutex_lock(&large.lock);
    sw_large_usage u = large.usage;
    pthread_mutex_unlock(&large.lock);
    return u;
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
