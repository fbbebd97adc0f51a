/* test_stop_rules.c: the early-stopping rules (stopping.c) against hand-computed cases:
 * sha's promoted sets rung by rung with ties broken by run id and NaN (diverged) runs
 * stopped, the median rule, hyperband's brackets and their sizes, the rungs, the planned
 * epochs, and the jobs each state of the runs leaves to do; the same rules over
 * configurations of several seeds (stop.by: configuration) against per-run decisions; groups
 * (a tpe search's rounds) that decide each on its own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "stopping.h"

#define MAXE 16

/* A run's recorded metric: values[0..epochs), final when done or diverged. */
typedef struct {
    double v[MAXE];
    int epochs;
    bool final;
} fake_run;

static void states_of(const fake_run *runs, int n, sw_stop_run_state *st)
{
    for (int i = 0; i < n; i++) st[i] = (sw_stop_run_state){runs[i].epochs, runs[i].final, runs[i].v};
}

/* "a b c" <- the promoted runs of rung `rung` of bracket b, in row order. */
static void promoted_at(const sw_stop_outcome *o, const char *const *ids, int b, int rung, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    for (int d = 0; d < o->n_decisions; d++)
        if (o->decisions[d].bracket == b && o->decisions[d].rung == rung && o->decisions[d].promoted)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? " " : "", ids[o->decisions[d].run]);
}

static void jobs_of(const sw_stop_outcome *o, const char *const *ids, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    for (int j = 0; j < o->n_jobs; j++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%s@%d", n ? " " : "", ids[o->jobs[j].run], o->jobs[j].until);
}

static void test_rungs(void)
{
    int r[SW_STOP_MAX_RUNGS];
    int n = sw_stop_rungs(5, 3, 50, r);
    CHECK(n == 4 && r[0] == 5 && r[1] == 15 && r[2] == 45 && r[3] == 50, "rungs 5,15,45,50: got %d", n);
    n = sw_stop_rungs(1, 3, 9, r);
    CHECK(n == 3 && r[0] == 1 && r[1] == 3 && r[2] == 9, "rungs 1,3,9 (9 = 1*3^2 is the last rung itself)");
    n = sw_stop_rungs(4, 2, 5, r);
    CHECK(n == 2 && r[0] == 4 && r[1] == 5, "rungs 4,5");
}

/* sha, eta 3, rungs at epochs 1, 3, 9, nine runs a..i (val_acc: higher is better). */
static void test_sha(void)
{
    const char *ids[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    fake_run runs[9];
    memset(runs, 0, sizeof runs);
    sw_stop_plan p;
    /* without configurations of several runs, by configuration is by run */
    CHECK(sw_stop_plan_init(&p, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 9, ids, NULL) == SW_OK,
          "plan");
    CHECK(sw_stop_planned_epochs(&p) == 9 * 1 + 3 * 2 + 1 * 6, "planned epochs 21, got %lld",
          sw_stop_planned_epochs(&p));
    sw_stop_run_state st[9];
    sw_stop_outcome o = {0};
    char got[256];

    /* nothing on disk: every run to epoch 1 */
    states_of(runs, 9, st);
    CHECK(sw_stop_evaluate(&p, st, &o) == SW_OK, "evaluate");
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "a@1 b@1 c@1 d@1 e@1 f@1 g@1 h@1 i@1"), "first jobs: %s", got);
    CHECK(o.n_decisions == 0, "no decision before the barrier");

    /* all but one at epoch 1: the barrier holds, only h is left to do */
    const double at1[9] = {0.5, 0.7, 0.7, 0.2, NAN, 0.9, 0.1, 0.3, 0.7};
    for (int i = 0; i < 9; i++) runs[i].v[0] = at1[i], runs[i].epochs = 1;
    runs[4].epochs = 0, runs[4].final = true; /* e diverged in epoch 1 */
    runs[7].epochs = 0;
    states_of(runs, 9, st);
    sw_stop_evaluate(&p, st, &o);
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "h@1") && o.n_decisions == 0, "h still to reach rung 0: %s", got);

    /* rung 0: quota 9/3 = 3: f 0.9, then b, c, i tie at 0.7: b and c by id */
    runs[7].epochs = 1;
    states_of(runs, 9, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "b c f"), "rung 0 promotes b c f (ties by id), got %s", got);
    CHECK(o.n_decisions == 9, "9 rows at rung 0, got %d", o.n_decisions);
    CHECK(o.decisions[0].cutoff == 0.7, "cutoff 0.7");
    CHECK(o.decisions[4].run == 4 && isnan(o.decisions[4].metric) && !o.decisions[4].promoted, "e: NaN, stopped");
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "b@3 c@3 f@3"), "promoted runs go on to epoch 3: %s", got);
    CHECK(o.fate[0] == SW_FATE_STOPPED && o.fate[8] == SW_FATE_STOPPED && o.fate[4] == SW_FATE_FINAL &&
          o.fate[1] == SW_FATE_OPEN, "fates after rung 0");

    /* rung 1 (epoch 3): quota max(1, 3/3) = 1: b and f tie at 0.8 below c 0.95 */
    const double b3[3] = {0.7, 0.75, 0.8}, c3[3] = {0.7, 0.9, 0.95}, f3[3] = {0.9, 0.85, 0.8};
    memcpy(runs[1].v, b3, sizeof b3), memcpy(runs[2].v, c3, sizeof c3), memcpy(runs[5].v, f3, sizeof f3);
    runs[1].epochs = runs[2].epochs = runs[5].epochs = 3;
    states_of(runs, 9, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 1, got, sizeof got);
    CHECK(!strcmp(got, "c"), "rung 1 promotes c, got %s", got);
    CHECK(o.n_decisions == 12 && o.decisions[9].epoch == 3 && o.decisions[9].cutoff == 0.95, "3 rows at rung 1");
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "c@9"), "c trains to the end: %s", got);

    /* c done: nothing left; no rows for the last rung */
    runs[2].epochs = 9, runs[2].final = true;
    states_of(runs, 9, st);
    sw_stop_evaluate(&p, st, &o);
    CHECK(o.n_jobs == 0 && o.n_decisions == 12, "complete: %d jobs, %d rows", o.n_jobs, o.n_decisions);
    CHECK(o.fate[2] == SW_FATE_FINAL && o.fate[1] == SW_FATE_STOPPED && o.fate[5] == SW_FATE_STOPPED, "final fates");

    /* the same states in another order of ids give the same sets (ties follow ids) */
    const char *rev[] = {"i", "h", "g", "f", "e", "d", "c", "b", "a"}; /* run 1 is now "h", 2 "g", 8 "a" */
    sw_stop_plan q;
    sw_stop_plan_init(&q, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 9, rev, NULL);
    runs[2].epochs = 3, runs[2].final = false;
    states_of(runs, 9, st);
    sw_stop_evaluate(&q, st, &o);
    promoted_at(&o, rev, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "a d g"), "renamed: d (0.9), then the tie at 0.7 to the smaller ids a (run 8) and g, got %s", got);
    sw_stop_plan_free(&q);

    /* every run NaN: nobody promoted, cutoff NaN */
    for (int i = 0; i < 9; i++) runs[i].epochs = 0, runs[i].final = true;
    states_of(runs, 9, st);
    sw_stop_evaluate(&p, st, &o);
    CHECK(o.n_decisions == 9 && o.n_jobs == 0, "all diverged: 9 rows, no job");
    bool any = false;
    for (int d = 0; d < o.n_decisions; d++) any |= o.decisions[d].promoted || !isnan(o.decisions[d].cutoff);
    CHECK(!any, "all diverged: none promoted, cutoff NaN");
    sw_stop_outcome_free(&o);
    sw_stop_plan_free(&p);
}

/* median rule at rungs 1, 3 (eta 3, epochs 5), val_loss: lower is better. */
static void test_median(void)
{
    const char *ids[] = {"x", "y", "z", "w"};
    fake_run runs[4] = {{{0.5, 0.375, 0.25}, 1, false},
                        {{0.875, 0.75, 0.5}, 1, false},
                        {{0.625, 0.25, 0.125}, 1, false},
                        {{0.0}, 0, true}}; /* w diverged in epoch 1 */
    sw_stop_plan p;
    sw_stop_plan_init(&p, SW_STOP_MEDIAN, SW_METRIC_MIN, SW_STOP_BY_CONFIGURATION, 3, 1, 5, 4, ids, NULL);
    sw_stop_run_state st[4];
    sw_stop_outcome o = {0};
    char got[128];
    states_of(runs, 4, st);
    sw_stop_evaluate(&p, st, &o);
    /* rung 0: x 0.5 vs the median of {y .875, z .625, w NaN} = .875: goes on; y .875 vs
     * {x .5, z .625, NaN}: .625, worse, stops; z .625 vs {.5, .875, NaN}: .875, goes on;
     * w NaN: stops. */
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "x z"), "median rung 0 promotes x z, got %s", got);
    CHECK(o.n_decisions == 4 && o.decisions[0].cutoff == 0.625, "cutoff: z's 0.625");
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "x@3 z@3"), "x and z to epoch 3: %s", got);
    /* rung 1 (epoch 3): x best .25 vs z's mean (.625+.25+.125)/3 = .333: goes on; z best
     * .125 vs x's mean (.5+.375+.25)/3 = .375: goes on. */
    runs[0].epochs = runs[2].epochs = 3;
    states_of(runs, 4, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 1, got, sizeof got);
    CHECK(!strcmp(got, "x z"), "median rung 1 promotes x z, got %s", got);
    CHECK(o.n_decisions == 6 && o.decisions[4].metric == 0.25 && o.decisions[5].metric == 0.125,
          "median rows carry the best value so far");
    /* a run whose best is worse than the median of the others' means stops even when its
     * latest value is fine: x's best 0.25 > mean of z' (0.125 each) */
    fake_run z2 = {{0.125, 0.125, 0.125}, 3, false};
    runs[2] = z2;
    fake_run v = {{0.25, 0.25, 0.25}, 3, false};
    runs[1] = v, runs[1].epochs = 1, runs[1].v[0] = 0.125; /* y now good at rung 0 */
    states_of(runs, 4, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "y z"), "rung 0: x 0.5 vs median(.125, .125, NaN) = .125 stops; got %s", got);
    sw_stop_outcome_free(&o);
    sw_stop_plan_free(&p);
}

/* hyperband over rungs 1, 3, 9 (eta 3): brackets of weights 9, 5, 3. */
static void test_hyperband(void)
{
    static char names[17][8];
    const char *ids[17];
    for (int i = 0; i < 17; i++) snprintf(names[i], sizeof names[i], "r%02d", i), ids[i] = names[i];
    sw_stop_plan p;
    sw_stop_plan_init(&p, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 17, ids, NULL);
    CHECK(p.n_brackets == 3, "3 brackets");
    int count[3] = {0};
    for (int i = 0; i < 17; i++) count[p.bracket[i]]++;
    CHECK(count[0] == 9 && count[1] == 5 && count[2] == 3, "17 runs: 9 5 3, got %d %d %d", count[0], count[1],
          count[2]);
    /* (2a+1)/count smallest, ties to the lower bracket: 0 1 0 2 0 1 ... */
    CHECK(p.bracket[0] == 0 && p.bracket[1] == 1 && p.bracket[2] == 0 && p.bracket[3] == 2 && p.bracket[4] == 0 &&
          p.bracket[5] == 1, "interleaved: %d %d %d %d %d %d", p.bracket[0], p.bracket[1], p.bracket[2],
          p.bracket[3], p.bracket[4], p.bracket[5]);
    /* first jobs: bracket 0 to epoch 1, bracket 1 to epoch 3, bracket 2 to the end */
    fake_run runs[17];
    memset(runs, 0, sizeof runs);
    sw_stop_run_state st[17];
    states_of(runs, 17, st);
    sw_stop_outcome o = {0};
    sw_stop_evaluate(&p, st, &o);
    bool ok = o.n_jobs == 17;
    for (int j = 0; j < o.n_jobs; j++) ok &= o.jobs[j].until == (int[]){1, 3, 9}[p.bracket[o.jobs[j].run]];
    CHECK(ok, "each bracket starts at its own rung");
    /* planned: 9*1 + 3*2 + 1*6 = 21; 5*3 + 1*6 = 21; 3*9 = 27 */
    CHECK(sw_stop_planned_epochs(&p) == 69, "hyperband planned 69, got %lld", sw_stop_planned_epochs(&p));
    /* bracket 1 decides at epoch 3 among its 5 runs (quota 1) without waiting for bracket 0 */
    int best = -1; /* the last run of bracket 1 is its best */
    for (int i = 0; i < 17; i++)
        if (p.bracket[i] == 1) best = i;
    for (int i = 0; i < 17; i++)
        if (p.bracket[i] == 1) runs[i].epochs = 3, runs[i].v[2] = i == best ? 0.9 : 0.5;
    states_of(runs, 17, st);
    sw_stop_evaluate(&p, st, &o);
    char got[64];
    promoted_at(&o, ids, 1, 1, got, sizeof got);
    CHECK(o.n_decisions == 5, "5 rows of bracket 1, got %d", o.n_decisions);
    CHECK(best >= 0 && !strcmp(got, ids[best]), "bracket 1 promotes its best %s, got %s", best >= 0 ? ids[best] : "-",
          got);
    sw_stop_outcome_free(&o);
    sw_stop_plan_free(&p);
    /* 10 runs: 10*9/17, 10*5/17, 10*3/17 = 5.29, 2.94, 1.76: floors 5 2 1, the largest
     * remainders (16 and 13 of 17) get the two left: 5 3 2 */
    sw_stop_plan_init(&p, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 10, ids, NULL);
    int c2[3] = {0};
    for (int i = 0; i < 10; i++) c2[p.bracket[i]]++;
    CHECK(c2[0] == 5 && c2[1] == 3 && c2[2] == 2, "10 runs: 5 3 2, got %d %d %d", c2[0], c2[1], c2[2]);
    sw_stop_plan_free(&p);
}

/* 4 configurations of 3 seeds, sha eta 3 (rungs 1, 3, 9), higher is better: by
 * configuration the seeds' mean decides for all three; by run the lucky seeds go on. */
static void test_by_configuration(void)
{
    const char *ids[12] = {"c0s1", "c0s2", "c0s3", "c1s1", "c1s2", "c1s3",
                           "c2s1", "c2s2", "c2s3", "c3s1", "c3s2", "c3s3"};
    const int config[12] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    /* means: c0 0.6333, c1 0.7, c2 0.6, c3 0.6833; best single runs: c3s3 0.95, c0s1 0.9 */
    const double at1[12] = {0.9, 0.5, 0.5, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.55, 0.55, 0.95};
    fake_run runs[12];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < 12; i++) runs[i].v[0] = at1[i], runs[i].epochs = 1;
    sw_stop_run_state st[12];
    states_of(runs, 12, st);
    sw_stop_outcome o = {0};
    char got[256];
    sw_stop_plan p;
    CHECK(sw_stop_plan_init(&p, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 12, ids, config) ==
              SW_OK && p.n_units == 4, "plan of 4 configurations");
    CHECK(sw_stop_planned_epochs(&p) == 12 * 1 + 3 * 2 + 3 * 6, "planned 36 (whole configurations), got %lld",
          sw_stop_planned_epochs(&p));
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "c1s1 c1s2 c1s3"), "by configuration: quota 4/3 = 1 configuration, c1 (mean 0.7): got %s", got);
    CHECK(o.n_decisions == 12, "a row per run: %d", o.n_decisions);
    bool rows_ok = true;
    for (int d = 0; d < o.n_decisions; d++) {
        const sw_stop_decision *x = &o.decisions[d];
        double mean = (at1[3 * config[x->run]] + at1[3 * config[x->run] + 1] + at1[3 * config[x->run] + 2]) / 3;
        rows_ok &= x->config == config[x->run] && fabs(x->metric - mean) < 1e-12 && x->run_metric == at1[x->run] &&
                   fabs(x->cutoff - 0.7) < 1e-12;
    }
    CHECK(rows_ok, "rows: metric the configuration's mean, run_metric the run's own, cutoff c1's mean");
    jobs_of(&o, ids, got, sizeof got);
    CHECK(!strcmp(got, "c1s1@3 c1s2@3 c1s3@3"), "the three seeds of c1 go on: %s", got);
    /* rung 1: one configuration left, it goes on whole */
    for (int i = 3; i < 6; i++) runs[i].epochs = 3, runs[i].v[1] = 0.8, runs[i].v[2] = 0.5 + 0.1 * i;
    states_of(runs, 12, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 1, got, sizeof got);
    CHECK(!strcmp(got, "c1s1 c1s2 c1s3"), "rung 1 keeps the whole configuration: %s", got);
    /* a seed that diverged before the rung makes its configuration's mean NaN: c3 goes on */
    runs[4].epochs = 0, runs[4].final = true;
    for (int i = 3; i < 6; i++)
        if (i != 4) runs[i].epochs = 1;
    states_of(runs, 12, st);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "c3s1 c3s2 c3s3"), "a diverged seed stops its configuration: %s", got);
    CHECK(o.fate[3] == SW_FATE_STOPPED && o.fate[4] == SW_FATE_FINAL, "its other seeds stop, the diverged stays final");
    sw_stop_plan_free(&p);
    runs[4].epochs = 1, runs[4].final = false;
    states_of(runs, 12, st);
    /* by run: the best 4 runs, whatever their configuration */
    sw_stop_plan_init(&p, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 12, ids, config);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, ids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "c0s1 c1s1 c1s2 c3s3"), "by run: 0.95, 0.9 and two of the 0.7s by id: %s", got);
    CHECK(o.decisions[0].config == 0 && o.decisions[0].metric == 0.9 && o.decisions[0].run_metric == 0.9,
          "by run: metric is the run's");
    sw_stop_plan_free(&p);

    /* median over configurations (lower is better): A mean .3 < median(B .5, C .5) goes on;
     * B and C (.5) are worse than the median of the others (.4) */
    const char *mids[6] = {"a1", "a2", "b1", "b2", "c1", "c2"};
    const int mconf[6] = {0, 0, 1, 1, 2, 2};
    const double m1[6] = {0.2, 0.4, 0.5, 0.5, 0.1, 0.9};
    fake_run mr[6];
    memset(mr, 0, sizeof mr);
    for (int i = 0; i < 6; i++) mr[i].v[0] = m1[i], mr[i].epochs = 1;
    states_of(mr, 6, st);
    sw_stop_plan_init(&p, SW_STOP_MEDIAN, SW_METRIC_MIN, SW_STOP_BY_CONFIGURATION, 3, 1, 5, 6, mids, mconf);
    sw_stop_evaluate(&p, st, &o);
    promoted_at(&o, mids, 0, 0, got, sizeof got);
    CHECK(!strcmp(got, "a1 a2"), "median by configuration promotes a's seeds (c1 alone, 0.1, would go on): %s", got);
    sw_stop_plan_free(&p);

    /* hyperband: 17 configurations of 2 seeds: the brackets are of configurations */
    static char names[34][8];
    const char *hid[34];
    int hconf[34];
    for (int i = 0; i < 34; i++) snprintf(names[i], sizeof names[i], "h%02d", i), hid[i] = names[i], hconf[i] = i / 2;
    sw_stop_plan_init(&p, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 34, hid, hconf);
    int count[3] = {0};
    bool together = true;
    for (int i = 0; i < 34; i++) count[p.bracket[i]]++, together &= p.bracket[i] == p.bracket[i - i % 2];
    CHECK(together && count[0] == 18 && count[1] == 10 && count[2] == 6, "brackets of 9 5 3 configurations: %d %d %d",
          count[0], count[1], count[2]);
    sw_stop_plan_free(&p);
    /* configurations must be numbered in the order of their first runs */
    const int bad[3] = {1, 0, 1};
    CHECK(sw_stop_plan_init(&p, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_CONFIGURATION, 3, 1, 9, 3, ids, bad) ==
              SW_EINVAL, "misnumbered configurations refused");
    sw_stop_plan_free(&p);
    sw_stop_outcome_free(&o);
}

/* Groups (the rounds of a tpe search): 9 runs in group 0 and 3 in group 1, sha eta 3 at
 * epochs 1, 3, 9. Each group decides among its own runs: group 0 keeps 3 at rung 0 (as
 * a plan of its 9 runs alone), group 1 keeps 1 of its 3 although its values beat every
 * run of group 0; hyperband assigns brackets within each group as it would to the group
 * alone. */
static void test_groups(void)
{
    const char *ids[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
    const int group[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    fake_run runs[12];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < 12; i++) runs[i].epochs = 1, runs[i].v[0] = i < 9 ? 0.1 * i : 0.95 + 0.01 * i;
    sw_stop_run_state st[12];
    states_of(runs, 12, st);
    sw_stop_plan p, alone;
    sw_stop_outcome o = {0}, oa = {0};
    CHECK(sw_stop_plan_init(&p, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 12, ids, NULL) == SW_OK &&
              sw_stop_plan_set_groups(&p, group) == SW_OK && p.n_groups == 2,
          "groups");
    sw_stop_plan_init(&alone, SW_STOP_SHA, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 9, ids, NULL);
    CHECK(sw_stop_evaluate(&p, st, &o) == SW_OK && sw_stop_evaluate(&alone, st, &oa) == SW_OK, "evaluate");
    char got[128], want[128];
    promoted_at(&oa, ids, 0, 0, want, sizeof want);
    size_t n = 0;
    got[0] = 0;
    for (int d = 0; d < o.n_decisions; d++)
        if (o.decisions[d].group == 0 && o.decisions[d].promoted)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%s", n ? " " : "", ids[o.decisions[d].run]);
    CHECK(!strcmp(got, "g h i") && !strcmp(got, want), "group 0 promotes %s (alone: %s), want g h i", got, want);
    int up1 = 0, rows1 = 0;
    for (int d = 0; d < o.n_decisions; d++) {
        if (o.decisions[d].group != 1) continue;
        rows1++;
        up1 += o.decisions[d].promoted;
        CHECK(d >= 9, "group 1's rows after group 0's (row %d)", d);
    }
    CHECK(rows1 == 3 && up1 == 1 && o.fate[11] == SW_FATE_OPEN && o.fate[9] == SW_FATE_STOPPED,
          "group 1: %d rows, %d promoted (want 3, 1: l)", rows1, up1);
    long long planned = sw_stop_planned_epochs(&p);
    CHECK(planned == (9 * 1 + 3 * 2 + 1 * 6) + (3 * 1 + 1 * 2 + 1 * 6), "planned epochs per group: %lld", planned);
    const int bad[12] = {0, 0, 1, 0};
    CHECK(sw_stop_plan_set_groups(&p, bad) == SW_EINVAL, "groups going back refused");
    sw_stop_outcome_free(&o);
    sw_stop_outcome_free(&oa);
    sw_stop_plan_free(&p);
    sw_stop_plan_free(&alone);

    int hg[27];
    for (int i = 0; i < 27; i++) hg[i] = i < 17 ? 0 : 1;
    const char *hid[27];
    char names[27][4];
    for (int i = 0; i < 27; i++) snprintf(names[i], sizeof names[i], "r%02d", i), hid[i] = names[i];
    sw_stop_plan h, h0, h1;
    sw_stop_plan_init(&h, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 27, hid, NULL);
    CHECK(sw_stop_plan_set_groups(&h, hg) == SW_OK, "hyperband groups");
    sw_stop_plan_init(&h0, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 17, hid, NULL);
    sw_stop_plan_init(&h1, SW_STOP_HYPERBAND, SW_METRIC_MAX, SW_STOP_BY_RUN, 3, 1, 9, 10, hid + 17, NULL);
    int same = 0;
    for (int i = 0; i < 27; i++) same += h.bracket[i] == (i < 17 ? h0.bracket[i] : h1.bracket[i - 17]);
    CHECK(same == 27, "brackets as each group alone: %d of 27", same);
    sw_stop_plan_free(&h), sw_stop_plan_free(&h0), sw_stop_plan_free(&h1);
}

static void test_keys(void)
{
    sw_stop_config c;
    sw_stop_defaults(&c);
    CHECK(c.kind == SW_STOP_NONE && c.eta == 3 && c.min_epochs == 1 && c.metric == SW_STOP_METRIC_AUTO &&
              c.by == SW_STOP_BY_CONFIGURATION, "defaults");
    char err[256];
    CHECK(sw_stop_set(&c, sw_stop_key_find("eta"), "1", false, err, sizeof err) == SW_ECONFIG, "eta 1 refused");
    CHECK(strstr(err, "stop.eta") != NULL, "message names stop.eta: %s", err);
    CHECK(sw_stop_set(&c, sw_stop_key_find("kind"), "asha", false, err, sizeof err) == SW_ECONFIG, "unknown kind");
    CHECK(sw_stop_set(&c, sw_stop_key_find("by"), "run", false, err, sizeof err) == SW_OK && c.by == SW_STOP_BY_RUN,
          "stop.by run");
    CHECK(sw_stop_set(&c, sw_stop_key_find("stop.by"), "seed", false, err, sizeof err) == SW_ECONFIG &&
              strstr(err, "configuration"), "stop.by seed refused, naming the choices: %s", err);
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_stop_metric m;
    sw_metric_mode mode;
    c.metric = SW_STOP_METRIC_VAL_ACC;
    CHECK(sw_stop_resolve_metric(&c, &cfg, &m, &mode, err, sizeof err) == SW_ECONFIG && strstr(err, "val_size"),
          "val_acc without val_size: %s", err);
    cfg.task.val_size = 100;
    CHECK(sw_stop_resolve_metric(&c, &cfg, &m, &mode, err, sizeof err) == SW_OK && mode == SW_METRIC_MAX, "val_acc");
    c.metric = SW_STOP_METRIC_AUTO;
    CHECK(sw_stop_resolve_metric(&c, &cfg, &m, &mode, err, sizeof err) == SW_OK && m == SW_STOP_METRIC_VAL_ACC,
          "auto with val_size is val_acc");
    c.metric = SW_STOP_METRIC_VAL_LOSS;
    CHECK(sw_stop_resolve_metric(&c, &cfg, &m, &mode, err, sizeof err) == SW_OK && mode == SW_METRIC_MIN, "losses: min");
}

int main(void)
{
    test_rungs();
    test_sha();
    test_median();
    test_hyperband();
    test_by_configuration();
    test_groups();
    test_keys();
    return check_report("stop rules");
}
