/* summary_search.c: a sampled search's best so far against the points evaluated (see
 * summary_search.h). */
#define _POSIX_C_SOURCE 200809L
#include "summary_search.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "index.h"
#include "summary_tables.h"

/* The numbers of points the best-so-far table shows: 1, 2, 4, ... and every round's end
 * (at most 24 of those, evenly), and the last, ascending into n_at (room for 64). */
static int search_marks(const sw_search_table *s, int *at)
{
    int n = 0, ends = 0;
    for (int k = 0; k < s->n; k++) ends += k == s->n - 1 || s->round[k + 1] != s->round[k];
    int step = ends > 24 ? (ends + 23) / 24 : 1;
    for (int k = 0, end = 0; k < s->n && n < 60; k++) {
        bool pow2 = ((k + 1) & k) == 0;
        bool round_end = k == s->n - 1 || s->round[k + 1] != s->round[k];
        if (round_end) end++;
        if (pow2 || k == s->n - 1 || (round_end && end % step == 0)) at[n++] = k + 1;
    }
    return n;
}

/* One row per mark: points evaluated, the round they reach, the best metric so far and
 * the point holding it. */
static int search_table(const sw_search_table *s, table *t)
{
    int acc = sw_metric_is_acc(s->metric);
    int c_n = sw_tab_col(t, "points", "points", 1, 0, IN_BOTH);
    int c_round = sw_tab_col(t, "round", "round", 1, 0, IN_BOTH);
    int c_best = sw_tab_col(t, acc ? "best_so_far_pct" : "best_so_far", acc ? "best so far %" : "best so far", 1,
                         s->mode == SW_METRIC_MAX, IN_BOTH);
    int c_point = sw_tab_col(t, "point", "at point", 1, 0, IN_BOTH);
    int c_origin = sw_tab_col(t, "origin", "chosen by", 0, 0, IN_BOTH);
    if (t->oom) return SW_ENOMEM;
    int at[64], marks = search_marks(s, at);
    for (int m = 0; m < marks; m++) {
        int k = at[m] - 1, holder = -1;
        for (int j = 0; j <= k; j++)
            if (!isnan(s->metric_of[j]) && s->metric_of[j] == s->best_so_far[k]) {
                holder = j;
                break;
            }
        int row = sw_tab_row(t);
        if (row < 0) break;
        sw_tab_int(t, row, c_n, at[m]);
        sw_tab_int(t, row, c_round, s->round[k] + 1);
        if (acc)
            sw_tab_num(t, row, c_best, "%.2f", sw_pct(s->best_so_far[k]));
        else
            sw_tab_num(t, row, c_best, LOSS_FMT, s->best_so_far[k]);
        if (holder >= 0) {
            sw_tab_int(t, row, c_point, holder);
            sw_tab_set(t, row, c_origin, s->origin[holder], s->origin[holder], NAN);
        } else {
            sw_tab_set(t, row, c_point, "-", "", NAN);
            sw_tab_set(t, row, c_origin, "-", "", NAN);
        }
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* Below a sampled search's table: see summary_search.h. */
void sw_summary_search_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag)
{
    sw_search_table s;
    char err[512] = "", note[1024];
    int rc = sw_h5_read_search(dir, &s, err, sizeof err);
    if (rc && rc != SW_ENOTFOUND && diag)
        fprintf(diag, "summarize: the search's points left out: %s\n", err[0] ? err : sw_strerror(rc));
    if (rc == SW_OK && s.n > 0 && s.metric[0]) {
        table t;
        memset(&t, 0, sizeof t);
        if (search_table(&s, &t) == SW_OK) {
            int pending = 0;
            for (int k = 0; k < s.n; k++) pending += !strcmp(s.status[k], "pending");
            char rounds[160] = "";
            if (!strcmp(s.kind, "tpe"))
                snprintf(rounds, sizeof rounds, ", round %d of %d (%d startup points, then rounds of %d)",
                         s.rounds_known, s.rounds, s.startup, s.batch);
            snprintf(note, sizeof note, "best so far (%s%s, %s is better) against points evaluated%s%s: %s search, %d "
                     "of %d points%s%s (sweep.h5 /search)", s.metric, sw_metric_is_acc(s.metric) ? ", percent" : "",
                     s.mode == SW_METRIC_MAX ? "higher" : "lower", named ? " in " : "", named ? dir : "", s.kind,
                     s.n, s.samples, rounds, pending ? "; points still running count once they are final" : "");
            const char *notes[1] = {note};
            fputc('\n', out);
            sw_tab_print(&t, format, out, notes, 1, 0);
        }
        sw_tab_free(&t);
    }
    sw_search_table_free(&s);
}
