/* status.c: `sweep status DIR [--json]` (see status.h). */
#define _POSIX_C_SOURCE 200809L
#include "status.h"
#include "summary_pbt.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checkpoint.h"
#include "common.h"
#include "h5read.h"
#include "index.h"
#include "live.h"
#include "manifest.h"
#include "outdir.h"
#include "progress.h"
#include "runfile.h"

/* The lines of each list the text shows at most (--json has them all): one screen. */
#define SHOW_RUNNING 16
#define SHOW_OTHERS 5

typedef enum { ST_DONE, ST_RUNNING, ST_PENDING, ST_STOPPED, ST_FAILED, ST_DIVERGED, ST_COUNT } run_state;
static const char *const state_names[ST_COUNT] = {"done", "running", "pending", "stopped", "failed", "diverged"};

/* One run of the sweep as its files show it. */
typedef struct {
    char *id;
    run_state state;
    int file_status;          /* sw_run_status of its complete file; SW_RUN_STATUS_COUNT: none */
    char damaged[1024];       /* "" or why its file does not read */
    char metric[16];          /* what it is selected by (its file's, else its heartbeat's) */
    int lower;                /* that metric is a loss */
    double best;              /* its best value (file or heartbeat), NaN: none */
    int best_epoch, epochs, planned;
    int waiting;              /* stopped at a rung that promoted it (or is not decided yet) */
    const sw_live_run *live;  /* its job, when a live process trains it */
    const sw_live_process *proc;
    int has_ckpt;             /* a checkpoint of a run no process trains */
    sw_checkpoint_info ck;
} st_run;

typedef struct {
    const char *dir;
    char sweep[128];
    int manifest;             /* the runs come from the manifest (else the files present) */
    st_run *runs;
    int n;
    sw_live_process *procs;
    int n_procs;
    int count[ST_COUNT], damaged;
    double now;               /* UNIX seconds */
    const st_run *best;       /* the best so far by `metric` (NULL: none yet) */
    char metric[16];
    int lower;
    double eta, elapsed;      /* -1: unknown */
} st_model;

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void model_free(st_model *m)
{
    for (int i = 0; i < m->n; i++) free(m->runs[i].id);
    free(m->runs);
    sw_live_processes_free(m->procs, m->n_procs);
}

/* The runs: the manifest's, in grid order, else every run file present. */
static int load_runs(st_model *m, char *err, size_t errlen)
{
    manifest man;
    int rc = sw_manifest_read(m->dir, &man, err, errlen);
    char **names = NULL;
    int n = 0;
    if (rc == 1) { /* read */
        rc = SW_OK;
        m->manifest = 1;
        n = man.n;
        if (man.name) snprintf(m->sweep, sizeof m->sweep, "%s", man.name);
    } else if (rc == 0) { /* none: the run files present */
        n = sw_h5_list_runs(m->dir, &names);
        if (n < 0) {
            sw_set_error(err, errlen, "cannot list %s: %s", m->dir, sw_strerror(n));
            return n;
        }
    } else {
        return rc;
    }
    m->runs = calloc((size_t)(n ? n : 1), sizeof *m->runs);
    for (int i = 0; m->runs && i < n; i++) {
        const char *id = m->manifest ? man.ids[i] : names[i];
        size_t len = strlen(id) - (m->manifest ? 0 : 3); /* a file's name without .h5 */
        if (!(m->runs[i].id = strndup(id, len))) break;
        m->n++;
    }
    sw_manifest_free(&man);
    sw_h5_free_names(names, n > 0 && !m->manifest ? n : 0);
    if (!m->runs || m->n < n) {
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    return SW_OK;
}

/* Reads run r's file (its summary only: status and best metric), if it has one. */
static int read_file(st_model *m, st_run *r)
{
    char path[PATH_MAX], why[1024];
    r->file_status = SW_RUN_STATUS_COUNT;
    r->best = NAN;
    if (sw_outdir_path(path, sizeof path, m->dir, r->id, ".h5")) return SW_OK;
    struct stat st;
    if (stat(path, &st) != 0) return SW_OK;
    sw_run_file f;
    int rc = sw_h5_read_run(path, 0, &f, why, sizeof why);
    if (rc == SW_OK && f.status >= SW_RUN_STATUS_COUNT) {
        snprintf(why, sizeof why, "%.900s: its status is not one a run file may have", path);
        rc = SW_EFORMAT;
    }
    if (rc == SW_OK) {
        r->file_status = (int)f.status;
        snprintf(r->metric, sizeof r->metric, "%s", f.metric);
        r->lower = f.metric_mode == 1;
        r->best = f.best_metric;
        r->best_epoch = f.best_epoch;
        r->epochs = f.epochs;
        r->planned = f.epochs_planned;
        if (!m->sweep[0] && f.sweep) snprintf(m->sweep, sizeof m->sweep, "%s", f.sweep);
    } else if (rc != SW_ENOMEM) {
        snprintf(r->damaged, sizeof r->damaged, "%s", why);
        m->damaged++;
        rc = SW_OK;
    }
    sw_run_file_free(&f);
    return rc;
}

/* The position of run `id` in m (-1: none). */
static int find_run(const st_model *m, const char *id)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->runs[i].id, id)) return i;
    return -1;
}

/* Stopped runs that go on: their last decision promoted them, or their rung is not
 * decided yet (no decision names them at their epoch). */
static void mark_waiting(st_model *m)
{
    sw_decisions d;
    char err[256];
    int have = sw_h5_read_decisions(m->dir, &d, err, sizeof err) == SW_OK;
    for (int i = 0; i < m->n; i++) {
        st_run *r = &m->runs[i];
        if (r->file_status != SW_RUN_STOPPED) continue;
        int last = -1;
        for (int k = 0; have && k < d.n; k++)
            if (!strcmp(d.run[k], r->id)) last = k;
        r->waiting = last < 0 || d.promoted[last] || d.epoch[last] != r->epochs;
    }
    sw_decisions_free(&d);
}

/* The runs that live processes train now; checkpoints of the others not finished. */
static int mark_running(st_model *m)
{
    int rc = sw_live_read(m->dir, m->now, &m->procs, &m->n_procs);
    for (int p = 0; rc == SW_OK && p < m->n_procs; p++) {
        const sw_live_process *proc = &m->procs[p];
        if (!proc->alive || proc->bad[0]) continue;
        for (int k = 0; k < proc->n_running; k++) {
            int i = find_run(m, proc->running[k].id);
            if (i < 0) continue;
            m->runs[i].live = &proc->running[k];
            m->runs[i].proc = proc;
        }
    }
    for (int i = 0; i < m->n; i++) {
        st_run *r = &m->runs[i];
        bool final = r->file_status < SW_RUN_STATUS_COUNT && !r->damaged[0] && !r->waiting;
        char path[PATH_MAX], why[512];
        if (r->live || final || sw_outdir_checkpoint_path(m->dir, r->id, path, sizeof path)) continue;
        r->has_ckpt = sw_checkpoint_peek(path, NULL, 0, &r->ck, why, sizeof why) == SW_OK;
    }
    return rc;
}

static run_state state_of(const st_run *r)
{
    if (r->live) return ST_RUNNING;
    if (r->damaged[0] || r->waiting) return ST_PENDING;
    switch (r->file_status) {
    case SW_RUN_DONE: return ST_DONE;
    case SW_RUN_STOPPED: return ST_STOPPED;
    case SW_RUN_FAILED: return ST_FAILED;
    case SW_RUN_DIVERGED: return ST_DIVERGED;
    default: return ST_PENDING;
    }
}

/* Whether a is better than b by a metric (NaN never is). */
static int better(double a, double b, int lower)
{
    return a == a && (b != b || (lower ? a < b : a > b));
}

/* Counts, the metric most runs have, the best so far by it, the sweep's ETA. */
static void summarize_model(st_model *m)
{
    int votes[8] = {0};
    const char *names[8] = {0};
    for (int i = 0; i < m->n; i++) {
        st_run *r = &m->runs[i];
        r->state = state_of(r);
        m->count[r->state]++;
        if (r->live && !r->metric[0]) {
            snprintf(r->metric, sizeof r->metric, "%s", r->live->metric);
            r->lower = strstr(r->metric, "_loss") != NULL;
        }
        if (r->live && better(r->live->best, r->best, r->lower)) r->best = r->live->best;
        for (int k = 0; k < 8 && r->metric[0]; k++)
            if (!names[k] || !strcmp(names[k], r->metric)) {
                names[k] = r->metric;
                votes[k]++;
                break;
            }
    }
    int top = 0;
    for (int k = 1; k < 8; k++) top = votes[k] > votes[top] ? k : top;
    snprintf(m->metric, sizeof m->metric, "%s", names[top] ? names[top] : "");
    m->lower = strstr(m->metric, "_loss") != NULL;
    for (int i = 0; i < m->n; i++) {
        const st_run *r = &m->runs[i];
        if (!strcmp(r->metric, m->metric) && better(r->best, m->best ? m->best->best : NAN, m->lower)) m->best = r;
    }
    m->eta = m->elapsed = -1;
    for (int p = 0; p < m->n_procs; p++) {
        const sw_live_process *q = &m->procs[p];
        if (!q->alive || q->bad[0]) continue;
        if (q->runs > 0 && q->eta > m->eta) m->eta = q->eta;
        if (m->now - q->started > m->elapsed) m->elapsed = m->now - q->started;
    }
}

/* The time left of a running job: its epochs to go at the pace of those it did, less the
 * time since its last one; -1 when it has completed none yet. */
static double run_eta(const sw_live_run *x, double now)
{
    int done = x->epoch - x->resumed;
    if (done < 1 || x->epoch_end <= 0 || x->started <= 0) return -1;
    double left = (x->until - x->epoch) * (x->epoch_end - x->started) / done - (now - x->epoch_end);
    return left > 0 ? left : 0;
}

/* ---- text ---- */

static void print_counts(const st_model *m, FILE *out)
{
    fprintf(out, "%s", m->sweep[0] ? m->sweep : "(no name)");
    fprintf(out, " in %s: %d run%s: %d done, %d running, %d pending", m->dir, m->n, sw_plural(m->n), m->count[ST_DONE],
            m->count[ST_RUNNING], m->count[ST_PENDING]);
    for (int s = ST_STOPPED; s < ST_COUNT; s++)
        if (m->count[s]) fprintf(out, ", %d %s", m->count[s], s == ST_STOPPED ? "stopped early" : state_names[s]);
    if (m->damaged) fprintf(out, " (%d file%s damaged)", m->damaged, sw_plural(m->damaged));
    fputc('\n', out);
    char el[32], eta[32];
    int alive = 0;
    for (int p = 0; p < m->n_procs; p++) alive += m->procs[p].alive && !m->procs[p].bad[0];
    sw_format_duration(m->elapsed, el, sizeof el);
    sw_format_duration(m->eta, eta, sizeof eta);
    if (alive)
        fprintf(out, "running for %s in %d process%s; ETA %s\n", el, alive, alive == 1 ? "" : "es", eta);
    else if (m->count[ST_PENDING])
        fprintf(out, "no sweep process is running here: the same `sweep CONFIG` command resumes the %d pending "
                     "run%s\n", m->count[ST_PENDING], sw_plural(m->count[ST_PENDING]));
    else
        fprintf(out, "complete: every run has its file%s\n", m->count[ST_FAILED] + m->count[ST_DIVERGED] ?
                " (the failed ones are retried by the same command)" : "");
    if (m->best) {
        char v[32];
        sw_format_metric(m->metric, m->best->best, v, sizeof v);
        fprintf(out, "best so far: %s %s, %s%s\n", m->metric, v, m->best->id, m->best->live ? " (running)" : "");
    }
    char pbt[512];
    if (sw_summary_pbt_line(m->dir, pbt, sizeof pbt)) fprintf(out, "%s\n", pbt);
}

static void print_running(const st_model *m, FILE *out)
{
    if (!m->count[ST_RUNNING]) return;
    fprintf(out, "\n%-40s %9s %10s %10s %7s  %s\n", "running", "epoch", m->metric[0] ? m->metric : "metric", "best",
            "ETA", "where");
    int shown = 0;
    for (int i = 0; i < m->n && shown < SHOW_RUNNING; i++) {
        const st_run *r = &m->runs[i];
        if (!r->live) continue;
        char ep[32], v[32], b[32], eta[32], where[300];
        snprintf(ep, sizeof ep, "%d/%d", r->live->epoch, r->live->until);
        sw_format_metric(r->live->metric, r->live->value, v, sizeof v);
        sw_format_metric(r->live->metric, r->live->best, b, sizeof b);
        sw_format_duration(run_eta(r->live, m->now), eta, sizeof eta);
        snprintf(where, sizeof where, "%s:%ld", r->proc->host, r->proc->pid);
        fprintf(out, "%-40s %9s %10s %10s %7s  %s\n", r->id, ep, r->live->epoch > r->live->resumed ? v : "--",
                r->live->epoch > r->live->resumed ? b : "--", eta, where);
        shown++;
    }
    if (m->count[ST_RUNNING] > shown) fprintf(out, "... and %d more (--json lists all)\n", m->count[ST_RUNNING] - shown);
}

static void print_others(const st_model *m, FILE *out)
{
    int shown = 0, n = 0;
    for (int i = 0; i < m->n; i++) n += m->runs[i].has_ckpt;
    for (int i = 0; i < m->n && shown < SHOW_OTHERS; i++) {
        const st_run *r = &m->runs[i];
        if (!r->has_ckpt) continue;
        if (!shown++) fprintf(out, "\n%d run%s not running now with a checkpoint (resumed there by the same command):\n", n,
                              sw_plural(n));
        char v[32] = "--";
        if (r->ck.metric[0]) sw_format_metric(r->ck.metric, r->ck.value, v, sizeof v);
        fprintf(out, "  %s: epoch %d, %s %s (%s)\n", r->id, r->ck.epoch, r->ck.metric[0] ? r->ck.metric : "metric", v,
                r->ck.created);
    }
    shown = 0;
    for (int i = 0; i < m->n && shown < SHOW_OTHERS; i++)
        if (m->runs[i].damaged[0]) {
            if (!shown++) fprintf(out, "\ndamaged files (their runs are redone):\n");
            fprintf(out, "  %s\n", m->runs[i].damaged);
        }
    for (int p = 0, k = 0; p < m->n_procs && k < SHOW_OTHERS; p++) {
        const sw_live_process *q = &m->procs[p];
        if (q->alive && !q->bad[0]) continue;
        if (!k++) fputc('\n', out);
        if (q->bad[0]) fprintf(out, "heartbeat %s unreadable (%s)\n", q->file, q->bad);
        else fprintf(out, "process %s:%ld (rank %d) is gone (%s); its %d run%s count as pending\n", q->host, q->pid,
                     q->rank, q->gone, q->n_running, sw_plural(q->n_running));
    }
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20) fprintf(out, "\\u%04x", *c);
        else fputc(*c, out);
    }
    fputc('"', out);
}

/* A number, or null for NaN, infinities and the unknown (< 0 when `neg_unknown`). */
static void json_num(FILE *out, double v, int neg_unknown)
{
    if (!isfinite(v) || (neg_unknown && v < 0)) fputs("null", out);
    else fprintf(out, "%.10g", v);
}

static void json_running(const st_model *m, FILE *out)
{
    fputs(",\n  \"running\": [", out);
    int first = 1;
    for (int i = 0; i < m->n; i++) {
        const st_run *r = &m->runs[i];
        if (!r->live) continue;
        fprintf(out, "%s\n    {\"run\": ", first ? "" : ",");
        json_str(out, r->id);
        fprintf(out, ", \"epoch\": %d, \"epochs\": %d, \"resumed_at\": %d, \"metric\": ", r->live->epoch,
                r->live->until, r->live->resumed);
        json_str(out, r->live->metric);
        fputs(", \"value\": ", out);
        json_num(out, r->live->value, 0);
        fputs(", \"best\": ", out);
        json_num(out, r->live->best, 0);
        fputs(", \"eta_seconds\": ", out);
        json_num(out, run_eta(r->live, m->now), 1);
        fputs(", \"started\": ", out);
        json_num(out, r->live->started, 1);
        fputs(", \"host\": ", out);
        json_str(out, r->proc->host);
        fprintf(out, ", \"pid\": %ld, \"rank\": %d}", r->proc->pid, r->proc->rank);
        first = 0;
    }
    fputs(first ? "]" : "\n  ]", out);
}

static void json_checkpoints(const st_model *m, FILE *out)
{
    fputs(",\n  \"checkpoints\": [", out);
    int first = 1;
    for (int i = 0; i < m->n; i++) {
        const st_run *r = &m->runs[i];
        if (!r->has_ckpt) continue;
        fprintf(out, "%s\n    {\"run\": ", first ? "" : ",");
        json_str(out, r->id);
        fprintf(out, ", \"epoch\": %d, \"metric\": ", r->ck.epoch);
        json_str(out, r->ck.metric);
        fputs(", \"value\": ", out);
        json_num(out, r->ck.value, 0);
        fputs(", \"best\": ", out);
        json_num(out, r->ck.best, 0);
        fputs(", \"written\": ", out);
        json_str(out, r->ck.created);
        fputc('}', out);
        first = 0;
    }
    fputs(first ? "]" : "\n  ]", out);
}

static void json_processes(const st_model *m, FILE *out)
{
    fputs(",\n  \"processes\": [", out);
    for (int p = 0; p < m->n_procs; p++) {
        const sw_live_process *q = &m->procs[p];
        fprintf(out, "%s\n    {\"file\": ", p ? "," : "");
        json_str(out, q->file);
        if (q->bad[0]) {
            fputs(", \"error\": ", out);
            json_str(out, q->bad);
            fputc('}', out);
            continue;
        }
        fputs(", \"host\": ", out);
        json_str(out, q->host);
        fprintf(out, ", \"pid\": %ld, \"rank\": %d, \"ranks\": %d, \"shard\": ", q->pid, q->rank, q->ranks);
        if (q->shard_count > 0) fprintf(out, "\"%d/%d\"", q->shard_index, q->shard_count);
        else fputs("null", out);
        fprintf(out, ", \"threads\": %d, \"alive\": %s, \"gone\": ", q->threads, q->alive ? "true" : "false");
        json_str(out, q->gone);
        fprintf(out, ", \"updated\": %.3f, \"age_seconds\": %.1f, \"runs\": %d, \"finished\": %d, \"pending\": %d, "
                     "\"running\": %d, \"report\": %s, \"eta_seconds\": ", q->updated, m->now - q->updated, q->runs,
                q->finished, q->pending, q->n_running, q->report ? "true" : "false");
        json_num(out, q->eta, 1);
        fputc('}', out);
    }
    fputs(m->n_procs ? "\n  ]" : "]", out);
}

static void print_json(const st_model *m, FILE *out)
{
    fputs("{\n  \"dir\": ", out);
    json_str(out, m->dir);
    fputs(",\n  \"sweep\": ", out);
    json_str(out, m->sweep);
    fprintf(out, ",\n  \"time\": %.3f,\n  \"runs\": %d,\n  \"complete\": %s,\n  \"counts\": {", m->now, m->n,
            !m->count[ST_RUNNING] && !m->count[ST_PENDING] ? "true" : "false");
    for (int s = 0; s < ST_COUNT; s++) fprintf(out, "%s\"%s\": %d", s ? ", " : "", state_names[s], m->count[s]);
    fputs("},\n  \"metric\": ", out);
    json_str(out, m->metric);
    fprintf(out, ",\n  \"lower_is_better\": %s,\n  \"best\": ", m->lower ? "true" : "false");
    if (m->best) {
        fputs("{\"run\": ", out);
        json_str(out, m->best->id);
        fputs(", \"value\": ", out);
        json_num(out, m->best->best, 0);
        fprintf(out, ", \"running\": %s}", m->best->live ? "true" : "false");
    } else {
        fputs("null", out);
    }
    fputs(",\n  \"eta_seconds\": ", out);
    json_num(out, m->eta, 1);
    fputs(",\n  \"elapsed_seconds\": ", out);
    json_num(out, m->elapsed, 1);
    json_running(m, out);
    json_checkpoints(m, out);
    fputs(",\n  \"damaged\": [", out);
    for (int i = 0, k = 0; i < m->n; i++)
        if (m->runs[i].damaged[0]) {
            fprintf(out, "%s{\"run\": ", k++ ? ", " : "");
            json_str(out, m->runs[i].id);
            fputs(", \"error\": ", out);
            json_str(out, m->runs[i].damaged);
            fputc('}', out);
        }
    fputc(']', out);
    json_processes(m, out);
    fputs(",\n  \"states\": {", out);
    for (int i = 0; i < m->n; i++) {
        fputs(i ? ", " : "", out);
        json_str(out, m->runs[i].id);
        fprintf(out, ": \"%s\"", state_names[m->runs[i].state]);
    }
    fputs("}\n}\n", out);
}

/* ---- the verb ---- */

static const char status_usage[] =
    "usage: sweep status DIR [--json]\n"
    "\n"
    "Where the sweep writing into DIR stands, from its files alone (safe while it runs, and\n"
    "for a directory that shards, MPI ranks or Slurm array tasks on other hosts write): runs\n"
    "done, running, pending, stopped early, failed and diverged; the best so far by the\n"
    "sweep's metric; each running run's epoch, metric, best and ETA; the sweep's ETA. The\n"
    "processes running it leave a heartbeat in DIR (.sweep-live.HOST.PID), which says what\n"
    "they train; one not rewritten for a minute (or whose process is gone) is taken for gone,\n"
    "and its runs count as pending. Checkpoints of runs no process trains say how far an\n"
    "interrupted run got; a damaged file is named, and its run counts as pending.\n"
    "\n"
    "  --json   everything as one JSON object, every list whole: dir, sweep, time (UNIX s),\n"
    "           runs, complete, counts {done, running, pending, stopped, failed, diverged},\n"
    "           metric, lower_is_better, best {run, value, running}, eta_seconds,\n"
    "           elapsed_seconds, running [{run, epoch, epochs, resumed_at, metric, value,\n"
    "           best, eta_seconds, started, host, pid, rank}], checkpoints [{run, epoch,\n"
    "           metric, value, best, written}], damaged [{run, error}], processes [{file,\n"
    "           host, pid, rank, ranks, shard, threads, alive, gone, updated, age_seconds,\n"
    "           runs, finished, pending, running, report, eta_seconds}], states {run: state};\n"
    "           null where unknown\n"
    "\n"
    "Exit status: 0 printed; 2 usage error or DIR is not a sweep's output directory.\n";

int sw_status_main(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(status_usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "sweep status: %s '%s'\n%s", argv[i][0] == '-' ? "unknown option" : "one directory only, not",
                    argv[i], status_usage);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char hint[4352] = "";
        if (dir) sw_outdir_hint(dir, hint, sizeof hint);
        fprintf(stderr, "sweep status: %s%s\n%s", dir ? dir : "which directory?", dir ? ": no such directory" : "", hint);
        if (!dir) fputs(status_usage, stderr);
        return 2;
    }
    st_model m = {.dir = dir, .now = unix_now()};
    char err[1024] = "";
    int rc = load_runs(&m, err, sizeof err);
    for (int i = 0; rc == SW_OK && i < m.n; i++) rc = read_file(&m, &m.runs[i]);
    if (rc == SW_OK) mark_waiting(&m);
    if (rc == SW_OK) rc = mark_running(&m);
    if (rc == SW_OK && !m.manifest && m.n == 0 && m.n_procs == 0) {
        sw_set_error(err, sizeof err, "%s is not a sweep's output directory (no %s, no run files)", dir,
                     SW_MANIFEST_NAME);
        rc = SW_ENOTFOUND;
    }
    if (rc == SW_OK) {
        summarize_model(&m);
        if (json) print_json(&m, stdout);
        else {
            print_counts(&m, stdout);
            print_running(&m, stdout);
            print_others(&m, stdout);
        }
    } else {
        fprintf(stderr, "sweep status: %s\n", err[0] ? err : sw_strerror(rc));
    }
    model_free(&m);
    return rc == SW_OK ? 0 : rc == SW_ENOMEM ? 1 : 2;
}
