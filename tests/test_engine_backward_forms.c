/* The recurrent cells' backward pass takes the gradient from above (dout) in three forms
 * (model.c, incoming): added by a separate pass (a recording pass, which keeps dh_total and
 * dh_outer), added inside the cells' pass, or, for the top layer below a last-step head,
 * as +0 without reading dout's earlier steps (which the readout no longer zeroes). All
 * three must give bit-identical parameter gradients and d loss / d x.
 *
 * For every cell (rnn tanh, rnn relu, lstm, gru), head (class_last, value_last,
 * class_steps), 1 and 2 layers, with dropout: the gradients of a recording pass against
 * those of a plain pass, whose dout was filled with NaN first (a form that read an
 * unwritten step would spread it). Odd sizes (H = 13, B = 5) leave vector tails.
 *
 * Long sequences split their whole-sequence products (sw_model_work.sequence_split): the
 * input products made step by step in the time loop, the weight and bias gradients in
 * chunks of rows. The same cases with every chunk size from 1 row to past the T*B rows
 * (chunks that end inside a step, and the step-1 offset of W_hh's rows) must give losses,
 * hidden states and gradients bit-identical to the whole products'. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "rng.h"

enum { I = 3, H = 13, T = 7, B = 5, C = 3 };

static void fill(sw_real *x, size_t n, sw_rng *rng, double scale)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)(scale * (2.0 * sw_rng_uniform(rng) - 1.0));
}

/* Parameter gradients of one forward + backward with record_dh on or off. */
static void gradients(sw_model_work *w, const sw_params *p, sw_real *grad_flat, const sw_params *grads, size_t n,
                      const sw_targets *y, int record)
{
    memset(grad_flat, 0, n * sizeof(sw_real));
    w->record_dh = 1; /* the forward is the same either way */
    sw_model_forward(w, p, y, 1, NULL, NULL);
    w->record_dh = record;
    if (!record)
        for (size_t i = 0; i < (size_t)T * B * H; i++) w->dout[i] = NAN;
    sw_model_backward(w, p, grads, y, NULL);
    w->record_dh = 1;
}

static void check_case(sw_cell_kind cell, sw_activation_kind act, sw_target_kind head, int L)
{
    sw_model_shape shape = {.cell = cell, .activation = act, .head = head, .input = I, .hidden = H, .layers = L,
                            .gates = sw_cell_gates(cell), .outputs = C, .scored_from = 0};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(3 * n, sizeof(sw_real));
    sw_params params, grads_a, grads_b;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads_a, flat + n, &shape);
    sw_params_bind(&grads_b, flat + 2 * n, &shape);
    sw_rng rng;
    sw_rng_init(&rng, 7, 0);
    fill(flat, n, &rng, 0.5);
    sw_real x[B * T * I];
    fill(x, sizeof x / sizeof *x, &rng, 1.0);
    int32_t labels[B * T];
    float values[B * C];
    for (int i = 0; i < B * T; i++) labels[i] = (int32_t)sw_rng_below(&rng, C);
    for (int i = 0; i < B * C; i++) values[i] = (float)sw_rng_uniform(&rng);
    sw_targets y = {labels, values};

    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 1) == SW_OK, "work");
    sw_model_pack(w, &params);
    sw_model_load_input_real(w, x, B);
    sw_model_sample_dropout(w, &rng, B, 0.3);
    gradients(w, &params, flat + n, &grads_a, n, &y, 1);
    gradients(w, &params, flat + 2 * n, &grads_b, n, &y, 0);
    const char *name = cell == SW_CELL_RNN ? (act == SW_ACT_RELU ? "rnn relu" : "rnn tanh") : sw_cell_name(cell);
    int finite = 1, nonzero = 0;
    for (size_t i = 0; i < n; i++) finite = finite && isfinite(flat[n + i]), nonzero += flat[n + i] != 0;
    CHECK(finite && nonzero > (int)n / 2, "%s head %d, %d layers: finite, mostly nonzero gradients", name, (int)head,
          L);
    CHECK(!memcmp(flat + n, flat + 2 * n, n * sizeof(sw_real)),
          "%s head %d, %d layers: a plain pass's gradients equal a recording pass's bit for bit", name, (int)head, L);
    sw_model_work_free(w);
    free(flat);
}

/* One forward + backward with the given split: the loss, the top layer's states, gradients. */
static double split_pass(sw_model_work *w, const sw_params *p, sw_real *grad_flat, const sw_params *grads, size_t n,
                         const sw_targets *y, int split, sw_real *h_top, int L)
{
    memset(grad_flat, 0, n * sizeof(sw_real));
    w->sequence_split = split;
    double loss = sw_model_forward(w, p, y, 1, NULL, NULL);
    memcpy(h_top, w->h[L - 1], (size_t)T * B * H * sizeof(sw_real));
    sw_model_backward(w, p, grads, y, NULL);
    w->sequence_split = 0;
    return loss;
}

static void check_split(sw_cell_kind cell, sw_activation_kind act, sw_target_kind head, int L)
{
    sw_model_shape shape = {.cell = cell, .activation = act, .head = head, .input = I, .hidden = H, .layers = L,
                            .gates = sw_cell_gates(cell), .outputs = C, .scored_from = 0};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(3 * n, sizeof(sw_real)), *h_whole = calloc(2 * (size_t)T * B * H, sizeof(sw_real));
    sw_real *h_split = h_whole + (size_t)T * B * H;
    sw_params params, grads_a, grads_b;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads_a, flat + n, &shape);
    sw_params_bind(&grads_b, flat + 2 * n, &shape);
    sw_rng rng;
    sw_rng_init(&rng, 11, 0);
    fill(flat, n, &rng, 0.5);
    sw_real x[B * T * I];
    fill(x, sizeof x / sizeof *x, &rng, 1.0);
    int32_t labels[B * T];
    float values[B * C];
    for (int i = 0; i < B * T; i++) labels[i] = (int32_t)sw_rng_below(&rng, C);
    for (int i = 0; i < B * C; i++) values[i] = (float)sw_rng_uniform(&rng);
    sw_targets y = {labels, values};

    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 0) == SW_OK, "work");
    sw_model_pack(w, &params);
    sw_model_load_input_real(w, x, B);
    sw_model_sample_dropout(w, &rng, B, 0.3);
    const char *name = cell == SW_CELL_RNN ? (act == SW_ACT_RELU ? "rnn relu" : "rnn tanh") : sw_cell_name(cell);
    double whole = split_pass(w, &params, flat + n, &grads_a, n, &y, -1, h_whole, L);
    for (int chunk = 1; chunk <= T * B + 1; chunk++) {
        double loss = split_pass(w, &params, flat + 2 * n, &grads_b, n, &y, chunk, h_split, L);
        int same = loss == whole && !memcmp(h_split, h_whole, (size_t)T * B * H * sizeof(sw_real)) &&
                   !memcmp(flat + n, flat + 2 * n, n * sizeof(sw_real));
        CHECK(same, "%s head %d, %d layers, chunks of %d rows: loss, states and gradients equal the whole products'",
              name, (int)head, L, chunk);
    }
    sw_model_work_free(w);
    free(h_whole);
    free(flat);
}

int main(void)
{
    const sw_target_kind heads[] = {SW_TARGET_CLASS_LAST, SW_TARGET_VALUE_LAST, SW_TARGET_CLASS_STEPS};
    for (int h = 0; h < 3; h++)
        for (int L = 1; L <= 2; L++) {
            check_case(SW_CELL_RNN, SW_ACT_TANH, heads[h], L);
            check_case(SW_CELL_RNN, SW_ACT_RELU, heads[h], L);
            check_case(SW_CELL_LSTM, SW_ACT_TANH, heads[h], L);
            check_case(SW_CELL_GRU, SW_ACT_TANH, heads[h], L);
            check_split(SW_CELL_RNN, SW_ACT_TANH, heads[h], L);
            check_split(SW_CELL_RNN, SW_ACT_RELU, heads[h], L);
            check_split(SW_CELL_LSTM, SW_ACT_TANH, heads[h], L);
            check_split(SW_CELL_GRU, SW_ACT_TANH, heads[h], L);
        }
    return check_report("engine_backward_forms");
}
