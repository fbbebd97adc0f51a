/* progress.c: the lines a running sweep prints (see progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include "task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *const end_names[SW_END_COUNT] = {"done", "diverged", "failed", "stopped", "rung"};

void sw_format_metric(const char *metric, double v, char *out, size_t outlen)
{
    if (v != v) snprintf(out, outlen, "NaN");
    else if (strstr(metric, "_acc")) snprintf(out, outlen, "%.2f%%", 100 * v);
    else snprintf(out, outlen, "%.4g", v);
}

void sw_format_duration(double s, char *out, size_t outlen)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(out, outlen, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(out, outlen, "%lds", t);
    else if (t < 3600)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

int sw_progress_init(sw_progress *p, const sw_sweep_spec *spec, int n_slots, int total, int finished_before,
                     double work_total, double t0, bool tty)
{
    memset(p, 0, sizeof *p);
    p->slots = calloc((size_t)(n_slots > 0 ? n_slots : 1), sizeof *p->slots);
    if (!p->slots) return SW_ENOMEM;
    for (int s = 0; s < n_slots; s++) atomic_store(&p->slots[s].run, -1);
    p->spec = spec;
    p->n_slots = n_slots;
    p->total = total;
    p->finished_before = finished_before;
    p->work_total = work_total;
    p->t0 = t0;
    p->tty = tty;
    pthread_mutex_init(&p->out_lock, NULL);
    return SW_OK;
}

void sw_progress_free(sw_progress *p)
{
    if (!p || !p->slots) return;
    pthread_mutex_destroy(&p->out_lock);
    free(p->slots);
    p->slots = NULL;
}

void sw_progress_on_epoch(void *slot, int epoch, const sw_history *h)
{
    (void)h;
    sw_progress_slot *s = slot;
    atomic_store(&s->epoch, epoch);
}

void sw_progress_run_started(sw_progress *p, int slot, int run)
{
    atomic_store(&p->slots[slot].epoch, 0);
    atomic_store(&p->slots[slot].from, 0);
    atomic_store(&p->slots[slot].run, run);
    atomic_fetch_add(&p->running, 1);
}

void sw_progress_run_resumed(sw_progress *p, int slot, int epoch)
{
    atomic_store(&p->slots[slot].epoch, epoch);
    atomic_store(&p->slots[slot].from, epoch);
}

/* Each job counts its own epochs only: a run trained in several jobs (the rungs of early
 * stopping, a pbt member's generations) would otherwise count its earlier epochs again in
 * each, and the work done outgrow the work planned (the ETA then unknown). */
void sw_progress_add_work(sw_progress *p, int run, int from, int to)
{
    const sw_run_spec *r = &p->spec->runs[run];
    double share = to > from ? (double)(to - from) / (double)r->cfg.train.epochs : 0;
    pthread_mutex_lock(&p->out_lock);
    p->work_finished += r->cost * share;
    pthread_mutex_unlock(&p->out_lock);
}

void sw_progress_run_ended(sw_progress *p, int slot)
{
    atomic_store(&p->slots[slot].run, -1);
    atomic_fetch_sub(&p->running, 1);
}

void sw_progress_count(sw_progress *p, const sw_run_report *r)
{
    atomic_fetch_add(r->end == SW_END_DONE ? &p->done : r->end == SW_END_DIVERGED ? &p->diverged : &p->failed, 1);
    atomic_fetch_add(&p->finished, 1);
    /* a run that ended early (diverged, failed) needs no more work either */
    sw_progress_add_work(p, r->run, r->from, p->spec->runs[r->run].cfg.train.epochs);
}

/* Flops done: finished runs plus the completed epochs of the running ones. */
static double work_done(sw_progress *p, double finished)
{
    double w = finished;
    for (int s = 0; s < p->n_slots; s++) {
        int r = atomic_load(&p->slots[s].run);
        if (r < 0) continue;
        const sw_run_spec *run = &p->spec->runs[r];
        int trained = atomic_load(&p->slots[s].epoch) - atomic_load(&p->slots[s].from);
        w += run->cost * trained / (double)run->cfg.train.epochs;
    }
    return w;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 100;
}

/* Seconds left at the rate seen so far, -1 when unknown (too early). */
static double eta_of(sw_progress *p, double finished_work)
{
    double elapsed = sw_now() - p->t0, w = work_done(p, finished_work);
    return w > 0 && elapsed > 1 ? (p->work_total - w) * elapsed / w : -1;
}

double sw_progress_eta(sw_progress *p)
{
    pthread_mutex_lock(&p->out_lock);
    double finished = p->work_finished;
    pthread_mutex_unlock(&p->out_lock);
    return eta_of(p, finished);
}

/* The live line, cut to the terminal's width. Caller holds out_lock. */
static void draw_line(sw_progress *p, double finished_work)
{
    char line[2048], el[32], eta[32];
    double elapsed = sw_now() - p->t0, left = eta_of(p, finished_work);
    sw_format_duration(elapsed, el, sizeof el);
    if (left >= 0)
        sw_format_duration(left, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "--");
    int done = atomic_load(&p->done) + atomic_load(&p->stopped), div = atomic_load(&p->diverged),
        fail = atomic_load(&p->failed);
    size_t n = (size_t)snprintf(line, sizeof line, "%d/%d done, %d running, %d failed%s | %s elapsed, ETA %s |",
                                done + div + fail + p->finished_before, p->total, atomic_load(&p->running), fail + div,
                                div ? " or diverged" : "", el, eta);
    for (int s = 0; s < p->n_slots && n < sizeof line; s++) {
        int r = atomic_load(&p->slots[s].run);
        if (r < 0) continue;
        n += (size_t)snprintf(line + n, sizeof line - n, " %s %d/%d", p->spec->runs[r].id,
                              atomic_load(&p->slots[s].epoch), p->spec->runs[r].cfg.train.epochs);
    }
    int width = terminal_width() - 1;
    if ((int)strlen(line) > width) {
        line[width] = 0;
        if (width > 3) memcpy(line + width - 3, "...", 3);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->line_shown = 1;
}

static void *ticker(void *arg)
{
    sw_progress *p = arg;
    while (!atomic_load(&p->ticker_stop)) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (atomic_load(&p->ticker_stop)) break;
        pthread_mutex_lock(&p->out_lock);
        draw_line(p, p->work_finished);
        pthread_mutex_unlock(&p->out_lock);
    }
    return NULL;
}

void sw_progress_start_ticker(sw_progress *p)
{
    p->ticking = p->tty && pthread_create(&p->ticker, NULL, ticker, p) == 0;
}

void sw_progress_stop_ticker(sw_progress *p)
{
    if (p->ticking) {
        atomic_store(&p->ticker_stop, 1);
        pthread_join(p->ticker, NULL);
        p->ticking = false;
    }
    if (p->tty && p->line_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

/* Prints one line above the live line. */
static void put_line(sw_progress *p, const char *line)
{
    pthread_mutex_lock(&p->out_lock);
    if (p->tty && p->line_shown) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s\n", line);
    if (p->tty) draw_line(p, p->work_finished);
    fflush(stderr);
    pthread_mutex_unlock(&p->out_lock);
}

void sw_progress_note(sw_progress *p, const char *line)
{
    put_line(p, line);
}

void sw_progress_stopped(sw_progress *p, int run, const char *detail, bool quiet)
{
    atomic_fetch_add(&p->stopped, 1);
    int k = atomic_fetch_add(&p->finished, 1) + 1 + p->finished_before;
    if (quiet) return;
    char line[1024];
    snprintf(line, sizeof line, "[%d/%d] %-8s %s  %s", k, p->total, "stopped", p->spec->runs[run].id, detail);
    put_line(p, line);
}

void sw_progress_print_finished(sw_progress *p, const sw_run_report *r)
{
    char line[1024];
    const sw_run_spec *run = &p->spec->runs[r->run];
    const char *status = end_names[r->end], *detail = r->detail, *sep = *detail ? "; " : "";
    int k = atomic_load(&p->finished) + p->finished_before;
    if (r->end == SW_END_DONE || r->end == SW_END_DIVERGED) {
        if (r->best_epoch > 0 && run->cfg.task.kind == SW_TASK_TEXT) /* bits per character */
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  best test %.4g bits/char at epoch %d/%d (unigram baseline "
                     "%.4g), %.3g s%s%s", k, p->total, status, run->id, r->best_test_loss / log(2.0), r->best_epoch,
                     run->cfg.train.epochs, sw_task_baseline_loss(&run->cfg.task) / log(2.0), r->wall_seconds, sep,
                     detail);
        else if (r->best_epoch > 0 && sw_task_metric_of(&run->cfg.task).mode == SW_METRIC_MIN)
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  best test loss %.4g at epoch %d/%d (baseline %.4g), %.3g s%s%s",
                     k, p->total, status, run->id, r->best_test_loss, r->best_epoch, run->cfg.train.epochs,
                     sw_task_baseline_loss(&run->cfg.task), r->wall_seconds, sep, detail);
        else if (r->best_epoch > 0)
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  best %.2f%% at epoch %d/%d, final %.2f%%, %.3g s%s%s", k,
                     p->total, status, run->id, 100 * r->best_test_acc, r->best_epoch, run->cfg.train.epochs,
                     100 * r->final_test_acc, r->wall_seconds, sep, detail);
        else
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  no epoch completed, %.3g s%s%s", k, p->total, status,
                     run->id, r->wall_seconds, sep, detail);
    } else if (r->end == SW_END_RUNG) { /* not finished (it comes back, and is counted then): no position */
        snprintf(line, sizeof line, "[-/%d] %-8s %s  reached epoch %d/%d%s%s, %.3g s", p->total, status, run->id,
                 r->until, run->cfg.train.epochs, sep, detail, r->wall_seconds);
    } else if (r->end == SW_END_STOPPED) { /* interrupted: not counted, resumed by the next sweep */
        snprintf(line, sizeof line, "[-/%d] %-8s %s  %s", p->total, status, run->id, detail);
    } else {
        snprintf(line, sizeof line, "[%d/%d] %-8s %s  %s", k, p->total, status, run->id, detail);
    }
    put_line(p, line);
}

void sw_progress_print_start(const sw_sweep_spec *spec, const sw_sweep_options *opt, const sw_sweep_outcome *out,
                             int n_pending, int threads, int ranks, int all_threads)
{
    char where[128] = "", shard[64] = "";
    if (ranks > 1)
        snprintf(where, sizeof where, "%d ranks, %d thread%s in all", ranks, all_threads, sw_plural(all_threads));
    else
        snprintf(where, sizeof where, "%d thread%s", threads, sw_plural(threads));
    if (opt->shard_count > 1)
        snprintf(shard, sizeof shard, " (shard %d/%d of %d)", opt->shard_index, opt->shard_count, spec->n_runs);
    char round[64] = "";
    if (spec->search.kind == SW_SEARCH_TPE)
        snprintf(round, sizeof round, " round %d of %d:", spec->rounds_known, spec->n_rounds);
    if (out->skipped)
        fprintf(stderr, "sweep %s:%s %d run%s%s, %d already complete in %s, %d to run on %s\n", spec->name, round,
                out->total, sw_plural(out->total), shard, out->skipped, opt->dir, n_pending, where);
    else
        fprintf(stderr, "sweep %s:%s %d run%s%s on %s into %s\n", spec->name, round, out->total,
                sw_plural(out->total), shard, where, opt->dir);
}

void sw_progress_print_end(const sw_sweep_spec *spec, const char *dir, const sw_sweep_outcome *out)
{
    char d[32];
    sw_format_duration(out->seconds, d, sizeof d);
    if (out->interrupted)
        fprintf(stderr, "sweep %s: interrupted after %s: %d of %d run%s complete, %d pending; run the same command "
                        "again to resume\n", spec->name, d, out->done + out->diverged + out->failed + out->stopped, out->total,
                sw_plural(out->total), out->not_run);
    else if (spec->stop.kind != SW_STOP_NONE)
        fprintf(stderr, "sweep %s: %d run%s: %d done, %d stopped early (%s), %d diverged, %d failed in %s; results "
                        "in %s\n", spec->name, out->total, sw_plural(out->total), out->done, out->stopped,
                sw_stop_kind_name(spec->stop.kind), out->diverged, out->failed, d, dir);
    else
        fprintf(stderr, "sweep %s: %d run%s: %d done, %d diverged, %d failed in %s; results in %s\n", spec->name,
                out->total, sw_plural(out->total), out->done, out->diverged, out->failed, d, dir);
    if (!out->interrupted && out->waiting)
        fprintf(stderr, "sweep %s: %d run%s of this shard wait%s at a rung for other shards' runs; run this command "
                        "again once the other shards have run (one invocation per rung)\n", spec->name,
                out->waiting, sw_plural(out->waiting), out->waiting == 1 ? "s" : "");
    if (!out->interrupted && out->not_run && spec->stop.kind != SW_STOP_NONE)
        fprintf(stderr, "sweep %s: %d run%s not finished: %s rung waits for a failed run (or --fail-fast stopped "
                        "the sweep); run the same command again to retry\n", spec->name, out->not_run,
                out->not_run == 1 ? " is" : "s are", out->not_run == 1 ? "its" : "their");
    else if (!out->interrupted && out->not_run)
        fprintf(stderr, "sweep %s: %d run%s not started because of --fail-fast; run again without it to "
                        "finish %s\n", spec->name, out->not_run, out->not_run == 1 ? " was" : "s were",
                out->not_run == 1 ? "it" : "them");
}
