/* live.h: what a running sweep tells the readers of its directory besides its run files,
 * and the process that keeps its live report current.
 *
 * The heartbeat. Each sweep process (a lone process, each MPI rank, each shard) keeps a
 * small text file, DIR/.sweep-live.<host>.<pid> (sw_atomic_owner's name), rewritten
 * (temporary + rename) when one of its runs starts, completes an epoch or ends (at most
 * twice a second) and at least every SW_LIVE_INTERVAL seconds, and removed when the process
 * ends. `sweep status` and the report read it: which runs train now, their epoch, metric
 * and best so far, since when, and the process's ETA. The file is hidden, so nothing takes
 * it for data, and a reader never needs a lock: it is replaced whole. A file whose process
 * is gone (on the reader's host: no such pid; on any host: not rewritten for SW_LIVE_STALE
 * seconds) is stale, and its runs count as pending. Its lines, "key value...":
 *
 *   sweep-live 1                     format and version
 *   sweep NAME | host HOST | pid PID | rank R RANKS | shard K N (0 0: none) | threads T
 *   started UNIX | updated UNIX      wall-clock seconds since 1970 (the writer's clock)
 *   interval SECONDS                 it is rewritten at least this often
 *   report 0|1                       this process keeps DIR/report.html current
 *   runs N | finished N | pending N  its share of the sweep (rank 0 or a lone process: the
 *                                    whole sweep; ranks > 0: 0, rank 0 holds the queue)
 *   eta SECONDS|-                    its estimate of the time left (progress.h's)
 *   run EPOCH UNTIL RESUMED STARTED EPOCH_END VALUE BEST METRIC ID
 *                                    one per run training now: epochs completed, the epoch
 *                                    its job trains to, the epoch it resumed from (its
 *                                    checkpoint's; 0: from the start), when the job started
 *                                    and its last epoch ended (UNIX; "-": none yet), the
 *                                    metric's latest value and best so far ("nan": none
 *                                    yet), the metric's /history name, then the run id (the
 *                                    rest of the line)
 *
 * The live report. With sw_live_options.report_argv, rank 0 starts that command once (in
 * a process group of its own, so that Ctrl-C on the terminal reaches the sweep, which then
 * tells it) and writes one line on its standard input per event: "run" when a run's file
 * was written, "barrier" when a barrier closed (every run an early-stopping rung waits for
 * has reported and the rung is decided; a search round or a generation for the strategies
 * that have them), and, when the sweep ends, "end" or "interrupted", after which it writes
 * its last page and exits. How often it rewrites otherwise is its own affair
 * (analysis/report.py, --report-every). A report that fails or cannot start costs the sweep
 * nothing but a warning. A sweep made of several executions (a tpe search's rounds) keeps
 * one report for all of them (sw_live_report_start, sw_live_options.report), so that its
 * page reloads until the whole sweep ends: between two rounds it is told "barrier". */
#ifndef SWEEP_LIVE_H
#define SWEEP_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "progress.h"
#include "sweepspec.h"

#define SW_LIVE_PREFIX ".sweep-live."
#define SW_LIVE_VERSION 1
#define SW_LIVE_INTERVAL 10.0
#define SW_LIVE_STALE 60.0

/* What makes the live report rewrite itself at once. */
typedef enum { SW_LIVE_RUN_FINISHED, SW_LIVE_BARRIER, SW_LIVE_EVENT_COUNT } sw_live_event;

/* A live report process (see above). */
typedef struct sw_live_report sw_live_report;

typedef struct {
    const char *dir;
    const sw_sweep_spec *spec;
    sw_progress *progress;  /* the counts, the ETA; one live slot per progress slot */
    int rank, ranks;        /* MPI (0 and 1 for a lone process) */
    int shard_index, shard_count;
    int threads;
    /* The live report's command, NULL-terminated (NULL: no live report; ranks > 0 never
     * start one). The caller keeps it alive until sw_live_stop. */
    const char *const *report_argv;
    /* A live report the caller keeps (sw_live_report_start; rank 0 only): used instead of
     * report_argv, told this sweep's events, and left running by sw_live_stop. */
    sw_live_report *report;
    bool quiet;             /* no notes on stderr about the report's own progress */
} sw_live_options;

typedef struct sw_live sw_live;

/* Starts the heartbeat (its first write, and a thread that keeps it) and, with
 * o->report_argv, the live report. Returns SW_OK with *out set, or SW_ENOMEM (*out NULL;
 * the sweep can run without). A heartbeat or report that cannot be written or started is
 * not an error: a warning on stderr says so, once. */
int sw_live_start(const sw_live_options *o, sw_live **out);

/* The run in progress slot `slot` started a job up to epoch `until` (0: its last), from
 * its checkpoint at epoch `resumed_at` (0: from the start). Any thread; NULL-tolerant. */
void sw_live_run_started(sw_live *lv, int slot, int run, int until, int resumed_at);

/* Slot `slot`'s run completed epoch `epoch` (h: its history so far, may be NULL). */
void sw_live_epoch(sw_live *lv, int slot, int epoch, const sw_history *h);

/* Slot `slot` is idle again. */
void sw_live_run_ended(sw_live *lv, int slot);

/* A run's file was written, or a barrier closed: the live report rewrites itself now (it
 * takes several events that come while it writes as one). The small, general hook every
 * strategy calls when a barrier of its own closes. Any thread, any lock held. */
void sw_live_notify(sw_live *lv, sw_live_event ev);

/* Ends the heartbeat (its file removed) and the live report: tells it the sweep ended
 * (`interrupted`: by Ctrl-C or a signal) and waits for its last page. Frees lv;
 * NULL-tolerant. */
void sw_live_stop(sw_live *lv, bool interrupted);

/* Starts the live report command argv (NULL-terminated) for the sweep writing dir, as
 * sw_live_start does, for a caller that keeps it across several sw_live_start/stop. Returns
 * it, or NULL when argv is NULL or it cannot start (a warning on stderr says so): the sweep
 * then runs without. End it with sw_live_report_end. */
sw_live_report *sw_live_report_start(const char *const *argv, const char *dir);

/* Tells the report `ev` (its page is rewritten now). Only while no sw_live uses it (the
 * heartbeat thread tells it the events of its own sweep). NULL-tolerant. */
void sw_live_report_notify(sw_live_report *rep, sw_live_event ev);

/* Tells the report the sweep ended (`interrupted`: by Ctrl-C, a signal or an error), waits
 * for its last page and frees rep. Only while no sw_live uses it. NULL-tolerant. */
void sw_live_report_end(sw_live_report *rep, bool interrupted);

/* ---- reading heartbeats (`sweep status`) ---- */

/* A run training in a heartbeat's process. */
typedef struct {
    int epoch, until, resumed;
    double started, epoch_end; /* UNIX; 0: none */
    double value, best;        /* NaN: none yet */
    char metric[16];
    char *id;
} sw_live_run;

/* One heartbeat file as read. */
typedef struct {
    char *file;             /* its path */
    char bad[160];          /* "" or why it could not be read (then nothing else is set) */
    bool alive;             /* its process is running, as far as the file tells */
    char gone[160];         /* when not alive: why it is taken for gone */
    char sweep[128], host[256];
    long pid;
    int rank, ranks, shard_index, shard_count, threads, report;
    double started, updated, interval, eta; /* eta < 0: unknown */
    int runs, finished, pending;
    sw_live_run *running;
    int n_running;
} sw_live_process;

/* Reads every heartbeat in DIR into *out (*n entries, sorted by rank then host and pid;
 * free with sw_live_processes_free), judged against the reader's clock `now` (UNIX
 * seconds). A damaged file is an entry with `bad` set. Returns SW_OK or SW_ENOMEM; a DIR
 * that cannot be listed has none. */
int sw_live_read(const char *dir, double now, sw_live_process **out, int *n);

/* Frees what sw_live_read made; NULL-tolerant. */
void sw_live_processes_free(sw_live_process *p, int n);

/* Removes the heartbeat files in DIR of processes that are gone: all of them when
 * `all` (a whole sweep holds DIR's lock: no other sweep process writes there), else
 * those of this host whose process no longer exists. Returns how many were removed. */
int sw_live_remove_stale(const char *dir, bool all);

#endif
