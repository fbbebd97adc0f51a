/* h5io.c: run files and the sweep index (see h5io.h and docs/hdf5-layout.md).
 *
 * Writing (through h5write.c, shared with checkpoints): every file is built in memory
 * (HDF5's core driver, no backing store) and then written by atomicio.c: a hidden
 * temporary in the final directory (".<name>.h5.tmp.<host>.<pid>.<serial>"), fsync'ed,
 * renamed over the final name, and the directory fsync'ed. So a file under a final name is always complete, a crash leaves at
 * most a temporary (sw_h5_remove_temporaries deletes them), and HDF5 itself never writes
 * to the disk: HDF5 1.10 does not recover from a failed write of its own (after a write
 * error inside H5Dclose or H5Fclose the file stays open half-closed and the library
 * crashes at exit), whereas a failed write(2) of ours is one errno and one message.
 * Run files' datasets carry HDF5's Fletcher-32 checksum, so that reading a run file
 * through (SW_READ_VERIFY) detects damaged data as well as damaged metadata.
 *
 * Threads: the thread-safe HDF5 build serialises its own API, but the high-level H5DS
 * calls do several API calls per operation and are not covered, so they run under
 * `hl_lock`. HDF5 keeps its error stack (and the automatic printing of it) per thread, so
 * every public function here silences the printing for the thread it runs on and turns
 * the innermost HDF5 message into part of our own error text. */
#define _POSIX_C_SOURCE 200809L
#include "h5io.h"
#include "task.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "h5write.h"
#include "model.h"
#include "record.h"
#include "sweepspec.h"
#include "version.h"

#define RUN_FORMAT "sweep-run"
#define INDEX_FORMAT "sweep-index"
#define FORMAT_VERSION 1
#define INDEX_NAME "sweep.h5"

/* The most elements a list or string read from a file may have (attributes, the index's
 * run ids): beyond it the file is refused before anything is allocated. */
#define READ_MAX_LIST (1 << 24)

static pthread_mutex_t hl_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- errors ------------------------------------------------------------------------ */

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

/* Attaches scales[i] to dimension i of d (skipping negative ids). */
static int attach_scales(sw_h5w *w, hid_t d, const hid_t *scales, int rank, const char *name)
{
    if (w->rc) return w->rc;
    pthread_mutex_lock(&hl_lock);
    int ok = 1;
    for (int i = 0; i < rank && ok; i++)
        if (scales[i] >= 0) ok = H5DSattach_scale(d, scales[i], (unsigned)i) >= 0;
    pthread_mutex_unlock(&hl_lock);
    return ok ? SW_OK : sw_h5w_fail(w, SW_EHDF5, "attaching dimension scales to '%s'", name);
}

/* Groups list their links and attributes in creation order (h5py follows it). */
static hid_t make_group(sw_h5w *w, hid_t loc, const char *name)
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

static void close_ids(hid_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0) {
            H5Oclose(ids[i]);
            ids[i] = -1;
        }
}

static void iso_time_utc(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static hid_t real_mem_type(void)
{
    return sizeof(sw_real) == sizeof(float) ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
}

/* ---- run files ----------------------------------------------------------------------- */

int sw_h5_init(char *err, size_t errlen)
{
    sw_h5_quiet();
    if (H5open() < 0) {
        sw_set_error(err, errlen, "the HDF5 library failed to initialise");
        return SW_EHDF5;
    }
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

static int valid_run_id(const char *id)
{
    if (!id || !id[0] || id[0] == '.' || strlen(id) > 200) return 0;
    if (strcmp(id, "sweep") == 0) return 0; /* would be the index */
    for (const char *p = id; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20) return 0;
    return 1;
}

static int write_config_group(sw_h5w *w, hid_t root, const sw_config *cfg)
{
    hid_t g = make_group(w, root, "config");
    if (g < 0) return w->rc;
    for (size_t i = 0; i < sw_schema_len && !w->rc; i++) {
        const sw_key_info *k = &sw_schema[i];
        if (sw_key_is_runtime(k)) continue; /* how it ran, not what it is */
        switch (k->type) {
        case SW_TYPE_INT:
        case SW_TYPE_INT64: sw_h5w_attr_i64(w, g, k->key, sw_config_get_int(cfg, k)); break;
        case SW_TYPE_FLOAT: sw_h5w_attr_f64(w, g, k->key, sw_config_get_float(cfg, k)); break;
        case SW_TYPE_BOOL: sw_h5w_attr_bool(w, g, k->key, (int)sw_config_get_int(cfg, k)); break;
        case SW_TYPE_STRING: sw_h5w_attr_str(w, g, k->key, sw_config_get_string(cfg, k)); break;
        case SW_TYPE_ENUM: {
            const char *name = sw_config_get_enum(cfg, k);
            sw_h5w_attr_str(w, g, k->key, name ? name : "");
            break;
        }
        case SW_TYPE_INT_LIST: {
            int n = *(const int *)((const char *)cfg + k->count_offset);
            const int *v = (const int *)((const char *)cfg + k->offset);
            int64_t vals[SW_MAX_MILESTONES + 1];
            for (int j = 0; j < n && j < SW_MAX_MILESTONES; j++) vals[j] = v[j];
            hsize_t dims[1] = {(hsize_t)n};
            sw_h5w_attr(w, g, k->key, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, vals);
            break;
        }
        default: sw_h5w_fail(w, SW_EINVAL, "config key '%s' has an unknown type", k->key);
        }
    }
    H5Gclose(g);
    return w->rc;
}

/* ---- the run record: record.c's table, written row by row ------------------------------ */

static hid_t record_file_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_IEEE_F64LE;
    case SW_REC_I32: return H5T_STD_I32LE;
    case SW_REC_I64: return H5T_STD_I64LE;
    default: return H5T_IEEE_F32LE; /* F32, REAL */
    }
}

static hid_t record_mem_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_NATIVE_DOUBLE;
    case SW_REC_F32: return H5T_NATIVE_FLOAT;
    case SW_REC_I32: return H5T_NATIVE_INT32;
    case SW_REC_I64: return H5T_NATIVE_INT64;
    default: return real_mem_type(); /* REAL */
    }
}

/* The group the writer is filling and the dimension scales made in it so far (a group's
 * scales come before the arrays that use them, so these are all an array can need). */
typedef struct {
    char path[64];
    hid_t id;
    int n_scales;
    hid_t scales[8];
    const char *scale_names[8];
} record_group;

static void close_record_group(record_group *g)
{
    close_ids(g->scales, g->n_scales);
    if (g->id >= 0) H5Gclose(g->id);
    g->id = -1;
    g->n_scales = 0;
    g->path[0] = 0;
}

/* Opens the group at `path` (absolute), creating it and its parents as needed with
 * make_group, so that every level lists its members in creation order. */
static void open_record_group(sw_h5w *w, hid_t file, const char *path, record_group *g)
{
    snprintf(g->path, sizeof g->path, "%s", path);
    hid_t loc = file;
    char part[64];
    for (const char *p = path + 1; *p && !w->rc;) {
        size_t n = strcspn(p, "/");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        htri_t exists = H5Lexists(loc, part, H5P_DEFAULT);
        hid_t next = exists > 0 ? H5Gopen2(loc, part, H5P_DEFAULT) : exists == 0 ? make_group(w, loc, part) : -1;
        if (next < 0) sw_h5w_fail(w, SW_EHDF5, "group '%s'", path);
        if (loc != file) H5Gclose(loc);
        loc = next;
        p += n + (p[n] == '/');
    }
    g->id = loc != file && !w->rc ? loc : -1;
    if (w->rc && loc >= 0 && loc != file) H5Gclose(loc);
}

static hid_t find_scale(const record_group *g, const char *name)
{
    for (int i = 0; name && i < g->n_scales; i++)
        if (strcmp(g->scale_names[i], name) == 0) return g->scales[i];
    return -1;
}

/* A coordinate: int32 dataset [n] holding the row's array or first, first+1, ..., made a
 * dimension scale named like the dataset (netCDF-4 convention, so h5netcdf/xarray name
 * the axis) and kept open in g for the arrays that follow. */
static void write_scale_row(sw_h5w *w, record_group *g, const sw_record_row *row, const void *array,
                            size_t n)
{
    const char *name = sw_record_name(row);
    int32_t *range = NULL;
    if (row->from == SW_FROM_RANGE) {
        if (!(range = malloc((n ? n : 1) * sizeof *range))) {
            sw_h5w_fail(w, SW_ENOMEM, "out of memory for '%s'", name);
            return;
        }
        for (size_t i = 0; i < n; i++) range[i] = row->first + (int32_t)i;
        array = range;
    }
    hsize_t dims[1] = {(hsize_t)n};
    hid_t d = sw_h5w_dset(w, g->id, name, record_file_type(row->type), record_mem_type(row->type), 1, dims, array);
    free(range);
    if (d < 0) return;
    sw_h5w_attr_str(w, d, "long_name", row->long_name);
    pthread_mutex_lock(&hl_lock);
    herr_t s = H5DSset_scale(d, name);
    pthread_mutex_unlock(&hl_lock);
    if (s < 0 || w->rc || g->n_scales == (int)SW_ARRAY_LEN(g->scales)) {
        sw_h5w_fail(w, SW_EHDF5, "dimension scale '%s'", name);
        H5Dclose(d);
        return;
    }
    g->scales[g->n_scales] = d;
    g->scale_names[g->n_scales++] = name;
}

/* A data array with its dimension scales attached and a long_name. */
static void write_array_row(sw_h5w *w, const record_group *g, const sw_record_row *row, const void *array,
                            const sw_record_sizes *s)
{
    const char *name = sw_record_name(row);
    hsize_t dims[SW_RECORD_MAX_RANK];
    hid_t scales[SW_RECORD_MAX_RANK];
    for (int i = 0; i < row->rank; i++) {
        dims[i] = (hsize_t)s->n[row->dims[i]];
        scales[i] = find_scale(g, row->scales[i]);
    }
    hid_t d = sw_h5w_dset(w, g->id, name, record_file_type(row->type), record_mem_type(row->type), row->rank, dims,
                       array);
    if (d < 0) return;
    attach_scales(w, d, scales, row->rank, name);
    sw_h5w_attr_str(w, d, "long_name", row->long_name);
    H5Dclose(d);
}

static void write_attribute_row(sw_h5w *w, hid_t loc, const sw_record_row *row, const sw_config *cfg,
                                const sw_run_result *r, const sw_record_sizes *s)
{
    double v = sw_record_value(row, cfg, r, s);
    switch (row->type) {
    case SW_REC_F64: sw_h5w_attr_f64(w, loc, sw_record_name(row), v); break;
    case SW_REC_I32: sw_h5w_attr_i32(w, loc, sw_record_name(row), (int)v); break;
    case SW_REC_I64: sw_h5w_attr_i64(w, loc, sw_record_name(row), (long long)v); break;
    default: sw_h5w_fail(w, SW_EINVAL, "attribute %s has an array type", row->path);
    }
}

/* The parameters tensor by tensor, with the names and shapes of model.h's table. */
static void write_weights_row(sw_h5w *w, hid_t group, const sw_model_shape *shape, const sw_real *flat)
{
    int nt = sw_tensor_count(shape);
    for (int i = 0; i < nt && !w->rc; i++) {
        sw_tensor_info t = sw_tensor_describe(shape, i);
        hsize_t dims[2] = {(hsize_t)t.rows, (hsize_t)t.cols};
        sw_h5w_array(w, group, t.name, H5T_IEEE_F32LE, real_mem_type(), t.cols ? 2 : 1, dims, flat + t.offset, NULL);
    }
}

/* Every row of the table that a run of this status has, in table order. */
static int write_record(sw_h5w *w, hid_t file, const sw_config *cfg, const sw_run_result *r, int full)
{
    sw_record_sizes s;
    sw_record_sizes_recorded(cfg, r, &s);
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    record_group g = {.id = -1};
    for (size_t i = 0; i < sw_record_len && !w->rc; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_written(row, cfg, full)) continue;
        char path[64];
        sw_record_group(row, path, sizeof path);
        if (strcmp(path, g.path) != 0) {
            close_record_group(&g);
            open_record_group(w, file, path, &g);
        }
        const void *field = sw_record_field_const(row, r);
        const void *array = field && sw_record_is_array(row) ? sw_record_array(field) : NULL;
        switch (row->kind) {
        case SW_REC_SCALE: write_scale_row(w, &g, row, array, sw_record_count(row, &s)); break;
        case SW_REC_DATASET: write_array_row(w, &g, row, array, &s); break;
        case SW_REC_ATTRIBUTE: write_attribute_row(w, g.id, row, cfg, r, &s); break;
        case SW_REC_WEIGHTS: write_weights_row(w, g.id, &shape, array); break;
        default: sw_h5w_fail(w, SW_EINVAL, "%s has an unknown kind", row->path);
        }
    }
    close_record_group(&g);
    return w->rc;
}

/* Checks that a result carries every array its file needs (for a failed run, the
 * history), with the counts its config's arrays were allocated for. */
static int check_result(sw_h5w *w, const sw_config *cfg, const sw_run_result *r, int full)
{
    sw_record_sizes planned, s;
    sw_record_sizes_planned(cfg, &planned);
    sw_record_sizes_recorded(cfg, r, &s);
    if (r->history.epochs < 0 || r->history.epochs > cfg->train.epochs)
        return sw_h5w_fail(w, SW_EINVAL, "the result has %d epochs of history for %d planned",
                     r->history.epochs, cfg->train.epochs);
    if (full && (r->grad_records < 0 || r->grad_records > planned.n[SW_SIZE_RECORDS]))
        return sw_h5w_fail(w, SW_EINVAL, "the result has %d gradient records for at most %lld",
                     r->grad_records, planned.n[SW_SIZE_RECORDS]);
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row) || !sw_record_written(row, cfg, full)) continue;
        if (sw_record_count(row, &s) > 0 && !sw_record_array(sw_record_field_const(row, r)))
            return sw_h5w_fail(w, SW_EINVAL, "the result has no %s", row->path);
    }
    if (!full) return SW_OK;
    if (r->param_count != (size_t)s.n[SW_SIZE_PARAMS])
        return sw_h5w_fail(w, SW_EINVAL, "the result has %zu parameters, the config's model %lld",
                     r->param_count, s.n[SW_SIZE_PARAMS]);
    if (r->probe_size != s.n[SW_SIZE_PROBE])
        return sw_h5w_fail(w, SW_EINVAL, "the result has %d probe sequences, the config %lld", r->probe_size,
                     s.n[SW_SIZE_PROBE]);
    return SW_OK;
}

/* The record's text attributes (record.c's sw_record_text), into groups the table's
 * rows created. */
static void write_metric_names(sw_h5w *w, hid_t file, const sw_config *cfg)
{
    for (size_t i = 0; i < sw_record_text_len && !w->rc; i++) {
        const sw_record_text_row *row = &sw_record_text[i];
        char group[64];
        const char *slash = strrchr(row->path, '/');
        snprintf(group, sizeof group, "%.*s", (int)(slash - row->path), row->path);
        hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
        if (g < 0) {
            sw_h5w_fail(w, SW_EHDF5, "group %s", group);
            return;
        }
        sw_h5w_attr_str(w, g, slash + 1, row->value(cfg));
        H5Gclose(g);
    }
}

int sw_h5_write_run(const char *dir, const sw_run_meta *meta, const sw_config *cfg,
                    const sw_run_result *result, char *err, size_t errlen)
{
    sw_h5_quiet();
    if (!dir || !meta || !cfg || !result) {
        sw_set_error(err, errlen, "sw_h5_write_run: missing argument");
        return SW_EINVAL;
    }
    if (!valid_run_id(meta->run_id)) {
        sw_set_error(err, errlen, "invalid run id '%s' (must be non-empty, at most 200 bytes, not start "
                "with '.', contain no '/' or control characters, and not be 'sweep')",
                meta->run_id ? meta->run_id : "(null)");
        return SW_EINVAL;
    }
    char final[PATH_MAX];
    if (snprintf(final, sizeof final, "%s/%s.h5", dir, meta->run_id) >= (int)sizeof final) {
        sw_set_error(err, errlen, "path too long: %s/%s.h5", dir, meta->run_id);
        return SW_EINVAL;
    }
    sw_h5w w = {final, err, errlen, SW_OK, true, true};
    int full = result->status != SW_RUN_FAILED;
    if (check_result(&w, cfg, result, full)) return w.rc;

    char tmp[PATH_MAX];
    hid_t file = sw_h5w_create(&w, dir, meta->run_id, tmp, sizeof tmp);
    if (file < 0) return w.rc;

    char *yaml = sw_config_to_yaml(cfg);
    if (!yaml) sw_h5w_fail(&w, SW_ENOMEM, "out of memory");
    char created[32];
    iso_time_utc(created);
    const char *status = sw_run_status_name(result->status);
    sw_h5w_attr_str(&w, file, "format", RUN_FORMAT);
    sw_h5w_attr_i32(&w, file, "format_version", FORMAT_VERSION);
    sw_h5w_attr_str(&w, file, "run_id", meta->run_id);
    sw_h5w_attr_str(&w, file, "sweep", meta->sweep_name ? meta->sweep_name : "");
    sw_h5w_attr_str(&w, file, "status", status);
    sw_h5w_attr_str(&w, file, "error", result->status == SW_RUN_DONE ? "" : result->error);
    sw_h5w_attr_i64(&w, file, "seed", (long long)cfg->seed);
    sw_h5w_attr_strs(&w, file, "swept_keys", meta->swept_keys, meta->swept_keys ? meta->n_swept : 0);
    sw_h5w_attr_str(&w, file, "config", yaml);
    sw_h5w_attr_str(&w, file, "program_version", SWEEP_VERSION);
    sw_h5w_attr_str(&w, file, "program", sw_version_string());
    sw_h5w_attr_str(&w, file, "library_versions", sw_library_versions());
    sw_h5w_attr_str(&w, file, "created", created);
    sw_h5w_attr_f64(&w, file, "wall_seconds", result->wall_seconds);
    free(yaml);

    write_config_group(&w, file, cfg);
    write_record(&w, file, cfg, result, full);
    write_metric_names(&w, file, cfg);
    return sw_h5w_finish(&w, file, dir, tmp);
}

static int is_temporary_name(const char *name)
{
    return name[0] == '.' && strstr(name, SW_H5_TMP_MARK) != NULL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Reads a scalar string attribute (variable or fixed length) into a malloc'ed string.
 * SW_ENOTFOUND when absent, SW_EFORMAT when not a string or unreadable (this and the
 * getters below leave HDF5's reason on the error stack). */
static int get_str(hid_t loc, const char *name, char **out)
{
    *out = NULL;
    htri_t e;
    if ((e = H5Aexists(loc, name)) <= 0) return e == 0 ? SW_ENOTFOUND : SW_EFORMAT;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return SW_EFORMAT;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    if (ft >= 0 && s >= 0 && H5Tget_class(ft) == H5T_STRING && H5Sget_simple_extent_npoints(s) == 1) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t mt = sw_h5w_str_type();
            char *v = NULL;
            if (mt >= 0 && H5Aread(a, mt, &v) >= 0) {
                *out = strdup(v ? v : "");
                rc = *out ? SW_OK : SW_ENOMEM;
                H5free_memory(v);
            }
            if (mt >= 0) H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(ft);
            hid_t mt = n > 0 && n <= READ_MAX_LIST ? H5Tcopy(H5T_C_S1) : -1;
            char *v = mt >= 0 ? calloc(n + 1, 1) : NULL;
            if (v && mt >= 0 && H5Tset_size(mt, n + 1) >= 0 && H5Aread(a, mt, v) >= 0) {
                *out = v;
                v = NULL;
                rc = SW_OK;
            }
            free(v);
            if (mt >= 0) H5Tclose(mt);
        }
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

int sw_h5_verify_run(const char *path, sw_run_status *status, char *err, size_t errlen)
{
    if (path && is_temporary_name(base_name(path))) {
        sw_set_error(err, errlen, "%s: a temporary (an unfinished write), not a run file", path);
        return SW_EFORMAT;
    }
    sw_run_file f;
    int rc = sw_h5_read_run(path, SW_READ_VERIFY, &f, err, errlen);
    if (rc == SW_OK && status) *status = f.status;
    sw_run_file_free(&f);
    return rc;
}

int sw_h5_run_is_complete(const char *path)
{
    return sw_h5_verify_run(path, NULL, NULL, 0) == SW_OK;
}

int sw_h5_remove_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : SW_EIO;
    int removed = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_temporary_name(e->d_name)) continue;
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

/* ---- reading ------------------------------------------------------------------------- */

static int get_f64(hid_t loc, const char *name, double *out)
{
    htri_t e;
    if ((e = H5Aexists(loc, name)) <= 0) return e == 0 ? SW_ENOTFOUND : SW_EFORMAT;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return SW_EFORMAT;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (s >= 0 && H5Sget_simple_extent_npoints(s) == 1 && (c == H5T_INTEGER || c == H5T_FLOAT))
        rc = H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0 ? SW_OK : SW_EFORMAT;
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

/* Integers, floats holding integers, and enums whose names are TRUE/FALSE (bools). */
static int get_i64(hid_t loc, const char *name, long long *out)
{
    htri_t e;
    if ((e = H5Aexists(loc, name)) <= 0) return e == 0 ? SW_ENOTFOUND : SW_EFORMAT;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return SW_EFORMAT;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (s >= 0 && H5Sget_simple_extent_npoints(s) == 1) {
        if (c == H5T_INTEGER) {
            int64_t v;
            if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) {
                *out = v;
                rc = SW_OK;
            }
        } else if (c == H5T_FLOAT) {
            double v;
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0 && v == floor(v) && fabs(v) < 9e18) {
                *out = (long long)v;
                rc = SW_OK;
            }
        } else if (c == H5T_ENUM) {
            unsigned char raw[16];
            char label[16];
            if (H5Tget_size(ft) <= sizeof raw && H5Aread(a, ft, raw) >= 0 &&
                H5Tenum_nameof(ft, raw, label, sizeof label) >= 0) {
                if (!strcmp(label, "TRUE") || !strcmp(label, "true")) *out = 1, rc = SW_OK;
                if (!strcmp(label, "FALSE") || !strcmp(label, "false")) *out = 0, rc = SW_OK;
            }
        }
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

/* A 1-D integer attribute into a malloc'ed long long array. */
static int get_i64_array(hid_t loc, const char *name, long long **out, int *n)
{
    *out = NULL;
    *n = 0;
    htri_t e;
    if ((e = H5Aexists(loc, name)) <= 0) return e == 0 ? SW_ENOTFOUND : SW_EFORMAT;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return SW_EFORMAT;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    hssize_t np = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    if (ft >= 0 && np >= 0 && np <= READ_MAX_LIST && H5Tget_class(ft) == H5T_INTEGER) {
        int64_t *v = malloc((size_t)(np ? np : 1) * sizeof *v);
        long long *ll = malloc((size_t)(np ? np : 1) * sizeof *ll);
        if (v && ll && (np == 0 || H5Aread(a, H5T_NATIVE_INT64, v) >= 0)) {
            for (hssize_t i = 0; i < np; i++) ll[i] = v[i];
            *out = ll;
            ll = NULL;
            *n = (int)np;
            rc = SW_OK;
        } else if (!v || !ll) {
            rc = SW_ENOMEM;
        }
        free(v);
        free(ll);
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

/* A 1-D string array (attribute when is_attr, else dataset) into malloc'ed strings. More
 * than a sweep's runs (SW_MAX_RUNS) is SW_EFORMAT: no list sweep writes is that long, and
 * the count is the file's claim, checked before it sizes an allocation. */
static int get_strs(hid_t obj, int is_attr, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    hid_t ft = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t s = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    int rc = SW_EFORMAT;
    hssize_t np = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    if (ft < 0 || np < 0 || np > READ_MAX_LIST || H5Tget_class(ft) != H5T_STRING) goto done;
    char **list = calloc((size_t)(np ? np : 1), sizeof *list);
    if (!list) {
        rc = SW_ENOMEM;
        goto done;
    }
    if (np == 0) {
        *out = list;
        rc = SW_OK;
        goto done;
    }
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = sw_h5w_str_type();
        char **raw = calloc((size_t)np, sizeof *raw);
        herr_t r = -1;
        if (mt >= 0 && raw)
            r = is_attr ? H5Aread(obj, mt, raw) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (r >= 0) {
            rc = SW_OK;
            for (hssize_t i = 0; i < np; i++) {
                list[i] = strdup(raw[i] ? raw[i] : "");
                if (!list[i]) rc = SW_ENOMEM;
                H5free_memory(raw[i]);
            }
        }
        free(raw);
        if (mt >= 0) H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        hid_t mt = len > 0 && len <= READ_MAX_LIST ? H5Tcopy(H5T_C_S1) : -1;
        char *raw = mt >= 0 && (size_t)np <= READ_MAX_LIST / (len + 1) ? calloc((size_t)np, len + 1) : NULL;
        herr_t r = -1;
        if (mt >= 0 && raw && H5Tset_size(mt, len + 1) >= 0)
            r = is_attr ? H5Aread(obj, mt, raw) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (r >= 0) {
            rc = SW_OK;
            for (hssize_t i = 0; i < np; i++) {
                list[i] = strdup(raw + (size_t)i * (len + 1));
                if (!list[i]) rc = SW_ENOMEM;
            }
        }
        free(raw);
        if (mt >= 0) H5Tclose(mt);
    }
    if (rc == SW_OK) {
        *out = list;
        *n = (int)np;
    } else {
        for (hssize_t i = 0; i < np; i++) free(list[i]);
        free(list);
    }
done:
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    return rc;
}

/* Dimensions of dataset `name` under loc; returns its rank or -1. */
static int dset_dims(hid_t loc, const char *name, hsize_t *dims, int maxrank)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t s = H5Dget_space(d);
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (rank >= 0 && rank <= maxrank)
        H5Sget_simple_extent_dims(s, dims, NULL);
    else
        rank = -1;
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return rank;
}

/* Reads a whole dataset of n elements as mtype into buf. */
static int read_dset(hid_t loc, const char *name, hid_t mtype, void *buf, size_t n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return SW_EFORMAT;
    hid_t s = H5Dget_space(d);
    int ok = s >= 0 && (size_t)H5Sget_simple_extent_npoints(s) == n &&
             (n == 0 || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return ok ? SW_OK : SW_EFORMAT;
}

/* Within the key's own range (the schema's), so that an int narrows without loss and the
 * sizes a file's config implies are the ones a config could have. */
static bool key_in_range(const sw_key_info *k, double v)
{
    if (!(v == v)) return false;
    if (k->min_exclusive ? !(v > k->min) : !(v >= k->min)) return false;
    return k->max_exclusive ? v < k->max : v <= k->max;
}

/* Every schema key /config has, into out->config (the others keep their defaults and
 * count in config_missing); a value of the wrong type or outside the key's range is not
 * used, and the first such key is named in out->config_bad. */
static void read_config(hid_t g, sw_run_file *out)
{
    sw_config *cfg = &out->config;
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        if (sw_key_is_runtime(k)) continue; /* never written */
        char *field = (char *)cfg + k->offset;
        int rc = SW_ENOTFOUND;
        switch (k->type) {
        case SW_TYPE_INT: {
            long long v;
            if ((rc = get_i64(g, k->key, &v)) == SW_OK && (rc = key_in_range(k, (double)v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(int *)field = (int)v;
            break;
        }
        case SW_TYPE_INT64: {
            long long v;
            if ((rc = get_i64(g, k->key, &v)) == SW_OK && (rc = key_in_range(k, (double)v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(int64_t *)field = v;
            break;
        }
        case SW_TYPE_FLOAT: {
            double v;
            if ((rc = get_f64(g, k->key, &v)) == SW_OK && (rc = key_in_range(k, v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(double *)field = v;
            break;
        }
        case SW_TYPE_BOOL: {
            long long v;
            char *s = NULL;
            if ((rc = get_i64(g, k->key, &v)) == SW_OK)
                *(bool *)field = v != 0;
            else if (get_str(g, k->key, &s) == SW_OK) {
                rc = SW_OK;
                *(bool *)field = strcmp(s, "true") == 0;
            }
            free(s);
            break;
        }
        case SW_TYPE_ENUM: {
            char *s = NULL;
            if ((rc = get_str(g, k->key, &s)) == SW_OK) {
                rc = SW_EFORMAT;
                for (int c = 0; k->choices[c]; c++)
                    if (strcmp(k->choices[c], s) == 0) {
                        *(int *)field = c;
                        rc = SW_OK;
                    }
            }
            free(s);
            break;
        }
        case SW_TYPE_STRING: {
            char *s = NULL;
            if ((rc = get_str(g, k->key, &s)) == SW_OK && strlen(s) > (size_t)k->max) rc = SW_EFORMAT;
            if (rc == SW_OK) snprintf(field, (size_t)k->max + 1, "%s", s);
            free(s);
            break;
        }
        case SW_TYPE_INT_LIST: {
            long long *v = NULL;
            int n = 0;
            if ((rc = get_i64_array(g, k->key, &v, &n)) == SW_OK && n > SW_MAX_MILESTONES) rc = SW_EFORMAT;
            for (int j = 0; rc == SW_OK && j < n; j++)
                if (!key_in_range(k, (double)v[j]) || v[j] > INT_MAX) rc = SW_EFORMAT;
            if (rc == SW_OK) {
                for (int j = 0; j < n; j++) ((int *)field)[j] = (int)v[j];
                *(int *)((char *)cfg + k->count_offset) = n;
            }
            free(v);
            break;
        }
        default: break;
        }
        if (rc == SW_ENOTFOUND) {
            out->config_missing++;
        } else if (rc != SW_OK && !out->config_bad[0]) {
            char detail[200];
            sw_h5_detail(detail);
            snprintf(out->config_bad, sizeof out->config_bad, "/config/%s %s%s%s", k->key,
                     detail[0] ? "unreadable (HDF5: " : "not of its key's type and range", detail, detail[0] ? ")" : "");
        }
        H5Eclear2(H5E_DEFAULT);
    }
}

/* Elements of an array of `rank` dims, and its bytes at `elem` bytes each, checked: false
 * when a dimension is negative or the product overflows what malloc could be asked for. */
static bool checked_count(int rank, const long long *dims, size_t elem, size_t *count)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return false;
        if (dims[i] > 0 && n > SIZE_MAX / 2 / elem / (size_t)dims[i]) return false;
        n *= (size_t)dims[i];
    }
    *count = n;
    return true;
}

static void sizes_unknown(sw_record_sizes *s)
{
    for (int i = 0; i < SW_SIZE_COUNT; i++) s->n[i] = -1;
}

/* Checks the dimensions of the dataset of `row` against the sizes known so far, learning
 * the unknown ones (negative) from the file; sizes beyond an int are refused before any
 * narrowing. With `out`, reads the dataset into a new array (*out, the caller frees).
 * Returns SW_OK, SW_EFORMAT (message in err, which may be NULL) or SW_ENOMEM. */
static int read_row(hid_t f, const char *file, const sw_record_row *row, sw_record_sizes *s, void **out,
                    char *err, size_t errlen)
{
    hsize_t dims[SW_RECORD_MAX_RANK];
    int rank = dset_dims(f, row->path, dims, SW_RECORD_MAX_RANK);
    if (rank != row->rank) {
        sw_set_error(err, errlen, "%s: %s missing or not %d-D", file, row->path, row->rank);
        return SW_EFORMAT;
    }
    for (int i = 0; i < rank; i++) {
        long long *n = &s->n[row->dims[i]];
        const char *sym = sw_record_size_symbol(row->dims[i]);
        if (dims[i] > INT_MAX) {
            sw_set_error(err, errlen, "%s: %s has %llu along %s, more than this program reads", file, row->path,
                         (unsigned long long)dims[i], sym);
            return SW_EFORMAT;
        }
        if (*n >= 0 && (hsize_t)*n != dims[i]) {
            sw_set_error(err, errlen, "%s: %s has %llu along %s, expected %lld", file, row->path,
                         (unsigned long long)dims[i], sym, *n);
            return SW_EFORMAT;
        }
        *n = (long long)dims[i];
    }
    if (!out) return SW_OK;
    long long d[SW_RECORD_MAX_RANK];
    size_t count;
    for (int i = 0; i < rank; i++) d[i] = (long long)dims[i];
    if (!checked_count(rank, d, sw_record_mem_size(row->type), &count)) {
        sw_set_error(err, errlen, "%s: %s has more elements than this program can hold", file, row->path);
        return SW_EFORMAT;
    }
    void *buf = malloc((count ? count : 1) * sw_record_mem_size(row->type));
    if (!buf) return SW_ENOMEM;
    if (read_dset(f, row->path, record_mem_type(row->type), buf, count)) {
        free(buf);
        sw_set_error(err, errlen, "%s: %s unreadable", file, row->path);
        return SW_EFORMAT;
    }
    *out = buf;
    return SW_OK;
}

/* The values of a row a file predates (SW_REC_ADDED): NaN, or 0 for integers. */
static int absent_row(const sw_record_row *row, const sw_record_sizes *s, void **out)
{
    long long d[SW_RECORD_MAX_RANK];
    size_t n;
    for (int i = 0; i < row->rank; i++) d[i] = s->n[row->dims[i]] > 0 ? s->n[row->dims[i]] : 0;
    if (!checked_count(row->rank, d, sw_record_mem_size(row->type), &n)) return SW_EFORMAT;
    if (!(*out = calloc(n ? n : 1, sw_record_mem_size(row->type)))) return SW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (row->type == SW_REC_F64) ((double *)*out)[i] = NAN;
        if (row->type == SW_REC_F32) ((float *)*out)[i] = NAN;
        if (row->type == SW_REC_REAL) ((sw_real *)*out)[i] = NAN;
    }
    return SW_OK;
}

/* Every /history row: its coordinate (the first row) fixes E, every column is read into
 * out->history; columns added to the format later may be absent. */
static int read_history(hid_t f, sw_run_file *out, char *err, size_t errlen)
{
    sw_record_sizes s;
    sizes_unknown(&s);
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (strncmp(row->path, "/history/", 9) != 0) continue;
        void *field = sw_record_history_field(row, &out->history), *array = NULL;
        int rc;
        if ((row->flags & SW_REC_ADDED) && H5Lexists(f, row->path, H5P_DEFAULT) <= 0)
            rc = field ? absent_row(row, &s, &array) : SW_OK;
        else
            rc = read_row(f, out->path, row, &s, field ? &array : NULL, err, errlen);
        if (rc) return rc;
        if (field) sw_record_set_array(field, array);
    }
    out->history.epochs = out->history.capacity = s.n[SW_SIZE_EPOCHS] > 0 ? (int)s.n[SW_SIZE_EPOCHS] : 0;
    return SW_OK;
}

/* first / last of one row of a norm array, [R,L,T] or [R,T]: the row at `prefix` (the
 * last record, and for dloss_dh_norm the last layer), its elements 0 and T-1, without
 * reading the rest. Only those two points are read, so T (the file's claim, up to INT_MAX)
 * sizes no allocation. NaN when unreadable. */
static double read_end_ratio(hid_t f, const char *path, int rank, const hsize_t *prefix, hsize_t T)
{
    double ratio = NAN;
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t fs = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t coords[2 * 3], n = T > 1 ? 2 : 1; /* two points of `rank` coordinates each */
    SW_ASSERT(rank >= 2 && rank <= 3);
    for (int k = 0; k < rank - 1; k++) coords[k] = coords[rank + k] = prefix[k];
    coords[rank - 1] = 0;
    coords[2 * rank - 1] = T - 1;
    hid_t ms = H5Screate_simple(1, &n, NULL);
    float ends[2];
    if (fs >= 0 && ms >= 0 && H5Sselect_elements(fs, H5S_SELECT_SET, (size_t)n, coords) >= 0 &&
        H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, ends) >= 0)
        ratio = (double)ends[0] / (double)ends[n - 1];
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
    return ratio;
}

/* input_ratio from /gradients/dloss_dx_norm [R,T], when the file has it (files from before
 * it was recorded do not: NaN). */
static void read_input_ratio(hid_t f, sw_run_file *out)
{
    const sw_record_row *row = sw_record_find("/gradients/dloss_dx_norm");
    SW_ASSERT(row && row->rank == 2);
    if (H5Lexists(f, row->path, H5P_DEFAULT) <= 0) return;
    sw_record_sizes s;
    sizes_unknown(&s);
    if (read_row(f, out->path, row, &s, NULL, NULL, 0)) return;
    long long R = s.n[row->dims[0]], T = s.n[row->dims[1]];
    hsize_t last = (hsize_t)R - 1;
    if (R > 0 && T > 0) out->input_ratio = read_end_ratio(f, row->path, 2, &last, (hsize_t)T);
}

/* The vanishing figure always; with SW_READ_GRADIENTS also /gradients/epoch and
 * /gradients/dloss_dh_norm (whose absence is then an error). */
static int read_gradients(hid_t f, sw_run_file *out, unsigned what, char *err, size_t errlen)
{
    const sw_record_row *norm = sw_record_find("/gradients/dloss_dh_norm");
    const sw_record_row *epoch = sw_record_find("/gradients/epoch");
    SW_ASSERT(norm && epoch && norm->rank == 3);
    int wanted = (what & SW_READ_GRADIENTS) != 0;
    sw_record_sizes s;
    sizes_unknown(&s);
    int rc = read_row(f, out->path, norm, &s, NULL, wanted ? err : NULL, errlen);
    if (rc) return wanted ? rc : SW_OK;
    long long R = s.n[norm->dims[0]], L = s.n[norm->dims[1]], T = s.n[norm->dims[2]];
    hsize_t last[2] = {(hsize_t)R - 1, (hsize_t)L - 1};
    if (R > 0 && L > 0 && T > 0) out->vanishing_ratio = read_end_ratio(f, norm->path, 3, last, (hsize_t)T);
    read_input_ratio(f, out);
    if (!wanted) return SW_OK;
    void *epochs = NULL, *norms = NULL;
    rc = read_row(f, out->path, epoch, &s, &epochs, err, errlen);
    out->grad_epoch = epochs;
    if (rc == SW_OK) rc = read_row(f, out->path, norm, &s, &norms, err, errlen);
    out->dloss_dh_norm = norms;
    out->grad_records = (int)R;
    out->grad_layers = (int)L;
    out->grad_steps = (int)T;
    return rc;
}

/* The root attributes: format, version, status and run id are required (SW_EFORMAT with a
 * message when absent), the others optional (absent or odd values stay NULL/NaN). */
static int read_root(hid_t f, sw_run_file *out, char *err, size_t errlen)
{
    const char *path = out->path;
    char *format = NULL, *status = NULL;
    long long version = 0;
    int rc = SW_EFORMAT, got = get_str(f, "format", &format);
    char detail[200];
    if (got == SW_EFORMAT && (sw_h5_detail(detail), detail[0]))
        sw_set_error(err, errlen, "%s: root attribute format unreadable (HDF5: %s)", path, detail);
    else if (got != SW_OK || strcmp(format, RUN_FORMAT) != 0)
        sw_set_error(err, errlen, "%s: not a sweep run file (root attribute format is not '" RUN_FORMAT "')", path);
    else if (get_i64(f, "format_version", &version) != SW_OK || version < 1 || version > FORMAT_VERSION)
        sw_set_error(err, errlen, "%s: format_version %lld is not one this program reads (1)", path, version);
    else if (get_str(f, "status", &status) != SW_OK)
        sw_set_error(err, errlen, "%s: root attribute status missing", path);
    else if (get_str(f, "run_id", &out->run_id) != SW_OK)
        sw_set_error(err, errlen, "%s: root attribute run_id missing", path);
    else
        rc = SW_OK;
    for (int s = 0; status && s < SW_RUN_STATUS_COUNT; s++)
        if (strcmp(status, sw_run_status_name((sw_run_status)s)) == 0) out->status = (sw_run_status)s;
    free(format);
    free(status);
    if (rc) return rc;
    get_str(f, "sweep", &out->sweep);
    get_str(f, "error", &out->error);
    get_str(f, "created", &out->created);
    get_str(f, "program_version", &out->program_version);
    get_str(f, "config", &out->config_text);
    get_f64(f, "wall_seconds", &out->wall_seconds);
    if (H5Aexists(f, "swept_keys") > 0) {
        hid_t a = H5Aopen(f, "swept_keys", H5P_DEFAULT);
        if (a >= 0) {
            rc = get_strs(a, 1, &out->swept_keys, &out->n_swept);
            H5Aclose(a);
            if (rc == SW_ENOMEM) return rc;
        }
    }
    return SW_OK;
}

/* /config (every schema key it has) and /summary; both groups are required. */
static int read_config_and_summary(hid_t f, sw_run_file *out, char *err, size_t errlen)
{
    hid_t g;
    if (H5Lexists(f, "config", H5P_DEFAULT) <= 0 || (g = H5Gopen2(f, "config", H5P_DEFAULT)) < 0) {
        sw_set_error(err, errlen, "%s: group /config missing", out->path);
        return SW_EFORMAT;
    }
    read_config(g, out);
    H5Gclose(g);
    if (H5Lexists(f, "summary", H5P_DEFAULT) <= 0 || (g = H5Gopen2(f, "summary", H5P_DEFAULT)) < 0) {
        sw_set_error(err, errlen, "%s: group /summary missing", out->path);
        return SW_EFORMAT;
    }
    long long v = 0;
    /* counts beyond an int are not ones a run makes: left at 0 (verification names them) */
    if (get_i64(g, "best_epoch", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->best_epoch = (int)v;
    if (get_i64(g, "epochs_completed", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->epochs = (int)v;
    if (get_i64(g, "epochs_planned", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->epochs_planned = (int)v;
    if (get_i64(g, "param_count", &v) == SW_OK) out->param_count = v;
    get_f64(g, "best_test_acc", &out->best_test_acc);
    get_f64(g, "best_test_loss", &out->best_test_loss);
    get_f64(g, "final_test_acc", &out->final_test_acc);
    get_f64(g, "final_train_acc", &out->final_train_acc);
    /* Files written before runs named their metric were all selected by test accuracy. */
    sw_task_metric m = sw_task_metric_of(&out->config.task);
    char *name = NULL, *mode = NULL;
    if (get_str(g, "metric", &name) == SW_OK && !strcmp(name, "test_loss")) m = (sw_task_metric){"test_loss", SW_METRIC_MIN};
    else if (name && !strcmp(name, "test_acc")) m = (sw_task_metric){"test_acc", SW_METRIC_MAX};
    if (get_str(g, "metric_mode", &mode) == SW_OK && !strcmp(mode, "min")) m.mode = SW_METRIC_MIN;
    free(name);
    free(mode);
    snprintf(out->metric, sizeof out->metric, "%s", m.name);
    out->metric_mode = m.mode;
    if (get_f64(g, "best_metric", &out->best_metric) != SW_OK)
        out->best_metric = m.mode == SW_METRIC_MIN ? out->best_test_loss : out->best_test_acc;
    H5Gclose(g);
    return SW_OK;
}

/* A file task's head size and target kind come from its data file, not from config keys,
 * so /config lacks them (and a run file must be readable where the data is not): a run
 * file says them through its arrays. The outputs are the length of /weights/final/fc/bias;
 * the target is values at the last step when the run is selected by its test loss, a
 * class at every step when /probe/targets has T > 1 columns, else a class at the last
 * step. A failed run's file has neither, and needs neither. */
static void file_task_layout(hid_t f, sw_run_file *out)
{
    sw_task_config *task = &out->config.task;
    hsize_t dims[2];
    if (task->kind != SW_TASK_FILE) return;
    if (dset_dims(f, "/weights/final/fc/bias", dims, 1) == 1 && dims[0] <= INT_MAX) task->file_outputs = (int)dims[0];
    if (!strcmp(out->metric, "test_loss"))
        task->file_target = SW_TARGET_VALUE_LAST;
    else if (dset_dims(f, "/probe/targets", dims, 2) == 2 && dims[1] > 1 && dims[1] == (hsize_t)task->seq_len)
        task->file_target = SW_TARGET_CLASS_STEPS;
    else
        task->file_target = SW_TARGET_CLASS_LAST;
    H5Eclear2(H5E_DEFAULT);
}

/* ---- verification: reading a run file through ----------------------------------------- */

/* "[3,7]" */
static void format_dims(char *out, size_t outlen, int rank, const long long *dims)
{
    size_t n = (size_t)snprintf(out, outlen, "[");
    for (int i = 0; i < rank && n < outlen; i++) n += (size_t)snprintf(out + n, outlen - n, "%s%lld", i ? "," : "", dims[i]);
    if (n < outlen) snprintf(out + n, outlen - n, "]");
}

/* The array at `path` (absolute) exists (else SW_ENOTFOUND, no message), holds numbers of
 * the row type's class with exactly the dims `want`, and reads back whole: every chunk
 * decompresses and passes its Fletcher-32 checksum. SW_EFORMAT with the reason in err. */
static int verify_array(hid_t f, const char *file, const char *path, sw_record_type type, int rank,
                        const long long *want, char *err, size_t errlen)
{
    if (H5Lexists(f, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    char detail[200] = "", have_text[96], want_text[96];
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t t = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1, rc = SW_EFORMAT;
    hsize_t dims[H5S_MAX_RANK];
    long long have[H5S_MAX_RANK];
    bool is_float = type == SW_REC_F64 || type == SW_REC_F32 || type == SW_REC_REAL;
    if (d < 0 || t < 0 || sp < 0 || r < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        sw_h5_detail(detail);
        sw_set_error(err, errlen, "%s: %s unreadable%s%s%s", file, path, detail[0] ? " (HDF5: " : "", detail,
                     detail[0] ? ")" : "");
        goto done;
    }
    if (cls != (is_float ? H5T_FLOAT : H5T_INTEGER)) {
        sw_set_error(err, errlen, "%s: %s holds %s, expected %s", file, path,
                     cls == H5T_FLOAT ? "floats" : cls == H5T_INTEGER ? "integers" : "neither integers nor floats",
                     is_float ? "floats" : "integers");
        goto done;
    }
    bool same = r == rank;
    for (int i = 0; i < r; i++) {
        have[i] = dims[i] > (hsize_t)LLONG_MAX ? LLONG_MAX : (long long)dims[i];
        same = same && have[i] == want[i];
    }
    if (!same) {
        format_dims(have_text, sizeof have_text, r, have);
        format_dims(want_text, sizeof want_text, rank, want);
        sw_set_error(err, errlen, "%s: %s has shape %s; its config implies %s", file, path, have_text, want_text);
        goto done;
    }
    size_t count, elem = sw_record_mem_size(type);
    if (!checked_count(rank, want, elem, &count)) {
        sw_set_error(err, errlen, "%s: %s has more elements than this program can hold", file, path);
        goto done;
    }
    void *buf = malloc((count ? count : 1) * elem);
    if (!buf) {
        sw_set_error(err, errlen, "%s: out of memory reading %s", file, path);
        rc = SW_ENOMEM;
        goto done;
    }
    if (count > 0 && H5Dread(d, record_mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        sw_h5_detail(detail);
        sw_set_error(err, errlen, "%s: %s unreadable%s%s%s", file, path, detail[0] ? " (HDF5: " : "", detail,
                     detail[0] ? ")" : "");
    } else {
        rc = SW_OK;
    }
    free(buf);
done:
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* A scalar numeric attribute at `path` ("/summary/best_epoch"): SW_OK, SW_ENOTFOUND or
 * SW_EFORMAT (unreadable or not a number). */
static int verify_attribute(hid_t f, const char *path, bool text)
{
    char group[64];
    const char *slash = strrchr(path, '/');
    snprintf(group, sizeof group, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_EFORMAT;
    }
    int rc;
    if (text) {
        char *v = NULL;
        rc = get_str(g, slash + 1, &v);
        free(v);
    } else {
        double v;
        rc = get_f64(g, slash + 1, &v);
    }
    H5Gclose(g);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Reads every row of the run record (record.c's table) that a file of this status holds,
 * each array with the shape that its /config and /summary/epochs_completed imply, through
 * to the last byte. Rows added to the format later may be absent. */
static int verify_record(hid_t f, sw_run_file *out, char *err, size_t errlen)
{
    const char *file = out->path;
    const sw_config *cfg = &out->config;
    if (out->status >= SW_RUN_STATUS_COUNT) {
        sw_set_error(err, errlen, "%s: status is not done, diverged, failed or stopped", file);
        return SW_EFORMAT;
    }
    if (out->config_bad[0]) {
        sw_set_error(err, errlen, "%s: %s", file, out->config_bad);
        return SW_EFORMAT;
    }
    long long E = -1;
    hid_t g = H5Lexists(f, "summary", H5P_DEFAULT) > 0 ? H5Gopen2(f, "summary", H5P_DEFAULT) : -1;
    if (g >= 0) {
        if (get_i64(g, "epochs_completed", &E) != SW_OK) E = -1;
        H5Gclose(g);
    }
    H5Eclear2(H5E_DEFAULT);
    /* a stopped run stopped at a rung: after one epoch at least, before the last */
    if (E < 0 || E > cfg->train.epochs || (out->status == SW_RUN_DONE && E != cfg->train.epochs) ||
        (out->status == SW_RUN_STOPPED && (E < 1 || E >= cfg->train.epochs))) {
        sw_set_error(err, errlen, "%s: /summary/epochs_completed is %s%lld for a %s run of train.epochs %d", file,
                     E < 0 ? "missing or " : "", E, sw_run_status_name(out->status), cfg->train.epochs);
        return SW_EFORMAT;
    }
    sw_record_sizes s;
    sw_record_sizes_of_run(cfg, (int)E, &s);
    bool full = out->status != SW_RUN_FAILED;
    if (full) { /* R: a run that diverged before its first record makes one at its best epoch */
        hsize_t dims[1];
        long long R = s.n[SW_SIZE_RECORDS];
        if (out->status == SW_RUN_DIVERGED && R == 0 && dset_dims(f, "/gradients/epoch", dims, 1) == 1 && dims[0] == 1)
            s.n[SW_SIZE_RECORDS] = 1;
        H5Eclear2(H5E_DEFAULT);
    }
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!full && (row->flags & SW_REC_RESULTS_ONLY)) continue;
        bool may_lack = (row->flags & SW_REC_ADDED) != 0;
        long long want[SW_RECORD_MAX_RANK];
        for (int d = 0; d < row->rank; d++) want[d] = s.n[row->dims[d]];
        int rc = SW_OK;
        switch (row->kind) {
        case SW_REC_ATTRIBUTE:
            if ((rc = verify_attribute(f, row->path, false)) == SW_EFORMAT) {
                sw_set_error(err, errlen, "%s: attribute %s unreadable or not a number", file, row->path);
                return rc;
            }
            break;
        case SW_REC_SCALE:
        case SW_REC_DATASET: rc = verify_array(f, file, row->path, row->type, row->rank, want, err, errlen); break;
        case SW_REC_WEIGHTS:
            for (int t = 0; t < sw_tensor_count(&shape) && rc == SW_OK; t++) {
                sw_tensor_info ti = sw_tensor_describe(&shape, t);
                char path[128];
                long long dims[2] = {ti.rows, ti.cols};
                snprintf(path, sizeof path, "%s/%s", row->path, ti.name);
                rc = verify_array(f, file, path, row->type, ti.cols ? 2 : 1, dims, err, errlen);
                if (rc == SW_ENOTFOUND) {
                    sw_set_error(err, errlen, "%s: %s missing", file, path);
                    return SW_EFORMAT;
                }
            }
            break;
        default: SW_ASSERT(!"a record row of unknown kind");
        }
        if (rc == SW_ENOTFOUND && !may_lack) {
            sw_set_error(err, errlen, "%s: %s missing", file, row->path);
            return SW_EFORMAT;
        }
        if (rc != SW_OK && rc != SW_ENOTFOUND) return rc;
    }
    for (size_t i = 0; i < sw_record_text_len; i++)
        if (verify_attribute(f, sw_record_text[i].path, true) == SW_EFORMAT) {
            sw_set_error(err, errlen, "%s: attribute %s unreadable or not a string", file, sw_record_text[i].path);
            return SW_EFORMAT;
        }
    return SW_OK;
}

int sw_h5_read_run(const char *path, unsigned what, sw_run_file *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->status = SW_RUN_STATUS_COUNT;
    out->best_test_acc = out->best_test_loss = out->final_test_acc = out->final_train_acc = NAN;
    out->best_metric = NAN;
    out->wall_seconds = out->vanishing_ratio = out->input_ratio = NAN;
    sw_config_defaults(&out->config);
    sw_h5_quiet();
    out->path = strdup(path ? path : "");
    if (!out->path) return SW_ENOMEM;
    struct stat st;
    if (stat(path, &st) != 0) {
        sw_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return SW_ENOTFOUND;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        sw_set_error(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "empty file (0 bytes)" : "not a regular file");
        return SW_EFORMAT;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        char detail[200];
        sw_h5_detail(detail);
        sw_set_error(err, errlen, "%s: not a readable HDF5 file (truncated or foreign?)%s%s%s", path,
                detail[0] ? " (HDF5: " : "", detail, detail[0] ? ")" : "");
        return SW_EFORMAT;
    }
    int rc = read_root(f, out, err, errlen);
    if (rc == SW_OK) rc = read_config_and_summary(f, out, err, errlen);
    if (rc == SW_OK) file_task_layout(f, out);
    if (rc == SW_OK && (what & SW_READ_VERIFY)) rc = verify_record(f, out, err, errlen);
    if (rc == SW_OK && (what & SW_READ_HISTORY)) rc = read_history(f, out, err, errlen);
    if (rc == SW_OK) rc = read_gradients(f, out, what, err, errlen);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "%s: out of memory", path);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

void sw_run_file_free(sw_run_file *f)
{
    if (!f) return;
    free(f->path);
    free(f->run_id);
    free(f->sweep);
    free(f->error);
    free(f->created);
    free(f->program_version);
    free(f->config_text);
    sw_h5_free_names(f->swept_keys, f->n_swept);
    sw_record_free_history(&f->history);
    free(f->grad_epoch);
    free(f->dloss_dh_norm);
    memset(f, 0, sizeof *f);
}

void sw_h5_free_names(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sw_h5_list_runs(const char *dir, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? SW_ENOTFOUND : SW_EIO;
    int n = 0, cap = 0, rc = SW_OK;
    char **list = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0 ||
            strcmp(e->d_name, INDEX_NAME) == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(list, (size_t)cap * sizeof *list);
            if (!bigger) {
                rc = SW_ENOMEM;
                break;
            }
            list = bigger;
        }
        if (!(list[n] = strdup(e->d_name))) {
            rc = SW_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc) {
        sw_h5_free_names(list, n);
        return rc;
    }
    if (n) qsort(list, (size_t)n, sizeof *list, cmp_str);
    *names = list;
    return n;
}

int sw_h5_read_index_order(const char *dir, char ***run_ids)
{
    *run_ids = NULL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/" INDEX_NAME, dir) >= (int)sizeof path) return SW_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) return SW_ENOTFOUND;
    sw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_EFORMAT;
    }
    int rc = SW_EFORMAT, n = 0;
    char *format = NULL;
    if (get_str(f, "format", &format) == SW_OK && strcmp(format, INDEX_FORMAT) == 0 &&
        H5Lexists(f, "table", H5P_DEFAULT) > 0 && H5Lexists(f, "table/run_id", H5P_DEFAULT) > 0) {
        hid_t d = H5Dopen2(f, "table/run_id", H5P_DEFAULT);
        if (d >= 0) {
            rc = get_strs(d, 0, run_ids, &n);
            H5Dclose(d);
        }
    }
    free(format);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc == SW_OK ? n : rc;
}

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------------------------- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t wv[64];
    for (int i = 0; i < 16; i++)
        wv[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(wv[i - 15], 7) ^ rotr(wv[i - 15], 18) ^ (wv[i - 15] >> 3);
        uint32_t s1 = rotr(wv[i - 2], 17) ^ rotr(wv[i - 2], 19) ^ (wv[i - 2] >> 10);
        wv[i] = wv[i - 16] + s0 + wv[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + wv[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void sw_sha256_hex(const void *data, size_t len, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha_block(h, p + i);
    unsigned char tail[128] = {0};
    size_t rest = len - i;
    if (rest) memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    size_t total = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int b = 0; b < 8; b++) tail[total - 1 - b] = (unsigned char)(bits >> (8 * b));
    sha_block(h, tail);
    if (total == 128) sha_block(h, tail + 64);
    for (int b = 0; b < 8; b++) snprintf(out + 8 * b, 9, "%08x", h[b]);
}

/* ---- the sweep index ----------------------------------------------------------------- */

typedef struct {
    int valid;
    sw_run_file file;      /* summary only (sw_h5_read_run flags 0) */
    struct timespec mtime; /* the file as it was read: a change means it was replaced */
    off_t size;
    ino_t ino;
} index_cache_entry;

struct sw_index_cache {
    int n;
    index_cache_entry *rows;
};

sw_index_cache *sw_index_cache_create(int n_runs)
{
    if (n_runs < 0) return NULL;
    sw_index_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = n_runs;
    c->rows = calloc((size_t)(n_runs ? n_runs : 1), sizeof *c->rows);
    if (!c->rows) {
        free(c);
        return NULL;
    }
    return c;
}

void sw_index_cache_free(sw_index_cache *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) sw_run_file_free(&c->rows[i].file);
    free(c->rows);
    free(c);
}

/* The entry takes *file over (zeroed here), as the file at `st` was. */
static void cache_take(index_cache_entry *e, sw_run_file *file, const struct stat *st)
{
    sw_run_file_free(&e->file);
    e->file = *file;
    memset(file, 0, sizeof *file);
    e->valid = 1;
    e->mtime = st->st_mtim;
    e->size = st->st_size;
    e->ino = st->st_ino;
}

void sw_index_cache_put(sw_index_cache *c, int i, const char *path, sw_run_file *file)
{
    struct stat st;
    if (c && i >= 0 && i < c->n && file->status < SW_RUN_STATUS_COUNT && stat(path, &st) == 0)
        cache_take(&c->rows[i], file, &st);
    else
        sw_run_file_free(file);
}

/* Run files are replaced by rename, never rewritten in place: a new inode, and a new
 * mtime and size, say the cached summary is stale. */
static bool same_file_state(const index_cache_entry *e, const struct stat *st)
{
    return e->ino == st->st_ino && e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
           e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

typedef struct {
    const char *id;
    int have;          /* 1: a complete file was read into `file` */
    int unreadable;    /* a file is under the final name but could not be read */
    sw_run_file own;   /* read for this write only (no cache, or a row the cache lacks) */
    const sw_run_file *file; /* &own or a cache entry; valid when have */
    const sw_config *cfg; /* where the swept values come from, NULL when unknown */
} index_row;

/* Column buffers of the index table, one value per row. */
typedef struct {
    int n;
    hsize_t dims[1];
    hid_t st, bt;       /* string and bool types */
    const char **strs;
    char **owned;       /* strings of strs this writer allocated */
    int64_t *ints;
    double *dbls;
    int8_t *bools;
} table_cols;

static void free_owned(table_cols *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->owned[i]);
        c->owned[i] = NULL;
    }
}

/* run_id, status and path. */
static void write_id_columns(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c)
{
    int n = c->n;
    for (int i = 0; i < n; i++) c->strs[i] = rows[i].id;
    sw_h5w_array(w, g, "run_id", c->st, c->st, 1, c->dims, c->strs, "run id (file name without .h5)");
    for (int i = 0; i < n; i++)
        c->strs[i] = rows[i].have ? sw_run_status_name(rows[i].file->status)
                                  : rows[i].unreadable ? "unreadable" : "pending";
    /* the long_name predates status stopped (early stopping): kept, so that an index is
     * the same bytes as before for sweeps without stop: */
    sw_h5w_array(w, g, "status", c->st, c->st, 1, c->dims, c->strs, "done | diverged | failed | pending | unreadable");
    for (int i = 0; i < n && !w->rc; i++) {
        if (rows[i].have) {
            size_t len = strlen(rows[i].id) + 4;
            if (!(c->owned[i] = malloc(len))) {
                sw_h5w_fail(w, SW_ENOMEM, "out of memory");
                break;
            }
            snprintf(c->owned[i], len, "%s.h5", rows[i].id);
        }
        c->strs[i] = c->owned[i] ? c->owned[i] : "";
    }
    sw_h5w_array(w, g, "path", c->st, c->st, 1, c->dims, c->strs, "run file, relative to this file's directory");
    free_owned(c);
}

/* The column of one swept key, typed like the key (lists and choices as text). */
static void write_key_column(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c, const sw_key_info *k)
{
    for (int i = 0; i < c->n && !w->rc; i++) {
        const sw_config *cfg = rows[i].cfg;
        switch (k->type) {
        case SW_TYPE_INT:
        case SW_TYPE_INT64: c->ints[i] = cfg ? sw_config_get_int(cfg, k) : 0; break;
        case SW_TYPE_FLOAT: c->dbls[i] = cfg ? sw_config_get_float(cfg, k) : NAN; break;
        case SW_TYPE_BOOL: c->bools[i] = cfg ? sw_config_get_int(cfg, k) != 0 : 0; break;
        default: {
            char text[SW_MAX_PATH + 8] = "";
            if (cfg && k->type == SW_TYPE_STRING)
                snprintf(text, sizeof text, "%s", sw_config_get_string(cfg, k));
            else if (cfg)
                sw_config_format(cfg, k, text, sizeof text);
            if (!(c->owned[i] = strdup(text))) sw_h5w_fail(w, SW_ENOMEM, "out of memory");
            c->strs[i] = c->owned[i];
        }
        }
    }
    switch (k->type) {
    case SW_TYPE_INT:
    case SW_TYPE_INT64: sw_h5w_array(w, g, k->key, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints, k->doc); break;
    case SW_TYPE_FLOAT: sw_h5w_array(w, g, k->key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c->dims, c->dbls, k->doc); break;
    case SW_TYPE_BOOL: sw_h5w_array(w, g, k->key, c->bt, c->bt, 1, c->dims, c->bools, k->doc); break;
    default: sw_h5w_array(w, g, k->key, c->st, c->st, 1, c->dims, c->strs, k->doc);
    }
    free_owned(c);
}

/* The summary columns; NaN / 0 for runs without a readable file. */
static void write_summary_columns(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c)
{
    struct {
        const char *name, *long_name;
        size_t off;
    } dcols[] = {
        {"best_test_acc", "test accuracy at best_epoch (fraction); NaN when unknown", offsetof(sw_run_file, best_test_acc)},
        {"best_metric", "the run's selection metric (its file's /summary metric) at best_epoch; NaN when unknown",
         offsetof(sw_run_file, best_metric)},
        {"final_test_acc", "test accuracy after the last epoch (fraction)", offsetof(sw_run_file, final_test_acc)},
        {"final_train_acc", "training accuracy of the last epoch (fraction)", offsetof(sw_run_file, final_train_acc)},
        {"wall_seconds", "wall seconds of the whole run", offsetof(sw_run_file, wall_seconds)},
    };
    for (size_t k = 0; k < SW_ARRAY_LEN(dcols) && !w->rc; k++) {
        for (int i = 0; i < c->n; i++)
            c->dbls[i] = rows[i].have ? *(const double *)((const char *)rows[i].file + dcols[k].off) : NAN;
        sw_h5w_array(w, g, dcols[k].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c->dims, c->dbls, dcols[k].long_name);
        if (k == 0) { /* keep best_epoch beside best_test_acc */
            for (int i = 0; i < c->n; i++) c->ints[i] = rows[i].have ? rows[i].file->best_epoch : 0;
            sw_h5w_array(w, g, "best_epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints,
                      "epoch of the best value of the run's metric (from 1); 0 when unknown");
        }
    }
    for (int i = 0; i < c->n; i++) c->ints[i] = rows[i].have ? rows[i].file->epochs : 0;
    sw_h5w_array(w, g, "epochs", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints, "epochs completed");
}

static int write_index_table(sw_h5w *w, hid_t root, const index_row *rows, int n, const char *const *keys,
                             int nkeys)
{
    hid_t g = make_group(w, root, "table");
    if (g < 0) return w->rc;
    size_t cn = (size_t)(n ? n : 1);
    table_cols c = {n, {(hsize_t)n}, sw_h5w_str_type(), sw_h5w_bool_type(), calloc(cn, sizeof *c.strs), calloc(cn, sizeof *c.owned),
                    calloc(cn, sizeof *c.ints), calloc(cn, sizeof *c.dbls), calloc(cn, sizeof *c.bools)};
    if (c.st < 0 || c.bt < 0 || !c.strs || !c.owned || !c.ints || !c.dbls || !c.bools) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    write_id_columns(w, g, rows, &c);
    for (int k = 0; k < nkeys && !w->rc; k++) {
        const sw_key_info *key = sw_schema_find(keys[k]);
        if (!key) {
            sw_h5w_fail(w, SW_EINVAL, "swept key '%s' is not a config key", keys[k]);
            break;
        }
        write_key_column(w, g, rows, &c, key);
    }
    write_summary_columns(w, g, rows, &c);

done:
    if (c.st >= 0) H5Tclose(c.st);
    if (c.bt >= 0) H5Tclose(c.bt);
    if (c.owned) free_owned(&c);
    free(c.strs);
    free(c.owned);
    free(c.ints);
    free(c.dbls);
    free(c.bools);
    H5Gclose(g);
    return w->rc;
}

/* Fills row i: the run's id and, when its file is complete and readable, its summary
 * (from spec->cache while the file is unchanged; a newly read one goes into the cache). */
static int collect_row(sw_h5w *w, const char *dir, const sw_index_spec *spec, char **listed, int i,
                       index_row *r)
{
    if (spec->run_ids) {
        r->id = spec->run_ids[i];
    } else {
        listed[i][strlen(listed[i]) - 3] = 0; /* strip .h5 */
        r->id = listed[i];
    }
    if (!valid_run_id(r->id)) return sw_h5w_fail(w, SW_EINVAL, "invalid run id '%s'", r->id ? r->id : "(null)");
    char path[PATH_MAX], msg[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s.h5", dir, r->id);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    index_cache_entry *cached = spec->cache && spec->run_ids && i < spec->cache->n ? &spec->cache->rows[i] : NULL;
    if (cached && cached->valid && !(exists && same_file_state(cached, &st))) {
        sw_run_file_free(&cached->file); /* replaced (a failed run redone) or removed */
        cached->valid = 0;
    }
    int rc = SW_ENOTFOUND;
    if (cached && cached->valid) {
        r->file = &cached->file;
    } else if (exists && (rc = sw_h5_read_run(path, SW_READ_VERIFY, &r->own, msg, sizeof msg)) == SW_OK) {
        r->file = &r->own;
        if (cached) { /* the cache takes the summary over */
            cache_take(cached, &r->own, &st);
            r->file = &cached->file;
        }
    } else {
        if (rc == SW_ENOMEM) return sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        if (exists && spec->diag) fprintf(spec->diag, "%s; listed as unreadable\n", msg);
        sw_run_file_free(&r->own);
        r->file = NULL;
    }
    r->have = r->file != NULL;
    r->unreadable = !r->have && exists;
    r->cfg = r->have ? &r->file->config : spec->configs ? &spec->configs[i] : NULL;
    return SW_OK;
}

/* The key columns: the spec's swept keys, else those of the first run file read. *keys
 * is a new array of borrowed strings (the caller frees the array). */
static int index_keys(sw_h5w *w, const sw_index_spec *spec, const index_row *rows, int n, const char ***keys,
                      int *nkeys)
{
    const char *const *from = spec->swept_keys;
    int count = spec->n_swept > 0 ? spec->n_swept : 0, found = from != NULL;
    for (int i = 0; i < n && !found; i++)
        if (rows[i].have) {
            from = (const char *const *)rows[i].file->swept_keys;
            count = rows[i].file->n_swept;
            found = 1;
        }
    *nkeys = 0;
    if (!found) return SW_OK; /* *keys stays NULL: no key columns */
    if (!(*keys = calloc((size_t)(count + 1), sizeof **keys))) return sw_h5w_fail(w, SW_ENOMEM, "out of memory");
    for (int i = 0; i < count; i++) (*keys)[(*nkeys)++] = from[i];
    for (int i = 0; i < *nkeys; i++)
        if (!sw_schema_find((*keys)[i])) return sw_h5w_fail(w, SW_EINVAL, "swept key '%s' is not a config key", (*keys)[i]);
    return SW_OK;
}

/* /decisions: the stop settings as attributes, one row per decision in parallel 1-D
 * datasets (docs/hdf5-layout.md). */
static int write_decisions(sw_h5w *w, hid_t root, const sw_index_decisions *d)
{
    hid_t g = make_group(w, root, "decisions");
    if (g < 0) return w->rc;
    sw_h5w_attr_str(w, g, "kind", sw_stop_kind_name(d->kind));
    sw_h5w_attr_str(w, g, "metric", sw_stop_metric_name(d->metric));
    sw_h5w_attr_i64(w, g, "eta", d->eta);
    sw_h5w_attr_i64(w, g, "min_epochs", d->min_epochs);
    sw_h5w_attr_str(w, g, "by", sw_stop_by_name(d->by));
    int n = d->n_rows;
    size_t cn = (size_t)(n ? n : 1);
    hsize_t dims[1] = {(hsize_t)n};
    int32_t *ints = malloc(cn * sizeof *ints);
    double *dbls = malloc(cn * sizeof *dbls);
    int8_t *flags = malloc(cn * sizeof *flags);
    const char **strs = malloc(cn * sizeof *strs);
    hid_t st = sw_h5w_str_type();
    if (!ints || !dbls || !flags || !strs || st < 0) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    static const struct {
        const char *name, *long_name;
        size_t off;
    } icols[] = {
        {"bracket", "hyperband bracket (0 for sha and median)", offsetof(sw_stop_decision, bracket)},
        {"rung", "rung of the decision (from 0: sha's rung k is at min_epochs * eta^k epochs)",
         offsetof(sw_stop_decision, rung)},
        {"epoch", "the rung's epoch: the decision reads the metric there", offsetof(sw_stop_decision, epoch)},
        {"configuration", "the run's configuration (from 0, in grid order): runs differing only in seed share it",
         offsetof(sw_stop_decision, config)},
    };
    for (size_t c = 0; c < SW_ARRAY_LEN(icols); c++) {
        for (int i = 0; i < n; i++) ints[i] = *(const int *)((const char *)&d->rows[i] + icols[c].off);
        sw_h5w_array(w, g, icols[c].name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, ints, icols[c].long_name);
    }
    if (d->rounds) {
        for (int i = 0; i < n; i++) ints[i] = d->rows[i].group;
        sw_h5w_array(w, g, "round", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, ints,
                     "a tpe search's round: each round's rungs rank its own runs");
    }
    for (int i = 0; i < n; i++) strs[i] = d->run_ids[d->rows[i].run];
    sw_h5w_array(w, g, "run", st, st, 1, dims, strs, "run id (file name without .h5)");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].metric;
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the metric ranked at the rung (by configuration: the mean of its runs' curves; median: the best up "
              "to the rung); NaN: a run diverged before");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].run_metric;
    sw_h5w_array(w, g, "run_metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the run's own metric at the rung (median: its best up to the rung); NaN: it diverged before");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].cutoff;
    sw_h5w_array(w, g, "cutoff", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the worst metric still promoted at the rung; NaN when none was");
    for (int i = 0; i < n; i++) flags[i] = d->rows[i].promoted ? 1 : 0;
    sw_h5w_array(w, g, "promoted", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, dims, flags, "1 promoted, 0 stopped");
done:
    if (st >= 0) H5Tclose(st);
    free(ints);
    free(dbls);
    free(flags);
    free(strs);
    H5Gclose(g);
    return w->rc;
}

/* What a point of the search came to, from the rows of its runs: "pending" while one has
 * no final file (done, diverged or stopped), else "done", "diverged" or "stopped"
 * (sw_tpe_point_result's metric); "excluded" without runs. */
static const char *point_outcome(const index_row *rows, int first, int n, sw_metric_mode mode, double *metric,
                                 int *epochs)
{
    *metric = NAN, *epochs = 0;
    if (n <= 0) return "excluded";
    sw_tpe_run *runs = malloc((size_t)n * sizeof *runs);
    if (!runs) return "pending";
    bool diverged = false;
    for (int i = 0; i < n; i++) {
        const index_row *r = &rows[first + i];
        sw_run_status st = r->have ? r->file->status : SW_RUN_STATUS_COUNT;
        runs[i] = (sw_tpe_run){st == SW_RUN_DONE || st == SW_RUN_DIVERGED || st == SW_RUN_STOPPED, st == SW_RUN_DONE,
                               r->have ? r->file->epochs : 0, r->have ? r->file->best_metric : NAN};
        diverged |= st == SW_RUN_DIVERGED;
    }
    sw_tpe_result res;
    bool known = sw_tpe_point_result(runs, n, mode, &res, metric);
    free(runs);
    if (!known) return "pending";
    *epochs = res.state == SW_TPE_DONE ? rows[first].file->epochs : res.depth;
    return res.state == SW_TPE_DONE ? "done" : diverged ? "diverged" : "stopped";
}

/* /search: the search's settings as attributes, one row per point (docs/hdf5-layout.md):
 * its number, round, origin and score, the space's values (as /table's columns of its
 * first run), its metric, epochs and status from its runs, and the best metric so far. */
static int write_search(sw_h5w *w, hid_t root, const sw_index_search *S, const index_row *rows, int n_rows,
                        const char *const *keys, int nkeys)
{
    hid_t g = make_group(w, root, "search");
    if (g < 0) return w->rc;
    sw_h5w_attr_str(w, g, "kind", S->kind);
    sw_h5w_attr_i64(w, g, "samples", S->samples);
    sw_h5w_attr_i64(w, g, "seed", S->seed);
    sw_h5w_attr_bool(w, g, "digital_shift", S->digital_shift);
    sw_h5w_attr_i64(w, g, "startup", S->startup);
    sw_h5w_attr_i64(w, g, "batch", S->batch);
    sw_h5w_attr_i64(w, g, "rounds", S->rounds);
    sw_h5w_attr_i64(w, g, "rounds_known", S->rounds_known);
    sw_h5w_attr_str(w, g, "metric", S->metric);
    sw_h5w_attr_str(w, g, "mode", sw_metric_mode_name(S->mode));
    int n = S->n_points;
    size_t cn = (size_t)(n ? n : 1);
    index_row *first = calloc(cn, sizeof *first); /* each point's first run, for its values */
    int32_t *rounds = malloc(cn * sizeof *rounds);
    double *metric = malloc(cn * sizeof *metric), *best = malloc(cn * sizeof *best);
    int64_t *epochs = malloc(cn * sizeof *epochs);
    const char **status = malloc(cn * sizeof *status);
    table_cols c = {n, {(hsize_t)n}, sw_h5w_str_type(), sw_h5w_bool_type(), calloc(cn, sizeof *c.strs),
                    calloc(cn, sizeof *c.owned), calloc(cn, sizeof *c.ints), calloc(cn, sizeof *c.dbls),
                    calloc(cn, sizeof *c.bools)};
    if (!first || !rounds || !metric || !best || !epochs || !status || c.st < 0 || c.bt < 0 || !c.strs || !c.owned || !c.ints ||
        !c.dbls || !c.bools) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    double so_far = NAN;
    for (int k = 0; k < n; k++) {
        int f = S->first_run[k], m = S->n_runs[k];
        if (f < 0 || f + m > n_rows) {
            sw_h5w_fail(w, SW_EINVAL, "search point %d has runs beyond the table", k);
            goto done;
        }
        first[k] = m > 0 ? rows[f] : (index_row){0};
        c.ints[k] = k;
        rounds[k] = S->round[k];
        int e;
        status[k] = point_outcome(rows, f, m, S->mode, &metric[k], &e);
        epochs[k] = e;
        if (!isnan(metric[k]) && (isnan(so_far) || (S->mode == SW_METRIC_MAX ? metric[k] > so_far : metric[k] < so_far)))
            so_far = metric[k];
        best[k] = so_far;
    }
    hsize_t *dims = c.dims;
    sw_h5w_array(w, g, "point", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, c.ints,
                 "the point's number: the order the points were chosen in (tpe: p<number> of its runs' ids)");
    sw_h5w_array(w, g, "round", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, rounds,
                 "0: drawn before any run; tpe: round r >= 1, chosen from the results of rounds < r");
    sw_h5w_array(w, g, "origin", c.st, c.st, 1, dims, S->origin, "random, sobol, tpe (the best l/g candidate) or "
                 "fallback (every candidate repeated a point: the next Sobol point)");
    sw_h5w_array(w, g, "score", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, S->score,
                 "tpe: the sum over keys of log l(x) - log g(x) at the point; NaN for other points");
    for (int j = 0; j < S->n_keys && j < nkeys && !w->rc; j++) {
        const sw_key_info *key = sw_schema_find(keys[j]);
        if (key) write_key_column(w, g, first, &c, key);
    }
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, metric,
                 "the mean of its runs' best_metric once every one is final; NaN before");
    sw_h5w_array(w, g, "epochs", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, epochs,
                 "epochs it trained: its runs' (a point stopped early: the fewest of them); 0 while pending");
    sw_h5w_array(w, g, "status", c.st, c.st, 1, dims, status, "done, stopped (early, at a rung), diverged, pending "
                 "(a run is not final), excluded (exclude: dropped every run)");
    sw_h5w_array(w, g, "best_so_far", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, best,
                 "the best metric of points 0..this one (NaN until one has a value)");
done:
    if (c.st >= 0) H5Tclose(c.st);
    if (c.bt >= 0) H5Tclose(c.bt);
    if (c.owned) free_owned(&c);
    free(c.strs), free(c.owned), free(c.ints), free(c.dbls), free(c.bools);
    free(first), free(rounds), free(metric), free(best), free(epochs), free(status);
    H5Gclose(g);
    return w->rc;
}

/* Writes the index under a temporary name and renames it: root attributes, /runs links,
 * /table. */
static int write_index_file(sw_h5w *w, const char *dir, const sw_index_spec *spec,
                            const index_row *rows, int n, const char *const *keys, int nkeys)
{
    int counts[SW_RUN_STATUS_COUNT] = {0}, pending = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].have)
            counts[rows[i].file->status]++;
        else
            pending++;
    }
    char tmp[PATH_MAX];
    hid_t file = sw_h5w_create(w, dir, "sweep", tmp, sizeof tmp);
    if (file < 0) return w->rc;
    char created[32], hash[65] = "";
    iso_time_utc(created);
    if (spec->config_text) sw_sha256_hex(spec->config_text, strlen(spec->config_text), hash);
    sw_h5w_attr_str(w, file, "format", INDEX_FORMAT);
    sw_h5w_attr_i32(w, file, "format_version", FORMAT_VERSION);
    sw_h5w_attr_str(w, file, "sweep", spec->sweep_name ? spec->sweep_name : "");
    sw_h5w_attr_str(w, file, "config", spec->config_text ? spec->config_text : "");
    sw_h5w_attr_str(w, file, "config_sha256", hash);
    sw_h5w_attr_strs(w, file, "swept_keys", keys, nkeys);
    sw_h5w_attr_str(w, file, "created", created);
    sw_h5w_attr_str(w, file, "program_version", SWEEP_VERSION);
    sw_h5w_attr_str(w, file, "library_versions", sw_library_versions());
    sw_h5w_attr_i64(w, file, "runs_total", n);
    sw_h5w_attr_i64(w, file, "runs_done", counts[SW_RUN_DONE]);
    sw_h5w_attr_i64(w, file, "runs_diverged", counts[SW_RUN_DIVERGED]);
    sw_h5w_attr_i64(w, file, "runs_failed", counts[SW_RUN_FAILED]);
    sw_h5w_attr_i64(w, file, "runs_pending", pending);
    if (spec->decisions || counts[SW_RUN_STOPPED]) sw_h5w_attr_i64(w, file, "runs_stopped", counts[SW_RUN_STOPPED]);

    hid_t runs = make_group(w, file, "runs");
    for (int i = 0; i < n && !w->rc; i++) {
        if (!rows[i].have) continue;
        char target[PATH_MAX];
        snprintf(target, sizeof target, "%s.h5", rows[i].id);
        if (H5Lcreate_external(target, "/", runs, rows[i].id, H5P_DEFAULT, H5P_DEFAULT) < 0)
            sw_h5w_fail(w, SW_EHDF5, "external link /runs/%s", rows[i].id);
    }
    if (runs >= 0) H5Gclose(runs);
    write_index_table(w, file, rows, n, keys, nkeys);
    if (spec->decisions) write_decisions(w, file, spec->decisions);
    if (spec->search && spec->run_ids) write_search(w, file, spec->search, rows, n, keys, nkeys);
    return sw_h5w_finish(w, file, dir, tmp);
}

int sw_h5_write_index(const char *dir, const sw_index_spec *spec, char *err, size_t errlen)
{
    sw_h5_quiet();
    if (!dir || !spec) {
        sw_set_error(err, errlen, "sw_h5_write_index: missing argument");
        return SW_EINVAL;
    }
    char final[PATH_MAX];
    if (snprintf(final, sizeof final, "%s/" INDEX_NAME, dir) >= (int)sizeof final) {
        sw_set_error(err, errlen, "path too long: %s", dir);
        return SW_EINVAL;
    }
    sw_h5w w = {final, err, errlen, SW_OK, false, true};
    char **listed = NULL;
    int n = spec->n_runs;
    if (!spec->run_ids && (n = sw_h5_list_runs(dir, &listed)) < 0) {
        sw_set_error(err, errlen, "cannot list %s: %s", dir, sw_strerror(n));
        return n;
    }
    const char **keys = NULL;
    int nkeys = 0;
    index_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows) sw_h5w_fail(&w, SW_ENOMEM, "out of memory");
    for (int i = 0; i < n && !w.rc; i++) collect_row(&w, dir, spec, listed, i, &rows[i]);
    if (!w.rc) index_keys(&w, spec, rows, n, &keys, &nkeys);
    if (!w.rc) write_index_file(&w, dir, spec, rows, n, keys, nkeys);
    if (rows)
        for (int i = 0; i < n; i++) sw_run_file_free(&rows[i].own);
    free(rows);
    free(keys);
    sw_h5_free_names(listed, spec->run_ids ? 0 : n);
    return w.rc;
}

/* ---- early-stopping decisions: /decisions of the index -------------------------------- */

void sw_decisions_free(sw_decisions *d)
{
    if (!d) return;
    free(d->bracket);
    free(d->rung);
    free(d->epoch);
    sw_h5_free_names(d->run, d->run ? d->n : 0);
    free(d->value);
    free(d->cutoff);
    free(d->promoted);
    free(d->configuration);
    free(d->run_value);
    free(d->round);
    memset(d, 0, sizeof *d);
}

/* Reads the columns of the open group /decisions into *out (out->n from /decisions/run,
 * which every other column must match in length). Returns SW_OK, SW_EFORMAT (reason in
 * err) or SW_ENOMEM; what was read stays in *out for sw_decisions_free. */
static int read_decision_columns(hid_t g, sw_decisions *out, const char *path, char *err, size_t errlen)
{
    hsize_t dims[2];
    int rank = dset_dims(g, "run", dims, 2);
    if (rank != 1 || dims[0] > READ_MAX_LIST) {
        sw_set_error(err, errlen, "%s: /decisions/run is missing or not 1-D", path);
        return SW_EFORMAT;
    }
    size_t n = (size_t)dims[0];
    hid_t d = H5Dopen2(g, "run", H5P_DEFAULT);
    int nrun = 0, rc = d >= 0 ? get_strs(d, 0, &out->run, &nrun) : SW_EFORMAT;
    if (d >= 0) H5Dclose(d);
    if (rc) {
        if (rc != SW_ENOMEM) sw_set_error(err, errlen, "%s: /decisions/run is not a list of run ids", path);
        return rc;
    }
    out->n = nrun;
    size_t bytes = n ? n : 1;
    out->bracket = malloc(bytes * sizeof *out->bracket);
    out->rung = malloc(bytes * sizeof *out->rung);
    out->epoch = malloc(bytes * sizeof *out->epoch);
    out->value = malloc(bytes * sizeof *out->value);
    out->cutoff = malloc(bytes * sizeof *out->cutoff);
    out->promoted = malloc(bytes * sizeof *out->promoted);
    if (!out->bracket || !out->rung || !out->epoch || !out->value || !out->cutoff || !out->promoted)
        return SW_ENOMEM;
    const struct {
        const char *name;
        hid_t type;
        void *buf;
    } cols[] = {{"bracket", H5T_NATIVE_INT32, out->bracket}, {"rung", H5T_NATIVE_INT32, out->rung},
                {"epoch", H5T_NATIVE_INT32, out->epoch},     {"metric", H5T_NATIVE_DOUBLE, out->value},
                {"cutoff", H5T_NATIVE_DOUBLE, out->cutoff},  {"promoted", H5T_NATIVE_INT8, out->promoted}};
    for (size_t k = 0; k < SW_ARRAY_LEN(cols); k++) {
        if (H5Lexists(g, cols[k].name, H5P_DEFAULT) <= 0 || dset_dims(g, cols[k].name, dims, 2) != 1 ||
            dims[0] != n || read_dset(g, cols[k].name, cols[k].type, cols[k].buf, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /decisions/%s is missing, unreadable or not of the %zu rows of "
                         "/decisions/run", path, cols[k].name, n);
            return SW_EFORMAT;
        }
    }
    /* written since stop.by: absent from older indexes, malformed when present otherwise */
    if (H5Lexists(g, "configuration", H5P_DEFAULT) > 0 || H5Lexists(g, "run_metric", H5P_DEFAULT) > 0) {
        out->configuration = malloc(bytes * sizeof *out->configuration);
        out->run_value = malloc(bytes * sizeof *out->run_value);
        if (!out->configuration || !out->run_value) return SW_ENOMEM;
        const char *bad = NULL;
        if (dset_dims(g, "configuration", dims, 2) != 1 || dims[0] != n ||
            read_dset(g, "configuration", H5T_NATIVE_INT32, out->configuration, n) != SW_OK)
            bad = "configuration";
        else if (dset_dims(g, "run_metric", dims, 2) != 1 || dims[0] != n ||
                 read_dset(g, "run_metric", H5T_NATIVE_DOUBLE, out->run_value, n) != SW_OK)
            bad = "run_metric";
        if (bad) {
            sw_set_error(err, errlen, "%s: /decisions/%s is unreadable or not of the %zu rows of /decisions/run",
                         path, bad, n);
            return SW_EFORMAT;
        }
    }
    if (H5Lexists(g, "round", H5P_DEFAULT) > 0) { /* a tpe search's */
        if (!(out->round = malloc(bytes * sizeof *out->round))) return SW_ENOMEM;
        if (dset_dims(g, "round", dims, 2) != 1 || dims[0] != n ||
            read_dset(g, "round", H5T_NATIVE_INT32, out->round, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /decisions/round is unreadable or not of the %zu rows of /decisions/run",
                         path, n);
            return SW_EFORMAT;
        }
    }
    return SW_OK;
}

int sw_h5_read_decisions(const char *dir, sw_decisions *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/" INDEX_NAME, dir) >= (int)sizeof path) {
        sw_set_error(err, errlen, "path too long: %s", dir);
        return SW_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) != 0) return SW_ENOTFOUND;
    sw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    int rc = SW_ENOTFOUND;
    char *format = NULL, *s = NULL;
    hid_t g = -1;
    if (get_str(f, "format", &format) != SW_OK || strcmp(format, INDEX_FORMAT) != 0 ||
        H5Lexists(f, "decisions", H5P_DEFAULT) <= 0)
        goto done;
    g = H5Gopen2(f, "decisions", H5P_DEFAULT);
    rc = SW_EFORMAT;
    if (g < 0) {
        sw_set_error(err, errlen, "%s: /decisions is not a group", path);
        goto done;
    }
    long long eta = 0, min_epochs = 0;
    if (get_str(g, "kind", &s) == SW_OK) snprintf(out->kind, sizeof out->kind, "%s", s);
    free(s);
    s = NULL;
    if (get_str(g, "metric", &s) == SW_OK) snprintf(out->metric, sizeof out->metric, "%s", s);
    if (!out->kind[0] || !out->metric[0] || get_i64(g, "eta", &eta) != SW_OK ||
        get_i64(g, "min_epochs", &min_epochs) != SW_OK || eta < 0 || eta > 1000000 || min_epochs < 0 ||
        min_epochs > 1000000) {
        sw_set_error(err, errlen, "%s: /decisions lacks one of its attributes kind, metric, eta, min_epochs", path);
        goto done;
    }
    out->eta = (int)eta;
    out->min_epochs = (int)min_epochs;
    free(s);
    s = NULL;
    snprintf(out->by, sizeof out->by, "%s", get_str(g, "by", &s) == SW_OK ? s : "run");
    rc = read_decision_columns(g, out, path, err, errlen);
done:
    free(format);
    free(s);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    return rc;
}

/* ---- a sampled search's points: /search of the index -------------------------------------- */

void sw_search_table_free(sw_search_table *t)
{
    if (!t) return;
    free(t->round);
    free(t->metric_of);
    free(t->best_so_far);
    free(t->score);
    sw_h5_free_names(t->origin, t->origin ? t->n : 0);
    sw_h5_free_names(t->status, t->status ? t->n : 0);
    memset(t, 0, sizeof *t);
}

/* The attributes and columns of the open group /search into *out. */
static int read_search_group(hid_t g, sw_search_table *out, const char *path, char *err, size_t errlen)
{
    char *s = NULL;
    if (get_str(g, "kind", &s) == SW_OK) snprintf(out->kind, sizeof out->kind, "%s", s);
    free(s), s = NULL;
    if (get_str(g, "metric", &s) == SW_OK) snprintf(out->metric, sizeof out->metric, "%s", s);
    free(s), s = NULL;
    out->mode = get_str(g, "mode", &s) == SW_OK && !strcmp(s, "min") ? SW_METRIC_MIN : SW_METRIC_MAX;
    free(s);
    long long v[5] = {0};
    const char *ints[] = {"samples", "rounds", "rounds_known", "startup", "batch"};
    for (int k = 0; k < 5; k++)
        if (get_i64(g, ints[k], &v[k]) != SW_OK || v[k] < 0 || v[k] > SW_MAX_RUNS) {
            sw_set_error(err, errlen, "%s: /search lacks its attribute %s", path, ints[k]);
            return SW_EFORMAT;
        }
    out->samples = (int)v[0], out->rounds = (int)v[1], out->rounds_known = (int)v[2];
    out->startup = (int)v[3], out->batch = (int)v[4];
    hsize_t dims[2];
    if (dset_dims(g, "origin", dims, 2) != 1 || dims[0] > SW_MAX_RUNS) {
        sw_set_error(err, errlen, "%s: /search/origin is missing or not 1-D", path);
        return SW_EFORMAT;
    }
    size_t n = (size_t)dims[0], bytes = n ? n : 1;
    int got = 0;
    hid_t d = H5Dopen2(g, "origin", H5P_DEFAULT);
    int rc = d >= 0 ? get_strs(d, 0, &out->origin, &got) : SW_EFORMAT;
    if (d >= 0) H5Dclose(d);
    out->n = got;
    if (!rc && (size_t)got == n) {
        int got_status = 0;
        d = H5Dopen2(g, "status", H5P_DEFAULT);
        rc = d >= 0 ? get_strs(d, 0, &out->status, &got_status) : SW_EFORMAT;
        if (d >= 0) H5Dclose(d);
        if (!rc && got_status != got) {
            sw_h5_free_names(out->status, got_status);
            out->status = NULL;
            rc = SW_EFORMAT;
        }
    }
    if (rc) {
        if (rc != SW_ENOMEM) sw_set_error(err, errlen, "%s: /search/origin or /search/status is not a list of names "
                                          "of one length", path);
        return rc;
    }
    out->round = malloc(bytes * sizeof *out->round);
    out->metric_of = malloc(bytes * sizeof *out->metric_of);
    out->best_so_far = malloc(bytes * sizeof *out->best_so_far);
    out->score = malloc(bytes * sizeof *out->score);
    if (!out->round || !out->metric_of || !out->best_so_far || !out->score) return SW_ENOMEM;
    const struct {
        const char *name;
        hid_t type;
        void *buf;
    } cols[] = {{"round", H5T_NATIVE_INT32, out->round}, {"metric", H5T_NATIVE_DOUBLE, out->metric_of},
                {"best_so_far", H5T_NATIVE_DOUBLE, out->best_so_far}, {"score", H5T_NATIVE_DOUBLE, out->score}};
    for (size_t k = 0; k < SW_ARRAY_LEN(cols); k++)
        if (H5Lexists(g, cols[k].name, H5P_DEFAULT) <= 0 || dset_dims(g, cols[k].name, dims, 2) != 1 ||
            dims[0] != n || read_dset(g, cols[k].name, cols[k].type, cols[k].buf, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /search/%s is missing, unreadable or not of the %zu rows of /search/origin",
                         path, cols[k].name, n);
            return SW_EFORMAT;
        }
    return SW_OK;
}

int sw_h5_read_search(const char *dir, sw_search_table *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/" INDEX_NAME, dir) >= (int)sizeof path) {
        sw_set_error(err, errlen, "path too long: %s", dir);
        return SW_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) != 0) return SW_ENOTFOUND;
    sw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    int rc = SW_ENOTFOUND;
    char *format = NULL;
    hid_t g = -1;
    if (get_str(f, "format", &format) == SW_OK && !strcmp(format, INDEX_FORMAT) &&
        H5Lexists(f, "search", H5P_DEFAULT) > 0) {
        g = H5Gopen2(f, "search", H5P_DEFAULT);
        if (g < 0) {
            sw_set_error(err, errlen, "%s: /search is not a group", path);
            rc = SW_EFORMAT;
        } else {
            rc = read_search_group(g, out, path, err, errlen);
        }
    }
    free(format);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    return rc;
}
