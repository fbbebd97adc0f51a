/* The adding and copy generators and their layouts and baselines (task.h).
 *
 * adding: per sequence, step values in [0,1), a marker channel of 0s with exactly one 1
 *         in [0, T/2) and one in [T/2, T) (one marker in all when T = 1), the target the
 *         float sum of the two marked values; every marker position is used; the
 *         baseline 1/6 is the mean squared error of answering 1 on the generated data.
 * copy:   T + 20 one-hot rows over 10 categories: symbols 1..8 at steps 0..9, blanks,
 *         the delimiter 9 at step T+9, blanks; targets blank (0) for T+10 steps, then the
 *         10 symbols; the layout's 9 classes and scored_from = T+10; baseline
 *         10 ln 8 / (T+20) (0.1733 at T = 100); every symbol is drawn.
 * Both: the same seed and stream give the same data, another stream other data. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "task.h"

static sw_task_config task_of(sw_task_kind kind, int T)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.task.kind = kind;
    cfg.task.seq_len = T;
    return cfg.task;
}

static int same_data(const sw_dataset *a, const sw_dataset *b)
{
    size_t nx = (size_t)a->n * a->seq_len * a->input;
    if (a->n != b->n || memcmp(a->x, b->x, nx * sizeof *a->x)) return 0;
    if (a->v) return !memcmp(a->v, b->v, (size_t)a->n * a->outputs * sizeof *a->v);
    size_t ny = a->target == SW_TARGET_CLASS_STEPS ? (size_t)a->n * a->seq_len : (size_t)a->n;
    return !memcmp(a->y, b->y, ny * sizeof *a->y);
}

static void check_adding(int T, int n)
{
    sw_task_config task = task_of(SW_TASK_ADDING, T);
    sw_task_layout lay = sw_task_layout_of(&task);
    CHECK(lay.target == SW_TARGET_VALUE_LAST && lay.input == 2 && lay.steps == T && lay.outputs == 1,
          "adding T=%d layout: target %d input %d steps %d outputs %d", T, lay.target, lay.input, lay.steps,
          lay.outputs);
    sw_dataset d;
    CHECK(sw_dataset_generate(&d, &task, n, 42, 1) == SW_OK, "generate adding");
    CHECK(d.n == n && d.seq_len == T && d.input == 2 && d.target == SW_TARGET_VALUE_LAST && d.outputs == 1 &&
              d.v && !d.y,
          "adding T=%d dataset shape", T);
    int half = T / 2 > 0 ? T / 2 : 1, bad_values = 0, bad_markers = 0, bad_targets = 0;
    int *used = calloc((size_t)T, sizeof *used);
    double sq_err_of_1 = 0, value_sum = 0;
    for (int s = 0; s < n; s++) {
        const float *x = d.x + (size_t)s * T * 2;
        int first = -1, second = -1, ones = 0, others = 0;
        for (int t = 0; t < T; t++) {
            bad_values += !(x[2 * t] >= 0 && x[2 * t] < 1);
            value_sum += x[2 * t];
            if (x[2 * t + 1] == 1) {
                ones++;
                used[t]++;
                if (t < half) first = t;
                else second = t;
            } else {
                others += x[2 * t + 1] != 0;
            }
        }
        if (T == 1) {
            bad_markers += ones != 1 || others;
            bad_targets += d.v[s] != x[0];
        } else {
            bad_markers += ones != 2 || others || first < 0 || second < 0;
            if (first >= 0 && second >= 0)
                bad_targets += d.v[s] != (float)((double)x[2 * first] + (double)x[2 * second]);
        }
        sq_err_of_1 += ((double)d.v[s] - 1) * ((double)d.v[s] - 1);
    }
    int unused = 0;
    for (int t = 0; t < T; t++) unused += used[t] == 0;
    CHECK(bad_values == 0, "adding T=%d: %d values outside [0,1)", T, bad_values);
    CHECK(bad_markers == 0, "adding T=%d: %d sequences without one marker in each half", T, bad_markers);
    CHECK(bad_targets == 0, "adding T=%d: %d targets are not the sum of the marked values", T, bad_targets);
    CHECK(unused == 0, "adding T=%d: %d marker positions never drawn in %d sequences", T, unused, n);
    double mean = value_sum / ((double)n * T);
    CHECK(fabs(mean - 0.5) < 6 * sqrt(1.0 / 12 / ((double)n * T)), "adding T=%d: value mean %.4f", T, mean);
    double baseline = sw_task_baseline_loss(&task);
    CHECK(baseline == 1.0 / 6.0, "adding baseline %.17g", baseline);
    /* (v-1)^2 with v = u1 + u2 has variance ~0.1 / n; T = 1 has one value, not two. */
    if (T > 1)
        CHECK(fabs(sq_err_of_1 / n - baseline) < 6 * sqrt(0.1 / n), "adding T=%d: answering 1 scores %.4f, not 1/6",
              T, sq_err_of_1 / n);

    sw_dataset again, other;
    CHECK(sw_dataset_generate(&again, &task, n, 42, 1) == SW_OK && same_data(&d, &again),
          "adding T=%d: same seed, other data", T);
    CHECK(sw_dataset_generate(&other, &task, n, 42, 2) == SW_OK && !same_data(&d, &other),
          "adding T=%d: another stream, same data", T);
    sw_dataset_free(&again), sw_dataset_free(&other), sw_dataset_free(&d);
    free(used);
}

static void check_copy(int delay, int n)
{
    enum { SYMBOLS = 10, CATEGORIES = 10 };
    sw_task_config task = task_of(SW_TASK_COPY, delay);
    sw_task_layout lay = sw_task_layout_of(&task);
    int T = delay + 20;
    CHECK(lay.target == SW_TARGET_CLASS_STEPS && lay.input == CATEGORIES && lay.steps == T && lay.outputs == 9 &&
              lay.scored_from == delay + 10,
          "copy T=%d layout: target %d input %d steps %d outputs %d scored_from %d", delay, lay.target, lay.input,
          lay.steps, lay.outputs, lay.scored_from);
    sw_dataset d;
    CHECK(sw_dataset_generate(&d, &task, n, 9, 3) == SW_OK, "generate copy");
    CHECK(d.n == n && d.seq_len == T && d.input == CATEGORIES && d.target == SW_TARGET_CLASS_STEPS &&
              d.outputs == 9 && d.y && !d.v,
          "copy T=%d dataset shape", delay);
    int bad_rows = 0, bad_inputs = 0, bad_targets = 0, drawn[CATEGORIES] = {0};
    for (int s = 0; s < n; s++) {
        const float *x = d.x + (size_t)s * T * CATEGORIES;
        const int32_t *y = d.y + (size_t)s * T;
        int symbols[SYMBOLS];
        for (int t = 0; t < T; t++) {
            int hot = -1, ones = 0, others = 0;
            for (int c = 0; c < CATEGORIES; c++) {
                float v = x[(size_t)t * CATEGORIES + c];
                if (v == 1) ones++, hot = c;
                else others += v != 0;
            }
            bad_rows += ones != 1 || others;
            if (t < SYMBOLS) {
                bad_inputs += hot < 1 || hot > 8;
                symbols[t] = hot;
                if (hot >= 0) drawn[hot]++;
            } else {
                bad_inputs += hot != (t == delay + 9 ? 9 : 0);
            }
        }
        for (int t = 0; t < T; t++)
            bad_targets += y[t] != (t < delay + SYMBOLS ? 0 : symbols[t - delay - SYMBOLS]);
    }
    CHECK(bad_rows == 0, "copy T=%d: %d input rows are not one-hot", delay, bad_rows);
    CHECK(bad_inputs == 0, "copy T=%d: %d input steps are not symbols 1..8, blanks and the delimiter at T+9", delay,
          bad_inputs);
    CHECK(bad_targets == 0, "copy T=%d: %d targets are not blanks then the symbols", delay, bad_targets);
    int missing = 0;
    for (int c = 1; c <= 8; c++) missing += drawn[c] == 0;
    CHECK(missing == 0, "copy T=%d: %d of the 8 symbols never drawn", delay, missing);

    double baseline = sw_task_baseline_loss(&task);
    CHECK(check_close(baseline, 10 * log(8.0) / T, 0, 1e-15), "copy T=%d baseline %.17g", delay, baseline);
    sw_dataset again, other;
    CHECK(sw_dataset_generate(&again, &task, n, 9, 3) == SW_OK && same_data(&d, &again),
          "copy T=%d: same seed, other data", delay);
    CHECK(sw_dataset_generate(&other, &task, n, 10, 3) == SW_OK && !same_data(&d, &other),
          "copy T=%d: another seed, same data", delay);
    sw_dataset_free(&again), sw_dataset_free(&other), sw_dataset_free(&d);
}

int main(void)
{
    static const int adding_lengths[] = {1, 2, 7, 50};
    for (size_t i = 0; i < SW_ARRAY_LEN(adding_lengths); i++) check_adding(adding_lengths[i], 4000);
    static const int delays[] = {1, 2, 10, 100};
    for (size_t i = 0; i < SW_ARRAY_LEN(delays); i++) check_copy(delays[i], 300);

    sw_task_config copy100 = task_of(SW_TASK_COPY, 100);
    CHECK(fabs(sw_task_baseline_loss(&copy100) - 0.1733) < 5e-5, "copy T=100 baseline %.6f, not 0.1733",
          sw_task_baseline_loss(&copy100));
    sw_task_config mean_sign = task_of(SW_TASK_MEAN_SIGN, 20);
    CHECK(isnan(sw_task_baseline_loss(&mean_sign)), "mean_sign has a baseline");
    return check_report("engine tasks");
}
