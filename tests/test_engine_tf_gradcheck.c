/* Finite-difference gradient check of the transformer cell (double build).
 *
 * For heads (a class at the last step, C = 3; K = 2 regression values; C = 4 classes at
 * every step), L in {1, 2}, T in {1, 4, 9} (and L = 1, T = 60: more than one of the
 * attention's 48-row query blocks), dropout off and with fixed masks (attention
 * weights, dropout1, the feed-forward block's, dropout2 and the readout's, p = 0.3):
 *   - the engine's forward loss and per-sample losses agree with an independent, naive
 *     per-sequence implementation written below from the equations (transformer.c's
 *     header), loop by loop;
 *   - every parameter: central difference of the engine's own forward loss against
 *     sw_model_backward's gradient, reported per operation (the embedding, the attention's
 *     in_proj and out_proj, i.e. attention and causal softmax, the feed-forward block's
 *     linear1 and linear2, the two layer norms, the readout), so a failure names the
 *     operation whose backward is wrong;
 *   - every d loss / d (layer output at t) (w->dh_total): central difference of the naive
 *     model, perturbing that output;
 *   - every d loss / d x_t (w->dx_total, through the embedding): central difference of the
 *     engine's forward, perturbing the input sequence.
 * Tolerance as test_engine_gradcheck.c: |fd - analytic| <= 1e-8 + 1e-6 |analytic|, step
 * 1e-5. Draws are repeated until every linear1 pre-activation is at least 1e-3 from relu's
 * kink. Finally the checker is shown to catch a gradient wrong by 1e-4 in one entry. */
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
enum { I = 3, D = 8, HEADS = 2, FF = 12, B = 3, MAX_T = 60, MAX_C = 4 };

typedef struct {
    int layer, t, b, j;
    double delta;
} perturbation;

static void layer_norm(double *out, const double *in, const double *w, const double *b)
{
    double mean = 0, var = 0;
    for (int j = 0; j < D; j++) mean += in[j];
    mean /= D;
    for (int j = 0; j < D; j++) var += (in[j] - mean) * (in[j] - mean);
    double rstd = 1 / sqrt(var / D + 1e-5);
    for (int j = 0; j < D; j++) out[j] = (in[j] - mean) * rstd * w[j] + b[j];
}

/* out (rows) = W (rows, cols) in + bias */
static void linear(double *out, const double *W, const double *bias, const double *in, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        double acc = bias[r];
        for (int c = 0; c < cols; c++) acc += W[(size_t)r * cols + c] * in[c];
        out[r] = acc;
    }
}

/* The batch-mean loss, sequence by sequence; the output of (layer, t, b) unit j shifted
 * by `delta`; dropout masks from w when `dropout`. per_sample may be NULL; *margin gets the
 * smallest |linear1 pre-activation|. */
static double naive_loss(const sw_model_shape *s, const sw_params *p, const double *x, int T, const sw_targets *y,
                         const sw_model_work *w, int dropout, const perturbation *pert, double *per_sample,
                         double *margin)
{
    int L = s->layers, C = s->outputs, dh = D / HEADS;
    static double cur[MAX_T][D], qkv[MAX_T][3 * D], o[MAX_T][D], a[MAX_T][D], r[MAX_T][D], y1[MAX_T][D];
    double total = 0;
    *margin = INFINITY;
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            linear(cur[t], p->embed_w, p->embed_b, x + ((size_t)b * T + t) * I, D, I);
            for (int j = 0; j < D; j++) {
                double angle = t / pow(10000.0, (double)(j - j % 2) / D);
                cur[t][j] += j % 2 ? cos(angle) : sin(angle);
            }
        }
        for (int l = 0; l < L; l++) {
            const sw_tf_layer_params *lp = &p->tf[l];
            for (int t = 0; t < T; t++) linear(qkv[t], lp->in_w, lp->in_b, cur[t], 3 * D, D);
            for (int h = 0; h < HEADS; h++)
                for (int t = 0; t < T; t++) {
                    double sc[MAX_T], mx = -INFINITY, sum = 0;
                    for (int u = 0; u <= t; u++) {
                        sc[u] = 0;
                        for (int j = 0; j < dh; j++) sc[u] += qkv[t][h * dh + j] * qkv[u][D + h * dh + j];
                        sc[u] /= sqrt((double)dh);
                        mx = fmax(mx, sc[u]);
                    }
                    for (int u = 0; u <= t; u++) sum += exp(sc[u] - mx);
                    for (int j = 0; j < dh; j++) o[t][h * dh + j] = 0;
                    for (int u = 0; u <= t; u++) {
                        double pw = exp(sc[u] - mx) / sum;
                        if (dropout)
                            pw *= w->tf->att_keep[l][(((size_t)b * HEADS + h) * T + t) * T + u] ? w->tf->keep_scale : 0;
                        for (int j = 0; j < dh; j++) o[t][h * dh + j] += pw * qkv[u][2 * D + h * dh + j];
                    }
                }
            for (int t = 0; t < T; t++) {
                size_t row = (size_t)t * B + b;
                linear(a[t], lp->out_w, lp->out_b, o[t], D, D);
                for (int j = 0; j < D; j++) r[t][j] = cur[t][j] + a[t][j] * (dropout ? w->tf->m1[l][row * D + j] : 1);
                layer_norm(y1[t], r[t], lp->n1_w, lp->n1_b);
                double f[FF], g[D];
                linear(f, lp->ff1_w, lp->ff1_b, y1[t], FF, D);
                for (int j = 0; j < FF; j++) {
                    *margin = fmin(*margin, fabs(f[j]));
                    f[j] = f[j] > 0 ? f[j] : 0;
                    if (dropout) f[j] *= w->tf->mf[l][row * FF + j];
                }
                linear(g, lp->ff2_w, lp->ff2_b, f, D, FF);
                for (int j = 0; j < D; j++) r[t][j] = y1[t][j] + g[j] * (dropout ? w->tf->m2[l][row * D + j] : 1);
                layer_norm(cur[t], r[t], lp->n2_w, lp->n2_b);
                if (pert && pert->layer == l && pert->t == t && pert->b == b) cur[t][pert->j] += pert->delta;
            }
        }
        /* The head. */
        double seq = 0;
        int steps = s->head == SW_TARGET_CLASS_STEPS ? T : 1;
        for (int k = 0; k < steps; k++) {
            int t = s->head == SW_TARGET_CLASS_STEPS ? k : T - 1;
            double feat[D], z[MAX_C];
            for (int j = 0; j < D; j++)
                feat[j] = cur[t][j] * (dropout ? w->mask_final[((size_t)k * B + b) * D + j] : 1);
            linear(z, p->fc_w, p->fc_b, feat, C, D);
            if (s->head == SW_TARGET_VALUE_LAST) {
                for (int c = 0; c < C; c++) seq += (z[c] - y->values[b * C + c]) * (z[c] - y->values[b * C + c]) / C;
            } else {
                int label = y->labels[s->head == SW_TARGET_CLASS_STEPS ? b * T + t : b];
                double mx = z[0], sum = 0;
                for (int c = 1; c < C; c++) mx = fmax(mx, z[c]);
                for (int c = 0; c < C; c++) sum += exp(z[c] - mx);
                seq += (mx + log(sum) - z[label]) / steps;
            }
        }
        if (per_sample) per_sample[b] = seq;
        total += seq;
    }
    return total / B;
}

/* The operation a tensor's gradient checks ("transformer/layers.0.linear1.weight" ->
 * "feed-forward"). */
static const char *operation(const char *name)
{
    if (strstr(name, "in_proj")) return "attention (in_proj, causal softmax)";
    if (strstr(name, "out_proj")) return "attention output (out_proj)";
    if (strstr(name, "linear")) return "feed-forward (linear1, relu, linear2)";
    if (strstr(name, "norm")) return "layer norm";
    if (strstr(name, "embed")) return "embedding";
    return "readout";
}

static void check_case(sw_target_kind head, int C, int L, int T, int dropout)
{
    sw_model_shape s = {.cell = SW_CELL_TRANSFORMER, .head = head, .input = I, .hidden = D, .layers = L,
                        .heads = HEADS, .ff = FF, .outputs = C, .scored_from = head == SW_TARGET_CLASS_STEPS ? T / 2 : 0};
    sw_model_config init = {.init = SW_INIT_XAVIER};
    size_t n = sw_param_count(&s);
    double *flat = calloc(2 * n, sizeof(double));
    sw_params params, grads;
    sw_params_bind(&params, flat, &s);
    sw_params_bind(&grads, flat + n, &s);
    double x[B * MAX_T * I], per_sample[B], naive_ps[B], margin;
    int32_t labels[B * MAX_T];
    float values[B * MAX_C];
    sw_targets targets = {labels, values};
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &s, B, T, 1) == SW_OK, "work");
    char what[96];
    snprintf(what, sizeof what, "transformer head %d C=%d L=%d T=%d dropout=%d", (int)head, C, L, T, dropout);

    sw_rng rng;
    for (int attempt = 0;; attempt++) {
        sw_rng_init(&rng, 5000 + 10 * L + T + 100000 * (uint64_t)attempt, 3 + (uint32_t)head);
        sw_model_init_params(&params, &s, &init, &rng);
        /* Every tensor away from its initial value: biases 0 and norm weights 1 would hide
         * terms of their gradients. */
        for (size_t i = 0; i < n; i++) flat[i] += 0.2 * (sw_rng_uniform(&rng) - 0.5);
        for (int i = 0; i < B * T * I; i++) x[i] = sw_rng_normal(&rng);
        for (int i = 0; i < B * C; i++) values[i] = (float)sw_rng_normal(&rng);
        for (int i = 0; i < B * T; i++) labels[i] = (int32_t)sw_rng_below(&rng, (uint32_t)C);
        if (dropout) sw_model_sample_dropout(w, &rng, B, 0.3);
        naive_loss(&s, &params, x, T, &targets, w, dropout, NULL, NULL, &margin);
        if (margin >= RELU_MARGIN) break;
        SW_ASSERT(attempt < 100);
    }
    sw_model_load_input_real(w, x, B);
    sw_model_pack(w, &params);
    double loss = sw_model_forward(w, &params, &targets, dropout, NULL, per_sample) / B;
    double naive = naive_loss(&s, &params, x, T, &targets, w, dropout, NULL, naive_ps, &margin);
    CHECK(check_close(loss, naive, 1e-12, 1e-12), "%s: engine loss %.15g, naive %.15g", what, loss, naive);
    int ps_bad = 0;
    for (int b = 0; b < B; b++) ps_bad += !check_close(per_sample[b], naive_ps[b], 1e-12, 1e-12);
    CHECK(ps_bad == 0, "%s: %d per-sample losses differ from the naive model's", what, ps_bad);
    sw_model_backward(w, &params, &grads, &targets, NULL);

    /* Parameters: central differences of the engine's forward, tensor by tensor. */
    double *fd = malloc(n * sizeof(double));
    fd_params(w, &params, flat, n, &targets, B, dropout, fd);
    size_t worst = 0;
    for (int k = 0; k < sw_tensor_count(&s); k++) {
        sw_tensor_info t = sw_tensor_describe(&s, k);
        int bad = fd_mismatches(fd + t.offset, flat + n + t.offset, t.count, &worst);
        CHECK(bad == 0, "%s: %s: %d of %zu gradients of %s off; worst #%zu fd %.12g analytic %.12g", what,
              operation(t.name), bad, t.count, t.name, worst, fd[t.offset + worst], flat[n + t.offset + worst]);
    }

    /* d loss / d (layer output at t): perturb it in the naive model. */
    size_t nh = (size_t)L * T * B * D;
    double *fdh = malloc(nh * sizeof(double)), *ah = malloc(nh * sizeof(double));
    size_t k = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < D; j++, k++) {
                    perturbation up = {l, t, b, j, FD_STEP}, down = {l, t, b, j, -FD_STEP};
                    double lu = naive_loss(&s, &params, x, T, &targets, w, dropout, &up, NULL, &margin);
                    double ld = naive_loss(&s, &params, x, T, &targets, w, dropout, &down, NULL, &margin);
                    fdh[k] = (lu - ld) / (2 * FD_STEP);
                    ah[k] = w->dh_total[l][((size_t)t * B + b) * D + j];
                }
    int bad = fd_mismatches(fdh, ah, nh, &worst);
    CHECK(bad == 0, "%s: %d of %zu dloss/d(layer output) off; worst #%zu fd %.12g analytic %.12g", what, bad, nh,
          worst, fdh[worst], ah[worst]);

    /* d loss / d x_t: perturb the input (fd_check.h). */
    size_t nx = (size_t)B * T * I;
    double *fdx = malloc(nx * sizeof(double)), *ax = malloc(nx * sizeof(double));
    fd_input_gradient(w, &params, &targets, x, B, T, I, dropout, fdx, ax);
    bad = fd_mismatches(fdx, ax, nx, &worst);
    CHECK(bad == 0, "%s: %d of %zu dloss/dx_t off; worst #%zu fd %.12g analytic %.12g", what, bad, nx, worst,
          fdx[worst], ax[worst]);

    /* the checker catches one wrong entry */
    if (L == 2 && T == 4 && !dropout) fd_self_check(what, fd, flat + n, n, fdh, ah, nh, "dloss/dh", fdx, ax, nx);
    free(fd), free(fdh), free(ah), free(fdx), free(ax), free(flat);
    sw_model_work_free(w);
}

int main(void)
{
    static const struct {
        sw_target_kind head;
        int outputs;
    } heads[] = {{SW_TARGET_CLASS_LAST, 3}, {SW_TARGET_VALUE_LAST, 2}, {SW_TARGET_CLASS_STEPS, 4}};
    static const int lengths[] = {1, 4, 9};
    for (size_t h = 0; h < SW_ARRAY_LEN(heads); h++)
        for (int L = 1; L <= 2; L++)
            for (size_t t = 0; t < SW_ARRAY_LEN(lengths); t++)
                for (int dropout = 0; dropout <= 1; dropout++)
                    check_case(heads[h].head, heads[h].outputs, L, lengths[t], dropout);
    for (int dropout = 0; dropout <= 1; dropout++) check_case(SW_TARGET_CLASS_STEPS, 4, 1, 60, dropout);
    return check_report("engine transformer gradcheck");
}
