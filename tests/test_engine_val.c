/* The validation set (task.val_size) and selection by it.
 *
 * - The validation stream is deterministic and disjoint from the train, test and probe
 *   streams of the same seed (no sequence shared), and adding it changes none of them.
 * - sw_history_best_epoch on hand-made histories: the earliest best of the named column,
 *   max or min, NaN never best; the metric is val_* exactly when val_size > 0.
 * - A file task takes its validation set from the end of its training set: train_size
 *   resolves to what is left, and a val_size that leaves nothing is refused.
 * - A run with a validation set records finite val_* columns, chooses best_epoch by them
 *   and reports the test set at that epoch; its training and test history are those of
 *   the same run without a validation set, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "record.h"
#include "rng.h"
#include "task.h"
#include "train.h"

static sw_config small_config(void)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.task.seq_len = 8;
    cfg.task.train_size = 256;
    cfg.task.test_size = 100;
    cfg.model.hidden = 16;
    cfg.train.epochs = 4;
    cfg.record.probe_size = 8;
    cfg.seed = 3;
    return cfg;
}

/* Number of sequences of `a` whose inputs equal one of `b`'s. */
static int shared_rows(const sw_dataset *a, const sw_dataset *b)
{
    size_t row = (size_t)a->seq_len * a->input;
    int shared = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++)
            if (!memcmp(a->x + i * row, b->x + j * row, row * sizeof *a->x)) {
                shared++;
                break;
            }
    return shared;
}

static void test_streams(void)
{
    sw_config cfg = small_config();
    sw_task_resolve(&cfg.task, NULL, NULL, 0, NULL);
    uint64_t seed = 3;
    sw_dataset train, test, probe, val, again;
    CHECK(sw_dataset_generate(&train, &cfg.task, 200, seed, SW_STREAM_TRAIN_DATA) == SW_OK, "train");
    CHECK(sw_dataset_generate(&test, &cfg.task, 200, seed, SW_STREAM_TEST_DATA) == SW_OK, "test");
    CHECK(sw_dataset_generate(&probe, &cfg.task, 200, seed, SW_STREAM_PROBE) == SW_OK, "probe");
    CHECK(sw_dataset_generate(&val, &cfg.task, 200, seed, SW_STREAM_VAL_DATA) == SW_OK, "val");
    CHECK(sw_dataset_generate(&again, &cfg.task, 200, seed, SW_STREAM_VAL_DATA) == SW_OK, "val again");
    size_t nx = (size_t)200 * val.seq_len * val.input;
    CHECK(!memcmp(val.x, again.x, nx * sizeof *val.x) && !memcmp(val.y, again.y, 200 * sizeof *val.y),
          "the validation set is not deterministic");
    CHECK(shared_rows(&val, &train) == 0, "%d validation sequences are training sequences", shared_rows(&val, &train));
    CHECK(shared_rows(&val, &test) == 0, "%d validation sequences are test sequences", shared_rows(&val, &test));
    CHECK(shared_rows(&val, &probe) == 0, "%d validation sequences are probe sequences", shared_rows(&val, &probe));
    /* Both labels occur, so the set can tell models apart. */
    int ones = 0;
    for (int i = 0; i < val.n; i++) ones += val.y[i] == 1;
    CHECK(ones > 50 && ones < 150, "validation labels: %d of 200 are 1", ones);
    sw_dataset_free(&train);
    sw_dataset_free(&test);
    sw_dataset_free(&probe);
    sw_dataset_free(&val);
    sw_dataset_free(&again);
}

static void test_selection(void)
{
    double train_loss[5] = {0}, train_acc[5] = {0}, test_loss[5] = {0.9, 0.5, 0.6, 0.4, 0.7};
    double test_acc[5] = {0.95, 0.60, 0.70, 0.65, 0.90}, val_acc[5] = {0.50, 0.80, NAN, 0.80, 0.70};
    double val_loss[5] = {NAN, 0.7, 0.3, 0.3, 0.2}, lr[5] = {0}, gn[5] = {0}, gm[5] = {0}, sec[5] = {0};
    sw_history h = {.epochs = 5, .capacity = 5, .train_loss = train_loss, .train_acc = train_acc,
                    .test_loss = test_loss, .test_acc = test_acc, .lr = lr, .grad_norm = gn,
                    .grad_norm_max = gm, .seconds = sec, .val_loss = val_loss, .val_acc = val_acc};
    CHECK(sw_history_column(&h, "val_acc") == val_acc && sw_history_column(&h, "test_loss") == test_loss,
          "history columns by name");
    CHECK(sw_history_column(&h, "epoch") == NULL && sw_history_column(&h, "nonesuch") == NULL,
          "a name that is no float64 history column");
    sw_task_metric by_val = {"val_acc", SW_METRIC_MAX}, by_test = {"test_acc", SW_METRIC_MAX};
    CHECK(sw_history_best_epoch(&h, 5, by_val) == 2, "val_acc: best %d, want 2 (earliest of the ties, "
          "not the test set's 1)", sw_history_best_epoch(&h, 5, by_val));
    CHECK(sw_history_best_epoch(&h, 5, by_test) == 1, "test_acc: best %d, want 1", sw_history_best_epoch(&h, 5, by_test));
    CHECK(sw_history_best_epoch(&h, 1, by_val) == 1, "first epoch alone: best %d", sw_history_best_epoch(&h, 1, by_val));
    sw_task_metric loss = {"val_loss", SW_METRIC_MIN};
    CHECK(sw_history_best_epoch(&h, 5, loss) == 5, "val_loss min: best %d, want 5", sw_history_best_epoch(&h, 5, loss));
    CHECK(sw_history_best_epoch(&h, 4, loss) == 3, "val_loss min over 4: best %d, want 3",
          sw_history_best_epoch(&h, 4, loss));
    CHECK(sw_history_best_epoch(&h, 1, loss) == 0, "only NaN: best %d, want 0", sw_history_best_epoch(&h, 1, loss));

    sw_config cfg = small_config();
    CHECK(!strcmp(sw_task_metric_of(&cfg.task).name, "test_acc"), "no validation set: test_acc");
    cfg.task.val_size = 10;
    CHECK(!strcmp(sw_task_metric_of(&cfg.task).name, "val_acc") && sw_task_metric_of(&cfg.task).mode == SW_METRIC_MAX,
          "a validation set: val_acc, max");
    cfg.task.kind = SW_TASK_ADDING;
    cfg.task.input_size = 0;
    CHECK(!strcmp(sw_task_metric_of(&cfg.task).name, "val_loss") && sw_task_metric_of(&cfg.task).mode == SW_METRIC_MIN,
          "a regression with a validation set: val_loss, min");
}

static void test_file_resolve(void)
{
    sw_data_shape file = {.target = SW_TARGET_CLASS_LAST, .outputs = 3, .seq_len = 5, .input = 2,
                          .n_train = 100, .n_test = 40};
    char err[256] = "";
    const char *bad = NULL;
    sw_config cfg = small_config();
    cfg.task.kind = SW_TASK_FILE;
    snprintf(cfg.task.path, sizeof cfg.task.path, "data.h5");
    cfg.task.seq_len = cfg.task.input_size = cfg.task.train_size = cfg.task.test_size = 0;
    cfg.task.val_size = 20;
    sw_task_config t = cfg.task;
    CHECK(sw_task_resolve(&t, &file, err, sizeof err, &bad) == SW_OK && t.train_size == 80,
          "val_size 20 of 100: train_size %d, want 80 (%s)", t.train_size, err);
    CHECK(sw_task_resolve(&t, &file, err, sizeof err, &bad) == SW_OK && t.train_size == 80, "resolving twice");
    t = cfg.task;
    t.train_size = 90;
    CHECK(sw_task_resolve(&t, &file, err, sizeof err, &bad) == SW_ECONFIG && bad && !strcmp(bad, "task.train_size"),
          "train_size 90 + val_size 20 > 100 accepted");
    t = cfg.task;
    t.val_size = 100;
    CHECK(sw_task_resolve(&t, &file, err, sizeof err, &bad) == SW_ECONFIG && bad && !strcmp(bad, "task.val_size") &&
              strstr(err, "task.val_size"),
          "val_size equal to the training set accepted (%s)", err);
    t = cfg.task;
    t.val_size = 99;
    CHECK(sw_task_resolve(&t, &file, err, sizeof err, &bad) == SW_OK && t.train_size == 1, "val_size 99 of 100");
}

static void test_run(void)
{
    sw_config plain = small_config(), with_val = small_config();
    with_val.task.val_size = 150;
    sw_run_result a, b;
    CHECK(sw_train_run(&plain, NULL, &a) == SW_OK && a.status == SW_RUN_DONE, "run without validation");
    CHECK(sw_train_run(&with_val, NULL, &b) == SW_OK && b.status == SW_RUN_DONE, "run with validation");
    int E = b.history.epochs;
    CHECK(E == 4 && a.history.epochs == 4, "epochs %d %d", a.history.epochs, E);
    size_t bytes = (size_t)E * sizeof(double);
    CHECK(!memcmp(a.history.train_loss, b.history.train_loss, bytes) &&
              !memcmp(a.history.test_loss, b.history.test_loss, bytes) &&
              !memcmp(a.history.test_acc, b.history.test_acc, bytes),
          "a validation set changed the training or the test history");
    CHECK(!memcmp(a.weights_final, b.weights_final, a.param_count * sizeof(sw_real)), "final weights differ");
    int finite = 1, nan = 1, differs = 0;
    for (int e = 0; e < E; e++) {
        finite &= isfinite(b.history.val_loss[e]) && b.history.val_acc[e] >= 0 && b.history.val_acc[e] <= 1;
        nan &= isnan(a.history.val_loss[e]) && isnan(a.history.val_acc[e]);
        differs |= b.history.val_loss[e] != b.history.test_loss[e];
    }
    CHECK(finite, "val_loss/val_acc not finite in [0,1]");
    CHECK(nan, "a run without validation set has val_* values");
    CHECK(differs, "the validation loss equals the test loss: the same set?");
    sw_task_metric m = sw_task_metric_of(&with_val.task);
    int best = sw_history_best_epoch(&b.history, E, m);
    CHECK(best >= 1 && b.best_epoch == best, "best_epoch %d, the val_acc history's best %d", b.best_epoch, best);
    if (best >= 1) {
        CHECK(b.best_metric == b.history.val_acc[best - 1], "best_metric is not val_acc at best_epoch");
        CHECK(b.best_test_acc == b.history.test_acc[best - 1] && b.best_test_loss == b.history.test_loss[best - 1],
              "best_test_* are not the test values at best_epoch");
    }
    CHECK(a.best_epoch == sw_history_best_epoch(&a.history, E, sw_task_metric_of(&plain.task)),
          "without validation set best_epoch follows test_acc");
    sw_run_result_free(&a);
    sw_run_result_free(&b);
}

int main(void)
{
    test_streams();
    test_selection();
    test_file_resolve();
    test_run();
    return check_report("engine_val");
}
