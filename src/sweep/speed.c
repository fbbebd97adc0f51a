/* speed.c: how fast this machine trains, for --dry-run (see speed.h). */
#define _POSIX_C_SOURCE 200809L
#include "speed.h"

#include <limits.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "estimate.h"
#include "runfile.h"
#include "task.h"
#include "train.h"
#include "validate.h"

/* The probe trains for at most PROBE_STEPS steps, and stops once the steps after its first
 * have taken PROBE_SECONDS of CPU time: the first step pays for setting up (memory touched
 * for the first time) and is not counted. */
#define PROBE_STEPS 64
#define PROBE_SECONDS 0.25

/* Rate of the complete runs of spec already in dir; 0 when there are none. */
static double rate_of_earlier_runs(const sw_sweep_spec *spec, const char *dir, int *runs)
{
    double flops = 0, seconds = 0;
    *runs = 0;
    for (int i = 0; dir && i < spec->n_runs; i++) {
        char path[PATH_MAX], err[256];
        if (snprintf(path, sizeof path, "%s/%s.h5", dir, spec->runs[i].id) >= (int)sizeof path) continue;
        sw_run_file f;
        if (sw_h5_read_run(path, 0, &f, err, sizeof err) == SW_OK && f.status == SW_RUN_DONE &&
            f.epochs == spec->runs[i].cfg.train.epochs && isfinite(f.wall_seconds) && f.wall_seconds > 0) {
            flops += spec->runs[i].cost;
            seconds += f.wall_seconds;
            (*runs)++;
        }
        sw_run_file_free(&f);
    }
    return *runs && seconds > 0 ? flops / seconds : 0;
}

/* cfg cut to one epoch of `steps` batches, testing on one batch, recording one probe
 * sequence and no checkpoints (the probe stops before testing and recording); a task read from a file becomes a synthetic one of the same
 * length (its data is not loaded for a dry run). */
static sw_config probe_config(const sw_config *cfg, int steps)
{
    sw_config c = *cfg;
    if (sw_task_reads_file(c.task.kind)) {
        sw_task_layout lay = sw_task_layout_of(&cfg->task);
        c.task.kind = SW_TASK_MEAN_SIGN;
        c.task.seq_len = lay.steps;
        c.task.path[0] = 0;
    }
    c.train.epochs = 1;
    c.train.steps_per_epoch = steps;
    c.task.train_size = c.train.batch * steps;
    c.task.test_size = c.train.batch;
    c.task.val_size = 0;
    c.train.schedule.kind = SW_SCHED_CONSTANT;
    c.train.schedule.warmup = 0;
    c.train.schedule.n_milestones = 0;
    c.record.probe_size = 1;
    c.record.grad_every = 1;
    c.record.checkpoint_every = 0;
    return c;
}

/* CPU seconds of the calling thread: the probe runs on it alone (one thread), and its CPU
 * time is what the machine's other work disturbs least. */
static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    atomic_int stop;
    int steps;         /* steps done */
    double first, last; /* thread seconds at the end of step 1 and of the last step */
} probe_clock;

static void on_probe_step(void *ctx, int epoch, int step)
{
    (void)epoch;
    probe_clock *c = ctx;
    double now = thread_seconds();
    c->steps = step;
    c->last = now;
    if (step == 1) c->first = now;
    if (now - c->first >= PROBE_SECONDS) atomic_store(&c->stop, 1);
}

/* Rate of a probe of spec's costliest run: the flops of its training steps after the
 * first over their CPU seconds; 0 when it cannot be had. */
static double rate_of_probe(const sw_sweep_spec *spec, int *which, double *seconds)
{
    *which = 0;
    if (spec->n_runs == 0) return 0;
    for (int i = 1; i < spec->n_runs; i++)
        if (spec->runs[i].cost > spec->runs[*which].cost) *which = i;
    sw_config c = probe_config(&spec->runs[*which].cfg, PROBE_STEPS), one = probe_config(&spec->runs[*which].cfg, 1),
              two = probe_config(&spec->runs[*which].cfg, 2);
    char err[256];
    const char *bad = NULL;
    if (sw_config_validate(&c, err, sizeof err, &bad) != SW_OK) return 0;
    double step_flops = sw_config_cost_flops(&two) - sw_config_cost_flops(&one);
    probe_clock clock = {0};
    sw_train_hooks hooks = {.on_step = on_probe_step, .ctx = &clock, .stop = &clock.stop};
    sw_run_result r;
    double t0 = thread_seconds();
    int rc = sw_train_run(&c, &hooks, &r);
    *seconds = thread_seconds() - t0;
    sw_run_result_free(&r);
    if ((rc != SW_OK && rc != SW_EINTERRUPTED) || clock.steps < 2 || clock.last <= clock.first || step_flops <= 0)
        return 0;
    return step_flops * (clock.steps - 1) / (clock.last - clock.first);
}

void sw_speed_measure(const sw_sweep_spec *spec, const char *dir, sw_speed *out)
{
    memset(out, 0, sizeof *out);
    out->flops_per_second = rate_of_earlier_runs(spec, dir, &out->runs);
    out->source = SW_SPEED_EARLIER_RUNS;
    if (out->flops_per_second > 0) return;
    out->flops_per_second = rate_of_probe(spec, &out->probe_run, &out->probe_seconds);
    out->source = SW_SPEED_PROBE;
    if (out->flops_per_second > 0) return;
    out->flops_per_second = SW_SPEED_ASSUMED_FLOPS;
    out->source = SW_SPEED_ASSUMED;
}

void sw_speed_describe(const sw_speed *s, const sw_sweep_spec *spec, const char *dir, char *out, size_t outlen)
{
    double g = s->flops_per_second / 1e9;
    switch (s->source) {
    case SW_SPEED_EARLIER_RUNS:
        snprintf(out, outlen, "%.1f GFLOP/s per thread, the rate of %d earlier run%s in %s", g, s->runs,
                 sw_plural(s->runs), dir);
        break;
    case SW_SPEED_PROBE:
        snprintf(out, outlen, "%.1f GFLOP/s per thread, measured by training run %d (%s) on one thread for %.*f s of CPU time", g,
                 s->probe_run + 1, spec->runs[s->probe_run].id, s->probe_seconds < 1 ? 2 : 1, s->probe_seconds);
        break;
    default:
        snprintf(out, outlen, "assuming ~%.0f GFLOP/s per thread: nothing could be measured", g);
    }
}
