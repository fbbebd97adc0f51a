/* test_base_alloc: sw_alloc_large / sw_calloc_large (common.h): alignment, zeroing, sizes
 * on both sides of SW_LARGE_BYTES, and on Linux with transparent huge pages the kernel's
 * record of the advice (VmFlags "hg" in /proc/self/smaps) for a large block. */
#define _DEFAULT_SOURCE
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
        free(a);
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
        free(z);
    }
    return check_report("base_alloc");
}
