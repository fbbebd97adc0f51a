/* model.h: stacked recurrent classifier (rnn | lstm | gru layers, Linear readout).
 *
 * Parameters, gradients and optimizer moments each live in one flat buffer of
 * sw_param_count() values; sw_params is a struct of views into such a buffer. The layout
 * of every tensor is that of PyTorch's state dict (torch.nn.RNN/LSTM/GRU with
 * batch_first=True, then torch.nn.Linear), so the flat buffer is also what the HDF5 file
 * stores, tensor by tensor, in the order of the tensor table below. */
#ifndef SWEEP_MODEL_H
#define SWEEP_MODEL_H

#include <stddef.h>

#include "common.h"
#include "config.h"

#define SW_CLASSES 2

typedef struct {
    sw_cell_kind cell;
    int input;  /* I */
    int hidden; /* H */
    int layers; /* L */
    int gates;  /* G: 1 rnn, 4 lstm (i,f,g,o), 3 gru (r,z,n) */
} sw_model_shape;

typedef struct {
    sw_real *w_ih; /* (G*H, in) in = I for layer 0, H above */
    sw_real *w_hh; /* (G*H, H) */
    sw_real *b_ih; /* (G*H) */
    sw_real *b_hh; /* (G*H) */
} sw_layer_params;

typedef struct {
    sw_layer_params layer[SW_MAX_LAYERS];
    sw_real *fc_w; /* (2, H) */
    sw_real *fc_b; /* (2) */
} sw_params;

/* One tensor of the parameter buffer, for generic loops (HDF5 dump, tests). */
typedef struct {
    char name[32];  /* "rnn/weight_ih_l0", ..., "fc/weight", "fc/bias" */
    int rows, cols; /* cols == 0 for a vector */
    size_t offset;  /* into the flat buffer */
    size_t count;   /* rows * max(cols, 1) */
} sw_tensor_info;

sw_model_shape sw_model_shape_from_config(const sw_config *cfg);

/* Number of parameters (13,314 for the reference model). */
size_t sw_param_count(const sw_model_shape *shape);

/* Number of tensors: 4 per layer plus 2 for the readout. */
int sw_tensor_count(const sw_model_shape *shape);

/* Describes tensor `index` (0 <= index < sw_tensor_count). */
sw_tensor_info sw_tensor_describe(const sw_model_shape *shape, int index);

/* Points the views in `p` into `flat` (which holds sw_param_count values). */
void sw_params_bind(sw_params *p, sw_real *flat, const sw_model_shape *shape);

#endif
