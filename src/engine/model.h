/* model.h: stacked recurrent network (rnn | lstm | gru layers) with a Linear readout head,
 * or in their place a causal transformer encoder (cell transformer, below).
 *
 * The head follows from the task (config.h's sw_target_kind): a classifier on the last
 * step (cross-entropy), a regression on the last step (mean squared error), or a
 * classifier at every step (cross-entropy averaged over the steps).
 *
 * Parameters, gradients and optimizer moments each live in one flat buffer of
 * sw_param_count() values; sw_params is a struct of views into such a buffer. The layout
 * of every tensor is that of PyTorch's state dict (torch.nn.RNN/LSTM/GRU with
 * batch_first=True, then torch.nn.Linear), so the flat buffer is also what the HDF5 file
 * stores, tensor by tensor, in the order of the tensor table below.
 *
 * The transformer (cell SW_CELL_TRANSFORMER, d = hidden) is PyTorch's modules:
 *   embed: Linear(I, d), plus fixed sinusoidal positions PE[t,2i] = sin(t / 10000^(2i/d)),
 *          PE[t,2i+1] = cos(t / 10000^(2i/d)), t from 0;
 *   transformer.layers.{k}: TransformerEncoderLayer(d, nhead=heads, dim_feedforward=ff,
 *          dropout, activation relu, batch_first, norm_first False, layer norm eps 1e-5)
 *          with a causal mask (step t attends to steps <= t);
 *   the task's head on its last layer's output, exactly as on a recurrent stack (h below),
 *          with the same dropout on the readout's input.
 * Its tensors are named as the state dict of a module with attributes embed, transformer
 * (a TransformerEncoder) and fc: "embed/weight", "transformer/layers.0.self_attn.in_proj_weight",
 * ..., "fc/bias". */
#ifndef SWEEP_MODEL_H
#define SWEEP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "config.h"

typedef struct {
    sw_cell_kind cell;
    sw_activation_kind activation; /* rnn only */
    sw_target_kind head;
    int input;       /* I */
    int hidden;      /* H */
    int layers;      /* L */
    int gates;       /* G: 1 rnn, 4 lstm (i,f,g,o), 3 gru (r,z,n), 0 transformer */
    int heads;       /* transformer: attention heads (divide H) */
    int ff;          /* transformer: feed-forward width */
    int outputs;     /* C classes or K regression values: the readout's rows */
    int scored_from; /* SW_TARGET_CLASS_STEPS: first step whose prediction counts in the
                        accuracy (the loss counts every step) */
} sw_model_shape;

/* A batch's targets, batch-first, as the head needs them. */
typedef struct {
    const int32_t *labels; /* CLASS_LAST (B) in [0,C); CLASS_STEPS (B,T) */
    const float *values;   /* VALUE_LAST (B,K) */
} sw_targets;

typedef struct {
    sw_real *w_ih; /* (G*H, in) in = I for layer 0, H above */
    sw_real *w_hh; /* (G*H, H) */
    sw_real *b_ih; /* (G*H) */
    sw_real *b_hh; /* (G*H) */
} sw_layer_params;

/* One transformer encoder layer, PyTorch's tensors (d = H, F = ff). */
typedef struct {
    sw_real *in_w, *in_b;   /* self_attn.in_proj_weight (3d,d): q, k, v rows; in_proj_bias (3d) */
    sw_real *out_w, *out_b; /* self_attn.out_proj.weight (d,d), .bias (d) */
    sw_real *ff1_w, *ff1_b; /* linear1.weight (F,d), .bias (F) */
    sw_real *ff2_w, *ff2_b; /* linear2.weight (d,F), .bias (d) */
    sw_real *n1_w, *n1_b;   /* norm1.weight (d), .bias (d) */
    sw_real *n2_w, *n2_b;   /* norm2.weight (d), .bias (d) */
} sw_tf_layer_params;

typedef struct {
    sw_layer_params layer[SW_MAX_LAYERS];   /* recurrent cells */
    sw_real *embed_w, *embed_b;             /* transformer: (d, I), (d) */
    sw_tf_layer_params tf[SW_MAX_LAYERS];   /* transformer */
    sw_real *fc_w; /* (C, H) */
    sw_real *fc_b; /* (C) */
} sw_params;

/* One tensor of the parameter buffer, for generic loops (HDF5 dump, tests). */
typedef struct {
    char name[64];  /* "rnn/weight_ih_l0", ..., "fc/weight", "fc/bias" */
    int rows, cols; /* cols == 0 for a vector */
    size_t offset;  /* into the flat buffer */
    size_t count;   /* rows * max(cols, 1) */
} sw_tensor_info;

sw_model_shape sw_model_shape_from_config(const sw_config *cfg);

/* Number of predictions per sequence that the accuracy counts: 1 for a last-step
 * classifier, T - scored_from for a per-step one, 0 for a regression (no accuracy). */
int sw_model_scored_steps(const sw_model_shape *shape, int seq_len);

/* Number of parameters (13,314 for the reference model). */
size_t sw_param_count(const sw_model_shape *shape);

/* Number of tensors: 4 per layer plus 2 for the readout (transformer: 2 for the
 * embedding, 12 per layer, 2 for the readout). */
int sw_tensor_count(const sw_model_shape *shape);

/* Describes tensor `index` (0 <= index < sw_tensor_count). */
sw_tensor_info sw_tensor_describe(const sw_model_shape *shape, int index);

/* Points the views in `p` into `flat` (which holds sw_param_count values). */
void sw_params_bind(sw_params *p, sw_real *flat, const sw_model_shape *shape);

struct sw_rng;

/* Initialises parameters, drawing tensor by tensor in table order from `rng`:
 *   xavier:     W_ih and W_hh Xavier-uniform over the whole (G*H, in) tensor;
 *   orthogonal: W_ih Xavier-uniform; each (H,H) gate block of W_hh a random orthogonal
 *               matrix times init_scale (torch.nn.init.orthogonal_ with gain init_scale);
 *   identity:   W_ih ~ N(0, 0.001^2); each gate block of W_hh = init_scale * I (the IRNN of
 *               Le, Jaitly & Hinton 2015).
 * Biases are 0 except the gate that keeps the state (lstm forget gate f, gru update gate
 * z), whose b_ih is forget_bias; readout weight and bias U(-1/sqrt(H), 1/sqrt(H)).
 * The transformer as PyTorch initialises its modules: in_proj_weight Xavier-uniform, its
 * bias and out_proj's 0; every other Linear's weight and bias U(-1/sqrt(in), 1/sqrt(in))
 * (kaiming_uniform with a = sqrt(5), and its bias rule); layer norms weight 1, bias 0.
 * Returns SW_OK or SW_ENOMEM (orthogonal's scratch). */
int sw_model_init_params(const sw_params *p, const sw_model_shape *shape, const sw_model_config *m,
                         struct sw_rng *rng);

/* A transformer's activations and scratch (transformer.c lays them out), time-major like
 * the rest: row r = t*B + b. d = H, F = ff, A = heads, dh = d / A. The layers' outputs are
 * the work's h[l], so heads, records and tests read them as a recurrent layer's. */
typedef struct {
    sw_real *in_w_t[SW_MAX_LAYERS];  /* packed transposes for forward products: in_proj (d,3d) */
    sw_real *out_w_t[SW_MAX_LAYERS]; /* out_proj (d,d) */
    sw_real *ff1_w_t[SW_MAX_LAYERS]; /* linear1 (d,F) */
    sw_real *ff2_w_t[SW_MAX_LAYERS]; /* linear2 (F,d) */
    sw_real *in_w_p[SW_MAX_LAYERS];  /* packed as stored, for backward products: (3d,d) */
    sw_real *out_w_p[SW_MAX_LAYERS]; /* (d,d) */
    sw_real *ff1_w_p[SW_MAX_LAYERS]; /* (F,d) */
    sw_real *ff2_w_p[SW_MAX_LAYERS]; /* (d,F) */
    sw_real *embed_w_t;              /* (I,d) */
    sw_real *pe;                     /* (T,d) sinusoidal positions */
    sw_real *emb;                    /* (T,B,d) embed(x) + PE: layer 0's input */
    sw_real *qkv[SW_MAX_LAYERS];     /* (T,B,3d) q | k | v, head h at columns h*dh.. of each */
    sw_real *att[SW_MAX_LAYERS];     /* (B,A,T,T) softmax weights (0 above the diagonal) */
    unsigned char *att_keep[SW_MAX_LAYERS]; /* (B,A,T,T) attention dropout: 1 kept, 0 dropped */
    sw_real *ctx[SW_MAX_LAYERS];     /* (T,B,d) heads' outputs, concatenated */
    sw_real *res1[SW_MAX_LAYERS];    /* (T,B,d) x + dropout1(out_proj(ctx)): norm1's input */
    sw_real *y1[SW_MAX_LAYERS];      /* (T,B,d) norm1's output */
    sw_real *f[SW_MAX_LAYERS];       /* (T,B,F) relu(linear1(y1)) */
    sw_real *fd[SW_MAX_LAYERS];      /* (T,B,F) dropout(f): linear2's input (training) */
    sw_real *res2[SW_MAX_LAYERS];    /* (T,B,d) y1 + dropout2(linear2(fd)): norm2's input */
    sw_real *stats[SW_MAX_LAYERS];   /* (T*B,4) mean and 1/std of norm1's and norm2's rows */
    sw_real *m1[SW_MAX_LAYERS];      /* (T,B,d) dropout1 multipliers */
    sw_real *mf[SW_MAX_LAYERS];      /* (T,B,F) the feed-forward block's dropout multipliers */
    sw_real *m2[SW_MAX_LAYERS];      /* (T,B,d) dropout2 multipliers */
    sw_real keep_scale;              /* 1/(1-p): a kept attention weight's multiplier */
    int pe_ready;                    /* pe holds the positions */
    /* backward: d loss / d ... of the current layer */
    sw_real *dr2;                    /* (T,B,d) norm2's input (then, below layer 0, the embedding's output) */
    sw_real *dg;                     /* (T,B,d) linear2's output (dropout2 applied) */
    sw_real *dff;                    /* (T,B,F) linear1's output (before relu) */
    sw_real *dy;                     /* (T,B,d) norm1's output */
    sw_real *dr1;                    /* (T,B,d) norm1's input */
    sw_real *da;                     /* (T,B,d) out_proj's output (dropout1 applied) */
    sw_real *dctx;                   /* (T,B,d) the heads' concatenated outputs */
    sw_real *dqkv;                   /* (T,B,3d) */
    sw_real *dw;                     /* (d,3d) one step's term of in_proj's gradient (step norms) */
    sw_real *scratch;                /* per thread: one (sequence, head)'s q, k, v, ..., packed k and v, two (48,T) */
    size_t scratch_per_thread;
    int max_threads;                 /* threads the scratch is laid out for */
    unsigned only;                   /* benchmark (sw_tf_profile): products to run, 0 = everything */
    double *fmas;                    /* benchmark: multiply-adds counted per product kind */
} sw_tf_work;

/* Activations and scratch for forward and backward passes of up to max_batch sequences
 * of length seq_len. Everything is time-major, (T,B,...), so each step's batch block is
 * contiguous. One allocation; nothing is allocated during a pass. */
typedef struct {
    sw_model_shape shape;
    int max_batch, seq_len;
    int batch;                    /* B of the current pass */
    int train;                    /* current pass applies the dropout masks */
    int sequence_split;           /* 0 (after create): by size, the input products step by
                                     step and the weight gradients in chunks of rows once
                                     their arrays outgrow the caches; < 0 never; > 0 always,
                                     chunks of that many rows. Same results either way (the
                                     tests compare them) */
    int threads;                  /* threads a pass may use (1 after create); results do
                                     not depend on it */
    int dout_last_only;           /* backward: the top layer's dout holds its last step only
                                     (a last-step head); the earlier steps are zero and
                                     were not written */
    int record_dh;                /* backward fills dh_total and dh_outer (only possible
                                     when created with record_dh; the caller may turn it
                                     off for passes whose d loss / d h_t nobody reads) */

    /* The weights packed for kernels.h's sw_matmul_packed (see sw_model_pack): */
    sw_real *w_ih_t[SW_MAX_LAYERS];   /* W_ih^T (in,G*H): forward input products */
    sw_real *w_hh_t[SW_MAX_LAYERS];   /* W_hh^T (H,G*H): forward recurrent products */
    sw_real *w_ih_bwd[SW_MAX_LAYERS]; /* W_ih (G*H,in), layers l >= 1: into the layer below */
    sw_real *w_hh_bwd[SW_MAX_LAYERS]; /* W_hh (G*H,H): backward through time */
    sw_real *bias_sum[SW_MAX_LAYERS]; /* (G*H) b_ih + b_hh (rnn, lstm) */

    sw_real *x;                   /* (T,B,I) input batch */
    sw_real *act[SW_MAX_LAYERS];  /* (T,B,G*H) gate activations (lstm i,f,g,o; gru r,z,n) */
    sw_real *h[SW_MAX_LAYERS];    /* (T,B,H) layer outputs h_t */
    sw_real *cell[SW_MAX_LAYERS]; /* (T,B,H) lstm: c_t */
    sw_real *tanh_cell[SW_MAX_LAYERS]; /* (T,B,H) lstm: tanh(c_t) */
    sw_real *hn[SW_MAX_LAYERS];   /* (T,B,H) gru: W_hn h_{t-1} + b_hn */
    sw_real *xin[SW_MAX_LAYERS];  /* (T,B,H) input of layer l >= 1 after dropout */
    sw_real *mask[SW_MAX_LAYERS]; /* (T,B,H) dropout multipliers on layer l's output, l < L-1 */
    sw_real *mask_final;          /* (B,H), per-step head (T,B,H): dropout before the readout */
    sw_real *feat;                /* (B,H), per-step head (T,B,H): readout input */
    sw_real *logits;              /* (B,C), per-step head (T,B,C): readout output */
    sw_real *fc_w_t;              /* (H,C) packed transpose of the readout weight */
    int32_t *labels;              /* (B), per-step head (T,B): the batch's class targets */
    sw_real *hproj;               /* (B,G*H) gru: W_hh h_{t-1} + b_hh */
    sw_real *zeros;               /* (B,G*H) h_{-1} = c_{-1} = 0 */

    /* (T,B,G*H) layer l's d loss / d gate pre-activations, input side. lstm and gru write
     * a step's over the gate activations it has just read (act[l]), which nothing needs
     * once the step is done: no second array of the sequence's size to stream through
     * memory (an lstm at H = 32, T = 500: 8 MB per batch). rnn: one array all layers share. */
    sw_real *dpre[SW_MAX_LAYERS];
    sw_real *dhn;                 /* (T,B,H) gru: d loss / d (W_hn h_{t-1} + b_hn), the n
                                     gate's recurrent side (its r and z gates' recurrent
                                     sides are their input sides, in dpre[l]); one array
                                     all layers share */
    sw_real *dout;                /* (T,B,H) d loss / d layer output from the layer above */
    sw_real *dxin;                /* (T,B,max(I,H)) d loss / d layer input */
    sw_real *dh, *dcell;          /* (B,H) running recurrent gradients */
    sw_real *dfeat, *dlogits;     /* shaped as feat and logits */
    sw_real *dfc_scratch;         /* (H,C) transposed readout-weight gradient */
    sw_real *dw_scratch;          /* (max(I,H), G*H) transposed weight-gradient tile */
    sw_real *norm_scratch;        /* (4,H,G*H) the recording pass's dW_hh of 4 steps, when
                                     record_dh and at most 256 KiB; else NULL */
    sw_tf_work *tf;               /* transformer only (NULL otherwise): its activations */
    sw_real *dh_total[SW_MAX_LAYERS]; /* (T,B,H) d loss / d h_t, total derivative through
                                         later steps and layers, when record_dh */
    sw_real *dh_outer[SW_MAX_LAYERS]; /* (T,B,H) the part through the layer above (or the
                                         readout) only, when record_dh: what PyTorch gives
                                         as the gradient of a layer's output sequence */
    sw_real *dx_total;            /* (T,B,I) d loss / d x_t, the input sequence, when record_dh:
                                     the one per-step gradient every cell has (a transformer
                                     with a last-step head has none at its top layer's
                                     earlier outputs, whose dh_total is exactly 0) */
    void *block;
} sw_model_work;

/* Number of threads a transformer's pass may use at most (its per-thread scratch). */
#define SW_TF_MAX_THREADS 64

/* Allocates a work area; record_dh also keeps every layer's d loss / d h_t and the input's
 * d loss / d x_t from backward (dh_total, dh_outer, dx_total) and turns w->record_dh on.
 * Returns SW_OK, SW_ENOMEM. *out is NULL on failure. */
int sw_model_work_create(sw_model_work **out, const sw_model_shape *shape, int max_batch,
                         int seq_len, int record_dh);
void sw_model_work_free(sw_model_work *w);

/* Bytes of memory sw_model_work_create takes for these sizes (its block as allocated, with
 * a transformer's per-thread scratch for this thread's omp_get_max_threads()): what a run's
 * training keeps, for the memory estimate (estimate.h). */
size_t sw_model_work_bytes(const sw_model_shape *shape, int max_batch, int seq_len, int record_dh);

/* Refreshes the packed weights and summed biases from `p`; call after every parameter
 * change and before a forward or backward pass. */
void sw_model_pack(sw_model_work *w, const sw_params *p);

/* Loads B sequences into w->x: either rows `index[0..B)` of `data` (N,T,I) floats, or
 * (index NULL) the first B rows; step t of each is its stored step steps[t] (a permutation
 * of 0..T-1), or step t when steps is NULL. */
void sw_model_load_input(sw_model_work *w, const float *data, const int32_t *steps, const int *index, int B);

/* Same from batch-first sw_real values (B,T,I) (tests, reference vectors). */
void sw_model_load_input_real(sw_model_work *w, const sw_real *x, int B);

/* Draws fresh inverted-dropout masks (keep with probability 1-p, scaled by 1/(1-p)) for
 * a batch of B, for the next training forward. */
void sw_model_sample_dropout(sw_model_work *w, struct sw_rng *rng, int B, double p);

/* Forward pass over the loaded batch. train != 0 applies the current dropout masks.
 * Returns the summed loss over the batch (each sequence's loss: the cross-entropy at the
 * last step, the mean over K of squared errors, or the cross-entropy averaged over all
 * steps); *correct (may be NULL) receives the number of correct predictions among the
 * scored ones (sw_model_scored_steps per sequence), per_sample (may be NULL) each
 * sequence's loss. The targets are kept for the backward pass. */
double sw_model_forward(sw_model_work *w, const sw_params *p, const sw_targets *y, int train,
                        int *correct, double *per_sample);

/* Backward pass of the batch mean of the last forward's loss; ADDS the gradients into
 * `grad` (the caller zeroes it). Fills w->dh_total when the work records it. When
 * dwhh_step_norms is not NULL it receives (L,T) values: the Frobenius norm of time step
 * t's term of d loss / d W_hh of layer l, || sum_b dpre_hh[t,b] (x) h[t-1,b] || (0 at t=0);
 * for a transformer, of d loss / d in_proj_weight (the weight that makes the attention's
 * q, k, v): || sum_b dqkv[t,b] (x) x_in[t,b] ||. */
void sw_model_backward(sw_model_work *w, const sw_params *p, const sw_params *grad,
                       const sw_targets *y, double *dwhh_step_norms);

#endif
