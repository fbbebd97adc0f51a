/* model.c: the stacked recurrent classifier, forward and backward.
 *
 * Each layer is computed over the whole sequence before the next one starts, so the
 * input projection x @ W_ih^T of all T steps is one large matrix product and only the
 * recurrent product h_{t-1} @ W_hh^T stays inside the time loop. Backward mirrors it:
 * the time loop produces d(pre-activation) for every step, and the weight gradients and
 * the gradient into the layer below are again whole-sequence products.
 *
 * Equations (PyTorch's, gate order as its state dicts):
 *   rnn:  h = tanh(W_ih x + b_ih + W_hh h' + b_hh)
 *   lstm: i,f,g,o = s(.), s(.), tanh(.), s(.) of W_ih x + b_ih + W_hh h' + b_hh
 *         c = f c' + i g;  h = o tanh(c)
 *   gru:  r,z = s(W_i{r,z} x + b_i{r,z} + W_h{r,z} h' + b_h{r,z})
 *         n = tanh(W_in x + b_in + r (W_hn h' + b_hn));  h = (1 - z) n + z h'
 * where h', c' are the previous step's states (0 at t = 0) and s is the logistic sigmoid.
 *
 * The transformer cell's layers are transformer.c's; the entry points, work area, dropout
 * and readout heads below serve both.
 */
#include "model.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "dropout.h"
#include "kernels.h"
#include "optim.h"
#include "rng.h"
#include "task.h"
#include "transformer.h"

static const char *cell_prefix = "rnn"; /* PyTorch module name in the state dict */

sw_model_shape sw_model_shape_from_config(const sw_config *cfg)
{
    sw_task_layout lay = sw_task_layout_of(&cfg->task);
    sw_model_shape s;
    s.cell = cfg->model.cell;
    s.activation = cfg->model.activation;
    s.head = lay.target;
    s.input = lay.input;
    s.hidden = cfg->model.hidden;
    s.layers = cfg->model.layers;
    s.gates = sw_cell_gates(cfg->model.cell);
    s.outputs = lay.outputs;
    s.scored_from = lay.scored_from;
    s.heads = s.cell == SW_CELL_TRANSFORMER ? cfg->model.heads : 0;
    s.ff = s.cell == SW_CELL_TRANSFORMER ? sw_model_ff_width(&cfg->model) : 0;
    return s;
}

int sw_model_scored_steps(const sw_model_shape *s, int seq_len)
{
    switch (s->head) {
    case SW_TARGET_CLASS_LAST: return 1;
    case SW_TARGET_CLASS_STEPS: return seq_len - s->scored_from;
    default: return 0;
    }
}

int sw_tensor_count(const sw_model_shape *shape)
{
    return shape->cell == SW_CELL_TRANSFORMER ? 2 + 12 * shape->layers + 2 : 4 * shape->layers + 2;
}

/* The transformer's table: its own tensors in order (transformer.c), then the readout. */
static sw_tensor_info tf_tensor_describe(const sw_model_shape *s, int index)
{
    sw_tensor_info t;
    memset(&t, 0, sizeof t);
    int own = 2 + 12 * s->layers;
    for (int i = 0; i <= index; i++) {
        t.offset += t.count;
        if (i < own) {
            sw_tf_tensor(s, i, t.name, sizeof t.name, &t.rows, &t.cols);
        } else {
            snprintf(t.name, sizeof t.name, "%s", i == own ? "fc/weight" : "fc/bias");
            t.rows = s->outputs;
            t.cols = i == own ? s->hidden : 0;
        }
        t.count = (size_t)t.rows * (size_t)(t.cols ? t.cols : 1);
    }
    return t;
}

sw_tensor_info sw_tensor_describe(const sw_model_shape *s, int index)
{
    SW_ASSERT(index >= 0 && index < sw_tensor_count(s));
    if (s->cell == SW_CELL_TRANSFORMER) return tf_tensor_describe(s, index);
    sw_tensor_info t;
    memset(&t, 0, sizeof t);
    int GH = s->gates * s->hidden;
    size_t offset = 0;
    for (int l = 0; l < s->layers; l++) {
        int in = l == 0 ? s->input : s->hidden;
        static const char *names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        int rows[4] = {GH, GH, GH, GH}, cols[4] = {in, s->hidden, 0, 0};
        for (int k = 0; k < 4; k++) {
            size_t count = (size_t)rows[k] * (size_t)(cols[k] ? cols[k] : 1);
            if (index == 4 * l + k) {
                snprintf(t.name, sizeof t.name, "%s/%s_l%d", cell_prefix, names[k], l);
                t.rows = rows[k];
                t.cols = cols[k];
                t.offset = offset;
                t.count = count;
                return t;
            }
            offset += count;
        }
    }
    if (index == 4 * s->layers) {
        snprintf(t.name, sizeof t.name, "fc/weight");
        t.rows = s->outputs;
        t.cols = s->hidden;
        t.count = (size_t)s->outputs * (size_t)s->hidden;
    } else {
        snprintf(t.name, sizeof t.name, "fc/bias");
        t.rows = s->outputs;
        t.cols = 0;
        t.count = (size_t)s->outputs;
        offset += (size_t)s->outputs * (size_t)s->hidden;
    }
    t.offset = offset;
    return t;
}

size_t sw_param_count(const sw_model_shape *s)
{
    sw_tensor_info last = sw_tensor_describe(s, sw_tensor_count(s) - 1);
    return last.offset + last.count;
}

void sw_params_bind(sw_params *p, sw_real *flat, const sw_model_shape *s)
{
    memset(p, 0, sizeof *p);
    if (s->cell == SW_CELL_TRANSFORMER) {
        for (int i = 0; i < 2 + 12 * s->layers; i++) *sw_tf_slot(p, i) = flat + sw_tensor_describe(s, i).offset;
        p->fc_w = flat + sw_tensor_describe(s, 2 + 12 * s->layers).offset;
        p->fc_b = flat + sw_tensor_describe(s, 3 + 12 * s->layers).offset;
        return;
    }
    for (int l = 0; l < s->layers; l++) {
        p->layer[l].w_ih = flat + sw_tensor_describe(s, 4 * l + 0).offset;
        p->layer[l].w_hh = flat + sw_tensor_describe(s, 4 * l + 1).offset;
        p->layer[l].b_ih = flat + sw_tensor_describe(s, 4 * l + 2).offset;
        p->layer[l].b_hh = flat + sw_tensor_describe(s, 4 * l + 3).offset;
    }
    p->fc_w = flat + sw_tensor_describe(s, 4 * s->layers).offset;
    p->fc_b = flat + sw_tensor_describe(s, 4 * s->layers + 1).offset;
}

static void fill_uniform(sw_real *x, size_t n, double bound, sw_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)((2.0 * sw_rng_uniform(rng) - 1.0) * bound);
}

/* An (n,n) block of a row-major matrix with row stride `stride`: a random orthogonal
 * matrix times gain, as torch.nn.init.orthogonal_ makes it: Q of the QR decomposition of
 * a standard normal matrix, its columns' signs fixed by R's diagonal so that Q is
 * uniformly (Haar) distributed. QR by Householder reflections in double precision. */
static int fill_orthogonal(sw_real *block, int n, size_t stride, double gain, sw_rng *rng)
{
    double *a = malloc((size_t)n * n * sizeof *a), *q = malloc((size_t)n * n * sizeof *q);
    double *v = malloc((size_t)n * sizeof *v), *diag = malloc((size_t)n * sizeof *diag);
    if (!a || !q || !v || !diag) {
        free(a), free(q), free(v), free(diag);
        return SW_ENOMEM;
    }
    for (size_t i = 0; i < (size_t)n * n; i++) a[i] = sw_rng_normal(rng);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) q[(size_t)i * n + j] = i == j;
    for (int k = 0; k < n; k++) {
        /* Householder vector v zeroing column k of a below the diagonal. */
        double norm = 0;
        for (int i = k; i < n; i++) norm += a[(size_t)i * n + k] * a[(size_t)i * n + k];
        norm = sqrt(norm);
        double alpha = a[(size_t)k * n + k] > 0 ? -norm : norm, vnorm = 0;
        for (int i = k; i < n; i++) v[i] = a[(size_t)i * n + k] - (i == k ? alpha : 0);
        for (int i = k; i < n; i++) vnorm += v[i] * v[i];
        if (vnorm > 0)
            for (int c = 0; c < n; c++) {
                double da = 0, dq = 0;
                for (int i = k; i < n; i++) da += v[i] * a[(size_t)i * n + c], dq += v[i] * q[(size_t)i * n + c];
                for (int i = k; i < n; i++) {
                    a[(size_t)i * n + c] -= 2 * v[i] * da / vnorm;
                    q[(size_t)i * n + c] -= 2 * v[i] * dq / vnorm;
                }
            }
        diag[k] = a[(size_t)k * n + k];
    }
    /* q now holds Q^T (the product of the reflections applied to I). */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            block[(size_t)i * stride + j] = (sw_real)(gain * q[(size_t)j * n + i] * (diag[j] < 0 ? -1.0 : 1.0));
    free(a), free(q), free(v), free(diag);
    return SW_OK;
}

static void fill_normal(sw_real *x, size_t n, double stddev, sw_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = (sw_real)(stddev * sw_rng_normal(rng));
}

int sw_model_init_params(const sw_params *p, const sw_model_shape *s, const sw_model_config *m, sw_rng *rng)
{
    int GH = s->gates * s->hidden, H = s->hidden;
    if (s->cell == SW_CELL_TRANSFORMER) sw_tf_init_params(p, s, rng);
    for (int l = 0; l < s->layers && s->cell != SW_CELL_TRANSFORMER; l++) {
        int in = l == 0 ? s->input : H;
        if (m->init == SW_INIT_IDENTITY)
            fill_normal(p->layer[l].w_ih, (size_t)GH * in, 0.001, rng);
        else
            fill_uniform(p->layer[l].w_ih, (size_t)GH * in, sqrt(6.0 / (double)(in + GH)), rng);
        sw_real *w_hh = p->layer[l].w_hh;
        switch (m->init) {
        case SW_INIT_ORTHOGONAL:
            for (int g = 0; g < s->gates; g++)
                if (fill_orthogonal(w_hh + (size_t)g * H * H, H, (size_t)H, m->init_scale, rng)) return SW_ENOMEM;
            break;
        case SW_INIT_IDENTITY:
            memset(w_hh, 0, (size_t)GH * H * sizeof(sw_real));
            for (int g = 0; g < s->gates; g++)
                for (int j = 0; j < H; j++) w_hh[((size_t)g * H + j) * H + j] = (sw_real)m->init_scale;
            break;
        default: fill_uniform(w_hh, (size_t)GH * H, sqrt(6.0 / (double)(H + GH)), rng); break;
        }
        memset(p->layer[l].b_ih, 0, (size_t)GH * sizeof(sw_real));
        memset(p->layer[l].b_hh, 0, (size_t)GH * sizeof(sw_real));
        /* Gate order puts f (lstm: i,f,g,o) and z (gru: r,z,n) second: units H..2H-1. A
         * positive bias starts the cell out remembering, which is what lets gradients
         * reach early steps of long sequences from the first update on. */
        if (s->cell != SW_CELL_RNN)
            for (int j = H; j < 2 * H; j++) p->layer[l].b_ih[j] = (sw_real)m->forget_bias;
    }
    double bound = 1.0 / sqrt((double)H);
    fill_uniform(p->fc_w, (size_t)s->outputs * H, bound, rng);
    fill_uniform(p->fc_b, (size_t)s->outputs, bound, rng);
    return SW_OK;
}

/* ---- work area ------------------------------------------------------------------ */

/* step_norms: steps whose dW_hh norms are summed side by side, and the most scratch
 * they may take. */
#define NORM_STEPS 4
#define NORM_SCRATCH_BYTES ((size_t)256 << 10)

/* Values from one step's product to the next in norm_scratch: 64-byte aligned, as
 * dw_scratch is. */
static size_t norm_slice_values(size_t n)
{
    size_t per_line = 64 / sizeof(sw_real);
    return (n + per_line - 1) / per_line * per_line;
}

/* Carves n values out of the work block (sw_carve); with base NULL it only counts. A
 * count past SIZE_MAX stays there: the block cannot be had, and the memory estimate (which
 * counts through here) refuses the config. */
static sw_real *carve(char *base, size_t *used, size_t n)
{
    return sw_carve(base, used, n <= SIZE_MAX / sizeof(sw_real) ? n * sizeof(sw_real) : SIZE_MAX);
}

/* The weight gradients' products over the sequence's T*B rows read each layer's gate
 * gradients three times (W_ih's, W_hh's, the biases' sums). Where the operands of the
 * products are narrow (inputs and H up to WEIGHT_GRAD_CHUNK_MAX_K: a few multiply-adds per value
 * read) and the gradients outgrow the caches (an lstm at H = 32, T = 500: 8 MB per batch),
 * that was three passes over memory; they go through chunks of rows of about
 * WEIGHT_GRAD_CHUNK_BYTES instead, all three on a chunk while it is in L2. Each sum is the
 * same chain over the rows in order either way. */
#define WEIGHT_GRAD_CHUNK_MAX_K 96
#define WEIGHT_GRAD_CHUNK_BYTES (256 * 1024)
#define WEIGHT_GRAD_WHOLE_BYTES (1024 * 1024)

/* Whether the model's layers are narrow (their weight gradients may go by chunks; the
 * work's scratch has room for both products' sums only then, or for gru). */
static int narrow_layers(const sw_model_shape *s)
{
    return s->input <= WEIGHT_GRAD_CHUNK_MAX_K && s->hidden <= WEIGHT_GRAD_CHUNK_MAX_K;
}

static int weight_gradient_chunk_rows(const sw_model_work *w)
{
    int rows = w->seq_len * w->batch, GH = w->shape.gates * w->shape.hidden;
    if (!narrow_layers(&w->shape)) return rows;
    if (w->sequence_split) return w->sequence_split > 0 ? w->sequence_split : rows;
    if ((size_t)rows * GH * sizeof(sw_real) <= WEIGHT_GRAD_WHOLE_BYTES) return rows;
    int chunk = (int)(WEIGHT_GRAD_CHUNK_BYTES / ((size_t)GH * sizeof(sw_real)));
    return chunk < 64 ? 64 : chunk;
}

static void layout_work(sw_model_work *w, char *base, size_t *used, int record_dh)
{
    const sw_model_shape *s = &w->shape;
    size_t T = (size_t)w->seq_len, B = (size_t)w->max_batch, H = (size_t)s->hidden;
    size_t GH = (size_t)s->gates * H, I = (size_t)s->input;
    size_t widest = I > H ? I : H;
    for (int l = 0; l < s->layers; l++) {
        size_t in = l == 0 ? I : H;
        w->w_ih_t[l] = carve(base, used, sw_packed_size((int)in, (int)GH));
        w->w_hh_t[l] = carve(base, used, sw_packed_size((int)H, (int)GH));
        w->w_ih_bwd[l] = l > 0 ? carve(base, used, sw_packed_size((int)GH, (int)in)) : NULL;
        w->w_hh_bwd[l] = carve(base, used, sw_packed_size((int)GH, (int)H));
        w->bias_sum[l] = carve(base, used, GH);
        w->act[l] = s->cell == SW_CELL_RNN ? NULL : carve(base, used, T * B * GH);
        w->h[l] = carve(base, used, T * B * H);
        w->cell[l] = s->cell == SW_CELL_LSTM ? carve(base, used, T * B * H) : NULL;
        w->tanh_cell[l] = s->cell == SW_CELL_LSTM ? carve(base, used, T * B * H) : NULL;
        w->hn[l] = s->cell == SW_CELL_GRU ? carve(base, used, T * B * H) : NULL;
        w->xin[l] = l > 0 ? carve(base, used, T * B * H) : NULL;
        w->mask[l] = l < s->layers - 1 ? carve(base, used, T * B * H) : NULL;
        w->dh_total[l] = record_dh ? carve(base, used, T * B * H) : NULL;
        w->dh_outer[l] = record_dh ? carve(base, used, T * B * H) : NULL;
    }
    size_t C = (size_t)s->outputs, readout_steps = s->head == SW_TARGET_CLASS_STEPS ? T : 1;
    w->x = carve(base, used, T * B * I);
    w->dx_total = record_dh ? carve(base, used, T * B * I) : NULL;
    w->mask_final = carve(base, used, readout_steps * B * H);
    w->feat = carve(base, used, readout_steps * B * H);
    w->logits = carve(base, used, readout_steps * B * C);
    w->fc_w_t = carve(base, used, H * C);
    w->labels = (int32_t *)carve(base, used, (readout_steps * B * sizeof(int32_t) + sizeof(sw_real) - 1) / sizeof(sw_real));
    w->hproj = carve(base, used, B * GH);
    w->zeros = carve(base, used, B * GH);
    sw_real *shared_dpre = s->cell == SW_CELL_RNN ? carve(base, used, T * B * GH) : NULL;
    for (int l = 0; l < s->layers; l++) w->dpre[l] = s->cell == SW_CELL_RNN ? shared_dpre : w->act[l];
    w->dhn = s->cell == SW_CELL_GRU ? carve(base, used, T * B * H) : NULL;
    w->dout = carve(base, used, T * B * H);
    w->dxin = carve(base, used, T * B * widest);
    w->dh = carve(base, used, B * H);
    w->dcell = carve(base, used, B * H);
    w->dfeat = carve(base, used, readout_steps * B * H);
    w->dlogits = carve(base, used, readout_steps * B * C);
    w->dfc_scratch = carve(base, used, H * C);
    /* chunked weight gradients (weight_gradient_chunk_rows), and gru's, keep W_hh's sums
     * beside W_ih's */
    int apart = narrow_layers(s) || s->cell == SW_CELL_GRU;
    w->dw_scratch = carve(base, used, (widest + (apart ? H : 0)) * GH);
    /* step_norms's products, NORM_STEPS at once, when they are small (up to 256 KiB). */
    size_t norm_slice = norm_slice_values(H * GH);
    w->norm_scratch = record_dh && s->cell != SW_CELL_TRANSFORMER && NORM_STEPS * norm_slice * sizeof(sw_real) <= NORM_SCRATCH_BYTES
                          ? carve(base, used, NORM_STEPS * norm_slice)
                          : NULL;
    if (s->cell == SW_CELL_TRANSFORMER) sw_tf_layout(w, base, used);
}

/* Gives the (zeroed) work its sizes and returns the bytes its block needs. */
static size_t work_block_bytes(sw_model_work *w, const sw_model_shape *shape, int max_batch, int seq_len, int record_dh)
{
    w->shape = *shape;
    w->max_batch = max_batch;
    w->seq_len = seq_len;
    size_t bytes = 0;
    layout_work(w, NULL, &bytes, record_dh);
    return bytes;
}

int sw_model_work_create(sw_model_work **out, const sw_model_shape *shape, int max_batch,
                         int seq_len, int record_dh)
{
    *out = NULL;
    SW_ASSERT(shape->layers >= 1 && shape->layers <= SW_MAX_LAYERS);
    SW_ASSERT(max_batch >= 1 && seq_len >= 1);
    sw_model_work *w = calloc(1, sizeof *w);
    if (!w) return SW_ENOMEM;
    size_t bytes = work_block_bytes(w, shape, max_batch, seq_len, record_dh);
    /* Zeroed once so unused tails never hold NaN garbage that a kernel could read. From
     * one huge page up the block is taken whole on huge pages (common.h): the reference
     * run's 3.9 MB, just under SW_LARGE_BYTES, took some 960 page faults from the heap,
     * 2% of the run. The heap still serves HDF5's buffers with the data set's freed
     * memory (bench_write_share.sh). */
    w->block = sw_calloc_huge(bytes);
    if (!w->block) {
        free(w);
        return SW_ENOMEM;
    }
    bytes = 0;
    layout_work(w, w->block, &bytes, record_dh);
    w->record_dh = record_dh != 0;
    w->threads = 1;
    *out = w;
    return SW_OK;
}

size_t sw_model_work_bytes(const sw_model_shape *shape, int max_batch, int seq_len, int record_dh)
{
    SW_ASSERT(shape->layers >= 1 && shape->layers <= SW_MAX_LAYERS);
    SW_ASSERT(max_batch >= 1 && seq_len >= 1);
    sw_model_work *w = calloc(1, sizeof *w); /* the layout's sizes only: nothing is carved */
    if (!w) return SIZE_MAX;
    size_t bytes = work_block_bytes(w, shape, max_batch, seq_len, record_dh);
    free(w);
    return sw_calloc_huge_bytes(bytes); /* the block as sw_model_work_create takes it */
}

void sw_model_work_free(sw_model_work *w)
{
    if (!w) return;
    sw_free_large(w->block);
    free(w);
}

void sw_model_pack(sw_model_work *w, const sw_params *p)
{
    const sw_model_shape *s = &w->shape;
    int H = s->hidden, GH = s->gates * H;
    if (s->cell == SW_CELL_TRANSFORMER) sw_tf_pack(w, p);
    for (int l = 0; l < s->layers && s->cell != SW_CELL_TRANSFORMER; l++) {
        int in = l == 0 ? s->input : H;
        sw_pack_transposed(w->w_ih_t[l], p->layer[l].w_ih, in, GH);
        sw_pack_transposed(w->w_hh_t[l], p->layer[l].w_hh, H, GH);
        if (l > 0) sw_pack(w->w_ih_bwd[l], p->layer[l].w_ih, GH, in);
        sw_pack(w->w_hh_bwd[l], p->layer[l].w_hh, GH, H);
        for (int j = 0; j < GH; j++) w->bias_sum[l][j] = p->layer[l].b_ih[j] + p->layer[l].b_hh[j];
    }
    sw_transpose(w->fc_w_t, p->fc_w, s->outputs, H);
}

/* Steps copied per sequence at a time by sw_model_load_input: enough that each sequence's
 * read is a run of at least 1 KiB (16 cache lines) the prefetcher follows. */
static int load_block_steps(int I)
{
    int steps = 1024 / (I * (int)sizeof(float));
    return steps < 16 ? 16 : steps;
}

/* One step's I values of a sequence into its row of x. Not memcpy: the size is no
 * constant, so that was a call into libc per step and sequence for some 40 bytes (16,000
 * calls per batch at T = 500; 4-5% of the vanishing study's time), and a plain copy loop
 * becomes the same call (GCC's loop idioms). Vectors of 8 (or 4), the last one overlapping
 * the one before, do any I >= 4 without a loop over single values. */
typedef float load_vec8 __attribute__((vector_size(32), aligned(sizeof(float))));
typedef float load_vec4 __attribute__((vector_size(16), aligned(sizeof(float))));

#if defined(__GNUC__) && !defined(__clang__)
#define NO_COPY_IDIOMS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_COPY_IDIOMS
#endif

/* (GCC inlines only into a function with the same options: sw_model_load_input has them too.) */
NO_COPY_IDIOMS static inline void load_step(sw_real *restrict out, const float *restrict step, int I)
{
#ifdef SW_REAL_DOUBLE
    for (int i = 0; i < I; i++) out[i] = (sw_real)step[i];
#else
    if (I >= 8) {
        for (int i = 0; i + 8 < I; i += 8) *(load_vec8 *)(out + i) = *(const load_vec8 *)(step + i);
        *(load_vec8 *)(out + I - 8) = *(const load_vec8 *)(step + I - 8);
    } else if (I >= 4) {
        *(load_vec4 *)out = *(const load_vec4 *)step;
        *(load_vec4 *)(out + I - 4) = *(const load_vec4 *)(step + I - 4);
    } else {
        out[0] = step[0];
        if (I > 1) out[1] = step[1];
        if (I > 2) out[2] = step[2];
    }
#endif
}

NO_COPY_IDIOMS void sw_model_load_input(sw_model_work *w, const float *data, const int32_t *steps, const int *index, int B)
{
    SW_ASSERT(B >= 1 && B <= w->max_batch);
    int T = w->seq_len, I = w->shape.input, K = load_block_steps(I);
    size_t row = (size_t)B * I;
    w->batch = B;
    /* A block of K steps at a time, sequence by sequence within it: the batch's sequences
     * lie far apart in the data set (random rows of it, 20 KB each at T=500) and out of
     * cache, so each is read as one contiguous run of K steps instead of I values per step
     * and per sequence in turn (32 streams at once, which the prefetcher does not follow:
     * the copy was 3-6% of a run). The block of x written meanwhile (K rows of B*I) stays
     * in cache: writing whole sequences at once, B*I apart, missed it. */
    for (int t0 = 0; t0 < T; t0 += K) {
        int t1 = T - t0 < K ? T : t0 + K;
        for (int b = 0; b < B; b++) {
            const float *seq = data + (size_t)(index ? index[b] : b) * T * I;
            sw_real *out = w->x + (size_t)b * I;
            for (int t = t0; t < t1; t++) load_step(out + (size_t)t * row, seq + (size_t)(steps ? steps[t] : t) * I, I);
        }
    }
}

void sw_model_load_input_real(sw_model_work *w, const sw_real *x, int B)
{
    SW_ASSERT(B >= 1 && B <= w->max_batch);
    int T = w->seq_len, I = w->shape.input;
    w->batch = B;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int i = 0; i < I; i++)
                w->x[((size_t)t * B + b) * I + i] = x[((size_t)b * T + t) * I + i];
}

/* mask[i] = keep_scale when a 32-bit draw is >= p * 2^32, else 0: one draw per element,
 * drawn in chunks so the generator runs vectorised. */
void sw_model_sample_dropout(sw_model_work *w, sw_rng *rng, int B, double p)
{
    SW_ASSERT(p >= 0.0 && p < 1.0);
    int T = w->seq_len, H = w->shape.hidden;
    sw_real keep = sw_dropout_keep_scale(p);
    uint64_t threshold = sw_dropout_threshold(p);
    size_t readout_steps = w->shape.head == SW_TARGET_CLASS_STEPS ? (size_t)T : 1;
    if (w->shape.cell == SW_CELL_TRANSFORMER) sw_tf_sample_dropout(w, rng, B, p);
    for (int l = 0; l < w->shape.layers - 1 && w->shape.cell != SW_CELL_TRANSFORMER; l++)
        sw_dropout_fill(w->mask[l], (size_t)T * B * H, rng, threshold, keep);
    sw_dropout_fill(w->mask_final, readout_steps * B * H, rng, threshold, keep);
}

/* ---- forward -------------------------------------------------------------------- */

/* Input of layer l for the current pass: x, the layer below's output, or its dropped
 * version in training. */
static const sw_real *layer_input(const sw_model_work *w, int l)
{
    if (l == 0) return w->x;
    return w->train ? w->xin[l] : w->h[l - 1];
}

static void relu_inplace(sw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

/* Rows [r0, r1) of the T*B of layer l's input products, x_t W_ih^T + bias, into the
 * pre-activations (h for rnn, act for lstm and gru). */
static void layer_input_product(sw_model_work *w, const sw_params *p, int l, int r0, int r1)
{
    int H = w->shape.hidden, GH = w->shape.gates * H, in = l == 0 ? w->shape.input : H;
    sw_real *out = w->shape.cell == SW_CELL_RNN ? w->h[l] : w->act[l];
    const sw_real *bias = w->shape.cell == SW_CELL_GRU ? p->layer[l].b_ih : w->bias_sum[l];
    sw_matmul_packed(out + (size_t)r0 * GH, layer_input(w, l) + (size_t)r0 * in, w->w_ih_t[l], bias, r1 - r0, in, GH,
                     0, 0);
}

/* Whether layer l's input products are computed step by step inside the time loop rather
 * than as one product before it. Each element is the same chain either way (a product's
 * rows are independent). One product is the faster while the whole sequence's
 * pre-activations stay in the caches; past that, it wrote them all out to memory and the
 * time loop read them back (an lstm at H = 32, T = 500: 8 MB per batch, and its forward
 * product ran at half its rate at T = 100), where a step's, made just before its recurrent
 * product, is still in L1. */
#define INPUT_PRODUCT_WHOLE_BYTES (1024 * 1024)

static int input_product_by_step(const sw_model_work *w)
{
    if (w->sequence_split) return w->sequence_split > 0;
    size_t bytes = (size_t)w->seq_len * w->batch * w->shape.gates * w->shape.hidden * sizeof(sw_real);
    return bytes > INPUT_PRODUCT_WHOLE_BYTES;
}

/* Rows [b0, b1) of step t's input product when the time loop makes them (else nothing). */
static void step_input_product(sw_model_work *w, const sw_params *p, int l, int t, int b0, int b1)
{
    if (!input_product_by_step(w)) return;
    int r0 = t * w->batch + b0;
    layer_input_product(w, p, l, r0, r0 + (b1 - b0));
}

/* ---- the next step's rows, asked for ahead ---------------------------------------
 * Past a few MB, a layer's (T,B,.) arrays no longer stay in the caches between the step
 * that writes them and the one that reads them again (the backward pass, T steps later;
 * an lstm at H = 32, T = 500 keeps 8 MB of gate activations a layer): each step then
 * began by waiting for its block of rows from memory, one step's worth at a time, in an
 * order the hardware prefetchers take up too late. The time loops therefore ask for the
 * next step's rows (going forward the one after, going backward the one before) while this
 * one computes. Prefetches change no value.
 * Measured (whole runs of the vanishing study's settings, CPU time, medians of 6
 * alternating): lstm T = 500 0.84x, gru T = 500 0.89x; lstm T = 200 (3.3 MB) 0.99x, gru T =
 * 200 (2.5 MB) 1.06x and lstm T = 50 1.07x: below the line they cost more than they save. */
#define FETCH_AHEAD_BYTES ((size_t)4 << 20)

/* Whether the time loops fetch the next step's rows ahead: a layer's gate activations
 * over the whole sequence (rnn: its states) are more than FETCH_AHEAD_BYTES. */
static int fetch_steps_ahead(const sw_model_work *w)
{
    size_t bytes = (size_t)w->seq_len * w->batch * w->shape.gates * w->shape.hidden * sizeof(sw_real);
    return bytes > FETCH_AHEAD_BYTES;
}

/* Asks for the n values at p, into L2 (`write`: they are about to be written). */
static void fetch_rows(const sw_real *p, size_t n, int write)
{
    const char *line = (const char *)((uintptr_t)p & ~(uintptr_t)63), *end = (const char *)(p + n);
    if (write)
        for (; line < end; line += 64) __builtin_prefetch(line, 1, 1);
    else
        for (; line < end; line += 64) __builtin_prefetch(line, 0, 1);
}

/* The time loops below work on rows [b0, b1) of the batch: sequences are independent, so
 * a range is computed the same whether alone or with the others. */

static void rnn_steps_forward(sw_model_work *w, const sw_params *p, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, R = b1 - b0;
    size_t step = (size_t)B * H, n = (size_t)R * H;
    sw_real *h = w->h[l] + (size_t)b0 * H; /* (T,B,H), rows from b0 */
    step_input_product(w, p, l, 0, b0, b1);
    int ahead = fetch_steps_ahead(w);
    if (w->shape.activation == SW_ACT_RELU) {
        relu_inplace(h, n); /* t = 0: h_{-1} = 0 */
        for (int t = 1; t < T; t++) {
            if (ahead && t + 1 < T) fetch_rows(h + (t + 1) * step, n, 1);
            step_input_product(w, p, l, t, b0, b1);
            sw_matmul_packed(h + t * step, h + (t - 1) * step, w->w_hh_t[l], NULL, R, H, H, 1, 0);
            relu_inplace(h + t * step, n);
        }
        return;
    }
    sw_tanh_inplace(h, n); /* t = 0: h_{-1} = 0 */
    for (int t = 1; t < T; t++) {
        if (ahead && t + 1 < T) fetch_rows(h + (t + 1) * step, n, 1);
        step_input_product(w, p, l, t, b0, b1);
        sw_matmul_packed(h + t * step, h + (t - 1) * step, w->w_hh_t[l], NULL, R, H, H, 1, 1);
    }
}

/* Rows [b0, b1) of step t's lstm cells, from their pre-activations in a (R,4H): one pass
 * over the rows, each value the same operations as the gate-by-gate calls before it. */
static void lstm_step_cells(sw_model_work *w, int l, int t, sw_real *a, const sw_real *c_prev, int b0, int b1)
{
    size_t o = (size_t)t * w->batch * w->shape.hidden + (size_t)b0 * w->shape.hidden;
    sw_lstm_cells(a, w->cell[l] + o, w->tanh_cell[l] + o, w->h[l] + o, c_prev, b1 - b0, w->shape.hidden);
}

static void lstm_steps_forward(sw_model_work *w, const sw_params *p, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, GH = 4 * H;
    size_t step = (size_t)B * H, gstep = (size_t)B * GH, R = (size_t)(b1 - b0);
    int ahead = fetch_steps_ahead(w);
    for (int t = 0; t < T; t++) {
        if (ahead && t + 1 < T) {
            size_t o = (t + 1) * step + (size_t)b0 * H;
            fetch_rows(w->act[l] + (t + 1) * gstep + (size_t)b0 * GH, R * GH, 1);
            fetch_rows(w->cell[l] + o, R * H, 1), fetch_rows(w->tanh_cell[l] + o, R * H, 1);
            fetch_rows(w->h[l] + o, R * H, 1);
        }
        step_input_product(w, p, l, t, b0, b1);
        sw_real *a = w->act[l] + t * gstep + (size_t)b0 * GH; /* (T,B,4H), rows from b0 */
        const sw_real *h_prev = t > 0 ? w->h[l] + (t - 1) * step : w->zeros;
        const sw_real *c_prev = t > 0 ? w->cell[l] + (t - 1) * step : w->zeros;
        if (t > 0) sw_matmul_packed(a, h_prev + (size_t)b0 * H, w->w_hh_t[l], NULL, b1 - b0, H, GH, 1, 0);
        lstm_step_cells(w, l, t, a, c_prev + (size_t)b0 * H, b0, b1);
    }
}

static void gru_steps_forward(sw_model_work *w, const sw_params *p, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, GH = 3 * H;
    size_t step = (size_t)B * H, gstep = (size_t)B * GH, R = (size_t)(b1 - b0);
    sw_real *hp = w->hproj + (size_t)b0 * GH; /* (B,3H), rows from b0 */
    int ahead = fetch_steps_ahead(w);
    for (int t = 0; t < T; t++) {
        if (ahead && t + 1 < T) {
            size_t o = (t + 1) * step + (size_t)b0 * H;
            fetch_rows(w->act[l] + (t + 1) * gstep + (size_t)b0 * GH, R * GH, 1);
            fetch_rows(w->hn[l] + o, R * H, 1), fetch_rows(w->h[l] + o, R * H, 1);
        }
        sw_real *a = w->act[l] + t * gstep + (size_t)b0 * GH; /* (T,B,3H), rows from b0 */
        const sw_real *h_prev = (t > 0 ? w->h[l] + (t - 1) * step : w->zeros) + (size_t)b0 * H;
        size_t o = t * step + (size_t)b0 * H;
        step_input_product(w, p, l, t, b0, b1);
        sw_matmul_packed(hp, h_prev, w->w_hh_t[l], p->layer[l].b_hh, b1 - b0, H, GH, 0, 0);
        /* One pass over the rows: a call per row and gate left the tanh's chains too short
         * to overlap at H = 32 (18% of a gru run, now a few percent). */
        sw_gru_cells(a, w->hn[l] + o, w->h[l] + o, hp, h_prev, b1 - b0, H);
    }
}

static void layer_steps_forward(sw_model_work *w, const sw_params *p, int l, int b0, int b1)
{
    switch (w->shape.cell) {
    case SW_CELL_RNN: rnn_steps_forward(w, p, l, b0, b1); break;
    case SW_CELL_LSTM: lstm_steps_forward(w, p, l, b0, b1); break;
    case SW_CELL_GRU: gru_steps_forward(w, p, l, b0, b1); break;
    default: SW_ASSERT(!"unknown cell");
    }
}

/* ---- readout heads ----------------------------------------------------------- */

/* feat (B,H) = the top layer's last step, through the final dropout mask in training. */
static void last_step_features(sw_model_work *w)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden;
    const sw_real *last = w->h[w->shape.layers - 1] + (size_t)(T - 1) * B * H;
    for (size_t i = 0; i < (size_t)B * H; i++) w->feat[i] = w->train ? last[i] * w->mask_final[i] : last[i];
}

/* logits (B,C) = fc_b + fc_w feat, one row at a time. */
static void last_step_logits(sw_model_work *w, const sw_params *p)
{
    int B = w->batch, H = w->shape.hidden, C = w->shape.outputs;
    for (int b = 0; b < B; b++) {
        const sw_real *f = w->feat + (size_t)b * H;
        sw_real *z = w->logits + (size_t)b * C;
        for (int c = 0; c < C; c++) {
            sw_real acc = p->fc_b[c];
            const sw_real *wr = p->fc_w + (size_t)c * H;
            for (int j = 0; j < H; j++) acc += wr[j] * f[j];
            z[c] = acc;
        }
    }
}

/* Softmax cross-entropy of one row of C logits against `label`; *hit is 1 when the
 * arg max (the first, on ties, as torch.argmax) is the label. */
static double cross_entropy(const sw_real *z, int C, int label, int *hit)
{
    int best = 0;
    for (int c = 1; c < C; c++)
        if (z[c] > z[best]) best = c;
    double m = z[best], sum = 0;
    for (int c = 0; c < C; c++) sum += exp(z[c] - m);
    *hit = best == label;
    return m + log(sum) - z[label];
}

/* d CE / d logits of one row, divided by `count`: (softmax - onehot) / count. Class 0's
 * probability is taken as 1 minus the others', which is exact in exact arithmetic and
 * keeps two-class results what they were when the engine had only that case. */
static void cross_entropy_grad(sw_real *dz, const sw_real *z, int C, int label, double count)
{
    double m = z[0];
    for (int c = 1; c < C; c++) m = z[c] > m ? z[c] : m;
    double sum = 0, rest = 0;
    for (int c = 0; c < C; c++) sum += exp(z[c] - m);
    for (int c = 1; c < C; c++) {
        double pc = exp(z[c] - m) / sum;
        rest += pc;
        dz[c] = (sw_real)((pc - (label == c)) / count);
    }
    dz[0] = (sw_real)(((1.0 - rest) - (label == 0)) / count);
}

static double readout_class_last(sw_model_work *w, const sw_params *p, const sw_targets *y, int *correct,
                                 double *per_sample)
{
    int B = w->batch, C = w->shape.outputs;
    last_step_features(w);
    last_step_logits(w, p);
    double total = 0;
    int right = 0;
    for (int b = 0; b < B; b++) {
        w->labels[b] = y->labels[b];
        int hit;
        double loss = cross_entropy(w->logits + (size_t)b * C, C, y->labels[b], &hit);
        if (per_sample) per_sample[b] = loss;
        total += loss;
        right += hit;
    }
    if (correct) *correct = right;
    return total;
}

/* Each sequence's loss is the mean over its K outputs of the squared error (so the batch
 * mean is torch.nn.MSELoss's). The targets are kept in the logits' twin, dlogits. */
static double readout_value_last(sw_model_work *w, const sw_params *p, const sw_targets *y, int *correct,
                                 double *per_sample)
{
    int B = w->batch, K = w->shape.outputs;
    last_step_features(w);
    last_step_logits(w, p);
    double total = 0;
    for (int b = 0; b < B; b++) {
        double sq = 0;
        for (int k = 0; k < K; k++) {
            double e = (double)w->logits[(size_t)b * K + k] - (double)y->values[(size_t)b * K + k];
            w->dlogits[(size_t)b * K + k] = (sw_real)e;
            sq += e * e;
        }
        if (per_sample) per_sample[b] = sq / K;
        total += sq / K;
    }
    if (correct) *correct = 0;
    return total;
}

/* A prediction at every step: feat (T,B,H) is the top layer's whole output through its
 * dropout mask, logits (T,B,C) one product; each sequence's loss is its steps' mean. */
static double readout_class_steps(sw_model_work *w, const sw_params *p, const sw_targets *y, int *correct,
                                  double *per_sample)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, C = w->shape.outputs;
    size_t n = (size_t)T * B * H;
    const sw_real *top = w->h[w->shape.layers - 1];
    for (size_t i = 0; i < n; i++) w->feat[i] = w->train ? top[i] * w->mask_final[i] : top[i];
    sw_matmul(w->logits, w->feat, w->fc_w_t, p->fc_b, T * B, H, C, 0);
    double total = 0;
    int right = 0;
    for (int b = 0; b < B; b++) {
        double seq = 0;
        for (int t = 0; t < T; t++) {
            int label = y->labels[(size_t)b * T + t], hit;
            w->labels[(size_t)t * B + b] = label;
            seq += cross_entropy(w->logits + ((size_t)t * B + b) * C, C, label, &hit);
            if (t >= w->shape.scored_from) right += hit;
        }
        if (per_sample) per_sample[b] = seq / T;
        total += seq / T;
    }
    if (correct) *correct = right;
    return total;
}

/* ---- threads ------------------------------------------------------------------- */

/* A pass on several threads: each takes a share of the batch's sequences in the time
 * loops, of the T*B rows in whole-sequence products, and of the output columns in weight
 * gradients, with barriers between the phases. Every value is computed by one thread in
 * the order one thread would use, so results are bit-identical for any thread count. */

/* A pass takes another thread only when each thread keeps at least 4 rows (a tile is 4-6)
 * and about a million multiply-adds of recurrent products (some 20 us: a barrier costs a
 * few us on an idle core, and a pass has two per layer). */
#define SW_MIN_ROWS_PER_THREAD 4
#define SW_MIN_FMAS_PER_THREAD 1e6

static int pass_threads(const sw_model_work *w)
{
    const sw_model_shape *s = &w->shape;
    double fmas = (double)w->seq_len * w->batch * s->gates * s->hidden * s->hidden * s->layers;
    int n = w->threads, rows = w->batch / SW_MIN_ROWS_PER_THREAD;
    if (s->cell == SW_CELL_TRANSFORMER) {
        /* Its products are whole-sequence ones and the attention's two (T,T) per sequence;
         * its scratch has room for tf->max_threads. */
        double T = w->seq_len;
        fmas = T * w->batch * s->layers * (4.0 * s->hidden * s->hidden + 2.0 * s->hidden * s->ff + 2 * T * s->hidden);
        if (n > w->tf->max_threads) n = w->tf->max_threads;
    }
    int work = (int)(fmas / SW_MIN_FMAS_PER_THREAD);
    if (n > rows) n = rows;
    if (n > work) n = work;
    return n > 1 ? n : 1;
}

/* A pass of one thread runs on the calling thread, outside any parallel region: its
 * barriers (and `single`s) are then orphaned ones, which OpenMP makes no-ops. A region of one
 * thread would not be free: libgomp's barrier wakes its futex whether or not anyone waits, a
 * system call per barrier (some 7,700 in the reference run, 3-4% of its time on a virtual
 * machine). Only at nesting level 0, where an orphaned barrier binds to no team: called from
 * inside a parallel region, the pass opens its own region of one as before. */
static int pass_alone(int n)
{
    return n == 1 && omp_get_level() == 0;
}

/* [*lo, *hi) of part k of n of count items. */
static void share(int count, int k, int n, int *lo, int *hi)
{
    int each = count / n, extra = count % n;
    *lo = k * each + (k < extra ? k : extra);
    *hi = *lo + each + (k < extra);
}

/* Subnormal flushing (train.c) is a per-thread mode: the pass's threads take the calling
 * thread's, or their results would differ from one thread's. */
static unsigned float_mode_get(void)
{
#if defined(__SSE__)
    return _mm_getcsr();
#else
    return 0;
#endif
}

static void float_mode_set(unsigned mode)
{
#if defined(__SSE__)
    _mm_setcsr(mode);
#else
    (void)mode;
#endif
}

/* The layers' forward pass, part k of n. */
static void forward_layers(sw_model_work *w, const sw_params *p, int k, int n)
{
    const sw_model_shape *s = &w->shape;
    int T = w->seq_len, B = w->batch, H = s->hidden, r0, r1, b0, b1;
    share(T * B, k, n, &r0, &r1);
    share(B, k, n, &b0, &b1);
    for (int l = 0; l < s->layers; l++) {
        if (l > 0 && w->train)
            for (size_t i = (size_t)r0 * H; i < (size_t)r1 * H; i++) w->xin[l][i] = w->h[l - 1][i] * w->mask[l - 1][i];
        if (!input_product_by_step(w)) layer_input_product(w, p, l, r0, r1);
#pragma omp barrier
        layer_steps_forward(w, p, l, b0, b1);
        if (l + 1 < s->layers) { /* the last layer's ends with the parallel region */
#pragma omp barrier
        }
    }
}

/* The layers' forward pass of the model's cell, part k of n. */
static void pass_forward(sw_model_work *w, const sw_params *p, int k, int n)
{
    if (w->shape.cell == SW_CELL_TRANSFORMER)
        sw_tf_forward_layers(w, p, k, n);
    else
        forward_layers(w, p, k, n);
}

double sw_model_forward(sw_model_work *w, const sw_params *p, const sw_targets *y, int train,
                        int *correct, double *per_sample)
{
    const sw_model_shape *s = &w->shape;
    int n = pass_threads(w);
    w->train = train;
    if (pass_alone(n)) {
        pass_forward(w, p, 0, 1);
    } else {
        unsigned mode = float_mode_get();
#pragma omp parallel num_threads(n)
        {
            unsigned own = float_mode_get();
            float_mode_set(mode);
            pass_forward(w, p, omp_get_thread_num(), omp_get_num_threads());
            float_mode_set(own);
        }
    }
    switch (s->head) {
    case SW_TARGET_CLASS_LAST: return readout_class_last(w, p, y, correct, per_sample);
    case SW_TARGET_VALUE_LAST: return readout_value_last(w, p, y, correct, per_sample);
    case SW_TARGET_CLASS_STEPS: return readout_class_steps(w, p, y, correct, per_sample);
    default: SW_ASSERT(!"unknown head"); return NAN;
    }
}

/* ---- backward ------------------------------------------------------------------- */

/* d loss / d h_t of rows [b0, b1) enters from above (dout) and from step t+1 (w->dh);
 * returns it in dh. */
static void add_incoming(sw_model_work *w, int l, int t, int b0, int b1)
{
    size_t H = (size_t)w->shape.hidden, o = ((size_t)t * w->batch + b0) * H, n = (size_t)(b1 - b0) * H;
    const sw_real *restrict from_above = w->dout + o;
    sw_real *restrict dh = w->dh + (size_t)b0 * H;
    for (size_t i = 0; i < n; i++) dh[i] += from_above[i];
    if (w->record_dh) {
        memcpy(w->dh_outer[l] + o, from_above, n * sizeof(sw_real));
        memcpy(w->dh_total[l] + o, dh, n * sizeof(sw_real));
    }
}

/* The form (kernels.h, sw_dh_form) in which the cells of rows [b0, b1) at step t take the
 * gradient from above, and *above for SW_DH_ADD: added by add_incoming when a recording
 * pass keeps both; 0 for the top layer below a last-step head, whose dout before its last
 * step is zero and not stored; else added in the cells' own pass. */
static sw_dh_form incoming(sw_model_work *w, int l, int t, int b0, int b1, const sw_real **above)
{
    *above = NULL;
    if (w->record_dh) {
        add_incoming(w, l, t, b0, b1);
        return SW_DH_DONE;
    }
    if (w->dout_last_only && l == w->shape.layers - 1 && t < w->seq_len - 1) return SW_DH_ZERO;
    *above = w->dout + ((size_t)t * w->batch + b0) * w->shape.hidden;
    return SW_DH_ADD;
}

/* The time loops below make no gradient into h_{-1} at t = 0: the initial state is zeros,
 * not a parameter, and nothing read that product's result (1/T of the recurrent products
 * going backward). */
static void rnn_steps_backward(sw_model_work *w, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, R = b1 - b0;
    size_t step = (size_t)B * H, n = (size_t)R * H, off = (size_t)b0 * H;
    sw_real *dh = w->dh + off;
    int ahead = fetch_steps_ahead(w);
    for (int t = T - 1; t >= 0; t--) {
        const sw_real *above;
        sw_dh_form form = incoming(w, l, t, b0, b1, &above);
        sw_real *da = w->dpre[l] + t * step + off;
        if (ahead && t > 0) {
            fetch_rows(da - step, n, 1), fetch_rows(w->h[l] + (t - 1) * step + off, n, 0);
            if (above) fetch_rows(above - step, n, 0);
        }
        sw_rnn_cells_backward(da, dh, above, w->h[l] + t * step + off, n, w->shape.activation == SW_ACT_RELU, form);
        if (t > 0) sw_matmul_packed(dh, da, w->w_hh_bwd[l], NULL, R, H, H, 0, 0);
    }
}

static void lstm_steps_backward(sw_model_work *w, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, GH = 4 * H;
    size_t step = (size_t)B * H, gstep = (size_t)B * GH, off = (size_t)b0 * H; /* row b0 of a (B,H) block */
    size_t R = (size_t)(b1 - b0);
    memset(w->dcell + off, 0, R * H * sizeof(sw_real));
    int ahead = fetch_steps_ahead(w);
    for (int t = T - 1; t >= 0; t--) {
        const sw_real *above;
        sw_dh_form form = incoming(w, l, t, b0, b1, &above);
        const sw_real *c_prev = t > 0 ? w->cell[l] + (t - 1) * step : w->zeros;
        sw_real *gates = w->dpre[l] + t * gstep + (size_t)b0 * GH; /* gradients over the activations (act) */
        if (ahead && t > 0) {
            fetch_rows(gates - gstep, R * GH, 1), fetch_rows(w->tanh_cell[l] + (t - 1) * step + off, R * H, 0);
            if (t > 1) fetch_rows(c_prev - step + off, R * H, 0);
            if (above) fetch_rows(above - step, R * H, 0);
        }
        sw_lstm_cells_backward(gates, w->dcell + off, w->tanh_cell[l] + t * step + off, c_prev + off, w->dh + off,
                               above, (int)R, H, form);
        if (t > 0) sw_matmul_packed(w->dh + off, gates, w->w_hh_bwd[l], NULL, (int)R, GH, H, 0, 0);
    }
}

static void gru_steps_backward(sw_model_work *w, int l, int b0, int b1)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, GH = 3 * H;
    size_t step = (size_t)B * H, gstep = (size_t)B * GH, off = (size_t)b0 * H; /* row b0 of a (B,H) block */
    sw_real *dh = w->dh + off;
    size_t R = (size_t)(b1 - b0);
    int ahead = fetch_steps_ahead(w);
    for (int t = T - 1; t >= 0; t--) {
        const sw_real *above;
        sw_dh_form form = incoming(w, l, t, b0, b1, &above);
        const sw_real *h_prev = t > 0 ? w->h[l] + (t - 1) * step : w->zeros;
        sw_real *gates = w->dpre[l] + t * gstep + (size_t)b0 * GH, *dhn = w->dhn + t * step + off;
        if (ahead && t > 0) {
            fetch_rows(gates - gstep, R * GH, 1), fetch_rows(dhn - step, R * H, 1);
            fetch_rows(w->hn[l] + (t - 1) * step + off, R * H, 0);
            if (t > 1) fetch_rows(h_prev - step + off, R * H, 0);
            if (above) fetch_rows(above - step, R * H, 0);
        }
        /* the input-side gradients over the gate activations (act), the n gate's recurrent
         * side into dhn (r's and z's are the same values as their input sides) */
        sw_gru_cells_backward(gates, dhn, dh, w->hn[l] + t * step + off, h_prev + off, above, (int)R, H, form);
        /* dh += [dr dz | dhn] W_hh: the product's chain over the 3H gate units in two parts,
         * the r and z units from the gates and the n units from dhn (each sum stored between) */
        if (t > 0) {
            sw_matmul_packed_sub(dh, (size_t)H, gates, (size_t)GH, w->w_hh_bwd[l], GH, (int)R, 2 * H, H, 1);
            sw_matmul_packed_sub(dh, (size_t)H, dhn, (size_t)H, w->w_hh_bwd[l] + sw_packed_row_offset(2 * H), GH,
                                 (int)R, H, H, 1);
        }
    }
}

static void layer_steps_backward(sw_model_work *w, int l, int b0, int b1)
{
    switch (w->shape.cell) {
    case SW_CELL_RNN: rnn_steps_backward(w, l, b0, b1); break;
    case SW_CELL_LSTM: lstm_steps_backward(w, l, b0, b1); break;
    case SW_CELL_GRU: gru_steps_backward(w, l, b0, b1); break;
    default: SW_ASSERT(!"unknown cell");
    }
}

/* Rows [r0, r1) of grad (rows,cols) += scratch^T where scratch is (cols,rows). */
static void add_transposed(sw_real *grad, const sw_real *scratch, int rows, int cols, int r0, int r1)
{
    for (int r = r0; r < r1; r++)
        for (int c = 0; c < cols; c++) grad[(size_t)r * cols + c] += scratch[(size_t)c * rows + r];
}

/* dW_hh's sums dw (H,GH) += h_prev^T (R,H) times the recurrent side's gate gradients at
 * rows [r0, r0 + R) of the T*B: rnn and lstm's dpre; gru's r and z gates from dpre (the
 * same values) and its n gate from dhn. The gate units (columns) of part k of n, those
 * recurrent_part_cols names. */
static void recurrent_weight_product(sw_model_work *w, int l, sw_real *dw, const sw_real *h_prev, int r0, int R, int k,
                                     int n)
{
    int H = w->shape.hidden, GH = w->shape.gates * H;
    const sw_real *dpre = w->dpre[l] + (size_t)r0 * GH;
    if (w->shape.cell != SW_CELL_GRU) {
        sw_matmul_at_acc_part(dw, h_prev, dpre, R, H, GH, k, n);
        return;
    }
    sw_matmul_at_acc_part_ld(dw, (size_t)GH, h_prev, dpre, (size_t)GH, R, H, 2 * H, k, n);
    sw_matmul_at_acc_part_ld(dw + 2 * H, (size_t)GH, h_prev, w->dhn + (size_t)r0 * H, (size_t)H, R, H, H, k, n);
}

/* The gate units [c[0], c[1]) and [c[2], c[3]) of dW_hh that part k of n computes (rnn,
 * lstm: one range, the second empty; gru: its r and z units, then its n units). */
static void recurrent_part_cols(const sw_model_work *w, int k, int n, int c[4])
{
    int H = w->shape.hidden;
    if (w->shape.cell != SW_CELL_GRU) {
        sw_matmul_part_cols(w->shape.gates * H, k, n, &c[0], &c[1]);
        c[2] = c[3] = c[1];
        return;
    }
    sw_matmul_part_cols(2 * H, k, n, &c[0], &c[1]);
    sw_matmul_part_cols(H, k, n, &c[2], &c[3]);
    c[2] += 2 * H, c[3] += 2 * H;
}

/* Columns [c0, c1) of the first `rows` rows (ld apart) of m set to 0. */
static void zero_cols(sw_real *m, int rows, int ld, int c0, int c1)
{
    for (int i = 0; i < rows && c1 > c0; i++) memset(m + (size_t)i * ld + c0, 0, (size_t)(c1 - c0) * sizeof(sw_real));
}

static void step_norms(sw_model_work *w, int l, double *out)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, GH = w->shape.gates * H;
    size_t step = (size_t)B * H, n = (size_t)H * GH;
    out[0] = 0; /* h_{-1} = 0: step 0 contributes nothing to d loss / d W_hh */
    int t = 1;
    /* Each step's sum of squares is one chain of dependent additions (4 cycles each, 3x
     * the step's product at H=64), in the order of the elements: NORM_STEPS steps'
     * products at once, then their chains side by side, each in that order, so every norm
     * is what it was alone (sw_sum_squares_side). */
    size_t slice = norm_slice_values(n);
    for (; w->norm_scratch && t + NORM_STEPS <= T; t += NORM_STEPS) {
        for (int s = 0; s < NORM_STEPS; s++) {
            sw_real *dw = w->norm_scratch + s * slice;
            memset(dw, 0, n * sizeof(sw_real));
            recurrent_weight_product(w, l, dw, w->h[l] + (t + s - 1) * step, (t + s) * B, B, 0, 1);
        }
        double sq[NORM_STEPS];
        sw_sum_squares_side(sq, w->norm_scratch, n, slice, NORM_STEPS);
        for (int s = 0; s < NORM_STEPS; s++) out[t + s] = sqrt(sq[s]);
    }
    for (; t < T; t++) {
        memset(w->dw_scratch, 0, n * sizeof(sw_real));
        recurrent_weight_product(w, l, w->dw_scratch, w->h[l] + (t - 1) * step, t * B, B, 0, 1);
        out[t] = sw_global_norm(w->dw_scratch, n);
    }
}

/* d (batch mean loss) / d logits into dlogits, the readout's parameter gradients into
 * grad, and d loss / d (top layer output) into dout. */
static void readout_backward(sw_model_work *w, const sw_params *p, const sw_params *grad)
{
    int T = w->seq_len, B = w->batch, H = w->shape.hidden, C = w->shape.outputs;
    size_t step = (size_t)B * H, seq = (size_t)T * step;
    if (w->shape.head == SW_TARGET_CLASS_STEPS) {
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                size_t row = (size_t)t * B + b;
                cross_entropy_grad(w->dlogits + row * C, w->logits + row * C, C, w->labels[row], (double)B * T);
            }
        sw_colsum_acc(grad->fc_b, w->dlogits, T * B, C);
        memset(w->dfc_scratch, 0, (size_t)H * C * sizeof(sw_real));
        sw_matmul_at_acc(w->dfc_scratch, w->feat, w->dlogits, T * B, H, C);
        for (int c = 0; c < C; c++)
            for (int j = 0; j < H; j++) grad->fc_w[(size_t)c * H + j] += w->dfc_scratch[(size_t)j * C + c];
        sw_matmul(w->dfeat, w->dlogits, p->fc_w, NULL, T * B, C, H, 0);
        for (size_t i = 0; i < seq; i++) w->dout[i] = w->train ? w->dfeat[i] * w->mask_final[i] : w->dfeat[i];
        w->dout_last_only = 0;
        return;
    }
    for (int b = 0; b < B; b++) {
        sw_real *dz = w->dlogits + (size_t)b * C;
        if (w->shape.head == SW_TARGET_CLASS_LAST)
            cross_entropy_grad(dz, w->logits + (size_t)b * C, C, w->labels[b], B);
        else /* the forward left the errors here: d mean_k e^2 / d o = 2 e / K, over B */
            for (int k = 0; k < C; k++) dz[k] = (sw_real)(2.0 * (double)dz[k] / ((double)C * B));
    }
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            sw_real d = w->dlogits[b * C + c];
            grad->fc_b[c] += d;
            const sw_real *f = w->feat + (size_t)b * H;
            for (int j = 0; j < H; j++) grad->fc_w[(size_t)c * H + j] += d * f[j];
        }
    sw_matmul(w->dfeat, w->dlogits, p->fc_w, NULL, B, C, H, 0);

    /* Into the top layer: only its last step feeds the readout. The recurrent cells' backward
     * takes the earlier steps as zero without reading them (dout_last_only); a recording
     * pass copies them, and the transformer reads them. */
    w->dout_last_only = !w->record_dh && w->shape.cell != SW_CELL_TRANSFORMER;
    if (!w->dout_last_only) memset(w->dout, 0, seq * sizeof(sw_real));
    sw_real *dlast = w->dout + (size_t)(T - 1) * step;
    for (size_t i = 0; i < step; i++) dlast[i] = w->train ? w->dfeat[i] * w->mask_final[i] : w->dfeat[i];
}

/* The bias gradients: rows of a (rows, ld) summed into out1 and, when out2 is not NULL,
 * the same sums into out2, columns [c0, c1) (one thread's), each column summed in row
 * order. A block of COLSUM_VECS vectors of columns is summed over all rows in registers
 * and stored once (adding into out row by row, a load and a store per value, took 10-15%
 * of the backward's own time): each output gets the same additions in the same order. */
typedef sw_real colsum_vec __attribute__((vector_size(32)));
typedef sw_real colsum_vec_u __attribute__((vector_size(32), aligned(sizeof(sw_real))));
enum { COLSUM_VECS = 4, COLSUM_LANES = (int)(32 / sizeof(sw_real)), COLSUM_BLOCK = COLSUM_VECS * COLSUM_LANES };

static inline __attribute__((always_inline)) void colsum_block(sw_real *restrict out1, sw_real *restrict out2,
                                                               const sw_real *restrict a, int rows, int ld,
                                                               const int twice)
{
    colsum_vec s1[COLSUM_VECS], s2[COLSUM_VECS];
    for (int v = 0; v < COLSUM_VECS; v++) {
        s1[v] = *(const colsum_vec_u *)(out1 + v * COLSUM_LANES);
        if (twice) s2[v] = *(const colsum_vec_u *)(out2 + v * COLSUM_LANES);
    }
    for (int r = 0; r < rows; r++) {
        const sw_real *restrict row = a + (size_t)r * ld;
        for (int v = 0; v < COLSUM_VECS; v++) {
            colsum_vec x = *(const colsum_vec_u *)(row + v * COLSUM_LANES);
            s1[v] += x;
            if (twice) s2[v] += x;
        }
    }
    for (int v = 0; v < COLSUM_VECS; v++) {
        *(colsum_vec_u *)(out1 + v * COLSUM_LANES) = s1[v];
        if (twice) *(colsum_vec_u *)(out2 + v * COLSUM_LANES) = s2[v];
    }
}

static void colsum_cols(sw_real *restrict out1, sw_real *restrict out2, const sw_real *restrict a, int rows, int ld,
                        int c0, int c1)
{
    int c = c0;
    for (; c + COLSUM_BLOCK <= c1; c += COLSUM_BLOCK) {
        if (out2)
            colsum_block(out1 + c, out2 + c, a + c, rows, ld, 1);
        else
            colsum_block(out1 + c, NULL, a + c, rows, ld, 0);
    }
    for (int r = 0; r < rows && c < c1; r++) {
        const sw_real *restrict row = a + (size_t)r * ld;
        for (int j = c; j < c1; j++) {
            out1[j] += row[j];
            if (out2) out2[j] += row[j];
        }
    }
}

/* Layer l's weight and bias gradients, the gate units (columns) of part k of n: whole-
 * sequence products over the T*B rows, accumulated transposed so the inner loop runs over
 * the gate units, then added in PyTorch layout (by the same thread: no barrier); each
 * element one chain over the rows in order, its sums stored between chunks of rows. */
static void layer_weight_gradients(sw_model_work *w, const sw_params *grad, int l, int k, int n)
{
    const sw_model_shape *s = &w->shape;
    int T = w->seq_len, B = w->batch, H = s->hidden, GH = s->gates * H, in = l == 0 ? s->input : H, c0, c1, hc[4];
    int rows = T * B, chunk = weight_gradient_chunk_rows(w);
    sw_matmul_part_cols(GH, k, n, &c0, &c1);
    recurrent_part_cols(w, k, n, hc);
    const sw_real *xin = layer_input(w, l), *dpre = w->dpre[l];
    /* Chunked, both products' sums are open at once: W_hh's after W_ih's in the scratch. So
     * always for gru, whose two products divide the gate units among the parts differently
     * (recurrent_part_cols): one part's W_hh sums would overlap another's W_ih sums. */
    int apart = chunk < rows || s->cell == SW_CELL_GRU;
    sw_real *dw_ih = w->dw_scratch, *dw_hh = apart ? w->dw_scratch + (size_t)in * GH : w->dw_scratch;
    sw_real *db_ih = grad->layer[l].b_ih, *db_hh = grad->layer[l].b_hh;
    zero_cols(dw_ih, in, GH, c0, c1);
    if (dw_hh != dw_ih) zero_cols(dw_hh, H, GH, hc[0], hc[1]), zero_cols(dw_hh, H, GH, hc[2], hc[3]);
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int r1 = rows - r0 < chunk ? rows : r0 + chunk;
        sw_matmul_at_acc_part(dw_ih, xin + (size_t)r0 * in, dpre + (size_t)r0 * GH, r1 - r0, in, GH, k, n);
        if (dw_hh == dw_ih) { /* one chunk: W_ih's sums are done */
            add_transposed(grad->layer[l].w_ih, dw_ih, GH, in, c0, c1);
            zero_cols(dw_hh, H, GH, hc[0], hc[1]), zero_cols(dw_hh, H, GH, hc[2], hc[3]);
        }
        /* W_hh's rows are step 1 on (h_{t-1} against the gradient at step t) */
        int h0 = r0 > B ? r0 : B;
        if (h0 < r1) recurrent_weight_product(w, l, dw_hh, w->h[l] + (size_t)(h0 - B) * H, h0, r1 - h0, k, n);
        if (s->cell != SW_CELL_GRU) { /* rnn, lstm: both biases get the same gradient */
            colsum_cols(db_ih, db_hh, dpre + (size_t)r0 * GH, r1 - r0, GH, c0, c1);
        } else {
            colsum_cols(db_ih, NULL, dpre + (size_t)r0 * GH, r1 - r0, GH, c0, c1);
            colsum_cols(db_hh, NULL, dpre + (size_t)r0 * GH, r1 - r0, GH, hc[0], hc[1]);
            colsum_cols(db_hh + 2 * H, NULL, w->dhn + (size_t)r0 * H, r1 - r0, H, hc[2] - 2 * H, hc[3] - 2 * H);
        }
    }
    if (dw_hh != dw_ih) add_transposed(grad->layer[l].w_ih, dw_ih, GH, in, c0, c1);
    if (T > 1) {
        add_transposed(grad->layer[l].w_hh, dw_hh, GH, H, hc[0], hc[1]);
        add_transposed(grad->layer[l].w_hh, dw_hh, GH, H, hc[2], hc[3]);
    }
}

/* The layers' backward pass, part k of n (the readout's is done). */
static void backward_layers(sw_model_work *w, const sw_params *grad, double *dwhh_step_norms, int k, int n)
{
    const sw_model_shape *s = &w->shape;
    int T = w->seq_len, B = w->batch, H = s->hidden, GH = s->gates * H, r0, r1, b0, b1;
    share(T * B, k, n, &r0, &r1);
    share(B, k, n, &b0, &b1);
    for (int l = s->layers - 1; l >= 0; l--) {
        memset(w->dh + (size_t)b0 * H, 0, (size_t)(b1 - b0) * H * sizeof(sw_real));
        layer_steps_backward(w, l, b0, b1);
#pragma omp barrier
        if (dwhh_step_norms) {
            /* A recording pass only; its scratch is the weight gradients' too. */
#pragma omp single
            step_norms(w, l, dwhh_step_norms + (size_t)l * T);
        }

        layer_weight_gradients(w, grad, l, k, n);

        if (l > 0) {
            /* Into the layer below, through W_ih and the dropout mask. */
            sw_matmul_packed(w->dxin + (size_t)r0 * H, w->dpre[l] + (size_t)r0 * GH, w->w_ih_bwd[l], NULL, r1 - r0, GH, H,
                             0, 0);
            const sw_real *mask = w->mask[l - 1];
            for (size_t i = (size_t)r0 * H; i < (size_t)r1 * H; i++)
                w->dout[i] = w->train ? w->dxin[i] * mask[i] : w->dxin[i];
        }
        /* The scratch (dw_scratch) and dout are read and written by others next. */
        if (l > 0) {
#pragma omp barrier
        }
    }
}

/* dx_total = d loss / d x_t for a recording pass: the input enters the network through one
 * matrix only (layer 0's W_ih, or the transformer's embedding), so it is that matrix's
 * transpose times the gradient at its output, which backward has left in dpre or dr2. */
static void input_gradient(sw_model_work *w, const sw_params *p)
{
    int rows = w->seq_len * w->batch, I = w->shape.input, n;
    const sw_real *dy, *W; /* (rows,n) and PyTorch's (n,I) */
    if (w->shape.cell == SW_CELL_TRANSFORMER) {
        dy = w->tf->dr2, W = p->embed_w, n = w->shape.hidden;
    } else {
        dy = w->dpre[0], W = p->layer[0].w_ih, n = w->shape.gates * w->shape.hidden;
    }
    sw_matmul(w->dx_total, dy, W, NULL, rows, n, I, 0); // (T,B,I)
}

/* The layers' backward pass of the model's cell, part k of n. */
static void pass_backward(sw_model_work *w, const sw_params *p, const sw_params *grad, double *step_norms, int k,
                          int n)
{
    if (w->shape.cell == SW_CELL_TRANSFORMER)
        sw_tf_backward_layers(w, p, grad, step_norms, k, n);
    else
        backward_layers(w, grad, step_norms, k, n);
}

void sw_model_backward(sw_model_work *w, const sw_params *p, const sw_params *grad,
                       const sw_targets *y, double *dwhh_step_norms)
{
    (void)y; /* the forward pass kept what the loss's gradient needs */
    readout_backward(w, p, grad);
    int n = pass_threads(w);
    if (pass_alone(n)) {
        pass_backward(w, p, grad, dwhh_step_norms, 0, 1);
    } else {
        unsigned mode = float_mode_get();
#pragma omp parallel num_threads(n)
        {
            unsigned own = float_mode_get();
            float_mode_set(mode);
            pass_backward(w, p, grad, dwhh_step_norms, omp_get_thread_num(), omp_get_num_threads());
            float_mode_set(own);
        }
    }
    if (w->record_dh) input_gradient(w, p);
}
