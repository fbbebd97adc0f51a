/* test_hdf5_chunks.c DIR: h5chunk.c's pipeline is HDF5's own, byte for byte.
 *
 * - sw_h5_fletcher32 equals HDF5's H5_checksum_fletcher32 (H5checksum.c, exported by
 *   libhdf5) for every length 0..2100 (odd byte counts, lengths around the 360-word
 *   reductions and the 256-word blocks) and long buffers, over random bytes, all zeros,
 *   all 0xff (sums that are 0 modulo 65535 but not 0: HDF5 gives 0xffff) and a single
 *   non-zero byte at either end.
 * - Chunks HDF5 writes through its own pipeline (H5Dwrite; Fletcher-32 alone, and shuffle,
 *   deflate and Fletcher-32, of 1-, 2-, 4- and 8-byte elements, odd sizes, edge chunks) are
 *   the bytes sw_h5_filter_chunk makes, and sw_h5_check_chunks passes them and fails a
 *   dataset with one flipped bit in any chunk.
 * - Files: arrays written by h5write.c with chunks filtered here (some held until the close
 *   as HDF5's chunk cache holds them), and the same bytes written by h5write.c through
 *   HDF5's own pipeline (big-endian file types, byte-swapped values: HDF5 converts them) are
 *   laid out alike: the same size, every chunk at the same offset with the same bytes (one
 *   array of 6 chunks all held, one of 8 of which 3 are written at once, a deflated one,
 *   small ones, an edge chunk). */
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

/* A dataset of `rank` dims and element type `type` written by HDF5's own pipeline: its
 * stored chunks equal sw_h5_filter_chunk's, it checks, and fails with a flipped bit. */
static void test_dataset(const char *dir, const char *name, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *chunk, bool deflate)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    size_t elem = H5Tget_size(type), n = 1, cbytes = elem;
    for (int i = 0; i < rank; i++) {
        n *= (size_t)dims[i];
        cbytes *= (size_t)chunk[i];
    }
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
    /* each chunk, as HDF5 stored it, against ours (chunks along the first dimension only) */
    void *zs = NULL;
    sw_h5_filters filters = {deflate, 4, true, elem, &zs};
    unsigned char *in = calloc(1, cbytes), *scratch = malloc(cbytes), *stored = malloc(cbytes * 2 + 64);
    size_t row = cbytes / (size_t)chunk[0];
    int same = 0, chunks = 0;
    for (hsize_t at0 = 0; at0 < dims[0]; at0 += chunk[0], chunks++) {
        hsize_t at[H5S_MAX_RANK] = {at0}, size = 0;
        uint32_t mask = 1;
        size_t rows = dims[0] - at0 < chunk[0] ? (size_t)(dims[0] - at0) : (size_t)chunk[0];
        memset(in, 0, cbytes);
        memcpy(in, data + at0 * row, rows * row);
        void *ours = NULL;
        size_t len = 0;
        CHECK(sw_h5_filter_chunk(&filters, in, cbytes, scratch, &ours, &len) == 0, "%s: filtered", name);
        if (H5Dget_chunk_storage_size(d, at, &size) >= 0 && size == len && H5Dread_chunk(d, H5P_DEFAULT, at, &mask, stored) >= 0 &&
            mask == 0 && memcmp(stored, ours, len) == 0)
            same++;
        free(ours);
    }
    CHECK(same == chunks && chunks > 0, "%s: %d of %d chunks as HDF5 stores them", name, same, chunks);
    sw_h5_chunk_bufs bufs = {0};
    bool handled = false;
    char why[200] = "";
    CHECK(sw_h5_check_chunks(d, rank, dims, elem, &bufs, &handled, why, sizeof why) == 0 && handled, "%s: checks (%s)",
          name, why);
    /* one bit flipped in the last chunk's stored bytes: found */
    haddr_t addr = 0;
    hsize_t size = 0;
    unsigned mask = 0;
    hid_t space = H5Dget_space(d);
    hsize_t nchunks = 0;
    H5Dget_num_chunks(d, space, &nchunks);
    H5Dget_chunk_info(d, space, nchunks - 1, NULL, &mask, &addr, &size);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, (long)(addr + size / 3), SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, (long)(addr + size / 3), SEEK_SET);
    fputc(c ^ 4, fp);
    fclose(fp);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    d = H5Dopen2(f, "x", H5P_DEFAULT);
    int rc = sw_h5_check_chunks(d, rank, dims, elem, &bufs, &handled, why, sizeof why);
    CHECK(rc != 0 && handled && strstr(why, "Fletcher-32"), "%s: a flipped bit is found (%s)", name, why);
    H5Dclose(d);
    H5Fclose(f);
    sw_h5_chunk_bufs_free(&bufs);
    sw_h5_deflate_free(&zs);
    free(in);
    free(scratch);
    free(stored);
    free(data);
}

/* The arrays of test_layout: name, type, rank, dims. */
typedef struct {
    const char *name;
    hid_t type;
    int rank;
    hsize_t dims[4];
} layout_array;

static void layout_data(const layout_array *a, unsigned char *buf, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) buf[i] = i % 3 ? next_byte() : 0;
    if (!strcmp(a->name, "sparse")) memset(buf, 0, bytes / 2); /* deflate pays */
}

static size_t layout_bytes(const layout_array *a)
{
    size_t n = H5Tget_size(a->type);
    for (int i = 0; i < a->rank; i++) n *= (size_t)a->dims[i];
    return n;
}

/* Every chunk of dataset `name` in files f and g at the same offset with the same bytes. */
static int same_chunks(hid_t f, hid_t g, const char *name)
{
    hid_t a = H5Dopen2(f, name, H5P_DEFAULT), b = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t sa = H5Dget_space(a), sb = H5Dget_space(b);
    hsize_t na = 0, nb = 0;
    int same = H5Dget_num_chunks(a, sa, &na) >= 0 && H5Dget_num_chunks(b, sb, &nb) >= 0 && na == nb && na > 0;
    for (hsize_t i = 0; same && i < na; i++) {
        hsize_t oa[H5S_MAX_RANK], ob[H5S_MAX_RANK], za = 0, zb = 0;
        haddr_t aa = 0, ab = 0;
        unsigned ma = 0, mb = 0;
        same = H5Dget_chunk_info(a, sa, i, oa, &ma, &aa, &za) >= 0 && H5Dget_chunk_info(b, sb, i, ob, &mb, &ab, &zb) >= 0 &&
               aa == ab && za == zb && ma == mb && !memcmp(oa, ob, sizeof(hsize_t) * (size_t)H5Sget_simple_extent_ndims(sa));
        unsigned char *ra = malloc(za), *rb = malloc(zb);
        uint32_t fa = 0, fb = 0;
        same = same && H5Dread_chunk(a, H5P_DEFAULT, oa, &fa, ra) >= 0 && H5Dread_chunk(b, H5P_DEFAULT, ob, &fb, rb) >= 0 &&
               !memcmp(ra, rb, za);
        free(ra);
        free(rb);
    }
    H5Sclose(sa);
    H5Sclose(sb);
    H5Dclose(a);
    H5Dclose(b);
    return same;
}

/* The big-endian twin of a little-endian file type. */
static hid_t big_endian(hid_t t)
{
    return t == H5T_IEEE_F32LE ? H5T_IEEE_F32BE : t == H5T_IEEE_F64LE ? H5T_IEEE_F64BE : H5T_STD_I32BE;
}

/* Writes `arrays` with h5write.c into DIR/<base>.h5. With `swapped` the file types are
 * big-endian and the values in memory byte-swapped: HDF5 converts them (so h5write hands
 * them to H5Dwrite and HDF5's own pipeline) and stores the very bytes of the other file. */
static void write_layout(const char *dir, const char *base, const layout_array *arrays, int na, bool swapped)
{
    char err[512], tmp[600], path[600];
    snprintf(path, sizeof path, "%s/%s.h5", dir, base);
    sw_h5w w = {.where = path, .err = err, .errlen = sizeof err, .checksum = true, .compress = true};
    hid_t f = sw_h5w_create(&w, dir, base, tmp, sizeof tmp);
    rng_state = 0x9e3779b97f4a7c15ull; /* both files get the same values */
    for (int i = 0; i < na; i++) {
        size_t bytes = layout_bytes(&arrays[i]), elem = H5Tget_size(arrays[i].type);
        unsigned char *buf = malloc(bytes);
        layout_data(&arrays[i], buf, bytes);
        for (size_t e = 0; swapped && e < bytes; e += elem)
            for (size_t k = 0; k < elem / 2; k++) {
                unsigned char c = buf[e + k];
                buf[e + k] = buf[e + elem - 1 - k];
                buf[e + elem - 1 - k] = c;
            }
        hid_t ft = swapped ? big_endian(arrays[i].type) : arrays[i].type;
        hid_t d = sw_h5w_dset(&w, f, arrays[i].name, ft, arrays[i].type, arrays[i].rank, arrays[i].dims, buf);
        free(buf); /* the writer keeps what it holds */
        sw_h5w_attr_str(&w, d, "long_name", arrays[i].name);
        /* more metadata between the dataset's creation and its close (as dimension scales
         * make): its object header grows into a new block */
        double v[64] = {0};
        hsize_t n = 64;
        for (int k = 0; k < 4; k++) {
            char an[16];
            snprintf(an, sizeof an, "extra%d", k);
            sw_h5w_attr(&w, d, an, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, v);
        }
        sw_h5w_close_dset(&w, d);
    }
    CHECK(sw_h5w_finish(&w, f, dir, tmp) == 0, "%s: h5write writes the arrays: %s", base, err);
}

static void test_layout(const char *dir)
{
    layout_array arrays[] = {
        {"held", H5T_IEEE_F32LE, 3, {3, 300, 256}},   /* 6 chunks of 150 KiB: all held */
        {"evicted", H5T_IEEE_F32LE, 3, {8, 200, 256}}, /* 8 of 200 KiB: 3 written at once */
        {"small", H5T_STD_I32LE, 1, {1000}},
        {"sparse", H5T_IEEE_F32LE, 2, {700, 300}},     /* deflated */
        {"edge", H5T_IEEE_F64LE, 2, {101, 700}},       /* 2 chunks, the second an edge */
        {"tiny", H5T_IEEE_F64LE, 1, {7}},
        {"deep", H5T_IEEE_F32LE, 4, {3, 2, 40, 4000}}, /* chunks [1,1,14,4000]: two leading dimensions */
    };
    int na = (int)(sizeof arrays / sizeof *arrays);
    write_layout(dir, "ours", arrays, na, false);
    write_layout(dir, "hdf5", arrays, na, true);
    char ours[600], theirs[600];
    snprintf(ours, sizeof ours, "%s/ours.h5", dir);
    snprintf(theirs, sizeof theirs, "%s/hdf5.h5", dir);
    hid_t a = H5Fopen(ours, H5F_ACC_RDONLY, H5P_DEFAULT), g = H5Fopen(theirs, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (int i = 0; i < na; i++)
        CHECK(same_chunks(a, g, arrays[i].name), "%s: its chunks where HDF5 puts them, with HDF5's bytes", arrays[i].name);
    hid_t d = H5Dopen2(a, "sparse", H5P_DEFAULT), dcpl = H5Dget_create_plist(d);
    CHECK(H5Pget_nfilters(dcpl) == 3, "the sparse array is deflated");
    H5Pclose(dcpl);
    H5Dclose(d);
    hsize_t sa = 0, sb = 0;
    H5Fget_filesize(a, &sa);
    H5Fget_filesize(g, &sb);
    CHECK(sa == sb && sa > 0, "the files have the same size (%llu, %llu bytes)", (unsigned long long)sa, (unsigned long long)sb);
    H5Fclose(g);
    H5Fclose(a);
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
    test_layout(argv[1]);
    return check_report("hdf5_chunks");
}
