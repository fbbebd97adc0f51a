/* test_config_schema.c: the config schema (config.c) on its own: defaults are the seed
 * protocol, every key parses its default text back, ranges and types are enforced with
 * messages naming key, value and what is allowed, and the cost/memory estimates have the
 * figures the issues quote. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "config.h"
#include "estimate.h"
#include "task.h"
#include "validate.h"

static char err[512];

static int set(sw_config *c, const char *key, const char *text, bool quoted)
{
    const sw_key_info *k = sw_schema_find(key);
    if (!k) {
        snprintf(err, sizeof err, "no such key %s", key);
        return -100;
    }
    err[0] = 0;
    return sw_config_set(c, k, text, quoted, err, sizeof err);
}

static void expect_error(const char *key, const char *text, bool quoted, const char *substring)
{
    sw_config c;
    sw_config_defaults(&c);
    sw_config before = c;
    int rc = set(&c, key, text, quoted);
    CHECK(rc == SW_ECONFIG, "%s=%s should fail (rc %d)", key, text, rc);
    CHECK(strstr(err, substring) != NULL, "%s=%s: message \"%s\" lacks \"%s\"", key, text, err, substring);
    CHECK(strstr(err, key) != NULL, "message \"%s\" does not name the key %s", err, key);
    CHECK(memcmp(&c, &before, sizeof c) == 0, "%s=%s: a failed set changed the config", key, text);
}

/* Per-epoch tables (SW_TYPE_FLOAT_LIST): each names a float key whose range its values take;
 * text round-trips bit for bit; an epoch's config takes each table's value; a failed set
 * leaves the config alone. */
static void test_tables(void)
{
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        if (k->type != SW_TYPE_FLOAT_LIST) continue;
        const sw_key_info *of = sw_schema_find(k->per_epoch_of);
        CHECK(of && of->type == SW_TYPE_FLOAT && sw_key_range_of(k) == of, "%s tabulates a float key", k->key);
    }
    sw_config c;
    sw_config_defaults(&c);
    CHECK(!sw_config_has_tables(&c), "no tables by default");
    /* 0.1 + 0.2 and 1/3 have no short decimal: written shortest, read back the same */
    char text[200], back[200];
    snprintf(text, sizeof text, "[%.17g, %.17g, 0.5]", 0.1 + 0.2, 1.0 / 3.0);
    CHECK(set(&c, "train.schedule.clip_values", text, false) == SW_OK, "clip_values %s: %s", text, err);
    sw_config_format(&c, sw_schema_find("train.schedule.clip_values"), back, sizeof back);
    sw_config d;
    sw_config_defaults(&d);
    CHECK(set(&d, "train.schedule.clip_values", back, false) == SW_OK && !memcmp(&c, &d, sizeof c),
          "%s read back from %s: the same config", back, text);
    int n;
    const double *v = sw_config_get_floats(&c, sw_schema_find("train.schedule.clip_values"), &n);
    CHECK(n == 3 && v[0] == 0.1 + 0.2 && v[1] == 1.0 / 3.0 && v[2] == 0.5, "the values as given");
    sw_config scratch;
    const sw_config *at = sw_config_at_epoch(&c, 2, &scratch);
    CHECK(at == &scratch && at->train.clip == 1.0 / 3.0 && c.train.clip == 0, "epoch 2's clip: %g", at->train.clip);
    CHECK(sw_config_at_epoch(&d, 0, &scratch) == &scratch, "a config with tables is copied");
    sw_config_defaults(&d);
    CHECK(sw_config_at_epoch(&d, 2, &scratch) == &d, "a config without tables is itself");
    c.train.epochs = 4;
    const char *bad = NULL;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG && bad &&
          !strcmp(bad, "train.schedule.clip_values") && strstr(err, "3 values for 4 epochs"), "length: %s", err);
    expect_error("train.schedule.dropout_values", "[0.1, 1.0]", false, "out of model.dropout's range");
    expect_error("train.schedule.values", "[0.1, x]", false, "\"x\" is not a number");
    expect_error("train.schedule.values", "[0.1, 0]", false, "value 2 (epoch 2), 0, is out of train.lr's range");
}

/* The seed protocol: the sizes are left to the task, whose own are the seed's, and the other
 * defaults are the seed's and validate. */
static void test_defaults_are_seed_protocol(void)
{
    sw_config c;
    sw_config_defaults(&c);
    CHECK(c.task.seq_len == 0 && c.task.input_size == 0 && c.task.train_size == 0 && c.task.test_size == 0,
          "sizes left to the task");
    char terr[256];
    const char *tbad = NULL;
    CHECK(sw_task_resolve(&c.task, NULL, terr, sizeof terr, &tbad) == SW_OK, "resolve: %s", terr);
    CHECK(c.task.kind == SW_TASK_MEAN_SIGN && c.task.seq_len == 20 && c.task.input_size == 10, "task");
    CHECK(c.task.train_size == 5000 && c.task.test_size == 1000, "sizes");
    sw_config_defaults(&c);
    CHECK(c.model.cell == SW_CELL_RNN && c.model.hidden == 64 && c.model.layers == 2, "model");
    CHECK(c.model.dropout == 0.2, "dropout");
    CHECK(c.train.epochs == 50 && c.train.batch == 32 && c.train.steps_per_epoch == 10, "train");
    CHECK(c.train.optimizer == SW_OPTIM_ADAM && c.train.lr == 1e-3 && c.train.beta1 == 0.9 &&
          c.train.beta2 == 0.999 && c.train.eps == 1e-8, "adam");
    CHECK(c.train.schedule.kind == SW_SCHED_STEP && c.train.schedule.step == 20 &&
          c.train.schedule.gamma == 0.5, "schedule");
    CHECK(c.train.clip == 0 && c.train.weight_decay == 0 && c.seed == 0, "off by default");
    CHECK(sw_config_validate(&c, err, sizeof err, NULL) == SW_OK, "defaults validate: %s", err);
}

/* A size the task fixes may be written only with its value; a path only with a task read from a file. */
static void test_task_fixed_sizes_and_path(void)
{
    char terr[256];
    const char *tbad = NULL;
    sw_config t;
    sw_config_defaults(&t);
    t.task.kind = SW_TASK_ADDING;
    t.task.input_size = 10;
    CHECK(sw_task_resolve(&t.task, NULL, terr, sizeof terr, &tbad) == SW_ECONFIG && tbad &&
          !strcmp(tbad, "task.input_size") && strstr(terr, "differs from the task's 2"), "adding input_size: %s", terr);
    t.task.input_size = 2;
    CHECK(sw_task_resolve(&t.task, NULL, terr, sizeof terr, &tbad) == SW_OK, "adding input_size 2");
    sw_config_defaults(&t);
    snprintf(t.task.path, sizeof t.task.path, "data.h5");
    CHECK(sw_task_resolve(&t.task, NULL, terr, sizeof terr, &tbad) == SW_ECONFIG && !strcmp(tbad, "task.path"),
          "task.path with mean_sign");
}

/* Every key: its default text parses to the defaults, and formatting round-trips. */
static void test_default_texts_round_trip(void)
{
    sw_config c;
    sw_config_defaults(&c);
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        CHECK(sw_schema_find(k->key) == k, "find %s", k->key);
        CHECK(k->doc && strlen(k->doc) > 10, "%s documented", k->key);
        sw_config d;
        sw_config_defaults(&d);
        memset((char *)&d + k->offset, 0x55, 1);
        int rc = sw_config_set(&d, k, k->default_text, false, err, sizeof err);
        CHECK(rc == SW_OK, "default text of %s parses: %s", k->key, err);
        char a[128], b[128];
        sw_config_format(&d, k, a, sizeof a);
        sw_config_format(&c, k, b, sizeof b);
        CHECK(strcmp(a, b) == 0, "%s: default text gives %s, defaults give %s", k->key, a, b);
        sw_config e;
        sw_config_defaults(&e);
        CHECK(sw_config_set(&e, k, b, false, err, sizeof err) == SW_OK, "%s: formatted %s parses", k->key, b);
        CHECK(memcmp(&e, &c, sizeof c) == 0, "%s: format/parse round trip", k->key);
    }
}

/* Accepted values: each type's forms set the value they spell. */
static void test_accepted_values(void)
{
    sw_config c;
    sw_config_defaults(&c);
    CHECK(set(&c, "train.lr", "1e-3", false) == SW_OK && c.train.lr == 1e-3, "1e-3");
    CHECK(set(&c, "train.lr", "2", false) == SW_OK && c.train.lr == 2, "int for float");
    CHECK(set(&c, "model.cell", "gru", false) == SW_OK && c.model.cell == SW_CELL_GRU, "enum");
    CHECK(set(&c, "model.cell", "lstm", true) == SW_OK && c.model.cell == SW_CELL_LSTM, "quoted enum");
    CHECK(set(&c, "train.nesterov", "true", false) == SW_OK && c.train.nesterov, "bool");
    CHECK(set(&c, "seed", "9007199254740993", false) == SW_OK && c.seed == 9007199254740993LL, "int64 seed");
    CHECK(set(&c, "train.schedule.milestones", "[10, 30]", false) == SW_OK &&
          c.train.schedule.n_milestones == 2 && c.train.schedule.milestones[1] == 30, "list");
    CHECK(set(&c, "train.schedule.milestones", "[]", false) == SW_OK && c.train.schedule.n_milestones == 0,
          "empty list");
    CHECK(set(&c, "train.steps_per_epoch", "0", false) == SW_OK, "steps 0 = full pass");
}

/* Rejected values: type, range, booleans, enums. */
static void test_rejected_values(void)
{
    expect_error("model.hidden", "0", false, "0 is out of range; allowed: an integer from 1 to 1024");
    expect_error("model.hidden", "1025", false, "out of range");
    expect_error("model.hidden", "64", true, "quoted string \"64\"");
    expect_error("model.hidden", "6.5", false, "expected an integer");
    expect_error("model.hidden", "lots", false, "expected an integer");
    expect_error("model.hidden", "0x40", false, "expected an integer");
    expect_error("model.dropout", "1", false, "allowed: a number in [0, 1)");
    expect_error("model.dropout", "-0.1", false, "out of range");
    expect_error("train.lr", "0", false, "allowed: a number > 0");
    expect_error("train.lr", "-1e-3", false, "out of range");
    expect_error("train.lr", ".inf", false, "not a finite number");
    expect_error("train.lr", ".nan", false, "not a finite number");
    expect_error("train.lr", "nan", false, "expected a number");
    expect_error("train.lr", "1e999", false, "cannot be represented");
    expect_error("train.schedule.gamma", "0", false, "(0, 1]");
    expect_error("train.nesterov", "yes", false, "write true or false");
    expect_error("train.nesterov", "on", false, "write true or false");
    expect_error("train.nesterov", "True", false, "write true or false");
    expect_error("train.nesterov", "true", true, "quoted string");
    expect_error("model.cell", "grue", false, "did you mean \"gru\"");
    expect_error("model.cell", "transformers", false, "allowed: one of rnn, lstm, gru, transformer");
    expect_error("task.seq_len", "10001", false, "from 0 to 10000");
    expect_error("seed", "-1", false, "an integer >= 0");
    expect_error("seed", "99999999999999999999", false, "out of range");
    expect_error("train.epochs", "", false, "got no value");
    expect_error("train.schedule.milestones", "[30, 10]", false, "strictly ascending");
    expect_error("train.schedule.milestones", "[0]", false, "out of range");
    expect_error("train.schedule.milestones", "[a]", false, "not an integer");
}

/* Cross-key rules: values each valid alone, refused together. */
static void test_cross_key_rules(void)
{
    sw_config t;
    sw_config_defaults(&t);
    t.model.activation = SW_ACT_RELU;
    t.model.cell = SW_CELL_LSTM;
    char terr[256];
    const char *tbad = NULL;
    CHECK(sw_config_validate(&t, terr, sizeof terr, &tbad) == SW_ECONFIG && !strcmp(tbad, "model.activation"),
          "relu with lstm");
    const char *bad = NULL;
    sw_config c;
    sw_config_defaults(&c);
    c.train.batch = 6000;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG && bad && !strcmp(bad, "train.batch") &&
          strstr(err, "larger than the training set"), "batch > train_size: %s", err);
    sw_config_defaults(&c);
    c.task.kind = SW_TASK_FIRST_SIGN;
    c.task.seq_len = 3;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG && !strcmp(bad, "task.signal_steps"),
          "signal_steps > seq_len: %s", err);
    c.task.kind = SW_TASK_MEAN_SIGN;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_OK, "signal_steps ignored for mean_sign");
    sw_config_defaults(&c);
    c.train.schedule.kind = SW_SCHED_MULTISTEP;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG, "multistep without milestones");
    sw_config_defaults(&c);
    c.model.hidden = 1024, c.model.layers = 8, c.task.seq_len = 10000, c.train.batch = 4096;
    c.model.cell = SW_CELL_LSTM;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG && strstr(err, "memory"),
          "huge run refused: %s", err);
    sw_config_defaults(&c);
    c.model.hidden = 0;
    CHECK(sw_config_validate(&c, err, sizeof err, &bad) == SW_ECONFIG && !strcmp(bad, "model.hidden"),
          "validate checks ranges of configs built in code");
}

/* Suggestions: a misspelt key gets the nearest one, an unrelated name none. */
static void test_key_suggestions(void)
{
    const char *s = sw_schema_suggest("model.hiden");
    CHECK(s && !strcmp(s, "model.hidden"), "suggest hiden -> %s", s ? s : "(none)");
    s = sw_schema_suggest("model.seq_len");
    CHECK(s && !strcmp(s, "task.seq_len"), "suggest model.seq_len -> %s", s ? s : "(none)");
    s = sw_schema_suggest("train.learning_rate");
    /* the long name of train.lr is 11 edits away: beyond the nearness limit (4), no guess */
    CHECK(s == NULL, "suggest train.learning_rate -> %s", s ? s : "(none)");
    CHECK(sw_schema_suggest("completely.unrelated.thing") == NULL, "nothing near");
}

/* Estimates: the reference run is about 50.7 GFLOP of training and evaluation
 * (issue 2), plus a little for recording the probe set's gradients. */
static void test_cost_and_memory_estimates(void)
{
    sw_config c;
    sw_config_defaults(&c);
    double f = sw_config_cost_flops(&c);
    CHECK(f > 50e9 && f < 58e9, "reference cost %.3g", f);
    c.model.cell = SW_CELL_LSTM;
    CHECK(sw_config_cost_flops(&c) > 3.5 * f, "lstm costs ~4x");
    sw_config_defaults(&c);
    double m = sw_config_memory_bytes(&c);
    CHECK(m > 1e6 && m < 64e6, "reference memory %.3g", m);
    /* The largest sizes the keys allow: the work's count saturates rather than wraps around
     * to a size that would pass the memory check (a transformer's B x heads x T x T attention
     * weights alone are 2^31 x 64 x 10^8 values here). */
    sw_config_defaults(&c);
    c.model.cell = SW_CELL_TRANSFORMER;
    c.model.heads = 64, c.model.layers = SW_MAX_LAYERS;
    c.task.seq_len = SW_MAX_SEQ_LEN, c.task.train_size = INT_MAX, c.train.batch = INT_MAX, c.task.input_size = 1;
    double huge = sw_config_memory_bytes(&c);
    CHECK(huge >= (double)SIZE_MAX, "the largest transformer's estimate %.3g bytes, want at least 2^64", huge);
}

/* The estimate is shown rounded up (an upper bound never reads below itself); other
 * byte counts to the nearest. */
static void test_bytes_shown(void)
{
    struct {
        double bytes;
        const char *nearest, *up;
    } shown[] = {
        {5539.8 * 1048576, "5.4 GiB", "5.5 GiB"}, {5.4 * 1073741824, "5.4 GiB", "5.4 GiB"},
        {1.5 * 1048576, "1.5 MiB", "1.5 MiB"},    {812, "812 B", "812 B"},
        {812.2, "812 B", "813 B"},                {1023.96 * 1024, "1024.0 KiB", "1024.0 KiB"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        char a[32], b[32];
        sw_format_bytes(shown[i].bytes, a, sizeof a);
        sw_format_bytes_up(shown[i].bytes, b, sizeof b);
        CHECK(!strcmp(a, shown[i].nearest) && !strcmp(b, shown[i].up), "%.1f bytes shown as %s and %s, want %s and %s",
              shown[i].bytes, a, b, shown[i].nearest, shown[i].up);
    }
}

/* The resolved config as YAML, and the cells' names and gate counts. */
static void test_resolved_yaml(void)
{
    char terr[256];
    const char *tbad = NULL;
    sw_config c;
    sw_config_defaults(&c);
    sw_task_resolve(&c.task, NULL, terr, sizeof terr, &tbad);
    char *y = sw_config_to_yaml(&c);
    CHECK(y && strstr(y, "task:\n  kind: mean_sign\n  seq_len: 20\n"), "yaml task section:\n%s", y ? y : "");
    CHECK(y && strstr(y, "  schedule:\n    kind: step\n    step: 20\n    gamma: 0.5\n    milestones: []\n"),
          "yaml schedule");
    CHECK(y && strstr(y, "eps: 1.0e-8\n") && strstr(y, "\nseed: 0\n") && strstr(y, "\nrecord:\n"), "yaml rest");
    free(y);
    CHECK(!strcmp(sw_cell_name(SW_CELL_GRU), "gru") && sw_cell_gates(SW_CELL_LSTM) == 4, "cells");
}

/* The section list matches the keys: every key's parent is listed, and every listed
 * section has keys; misspelt sections are suggested. */
static void test_sections_match_keys(void)
{
    for (size_t i = 0; i < sw_schema_len; i++) {
        const char *key = sw_schema[i].key, *dot = strrchr(key, '.');
        if (!dot) continue;
        bool listed = false;
        for (int j = 0; sw_schema_sections[j]; j++)
            listed |= strlen(sw_schema_sections[j]) == (size_t)(dot - key) &&
                      !strncmp(sw_schema_sections[j], key, (size_t)(dot - key));
        CHECK(listed, "the section of %s is listed", key);
    }
    for (int j = 0; sw_schema_sections[j]; j++) {
        size_t n = strlen(sw_schema_sections[j]);
        bool used = false;
        for (size_t i = 0; i < sw_schema_len; i++)
            used |= !strncmp(sw_schema[i].key, sw_schema_sections[j], n) && sw_schema[i].key[n] == '.';
        CHECK(used, "section %s has keys", sw_schema_sections[j]);
    }
    const char *near = sw_schema_suggest("taks");
    CHECK(near && !strcmp(near, "task"), "taks -> task: %s", near ? near : "(none)");
    near = sw_schema_suggest("train.schedul");
    CHECK(near && !strcmp(near, "train.schedule"), "train.schedul -> train.schedule: %s", near ? near : "(none)");
}

int main(void)
{
    test_tables();
    test_defaults_are_seed_protocol();
    test_task_fixed_sizes_and_path();
    test_default_texts_round_trip();
    test_accepted_values();
    test_rejected_values();
    test_cross_key_rules();
    test_key_suggestions();
    test_cost_and_memory_estimates();
    test_bytes_shown();
    test_resolved_yaml();
    test_sections_match_keys();
    return check_report("config schema");
}
