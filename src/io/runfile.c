/* runfile.c: reading run files back, and reading them through (see runfile.h and
 * docs/hdf5-layout.md).
 *
 * A run file is the writer's (runwrite.c) or anyone's: every array's shape is checked
 * against what its /config and /summary imply before it sizes an allocation, and reading
 * it through (SW_READ_VERIFY) reads every byte of every array, each chunk passing its
 * Fletcher-32 checksum, so that damaged data is found as well as damaged metadata. HDF5
 * keeps its error stack per thread: every public function silences its printing for the
 * thread it runs on and turns the innermost message into part of our own error text. */
#define _POSIX_C_SOURCE 200809L
#include "runfile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5chunk.h"
#include "h5read.h"
#include "h5write.h"
#include "model.h"
#include "record.h"
#include "task.h"

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- reading ------------------------------------------------------------------------- */

/* Every schema key /config has, into out->config (the others keep their defaults and
 * count in config_missing); a value of the wrong type or outside the key's range is not
 * used (so that an int narrows without loss and the sizes a file's config implies are the
 * ones a config could have), and the first such key is named in out->config_bad. */
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
            if ((rc = sw_h5r_i64(g, k->key, &v)) == SW_OK && (rc = sw_key_in_range(k, (double)v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(int *)field = (int)v;
            break;
        }
        case SW_TYPE_INT64: {
            long long v;
            if ((rc = sw_h5r_i64(g, k->key, &v)) == SW_OK && (rc = sw_key_in_range(k, (double)v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(int64_t *)field = v;
            break;
        }
        case SW_TYPE_FLOAT: {
            double v;
            if ((rc = sw_h5r_f64(g, k->key, &v)) == SW_OK && (rc = sw_key_in_range(k, v) ? SW_OK : SW_EFORMAT) == SW_OK)
                *(double *)field = v;
            break;
        }
        case SW_TYPE_BOOL: {
            long long v;
            char *s = NULL;
            if ((rc = sw_h5r_i64(g, k->key, &v)) == SW_OK)
                *(bool *)field = v != 0;
            else if (sw_h5r_str(g, k->key, &s) == SW_OK) {
                rc = SW_OK;
                *(bool *)field = strcmp(s, "true") == 0;
            }
            free(s);
            break;
        }
        case SW_TYPE_ENUM: {
            char *s = NULL;
            if ((rc = sw_h5r_str(g, k->key, &s)) == SW_OK) {
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
            if ((rc = sw_h5r_str(g, k->key, &s)) == SW_OK && strlen(s) > (size_t)k->max) rc = SW_EFORMAT;
            if (rc == SW_OK) snprintf(field, (size_t)k->max + 1, "%s", s);
            free(s);
            break;
        }
        case SW_TYPE_INT_LIST: {
            long long *v = NULL;
            int n = 0;
            if ((rc = sw_h5r_i64_array(g, k->key, &v, &n)) == SW_OK && n > SW_MAX_MILESTONES) rc = SW_EFORMAT;
            for (int j = 0; rc == SW_OK && j < n; j++)
                if (!sw_key_in_range(k, (double)v[j]) || v[j] > INT_MAX) rc = SW_EFORMAT;
            if (rc == SW_OK) {
                for (int j = 0; j < n; j++) ((int *)field)[j] = (int)v[j];
                *(int *)((char *)cfg + k->count_offset) = n;
            }
            free(v);
            break;
        }
        case SW_TYPE_FLOAT_LIST: {
            double *v = NULL;
            int n = 0;
            if ((rc = sw_h5r_f64_array(g, k->key, &v, &n)) == SW_OK &&
                sw_config_set_floats(cfg, k, v, n, NULL, 0) != SW_OK)
                rc = SW_EFORMAT;
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
    int rank = sw_h5r_dims(f, row->path, dims, SW_RECORD_MAX_RANK);
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
    if (sw_h5r_dset(f, row->path, sw_h5_record_mem_type(row->type), buf, count)) {
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
    int rc = SW_EFORMAT, got = sw_h5r_str(f, "format", &format);
    char detail[200];
    if (got == SW_EFORMAT && (sw_h5_detail(detail), detail[0]))
        sw_set_error(err, errlen, "%s: root attribute format unreadable (HDF5: %s)", path, detail);
    else if (got != SW_OK || strcmp(format, SW_RUN_FORMAT) != 0)
        sw_set_error(err, errlen, "%s: not a sweep run file (root attribute format is not '" SW_RUN_FORMAT "')", path);
    else if (sw_h5r_i64(f, "format_version", &version) != SW_OK || version < 1 || version > SW_RUN_FORMAT_VERSION)
        sw_set_error(err, errlen, "%s: format_version %lld is not one this program reads (1)", path, version);
    else if (sw_h5r_str(f, "status", &status) != SW_OK)
        sw_set_error(err, errlen, "%s: root attribute status missing", path);
    else if (sw_h5r_str(f, "run_id", &out->run_id) != SW_OK)
        sw_set_error(err, errlen, "%s: root attribute run_id missing", path);
    else
        rc = SW_OK;
    for (int s = 0; status && s < SW_RUN_STATUS_COUNT; s++)
        if (strcmp(status, sw_run_status_name((sw_run_status)s)) == 0) out->status = (sw_run_status)s;
    free(format);
    free(status);
    if (rc) return rc;
    sw_h5r_str(f, "sweep", &out->sweep);
    sw_h5r_str(f, "error", &out->error);
    sw_h5r_str(f, "created", &out->created);
    sw_h5r_str(f, "program_version", &out->program_version);
    sw_h5r_str(f, "config", &out->config_text);
    sw_h5r_f64(f, "wall_seconds", &out->wall_seconds);
    if (H5Aexists(f, "swept_keys") > 0) {
        hid_t a = H5Aopen(f, "swept_keys", H5P_DEFAULT);
        if (a >= 0) {
            rc = sw_h5r_strs(a, 1, &out->swept_keys, &out->n_swept);
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
    if (sw_h5r_i64(g, "best_epoch", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->best_epoch = (int)v;
    if (sw_h5r_i64(g, "epochs_completed", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->epochs = (int)v;
    if (sw_h5r_i64(g, "epochs_planned", &v) == SW_OK && v >= 0 && v <= INT_MAX) out->epochs_planned = (int)v;
    if (sw_h5r_i64(g, "param_count", &v) == SW_OK) out->param_count = v;
    sw_h5r_f64(g, "best_test_acc", &out->best_test_acc);
    sw_h5r_f64(g, "best_test_loss", &out->best_test_loss);
    sw_h5r_f64(g, "final_test_acc", &out->final_test_acc);
    sw_h5r_f64(g, "final_train_acc", &out->final_train_acc);
    /* Files written before runs named their metric were all selected by test accuracy. */
    sw_task_metric m = sw_task_metric_of(&out->config.task);
    char *name = NULL, *mode = NULL;
    if (sw_h5r_str(g, "metric", &name) == SW_OK && !strcmp(name, "test_loss")) m = (sw_task_metric){"test_loss", SW_METRIC_MIN};
    else if (name && !strcmp(name, "test_acc")) m = (sw_task_metric){"test_acc", SW_METRIC_MAX};
    if (sw_h5r_str(g, "metric_mode", &mode) == SW_OK && !strcmp(mode, "min")) m.mode = SW_METRIC_MIN;
    free(name);
    free(mode);
    snprintf(out->metric, sizeof out->metric, "%s", m.name);
    out->metric_mode = m.mode;
    if (sw_h5r_f64(g, "best_metric", &out->best_metric) != SW_OK)
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
    if (task->kind == SW_TASK_TEXT) {
        /* a text's layout is in /config (input_size: its vocabulary); its baseline and
         * encoding are in /task, which a failed run's file lacks */
        hid_t g = H5Lexists(f, "/task", H5P_DEFAULT) > 0 ? H5Gopen2(f, "/task", H5P_DEFAULT) : -1;
        double v;
        if (g >= 0 && sw_h5r_f64(g, "unigram_entropy", &v) == SW_OK && isfinite(v) && v > 0) task->text_unigram = v;
        if (g >= 0 && sw_h5r_f64(g, "utf8", &v) == SW_OK) task->text_utf8 = v != 0;
        if (g >= 0) H5Gclose(g);
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    if (task->kind != SW_TASK_FILE) return;
    if (sw_h5r_dims(f, "/weights/final/fc/bias", dims, 1) == 1 && dims[0] <= INT_MAX) task->file_outputs = (int)dims[0];
    if (!strcmp(out->metric, "test_loss"))
        task->file_target = SW_TARGET_VALUE_LAST;
    else if (sw_h5r_dims(f, "/probe/targets", dims, 2) == 2 && dims[1] > 1 && dims[1] == (hsize_t)task->seq_len)
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

/* Verification reads an array in pieces of at most this many bytes (whole rows of its first
 * dimension, at least one): enough to read a few chunks at a time, and the pages of one
 * small buffer are reused instead of a buffer the array's size being faulted in. */
#define VERIFY_PIECE_BYTES (1024 * 1024)

/* Reads the whole (non-empty) dataset d, as mtype of elem bytes, piece by piece along its
 * first dimension (dims: its rank dims), so that every chunk is decompressed and passes its
 * checksum. SW_OK, SW_ENOMEM, or SW_EFORMAT with HDF5's error on its stack. */
/* The buffer arrays are read into while a file is verified: one for the whole file, grown
 * as needed, so that its pages are faulted in once per file, not once per array. */
typedef struct {
    void *p;
    size_t size;
    sw_h5_chunk_bufs chunks; /* for the arrays whose chunks are checked as stored */
} verify_buf;

static void *verify_buf_get(verify_buf *b, size_t size)
{
    if (size <= b->size) return b->p;
    free(b->p); /* what it held is read: nothing to keep */
    b->p = NULL;
    b->size = 0;
    void *p = malloc(size);
    if (!p) return NULL;
    b->p = p;
    b->size = size;
    return p;
}

static int read_through(hid_t d, hid_t mtype, int rank, const hsize_t *dims, size_t elem, verify_buf *vb)
{
    size_t row = elem;
    for (int i = 1; i < rank; i++) row *= (size_t)dims[i];
    hsize_t rows = rank > 0 ? dims[0] : 1, per = row < VERIFY_PIECE_BYTES ? VERIFY_PIECE_BYTES / row : 1;
    if (per > rows) per = rows;
    void *buf = verify_buf_get(vb, (size_t)per * row);
    if (!buf) return SW_ENOMEM;
    if (per == rows) /* one piece: the whole array */
        return H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? SW_EFORMAT : SW_OK;
    hsize_t start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    for (int i = 0; i < rank; i++) count[i] = dims[i];
    hid_t fs = H5Dget_space(d), ms = -1;
    int rc = fs < 0 ? SW_EFORMAT : SW_OK;
    for (start[0] = 0; rc == SW_OK && start[0] < rows; start[0] += per) {
        count[0] = rows - start[0] < per ? rows - start[0] : per;
        if (ms < 0 || count[0] != per) { /* the last piece may be shorter */
            if (ms >= 0) H5Sclose(ms);
            ms = H5Screate_simple(rank, count, NULL);
        }
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
            rc = SW_EFORMAT;
    }
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return rc;
}

/* Arrays of at most this many bytes as stored (history columns, coordinates, biases) are
 * read through HDF5, which checks their checksum itself: for them, reading the creation
 * properties and then each chunk as stored cost more (verifying a reference run's file took
 * 5% more instructions with them all checked as stored). */
#define SMALL_ARRAY_BYTES 4096

/* Reads the non-empty dataset d (file type t) through: its chunks as stored, checked by
 * h5chunk.c, when it is not small and its filters are this program's (no copy, conversion
 * or unshuffling, and a checksum summed many bytes at a time), else through HDF5
 * (read_through), which checks the checksum of each chunk as it reads it. SW_OK, SW_ENOMEM
 * or SW_EFORMAT with the reason in err. count: its elements (dims multiplied). */
static int read_back(hid_t d, hid_t t, const char *file, const char *path, sw_record_type type, int rank,
                     const hsize_t *dims, size_t count, verify_buf *vb, char *err, size_t errlen)
{
    char why[160] = "", detail[200];
    bool handled = false;
    size_t fsize = H5Tget_size(t);
    int rc = fsize > 0 && count > SMALL_ARRAY_BYTES / fsize
                 ? sw_h5_check_chunks(d, rank, dims, fsize, &vb->chunks, &handled, why, sizeof why)
                 : SW_OK;
    if (!handled) rc = read_through(d, sw_h5_record_mem_type(type), rank, dims, sw_record_mem_size(type), vb);
    if (rc == SW_ENOMEM) {
        sw_set_error(err, errlen, "%s: out of memory reading %s", file, path);
    } else if (rc != SW_OK) {
        sw_h5_detail(detail);
        sw_set_error(err, errlen, "%s: %s unreadable%s%s%s%s%s%s", file, path, why[0] || detail[0] ? " (" : "", why,
                     why[0] && detail[0] ? "; " : "", detail[0] ? "HDF5: " : "", detail, why[0] || detail[0] ? ")" : "");
    }
    return rc;
}

/* The array at `path` (absolute) exists (else SW_ENOTFOUND, no message), holds numbers of
 * the row type's class with exactly the dims `want`, and reads back whole: every chunk
 * decompresses and passes its Fletcher-32 checksum. SW_EFORMAT with the reason in err. */
static int verify_array(hid_t f, const char *file, const char *path, sw_record_type type, int rank,
                        const long long *want, verify_buf *vb, char *err, size_t errlen)
{
    /* opened at once (looking the path up first, for every array, was a tenth of the cost) */
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0 && H5Lexists(f, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    char detail[200] = "", have_text[96], want_text[96];
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
    rc = count > 0 ? read_back(d, t, file, path, type, r, dims, count, vb, err, errlen) : SW_OK;
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
        rc = sw_h5r_str(g, slash + 1, &v);
        free(v);
    } else {
        double v;
        rc = sw_h5r_f64(g, slash + 1, &v);
    }
    H5Gclose(g);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* Reads every row of the run record (record.c's table) that a file of this status holds,
 * each array with the shape that its /config and /summary/epochs_completed imply, through
 * to the last byte. Rows added to the format later may be absent. */
static int verify_rows(hid_t f, sw_run_file *out, verify_buf *vb, char *err, size_t errlen)
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
        if (sw_h5r_i64(g, "epochs_completed", &E) != SW_OK) E = -1;
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
        if (out->status == SW_RUN_DIVERGED && R == 0 && sw_h5r_dims(f, "/gradients/epoch", dims, 1) == 1 && dims[0] == 1)
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
        case SW_REC_DATASET: rc = verify_array(f, file, row->path, row->type, row->rank, want, vb, err, errlen); break;
        case SW_REC_WEIGHTS:
            for (int t = 0; t < sw_tensor_count(&shape) && rc == SW_OK; t++) {
                sw_tensor_info ti = sw_tensor_describe(&shape, t);
                char path[128];
                long long dims[2] = {ti.rows, ti.cols};
                snprintf(path, sizeof path, "%s/%s", row->path, ti.name);
                rc = verify_array(f, file, path, row->type, ti.cols ? 2 : 1, dims, vb, err, errlen);
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

/* verify_rows with one read buffer for the whole file. */
static int verify_record(hid_t f, sw_run_file *out, char *err, size_t errlen)
{
    verify_buf vb = {NULL, 0, {NULL, NULL, 0, 0}};
    int rc = verify_rows(f, out, &vb, err, errlen);
    free(vb.p);
    sw_h5_chunk_bufs_free(&vb.chunks);
    return rc;
}

/* ---- the entry points ----------------------------------------------------------------- */

/* The file at path opened read-only through h5tmpfile.c's driver for reading (blocks of
 * 32 KiB: through HDF5's sec2 driver every object header, B-tree node, heap and small chunk
 * is a pread(2) of its own, 246 for a reference run's 2 MB file). -1 when HDF5 cannot open
 * it, with HDF5's most specific message in detail (closing the property list would clear
 * it). */
static hid_t open_read_only(const char *path, char detail[200])
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && sw_h5read_set_fapl(fapl) >= 0) f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    detail[0] = 0;
    if (f < 0) sw_h5_detail(detail);
    if (fapl >= 0) H5Pclose(fapl);
    return f;
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
    char detail[200];
    hid_t f = open_read_only(path, detail);
    if (f < 0) {
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

int sw_h5_verify_run(const char *path, sw_run_status *status, char *err, size_t errlen)
{
    if (path && sw_h5w_is_temporary(base_name(path))) {
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

/* The run file at path, opened read-only, or -1 with the reason in err. */
static hid_t open_run_file(const char *path, char *err, size_t errlen)
{
    sw_h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0) {
        sw_set_error(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    hid_t f = S_ISREG(st.st_mode) ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (f < 0) sw_set_error(err, errlen, "%s: not a readable HDF5 file", path);
    H5Eclear2(H5E_DEFAULT);
    return f;
}

int sw_h5_read_weights(const char *path, const sw_config *cfg, const char *group, sw_real *flat, char *err,
                       size_t errlen)
{
    hid_t f = open_run_file(path, err, errlen);
    if (f < 0) return SW_EFORMAT;
    sw_model_shape shape = sw_model_shape_from_config(cfg);
    int rc = SW_OK;
    for (int i = 0; i < sw_tensor_count(&shape) && !rc; i++) {
        sw_tensor_info t = sw_tensor_describe(&shape, i);
        char name[160];
        hsize_t dims[2] = {0, 0};
        snprintf(name, sizeof name, "/weights/%s/%s", group, t.name);
        int rank = sw_h5r_dims(f, name, dims, 2);
        bool fits = rank == (t.cols ? 2 : 1) && dims[0] == (hsize_t)t.rows && (!t.cols || dims[1] == (hsize_t)t.cols);
        if (!fits || sw_h5r_dset(f, name, sw_h5_record_mem_type(SW_REC_REAL), flat + t.offset, t.count) != SW_OK) {
            sw_set_error(err, errlen, "%s: %s %s", path, name, fits ? "cannot be read" : "is missing or not of the "
                         "shape its /config implies (a failed run's file has no weights)");
            rc = SW_EFORMAT;
        }
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int sw_h5_read_int_array(const char *path, const char *name, int32_t **out, size_t *count, char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    hid_t f = open_run_file(path, err, errlen);
    if (f < 0) return SW_EFORMAT;
    hsize_t dims[SW_RECORD_MAX_RANK];
    int rank = sw_h5r_dims(f, name, dims, SW_RECORD_MAX_RANK), rc = SW_OK;
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    if (rank < 0) {
        sw_set_error(err, errlen, "%s: no dataset %s", path, name);
        rc = SW_ENOTFOUND;
    } else if (!(*out = malloc((n ? n : 1) * sizeof **out))) {
        rc = SW_ENOMEM;
    } else if (sw_h5r_dset(f, name, H5T_NATIVE_INT32, *out, n) != SW_OK) {
        sw_set_error(err, errlen, "%s: %s cannot be read as integers", path, name);
        rc = SW_EFORMAT;
    }
    if (rc) {
        free(*out);
        *out = NULL;
    } else {
        *count = n;
    }
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
            strcmp(e->d_name, SW_INDEX_NAME) == 0)
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
