/* checkpoint.c: a run's state in an HDF5 file (see checkpoint.h).
 *
 * The file is the state's parts (train.h), each a 1-D array at the part's path, in
 * the element type of the run record's table, chunked with a Fletcher-32 checksum so
 * that reading it back finds damaged bytes; not compressed (a checkpoint is written up to
 * once a second and read once: deflate would cost more than the bytes it saves). Root
 * attributes: format, format_version, config_hash, program_version, epoch, step (the
 * training steps of the next epoch done: 0 at an epoch boundary), grad_records, created. Built in memory and written atomically by h5write.c, as run files are, under a
 * temporary name that h5io's sw_h5_remove_temporaries recognises. */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"

#include <hdf5.h>

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "hash.h"
#include "h5read.h"
#include "h5write.h"
#include "task.h"

#define CKPT_FORMAT "sweep-checkpoint"
#define CKPT_FORMAT_VERSION 2 /* 2: the step attribute and the /state/epoch parts */
/* The longest string attribute read back. */
#define MAX_TEXT 4096

/* ---- HDF5 helpers ----------------------------------------------------------------------- */

/* The element types of the run record (h5write.h), with every bit of the engine's own
 * precision: a resumed run must continue exactly (run files store sw_real as float32). */
static hid_t file_type(sw_record_type t)
{
    if (t == SW_REC_REAL && sizeof(sw_real) != sizeof(float)) return H5T_IEEE_F64LE;
    return sw_h5_record_file_type(t);
}

/* SHA-256 of the run's YAML text (its identity: what the manifest's hash is made of),
 * resolved as sw_train_run resolves it. SW_OK or SW_ENOMEM. */
static int config_hash(const sw_config *given, char out[65])
{
    sw_config cfg = *given;
    if (!sw_task_reads_file(cfg.task.kind)) sw_task_resolve(&cfg.task, NULL, NULL, 0, NULL);
    char *yaml = sw_config_to_yaml(&cfg);
    if (!yaml) return SW_ENOMEM;
    sw_sha256_hex(yaml, strlen(yaml), out);
    free(yaml);
    return SW_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

int sw_checkpoint_write(const char *path, const sw_train_state *state, const sw_config *cfg, char *err,
                        size_t errlen)
{
    sw_h5_quiet();
    /* not compressed: written up to once a second and read once, deflate would cost more than
     * the bytes it saves; checksummed, so that reading it back finds damaged bytes */
    sw_h5w w = {path, err, errlen, SW_OK, true, false, {0, NULL}, false, 0, {0, 0, 0}, NULL, 0};
    char dir[PATH_MAX], tmp[PATH_MAX], hash[65];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    int dirlen = slash ? (int)(slash - path) : 1;
    if (snprintf(dir, sizeof dir, "%.*s", dirlen, slash ? path : ".") >= (int)sizeof dir)
        return sw_h5w_fail(&w, SW_EINVAL, "path too long");
    if (config_hash(cfg, hash)) return sw_h5w_fail(&w, SW_ENOMEM, "out of memory");

    hid_t file = sw_h5w_create(&w, dir, base, tmp, sizeof tmp);
    if (file < 0) return w.rc;
    sw_h5w_attr_str(&w, file, "format", CKPT_FORMAT);
    sw_h5w_attr_i32(&w, file, "format_version", CKPT_FORMAT_VERSION);
    sw_h5w_attr_str(&w, file, "config_hash", hash);
    sw_h5w_attr_str(&w, file, "program_version", SWEEP_VERSION);
    sw_h5w_attr_i32(&w, file, "epoch", sw_train_state_epoch(state));
    sw_h5w_attr_i32(&w, file, "step", sw_train_state_step(state));
    sw_h5w_attr_i32(&w, file, "grad_records", sw_train_state_records(state));
    sw_h5w_attr_created(&w, file);
    sw_train_state_part parts[SW_TRAIN_STATE_MAX_PARTS];
    int n = sw_train_state_parts(state, parts, SW_TRAIN_STATE_MAX_PARTS);
    for (int i = 0; i < n; i++) { /* each part a 1-D dataset, its groups created on the way */
        hsize_t dims[1] = {parts[i].count};
        hid_t d = sw_h5w_dset(&w, file, parts[i].path, file_type(parts[i].type),
                              sw_h5_record_mem_type(parts[i].type), 1, dims, parts[i].data);
        if (d >= 0) H5Dclose(d);
    }
    return sw_h5w_finish(&w, file, dir, tmp);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* The scalar string attribute `name` of loc (this program writes variable-length ones; it
 * wrote fixed-length ones before h5write.c) into buf, "" when absent, not a string, or
 * longer than buflen - 1 bytes; false then. */
static bool get_text(hid_t loc, const char *name, char *buf, size_t buflen)
{
    char *v = NULL;
    bool ok = sw_h5r_str(loc, name, &v) == SW_OK && strlen(v) < buflen;
    snprintf(buf, buflen, "%s", ok ? v : "");
    free(v);
    return ok;
}

/* The scalar integer attribute `name` of loc into *out; false when absent or not an
 * integer of an int's range. */
static bool get_int(hid_t loc, const char *name, int *out)
{
    long long v = 0;
    bool ok = sw_h5r_i64(loc, name, &v) == SW_OK && v >= INT_MIN && v <= INT_MAX;
    *out = ok ? (int)v : 0;
    return ok;
}

/* Reads part p from the file: SW_OK, or SW_EFORMAT with the reason in err. */
static int read_part(hid_t file, const char *path, const sw_train_state_part *p, char *err, size_t errlen)
{
    char detail[200];
    if (H5Lexists(file, p->path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        /* an absent group makes H5Lexists fail rather than say no: either way it is missing */
        sw_set_error(err, errlen, "%s: %s is missing", path, p->path);
        return SW_EFORMAT;
    }
    hid_t d = H5Dopen2(file, p->path, H5P_DEFAULT), s = d >= 0 ? H5Dget_space(d) : -1,
          ft = d >= 0 ? H5Dget_type(d) : -1;
    hsize_t dims[1] = {0};
    bool shaped = s >= 0 && H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, dims, NULL) == 1 &&
                  dims[0] == p->count && ft >= 0 && H5Tequal(ft, file_type(p->type)) > 0;
    bool ok = shaped &&
              (p->count == 0 || H5Dread(d, sw_h5_record_mem_type(p->type), H5S_ALL, H5S_ALL, H5P_DEFAULT, p->data) >= 0);
    sw_h5_detail(detail);
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
    if (ok) return SW_OK;
    if (!shaped)
        sw_set_error(err, errlen, "%s: %s is not %zu values of the state's type", path, p->path, p->count);
    else
        sw_set_error(err, errlen, "%s: %s does not read back%s%s%s", path, p->path, detail[0] ? " (HDF5: " : "",
                     detail, detail[0] ? ")" : "");
    return SW_EFORMAT;
}

int sw_checkpoint_read(const char *path, const sw_config *cfg, sw_train_state **out, char *err, size_t errlen)
{
    *out = NULL;
    sw_h5_quiet();
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int missing = errno == ENOENT || errno == ENOTDIR;
        sw_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return missing ? SW_ENOTFOUND : SW_EFORMAT;
    }
    char want[65], text[MAX_TEXT];
    if (config_hash(cfg, want)) {
        sw_set_error(err, errlen, "%s: out of memory", path);
        return SW_ENOMEM;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        char detail[200];
        sw_h5_detail(detail);
        sw_set_error(err, errlen, "%s: does not open as an HDF5 file (truncated or damaged)%s%s", path,
                     detail[0] ? "; HDF5: " : "", detail);
        return SW_EFORMAT;
    }
    int rc = SW_OK, version = 0, epoch = 0, step = 0, records = 0;
    sw_train_state *st = NULL;
    if (!get_text(file, "format", text, sizeof text) || strcmp(text, CKPT_FORMAT) ||
        !get_int(file, "format_version", &version) || version != CKPT_FORMAT_VERSION) {
        sw_set_error(err, errlen, "%s: not a sweep checkpoint (format %d)", path, CKPT_FORMAT_VERSION);
        rc = SW_EFORMAT;
    } else if (!get_text(file, "config_hash", text, sizeof text) || strcmp(text, want)) {
        sw_set_error(err, errlen, "%s: written for another configuration of the run", path);
        rc = SW_ECONFIG;
    } else if (!get_text(file, "program_version", text, sizeof text) || strcmp(text, SWEEP_VERSION)) {
        sw_set_error(err, errlen, "%s: written by sweep %s, not %s", path, text[0] ? text : "(unknown)", SWEEP_VERSION);
        rc = SW_ECONFIG;
    } else if (!get_int(file, "epoch", &epoch) || !get_int(file, "step", &step) ||
               !get_int(file, "grad_records", &records)) {
        sw_set_error(err, errlen, "%s: the attributes epoch, step and grad_records are missing", path);
        rc = SW_EFORMAT;
    } else if ((rc = sw_train_state_create(cfg, epoch, step, records, &st)) != SW_OK) {
        if (rc == SW_EINVAL) {
            sw_set_error(err, errlen, "%s: epoch %d, step %d with %d gradient records is not a state of this run",
                         path, epoch, step, records);
            rc = SW_EFORMAT;
        } else {
            sw_set_error(err, errlen, "%s: out of memory", path);
        }
    } else {
        sw_train_state_part parts[SW_TRAIN_STATE_MAX_PARTS];
        int n = sw_train_state_parts(st, parts, SW_TRAIN_STATE_MAX_PARTS);
        for (int i = 0; i < n && rc == SW_OK; i++) rc = read_part(file, path, &parts[i], err, errlen);
    }
    H5Eclear2(H5E_DEFAULT);
    if (H5Fclose(file) < 0 && rc == SW_OK) {
        sw_set_error(err, errlen, "%s: closing it failed", path);
        rc = SW_EFORMAT;
    }
    if (rc != SW_OK) {
        sw_train_state_free(st);
        st = NULL;
    }
    *out = st;
    return rc;
}

/* ---- a reader's look --------------------------------------------------------------------- */

/* /history/<metric> of file into out: its last value and best, NaN when it has none. */
static void peek_history(hid_t file, const char *metric, int epoch, int lower_is_better, sw_checkpoint_info *out)
{
    out->value = out->best = NAN;
    snprintf(out->metric, sizeof out->metric, "%s", metric);
    out->lower_is_better = lower_is_better;
    char name[64];
    hsize_t dims[1] = {0};
    snprintf(name, sizeof name, "/history/%s", metric);
    if (H5Lexists(file, "/history", H5P_DEFAULT) <= 0 || sw_h5r_dims(file, name, dims, 1) != 1 || dims[0] == 0 ||
        dims[0] > (hsize_t)epoch) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    double *v = malloc((size_t)dims[0] * sizeof *v);
    if (v && sw_h5r_dset(file, name, H5T_NATIVE_DOUBLE, v, (size_t)dims[0]) == SW_OK) {
        out->value = v[dims[0] - 1];
        for (hsize_t e = 0; e < dims[0]; e++)
            if (v[e] == v[e] && (out->best != out->best || (lower_is_better ? v[e] < out->best : v[e] > out->best)))
                out->best = v[e];
    }
    H5Eclear2(H5E_DEFAULT);
    free(v);
}

int sw_checkpoint_peek(const char *path, const char *metric, int lower_is_better, sw_checkpoint_info *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->value = out->best = NAN;
    sw_h5_quiet();
    struct stat sb;
    if (stat(path, &sb) != 0) {
        sw_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? SW_ENOTFOUND : SW_EFORMAT;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        sw_set_error(err, errlen, "%s: does not open as an HDF5 file (truncated or damaged)", path);
        return SW_EFORMAT;
    }
    char text[MAX_TEXT];
    int rc = SW_OK;
    if (!get_text(file, "format", text, sizeof text) || strcmp(text, CKPT_FORMAT) ||
        !get_int(file, "epoch", &out->epoch) || out->epoch < 1) {
        sw_set_error(err, errlen, "%s: not a sweep checkpoint (no format %s with an epoch)", path, CKPT_FORMAT);
        rc = SW_EFORMAT;
    } else {
        if (get_text(file, "created", text, sizeof text)) snprintf(out->created, sizeof out->created, "%.31s", text);
        static const char *const by[] = {"val_acc", "val_loss", "test_acc", "test_loss"};
        for (int i = 0; !metric && i < 4 && out->value != out->value; i++)
            peek_history(file, by[i], out->epoch, i % 2, out);
        if (metric) peek_history(file, metric, out->epoch, lower_is_better, out);
        else if (out->value != out->value) out->metric[0] = 0;
    }
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(file);
    return rc;
}
