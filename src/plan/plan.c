/* plan.c: what a plan owns (see plan.h). */
#define _POSIX_C_SOURCE 200809L
#include "plan.h"
#include "pbt.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

void sw_sweep_spec_free(sw_sweep_spec *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_runs; i++) {
        free(s->runs[i].id);
        if (s->runs[i].values)
            for (int j = 0; j < s->n_swept; j++) free(s->runs[i].values[j]);
        free(s->runs[i].values);
    }
    free(s->runs);
    for (int j = 0; j < s->n_swept; j++) {
        free(s->swept_keys[j]);
        if (s->swept_short) free(s->swept_short[j]);
    }
    free(s->swept_keys);
    free(s->swept_short);
    for (int j = 0; j < s->n_warnings; j++) free(s->warnings[j]);
    free(s->warnings);
    for (int k = 0; s->points && k < s->n_points; k++) free(s->points[k].values);
    free(s->points);
    for (int d = 0; s->pbt_choice && d < s->n_dims; d++) {
        for (int v = 0; s->pbt_choice[d] && v < s->space[d].n_choices; v++) free(s->pbt_choice[d][v]);
        free(s->pbt_choice[d]);
    }
    free(s->pbt_choice);
    free(s->pbt_key);
    free(s->space);
    free(s->space_sobol_dim);
    free(s->name);
    free(s->description);
    free(s->path);
    free(s->text);
    free(s);
}

int sw_sweep_spec_warn(sw_sweep_spec *s, const char *text)
{
    char **w = realloc(s->warnings, (size_t)(s->n_warnings + 1) * sizeof *w);
    if (!w) return SW_ENOMEM;
    s->warnings = w;
    if (!(s->warnings[s->n_warnings] = strdup(text))) return SW_ENOMEM;
    s->n_warnings++;
    return SW_OK;
}

int sw_dup_string(char **dst, const char *src)
{
    *dst = strdup(src ? src : "");
    return *dst ? SW_OK : SW_ENOMEM;
}

/* The ids of spec's runs as an array (for stopping.h's ties); NULL when out of memory. */
const char **sw_sweep_spec_ids(const sw_sweep_spec *spec)
{
    const char **ids = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *ids);
    for (int i = 0; ids && i < spec->n_runs; i++) ids[i] = spec->runs[i].id;
    return ids;
}

/* Early stopping's plan of spec (plan.h). */
int sw_sweep_spec_stop_plan(const sw_sweep_spec *spec, sw_stop_plan *p, const char ***ids)
{
    memset(p, 0, sizeof *p);
    int *configs = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *configs);
    *ids = sw_sweep_spec_ids(spec);
    int rc = SW_ENOMEM;
    if (configs && *ids) {
        for (int i = 0; i < spec->n_runs; i++) configs[i] = spec->runs[i].config;
        bool pbt = spec->search.kind == SW_SEARCH_PBT;
        rc = sw_stop_plan_init(p, pbt ? SW_STOP_SHA : spec->stop.kind, spec->stop_mode,
                               pbt ? SW_STOP_BY_RUN : spec->stop.by, spec->stop.eta, spec->stop.min_epochs,
                               spec->stop_epochs, spec->n_runs, *ids, configs);
        /* pbt: every member goes on at every barrier (eta 1 keeps all but a diverged one),
         * the barriers every search.interval epochs */
        if (!rc && pbt) {
            p->eta = 1;
            p->n_rungs = sw_pbt_barriers(spec->stop_epochs, spec->search.interval, p->rung);
            SW_ASSERT(p->n_rungs > 0);
        }
        /* a tpe search's rounds decide each among its own runs */
        bool tpe = spec->search.kind == SW_SEARCH_TPE;
        for (int i = 0; !rc && tpe && i < spec->n_runs; i++) configs[i] = spec->runs[i].round;
        if (!rc && tpe) rc = sw_stop_plan_set_groups(p, configs);
    }
    free(configs);
    return rc;
}

const char *sw_point_origin_name(sw_point_origin o)
{
    static const char *const names[] = {"random", "sobol", "tpe", "fallback"};
    _Static_assert(SW_ARRAY_LEN(names) == SW_POINT_ORIGIN_COUNT, "point origins");
    return (unsigned)o < SW_POINT_ORIGIN_COUNT ? names[o] : "unknown";
}
