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
#include <stdint.h>
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

/* One case's model, data and work: parameters and two gradient buffers in one flat array
 * (params, grads_a, grads_b, n values each), dropout masks sampled. */
typedef struct {
    sw_model_shape shape;
    size_t n;
    sw_real *flat;
    sw_params params, grads_a, grads_b;
    sw_real x[B * T * I];
    int32_t labels[B * T];
    float values[B * C];
    sw_targets y;
    sw_model_work *w;
    const char *name;
} fixture;

static int fixture_init(fixture *f, sw_cell_kind cell, sw_activation_kind act, sw_target_kind head, int L,
                        uint64_t seed, int record_dh)
{
    memset(f, 0, sizeof *f);
    f->shape = (sw_model_shape){.cell = cell, .activation = act, .head = head, .input = I, .hidden = H, .layers = L,
                                .gates = sw_cell_gates(cell), .outputs = C, .scored_from = 0};
    f->name = cell == SW_CELL_RNN ? (act == SW_ACT_RELU ? "rnn relu" : "rnn tanh") : sw_cell_name(cell);
    f->n = sw_param_count(&f->shape);
    f->flat = calloc(3 * f->n, sizeof(sw_real));
    if (!f->flat || sw_model_work_create(&f->w, &f->shape, B, T, record_dh) != SW_OK) return -1;
    sw_params_bind(&f->params, f->flat, &f->shape);
    sw_params_bind(&f->grads_a, f->flat + f->n, &f->shape);
    sw_params_bind(&f->grads_b, f->flat + 2 * f->n, &f->shape);
    sw_rng rng;
    sw_rng_init(&rng, seed, 0);
    fill(f->flat, f->n, &rng, 0.5);
    fill(f->x, sizeof f->x / sizeof *f->x, &rng, 1.0);
    for (int i = 0; i < B * T; i++) f->labels[i] = (int32_t)sw_rng_below(&rng, C);
    for (int i = 0; i < B * C; i++) f->values[i] = (float)sw_rng_uniform(&rng);
    f->y = (sw_targets){f->labels, f->values};
    sw_model_pack(f->w, &f->params);
    sw_model_load_input_real(f->w, f->x, B);
    sw_model_sample_dropout(f->w, &rng, B, 0.3);
    return 0;
}

static void fixture_free(fixture *f)
{
    sw_model_work_free(f->w);
    free(f->flat);
}

static void check_case(sw_cell_kind cell, sw_activation_kind act, sw_target_kind head, int L)
{
    fixture f;
    int ok = fixture_init(&f, cell, act, head, L, 7, 1) == 0;
    CHECK(ok, "work");
    if (ok) {
        size_t n = f.n;
        gradients(f.w, &f.params, f.flat + n, &f.grads_a, n, &f.y, 1);
        gradients(f.w, &f.params, f.flat + 2 * n, &f.grads_b, n, &f.y, 0);
        int finite = 1, nonzero = 0;
        for (size_t i = 0; i < n; i++) finite = finite && isfinite(f.flat[n + i]), nonzero += f.flat[n + i] != 0;
        CHECK(finite && nonzero > (int)n / 2, "%s head %d, %d layers: finite, mostly nonzero gradients", f.name,
              (int)head, L);
        CHECK(!memcmp(f.flat + n, f.flat + 2 * n, n * sizeof(sw_real)),
              "%s head %d, %d layers: a plain pass's gradients equal a recording pass's bit for bit", f.name,
              (int)head, L);
    }
    fixture_free(&f);
}

/* One forward + backward with the given split: the loss, the top layer's states, gradients. */
static double split_pass(fixture *f, sw_real *grad_flat, const sw_params *grads, int split, sw_real *h_top)
{
    sw_model_work *w = f->w;
    memset(grad_flat, 0, f->n * sizeof(sw_real));
    w->sequence_split = split;
    double loss = sw_model_forward(w, &f->params, &f->y, 1, NULL, NULL);
    memcpy(h_top, w->h[f->shape.layers - 1], (size_t)T * B * H * sizeof(sw_real));
    sw_model_backward(w, &f->params, grads, &f->y, NULL);
    w->sequence_split = 0;
    return loss;
}

static void check_split(sw_cell_kind cell, sw_activation_kind act, sw_target_kind head, int L)
{
    fixture f;
    sw_real h_whole[T * B * H], h_split[T * B * H];
    int ok = fixture_init(&f, cell, act, head, L, 11, 0) == 0;
    CHECK(ok, "work");
    size_t n = f.n;
    double whole = ok ? split_pass(&f, f.flat + n, &f.grads_a, -1, h_whole) : 0;
    for (int chunk = 1; ok && chunk <= T * B + 1; chunk++) {
        double loss = split_pass(&f, f.flat + 2 * n, &f.grads_b, chunk, h_split);
        int same = loss == whole && !memcmp(h_split, h_whole, sizeof h_whole) &&
                   !memcmp(f.flat + n, f.flat + 2 * n, n * sizeof(sw_real));
        CHECK(same, "%s head %d, %d layers, chunks of %d rows: loss, states and gradients equal the whole products'",
              f.name, (int)head, L, chunk);
    }
    fixture_free(&f);
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
