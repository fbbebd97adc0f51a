/* test_hdf5_roundtrip: every contract path of a run file, written with sw_h5_write_run from
 * synthetic results and read back with the plain HDF5 C API (not the module's reader), plus
 * failed/diverged files, atomicity (temporaries, truncation), the sweep index with its
 * external links and table, concurrent writers, the module's reader and SHA-256.
 *
 * Usage: test_hdf5_roundtrip SCRATCH_DIR */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <hdf5_hl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "h5read.h"
#include "h5write.h"
#include "hash.h"
#include "index.h"
#include "runfile.h"
#include "runwrite.h"
#include "hdf5_synth.h"
#include "model.h"
#include "record.h"
#include "version.h"

static char scratch[512];

/* ---- raw readers ---------------------------------------------------------------- */

static char *raw_str_attr(hid_t loc, const char *obj, const char *name)
{
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8) {
        char *v = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        if (H5Aread(a, mt, &v) >= 0) out = strdup(v ? v : "");
        H5free_memory(v);
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

/* Numeric attribute of the given class (H5T_INTEGER / H5T_FLOAT) and size, as double. */
static int raw_num_attr(hid_t loc, const char *obj, const char *name, H5T_class_t cls, size_t size,
                        double *out)
{
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0) return 0;
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    int ok = H5Tget_class(t) == cls && H5Tget_size(t) == size && H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0;
    H5Tclose(t);
    H5Aclose(a);
    return ok;
}

/* Reads a dataset as doubles into a new array; rank and dims out. NULL if absent. */
static double *raw_dset(hid_t loc, const char *name, int *rank, hsize_t *dims)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t s = H5Dget_space(d);
    *rank = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, NULL);
    size_t n = (size_t)H5Sget_simple_extent_npoints(s);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        free(v);
        v = NULL;
    }
    H5Sclose(s);
    H5Dclose(d);
    return v;
}

static int dset_file_class(hid_t loc, const char *name, H5T_class_t *cls, size_t *size)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t t = H5Dget_type(d);
    *cls = H5Tget_class(t);
    *size = H5Tget_size(t);
    H5Tclose(t);
    H5Dclose(d);
    return 1;
}

/* Name of the dimension scale attached to dimension `dim` of dataset `name` ("" if none). */
typedef struct {
    char *buf;
    size_t len;
} name_buf;

static herr_t scale_visitor(hid_t dset, unsigned dim, hid_t scale, void *data)
{
    (void)dset;
    (void)dim;
    name_buf *nb = data;
    H5DSget_scale_name(scale, nb->buf, nb->len);
    return 1; /* the first one is enough */
}

static void scale_name(hid_t loc, const char *name, unsigned dim, char *out, size_t outlen)
{
    out[0] = 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return;
    name_buf nb = {out, outlen};
    if (H5DSget_num_scales(d, dim) >= 1) H5DSiterate_scales(d, dim, NULL, scale_visitor, &nb);
    H5Dclose(d);
}

static int is_compressed(hid_t loc, const char *name)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t p = H5Dget_create_plist(d);
    int n = H5Pget_nfilters(p), deflate = 0, shuffle = 0;
    for (int i = 0; i < n; i++) {
        unsigned flags;
        size_t nelem = 0;
        unsigned cd[4];
        char fname[64];
        unsigned fc;
        H5Z_filter_t f = H5Pget_filter2(p, (unsigned)i, &flags, &nelem, cd, sizeof fname, fname, &fc);
        deflate |= f == H5Z_FILTER_DEFLATE;
        shuffle |= f == H5Z_FILTER_SHUFFLE;
    }
    H5Pclose(p);
    H5Dclose(d);
    return deflate && shuffle;
}

/* ---- the checks -------------------------------------------------------------------- */

static const char *swept[] = {"model.cell", "seed"};

static void write_or_die(const char *dir, const char *id, const sw_config *cfg, const sw_run_result *r)
{
    sw_run_meta meta = {id, "synthetic", swept, 2, NULL};
    char err[512] = "";
    int rc = sw_h5_write_run(dir, &meta, cfg, r, err, sizeof err);
    CHECK(rc == SW_OK, "writing %s: %s", id, err);
}

static void check_array(hid_t f, const char *name, int rank, const hsize_t *dims, const double *expect,
                        int is_float, const char *scales)
{
    int got_rank = -1;
    hsize_t got[8] = {0};
    double *v = raw_dset(f, name, &got_rank, got);
    CHECK(v != NULL, "%s missing", name);
    if (!v) return;
    CHECK(got_rank == rank, "%s rank %d, expected %d", name, got_rank, rank);
    size_t n = 1;
    int same_dims = got_rank == rank;
    for (int i = 0; i < rank && same_dims; i++) {
        same_dims = got[i] == dims[i];
        n *= dims[i];
    }
    CHECK(same_dims, "%s dims differ", name);
    if (same_dims && expect) {
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            if (is_float ? (float)expect[i] != (float)v[i] : expect[i] != v[i]) bad++;
        CHECK(bad == 0, "%s: %zu of %zu values differ", name, bad, n);
    }
    H5T_class_t cls;
    size_t size;
    if (dset_file_class(f, name, &cls, &size))
        CHECK(cls == (is_float ? H5T_FLOAT : cls) && (!is_float || size == 4), "%s: not float32", name);
    if (scales) { /* comma-separated expected scale names per dimension */
        char want[128];
        snprintf(want, sizeof want, "%s", scales);
        char *save = NULL, *tok = strtok_r(want, ",", &save);
        for (unsigned dim = 0; tok; dim++, tok = strtok_r(NULL, ",", &save)) {
            char got_name[64];
            scale_name(f, name, dim, got_name, sizeof got_name);
            CHECK(strcmp(got_name, tok) == 0, "%s dim %u: scale '%s', expected '%s'", name, dim, got_name, tok);
        }
    }
    free(v);
}

static double *to_double_f(const float *x, size_t n)
{
    double *d = calloc(n ? n : 1, sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

/* Every row of record.c's table, generically: datasets and scales with the table's dims,
 * dimension scales and the result's values (coordinates 0..n-1 or 1..n), attributes with
 * the table's value. The explicit checks around this pin the contract independently of the
 * table; this loop covers whatever the table adds. */
static void check_table_rows(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    sw_record_sizes s;
    sw_record_sizes_recorded(cfg, r, &s);
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        char group[64];
        sw_record_group(row, group, sizeof group);
        if (row->kind == SW_REC_WEIGHTS) continue; /* tensor by tensor, checked below */
        if (!sw_record_written(row, cfg, 1)) continue; /* val_* without task.val_size */
        if (row->kind == SW_REC_ATTRIBUTE) {
            double x = 0, want = sw_record_value(row, cfg, r, &s);
            int is_f = row->type == SW_REC_F64;
            CHECK(raw_num_attr(f, group + 1, sw_record_name(row), is_f ? H5T_FLOAT : H5T_INTEGER,
                               sw_record_file_size(row->type), &x) &&
                      (x == want || (isnan(x) && isnan(want))),
                  "%s: %g, expected %g", row->path, x, want);
            continue;
        }
        size_t n = sw_record_count(row, &s);
        hsize_t dims[SW_RECORD_MAX_RANK];
        char scales[128] = "";
        size_t used = 0;
        for (int d = 0; d < row->rank; d++) {
            dims[d] = (hsize_t)s.n[row->dims[d]];
            if (row->scales[d])
                used += (size_t)snprintf(scales + used, sizeof scales - used, "%s%s", d ? "," : "", row->scales[d]);
        }
        double *e = malloc((n ? n : 1) * sizeof *e);
        const void *a = sw_record_is_array(row) ? sw_record_array(sw_record_field_const(row, r)) : NULL;
        for (size_t k = 0; k < n; k++) {
            switch (a ? row->type : SW_REC_TYPE_COUNT) {
            case SW_REC_F64: e[k] = ((const double *)a)[k]; break;
            case SW_REC_F32: e[k] = ((const float *)a)[k]; break;
            case SW_REC_I32: e[k] = ((const int32_t *)a)[k]; break;
            default: e[k] = row->first + (double)k; /* a coordinate */
            }
        }
        check_array(f, row->path + 1, row->rank, dims, e, row->type == SW_REC_F32, scales[0] ? scales : NULL);
        free(e);
        if (row->kind == SW_REC_SCALE) {
            hid_t d = H5Dopen2(f, row->path, H5P_DEFAULT);
            CHECK(d >= 0 && H5DSis_scale(d) > 0, "%s is not a dimension scale", row->path);
            if (d >= 0) H5Dclose(d);
        }
    }
}

static herr_t add_dataset_bytes(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    if (info->type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT), s = H5Dget_space(d), t = H5Dget_type(d);
    *(double *)data += (double)H5Sget_simple_extent_npoints(s) * (double)H5Tget_size(t);
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    return 0;
}

/* The file-size estimate is the data of the file's datasets, for a run of every epoch. */
static void check_file_bytes(const char *path, const sw_config *cfg)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    double bytes = 0;
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, add_dataset_bytes, &bytes);
    H5Fclose(f);
    CHECK(bytes > 0 && bytes == sw_record_file_bytes(cfg), "%s: %.0f bytes of data, estimate %.0f", path, bytes,
          sw_record_file_bytes(cfg));
}

/* The root attributes: format, identity, status, the config's text, versions and times. */
static void check_root_attributes(hid_t f, const sw_config *cfg, const sw_run_result *r, const char *id)
{
    char *s;
    s = raw_str_attr(f, ".", "format");
    CHECK(s && !strcmp(s, "sweep-run"), "format '%s'", s ? s : "(none)");
    free(s);
    double x = 0;
    CHECK(raw_num_attr(f, ".", "format_version", H5T_INTEGER, 4, &x) && x == 1, "format_version");
    s = raw_str_attr(f, ".", "run_id");
    CHECK(s && !strcmp(s, id), "run_id");
    free(s);
    s = raw_str_attr(f, ".", "sweep");
    CHECK(s && !strcmp(s, "synthetic"), "sweep");
    free(s);
    s = raw_str_attr(f, ".", "status");
    CHECK(s && !strcmp(s, sw_run_status_name(r->status)), "status '%s'", s ? s : "(none)");
    free(s);
    s = raw_str_attr(f, ".", "error");
    CHECK(s && !strcmp(s, r->status == SW_RUN_DONE ? "" : r->error), "error '%s'", s ? s : "(none)");
    free(s);
    CHECK(raw_num_attr(f, ".", "seed", H5T_INTEGER, 8, &x) && x == (double)cfg->seed, "seed");
    char *yaml = sw_config_to_yaml(cfg);
    s = raw_str_attr(f, ".", "config");
    CHECK(s && yaml && !strcmp(s, yaml), "config text");
    free(s);
    free(yaml);
    s = raw_str_attr(f, ".", "program_version");
    CHECK(s && !strcmp(s, SWEEP_VERSION), "program_version");
    free(s);
    s = raw_str_attr(f, ".", "library_versions");
    CHECK(s && strstr(s, "hdf5 "), "library_versions '%s'", s ? s : "");
    free(s);
    s = raw_str_attr(f, ".", "created");
    CHECK(s && strlen(s) == 20 && s[4] == '-' && s[10] == 'T' && s[19] == 'Z', "created '%s'", s ? s : "");
    free(s);
    CHECK(raw_num_attr(f, ".", "wall_seconds", H5T_FLOAT, 8, &x) && x == r->wall_seconds, "wall_seconds");
}

/* The root's swept_keys: the sweep's swept keys, as variable-length strings. */
static void check_swept_keys(hid_t f)
{
    hid_t a = H5Aopen(f, "swept_keys", H5P_DEFAULT);
    hid_t sp = H5Aget_space(a);
    CHECK(H5Sget_simple_extent_npoints(sp) == 2, "swept_keys length");
    char *v[2] = {0};
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    CHECK(H5Aread(a, mt, v) >= 0 && v[0] && !strcmp(v[0], "model.cell") && v[1] && !strcmp(v[1], "seed"),
          "swept_keys values");
    H5free_memory(v[0]);
    H5free_memory(v[1]);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Aclose(a);
}

/* 1 when /config's attribute for k holds cfg's value in the file type of k's kind (text: the
 * value as the config formats it). */
static int config_attribute_matches(hid_t f, const sw_config *cfg, const sw_key_info *k, const char *text)
{
    double x = 0;
    char *s;
    int ok = 0;
    switch (k->type) {
    case SW_TYPE_INT:
    case SW_TYPE_INT64:
        ok = raw_num_attr(f, "config", k->key, H5T_INTEGER, 8, &x) && x == (double)sw_config_get_int(cfg, k);
        break;
    case SW_TYPE_FLOAT:
        ok = raw_num_attr(f, "config", k->key, H5T_FLOAT, 8, &x) && x == sw_config_get_float(cfg, k);
        break;
    case SW_TYPE_ENUM:
        s = raw_str_attr(f, "config", k->key);
        ok = s && !strcmp(s, text);
        free(s);
        break;
    case SW_TYPE_STRING: /* the text itself, not its YAML quoting */
        s = raw_str_attr(f, "config", k->key);
        ok = s && !strcmp(s, sw_config_get_string(cfg, k));
        free(s);
        break;
    case SW_TYPE_BOOL: {
        hid_t a = H5Aopen_by_name(f, "config", k->key, H5P_DEFAULT, H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        int8_t v = -1;
        char label[16] = "";
        ok = H5Tget_class(t) == H5T_ENUM && H5Aread(a, t, &v) >= 0 &&
             H5Tenum_nameof(t, &v, label, sizeof label) >= 0 &&
             !strcmp(label, sw_config_get_int(cfg, k) ? "TRUE" : "FALSE");
        H5Tclose(t);
        H5Aclose(a);
        break;
    }
    case SW_TYPE_FLOAT_LIST: { /* an f64 array, value for value */
        hid_t a = H5Aopen_by_name(f, "config", k->key, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Aget_space(a), t = H5Aget_type(a);
        int n;
        const double *want = sw_config_get_floats(cfg, k, &n);
        double *v = malloc((size_t)(n + 1) * sizeof *v);
        ok = v && H5Tget_class(t) == H5T_FLOAT && H5Sget_simple_extent_npoints(sp) == n &&
             (n == 0 || H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0);
        for (int j = 0; j < n && ok; j++) ok = v[j] == want[j];
        free(v);
        H5Tclose(t);
        H5Sclose(sp);
        H5Aclose(a);
        break;
    }
    case SW_TYPE_INT_LIST: {
        hid_t a = H5Aopen_by_name(f, "config", k->key, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Aget_space(a), t = H5Aget_type(a);
        int n = *(const int *)((const char *)cfg + k->count_offset);
        long long v[SW_MAX_MILESTONES] = {0};
        ok = H5Tget_class(t) == H5T_INTEGER && H5Sget_simple_extent_npoints(sp) == n &&
             (n == 0 || H5Aread(a, H5T_NATIVE_LLONG, v) >= 0);
        for (int j = 0; j < n && ok; j++) ok = v[j] == ((const int *)((const char *)cfg + k->offset))[j];
        H5Tclose(t);
        H5Sclose(sp);
        H5Aclose(a);
        break;
    }
    default: break;
    }
    return ok;
}

/* /config: every schema key, typed; runtime keys (how a run is executed) absent */
static void check_config_group(hid_t f, const sw_config *cfg)
{
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        if (sw_key_is_runtime(k)) {
            CHECK(H5Aexists_by_name(f, "config", k->key, H5P_DEFAULT) == 0, "/config has the runtime key %s", k->key);
            continue;
        }
        char text[256];
        sw_config_format(cfg, k, text, sizeof text);
        int ok = config_attribute_matches(f, cfg, k, text);
        CHECK(ok, "/config attribute %s (expected %s)", k->key, text);
    }
}

/* /history: the epoch coordinate, a dimension scale, and a column per metric along it. */
static void check_history(hid_t f, const sw_run_result *r)
{
    int E = r->history.epochs;
    const sw_history *h = &r->history;
    hsize_t ed[1] = {(hsize_t)E};
    double *epochs = malloc((size_t)(E ? E : 1) * sizeof *epochs);
    for (int e = 0; e < E; e++) epochs[e] = e + 1;
    check_array(f, "history/epoch", 1, ed, epochs, 0, NULL);
    free(epochs);
    const char *names[7] = {"train_loss", "train_acc", "test_loss", "test_acc", "lr", "grad_norm", "seconds"};
    const double *cols[7] = {h->train_loss, h->train_acc, h->test_loss, h->test_acc, h->lr, h->grad_norm, h->seconds};
    for (int c = 0; c < 7; c++) {
        char path2[64];
        snprintf(path2, sizeof path2, "history/%s", names[c]);
        check_array(f, path2, 1, ed, cols[c], 0, "epoch");
    }
    hid_t d = H5Dopen2(f, "history/epoch", H5P_DEFAULT);
    CHECK(H5DSis_scale(d) > 0, "/history/epoch is not a dimension scale");
    H5Dclose(d);
}

/* /summary: the result's best and final figures, typed. */
static void check_summary(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    int E = r->history.epochs;
    double x = 0;
    struct {
        const char *name;
        H5T_class_t cls;
        size_t size;
        double v;
    } sums[] = {{"best_epoch", H5T_INTEGER, 4, r->best_epoch}, {"best_test_acc", H5T_FLOAT, 8, r->best_test_acc},
                {"best_test_loss", H5T_FLOAT, 8, r->best_test_loss}, {"final_test_acc", H5T_FLOAT, 8, r->final_test_acc},
                {"final_train_acc", H5T_FLOAT, 8, r->final_train_acc}, {"param_count", H5T_INTEGER, 8, (double)r->param_count},
                {"epochs_completed", H5T_INTEGER, 4, E}, {"epochs_planned", H5T_INTEGER, 4, cfg->train.epochs}};
    for (size_t i = 0; i < SW_ARRAY_LEN(sums); i++)
        CHECK(raw_num_attr(f, "summary", sums[i].name, sums[i].cls, sums[i].size, &x) && x == sums[i].v,
              "/summary %s: %g, expected %g", sums[i].name, x, sums[i].v);
}

/* /weights: PyTorch names and shapes, values from the flat buffers */
static void check_weights(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    int L = cfg->model.layers;
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    const sw_real *bufs[2] = {r->weights_final, r->weights_best};
    const char *which[2] = {"final", "best"};
    int nt = sw_tensor_count(&shape);
    CHECK(nt == 4 * L + 2, "tensor count");
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < nt; i++) {
            sw_tensor_info t = sw_tensor_describe(&shape, i);
            char path2[96];
            snprintf(path2, sizeof path2, "weights/%s/%s", which[w], t.name);
            hsize_t dims[2] = {(hsize_t)t.rows, (hsize_t)t.cols};
            double *e = malloc(t.count * sizeof *e);
            for (size_t j = 0; j < t.count; j++) e[j] = bufs[w][t.offset + j];
            check_array(f, path2, t.cols ? 2 : 1, dims, e, 1, NULL);
            free(e);
        }
}

/* spot-check the PyTorch names and shapes independently of the tensor table */
static void check_weight_names(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    int I = cfg->task.input_size, H = cfg->model.hidden, L = cfg->model.layers;
    double x = 0;
    int G = sw_cell_gates(cfg->model.cell);
    char nm[64];
    for (int l = 0; l < L; l++) {
        hsize_t dih[2] = {(hsize_t)(G * H), (hsize_t)(l ? H : I)}, dhh[2] = {(hsize_t)(G * H), (hsize_t)H},
                db[1] = {(hsize_t)(G * H)};
        snprintf(nm, sizeof nm, "weights/final/rnn/weight_ih_l%d", l);
        check_array(f, nm, 2, dih, NULL, 1, NULL);
        snprintf(nm, sizeof nm, "weights/best/rnn/weight_hh_l%d", l);
        check_array(f, nm, 2, dhh, NULL, 1, NULL);
        snprintf(nm, sizeof nm, "weights/final/rnn/bias_ih_l%d", l);
        check_array(f, nm, 1, db, NULL, 1, NULL);
        snprintf(nm, sizeof nm, "weights/best/rnn/bias_hh_l%d", l);
        check_array(f, nm, 1, db, NULL, 1, NULL);
    }
    hsize_t fw[2] = {2, (hsize_t)H}, fb[1] = {2};
    check_array(f, "weights/final/fc/weight", 2, fw, NULL, 1, NULL);
    check_array(f, "weights/best/fc/bias", 1, fb, NULL, 1, NULL);
    CHECK(raw_num_attr(f, "weights/best", "epoch", H5T_INTEGER, 4, &x) && x == r->best_epoch, "best epoch attr");
}

/* /probe: the probe set's inputs and labels, and the hidden states of the final and best weights. */
static void check_probe(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    int T = cfg->task.seq_len, I = cfg->task.input_size, H = cfg->model.hidden, L = cfg->model.layers;
    int P = r->probe_size;
    hsize_t pin[3] = {(hsize_t)P, (hsize_t)T, (hsize_t)I}, plab[1] = {(hsize_t)P},
            phid[4] = {(hsize_t)L, (hsize_t)P, (hsize_t)T, (hsize_t)H};
    double *e = to_double_f(r->probe_inputs, (size_t)P * T * I);
    check_array(f, "probe/inputs", 3, pin, e, 1, "sample,time,feature");
    free(e);
    e = malloc((size_t)P * sizeof *e);
    for (int i = 0; i < P; i++) e[i] = r->probe_labels[i];
    check_array(f, "probe/labels", 1, plab, e, 0, "sample");
    free(e);
    e = to_double_f(r->hidden_final, (size_t)L * P * T * H);
    check_array(f, "probe/hidden_final", 4, phid, e, 1, "layer,sample,time,unit");
    free(e);
    e = to_double_f(r->hidden_best, (size_t)L * P * T * H);
    check_array(f, "probe/hidden_best", 4, phid, e, 1, "layer,sample,time,unit");
    free(e);
}

/* /gradients: the recorded epochs, the norms and dloss/dh along the sequence, and the time coordinate. */
static void check_gradients(hid_t f, const sw_config *cfg, const sw_run_result *r)
{
    int T = cfg->task.seq_len, H = cfg->model.hidden, L = cfg->model.layers, R = r->grad_records;
    hsize_t g1[1] = {(hsize_t)R}, g3[3] = {(hsize_t)R, (hsize_t)L, (hsize_t)T},
            g4[4] = {(hsize_t)R, (hsize_t)L, (hsize_t)T, (hsize_t)H};
    double *e = malloc((size_t)(R ? R : 1) * sizeof *e);
    for (int i = 0; i < R; i++) e[i] = r->grad_epoch[i];
    check_array(f, "gradients/epoch", 1, g1, e, 0, NULL);
    free(e);
    e = to_double_f(r->dloss_dh_norm, (size_t)R * L * T);
    check_array(f, "gradients/dloss_dh_norm", 3, g3, e, 1, "epoch,layer,time");
    free(e);
    e = to_double_f(r->dloss_dh, (size_t)R * L * T * H);
    check_array(f, "gradients/dloss_dh", 4, g4, e, 1, "epoch,layer,time,unit");
    free(e);
    e = to_double_f(r->dW_hh_norm, (size_t)R * L * T);
    check_array(f, "gradients/dW_hh_norm", 3, g3, e, 1, "epoch,layer,time");
    free(e);
    /* coordinates hold index values */
    int rank;
    hsize_t dd[4];
    double *tv = raw_dset(f, "gradients/time", &rank, dd);
    CHECK(tv && rank == 1 && dd[0] == (hsize_t)T && tv[0] == 0 && tv[T - 1] == T - 1, "/gradients/time values");
    free(tv);
}

/* A run's file read back with the plain HDF5 C API: every group against cfg and r. */
static void check_done_file(const char *path, const sw_config *cfg, const sw_run_result *r, const char *id)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "cannot open %s", path);
    if (f < 0) return;
    check_root_attributes(f, cfg, r, id);
    check_swept_keys(f);
    check_config_group(f, cfg);
    check_history(f, r);
    check_table_rows(f, cfg, r);
    check_summary(f, cfg, r);
    check_weights(f, cfg, r);
    check_weight_names(f, cfg, r);
    check_probe(f, cfg, r);
    check_gradients(f, cfg, r);
    H5Fclose(f);
}

/* Large arrays are deflated only where it shrinks them by 1.3x or more (h5write.c): an
 * array of few distinct values (labels, saturated units) is, noise-like floats (trained
 * weights, hidden states) are not; all keep the checksum and read back exactly. The
 * estimate samples the whole array, not its start: noise after a constant start (a first
 * 4 KiB that deflates to nothing) is not deflated, zeros after a noisy start are. */
static void test_deflate_where_it_pays(void)
{
    enum { N = 20000 };
    float *noise = malloc(N * sizeof *noise), *steps = malloc(N * sizeof *steps), *back = malloc(N * sizeof *back),
          *quiet_start = malloc(N * sizeof *quiet_start), *noisy_start = malloc(N * sizeof *noisy_start);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        noise[i] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
        steps[i] = (float)(i / 1000);
        quiet_start[i] = i < 1024 ? 0.0f : noise[i];
        noisy_start[i] = i < 1024 ? noise[i] : 0.0f;
    }
    char err[512] = "", tmp[1024], path[1100];
    snprintf(path, sizeof path, "%s/deflate.h5", scratch);
    sw_h5w w = {.where = path, .err = err, .errlen = sizeof err, .checksum = true, .compress = true};
    hid_t f = sw_h5w_create(&w, scratch, "deflate.h5", tmp, sizeof tmp);
    hsize_t dims[1] = {N};
    sw_h5w_array(&w, f, "noise", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, noise, NULL);
    sw_h5w_array(&w, f, "steps", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, steps, NULL);
    sw_h5w_array(&w, f, "quiet_start", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, quiet_start, NULL);
    sw_h5w_array(&w, f, "noisy_start", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, noisy_start, NULL);
    CHECK(sw_h5w_finish(&w, f, scratch, tmp) == SW_OK, "deflate.h5: %s", err);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "deflate.h5 opens");
    if (f >= 0) {
        CHECK(is_compressed(f, "steps"), "an array of few values is shuffled and deflated");
        CHECK(!is_compressed(f, "noise"), "noise-like floats are not deflated (it would not pay)");
        CHECK(!is_compressed(f, "quiet_start"), "noise after 1024 zeros is not deflated");
        CHECK(is_compressed(f, "noisy_start"), "zeros after 1024 noise values are deflated");
        const char *names[] = {"noise", "steps", "quiet_start", "noisy_start"};
        const float *want[] = {noise, steps, quiet_start, noisy_start};
        for (int k = 0; k < 4; k++) {
            hid_t d = H5Dopen2(f, names[k], H5P_DEFAULT), p = H5Dget_create_plist(d);
            CHECK(H5Pget_filter_by_id2(p, H5Z_FILTER_FLETCHER32, NULL, NULL, NULL, 0, NULL, NULL) >= 0,
                  "%s keeps its checksum", names[k]);
            CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0 &&
                      !memcmp(back, want[k], N * sizeof *back), "%s reads back exactly", names[k]);
            H5Pclose(p);
            H5Dclose(d);
        }
        H5Fclose(f);
    }
    unlink(path);
    free(noise);
    free(steps);
    free(quiet_start);
    free(noisy_start);
    free(back);
}

static void test_done_runs(void)
{
    for (int cell = 0; cell < SW_CELL_TRANSFORMER; cell++) { /* the transformer's: test_hdf5_torch_transformer.py */
        sw_config cfg;
        synth_config(&cfg, (sw_cell_kind)cell, 40 + cell);
        if (cell == SW_CELL_GRU) { /* larger: compression applies, and a multistep list */
            cfg.model.hidden = 16;
            cfg.task.seq_len = 40;
            cfg.record.probe_size = 8;
            cfg.train.schedule.kind = SW_SCHED_MULTISTEP;
            cfg.train.schedule.milestones[0] = 2;
            cfg.train.schedule.milestones[1] = 4;
            cfg.train.schedule.n_milestones = 2;
            cfg.train.nesterov = true;
        }
        sw_run_result r;
        CHECK(synth_result(&r, &cfg, cfg.train.epochs, SW_RUN_DONE, 0) == 0, "synth");
        char id[64], path[700];
        snprintf(id, sizeof id, "cell=%s,seed=%d", sw_cell_name((sw_cell_kind)cell), 40 + cell);
        write_or_die(scratch, id, &cfg, &r);
        snprintf(path, sizeof path, "%s/%s.h5", scratch, id);
        CHECK(sw_h5_run_is_complete(path) == 1, "%s not complete", path);
        check_done_file(path, &cfg, &r, id);
        check_file_bytes(path, &cfg);

        /* the module's own reader agrees */
        sw_run_file rf;
        char err[512] = "";
        int rc = sw_h5_read_run(path, SW_READ_HISTORY | SW_READ_GRADIENTS, &rf, err, sizeof err);
        CHECK(rc == SW_OK, "read %s: %s", path, err);
        if (rc == SW_OK) {
            CHECK(rf.status == SW_RUN_DONE && !strcmp(rf.run_id, id), "reader status/id");
            CHECK(rf.config_missing == 0, "reader: %d config keys missing", rf.config_missing);
            for (size_t i = 0; i < sw_schema_len; i++) {
                char a[256], b[256];
                sw_config_format(&cfg, &sw_schema[i], a, sizeof a);
                sw_config_format(&rf.config, &sw_schema[i], b, sizeof b);
                CHECK(!strcmp(a, b), "reader config %s: %s vs %s", sw_schema[i].key, b, a);
            }
            CHECK(rf.n_swept == 2 && !strcmp(rf.swept_keys[1], "seed"), "reader swept keys");
            CHECK(rf.history.epochs == r.history.epochs && rf.history.test_acc[2] == r.history.test_acc[2],
                  "reader history");
            CHECK(rf.best_epoch == r.best_epoch && rf.best_test_acc == r.best_test_acc, "reader summary");
            CHECK(rf.param_count == (long long)r.param_count, "reader param_count");
            int L = cfg.model.layers, T = cfg.task.seq_len, R = r.grad_records;
            double ratio = (double)r.dloss_dh_norm[((size_t)(R - 1) * L + L - 1) * T] /
                           (double)r.dloss_dh_norm[((size_t)(R - 1) * L + L - 1) * T + T - 1];
            CHECK(check_close(rf.vanishing_ratio, ratio, 0, 1e-12), "vanishing ratio %g vs %g", rf.vanishing_ratio, ratio);
            CHECK(rf.grad_records == R && rf.grad_epoch[R - 1] == r.grad_epoch[R - 1], "reader gradients");
        }
        sw_run_file_free(&rf);
        sw_run_result_free(&r);
    }
}

/* A file written before a row was added to the format (SW_REC_ADDED) still reads: the
 * row's history column comes back as NaN. Simulated by deleting those datasets. */
static void test_added_rows(void)
{
    sw_config cfg;
    synth_config(&cfg, SW_CELL_RNN, 21);
    sw_run_result r;
    CHECK(synth_result(&r, &cfg, cfg.train.epochs, SW_RUN_DONE, 0) == 0, "synth");
    write_or_die(scratch, "older-file", &cfg, &r);
    sw_run_result_free(&r);
    char path[700], err[512] = "";
    snprintf(path, sizeof path, "%s/older-file.h5", scratch);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    for (size_t i = 0; i < sw_record_len; i++)
        if ((sw_record[i].flags & SW_REC_ADDED) && sw_record_written(&sw_record[i], &cfg, 1)) {
            const sw_record_row *row = &sw_record[i];
            char group[64];
            sw_record_group(row, group, sizeof group);
            herr_t gone = row->kind == SW_REC_ATTRIBUTE
                              ? H5Adelete_by_name(f, group, sw_record_name(row), H5P_DEFAULT)
                              : H5Ldelete(f, row->path, H5P_DEFAULT);
            CHECK(gone >= 0, "delete %s", row->path);
        }
    H5Fclose(f);
    sw_run_file rf;
    int rc = sw_h5_read_run(path, SW_READ_HISTORY, &rf, err, sizeof err);
    CHECK(rc == SW_OK && rf.history.epochs == cfg.train.epochs, "a file without the added rows: %s", err);
    for (size_t i = 0; rc == SW_OK && i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!(row->flags & SW_REC_ADDED) || row->from != SW_FROM_HISTORY || row->type != SW_REC_F64) continue;
        const double *v = sw_record_array(sw_record_history_field(row, &rf.history));
        for (int e = 0; e < rf.history.epochs; e++) CHECK(isnan(v[e]), "%s[%d] of an older file is not NaN", row->path, e);
    }
    sw_run_file_free(&rf);
}

static void test_failed_and_diverged(void)
{
    char path[700], err[512];
    /* failed before anything was allocated: zero epochs, no arrays */
    sw_config cfg;
    synth_config(&cfg, SW_CELL_RNN, 7);
    sw_run_result r;
    CHECK(synth_result(&r, &cfg, 0, SW_RUN_FAILED, 1) == 0, "synth");
    write_or_die(scratch, "failed-early", &cfg, &r);
    snprintf(path, sizeof path, "%s/failed-early.h5", scratch);
    CHECK(sw_h5_run_is_complete(path) == 1, "failed file not complete");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *s = raw_str_attr(f, ".", "status");
    CHECK(s && !strcmp(s, "failed"), "failed status");
    free(s);
    s = raw_str_attr(f, ".", "error");
    CHECK(s && !strcmp(s, r.error), "failed error text");
    free(s);
    double x = 0;
    CHECK(raw_num_attr(f, "summary", "best_test_acc", H5T_FLOAT, 8, &x) && isnan(x), "NaN best acc with 0 epochs");
    CHECK(raw_num_attr(f, "summary", "best_epoch", H5T_INTEGER, 4, &x) && x == 0, "best_epoch 0");
    int rank;
    hsize_t dims[4];
    double *v = raw_dset(f, "history/test_acc", &rank, dims);
    CHECK(v && rank == 1 && dims[0] == 0, "empty history");
    free(v);
    CHECK(H5Lexists(f, "weights", H5P_DEFAULT) == 0 && H5Lexists(f, "probe", H5P_DEFAULT) == 0 &&
              H5Lexists(f, "gradients", H5P_DEFAULT) == 0,
          "a failed run has no weights/probe/gradients");
    CHECK(H5Lexists(f, "config", H5P_DEFAULT) > 0, "failed run keeps /config");
    H5Fclose(f);
    sw_run_result_free(&r);

    /* diverged after 2 epochs: history so far, weights, one gradient record */
    synth_config(&cfg, SW_CELL_LSTM, 8);
    CHECK(synth_result(&r, &cfg, 2, SW_RUN_DIVERGED, 0) == 0, "synth");
    write_or_die(scratch, "diverged", &cfg, &r);
    snprintf(path, sizeof path, "%s/diverged.h5", scratch);
    check_done_file(path, &cfg, &r, "diverged");
    sw_run_result_free(&r);

    /* diverged in epoch 1: zero epochs, zero gradient records, still weights */
    CHECK(synth_result(&r, &cfg, 0, SW_RUN_DIVERGED, 0) == 0, "synth");
    write_or_die(scratch, "diverged-at-once", &cfg, &r);
    snprintf(path, sizeof path, "%s/diverged-at-once.h5", scratch);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    v = raw_dset(f, "gradients/dloss_dh", &rank, dims);
    CHECK(v && rank == 4 && dims[0] == 0 && dims[3] == (hsize_t)cfg.model.hidden, "empty gradient records");
    free(v);
    H5Fclose(f);
    sw_run_result_free(&r);

    /* a done result with missing arrays is refused, and leaves nothing */
    synth_config(&cfg, SW_CELL_RNN, 9);
    CHECK(synth_result(&r, &cfg, 3, SW_RUN_FAILED, 1) == 0, "synth");
    r.status = SW_RUN_DONE;
    sw_run_meta meta = {"bad-result", "synthetic", NULL, 0, NULL};
    err[0] = 0;
    CHECK(sw_h5_write_run(scratch, &meta, &cfg, &r, err, sizeof err) == SW_EINVAL && strstr(err, "weights"),
          "incomplete done result: %s", err);
    snprintf(path, sizeof path, "%s/bad-result.h5", scratch);
    CHECK(access(path, F_OK) != 0, "nothing under the final name");
    sw_run_result_free(&r);

    /* bad run ids and unwritable directories: an error in our words, nothing written */
    synth_config(&cfg, SW_CELL_RNN, 10);
    synth_result(&r, &cfg, 6, SW_RUN_DONE, 0);
    const char *bad_ids[] = {"", ".hidden", "a/b", "sweep"};
    for (size_t i = 0; i < SW_ARRAY_LEN(bad_ids); i++) {
        sw_run_meta m = {bad_ids[i], "s", NULL, 0, NULL};
        CHECK(sw_h5_write_run(scratch, &m, &cfg, &r, err, sizeof err) == SW_EINVAL && strstr(err, "run id"),
              "bad id '%s' accepted", bad_ids[i]);
    }
    sw_run_meta m = {"x", "s", NULL, 0, NULL};
    int rc = sw_h5_write_run("/nonexistent-dir/for/sure", &m, &cfg, &r, err, sizeof err);
    CHECK(rc == SW_EIO && strstr(err, "/nonexistent-dir/for/sure/x.h5") && strstr(err, "No such file"),
          "missing dir: %d %s", rc, err);
    sw_run_result_free(&r);
}

static void copy_truncated(const char *from, const char *to, double fraction)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    long keep = (long)(n * fraction);
    char *buf = malloc((size_t)n);
    size_t got = fread(buf, 1, (size_t)n, in);
    fwrite(buf, 1, (size_t)keep < got ? (size_t)keep : got, out);
    free(buf);
    fclose(in);
    fclose(out);
}

static void test_atomicity(void)
{
    char sub[600], path[700], tmp[700], trunc[700], other[700];
    snprintf(sub, sizeof sub, "%s/atomic", scratch);
    mkdir(sub, 0755);
    sw_config cfg;
    synth_config(&cfg, SW_CELL_GRU, 3);
    sw_run_result r;
    synth_result(&r, &cfg, 6, SW_RUN_DONE, 0);
    write_or_die(sub, "run-a", &cfg, &r);
    sw_run_result_free(&r);
    snprintf(path, sizeof path, "%s/run-a.h5", sub);
    /* no temporary stays behind after a successful write */
    CHECK(sw_h5_remove_temporaries(sub) == 0, "a temporary was left by a successful write");

    /* a writer killed before its rename leaves a complete-looking temporary: not complete */
    snprintf(tmp, sizeof tmp, "%s/.run-b.h5.tmp.4242.0", sub);
    copy_truncated(path, tmp, 1.0);
    CHECK(sw_h5_run_is_complete(tmp) == 0, "a temporary counts as complete");
    /* one killed mid-write: truncated */
    snprintf(other, sizeof other, "%s/.run-c.h5.tmp.4243.7", sub);
    copy_truncated(path, other, 0.5);
    /* a truncated file under a final name (e.g. copied badly) is not complete either */
    snprintf(trunc, sizeof trunc, "%s/run-trunc.h5", sub);
    for (int k = 1; k < 10; k++) {
        copy_truncated(path, trunc, k / 10.0);
        CHECK(sw_h5_run_is_complete(trunc) == 0, "file truncated to %d/10 counts as complete", k);
        sw_run_file rf;
        char err[512];
        CHECK(sw_h5_read_run(trunc, SW_READ_HISTORY, &rf, err, sizeof err) != SW_OK, "truncated file read");
        sw_run_file_free(&rf);
    }
    /* foreign and missing files */
    snprintf(other, sizeof other, "%s/foreign.h5", sub);
    FILE *fp = fopen(other, "w");
    fputs("not hdf5\n", fp);
    fclose(fp);
    CHECK(sw_h5_run_is_complete(other) == 0, "foreign file complete");
    snprintf(other, sizeof other, "%s/missing.h5", sub);
    CHECK(sw_h5_run_is_complete(other) == 0, "missing file complete");
    CHECK(sw_h5_run_is_complete(path) == 1, "the real file is complete");

    CHECK(sw_h5_remove_temporaries(sub) == 2, "two temporaries removed");
    CHECK(access(tmp, F_OK) != 0, "temporary still there");
    CHECK(access(path, F_OK) == 0 && access(trunc, F_OK) == 0, "final names must stay");
    CHECK(sw_h5_remove_temporaries("/nonexistent-dir/x") == 0, "missing dir: nothing to remove");

    /* rewriting a run replaces it atomically */
    synth_config(&cfg, SW_CELL_GRU, 3);
    synth_result(&r, &cfg, 4, SW_RUN_DIVERGED, 0);
    write_or_die(sub, "run-a", &cfg, &r);
    sw_run_file rf;
    char err[512];
    CHECK(sw_h5_read_run(path, 0, &rf, err, sizeof err) == SW_OK && rf.status == SW_RUN_DIVERGED && rf.epochs == 4,
          "rewritten file");
    sw_run_file_free(&rf);
    sw_run_result_free(&r);
}

/* ---- the index ------------------------------------------------------------------------ */

/* Removes the plain files in dir (a previous run's leftovers). */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
}

/* 1 when the index's string column table/<column> reads `want` (space-separated). */
static int index_column_is(const char *path, const char *column, const char *want)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    char name[128];
    snprintf(name, sizeof name, "table/%s", column);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    int n = sp >= 0 ? (int)H5Sget_simple_extent_npoints(sp) : 0;
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    char **v = calloc((size_t)(n ? n : 1), sizeof *v);
    char got[256] = "";
    if (d >= 0 && v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
        for (int i = 0; i < n; i++) {
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", v[i]);
            H5free_memory(v[i]);
        }
    free(v);
    H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    H5Fclose(f);
    if (strcmp(got, want)) fprintf(stderr, "  %s column: '%s', expected '%s'\n", column, got, want);
    return !strcmp(got, want);
}

/* The index's root attributes: format, the config's text and hash, name, time and counts. */
static void check_index_root_attributes(hid_t f, const char *config_text)
{
    char *s = raw_str_attr(f, ".", "format");
    CHECK(s && !strcmp(s, "sweep-index"), "index format");
    free(s);
    s = raw_str_attr(f, ".", "config");
    CHECK(s && !strcmp(s, config_text), "index config text");
    free(s);
    char hash[65];
    sw_sha256_hex(config_text, strlen(config_text), hash);
    s = raw_str_attr(f, ".", "config_sha256");
    CHECK(s && !strcmp(s, hash), "config hash");
    free(s);
    s = raw_str_attr(f, ".", "sweep");
    CHECK(s && !strcmp(s, "synthetic"), "sweep name");
    free(s);
    s = raw_str_attr(f, ".", "created");
    CHECK(s && strlen(s) == 20, "created");
    free(s);
    double x;
    CHECK(raw_num_attr(f, ".", "runs_pending", H5T_INTEGER, 8, &x) && x == 1, "runs_pending");
    CHECK(raw_num_attr(f, ".", "runs_done", H5T_INTEGER, 8, &x) && x == 1, "runs_done");
}

/* external links, relative, resolving to the run files' roots; none for a pending run */
static void check_index_links(hid_t f, const char *const *ids)
{
    for (int i = 0; i < 3; i++) {
        char link[128];
        snprintf(link, sizeof link, "runs/%s", ids[i]);
        CHECK(H5Lexists(f, link, H5P_DEFAULT) > 0, "link %s", link);
        H5L_info_t li;
        CHECK(H5Lget_info(f, link, &li, H5P_DEFAULT) >= 0 && li.type == H5L_TYPE_EXTERNAL, "%s external", link);
        char buf[512];
        const char *file = NULL, *obj = NULL;
        unsigned flags;
        CHECK(H5Lget_val(f, link, buf, sizeof buf, H5P_DEFAULT) >= 0 &&
                  H5Lunpack_elink_val(buf, li.u.val_size, &flags, &file, &obj) >= 0 && file && file[0] != '/' &&
                  !strcmp(obj, "/"),
              "%s relative", link);
        /* through H5Oopen: HDF5 1.10.8's H5Aopen_by_name reads the wrong object's attribute
         * across an external link (seen with h5py-made files too) */
        hid_t o = H5Oopen(f, link, H5P_DEFAULT);
        CHECK(o >= 0, "opening %s", link);
        char *rid = o >= 0 ? raw_str_attr(o, ".", "run_id") : NULL;
        if (o >= 0) H5Oclose(o);
        CHECK(rid && !strcmp(rid, ids[i]), "following %s: %s", link, rid ? rid : "(null)");
        free(rid);
    }
    CHECK(H5Lexists(f, "runs/cell=gru,seed=2", H5P_DEFAULT) == 0, "no link for a pending run");
}

/* The table's columns: each one value per run, pending included. */
static void check_index_table_shapes(hid_t f)
{
    const char *cols[] = {"run_id", "status", "path", "model.cell", "seed", "best_test_acc", "best_epoch",
                          "final_test_acc", "final_train_acc", "wall_seconds", "epochs"};
    for (size_t c = 0; c < SW_ARRAY_LEN(cols); c++) {
        char name[64];
        snprintf(name, sizeof name, "table/%s", cols[c]);
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
        CHECK(d >= 0, "%s missing", name);
        if (d < 0) continue;
        hid_t sp = H5Dget_space(d);
        CHECK(H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_npoints(sp) == 4, "%s shape", name);
        H5Sclose(sp);
        H5Dclose(d);
    }
}

/* The table's values: statuses, swept values (the pending row's from the spec's configs) and
 * the summaries (the pending row's empty). */
static void check_index_table_values(hid_t f, const char *path, const sw_config *cfgs)
{
    CHECK(index_column_is(path, "status", "done diverged failed pending"), "status column");
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    char *v[4] = {0};
    hid_t d = H5Dopen2(f, "table/model.cell", H5P_DEFAULT);
    CHECK(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 && !strcmp(v[0], "rnn") && !strcmp(v[3], "gru"),
          "model.cell column (pending row from spec configs)");
    for (int i = 0; i < 4; i++) H5free_memory(v[i]);
    H5Dclose(d);
    H5Tclose(mt);
    int rank;
    hsize_t dims[2];
    double *seed = raw_dset(f, "table/seed", &rank, dims);
    CHECK(seed && seed[0] == 1 && seed[3] == 2, "seed column");
    free(seed);
    double *best = raw_dset(f, "table/best_test_acc", &rank, dims);
    double *best_ep = raw_dset(f, "table/best_epoch", &rank, dims);
    sw_run_result r;
    synth_result(&r, &cfgs[0], 6, SW_RUN_DONE, 0);
    CHECK(best && best[0] == r.best_test_acc && isnan(best[3]), "best_test_acc column");
    CHECK(best_ep && best_ep[0] == r.best_epoch && best_ep[3] == 0, "best_epoch column");
    sw_run_result_free(&r);
    free(best);
    free(best_ep);
}

/* The index's run order is the spec's. */
static void check_index_order(const char *sub, const char *const *ids)
{
    char **order = NULL;
    int n = sw_h5_read_index_order(sub, &order);
    CHECK(n == 4 && !strcmp(order[0], ids[0]) && !strcmp(order[3], ids[3]), "index order");
    sw_h5_free_names(order, n > 0 ? n : 0);
}

/* an index built from the directory alone: swept keys from the files, name order */
static void check_bare_index(const char *sub)
{
    char err[512] = "", **order = NULL;
    sw_index_spec bare = {.sweep_name = "synthetic"};
    CHECK(sw_h5_write_index(sub, &bare, err, sizeof err) == SW_OK, "bare index: %s", err);
    int n = sw_h5_read_index_order(sub, &order);
    CHECK(n == 3 && !strcmp(order[0], "cell=gru,seed=1") && !strcmp(order[2], "cell=rnn,seed=1"), "bare order");
    sw_h5_free_names(order, n > 0 ? n : 0);
    CHECK(sw_h5_remove_temporaries(sub) == 0, "index left a temporary");
}

/* an unknown swept key is refused and the previous index stays */
static void check_bad_key_keeps_index(const char *sub)
{
    char err[512] = "", **order = NULL;
    const char *badkeys[] = {"model.celll"};
    sw_index_spec bad = {.sweep_name = "synthetic", .swept_keys = badkeys, .n_swept = 1};
    CHECK(sw_h5_write_index(sub, &bad, err, sizeof err) == SW_EINVAL && strstr(err, "model.celll"), "bad key: %s", err);
    int n = sw_h5_read_index_order(sub, &order);
    CHECK(n == 3, "previous index kept");
    sw_h5_free_names(order, n > 0 ? n : 0);
}

/* with a cache: the same index, and a run file replaced (a failed run redone) or
 * removed since the last write is read again, not served stale (spec: the sweep's, without a cache) */
static void check_index_cache(const char *sub, const char *path, const char *const *ids, const sw_config *cfgs,
                              sw_index_spec spec)
{
    char err[512] = "";
    sw_index_cache *cache = sw_index_cache_create(4);
    CHECK(cache != NULL, "cache");
    spec.cache = cache;
    CHECK(sw_h5_write_index(sub, &spec, err, sizeof err) == SW_OK, "cached index: %s", err);
    CHECK(index_column_is(path, "status", "done diverged failed pending"), "cached index: statuses");
    CHECK(sw_h5_write_index(sub, &spec, err, sizeof err) == SW_OK, "cached index again: %s", err);
    CHECK(index_column_is(path, "status", "done diverged failed pending"), "cached index again: statuses");
    sw_run_result r2;
    synth_result(&r2, &cfgs[2], 6, SW_RUN_DONE, 0);
    write_or_die(sub, ids[2], &cfgs[2], &r2); /* the failed run, redone */
    sw_run_result_free(&r2);
    synth_result(&r2, &cfgs[3], 6, SW_RUN_DONE, 0);
    write_or_die(sub, ids[3], &cfgs[3], &r2); /* the pending one, done */
    sw_run_result_free(&r2);
    char victim[700];
    snprintf(victim, sizeof victim, "%s/%s.h5", sub, ids[1]);
    CHECK(unlink(victim) == 0, "remove a run file");
    CHECK(sw_h5_write_index(sub, &spec, err, sizeof err) == SW_OK, "cached index after changes: %s", err);
    CHECK(index_column_is(path, "status", "done pending done done"), "cached index follows replaced and removed files");
    sw_index_cache_free(cache);
    sw_index_cache_free(NULL);
}

/* The sweep index of four runs (done, diverged, failed and one pending) in <scratch>/index. */
static void test_index(void)
{
    char sub[600], path[700], err[512] = "";
    snprintf(sub, sizeof sub, "%s/index", scratch);
    mkdir(sub, 0755);
    empty_dir(sub); /* the cache checks below add and remove files: start from nothing */
    const char *ids[] = {"cell=rnn,seed=1", "cell=lstm,seed=1", "cell=gru,seed=1", "cell=gru,seed=2"};
    sw_config cfgs[4];
    sw_run_status sts[3] = {SW_RUN_DONE, SW_RUN_DIVERGED, SW_RUN_FAILED};
    for (int i = 0; i < 4; i++) synth_config(&cfgs[i], (sw_cell_kind)(i < 3 ? i : 2), i < 3 ? 1 : 2);
    for (int i = 0; i < 3; i++) { /* the 4th stays pending */
        sw_run_result r;
        synth_result(&r, &cfgs[i], sts[i] == SW_RUN_DONE ? 6 : 3, sts[i], sts[i] == SW_RUN_FAILED);
        write_or_die(sub, ids[i], &cfgs[i], &r);
        sw_run_result_free(&r);
    }
    const char *config_text = "name: synthetic\ngrid:\n  model.cell: [rnn, lstm, gru]\n";
    sw_index_spec spec = {.sweep_name = "synthetic", .config_text = config_text, .run_ids = ids, .n_runs = 4,
                          .swept_keys = swept, .n_swept = 2, .configs = cfgs};
    CHECK(sw_h5_write_index(sub, &spec, err, sizeof err) == SW_OK, "index: %s", err);
    snprintf(path, sizeof path, "%s/sweep.h5", sub);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "open index");
    if (f < 0) return;
    check_index_root_attributes(f, config_text);
    check_index_links(f, ids);
    check_index_table_shapes(f);
    check_index_table_values(f, path, cfgs);
    H5Fclose(f);

    check_index_order(sub, ids);
    check_bare_index(sub);
    check_bad_key_keeps_index(sub);
    check_index_cache(sub, path, ids, cfgs, spec);
}

/* ---- concurrency ----------------------------------------------------------------------- */

typedef struct {
    int index;
    int rc;
    char dir[600];
} job;

static void *writer(void *arg)
{
    job *j = arg;
    sw_config cfg;
    synth_config(&cfg, (sw_cell_kind)(j->index % 3), 100 + j->index);
    cfg.task.seq_len = 30;
    cfg.model.hidden = 12;
    sw_run_result r;
    synth_result(&r, &cfg, 6, SW_RUN_DONE, 0);
    char id[32], err[512];
    snprintf(id, sizeof id, "thread-%d", j->index);
    sw_run_meta meta = {id, "threads", swept, 2, NULL};
    j->rc = sw_h5_write_run(j->dir, &meta, &cfg, &r, err, sizeof err);
    if (j->rc) fprintf(stderr, "thread %d: %s\n", j->index, err);
    sw_run_result_free(&r);
    return NULL;
}

static void test_threads(void)
{
    enum { N = 8 };
    pthread_t th[N];
    job jobs[N];
    char sub[600];
    snprintf(sub, sizeof sub, "%s/threads", scratch);
    mkdir(sub, 0755);
    for (int i = 0; i < N; i++) {
        jobs[i].index = i;
        jobs[i].rc = -100;
        snprintf(jobs[i].dir, sizeof jobs[i].dir, "%s", sub);
        pthread_create(&th[i], NULL, writer, &jobs[i]);
    }
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK(jobs[i].rc == SW_OK, "thread %d failed", i);
        char path[700];
        snprintf(path, sizeof path, "%s/thread-%d.h5", sub, i);
        CHECK(sw_h5_run_is_complete(path), "thread file %d incomplete", i);
    }
    char **names = NULL;
    int n = sw_h5_list_runs(sub, &names);
    CHECK(n == N, "listed %d files", n);
    sw_h5_free_names(names, n > 0 ? n : 0);
}

static void test_sha256(void)
{
    char h[65];
    sw_sha256_hex("", 0, h);
    CHECK(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "sha256('') %s", h);
    sw_sha256_hex("abc", 3, h);
    CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256(abc) %s", h);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: 2 blocks */
    sw_sha256_hex(m, strlen(m), h);
    CHECK(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "sha256(56) %s", h);
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    sw_sha256_hex(a, n, h);
    CHECK(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "sha256(a*1e6) %s", h);
    free(a);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    mkdir_p(scratch);
    char err[512];
    CHECK(sw_h5_init(err, sizeof err) == SW_OK, "init: %s", err);
    test_sha256();
    test_deflate_where_it_pays();
    test_done_runs();
    test_added_rows();
    test_failed_and_diverged();
    test_atomicity();
    test_index();
    test_threads();
    return check_report("hdf5_roundtrip");
}
