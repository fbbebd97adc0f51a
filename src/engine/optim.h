/* optim.h: learning-rate schedules, gradient clipping and the optimizers (Adam, AdamW,
 * SGD, RMSprop),
 * each with PyTorch's semantics, over flat parameter buffers. */
#ifndef SWEEP_OPTIM_H
#define SWEEP_OPTIM_H

#include <stddef.h>

#include "common.h"
#include "config.h"

/* Learning rate used during epoch `epoch` (from 1) of `train`:
 *   warmup W > 0: epochs 1..W use lr * epoch / W; the schedule below then runs on the
 *                 epochs after the warmup (e = epoch - W, from 1);
 *   constant:     lr
 *   step:         lr * gamma^floor((e-1) / step)       (torch StepLR)
 *   multistep:    lr * gamma^(milestones m with m < e) (torch MultiStepLR)
 *   exponential:  lr * gamma^(e-1)                     (torch ExponentialLR)
 *   cosine:       min_lr + (lr - min_lr) (1 + cos(pi (e-1) / (E-1))) / 2, E = epochs - W,
 *                 so the first epoch uses lr and the last uses min_lr;
 *   table:        schedule.values[epoch-1], as given (train.lr and warmup do not apply). */
double sw_schedule_lr(const sw_train_config *train, int epoch);

/* The sum of the squares of n values in double, added one after the other in order (the
 * bits the run files record: /history/grad_norm and the gradient records' norms). */
double sw_sum_squares(const sw_real *x, size_t n);

/* sums[r] = sw_sum_squares(x + r * stride, n) for r < k, bit for bit: for k = 4 and 8 the
 * k sums run side by side (their chains of dependent additions at once: 4-8x the speed of
 * one after the other). */
void sw_sum_squares_side(double *sums, const sw_real *x, size_t n, size_t stride, int k);

/* Euclidean norm of n values: sqrt(sw_sum_squares). */
double sw_global_norm(const sw_real *x, size_t n);

/* Optimizer state: moments in one flat buffer of 3n values. */
typedef struct {
    sw_optimizer_kind kind;
    size_t n;
    long steps;        /* updates done */
    sw_real *m;        /* adam(w): first moment; sgd, rmsprop: momentum buffer */
    sw_real *v;        /* adam(w): second moment; rmsprop: squared-gradient average */
    sw_real *g;        /* rmsprop centered: gradient average */
} sw_optimizer;

/* Allocates zeroed state for n parameters. Returns SW_OK or SW_ENOMEM. */
int sw_optimizer_init(sw_optimizer *opt, sw_optimizer_kind kind, size_t n);
/* NULL-tolerant; leaves *opt zeroed. */
void sw_optimizer_free(sw_optimizer *opt);

/* One update of `params` from `grads` (both n values) at learning rate lr, with the
 * weight decay, betas, eps, momentum, nesterov, alpha and centered of `train`. Clipping is the caller's
 * (it needs the norm for the history anyway). `grads` is used as scratch. */
void sw_optimizer_step(sw_optimizer *opt, const sw_train_config *train, sw_real *params,
                       sw_real *grads, double lr);

#endif
