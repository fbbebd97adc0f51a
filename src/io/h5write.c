/* h5write.c: writing an HDF5 file whole and atomically (see h5write.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5write.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicio.h"
#include "h5chunk.h"

/* Datasets with at least this many elements are chunked, shuffled and deflated (when the
 * writer compresses); below it the filter overhead outweighs the gain. Chunks aim at about
 * CHUNK_BYTES. */
#define COMPRESS_MIN_ELEMENTS 1024
#define CHUNK_BYTES (256 * 1024)

/* Deflate pays only where it shrinks an array by at least DEFLATE_MIN_RATIO: float tensors
 * of trained networks (weights, hidden states, gradients) shrink 1.1-1.3x and cost most of
 * a file's writing time (and its reading back), while integer arrays and saturated or
 * sparse values shrink 2-50x. Each large array is judged by deflate_pays's estimate, except
 * a network's parameters (sw_h5w_dset_trained), which never shrink enough. The estimate
 * replaced deflating the array's first 4 KiB (a trial): on the vanishing study's 414 large
 * arrays besides parameters, the trial was decided otherwise than the whole array's ratio on
 * 8 (true ratios 1.15-1.31; it deflated 0.66 MB in vain and left 0.38 MB unsaved), the
 * estimate on 18 (1.23-1.37, coin flips at the line; 0.04 MB and 0.40 MB), and it costs a
 * sixth as much (7-10 us for an array of 164,000 floats against 41-65 us, caches evicted
 * between calls): the trials were 0.1-0.3% of a reference run's CPU time. */
#define DEFLATE_MIN_RATIO 1.3

/* Half the number of chunks a node of a chunked dataset's index (a B-tree) holds. HDF5's
 * default, 32, makes every node 2-3 KB; with the checksum every array is chunked, most
 * into one chunk, and nodes of 16 chunks keep run files as small as they were without it
 * (the largest arrays have some tens of chunks). Needs superblock version 1 (HDF5 1.6). */
#define CHUNK_BTREE_K 8

/* ---- the library ------------------------------------------------------------------ */

int sw_h5_init(char *err, size_t errlen)
{
    sw_h5_quiet();
    if (H5open() < 0) {
        sw_set_error(err, errlen, "the HDF5 library failed to initialise");
        return SW_EHDF5;
    }
    /* HDF5 keeps freed blocks of its internal types on free lists, a list up to 64 KiB by
     * default: every file it opens or creates allocates a metadata cache of about 600 KiB,
     * which a list that small never keeps, so each file's came from fresh pages (faulted in
     * and zeroed: a tenth of writing a reference run's file). Lists of 4 MiB keep a few. */
    H5set_free_list_limits(16 << 20, 4 << 20, 4 << 20, 256 << 10, 16 << 20, 1 << 20);
    hbool_t safe = 0;
    if (H5is_library_threadsafe(&safe) < 0 || !safe) {
        unsigned maj = 0, min = 0, rel = 0;
        H5get_libversion(&maj, &min, &rel);
        sw_set_error(err, errlen,
                "the HDF5 library in use (%u.%u.%u) is not the thread-safe build; sweep writes "
                "results from several threads and needs it (Debian: libhdf5-dev, serial flavour, "
                "which is built thread-safe)", maj, min, rel);
        return SW_EHDF5;
    }
    return SW_OK;
}

/* ---- HDF5's error text -------------------------------------------------------------- */

/* HDF5's automatic error printing is per thread in the thread-safe build. */
void sw_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5Eclear2(H5E_DEFAULT);
}

/* Keeps the first line of the innermost message: some (the sec2 driver's) run over
 * several lines of addresses and buffers, which belong in no message of ours. */
static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc && e->desc[0]) snprintf(buf, 200, "%.*s", (int)strcspn(e->desc, "\r\n"), e->desc);
    return 0;
}

/* The most specific message on this thread's HDF5 error stack (or ""), then clears it. */
void sw_h5_detail(char buf[200])
{
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, buf);
    H5Eclear2(H5E_DEFAULT);
}

/* ---- the run record's element types ------------------------------------------------- */

hid_t sw_h5_record_file_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_IEEE_F64LE;
    case SW_REC_I32: return H5T_STD_I32LE;
    case SW_REC_I64: return H5T_STD_I64LE;
    default: return H5T_IEEE_F32LE; /* F32, REAL */
    }
}

hid_t sw_h5_record_mem_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_NATIVE_DOUBLE;
    case SW_REC_F32: return H5T_NATIVE_FLOAT;
    case SW_REC_I32: return H5T_NATIVE_INT32;
    case SW_REC_I64: return H5T_NATIVE_INT64;
    default: return sizeof(sw_real) == sizeof(float) ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE; /* REAL */
    }
}

/* ---- writing ------------------------------------------------------------------------ */

SW_PRINTF(3, 4)
int sw_h5w_fail(sw_h5w *w, int code, const char *fmt, ...)
{
    if (w->rc) return w->rc;
    char what[256], detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    sw_h5_detail(detail);
    if (detail[0])
        sw_set_error(w->err, w->errlen, "cannot write %s: %s (HDF5: %s)", w->where, what, detail);
    else
        sw_set_error(w->err, w->errlen, "cannot write %s: %s", w->where, what);
    w->rc = code;
    return code;
}

/* ---- small HDF5 helpers ------------------------------------------------------------ */

static hid_t make_space(int rank, const hsize_t *dims)
{
    return rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
}

/* Variable-length UTF-8 strings: h5py returns them as str. */
hid_t sw_h5w_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The enum h5py uses for numpy bool (FALSE=0, TRUE=1 on int8), so h5py reads bool. */
hid_t sw_h5w_bool_type(void)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    if (t < 0) return t;
    int8_t v = 0;
    herr_t a = H5Tenum_insert(t, "FALSE", &v);
    v = 1;
    herr_t b = H5Tenum_insert(t, "TRUE", &v);
    if (a < 0 || b < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static size_t count_of(int rank, const hsize_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

/* Creates attribute `name` on loc with file type ftype and writes buf (memory type mtype).
 * rank 0 is a scalar. */
int sw_h5w_attr(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, const void *buf)
{
    if (w->rc) return w->rc;
    hid_t s = make_space(rank, dims), a = -1;
    int ok = 0;
    if (s >= 0) a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) ok = count_of(rank, dims) == 0 || H5Awrite(a, mtype, buf) >= 0;
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    return ok ? SW_OK : sw_h5w_fail(w, SW_EHDF5, "attribute '%s'", name);
}

int sw_h5w_attr_str(sw_h5w *w, hid_t loc, const char *name, const char *value)
{
    hid_t t = sw_h5w_str_type();
    if (t < 0) return sw_h5w_fail(w, SW_EHDF5, "string type");
    const char *v = value ? value : "";
    int rc = sw_h5w_attr(w, loc, name, t, t, 0, NULL, &v);
    H5Tclose(t);
    return rc;
}

int sw_h5w_attr_strs(sw_h5w *w, hid_t loc, const char *name, const char *const *values, int n)
{
    hid_t t = sw_h5w_str_type();
    if (t < 0) return sw_h5w_fail(w, SW_EHDF5, "string type");
    hsize_t dims[1] = {(hsize_t)n};
    const char *dummy = "";
    int rc = sw_h5w_attr(w, loc, name, t, t, 1, dims, n ? (const void *)values : (const void *)&dummy);
    H5Tclose(t);
    return rc;
}

int sw_h5w_attr_i64(sw_h5w *w, hid_t loc, const char *name, long long v)
{
    int64_t x = (int64_t)v;
    return sw_h5w_attr(w, loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL, &x);
}

int sw_h5w_attr_i32(sw_h5w *w, hid_t loc, const char *name, int v)
{
    int32_t x = v;
    return sw_h5w_attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 0, NULL, &x);
}

int sw_h5w_attr_f64(sw_h5w *w, hid_t loc, const char *name, double v)
{
    return sw_h5w_attr(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &v);
}

int sw_h5w_attr_bool(sw_h5w *w, hid_t loc, const char *name, int v)
{
    hid_t t = sw_h5w_bool_type();
    if (t < 0) return sw_h5w_fail(w, SW_EHDF5, "bool type");
    int8_t x = v != 0;
    int rc = sw_h5w_attr(w, loc, name, t, t, 0, NULL, &x);
    H5Tclose(t);
    return rc;
}

/* The time now, UTC, as ISO 8601: "2024-05-01T12:00:00Z". */
int sw_h5w_attr_created(sw_h5w *w, hid_t loc)
{
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return sw_h5w_attr_str(w, loc, "created", created);
}

/* Chunk shape of about CHUNK_BYTES: whole trailing dimensions, leading ones cut first,
 * so a chunk holds complete rows (e.g. one sequence's T x H block). The cut dimension is
 * split evenly (100 rows of which 30 fit: chunks of 25, not 30), because an edge chunk is
 * stored whole: undeflated, its padding would take room in the file. */
static void choose_chunks(int rank, const hsize_t *dims, size_t elem, hsize_t *chunk)
{
    size_t bytes = elem;
    for (int i = 0; i < rank; i++) {
        chunk[i] = dims[i];
        bytes *= (size_t)dims[i];
    }
    for (int i = 0; i < rank && bytes > CHUNK_BYTES; i++) {
        size_t rest = bytes / (size_t)chunk[i];
        if (rest >= CHUNK_BYTES) {
            chunk[i] = 1;
            bytes = rest;
        } else {
            hsize_t fit = (hsize_t)(CHUNK_BYTES / rest);
            if (fit < 1) fit = 1;
            hsize_t pieces = (dims[i] + fit - 1) / fit;
            chunk[i] = (dims[i] + pieces - 1) / pieces;
            break;
        }
    }
}

/* The elements deflate_pays samples: ESTIMATE_RUNS runs of ESTIMATE_RUN consecutive
 * elements, one in the middle of each of ESTIMATE_RUNS equal parts of the array (all of a
 * smaller array). Runs from the array's first and last elements made a constant start or
 * end weigh too much. */
#define ESTIMATE_RUNS 16
#define ESTIMATE_RUN 128
#define ESTIMATE_MAX_ELEM 16 /* larger elements (long fixed strings) are deflated unsampled */

/* Whether shuffle+deflate would shrink the array at buf (n elements of mtype, stored as
 * ftype) by at least DEFLATE_MIN_RATIO, estimated from the sampled elements as stored: the
 * shuffle filter puts byte k of every element together, and deflate then codes a plane in
 * about as many bits as its byte values' entropy (an order-0 estimate; deflate's repeated
 * strings do a little better on smooth series). Variable-length data (its heap references)
 * and the rare case where the estimate cannot be made (no memory, a conversion HDF5
 * refuses) deflate, as before there was an estimate. */
static bool deflate_pays(hid_t ftype, hid_t mtype, size_t n, const void *buf)
{
    size_t fsize = H5Tget_size(ftype), msize = H5Tget_size(mtype);
    H5T_class_t cls = H5Tget_class(ftype);
    if (fsize == 0 || msize == 0 || fsize > ESTIMATE_MAX_ELEM || cls == H5T_VLEN || H5Tis_variable_str(ftype) != 0)
        return true;
    size_t runs = n > ESTIMATE_RUNS * ESTIMATE_RUN ? ESTIMATE_RUNS : 1,
           run = runs == 1 ? n : ESTIMATE_RUN, m = runs * run, big = fsize > msize ? fsize : msize;
    unsigned char *sample = malloc(m * big);
    if (!sample) return true;
    const unsigned char *p = buf;
    for (size_t k = 0; k < runs; k++) {
        size_t from = k * n / runs + (n / runs - run) / 2;
        memcpy(sample + k * run * msize, p + from * msize, run * msize);
    }
    if (H5Tequal(ftype, mtype) <= 0 && H5Tconvert(mtype, ftype, m, sample, NULL, H5P_DEFAULT) < 0) {
        free(sample);
        return true;
    }
    double bits = 0; /* the planes' order-0 entropy, in bits */
    uint32_t count[256];
    for (size_t b = 0; b < fsize; b++) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < m; i++) count[sample[i * fsize + b]]++;
        bits += (double)m * log2((double)m);
        for (int v = 0; v < 256; v++)
            if (count[v]) bits -= (double)count[v] * log2((double)count[v]);
    }
    free(sample);
    return 8.0 * (double)(m * fsize) >= DEFLATE_MIN_RATIO * bits;
}

/* A transfer property list whose type-conversion buffer fits n elements of ftype and mtype
 * (at most HDF5's default 1 MiB). HDF5 allocates and zeroes the whole buffer for every
 * write that converts (strings, bools): at its default size, the index's columns of one
 * value each cost 1 MiB of memset and page faults apiece (5% of a reference run's CPU).
 * H5P_DEFAULT for larger writes, -1 on failure. */
static hid_t conversion_dxpl(hid_t ftype, hid_t mtype, size_t n)
{
    size_t fsize = H5Tget_size(ftype), msize = H5Tget_size(mtype), elem = fsize > msize ? fsize : msize;
    if (fsize == 0 || msize == 0) return -1;
    if (n >= (size_t)1 << 20) return H5P_DEFAULT;
    /* twice the sizes: a variable-length string takes 16 bytes in a file, 8 in memory, and
     * H5Tget_size says 8 for both; at least 4 KiB, far below the default */
    size_t bytes = 2 * n * elem < 4096 ? 4096 : 2 * n * elem;
    if (bytes >= (size_t)1 << 20) return H5P_DEFAULT;
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_buffer(dxpl, bytes, NULL, NULL) < 0) {
        H5Pclose(dxpl);
        dxpl = -1;
    }
    return dxpl;
}

/* Creates dataset `name` (intermediate groups too) under loc and writes buf into it.
 * Large arrays get shuffle+deflate where it pays (deflate_pays, unless `trained` says it
 * never does; all with w->compress_all); with w->checksum every non-empty one is chunked (HDF5
 * filters need chunks; a small array is one chunk) and gets Fletcher-32, last, so that the
 * checksum covers the bytes as stored. Returns the open dataset (caller closes) or -1. */
enum { PLIST_LINK, PLIST_PLAIN, PLIST_DEFLATE };

/* The writer's property list `which` (enum above), made at its first use: HDF5's lists cost
 * as much to create and close as a small dataset's write. The dataset creation lists carry
 * the filters (deflate: shuffle and deflate at the writer's level; both: Fletcher-32 with
 * w->checksum); each dataset sets its own chunk shape. -1 on failure. */
static hid_t writer_plist(sw_h5w *w, int which, int level)
{
    if (w->plists[which] > 0) return w->plists[which];
    hid_t p = H5Pcreate(which == PLIST_LINK ? H5P_LINK_CREATE : H5P_DATASET_CREATE);
    bool ok = p >= 0;
    if (ok && which == PLIST_LINK) ok = H5Pset_create_intermediate_group(p, 1) >= 0;
    if (ok && which == PLIST_DEFLATE) ok = H5Pset_shuffle(p) >= 0 && H5Pset_deflate(p, (unsigned)level) >= 0;
    if (ok && which != PLIST_LINK && w->checksum) ok = H5Pset_fletcher32(p) >= 0;
    if (!ok) {
        if (p >= 0) H5Pclose(p);
        return -1;
    }
    return w->plists[which] = p;
}

/* Writes an array stored as it is in memory (no conversion, no deflate) with Fletcher-32
 * chunk by chunk through H5Dwrite_chunk, its checksum made here (sw_h5_fletcher32, HDF5's
 * exact sum, appended little-endian as HDF5's filter does). HDF5's own way cost a third of
 * writing a reference run's file: every chunk copied into the chunk cache, copied again at
 * H5Dclose for the filter, summed a byte at a time, and written at once. choose_chunks'
 * shapes (leading dimensions 1, then one cut dimension, then whole ones) make every chunk a
 * contiguous slice of buf; an edge chunk is stored whole, its padding zeros (HDF5 pads with
 * the fill value, 0). false when HDF5 refuses a chunk. */
static bool write_chunks_direct(sw_h5w *w, hid_t d, int rank, const hsize_t *dims, const hsize_t *chunk,
                                size_t elem, const void *buf)
{
    int cut = 0; /* the first dimension not cut to 1 */
    while (cut < rank - 1 && chunk[cut] == 1) cut++;
    size_t inner = elem; /* bytes of one step of the cut dimension */
    for (int i = cut + 1; i < rank; i++) inner *= (size_t)dims[i];
    size_t bytes = inner * (size_t)chunk[cut];
    if (bytes + 4 > w->chunk_size) {
        free(w->chunk);
        w->chunk_size = 0;
        if (!(w->chunk = malloc(bytes + 4))) return false;
        w->chunk_size = bytes + 4;
    }
    unsigned char *c = w->chunk;
    const unsigned char *p = buf;
    hsize_t at[H5S_MAX_RANK] = {0};
    for (;;) { /* at: the chunk's offset; p: its first element */
        hsize_t rows = dims[cut] - at[cut] < chunk[cut] ? dims[cut] - at[cut] : chunk[cut];
        size_t have = inner * (size_t)rows;
        memcpy(c, p, have);
        memset(c + have, 0, bytes - have);
        uint32_t sum = sw_h5_fletcher32(c, bytes);
        for (int k = 0; k < 4; k++) c[bytes + (size_t)k] = (unsigned char)(sum >> 8 * k);
        if (H5Dwrite_chunk(d, H5P_DEFAULT, 0, at, bytes + 4, c) < 0) return false;
        p += have;
        int i = cut;
        while (i >= 0 && (at[i] += chunk[i]) >= dims[i]) at[i--] = 0;
        if (i < 0) return true;
    }
}

static hid_t write_dset(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                        const hsize_t *dims, const void *buf, bool trained)
{
    if (w->rc) return -1;
    size_t n = count_of(rank, dims);
    int level = w->deflate_level > 0 ? w->deflate_level : SW_H5_DEFLATE_LEVEL;
    bool compress = w->compress && rank > 0 && n >= COMPRESS_MIN_ELEMENTS &&
                    (w->compress_all || (!trained && deflate_pays(ftype, mtype, n, buf))),
         checksum = w->checksum && rank > 0 && n > 0, chunked = compress || checksum;
    hid_t s = make_space(rank, dims), lcpl = writer_plist(w, PLIST_LINK, level), d = -1,
          dcpl = chunked ? writer_plist(w, compress ? PLIST_DEFLATE : PLIST_PLAIN, level) : H5P_DEFAULT;
    int ok = s >= 0 && lcpl >= 0 && dcpl >= 0;
    hsize_t chunk[H5S_MAX_RANK];
    size_t elem = chunked ? H5Tget_size(ftype) : 0;
    if (ok && chunked) {
        choose_chunks(rank, dims, elem, chunk);
        ok = elem > 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0;
    }
    if (ok) d = H5Dcreate2(loc, name, ftype, s, lcpl, dcpl, H5P_DEFAULT);
    /* numbers of the same type in memory as in the file need no conversion buffer (strings
     * always do, even of equal types) */
    H5T_class_t cls = d >= 0 && n > 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    htri_t equal = cls == H5T_INTEGER || cls == H5T_FLOAT ? H5Tequal(ftype, mtype) : 0;
    bool direct = checksum && !compress && equal > 0; /* write_chunks_direct appends the checksum */
    hid_t dxpl = d < 0 || n == 0 || equal > 0 ? H5P_DEFAULT
                 : cls == H5T_NO_CLASS || equal < 0 ? -1 : conversion_dxpl(ftype, mtype, n);
    if (d >= 0 && n > 0 &&
        (direct ? !write_chunks_direct(w, d, rank, dims, chunk, elem, buf)
                : dxpl < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, dxpl, buf) < 0)) {
        H5Dclose(d);
        d = -1;
    }
    if (dxpl > 0 && dxpl != H5P_DEFAULT) H5Pclose(dxpl);
    if (s >= 0) H5Sclose(s);
    if (d < 0) sw_h5w_fail(w, SW_EHDF5, "dataset '%s'", name);
    return d;
}

hid_t sw_h5w_dset(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                  const hsize_t *dims, const void *buf)
{
    return write_dset(w, loc, name, ftype, mtype, rank, dims, buf, false);
}

hid_t sw_h5w_dset_trained(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const hsize_t *dims, const void *buf)
{
    return write_dset(w, loc, name, ftype, mtype, rank, dims, buf, true);
}

/* sw_h5w_dset for arrays that need nothing more than a long_name: writes and closes. */
int sw_h5w_array(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                     const hsize_t *dims, const void *buf, const char *long_name)
{
    hid_t d = sw_h5w_dset(w, loc, name, ftype, mtype, rank, dims, buf);
    if (d < 0) return w->rc;
    if (long_name) sw_h5w_attr_str(w, d, "long_name", long_name);
    H5Dclose(d);
    return w->rc;
}

/* Groups list their links and attributes in creation order (h5py follows it). */
hid_t sw_h5w_group(sw_h5w *w, hid_t loc, const char *name)
{
    if (w->rc) return -1;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    if (gcpl >= 0 &&
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0 &&
        H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (gcpl >= 0) H5Pclose(gcpl);
    if (g < 0) sw_h5w_fail(w, SW_EHDF5, "group '%s'", name);
    return g;
}

/* ---- atomic file creation ---------------------------------------------------------- */

/* Records the driver's failed system call as the writer's failure, replacing an HDF5
 * failure it may have caused (a read of what could not be written). */
static void take_io_failure(sw_h5w *w)
{
    if (!w->io.err) return;
    sw_set_error(w->err, w->errlen, "cannot write %s: %s", w->where, strerror(w->io.err));
    w->rc = SW_EIO;
}

/* A new file written by HDF5 into the temporary (`tmp`, tmplen bytes, for the final name
 * <base>.h5 in dir) through h5tmpfile.c's driver; sw_h5w_finish renames it into place. The
 * temporary names this process (sw_atomic_owner): a file there is the leftover of a dead
 * process whose pid this one reuses, and is replaced. */
hid_t sw_h5w_create(sw_h5w *w, const char *dir, const char *base, char *tmp, size_t tmplen)
{
    static atomic_uint serial;
    char owner[128];
    sw_atomic_owner(owner, sizeof owner);
    int n = snprintf(tmp, tmplen, "%s/.%s" SW_H5_TMP_MARK "%s.%u", dir, base, owner, atomic_fetch_add(&serial, 1u));
    if (n < 0 || (size_t)n >= tmplen) {
        sw_h5w_fail(w, SW_EINVAL, "path too long");
        return -1;
    }
    w->io = (sw_h5tmp_status){0, NULL};
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fcpl >= 0 && fapl >= 0 &&
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0 &&
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0 &&
        H5Pset_istore_k(fcpl, CHUNK_BTREE_K) >= 0 && sw_h5tmp_set_fapl(fapl, &w->io) >= 0 &&
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (f < 0) {
        sw_h5w_fail(w, SW_EHDF5, "creating the file");
        take_io_failure(w);
        unlink(tmp);
    }
    return f;
}

/* Closes the file (whatever happened: the strong close degree closes every object still
 * open in it; the driver fsync's it) and, when nothing failed, renames the temporary into
 * place; otherwise deletes it. */
int sw_h5w_finish(sw_h5w *w, hid_t file, const char *dir, const char *tmp)
{
    for (size_t i = 0; i < SW_ARRAY_LEN(w->plists); i++)
        if (w->plists[i] > 0) H5Pclose(w->plists[i]);
    memset(w->plists, 0, sizeof w->plists);
    free(w->chunk);
    w->chunk = NULL;
    w->chunk_size = 0;
    /* a failure HDF5 sees while flushing is one it recovers from; inside H5Fclose, not */
    if (!w->rc && !w->io.err && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) sw_h5w_fail(w, SW_EHDF5, "flushing the file");
    if (H5Fclose(file) < 0) sw_h5w_fail(w, SW_EHDF5, "closing the file");
    take_io_failure(w);
    if (!w->rc)
        w->rc = sw_atomic_commit(dir, w->where, tmp, w->err, w->errlen);
    else
        unlink(tmp);
    return w->rc;
}

/* ---- temporaries ------------------------------------------------------------------ */

bool sw_h5w_is_temporary(const char *name)
{
    return name[0] == '.' && strstr(name, SW_H5_TMP_MARK) != NULL;
}

int sw_h5_remove_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : SW_EIO;
    int removed = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!sw_h5w_is_temporary(e->d_name)) continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (unlink(path) == 0)
            removed++;
        else if (errno != ENOENT)
            rc = SW_EIO;
    }
    closedir(d);
    return rc ? rc : removed;
}
