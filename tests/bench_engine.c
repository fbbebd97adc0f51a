/* Engine benchmark: seconds per reference run on one thread, and achieved GFLOP/s.
 *
 * A reference run is the seed protocol (2 layers, H=64, T=20, I=10, 50 epochs of 10
 * batches of 32, evaluation on 1,000 test sequences per epoch), everything included:
 * data generation, training, evaluation, probe recording. Its floating-point work is
 * counted here from the shapes alone: a forward pass of one sequence costs
 * 2 T G H (in + H) per layer (input and recurrent products) plus the readout; backward
 * costs twice the forward; so a run is 3 x forward x 16,000 training sequences plus
 * forward x 50,000 test sequences (about 50.7 GFLOP for the rnn cell).
 * The same shapes are also run with the lstm and gru cells.
 * Usage: bench_engine [REPEATS]   (prints each run's time, the median and GFLOP/s) */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "train.h"

static double forward_flops(const sw_config *c)
{
    int G = sw_cell_gates(c->model.cell), H = c->model.hidden;
    double f = 0;
    for (int l = 0; l < c->model.layers; l++) {
        int in = l == 0 ? c->task.input_size : H;
        f += 2.0 * c->task.seq_len * G * H * (double)(in + H);
    }
    return f + 2.0 * 2 * H; /* the two-class readout of the benchmarked task */
}

static double run_flops(const sw_config *c)
{
    double train_seqs = (double)c->train.epochs * c->train.steps_per_epoch * c->train.batch;
    double test_seqs = (double)c->train.epochs * c->task.test_size;
    return forward_flops(c) * (3.0 * train_seqs + test_seqs);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1 || repeats > 100) {
        fprintf(stderr, "usage: %s [REPEATS 1..100]\n", argv[0]);
        return 2;
    }
    printf("%-5s %8s %10s %10s %10s %9s\n", "cell", "GFLOP", "median s", "min s", "GFLOP/s", "best acc");
    double rnn_rate = 0;
    for (int cell = 0; cell < SW_CELL_COUNT; cell++) {
        sw_config cfg;
        sw_config_defaults(&cfg);
        cfg.model.cell = (sw_cell_kind)cell;
        double *secs = malloc((size_t)repeats * sizeof *secs), acc = 0;
        for (int r = 0; r < repeats; r++) {
            cfg.seed = 1 + r;
            sw_run_result res;
            double t0 = sw_now();
            int rc = sw_train_run(&cfg, NULL, &res);
            secs[r] = sw_now() - t0;
            if (rc != SW_OK) {
                fprintf(stderr, "run failed: %s\n", res.error);
                return 1;
            }
            acc += res.best_test_acc / repeats;
            sw_run_result_free(&res);
        }
        qsort(secs, (size_t)repeats, sizeof *secs, compare_doubles);
        double median = repeats % 2 ? secs[repeats / 2] : 0.5 * (secs[repeats / 2 - 1] + secs[repeats / 2]);
        double gflop = run_flops(&cfg) * 1e-9, rate = gflop / median;
        if (cell == SW_CELL_RNN) rnn_rate = rate;
        printf("%-5s %8.1f %10.3f %10.3f %10.1f %8.2f%%   (%.2fx the rnn's GFLOP/s)\n", sw_cell_name(cfg.model.cell),
               gflop, median, secs[0], rate, 100 * acc, rate / rnn_rate);
        fflush(stdout);
        free(secs);
    }
    printf("one thread; peak of this machine's core ~116 GFLOP/s (shared/FACTS.md)\n");
    return 0;
}
