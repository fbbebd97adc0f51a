/* checkpoint.c: a run's state in an HDF5 file (see checkpoint.h).
 *
 * The file is the state's parts (train_state.h), each a 1-D array at the part's path, in
 * the element type of the run record's table, chunked with a Fletcher-32 checksum so
 * that reading it back finds damaged bytes; not compressed (a checkpoint is written up to
 * once a second and read once: deflate would cost more than the bytes it saves). Root
 * attributes: format, format_version, config_hash, program_version, epoch, grad_records,
 * created. Built in memory (HDF5's core driver without a backing store) and written by
 * atomicio under a temporary name that h5io's sw_h5_remove_temporaries recognises. */
#define _POSIX_C_SOURCE 200809L
#include "checkpoint.h"

#include <hdf5.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomicio.h"
#include "common.h"
#include "h5io.h"
#include "task.h"
#include "train_state.h"

#define CKPT_FORMAT "sweep-checkpoint"
#define CKPT_FORMAT_VERSION 1
/* Chunks of at most this many elements: HDF5 caps a chunk at 4 GiB, and the checksum of
 * a moderate chunk is verified without a large buffer. */
#define CHUNK_ELEMENTS (1 << 18)
/* The in-memory file grows by this much at a time. */
#define CORE_INCREMENT (1 << 20)
/* What h5io's temporaries carry in their names (its TMP_MARK), so that a checkpoint's
 * temporary left by a killed writer goes with them. */
#define TMP_MARK ".h5.tmp."
/* The longest string attribute read back. */
#define MAX_TEXT 4096

/* ---- HDF5 helpers ----------------------------------------------------------------------- */

static hid_t file_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_IEEE_F64LE;
    case SW_REC_F32: return H5T_IEEE_F32LE;
    case SW_REC_I32: return H5T_STD_I32LE;
    case SW_REC_I64: return H5T_STD_I64LE;
    /* every bit of the engine's own precision: a resumed run must continue exactly */
    case SW_REC_REAL: return sizeof(sw_real) == sizeof(float) ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    default: return -1;
    }
}

static hid_t mem_type(sw_record_type t)
{
    switch (t) {
    case SW_REC_F64: return H5T_NATIVE_DOUBLE;
    case SW_REC_F32: return H5T_NATIVE_FLOAT;
    case SW_REC_I32: return H5T_NATIVE_INT32;
    case SW_REC_I64: return H5T_NATIVE_INT64;
    case SW_REC_REAL: return sizeof(sw_real) == sizeof(float) ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    default: return -1;
    }
}

/* SHA-256 of the run's YAML text (its identity: what the manifest's hash is made of),
 * resolved as sw_train_run resolves it. SW_OK or SW_ENOMEM. */
static int config_hash(const sw_config *given, char out[65])
{
    sw_config cfg = *given;
    if (cfg.task.kind != SW_TASK_FILE) sw_task_resolve(&cfg.task, NULL, NULL, 0, NULL);
    char *yaml = sw_config_to_yaml(&cfg);
    if (!yaml) return SW_ENOMEM;
    sw_sha256_hex(yaml, strlen(yaml), out);
    free(yaml);
    return SW_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* The first failure of a write, with its message. */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    int rc;
} writer;

SW_PRINTF(3, 4)
static void wfail(writer *w, int code, const char *fmt, ...)
{
    if (w->rc) return;
    char what[256], detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    sw_h5_detail(detail);
    if (detail[0])
        sw_set_error(w->err, w->errlen, "cannot write %s: %s (HDF5: %s)", w->path, what, detail);
    else
        sw_set_error(w->err, w->errlen, "cannot write %s: %s", w->path, what);
    w->rc = code;
}

static void put_attr(writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *value)
{
    if (w->rc) return;
    hid_t s = H5Screate(H5S_SCALAR), a = -1;
    if (s >= 0) a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, mtype, value) >= 0;
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    if (!ok) wfail(w, SW_EHDF5, "attribute '%s'", name);
}

static void put_text(writer *w, hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, strlen(value) + 1) < 0) wfail(w, SW_EHDF5, "attribute '%s'", name);
    put_attr(w, loc, name, t, t, value);
    if (t >= 0) H5Tclose(t);
}

static void put_int(writer *w, hid_t loc, const char *name, int value)
{
    int32_t v = value;
    put_attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}

/* One part as a 1-D dataset (its groups created on the way), checksummed when non-empty. */
static void put_part(writer *w, hid_t file, const sw_train_state_part *p)
{
    if (w->rc) return;
    hsize_t dims[1] = {p->count}, chunk[1] = {p->count < CHUNK_ELEMENTS ? p->count : CHUNK_ELEMENTS};
    hid_t s = H5Screate_simple(1, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE),
          dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
    bool ok = s >= 0 && lcpl >= 0 && dcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0;
    if (ok && p->count > 0) ok = H5Pset_chunk(dcpl, 1, chunk) >= 0 && H5Pset_fletcher32(dcpl) >= 0;
    if (ok) d = H5Dcreate2(file, p->path, file_type(p->type), s, lcpl, dcpl, H5P_DEFAULT);
    ok = d >= 0 && (p->count == 0 || H5Dwrite(d, mem_type(p->type), H5S_ALL, H5S_ALL, H5P_DEFAULT, p->data) >= 0);
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Sclose(s);
    if (lcpl >= 0) H5Pclose(lcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (!ok) wfail(w, SW_EHDF5, "dataset '%s'", p->path);
}

int sw_checkpoint_write(const char *path, const sw_train_state *state, const sw_config *cfg, char *err,
                        size_t errlen)
{
    sw_h5_quiet();
    writer w = {path, err, errlen, SW_OK};
    /* the directory and the temporary there: ".<name>.h5.tmp.<host>.<pid>.<serial>" */
    static atomic_uint serial;
    char dir[PATH_MAX], tmp[PATH_MAX], owner[128], hash[65], created[32];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    int dirlen = slash ? (int)(slash - path) : 1;
    sw_atomic_owner(owner, sizeof owner);
    if (snprintf(dir, sizeof dir, "%.*s", dirlen, slash ? path : ".") >= (int)sizeof dir ||
        snprintf(tmp, sizeof tmp, "%s/.%s" TMP_MARK "%s.%u", dir, base, owner, atomic_fetch_add(&serial, 1u)) >=
            (int)sizeof tmp) {
        sw_set_error(err, errlen, "cannot write %s: path too long", path);
        return SW_EINVAL;
    }
    if (config_hash(cfg, hash)) {
        sw_set_error(err, errlen, "cannot write %s: out of memory", path);
        return SW_ENOMEM;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), file = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, CORE_INCREMENT, 0) >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (file < 0) {
        wfail(&w, SW_EHDF5, "creating the file in memory");
        return w.rc;
    }
    put_text(&w, file, "format", CKPT_FORMAT);
    put_int(&w, file, "format_version", CKPT_FORMAT_VERSION);
    put_text(&w, file, "config_hash", hash);
    put_text(&w, file, "program_version", SWEEP_VERSION);
    put_int(&w, file, "epoch", sw_train_state_epoch(state));
    put_int(&w, file, "grad_records", sw_train_state_records(state));
    put_text(&w, file, "created", created);
    sw_train_state_part parts[SW_TRAIN_STATE_MAX_PARTS];
    int n = sw_train_state_parts(state, parts, SW_TRAIN_STATE_MAX_PARTS);
    for (int i = 0; i < n; i++) put_part(&w, file, &parts[i]);

    void *image = NULL;
    /* the image is the buffer as it is: metadata still cached must be in it */
    if (!w.rc && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) wfail(&w, SW_EHDF5, "flushing the file");
    ssize_t len = w.rc ? -1 : H5Fget_file_image(file, NULL, 0);
    if (!w.rc && len <= 0) wfail(&w, SW_EHDF5, "the file's image");
    if (!w.rc && !(image = malloc((size_t)len))) wfail(&w, SW_ENOMEM, "out of memory for the file's image");
    if (!w.rc && H5Fget_file_image(file, image, (size_t)len) != len) wfail(&w, SW_EHDF5, "the file's image");
    if (H5Fclose(file) < 0) wfail(&w, SW_EHDF5, "closing the file");
    if (!w.rc) w.rc = sw_atomic_write(dir, path, tmp, image, (size_t)len, err, errlen);
    free(image);
    return w.rc;
}

/* ---- reading -------------------------------------------------------------------------------- */

/* A scalar string attribute into buf (at most MAX_TEXT bytes); false when absent or not one. */
static bool get_text(hid_t loc, const char *name, char *buf, size_t buflen)
{
    buf[0] = 0;
    if (H5Aexists(loc, name) <= 0) return false;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), ft = a >= 0 ? H5Aget_type(a) : -1, mt = -1;
    size_t n = ft >= 0 ? H5Tget_size(ft) : 0;
    bool ok = ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 && n > 0 && n < buflen &&
              (mt = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(mt, n + 1) >= 0 && H5Aread(a, mt, buf) >= 0;
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    if (!ok) buf[0] = 0;
    return ok;
}

static bool get_int(hid_t loc, const char *name, int *out)
{
    if (H5Aexists(loc, name) <= 0) return false;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), ft = a >= 0 ? H5Aget_type(a) : -1;
    int32_t v = 0;
    bool ok = ft >= 0 && H5Tget_class(ft) == H5T_INTEGER && H5Aread(a, H5T_NATIVE_INT32, &v) >= 0;
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    *out = v;
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
    bool ok = shaped && (p->count == 0 || H5Dread(d, mem_type(p->type), H5S_ALL, H5S_ALL, H5P_DEFAULT, p->data) >= 0);
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
    int rc = SW_OK, version = 0, epoch = 0, records = 0;
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
    } else if (!get_int(file, "epoch", &epoch) || !get_int(file, "grad_records", &records)) {
        sw_set_error(err, errlen, "%s: the attributes epoch and grad_records are missing", path);
        rc = SW_EFORMAT;
    } else if ((rc = sw_train_state_create(cfg, epoch, records, &st)) != SW_OK) {
        if (rc == SW_EINVAL) {
            sw_set_error(err, errlen, "%s: epoch %d with %d gradient records is not a state of this run", path, epoch,
                         records);
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
