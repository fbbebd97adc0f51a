/* stopping.c: the stop keys, the rungs, hyperband's brackets and the rules (stopping.h). */
#include "stopping.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- keys ---------------------------------------------------------------------------- */

static const char *const stop_kinds[] = {"none", "sha", "hyperband", "median", NULL};
_Static_assert(SW_ARRAY_LEN(stop_kinds) == SW_STOP_KIND_COUNT + 1, "stop kinds");
static const char *const stop_metrics[] = {"auto", "val_acc", "val_loss", "test_acc", "test_loss", "train_acc",
                                           "train_loss", NULL};
_Static_assert(SW_ARRAY_LEN(stop_metrics) == SW_STOP_METRIC_COUNT + 1, "stop metrics");
static const char *const stop_bys[] = {"configuration", "run", NULL};
_Static_assert(SW_ARRAY_LEN(stop_bys) == SW_STOP_BY_COUNT + 1, "stop.by values");
_Static_assert(sizeof(sw_stop_kind) == sizeof(int) && sizeof(sw_stop_metric) == sizeof(int) &&
               sizeof(sw_stop_by) == sizeof(int), "enum size");

#define TOFF(field) offsetof(sw_stop_config, field)

/* Columns as config.c's schema: key, type, offset, choices, range, default, meaning. */
const sw_key_info sw_stop_keys[] = {
    {.key = "stop.kind", .type = SW_TYPE_ENUM, .offset = TOFF(kind), .choices = stop_kinds, .default_text = "none",
     .doc = "early stopping at rung barriers: none; sha: successive halving; hyperband: its brackets over the "
            "runs; median: the median stopping rule. Decisions depend on the recorded metric alone"},
    {.key = "stop.metric", .type = SW_TYPE_ENUM, .offset = TOFF(metric), .choices = stop_metrics,
     .default_text = "auto",
     .doc = "the /history column the rule reads (auto: the runs' selection metric: val_acc with task.val_size, "
            "else test_acc; regressions the loss); accuracies higher, losses lower is better"},
    {.key = "stop.eta", .type = SW_TYPE_INT, .offset = TOFF(eta), .min = 2, .max = 1000, .default_text = "3",
     .doc = "reduction factor: rungs at min_epochs * eta^k; sha and hyperband keep the best 1/eta at each rung"},
    {.key = "stop.min_epochs", .type = SW_TYPE_INT, .offset = TOFF(min_epochs), .min = 1, .max = 1000000,
     .default_text = "1", .doc = "epoch of the first rung (below train.epochs)"},
    {.key = "stop.by", .type = SW_TYPE_ENUM, .offset = TOFF(by), .choices = stop_bys,
     .default_text = "configuration",
     .doc = "what the rule ranks: configuration: the runs differing only in seed together, by their mean metric "
            "(all promoted or stopped together); run: every run on its own. Alike without a swept seed"},
};
const size_t sw_stop_keys_len = SW_ARRAY_LEN(sw_stop_keys);

const sw_key_info *sw_stop_key_find(const char *name)
{
    for (size_t i = 0; i < sw_stop_keys_len; i++) {
        const char *k = sw_stop_keys[i].key;
        if (!strcmp(name, k) || !strcmp(name, k + strlen("stop."))) return &sw_stop_keys[i];
    }
    return NULL;
}

void sw_stop_defaults(sw_stop_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sw_stop_keys_len; i++) {
        int rc = sw_stop_set(c, &sw_stop_keys[i], sw_stop_keys[i].default_text, false, NULL, 0);
        SW_ASSERT(rc == SW_OK);
    }
}

int sw_stop_set(sw_stop_config *c, const sw_key_info *k, const char *text, bool quoted, char *err, size_t errlen)
{
    return sw_key_set(c, k, text, quoted, err, errlen);
}

const char *sw_stop_kind_name(sw_stop_kind kind)
{
    return (unsigned)kind < SW_STOP_KIND_COUNT ? stop_kinds[kind] : "unknown";
}

const char *sw_stop_metric_name(sw_stop_metric metric)
{
    return (unsigned)metric < SW_STOP_METRIC_COUNT ? stop_metrics[metric] : "unknown";
}

const char *sw_stop_by_name(sw_stop_by by)
{
    return (unsigned)by < SW_STOP_BY_COUNT ? stop_bys[by] : "unknown";
}

int sw_stop_resolve_metric(const sw_stop_config *c, const sw_config *cfg, sw_stop_metric *metric,
                           sw_metric_mode *mode, char *err, size_t errlen)
{
    sw_stop_metric m = c->metric;
    if (m == SW_STOP_METRIC_AUTO) {
        const char *name = sw_task_metric_of(&cfg->task).name;
        for (int i = 1; i < SW_STOP_METRIC_COUNT; i++)
            if (!strcmp(name, stop_metrics[i])) m = (sw_stop_metric)i;
        SW_ASSERT(m != SW_STOP_METRIC_AUTO);
    }
    const char *name = stop_metrics[m];
    bool val = !strncmp(name, "val_", 4), test = !strncmp(name, "test_", 5), acc = strstr(name, "_acc") != NULL;
    if (acc && sw_task_layout_of(&cfg->task).target == SW_TARGET_VALUE_LAST) {
        sw_set_error(err, errlen, "stop.metric: %s is not recorded by task %s (a regression has no accuracy); use "
                     "%.*s_loss", name, sw_task_name(cfg->task.kind), (int)(strchr(name, '_') - name), name);
        return SW_ECONFIG;
    }
    if (val && cfg->task.val_size == 0) {
        sw_set_error(err, errlen, "stop.metric: %s is not recorded without a validation set; set task.val_size > 0 "
                     "(e.g. base: {task: {val_size: 1000}})", name);
        return SW_ECONFIG;
    }
    if (test && cfg->task.val_size > 0) {
        sw_set_error(err, errlen, "stop.metric: %s would select runs by the test set, though task.val_size %d gives "
                     "a validation set; use val_%s", name, cfg->task.val_size, name + 5);
        return SW_ECONFIG;
    }
    *metric = m;
    *mode = acc ? SW_METRIC_MAX : SW_METRIC_MIN;
    return SW_OK;
}

void sw_stop_print_keys(FILE *f)
{
    fprintf(f, "\nstop: (early stopping; see docs/config.md)\n");
    for (size_t i = 0; i < sw_stop_keys_len; i++) sw_key_print_row(f, &sw_stop_keys[i]);
}

/* ---- rungs and brackets ------------------------------------------------------------ */

int sw_stop_rungs(int min_epochs, int eta, int epochs, int *rung)
{
    int n = 0;
    for (long long r = min_epochs; r < epochs && n < SW_STOP_MAX_RUNGS - 1; r *= eta) rung[n++] = (int)r;
    rung[n++] = epochs;
    return n;
}

int sw_stop_bracket_first_rung(const sw_stop_plan *p, int b)
{
    return p->kind == SW_STOP_HYPERBAND ? b : 0;
}

/* Hyperband's bracket sizes for n runs: shares proportional to n_s = ceil((K+1)/(s+1) *
 * eta^s), s = K - b, by largest remainders (ties to the lower bracket). */
static void bracket_counts(int K, int eta, int n, long long *count)
{
    SW_ASSERT(K >= 0 && K < SW_STOP_MAX_RUNGS);
    long long w[SW_STOP_MAX_RUNGS], total = 0;
    for (int b = 0; b <= K; b++) {
        int s = K - b;
        long long pw = 1;
        for (int j = 0; j < s; j++) pw *= eta;
        w[b] = ((long long)(K + 1) * pw + s) / (s + 1); /* ceil((K+1) * eta^s / (s+1)) */
        total += w[b];
    }
    long long given = 0;
    bool extra[SW_STOP_MAX_RUNGS] = {false};
    for (int b = 0; b <= K; b++) given += count[b] = (long long)n * w[b] / total;
    for (; given < n; given++) { /* one more run each to the largest remainders, lowest b first */
        int best = -1;
        long long best_rem = -1;
        for (int b = 0; b <= K; b++) {
            long long rem = (long long)n * w[b] % total;
            if (!extra[b] && rem > best_rem) best_rem = rem, best = b;
        }
        count[best]++;
        extra[best] = true;
    }
}

/* Sets p->unit, unit_id and unit_size from p->config (by configuration) or the runs.
 * Returns SW_OK, SW_EINVAL (configurations not numbered from 0 in order of first run) or
 * SW_ENOMEM. */
static int plan_units(sw_stop_plan *p)
{
    size_t n = (size_t)(p->n_runs ? p->n_runs : 1);
    p->unit = malloc(n * sizeof *p->unit);
    p->unit_id = calloc(n, sizeof *p->unit_id);
    p->unit_size = calloc(n, sizeof *p->unit_size);
    if (!p->unit || !p->unit_id || !p->unit_size) return SW_ENOMEM;
    p->n_units = 0;
    for (int i = 0; i < p->n_runs; i++) {
        int u = p->by == SW_STOP_BY_CONFIGURATION ? p->config[i] : i;
        if (u < 0 || u > p->n_units) return SW_EINVAL;
        if (u == p->n_units) p->n_units++;
        p->unit[i] = u;
        p->unit_size[u]++;
        if (!p->unit_id[u] || strcmp(p->ids[i], p->unit_id[u]) < 0) p->unit_id[u] = p->ids[i];
    }
    return SW_OK;
}

/* Run i's group. */
static int group_of(const sw_stop_plan *p, int i)
{
    return p->group ? p->group[i] : 0;
}

/* Hyperband: each group's units (in order of their first runs) into brackets, each
 * bracket's share by bracket_counts; every run in its unit's bracket. Others: bracket 0. */
static int assign_brackets(sw_stop_plan *p)
{
    if (p->n_brackets == 1) return SW_OK;
    int *of_unit = malloc((size_t)(p->n_units ? p->n_units : 1) * sizeof *of_unit);
    int *unit_group = malloc((size_t)(p->n_units ? p->n_units : 1) * sizeof *unit_group);
    if (!of_unit || !unit_group) {
        free(of_unit), free(unit_group);
        return SW_ENOMEM;
    }
    for (int i = 0; i < p->n_runs; i++) unit_group[p->unit[i]] = group_of(p, i);
    for (int g = 0; g < p->n_groups; g++) {
        int n = 0;
        for (int u = 0; u < p->n_units; u++) n += unit_group[u] == g;
        long long count[SW_STOP_MAX_RUNGS] = {0}, assigned[SW_STOP_MAX_RUNGS] = {0};
        bracket_counts(p->n_brackets - 1, p->eta, n, count);
        for (int u = 0; u < p->n_units; u++) {
            if (unit_group[u] != g) continue;
            /* the bracket whose (2 * assigned + 1) / count is smallest: the most behind its share */
            int best = -1;
            for (int b = 0; b < p->n_brackets; b++) {
                if (assigned[b] >= count[b]) continue;
                if (best < 0 || (2 * assigned[b] + 1) * count[best] < (2 * assigned[best] + 1) * count[b]) best = b;
            }
            SW_ASSERT(best >= 0);
            of_unit[u] = best;
            assigned[best]++;
        }
    }
    for (int i = 0; i < p->n_runs; i++) p->bracket[i] = of_unit[p->unit[i]];
    free(of_unit);
    free(unit_group);
    return SW_OK;
}

int sw_stop_plan_init(sw_stop_plan *p, sw_stop_kind kind, sw_metric_mode mode, sw_stop_by by, int eta,
                      int min_epochs, int epochs, int n_runs, const char *const *ids, const int *config)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->mode = mode;
    p->by = by;
    p->eta = eta;
    p->min_epochs = min_epochs;
    p->epochs = epochs;
    p->n_runs = n_runs;
    p->ids = ids;
    p->n_rungs = sw_stop_rungs(min_epochs, eta, epochs, p->rung);
    p->n_brackets = kind == SW_STOP_HYPERBAND ? p->n_rungs : 1;
    size_t n = (size_t)(n_runs ? n_runs : 1);
    p->bracket = calloc(n, sizeof *p->bracket);
    p->config = malloc(n * sizeof *p->config);
    if (!p->bracket || !p->config) return SW_ENOMEM;
    for (int i = 0; i < n_runs; i++) p->config[i] = config ? config[i] : i;
    p->n_groups = 1;
    int rc = plan_units(p);
    return rc ? rc : assign_brackets(p);
}

int sw_stop_plan_set_groups(sw_stop_plan *p, const int *group)
{
    free(p->group);
    p->group = malloc((size_t)(p->n_runs ? p->n_runs : 1) * sizeof *p->group);
    if (!p->group) return SW_ENOMEM;
    int *unit_group = malloc((size_t)(p->n_units ? p->n_units : 1) * sizeof *unit_group);
    if (!unit_group) return SW_ENOMEM;
    for (int u = 0; u < p->n_units; u++) unit_group[u] = -1;
    p->n_groups = 1;
    int rc = SW_OK;
    for (int i = 0; i < p->n_runs && !rc; i++) {
        int g = group[i], u = p->unit[i];
        if (g < 0 || (i > 0 && g < group[i - 1]) || (unit_group[u] >= 0 && unit_group[u] != g)) rc = SW_EINVAL;
        unit_group[u] = g;
        p->group[i] = g;
        if (g + 1 > p->n_groups) p->n_groups = g + 1;
    }
    free(unit_group);
    return rc ? rc : assign_brackets(p);
}

void sw_stop_plan_free(sw_stop_plan *p)
{
    if (!p) return;
    free(p->bracket);
    free(p->config);
    free(p->unit);
    free(p->unit_id);
    free(p->unit_size);
    free(p->group);
    p->bracket = p->config = p->unit = p->unit_size = p->group = NULL;
    p->unit_id = NULL;
}

void sw_stop_plan_counts(const sw_stop_plan *p, int g, int b, int *runs, int *units)
{
    long long n_runs = 0, n_units = 0;
    /* units are numbered in the order of their first runs: run i opens unit `next` */
    for (int i = 0, next = 0; i < p->n_runs; i++) {
        bool first = p->unit[i] == next;
        next += first;
        if (p->bracket[i] != b || group_of(p, i) != g) continue;
        n_runs++;
        n_units += first;
    }
    int first = sw_stop_bracket_first_rung(p, b);
    long long u = n_units;
    for (int k = 0; k < p->n_rungs; k++) {
        if (k < first) {
            runs[k] = units[k] = 0;
            continue;
        }
        units[k] = (int)u;
        /* equal shares of the bracket's runs (exact when every unit has as many runs) */
        runs[k] = n_units ? (int)((u * n_runs + n_units / 2) / n_units) : 0;
        if (p->kind != SW_STOP_MEDIAN) u = u / p->eta > 1 ? u / p->eta : (u > 0 ? 1 : 0);
    }
}

long long sw_stop_planned_epochs(const sw_stop_plan *p)
{
    long long total = 0;
    int runs[SW_STOP_MAX_RUNGS], units[SW_STOP_MAX_RUNGS];
    for (int g = 0; g < p->n_groups; g++)
        for (int b = 0; b < p->n_brackets; b++) {
            sw_stop_plan_counts(p, g, b, runs, units);
            int prev = 0;
            for (int k = sw_stop_bracket_first_rung(p, b); k < p->n_rungs; k++) {
                total += (long long)runs[k] * (p->rung[k] - prev);
                prev = p->rung[k];
            }
        }
    return total;
}

/* ---- evaluation ---------------------------------------------------------------------- */

/* a better than b in direction `mode`; NaN is worse than any number. */
static bool better(double a, double b, sw_metric_mode mode)
{
    if (isnan(a)) return false;
    if (isnan(b)) return true;
    return mode == SW_METRIC_MAX ? a > b : a < b;
}

/* One unit (a configuration, or a run) at a rung: its value there (median: its best so
 * far), for sorting. */
typedef struct {
    const char *id; /* the unit's id (ties) */
    int unit;
    double v;
    sw_metric_mode mode;
    bool keep;
} candidate;

/* Better value first, then the smaller id. */
static int by_value_then_id(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    if (better(a->v, b->v, a->mode)) return -1;
    if (better(b->v, a->v, a->mode)) return 1;
    return strcmp(a->id, b->id);
}

static int by_value(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    return better(a->v, b->v, a->mode) ? -1 : better(b->v, a->v, a->mode) ? 1 : 0;
}

/* A decision row being made: the run, by id. */
typedef struct {
    const char *id;
    int run;
} member;

static int member_by_id(const void *x, const void *y)
{
    return strcmp(((const member *)x)->id, ((const member *)y)->id);
}

/* A unit's curve over epochs 1..r: the mean of its runs' values epoch by epoch (runs[0..n)
 * in grid order, so that the sums are the same in every process); its value at r, its
 * best of epochs 1..r and the mean of those. All NaN when a run does not reach r. A unit of
 * one run has that run's values exactly. */
static void unit_curve(const sw_stop_run_state *st, const int *runs, int n, int r, sw_metric_mode mode, double *at,
                       double *best, double *mean)
{
    *at = *best = *mean = NAN;
    for (int j = 0; j < n; j++)
        if (st[runs[j]].epochs < r || !st[runs[j]].values) return;
    double sum = 0;
    for (int e = 0; e < r; e++) {
        double s = st[runs[0]].values[e];
        for (int j = 1; j < n; j++) s += st[runs[j]].values[e];
        double m = n > 1 ? s / n : s;
        if (better(m, *best, mode)) *best = m;
        sum += m;
        if (e == r - 1) *at = m;
    }
    *mean = sum / r;
}

/* The median of c[0..n) (n >= 1, sorted here by value): the middle value, or the mean of
 * the two middle ones; NaN when one of them is NaN. */
static double median_of(candidate *c, int n)
{
    qsort(c, (size_t)n, sizeof *c, by_value);
    return n % 2 ? c[n / 2].v : (c[n / 2 - 1].v + c[n / 2].v) / 2;
}

/* The runs of every unit in grid order: runs[start[u] .. start[u + 1]) (arrays malloc'ed,
 * the caller's). Returns SW_OK or SW_ENOMEM. */
static int unit_runs(const sw_stop_plan *p, int **start_out, int **runs_out)
{
    int *start = calloc((size_t)p->n_units + 1, sizeof *start);
    int *runs = malloc((size_t)(p->n_runs ? p->n_runs : 1) * sizeof *runs);
    int *fill = calloc((size_t)(p->n_units ? p->n_units : 1), sizeof *fill);
    if (!start || !runs || !fill) {
        free(start), free(runs), free(fill);
        return SW_ENOMEM;
    }
    for (int u = 0; u < p->n_units; u++) start[u + 1] = start[u] + p->unit_size[u];
    for (int i = 0; i < p->n_runs; i++) runs[start[p->unit[i]] + fill[p->unit[i]]++] = i;
    free(fill);
    *start_out = start;
    *runs_out = runs;
    return SW_OK;
}

/* The rule over the units c[0..m) (values set; median: avg[] their curves' means): sets
 * c[].keep. Reorders c. */
static void apply_rule(const sw_stop_plan *p, candidate *c, const double *avg, candidate *others, int m)
{
    if (p->kind == SW_STOP_MEDIAN) {
        for (int i = 0; i < m; i++) {
            int o = 0;
            for (int j = 0; j < m; j++)
                if (j != i) others[o++] = (candidate){NULL, 0, avg[j], p->mode, false};
            double med = o ? median_of(others, o) : NAN;
            c[i].keep = !isnan(c[i].v) && !better(med, c[i].v, p->mode);
        }
    } else {
        qsort(c, (size_t)m, sizeof *c, by_value_then_id);
        int quota = m / p->eta > 1 ? m / p->eta : 1;
        for (int i = 0; i < quota; i++) c[i].keep = !isnan(c[i].v);
    }
}

/* Decides rung k of bracket b over members[0..n) (whole units): rows appended to out (by
 * run id), the promoted runs written back into members (by run id). Returns their count
 * or SW_ENOMEM. */
static int decide(const sw_stop_plan *p, const sw_stop_run_state *st, const int *start, const int *runs, int b,
                  int k, int *members, int n, sw_stop_outcome *out)
{
    int r = p->rung[k], m = 0, kept = SW_ENOMEM;
    candidate *c = malloc((size_t)n * sizeof *c), *others = malloc((size_t)n * sizeof *others);
    double *avg = malloc((size_t)n * sizeof *avg);
    int *slot = malloc((size_t)(p->n_units ? p->n_units : 1) * sizeof *slot);
    member *rows = malloc((size_t)n * sizeof *rows);
    sw_stop_decision *grown = realloc(out->decisions, (size_t)(out->n_decisions + n) * sizeof *grown);
    if (grown) out->decisions = grown;
    if (!c || !others || !avg || !slot || !rows || !grown) goto done;
    for (int u = 0; u < p->n_units; u++) slot[u] = -1;
    for (int i = 0; i < n; i++) {
        int u = p->unit[members[i]];
        if (slot[u] >= 0) continue;
        double at, best;
        c[m] = (candidate){p->unit_id[u], u, NAN, p->mode, false};
        unit_curve(st, runs + start[u], start[u + 1] - start[u], r, p->mode, &at, &best, &avg[m]);
        c[m].v = p->kind == SW_STOP_MEDIAN ? best : at;
        slot[u] = m++;
    }
    apply_rule(p, c, avg, others, m);
    double cutoff = NAN;
    for (int i = 0; i < m; i++) {
        if (c[i].keep && (isnan(cutoff) || better(cutoff, c[i].v, p->mode))) cutoff = c[i].v;
        slot[c[i].unit] = i; /* apply_rule reordered c */
    }
    for (int i = 0; i < n; i++) rows[i] = (member){p->ids[members[i]], members[i]};
    qsort(rows, (size_t)n, sizeof *rows, member_by_id);
    kept = 0;
    for (int i = 0; i < n; i++) {
        int run = rows[i].run;
        const candidate *u = &c[slot[p->unit[run]]];
        double own, best, mean;
        unit_curve(st, &run, 1, r, p->mode, &own, &best, &mean);
        out->decisions[out->n_decisions++] = (sw_stop_decision){b, k, r, run, u->v, cutoff, u->keep, p->config[run],
                                                                p->kind == SW_STOP_MEDIAN ? best : own,
                                                                group_of(p, run)};
        if (u->keep) members[kept++] = run;
    }
done:
    free(c);
    free(others);
    free(avg);
    free(slot);
    free(rows);
    return kept;
}

void sw_stop_outcome_free(sw_stop_outcome *out)
{
    if (!out) return;
    free(out->decisions);
    free(out->jobs);
    free(out->fate);
    memset(out, 0, sizeof *out);
}

int sw_stop_evaluate(const sw_stop_plan *p, const sw_stop_run_state *st, sw_stop_outcome *out)
{
    sw_stop_outcome_free(out);
    size_t n = (size_t)(p->n_runs ? p->n_runs : 1);
    out->jobs = malloc(n * sizeof *out->jobs);
    out->fate = malloc(n * sizeof *out->fate);
    int *members = malloc(n * sizeof *members), *start = NULL, *runs = NULL;
    if (!out->jobs || !out->fate || !members || unit_runs(p, &start, &runs)) {
        free(members);
        return SW_ENOMEM;
    }
    for (int i = 0; i < p->n_runs; i++) out->fate[i] = st[i].final ? SW_FATE_FINAL : SW_FATE_OPEN;
    for (int gb = 0; gb < p->n_groups * p->n_brackets; gb++) {
        int g = gb / p->n_brackets, b = gb % p->n_brackets, m = 0;
        for (int i = 0; i < p->n_runs; i++)
            if (p->bracket[i] == b && group_of(p, i) == g) members[m++] = i;
        for (int k = sw_stop_bracket_first_rung(p, b); k < p->n_rungs && m > 0; k++) {
            int r = p->rung[k], waiting = 0;
            for (int j = 0; j < m; j++) {
                const sw_stop_run_state *s = &st[members[j]];
                if (s->final || s->epochs >= r) continue;
                out->jobs[out->n_jobs++] = (sw_stop_job){members[j], r, b, k};
                waiting++;
            }
            if (waiting || k == p->n_rungs - 1) break; /* the barrier; the last rung decides nothing */
            int kept = decide(p, st, start, runs, b, k, members, m, out);
            if (kept < 0) {
                free(members), free(start), free(runs);
                return kept;
            }
            /* the runs not kept stop here (unless their file is done or diverged) */
            for (int d = out->n_decisions - m; d < out->n_decisions; d++)
                if (!out->decisions[d].promoted && !st[out->decisions[d].run].final)
                    out->fate[out->decisions[d].run] = SW_FATE_STOPPED;
            m = kept;
        }
    }
    free(members), free(start), free(runs);
    return SW_OK;
}

/* True when the plan decides about configurations of several runs. */
bool sw_stop_plan_by_configurations(const sw_stop_plan *p)
{
    return p->by == SW_STOP_BY_CONFIGURATION && p->n_units < p->n_runs;
}
