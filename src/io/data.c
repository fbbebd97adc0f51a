/* data.c: loading and caching the data of file tasks (see data.h).
 *
 * Errors: every message starts with the file, then the dataset ("d.h5: /train/y: ..."),
 * so a user with several data files sees at once which one is wrong and where. Sizes are
 * checked as uint64 against the limits before anything is narrowed to int or multiplied
 * into a byte count, and before anything is allocated.
 *
 * HDF5: both splits are inspected (types, ranks, shapes, agreement) before any data is
 * read, so a mistake in /test/y does not cost reading a large /train/x first. HDF5 keeps
 * its automatic error printing per thread: it is switched off for the load and restored,
 * and the innermost HDF5 message becomes part of ours. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "data.h"

#include <hdf5.h>
#include <zlib.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

enum { SPLIT_TRAIN, SPLIT_TEST, SPLIT_COUNT };
static const char *split_name[SPLIT_COUNT] = {"train", "test"};

/* How each target kind is worded in messages and descriptions. */
static const struct {
    const char *one, *many; /* "class", "classes" */
    const char *where;      /* "at the last step" */
} target_words[SW_TARGET_COUNT] = {
    [SW_TARGET_CLASS_LAST] = {"class", "classes", "at the last step"},
    [SW_TARGET_VALUE_LAST] = {"value", "values", "at the last step"},
    [SW_TARGET_CLASS_STEPS] = {"class", "classes", "at every step"},
};

/* The axes of x [N,T,I], in both formats, with their limits. T is bounded like the
 * synthetic tasks' seq_len; N and I by int and, jointly, by SW_DATA_MAX_VALUES. */
static const struct {
    const char *name;
    uint64_t max;
} x_axes[3] = {{"sequences", INT_MAX}, {"steps", SW_MAX_SEQ_LEN}, {"inputs", INT_MAX}};

/* ---- errors ------------------------------------------------------------------------ */

/* Where a message comes from: the file as the user spelled it. */
typedef struct {
    const char *file;
    char *err;
    size_t errlen;
} ectx;

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc && e->desc[0]) snprintf(buf, 200, "%s", e->desc);
    return 0;
}

/* Fills err with "<file>: <where>: <message>", plus the innermost message of this
 * thread's HDF5 error stack when there is one (the stack is cleared), and returns code.
 * `where` (a dataset) may be NULL. */
SW_PRINTF(4, 5)
static int fail(const ectx *e, int code, const char *where, const char *fmt, ...)
{
    char what[512], detail[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    sw_set_error(e->err, e->errlen, "%s: %s%s%s%s%s%s", e->file, where ? where : "",
                 where ? ": " : "", what, detail[0] ? " (HDF5: " : "", detail,
                 detail[0] ? ")" : "");
    return code;
}

/* ---- shapes ------------------------------------------------------------------------ */

/* Checks x's dims [N,T,I] against x_axes and N*T*I against SW_DATA_MAX_VALUES. */
static int check_x_dims(const ectx *e, const char *where, const uint64_t dims[3])
{
    for (int a = 0; a < 3; a++) {
        if (dims[a] == 0) return fail(e, SW_EFORMAT, where, "has no %s", x_axes[a].name);
        if (dims[a] > x_axes[a].max)
            return fail(e, SW_EFORMAT, where, "%llu %s, more than the limit of %llu",
                        (unsigned long long)dims[a], x_axes[a].name,
                        (unsigned long long)x_axes[a].max);
    }
    /* Each factor is below 2^31 here, so the products cannot overflow uint64. */
    if (dims[0] * dims[1] * dims[2] > SW_DATA_MAX_VALUES)
        return fail(e, SW_EFORMAT, where,
                    "%llu x %llu x %llu values, more than the limit of %zu (8 GiB of float32)",
                    (unsigned long long)dims[0], (unsigned long long)dims[1],
                    (unsigned long long)dims[2], SW_DATA_MAX_VALUES);
    return SW_OK;
}

/* The first non-finite value of x (n*T*I floats) as "x[s,t,i] is nan", or SW_OK. */
static int check_x_finite(const ectx *e, const char *where, const sw_dataset *d)
{
    size_t count = (size_t)d->n * d->seq_len * d->input;
    for (size_t j = 0; j < count; j++) {
        if (isfinite(d->x[j])) continue;
        size_t per_seq = (size_t)d->seq_len * d->input;
        return fail(e, SW_EFORMAT, where, "value [%zu,%zu,%zu] is %s (the first one)",
                    j / per_seq, j % per_seq / d->input, j % d->input,
                    isnan(d->x[j]) ? "NaN" : d->x[j] > 0 ? "+Inf" : "-Inf");
    }
    return SW_OK;
}

/* The first non-finite regression target (n*K floats), or SW_OK. */
static int check_v_finite(const ectx *e, const char *where, const sw_dataset *d)
{
    size_t count = (size_t)d->n * d->outputs;
    for (size_t j = 0; j < count; j++) {
        if (isfinite(d->v[j])) continue;
        return fail(e, SW_EFORMAT, where, "value [%zu,%zu] is %s (the first one)",
                    j / d->outputs, j % d->outputs, isnan(d->v[j]) ? "NaN" : "infinite");
    }
    return SW_OK;
}

/* Largest label of d (class datasets). */
static int32_t max_label(const sw_dataset *d)
{
    size_t count = (size_t)d->n * (d->target == SW_TARGET_CLASS_STEPS ? d->seq_len : 1);
    int32_t m = INT32_MIN;
    for (size_t j = 0; j < count; j++)
        if (d->y[j] > m) m = d->y[j];
    return m;
}

/* Every label in 0..classes-1; the first one outside, with its index, otherwise.
 * `declared`: classes came from the file (n_classes), not from the labels. */
static int check_labels(const ectx *e, const char *where, const sw_dataset *d, long long classes,
                        bool declared)
{
    int per = d->target == SW_TARGET_CLASS_STEPS ? d->seq_len : 1;
    size_t count = (size_t)d->n * per;
    for (size_t j = 0; j < count; j++) {
        int32_t c = d->y[j];
        if (c >= 0 && c < classes) continue;
        char at[64];
        if (per > 1)
            snprintf(at, sizeof at, "[%zu,%zu]", j / per, j % per);
        else
            snprintf(at, sizeof at, "[%zu]", j);
        if (c < 0) return fail(e, SW_EFORMAT, where, "label %d at %s is negative", (int)c, at);
        return fail(e, SW_EFORMAT, where, "label %d at %s is out of range: n_classes is %lld%s",
                    (int)c, at, classes, declared ? " (root attribute)" : "");
    }
    return SW_OK;
}

/* The class count of a file: `declared` (> 0) when the file gives one, else the largest
 * label + 1, at least `at_least`; then every label of both splits is checked. */
static int settle_classes(const ectx *e, sw_dataset d[SPLIT_COUNT], const char *y_where[SPLIT_COUNT],
                          long long declared, int at_least, int *classes)
{
    long long c = declared;
    if (c <= 0) {
        int32_t m = max_label(&d[SPLIT_TRAIN]), mt = max_label(&d[SPLIT_TEST]);
        c = (long long)(m > mt ? m : mt) + 1;
        if (c < at_least) c = at_least;
        if (c > SW_DATA_MAX_OUTPUTS)
            return fail(e, SW_EFORMAT, m >= mt ? y_where[SPLIT_TRAIN] : y_where[SPLIT_TEST],
                        "largest label %lld means %lld classes, more than the limit of %d",
                        c - 1, c, SW_DATA_MAX_OUTPUTS);
        if (c < 2)
            return fail(e, SW_EFORMAT, y_where[SPLIT_TRAIN],
                        "every label is 0: one class cannot be learned (the root attribute "
                        "n_classes declares classes the data lacks)");
    }
    for (int s = 0; s < SPLIT_COUNT; s++) {
        int rc = check_labels(e, y_where[s], &d[s], c, declared > 0);
        if (rc) return rc;
    }
    *classes = (int)c;
    return SW_OK;
}

/* Train and test must describe the same problem. */
static int check_agreement(const ectx *e, const sw_dataset d[SPLIT_COUNT],
                           const char *x_where, const char *y_where)
{
    const sw_dataset *a = &d[SPLIT_TRAIN], *b = &d[SPLIT_TEST];
    if (a->seq_len != b->seq_len || a->input != b->input)
        return fail(e, SW_EFORMAT, x_where,
                    "%d step%s x %d input%s per sequence, but train has %d x %d", b->seq_len,
                    sw_plural(b->seq_len), b->input, sw_plural(b->input), a->seq_len, a->input);
    if (a->target != b->target)
        return fail(e, SW_EFORMAT, y_where, "holds %s %s, but train holds %s %s",
                    target_words[b->target].many, target_words[b->target].where,
                    target_words[a->target].many, target_words[a->target].where);
    if (a->target == SW_TARGET_VALUE_LAST && a->outputs != b->outputs)
        return fail(e, SW_EFORMAT, y_where, "%d values per sequence, but train has %d",
                    b->outputs, a->outputs);
    return SW_OK;
}

/* ---- HDF5 -------------------------------------------------------------------------- */

static const char *h5_class_name(H5T_class_t c)
{
    static const struct {
        H5T_class_t c;
        const char *name;
    } names[] = {{H5T_INTEGER, "integer"},   {H5T_FLOAT, "float"},    {H5T_TIME, "time"},
                 {H5T_STRING, "string"},     {H5T_BITFIELD, "bitfield"}, {H5T_OPAQUE, "opaque"},
                 {H5T_COMPOUND, "compound"}, {H5T_REFERENCE, "reference"},
                 {H5T_ENUM, "enum (h5py stores bool as one)"}, {H5T_VLEN, "variable-length"},
                 {H5T_ARRAY, "array"}};
    for (size_t i = 0; i < SW_ARRAY_LEN(names); i++)
        if (names[i].c == c) return names[i].name;
    return "unknown";
}

/* One split's datasets, inspected but not yet read. */
typedef struct {
    char x_path[32], y_path[32];
    hid_t x, y;
    uint64_t dims[3]; /* N, T, I */
    H5T_class_t y_class;
    int y_rank;
    uint64_t k; /* values per sequence (VALUE_LAST) */
    sw_target_kind target;
} h5_split;

/* Opens dataset `path` of f; SW_ENOTFOUND when it (or its group) is missing. */
static int h5_open(const ectx *e, hid_t f, const char *group, const char *path, hid_t *out)
{
    *out = -1;
    htri_t has = H5Lexists(f, group, H5P_DEFAULT);
    if (has > 0) has = H5Lexists(f, path, H5P_DEFAULT);
    if (has <= 0) return fail(e, SW_ENOTFOUND, path, "missing dataset");
    hid_t o = H5Oopen(f, path, H5P_DEFAULT);
    if (o < 0) return fail(e, SW_EFORMAT, path, "cannot be opened");
    if (H5Iget_type(o) != H5I_DATASET) {
        H5Oclose(o);
        return fail(e, SW_EFORMAT, path, "is not a dataset");
    }
    *out = o;
    return SW_OK;
}

/* Type class, rank and dims (at most 3) of dataset d. */
static int h5_shape(const ectx *e, hid_t d, const char *where, H5T_class_t *cls, int *rank,
                    uint64_t dims[3])
{
    hid_t t = H5Dget_type(d);
    *cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0) H5Tclose(t);
    hid_t s = H5Dget_space(d);
    int r = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    hsize_t h[H5S_MAX_RANK];
    if (r >= 0 && H5Sget_simple_extent_dims(s, h, NULL) < 0) r = -1;
    if (s >= 0) H5Sclose(s);
    if (*cls == H5T_NO_CLASS || r < 0) return fail(e, SW_EFORMAT, where, "unreadable type or shape");
    *rank = r;
    for (int i = 0; i < 3; i++) dims[i] = i < r ? (uint64_t)h[i] : 0;
    return SW_OK;
}

/* Opens and checks split s's x and y; fills sp (whose ids the caller closes). */
static int h5_inspect(const ectx *e, hid_t f, int s, h5_split *sp)
{
    char group[16];
    snprintf(group, sizeof group, "/%s", split_name[s]);
    snprintf(sp->x_path, sizeof sp->x_path, "/%s/x", split_name[s]);
    snprintf(sp->y_path, sizeof sp->y_path, "/%s/y", split_name[s]);
    H5T_class_t cls;
    int rank, rc;
    if ((rc = h5_open(e, f, group, sp->x_path, &sp->x))) return rc;
    if ((rc = h5_shape(e, sp->x, sp->x_path, &cls, &rank, sp->dims))) return rc;
    if (cls != H5T_FLOAT)
        return fail(e, SW_EFORMAT, sp->x_path, "must be float32, found %s", h5_class_name(cls));
    if (rank != 3)
        return fail(e, SW_EFORMAT, sp->x_path, "must have 3 dimensions [N,T,I], found %d", rank);
    if ((rc = check_x_dims(e, sp->x_path, sp->dims))) return rc;

    uint64_t yd[3];
    if ((rc = h5_open(e, f, group, sp->y_path, &sp->y))) return rc;
    if ((rc = h5_shape(e, sp->y, sp->y_path, &sp->y_class, &sp->y_rank, yd))) return rc;
    if (sp->y_class != H5T_INTEGER && sp->y_class != H5T_FLOAT)
        return fail(e, SW_EFORMAT, sp->y_path,
                    "must be int32 (classes) or float32 (values), found %s",
                    h5_class_name(sp->y_class));
    if (sp->y_rank != 1 && sp->y_rank != 2)
        return fail(e, SW_EFORMAT, sp->y_path, "must have 1 or 2 dimensions, found %d",
                    sp->y_rank);
    if (yd[0] != sp->dims[0])
        return fail(e, SW_EFORMAT, sp->y_path, "has %llu rows, but %s has %llu sequences",
                    (unsigned long long)yd[0], sp->x_path, (unsigned long long)sp->dims[0]);
    if (sp->y_class == H5T_INTEGER) {
        sp->target = sp->y_rank == 1 ? SW_TARGET_CLASS_LAST : SW_TARGET_CLASS_STEPS;
        if (sp->y_rank == 2 && yd[1] != sp->dims[1])
            return fail(e, SW_EFORMAT, sp->y_path,
                        "has %llu labels per sequence, but %s has %llu steps",
                        (unsigned long long)yd[1], sp->x_path, (unsigned long long)sp->dims[1]);
    } else {
        sp->target = SW_TARGET_VALUE_LAST;
        sp->k = sp->y_rank == 1 ? 1 : yd[1];
        if (sp->k == 0 || sp->k > SW_DATA_MAX_OUTPUTS)
            return fail(e, SW_EFORMAT, sp->y_path, "%llu values per sequence; 1 to %d allowed",
                        (unsigned long long)sp->k, SW_DATA_MAX_OUTPUTS);
        if (sp->dims[0] * sp->k > SW_DATA_MAX_VALUES) /* both below 2^31: no overflow */
            return fail(e, SW_EFORMAT, sp->y_path,
                        "%llu x %llu values, more than the limit of %zu (8 GiB of float32)",
                        (unsigned long long)sp->dims[0], (unsigned long long)sp->k,
                        SW_DATA_MAX_VALUES);
    }
    return SW_OK;
}

/* The root attribute n_classes, or 0 when absent. */
static int h5_declared_classes(const ectx *e, hid_t f, long long *classes)
{
    *classes = 0;
    htri_t has = H5Aexists(f, "n_classes");
    if (has <= 0) return has < 0 ? fail(e, SW_EFORMAT, "n_classes", "unreadable attribute") : SW_OK;
    hid_t a = H5Aopen(f, "n_classes", H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1, s = a >= 0 ? H5Aget_space(a) : -1;
    bool ok = t >= 0 && s >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Sget_simple_extent_npoints(s) == 1;
    long long v = 0;
    if (ok) ok = H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (a >= 0) H5Aclose(a);
    if (!ok) return fail(e, SW_EFORMAT, "root attribute n_classes", "must be one integer");
    if (v < 2 || v > SW_DATA_MAX_OUTPUTS)
        return fail(e, SW_EFORMAT, "root attribute n_classes", "is %lld; 2 to %d allowed", v,
                    SW_DATA_MAX_OUTPUTS);
    *classes = v;
    return SW_OK;
}

/* Range exceptions of the label conversion (int64 labels beyond int32) abort the read
 * instead of being clipped into plausible-looking labels. */
static H5T_conv_ret_t label_overflow(H5T_conv_except_t except, hid_t src, hid_t dst, void *src_buf,
                                     void *dst_buf, void *user)
{
    (void)src, (void)dst, (void)src_buf, (void)dst_buf;
    if (except != H5T_CONV_EXCEPT_RANGE_HI && except != H5T_CONV_EXCEPT_RANGE_LOW)
        return H5T_CONV_UNHANDLED;
    *(int *)user = 1;
    return H5T_CONV_ABORT;
}

/* Allocates d's arrays for sp's shape and reads them (converting to float32 / int32). */
static int h5_read(const ectx *e, const h5_split *sp, sw_dataset *d)
{
    d->n = (int)sp->dims[0];
    d->seq_len = (int)sp->dims[1];
    d->input = (int)sp->dims[2];
    d->target = sp->target;
    d->outputs = (int)sp->k;
    size_t nx = (size_t)d->n * d->seq_len * d->input;
    d->x = malloc(nx * sizeof *d->x);
    if (!d->x) return fail(e, SW_ENOMEM, sp->x_path, "out of memory for %zu values", nx);
    if (H5Dread(sp->x, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->x) < 0)
        return fail(e, SW_EFORMAT, sp->x_path, "cannot be read");
    int rc = check_x_finite(e, sp->x_path, d);
    if (rc) return rc;

    if (sp->target == SW_TARGET_VALUE_LAST) {
        size_t nv = (size_t)d->n * d->outputs;
        d->v = malloc(nv * sizeof *d->v);
        if (!d->v) return fail(e, SW_ENOMEM, sp->y_path, "out of memory for %zu values", nv);
        if (H5Dread(sp->y, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->v) < 0)
            return fail(e, SW_EFORMAT, sp->y_path, "cannot be read");
        return check_v_finite(e, sp->y_path, d);
    }
    size_t ny = (size_t)d->n * (sp->target == SW_TARGET_CLASS_STEPS ? d->seq_len : 1);
    d->y = malloc(ny * sizeof *d->y);
    if (!d->y) return fail(e, SW_ENOMEM, sp->y_path, "out of memory for %zu labels", ny);
    int overflow = 0;
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    herr_t r = xfer < 0 ? -1 : H5Pset_type_conv_cb(xfer, label_overflow, &overflow);
    if (r >= 0) r = H5Dread(sp->y, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, xfer, d->y);
    if (xfer >= 0) H5Pclose(xfer);
    if (overflow) {
        H5Eclear2(H5E_DEFAULT);
        return fail(e, SW_EFORMAT, sp->y_path, "has labels beyond the int32 range");
    }
    return r < 0 ? fail(e, SW_EFORMAT, sp->y_path, "cannot be read") : SW_OK;
}

static int h5_load(const ectx *e, const char *path, sw_dataset d[SPLIT_COUNT], int *classes)
{
    h5_split sp[SPLIT_COUNT] = {{.x = -1, .y = -1}, {.x = -1, .y = -1}};
    int rc = SW_OK;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        rc = fail(e, SW_EFORMAT, NULL, "not an HDF5 file (nor a directory of IDX files)");
        goto out;
    }
    for (int s = 0; s < SPLIT_COUNT && !rc; s++) rc = h5_inspect(e, f, s, &sp[s]);
    if (rc) goto out;
    /* Agreement before reading: the shapes are all it needs. */
    sw_dataset shape[SPLIT_COUNT];
    for (int s = 0; s < SPLIT_COUNT; s++)
        shape[s] = (sw_dataset){.seq_len = (int)sp[s].dims[1], .input = (int)sp[s].dims[2],
                                .target = sp[s].target, .outputs = (int)sp[s].k};
    if ((rc = check_agreement(e, shape, sp[SPLIT_TEST].x_path, sp[SPLIT_TEST].y_path))) goto out;
    long long declared;
    if ((rc = h5_declared_classes(e, f, &declared))) goto out;
    if (declared && sp[SPLIT_TRAIN].target == SW_TARGET_VALUE_LAST) {
        rc = fail(e, SW_EFORMAT, sp[SPLIT_TRAIN].y_path,
                  "is float (regression values) but the root attribute n_classes is set; "
                  "store class labels as integers");
        goto out;
    }
    for (int s = 0; s < SPLIT_COUNT && !rc; s++) rc = h5_read(e, &sp[s], &d[s]);
    if (rc) goto out;
    if (sp[SPLIT_TRAIN].target == SW_TARGET_VALUE_LAST) {
        *classes = d[SPLIT_TRAIN].outputs;
    } else {
        const char *y_where[SPLIT_COUNT] = {sp[SPLIT_TRAIN].y_path, sp[SPLIT_TEST].y_path};
        rc = settle_classes(e, d, y_where, declared, 0, classes);
    }
out:
    for (int s = 0; s < SPLIT_COUNT; s++) {
        if (sp[s].x >= 0) H5Dclose(sp[s].x);
        if (sp[s].y >= 0) H5Dclose(sp[s].y);
    }
    if (f >= 0) H5Fclose(f);
    return rc;
}

/* ---- IDX --------------------------------------------------------------------------- */

/* IDX header: two zero bytes, the element type, the rank; then rank big-endian uint32
 * sizes. MNIST's files all hold unsigned bytes. */
enum { IDX_UBYTE = 0x08, IDX_CHUNK = 1 << 14 };

/* The four files of an IDX directory, per split. */
static const struct {
    const char *images, *labels;
} idx_names[SPLIT_COUNT] = {
    {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
    {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
};

typedef struct {
    char path[SW_MAX_PATH + 64]; /* the file found: dir/name or dir/name.gz */
    gzFile gz;
    ectx e; /* messages name this file */
} idx_file;

/* Reads up to len bytes (gzread takes an unsigned count: in pieces); returns the count. */
static size_t gz_read_full(gzFile gz, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got < (1u << 30) ? len - got : (1u << 30);
        int n = gzread(gz, (unsigned char *)buf + got, (unsigned)want);
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got;
}

/* " (gzip: <message>)" when zlib reports a problem (such as a stream without its end),
 * else "". */
static const char *gz_detail(const idx_file *f, char *buf, size_t len)
{
    int code = Z_OK;
    const char *msg = gzerror(f->gz, &code);
    if (code == Z_OK || !msg || !msg[0]) return "";
    /* zlib starts with the path, which our message already starts with. */
    size_t n = strlen(f->path);
    if (strncmp(msg, f->path, n) == 0 && msg[n] == ':') msg += n + (msg[n + 1] == ' ' ? 2 : 1);
    snprintf(buf, len, " (gzip: %s)", msg);
    return buf;
}

/* Opens dir/name, else dir/name.gz (gzread reads plain files as they are), and checks
 * the magic number for unsigned bytes of `rank` dimensions; reads the dims. */
static int idx_open(const ectx *dir, const char *name, int rank, idx_file *f, uint64_t dims[3])
{
    struct stat st;
    snprintf(f->path, sizeof f->path, "%s/%s", dir->file, name);
    if (stat(f->path, &st) != 0) snprintf(f->path, sizeof f->path, "%s/%s.gz", dir->file, name);
    f->e = (ectx){f->path, dir->err, dir->errlen};
    if (stat(f->path, &st) != 0)
        return fail(dir, SW_ENOTFOUND, NULL, "missing %s (or %s.gz)", name, name);
    f->gz = gzopen(f->path, "rb");
    if (!f->gz) return fail(&f->e, SW_EFORMAT, NULL, "cannot be opened: %s", strerror(errno));
    gzbuffer(f->gz, 1u << 17);
    unsigned char h[4 + 4 * 3];
    size_t header = 4 + 4 * (size_t)rank;
    if (gz_read_full(f->gz, h, 4) < 4)
        return fail(&f->e, SW_EFORMAT, NULL, "truncated: shorter than an IDX header");
    uint32_t magic = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (magic != (uint32_t)(IDX_UBYTE << 8 | rank))
        return fail(&f->e, SW_EFORMAT, NULL,
                    "magic number 0x%08x, expected 0x%08x (IDX, unsigned bytes, %d dimension%s)",
                    (unsigned)magic, (unsigned)(IDX_UBYTE << 8 | rank), rank, sw_plural(rank));
    if (gz_read_full(f->gz, h + 4, header - 4) < header - 4)
        return fail(&f->e, SW_EFORMAT, NULL, "truncated in the header");
    for (int i = 0; i < rank; i++) {
        const unsigned char *b = h + 4 + 4 * i;
        dims[i] = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
    }
    return SW_OK;
}

/* Reads exactly `count` bytes after the header, passing each piece to `take`, then checks
 * that nothing follows. `what` names the bytes in messages ("pixels"). */
static int idx_body(idx_file *f, size_t count, const char *what,
                    void (*take)(const unsigned char *, size_t, size_t, void *), void *ctx)
{
    unsigned char buf[IDX_CHUNK];
    char detail[160];
    for (size_t done = 0; done < count;) {
        size_t want = count - done < sizeof buf ? count - done : sizeof buf;
        size_t got = gz_read_full(f->gz, buf, want);
        if (got > 0) take(buf, got, done, ctx);
        done += got;
        if (got < want)
            return fail(&f->e, SW_EFORMAT, NULL, "truncated: %zu of the %zu bytes of %s%s",
                        done, count, what, gz_detail(f, detail, sizeof detail));
    }
    if (gz_read_full(f->gz, buf, 1) > 0)
        return fail(&f->e, SW_EFORMAT, NULL, "longer than the %zu bytes of %s its header declares",
                    count, what);
    /* All the data came, but a gzip stream can still lack its end (and its checksum). */
    if (gz_detail(f, detail, sizeof detail)[0])
        return fail(&f->e, SW_EFORMAT, NULL, "truncated or damaged after its %zu bytes of %s%s",
                    count, what, detail);
    return SW_OK;
}

/* pixel / 255 in float, as every MNIST pipeline scales it. */
static void take_pixels(const unsigned char *b, size_t n, size_t at, void *ctx)
{
    float *x = ctx;
    for (size_t i = 0; i < n; i++) x[at + i] = (float)b[i] / 255.0f;
}

static void take_labels(const unsigned char *b, size_t n, size_t at, void *ctx)
{
    int32_t *y = ctx;
    for (size_t i = 0; i < n; i++) y[at + i] = b[i];
}

/* One split: images become d->x (T = rows, I = cols), labels d->y. */
static int idx_split(const ectx *dir, int s, sw_dataset *d)
{
    idx_file im = {.gz = NULL}, lb = {.gz = NULL};
    uint64_t dims[3] = {0}, ldims[3] = {0};
    int rc = idx_open(dir, idx_names[s].images, 3, &im, dims);
    if (!rc) rc = check_x_dims(&im.e, NULL, dims);
    if (!rc) rc = idx_open(dir, idx_names[s].labels, 1, &lb, ldims);
    if (!rc && ldims[0] != dims[0])
        rc = fail(&lb.e, SW_EFORMAT, NULL, "%llu labels, but %s has %llu images",
                  (unsigned long long)ldims[0], idx_names[s].images, (unsigned long long)dims[0]);
    if (rc) goto out;
    d->n = (int)dims[0];
    d->seq_len = (int)dims[1];
    d->input = (int)dims[2];
    d->target = SW_TARGET_CLASS_LAST;
    size_t nx = (size_t)d->n * d->seq_len * d->input;
    d->x = malloc(nx * sizeof *d->x);
    d->y = malloc((size_t)d->n * sizeof *d->y);
    if (!d->x || !d->y) {
        rc = fail(&im.e, SW_ENOMEM, NULL, "out of memory for %zu pixels", nx);
        goto out;
    }
    rc = idx_body(&im, nx, "pixels", take_pixels, d->x);
    if (!rc) rc = idx_body(&lb, (size_t)d->n, "labels", take_labels, d->y);
out:
    if (im.gz) gzclose(im.gz);
    if (lb.gz) gzclose(lb.gz);
    return rc;
}

static int idx_load(const ectx *dir, sw_dataset d[SPLIT_COUNT], int *classes)
{
    for (int s = 0; s < SPLIT_COUNT; s++) {
        int rc = idx_split(dir, s, &d[s]);
        if (rc) return rc;
    }
    const char *y_where[SPLIT_COUNT] = {idx_names[SPLIT_TRAIN].labels, idx_names[SPLIT_TEST].labels};
    int rc = check_agreement(dir, d, idx_names[SPLIT_TEST].images, y_where[SPLIT_TEST]);
    if (rc) return rc;
    /* MNIST's 10 classes even when a subset lacks some (see data.h). */
    return settle_classes(dir, d, y_where, 0, 10, classes);
}

/* ---- the cache --------------------------------------------------------------------- */

/* One list for both kinds of file a process loads once: images and texts. */
typedef enum { CACHED_IMAGES, CACHED_TEXT } cached_kind;

typedef struct cache_entry {
    struct cache_entry *next;
    cached_kind kind;
    char key[PATH_MAX]; /* realpath of the file */
    sw_data_file file;  /* CACHED_IMAGES */
    sw_text text;       /* CACHED_TEXT */
} cache_entry;

/* Held for a whole load: a second caller of the same path waits and then finds it. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry *cache_head;

const char *sw_data_format_name(sw_data_format format)
{
    static const char *names[SW_DATA_FORMAT_COUNT] = {"hdf5", "idx"};
    return (unsigned)format < SW_DATA_FORMAT_COUNT ? names[format] : "unknown";
}

void sw_data_describe(const sw_data_file *f, char *out, size_t outlen)
{
    if (!out || !outlen) return;
    sw_target_kind t = (unsigned)f->target < SW_TARGET_COUNT ? f->target : SW_TARGET_CLASS_LAST;
    snprintf(out, outlen, "%d train + %d test sequences, %d step%s x %d input%s, %d %s %s (%s)",
             f->n_train, f->n_test, f->seq_len, sw_plural(f->seq_len), f->input,
             sw_plural(f->input), f->outputs,
             f->outputs == 1 ? target_words[t].one : target_words[t].many, target_words[t].where,
             sw_data_format_name(f->format));
}

/* Loads `key` (resolved) into f; messages name `path` (as given). */
static int load(const char *path, const char *key, sw_data_file *f, char *err, size_t errlen)
{
    ectx e = {path, err, errlen};
    struct stat st;
    if (stat(key, &st) != 0) return fail(&e, SW_ENOTFOUND, NULL, "%s", strerror(errno));
    sw_dataset d[SPLIT_COUNT];
    memset(d, 0, sizeof d);
    int classes = 0, rc;
    snprintf(f->path, sizeof f->path, "%s", path);
    if (S_ISDIR(st.st_mode)) {
        f->format = SW_DATA_IDX;
        rc = idx_load(&e, d, &classes);
    } else {
        f->format = SW_DATA_HDF5;
        H5E_auto2_t old_func;
        void *old_data;
        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        rc = h5_load(&e, key, d, &classes);
        H5Eclear2(H5E_DEFAULT);
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    }
    if (rc) {
        for (int s = 0; s < SPLIT_COUNT; s++) sw_dataset_free(&d[s]);
        return rc;
    }
    for (int s = 0; s < SPLIT_COUNT; s++) d[s].outputs = classes;
    f->target = d[SPLIT_TRAIN].target;
    f->outputs = classes;
    f->seq_len = d[SPLIT_TRAIN].seq_len;
    f->input = d[SPLIT_TRAIN].input;
    f->n_train = d[SPLIT_TRAIN].n;
    f->n_test = d[SPLIT_TEST].n;
    /* rank-3 x is [N,H,W]; per-step targets would not follow reordered steps */
    f->images = f->target != SW_TARGET_CLASS_STEPS;
    f->train = d[SPLIT_TRAIN];
    f->test = d[SPLIT_TEST];
    return SW_OK;
}

static int text_load(const char *path, const char *key, sw_text *t, char *err, size_t errlen);

/* The entry of `path` (by its realpath) and `kind`, loaded on first use; every later caller
 * shares it until sw_data_cache_clear. Returns SW_OK with *out set, or an error with err
 * naming the file (nothing is cached then). */
static int cache_open(const char *path, cached_kind kind, cache_entry **out, char *err, size_t errlen)
{
    *out = NULL;
    ectx e = {path, err, errlen};
    if (strlen(path) >= SW_MAX_PATH)
        return fail(&e, SW_EINVAL, NULL, "path longer than %d bytes", SW_MAX_PATH - 1);
    char key[PATH_MAX];
    if (!realpath(path, key)) {
        int code = errno == ENOENT || errno == ENOTDIR ? SW_ENOTFOUND : SW_EIO;
        return fail(&e, code, NULL, "%s", strerror(errno));
    }
    int rc = SW_OK;
    pthread_mutex_lock(&cache_lock);
    cache_entry *c = cache_head;
    while (c && (c->kind != kind || strcmp(c->key, key) != 0)) c = c->next;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) {
            rc = fail(&e, SW_ENOMEM, NULL, "out of memory");
        } else if ((rc = kind == CACHED_TEXT ? text_load(path, key, &c->text, err, errlen)
                                              : load(path, key, &c->file, err, errlen))) {
            free(c);
            c = NULL;
        } else {
            c->kind = kind;
            snprintf(c->key, sizeof c->key, "%s", key);
            c->next = cache_head;
            cache_head = c;
        }
    }
    *out = c;
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

int sw_data_open(const char *path, const sw_data_file **out, char *err, size_t errlen)
{
    cache_entry *c;
    int rc = cache_open(path, CACHED_IMAGES, &c, err, errlen);
    *out = c ? &c->file : NULL;
    return rc;
}

sw_data_shape sw_data_shape_of(const sw_data_file *f)
{
    return (sw_data_shape){.target = f->target, .outputs = f->outputs, .seq_len = f->seq_len, .input = f->input,
                           .n_train = f->n_train, .n_test = f->n_test, .images = f->images};
}

sw_data_shape sw_text_shape_of(const sw_text *t)
{
    return (sw_data_shape){.target = SW_TARGET_CLASS_STEPS, .outputs = t->vocab_size, .input = t->vocab_size,
                           .chars = t->n, .vocab = t->vocab_size, .unigram = t->unigram, .utf8 = t->utf8};
}

/* ---- texts ------------------------------------------------------------------------- */

int sw_utf8_decode(const unsigned char *b, size_t len, int32_t *cp)
{
    static const struct {
        unsigned char lead_mask, lead_bits;
        int32_t min;
    } form[5] = {{0, 0, 0}, {0x80, 0x00, 0}, {0xE0, 0xC0, 0x80}, {0xF0, 0xE0, 0x800}, {0xF8, 0xF0, 0x10000}};
    for (int n = 1; n <= 4; n++) {
        if ((b[0] & form[n].lead_mask) != form[n].lead_bits) continue;
        if ((size_t)n > len) return 0;
        int32_t c = b[0] & (0x7F >> (n - 1 + (n > 1)));
        for (int k = 1; k < n; k++) {
            if ((b[k] & 0xC0) != 0x80) return 0;
            c = c << 6 | (b[k] & 0x3F);
        }
        if (c < form[n].min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        *cp = c;
        return n;
    }
    return 0;
}

int sw_utf8_encode(int32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    int n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (int k = n - 1; k > 0; k--, cp >>= 6) out[k] = (char)(0x80 | (cp & 0x3F));
    out[0] = (char)(lead[n] | cp);
    return n;
}

/* The characters of bytes[0..len): code points when the whole is UTF-8 (*utf8 = 1), else
 * the bytes; their count into *n. */
static void text_characters(const unsigned char *bytes, size_t len, int32_t *chars, long long *n, int *utf8)
{
    *utf8 = 1;
    *n = 0;
    for (size_t i = 0; i < len;) {
        int k = sw_utf8_decode(bytes + i, len - i, &chars[*n]);
        if (!k) {
            *utf8 = 0;
            break;
        }
        i += (size_t)k;
        ++*n;
    }
    if (*utf8) return;
    for (size_t i = 0; i < len; i++) chars[i] = bytes[i];
    *n = (long long)len;
}

/* " ('a')" or " (U+00E9)": a character for messages. */
static void describe_char(int32_t c, char *out, size_t len)
{
    if (c >= 0x21 && c < 0x7F)
        snprintf(out, len, "'%c'", (char)c);
    else
        snprintf(out, len, "U+%04X", (unsigned)c);
}

/* The vocabulary of t's characters (t->codes holds the characters on entry, their indices
 * into the vocabulary on return) and the unigram entropy. */
static int text_vocabulary(const ectx *e, sw_text *t)
{
    enum { CODE_POINTS = 0x110000 };
    int32_t *index = malloc(CODE_POINTS * sizeof *index);
    if (!index) return fail(e, SW_ENOMEM, NULL, "out of memory");
    for (int32_t c = 0; c < CODE_POINTS; c++) index[c] = -1;
    for (long long i = 0; i < t->n; i++) index[t->codes[i]] = 0;
    int V = 0;
    for (int32_t c = 0; c < CODE_POINTS; c++)
        if (index[c] == 0) index[c] = V++;
    int rc = SW_OK;
    char one[16];
    describe_char(t->codes[0], one, sizeof one);
    if (V > SW_TEXT_MAX_VOCAB)
        rc = fail(e, SW_EFORMAT, NULL, "%d distinct characters, more than the limit of %d (each is an input and an "
                  "output of the network)", V, SW_TEXT_MAX_VOCAB);
    else if (V < 2)
        rc = fail(e, SW_EFORMAT, NULL, "every character is %s: one character leaves nothing to predict", one);
    else if (!(t->vocab = malloc((size_t)V * sizeof *t->vocab)))
        rc = fail(e, SW_ENOMEM, NULL, "out of memory");
    double *count = rc ? NULL : calloc((size_t)V, sizeof *count);
    if (!rc && !count) rc = fail(e, SW_ENOMEM, NULL, "out of memory");
    if (!rc) {
        for (int32_t c = 0; c < CODE_POINTS; c++)
            if (index[c] >= 0) t->vocab[index[c]] = c;
        for (long long i = 0; i < t->n; i++) count[t->codes[i] = index[t->codes[i]]]++;
        t->vocab_size = V;
        t->unigram = 0;
        for (int v = 0; v < V; v++) t->unigram -= count[v] / (double)t->n * log(count[v] / (double)t->n);
    }
    free(count);
    free(index);
    return rc;
}

static void text_free(sw_text *t)
{
    free(t->codes);
    free(t->vocab);
    memset(t, 0, sizeof *t);
}

/* Reads the text at `key` (resolved); messages name `path` (as given). */
static int text_load(const char *path, const char *key, sw_text *t, char *err, size_t errlen)
{
    ectx e = {path, err, errlen};
    struct stat st;
    if (stat(key, &st) != 0) return fail(&e, SW_ENOTFOUND, NULL, "%s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(&e, SW_EFORMAT, NULL, "is a directory; task.kind text reads a text file (a directory of IDX "
                    "files is task.kind file)");
    if (st.st_size > SW_TEXT_MAX_BYTES)
        return fail(&e, SW_EFORMAT, NULL, "%lld bytes, more than the limit of %lld (1 GiB)", (long long)st.st_size,
                    SW_TEXT_MAX_BYTES);
    FILE *f = fopen(key, "rb");
    if (!f) return fail(&e, SW_EIO, NULL, "cannot be opened: %s", strerror(errno));
    size_t cap = (size_t)st.st_size + 1, len = 0;
    unsigned char *bytes = malloc(cap);
    int rc = bytes ? SW_OK : fail(&e, SW_ENOMEM, NULL, "out of memory");
    /* read to the end, not to the size stat saw (a file that grows or a pipe-like file) */
    while (!rc && !feof(f)) {
        if (len == cap && !rc) {
            unsigned char *more = cap > (size_t)SW_TEXT_MAX_BYTES ? NULL : realloc(bytes, cap * 2);
            if (!more) rc = fail(&e, SW_EFORMAT, NULL, "longer than the limit of %lld bytes", SW_TEXT_MAX_BYTES);
            else bytes = more, cap *= 2;
        }
        if (!rc) len += fread(bytes + len, 1, cap - len, f);
        if (!rc && ferror(f)) rc = fail(&e, SW_EIO, NULL, "cannot be read: %s", strerror(errno));
    }
    fclose(f);
    if (!rc && len == 0) rc = fail(&e, SW_EFORMAT, NULL, "empty file: there is no text to learn from");
    if (!rc && !(t->codes = malloc(len * sizeof *t->codes))) rc = fail(&e, SW_ENOMEM, NULL, "out of memory");
    if (!rc) {
        text_characters(bytes, len, t->codes, &t->n, &t->utf8);
        rc = text_vocabulary(&e, t);
    }
    free(bytes);
    if (rc) text_free(t);
    return rc;
}

int sw_text_open(const char *path, const sw_text **out, char *err, size_t errlen)
{
    cache_entry *c;
    int rc = cache_open(path, CACHED_TEXT, &c, err, errlen);
    *out = c ? &c->text : NULL;
    return rc;
}

double sw_data_loaded_bytes(const char *path)
{
    char key[PATH_MAX];
    if (!realpath(path, key)) return 0;
    double bytes = 0;
    pthread_mutex_lock(&cache_lock);
    for (const cache_entry *c = cache_head; c; c = c->next) {
        if (strcmp(c->key, key)) continue;
        if (c->kind == CACHED_TEXT) {
            bytes += (double)c->text.n * sizeof(int32_t) + c->text.vocab_size * sizeof(int32_t);
            continue;
        }
        const sw_dataset *d[2] = {&c->file.train, &c->file.test};
        for (int s = 0; s < 2; s++) {
            size_t per = d[s]->target == SW_TARGET_CLASS_STEPS ? (size_t)d[s]->seq_len : 1;
            bytes += (double)d[s]->n * d[s]->seq_len * d[s]->input * sizeof(float);
            bytes += (double)d[s]->n * (d[s]->v ? (size_t)d[s]->outputs * sizeof(float) : per * sizeof(int32_t));
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return bytes;
}

void sw_data_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    while (cache_head) {
        cache_entry *c = cache_head;
        cache_head = c->next;
        if (c->kind == CACHED_TEXT) {
            text_free(&c->text);
        } else {
            sw_dataset_free(&c->file.train);
            sw_dataset_free(&c->file.test);
        }
        free(c);
    }
    pthread_mutex_unlock(&cache_lock);
}
