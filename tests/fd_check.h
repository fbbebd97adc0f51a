/* fd_check.h: the finite-difference gradient checks' shared parts (test_engine_gradcheck.c
 * for the recurrent cells, test_engine_tf_gradcheck.c for the transformer), double build
 * only: central differences of the engine's forward loss over every parameter and every
 * input element, and the comparison with the analytic gradients. */
#ifndef SW_TEST_FD_CHECK_H
#define SW_TEST_FD_CHECK_H

#include <math.h>
#include <stddef.h>

#include "check.h"
#include "model.h"

/* The step of the central differences and the tolerance of the comparison: an entry is off
 * when |fd - analytic| > FD_ATOL + FD_RTOL |analytic| (or either is NaN). */
static const double FD_STEP = 1e-5, FD_ATOL = 1e-8, FD_RTOL = 1e-6;

/* For every one of the n parameters of the flat buffer `flat` (which params views): fd[i]
 * gets the central difference of the engine's forward loss, mean over the batch of B. The
 * work area is left packed with the parameters unchanged; `dropout` applies the masks
 * already drawn, as the caller's forward did. */
static void fd_params(sw_model_work *w, const sw_params *params, double *flat, size_t n, const sw_targets *targets,
                      int B, int dropout, double *fd)
{
    for (size_t i = 0; i < n; i++) {
        double keep = flat[i];
        flat[i] = keep + FD_STEP;
        sw_model_pack(w, params);
        double up = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        flat[i] = keep - FD_STEP;
        sw_model_pack(w, params);
        double down = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        flat[i] = keep;
        fd[i] = (up - down) / (2 * FD_STEP);
    }
    sw_model_pack(w, params);
}

/* Number of entries where fd and the analytic gradient an disagree beyond the tolerance;
 * *worst gets the index of the largest difference. */
static int fd_mismatches(const double *fd, const double *an, size_t n, size_t *worst)
{
    int bad = 0;
    double worst_err = -1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(fd[i] - an[i]);
        if (!(err <= FD_ATOL + FD_RTOL * fabs(an[i]))) bad++;
        if (!(err <= worst_err)) worst_err = err, *worst = i;
    }
    return bad;
}

/* The checker itself: one entry of each analytic gradient (parameters an[n], hidden states
 * ah[nh], named dh, inputs ax[nx]) made wrong by 1e-4 must be the one mismatch found
 * against its finite differences. The entries are restored. */
static void fd_self_check(const char *what, const double *fd, double *an, size_t n, const double *fdh, double *ah,
                          size_t nh, const char *dh, const double *fdx, double *ax, size_t nx)
{
    size_t worst;
    an[n / 2] += 1e-4;
    CHECK(fd_mismatches(fd, an, n, &worst) == 1, "%s: a corrupted parameter gradient went unnoticed", what);
    an[n / 2] -= 1e-4;
    ah[nh / 3] += 1e-4;
    CHECK(fd_mismatches(fdh, ah, nh, &worst) == 1, "%s: a corrupted %s went unnoticed", what, dh);
    ah[nh / 3] -= 1e-4;
    ax[nx / 2] += 1e-4;
    CHECK(fd_mismatches(fdx, ax, nx, &worst) == 1, "%s: a corrupted dloss/dx_t went unnoticed", what);
    ax[nx / 2] -= 1e-4;
}

/* For every element of the input x (B,T,I), sequence-major as sw_model_load_input_real
 * takes it: fdx gets the central difference of the engine's forward loss, mean over
 * the batch, and ax the analytic d loss / d x from w->dx_total (time-major (T,B,I)), which
 * the caller's backward pass has filled. The work area is left loaded with x unchanged;
 * `dropout` applies the masks already drawn, as the caller's forward did. */
static void fd_input_gradient(sw_model_work *w, const sw_params *params, const sw_targets *targets, double *x, int B,
                              int T, int I, int dropout, double *fdx, double *ax)
{
    size_t nx = (size_t)B * T * I;
    for (size_t i = 0; i < nx; i++) {
        size_t b = i / ((size_t)T * I), t = i / I % (size_t)T, f = i % I;
        ax[i] = w->dx_total[(t * B + b) * I + f];
    }
    for (size_t i = 0; i < nx; i++) {
        double keep = x[i];
        x[i] = keep + FD_STEP;
        sw_model_load_input_real(w, x, B);
        double up = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        x[i] = keep - FD_STEP;
        sw_model_load_input_real(w, x, B);
        double down = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        x[i] = keep;
        fdx[i] = (up - down) / (2 * FD_STEP);
    }
    sw_model_load_input_real(w, x, B);
}

#endif
