/* dryrun.c: `sweep CONFIG --dry-run`: the runs, their estimated cost, memory and file size,
 * the data files they share, the time, and early stopping's rungs (see dryrun.h). */
#include "dryrun.h"
#include "pbtrun.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"
#include "estimate.h"
#include "record.h"
#include "progress.h"
#include "speed.h"
#include "stopping.h"
#include "task.h"

/* --dry-run's account of early stopping: the rungs (per bracket), the epochs planned if no
 * run diverges against those of every run trained to the end. */
static void print_stop_plan(const sw_sweep_spec *spec, FILE *f)
{
    if (spec->stop.kind == SW_STOP_NONE) return;
    const char **ids = NULL;
    sw_stop_plan p;
    if (sw_sweep_spec_stop_plan(spec, &p, &ids)) {
        sw_stop_plan_free(&p);
        free(ids);
        return;
    }
    bool configs = sw_stop_plan_by_configurations(&p);
    fprintf(f, "\nearly stopping: %s on %s (%s is better), eta %d, min_epochs %d\n", sw_stop_kind_name(p.kind),
            sw_stop_metric_name(spec->stop.metric), p.mode == SW_METRIC_MAX ? "higher" : "lower", p.eta,
            p.min_epochs);
    if (configs)
        fprintf(f, "  by configuration: %d configurations of %d runs; the runs of one (they differ only in seed) "
                   "go on or stop together, by their mean\n", p.n_units, p.n_runs);
    int runs[SW_STOP_MAX_RUNGS], units[SW_STOP_MAX_RUNGS];
    for (int b = 0; b < p.n_brackets; b++) {
        sw_stop_plan_counts(&p, 0, b, runs, units);
        int first = sw_stop_bracket_first_rung(&p, b);
        if (p.n_brackets > 1 && configs)
            fprintf(f, "  bracket %d: %d configuration%s (%d runs), ", b, units[first], sw_plural(units[first]),
                    runs[first]);
        else if (p.n_brackets > 1)
            fprintf(f, "  bracket %d: %d run%s, ", b, runs[first], sw_plural(runs[first]));
        else
            fprintf(f, "  ");
        fprintf(f, "rungs at epochs");
        for (int k = first; k < p.n_rungs; k++) {
            fprintf(f, " %d", p.rung[k]);
            if (p.kind == SW_STOP_MEDIAN || k == p.n_rungs - 1) continue;
            if (configs) fprintf(f, " (%d: %d)", units[k], runs[k]);
            else fprintf(f, " (%d)", runs[k]);
        }
        fprintf(f, "%s\n", p.kind == SW_STOP_MEDIAN ? " (the end)"
                           : configs ? " (the end); (c: n): configurations and runs deciding there"
                                     : " (the end); (n): runs deciding there");
    }
    long long planned = sw_stop_planned_epochs(&p), full = (long long)p.n_runs * p.epochs;
    fprintf(f, "epochs planned: %s%lld of %lld (%.0f%%) if no run diverges%s\n",
            p.kind == SW_STOP_MEDIAN ? "at most " : "", planned, full, 100.0 * (double)planned / (double)full,
            p.kind == SW_STOP_MEDIAN ? " (median stops as the values fall)" : "");
    sw_stop_plan_free(&p);
    free(ids);
}

/* The data files and texts of the sweep's runs, each in memory once per process (data.h),
 * besides what each run needs (its "memory" column). */
static void print_shared_data(const sw_sweep_spec *spec, FILE *f)
{
    for (int i = 0; i < spec->n_runs; i++) {
        const sw_task_config *t = &spec->runs[i].cfg.task;
        if (!sw_task_reads_file(t->kind)) continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = sw_task_reads_file(spec->runs[j].cfg.task.kind) && !strcmp(spec->runs[j].cfg.task.path, t->path);
        char b[32];
        if (seen) continue;
        sw_format_bytes(sw_data_loaded_bytes(t->path), b, sizeof b);
        fprintf(f, "%s %s: %s in memory, once for every run of the process\n",
                t->kind == SW_TASK_TEXT ? "text" : "data", t->path, b);
    }
}

/* --dry-run's account of a tpe search: the points listed are its startup (or the rounds
 * known), the rounds after them are chosen from the results. */
static void print_rounds_plan(const sw_sweep_spec *spec, FILE *f)
{
    const sw_search_config *c = &spec->search;
    if (c->kind != SW_SEARCH_TPE) return;
    int later = spec->n_rounds - spec->rounds_known, first, last = 0;
    if (later > 0) last = sw_search_round_points(c, spec->n_rounds - 1, &first);
    int per_point = spec->n_points ? spec->n_runs / spec->n_points : 0;
    fprintf(f, "\ntpe search: %d points, seed %lld: the %d above are %s", c->samples, (long long)c->seed,
            spec->n_points, spec->rounds_known == 1 ? "its startup points (Sobol" : "its startup and chosen points (");
    fprintf(f, "%s)\n", spec->rounds_known == 1 && c->digital_shift ? ", digitally shifted" : "");
    if (later <= 0) return;
    if (later > 1 && last != c->batch)
        fprintf(f, "then %d rounds of %d and one of %d, chosen from the results", later - 1, c->batch, last);
    else
        fprintf(f, "then %d round%s of %d, chosen from the results", later, sw_plural(later), c->batch);
    int more = c->samples - spec->n_points;
    fprintf(f, " (TPE on %s, %s is better; %d points, %d runs more)\n", spec->search_metric.name,
            spec->search_metric.mode == SW_METRIC_MAX ? "higher" : "lower", more, more * per_point);
}

/* --dry-run's account of a pbt search: the members listed start from those values; the
 * barriers where the population is ranked, and how many exploit there. */
static void print_pbt_plan(const sw_sweep_spec *spec, FILE *f)
{
    const sw_search_config *c = &spec->search;
    if (c->kind != SW_SEARCH_PBT) return;
    int at[SW_PBT_MAX_GENERATIONS + 1];
    int n = sw_pbt_barriers(spec->stop_epochs, c->interval, at);
    sw_pbt_setup s;
    sw_pbt_setup_of(spec, &s);
    fprintf(f, "\npbt search: %d members, seed %lld: the values above are where they start (member m trains with "
            "seed + m)\n", spec->n_runs, (long long)c->seed);
    fprintf(f, "%d generation%s: barriers at epoch%s", n, sw_plural(n), n > 2 ? "s" : "");
    for (int g = 0; g + 1 < n && g < 12; g++) fprintf(f, "%s %d", g ? "," : "", at[g]);
    if (n > 13) fprintf(f, ", ...");
    if (n == 1) fprintf(f, " none (interval %d = train.epochs)", c->interval);
    fprintf(f, "; at each the bottom %d by %s (%s is better) take the state of one of the top %d and perturb "
            "their values (factors %s, resample %g)\n", sw_pbt_quota(&s), sw_stop_metric_name(spec->stop.metric),
            spec->stop_mode == SW_METRIC_MAX ? "higher" : "lower", sw_pbt_quota(&s), c->factors, c->resample);
}

void sw_sweep_print_plan(const sw_sweep_spec *spec, int threads, const char *dir, FILE *f)
{
    double total = 0, longest = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        total += spec->runs[i].cost;
        if (spec->runs[i].cost > longest) longest = spec->runs[i].cost;
    }
    fprintf(f, "sweep %s: %d run%s", spec->name, spec->n_runs, sw_plural(spec->n_runs));
    if (spec->n_swept) {
        fprintf(f, " over ");
        for (int j = 0; j < spec->n_swept; j++) fprintf(f, "%s%s", j ? ", " : "", spec->swept_keys[j]);
    }
    fprintf(f, "\noutput: %s (nothing is written by --dry-run)\n\n", dir);
    size_t idw = 6;
    for (int i = 0; i < spec->n_runs; i++)
        if (strlen(spec->runs[i].id) > idw) idw = strlen(spec->runs[i].id);
    fprintf(f, "%5s  %-*s", "#", (int)idw, "run id");
    int *w = calloc((size_t)(spec->n_swept ? spec->n_swept : 1), sizeof *w);
    for (int j = 0; w && j < spec->n_swept; j++) {
        w[j] = (int)strlen(spec->swept_short[j]);
        for (int i = 0; i < spec->n_runs; i++)
            if ((int)strlen(spec->runs[i].values[j]) > w[j]) w[j] = (int)strlen(spec->runs[i].values[j]);
        fprintf(f, "  %*s", w[j], spec->swept_short[j]);
    }
    fprintf(f, "  %10s  %10s  %10s\n", "est. GFLOP", "memory", "file");
    for (int i = 0; i < spec->n_runs; i++) {
        fprintf(f, "%5d  %-*s", i + 1, (int)idw, spec->runs[i].id);
        for (int j = 0; w && j < spec->n_swept; j++) fprintf(f, "  %*s", w[j], spec->runs[i].values[j]);
        char mem[32], bytes[32];
        sw_format_bytes_up(sw_config_memory_bytes(&spec->runs[i].cfg), mem, sizeof mem);
        sw_format_bytes(sw_record_file_bytes(&spec->runs[i].cfg), bytes, sizeof bytes);
        fprintf(f, "  %10.1f  %10s  %10s\n", spec->runs[i].cost / 1e9, mem, bytes);
    }
    free(w);
    print_shared_data(spec, f);
    int t = threads < spec->n_runs ? threads : spec->n_runs;
    sw_speed speed;
    sw_speed_measure(spec, dir, &speed);
    double seconds = total / speed.flops_per_second / t;
    double floor_s = longest / speed.flops_per_second;
    if (seconds < floor_s) seconds = floor_s;
    char d[32], how[512];
    if (seconds < 9.95) /* a whole-second figure would say "0s" for most single runs */
        snprintf(d, sizeof d, "%.1fs", seconds);
    else
        sw_format_duration(seconds, d, sizeof d);
    sw_speed_describe(&speed, spec, dir, how, sizeof how);
    fprintf(f, "\ntotal: %d run%s, %.1f GFLOP; roughly %s on %d thread%s\n(%s)\n", spec->n_runs,
            sw_plural(spec->n_runs), total / 1e9, d, t, sw_plural(t), how);
    print_rounds_plan(spec, f);
    print_pbt_plan(spec, f);
    print_stop_plan(spec, f);
}
