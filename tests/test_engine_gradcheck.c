/* Finite-difference gradient check of the engine (double build).
 *
 * For every head (a class at the last step with C = 2 and C = 5, K = 1 and K = 3
 * regression values at the last step, C = 4 classes at every step with scored_from =
 * T/2), cells rnn (tanh and relu), lstm, gru, L in {1,2,3}, T in {1,3,20}, dropout off
 * and with a fixed dropout mask:
 *   - the engine's forward loss, per-sample losses and correct count agree with an
 *     independent, naive per-sample implementation of the model written below;
 *   - every parameter: central difference of the engine's own forward loss against the
 *     analytic gradient of sw_model_backward;
 *   - every d loss / d h_t of every layer: central difference of the naive model,
 *     perturbing h_t itself, against w->dh_total;
 *   - every d loss / d x_t (w->dx_total): central difference of the engine's forward,
 *     perturbing the input sequence.
 * The class labels are the naive model's own predictions for half the steps, so the
 * per-step head has hits both before and after scored_from, and a count that included
 * the early steps would differ (checked to be so).
 * Tolerance: |fd - analytic| <= 1e-8 + 1e-6 |analytic| with step 1e-5 (central
 * differences in double are accurate to ~1e-10 here: truncation eps^2 f''' and roundoff
 * 1e-16 |L| / eps). relu cases are drawn again until every pre-activation is at least
 * 1e-3 from the kink, which a difference quotient must not straddle. Finally the checker
 * is shown to catch a gradient that is wrong by 1e-4 in a single entry. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fd_check.h"
#include "model.h"
#include "rng.h"

#ifndef SW_REAL_DOUBLE
#error "the gradient check needs the double-precision engine"
#endif

static const double RELU_MARGIN = 1e-3;
enum { I = 3, H = 4, B = 3, MAX_T = 20, MAX_C = 5 };

typedef struct {
    int layer, t, b, j;
    double delta;
} perturbation;

/* What the naive model reports besides its loss. */
typedef struct {
    double per_sample[B];
    int correct;     /* among the scored predictions */
    int correct_all; /* per-step head: among all steps */
    int pred[B * MAX_T]; /* arg max of each readout row, (B) or (B,T) */
    double relu_margin;  /* smallest |pre-activation| of a relu cell */
} naive_report;

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Softmax cross-entropy of C logits against `label`, and the first arg max. */
static double naive_ce(const double *z, int C, int label, int *argmax)
{
    double mx = z[0], sum = 0;
    *argmax = 0;
    for (int c = 1; c < C; c++)
        if (z[c] > mx) mx = z[c], *argmax = c;
    for (int c = 0; c < C; c++) sum += exp(z[c] - mx);
    return mx + log(sum) - z[label];
}

/* The batch-mean loss computed sample by sample, straight from the equations, with h_t of
 * (layer, t, b) shifted by `delta` in unit j. masks: engine layout (T,B,H) per layer and
 * (B,H) final ((T,B,H) for the per-step head), or NULL for none. */
static double naive_loss(const sw_model_shape *s, const sw_params *p, const double *x, int T,
                         const sw_targets *y, const sw_model_work *masks, const perturbation *pert,
                         naive_report *rep)
{
    int G = s->gates, C = s->outputs;
    double total = 0;
    double *seq_in = malloc((size_t)T * H * sizeof(double) + (size_t)T * I * sizeof(double));
    double *seq_out = malloc((size_t)T * H * sizeof(double));
    rep->correct = rep->correct_all = 0;
    rep->relu_margin = INFINITY;
    for (int b = 0; b < B; b++) {
        int in = I;
        for (int t = 0; t < T; t++)
            for (int i = 0; i < I; i++) seq_in[t * I + i] = x[((size_t)b * T + t) * I + i];
        for (int l = 0; l < s->layers; l++) {
            const sw_layer_params *lp = &p->layer[l];
            double h[H] = {0}, c[H] = {0};
            for (int t = 0; t < T; t++) {
                double gi[4 * H], gh[4 * H];
                for (int r = 0; r < G * H; r++) {
                    gi[r] = lp->b_ih[r];
                    gh[r] = lp->b_hh[r];
                    for (int k = 0; k < in; k++) gi[r] += lp->w_ih[r * in + k] * seq_in[t * in + k];
                    for (int k = 0; k < H; k++) gh[r] += lp->w_hh[r * H + k] * h[k];
                }
                for (int j = 0; j < H; j++) {
                    if (s->cell == SW_CELL_RNN && s->activation == SW_ACT_RELU) {
                        double pre = gi[j] + gh[j];
                        if (fabs(pre) < rep->relu_margin) rep->relu_margin = fabs(pre);
                        h[j] = pre > 0 ? pre : 0;
                    } else if (s->cell == SW_CELL_RNN) {
                        h[j] = tanh(gi[j] + gh[j]);
                    } else if (s->cell == SW_CELL_LSTM) {
                        double ig = sigmoid(gi[j] + gh[j]), fg = sigmoid(gi[H + j] + gh[H + j]);
                        double gg = tanh(gi[2 * H + j] + gh[2 * H + j]), og = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                        c[j] = fg * c[j] + ig * gg;
                        h[j] = og * tanh(c[j]);
                    }
                }
                if (s->cell == SW_CELL_GRU) {
                    double hn[H];
                    for (int j = 0; j < H; j++) {
                        double r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
                        double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                        hn[j] = (1 - z) * n + z * h[j];
                    }
                    memcpy(h, hn, sizeof h);
                }
                if (pert && pert->layer == l && pert->t == t && pert->b == b) h[pert->j] += pert->delta;
                for (int j = 0; j < H; j++) seq_out[t * H + j] = h[j];
            }
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++) {
                    double m = (masks && l < s->layers - 1) ? masks->mask[l][((size_t)t * B + b) * H + j] : 1.0;
                    seq_in[t * H + j] = seq_out[t * H + j] * m;
                }
            in = H;
        }

        /* The readout, at the last step or at every step, through the final mask. */
        int first = s->head == SW_TARGET_CLASS_STEPS ? 0 : T - 1;
        double loss = 0;
        for (int t = first; t < T; t++) {
            double z[MAX_C] = {0};
            for (int k = 0; k < C; k++) {
                z[k] = p->fc_b[k];
                for (int j = 0; j < H; j++) {
                    size_t mi = s->head == SW_TARGET_CLASS_STEPS ? ((size_t)t * B + b) * H + j : (size_t)b * H + j;
                    double m = masks ? masks->mask_final[mi] : 1.0;
                    z[k] += p->fc_w[k * H + j] * seq_out[t * H + j] * m;
                }
            }
            int argmax;
            if (s->head == SW_TARGET_VALUE_LAST) {
                for (int k = 0; k < C; k++) {
                    double e = z[k] - (double)y->values[b * C + k];
                    loss += e * e / C;
                }
            } else if (s->head == SW_TARGET_CLASS_LAST) {
                loss += naive_ce(z, C, y->labels[b], &argmax);
                rep->pred[b] = argmax;
                rep->correct += argmax == y->labels[b];
            } else {
                int label = y->labels[b * T + t];
                loss += naive_ce(z, C, label, &argmax) / T;
                rep->pred[b * T + t] = argmax;
                rep->correct_all += argmax == label;
                if (t >= s->scored_from) rep->correct += argmax == label;
            }
        }
        rep->per_sample[b] = loss;
        total += loss;
    }
    free(seq_in);
    free(seq_out);
    return total / B;
}

typedef struct {
    const char *name;
    sw_target_kind head;
    int outputs;
} head_case;

static const char *cell_label(sw_cell_kind cell, sw_activation_kind act)
{
    return cell == SW_CELL_RNN ? (act == SW_ACT_RELU ? "rnn relu" : "rnn tanh") : sw_cell_name(cell);
}

static void check_case(const head_case *hc, sw_cell_kind cell, sw_activation_kind act, int L, int T, int dropout)
{
    sw_model_shape s = {.cell = cell, .activation = act, .head = hc->head, .input = I, .hidden = H, .layers = L,
                        .gates = sw_cell_gates(cell), .outputs = hc->outputs,
                        .scored_from = hc->head == SW_TARGET_CLASS_STEPS ? T / 2 : 0};
    sw_model_config init = {.forget_bias = 0.5, .init = SW_INIT_XAVIER};
    size_t n = sw_param_count(&s);
    double *flat = calloc(2 * n, sizeof(double));
    sw_params params, grads;
    sw_params_bind(&params, flat, &s);
    sw_params_bind(&grads, flat + n, &s);
    double x[B * MAX_T * I];
    int32_t labels[B * MAX_T];
    float values[B * MAX_C];
    sw_targets targets = {labels, values};
    naive_report rep;
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &s, B, T, 1) == SW_OK, "work");
    char what[96];
    snprintf(what, sizeof what, "%s %s L=%d T=%d dropout=%d", hc->name, cell_label(cell, act), L, T, dropout);

    /* Draws until a relu cell keeps its margin (other cells take the first draw). */
    sw_rng rng;
    for (int attempt = 0;; attempt++) {
        sw_rng_init(&rng, 1000 + 100 * cell + 10 * L + T + 100000 * (uint64_t)attempt,
                    7 + 10 * (uint32_t)hc->head + 100 * (uint32_t)act);
        sw_model_init_params(&params, &s, &init, &rng);
        /* Non-zero biases, so their gradients are exercised away from the symmetric point. */
        for (int l = 0; l < L; l++)
            for (int r = 0; r < s.gates * H; r++) {
                params.layer[l].b_ih[r] = 0.3 * (sw_rng_uniform(&rng) - 0.5);
                params.layer[l].b_hh[r] = 0.3 * (sw_rng_uniform(&rng) - 0.5);
            }
        for (int i = 0; i < B * T * I; i++) x[i] = sw_rng_normal(&rng);
        for (int i = 0; i < B * hc->outputs; i++) values[i] = (float)sw_rng_normal(&rng);
        for (int i = 0; i < B * T; i++) labels[i] = 0;
        if (dropout) sw_model_sample_dropout(w, &rng, B, 0.3);
        naive_loss(&s, &params, x, T, &targets, dropout ? w : NULL, NULL, &rep);
        if (rep.relu_margin >= RELU_MARGIN) break;
        SW_ASSERT(attempt < 100);
    }
    /* Labels: the prediction for every other target, a random class for the rest. */
    int per_seq = hc->head == SW_TARGET_CLASS_STEPS ? T : 1;
    for (int i = 0; i < B * per_seq; i++)
        labels[i] = i % 2 ? (int32_t)sw_rng_below(&rng, (uint32_t)hc->outputs) : rep.pred[i];

    sw_model_load_input_real(w, x, B);
    sw_model_pack(w, &params);
    int correct = -1;
    double per_sample[B];
    double loss = sw_model_forward(w, &params, &targets, dropout, &correct, per_sample) / B;
    double naive = naive_loss(&s, &params, x, T, &targets, dropout ? w : NULL, NULL, &rep);
    CHECK(check_close(loss, naive, 1e-12, 1e-12), "%s: engine loss %.15g, naive %.15g", what, loss, naive);
    int ps_bad = 0;
    for (int b = 0; b < B; b++) ps_bad += !check_close(per_sample[b], rep.per_sample[b], 1e-12, 1e-12);
    CHECK(ps_bad == 0, "%s: %d per-sample losses differ from the naive model's", what, ps_bad);
    CHECK(correct == rep.correct, "%s: engine counts %d correct, naive %d", what, correct, rep.correct);
    if (hc->head == SW_TARGET_CLASS_STEPS && T > 1)
        CHECK(rep.correct_all > rep.correct, "%s: no hit before scored_from (%d, %d): the count test is void", what,
              rep.correct_all, rep.correct);
    sw_model_backward(w, &params, &grads, &targets, NULL);

    /* Parameters: central differences of the engine's forward. */
    double *fd = malloc(n * sizeof(double));
    fd_params(w, &params, flat, n, &targets, B, dropout, fd);
    size_t worst = 0;
    int bad = fd_mismatches(fd, flat + n, n, &worst);
    CHECK(bad == 0, "%s: %d of %zu parameter gradients off; worst #%zu fd %.12g analytic %.12g", what, bad, n, worst,
          fd[worst], flat[n + worst]);

    /* d loss / d h_t of every layer: perturb h_t in the naive model. */
    size_t nh = (size_t)L * T * B * H;
    double *fdh = malloc(nh * sizeof(double)), *ah = malloc(nh * sizeof(double));
    size_t k = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < H; j++, k++) {
                    perturbation up = {l, t, b, j, FD_STEP}, down = {l, t, b, j, -FD_STEP};
                    double lu = naive_loss(&s, &params, x, T, &targets, dropout ? w : NULL, &up, &rep);
                    double ld = naive_loss(&s, &params, x, T, &targets, dropout ? w : NULL, &down, &rep);
                    fdh[k] = (lu - ld) / (2 * FD_STEP);
                    ah[k] = w->dh_total[l][((size_t)t * B + b) * H + j];
                }
    bad = fd_mismatches(fdh, ah, nh, &worst);
    CHECK(bad == 0, "%s: %d of %zu dloss/dh_t off; worst #%zu fd %.12g analytic %.12g", what, bad, nh, worst,
          fdh[worst], ah[worst]);

    /* d loss / d x_t: perturb the input (fd_check.h). */
    size_t nx = (size_t)B * T * I;
    double *fdx = malloc(nx * sizeof(double)), *ax = malloc(nx * sizeof(double));
    fd_input_gradient(w, &params, &targets, x, B, T, I, dropout, fdx, ax);
    bad = fd_mismatches(fdx, ax, nx, &worst);
    CHECK(bad == 0, "%s: %d of %zu dloss/dx_t off; worst #%zu fd %.12g analytic %.12g", what, bad, nx, worst,
          fdx[worst], ax[worst]);

    /* The checker itself: one entry wrong by 1e-4 must be caught, in each kind. */
    if (L == 2 && T == 3 && !dropout) fd_self_check(what, fd, flat + n, n, fdh, ah, nh, "dloss/dh_t", fdx, ax, nx);
    free(fd), free(fdh), free(ah), free(fdx), free(ax), free(flat);
    sw_model_work_free(w);
}

int main(void)
{
    static const head_case heads[] = {
        {"class C=2", SW_TARGET_CLASS_LAST, 2},  {"class C=5", SW_TARGET_CLASS_LAST, 5},
        {"value K=1", SW_TARGET_VALUE_LAST, 1},  {"value K=3", SW_TARGET_VALUE_LAST, 3},
        {"steps C=4", SW_TARGET_CLASS_STEPS, 4},
    };
    static const struct {
        sw_cell_kind cell;
        sw_activation_kind act;
    } cells[] = {{SW_CELL_RNN, SW_ACT_TANH}, {SW_CELL_RNN, SW_ACT_RELU}, {SW_CELL_LSTM, SW_ACT_TANH},
                 {SW_CELL_GRU, SW_ACT_TANH}};
    static const int layers[] = {1, 2, 3}, lengths[] = {1, 3, 20};
    for (size_t h = 0; h < SW_ARRAY_LEN(heads); h++)
        for (size_t c = 0; c < SW_ARRAY_LEN(cells); c++)
            for (size_t li = 0; li < SW_ARRAY_LEN(layers); li++)
                for (size_t ti = 0; ti < SW_ARRAY_LEN(lengths); ti++)
                    for (int dropout = 0; dropout <= 1; dropout++)
                        check_case(&heads[h], cells[c].cell, cells[c].act, layers[li], lengths[ti], dropout);
    return check_report("engine gradient check");
}
