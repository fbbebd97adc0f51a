/* common.h: error codes, the always-on assert, and the scalar type of the engine.
 *
 * Library functions return 0 (SW_OK) or a negative SW_E* code; sw_strerror() names it.
 * Only main() exits. SW_ASSERT stays on in Release builds: it guards invariants whose
 * violation would otherwise corrupt results silently. */
#ifndef SWEEP_COMMON_H
#define SWEEP_COMMON_H

#include <stddef.h>

#define SWEEP_VERSION "0.1.0"

/* The engine computes in float; the test build defines SW_REAL_DOUBLE so that finite
 * differences and the PyTorch float64 vectors can be compared with tight tolerances. */
#ifdef SW_REAL_DOUBLE
typedef double sw_real;
#define SW_SQRT sqrt
#else
typedef float sw_real;
#define SW_SQRT sqrtf
#endif

enum sw_error {
    SW_OK = 0,
    SW_ENOMEM = -1,      /* allocation failed */
    SW_EINVAL = -2,      /* invalid argument or value */
    SW_EIO = -3,         /* file system error (errno has the detail) */
    SW_EHDF5 = -4,       /* the HDF5 library reported an error */
    SW_EDIVERGED = -5,   /* loss became NaN or infinite */
    SW_EINTERRUPTED = -6,/* stopped by request (Ctrl-C) */
    SW_ECONFIG = -7,     /* configuration error (message carries the detail) */
    SW_ETOOBIG = -8,     /* a run would not fit in memory */
    SW_ENOTFOUND = -9,   /* missing file, key or object */
    SW_EFORMAT = -10,    /* a file is not in the expected format */
    SW_EMPI = -11,       /* MPI reported an error */
    SW_ERROR_COUNT = 12
};

/* Returns a static, human-readable description of an SW_E* code (never NULL). */
const char *sw_strerror(int err);

/* Reports "file:line: assertion failed: expr" on stderr and aborts. */
void sw_assert_fail(const char *file, int line, const char *expr);

#define SW_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond)) sw_assert_fail(__FILE__, __LINE__, #cond);                \
    } while (0)

#define SW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Marks a printf-like function (format string is argument fmt_index, its values start at
 * first_arg, 0 for a va_list) so that compilers check every call's format and arguments.
 * Placed before a definition: SW_PRINTF(3, 4) static int fail(x, y, const char *fmt, ...) */
#if defined(__GNUC__)
#define SW_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define SW_PRINTF(fmt_index, first_arg)
#endif

/* Formats a message into err (errlen bytes, always terminated); does nothing when err is
 * NULL or errlen is 0. The one way library functions fill their `err` arguments. */
void sw_set_error(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Monotonic wall clock in seconds. */
double sw_now(void);

/* Settles the C library's allocator for a process that writes and reads many files (glibc:
 * blocks below 4 MiB from the heap, up to 8 MiB of it kept free; see common.c). Call it once
 * at the start of main, before any thread; it leaves the environment's own settings
 * (MALLOC_*_, GLIBC_TUNABLES) in force. Nothing elsewhere. */
void sw_malloc_tune(void);

/* A large block (a run's data set, its training buffers): `bytes` bytes aligned to 64, of
 * unspecified contents (a reused block holds what it held), freed with sw_free_large; NULL
 * when out of memory. Thread-safe. From SW_LARGE_BYTES up it is aligned to 2 MiB and the
 * kernel is asked to back it with huge pages (Linux's transparent huge pages, when they are
 * enabled for those who ask): one page fault per 2 MiB instead of 512, which cost a run's
 * setup more than writing the data; and a freed block of the same size (rounded to 2 MiB)
 * is handed out again when one is kept (see common.c and sw_large_usage). A smaller block
 * comes from the heap, the huge pages that lie whole inside it advised as such. */
void *sw_alloc_large(size_t bytes);

/* The bytes of memory sw_alloc_large (and sw_calloc_large) take for a block of `bytes`:
 * from SW_LARGE_BYTES up whole huge pages, below it the heap's 64-byte multiple (SIZE_MAX
 * when the rounding would pass it). For estimates of a run's memory. */
size_t sw_alloc_large_bytes(size_t bytes);

/* sw_alloc_large_bytes for an estimate's byte count in a double; one at SIZE_MAX or
 * beyond (an estimate that saturated) is returned as it is. */
double sw_alloc_large_bytes_of(double bytes);

/* Frees a block of sw_alloc_large or sw_calloc_large, or any block of malloc and its
 * family (given to free()); NULL does nothing. A large block is kept for reuse while live
 * plus kept bytes stay within the most live bytes so far, at most 8 blocks; the others are
 * given back to the system. Thread-safe. */
void sw_free_large(void *p);

/* Gives every kept large block back to the system (end of a sweep, tests). Thread-safe. */
void sw_large_release(void);

/* The large blocks' accounting, for tests and measurements: bytes live and kept, the most
 * live bytes at any time (live + spare never exceeds it), blocks allocated fresh and reused. */
typedef struct {
    size_t live_bytes, spare_bytes, peak_bytes;
    long fresh, reused;
} sw_large_usage;
sw_large_usage sw_large_usage_now(void);

/* The size from which sw_alloc_large uses huge pages: sw_malloc_tune's mmap threshold, so
 * that only blocks that would be fresh mappings anyway get them. A smaller block comes from
 * the heap, whose freed memory, already faulted in, serves what the process allocates next
 * (a run's data set, then HDF5's buffers for its file: with that data set on huge pages the
 * buffers took fresh pages, and writing the reference run's file cost 1.4-1.5x). */
#define SW_LARGE_BYTES ((size_t)4 << 20)

/* A huge page: the alignment and rounding of sw_alloc_large's large blocks. */
#define SW_HUGE_PAGE_BYTES ((size_t)2 << 20)

/* Carves `bytes` out of a block at *used (advanced), 64-byte aligned, and returns where
 * (NULL with base NULL: a layout only counts its size this way). A size that would pass
 * SIZE_MAX stays at SIZE_MAX, which no allocation grants. */
void *sw_carve(char *base, size_t *used, size_t bytes);

/* sw_alloc_large's block, zeroed. */
void *sw_calloc_large(size_t bytes);

/* sw_calloc_large's block, but from one huge page up always whole on huge pages (a block of
 * 2-4 MiB is padded to SW_LARGE_BYTES rather than taken from the heap): for buffers that are
 * written all over at once, whose small pages would each be a fault, and whose memory is not
 * wanted back on the heap when freed. Freed with sw_free_large. */
void *sw_calloc_huge(size_t bytes);

/* The bytes of memory sw_calloc_huge takes for a block of `bytes` (as sw_alloc_large_bytes;
 * SIZE_MAX when the rounding would pass it). */
size_t sw_calloc_huge_bytes(size_t bytes);

/* "s" unless n is 1, for counts in messages ("%d run%s", n, sw_plural(n)). */
const char *sw_plural(long n);

/* The shortest decimal text (printf %g style) that reads back as exactly v; whole numbers
 * with |v| < plain_below in plain digits ("30", not "3e+01"). */
void sw_format_shortest(char *out, size_t outlen, double v, double plain_below);

/* A byte count for people: "812 B", "3.4 MiB", "1.2 GiB". */
void sw_format_bytes(double bytes, char *out, size_t outlen);

/* The same for an upper bound (a memory estimate): rounded up to the digit shown, so the
 * text is never below the figure (5.41 GiB reads "5.5 GiB", not "5.4 GiB"). */
void sw_format_bytes_up(double bytes, char *out, size_t outlen);

/* Levenshtein distance between a and b, for "did you mean" suggestions. Names are short:
 * when either string is longer than 63 characters the result is SW_EDIT_DISTANCE_FAR,
 * more than any suggestion accepts (and small enough to add to). */
#define SW_EDIT_DISTANCE_FAR 1000
int sw_edit_distance(const char *a, const char *b);

#endif
