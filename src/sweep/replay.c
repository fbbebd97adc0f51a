/* replay.c: a pbt member's life as one run's config (see replay.h). */
#define _POSIX_C_SOURCE 200809L
#include "replay.h"

#include <ctype.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomicio.h"
#include "common.h"
#include "config.h"
#include "h5read.h"
#include "runfile.h"

/* The population of the pbt sweep in a directory, from its sweep.h5. */
typedef struct {
    char **ids; /* /table/run_id: member i is row i */
    int n;
    double *best_metric;
    bool max;   /* /pbt's mode: a higher metric is better */
} population;

static void population_free(population *p)
{
    sw_h5_free_names(p->ids, p->n);
    free(p->best_metric);
    memset(p, 0, sizeof *p);
}

static int read_population(const char *dir, population *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sweep.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = f >= 0 && H5Lexists(f, "pbt", H5P_DEFAULT) > 0 ? H5Gopen2(f, "pbt", H5P_DEFAULT) : -1;
    int rc = g >= 0 ? SW_OK : SW_ENOTFOUND;
    char *mode = NULL;
    if (!rc) rc = sw_h5r_str(g, "mode", &mode);
    hid_t d = rc ? -1 : H5Dopen2(f, "table/run_id", H5P_DEFAULT);
    if (!rc) rc = d < 0 ? SW_EFORMAT : sw_h5r_strs(d, 0, &p->ids, &p->n);
    if (d >= 0) H5Dclose(d);
    if (!rc && !(p->best_metric = malloc((size_t)(p->n ? p->n : 1) * sizeof *p->best_metric))) rc = SW_ENOMEM;
    if (!rc) rc = sw_h5r_dset(f, "table/best_metric", H5T_NATIVE_DOUBLE, p->best_metric, (size_t)p->n);
    p->max = mode && !strcmp(mode, "max");
    free(mode);
    if (g >= 0) H5Gclose(g);
    if (f >= 0) H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc == SW_ENOTFOUND)
        sw_set_error(err, errlen, "%s: not the output of a pbt search (no sweep.h5 with /pbt)", dir);
    else if (rc)
        sw_set_error(err, errlen, "%s: sweep.h5 is unreadable (sweep index %s rebuilds it)", dir, dir);
    return rc;
}

/* The member `which` names (an index, a run id, or NULL/"" for the best by the metric). */
static int pick_member(const population *p, const char *which, char *err, size_t errlen)
{
    if (!which || !*which) {
        int best = -1;
        for (int i = 0; i < p->n; i++) {
            double v = p->best_metric[i];
            if (!isnan(v) && (best < 0 || (p->max ? v > p->best_metric[best] : v < p->best_metric[best]))) best = i;
        }
        if (best < 0) sw_set_error(err, errlen, "no member has a metric yet");
        return best;
    }
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->ids[i], which)) return i;
    char *end;
    long m = strtol(which, &end, 10);
    if (isdigit((unsigned char)*which) && !*end && m < p->n) return (int)m;
    sw_set_error(err, errlen, "no member %s: members are 0 .. %d or their run ids (%s, ...)", which, p->n - 1,
                 p->n ? p->ids[0] : "none");
    return -1;
}

/* What one member's file says of its life. */
typedef struct {
    int generations;
    int *first_epoch;   /* (generations) */
    char **donor;       /* (generations) "": its own state */
    int epochs;         /* of history */
    double *lr;         /* (epochs) the rate each epoch trained with */
    double *values;     /* (n_keys, epochs) each key's value in each epoch */
} life;

static void life_free(life *l)
{
    free(l->first_epoch), free(l->lr), free(l->values);
    sw_h5_free_names(l->donor, l->generations);
    memset(l, 0, sizeof *l);
}

/* Member `id`'s life from DIR/<id>.h5: /lineage and /history (lr and the keys). */
static int read_life(const char *dir, const char *id, const char *const *keys, int n_keys, life *l, char *err,
                     size_t errlen)
{
    memset(l, 0, sizeof *l);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.h5", dir, id);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t g = 0, e = 0;
    int rc = f >= 0 && sw_h5r_dims(f, "lineage/first_epoch", &g, 1) == 1 && sw_h5r_dims(f, "history/lr", &e, 1) == 1
                 ? SW_OK : SW_EFORMAT;
    l->epochs = (int)e;
    if (!rc && (!(l->first_epoch = malloc((g + 1) * sizeof *l->first_epoch)) || !(l->lr = malloc((e + 1) * sizeof *l->lr)) ||
                !(l->values = malloc(((size_t)n_keys * e + 1) * sizeof *l->values))))
        rc = SW_ENOMEM;
    if (!rc) rc = sw_h5r_dset(f, "lineage/first_epoch", H5T_NATIVE_INT, l->first_epoch, g);
    if (!rc) rc = sw_h5r_dset(f, "history/lr", H5T_NATIVE_DOUBLE, l->lr, e);
    for (int k = 0; !rc && k < n_keys; k++) {
        char name[300];
        snprintf(name, sizeof name, "history/%s", keys[k]);
        rc = sw_h5r_dset(f, name, H5T_NATIVE_DOUBLE, &l->values[(size_t)k * e], e);
    }
    hid_t d = rc ? -1 : H5Dopen2(f, "lineage/donor", H5P_DEFAULT);
    int n_donor = 0;
    if (!rc) rc = d < 0 ? SW_EFORMAT : sw_h5r_strs(d, 0, &l->donor, &n_donor);
    l->generations = n_donor;
    if (!rc && n_donor != (int)g) rc = SW_EFORMAT;
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc) sw_set_error(err, errlen, "%s: %s", path, rc == SW_ENOMEM ? "out of memory" :
                         "not a pbt member's file (its /lineage or /history is missing or malformed)");
    return rc;
}

static int member_index(const population *p, const char *id)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->ids[i], id)) return i;
    return -1;
}

/* The per-epoch table rows of the keys the search changed: those with a /history column in
 * the member's file (train.lr is the schedule's table, from /history/lr, and not listed). */
static int changed_keys(const char *dir, const char *id, const sw_key_info **rows, const char **keys)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.h5", dir, id);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int n = 0;
    for (size_t i = 0; f >= 0 && i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        char name[300];
        if (k->type != SW_TYPE_FLOAT_LIST || !strcmp(k->per_epoch_of, "train.lr")) continue;
        snprintf(name, sizeof name, "history/%s", k->per_epoch_of);
        if (H5Lexists(f, "history", H5P_DEFAULT) > 0 && H5Lexists(f, name, H5P_DEFAULT) > 0)
            rows[n] = k, keys[n++] = k->per_epoch_of;
    }
    if (f >= 0) H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return n;
}

/* The chain of member m over its G generations: owner[k] the member whose state trained
 * generation k's epochs, lives[k] its life. */
static int read_chain(const char *dir, const population *p, int m, const char *const *keys, int n_keys, int G,
                      int *owner, life *lives, char *err, size_t errlen)
{
    owner[G - 1] = m;
    int rc = read_life(dir, p->ids[m], keys, n_keys, &lives[G - 1], err, errlen);
    for (int k = G - 1; !rc && k > 0; k--) {
        const char *donor = k < lives[k].generations ? lives[k].donor[k] : "";
        owner[k - 1] = donor[0] ? member_index(p, donor) : owner[k];
        if (owner[k - 1] < 0) {
            sw_set_error(err, errlen, "%s's donor %s at generation %d is not a member of this sweep", p->ids[owner[k]],
                         donor, k);
            return SW_EFORMAT;
        }
        rc = read_life(dir, p->ids[owner[k - 1]], keys, n_keys, &lives[k - 1], err, errlen);
    }
    return rc;
}

/* The config of one run that trains the chain: the member's config with the rate and every
 * changed key's value of each epoch taken from the link that trained that epoch. */
static int chain_config(sw_config *cfg, const population *p, const life *lives, const int *owner, int G,
                        const sw_key_info **rows, int n_keys, char *err, size_t errlen)
{
    int E = cfg->train.epochs;
    const int *first = lives[G - 1].first_epoch;
    double *col = malloc((size_t)E * (size_t)(n_keys + 1) * sizeof *col);
    if (!col) return SW_ENOMEM;
    int rc = SW_OK;
    for (int e = 1, k = 0; !rc && e <= E; e++) {
        while (k + 1 < G && e >= first[k + 1]) k++;
        if (lives[k].epochs < e) {
            sw_set_error(err, errlen, "%s's history ends at epoch %d, before epoch %d of the chain", p->ids[owner[k]],
                         lives[k].epochs, e);
            rc = SW_EFORMAT;
            break;
        }
        col[e - 1] = lives[k].lr[e - 1];
        for (int j = 0; j < n_keys; j++)
            col[(size_t)(j + 1) * E + e - 1] = lives[k].values[(size_t)j * lives[k].epochs + e - 1];
    }
    cfg->train.schedule.kind = SW_SCHED_TABLE;
    cfg->train.schedule.warmup = 0; /* the rates of /history include it */
    if (!rc) rc = sw_config_set_floats(cfg, sw_schema_find("train.schedule.values"), col, E, err, errlen);
    for (int j = 0; !rc && j < n_keys; j++) rc = sw_config_set_floats(cfg, rows[j], &col[(size_t)(j + 1) * E], E, err, errlen);
    free(col);
    return rc;
}

/* The replay's comment header: what it trains and how close it can come. */
static void write_header(FILE *f, const char *dir, const population *p, int m, const life *lives, const int *owner,
                         int G, const sw_config *cfg, bool changed)
{
    const int *first = lives[G - 1].first_epoch;
    fprintf(f, "# The life of pbt member %d (%s) of the sweep in %s, as one run: sweep THIS_FILE -o DIR.\n", m,
            p->ids[m], dir);
    fprintf(f, "# Written by `sweep replay`. Its seed, %lld, is that of the chain's first member, %s (the config's\n"
            "# seed + its index): the initial weights, data order and dropout draws are that member's.\n"
            "# schedule.values is the learning rate each epoch trained with (/history/lr of the member that\n"
            "# trained it), and each schedule.<key>_values the value of a key the search changed.\n#\n",
            (long long)cfg->seed, p->ids[owner[0]]);
    fprintf(f, "# Its chain of segments (whose state trained each generation's epochs):\n");
    for (int k = 0; k < G; k++)
        fprintf(f, "#   generation %d, epochs %d-%d: %s\n", k, first[k], k + 1 < G ? first[k + 1] - 1 : cfg->train.epochs,
                p->ids[owner[k]]);
    if (!changed)
        fprintf(f, "#\n# The chain never left %s: this run reproduces its file, final weights bit for bit.\n", p->ids[m]);
    else
        fprintf(f, "#\n# The chain passed through other members, so this run cannot reproduce %s bit for bit: it\n"
                "# trains the first member's epochs exactly, but from the first change of member on, the chain\n"
                "# went on from weights copied at a barrier with the receiving member's own data order and\n"
                "# dropout draws (its own seed), and one run keeps the first member's. It follows the chain's\n"
                "# values, not its weights (README, \"Population-based training\", says how close a replay came).\n",
                p->ids[m]);
}

/* The whole replay text (header, name, the config under base:) into a malloc'ed string. */
static char *replay_text(const char *dir, const population *p, int m, const life *lives, const int *owner, int G,
                         const sw_config *cfg, bool changed, size_t *len)
{
    char *yaml = sw_config_to_yaml(cfg), *text = NULL;
    FILE *f = yaml ? open_memstream(&text, len) : NULL;
    if (!f) {
        free(yaml);
        return NULL;
    }
    write_header(f, dir, p, m, lives, owner, G, cfg, changed);
    fprintf(f, "name: replay-%s\ndescription: pbt member %s's life as one run\nbase:\n", p->ids[m], p->ids[m]);
    for (const char *line = yaml; *line;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(f, "  %.*s\n", n, line);
        line += n + (nl != NULL);
    }
    bool bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    free(yaml);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* text to path atomically, or to stdout. */
static int put_text(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    if (!path) {
        fwrite(text, 1, len, stdout);
        return fflush(stdout) ? SW_EIO : SW_OK;
    }
    char dir[PATH_MAX], tmp[PATH_MAX + 160], owner[128];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? (slash == path ? "/" : path) : ".");
    sw_atomic_owner(owner, sizeof owner);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%s", dir, slash ? slash + 1 : path, owner);
    return sw_atomic_write(dir, path, tmp, text, len, err, errlen);
}

/* The seed of member `id` (its file's /config): a chain's first member's gave the initial
 * weights, and the data order and dropout draws up to its first change of member. */
static int first_member_seed(const char *dir, const char *id, int64_t *seed, char *err, size_t errlen)
{
    char path[PATH_MAX], why[PATH_MAX + 200];
    snprintf(path, sizeof path, "%s/%s.h5", dir, id);
    sw_run_file f;
    int rc = sw_h5_read_run(path, 0, &f, why, sizeof why);
    if (rc) sw_set_error(err, errlen, "%s", why);
    else *seed = f.config.seed;
    sw_run_file_free(&f);
    return rc ? SW_EFORMAT : SW_OK;
}

/* The member's replay config written, given its population and file. */
static int write_member(const char *dir, const population *p, int m, const sw_run_file *rf, const char *path,
                        sw_replay_info *info, char *err, size_t errlen)
{
    const sw_key_info *rows[32];
    const char *keys[32];
    int n_keys = changed_keys(dir, p->ids[m], rows, keys);
    life mine;
    int rc = read_life(dir, p->ids[m], keys, n_keys, &mine, err, errlen);
    int G = mine.generations;
    life_free(&mine);
    if (rc) return rc;
    life *lives = calloc((size_t)(G ? G : 1), sizeof *lives);
    int *owner = malloc((size_t)(G ? G : 1) * sizeof *owner);
    if (!lives || !owner) rc = SW_ENOMEM;
    if (!rc) rc = read_chain(dir, p, m, keys, n_keys, G, owner, lives, err, errlen);
    sw_config cfg = rf->config;
    if (!rc) rc = chain_config(&cfg, p, lives, owner, G, rows, n_keys, err, errlen);
    if (!rc && owner[0] != m) rc = first_member_seed(dir, p->ids[owner[0]], &cfg.seed, err, errlen);
    bool changed = false;
    for (int k = 0; !rc && k < G; k++) changed |= owner[k] != m;
    size_t len = 0;
    char *text = rc ? NULL : replay_text(dir, p, m, lives, owner, G, &cfg, changed, &len);
    if (!rc && !text) rc = SW_ENOMEM;
    if (!rc) rc = put_text(path, text, len, err, errlen);
    if (!rc && info) {
        snprintf(info->member_id, sizeof info->member_id, "%s", p->ids[m]);
        info->member = m, info->links = G, info->changed = changed;
    }
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    free(text);
    for (int k = 0; lives && k < G; k++) life_free(&lives[k]);
    free(lives);
    free(owner);
    return rc;
}

int sw_replay_write(const char *dir, const char *member, const char *path, sw_replay_info *info, char *err,
                    size_t errlen)
{
    population p;
    int rc = read_population(dir, &p, err, errlen);
    int m = rc ? -1 : pick_member(&p, member, err, errlen);
    if (!rc && m < 0) rc = SW_ENOTFOUND;
    sw_run_file rf;
    char file[PATH_MAX], why[PATH_MAX + 200];
    memset(&rf, 0, sizeof rf);
    if (!rc) {
        snprintf(file, sizeof file, "%s/%s.h5", dir, p.ids[m]);
        if (sw_h5_read_run(file, 0, &rf, why, sizeof why)) {
            sw_set_error(err, errlen, "%s", why);
            rc = SW_EFORMAT;
        } else if (rf.status != SW_RUN_DONE) {
            sw_set_error(err, errlen, "member %d (%s) is %s: only a member that trained to the end can be replayed",
                         m, p.ids[m], rf.status < SW_RUN_STATUS_COUNT ? sw_run_status_name(rf.status) : "unfinished");
            rc = SW_EFORMAT;
        }
    }
    if (!rc) rc = write_member(dir, &p, m, &rf, path, info, err, errlen);
    sw_run_file_free(&rf);
    population_free(&p);
    return rc;
}
