/* h5recipe.c: the recipe interpreter of h5recipe.h. Files are built in memory (HDF5's core
 * driver without a backing store, opened on a copy of the base image) and written out at
 * the end, since the readers under test take a path. */
#define _POSIX_C_SOURCE 200809L
#include "h5recipe.h"

#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_OPS 48
#define MAX_WRITE_ELEMS (1u << 16)   /* larger datasets are left to their fill value */
#define MAX_WRITE_BYTES (1u << 20)
#define MAX_ATTR_ELEMS 64            /* attributes live in object headers: keep them small */

typedef struct {
    const uint8_t *p;
    size_t n, i;
} input;

static unsigned next(input *in)
{
    return in->i < in->n ? in->p[in->i++] : 0;
}

typedef struct {
    char *object, *name;
} slot;

struct h5recipe {
    void **bases;
    size_t *base_lens;
    int n_bases;
    char **paths;    /* object paths, "/" first */
    int n_paths;
    slot *slots;     /* (object, attribute) pairs of the base files */
    int n_slots;
    char **names;    /* distinct attribute names */
    int n_names;
    char **strings;  /* string values */
    int n_strings;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

/* Appends s to list (*n entries) unless it is there already. */
static void add_unique(char ***list, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp((*list)[i], s)) return;
    *list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
    (*list)[(*n)++] = xstrdup(s);
}

/* ---- names of the base files ------------------------------------------------------ */

typedef struct {
    h5recipe *r;
    const char *object;
} visit_ctx;

/* The value of a scalar string attribute, for the dictionary. */
static void collect_string(h5recipe *r, hid_t a)
{
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(s) == 1) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, t, &v) >= 0 && v) {
                if (strlen(v) < 256) add_unique(&r->strings, &r->n_strings, v);
                H5free_memory(v);
            }
        } else {
            size_t n = H5Tget_size(t);
            char *v = calloc(n + 1, 1);
            if (v && n < 256 && H5Aread(a, t, v) >= 0) add_unique(&r->strings, &r->n_strings, v);
            free(v);
        }
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
}

static herr_t on_attribute(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    visit_ctx *c = data;
    h5recipe *r = c->r;
    for (int i = 0; i < r->n_slots; i++)
        if (!strcmp(r->slots[i].object, c->object) && !strcmp(r->slots[i].name, name)) return 0;
    r->slots = xrealloc(r->slots, (size_t)(r->n_slots + 1) * sizeof *r->slots);
    r->slots[r->n_slots++] = (slot){xstrdup(c->object), xstrdup(name)};
    add_unique(&r->names, &r->n_names, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a >= 0) {
        collect_string(r, a);
        H5Aclose(a);
    }
    return 0;
}

static void collect_attributes(h5recipe *r, hid_t file, const char *object)
{
    hid_t o = H5Oopen(file, object, H5P_DEFAULT);
    if (o < 0) return;
    visit_ctx c = {r, object};
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, on_attribute, &c);
    H5Oclose(o);
}

static herr_t on_link(hid_t root, const char *name, const H5L_info_t *info, void *data)
{
    h5recipe *r = data;
    char path[1024];
    snprintf(path, sizeof path, "/%s", name);
    add_unique(&r->paths, &r->n_paths, path);
    const char *last = strrchr(path, '/') + 1;
    add_unique(&r->strings, &r->n_strings, last);
    /* Only objects of this file: an external link would open another file. */
    if (info->type == H5L_TYPE_HARD) collect_attributes(r, root, path);
    return 0;
}

static hid_t core_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0) abort();
    return fapl;
}

/* Opens a copy of base b in memory, read-write; negative when HDF5 refuses it. */
static hid_t open_base(const h5recipe *r, int b)
{
    hid_t fapl = core_fapl();
    hid_t f = -1;
    if (H5Pset_file_image(fapl, r->bases[b], r->base_lens[b]) >= 0)
        f = H5Fopen("recipe-base.h5", H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    return f;
}

h5recipe *h5recipe_create(const void *const *bases, const size_t *base_lens, int n_bases,
                          const char *const *extra_paths, int n_extra_paths,
                          const char *const *extra_strings, int n_extra_strings)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5recipe *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->bases = xrealloc(NULL, (size_t)n_bases * sizeof *r->bases);
    r->base_lens = xrealloc(NULL, (size_t)n_bases * sizeof *r->base_lens);
    r->n_bases = n_bases;
    add_unique(&r->paths, &r->n_paths, "/");
    static const char *const builtin[] = {
        "", "0", "1", "-1", "2", "1e308", "nan", "inf", "true", "false", "TRUE", "FALSE", "yes",
        "x", "..", "../x", "a/b", ".hidden", "\xff\xfe", "a\nb",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++) add_unique(&r->strings, &r->n_strings, builtin[i]);
    for (int i = 0; i < n_extra_strings; i++) add_unique(&r->strings, &r->n_strings, extra_strings[i]);
    for (int b = 0; b < n_bases; b++) {
        r->bases[b] = xrealloc(NULL, base_lens[b]);
        memcpy(r->bases[b], bases[b], base_lens[b]);
        r->base_lens[b] = base_lens[b];
        hid_t f = open_base(r, b);
        if (f < 0) {
            fprintf(stderr, "h5recipe: base file %d does not open\n", b);
            abort();
        }
        collect_attributes(r, f, "/");
        H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, on_link, r);
        H5Fclose(f);
    }
    for (int i = 0; i < n_extra_paths; i++) add_unique(&r->paths, &r->n_paths, extra_paths[i]);
    if (!r->n_names) add_unique(&r->names, &r->n_names, "a");
    if (getenv("H5RECIPE_LIST")) { /* the tables recipe bytes index, to write inputs by hand */
        for (int i = 0; i < r->n_paths; i++) fprintf(stderr, "path %d: %s\n", i, r->paths[i]);
        for (int i = 0; i < r->n_slots; i++) fprintf(stderr, "slot %d: %s %s\n", i, r->slots[i].object, r->slots[i].name);
        for (int i = 0; i < r->n_names; i++) fprintf(stderr, "name %d: %s\n", i, r->names[i]);
        for (int i = 0; i < r->n_strings; i++) fprintf(stderr, "string %d: %s\n", i, r->strings[i]);
    }
    return r;
}

void h5recipe_free(h5recipe *r)
{
    if (!r) return;
    for (int b = 0; b < r->n_bases; b++) free(r->bases[b]);
    free(r->bases);
    free(r->base_lens);
    for (int i = 0; i < r->n_paths; i++) free(r->paths[i]);
    free(r->paths);
    for (int i = 0; i < r->n_slots; i++) free(r->slots[i].object), free(r->slots[i].name);
    free(r->slots);
    for (int i = 0; i < r->n_names; i++) free(r->names[i]);
    free(r->names);
    for (int i = 0; i < r->n_strings; i++) free(r->strings[i]);
    free(r->strings);
    free(r);
}

/* ---- types ------------------------------------------------------------------------ */

/* The element types a recipe can choose (byte % TY_COUNT): the types the files use, their
 * neighbours (other widths, signedness, byte order, string kinds) and the other classes. */
enum {
    TY_I8, TY_U8, TY_I16, TY_I32, TY_U32, TY_I64, TY_U64, TY_F32, TY_F64, TY_I32BE, TY_F64BE,
    TY_VSTR, TY_VSTR_UTF8, TY_FSTR, TY_FSTR_SPACEPAD, TY_ENUM_BOOL, TY_ENUM_OTHER, TY_COMPOUND,
    TY_ARRAY, TY_OPAQUE, TY_BITFIELD, TY_VLEN, TY_COUNT
};

static hid_t make_type(int kind, input *in)
{
    hid_t t = -1;
    switch (kind) {
    case TY_I8: return H5Tcopy(H5T_STD_I8LE);
    case TY_U8: return H5Tcopy(H5T_STD_U8LE);
    case TY_I16: return H5Tcopy(H5T_STD_I16LE);
    case TY_I32: return H5Tcopy(H5T_STD_I32LE);
    case TY_U32: return H5Tcopy(H5T_STD_U32LE);
    case TY_I64: return H5Tcopy(H5T_STD_I64LE);
    case TY_U64: return H5Tcopy(H5T_STD_U64LE);
    case TY_F32: return H5Tcopy(H5T_IEEE_F32LE);
    case TY_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case TY_I32BE: return H5Tcopy(H5T_STD_I32BE);
    case TY_F64BE: return H5Tcopy(H5T_IEEE_F64BE);
    case TY_VSTR:
    case TY_VSTR_UTF8:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        if (kind == TY_VSTR_UTF8) H5Tset_cset(t, H5T_CSET_UTF8);
        return t;
    case TY_FSTR:
    case TY_FSTR_SPACEPAD:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 1 + next(in) % 40);
        H5Tset_strpad(t, kind == TY_FSTR ? (next(in) & 1 ? H5T_STR_NULLPAD : H5T_STR_NULLTERM) : H5T_STR_SPACEPAD);
        return t;
    case TY_ENUM_BOOL: { /* h5py's bool */
        t = H5Tenum_create(H5T_NATIVE_INT8);
        signed char f = 0, v = 1;
        H5Tenum_insert(t, "FALSE", &f);
        H5Tenum_insert(t, "TRUE", &v);
        return t;
    }
    case TY_ENUM_OTHER: {
        t = H5Tenum_create(H5T_STD_I64LE);
        long long a = 1, b = 0, c = -7;
        H5Tenum_insert(t, "true", &b);  /* values swapped on purpose */
        H5Tenum_insert(t, "false", &a);
        H5Tenum_insert(t, "a label longer than sixteen bytes", &c);
        return t;
    }
    case TY_COMPOUND:
        t = H5Tcreate(H5T_COMPOUND, 12);
        H5Tinsert(t, "a", 0, H5T_STD_I32LE);
        H5Tinsert(t, "b", 4, H5T_IEEE_F64LE);
        return t;
    case TY_ARRAY: {
        hsize_t n = 1 + next(in) % 3;
        return H5Tarray_create2(H5T_STD_I32LE, 1, &n);
    }
    case TY_OPAQUE:
        t = H5Tcreate(H5T_OPAQUE, 1 + next(in) % 8);
        H5Tset_tag(t, "fuzz");
        return t;
    case TY_BITFIELD: return H5Tcopy(H5T_STD_B8LE);
    case TY_VLEN: return H5Tvlen_create(H5T_STD_I32LE);
    default: return -1;
    }
}

/* ---- shapes ----------------------------------------------------------------------- */

typedef struct {
    int kind;           /* 0 scalar, 1 null, 2 simple */
    int rank;
    hsize_t dims[4], maxdims[4];
    int huge;           /* dims too large to write: chunked, left to the fill value */
    unsigned long long count;
} shape;

/* Shape byte % 8: 0 scalar, 1 null (no elements), 2-5 rank 1-4 with each dim 0-8, 6 rank 1
 * with a dim 0-255, 7 rank 1-4 with each dim 2^k - 1, 2^k or 2^k + 1 for k < 40, left to
 * the fill value (datasets only; attributes get rank 1 instead). */
static void make_shape(input *in, int for_attribute, shape *s)
{
    memset(s, 0, sizeof *s);
    unsigned k = next(in) % 8;
    s->count = 1;
    if (k == 0) return;
    if (k == 1) {
        s->kind = 1;
        s->count = 0;
        return;
    }
    s->kind = 2;
    if (k <= 5) {
        s->rank = (int)k - 1;
        for (int i = 0; i < s->rank; i++) s->dims[i] = next(in) % 9;
    } else if (k == 6 || for_attribute) {
        s->rank = 1;
        s->dims[0] = next(in) % (for_attribute ? MAX_ATTR_ELEMS : 256);
    } else {
        s->rank = 1 + (int)(next(in) % 4);
        for (int i = 0; i < s->rank; i++) {
            s->dims[i] = 1ull << (next(in) % 40);
            s->dims[i] += (hsize_t)(next(in) % 3) - 1;
        }
        s->huge = 1;
    }
    for (int i = 0; i < s->rank; i++) {
        s->maxdims[i] = s->huge ? H5S_UNLIMITED : s->dims[i];
        /* Only compared with small limits: saturate instead of overflowing. */
        s->count = s->dims[i] && s->count > (1ull << 62) / s->dims[i] ? 1ull << 62 : s->count * s->dims[i];
    }
    if (for_attribute && s->count > MAX_ATTR_ELEMS) s->rank = 1, s->dims[0] = s->maxdims[0] = s->count = 1;
}

static hid_t make_space(const shape *s)
{
    if (s->kind == 0) return H5Screate(H5S_SCALAR);
    if (s->kind == 1) return H5Screate(H5S_NULL);
    return H5Screate_simple(s->rank, s->dims, s->maxdims);
}

/* ---- values ----------------------------------------------------------------------- */

static const double special_f[] = {0, 1, -1, 0.5, 2, 3, 6, 100, -0.0, 1e-300, 1e300, DBL_MAX, -DBL_MAX,
                                   NAN, INFINITY, -INFINITY, 0.999, 2147483648.0, 9.3e18, 1.5};
static const long long special_i[] = {0, 1, -1, 2, 3, 4, 5, 6, 100, 127, 128, 255, 65535, 2147483647LL,
                                      -2147483647LL - 1, 4294967295LL, 9223372036854775807LL,
                                      -9223372036854775807LL - 1};

typedef struct {
    void *buf;          /* the elements in the file type's layout */
    char **strs;        /* variable-length strings: the pointers (into h5recipe's strings or text) */
    char *text;         /* raw text taken from the input */
    hvl_t *vl;
} values;

static void values_free(values *v)
{
    free(v->buf);
    free(v->strs);
    free(v->text);
    free(v->vl);
    memset(v, 0, sizeof *v);
}

/* A string taken from the input: a length byte, then that many bytes (NUL-terminated). */
static char *input_text(input *in)
{
    size_t n = next(in) % 64;
    char *t = malloc(n + 1);
    if (!t) abort();
    for (size_t i = 0; i < n; i++) t[i] = (char)next(in);
    t[n] = 0;
    return t;
}

/* Fills n elements of type t. Value byte % 4: 0 zeros (empty strings), 1 bytes of the input,
 * 2 special values (numbers: a table of edge cases; strings: the dictionary), 3 counting
 * 0, 1, 2, ... (strings: NULL pointers). Returns 0, or -1 when nothing can be written. */
static int make_values(const h5recipe *r, hid_t t, size_t n, input *in, values *v)
{
    memset(v, 0, sizeof *v);
    unsigned mode = next(in) % 4;
    H5T_class_t c = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    if (c == H5T_STRING && H5Tis_variable_str(t) > 0) {
        v->strs = calloc(n ? n : 1, sizeof *v->strs);
        if (!v->strs) abort();
        if (mode == 1) v->text = input_text(in);
        for (size_t i = 0; i < n; i++) {
            if (mode == 0) v->strs[i] = r->strings[0]; /* "" */
            else if (mode == 1) v->strs[i] = v->text;
            else if (mode == 2) v->strs[i] = r->strings[next(in) % (unsigned)r->n_strings];
        }
        v->buf = NULL;
        return 0;
    }
    if (c == H5T_VLEN) {
        static int ints[3] = {1, -1, 7};
        v->vl = calloc(n ? n : 1, sizeof *v->vl);
        if (!v->vl) abort();
        for (size_t i = 0; i < n; i++) v->vl[i] = (hvl_t){mode ? next(in) % 4 : 0, ints};
        for (size_t i = 0; i < n; i++)
            if (v->vl[i].len > 3) v->vl[i].len = 3;
        return 0;
    }
    size_t bytes = n * size, wide = n * (size > 8 ? size : 8);
    v->buf = calloc(wide ? wide : 1, 1);
    if (!v->buf) abort();
    if (mode == 0 || !n) return 0;
    if (c == H5T_STRING) { /* fixed length */
        for (size_t i = 0; i < n; i++) {
            char *dst = (char *)v->buf + i * size;
            if (mode == 1) {
                for (size_t k = 0; k < size; k++) dst[k] = (char)next(in);
            } else {
                const char *s = mode == 2 ? r->strings[next(in) % (unsigned)r->n_strings] : "";
                size_t len = strlen(s);
                memcpy(dst, s, len < size ? len : size);
            }
        }
        return 0;
    }
    if (mode == 1 || (c != H5T_INTEGER && c != H5T_FLOAT)) {
        size_t take = bytes < 256 ? bytes : 256;
        unsigned char *p = v->buf;
        for (size_t i = 0; i < take; i++) p[i] = (unsigned char)next(in);
        for (size_t i = take; take && i < bytes; i++) p[i] = p[i % take];
        return 0;
    }
    /* Numbers: made as double or int64, converted to the file type by HDF5 (which clips). */
    int is_float = c == H5T_FLOAT;
    unsigned distinct = 1 + next(in) % 16;
    unsigned char picks[16];
    for (unsigned i = 0; i < distinct; i++) picks[i] = (unsigned char)next(in);
    for (size_t i = 0; i < n; i++) {
        unsigned pk = picks[i % distinct];
        if (is_float)
            ((double *)v->buf)[i] = mode == 2 ? special_f[pk % (sizeof special_f / sizeof *special_f)] : (double)i;
        else
            ((long long *)v->buf)[i] = mode == 2 ? special_i[pk % (sizeof special_i / sizeof *special_i)] : (long long)i;
    }
    hid_t src = is_float ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG;
    return H5Tconvert(src, t, n, v->buf, NULL, H5P_DEFAULT) >= 0 ? 0 : -1;
}

static const void *values_data(const values *v)
{
    return v->strs ? (const void *)v->strs : v->vl ? (const void *)v->vl : v->buf;
}

/* ---- operations ------------------------------------------------------------------- */

static const char *pick_path(const h5recipe *r, input *in)
{
    return r->paths[next(in) % (unsigned)r->n_paths];
}

/* Removes whatever PATH names (ignoring failure) and returns a link creation property list
 * that makes missing parent groups. */
static hid_t clear_path(hid_t f, const char *path)
{
    if (strcmp(path, "/")) H5Ldelete(f, path, H5P_DEFAULT);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    return lcpl;
}

/* Layout byte % 5: 0 contiguous, 1 chunked, 2 compact, 3 chunked + deflate,
 * 4 chunked + Fletcher-32. Scalar and null spaces are contiguous; huge ones chunked. */
static hid_t make_dcpl(const shape *s, input *in)
{
    unsigned layout = next(in) % 5;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (s->kind != 2 || s->rank == 0) return dcpl;
    if (s->huge && (layout == 0 || layout == 2)) layout = 1;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] == 0 && !s->huge) return dcpl; /* a chunk cannot exceed a fixed zero dimension */
    if (layout == 2) {
        H5Pset_layout(dcpl, H5D_COMPACT);
    } else if (layout != 0) {
        hsize_t chunk[4];
        for (int i = 0; i < s->rank; i++) chunk[i] = s->dims[i] == 0 ? 1 : s->dims[i] < 64 ? s->dims[i] : 64;
        H5Pset_chunk(dcpl, s->rank, chunk);
        if (layout == 3) H5Pset_deflate(dcpl, 1);
        if (layout == 4) H5Pset_fletcher32(dcpl);
    }
    return dcpl;
}

static void op_dataset(const h5recipe *r, hid_t f, input *in)
{
    const char *path = pick_path(r, in);
    hid_t t = make_type((int)(next(in) % TY_COUNT), in);
    shape s;
    make_shape(in, 0, &s);
    hid_t space = make_space(&s), dcpl = make_dcpl(&s, in), lcpl = clear_path(f, path);
    hid_t d = t >= 0 && space >= 0 ? H5Dcreate2(f, path, t, space, lcpl, dcpl, H5P_DEFAULT) : -1;
    size_t size = t >= 0 ? H5Tget_size(t) : 0;
    if (d >= 0 && !s.huge && s.count && s.count <= MAX_WRITE_ELEMS && s.count * size <= MAX_WRITE_BYTES) {
        values v;
        if (make_values(r, t, (size_t)s.count, in, &v) == 0) H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, values_data(&v));
        values_free(&v);
    }
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    if (t >= 0) H5Tclose(t);
}

static void put_attribute(const h5recipe *r, hid_t f, const char *object, const char *name, input *in)
{
    hid_t t = make_type((int)(next(in) % TY_COUNT), in);
    shape s;
    make_shape(in, 1, &s);
    hid_t o = H5Oopen(f, object, H5P_DEFAULT);
    hid_t space = make_space(&s);
    if (o >= 0 && t >= 0 && space >= 0) {
        if (H5Aexists(o, name) > 0) H5Adelete(o, name);
        hid_t a = H5Acreate2(o, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) {
            values v;
            if (s.count && make_values(r, t, (size_t)s.count, in, &v) == 0) H5Awrite(a, t, values_data(&v));
            if (s.count) values_free(&v);
            H5Aclose(a);
        }
    }
    if (space >= 0) H5Sclose(space);
    if (o >= 0) H5Oclose(o);
    if (t >= 0) H5Tclose(t);
}

enum { OP_DATASET, OP_ATTRIBUTE, OP_ATTR_AT, OP_GROUP, OP_DELETE, OP_DEL_ATTR, OP_SOFT_LINK, OP_HARD_LINK, OP_COUNT };

static void apply(const h5recipe *r, hid_t f, input *in)
{
    unsigned op = next(in) % OP_COUNT;
    switch (op) {
    case OP_DATASET: op_dataset(r, f, in); break;
    case OP_ATTRIBUTE:
        if (r->n_slots) {
            const slot *s = &r->slots[next(in) % (unsigned)r->n_slots];
            put_attribute(r, f, s->object, s->name, in);
        }
        break;
    case OP_ATTR_AT: {
        const char *object = pick_path(r, in);
        put_attribute(r, f, object, r->names[next(in) % (unsigned)r->n_names], in);
        break;
    }
    case OP_GROUP: {
        const char *path = pick_path(r, in);
        hid_t lcpl = clear_path(f, path);
        hid_t g = strcmp(path, "/") ? H5Gcreate2(f, path, lcpl, H5P_DEFAULT, H5P_DEFAULT) : -1;
        if (g >= 0) H5Gclose(g);
        H5Pclose(lcpl);
        break;
    }
    case OP_DELETE: {
        const char *path = pick_path(r, in);
        if (strcmp(path, "/")) H5Ldelete(f, path, H5P_DEFAULT);
        break;
    }
    case OP_DEL_ATTR:
        if (r->n_slots) {
            const slot *s = &r->slots[next(in) % (unsigned)r->n_slots];
            hid_t o = H5Oopen(f, s->object, H5P_DEFAULT);
            if (o >= 0) {
                if (H5Aexists(o, s->name) > 0) H5Adelete(o, s->name);
                H5Oclose(o);
            }
        }
        break;
    case OP_SOFT_LINK:
    case OP_HARD_LINK: {
        const char *path = pick_path(r, in), *target = pick_path(r, in);
        if (!strcmp(path, "/")) break;
        hid_t lcpl = clear_path(f, path);
        if (op == OP_HARD_LINK)
            H5Lcreate_hard(f, target, f, path, lcpl, H5P_DEFAULT);
        else
            H5Lcreate_soft(target, f, path, lcpl, H5P_DEFAULT);
        H5Pclose(lcpl);
        break;
    }
    default: break;
    }
}

int h5recipe_build(h5recipe *r, const uint8_t *data, size_t size, const char *path, unsigned *options)
{
    input in = {data, size, 0};
    int b = (int)(next(&in) % (unsigned)(r->n_bases + 1));
    *options = next(&in);
    hid_t f;
    if (b < r->n_bases) {
        f = open_base(r, b);
    } else {
        hid_t fapl = core_fapl();
        f = H5Fcreate("recipe-empty.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        H5Pclose(fapl);
    }
    if (f < 0) return -1;
    for (int k = 0; k < MAX_OPS && in.i < in.n; k++) apply(r, f, &in);
    int rc = -1;
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0) {
        ssize_t n = H5Fget_file_image(f, NULL, 0);
        void *image = n > 0 ? malloc((size_t)n) : NULL;
        if (image && H5Fget_file_image(f, image, (size_t)n) == n) rc = fuzz_write_file(path, image, (size_t)n);
        free(image);
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}
