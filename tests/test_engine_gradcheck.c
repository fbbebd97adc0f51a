/* Finite-difference gradient check of the engine (double build).
 *
 * For cells rnn, lstm, gru, L in {1,2,3}, T in {1,3,20}, dropout off and with a fixed
 * dropout mask:
 *   - every parameter: central difference of the engine's own forward loss against the
 *     analytic gradient of sw_model_backward;
 *   - every d loss / d h_t of every layer: central difference of an independent, naive
 *     per-sample implementation of the model written below (which also has to agree
 *     with the engine's forward loss), perturbing h_t itself, against w->dh_total.
 * Tolerance: |fd - analytic| <= 1e-8 + 1e-6 |analytic| with step 1e-5 (central
 * differences in double are accurate to ~1e-10 here: truncation eps^2 f''' and roundoff
 * 1e-16 |L| / eps). Finally the checker is shown to catch a gradient that is wrong by
 * 1e-4 in a single entry. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "rng.h"

#ifndef SW_REAL_DOUBLE
#error "the gradient check needs the double-precision engine"
#endif

static const double FD_STEP = 1e-5, ATOL = 1e-8, RTOL = 1e-6;
enum { I = 3, H = 4, B = 3 };

typedef struct {
    int layer, t, b, j;
    double delta;
} perturbation;

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Mean cross-entropy computed sample by sample, straight from the equations, with h_t of
 * (layer, t, b) shifted by `delta` in unit j. masks: engine layout (T,B,H) per layer and
 * (B,H) final, or NULL for none. */
static double naive_loss(const sw_model_shape *s, const sw_params *p, const double *x, int T,
                         const int32_t *labels, const sw_model_work *masks, const perturbation *pert)
{
    int G = s->gates;
    double total = 0;
    double *seq_in = malloc((size_t)T * H * sizeof(double) + (size_t)T * I * sizeof(double));
    double *seq_out = malloc((size_t)T * H * sizeof(double));
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
                    if (s->cell == SW_CELL_RNN) {
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
        double z[2];
        for (int k = 0; k < 2; k++) {
            z[k] = p->fc_b[k];
            for (int j = 0; j < H; j++) {
                double m = masks ? masks->mask_final[(size_t)b * H + j] : 1.0;
                z[k] += p->fc_w[k * H + j] * seq_out[(T - 1) * H + j] * m;
            }
        }
        double mx = z[0] > z[1] ? z[0] : z[1];
        total += mx + log(exp(z[0] - mx) + exp(z[1] - mx)) - z[labels[b]];
    }
    free(seq_in);
    free(seq_out);
    return total / B;
}

/* Number of entries where fd and analytic disagree beyond the tolerance. */
static int count_mismatches(const double *fd, const double *analytic, size_t n, size_t *worst)
{
    int bad = 0;
    double worst_err = -1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(fd[i] - analytic[i]) - RTOL * fabs(analytic[i]);
        if (err > ATOL) bad++;
        if (err > worst_err) worst_err = err, *worst = i;
    }
    return bad;
}

static void check_case(sw_cell_kind cell, int L, int T, int dropout)
{
    sw_model_shape s = {.cell = cell, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST, .input = I,
                        .hidden = H, .layers = L, .gates = sw_cell_gates(cell), .outputs = 2};
    sw_model_config init = {.forget_bias = 0.5, .init = SW_INIT_XAVIER};
    size_t n = sw_param_count(&s);
    double *flat = calloc(2 * n, sizeof(double));
    sw_params params, grads;
    sw_params_bind(&params, flat, &s);
    sw_params_bind(&grads, flat + n, &s);
    sw_rng rng;
    sw_rng_init(&rng, 1000 + 100 * cell + 10 * L + T, 7);
    sw_model_init_params(&params, &s, &init, &rng);
    /* Non-zero biases, so their gradients are exercised away from the symmetric point. */
    for (int l = 0; l < L; l++)
        for (int r = 0; r < s.gates * H; r++) {
            params.layer[l].b_ih[r] = 0.3 * (sw_rng_uniform(&rng) - 0.5);
            params.layer[l].b_hh[r] = 0.3 * (sw_rng_uniform(&rng) - 0.5);
        }
    double x[B * 20 * I];
    int32_t labels[B];
    for (int i = 0; i < B * T * I; i++) x[i] = sw_rng_normal(&rng);
    for (int b = 0; b < B; b++) labels[b] = (int32_t)(sw_rng_u32(&rng) & 1);
    sw_targets targets = {labels, NULL};

    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &s, B, T, 1) == SW_OK, "work");
    sw_model_load_input_real(w, x, B);
    if (dropout) sw_model_sample_dropout(w, &rng, B, 0.3);
    sw_model_pack(w, &params);
    double loss = sw_model_forward(w, &params, &targets, dropout, NULL, NULL) / B;
    double naive = naive_loss(&s, &params, x, T, labels, dropout ? w : NULL, NULL);
    CHECK(check_close(loss, naive, 1e-12, 1e-12), "%s L=%d T=%d dropout=%d: engine loss %.15g, naive %.15g",
          sw_cell_name(cell), L, T, dropout, loss, naive);
    sw_model_backward(w, &params, &grads, &targets, NULL);

    /* Parameters: central differences of the engine's forward. */
    double *fd = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        double keep = flat[i];
        flat[i] = keep + FD_STEP;
        sw_model_pack(w, &params);
        double up = sw_model_forward(w, &params, &targets, dropout, NULL, NULL) / B;
        flat[i] = keep - FD_STEP;
        sw_model_pack(w, &params);
        double down = sw_model_forward(w, &params, &targets, dropout, NULL, NULL) / B;
        flat[i] = keep;
        fd[i] = (up - down) / (2 * FD_STEP);
    }
    sw_model_pack(w, &params);
    size_t worst = 0;
    int bad = count_mismatches(fd, flat + n, n, &worst);
    CHECK(bad == 0, "%s L=%d T=%d dropout=%d: %d of %zu parameter gradients off; worst #%zu fd %.12g analytic %.12g",
          sw_cell_name(cell), L, T, dropout, bad, n, worst, fd[worst], flat[n + worst]);

    /* d loss / d h_t of every layer: perturb h_t in the naive model. */
    size_t nh = (size_t)L * T * B * H;
    double *fdh = malloc(nh * sizeof(double)), *ah = malloc(nh * sizeof(double));
    size_t k = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < H; j++, k++) {
                    perturbation up = {l, t, b, j, FD_STEP}, down = {l, t, b, j, -FD_STEP};
                    double lu = naive_loss(&s, &params, x, T, labels, dropout ? w : NULL, &up);
                    double ld = naive_loss(&s, &params, x, T, labels, dropout ? w : NULL, &down);
                    fdh[k] = (lu - ld) / (2 * FD_STEP);
                    ah[k] = w->dh_total[l][((size_t)t * B + b) * H + j];
                }
    bad = count_mismatches(fdh, ah, nh, &worst);
    CHECK(bad == 0, "%s L=%d T=%d dropout=%d: %d of %zu dloss/dh_t off; worst #%zu fd %.12g analytic %.12g",
          sw_cell_name(cell), L, T, dropout, bad, nh, worst, fdh[worst], ah[worst]);

    /* The checker itself: one entry wrong by 1e-4 must be caught, in each kind. */
    if (L == 2 && T == 3 && !dropout) {
        flat[n + n / 2] += 1e-4;
        CHECK(count_mismatches(fd, flat + n, n, &worst) == 1, "a corrupted parameter gradient went unnoticed");
        flat[n + n / 2] -= 1e-4;
        ah[nh / 3] += 1e-4;
        CHECK(count_mismatches(fdh, ah, nh, &worst) == 1, "a corrupted dloss/dh_t went unnoticed");
    }
    free(fd), free(fdh), free(ah), free(flat);
    sw_model_work_free(w);
}

int main(void)
{
    static const int layers[] = {1, 2, 3}, lengths[] = {1, 3, 20};
    for (int cell = 0; cell < SW_CELL_COUNT; cell++)
        for (size_t li = 0; li < SW_ARRAY_LEN(layers); li++)
            for (size_t ti = 0; ti < SW_ARRAY_LEN(lengths); ti++)
                for (int dropout = 0; dropout <= 1; dropout++)
                    check_case((sw_cell_kind)cell, layers[li], lengths[ti], dropout);
    return check_report("engine gradient check");
}
