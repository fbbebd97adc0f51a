/* transformer.h: the transformer cell's parts of model.c's contract (engine-internal).
 *
 * model.c keeps the public entry points (model.h) and the readout heads, and calls these
 * for a shape whose cell is SW_CELL_TRANSFORMER. The layers' outputs are the work's h[l]
 * (T,B,d), so everything downstream of the layers (heads, records) is the recurrent
 * stack's. */
#ifndef SWEEP_TRANSFORMER_H
#define SWEEP_TRANSFORMER_H

#include <stddef.h>

#include "model.h"

struct sw_rng;

/* Tensor `index` (0 <= index < 2 + 12 L: the embedding's two, then each layer's twelve in
 * PyTorch's state-dict order) without the readout: its name, rows and cols (0: a vector). */
void sw_tf_tensor(const sw_model_shape *s, int index, char *name, size_t namelen, int *rows, int *cols);

/* The view of `p` that tensor `index` (as above) binds. */
sw_real **sw_tf_slot(sw_params *p, int index);

/* PyTorch's initialisation of the embedding and the layers, drawn from rng in table order. */
void sw_tf_init_params(const sw_params *p, const sw_model_shape *s, struct sw_rng *rng);

/* Carves the transformer's buffers (and w->tf itself) out of the work's block as
 * model.c's layout does (base NULL: only counts *used). */
void sw_tf_layout(sw_model_work *w, char *base, size_t *used);

/* Packs the weights for the products (forward and backward); sets the positions table. */
void sw_tf_pack(sw_model_work *w, const sw_params *p);

/* Draws the layers' dropout masks for a batch of B (before the readout's). */
void sw_tf_sample_dropout(sw_model_work *w, struct sw_rng *rng, int B, double p);

/* Forward of the embedding and every layer into w->h: part k of n threads, inside the
 * caller's parallel region. */
void sw_tf_forward_layers(sw_model_work *w, const sw_params *p, int k, int n);

/* Backward from w->dout (d loss / d top layer's output, which the readout wrote) through
 * every layer and the embedding, adding parameter gradients into grad; part k of n.
 * step_norms (L,T) as sw_model_backward's, or NULL. */
void sw_tf_backward_layers(sw_model_work *w, const sw_params *p, const sw_params *grad, double *step_norms,
                           int k, int n);

/* The layers' matrix products by kind, as the passes call them (each with the packing it
 * does itself), for the benchmark (tests/bench_engine.c). */
typedef enum {
    SW_TF_EMBED,  /* forward: embedding (T B, I) (I, d) */
    SW_TF_IN,     /* in_proj: (T B, d) (d, 3d) */
    SW_TF_QK,     /* attention scores q k^T per (sequence, head), causal query blocks */
    SW_TF_AV,     /* attention output P v */
    SW_TF_OUT,    /* out_proj: (T B, d) (d, d) */
    SW_TF_FF,     /* linear1 (T B, d) (d, F) and linear2 (T B, F) (F, d) */
    SW_TF_FF_DX,  /* backward: the feed-forward's input gradients (T B, d) (d, F), (T B, F) (F, d) */
    SW_TF_FF_DW,  /* linear1's and linear2's weight gradients, (F, T B) (T B, d) and transposed */
    SW_TF_OUT_DX, /* out_proj's input gradient (T B, d) (d, d) */
    SW_TF_OUT_DW, /* out_proj's weight gradient (d, T B) (T B, d) */
    SW_TF_DP,     /* attention: d P = dO v^T */
    SW_TF_DV,     /* dv += P^T dO */
    SW_TF_DQ,     /* dq = dS k */
    SW_TF_DK,     /* dk += dS^T q */
    SW_TF_IN_DX,  /* in_proj's input gradient (T B, 3d) (3d, d) */
    SW_TF_IN_DW,  /* in_proj's weight gradient (3d, T B) (T B, d) */
    SW_TF_EMBED_DW, /* the embedding's weight gradient (d, T B) (T B, I) */
    SW_TF_PRODUCTS
} sw_tf_product;

/* A short name of each kind ("qk", "in_dw", ...). */
const char *sw_tf_product_name(sw_tf_product kind);

/* For the benchmark: until called again with kinds 0, the passes over w run only the
 * products whose bit (1u << kind) is set in kinds, and none of the other work (norms,
 * softmax, gathers, masks: the values are then meaningless), and add each product's
 * multiply-adds (R K N per call) into fmas[kind]. One thread only (sw_tf_forward_layers
 * and sw_tf_backward_layers with k = 0, n = 1). */
void sw_tf_profile(sw_model_work *w, unsigned kinds, double *fmas);

#endif
