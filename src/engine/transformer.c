/* transformer.c: the transformer cell's layers, forward and backward (see transformer.h).
 *
 * Equations (PyTorch's TransformerEncoderLayer, norm_first=False, relu; d = H, A heads of
 * dh = d / A units, F = ff), for layer input x (T,d) of one sequence:
 *   q | k | v = x W_in^T + b_in                               (T,3d)
 *   per head: P = softmax_causal(q_h k_h^T / sqrt(dh)),  o_h = drop(P) v_h
 *   r1 = x + drop1(o W_out^T + b_out),                       y1 = norm1(r1)
 *   r2 = y1 + drop2(drop(relu(y1 W_1^T + b_1)) W_2^T + b_2), out = norm2(r2)
 * norm(r) = (r - mean) / sqrt(var + 1e-5) * w + b over the d values of a row (var biased),
 * softmax_causal: row t over the columns s <= t (the others are 0).
 * Layer 0's input is embed(x) + PE.
 *
 * Layout is time-major like the recurrent stack's: row r = t*B + b of (T,B,.) arrays.
 * Row-wise work (projections, norms, the feed-forward block) takes rows [r0, r1) of the
 * T*B per thread; the attention takes whole sequences [b0, b1), one (sequence, head) at a
 * time, gathered into the thread's scratch; weight gradients take output columns. Every
 * value is computed by one thread in one fixed order, so results do not depend on the
 * thread count (as model.c's passes). Every product goes through kernels.h. */
#include "transformer.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dropout.h"
#include "kernels.h"
#include "optim.h"
#include "rng.h"

#define LN_EPS 1e-5

#ifdef SW_REAL_DOUBLE
#define SW_EXP exp
#else
#define SW_EXP expf
#endif

/* ---- tensors ---------------------------------------------------------------------- */

static const char *const layer_tensor_names[12] = {
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
};

void sw_tf_tensor(const sw_model_shape *s, int index, char *name, size_t namelen, int *rows, int *cols)
{
    SW_ASSERT(index >= 0 && index < 2 + 12 * s->layers);
    int d = s->hidden, F = s->ff;
    if (index < 2) {
        snprintf(name, namelen, "embed/%s", index == 0 ? "weight" : "bias");
        *rows = d;
        *cols = index == 0 ? s->input : 0;
        return;
    }
    int l = (index - 2) / 12, k = (index - 2) % 12;
    snprintf(name, namelen, "transformer/layers.%d.%s", l, layer_tensor_names[k]);
    static const int rows_in_d[12] = {3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}; /* 0: F rows */
    *rows = rows_in_d[k] ? rows_in_d[k] * d : F;
    switch (k) {
    case 0: case 2: case 4: *cols = d; break;
    case 6: *cols = F; break;
    default: *cols = 0;
    }
}

sw_real **sw_tf_slot(sw_params *p, int index)
{
    if (index == 0) return &p->embed_w;
    if (index == 1) return &p->embed_b;
    sw_tf_layer_params *t = &p->tf[(index - 2) / 12];
    sw_real **slots[12] = {&t->in_w, &t->in_b, &t->out_w, &t->out_b, &t->ff1_w, &t->ff1_b,
                           &t->ff2_w, &t->ff2_b, &t->n1_w, &t->n1_b, &t->n2_w, &t->n2_b};
    return slots[(index - 2) % 12];
}

static void fill_uniform(sw_real *x, size_t n, double bound, sw_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)((2.0 * sw_rng_uniform(rng) - 1.0) * bound);
}

static void fill_value(sw_real *x, size_t n, sw_real v)
{
    for (size_t i = 0; i < n; i++) x[i] = v;
}

/* Each layer is drawn on its own (PyTorch's TransformerEncoder would start its layers as
 * copies of one). */
void sw_tf_init_params(const sw_params *p, const sw_model_shape *s, sw_rng *rng)
{
    size_t d = (size_t)s->hidden, F = (size_t)s->ff, I = (size_t)s->input;
    fill_uniform(p->embed_w, d * I, 1.0 / sqrt((double)I), rng);
    fill_uniform(p->embed_b, d, 1.0 / sqrt((double)I), rng);
    for (int l = 0; l < s->layers; l++) {
        const sw_tf_layer_params *t = &p->tf[l];
        fill_uniform(t->in_w, 3 * d * d, sqrt(6.0 / (double)(d + 3 * d)), rng);
        fill_value(t->in_b, 3 * d, 0);
        fill_uniform(t->out_w, d * d, 1.0 / sqrt((double)d), rng);
        fill_value(t->out_b, d, 0);
        fill_uniform(t->ff1_w, F * d, 1.0 / sqrt((double)d), rng);
        fill_uniform(t->ff1_b, F, 1.0 / sqrt((double)d), rng);
        fill_uniform(t->ff2_w, d * F, 1.0 / sqrt((double)F), rng);
        fill_uniform(t->ff2_b, d, 1.0 / sqrt((double)F), rng);
        fill_value(t->n1_w, d, 1), fill_value(t->n1_b, d, 0);
        fill_value(t->n2_w, d, 1), fill_value(t->n2_b, d, 0);
    }
}

/* ---- benchmark ---------------------------------------------------------------------- */

const char *sw_tf_product_name(sw_tf_product kind)
{
    static const char *const names[SW_TF_PRODUCTS] = {
        "embed", "in", "qk", "av", "out", "ff", "ff_dx", "ff_dw", "out_dx", "out_dw",
        "dp", "dv", "dq", "dk", "in_dx", "in_dw", "embed_dw",
    };
    return kind >= 0 && kind < SW_TF_PRODUCTS ? names[kind] : "?";
}

void sw_tf_profile(sw_model_work *w, unsigned kinds, double *fmas)
{
    w->tf->only = kinds;
    w->tf->fmas = fmas;
}

/* Whether product `kind`, R K N multiply-adds, runs: always, unless the benchmark chose
 * some (sw_tf_profile); then it is counted. */
static inline int product(sw_tf_work *tf, sw_tf_product kind, int R, int K, int N)
{
    if (!tf->only) return 1;
    if (!(tf->only >> kind & 1u)) return 0;
    tf->fmas[kind] += (double)R * K * N;
    return 1;
}

/* Whether the work besides the products runs: always, but in the benchmark's passes. */
#define OTHERS(tf) (!(tf)->only)

/* ---- work area -------------------------------------------------------------------- */

static sw_real *carve(char *base, size_t *used, size_t n)
{
    return sw_carve(base, used, n <= SIZE_MAX / sizeof(sw_real) ? n * sizeof(sw_real) : SIZE_MAX);
}

/* Values rounded up to whole 64-byte lines, so the scratch's pieces stay aligned. */
static size_t lines(size_t n) { return (n + 15) & ~(size_t)15; }

/* The attention takes query rows in blocks of QB: block [r0, r1) needs the keys [0, r1)
 * only (the causal mask), so the (T,T) products are done as (QB, r1) ones and about half
 * of their work, and of the softmax's, is never done. A multiple of the kernels' MR = 6.
 * Within a block, the products whose output or inner index is the key (q k^T, P v and,
 * backward, dO v^T and dS k) go by strips of STRIP rows (one row of the kernels' tiles),
 * strip [i, i + STRIP) over the keys [0, r0 + i + STRIP) only: the diagonal block's upper
 * part, zeros, is left out too but for the strips' own. The weight-gradient-like products
 * (P^T dO, dS^T q) sum over the block's rows and take it whole. Their operands (k^T, v^T,
 * v, k) are packed once per (sequence, head): a block's or strip's are leading parts. */
#define QB 48
#define STRIP 6

/* One (sequence, head) of attention: q, k, v, o or dO, dq, dk, dv (T,dh) each, packed
 * (dh, T) and (T, dh) operands and two (QB, T) blocks. */
static size_t scratch_values(size_t T, size_t dh)
{
    return 7 * lines(T * dh) + lines(sw_packed_size((int)dh, (int)T)) + 2 * lines(QB * T) +
           lines(sw_packed_size((int)T, (int)dh));
}

void sw_tf_layout(sw_model_work *w, char *base, size_t *used)
{
    const sw_model_shape *s = &w->shape;
    size_t T = (size_t)w->seq_len, B = (size_t)w->max_batch, d = (size_t)s->hidden, F = (size_t)s->ff;
    size_t I = (size_t)s->input, A = (size_t)s->heads, rows = T * B;
    sw_tf_work counting, *tf = (sw_tf_work *)carve(base, used, (sizeof(sw_tf_work) + sizeof(sw_real) - 1) / sizeof(sw_real));
    if (!tf) tf = &counting;
    int threads = omp_get_max_threads();
    tf->max_threads = threads < 1 ? 1 : threads > SW_TF_MAX_THREADS ? SW_TF_MAX_THREADS : threads;
    for (int l = 0; l < s->layers; l++) {
        tf->in_w_t[l] = carve(base, used, sw_packed_size((int)d, (int)(3 * d)));
        tf->out_w_t[l] = carve(base, used, sw_packed_size((int)d, (int)d));
        tf->ff1_w_t[l] = carve(base, used, sw_packed_size((int)d, (int)F));
        tf->ff2_w_t[l] = carve(base, used, sw_packed_size((int)F, (int)d));
        tf->in_w_p[l] = carve(base, used, sw_packed_size((int)(3 * d), (int)d));
        tf->out_w_p[l] = carve(base, used, sw_packed_size((int)d, (int)d));
        tf->ff1_w_p[l] = carve(base, used, sw_packed_size((int)F, (int)d));
        tf->ff2_w_p[l] = carve(base, used, sw_packed_size((int)d, (int)F));
        tf->qkv[l] = carve(base, used, rows * 3 * d);
        tf->att[l] = carve(base, used, B * A * T * T);
        tf->att_keep[l] = (unsigned char *)carve(base, used, (B * A * T * T + sizeof(sw_real) - 1) / sizeof(sw_real));
        tf->ctx[l] = carve(base, used, rows * d);
        tf->res1[l] = carve(base, used, rows * d);
        tf->y1[l] = carve(base, used, rows * d);
        tf->f[l] = carve(base, used, rows * F);
        tf->fd[l] = carve(base, used, rows * F);
        tf->res2[l] = carve(base, used, rows * d);
        tf->stats[l] = carve(base, used, rows * 4);
        tf->m1[l] = carve(base, used, rows * d);
        tf->mf[l] = carve(base, used, rows * F);
        tf->m2[l] = carve(base, used, rows * d);
    }
    tf->embed_w_t = carve(base, used, sw_packed_size((int)I, (int)d));
    tf->pe = carve(base, used, T * d);
    tf->emb = carve(base, used, rows * d);
    tf->dr2 = carve(base, used, rows * d);
    tf->dg = carve(base, used, rows * d);
    tf->dff = carve(base, used, rows * F);
    tf->dy = carve(base, used, rows * d);
    tf->dr1 = carve(base, used, rows * d);
    tf->da = carve(base, used, rows * d);
    tf->dctx = carve(base, used, rows * d);
    tf->dqkv = carve(base, used, rows * 3 * d);
    tf->dw = carve(base, used, d * 3 * d);
    tf->scratch_per_thread = scratch_values(T, d / A);
    tf->scratch = carve(base, used, tf->scratch_per_thread * (size_t)tf->max_threads);
    tf->keep_scale = 1;
    tf->only = 0;
    tf->fmas = NULL;
    w->tf = base ? tf : NULL;
}

/* PE[t,2i] = sin(t / 10000^(2i/d)), PE[t,2i+1] = cos(the same angle). */
static void fill_positions(sw_real *pe, int T, int d)
{
    for (int t = 0; t < T; t++)
        for (int j = 0; j < d; j++) {
            double angle = t / pow(10000.0, (double)(j - j % 2) / d);
            pe[(size_t)t * d + j] = (sw_real)(j % 2 ? cos(angle) : sin(angle));
        }
}

void sw_tf_pack(sw_model_work *w, const sw_params *p)
{
    const sw_model_shape *s = &w->shape;
    sw_tf_work *tf = w->tf;
    int d = s->hidden, F = s->ff;
    if (!tf->pe_ready) fill_positions(tf->pe, w->seq_len, d), tf->pe_ready = 1;
    sw_pack_transposed(tf->embed_w_t, p->embed_w, s->input, d);
    for (int l = 0; l < s->layers; l++) {
        const sw_tf_layer_params *t = &p->tf[l];
        sw_pack_transposed(tf->in_w_t[l], t->in_w, d, 3 * d);
        sw_pack_transposed(tf->out_w_t[l], t->out_w, d, d);
        sw_pack_transposed(tf->ff1_w_t[l], t->ff1_w, d, F);
        sw_pack_transposed(tf->ff2_w_t[l], t->ff2_w, F, d);
        sw_pack(tf->in_w_p[l], t->in_w, 3 * d, d);
        sw_pack(tf->out_w_p[l], t->out_w, d, d);
        sw_pack(tf->ff1_w_p[l], t->ff1_w, F, d);
        sw_pack(tf->ff2_w_p[l], t->ff2_w, d, F);
    }
}

/* As model.c's masks: one 32-bit draw per element, kept when >= threshold. */
/* Per layer: the attention weights' (B,A,T,T), dropout1's, the feed-forward block's and
 * dropout2's masks, in that order. Attention weights above the diagonal are 0 whatever
 * the mask: only row t's first t+1 entries are drawn (the rest are 0). */
void sw_tf_sample_dropout(sw_model_work *w, sw_rng *rng, int B, double p)
{
    const sw_model_shape *s = &w->shape;
    size_t T = (size_t)w->seq_len, rows = T * (size_t)B, d = (size_t)s->hidden, F = (size_t)s->ff;
    sw_real keep = sw_dropout_keep_scale(p);
    uint64_t threshold = sw_dropout_threshold(p);
    w->tf->keep_scale = keep;
    for (int l = 0; l < s->layers; l++) {
        for (size_t row = 0; row < (size_t)B * s->heads * T; row++) {
            size_t t = row % T;
            unsigned char *keep_row = w->tf->att_keep[l] + row * T;
            sw_dropout_fill_keep(keep_row, t + 1, rng, threshold);
            memset(keep_row + t + 1, 0, T - t - 1);
        }
        sw_dropout_fill(w->tf->m1[l], rows * d, rng, threshold, keep);
        sw_dropout_fill(w->tf->mf[l], rows * F, rng, threshold, keep);
        sw_dropout_fill(w->tf->m2[l], rows * d, rng, threshold, keep);
    }
}

/* ---- forward ---------------------------------------------------------------------- */

/* [*lo, *hi) of part k of n of count items. */
static void share(int count, int k, int n, int *lo, int *hi)
{
    int each = count / n, extra = count % n;
    *lo = k * each + (k < extra ? k : extra);
    *hi = *lo + each + (k < extra);
}

/* Rows [r0, r1) of out = norm(in) (d values a row); stats (stride 4) get mean and 1/std. */
static void layer_norm_forward(sw_real *restrict out, sw_real *restrict stats, const sw_real *restrict in,
                               const sw_real *restrict wt, const sw_real *restrict bias, int d, int r0, int r1)
{
    for (int r = r0; r < r1; r++) {
        const sw_real *x = in + (size_t)r * d;
        double mean = 0, var = 0;
        for (int j = 0; j < d; j++) mean += x[j];
        mean /= d;
        for (int j = 0; j < d; j++) var += (x[j] - mean) * (x[j] - mean);
        double rstd = 1.0 / sqrt(var / d + LN_EPS);
        stats[(size_t)r * 4] = (sw_real)mean;
        stats[(size_t)r * 4 + 1] = (sw_real)rstd;
        sw_real m = (sw_real)mean, rs = (sw_real)rstd, *o = out + (size_t)r * d;
        for (int j = 0; j < d; j++) o[j] = (x[j] - m) * rs * wt[j] + bias[j];
    }
}

/* Row t of the (T,T) scores s: softmax over columns 0..t into p, 0 beyond. */
static void causal_softmax_row(sw_real *restrict p, const sw_real *restrict s, int t, int T)
{
    sw_real m = s[0];
    for (int j = 1; j <= t; j++) m = s[j] > m ? s[j] : m;
    double sum = 0;
    for (int j = 0; j <= t; j++) {
        p[j] = SW_EXP(s[j] - m);
        sum += p[j];
    }
    sw_real inv = (sw_real)(1.0 / sum);
    for (int j = 0; j <= t; j++) p[j] *= inv;
    for (int j = t + 1; j < T; j++) p[j] = 0;
}

/* Sequence b's attention in layer l: every head's weights into att (zeros above the
 * diagonal included) and its output into ctx, through the thread's scratch. */
static void attention_forward(sw_model_work *w, int l, int b, sw_real *scratch)
{
    const sw_model_shape *s = &w->shape;
    sw_tf_work *tf = w->tf;
    int T = w->seq_len, B = w->batch, d = s->hidden, A = s->heads, dh = d / A;
    size_t piece = lines((size_t)T * dh), d3 = 3 * (size_t)d;
    sw_real *q = scratch, *k = q + piece, *v = k + piece, *o = v + piece, *kp = scratch + 7 * piece;
    sw_real *blk = kp + lines(sw_packed_size(dh, T)), *vpk = blk + 2 * lines(QB * (size_t)T);
    sw_real scale = (sw_real)(1.0 / sqrt((double)dh));
    for (int h = 0; h < A; h++) {
        for (int t = 0; t < T && OTHERS(tf); t++) {
            const sw_real *row = tf->qkv[l] + ((size_t)t * B + b) * d3 + (size_t)h * dh;
            for (int j = 0; j < dh; j++) {
                q[(size_t)t * dh + j] = row[j] * scale;
                k[(size_t)t * dh + j] = row[d + j];
                v[(size_t)t * dh + j] = row[2 * d + j];
            }
        }
        sw_real *p = tf->att[l] + ((size_t)b * A + h) * T * T;
        const unsigned char *keep = tf->att_keep[l] + ((size_t)b * A + h) * T * T;
        /* k^T (dh,T) packed once; a block's keys 0..N-1 are its first N columns. */
        if (product(tf, SW_TF_QK, 0, 0, 0)) sw_pack_transposed(kp, k, dh, T);
        if (product(tf, SW_TF_AV, 0, 0, 0)) sw_pack(vpk, v, T, dh); /* v (T,dh) */
        for (int r0 = 0; r0 < T; r0 += QB) {
            int r1 = r0 + QB < T ? r0 + QB : T, R = r1 - r0, N = r1;
            for (int i = 0; i < R; i += STRIP) { /* scores (R,N), row stride N; in strips */
                int m = R - i < STRIP ? R - i : STRIP, Ns = r0 + i + m;
                if (product(tf, SW_TF_QK, m, dh, Ns))
                    sw_matmul_packed_sub(blk + (size_t)i * N, (size_t)N, q + (size_t)(r0 + i) * dh, (size_t)dh, kp, dh,
                                         m, dh, Ns, 0);
            }
            for (int i = 0; i < R && OTHERS(tf); i++) {
                int t = r0 + i;
                sw_real *pr = p + (size_t)t * T, *br = blk + (size_t)i * N;
                causal_softmax_row(pr, br, t, T);
                /* The block becomes the weights the values are mixed with (dropped in training). */
                if (w->train)
                    for (int j = 0; j < N; j++) br[j] = keep[(size_t)t * T + j] ? pr[j] * tf->keep_scale : 0;
                else
                    memcpy(br, pr, (size_t)N * sizeof(sw_real));
            }
            for (int i = 0; i < R; i += STRIP) { /* o (R,dh) */
                int m = R - i < STRIP ? R - i : STRIP, Ns = r0 + i + m;
                if (product(tf, SW_TF_AV, m, Ns, dh))
                    sw_matmul_packed_sub(o + (size_t)(r0 + i) * dh, (size_t)dh, blk + (size_t)i * N, (size_t)N, vpk, T,
                                         m, Ns, dh, 0);
            }
        }
        for (int t = 0; t < T && OTHERS(tf); t++)
            memcpy(tf->ctx[l] + ((size_t)t * B + b) * d + (size_t)h * dh, o + (size_t)t * dh, (size_t)dh * sizeof(sw_real));
    }
}

/* branch = skip + (mask ? branch * mask : branch), elements [i0, i1): a residual sum, in
 * place of the branch's output. */
static void residual(sw_real *restrict branch, const sw_real *restrict skip, const sw_real *restrict mask,
                     size_t i0, size_t i1)
{
    if (mask)
        for (size_t i = i0; i < i1; i++) branch[i] = skip[i] + branch[i] * mask[i];
    else
        for (size_t i = i0; i < i1; i++) branch[i] = skip[i] + branch[i];
}

void sw_tf_forward_layers(sw_model_work *w, const sw_params *p, int k, int n)
{
    const sw_model_shape *s = &w->shape;
    sw_tf_work *tf = w->tf;
    int T = w->seq_len, B = w->batch, d = s->hidden, F = s->ff, I = s->input, r0, r1, b0, b1;
    share(T * B, k, n, &r0, &r1);
    share(B, k, n, &b0, &b1);
    int R = r1 - r0;
    size_t e0 = (size_t)r0 * d, e1 = (size_t)r1 * d;
    sw_real *scratch = tf->scratch + (size_t)k * tf->scratch_per_thread;

    if (product(tf, SW_TF_EMBED, R, I, d))
        sw_matmul_packed(tf->emb + e0, w->x + (size_t)r0 * I, tf->embed_w_t, p->embed_b, R, I, d, 0, 0); // (T,B,d)
    for (int r = r0; r < r1 && OTHERS(tf); r++) {
        const sw_real *pe = tf->pe + (size_t)(r / B) * d;
        sw_real *e = tf->emb + (size_t)r * d;
        for (int j = 0; j < d; j++) e[j] += pe[j];
    }
    for (int l = 0; l < s->layers; l++) {
        const sw_tf_layer_params *lp = &p->tf[l];
        const sw_real *xin = l == 0 ? tf->emb : w->h[l - 1];
        if (product(tf, SW_TF_IN, R, d, 3 * d))
            sw_matmul_packed(tf->qkv[l] + (size_t)r0 * 3 * d, xin + e0, tf->in_w_t[l], lp->in_b, R, d, 3 * d, 0, 0); // (T,B,3d)
#pragma omp barrier
        for (int b = b0; b < b1; b++) attention_forward(w, l, b, scratch); // ctx (T,B,d), att (B,A,T,T)
#pragma omp barrier
        sw_real *res1 = tf->res1[l], *res2 = tf->res2[l];
        if (product(tf, SW_TF_OUT, R, d, d))
            sw_matmul_packed(res1 + e0, tf->ctx[l] + e0, tf->out_w_t[l], lp->out_b, R, d, d, 0, 0);
        if (OTHERS(tf)) {
            residual(res1, xin, w->train ? tf->m1[l] : NULL, e0, e1); // (T,B,d)
            layer_norm_forward(tf->y1[l], tf->stats[l], res1, lp->n1_w, lp->n1_b, d, r0, r1);
        }
        sw_real *f = tf->f[l];
        size_t f0 = (size_t)r0 * F, f1 = (size_t)r1 * F;
        if (product(tf, SW_TF_FF, R, d, F))
            sw_matmul_packed(f + f0, tf->y1[l] + e0, tf->ff1_w_t[l], lp->ff1_b, R, d, F, 0, 0); // (T,B,F)
        if (OTHERS(tf))
            for (size_t i = f0; i < f1; i++) f[i] = f[i] > 0 ? f[i] : 0;
        const sw_real *fin = f;
        if (w->train) {
            if (OTHERS(tf))
                for (size_t i = f0; i < f1; i++) tf->fd[l][i] = f[i] * tf->mf[l][i];
            fin = tf->fd[l];
        }
        if (product(tf, SW_TF_FF, R, F, d))
            sw_matmul_packed(res2 + e0, fin + f0, tf->ff2_w_t[l], lp->ff2_b, R, F, d, 0, 0);
        if (OTHERS(tf)) {
            residual(res2, tf->y1[l], w->train ? tf->m2[l] : NULL, e0, e1); // (T,B,d)
            layer_norm_forward(w->h[l], tf->stats[l] + 2, res2, lp->n2_w, lp->n2_b, d, r0, r1);
        }
        /* The next layer's projections read these rows only: no barrier until its attention. */
    }
}

/* ---- backward --------------------------------------------------------------------- */

/* Rows [r0, r1) of dx = d loss / d norm's input from dy = d loss / d its output. */
static void layer_norm_backward(sw_real *restrict dx, const sw_real *restrict dy, const sw_real *restrict in,
                                const sw_real *restrict stats, const sw_real *restrict wt, int d, int r0, int r1)
{
    for (int r = r0; r < r1; r++) {
        const sw_real *x = in + (size_t)r * d, *g = dy + (size_t)r * d;
        sw_real mean = stats[(size_t)r * 4], rstd = stats[(size_t)r * 4 + 1];
        double sum = 0, sum_xhat = 0;
        for (int j = 0; j < d; j++) {
            sw_real dxhat = g[j] * wt[j];
            sum += dxhat;
            sum_xhat += dxhat * ((x[j] - mean) * rstd);
        }
        sw_real m1 = (sw_real)(sum / d), m2 = (sw_real)(sum_xhat / d), *o = dx + (size_t)r * d;
        for (int j = 0; j < d; j++) o[j] = rstd * (g[j] * wt[j] - m1 - (x[j] - mean) * rstd * m2);
    }
}

/* Columns [c0, c1) of a norm's weight and bias gradients, summed over rows 0..rows-1. */
static void layer_norm_param_grads(sw_real *restrict gw, sw_real *restrict gb, const sw_real *restrict dy,
                                   const sw_real *restrict in, const sw_real *restrict stats, int d, int rows,
                                   int c0, int c1)
{
    for (int r = 0; r < rows; r++) {
        const sw_real *x = in + (size_t)r * d, *g = dy + (size_t)r * d;
        sw_real mean = stats[(size_t)r * 4], rstd = stats[(size_t)r * 4 + 1];
        for (int j = c0; j < c1; j++) {
            gw[j] += g[j] * ((x[j] - mean) * rstd);
            gb[j] += g[j];
        }
    }
}

/* Sequence b's attention backward in layer l: from dctx, every head's d loss / d q, k, v
 * into dqkv, query block by query block as forward. */
static void attention_backward(sw_model_work *w, int l, int b, sw_real *scratch)
{
    const sw_model_shape *s = &w->shape;
    sw_tf_work *tf = w->tf;
    int T = w->seq_len, B = w->batch, d = s->hidden, A = s->heads, dh = d / A;
    size_t piece = lines((size_t)T * dh), d3 = 3 * (size_t)d, TT = (size_t)T * T;
    sw_real *q = scratch, *kk = q + piece, *v = kk + piece, *dout = v + piece, *dq = dout + piece, *dk = dq + piece,
            *dv = dk + piece, *vp = scratch + 7 * piece;
    sw_real *weights = vp + lines(sw_packed_size(dh, T)), *g = weights + lines(QB * (size_t)T);
    sw_real *kpk = g + lines(QB * (size_t)T);
    sw_real scale = (sw_real)(1.0 / sqrt((double)dh));
    for (int h = 0; h < A; h++) {
        for (int t = 0; t < T && OTHERS(tf); t++) {
            size_t r = (size_t)t * B + b;
            const sw_real *row = tf->qkv[l] + r * d3 + (size_t)h * dh;
            for (int j = 0; j < dh; j++) {
                q[(size_t)t * dh + j] = row[j] * scale;
                kk[(size_t)t * dh + j] = row[d + j];
                v[(size_t)t * dh + j] = row[2 * d + j];
            }
            memcpy(dout + (size_t)t * dh, tf->dctx + r * d + (size_t)h * dh, (size_t)dh * sizeof(sw_real));
        }
        const sw_real *p = tf->att[l] + ((size_t)b * A + h) * TT;
        const unsigned char *keep = tf->att_keep[l] + ((size_t)b * A + h) * TT;
        if (OTHERS(tf)) {
            memset(dk, 0, (size_t)T * dh * sizeof(sw_real));
            memset(dv, 0, (size_t)T * dh * sizeof(sw_real));
        }
        if (product(tf, SW_TF_DP, 0, 0, 0)) sw_pack_transposed(vp, v, dh, T); /* v^T (dh,T), as k^T forward */
        if (product(tf, SW_TF_DQ, 0, 0, 0)) sw_pack(kpk, kk, T, dh);          /* k (T,dh) */
        for (int r0 = 0; r0 < T; r0 += QB) {
            int r1 = r0 + QB < T ? r0 + QB : T, R = r1 - r0, N = r1;
            for (int i = 0; i < R && OTHERS(tf); i++) { /* the weights the forward used, (R,N) */
                const sw_real *pr = p + (size_t)(r0 + i) * T;
                sw_real *wr = weights + (size_t)i * N;
                if (w->train)
                    for (int j = 0; j < N; j++) wr[j] = keep[(size_t)(r0 + i) * T + j] ? pr[j] * tf->keep_scale : 0;
                else
                    memcpy(wr, pr, (size_t)N * sizeof(sw_real));
            }
            for (int i = 0; i < R; i += STRIP) { /* d weights (R,N), in strips as forward's scores */
                int m = R - i < STRIP ? R - i : STRIP, Ns = r0 + i + m;
                if (product(tf, SW_TF_DP, m, dh, Ns))
                    sw_matmul_packed_sub(g + (size_t)i * N, (size_t)N, dout + (size_t)(r0 + i) * dh, (size_t)dh, vp, dh,
                                         m, dh, Ns, 0);
            }
            if (product(tf, SW_TF_DV, R, N, dh))
                sw_matmul_at_acc(dv, weights, dout + (size_t)r0 * dh, R, N, dh); /* dv[0:N] (N,dh) */
            for (int i = 0; i < R && OTHERS(tf); i++) { /* softmax backward: ds = p (dp - sum p dp), in place */
                int t = r0 + i;
                sw_real *gr = g + (size_t)i * N;
                const sw_real *pr = p + (size_t)t * T;
                if (w->train)
                    for (int j = 0; j <= t; j++) gr[j] = keep[(size_t)t * T + j] ? gr[j] * tf->keep_scale : 0;
                double dot = 0;
                for (int j = 0; j <= t; j++) dot += pr[j] * gr[j];
                sw_real dt = (sw_real)dot;
                for (int j = 0; j <= t; j++) gr[j] = pr[j] * (gr[j] - dt);
                for (int j = t + 1; j < N; j++) gr[j] = 0;
            }
            for (int i = 0; i < R; i += STRIP) { /* d loss / d (q scale), (R,dh) */
                int m = R - i < STRIP ? R - i : STRIP, Ns = r0 + i + m;
                if (product(tf, SW_TF_DQ, m, Ns, dh))
                    sw_matmul_packed_sub(dq + (size_t)(r0 + i) * dh, (size_t)dh, g + (size_t)i * N, (size_t)N, kpk, T,
                                         m, Ns, dh, 0);
            }
            if (product(tf, SW_TF_DK, R, N, dh)) sw_matmul_at_acc(dk, g, q + (size_t)r0 * dh, R, N, dh); /* dk[0:N] (N,dh) */
        }
        for (int t = 0; t < T && OTHERS(tf); t++) {
            sw_real *row = tf->dqkv + ((size_t)t * B + b) * d3 + (size_t)h * dh;
            for (int j = 0; j < dh; j++) {
                row[j] = dq[(size_t)t * dh + j] * scale;
                row[d + j] = dk[(size_t)t * dh + j];
                row[2 * d + j] = dv[(size_t)t * dh + j];
            }
        }
    }
}

/* Columns [c0, c1) of the bias gradient out += sum over rows of a (rows, ld). */
static void colsum_cols(sw_real *restrict out, const sw_real *restrict a, int rows, int ld, int c0, int c1)
{
    for (int r = 0; r < rows; r++) {
        const sw_real *restrict row = a + (size_t)r * ld;
        for (int c = c0; c < c1; c++) out[c] += row[c];
    }
}

/* || sum_b dqkv[t,b] (x) x_in[t,b] || for every t: step t's term of in_proj's gradient. */
static void step_norms(sw_model_work *w, const sw_real *xin, double *out)
{
    int T = w->seq_len, B = w->batch, d = w->shape.hidden;
    size_t n = (size_t)d * 3 * d;
    for (int t = 0; t < T; t++) {
        memset(w->tf->dw, 0, n * sizeof(sw_real));
        sw_matmul_at_acc(w->tf->dw, xin + (size_t)t * B * d, w->tf->dqkv + (size_t)t * B * 3 * d, B, d, 3 * d);
        out[t] = sw_global_norm(w->tf->dw, n);
    }
}

/* out = mask ? a * mask : a, elements [i0, i1) (out may be a when there is no mask: then
 * nothing to do). */
static void apply_mask(sw_real *restrict out, const sw_real *restrict a, const sw_real *restrict mask, size_t i0,
                       size_t i1)
{
    for (size_t i = i0; i < i1; i++) out[i] = a[i] * mask[i];
}

void sw_tf_backward_layers(sw_model_work *w, const sw_params *p, const sw_params *grad, double *norms, int k,
                           int n)
{
    const sw_model_shape *s = &w->shape;
    sw_tf_work *tf = w->tf;
    int T = w->seq_len, B = w->batch, d = s->hidden, F = s->ff, I = s->input, TB = T * B, r0, r1, b0, b1, c0, c1;
    share(TB, k, n, &r0, &r1);
    share(B, k, n, &b0, &b1);
    int R = r1 - r0, train = w->train;
    size_t e0 = (size_t)r0 * d, e1 = (size_t)r1 * d, f0 = (size_t)r0 * F, f1 = (size_t)r1 * F;
    sw_real *scratch = tf->scratch + (size_t)k * tf->scratch_per_thread;
    /* Without dropout the masked gradients are the unmasked ones: no copies. */
    sw_real *dg = train ? tf->dg : tf->dr2, *da = train ? tf->da : tf->dr1;

    for (int l = s->layers - 1; l >= 0; l--) {
        const sw_tf_layer_params *lp = &p->tf[l];
        const sw_tf_layer_params *gp = &grad->tf[l];
        const sw_real *xin = l == 0 ? tf->emb : w->h[l - 1];
        const sw_real *fin = train ? tf->fd[l] : tf->f[l];
        /* w->dout: d loss / d this layer's output, whole (no path but through the layers
         * above and the readout), so the total and the outer derivative coincide. */
        if (w->record_dh && OTHERS(tf)) {
            memcpy(w->dh_total[l] + e0, w->dout + e0, (size_t)R * d * sizeof(sw_real));
            memcpy(w->dh_outer[l] + e0, w->dout + e0, (size_t)R * d * sizeof(sw_real));
        }
        if (OTHERS(tf)) {
            layer_norm_backward(tf->dr2, w->dout, tf->res2[l], tf->stats[l] + 2, lp->n2_w, d, r0, r1); // (T,B,d)
            if (train) apply_mask(dg, tf->dr2, tf->m2[l], e0, e1);
        }
        if (product(tf, SW_TF_FF_DX, R, d, F))
            sw_matmul_packed(tf->dff + f0, dg + e0, tf->ff2_w_p[l], NULL, R, d, F, 0, 0); // (T,B,F)
        for (size_t i = f0; i < f1 && OTHERS(tf); i++) {
            sw_real g = train ? tf->dff[i] * tf->mf[l][i] : tf->dff[i];
            tf->dff[i] = tf->f[l][i] > 0 ? g : 0;
        }
        if (OTHERS(tf)) memcpy(tf->dy + e0, tf->dr2 + e0, (size_t)R * d * sizeof(sw_real));
        if (product(tf, SW_TF_FF_DX, R, F, d))
            sw_matmul_packed(tf->dy + e0, tf->dff + f0, tf->ff1_w_p[l], NULL, R, F, d, 1, 0); // (T,B,d)
        if (OTHERS(tf)) {
            layer_norm_backward(tf->dr1, tf->dy, tf->res1[l], tf->stats[l], lp->n1_w, d, r0, r1);
            if (train) apply_mask(da, tf->dr1, tf->m1[l], e0, e1);
        }
        if (product(tf, SW_TF_OUT_DX, R, d, d))
            sw_matmul_packed(tf->dctx + e0, da + e0, tf->out_w_p[l], NULL, R, d, d, 0, 0); // (T,B,d)
#pragma omp barrier
        for (int b = b0; b < b1; b++) attention_backward(w, l, b, scratch); // dqkv (T,B,3d)
#pragma omp barrier
        if (norms && OTHERS(tf)) {
#pragma omp single
            step_norms(w, xin, norms + (size_t)l * T);
        }
        /* Weight gradients: this part's output columns of each, over all T*B rows. */
        if (product(tf, SW_TF_IN_DW, TB, 3 * d, d)) sw_matmul_at_acc_part(gp->in_w, tf->dqkv, xin, TB, 3 * d, d, k, n);
        if (product(tf, SW_TF_OUT_DW, TB, d, d)) sw_matmul_at_acc_part(gp->out_w, da, tf->ctx[l], TB, d, d, k, n);
        if (product(tf, SW_TF_FF_DW, TB, F, d)) sw_matmul_at_acc_part(gp->ff1_w, tf->dff, tf->y1[l], TB, F, d, k, n);
        if (product(tf, SW_TF_FF_DW, TB, d, F)) sw_matmul_at_acc_part(gp->ff2_w, dg, fin, TB, d, F, k, n);
        if (OTHERS(tf)) { /* bias and norm gradients */
            sw_matmul_part_cols(3 * d, k, n, &c0, &c1);
            colsum_cols(gp->in_b, tf->dqkv, TB, 3 * d, c0, c1);
            sw_matmul_part_cols(F, k, n, &c0, &c1);
            colsum_cols(gp->ff1_b, tf->dff, TB, F, c0, c1);
            sw_matmul_part_cols(d, k, n, &c0, &c1);
            colsum_cols(gp->out_b, da, TB, d, c0, c1);
            colsum_cols(gp->ff2_b, dg, TB, d, c0, c1);
            layer_norm_param_grads(gp->n1_w, gp->n1_b, tf->dy, tf->res1[l], tf->stats[l], d, TB, c0, c1);
            layer_norm_param_grads(gp->n2_w, gp->n2_b, w->dout, tf->res2[l], tf->stats[l] + 2, d, TB, c0, c1);
        }
#pragma omp barrier
        /* Into the layer below (its dout) or the embedding (dr2): the residual path plus
         * the path through q, k and v. */
        sw_real *below = l > 0 ? w->dout : tf->dr2;
        if (OTHERS(tf)) memcpy(below + e0, tf->dr1 + e0, (size_t)R * d * sizeof(sw_real));
        if (product(tf, SW_TF_IN_DX, R, 3 * d, d))
            sw_matmul_packed(below + e0, tf->dqkv + (size_t)r0 * 3 * d, tf->in_w_p[l], NULL, R, 3 * d, d, 1, 0);
        /* The next layer down reads and writes these rows only until its first barrier. */
    }
#pragma omp barrier
    if (product(tf, SW_TF_EMBED_DW, TB, d, I)) sw_matmul_at_acc_part(grad->embed_w, tf->dr2, w->x, TB, d, I, k, n);
    sw_matmul_part_cols(d, k, n, &c0, &c1);
    if (OTHERS(tf)) colsum_cols(grad->embed_b, tf->dr2, TB, d, c0, c1);
}
