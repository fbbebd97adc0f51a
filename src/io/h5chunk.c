/* h5chunk.c: HDF5's Fletcher-32, and chunks checked as stored (see h5chunk.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5chunk.h"

#include <zlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- Fletcher-32 --------------------------------------------------------------------- */

/* Words summed between two reductions: the weighted sum of a block, at most
 * 65535 * BLOCK * (BLOCK + 1) / 2, fits 32 bits. */
#define FLETCHER_BLOCK 256

/* The plain and the weighted sum of n big-endian words: sum w_i and sum (n - i) w_i, which
 * are what HDF5's loop (sum1 += w; sum2 += sum1) adds to its sums over these words. Plain
 * loops over 32-bit lanes: the compiler vectorises them. */
static inline void block_sums(const unsigned char *p, size_t n, uint32_t *plain, uint32_t *weighted)
{
    uint32_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t w = (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
        a += w;
        b += (uint32_t)(n - i) * w;
    }
    *plain = a;
    *weighted = b;
}

/* HDF5 keeps both sums below 2^32 by folding them (x & 0xffff) + (x >> 16) every 360
 * words: a value congruent modulo 65535 that is 0 only when x was. So its result is each
 * sum modulo 65535, except that a sum congruent to 0 is 0xffff once any word was not 0
 * (the sums of all-zero data stay 0). The same sums are made here exactly, modulo 65535,
 * a block at a time. */
uint32_t sw_h5_fletcher32(const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t words = len / 2;
    uint64_t s1 = 0, s2 = 0;
    uint32_t any = 0;
    while (words > 0) {
        size_t n = words < FLETCHER_BLOCK ? words : FLETCHER_BLOCK;
        uint32_t a, b;
        if (n == FLETCHER_BLOCK)
            block_sums(p, FLETCHER_BLOCK, &a, &b); /* a constant count: the vectorised loop */
        else
            block_sums(p, n, &a, &b);
        s2 = (s2 + (uint64_t)n * s1 + b) % 65535;
        s1 = (s1 + a) % 65535;
        any |= a;
        p += 2 * n;
        words -= n;
    }
    if (len % 2) { /* the odd byte: a word's high byte */
        uint32_t w = (uint32_t)p[0] << 8;
        s1 = (s1 + w) % 65535;
        s2 = (s2 + s1) % 65535;
        any |= w;
    }
    if (!any) return 0;
    uint32_t sum1 = s1 ? (uint32_t)s1 : 0xffff, sum2 = s2 ? (uint32_t)s2 : 0xffff;
    return sum2 << 16 | sum1;
}

/* ---- verifying ----------------------------------------------------------------------- */

void sw_h5_chunk_bufs_free(sw_h5_chunk_bufs *b)
{
    if (!b) return;
    free(b->raw);
    free(b->plain);
    memset(b, 0, sizeof *b);
}

/* *buf of at least size bytes (what it held is not kept). */
static void *grow(void **buf, size_t *have, size_t size)
{
    if (size <= *have) return *buf;
    free(*buf);
    *have = 0;
    if (!(*buf = malloc(size))) return NULL;
    *have = size;
    return *buf;
}

/* Whether d's filters are ones sw_h5_check_chunks checks (1; *deflate says which, cdims
 * its chunk shape), or not (0: contiguous, other filters), or unreadable (-1). */
static int our_pipeline(hid_t d, int rank, hsize_t *cdims, bool *deflate)
{
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0) return -1;
    int ours = 0;
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int nf = layout == H5D_CHUNKED ? H5Pget_nfilters(dcpl) : 0;
    if (layout < 0 || nf < 0) ours = -1;
    if (nf == 1 || nf == 3) {
        H5Z_filter_t id[3];
        ours = 1;
        for (int i = 0; i < nf && ours == 1; i++) {
            unsigned flags;
            size_t nelmts = 0;
            id[i] = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelmts, NULL, 0, NULL, NULL);
            if (id[i] < 0) ours = -1;
        }
        if (ours == 1)
            ours = nf == 1 ? id[0] == H5Z_FILTER_FLETCHER32
                           : id[0] == H5Z_FILTER_SHUFFLE && id[1] == H5Z_FILTER_DEFLATE && id[2] == H5Z_FILTER_FLETCHER32;
        *deflate = nf == 3;
        if (ours == 1 && H5Pget_chunk(dcpl, rank, cdims) != rank) ours = -1;
    }
    H5Pclose(dcpl);
    return ours;
}

/* "[3,0,7]" */
static void format_offset(char *out, size_t outlen, int rank, const hsize_t *at)
{
    size_t n = (size_t)snprintf(out, outlen, "[");
    for (int i = 0; i < rank && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%llu", i ? "," : "", (unsigned long long)at[i]);
    if (n < outlen) snprintf(out + n, outlen - n, "]");
}

/* Whether the stored checksum at `at` (little-endian) is the one of the n bytes before it, in
 * the form HDF5 writes or the byte-swapped one it also accepts (H5Zfletcher32.c). */
static bool checksum_ok(const unsigned char *data, size_t n)
{
    const unsigned char *at = data + n;
    uint32_t stored = (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
    uint32_t sum = sw_h5_fletcher32(data, n), swapped = (sum & 0x00ff00ffu) << 8 | (sum >> 8 & 0x00ff00ffu);
    return stored == sum || stored == swapped;
}

/* "its chunk at [3,0,7] <what>" into why; SW_EFORMAT. */
static int chunk_fails(char *why, size_t whylen, int rank, const hsize_t *at, const char *what)
{
    char where[96];
    format_offset(where, sizeof where, rank, at);
    snprintf(why, whylen, "its chunk at %s %s", where, what);
    return SW_EFORMAT;
}

/* Checks the chunk at `at`: see sw_h5_check_chunks. *skipped when a filter was skipped on
 * it (HDF5 then reads the dataset). */
static int check_chunk(hid_t d, int rank, const hsize_t *at, size_t bytes, bool deflate, sw_h5_chunk_bufs *b,
                       bool *skipped, char *why, size_t whylen)
{
    size_t most = (deflate ? compressBound((uLong)bytes) : bytes) + 4;
    hsize_t stored = 0;
    uint32_t mask = 0;
    if (H5Dget_chunk_storage_size(d, at, &stored) < 0) return chunk_fails(why, whylen, rank, at, "unreadable");
    if (stored == 0) return chunk_fails(why, whylen, rank, at, "missing");
    if (stored < 4 || stored > most || (!deflate && stored != bytes + 4)) {
        char what[96];
        snprintf(what, sizeof what, "has %llu bytes stored, for %zu bytes", (unsigned long long)stored, bytes);
        return chunk_fails(why, whylen, rank, at, what);
    }
    unsigned char *raw = grow(&b->raw, &b->raw_size, most);
    if (!raw) return SW_ENOMEM;
    if (H5Dread_chunk(d, H5P_DEFAULT, at, &mask, raw) < 0) return chunk_fails(why, whylen, rank, at, "unreadable");
    if (mask) {
        *skipped = true;
        return SW_OK;
    }
    size_t n = (size_t)stored - 4;
    if (!checksum_ok(raw, n)) {
        H5Eclear2(H5E_DEFAULT);
        return chunk_fails(why, whylen, rank, at, "fails its Fletcher-32 checksum");
    }
    if (deflate) {
        unsigned char *plain = grow(&b->plain, &b->plain_size, bytes);
        if (!plain) return SW_ENOMEM;
        uLongf len = (uLongf)bytes;
        int z = uncompress(plain, &len, raw, (uLong)n);
        if (z == Z_MEM_ERROR) return SW_ENOMEM;
        if (z != Z_OK || len != bytes) {
            H5Eclear2(H5E_DEFAULT);
            return chunk_fails(why, whylen, rank, at, "does not inflate to its size");
        }
    }
    return SW_OK;
}

int sw_h5_check_chunks(hid_t d, int rank, const hsize_t *dims, size_t elem, sw_h5_chunk_bufs *b, bool *handled,
                       char *why, size_t whylen)
{
    hsize_t cdims[H5S_MAX_RANK], at[H5S_MAX_RANK] = {0};
    bool deflate = false;
    *handled = false;
    if (rank < 1 || rank > H5S_MAX_RANK) return SW_OK;
    int ours = our_pipeline(d, rank, cdims, &deflate);
    if (ours == 0) return SW_OK;
    *handled = true;
    if (ours < 0) {
        snprintf(why, whylen, "its creation properties unreadable");
        return SW_EFORMAT;
    }
    size_t bytes = elem;
    for (int i = 0; i < rank; i++) {
        /* HDF5 itself makes no chunk of 4 GiB or more */
        if (cdims[i] == 0 || bytes > ((size_t)1 << 32) / cdims[i]) {
            snprintf(why, whylen, "its chunk shape is not one this program reads");
            return SW_EFORMAT;
        }
        bytes *= (size_t)cdims[i];
    }
    for (;;) { /* every chunk, in the order of their offsets */
        bool skipped = false;
        int rc = check_chunk(d, rank, at, bytes, deflate, b, &skipped, why, whylen);
        if (rc != SW_OK) return rc;
        if (skipped) {
            *handled = false;
            return SW_OK;
        }
        int i = rank - 1;
        while (i >= 0 && (at[i] += cdims[i]) >= dims[i]) at[i--] = 0;
        if (i < 0) return SW_OK;
    }
}
