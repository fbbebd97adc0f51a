/* Runs that resume mid-way: the state at an epoch boundary (train.h) and its checkpoint
 * file (checkpoint.h).
 *
 * - For rnn, lstm and gru (two layers, dropout, a validation set, gradient records every
 *   2 epochs so that records straddle the checkpoint): a run stopped at until_epoch = k
 *   hands its state to on_checkpoint; written with sw_checkpoint_write, read back with
 *   sw_checkpoint_read and resumed to the end, it gives a result bit-identical to the
 *   uninterrupted run's: every history column, the best epoch and its values, the final
 *   and best weights, the probe's hidden states, every gradient record.
 * - until_epoch alone: the stopped run's history is a prefix of the full run's.
 * - A state resumed straight from memory (sw_train_state_clone) gives the same result.
 * - Checkpoints refused: none at the path (SW_ENOTFOUND), another config (SW_ECONFIG),
 *   a truncated file and a file with one flipped byte (SW_EFORMAT).
 * - A stop request (hooks->stop: a signal) makes a run save its state where it stops:
 *   before its next training step, inside an epoch, with the epoch's batch order and sums
 *   (or in the epoch's evaluation, after its last step); resumed from there, once or
 *   twice, rnn, lstm, gru and transformer runs are bit-identical to uninterrupted ones. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "common.h"
#include "h5write.h"
#include "record.h"
#include "train.h"

static char g_dir[256];

static sw_config small_config(sw_cell_kind cell)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.task.seq_len = 7;
    cfg.task.train_size = 96;
    cfg.task.test_size = 40;
    cfg.task.val_size = 24;
    cfg.model.cell = cell;
    cfg.model.hidden = 12;
    cfg.model.layers = 2;
    cfg.model.dropout = 0.25;
    cfg.train.epochs = 7;
    cfg.train.batch = 16;
    cfg.train.steps_per_epoch = 3;
    cfg.train.schedule.kind = SW_SCHED_COSINE;
    cfg.record.grad_every = 2;
    cfg.record.probe_size = 5;
    cfg.seed = 11;
    return cfg;
}

/* Every array and value of two results (timings aside) is the same, byte for byte. */
static void check_same(const sw_config *cfg, const sw_run_result *a, const sw_run_result *b, const char *what)
{
    CHECK(a->status == b->status, "%s: status %d vs %d", what, a->status, b->status);
    CHECK(a->best_epoch == b->best_epoch, "%s: best epoch %d vs %d", what, a->best_epoch, b->best_epoch);
    CHECK(!memcmp(&a->best_metric, &b->best_metric, sizeof(double)) &&
              !memcmp(&a->best_test_acc, &b->best_test_acc, sizeof(double)) &&
              !memcmp(&a->best_test_loss, &b->best_test_loss, sizeof(double)) &&
              !memcmp(&a->final_test_acc, &b->final_test_acc, sizeof(double)) &&
              !memcmp(&a->final_train_acc, &b->final_train_acc, sizeof(double)),
          "%s: the summary values differ", what);
    CHECK(a->history.epochs == b->history.epochs && a->grad_records == b->grad_records,
          "%s: %d epochs, %d records vs %d, %d", what, a->history.epochs, a->grad_records, b->history.epochs,
          b->grad_records);
    sw_record_sizes sa, sb;
    sw_record_sizes_recorded(cfg, a, &sa);
    sw_record_sizes_recorded(cfg, b, &sb);
    int arrays = 0;
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (!sw_record_is_array(row) || !strcmp(sw_record_name(row), "seconds")) continue;
        size_t n = sw_record_count(row, &sa);
        if (n != sw_record_count(row, &sb)) {
            CHECK(0, "%s: %s has %zu vs %zu values", what, row->path, n, sw_record_count(row, &sb));
            continue;
        }
        const void *x = sw_record_array(sw_record_field_const(row, a)), *y = sw_record_array(sw_record_field_const(row, b));
        CHECK(!memcmp(x, y, n * sw_record_mem_size(row->type)), "%s: %s differs", what, row->path);
        arrays++;
    }
    CHECK(arrays >= 20, "%s: only %d arrays compared", what, arrays);
}

typedef struct {
    const sw_config *cfg;
    const char *path;      /* write it there when set */
    sw_train_state *kept;  /* else a clone of the last one */
    int calls, last_epoch;
    int write_rc;          /* of the last write */
    char err[512];
    atomic_int *stop;      /* set after the first checkpoint, when not NULL */
} capture;

static int on_checkpoint(void *ctx, const sw_train_state *st)
{
    capture *c = ctx;
    c->calls++;
    c->last_epoch = sw_train_state_epoch(st);
    if (c->stop) atomic_store(c->stop, 1);
    if (c->path) return c->write_rc = sw_checkpoint_write(c->path, st, c->cfg, c->err, sizeof c->err);
    sw_train_state_free(c->kept);
    return sw_train_state_clone(st, &c->kept);
}

static void test_resume(sw_cell_kind cell, int k)
{
    char what[64], path[512];
    snprintf(what, sizeof what, "%s resumed at %d", sw_cell_name(cell), k);
    snprintf(path, sizeof path, "%s/%s.ckpt", g_dir, sw_cell_name(cell));
    sw_config cfg = small_config(cell);
    /* no periodic checkpoints (a slow machine would write them before k): the stop at k
     * alone makes one */
    cfg.record.checkpoint_every = 0;

    sw_run_result full, stopped, resumed, from_memory;
    CHECK(sw_train_run(&cfg, NULL, &full) == SW_OK && full.status == SW_RUN_DONE, "%s: full run", what);

    /* stopped at k: the state goes to disk */
    capture c = {.cfg = &cfg, .path = path};
    sw_train_hooks stop = {.until_epoch = k, .on_checkpoint = on_checkpoint, .checkpoint_ctx = &c};
    CHECK(sw_train_run(&cfg, &stop, &stopped) == SW_OK && stopped.status == SW_RUN_STOPPED, "%s: stopped run", what);
    CHECK(c.write_rc == SW_OK, "%s: sw_checkpoint_write: %s", what, c.err);
    CHECK(c.calls == 1 && c.last_epoch == k, "%s: %d checkpoints, the last at %d (want 1 at %d)", what, c.calls,
          c.last_epoch, k);
    CHECK(stopped.history.epochs == k, "%s: stopped after %d epochs", what, stopped.history.epochs);
    /* until_epoch alone: a prefix of the full run */
    for (size_t i = 0; i < sw_record_len; i++) {
        const sw_record_row *row = &sw_record[i];
        if (row->from != SW_FROM_HISTORY || !sw_record_is_array(row) || !strcmp(sw_record_name(row), "seconds"))
            continue;
        const double *x = sw_record_array(sw_record_field_const(row, &stopped)),
                     *y = sw_record_array(sw_record_field_const(row, &full));
        CHECK(!memcmp(x, y, (size_t)k * sizeof *x), "%s: stopped %s is not a prefix of the full run's", what, row->path);
    }
    /* the records made by epoch k, no more (unlike a diverged run, one stopped before its
     * first record gets none at its best epoch: its file is a prefix of the full run's) */
    sw_record_sizes at_k;
    sw_record_sizes_of_run(&cfg, k, &at_k);
    int R = (int)at_k.n[SW_SIZE_RECORDS];
    CHECK(stopped.grad_records == R, "%s: %d gradient records at epoch %d", what, stopped.grad_records, k);
    CHECK(!memcmp(stopped.grad_epoch, full.grad_epoch, (size_t)R * sizeof(int32_t)) &&
              !memcmp(stopped.dloss_dh, full.dloss_dh,
                      (size_t)R * cfg.model.layers * cfg.task.seq_len * cfg.model.hidden * sizeof(float)),
          "%s: the stopped run's gradient records are not the full run's", what);

    /* read back and resumed to the end */
    sw_train_state *st = NULL;
    char err[512];
    CHECK(sw_checkpoint_read(path, &cfg, &st, err, sizeof err) == SW_OK, "%s: read: %s", what, err);
    if (st) {
        CHECK(sw_train_state_epoch(st) == k, "%s: the checkpoint is at epoch %d", what, sw_train_state_epoch(st));
        sw_train_hooks go = {.resume = st};
        CHECK(sw_train_run(&cfg, &go, &resumed) == SW_OK, "%s: resumed run: %s", what, resumed.error);
        check_same(&cfg, &full, &resumed, what);
        sw_run_result_free(&resumed);
    }
    sw_train_state_free(st);

    /* the same straight from memory, through a clone */
    capture m = {.cfg = &cfg};
    sw_train_hooks keep = {.until_epoch = k, .on_checkpoint = on_checkpoint, .checkpoint_ctx = &m};
    sw_run_result again;
    CHECK(sw_train_run(&cfg, &keep, &again) == SW_OK && m.kept, "%s: stopped run kept in memory", what);
    if (m.kept) {
        sw_train_hooks go = {.resume = m.kept};
        CHECK(sw_train_run(&cfg, &go, &from_memory) == SW_OK, "%s: resumed from memory", what);
        check_same(&cfg, &full, &from_memory, "from memory");
        sw_run_result_free(&from_memory);
    }
    sw_train_state_free(m.kept);
    sw_run_result_free(&again);
    sw_run_result_free(&stopped);
    sw_run_result_free(&full);
    unlink(path);
}

/* Copies the file at `from` to `to` with its length cut to `len` (or all of it) and the
 * byte at `flip` (when >= 0) inverted. */
static void copy_damaged(const char *from, const char *to, long len, long flip)
{
    FILE *f = fopen(from, "rb");
    CHECK(f != NULL, "open %s", from);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "read %s", from);
    fclose(f);
    if (!buf) return;
    if (flip >= 0 && flip < n) buf[flip] ^= 0xff;
    FILE *g = fopen(to, "wb");
    CHECK(g && fwrite(buf, 1, (size_t)(len >= 0 && len < n ? len : n), g) > 0, "write %s", to);
    if (g) fclose(g);
    free(buf);
}

/* Offset of the last occurrence of `v`'s bytes in the file (-1: none). */
static long find_bytes(const char *path, const void *v, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f), at = -1;
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        for (long i = 0; i + (long)len <= n; i++)
            if (!memcmp(buf + i, v, len)) at = i;
    free(buf);
    fclose(f);
    return at;
}

static void test_refused(void)
{
    sw_config cfg = small_config(SW_CELL_GRU);
    char path[512], bad[512], err[512];
    snprintf(path, sizeof path, "%s/refused.ckpt", g_dir);
    snprintf(bad, sizeof bad, "%s/bad.ckpt", g_dir);
    sw_train_state *st = (sw_train_state *)1;
    CHECK(sw_checkpoint_read(path, &cfg, &st, err, sizeof err) == SW_ENOTFOUND && !st, "absent: SW_ENOTFOUND");

    capture c = {.cfg = &cfg, .path = path};
    sw_train_hooks stop = {.until_epoch = 3, .on_checkpoint = on_checkpoint, .checkpoint_ctx = &c};
    sw_run_result r;
    sw_train_run(&cfg, &stop, &r);
    sw_config other = cfg;
    other.train.lr *= 2;
    int rc = sw_checkpoint_read(path, &other, &st, err, sizeof err);
    CHECK(rc == SW_ECONFIG && !st, "another config: %s (%d)", err, rc);
    sw_config same = cfg;
    same.record.checkpoint_every = 5; /* not part of the run's identity */
    rc = sw_checkpoint_read(path, &same, &st, err, sizeof err);
    CHECK(rc == SW_OK && st, "another checkpoint_every: %s", err);
    sw_train_state_free(st);

    copy_damaged(path, bad, 1000, -1);
    rc = sw_checkpoint_read(bad, &cfg, &st, err, sizeof err);
    CHECK(rc == SW_EFORMAT && !st, "truncated: %d (%s)", rc, err);
    printf("truncated: %s\n", err);
    /* one byte of the final weights' last value flipped: the checksum finds it */
    sw_real w = r.weights_final[r.param_count - 1];
    long at = find_bytes(path, &w, sizeof w);
    CHECK(at > 0, "the last weight is in the file");
    copy_damaged(path, bad, -1, at);
    rc = sw_checkpoint_read(bad, &cfg, &st, err, sizeof err);
    CHECK(rc == SW_EFORMAT && !st, "flipped byte: %d (%s)", rc, err);
    printf("flipped byte: %s\n", err);
    sw_run_result_free(&r);
    unlink(path);
    unlink(bad);
}

/* A stop request after the n-th training step of a run (counted from its start or its
 * resumption), as a signal handler would set it. */
typedef struct {
    atomic_int *stop;
    int steps, stop_after;
} step_stopper;

static void stop_at_step(void *ctx, int epoch, int step)
{
    (void)epoch, (void)step;
    step_stopper *s = ctx;
    if (++s->steps == s->stop_after) atomic_store(s->stop, 1);
}

static void stop_at_epoch(void *ctx, int epoch, const sw_history *h)
{
    (void)h;
    step_stopper *s = ctx;
    if (epoch == s->stop_after) atomic_store(s->stop, 1);
}

/* Runs `cfg` (from `from`, may be NULL) until it stops after its n-th step; the state it
 * saves goes through a checkpoint file and comes back (the caller frees it). */
static sw_train_state *interrupt_after(const sw_config *cfg, const sw_train_state *from, int n, const char *path,
                                       const char *what)
{
    atomic_int stop = 0;
    step_stopper s = {&stop, 0, n};
    capture c = {.cfg = cfg, .path = path};
    sw_train_hooks h = {.on_step = stop_at_step, .ctx = &s, .stop = &stop, .resume = from,
                        .on_checkpoint = on_checkpoint, .checkpoint_ctx = &c};
    sw_run_result r;
    int rc = sw_train_run(cfg, &h, &r);
    CHECK(rc == SW_EINTERRUPTED, "%s: interrupted (%d: %s)", what, rc, r.error);
    CHECK(c.calls == 1 && c.write_rc == SW_OK, "%s: one checkpoint at the stop (%d; %s)", what, c.calls, c.err);
    sw_run_result_free(&r);
    sw_train_state *st = NULL;
    char err[512];
    CHECK(sw_checkpoint_read(path, cfg, &st, err, sizeof err) == SW_OK, "%s: read back: %s", what, err);
    return st;
}

/* A stop request inside an epoch (train.h): the run stops before its next step, its
 * state there (the epoch's batch order and sums) goes through a checkpoint file, and the
 * run resumed from it is bit-identical to the uninterrupted run, also after a second
 * stop inside the resumed run; for every cell, with dropout and a validation set. A stop
 * after the epoch's last step is heard in its evaluation: the state then has every step
 * done and the evaluation is redone. */
static void test_stop_inside_epoch(sw_cell_kind cell)
{
    char what[96], path[512];
    snprintf(path, sizeof path, "%s/inside-%s.ckpt", g_dir, sw_cell_name(cell));
    sw_config cfg = small_config(cell);
    cfg.record.checkpoint_every = 0; /* no periodic ones: the stop alone makes one */
    if (cell == SW_CELL_TRANSFORMER) cfg.model.heads = 2;
    int steps = sw_train_steps_per_epoch(&cfg);
    CHECK(steps == 3, "3 steps per epoch (%d)", steps);
    sw_run_result full;
    CHECK(sw_train_run(&cfg, NULL, &full) == SW_OK && full.status == SW_RUN_DONE, "%s: full run", sw_cell_name(cell));
    /* after step 1 of epoch 1, step 2 of epoch 3 (a gradient record behind), the last step
     * of epoch 4 (in its evaluation), step 1 of the last epoch */
    const int stops[][3] = {{1, 0, 1}, {8, 2, 2}, {12, 3, 3}, {19, 6, 1}};
    for (size_t k = 0; k < SW_ARRAY_LEN(stops); k++) {
        int n = stops[k][0];
        snprintf(what, sizeof what, "%s stopped after step %d", sw_cell_name(cell), n);
        sw_train_state *st = interrupt_after(&cfg, NULL, n, path, what);
        if (!st) continue;
        CHECK(sw_train_state_epoch(st) == stops[k][1] && sw_train_state_step(st) == stops[k][2],
              "%s: the state is at epoch %d step %d (want %d, %d)", what, sw_train_state_epoch(st),
              sw_train_state_step(st), stops[k][1], stops[k][2]);
        sw_run_result resumed;
        sw_train_hooks go = {.resume = st};
        CHECK(sw_train_run(&cfg, &go, &resumed) == SW_OK, "%s: resumed: %s", what, resumed.error);
        check_same(&cfg, &full, &resumed, what);
        sw_run_result_free(&resumed);
        /* stopped again two steps after the resumption, and resumed again */
        snprintf(what, sizeof what, "%s stopped after step %d, then 2 more", sw_cell_name(cell), n);
        sw_train_state *again = interrupt_after(&cfg, st, 2, path, what);
        if (again) {
            int at = sw_train_state_epoch(again) * steps + sw_train_state_step(again);
            CHECK(at == n + 2 || (at == n + 1 && sw_train_state_step(again) == steps), "%s: at step %d", what, at);
            sw_train_hooks go2 = {.resume = again};
            CHECK(sw_train_run(&cfg, &go2, &resumed) == SW_OK, "%s: resumed: %s", what, resumed.error);
            check_same(&cfg, &full, &resumed, what);
            sw_run_result_free(&resumed);
        }
        sw_train_state_free(again);
        sw_train_state_free(st);
    }
    sw_run_result_free(&full);
    unlink(path);
}

/* A stop heard at an epoch's end saves the state there; one heard before the first step
 * (nothing done) saves none; a state that is not the run's is refused; a failing
 * checkpoint fails the run. */
static void test_interrupt(void)
{
    sw_config cfg = small_config(SW_CELL_RNN);
    cfg.record.checkpoint_every = 0; /* no periodic ones: the stop alone makes one */
    atomic_int stop = 1;
    capture c = {.cfg = &cfg};
    sw_train_hooks h = {.stop = &stop, .on_checkpoint = on_checkpoint, .checkpoint_ctx = &c};
    sw_run_result r;
    CHECK(sw_train_run(&cfg, &h, &r) == SW_EINTERRUPTED, "interrupted before the first step");
    CHECK(c.calls == 0 && r.history.epochs == 0, "nothing done, nothing saved: %d calls", c.calls);
    sw_run_result_free(&r);
    /* heard at the end of epoch 2 (set by the epoch's callback): the state is at the boundary */
    stop = 0;
    step_stopper s = {&stop, 0, 2};
    sw_train_hooks at_end = {.on_epoch = stop_at_epoch, .ctx = &s, .stop = &stop, .on_checkpoint = on_checkpoint,
                             .checkpoint_ctx = &c};
    CHECK(sw_train_run(&cfg, &at_end, &r) == SW_EINTERRUPTED, "interrupted at the end of epoch 2");
    CHECK(c.calls == 1 && c.kept && sw_train_state_epoch(c.kept) == 2 && sw_train_state_step(c.kept) == 0,
          "the state at the end of epoch 2: epoch %d step %d", c.kept ? sw_train_state_epoch(c.kept) : -1,
          c.kept ? sw_train_state_step(c.kept) : -1);
    sw_run_result_free(&r);
    /* a state that is not this run's is refused */
    if (c.kept) {
        sw_config other = cfg;
        other.model.hidden = 13;
        sw_train_hooks go = {.resume = c.kept};
        CHECK(sw_train_run(&other, &go, &r) == SW_EINVAL && r.status == SW_RUN_FAILED, "another run's state: %s",
              r.error);
        sw_run_result_free(&r);
        /* and one of the same run at a step it cannot reach */
        sw_train_state *bad = NULL;
        CHECK(sw_train_state_create(&cfg, 1, 4, 0, &bad) == SW_EINVAL && !bad, "step 4 of 3: refused");
        CHECK(sw_train_state_create(&cfg, 0, 0, 0, &bad) == SW_EINVAL && !bad, "epoch 0 step 0: refused");
        CHECK(sw_train_state_create(&cfg, 0, 2, 0, &bad) == SW_OK && bad, "epoch 0 step 2: a state");
        sw_train_state_free(bad);
    }
    sw_train_state_free(c.kept);
    /* a failing checkpoint fails the run */
    stop = 0;
    s = (step_stopper){&stop, 0, 2};
    capture nowhere = {.cfg = &cfg, .path = "/nonexistent/dir/x.ckpt"};
    sw_train_hooks bad = {.on_step = stop_at_step, .ctx = &s, .stop = &stop, .on_checkpoint = on_checkpoint,
                          .checkpoint_ctx = &nowhere};
    int rc = sw_train_run(&cfg, &bad, &r);
    printf("failed write: %s\n", nowhere.err);
    CHECK(rc == SW_EIO && r.status == SW_RUN_FAILED && strstr(r.error, "saving a checkpoint"), "failed write: %d %s",
          rc, r.error);
    sw_run_result_free(&r);
}

/* The periodic checkpoints without their floor of SW_CHECKPOINT_MIN_SECONDS (the test
 * hook): at every record.checkpoint_every-th epoch but the last, however short the epochs,
 * and the run resumed from the last is the uninterrupted one. */
static void test_unthrottled(void)
{
    sw_config cfg = small_config(SW_CELL_GRU);
    cfg.record.checkpoint_every = 2;
    capture c = {.cfg = &cfg};
    sw_train_hooks h = {.on_checkpoint = on_checkpoint, .checkpoint_ctx = &c, .checkpoint_unthrottled = true};
    sw_run_result full, r;
    CHECK(sw_train_run(&cfg, &h, &full) == SW_OK && full.status == SW_RUN_DONE, "unthrottled: the run");
    CHECK(c.calls == 3 && c.last_epoch == 6, "unthrottled: %d checkpoints, the last at %d (want 3, at 2, 4, 6)",
          c.calls, c.last_epoch);
    if (c.kept) {
        sw_train_hooks go = {.resume = c.kept};
        CHECK(sw_train_run(&cfg, &go, &r) == SW_OK, "unthrottled: resumed at epoch 6: %s", r.error);
        check_same(&cfg, &full, &r, "unthrottled, resumed at 6");
        sw_run_result_free(&r);
    }
    sw_train_state_free(c.kept);
    /* a stop heard right after a periodic checkpoint (before the next epoch's first step)
     * finds that state saved: no second checkpoint of it */
    atomic_int stop = 0;
    capture once = {.cfg = &cfg, .stop = &stop};
    sw_train_hooks s = {.stop = &stop, .on_checkpoint = on_checkpoint, .checkpoint_ctx = &once,
                        .checkpoint_unthrottled = true};
    CHECK(sw_train_run(&cfg, &s, &r) == SW_EINTERRUPTED, "stopped after a checkpoint");
    CHECK(once.calls == 1 && once.kept && sw_train_state_epoch(once.kept) == 2 && sw_train_state_step(once.kept) == 0,
          "one checkpoint, at epoch 2 (%d calls)", once.calls);
    sw_run_result_free(&r);
    sw_train_state_free(once.kept);
    sw_run_result_free(&full);
}

int main(void)
{
    char err[256];
    if (sw_h5_init(err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(g_dir, sizeof g_dir, "checkpoint-test.%ld", (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", g_dir);
    if (system(cmd) != 0) return 1;
    test_resume(SW_CELL_RNN, 3);
    test_resume(SW_CELL_LSTM, 4);
    test_resume(SW_CELL_GRU, 1);
    test_resume(SW_CELL_GRU, 6);
    test_refused();
    test_interrupt();
    test_stop_inside_epoch(SW_CELL_RNN);
    test_stop_inside_epoch(SW_CELL_LSTM);
    test_stop_inside_epoch(SW_CELL_GRU);
    test_stop_inside_epoch(SW_CELL_TRANSFORMER);
    test_unthrottled();
    rmdir(g_dir);
    return check_report("engine_checkpoint");
}
