/* validate.c: the rules that involve several keys of a config (each key's own range is
 * config.c's), and the memory a run may take (see validate.h). */
#define _POSIX_C_SOURCE 200809L
#include "validate.h"

#include <stdio.h>
#include <unistd.h>

#include "common.h"
#include "estimate.h"
#include "task.h"

static double physical_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return 0;
    return (double)pages * (double)size;
}

/* The transformer's keys: heads must divide hidden; with a recurrent cell, heads and ff
 * must keep their defaults (a value there would silently do nothing). The recurrent-only
 * keys forget_bias, init and init_scale are ignored by a transformer, as forget_bias is by
 * the rnn cell: they concern weights it does not have. */
static int check_transformer(const sw_config *cfg, char *err, size_t errlen, const char **bad_key)
{
    const sw_model_config *m = &cfg->model;
    if (m->cell != SW_CELL_TRANSFORMER) {
        const char *key = m->heads != 4 ? "model.heads" : m->ff != 0 ? "model.ff" : NULL;
        if (!key) return SW_OK;
        *bad_key = key;
        sw_set_error(err, errlen, "%s: %d applies to the transformer only (model.cell is %s); remove it or use "
            "model.cell: transformer", key, key[6] == 'h' ? m->heads : m->ff, sw_cell_name(m->cell));
        return SW_ECONFIG;
    }
    if (m->hidden % m->heads != 0) {
        *bad_key = "model.heads";
        sw_set_error(err, errlen, "model.heads: %d does not divide model.hidden (%d); allowed: a divisor of "
            "model.hidden (each head has model.hidden / model.heads units)", m->heads, m->hidden);
        return SW_ECONFIG;
    }
    return SW_OK;
}

/* The task's sizes (resolved in *cfg when the config left them to the task; a file
 * task's must have been resolved when its file was read), the cell's activation and the
 * transformer's keys. */
static int check_task_and_cell(sw_config *cfg, char *err, size_t errlen, const char **bad_key)
{
    if (!sw_task_reads_file(cfg->task.kind)) {
        int rc = sw_task_resolve(&cfg->task, NULL, err, errlen, bad_key);
        if (rc) return rc;
    } else if (!cfg->task.seq_len || !cfg->task.input_size || !cfg->task.train_size || !cfg->task.test_size ||
               (cfg->task.kind == SW_TASK_FILE && !cfg->task.file_outputs)) {
        *bad_key = "task.path";
        sw_set_error(err, errlen, "task.path: the %s's sizes were not read before the config was checked",
                     cfg->task.kind == SW_TASK_FILE ? "data file" : "text");
        return SW_EINVAL;
    }
    /* a text's probe sequences are its first test windows */
    if (cfg->task.kind == SW_TASK_TEXT && cfg->record.probe_size > cfg->task.test_size) {
        *bad_key = "record.probe_size";
        sw_set_error(err, errlen, "record.probe_size: %d is more than the %d test windows of %s (task.test_size; the "
                     "probe sequences are the first test windows); allowed: at most %d", cfg->record.probe_size,
                     cfg->task.test_size, cfg->task.path, cfg->task.test_size);
        return SW_ECONFIG;
    }
    if (cfg->model.activation != SW_ACT_TANH && cfg->model.cell != SW_CELL_RNN) {
        *bad_key = "model.activation";
        sw_set_error(err, errlen, "model.activation: %s applies to the rnn cell only (model.cell is %s, whose gates "
            "have their own nonlinearities); remove it or use model.cell: rnn",
            sw_config_get_enum(cfg, sw_schema_find("model.activation")), sw_cell_name(cfg->model.cell));
        return SW_ECONFIG;
    }
    return check_transformer(cfg, err, errlen, bad_key);
}

/* The per-epoch tables: each as long as the training (a table is the value of every epoch,
 * so one that ends early or runs on is a mistake, not a shorter run), and the learning
 * rate's table exactly when its schedule is the table kind. */
static int check_tables(const sw_config *cfg, char *err, size_t errlen, const char **bad_key)
{
    const sw_schedule_config *s = &cfg->train.schedule;
    int n;
    for (size_t i = 0; i < sw_schema_len; i++) {
        const sw_key_info *k = &sw_schema[i];
        if (!sw_config_get_floats(cfg, k, &n) || n == cfg->train.epochs) continue;
        *bad_key = k->key;
        sw_set_error(err, errlen, "%s: %d value%s for %d epochs (train.epochs); allowed: exactly one value per epoch",
                     k->key, n, n == 1 ? "" : "s", cfg->train.epochs);
        return SW_ECONFIG;
    }
    sw_config_get_floats(cfg, sw_schema_find("train.schedule.values"), &n);
    if (s->kind == SW_SCHED_TABLE && n == 0) {
        *bad_key = "train.schedule.kind";
        sw_set_error(err, errlen, "train.schedule.kind: table needs the learning rate of every epoch in "
                     "train.schedule.values, e.g. schedule: {kind: table, values: [0.01, 0.01, 0.005]}");
        return SW_ECONFIG;
    }
    if (s->kind != SW_SCHED_TABLE && n > 0) {
        *bad_key = "train.schedule.values";
        sw_set_error(err, errlen, "train.schedule.values: a table of learning rates applies to schedule kind table, "
                     "not %s; write schedule: {kind: table, values: [...]}", sw_config_get_enum(cfg,
                     sw_schema_find("train.schedule.kind")));
        return SW_ECONFIG;
    }
    if (s->kind == SW_SCHED_TABLE && s->warmup > 0) {
        *bad_key = "train.schedule.warmup";
        sw_set_error(err, errlen, "train.schedule.warmup: the table schedule gives every epoch's rate itself; "
                     "allowed: 0 (write the warmup's rates into values)");
        return SW_ECONFIG;
    }
    return SW_OK;
}

int sw_config_validate(const sw_config *cfg, char *err, size_t errlen, const char **bad_key)
{
    const char *dummy;
    if (!bad_key) bad_key = &dummy;
    *bad_key = NULL;
    /* Every key's own range first: a config built in code (not through sw_config_set) gets
     * the same checks as one read from a file. */
    int rc = sw_config_check_keys(cfg, err, errlen, bad_key);
    if (rc) return rc;
    sw_config resolved = *cfg;
    rc = check_task_and_cell(&resolved, err, errlen, bad_key);
    if (rc) return rc;
    cfg = &resolved;
    if (cfg->train.batch > cfg->task.train_size) {
        *bad_key = "train.batch";
        sw_set_error(err, errlen, "train.batch: %d is larger than the training set (task.train_size = %d); allowed: "
            "a batch of at most task.train_size", cfg->train.batch, cfg->task.train_size);
        return SW_ECONFIG;
    }
    if (cfg->task.kind == SW_TASK_FIRST_SIGN && cfg->task.signal_steps > cfg->task.seq_len) {
        *bad_key = "task.signal_steps";
        sw_set_error(err, errlen, "task.signal_steps: %d is longer than the sequence (task.seq_len = %d); allowed: "
            "at most task.seq_len", cfg->task.signal_steps, cfg->task.seq_len);
        return SW_ECONFIG;
    }
    if (cfg->train.schedule.kind == SW_SCHED_MULTISTEP && cfg->train.schedule.n_milestones == 0) {
        *bad_key = "train.schedule.milestones";
        sw_set_error(err, errlen, "train.schedule.milestones: the multistep schedule needs at least one milestone, "
            "e.g. milestones: [20, 40]");
        return SW_ECONFIG;
    }
    if (cfg->train.schedule.kind == SW_SCHED_COSINE && cfg->train.schedule.min_lr > cfg->train.lr) {
        *bad_key = "train.schedule.min_lr";
        char a[40], b[40];
        sw_format_shortest(a, sizeof a, cfg->train.schedule.min_lr, SW_CONFIG_PLAIN_BELOW);
        sw_format_shortest(b, sizeof b, cfg->train.lr, SW_CONFIG_PLAIN_BELOW);
        sw_set_error(err, errlen, "train.schedule.min_lr: %s is above train.lr (%s); allowed: 0 <= min_lr <= lr", a, b);
        return SW_ECONFIG;
    }
    if ((rc = check_tables(cfg, err, errlen, bad_key))) return rc;
    if (cfg->train.optimizer == SW_OPTIM_SGD && cfg->train.nesterov && !(cfg->train.momentum > 0)) {
        *bad_key = "train.nesterov";
        sw_set_error(err, errlen, "train.nesterov: true needs train.momentum > 0 (it is 0)");
        return SW_ECONFIG;
    }
    double need = sw_config_memory_bytes(cfg), phys = physical_memory_bytes();
    if (phys > 0 && need > 0.75 * phys) {
        char a[32], b[32];
        sw_format_bytes_up(need, a, sizeof a);
        sw_format_bytes(phys, b, sizeof b);
        /* Point at the biggest factor the user is likely to have changed. */
        *bad_key = cfg->task.train_size > 100000 ? "task.train_size" : cfg->task.val_size > 100000 ? "task.val_size"
                   : cfg->task.seq_len > 1000 ? "task.seq_len"
                   : "model.hidden";
        sw_set_error(err, errlen, "%s: this run would need about %s of memory, more than 3/4 of the %s this machine "
            "has (task.seq_len %d, model.hidden %d, model.layers %d, train.batch %d, task.train_size %d); "
            "make the run smaller", *bad_key, a, b, cfg->task.seq_len, cfg->model.hidden, cfg->model.layers,
            cfg->train.batch, cfg->task.train_size);
        return SW_ECONFIG;
    }
    return SW_OK;
}
