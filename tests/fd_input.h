/* fd_input.h: the input-gradient part of the finite-difference gradient checks
 * (test_engine_gradcheck.c, test_engine_tf_gradcheck.c), double build only. */
#ifndef SW_TEST_FD_INPUT_H
#define SW_TEST_FD_INPUT_H

#include <stddef.h>

#include "model.h"

/* For every element of the input x (B,T,I), sequence-major as sw_model_load_input_real
 * takes it: fdx gets the central difference (step h) of the engine's forward loss, mean over
 * the batch, and ax the analytic d loss / d x from w->dx_total (time-major (T,B,I)), which
 * the caller's backward pass has filled. The work area is left loaded with x unchanged;
 * `dropout` applies the masks already drawn, as the caller's forward did. */
static void fd_input_gradient(sw_model_work *w, const sw_params *params, const sw_targets *targets, double *x, int B,
                              int T, int I, int dropout, double h, double *fdx, double *ax)
{
    size_t nx = (size_t)B * T * I;
    for (size_t i = 0; i < nx; i++) {
        size_t b = i / ((size_t)T * I), t = i / I % (size_t)T, f = i % I;
        ax[i] = w->dx_total[(t * B + b) * I + f];
    }
    for (size_t i = 0; i < nx; i++) {
        double keep = x[i];
        x[i] = keep + h;
        sw_model_load_input_real(w, x, B);
        double up = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        x[i] = keep - h;
        sw_model_load_input_real(w, x, B);
        double down = sw_model_forward(w, params, targets, dropout, NULL, NULL) / B;
        x[i] = keep;
        fdx[i] = (up - down) / (2 * h);
    }
    sw_model_load_input_real(w, x, B);
}

#endif
