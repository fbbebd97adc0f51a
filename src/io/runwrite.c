/* runwrite.c: a run's file, written whole (see runwrite.h and docs/hdf5-layout.md).
 *
 * Writing (through h5write.c, shared with the index and checkpoints): HDF5 writes every
 * file into a hidden temporary in the final directory (".<name>.h5.tmp.<host>.<pid>.<serial>")
 * through h5tmpfile.c's driver, which is fsync'ed, renamed over the final name, and the
 * directory fsync'ed. So a file under a final name is always complete, and a crash leaves
 * at most a temporary (sw_h5_remove_temporaries deletes them). The driver never reports a
 * failed system call to HDF5 (HDF5 1.10 does not recover from a failed write of its own:
 * after a write error inside H5Dclose or H5Fclose the file stays open half-closed and the
 * library crashes at exit); it keeps the errno, and the writer turns it into one message
 * and deletes the temporary. Datasets carry HDF5's Fletcher-32 checksum, so that reading a run
 * file through (runfile.h's SW_READ_VERIFY) detects damaged data as well as damaged
 * metadata.
 *
 * Threads: the thread-safe HDF5 build serialises its own API, but the high-level H5DS
 * calls do several API calls per operation and are not covered, so they run under
 * `hl_lock`. */
#define _POSIX_C_SOURCE 200809L
#include "runwrite.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5write.h"
#include "model.h"
#include "record.h"
#include "runfile.h"
#include "version.h"

static pthread_mutex_t hl_lock = PTHREAD_MUTEX_INITIALIZER;

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

static void close_ids(hid_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0) {
            H5Oclose(ids[i]);
            ids[i] = -1;
        }
}

bool sw_run_id_valid(const char *id)
{
    if (!id || !id[0] || id[0] == '.' || strlen(id) > 200) return 0;
    if (strcmp(id, "sweep") == 0) return 0; /* would be the index */
    for (const char *p = id; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20) return 0;
    return 1;
}

/* ---- the file ---------------------------------------------------------------------- */

static int write_config_group(sw_h5w *w, hid_t root, const sw_config *cfg)
{
    hid_t g = sw_h5w_group(w, root, "config");
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
        case SW_TYPE_FLOAT_LIST: {
            int n;
            const double *v = sw_config_get_floats(cfg, k, &n);
            hsize_t dims[1] = {(hsize_t)n};
            double none = 0;
            sw_h5w_attr(w, g, k->key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, v ? v : &none);
            break;
        }
        default: sw_h5w_fail(w, SW_EINVAL, "config key '%s' has an unknown type", k->key);
        }
    }
    H5Gclose(g);
    return w->rc;
}

/* ---- the run record: record.c's table, written row by row ------------------------------ */

/* One use of a dimension scale: an entry of its REFERENCE_LIST attribute, laid out as the
 * HDF5 Dimension Scale specification (and H5DS, whose ds_list_t this is) has it: an object
 * reference to the array and the index of its dimension. */
typedef struct {
    hobj_ref_t array;
    int dim;
} scale_use;

/* The group the writer is filling and the dimension scales made in it so far (a group's
 * scales come before the arrays that use them, so these are all an array can need), each
 * with a reference to it and the arrays attached to it so far. An array's DIMENSION_LIST is
 * written with the array; a scale's REFERENCE_LIST once, when the group is done. Attaching
 * with H5DSattach_scale instead, one dimension at a time, read, deleted and rewrote both
 * attributes at every call (a tenth of writing a reference run's file). */
typedef struct {
    char path[64];
    hid_t id;
    int n_scales;
    hid_t scales[8];
    const char *scale_names[8];
    hobj_ref_t scale_refs[8];
    scale_use *uses[8];
    int n_uses[8], cap_uses[8];
} record_group;

/* The REFERENCE_LIST attribute of each scale of g that arrays use (a failure is the
 * writer's). */
static void write_reference_lists(sw_h5w *w, record_group *g)
{
    hid_t t = w->rc ? -1 : H5Tcreate(H5T_COMPOUND, sizeof(scale_use));
    if (!w->rc && (t < 0 || H5Tinsert(t, "dataset", offsetof(scale_use, array), H5T_STD_REF_OBJ) < 0 ||
                   H5Tinsert(t, "dimension", offsetof(scale_use, dim), H5T_NATIVE_INT) < 0))
        sw_h5w_fail(w, SW_EHDF5, "the type of REFERENCE_LIST in %s", g->path);
    for (int i = 0; i < g->n_scales && !w->rc; i++) {
        hsize_t n = (hsize_t)g->n_uses[i];
        if (n) sw_h5w_attr(w, g->scales[i], "REFERENCE_LIST", t, t, 1, &n, g->uses[i]);
    }
    if (t >= 0) H5Tclose(t);
}

static void close_record_group(sw_h5w *w, record_group *g)
{
    write_reference_lists(w, g);
    close_ids(g->scales, g->n_scales);
    for (int i = 0; i < g->n_scales; i++) {
        free(g->uses[i]);
        g->uses[i] = NULL;
        g->n_uses[i] = g->cap_uses[i] = 0;
    }
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
        hid_t next = exists > 0 ? H5Gopen2(loc, part, H5P_DEFAULT) : exists == 0 ? sw_h5w_group(w, loc, part) : -1;
        if (next < 0) sw_h5w_fail(w, SW_EHDF5, "group '%s'", path);
        if (loc != file) H5Gclose(loc);
        loc = next;
        p += n + (p[n] == '/');
    }
    g->id = loc != file && !w->rc ? loc : -1;
    if (w->rc && loc >= 0 && loc != file) H5Gclose(loc);
}

/* The index in g of the scale called name, or -1. */
static int find_scale(const record_group *g, const char *name)
{
    for (int i = 0; name && i < g->n_scales; i++)
        if (strcmp(g->scale_names[i], name) == 0) return i;
    return -1;
}

/* Attaches g's scales `which` (-1: none) to the dimensions of array d (`name` in g), in the
 * Dimension Scale specification's format, as H5DSattach_scale would one by one: d gets
 * DIMENSION_LIST (per dimension, a list of references to its scales: one or none), and
 * each scale a REFERENCE_LIST entry, written by close_record_group. */
static void attach_row_scales(sw_h5w *w, record_group *g, hid_t d, const int *which, int rank, const char *name)
{
    hobj_ref_t self;
    hvl_t lists[SW_RECORD_MAX_RANK];
    bool any = false;
    for (int i = 0; i < rank; i++) {
        lists[i] = which[i] >= 0 ? (hvl_t){1, &g->scale_refs[which[i]]} : (hvl_t){0, NULL};
        any = any || which[i] >= 0;
    }
    if (w->rc || !any) return;
    if (H5Rcreate(&self, d, ".", H5R_OBJECT, -1) < 0) {
        sw_h5w_fail(w, SW_EHDF5, "a reference to '%s'", name);
        return;
    }
    for (int i = 0; i < rank; i++) {
        int k = which[i];
        if (k < 0) continue;
        if (g->n_uses[k] == g->cap_uses[k]) {
            int cap = g->cap_uses[k] ? 2 * g->cap_uses[k] : 8;
            scale_use *more = realloc(g->uses[k], (size_t)cap * sizeof *more);
            if (!more) {
                sw_h5w_fail(w, SW_ENOMEM, "out of memory for the scales of '%s'", name);
                return;
            }
            g->uses[k] = more;
            g->cap_uses[k] = cap;
        }
        g->uses[k][g->n_uses[k]++] = (scale_use){self, i};
    }
    hid_t t = H5Tvlen_create(H5T_STD_REF_OBJ);
    hsize_t n = (hsize_t)rank;
    if (t < 0) sw_h5w_fail(w, SW_EHDF5, "the type of DIMENSION_LIST of '%s'", name);
    sw_h5w_attr(w, d, "DIMENSION_LIST", t, t, 1, &n, lists);
    if (t >= 0) H5Tclose(t);
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
    hid_t d = sw_h5w_dset(w, g->id, name, sw_h5_record_file_type(row->type), sw_h5_record_mem_type(row->type), 1, dims, array);
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
    if (H5Rcreate(&g->scale_refs[g->n_scales], d, ".", H5R_OBJECT, -1) < 0) {
        sw_h5w_fail(w, SW_EHDF5, "a reference to '%s'", name);
        H5Dclose(d);
        return;
    }
    g->scales[g->n_scales] = d;
    g->scale_names[g->n_scales++] = name;
}

/* A data array with its dimension scales attached and a long_name. */
static void write_array_row(sw_h5w *w, record_group *g, const sw_record_row *row, const void *array,
                            const sw_record_sizes *s)
{
    const char *name = sw_record_name(row);
    hsize_t dims[SW_RECORD_MAX_RANK];
    int scales[SW_RECORD_MAX_RANK];
    for (int i = 0; i < row->rank; i++) {
        dims[i] = (hsize_t)s->n[row->dims[i]];
        scales[i] = find_scale(g, row->scales[i]);
    }
    hid_t ftype = sw_h5_record_file_type(row->type), mtype = sw_h5_record_mem_type(row->type);
    hid_t d = row->flags & SW_REC_TRAINED ? sw_h5w_dset_trained(w, g->id, name, ftype, mtype, row->rank, dims, array)
                                          : sw_h5w_dset(w, g->id, name, ftype, mtype, row->rank, dims, array);
    if (d < 0) return;
    attach_row_scales(w, g, d, scales, row->rank, name);
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

/* The parameters tensor by tensor, with the names and shapes of model.h's table (`trained`:
 * the row's SW_REC_TRAINED, record.h). */
static void write_weights_row(sw_h5w *w, hid_t group, const sw_model_shape *shape, const sw_real *flat,
                              bool trained)
{
    int nt = sw_tensor_count(shape);
    for (int i = 0; i < nt && !w->rc; i++) {
        sw_tensor_info t = sw_tensor_describe(shape, i);
        hsize_t dims[2] = {(hsize_t)t.rows, (hsize_t)t.cols};
        hid_t mtype = sw_h5_record_mem_type(SW_REC_REAL);
        int rank = t.cols ? 2 : 1;
        hid_t d = trained ? sw_h5w_dset_trained(w, group, t.name, H5T_IEEE_F32LE, mtype, rank, dims, flat + t.offset)
                          : sw_h5w_dset(w, group, t.name, H5T_IEEE_F32LE, mtype, rank, dims, flat + t.offset);
        if (d >= 0) H5Dclose(d);
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
            close_record_group(w, &g);
            open_record_group(w, file, path, &g);
        }
        const void *field = sw_record_field_const(row, r);
        const void *array = field && sw_record_is_array(row) ? sw_record_array(field) : NULL;
        switch (row->kind) {
        case SW_REC_SCALE: write_scale_row(w, &g, row, array, sw_record_count(row, &s)); break;
        case SW_REC_DATASET: write_array_row(w, &g, row, array, &s); break;
        case SW_REC_ATTRIBUTE: write_attribute_row(w, g.id, row, cfg, r, &s); break;
        case SW_REC_WEIGHTS: write_weights_row(w, g.id, &shape, array, (row->flags & SW_REC_TRAINED) != 0); break;
        default: sw_h5w_fail(w, SW_EINVAL, "%s has an unknown kind", row->path);
        }
    }
    close_record_group(w, &g);
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

/* Whether the pbt lineage l (may be NULL) writes the /history column of `key`. */
static bool lineage_has(const sw_run_lineage *l, const char *key)
{
    for (int k = 0; l && k < l->n_keys; k++)
        if (!strcmp(l->keys[k], key)) return true;
    return false;
}

/* /history/<key> for each key a per-epoch table gives (config.h): the value each recorded
 * epoch trained with, as a pbt member's file has it for the keys its search changes, so a
 * replay's file reads like its member's. */
static void write_table_history(sw_h5w *w, hid_t file, const sw_config *cfg, const sw_run_lineage *l, int epochs)
{
    if (w->rc || !sw_config_has_tables(cfg)) return;
    hid_t h = H5Gopen2(file, "history", H5P_DEFAULT);
    hid_t epoch = h >= 0 ? H5Dopen2(h, "epoch", H5P_DEFAULT) : -1;
    if (h < 0 || epoch < 0) sw_h5w_fail(w, SW_EHDF5, "opening /history");
    for (size_t i = 0; i < sw_schema_len && !w->rc; i++) {
        int n;
        const double *v = sw_config_get_floats(cfg, &sw_schema[i], &n);
        const char *key = sw_schema[i].per_epoch_of;
        if (!v || lineage_has(l, key)) continue;
        hsize_t count = (hsize_t)(epochs < n ? epochs : n);
        double none = 0;
        hid_t d = sw_h5w_dset(w, h, key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &count, count ? v : &none);
        if (d >= 0) {
            attach_scales(w, d, &epoch, 1, key);
            char what[160];
            snprintf(what, sizeof what, "the value of this key the run trained with in the epoch (%s)", sw_schema[i].key);
            sw_h5w_attr_str(w, d, "long_name", what);
            H5Dclose(d);
        }
    }
    if (epoch >= 0) H5Dclose(epoch);
    if (h >= 0) H5Gclose(h);
}

/* A pbt member's /history/<key> columns (on the epoch scale) and /lineage (runwrite.h). */
static void write_lineage(sw_h5w *w, hid_t file, const sw_run_lineage *l)
{
    hid_t h = w->rc ? -1 : H5Gopen2(file, "history", H5P_DEFAULT);
    hid_t epoch = h >= 0 ? H5Dopen2(h, "epoch", H5P_DEFAULT) : -1;
    if (h < 0 || epoch < 0) sw_h5w_fail(w, SW_EHDF5, "opening /history");
    double *col = malloc((size_t)(l->epochs > l->generations ? l->epochs : l->generations) * sizeof *col + 1);
    if (!col) sw_h5w_fail(w, SW_ENOMEM, "out of memory");
    for (int k = 0; k < l->n_keys && !w->rc; k++) {
        for (int e = 0; e < l->epochs; e++) col[e] = l->values[(size_t)e * l->n_keys + k];
        hsize_t n = (hsize_t)l->epochs;
        hid_t d = sw_h5w_dset(w, h, l->keys[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, col);
        if (d >= 0) {
            attach_scales(w, d, &epoch, 1, l->keys[k]);
            sw_h5w_attr_str(w, d, "long_name", "the value of this key the member trained with in the epoch (pbt)");
            H5Dclose(d);
        }
    }
    if (epoch >= 0) H5Dclose(epoch);
    if (h >= 0) H5Gclose(h);
    hid_t g = sw_h5w_group(w, file, "lineage");
    hsize_t n = (hsize_t)l->generations;
    int32_t *gen = malloc((size_t)(n ? n : 1) * sizeof *gen);
    if (!gen) sw_h5w_fail(w, SW_ENOMEM, "out of memory");
    for (hsize_t i = 0; gen && i < n; i++) gen[i] = (int32_t)i;
    sw_h5w_array(w, g, "generation", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, gen, "generation (from 0)");
    sw_h5w_array(w, g, "first_epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, l->first_epoch,
                 "the generation's first epoch (the barrier before it + 1)");
    /* fixed-length strings: a checksum (every array has one) cannot cover variable-length data */
    size_t width = 1;
    for (hsize_t i = 0; i < n; i++)
        if (strlen(l->donor[i]) + 1 > width) width = strlen(l->donor[i]) + 1;
    char *ids = calloc((size_t)(n ? n : 1), width);
    hid_t st = H5Tcopy(H5T_C_S1);
    if (!ids || st < 0 || H5Tset_size(st, width) < 0) sw_h5w_fail(w, SW_EHDF5, "string type");
    for (hsize_t i = 0; ids && i < n; i++) memcpy(ids + i * width, l->donor[i], strlen(l->donor[i]));
    sw_h5w_array(w, g, "donor", st, st, 1, &n, ids, "the run whose state it continued from (empty: its own)");
    if (st >= 0) H5Tclose(st);
    free(ids);
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, l->metric,
                 "its selection metric at the barrier before the generation");
    sw_h5w_array(w, g, "donor_metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, l->donor_metric,
                 "its donor's metric there (NaN without a donor)");
    sw_h5w_array(w, g, "rank", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, l->rank, "its rank there (0: best)");
    for (int k = 0; k < l->n_keys && col; k++) {
        for (hsize_t i = 0; i < n; i++) col[i] = l->gen_values[i * (hsize_t)l->n_keys + (hsize_t)k];
        sw_h5w_array(w, g, l->keys[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, col,
                     "the value it trained with in the generation");
    }
    if (g >= 0) H5Gclose(g);
    free(gen);
    free(col);
}

int sw_h5_write_run(const char *dir, const sw_run_meta *meta, const sw_config *cfg,
                    const sw_run_result *result, char *err, size_t errlen)
{
    sw_h5_quiet();
    if (!dir || !meta || !cfg || !result) {
        sw_set_error(err, errlen, "sw_h5_write_run: missing argument");
        return SW_EINVAL;
    }
    if (!sw_run_id_valid(meta->run_id)) {
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
    sw_h5w w = {final, err, errlen, SW_OK, true, cfg->record.compress != SW_COMPRESS_NONE, {0, NULL},
                cfg->record.compress == SW_COMPRESS_DEFLATE, cfg->record.deflate_level, {0, 0, 0}, NULL, 0};
    int full = result->status != SW_RUN_FAILED;
    if (check_result(&w, cfg, result, full)) return w.rc;

    char tmp[PATH_MAX];
    hid_t file = sw_h5w_create(&w, dir, meta->run_id, tmp, sizeof tmp);
    if (file < 0) return w.rc;

    char *yaml = sw_config_to_yaml(cfg);
    if (!yaml) sw_h5w_fail(&w, SW_ENOMEM, "out of memory");
    const char *status = sw_run_status_name(result->status);
    sw_h5w_attr_str(&w, file, "format", SW_RUN_FORMAT);
    sw_h5w_attr_i32(&w, file, "format_version", SW_RUN_FORMAT_VERSION);
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
    sw_h5w_attr_created(&w, file);
    sw_h5w_attr_f64(&w, file, "wall_seconds", result->wall_seconds);
    free(yaml);

    write_config_group(&w, file, cfg);
    write_record(&w, file, cfg, result, full);
    if (meta->lineage && full) write_lineage(&w, file, meta->lineage);
    if (full) write_table_history(&w, file, cfg, meta->lineage, result->history.epochs);
    write_metric_names(&w, file, cfg);
    return sw_h5w_finish(&w, file, dir, tmp);
}
