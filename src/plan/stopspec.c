/* stopspec.c: the stop: section of a sweep file, and its check against the runs (see
 * stopspec.h; the rules themselves are stopping.c's). */
#include "stopspec.h"

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "keys.h"

/* The stop: section's keys (stopping.h), written into T. */
static sw_section_keys stop_section(stop_spec *T)
{
    SW_ASSERT(sw_stop_keys_len <= SW_ARRAY_LEN(T->at));
    return (sw_section_keys){"stop", sw_stop_keys, sw_stop_keys_len, &T->config, T->at,
                             "{kind: sha, metric: val_acc, eta: 3, min_epochs: 5}"};
}

int sw_stopspec_entry(stop_spec *T, errbuf *e, const node *keynode, const char *name, const node *v)
{
    sw_section_keys t = stop_section(T);
    return sw_section_entry(&t, e, keynode, name, v);
}

int sw_stopspec_entries(stop_spec *T, errbuf *e, const node *v)
{
    sw_section_keys t = stop_section(T);
    return sw_section_entries(&t, e, v, &T->node);
}

/* Where stop key `name` was written (its value), else stop: itself (NULL without). */
static const node *stop_written(const stop_spec *T, const char *name)
{
    const node *at = T->at[sw_stop_key_find(name) - sw_stop_keys];
    return at ? at : T->node;
}

/* After the runs are built: the stop settings fit every run (one train.epochs, above
 * min_epochs; a metric every run records, the same one for all). Fills s->stop*. */
int sw_stopspec_check(stop_spec *T, errbuf *e, sw_sweep_spec *s)
{
    s->stop = T->config;
    bool pbt = s->search.kind == SW_SEARCH_PBT;
    if (pbt && T->node)
        return sw_fail_at(e, T->node, "stop: does not apply to a pbt search: every member trains to train.epochs, "
                          "ranked at the search's own barriers (search.interval); remove stop:");
    if (T->config.kind == SW_STOP_NONE && !pbt) return SW_OK;
    const sw_config *first = &s->runs[0].cfg;
    for (int i = 0; i < s->n_runs; i++) {
        const sw_run_spec *run = &s->runs[i];
        if (run->cfg.train.epochs != first->train.epochs)
            return sw_fail_at(e, stop_written(T, "kind"), "stop: the runs' rungs are epochs of one train.epochs, but "
                           "it varies (run %s has %d, run %s %d); sweep train.epochs in separate sweeps",
                           s->runs[0].id, first->train.epochs, run->id, run->cfg.train.epochs);
        char err[512];
        sw_stop_metric m;
        sw_metric_mode mode;
        if (sw_stop_resolve_metric(&T->config, &run->cfg, &m, &mode, err, sizeof err))
            return sw_fail_at(e, stop_written(T, "metric"), "%s", err);
        if (i > 0 && m != s->stop.metric)
            return sw_fail_at(e, stop_written(T, "metric"), "stop.metric auto means %s for run %s but %s for run %s "
                           "(their tasks differ); name the metric", sw_stop_metric_name(s->stop.metric),
                           s->runs[0].id, sw_stop_metric_name(m), run->id);
        s->stop.metric = m;
        s->stop_mode = mode;
    }
    if (pbt) { /* ranked by the runs' selection metric (stop.metric auto) at the barriers */
        s->stop_epochs = first->train.epochs;
        return SW_OK;
    }
    if (T->config.min_epochs >= first->train.epochs)
        return sw_fail_at(e, stop_written(T, "min_epochs"), "stop.min_epochs: %d is not below train.epochs %d: the "
                       "first rung must come before the end", T->config.min_epochs, first->train.epochs);
    s->stop_epochs = first->train.epochs;
    return SW_OK;
}
