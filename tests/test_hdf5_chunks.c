/* test_hdf5_chunks.c DIR: h5chunk.c's checks are HDF5's own.
 *
 * - sw_h5_fletcher32 equals HDF5's H5_checksum_fletcher32 (H5checksum.c, exported by
 *   libhdf5) for every length 0..2100 (odd byte counts, lengths around the 360-word
 *   reductions and the 256-word blocks) and long buffers, over random bytes, all zeros,
 *   all 0xff (sums that are 0 modulo 65535 but not 0: HDF5 gives 0xffff) and a single
 *   non-zero byte at either end.
 * - Datasets HDF5 writes through its own pipeline (Fletcher-32 alone, and shuffle, deflate
 *   and Fletcher-32, of 1-, 2-, 4- and 8-byte elements, odd sizes, edge chunks) pass
 *   sw_h5_check_chunks, which fails them with one flipped bit in a chunk.
 * - Arrays sweep writes itself (h5write.c: chunk by chunk with H5Dwrite_chunk, the checksum
 *   made by sw_h5_fletcher32), of 4- and 8-byte elements, ranks 1-4, one chunk or several,
 *   edge chunks padded, read back through HDF5's own pipeline (which checks every chunk's
 *   checksum) equal to what was written, with Fletcher-32 their only filter; a flipped bit
 *   makes HDF5's read fail. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "check.h"
#include "h5chunk.h"
#include "h5write.h"
#include "mkdir_p.h"

/* HDF5's own (H5private.h; exported by the shared library). */
uint32_t H5_checksum_fletcher32(const void *data, size_t len);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned char next_byte(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned char)(rng_state >> 24);
}

static void fill(unsigned char *b, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) b[i] = kind == 0 ? next_byte() : kind == 1 ? 0 : kind == 2 ? 0xff : 0;
    if (kind == 3 && n) b[0] = 1;
    if (kind == 4 && n) {
        memset(b, 0, n);
        b[n - 1] = 0x80;
    }
}

static void test_fletcher(void)
{
    size_t most = 1 << 20;
    unsigned char *b = malloc(most);
    int bad = 0, runs = 0;
    for (int kind = 0; kind < 5; kind++) {
        for (size_t n = 0; n <= 2100; n++) {
            fill(b, n, kind);
            runs++;
            if (sw_h5_fletcher32(b, n) != H5_checksum_fletcher32(b, n) && bad++ < 5)
                fprintf(stderr, "kind %d, %zu bytes: 0x%08x, HDF5 0x%08x\n", kind, n, sw_h5_fletcher32(b, n),
                        H5_checksum_fletcher32(b, n));
        }
        size_t lengths[] = {720 * 100 - 1, 720 * 100, 720 * 100 + 1, 512 * 1001 + 3, most - 1, most};
        for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
            fill(b, lengths[i], kind);
            runs++;
            if (sw_h5_fletcher32(b, lengths[i]) != H5_checksum_fletcher32(b, lengths[i]) && bad++ < 5)
                fprintf(stderr, "kind %d, %zu bytes differ\n", kind, lengths[i]);
        }
    }
    /* a sum 0 modulo 65535 in one half only: one word 0xffff, then zeros */
    memset(b, 0, 64);
    b[0] = b[1] = 0xff;
    for (size_t n = 2; n <= 64; n++, runs++)
        if (sw_h5_fletcher32(b, n) != H5_checksum_fletcher32(b, n)) bad++;
    CHECK(bad == 0, "%d of %d lengths give another checksum than HDF5's", bad, runs);
    free(b);
    /* unaligned starts */
    unsigned char *u = malloc(4099);
    fill(u, 4099, 0);
    for (size_t off = 0; off < 3; off++)
        CHECK(sw_h5_fletcher32(u + off, 4096) == H5_checksum_fletcher32(u + off, 4096), "offset %zu", off);
    free(u);
}

/* Dataset *d ("x") of the file *f at path: bit `mask` of the byte 1/part of the way into
 * its last chunk's stored bytes flipped, with the file closed, then both opened again
 * (read-only). */
static void flip_in_last_chunk(const char *path, hid_t *f, hid_t *d, int part, int mask)
{
    haddr_t addr = 0;
    hsize_t size = 0, nchunks = 0;
    unsigned filters = 0;
    hid_t space = H5Dget_space(*d);
    H5Dget_num_chunks(*d, space, &nchunks);
    H5Dget_chunk_info(*d, space, nchunks - 1, NULL, &filters, &addr, &size);
    H5Sclose(space);
    H5Dclose(*d);
    H5Fclose(*f);
    FILE *fp = fopen(path, "r+b");
    if (fp) {
        long at = (long)(addr + size / (hsize_t)part);
        fseek(fp, at, SEEK_SET);
        int c = fgetc(fp);
        fseek(fp, at, SEEK_SET);
        fputc(c ^ mask, fp);
        fclose(fp);
    }
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    *d = H5Dopen2(*f, "x", H5P_DEFAULT);
}

/* A dataset of `rank` dims and element type `type` written by HDF5's own pipeline passes
 * sw_h5_check_chunks, and fails it with one bit flipped in its last chunk. */
static void test_dataset(const char *dir, const char *name, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *chunk, bool deflate)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    size_t elem = H5Tget_size(type), n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    unsigned char *data = malloc(n * elem);
    for (size_t i = 0; i < n * elem; i++) data[i] = i % 7 == 0 ? next_byte() : (unsigned char)(i / 13); /* deflate shrinks it some */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), s = H5Screate_simple(rank, dims, NULL);
    H5Pset_chunk(dcpl, rank, chunk);
    if (deflate) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    H5Pset_fletcher32(dcpl);
    hid_t d = H5Dcreate2(f, "x", type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, "%s: HDF5 writes it", name);
    H5Dclose(d);
    d = H5Dopen2(f, "x", H5P_DEFAULT);
    sw_h5_chunk_bufs bufs = {0};
    bool handled = false;
    char why[200] = "";
    CHECK(sw_h5_check_chunks(d, rank, dims, elem, &bufs, &handled, why, sizeof why) == 0 && handled, "%s: checks (%s)",
          name, why);
    /* one bit flipped in the last chunk's stored bytes: found */
    flip_in_last_chunk(path, &f, &d, 3, 4);
    int rc = sw_h5_check_chunks(d, rank, dims, elem, &bufs, &handled, why, sizeof why);
    CHECK(rc != 0 && handled && strstr(why, "Fletcher-32"), "%s: a flipped bit is found (%s)", name, why);
    H5Dclose(d);
    H5Fclose(f);
    sw_h5_chunk_bufs_free(&bufs);
    free(data);
}

/* One array of `type` and shape dims written by h5write.c into <dir>/<name>.h5, read back
 * through HDF5. */
static void test_written(const char *dir, const char *name, hid_t type, int rank, const hsize_t *dims)
{
    size_t elem = H5Tget_size(type), n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    unsigned char *data = malloc(n * elem), *back = malloc(n * elem);
    for (size_t i = 0; i < n * elem; i++) data[i] = next_byte();
    char err[512] = "", tmp[512], path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    sw_h5w w = {path, err, sizeof err, 0, true, false, {0, NULL}, false, 0, {0, 0, 0}, NULL, 0};
    hid_t f = sw_h5w_create(&w, dir, name, tmp, sizeof tmp);
    hid_t d = f >= 0 ? sw_h5w_dset(&w, f, "x", type, type, rank, dims, data) : -1;
    if (d >= 0) H5Dclose(d);
    CHECK(f >= 0 && sw_h5w_finish(&w, f, dir, tmp) == 0, "%s: written (%s)", name, err);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    d = H5Dopen2(f, "x", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    unsigned flags;
    size_t nelmts = 0;
    CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_nfilters(dcpl) == 1 &&
              H5Pget_filter2(dcpl, 0, &flags, &nelmts, NULL, 0, NULL, NULL) == H5Z_FILTER_FLETCHER32,
          "%s: chunked with Fletcher-32 alone", name);
    H5Pclose(dcpl);
    memset(back, 0, n * elem);
    CHECK(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0 && !memcmp(back, data, n * elem),
          "%s: HDF5 reads back what was written", name);
    flip_in_last_chunk(path, &f, &d, 2, 1); /* the edge chunk */
    CHECK(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) < 0, "%s: HDF5 finds a flipped bit", name);
    H5Dclose(d);
    H5Fclose(f);
    free(data);
    free(back);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_hdf5_chunks DIR\n");
        return 2;
    }
    mkdir_p(argv[1]);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    test_fletcher();
    hsize_t d1[1] = {1001}, c1[1] = {333}; /* odd bytes: 1-byte elements, 1001 and 333 */
    test_dataset(argv[1], "u8", H5T_STD_U8LE, 1, d1, c1, false);
    test_dataset(argv[1], "u8z", H5T_STD_U8LE, 1, d1, c1, true);
    hsize_t d2[2] = {37, 101}, c2[2] = {10, 101}; /* 2-byte elements, an edge chunk of 7 rows */
    test_dataset(argv[1], "i16", H5T_STD_I16LE, 2, d2, c2, false);
    test_dataset(argv[1], "i16z", H5T_STD_I16LE, 2, d2, c2, true);
    hsize_t d3[3] = {5, 33, 17}, c3[3] = {2, 33, 17};
    test_dataset(argv[1], "f32", H5T_IEEE_F32LE, 3, d3, c3, false);
    test_dataset(argv[1], "f32z", H5T_IEEE_F32LE, 3, d3, c3, true);
    hsize_t d4[1] = {40000}, c4[1] = {16384};
    test_dataset(argv[1], "f64z", H5T_IEEE_F64LE, 1, d4, c4, true);
    /* written by sweep: chunks of about 256 KiB, the cut dimension split evenly */
    hsize_t w1[1] = {100003};         /* 4 chunks of 25001, the last padded by one */
    test_written(argv[1], "w-f64", H5T_IEEE_F64LE, 1, w1);
    hsize_t w2[2] = {7, 20000};       /* rows of 80 KB: chunks of 3 rows, the last of 1 */
    test_written(argv[1], "w-f32", H5T_IEEE_F32LE, 2, w2);
    hsize_t w3[3] = {3, 5, 70001};    /* chunks (1, 1, 35001), every second one padded */
    test_written(argv[1], "w-i32", H5T_STD_I32LE, 3, w3);
    hsize_t w4[4] = {2, 3, 4, 5};     /* one chunk */
    test_written(argv[1], "w-i64", H5T_STD_I64LE, 4, w4);
    return check_report("hdf5_chunks");
}
