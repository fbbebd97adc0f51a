/* test_sweep_spec.c: sweep files expanded into runs (sweepspec.c): grid order, zip,
 * exclude, --set overrides and axes, short keys, run ids (deterministic, readable, hashed
 * when long), the config hash, the schedule shorthand and the list rule on every path
 * that reads them, and the "did you mean" suggestions. Parses text in memory; writes
 * nothing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "config.h"
#include "spec_text.h"
#include "sweepspec.h"
#include "task.h"

static const char *ids(const sw_sweep_spec *s)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; s && i < s->n_runs && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", s->runs[i].id);
    return buf;
}

/* The schedule kind of every run, in order, as letters (c = cosine, s = step, k = constant). */
static const char *kinds(const sw_sweep_spec *s)
{
    static char buf[64];
    int n = 0;
    for (int i = 0; s && i < s->n_runs && n + 1 < (int)sizeof buf; i++) {
        sw_schedule_kind k = s->runs[i].cfg.train.schedule.kind;
        buf[n++] = k == SW_SCHED_COSINE ? 'c' : k == SW_SCHED_STEP ? 's' : k == SW_SCHED_CONSTANT ? 'k' : '?';
    }
    buf[n] = 0;
    return buf;
}

/* `schedule: cosine` stands for `schedule: {kind: cosine}` wherever a section's value is
 * read: base, grid, zip, exclude and --set, each with its own code path to the one rule. */
static void test_schedule_shorthand(void)
{
    sw_sweep_spec *s = load("base:\n  train: {schedule: cosine}\ngrid: {seed: [1, 2]}\n", NULL, 0);
    CHECK(s && !strcmp(kinds(s), "cc"), "base shorthand: %s", kinds(s));
    sw_sweep_spec_free(s);
    s = load("grid:\n  schedule: [cosine, step]\n", NULL, 0);
    CHECK(s && !strcmp(kinds(s), "cs") && !strcmp(ids(s), "schedule.kind=cosine schedule.kind=step"),
          "grid shorthand: %s %s", kinds(s), ids(s));
    sw_sweep_spec_free(s);
    s = load("zip:\n  - {train.schedule: [cosine, constant], seed: [1, 2]}\n", NULL, 0);
    CHECK(s && !strcmp(kinds(s), "ck") && s->runs[1].cfg.seed == 2, "zip shorthand: %s", kinds(s));
    sw_sweep_spec_free(s);
    s = load("grid: {schedule: [cosine, step], seed: [1, 2]}\nexclude:\n  - {schedule: cosine, seed: 2}\n", NULL, 0);
    CHECK(s && !strcmp(kinds(s), "css") && s->n_warnings == 0, "exclude shorthand: %s (%s)", kinds(s), ids(s));
    sw_sweep_spec_free(s);
    {
        const char *sets[] = {"schedule=cosine"};
        s = load("grid: {seed: [1, 2]}\n", sets, 1);
        CHECK(s && !strcmp(kinds(s), "cc"), "--set shorthand: %s", kinds(s));
        sw_sweep_spec_free(s);
        const char *sets2[] = {"train.schedule=[cosine, constant]"};
        s = load("name: x\n", sets2, 1);
        CHECK(s && !strcmp(kinds(s), "ck"), "--set shorthand list: %s", kinds(s));
        sw_sweep_spec_free(s);
    }
    /* The shorthand sets the kind, so writing the kind too is setting it twice. */
    expect_fail("base:\n  train:\n    schedule: cosine\n    schedule.kind: step\n", NULL, 0,
                "t.yaml:4:5: train.schedule.kind is set twice (first at line 3, column 5)");
    /* Only the schedule has a shorthand; other sections still want a mapping. */
    expect_fail("base: {model: gru}\n", NULL, 0, "t.yaml:1:15: model is a section: expected a mapping of its keys");
    expect_fail("grid: {model: [gru]}\n", NULL, 0, "grid: model is a section: each value must be a mapping");
    expect_fail("grid: {seed: [1, 2]}\nexclude: [{model: gru}]\n", NULL, 0,
                "exclude: model is a section: expected a mapping of its keys");
    expect_fail("base:\n  train: {schedule: [cosine]}\n", NULL, 0, "train.schedule is a section");
}

/* A list is several values, except for a list-typed key, where it is one value unless it
 * is a list of lists: in an exclude entry (any of) and in a --set (an axis). */
static void test_list_rule(void)
{
    const char *grid = "grid: {milestones: [[1], [2, 3], []], seed: [1, 2]}\n";
    sw_sweep_spec *s = load("grid: {milestones: [[1], [2, 3], []], seed: [1, 2]}\nexclude: [{milestones: [2, 3]}]\n",
                            NULL, 0);
    CHECK(s && s->n_runs == 4 && s->runs[2].cfg.train.schedule.n_milestones == 0, "exclude one list value: %s", ids(s));
    sw_sweep_spec_free(s);
    s = load("grid: {milestones: [[1], [2, 3], []], seed: [1, 2]}\nexclude: [{milestones: [[1], []]}]\n", NULL, 0);
    CHECK(s && s->n_runs == 2 && s->runs[0].cfg.train.schedule.n_milestones == 2, "exclude any of lists: %s", ids(s));
    sw_sweep_spec_free(s);
    s = load("grid: {milestones: [[1], []], seed: [1, 2]}\nexclude: [{seed: [1, 2], milestones: []}]\n", NULL, 0);
    CHECK(s && s->n_runs == 2 && s->runs[1].cfg.train.schedule.n_milestones == 1, "exclude any of values: %s", ids(s));
    sw_sweep_spec_free(s);
    const char *one[] = {"milestones=[4,5]"};
    s = load(grid, one, 1);
    CHECK(s && s->n_runs == 2 && s->n_swept == 1 && s->runs[0].cfg.train.schedule.n_milestones == 2,
          "--set a list value: %s", ids(s));
    sw_sweep_spec_free(s);
    const char *axis[] = {"milestones=[[4],[5,6]]", "seed=[7,8,9]"};
    s = load("name: x\n", axis, 2);
    CHECK(s && s->n_runs == 6 && !strcmp(s->runs[5].id, "milestones=5+6,seed=9"), "--set list axes: %s", ids(s));
    sw_sweep_spec_free(s);
    const char *sections[] = {"model=[{cell: gru}, {cell: lstm, hidden: 8}]"};
    s = load("name: x\n", sections, 1);
    CHECK(s && !strcmp(ids(s), "cell=gru cell=lstm,hidden=8"), "--set a list of mappings: %s", ids(s));
    sw_sweep_spec_free(s);
}

/* "Did you mean" from both users of sw_edit_distance: config.c (keys and values) and the
 * top-level keys of a sweep file. */
static void test_suggestions(void)
{
    CHECK(sw_edit_distance("kitten", "sitting") == 3 && sw_edit_distance("", "abc") == 3 &&
          sw_edit_distance("grid", "grid") == 0 && sw_edit_distance("gird", "grid") == 2, "edit distances");
    char longer[80];
    memset(longer, 'a', 64);
    longer[64] = 0;
    CHECK(sw_edit_distance(longer, "a") == SW_EDIT_DISTANCE_FAR, "long names are far");
    expect_fail("base: {model: {hiden: 3}}\n", NULL, 0, "unknown key \"model.hiden\"; did you mean \"model.hidden\"?");
    expect_fail("base: {model: {cell: gruu}}\n", NULL, 0, "unknown value \"gruu\"; allowed: one of rnn, lstm, gru, transformer "
                "(did you mean \"gru\"?)");
    const char *sets[] = {"sede=3"};
    expect_fail("name: x\n", sets, 1, "--set sede=3: unknown key \"sede\"; did you mean \"seed\"?");
    expect_fail("gird: {seed: [1]}\n", NULL, 0, "t.yaml:1:1: unknown top-level key \"gird\"; did you mean \"grid\"?");
    expect_fail("name: x\nexclud: []\n", NULL, 0, "unknown top-level key \"exclud\"; did you mean \"exclude\"?");
    expect_fail("qqq: 1\n", NULL, 0,
                "unknown top-level key \"qqq\"; allowed: name, description, base, grid, zip, exclude");
    expect_fail("hidden: 8\n", NULL, 0, "unknown top-level key \"hidden\"; config keys go under base:");
    expect_fail("- name\n", NULL, 0, "the top level must be a mapping with keys name, description, base, grid, zip, "
                "exclude, search, space, stop; got a list");
}

/* No grid: one run with the defaults, named after the file. */
static void test_single_run_defaults(void)
{
    sw_sweep_spec *s;
    s = sw_sweep_spec_parse("dir/my-sweep.yaml", "description: x\n", 15, NULL, 0, &s, spec_err, sizeof spec_err) == SW_OK ? s : NULL;
    CHECK(s && s->n_runs == 1 && !strcmp(s->runs[0].id, "run") && !strcmp(s->name, "my-sweep"), "single run: %s", spec_err);
    if (s) {
        sw_config d;
        sw_config_defaults(&d);
        sw_task_resolve(&d.task, NULL, NULL, 0, NULL); /* runs carry the task's own sizes */
        CHECK(memcmp(&d, &s->runs[0].cfg, sizeof d) == 0, "no keys: the defaults");
        CHECK(s->runs[0].cost > 50e9 && s->runs[0].cost < 58e9, "cost of the reference run %.3g", s->runs[0].cost);
    }
    sw_sweep_spec_free(s);
}

/* Grid: cartesian product, first axis slowest; canonical and short keys; sections. */
static void test_grid_order(void)
{
    const char *grid = "name: g\n"
                       "base:\n  task: {seq_len: 30}\n  train:\n    epochs: 7\n    schedule: {kind: cosine, min_lr: 0.0001}\n"
                       "grid:\n  model.cell: [rnn, gru]\n  seq_len: [10, 100]\n  seed: [3, 1]\n";
    sw_sweep_spec *s = load(grid, NULL, 0);
    CHECK(s && s->n_runs == 8, "8 runs");
    CHECK(s && !strcmp(ids(s), "cell=rnn,seq_len=10,seed=3 cell=rnn,seq_len=10,seed=1 cell=rnn,seq_len=100,seed=3 "
                               "cell=rnn,seq_len=100,seed=1 cell=gru,seq_len=10,seed=3 cell=gru,seq_len=10,seed=1 "
                               "cell=gru,seq_len=100,seed=3 cell=gru,seq_len=100,seed=1"), "grid order: %s", ids(s));
    if (s) {
        CHECK(s->n_swept == 3 && !strcmp(s->swept_keys[1], "task.seq_len") && !strcmp(s->swept_short[1], "seq_len"),
              "swept keys");
        const sw_config *c = &s->runs[5].cfg;
        CHECK(c->model.cell == SW_CELL_GRU && c->task.seq_len == 10 && c->seed == 1 && c->train.epochs == 7 &&
              c->train.schedule.kind == SW_SCHED_COSINE && c->train.schedule.min_lr == 1e-4, "run 6 resolved");
        CHECK(!strcmp(s->runs[5].values[0], "gru") && !strcmp(s->runs[5].values[2], "1"), "values");
        CHECK(s->runs[5].cost < s->runs[6].cost, "longer sequences cost more");
        /* Same text, same ids and hashes (determinism); different hash per run. */
        sw_sweep_spec *t = load(grid, NULL, 0);
        for (int i = 0; t && i < s->n_runs; i++) {
            CHECK(!strcmp(s->runs[i].id, t->runs[i].id) && !strcmp(s->runs[i].hash, t->runs[i].hash), "deterministic");
            for (int j = 0; j < i; j++) CHECK(strcmp(s->runs[i].hash, s->runs[j].hash), "hashes differ");
        }
        sw_sweep_spec_free(t);
    }
    sw_sweep_spec_free(s);
}

/* The config hash changes when a base key changes, the id does not. */
static void test_hash_follows_config(void)
{
    sw_sweep_spec *a = load("grid: {seed: [1]}\n", NULL, 0);
    const char *sets[] = {"train.epochs=9"};
    sw_sweep_spec *b = load("grid: {seed: [1]}\n", sets, 1);
    CHECK(a && b && !strcmp(a->runs[0].id, b->runs[0].id) && strcmp(a->runs[0].hash, b->runs[0].hash),
          "hash follows the config");
    CHECK(b && strstr(b->text, "# --set train.epochs=9"), "overrides recorded with the text");
    sw_sweep_spec_free(a);
    sw_sweep_spec_free(b);
}

/* Floats, lists and schedules in ids. */
static void test_value_ids(void)
{
    sw_sweep_spec *s = load("grid:\n  lr: [0.001, 1e-8, 2]\n  train.schedule.milestones: [[10, 20], []]\n", NULL, 0);
    CHECK(s && !strcmp(ids(s), "lr=0.001,milestones=10+20 lr=0.001,milestones=none lr=1e-8,milestones=10+20 "
                               "lr=1e-8,milestones=none lr=2,milestones=10+20 lr=2,milestones=none"), "ids %s", ids(s));
    sw_sweep_spec_free(s);
}

/* A grid over train.schedule as a list of mappings (and the kind shorthand). */
static void test_schedule_axis(void)
{
    sw_sweep_spec *s =
        load("grid:\n  train.schedule:\n    - {kind: step, step: 10}\n    - {kind: cosine}\n    - constant\n", NULL, 0);
    CHECK(s && s->n_runs == 3 && s->n_swept == 2, "schedule axis");
    if (s && s->n_runs == 3) {
        CHECK(!strcmp(s->runs[0].id, "schedule.kind=step,step=10"), "id %s", s->runs[0].id);
        CHECK(!strcmp(s->runs[1].id, "schedule.kind=cosine"), "id %s", s->runs[1].id);
        CHECK(s->runs[2].cfg.train.schedule.kind == SW_SCHED_CONSTANT, "shorthand");
    }
    sw_sweep_spec_free(s);
}

/* Nested grid sections. */
static void test_nested_grid(void)
{
    sw_sweep_spec *s = load("grid:\n  model: {hidden: [8, 16]}\n", NULL, 0);
    CHECK(s && s->n_runs == 2 && s->runs[1].cfg.model.hidden == 16 && !strcmp(s->runs[1].id, "hidden=16"), "nested grid");
    sw_sweep_spec_free(s);
}

/* Zip: lists vary together; combined with a grid axis. */
static void test_zip(void)
{
    sw_sweep_spec *s =
        load("grid:\n  seed: [1, 2]\nzip:\n  - {hidden: [8, 16, 32], lr: [0.01, 0.005, 0.002]}\n", NULL, 0);
    CHECK(s && s->n_runs == 6, "zip x grid: %d", s ? s->n_runs : -1);
    if (s && s->n_runs == 6) {
        CHECK(!strcmp(s->runs[0].id, "seed=1,hidden=8,lr=0.01") && !strcmp(s->runs[5].id, "seed=2,hidden=32,lr=0.002"),
              "zip ids %s", ids(s));
        CHECK(s->runs[4].cfg.model.hidden == 16 && s->runs[4].cfg.train.lr == 0.005, "zip pairs");
    }
    sw_sweep_spec_free(s);
    s = load("zip: {hidden: [8, 16], seed: [5, 6]}\n", NULL, 0);
    CHECK(s && s->n_runs == 2 && s->runs[1].cfg.seed == 6, "zip as a single mapping");
    sw_sweep_spec_free(s);
}

/* Exclude: partial assignments, lists meaning any of. */
static void test_exclude(void)
{
    sw_sweep_spec *s =
        load("grid:\n  cell: [rnn, lstm, gru]\n  seq_len: [20, 500]\n  seed: [1, 2]\n"
             "exclude:\n  - {cell: rnn, seq_len: 500}\n  - {model.cell: [lstm, gru], seed: 2, task.seq_len: 20}\n",
             NULL, 0);
    CHECK(s && s->n_runs == 12 - 2 - 2, "exclude: %d runs (%s)", s ? s->n_runs : -1, ids(s));
    for (int i = 0; s && i < s->n_runs; i++) {
        const sw_config *c = &s->runs[i].cfg;
        CHECK(!(c->model.cell == SW_CELL_RNN && c->task.seq_len == 500), "excluded rnn/500 present");
        CHECK(!(c->model.cell != SW_CELL_RNN && c->seed == 2 && c->task.seq_len == 20), "excluded present");
        CHECK(s->runs[i].index == i, "indices renumbered");
    }
    CHECK(s && s->n_warnings == 0, "no warnings");
    sw_sweep_spec_free(s);
    s = load("grid: {seed: [1, 2]}\nexclude:\n  - {seed: 7}\n", NULL, 0);
    CHECK(s && s->n_warnings == 1 && strstr(s->warnings[0], "t.yaml:3:5: warning"), "unmatched exclude warns: %s",
          s && s->n_warnings ? s->warnings[0] : "");
    sw_sweep_spec_free(s);
}

/* --set: a value for every run, replacing an axis; a list making an axis. */
static void test_set_overrides(void)
{
    const char *sets[] = {"seed=[1,2,3]", "train.epochs=5", "model.cell=gru"};
    sw_sweep_spec *s = load("grid:\n  cell: [rnn, lstm]\n  hidden: [8, 16]\n", sets, 3);
    CHECK(s && s->n_runs == 6 && !strcmp(s->runs[0].id, "hidden=8,seed=1"), "--set axes: %s", ids(s));
    for (int i = 0; s && i < s->n_runs; i++)
        CHECK(s->runs[i].cfg.train.epochs == 5 && s->runs[i].cfg.model.cell == SW_CELL_GRU, "--set values");
    sw_sweep_spec_free(s);
    const char *sets2[] = {"hidden=[32]", "train.schedule={kind: exponential, gamma: 0.9}",
                           "train.schedule.milestones=[3,4]"};
    s = load("grid:\n  seed: [1, 2]\n  hidden: [8, 16]\n", sets2, 3);
    CHECK(s && s->n_runs == 2 && !strcmp(s->runs[1].id, "seed=2,hidden=32"), "--set replaces an axis in place: %s",
          ids(s));
    CHECK(s && s->runs[0].cfg.train.schedule.kind == SW_SCHED_EXPONENTIAL &&
          s->runs[0].cfg.train.schedule.gamma == 0.9 && s->runs[0].cfg.train.schedule.n_milestones == 2,
          "--set mapping and list value");
    sw_sweep_spec_free(s);
    /* A list of mappings replaces every axis on its keys, in the place of the first. */
    const char *sets4[] = {"model=[{cell: gru, hidden: 4}, {cell: rnn, hidden: 8}]"};
    s = load("grid:\n  cell: [rnn, lstm]\n  seed: [1, 2]\n  hidden: [8, 16]\n", sets4, 1);
    CHECK(s && s->n_swept == 3 && !strcmp(s->swept_keys[1], "model.hidden") && !strcmp(s->swept_keys[2], "seed"),
          "--set replaces both axes: %d swept", s ? s->n_swept : -1);
    CHECK(s && !strcmp(ids(s), "cell=gru,hidden=4,seed=1 cell=gru,hidden=4,seed=2 cell=rnn,hidden=8,seed=1 "
                               "cell=rnn,hidden=8,seed=2"), "--set list of mappings over two axes: %s", ids(s));
    sw_sweep_spec_free(s);
    const char *sets5[] = {"model=[{hidden: 4, cell: gru}]"};
    expect_fail("grid: {hidden: [8, 16]}\nzip: {cell: [rnn, gru], seed: [1, 2]}\n", sets5, 1,
                "--set model=[{hidden: 4, cell: gru}]: model.cell varies in the zip group at t.yaml:2:6");
    const char *sets3[] = {"seed=4", "seed=5"};
    s = load("name: x\n", sets3, 2);
    CHECK(s && s->n_runs == 1 && s->runs[0].cfg.seed == 5, "the last --set wins");
    sw_sweep_spec_free(s);
}

/* Keys and their short forms. */
static void test_short_keys(void)
{
    char shortname[64];
    sw_short_key("train.schedule.kind", shortname, sizeof shortname);
    CHECK(!strcmp(shortname, "schedule.kind"), "short %s", shortname);
    sw_short_key("task.kind", shortname, sizeof shortname);
    CHECK(!strcmp(shortname, "task.kind"), "short %s", shortname);
    sw_short_key("seed", shortname, sizeof shortname);
    CHECK(!strcmp(shortname, "seed"), "short %s", shortname);
    for (size_t i = 0; i < sw_schema_len; i++) {
        sw_short_key(sw_schema[i].key, shortname, sizeof shortname);
        CHECK(sw_resolve_key(shortname) == &sw_schema[i], "short form %s resolves back", shortname);
        CHECK(sw_resolve_key(sw_schema[i].key) == &sw_schema[i], "canonical resolves");
    }
    CHECK(sw_resolve_key("kind") == NULL, "ambiguous");
}

/* Long ids become an index plus a hash, still unique and stable. */
static void test_hashed_ids(void)
{
    const char *text = "grid:\n  train.schedule.milestones: [[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16], "
                       "[2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]]\n"
                       "  lr: [0.001, 0.002]\n  weight_decay: [0.000123456789]\n";
    sw_sweep_spec *s = load(text, NULL, 0);
    CHECK(s && s->n_runs == 4 && !strncmp(s->runs[0].id, "r001-", 5) && strlen(s->runs[0].id) == 13 &&
          !strncmp(s->runs[3].id, "r004-", 5), "hashed ids %s", ids(s));
    if (s) {
        sw_sweep_spec *t = load(text, NULL, 0);
        CHECK(t && !strcmp(ids(s), ids(t)), "hashed ids are stable");
        sw_sweep_spec_free(t);
    }
    sw_sweep_spec_free(s);
}

/* A few errors with their positions (the CLI tests cover many more). */
static void test_errors(void)
{
    expect_fail("grid:\n  seed: [1, 2]\n  model.hidden: [8, 0]\n", NULL, 0,
                "t.yaml:3:21: model.hidden: 0 is out of range; allowed: an integer from 1 to 1024");
    expect_fail("base:\n  task: {train_size: 100}\ngrid:\n  batch: [50, 200]\n", NULL, 0,
                "t.yaml:4:15: train.batch: 200 is larger than the training set (task.train_size = 100)");
    expect_fail("base:\n  train: {batch: 64}\ngrid:\n  task.train_size: [100, 50]\n", NULL, 0,
                "t.yaml:2:18: train.batch: 64 is larger than the training set (task.train_size = 50); allowed: a batch "
                "of at most task.train_size (in run train_size=50)");
    expect_fail("grid: {seed: [1,2]}\nzip: {seed: [3, 4]}\n", NULL, 0, "seed is already swept");
    expect_fail("zip: {hidden: [1, 2], seed: [1, 2, 3]}\n", NULL, 0, "lists of unequal length");
    const char *sets[] = {"hidden=8"};
    expect_fail("zip: {hidden: [1, 2], seed: [1, 2]}\n", sets, 1, "--set hidden=8: model.hidden varies together");
    const char *sets2[] = {"epochs"};
    expect_fail("name: x\n", sets2, 1, "--set epochs: expected KEY=VALUE");
    const char *sets3[] = {"model=5"};
    expect_fail("name: x\n", sets3, 1, "model is a section");
    expect_fail("grid:\n  hidden: [8, 16]\n  seed: [1, 2, 3]\n  lr: [0.1, 0.2]\n  cell: [rnn, lstm, gru]\n"
                "  seq_len: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]\n"
                "  layers: [1,2,3,4,5,6,7,8]\n  input_size: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21]\n"
                "  probe_size: [1,2,3,4,5,6,7,8,9,10]\n",
                NULL, 0, "at most 100000");
}

int main(void)
{
    test_single_run_defaults();
    test_grid_order();
    test_hash_follows_config();
    test_value_ids();
    test_schedule_axis();
    test_nested_grid();
    test_zip();
    test_exclude();
    test_set_overrides();
    test_short_keys();
    test_hashed_ids();
    test_errors();
    test_schedule_shorthand();
    test_list_rule();
    test_suggestions();
    return check_report("sweep spec");
}
