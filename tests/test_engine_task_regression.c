/* Task regressions: every run of a sweep file must reach a bound on its task's metric.
 *   test_engine_task_regression CONFIG.yaml max-best-loss BOUND   (regression tasks: adding)
 *   test_engine_task_regression CONFIG.yaml min-best-acc BOUND    (classification: copy, ...)
 * The runs go through the same sweep-file reader as the program, so the configs under
 * tests/data are exactly what `sweep` would train. Prints each run's history summary. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sweepspec.h"
#include "task.h"
#include "train.h"

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[2], "max-best-loss") && strcmp(argv[2], "min-best-acc"))) {
        fprintf(stderr, "usage: %s CONFIG.yaml max-best-loss|min-best-acc BOUND\n", argv[0]);
        return 2;
    }
    int by_loss = !strcmp(argv[2], "max-best-loss");
    double bound = atof(argv[3]);
    sw_sweep_spec *spec = NULL;
    char err[1024];
    if (sw_sweep_spec_load(argv[1], NULL, 0, &spec, err, sizeof err) != SW_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    CHECK(spec->n_runs >= 1, "no runs in %s", argv[1]);
    for (int i = 0; i < spec->n_runs; i++) {
        const sw_config *cfg = &spec->runs[i].cfg;
        sw_task_metric m = sw_task_metric_of(&cfg->task);
        CHECK(!strcmp(m.name, by_loss ? "test_loss" : "test_acc"), "%s: the task's metric is %s", spec->runs[i].id,
              m.name);
        sw_run_result res;
        int rc = sw_train_run(cfg, NULL, &res);
        CHECK(rc == SW_OK && res.status == SW_RUN_DONE, "%s did not complete: %s", spec->runs[i].id, res.error);
        double baseline = sw_task_baseline_loss(&cfg->task);
        printf("%s (%s): best epoch %d of %d, best test loss %.4f (baseline %.4f), test acc there %.2f%%, %.1f s\n",
               spec->runs[i].id, sw_task_name(cfg->task.kind), res.best_epoch, res.history.epochs,
               res.best_test_loss, baseline, 100 * res.best_test_acc, res.wall_seconds);
        if (by_loss)
            CHECK(res.best_metric < bound, "%s: best test loss %.4f, required < %g", spec->runs[i].id, res.best_metric, bound);
        else
            CHECK(res.best_test_acc > bound, "%s: best test accuracy %.2f%%, required > %g%%", spec->runs[i].id,
                  100 * res.best_test_acc, 100 * bound);
        sw_run_result_free(&res);
    }
    sw_sweep_spec_free(spec);
    return check_report("task regression");
}
