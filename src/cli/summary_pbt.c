/* summary_pbt.c: a pbt search's generations and its best member's lineage (see
 * summary_pbt.h). */
#define _POSIX_C_SOURCE 200809L
#include "summary_pbt.h"

#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "h5read.h"
#include "progress.h"
#include "summary_tables.h"
#include "replay.h"

/* What the account needs of sweep.h5: /pbt's settings and exploits, the best member. */
typedef struct {
    long long population, interval, generations;
    char *metric, *mode, **keys;
    int n_keys, exploits, decided, last_epoch; /* barriers decided, the latest one's epoch */
    char *best;        /* the best member's run id (NULL: none has a metric) */
    double best_value;
} pbt_index;

static void pbt_index_free(pbt_index *x)
{
    free(x->metric), free(x->mode), free(x->best);
    sw_h5_free_names(x->keys, x->n_keys);
    memset(x, 0, sizeof *x);
}

/* The member of /table with the best best_metric (by mode; the first of equals). */
static int best_member(hid_t f, pbt_index *x)
{
    char **ids = NULL;
    int n = 0;
    hid_t d = H5Dopen2(f, "table/run_id", H5P_DEFAULT);
    int rc = d < 0 ? SW_EFORMAT : sw_h5r_strs(d, 0, &ids, &n);
    if (d >= 0) H5Dclose(d);
    double *v = rc ? NULL : malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!rc && !v) rc = SW_ENOMEM;
    if (!rc) rc = sw_h5r_dset(f, "table/best_metric", H5T_NATIVE_DOUBLE, v, (size_t)n);
    int best = -1;
    bool max = x->mode && !strcmp(x->mode, "max");
    for (int i = 0; !rc && i < n; i++)
        if (!isnan(v[i]) && (best < 0 || (max ? v[i] > v[best] : v[i] < v[best]))) best = i;
    if (best >= 0 && !(x->best = strdup(ids[best]))) rc = SW_ENOMEM;
    if (best >= 0) x->best_value = v[best];
    free(v);
    sw_h5_free_names(ids, n);
    return rc;
}

static int read_pbt_index(const char *dir, pbt_index *x)
{
    memset(x, 0, sizeof *x);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sweep.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return SW_ENOTFOUND;
    int rc = H5Lexists(f, "pbt", H5P_DEFAULT) > 0 ? SW_OK : SW_ENOTFOUND;
    hid_t g = rc ? -1 : H5Gopen2(f, "pbt", H5P_DEFAULT);
    if (!rc && g < 0) rc = SW_EFORMAT;
    if (!rc) rc = sw_h5r_i64(g, "population", &x->population);
    if (!rc) rc = sw_h5r_i64(g, "interval", &x->interval);
    if (!rc) rc = sw_h5r_i64(g, "generations", &x->generations);
    if (!rc) rc = sw_h5r_str(g, "metric", &x->metric);
    if (!rc) rc = sw_h5r_str(g, "mode", &x->mode);
    hid_t a = rc ? -1 : H5Aopen(g, "keys", H5P_DEFAULT);
    if (!rc) rc = a < 0 ? SW_EFORMAT : sw_h5r_strs(a, 1, &x->keys, &x->n_keys);
    if (a >= 0) H5Aclose(a);
    hsize_t rows = 0;
    if (!rc && sw_h5r_dims(g, "donor", &rows, 1) != 1) rc = SW_EFORMAT;
    int *donor = rc ? NULL : malloc((size_t)(rows ? rows : 1) * sizeof *donor);
    if (!rc && !donor) rc = SW_ENOMEM;
    if (!rc) rc = sw_h5r_dset(g, "donor", H5T_NATIVE_INT, donor, (size_t)rows);
    for (hsize_t i = 0; !rc && i < rows; i++) x->exploits += donor[i] >= 0;
    free(donor);
    x->decided = x->population > 0 ? (int)(rows / (hsize_t)x->population) : 0;
    x->last_epoch = (int)(x->decided * x->interval);
    if (!rc) rc = best_member(f, x);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* The best member's /lineage as a table: generation, its epochs, whose state it continued
 * from, the metric there, and its values. */
static int lineage_table(const char *dir, const pbt_index *x, table *t)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.h5", dir, x->best);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return SW_EFORMAT;
    hsize_t n = 0;
    int rc = sw_h5r_dims(f, "lineage/generation", &n, 1) == 1 ? SW_OK : SW_EFORMAT;
    int *first = rc ? NULL : malloc((size_t)(n + 1) * sizeof *first);
    double *metric = rc ? NULL : malloc((size_t)(n + 1) * sizeof *metric), *v = NULL;
    char **donor = NULL;
    int n_donor = 0;
    if (!rc && (!first || !metric || !(v = malloc((size_t)(n + 1) * (size_t)(x->n_keys + 1) * sizeof *v)))) rc = SW_ENOMEM;
    if (!rc) rc = sw_h5r_dset(f, "lineage/first_epoch", H5T_NATIVE_INT, first, (size_t)n);
    if (!rc) rc = sw_h5r_dset(f, "lineage/metric", H5T_NATIVE_DOUBLE, metric, (size_t)n);
    hid_t d = rc ? -1 : H5Dopen2(f, "lineage/donor", H5P_DEFAULT);
    if (!rc) rc = d < 0 ? SW_EFORMAT : sw_h5r_strs(d, 0, &donor, &n_donor);
    if (d >= 0) H5Dclose(d);
    for (int k = 0; !rc && k < x->n_keys; k++) {
        char name[300];
        snprintf(name, sizeof name, "lineage/%s", x->keys[k]);
        rc = sw_h5r_dset(f, name, H5T_NATIVE_DOUBLE, v + (size_t)k * n, (size_t)n);
    }
    int acc = sw_metric_is_acc(x->metric);
    int c_g = sw_tab_col(t, "generation", "generation", 1, 0, IN_BOTH);
    int c_e = sw_tab_col(t, "epochs", "epochs", 0, 0, IN_BOTH);
    int c_from = sw_tab_col(t, "from", "continued from", 0, 0, IN_BOTH);
    int c_m = sw_tab_col(t, "metric", acc ? "its metric there %" : "its metric there", 1, 0, IN_BOTH);
    int c_k = t->ncols;
    for (int k = 0; k < x->n_keys; k++) sw_tab_col(t, x->keys[k], x->keys[k], 1, 0, IN_BOTH);
    for (hsize_t i = 0; !rc && i < n && (int)i < n_donor; i++) {
        int row = sw_tab_row(t);
        if (row < 0) break;
        char ep[48];
        hsize_t epochs = 0;
        int last = i + 1 < n ? first[i + 1] - 1 : sw_h5r_dims(f, "history/epoch", &epochs, 1) == 1 ? (int)epochs : -1;
        if (last > 0) snprintf(ep, sizeof ep, "%d-%d", first[i], last);
        else snprintf(ep, sizeof ep, "%d-", first[i]);
        sw_tab_int(t, row, c_g, (long long)i);
        sw_tab_set(t, row, c_e, ep, ep, NAN);
        sw_tab_set(t, row, c_from, donor[i][0] ? donor[i] : "itself", donor[i], NAN);
        if (i == 0) sw_tab_set(t, row, c_m, "-", "", NAN);
        else if (acc) sw_tab_num(t, row, c_m, "%.2f", sw_pct(metric[i]));
        else sw_tab_num(t, row, c_m, LOSS_FMT, metric[i]);
        for (int k = 0; k < x->n_keys; k++) sw_tab_num(t, row, c_k + k, "%.6g", v[(size_t)k * n + i]);
    }
    free(first), free(metric), free(v);
    sw_h5_free_names(donor, n_donor);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc ? rc : t->oom ? SW_ENOMEM : SW_OK;
}

/* Names the finished search's replay file (replay.h), whose name the sweep layer keeps: a
 * line after the text and markdown tables (a csv stays a table). */
static void print_replay_line(const char *dir, const char *best, sw_table_format format, FILE *out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, SW_PBT_REPLAY_NAME);
    if (format == SW_TABLE_CSV || access(path, R_OK)) return;
    fprintf(out, "\nThe best member's life as one run: %s (`sweep %s`; its header says whether it replays %s bit "
            "for bit; `sweep replay %s --member M` writes another member's).\n", path, path, best, dir);
}

void sw_summary_pbt_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag)
{
    pbt_index x;
    int rc = read_pbt_index(dir, &x);
    if (rc && rc != SW_ENOTFOUND && diag) fprintf(diag, "summarize: the pbt search left out: %s\n", sw_strerror(rc));
    if (rc == SW_OK && x.best) {
        table t;
        memset(&t, 0, sizeof t);
        if (lineage_table(dir, &x, &t) == SW_OK) {
            char note[1024], value[32];
            sw_format_metric(x.metric, x.best_value, value, sizeof value);
            snprintf(note, sizeof note, "pbt search%s%s: %lld members, %lld generations of %lld epochs, %d exploits so far "
                     "(sweep.h5 /pbt); the best member %s (%s %s at its best epoch) trained with these values, "
                     "continuing from these members' states (its file's /lineage)", named ? " in " : "",
                     named ? dir : "", x.population, x.generations, x.interval, x.exploits, x.best, x.metric, value);
            const char *notes[1] = {note};
            fputc('\n', out);
            sw_tab_print(&t, format, out, notes, 1, 0);
            print_replay_line(dir, x.best, format, out);
        } else if (diag) {
            fprintf(diag, "summarize: %s/%s.h5: its /lineage is unreadable; the pbt account left out\n", dir, x.best);
        }
        sw_tab_free(&t);
    }
    pbt_index_free(&x);
}

int sw_summary_pbt_line(const char *dir, char *out, size_t outlen)
{
    pbt_index x;
    int ok = read_pbt_index(dir, &x) == SW_OK;
    if (ok) {
        char value[32] = "";
        if (x.best) sw_format_metric(x.metric, x.best_value, value, sizeof value);
        int n = snprintf(out, outlen, "pbt search: %d of %lld barriers decided", x.decided, x.generations - 1);
        if (x.decided && n > 0 && (size_t)n < outlen)
            n += snprintf(out + n, outlen - (size_t)n, " (the latest at epoch %d)", x.last_epoch);
        if (n > 0 && (size_t)n < outlen)
            snprintf(out + n, outlen - (size_t)n, ", %d exploit%s (sweep.h5 /pbt; `sweep summarize` shows the best "
                     "member's lineage)", x.exploits, sw_plural(x.exploits));
    }
    pbt_index_free(&x);
    return ok;
}
