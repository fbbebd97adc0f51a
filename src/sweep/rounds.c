/* rounds.c: a tpe search run round by round (rounds.h). */
#define _POSIX_C_SOURCE 200809L
#include "rounds.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "live.h"
#include "outdir.h"
#include "prepare.h"
#include "progress.h"
#include "sweep.h"
#include "sweep_mpi.h"
#include "tpe.h"

/* ---- what a tpe search has learnt --------------------------------------------------------- */

struct sw_rounds {
    int dims, samples;
    bool *known;             /* per point */
    sw_tpe_result *result;   /* per point, when known */
    double *metric;          /* per point, when known: its runs' mean */
    double *values;          /* (samples, dims): the points chosen after the startup */
    double *score;
    sw_point_origin *origin;
    int n_chosen;
};

void sw_rounds_free(sw_rounds *R)
{
    if (!R) return;
    free(R->known), free(R->result), free(R->metric), free(R->values), free(R->score), free(R->origin);
    free(R);
}

sw_rounds *sw_rounds_create(const sw_sweep_spec *spec)
{
    sw_rounds *R = calloc(1, sizeof *R);
    if (!R) return NULL;
    R->dims = spec->n_dims;
    R->samples = spec->search.samples;
    size_t n = (size_t)(R->samples > 0 ? R->samples : 1), d = (size_t)(R->dims > 0 ? R->dims : 1);
    R->known = calloc(n, sizeof *R->known), R->result = calloc(n, sizeof *R->result);
    R->metric = calloc(n, sizeof *R->metric), R->values = calloc(n * d, sizeof *R->values);
    R->score = calloc(n, sizeof *R->score), R->origin = calloc(n, sizeof *R->origin);
    if (!R->known || !R->result || !R->metric || !R->values || !R->score || !R->origin) {
        sw_rounds_free(R);
        return NULL;
    }
    return R;
}

/* What point k's runs came to, from their files in dir: R->known[k] and its result when
 * every one is final. Returns SW_OK or SW_ENOMEM. */
static int read_point(sw_rounds *R, const sw_sweep_spec *spec, int k, const char *dir)
{
    const sw_search_point *p = &spec->points[k];
    sw_tpe_run *runs = calloc((size_t)(p->n_runs ? p->n_runs : 1), sizeof *runs);
    if (!runs) return SW_ENOMEM;
    int rc = SW_OK;
    for (int j = 0; j < p->n_runs && rc == SW_OK; j++) {
        char path[PATH_MAX], why[PATH_MAX + 256];
        if (sw_outdir_path(path, sizeof path, dir, spec->runs[p->first_run + j].id, ".h5")) continue;
        sw_run_file f;
        int got = sw_h5_read_run(path, SW_READ_VERIFY, &f, why, sizeof why);
        if (got == SW_ENOMEM) rc = got;
        sw_run_status st = got == SW_OK ? f.status : SW_RUN_STATUS_COUNT;
        runs[j] = (sw_tpe_run){st == SW_RUN_DONE || st == SW_RUN_DIVERGED || st == SW_RUN_STOPPED, st == SW_RUN_DONE,
                               got == SW_OK ? f.epochs : 0, got == SW_OK ? f.best_metric : NAN};
        sw_run_file_free(&f);
    }
    if (rc == SW_OK)
        R->known[k] = sw_tpe_point_result(runs, p->n_runs, spec->search_metric.mode, &R->result[k], &R->metric[k]);
    free(runs);
    return rc;
}

/* Reads the points of spec not known yet (rank 0), and under MPI gives every rank what
 * rank 0 read. Returns SW_OK or SW_ENOMEM (on every rank alike). */
static int read_points(sw_rounds *R, const sw_sweep_spec *spec, const char *dir, bool mpi, int rank)
{
    int rc = SW_OK;
    for (int k = 0; rank == 0 && k < spec->n_points && rc == SW_OK; k++)
        if (!R->known[k]) rc = read_point(R, spec, k, dir);
    if (!mpi) return rc;
    if ((rc = sw_mpi_share(rc))) return rc;
    int n = spec->n_points;
    double *packed = malloc((size_t)(n ? n : 1) * 5 * sizeof *packed);
    rc = sw_mpi_share(packed ? SW_OK : SW_ENOMEM); /* every rank gives up alike */
    if (rc) {
        free(packed);
        return rc;
    }
    for (int k = 0; k < n; k++) {
        const sw_tpe_result *r = &R->result[k];
        double *q = &packed[5 * k];
        q[0] = R->known[k], q[1] = r->state, q[2] = r->depth, q[3] = r->loss, q[4] = R->metric[k];
    }
    sw_mpi_share_doubles(packed, 5 * n);
    for (int k = 0; k < n; k++) {
        const double *q = &packed[5 * k];
        R->known[k] = q[0] != 0;
        R->result[k] = (sw_tpe_result){(sw_tpe_state)q[1], (int)q[2], q[3]};
        R->metric[k] = q[4];
    }
    free(packed);
    return SW_OK;
}

int sw_rounds_open_points(const sw_rounds *R, const sw_sweep_spec *spec)
{
    int open = 0;
    for (int k = 0; k < spec->n_points; k++) open += !R->known[k];
    return open;
}

/* Chooses round spec->rounds_known from spec's points (all known) into R's chosen ones.
 * Returns SW_OK, or a negative code with the message in err. */
static int choose_round(sw_rounds *R, const sw_sweep_spec *spec, char *err, size_t errlen)
{
    int first, count = sw_search_round_points(&spec->search, spec->rounds_known, &first);
    int n = spec->n_points, dims = spec->n_dims;
    SW_ASSERT(count > 0 && first == n && n - spec->search.startup == R->n_chosen);
    double *x = malloc((size_t)(n + count) * (size_t)dims * sizeof *x), *score = malloc((size_t)count * sizeof *score);
    sw_tpe_result *r = malloc((size_t)(n + count) * sizeof *r);
    sw_tpe_origin *how = malloc((size_t)count * sizeof *how);
    int sobol_dims = 1;
    for (int d = 0; d < dims; d++)
        if (spec->space_sobol_dim[d] + 1 > sobol_dims) sobol_dims = spec->space_sobol_dim[d] + 1;
    sw_search_points P;
    int rc = x && score && r && how ? sw_search_points_init(&P, &spec->search, sobol_dims, err, errlen) : SW_ENOMEM;
    if (rc == SW_OK) {
        for (int k = 0; k < n; k++) {
            memcpy(&x[(size_t)k * dims], spec->points[k].values, (size_t)dims * sizeof *x);
            r[k] = R->result[k];
        }
        sw_tpe_space space = {dims, spec->space, (uint64_t)spec->search.seed, &P, spec->space_sobol_dim};
        rc = sw_tpe_round(&space, x, r, n, count, score, how);
        if (rc == SW_EINVAL)
            sw_set_error(err, errlen, "search: round %d of the tpe search found no point that repeats none of the %d "
                         "before it (a small space of choices and integers?)", spec->rounds_known + 1, n);
        sw_search_points_clear(&P);
    }
    for (int j = 0; rc == SW_OK && j < count; j++, R->n_chosen++) {
        memcpy(&R->values[(size_t)R->n_chosen * dims], &x[(size_t)(n + j) * dims], (size_t)dims * sizeof *x);
        R->score[R->n_chosen] = score[j];
        R->origin[R->n_chosen] = how[j] == SW_TPE_BY_MODEL ? SW_POINT_TPE : SW_POINT_FALLBACK;
    }
    free(x), free(score), free(r), free(how);
    return rc;
}

/* "best val_acc 0.9125 (point 17)" of the points known, into out; "" when none has a value. */
static void best_note(const sw_rounds *R, const sw_sweep_spec *spec, char *out, size_t outlen)
{
    int best = -1;
    bool max = spec->search_metric.mode == SW_METRIC_MAX;
    for (int k = 0; k < spec->n_points; k++)
        if (R->known[k] && !isnan(R->metric[k]) &&
            (best < 0 || (max ? R->metric[k] > R->metric[best] : R->metric[k] < R->metric[best])))
            best = k;
    out[0] = 0;
    if (best < 0) return;
    char v[32];
    sw_format_metric(spec->search_metric.name, R->metric[best], v, sizeof v);
    snprintf(out, outlen, "; best so far %s %s (point %d)", spec->search_metric.name, v, best);
}

int sw_rounds_catch_up(sw_rounds *R, sw_sweep_spec **spec, const char *const *sets, int n_sets, const char *dir,
                       bool mpi, FILE *note, char *err, size_t errlen)
{
    int rank = 0, ranks = 1;
    int rc = sw_mpi_world(mpi, &rank, &ranks, err, errlen);
    while (rc == SW_OK) {
        sw_sweep_spec *s = *spec;
        if ((rc = read_points(R, s, dir, mpi, rank))) {
            sw_set_error(err, errlen, "out of memory");
            break;
        }
        if (sw_rounds_open_points(R, s) > 0 || s->rounds_known >= s->n_rounds) break;
        if ((rc = choose_round(R, s, err, errlen))) break;
        sw_search_chosen chosen = {R->n_chosen, R->values, R->score, R->origin};
        sw_sweep_spec *next = NULL;
        if ((rc = sw_sweep_spec_reload(s, sets, n_sets, &chosen, &next, err, errlen))) break;
        if (note) {
            char best[128];
            best_note(R, s, best, sizeof best);
            int first, count = sw_search_round_points(&next->search, s->rounds_known, &first);
            fprintf(note, "sweep %s: round %d of %d: %d point%s (%d-%d) chosen by TPE from the %d before%s\n", s->name,
                    s->rounds_known + 1, s->n_rounds, count, sw_plural(count), first, first + count - 1, first, best);
        }
        sw_sweep_spec_free(s);
        *spec = next;
    }
    return rc;
}

/* ---- running the rounds -------------------------------------------------------------------- */

/* Whether run i of spec has a final file in dir (done, diverged, stopped at a rung). */
static bool run_final(const sw_sweep_spec *spec, int i, const char *dir)
{
    char path[PATH_MAX], why[256];
    sw_run_status st = SW_RUN_STATUS_COUNT;
    if (sw_outdir_path(path, sizeof path, dir, spec->runs[i].id, ".h5") ||
        sw_h5_verify_run(path, &st, why, sizeof why) != SW_OK)
        return false;
    return st == SW_RUN_DONE || st == SW_RUN_DIVERGED || st == SW_RUN_STOPPED;
}

/* After the last round run: what is left to do. The runs the next round waits for that
 * belong to other shards are counted as waiting; a line says why no further round was
 * chosen. */
static void say_rounds_end(const sw_rounds *R, const sw_sweep_spec *spec, const sw_sweep_options *opt,
                           sw_sweep_outcome *out, bool quiet)
{
    int others = 0, mine = 0, round = 0;
    for (int k = 0; k < spec->n_points; k++) {
        if (R->known[k]) continue;
        const sw_search_point *p = &spec->points[k];
        round = p->round;
        for (int j = 0; j < p->n_runs; j++) {
            int i = p->first_run + j;
            if (run_final(spec, i, opt->dir)) continue;
            if (sw_sweep_in_shard(spec, i, opt->shard_index, opt->shard_count)) mine++;
            else others++;
        }
    }
    if (!out->interrupted && opt->shard_count > 1) out->waiting = others;
    char best[128], next[64] = "";
    best_note(R, spec, best, sizeof best);
    if (quiet || out->interrupted) return;
    if (spec->rounds_known < spec->n_rounds)
        snprintf(next, sizeof next, "round %d of %d", spec->rounds_known + 1, spec->n_rounds);
    else
        snprintf(next, sizeof next, "the end of the search");
    if (others + mine == 0)
        fprintf(stderr, "sweep %s: tpe search complete: %d round%s, %d points%s\n", spec->name, spec->n_rounds,
                sw_plural(spec->n_rounds), spec->n_points, best);
    else if (mine == 0)
        fprintf(stderr, "sweep %s: %s waits for %d run%s of other shards; run this command again once they have "
                "run (one invocation per round)%s\n", spec->name, next, others, sw_plural(others), best);
    else
        fprintf(stderr, "sweep %s: %s waits for %d run%s of round %d that %s not finished (failed, or not run); run "
                "the same command again to go on%s\n", spec->name, next, mine + others, sw_plural(mine + others),
                round + 1, mine + others == 1 ? "has" : "have", best);
}

/* Prepares DIR for *spec (rank 0; under MPI every rank learns how it went). Returns SW_OK
 * or the error, with the message in err. */
static int prepare(const sw_sweep_spec *spec, const sw_sweep_options *o, int rank, int ranks, char *err,
                   size_t errlen)
{
    int rc = rank == 0 ? sw_sweep_prepare(spec, o, err, errlen) : SW_OK;
    if (ranks > 1) rc = sw_mpi_share(rc);
    if (rc && rank != 0) sw_set_error(err, errlen, "rank 0 could not prepare the output directory");
    return rc;
}

int sw_rounds_run(sw_sweep_spec **spec, const char *const *sets, int n_sets, const sw_sweep_options *opt,
                  sw_sweep_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rank = 0, ranks = 1;
    int rc = sw_mpi_world(opt->mpi, &rank, &ranks, err, errlen);
    if (rc) return rc;
    bool quiet = opt->quiet || rank != 0;
    FILE *note = quiet ? NULL : stderr;
    sw_rounds *R = sw_rounds_create(*spec);
    if (!R) {
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    sw_sweep_options o = *opt;
    o.in_rounds = true;
    /* First the directory is checked to be this sweep's (changed runs moved aside with
     * --force), so that the rounds are chosen again from this sweep's files only. The
     * lock taken then is kept; the manifest gains each round's runs as it is chosen. */
    int skipped = -1;
    double seconds = 0;
    rc = prepare(*spec, &o, rank, ranks, err, errlen);
    o.no_lock = true;
    o.report = NULL; /* the added rounds are announced by their own lines */
    int known = rc ? 0 : (*spec)->rounds_known;
    if (rc == SW_OK) rc = sw_rounds_catch_up(R, spec, sets, n_sets, opt->dir, opt->mpi, note, err, errlen);
    if (rc == SW_OK && (*spec)->rounds_known != known) rc = prepare(*spec, &o, rank, ranks, err, errlen);
    /* One live report for the whole search: its page reloads until the last round ends. */
    if (rc == SW_OK && rank == 0) o.live_report = sw_live_report_start(opt->report_argv, opt->dir);
    o.report_argv = NULL;
    while (rc == SW_OK) {
        sw_sweep_outcome round;
        rc = sw_sweep_execute(*spec, &o, &round, err, errlen);
        if (skipped < 0) skipped = round.skipped;
        seconds += round.seconds;
        *out = round;
        if (rc || round.interrupted) break;
        known = (*spec)->rounds_known;
        rc = sw_rounds_catch_up(R, spec, sets, n_sets, opt->dir, opt->mpi, note, err, errlen);
        if (rc || (*spec)->rounds_known == known) break;
        rc = prepare(*spec, &o, rank, ranks, err, errlen);
        sw_live_report_notify(o.live_report, SW_LIVE_BARRIER); /* a round closed */
    }
    /* after the last round's index write: the report's last page reads it */
    sw_live_report_end(o.live_report, out->interrupted || rc != SW_OK);
    out->skipped = skipped > 0 ? skipped : 0;
    out->seconds = seconds;
    if (!quiet && skipped >= 0) sw_progress_print_end(*spec, opt->dir, out);
    if (skipped >= 0) say_rounds_end(R, *spec, opt, out, quiet);
    sw_rounds_free(R);
    return rc;
}
