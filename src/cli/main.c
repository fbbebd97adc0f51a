/* main.c: the `sweep` command line.
 *
 *   sweep CONFIG.yaml [-j N] [-o DIR] [--set KEY=VALUE]... [--dry-run] [--force] [--quiet] [--fail-fast]
 *   sweep summarize DIR [DIR...] ...
 *   sweep index DIR
 *   sweep report DIR ...                 (the HTML report: runs python3 -m analysis report)
 *   sweep status DIR [--json]            (where a sweep stands, from its files: cli/status.c)
 *   sweep sample RUN.h5 [--chars N] [--temperature T] [--prime TEXT] [--seed S]
 *   sweep help [run|summarize|keys]      sweep --help      sweep --version
 *
 * Exit status: 0 every run done; 1 the sweep finished but some runs failed or diverged
 * (or its index could not be written); 2 usage or config error (nothing run, nothing
 * written); 75 stopped by a stop signal (checkpoints saved: run the same command again);
 * 130 a second Ctrl-C quit at once. Only this file exits. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#ifdef SWEEP_HAVE_MPI
#include <mpi.h>
#endif

#include "common.h"
#include "config.h"
#include "dryrun.h"
#include "kernels.h"
#include "outdir.h"
#include "pbt.h"
#include "prepare.h"
#include "rebuild.h"
#include "record.h"
#include "sample.h"
#include "summarize.h"
#include "sweep.h"
#include "sweep_mpi.h"
#include "status.h"
#include "stopping.h"
#include "rounds.h"
#include "sweepspec.h"
#include "testhook.h"
#include "replay.h"
#include "textsample.h"
#include "version.h"

enum { EXIT_DONE = 0, EXIT_RUNS_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = SW_EXIT_INTERRUPTED };

static const char usage_text[] =
    "usage: sweep CONFIG.yaml [-j N] [-o DIR] [--set KEY=VALUE]... [--dry-run] [--force] [--quiet] [--fail-fast]\n"
    "                         [--shard K/N] [--threads-per-run M|auto] [--stop-signals LIST]\n"
    "       sweep summarize DIR [DIR...] [...]\n"
    "       sweep index DIR\n"
    "       sweep report DIR [--out FILE] [--run RUN_ID] [--watch [--report-every S]]\n"
    "       sweep status DIR [--json]\n"
    "       sweep replay DIR [--member M] [-o FILE]\n"
    "       sweep sample RUN.h5 [--chars N] [--temperature T] [--prime TEXT] [--seed S]\n"
    "       sweep help [run|summarize|index|status|report|replay|sample|keys|layout]\n"
    "       sweep --help | --version\n";

/* Two strings: C99 guarantees string literals only up to 4095 characters. */
static const char help_text[] =
    "usage: sweep CONFIG.yaml [-j N] [-o DIR] [--set KEY=VALUE]... [--dry-run] [--force] [--quiet] [--fail-fast]\n"
    "                         [--shard K/N] [--threads-per-run M|auto] [--stop-signals LIST]\n"
    "\n"
    "sweep: train grids of small recurrent networks (rnn, lstm, gru; and, to compare, a causal\n"
    "transformer encoder: model.cell: transformer) in parallel and record their histories,\n"
    "weights and per-timestep gradients in HDF5.\n"
    "\n"
    "Commands:\n"
    "  sweep CONFIG.yaml [options]   run every run of the sweep described by CONFIG.yaml\n"
    "                                (`sweep run CONFIG.yaml` is the same)\n"
    "  sweep summarize DIR [DIR...]  print the best-epoch table of a sweep's output directory\n"
    "                                (or of several, to compare sweeps; --top N, --legend)\n"
    "  sweep index DIR               rebuild DIR/sweep.h5 from the run files present (in the\n"
    "                                order of DIR/" SW_MANIFEST_NAME " when there is one)\n"
    "  sweep report DIR              write DIR/report.html: the table, figures, failed runs and\n"
    "                                config in one self-contained page (Python: analysis/);\n"
    "                                --watch keeps it current while others write DIR\n"
    "  sweep status DIR [--json]     where a sweep stands, from its files (safe while it runs):\n"
    "                                done/running/pending/failed, best so far, ETAs\n"
    "  sweep replay DIR              a pbt member's life (its chain of exploits) as the config of\n"
    "                                one run, with per-epoch tables (default: the best member)\n"
    "  sweep sample RUN.h5           print text written by a character-level model (task.kind\n"
    "                                text) with the run's best weights\n"
    "  sweep help TOPIC              details of a command (run, summarize, index, status, report,\n"
    "                                sample), every config key (keys) or what a run file records\n"
    "                                (layout)\n"
    "  sweep --help, -h              this text\n"
    "  sweep --version, -V           version and library versions\n"
    "\n"
    "Options of a run:\n"
    "  -j, --jobs N          threads in all (default: OMP_NUM_THREADS, else every core):\n"
    "                        N runs at a time, one thread each; when fewer runs remain\n"
    "                        than threads, the runs left share the idle ones\n"
    "  --threads-per-run M   each run on M threads (its batch split between them), N/M\n"
    "                        runs at a time; default auto (as above). Results are\n"
    "                        identical for any number of threads\n"
    "  -o, --output DIR      output directory (default: runs/<name>)\n"
    "  --set KEY=VALUE       override a key for every run (--set train.epochs=5) or sweep it\n"
    "                        (--set seed=[1,2,3]); repeatable, applied in order\n"
    "  --dry-run             list every run (id, swept values, estimated cost, memory,\n"
    "                        file size) and the time the sweep should take, at the rate\n"
    "                        of its runs already in DIR, else of a short training probe\n"
    "                        (it says which); writes nothing\n"
    "  --force               run even if DIR holds a different sweep: runs removed or\n"
    "                        changed, or stop: changed (added runs, a tpe search's new\n"
    "                        rounds, need no --force). The\n"
    "                        files of removed and changed runs move to DIR/dropped-N\n"
    "                        (never deleted), changed runs are redone, unchanged kept\n"
    "  --fail-fast           start no more runs after one fails or diverges\n"
    "  -q, --quiet           no progress output and no table at the end\n"
    "  --report              keep DIR/report.html current while the sweep runs (also\n"
    "                        record.report: true): rewritten when a run finishes or a rung\n"
    "                        closes, else at most every --report-every S seconds (default\n"
    "                        60); the page reloads itself until the sweep ends\n";

/* help_text's last options (C99 guarantees string literals only up to 4095 characters) */
static const char help_stop_text[] =
    "  --shard K/N           run only shard K of N (0 <= K < N): the runs at positions p\n"
    "                        with p % N == K in the sweep (a tpe search: in each round)\n"
    "                        sorted longest-estimated first (ties in grid order). Shards\n"
    "                        may run into one DIR at the same\n"
    "                        time (Slurm: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\n"
    "                        with --array=0-(N-1)); each rewrites the index from the files\n"
    "                        present; `sweep index DIR` afterwards gives the complete one\n"
    "  --stop-signals LIST   the signals that stop the sweep with checkpoints (below);\n"
    "                        default INT,TERM,USR1; any of HUP, INT, TERM, USR1, USR2,\n"
    "                        XCPU, ALRM, comma-separated\n";

static const char help_notes_text[] =
    "\n"
    "MPI (builds with MPI): `mpirun -np N sweep CONFIG.yaml -j M` shares the runs between\n"
    "the ranks: rank 0 hands out runs longest first as ranks ask, each rank trains up to\n"
    "M runs at once, rank 0 prints progress and the table and writes the index. Run files\n"
    "are identical to those of one process. DIR must be on a filesystem every rank sees.\n"
    "\n"
    "Re-running the same command resumes: done, diverged and early-stopped runs are kept,\n"
    "the rest (missing, incomplete, failed) are redone, each from its last checkpoint\n"
    "(DIR/<run>.ckpt, record.checkpoint_every) when it has one, with the same result as\n"
    "an uninterrupted run. A run file counts only if it reads through (its checksums and\n"
    "shapes); a damaged one is moved to NAME.h5.damaged (never deleted) and the run redone.\n"
    "One sweep process per directory at a time.\n"
    "A killed job (kill -9, MPI or shards) resumes the same way: run the same command again.\n"
    "Stop signals (SIGINT = Ctrl-C, SIGTERM, SIGUSR1; --stop-signals), in every mode (one\n"
    "process, --shard, each MPI rank): no run is started any more, each running run stops\n"
    "at its next training step and saves a checkpoint there (its place in the epoch\n"
    "included), the index is written and the process exits 75; the same command then\n"
    "resumes every run where it stopped, with files identical to an uninterrupted sweep's.\n"
    "It takes one training step and a checkpoint's write (Slurm: KillWait, 30 s by default,\n"
    "is the bound; --signal=B:USR1@120 warns earlier). A second Ctrl-C quits at once (130).\n"
    "\n"
    "Exit status: 0 every run done; 1 some runs failed or diverged, or a file could not be\n"
    "written (a full disk: one line per run; the same command later completes the sweep);\n"
    "2 usage or config error (nothing run, nothing written); 75 stopped by a signal (rerun\n"
    "to continue); 130 a second Ctrl-C quit at once (rerun: runs resume from checkpoints).\n"
    "\n"
    "Environment: SWEEP_KERNELS=avx2|avx512|auto picks the compiled kernels and the random\n"
    "streams' vector code (auto: the best the CPU runs; all give identical results; --version\n"
    "names the kernels in use).\n"
    "\n"
    "Config files: configs/*.yaml are commented examples, installed in PREFIX/share/sweep/\n"
    "configs: `sweep reference` (a one-run sweep of seconds) or `sweep vanishing` runs one by\n"
    "name from any directory. docs/config.md lists every key\n"
    "(also `sweep help keys`); docs/hdf5-layout.md describes the output files.\n";

static const char help_run_text[] =
    "sweep CONFIG.yaml [-j N] [-o DIR] [--set KEY=VALUE]... [--dry-run] [--force] [--quiet] [--fail-fast]\n"
    "                  [--shard K/N] [--threads-per-run M|auto] [--stop-signals LIST]\n"
    "\n"
    "Reads CONFIG.yaml, expands its grid into runs and trains them, -j at a time, longest\n"
    "first. Each run is written to DIR/<run id>.h5 when it ends (status done, diverged or\n"
    "failed); DIR/sweep.h5 indexes them and is rewritten after every run.\n"
    "DIR/" SW_MANIFEST_NAME " lists the runs so that a later invocation resumes only the\n"
    "same sweep. Runs added to it (a grid value more) simply run; runs removed or changed\n"
    "need --force (the refusal names which key of which run changed), which moves their\n"
    "files into DIR/dropped-N, never deleting one.\n"
    "\n"
    "A sweep file:\n"
    "  name: vanishing                 # output goes to runs/vanishing\n"
    "  description: free text\n"
    "  base:                           # every run; unset keys keep the seed protocol's defaults\n"
    "    task: {kind: first_sign, seq_len: 50}\n"
    "    train: {epochs: 20, schedule: {kind: cosine}}\n"
    "  grid:                           # cartesian product, first key varies slowest\n"
    "    model.cell: [rnn, lstm, gru]\n"
    "    seed: [1, 2, 3]\n"
    "  zip:                            # lists that vary together (same length)\n"
    "    - {model.hidden: [32, 64], train.lr: [0.002, 0.001]}\n"
    "  exclude:                        # partial runs to drop\n"
    "    - {model.cell: rnn, model.hidden: 64}\n"
    "\n"
    "A sampled search draws points from distributions and crosses them with grid/zip:\n"
    "  search: {kind: sobol, samples: 32, seed: 0}   # kind: grid (default), random, sobol\n"
    "  space:\n"
    "    train.lr: {loguniform: [1.0e-4, 1.0e-2]}\n"
    "    model.hidden: {int_uniform: [16, 128]}      # also uniform, int_loguniform, choice\n"
    "Its run ids are the point's index and a hash of its values (p007-1a2b3c4d,seed=1);\n"
    "--dry-run lists every point's values. `sweep help keys` lists the search keys.\n"
    "search: {kind: tpe, samples: 48, startup: 16, batch: 8} runs 16 Sobol points, then\n"
    "rounds of 8 chosen from the results by TPE (Optuna 3.1's defaults): each round from the\n"
    "metric of every earlier point, once all of them are final, so the points are the same\n"
    "for any -j, MPI ranks, shards and resumes; a shard exits when its next round waits for\n"
    "other shards. --dry-run shows the startup points and the rounds to come; DIR/sweep.h5\n"
    "/search keeps every point (round, values, metric, l/g score, best so far).\n"
    "\n"
    "Early stopping decides at rung barriers, from the recorded metric alone:\n"
    "  stop: {kind: sha, metric: val_acc, eta: 3, min_epochs: 5}  # none, sha, hyperband, median\n"
    "With seeds swept, the seeds of a configuration go on or stop together, ranked by their\n"
    "mean (stop.by: configuration, the default; stop.by: run ranks every run alone).\n"
    "Rungs at min_epochs * eta^k epochs; a stopped run keeps its file (status stopped), a\n"
    "promoted one continues; DIR/sweep.h5 /decisions records every decision. The stopped\n"
    "runs and every file are the same for any -j, MPI ranks, shards and resumes. With\n"
    "--shard each invocation runs its share of the rungs it can reach and exits when the\n"
    "next rung waits for other shards: run the shards again (one job per rung) until none\n"
    "says it waits. --dry-run shows the rungs and the epochs planned.\n"
    "\n"
    "Keys in grid, zip, exclude and --set may be short when unambiguous (seq_len, cell,\n"
    "hidden, lr, seed, schedule.kind). Run ids are made of the swept values, e.g.\n"
    "cell=gru,seed=3; too long ones become an index plus a hash (r007-1a2b3c4d).\n"
    "\n"
    "--set KEY=VALUE: a single value sets KEY for every run and replaces a grid axis on it;\n"
    "a list ([1,2,3]) makes KEY a grid axis (replacing one on the same key). A mapping sets\n"
    "a section: --set 'train.schedule={kind: cosine, min_lr: 0.0001}'.\n";

/* help_run_text's end (the 4095-character limit of C99 string literals) */
static const char help_run_end_text[] =
    "\n"
    "Population-based training trains members side by side that copy each other:\n"
    "  search: {kind: pbt, population: 16, interval: 2, quantile: 0.25, resample: 0.25,\n"
    "           factors: [0.8, 1.2], seed: 0}\n"
    "  space: {train.lr: {loguniform: [1.0e-4, 1.0e-1]}}   # keys a member can change\n"
    "Every `interval` epochs all members reach a barrier; the bottom quantile by the\n"
    "recorded metric takes the weights, optimizer moments and step count of a member drawn\n"
    "from the top quantile at that epoch, and its values multiplied by a factor (or drawn\n"
    "again, with probability resample), within the space's bounds. Every draw is keyed on\n"
    "(seed, generation, member): the same population for any -j, MPI, shards and resumes.\n"
    "--report keeps DIR/report.html current while the sweep runs (record.report: true for a\n"
    "sweep a batch system starts): running runs' curves from their checkpoints, epochs,\n"
    "ETAs, pending runs counted; the page reloads itself (a pause switch stops it) until\n"
    "the last page. `sweep status DIR` shows the same on a terminal.\n"
    "\n"
    "Errors in the file are reported as FILE:LINE:COLUMN: message, and nothing is run.\n"
    "See docs/config.md for every key with its type, default and range.\n";

static void print_keys(FILE *f)
{
    fprintf(f, "%-27s %-9s %-10s %-22s %s\n", "key", "type", "default", "allowed", "meaning");
    for (size_t i = 0; i < sw_schema_len; i++) sw_key_print_row(f, &sw_schema[i]);
    sw_search_print_keys(f);
    sw_pbt_print_keys(f);
    sw_stop_print_keys(f);
}

/* "sweep: MESSAGE", the usage and a pointer to --help on stderr; returns EXIT_USAGE. */
SW_PRINTF(1, 2)
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sweep: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s(see sweep --help)\n", usage_text);
    va_end(ap);
    return EXIT_USAGE;
}

static const char help_replay_text[] =
    "usage: sweep replay DIR [--member M] [-o FILE]\n"
    "\n"
    "Writes the config of one run that trains a pbt member's life: the chain of segments its\n"
    "lineage gives (at each barrier, whose state it continued from), with the learning rate and\n"
    "every key the search changed as per-epoch tables (train.schedule: {kind: table, values:\n"
    "[...]}, clip_values: [...], ...; docs/config.md) and the member's own seed (seed + member\n"
    "index). Read from the run files in DIR alone. Its header names the members the chain passed\n"
    "through. A chain that never left the member replays its file's weights bit for bit; one that\n"
    "did cannot (each member had its own initial weights and data order). A finished pbt sweep\n"
    "writes DIR/pbt-replay.yaml, its best member's.\n"
    "\n"
    "  --member M   the member: its index (0 .. population-1) or run id; default: the best by\n"
    "               the sweep's metric, as `sweep summarize` names it\n"
    "  -o FILE      write FILE (atomically) instead of printing the config\n"
    "\n"
    "Exit status: 0 written; 2 not a finished pbt member (or bad arguments).\n";

static const char help_index_text[] =
    "sweep index DIR\n\n"
    "Rebuilds DIR/sweep.h5 from the run files present: rows in the grid order of\n"
    "DIR/" SW_MANIFEST_NAME " (runs without a complete file are \"pending\") and the\n"
    "config text kept there; without a manifest, every run file in DIR.\n"
    "Every file is read through; one that does not (damaged, truncated, empty, not a\n"
    "run file) is named with the reason on stderr and its row says \"unreadable\".\n"
    "Use it after shards of a job array (--shard) have finished, or when sweep.h5\n"
    "was lost. Exit status: 0 written, every file verified; 1 written, but some files\n"
    "did not verify (named on stderr), or it could not be written; 2 usage error or\n"
    "DIR is not a sweep's output directory.\n";

/* MPI_COMM_WORLD rank and size (0 and 1 when not under MPI). */
static int g_rank = 0, g_ranks = 1;
static bool g_mpi = false;

/* Where `sweep report` finds its Python and the analysis package; the build defines them
 * (CMakeLists.txt). SWEEP_PYTHONDIR is relative to the install prefix, the directory above
 * the installed program's bin/; SWEEP_SOURCE_DIR is the source tree the program was built
 * from, for a program run from its build directory. */
#ifndef SWEEP_PYTHON
#define SWEEP_PYTHON "python3"
#endif
#ifndef SWEEP_PYTHONDIR
#define SWEEP_PYTHONDIR "lib/python3/dist-packages"
#endif
#ifndef SWEEP_SOURCE_DIR
#define SWEEP_SOURCE_DIR "."
#endif
/* Where the example configs are installed, relative to the prefix (CMakeLists.txt). */
#ifndef SWEEP_CONFIGDIR
#define SWEEP_CONFIGDIR "share/sweep/configs"
#endif

/* This program's path (/proc/self/exe) into exe (PATH_MAX); "" when unknown. */
static void own_path(char *exe)
{
    ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);
    exe[n > 0 ? n : 0] = '\0';
}

/* PREFIX of the program PREFIX/bin/sweep into prefix (PATH_MAX). */
static void install_prefix(const char *exe, char *prefix)
{
    snprintf(prefix, PATH_MAX, "%s", exe);
    for (int up = 0; up < 2; up++) { /* PREFIX/bin/sweep -> PREFIX */
        char *slash = strrchr(prefix, '/');
        *(slash ? slash : prefix) = '\0';
    }
}

/* Writes into `out` the directory holding analysis/report.py: PREFIX/SWEEP_PYTHONDIR for
 * the program PREFIX/bin/sweep (`exe`, may be empty), else SWEEP_SOURCE_DIR. Returns 0, or
 * -1 when neither holds the package (out then names both, for the message). */
static int find_analysis(const char *exe, char *out, size_t len)
{
    char prefix[PATH_MAX], installed[PATH_MAX + 64], probe[PATH_MAX + 128];
    install_prefix(exe, prefix);
    snprintf(installed, sizeof installed, "%s/%s", prefix, SWEEP_PYTHONDIR);
    const char *dirs[2] = {exe[0] ? installed : NULL, SWEEP_SOURCE_DIR};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i]) continue;
        snprintf(probe, sizeof probe, "%s/analysis/report.py", dirs[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(out, len, "%s", dirs[i]);
            return 0;
        }
    }
    snprintf(out, len, "%s/analysis nor %s/analysis", installed, SWEEP_SOURCE_DIR);
    return -1;
}

/* Makes this process's environment the analysis package's (PYTHONPATH leading to it,
 * SWEEP_BIN naming this program, which prints the report's table) for the Python it
 * returns: $SWEEP_PYTHON, else the build's. NULL when the package is not found or the
 * environment cannot be set (the message printed, `who` first). Call it before any thread
 * starts (setenv). */
static const char *analysis_env(const char *who)
{
    char exe[PATH_MAX] = "", dir[2 * PATH_MAX + 64];
    own_path(exe);
    if (find_analysis(exe, dir, sizeof dir)) {
        fprintf(stderr, "%s: the analysis package is neither in %s; install it with `cmake --install build` (see "
                        "README)\n", who, dir);
        return NULL;
    }
    const char *old = getenv("PYTHONPATH");
    size_t len = strlen(dir) + (old ? strlen(old) + 1 : 0) + 1;
    char *path = malloc(len);
    if (!path) {
        fprintf(stderr, "%s: out of memory\n", who);
        return NULL;
    }
    snprintf(path, len, "%s%s%s", dir, old && *old ? ":" : "", old && *old ? old : "");
    int bad = setenv("PYTHONPATH", path, 1) || (exe[0] && setenv("SWEEP_BIN", exe, 1)) ||
              setenv("SWEEP_ANALYSIS_PROG", "sweep", 1);
    free(path);
    if (bad) {
        fprintf(stderr, "%s: cannot set the environment: %s\n", who, strerror(errno));
        return NULL;
    }
    return getenv("SWEEP_PYTHON") && *getenv("SWEEP_PYTHON") ? getenv("SWEEP_PYTHON") : SWEEP_PYTHON;
}

/* sweep report DIR [options]: the HTML report is drawn by the analysis package (Python,
 * matplotlib), so this replaces the process with `PYTHON -m analysis report ARGS`
 * (analysis_env). Returns only on failure. */
static int report_command(int argc, char **argv)
{
    if (g_mpi) {
        fprintf(stderr, "sweep report: run it without mpirun (it reads the files, it trains nothing)\n");
        return EXIT_USAGE;
    }
    const char *python = analysis_env("sweep report");
    const char **args = python ? calloc((size_t)argc + 5, sizeof *args) : NULL;
    if (!args) return python ? EXIT_RUNS_FAILED : EXIT_USAGE;
    args[0] = python;
    args[1] = "-m";
    args[2] = "analysis";
    args[3] = "report";
    for (int i = 0; i < argc; i++) args[4 + i] = argv[i];
    fflush(stdout);
    fflush(stderr);
    execvp(python, (char *const *)args);
    fprintf(stderr, "sweep report: cannot run %s: %s (set SWEEP_PYTHON to a python3 with h5py, numpy and "
                    "matplotlib)\n", python, strerror(errno));
    free(args);
    return EXIT_USAGE;
}

static int help(const char *topic)
{
    if (!topic) {
        fputs(help_text, stdout);
        fputs(help_stop_text, stdout);
        fputs(help_notes_text, stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "run")) {
        fputs(help_run_text, stdout);
        fputs(help_run_end_text, stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "keys")) {
        print_keys(stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "summarize")) {
        char *args[] = {"summarize", "--help", NULL};
        return sw_summarize_main(2, args);
    }
    if (!strcmp(topic, "index")) {
        fputs(help_index_text, stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "replay")) {
        fputs(help_replay_text, stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "layout")) {
        sw_record_print(stdout);
        return EXIT_DONE;
    }
    if (!strcmp(topic, "report")) {
        char *args[] = {"--help", NULL};
        return report_command(1, args);
    }
    if (!strcmp(topic, "status")) {
        char *args[] = {"status", "--help", NULL};
        return sw_status_main(2, args);
    }
    if (!strcmp(topic, "sample")) {
        fputs(sw_text_sample_usage(), stdout);
        return EXIT_DONE;
    }
    return usage_error("no help on '%s'; topics: run, summarize, index, keys, layout, report, status, replay, "
                       "sample",
                       topic);
}

/* Parses a positive int option value. */
static int parse_jobs(const char *text, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 4096) return -1;
    *out = (int)v;
    return 0;
}

/* Parses K/N of --shard: integers with N >= 1 and 0 <= K < N. */
static int parse_shard(const char *text, int *k, int *n)
{
    char *end;
    errno = 0;
    long a = strtol(text, &end, 10);
    if (errno || end == text || *end != '/') return -1;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (errno || end == rest || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return -1;
    *k = (int)a;
    *n = (int)b;
    return 0;
}

/* Under MPI every rank takes the same decisions from the same input; this makes rank 0
 * the one that says so. Returns `status` on every rank (rank 0's when they differ). */
static int agree(int status)
{
    return g_mpi ? sw_mpi_share(status) : status;
}

/* The command line of a run. */
typedef struct {
    const char *config, *dir;
    const char **sets; /* argc + 1 entries, the caller's */
    int n_sets, threads, threads_per_run, shard_k, shard_n;
    int stop_signals[SW_MAX_STOP_SIGNALS], n_stop_signals; /* 0: the defaults */
    bool dry_run, force, quiet, fail_fast;
    bool report;         /* --report */
    double report_every; /* --report-every; 0: record.report_every */
} run_args;

enum { ARGS_PARSED = -1 };

/* True when `a` is the option `lng` (or its short form `shrt`, may be NULL) that takes a
 * value: "--jobs N", "--jobs=N", "-j N" and, when `glued`, "-jN". *val is the value, NULL
 * when it is missing; *i moves past a value taken from the next argument. */
static bool value_option(const char *a, const char *shrt, const char *lng, bool glued, int argc, char **argv, int *i,
                         const char **val)
{
    size_t n = strlen(lng);
    if (!strncmp(a, lng, n) && a[n] == '=') {
        *val = a + n + 1;
        return true;
    }
    if (glued && shrt && !strncmp(a, shrt, 2) && a[2]) {
        *val = a + 2;
        return true;
    }
    if (strcmp(a, lng) && (!shrt || strcmp(a, shrt))) return false;
    *val = *i + 1 < argc ? argv[++*i] : NULL;
    return true;
}

/* Fills *r from argv. Returns ARGS_PARSED, or the exit status when there is nothing to
 * run: EXIT_DONE after --help, EXIT_USAGE after an error (message printed). */
static int parse_run_args(int argc, char **argv, run_args *r)
{
    bool only_files = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (only_files || a[0] != '-' || !strcmp(a, "-")) {
            if (r->config) {
                fprintf(stderr, "sweep: more than one config file given ('%s' and '%s'); run one sweep at a time\n",
                        r->config, a);
                return EXIT_USAGE;
            }
            r->config = a;
        } else if (!strcmp(a, "--")) {
            only_files = true;
        } else if (value_option(a, "-j", "--jobs", true, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs a number of threads", a);
            if (parse_jobs(val, &r->threads)) {
                fprintf(stderr, "sweep: -j expects a number of threads from 1 to 4096, got '%s'\n", val);
                return EXIT_USAGE;
            }
        } else if (value_option(a, NULL, "--threads-per-run", false, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs a number of threads or auto", a);
            r->threads_per_run = 0;
            if (strcmp(val, "auto") && parse_jobs(val, &r->threads_per_run)) {
                fprintf(stderr, "sweep: --threads-per-run expects auto or a number of threads from 1 to 4096, got "
                                "'%s'\n", val);
                return EXIT_USAGE;
            }
        } else if (value_option(a, "-o", "--output", false, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs a directory", a);
            if (!*val) {
                fprintf(stderr, "sweep: the output directory given to %s is empty\n", a);
                return EXIT_USAGE;
            }
            r->dir = val;
        } else if (value_option(a, NULL, "--set", false, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs KEY=VALUE", a);
            r->sets[r->n_sets++] = val;
        } else if (value_option(a, NULL, "--shard", false, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs K/N (shard K of N, 0 <= K < N)", a);
            if (parse_shard(val, &r->shard_k, &r->shard_n)) {
                fprintf(stderr, "sweep: --shard expects K/N with integers 0 <= K < N (e.g. --shard 0/4, or "
                                "--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT with --array=0-3), got '%s'\n",
                        val);
                return EXIT_USAGE;
            }
        } else if (value_option(a, NULL, "--stop-signals", false, argc, argv, &i, &val)) {
            if (!val) return usage_error("%s needs a list of signals (e.g. TERM,USR1)", a);
            char why[256];
            r->n_stop_signals = sw_stop_signals_parse(val, r->stop_signals, SW_MAX_STOP_SIGNALS, why, sizeof why);
            if (r->n_stop_signals < 0) {
                fprintf(stderr, "sweep: --stop-signals %s: %s\n", val, why);
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
            r->dry_run = true;
        } else if (!strcmp(a, "--force")) {
            r->force = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            r->quiet = true;
        } else if (!strcmp(a, "--fail-fast")) {
            r->fail_fast = true;
        } else if (!strcmp(a, "--report")) {
            r->report = true;
        } else if (value_option(a, NULL, "--report-every", false, argc, argv, &i, &val)) {
            char *end = NULL;
            double v = val ? strtod(val, &end) : 0;
            if (!val || end == val || *end || !(v > 0) || v > 86400) {
                fprintf(stderr, "sweep: --report-every expects seconds, more than 0 and at most 86400 (e.g. "
                                "--report-every 30), got '%s'\n", val ? val : "");
                return EXIT_USAGE;
            }
            r->report_every = v;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(help_run_text, stdout);
            fputs(help_run_end_text, stdout);
            return EXIT_DONE;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    if (!r->config) return usage_error("no config file given");
    if (r->shard_n > 0 && g_ranks > 1) {
        fprintf(stderr, "sweep: --shard and mpirun with several ranks do not combine: use one or the other\n");
        return EXIT_USAGE;
    }
    return ARGS_PARSED;
}

/* ---- the example configs ------------------------------------------------------------ */

/* The first directory holding the example configs into out (PATH_MAX): PREFIX/
 * SWEEP_CONFIGDIR of the installed program, else the source tree's configs/ (a program run
 * from its build directory). Returns 0, or -1 when neither exists. */
static int example_dir(char *out)
{
    char exe[PATH_MAX] = "", prefix[PATH_MAX];
    own_path(exe);
    install_prefix(exe, prefix);
    char installed[PATH_MAX + 64], source[PATH_MAX + 16];
    snprintf(installed, sizeof installed, "%s/%s", prefix, SWEEP_CONFIGDIR);
    snprintf(source, sizeof source, "%s/configs", SWEEP_SOURCE_DIR);
    const char *dirs[2] = {exe[0] ? installed : NULL, source};
    for (int i = 0; i < 2; i++) {
        char probe[PATH_MAX + 64];
        if (!dirs[i] || snprintf(probe, sizeof probe, "%s/reference.yaml", dirs[i]) >= (int)sizeof probe) continue;
        if (access(probe, R_OK) == 0) {
            snprintf(out, PATH_MAX, "%s", dirs[i]);
            return 0;
        }
    }
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "adding, copy, ...": the examples in dir (their names without .yaml) into out; the one
 * nearest to `near` (may be NULL) within two edits into best ("" when none). */
static void list_examples(const char *dir, const char *near, char *out, size_t outlen, char *best, size_t bestlen)
{
    char *names[64];
    int n = 0, best_d = 3;
    out[0] = 0;
    if (best) best[0] = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && n < 64 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml") && e->d_name[0] != '.')
            if ((names[n] = strndup(e->d_name, len - 5))) n++;
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (used < outlen) used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", names[i]);
        int dist = near && best ? sw_edit_distance(near, names[i]) : 99;
        if (dist < best_d) best_d = dist, snprintf(best, bestlen, "%s", names[i]);
        free(names[i]);
    }
}

/* A config named on the command line that is not there: `sweep reference` or `sweep
 * configs/reference.yaml` from any directory means the example of that name. Writes the
 * file to use into out (PATH_MAX) and returns 1 (out is the example), 0 (use `given` as
 * it is: it exists, or names no example, or is some other path) or -1 (an example was
 * meant but none has that name: the message is printed). */
static int find_example(const char *given, char *out)
{
    if (access(given, F_OK) == 0 || errno != ENOENT) return 0;
    const char *name = !strncmp(given, "configs/", 8) ? given + 8 : given;
    if (strchr(name, '/') || !*name) return 0; /* some other path: its own error */
    char dir[PATH_MAX], list[1024];
    size_t len = strlen(name);
    bool ext = (len > 5 && !strcmp(name + len - 5, ".yaml")) || (len > 4 && !strcmp(name + len - 4, ".yml"));
    if (example_dir(dir) == 0 &&
        snprintf(out, PATH_MAX, "%s/%s%s", dir, name, ext ? "" : ".yaml") < PATH_MAX && access(out, R_OK) == 0)
        return 1;
    if (ext && name == given) return 0; /* a file of the user's that is not there */
    if (example_dir(dir) != 0) {
        fprintf(stderr, "sweep: %s: no such file, and the example configs are not installed (`cmake --install "
                        "build` puts them in PREFIX/%s)\n", given, SWEEP_CONFIGDIR);
        return -1;
    }
    char stem[256], best[256], hint[300] = "";
    snprintf(stem, sizeof stem, "%.*s", (int)(ext ? len - (name[len - 4] == '.' ? 4 : 5) : len), name);
    list_examples(dir, stem, list, sizeof list, best, sizeof best);
    static const char *const commands[] = {"summarize", "index", "report", "status", "replay", "sample", "help",
                                           "run"};
    for (size_t c = 0; c < SW_ARRAY_LEN(commands) && !best[0] && name == given; c++)
        if (sw_edit_distance(name, commands[c]) <= 2) snprintf(best, sizeof best, "%s ...", commands[c]);
    if (best[0]) snprintf(hint, sizeof hint, "did you mean `sweep %s`? ", best);
    fprintf(stderr, "sweep: %s: no such file, nor an example config of that name; %sthe examples are in %s: %s "
                    "(e.g. `sweep reference`, a one-run sweep of a few seconds)\n", given, hint, dir, list);
    return -1;
}

/* Loads the sweep file and prints its warnings. Under MPI it is loaded by every rank, and
 * fails on all when one could not. Returns NULL on failure (message printed). */
static sw_sweep_spec *load_spec(const run_args *r)
{
    char err[2048] = "", example[PATH_MAX];
    sw_sweep_spec *spec = NULL;
    int found = find_example(r->config, example);
    if (found > 0) fprintf(stderr, "sweep: %s is not here; using the example %s\n", r->config, example);
    int rc = found < 0 ? SW_EIO : sw_sweep_spec_load(found ? example : r->config, r->sets, r->n_sets, &spec, err,
                                                     sizeof err);
    if (rc && found == 0) {
        fprintf(stderr, "%s\n", err);
        char dir[PATH_MAX], list[1024];
        if (access(r->config, F_OK) != 0 && example_dir(dir) == 0) {
            list_examples(dir, NULL, list, sizeof list, NULL, 0);
            fprintf(stderr, "sweep: the example configs are in %s (%s); `sweep NAME` runs one from any directory, "
                            "e.g. `sweep reference`\n", dir, list);
        }
    }
    if (g_mpi && sw_mpi_any(rc != 0) && !rc) {
        if (g_rank == 0)
            fprintf(stderr, "sweep: another MPI rank could not read %s (is it on a filesystem every rank sees?)\n",
                    r->config);
        sw_sweep_spec_free(spec);
        return NULL;
    }
    if (rc) return NULL;
    for (int i = 0; i < spec->n_warnings; i++) fprintf(stderr, "%s\n", spec->warnings[i]);
    return spec;
}

/* --dry-run: the plan, and with --shard the runs of that shard. */
static void print_dry_run(const sw_sweep_spec *spec, const run_args *r)
{
    if (g_rank == 0) sw_sweep_print_plan(spec, r->threads, r->dir, stdout);
    if (r->shard_n == 0) return;
    int mine = 0;
    for (int i = 0; i < spec->n_runs; i++) mine += sw_sweep_in_shard(spec, i, r->shard_k, r->shard_n);
    printf("shard %d/%d: %d of these runs:", r->shard_k, r->shard_n, mine);
    for (int i = 0; i < spec->n_runs; i++)
        if (sw_sweep_in_shard(spec, i, r->shard_k, r->shard_n)) printf(" %d", i + 1);
    printf("\n");
}

/* The live report's command into argv[0..9) (every_text: its buffer for the seconds), or
 * NULL when the sweep keeps none: --report or record.report asks for one (rank 0 starts
 * it; of shards, shard 0 alone, so that one process writes the page); --report-every,
 * else record.report_every, says how often it rewrites at most. */
static const char *const *live_report(const sw_sweep_spec *spec, const run_args *r, const char *argv[10],
                                      char every_text[32])
{
    const sw_record_config *rec = spec->n_runs > 0 ? &spec->runs[0].cfg.record : NULL;
    if (g_rank != 0 || (r->shard_n > 0 && r->shard_k != 0) || !(r->report || (rec && rec->report))) return NULL;
    const char *python = analysis_env("sweep --report");
    if (!python) {
        fprintf(stderr, "sweep: the sweep runs without its live report\n");
        return NULL;
    }
    snprintf(every_text, 32, "%g", r->report_every > 0 ? r->report_every : rec ? rec->report_every : 60.0);
    const char *args[] = {python, "-m", "analysis", "report", r->dir, "--live", "--report-every", every_text, NULL};
    memcpy(argv, args, sizeof args);
    return argv;
}

/* Prepares the output directory, runs the sweep (a tpe search round by round: *spec is
 * then the sweep with every round chosen), then prints its table. Returns the exit
 * status. */
static int run_sweep(sw_sweep_spec **spec, const run_args *r)
{
    char err[2048] = "", every[32];
    const char *report_argv[10];
    sw_sweep_options opt = {.dir = r->dir, .threads = r->threads, .threads_per_run = r->threads_per_run,
                            .force = r->force, .quiet = r->quiet, .report = stderr,
                            .fail_fast = r->fail_fast, .handle_signals = true, .shard_index = r->shard_k,
                            .shard_count = r->shard_n, .mpi = g_mpi, .n_stop_signals = r->n_stop_signals,
                            .report_argv = live_report(*spec, r, report_argv, every)};
    memcpy(opt.stop_signals, r->stop_signals, sizeof opt.stop_signals);
    sw_sweep_outcome out;
    int rc;
    if ((*spec)->search.kind == SW_SEARCH_TPE) {
        rc = sw_rounds_run(spec, r->sets, r->n_sets, &opt, &out, err, sizeof err);
        if (rc) fprintf(stderr, "sweep: %s\n", err);
        /* refused before anything was written (the directory holds another sweep, ...) */
        if (rc && out.total == 0 && !out.interrupted) return EXIT_USAGE;
    } else {
        /* Under MPI rank 0 alone prepares DIR (and holds its lock); the others wait for it. */
        rc = g_rank == 0 ? sw_sweep_prepare(*spec, &opt, err, sizeof err) : SW_OK;
        if (rc) fprintf(stderr, "sweep: %s\n", err);
        if (agree(rc)) return EXIT_USAGE;
        rc = sw_sweep_execute(*spec, &opt, &out, err, sizeof err);
        if (rc) fprintf(stderr, "sweep: %s\n", err);
    }
    if (out.interrupted) return EXIT_INTERRUPTED;
    if (g_rank == 0 && !r->quiet && out.done + out.diverged + out.failed > 0) {
        fflush(stderr);
        char *args[] = {"summarize", (char *)r->dir, NULL};
        fflush(stdout);
        sw_summarize_main(2, args);
        fflush(stdout);
    }
    return (rc || out.failed || out.diverged || out.not_run) ? EXIT_RUNS_FAILED : EXIT_DONE;
}

/* sweep [run] CONFIG.yaml [options] */
static int run_command(int argc, char **argv)
{
    run_args r = {0};
    if (!(r.sets = calloc((size_t)argc + 1, sizeof *r.sets))) return EXIT_USAGE;
    int status = parse_run_args(argc, argv, &r);
    sw_sweep_spec *spec = status == ARGS_PARSED ? load_spec(&r) : NULL;
    if (spec) {
        char default_dir[PATH_MAX];
        if (!r.dir) {
            snprintf(default_dir, sizeof default_dir, "runs/%s", spec->name);
            r.dir = default_dir;
        }
        if (r.threads == 0) r.threads = sw_sweep_default_threads();
        if (r.dry_run) print_dry_run(spec, &r);
        status = r.dry_run ? EXIT_DONE : run_sweep(&spec, &r);
        sw_sweep_spec_free(spec);
    } else if (status == ARGS_PARSED) {
        status = EXIT_USAGE;
    }
    free(r.sets);
    return agree(status);
}

/* sweep index DIR */
static int replay_command(int argc, char **argv)
{
    const char *member = NULL, *out = NULL, *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help_replay_text, stdout);
            return EXIT_DONE;
        }
        if ((!strcmp(argv[i], "--member") || !strcmp(argv[i], "-o")) && i + 1 >= argc)
            return usage_error("replay: %s needs a value", argv[i]);
        if (!strcmp(argv[i], "--member")) member = argv[++i];
        else if (!strcmp(argv[i], "-o")) out = argv[++i];
        else if (argv[i][0] == '-' || dir) return usage_error("replay: unexpected argument '%s'", argv[i]);
        else dir = argv[i];
    }
    if (!dir) return usage_error("replay takes a directory: sweep replay DIR [--member M] [-o FILE]");
    char err[1024] = "";
    sw_replay_info info;
    int rc = sw_replay_write(dir, member, out, &info, err, sizeof err);
    if (rc) {
        fprintf(stderr, "sweep replay: %s\n", err);
        return rc == SW_EIO || rc == SW_ENOMEM ? EXIT_RUNS_FAILED : EXIT_USAGE;
    }
    if (out)
        fprintf(stderr, "sweep replay: %s: member %d (%s), %d generations, %s\n", out, info.member, info.member_id,
                info.links, info.changed ? "a chain through other members (not bit for bit)" : "its own chain (bit for bit)");
    return EXIT_DONE;
}

static int index_command(int argc, char **argv)
{
    if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        fputs(help_index_text, stdout);
        return EXIT_DONE;
    }
    if (argc != 1 || argv[0][0] == '-') return usage_error("index takes one directory: sweep index DIR");
    char err[1024] = "";
    int damaged = 0;
    int rc = sw_sweep_rebuild_index(argv[0], stdout, stderr, &damaged, err, sizeof err);
    if (rc) {
        fprintf(stderr, "sweep index: %s\n", err);
        return rc == SW_ENOTFOUND || rc == SW_EFORMAT ? EXIT_USAGE : EXIT_RUNS_FAILED;
    }
    return damaged ? EXIT_RUNS_FAILED : EXIT_DONE;
}

#ifdef SWEEP_HAVE_MPI
/* Started by mpirun/srun: Open MPI, PMI-2 and PMIx launchers set these. Without them the
 * program does not touch MPI at all, so a build with MPI runs anywhere as one process. */
static bool under_mpi_launcher(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}
#endif

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    sw_malloc_tune();
#ifdef SWEEP_HAVE_MPI
    if (under_mpi_launcher()) {
        int provided = MPI_THREAD_SINGLE;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
            fprintf(stderr, "sweep: MPI_Init_thread failed\n");
            return EXIT_USAGE;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
        g_mpi = true;
        if (provided < MPI_THREAD_SERIALIZED) {
            /* Worker threads and rank 0's dispatcher call MPI (one at a time). */
            if (g_rank == 0)
                fprintf(stderr, "sweep: the MPI library provides thread support level %d only; sweep needs "
                                "MPI_THREAD_SERIALIZED (%d). Use an MPI built with thread support, or run without "
                                "mpirun (e.g. --shard K/N per job)\n", provided, MPI_THREAD_SERIALIZED);
            MPI_Finalize();
            return EXIT_USAGE;
        }
        /* Only rank 0 talks to the user: the others' output would repeat it N times. */
        if (g_rank != 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) {
                fflush(stdout);
                fflush(stderr);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                close(null);
            }
        }
        int status = dispatch(argc, argv);
        fflush(stdout);
        fflush(stderr);
        MPI_Finalize();
        return status;
    }
#else
    /* Several copies started by mpirun would each run the whole sweep: refuse clearly. */
    const char *size = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
    if (size && atoi(size) > 1) {
        fprintf(stderr, "sweep: started by mpirun/srun with %s processes, but this sweep was built without MPI "
                        "(install libopenmpi-dev and rebuild, or use --shard K/N per process)\n", size);
        return EXIT_USAGE;
    }
#endif
    return dispatch(argc, argv);
}

static int dispatch(int argc, char **argv)
{
    /* SWEEP_KERNELS=avx2 forces the AVX2 kernels on an AVX-512 machine (the results are
     * identical; tests compare the two). A value the CPU cannot honour is an error rather
     * than a silent fallback. */
    const char *kernels = getenv("SWEEP_KERNELS");
    char kerr[256];
    if (kernels && sw_kernels_select(kernels, kerr, sizeof kerr)) {
        fprintf(stderr, "sweep: SWEEP_KERNELS=%s: %s\n", kernels, kerr);
        return EXIT_USAGE;
    }
    /* the test suite's hooks (testhook.h): unset, as for every user, they do nothing */
    char terr[512];
    if (sw_test_hooks_init(terr, sizeof terr) != SW_OK) {
        fprintf(stderr, "sweep: %s\n", terr);
        return EXIT_USAGE;
    }
    if (argc < 2) {
        fputs(usage_text, stderr);
        fprintf(stderr, "(see sweep --help)\n");
        return EXIT_USAGE;
    }
    const char *first = argv[1];
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        if (argc > 2) return usage_error("--help takes no arguments (sweep help TOPIC for one command)");
        return help(NULL);
    }
    if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
        if (argc > 2) return usage_error("--version takes no arguments");
        printf("%s\nkernels: %s (SWEEP_KERNELS=avx2|avx512|auto chooses)\n", sw_version_string(), sw_kernels_name());
        return EXIT_DONE;
    }
    if (!strcmp(first, "help")) {
        if (argc > 3) return usage_error("help takes one topic");
        return help(argc > 2 ? argv[2] : NULL);
    }
    if (!strcmp(first, "summarize")) return g_rank == 0 ? sw_summarize_main(argc - 1, argv + 1) : EXIT_DONE;
    if (!strcmp(first, "index")) return g_rank == 0 ? index_command(argc - 2, argv + 2) : EXIT_DONE;
    if (!strcmp(first, "replay")) return g_rank == 0 ? replay_command(argc - 2, argv + 2) : EXIT_DONE;
    if (!strcmp(first, "status")) return g_rank == 0 ? sw_status_main(argc - 1, argv + 1) : EXIT_DONE;
    if (!strcmp(first, "report")) return report_command(argc - 2, argv + 2);
    if (!strcmp(first, "sample")) return g_rank == 0 ? sw_text_sample_main(argc - 1, argv + 1) : EXIT_DONE;
    if (!strcmp(first, "run")) return run_command(argc - 2, argv + 2);
    return run_command(argc - 1, argv + 1);
}
