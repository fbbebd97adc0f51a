/* test_base_alloc: sw_alloc_large / sw_calloc_large / sw_free_large (common.h): alignment,
 * zeroing, sizes on both sides of SW_LARGE_BYTES, and on Linux with transparent huge pages
 * the kernel's record of the advice (VmFlags "hg" in /proc/self/smaps) for a large block
 * and for the huge page inside a heap block of 4 MiB - 1;
 * the reuse of freed large blocks: only for the same rounded size, zeroed again by
 * sw_calloc_large, kept within the most live bytes so far and at most 8, from threads at
 * once. */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"

/* True when the mapping that holds `p` carries the huge-page advice; -1 when it cannot
 * be told (no /proc/self/smaps). */
static int advised_huge(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int inside = 0, advised = 0;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = a >= lo && a < hi;
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0) advised = strstr(line, " hg") != NULL;
    }
    fclose(f);
    return advised;
}

static int thp_available(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char s[128] = "";
    if (!f) return 0;
    if (!fgets(s, sizeof s, f)) s[0] = 0;
    fclose(f);
    return strstr(s, "[never]") == NULL && s[0] != 0;
}

#define MiB ((size_t)1 << 20)

static void check_invariant(const char *when)
{
    sw_large_usage u = sw_large_usage_now();
    CHECK(u.live_bytes + u.spare_bytes <= u.peak_bytes, "%s: %zu live + %zu kept > peak %zu", when, u.live_bytes,
          u.spare_bytes, u.peak_bytes);
}

static size_t count_not(const unsigned char *p, size_t n, unsigned char v)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] != v;
    return k;
}

/* A freed block serves the next request of its rounded size, not of another one. */
static void check_reuse(void)
{
    sw_large_release();
    size_t n = 5 * MiB + 7; /* 6 MiB rounded */
    unsigned char *a = sw_alloc_large(n);
    CHECK(a != NULL, "5 MiB");
    if (!a) return;
    memset(a, 0xA5, n);
    sw_free_large(a);
    sw_large_usage u0 = sw_large_usage_now();
    CHECK(u0.spare_bytes == 6 * MiB, "a freed 5 MiB block: %zu bytes kept, want 6 MiB", u0.spare_bytes);
    unsigned char *b = sw_alloc_large(6 * MiB - 1); /* the same rounded size */
    sw_large_usage u1 = sw_large_usage_now();
    CHECK(b == a && u1.reused == u0.reused + 1 && u1.spare_bytes == 0, "6 MiB - 1 after a freed 5 MiB: %p, not %p",
          (void *)b, (void *)a);
    if (b) memset(b, 0x5A, 6 * MiB - 1); /* all of it writable */
    sw_free_large(b);
    unsigned char *z = sw_calloc_large(n);
    sw_large_usage u2 = sw_large_usage_now();
    CHECK(z == a && u2.reused == u1.reused + 1, "sw_calloc_large after a freed block of its size: not reused");
    if (z) CHECK(count_not(z, n, 0) == 0, "a reused block from sw_calloc_large: %zu bytes not zero", count_not(z, n, 0));
    unsigned char *c = sw_alloc_large(6 * MiB + 1); /* 8 MiB rounded: not the kept 6 MiB one */
    sw_free_large(z);
    unsigned char *d = sw_alloc_large(6 * MiB + 1);
    sw_large_usage u3 = sw_large_usage_now();
    CHECK(c && d && d != a && u3.reused == u2.reused, "8 MiB got the kept 6 MiB block");
    if (d) memset(d, 1, 6 * MiB + 1);
    sw_free_large(c);
    sw_free_large(d);
    check_invariant("after reuse");
}

/* Live plus kept bytes stay within the most live bytes so far; at most 8 blocks kept. */
static void check_bound(void)
{
    sw_large_release();
    enum { N = 12 };
    unsigned char *p[N];
    for (int i = 0; i < N; i++) { /* 12 sizes, 4 to 26 MiB: none reuses another */
        p[i] = sw_alloc_large((size_t)(4 + 2 * i) * MiB);
        CHECK(p[i] != NULL, "block %d", i);
        if (p[i]) p[i][0] = 1;
    }
    for (int i = 0; i < N; i++) {
        sw_free_large(p[i]);
        check_invariant("freeing");
    }
    sw_large_usage u = sw_large_usage_now();
    size_t kept = 0;
    for (int i = N - 8; i < N; i++) kept += (size_t)(4 + 2 * i) * MiB; /* the 8 freed last */
    CHECK(u.live_bytes == 0 && u.spare_bytes == kept, "12 blocks freed: %zu bytes kept, want the last 8's %zu",
          u.spare_bytes, kept);
    /* More than the peak: every kept block goes. */
    size_t big = u.peak_bytes + 2 * MiB;
    unsigned char *q = sw_alloc_large(big);
    CHECK(q != NULL, "%zu bytes", big);
    u = sw_large_usage_now();
    CHECK(u.spare_bytes == 0 && u.live_bytes == big && u.peak_bytes == big,
          "a block above the peak: %zu bytes still kept, %zu live, peak %zu", u.spare_bytes, u.live_bytes, u.peak_bytes);
    sw_free_large(q);
    /* Half the kept block: fresh (another size), and the kept one goes, as both together
     * would exceed the peak. */
    long reused = u.reused;
    unsigned char *r = sw_alloc_large(big / 2);
    u = sw_large_usage_now();
    CHECK(r != q && u.reused == reused && u.spare_bytes == 0, "half the kept block: %zu bytes still kept", u.spare_bytes);
    sw_free_large(r);
    check_invariant("after the bound");
}

/* Threads allocating, filling and freeing blocks of a few sizes at once: each block holds
 * what its thread wrote until freed, and the bound holds at the end. */
static void *churn(void *arg)
{
    unsigned char tag = (unsigned char)(uintptr_t)arg;
    long bad = 0;
    for (int k = 0; k < 40; k++) {
        size_t n = (size_t)(4 + 2 * ((k + tag) % 3)) * MiB;
        unsigned char *p = sw_alloc_large(n);
        if (!p) return (void *)1;
        memset(p, tag, n);
        bad += count_not(p, n, tag) != 0;
        sw_free_large(p);
    }
    return (void *)(intptr_t)bad;
}

static void check_threads(void)
{
    sw_large_release();
    pthread_t th[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1)) == 0, "thread");
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL, "thread %d: a block changed under it (or out of memory)", i);
    }
    sw_large_usage u = sw_large_usage_now();
    CHECK(u.live_bytes == 0 && u.reused > 0, "threads: %zu bytes live after all freed, %ld reused", u.live_bytes, u.reused);
    check_invariant("after the threads");
}

int main(void)
{
    size_t sizes[] = {0, 1, 63, 4096, SW_LARGE_BYTES - 1, SW_LARGE_BYTES, 5 * SW_LARGE_BYTES / 2 + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        unsigned char *a = sw_alloc_large(n);
        CHECK(a != NULL, "sw_alloc_large(%zu)", n);
        if (!a) continue;
        CHECK((uintptr_t)a % 64 == 0, "sw_alloc_large(%zu) at %p: not 64-byte aligned", n, (void *)a);
        if (n >= SW_LARGE_BYTES)
            CHECK((uintptr_t)a % SW_HUGE_PAGE_BYTES == 0, "sw_alloc_large(%zu) at %p: not 2 MiB aligned", n, (void *)a);
        memset(a, 0xA5, n); /* every byte writable */
        sw_free_large(a);
        unsigned char *z = sw_calloc_large(n);
        CHECK(z != NULL, "sw_calloc_large(%zu)", n);
        if (!z) continue;
        size_t nonzero = 0;
        for (size_t k = 0; k < n; k++) nonzero += z[k] != 0;
        CHECK(nonzero == 0, "sw_calloc_large(%zu): %zu bytes not zero", n, nonzero);
        if (n >= SW_LARGE_BYTES && thp_available()) {
            int advised = advised_huge(z);
            CHECK(advised != 0, "sw_calloc_large(%zu): the mapping has no huge-page advice (VmFlags hg)", n);
        }
        if (n >= 2 * SW_HUGE_PAGE_BYTES - 1 && n < SW_LARGE_BYTES && thp_available()) {
            /* from the heap, the huge page that lies whole inside it advised */
            uintptr_t inside = ((uintptr_t)z + SW_HUGE_PAGE_BYTES - 1) / SW_HUGE_PAGE_BYTES * SW_HUGE_PAGE_BYTES;
            int advised = advised_huge((void *)inside);
            CHECK(advised != 0, "sw_calloc_large(%zu) from the heap: its whole huge page at %p has no advice", n,
                  (void *)inside);
        }
        sw_free_large(z);
    }
    sw_free_large(NULL);
    sw_free_large(malloc(100)); /* a heap block goes to free() */
    /* a size whose rounding to huge pages would wrap around (a saturated layout's) is refused,
     * not rounded to 0 and zeroed whole */
    CHECK(sw_alloc_large(SIZE_MAX) == NULL && sw_calloc_huge(SIZE_MAX) == NULL &&
              sw_calloc_huge(SIZE_MAX - 4096) == NULL,
          "a block of SIZE_MAX bytes granted");
    /* what the estimates count for a block is what the allocator takes */
    size_t block_sizes[] = {SW_LARGE_BYTES, SW_LARGE_BYTES + 1, 5 * SW_HUGE_PAGE_BYTES - 3};
    for (size_t i = 0; i < sizeof block_sizes / sizeof block_sizes[0]; i++) {
        sw_large_release();
        size_t before = sw_large_usage_now().live_bytes;
        void *p = sw_alloc_large(block_sizes[i]);
        size_t took = sw_large_usage_now().live_bytes - before;
        CHECK(p && took == sw_alloc_large_bytes(block_sizes[i]), "a block of %zu bytes took %zu, sw_alloc_large_bytes says %zu",
              block_sizes[i], took, sw_alloc_large_bytes(block_sizes[i]));
        sw_free_large(p);
    }
    CHECK(sw_alloc_large_bytes(100) == 128 && sw_alloc_large_bytes(SIZE_MAX) == SIZE_MAX, "small and saturated sizes");
    /* and sw_calloc_huge's padding of 2-4 MiB (the training work's block) */
    size_t huge_sizes[] = {SW_HUGE_PAGE_BYTES, SW_LARGE_BYTES - 1, SW_LARGE_BYTES + 1};
    for (size_t i = 0; i < sizeof huge_sizes / sizeof huge_sizes[0]; i++) {
        sw_large_release();
        size_t before = sw_large_usage_now().live_bytes;
        void *p = sw_calloc_huge(huge_sizes[i]);
        size_t took = sw_large_usage_now().live_bytes - before;
        CHECK(p && took == sw_calloc_huge_bytes(huge_sizes[i]), "a huge block of %zu bytes took %zu, "
              "sw_calloc_huge_bytes says %zu", huge_sizes[i], took, sw_calloc_huge_bytes(huge_sizes[i]));
        sw_free_large(p);
    }
    CHECK(sw_calloc_huge_bytes(SIZE_MAX - 4096) == SIZE_MAX, "a saturated huge block");
    size_t used = 128; /* sizes are rounded to 64 bytes, so offsets stay aligned */
    CHECK(sw_carve(NULL, &used, 1) == NULL && used == 192, "carve 1 byte at 128: now at %zu, want 192", used);
    CHECK(sw_carve(NULL, &used, SIZE_MAX - 10) == NULL && used == SIZE_MAX, "a carve past SIZE_MAX: at %zu", used);
    used = 128;
    char block[256];
    CHECK(sw_carve(block, &used, 64) == block + 128 && used == 192, "carve into a block: wrong place or size");
    check_reuse();
    check_bound();
    check_threads();
    sw_large_release();
    sw_large_usage u = sw_large_usage_now();
    CHECK(u.live_bytes == 0 && u.spare_bytes == 0, "at the end: %zu bytes live, %zu kept", u.live_bytes, u.spare_bytes);
    return check_report("base_alloc");
}
