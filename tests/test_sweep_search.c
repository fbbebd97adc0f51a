/* test_sweep_search.c: sweep files with a sampled search (search:, space:) expanded into
 * runs: values within their distributions' ranges and equal to the points of sample.c,
 * distinct points, the crossing with grid/zip/exclude, ids, determinism (the same spec
 * gives the same runs on every load, a point does not depend on how many were asked, and
 * --shard partitions identically), --set on search and space keys, warnings and errors; a
 * tpe search's startup points and the rounds chosen after them.
 * Parses text in memory; writes nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "sample.h"
#include "options.h"
#include "spec_text.h"
#include "sweepspec.h"

#define BASE                                                                                                      \
    "name: t\nbase:\n  task: {seq_len: 3, train_size: 64, test_size: 8}\n  model: {hidden: 4}\n"                 \
    "  train: {epochs: 1, batch: 8, steps_per_epoch: 1}\n"

/* Whether two specs have the same runs: ids, config hashes and values. */
static bool same_runs(const sw_sweep_spec *a, const sw_sweep_spec *b)
{
    if (!a || !b || a->n_runs != b->n_runs || a->n_swept != b->n_swept) return false;
    for (int i = 0; i < a->n_runs; i++) {
        if (strcmp(a->runs[i].id, b->runs[i].id) || strcmp(a->runs[i].hash, b->runs[i].hash)) return false;
        for (int j = 0; j < a->n_swept; j++)
            if (strcmp(a->runs[i].values[j], b->runs[i].values[j])) return false;
    }
    return true;
}

/* The first point index in a run id "p012-1a2b3c4d,...". */
static long point_of(const sw_run_spec *r)
{
    return r->id[0] == 'p' ? strtol(r->id + 1, NULL, 10) : -1;
}

/* Points cross the grid as its first, slowest axis; ids are the point and the grid part;
 * exclude drops runs of either. */
static void test_crossing(void)
{
    sw_sweep_spec *s = load(BASE "search: {kind: sobol, samples: 4}\n"
                                 "space:\n  lr: {loguniform: [1.0e-4, 1.0e-2]}\n  cell: {choice: [rnn, gru]}\n"
                                 "grid:\n  seed: [1, 2]\nzip:\n  - {hidden: [4, 8], layers: [1, 2]}\n"
                                 "exclude:\n  - {cell: gru, seed: 2, hidden: 8}\n",
                            NULL, 0);
    if (!s) return;
    /* sobol dims 0 and 1: points 0..3 are (0, 0), (.5, .5), (.75, .25), (.25, .75) */
    CHECK(s->n_runs == 4 * 2 * 2 - 2, "%d runs", s->n_runs);
    CHECK(s->n_swept == 5 && !strcmp(s->swept_keys[0], "train.lr") && !strcmp(s->swept_keys[1], "model.cell") &&
          !strcmp(s->swept_keys[2], "seed"), "swept keys %s %s %s", s->swept_keys[0], s->swept_keys[1],
          s->swept_keys[2]);
    CHECK(!strncmp(s->runs[0].id, "p000-", 5) && strstr(s->runs[0].id, ",seed=1,hidden=4,layers=1") &&
          strlen(s->runs[0].id) == strlen("p000-12345678,seed=1,hidden=4,layers=1"), "id %s", s->runs[0].id);
    CHECK(s->runs[0].cfg.train.lr == 1e-4 && s->runs[0].cfg.model.cell == SW_CELL_RNN, "point 0 is the low ends");
    CHECK(s->runs[4].cfg.train.lr == 1e-3 && s->runs[4].cfg.model.cell == SW_CELL_GRU && point_of(&s->runs[4]) == 1,
          "point 1: lr %g cell %d (%s)", s->runs[4].cfg.train.lr, s->runs[4].cfg.model.cell, s->runs[4].id);
    /* point 1 (gru) lost its seed=2,hidden=8 run, point 2 (u = .25: rnn) kept all four */
    CHECK(point_of(&s->runs[7]) == 2 && point_of(&s->runs[10]) == 2 && point_of(&s->runs[11]) == 3,
          "order: %s %s %s", s->runs[7].id, s->runs[10].id, s->runs[11].id);
    for (int i = 1; i < s->n_runs; i++) CHECK(point_of(&s->runs[i]) >= point_of(&s->runs[i - 1]), "points slowest");
    /* the point's hash depends on its values only: equal within a point, different across */
    CHECK(!strncmp(s->runs[0].id, s->runs[3].id, 13) && strncmp(s->runs[0].id + 5, s->runs[4].id + 5, 8),
          "%s %s %s", s->runs[0].id, s->runs[3].id, s->runs[4].id);
    sw_sweep_spec_free(s);
}

/* Every value from the point sample.c gives its key's dimension, within its range; and no
 * two points alike. */
static void test_values_and_ranges(void)
{
    const char *text = BASE "search: {kind: random, samples: 600, seed: 11}\n"
                            "space:\n  lr: {loguniform: [1.0e-4, 1.0e-2]}\n  dropout: {uniform: [0.0, 0.5]}\n"
                            "  hidden: {int_uniform: [16, 19]}\n  layers: {int_loguniform: [1, 3]}\n"
                            "  cell: {choice: [rnn, lstm, gru]}\n";
    sw_sweep_spec *s = load(text, NULL, 0);
    if (!s) return;
    CHECK(s->n_runs == 600 && s->n_warnings == 0, "%d runs, %d warnings", s->n_runs, s->n_warnings);
    sw_search_config c;
    sw_search_defaults(&c);
    c.kind = SW_SEARCH_RANDOM, c.seed = 11;
    sw_search_points P;
    char e[256];
    CHECK(sw_search_points_init(&P, &c, 5, e, sizeof e) == SW_OK, "%s", e);
    int hidden[4] = {0}, cells[3] = {0}, layers[4] = {0}, bad = 0;
    for (int i = 0; i < s->n_runs; i++) {
        const sw_config *cfg = &s->runs[i].cfg;
        long p = point_of(&s->runs[i]);
        CHECK(p == i, "random points are all distinct: run %d is point %ld", i, p);
        double lr = sw_samplers[SW_DIST_LOGUNIFORM].map(sw_search_unit(&P, (uint64_t)p, 0), 1e-4, 1e-2);
        double dropout = sw_samplers[SW_DIST_UNIFORM].map(sw_search_unit(&P, (uint64_t)p, 1), 0, 0.5);
        int h = 16 + (int)floor(sw_search_unit(&P, (uint64_t)p, 2) * 4);
        int cell = (int)floor(sw_search_unit(&P, (uint64_t)p, 4) * 3);
        if ((cfg->train.lr != lr || cfg->model.dropout != dropout || cfg->model.hidden != h ||
             (int)cfg->model.cell != cell) && bad++ < 3)
            CHECK(0, "run %d: lr %g dropout %g hidden %d cell %d; points give %g %g %d %d", i, cfg->train.lr,
                  cfg->model.dropout, cfg->model.hidden, cfg->model.cell, lr, dropout, h, cell);
        CHECK(cfg->train.lr >= 1e-4 && cfg->train.lr <= 1e-2 && cfg->model.dropout >= 0 && cfg->model.dropout <= 0.5,
              "run %d out of range", i);
        if (cfg->model.hidden >= 16 && cfg->model.hidden <= 19) hidden[cfg->model.hidden - 16]++;
        if (cfg->model.layers >= 1 && cfg->model.layers <= 3) layers[cfg->model.layers]++;
        cells[cfg->model.cell]++;
    }
    CHECK(bad == 0, "%d runs differ from sample.c's points", bad);
    for (int k = 0; k < 4; k++) CHECK(hidden[k] > 110 && hidden[k] < 190, "hidden %d drawn %d of 600", 16 + k, hidden[k]);
    for (int k = 0; k < 3; k++) CHECK(cells[k] > 160 && cells[k] < 240, "cell %d drawn %d of 600", k, cells[k]);
    /* int_loguniform [1, 3]: shares log 2, log 1.5, log 4/3 of log 4 = .5, .29, .21 */
    CHECK(layers[1] > 250 && layers[1] < 350 && layers[2] > 130 && layers[2] < 220 && layers[3] > 85 && layers[3] < 170,
          "layers %d %d %d", layers[1], layers[2], layers[3]);
    sw_search_points_clear(&P);
    sw_sweep_spec_free(s);
}

/* A space with few combinations: every one exactly once, the skipped draws said. */
static void test_uniqueness(void)
{
    const char *kinds[] = {"random", "sobol"};
    for (int k = 0; k < 2; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 BASE "search: {kind: %s, samples: 12}\nspace:\n  cell: {choice: [rnn, lstm, gru]}\n"
                      "  hidden: {int_uniform: [4, 7]}\n",
                 kinds[k]);
        sw_sweep_spec *s = load(text, NULL, 0);
        if (!s) continue;
        int seen[3][4] = {{0}};
        for (int i = 0; i < s->n_runs; i++) seen[s->runs[i].cfg.model.cell][s->runs[i].cfg.model.hidden - 4]++;
        for (int c = 0; c < 3; c++)
            for (int h = 0; h < 4; h++) CHECK(seen[c][h] == 1, "%s: cell %d hidden %d taken %d times", kinds[k], c, h + 4, seen[c][h]);
        bool skipped = s->n_warnings > 0 && strstr(s->warnings[s->n_warnings - 1], "repeated an earlier point");
        CHECK(skipped == (point_of(&s->runs[11]) > 11), "%s: a warning when draws were skipped (last point %ld): %s",
              kinds[k], point_of(&s->runs[11]), s->n_warnings ? s->warnings[s->n_warnings - 1] : "none");
        sw_sweep_spec_free(s);
    }
    /* random draws of 3 x 4 combinations repeat early (birthday): skipped, and said */
    sw_sweep_spec *s = load(BASE "search: {kind: random, samples: 12}\nspace:\n  cell: {choice: [rnn, lstm, gru]}\n"
                                 "  hidden: {int_uniform: [4, 7]}\n", NULL, 0);
    CHECK(s && s->n_warnings == 1 && strstr(s->warnings[0], "t.yaml:8:3: warning: ") &&
              strstr(s->warnings[0], "(the space's choices and integer ranges allow few combinations)"),
          "%s", s && s->n_warnings ? s->warnings[0] : "no warning");
    sw_sweep_spec_free(s);
    /* a float range repeats because sampled floats keep 6 significant digits: said so */
    s = load(BASE "search: {kind: random, samples: 40}\nspace:\n  lr: {uniform: [0.1, 0.1001]}\n", NULL, 0);
    CHECK(s && s->n_warnings == 1 &&
              strstr(s->warnings[0], "(sampled floats are kept to 6 significant digits, so close draws coincide)"),
          "float repeats: %s", s && s->n_warnings ? s->warnings[0] : "no warning");
    sw_sweep_spec_free(s);
    expect_fail(BASE "search: {kind: random, samples: 13}\nspace:\n  cell: {choice: [rnn, lstm, gru]}\n"
                     "  hidden: {int_uniform: [4, 7]}\n",
                NULL, 0, "t.yaml:6:33: search.samples: 13 is more than the 12 distinct points of this space");
    /* rounding can make a narrow float range run out of values */
    expect_fail(BASE "search: {kind: random, samples: 50}\nspace:\n  lr: {uniform: [0.1, 0.1000001]}\n", NULL, 0,
                "search.samples: only ");
}

/* The same spec, loaded again, with more points, more grid axes, another epoch count or
 * a --set on another space key: the points it shares have the same values. */
static void test_determinism(void)
{
    const char *text = BASE "search: {kind: sobol, samples: 8, digital_shift: true, seed: 3}\n"
                            "space:\n  lr: {loguniform: [1.0e-4, 1.0e-2]}\n  dropout: {uniform: [0.0, 0.5]}\n"
                            "  hidden: {int_loguniform: [4, 64]}\n"
                            "grid:\n  seed: [1, 2, 3]\n";
    sw_sweep_spec *a = load(text, NULL, 0), *b = load(text, NULL, 0);
    CHECK(same_runs(a, b), "two loads of one spec differ");
    const char *more[] = {"search.samples=16", "epochs=3", "seed=[1,2,3,4]"};
    sw_sweep_spec *c = load(text, more, 3);
    if (a && c) {
        CHECK(c->n_runs == 64 && a->n_warnings == 0, "%d runs, %d warnings", c->n_runs, a->n_warnings);
        int same = 0;
        for (int i = 0; i < a->n_runs; i++) {
            const sw_run_spec *x = &a->runs[i], *y = &c->runs[(i / 3) * 4 + i % 3];
            same += !strcmp(x->id, y->id) && x->cfg.train.lr == y->cfg.train.lr &&
                    x->cfg.model.dropout == y->cfg.model.dropout && x->cfg.model.hidden == y->cfg.model.hidden;
        }
        CHECK(same == a->n_runs, "%d of %d runs keep their point when more are drawn", same, a->n_runs);
    }
    /* --set fixes lr: it leaves the space, the other keys keep their values */
    const char *fix[] = {"lr=0.005"};
    sw_sweep_spec *d = load(text, fix, 1);
    if (a && d) {
        CHECK(d->n_runs == a->n_runs && d->n_swept == a->n_swept - 1, "%d runs, %d swept", d->n_runs, d->n_swept);
        int same = 0;
        for (int i = 0; i < a->n_runs && i < d->n_runs; i++)
            same += d->runs[i].cfg.train.lr == 0.005 && d->runs[i].cfg.model.dropout == a->runs[i].cfg.model.dropout &&
                    d->runs[i].cfg.model.hidden == a->runs[i].cfg.model.hidden;
        CHECK(same == a->n_runs, "%d of %d runs keep their other values", same, a->n_runs);
    }
    /* another seed shifts the points */
    const char *reseed[] = {"search.seed=4"};
    sw_sweep_spec *e = load(text, reseed, 1);
    CHECK(a && e && e->runs[0].cfg.train.lr != a->runs[0].cfg.train.lr, "the search seed shifts the points");
    /* shards: the same partition from every load, each run in exactly one shard */
    for (int n = 1; a && b && n <= 5; n++) {
        int bad = 0;
        for (int i = 0; i < a->n_runs; i++) {
            int in = 0;
            for (int k = 0; k < n; k++) {
                bool x = sw_sweep_in_shard(a, i, k, n);
                bad += x != sw_sweep_in_shard(b, i, k, n);
                in += x;
            }
            bad += in != 1;
        }
        CHECK(bad == 0, "--shard k/%d: %d runs in no, several or different shards", n, bad);
    }
    sw_sweep_spec_free(a);
    sw_sweep_spec_free(b);
    sw_sweep_spec_free(c);
    sw_sweep_spec_free(d);
    sw_sweep_spec_free(e);
}

/* Section values in a choice, nested keys, list keys, the warnings. */
static void test_forms_and_warnings(void)
{
    sw_sweep_spec *s = load(BASE "search: {kind: sobol, samples: 4}\n"
                                 "space:\n  model: {dropout: {uniform: [0.0, 0.5]}}\n"
                                 "  train.schedule: {choice: [cosine, {kind: multistep, milestones: [1]}]}\n",
                            NULL, 0);
    CHECK(s && s->n_runs == 4 && s->n_warnings == 0, "%d runs %d warnings", s ? s->n_runs : -1,
          s ? s->n_warnings : -1);
    if (s) {
        CHECK(s->runs[0].cfg.train.schedule.kind == SW_SCHED_COSINE &&
              s->runs[1].cfg.train.schedule.kind == SW_SCHED_MULTISTEP &&
              s->runs[1].cfg.train.schedule.n_milestones == 1 && s->runs[1].cfg.model.dropout == 0.25,
              "choice of sections: %s %s", s->runs[0].id, s->runs[1].id);
    }
    sw_sweep_spec_free(s);
    s = load(BASE "search: {kind: sobol, samples: 6}\nspace:\n  lr: {uniform: [0.001, 0.002]}\n", NULL, 0);
    CHECK(s && s->n_warnings == 1 &&
          strstr(s->warnings[0], "t.yaml:6:32: warning: search.samples: 6 is not a power of 2") &&
          strstr(s->warnings[0], "(e.g. 4 or 8)"), "%s", s && s->n_warnings ? s->warnings[0] : "no warning");
    sw_sweep_spec_free(s);
    /* random points have no balance to keep */
    s = load(BASE "search: {kind: random, samples: 6}\nspace:\n  lr: {uniform: [0.001, 0.002]}\n", NULL, 0);
    CHECK(s && s->n_warnings == 0, "a random search of 6 warns");
    sw_sweep_spec_free(s);
    /* --set the whole search, and a sampled key as a grid axis */
    const char *sets[] = {"search={kind: random, samples: 3}", "dropout=[0.1, 0.2]"};
    s = load(BASE "search: {kind: sobol, samples: 4}\nspace:\n  lr: {uniform: [0.001, 0.002]}\n"
                  "  dropout: {uniform: [0.0, 0.5]}\n", sets, 2);
    CHECK(s && s->n_runs == 6 && s->n_swept == 2 && !strcmp(s->swept_keys[1], "model.dropout") &&
          strstr(s->runs[1].id, ",dropout=0.2"), "%d runs: %s", s ? s->n_runs : -1, s ? s->runs[1].id : "");
    sw_sweep_spec_free(s);
}

static void test_errors(void)
{
    const char *sp = BASE "search: {kind: sobol, samples: 8}\nspace:\n";
    char text[1024];
#define FAIL(entry, msg)                                                                                          \
    do {                                                                                                          \
        snprintf(text, sizeof text, "%s%s", sp, entry);                                                          \
        expect_fail(text, NULL, 0, msg);                                                                          \
    } while (0)
    FAIL("  lr: {gaussian: [0, 1]}\n", "t.yaml:8:8: space: train.lr: unknown distribution \"gaussian\"; allowed: "
                                        "uniform, loguniform, int_uniform, int_loguniform, choice");
    FAIL("  lr: {uniform: [0.2, 0.2]}\n", "t.yaml:8:17: space: train.lr: uniform: low 0.2 must be less than high 0.2");
    FAIL("  clip: {loguniform: [-1, 1]}\n", "t.yaml:8:23: space: train.clip: loguniform needs low > 0");
    FAIL("  hidden: {int_loguniform: [0, 8]}\n", "t.yaml:8:29: space: model.hidden: int_loguniform needs low > 0");
    FAIL("  hidden: {int_uniform: [1, 2000]}\n", "t.yaml:8:29: model.hidden: 2000 is out of range");
    FAIL("  hiden: {int_uniform: [1, 8]}\n", "t.yaml:8:3: unknown key \"hiden\"; did you mean \"model.hidden\"?");
    FAIL("  seed: {int_uniform: [0, 10000000000000000]}\n", "bounds beyond 2^53 are not supported");
    FAIL("  nesterov: {choice: [true, yes]}\n", "t.yaml:8:29: train.nesterov: \"yes\" is not accepted as a boolean");
    FAIL("  cell: {choice: []}\n", "t.yaml:8:18: space: model.cell: choice takes a non-empty list");
    FAIL("  cell: {choice: rnn}\n", "space: model.cell: choice takes a non-empty list");
    FAIL("  lr: {uniform: [a, 1]}\n", "t.yaml:8:18: train.lr: expected a number, got \"a\"");
    FAIL("  lr: {uniform: 0.1}\n", "t.yaml:8:17: space: train.lr: uniform takes [low, high], got a single value");
    FAIL("  lr: {uniform: [0.1, 0.2]}\ngrid:\n  train.lr: [0.1]\n",
         "t.yaml:8:3: train.lr is sampled in space: and also swept (grid axis at t.yaml:10:3)");
    FAIL("  lr: {uniform: [0.1, 0.2]}\nzip:\n  - {lr: [0.1], seed: [1]}\n",
         "t.yaml:8:3: train.lr is sampled in space: and also swept (zip group at t.yaml:10:5)");
    FAIL("  lr: {uniform: [0.1, 0.2]}\n  model: {cell: {choice: [rnn]}, hidden: {choice: [4]}}\n  train: {lr: "
         "{uniform: [0.1, 0.2]}}\n",
         "t.yaml:10:11: space: train.lr is sampled twice (first at line 8, column 3)");
    /* under a section: a misspelt key or a misspelt distribution, each named as such */
    FAIL("  model: {dropot: {uniform: [0, 0.5]}}\n", "t.yaml:8:11: unknown key \"model.dropot\"; did you mean "
                                                    "\"model.dropout\"?");
    FAIL("  schedule: {choise: [cosine, step]}\n", "t.yaml:8:14: space: train.schedule: unknown distribution "
                                                   "\"choise\"; did you mean \"choice\"?");
#undef FAIL
    expect_fail(BASE "search: {kind: sobol, samples: 8}\n", NULL, 0,
                "t.yaml:6:16: search.kind sobol samples the keys of space:, and there is none");
    expect_fail(BASE "space:\n  lr: {uniform: [0.1, 0.2]}\n", NULL, 0,
                "t.yaml:7:3: space: is sampled by a search of kind random, sobol or tpe");
    const char *set_both[] = {"schedule.kind=cosine"};
    expect_fail(BASE "search: {kind: sobol, samples: 8}\nspace:\n  schedule: {choice: [cosine, {kind: step, step: 2}]}\n",
                set_both, 1, "--set schedule.kind=cosine: train.schedule.kind is sampled together with other keys");
    const char *set_kind[] = {"search.kind=grid"};
    expect_fail(BASE "search: {kind: sobol, samples: 8}\nspace:\n  lr: {uniform: [0.1, 0.2]}\n", set_kind, 1,
                "t.yaml:8:3: space: is sampled by a search of kind random, sobol or tpe");
    const char *set_bad[] = {"search.seed=-3"};
    expect_fail(BASE, set_bad, 1, "--set search.seed=-3: search.seed: -3 is out of range");
}

/* A tpe search: its startup points are kind sobol's with the same seed (shifted unless
 * digital_shift: false), numbered p000..; rounds of `batch` after them; the points chosen
 * later come in with their values, numbers, origins and scores, the earlier ones unchanged,
 * and must be whole rounds. */
static void test_tpe_points(void)
{
    const char *tpe = BASE "search: {kind: tpe, samples: 11, startup: 4, batch: 3, seed: 9}\nspace:\n"
                           "  lr: {loguniform: [0.001, 0.1]}\n  cell: {choice: [rnn, gru]}\ngrid:\n  seed: [1, 2]\n";
    const char *sobol = BASE "search: {kind: sobol, samples: 4, seed: 9, digital_shift: true}\nspace:\n"
                             "  lr: {loguniform: [0.001, 0.1]}\n  cell: {choice: [rnn, gru]}\ngrid:\n  seed: [1, 2]\n";
    sw_sweep_spec *t = load(tpe, NULL, 0), *s = load(sobol, NULL, 0);
    if (!t || !s) goto out;
    CHECK(same_runs(t, s), "tpe's startup runs are kind sobol's (digitally shifted)");
    CHECK(t->n_points == 4 && t->rounds_known == 1 && t->n_rounds == 4 && t->search.digital_shift,
          "4 startup points, round 1 of 4 (4 + 3 + 3 + 1): %d points, %d of %d rounds", t->n_points, t->rounds_known,
          t->n_rounds);
    int first, n = sw_search_round_points(&t->search, 3, &first);
    CHECK(n == 1 && first == 10, "the last round is point 10 alone: %d from %d", n, first);
    CHECK(sw_search_round_points(&t->search, 4, &first) == 0, "no fifth round");
    CHECK(t->n_dims == 2 && t->space[0].dist == SW_DIST_LOGUNIFORM && t->space[1].dist == SW_DIST_CHOICE &&
              t->space[1].n_choices == 2 && t->n_space_keys == 2,
          "the space as TPE sees it");
    CHECK(!strcmp(t->search_metric.name, "test_acc") && t->search_metric.mode == SW_METRIC_MAX, "metric %s",
          t->search_metric.name);
    for (int k = 0; k < t->n_points; k++)
        CHECK(t->points[k].round == 0 && t->points[k].origin == SW_POINT_SOBOL && isnan(t->points[k].score) &&
                  t->points[k].n_runs == 2 && t->points[k].first_run == 2 * k,
              "startup point %d", k);
    const double values[6] = {0.0123, 1, 0.0456, 0, 0.0789, 1};
    const double score[3] = {1.5, 0.25, NAN};
    const sw_point_origin origin[3] = {SW_POINT_TPE, SW_POINT_TPE, SW_POINT_FALLBACK};
    sw_search_chosen chosen = {3, values, score, origin};
    sw_sweep_spec *r = NULL;
    CHECK(sw_sweep_spec_reload(t, NULL, 0, &chosen, &r, spec_err, sizeof spec_err) == SW_OK && r, "reload: %s", spec_err);
    if (r) {
        CHECK(r->n_points == 7 && r->rounds_known == 2 && r->n_runs == 14, "7 points, 2 rounds, 14 runs");
        for (int i = 0; i < t->n_runs; i++) CHECK(!strcmp(r->runs[i].id, t->runs[i].id), "run %d kept", i);
        CHECK(!strncmp(r->runs[8].id, "p004-", 5) && !strcmp(r->runs[8].values[0], "0.0123") &&
                  !strcmp(r->runs[8].values[1], "gru") && r->runs[8].round == 1 && r->runs[8].point == 4,
              "the first chosen point's run: %s %s %s", r->runs[8].id, r->runs[8].values[0], r->runs[8].values[1]);
        CHECK(r->points[4].origin == SW_POINT_TPE && r->points[4].score == 1.5 && r->points[6].origin ==
                  SW_POINT_FALLBACK && isnan(r->points[6].score),
              "origins and scores kept");
    }
    sw_sweep_spec_free(r);
    r = NULL;
    chosen.n = 2; /* not a whole round */
    CHECK(sw_sweep_spec_reload(t, NULL, 0, &chosen, &r, spec_err, sizeof spec_err) == SW_ECONFIG && !r &&
              strstr(spec_err, "not whole rounds"),
          "part of a round refused: %s", spec_err);
    sw_sweep_spec_free(r);
    const char *noshift = BASE "search: {kind: tpe, samples: 4, startup: 4, digital_shift: false}\nspace:\n"
                               "  lr: {loguniform: [0.001, 0.1]}\n";
    sw_sweep_spec *u = load(noshift, NULL, 0);
    CHECK(u && !u->search.digital_shift && u->n_rounds == 1 && !strcmp(u->runs[0].values[0], "0.001"),
          "digital_shift: false: point 0 is the low end");
    sw_sweep_spec_free(u);
out:
    sw_sweep_spec_free(t);
    sw_sweep_spec_free(s);
}

int main(void)
{
    test_crossing();
    test_values_and_ranges();
    test_uniqueness();
    test_determinism();
    test_forms_and_warnings();
    test_errors();
    test_tpe_points();
    return check_report("sweep search");
}
