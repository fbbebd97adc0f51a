/* Compares the engine with PyTorch autograd (tests/data/torch-vectors.h5, float64):
 * hidden states, logits, per-sample and mean loss, d loss / d h_t of every layer, every
 * parameter gradient, the parameters after one Adam step, and the StepLR schedule.
 *
 * The reference's `dloss_dh` is, despite its README, PyTorch's gradient of each layer's
 * output sequence (non-zero at t < T-1 only below the top layer): the part of d loss/d h_t
 * that arrives through the layer above or the readout, without the recurrent path. It is
 * compared with the engine's dh_outer; the total derivative (dh_total, what the HDF5 files
 * record) is checked by finite differences in test_engine_gradcheck.c, and here by its
 * consistency with the reference: at t = T-1 both coincide.
 *
 * Built twice: against the double engine (tolerance 1e-9: only rounding differs) and the
 * float engine (tolerance 2e-5 relative + 2e-6 absolute: float rounding over 7 steps of
 * 16 units, plus the rational tanh's 3.6e-7 error).
 * Usage: test_engine_reference FILE.h5 */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "optim.h"
#include "torch_ref.h"

static void check_group(const char *group, sw_cell_kind cell, int L)
{
    const int I = 10, H = 16, T = 7, B = 4;
    sw_model_shape shape = {.cell = cell, .activation = SW_ACT_TANH, .head = SW_TARGET_CLASS_LAST, .input = I,
                            .hidden = H, .layers = L, .gates = sw_cell_gates(cell), .outputs = 2};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(3 * n, sizeof(sw_real));
    sw_params params, grads, after;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    sw_params_bind(&after, flat + 2 * n, &shape);
    torch_weights(group, &shape, flat);
    double *x = torch_doubles(group, "inputs", (size_t)B * T * I);
    sw_real xr[4 * 7 * 10];
    for (int i = 0; i < B * T * I; i++) xr[i] = (sw_real)x[i];
    double *lab = torch_doubles(group, "labels", B);
    int32_t labels[4];
    for (int b = 0; b < B; b++) labels[b] = (int32_t)lab[b];
    sw_targets targets = {labels, NULL};

    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 1) == SW_OK, "work");
    sw_model_pack(w, &params);
    sw_model_load_input_real(w, xr, B);
    double per_sample[4];
    double total = sw_model_forward(w, &params, &targets, 0, NULL, per_sample);

    char what[160];
    double *want_loss = torch_doubles(group, "loss", 1);
    sw_real loss = (sw_real)(total / B);
    snprintf(what, sizeof what, "%s loss", group);
    torch_compare(what, &loss, want_loss, 1);
    double *want_ps = torch_doubles(group, "per_sample_loss", B);
    sw_real ps[4];
    for (int b = 0; b < B; b++) ps[b] = (sw_real)per_sample[b];
    snprintf(what, sizeof what, "%s per_sample_loss", group);
    torch_compare(what, ps, want_ps, B);
    double *want_logits = torch_doubles(group, "logits", (size_t)B * 2);
    snprintf(what, sizeof what, "%s logits", group);
    torch_compare(what, w->logits, want_logits, (size_t)B * 2);

    /* hidden and dloss_dh are (L,B,T,H); the engine keeps (T,B,H) per layer. */
    double *want_h = torch_doubles(group, "hidden", (size_t)L * B * T * H);
    sw_real *got = malloc((size_t)L * B * T * H * sizeof *got);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(((size_t)l * B + b) * T + t) * H + j] = w->h[l][((size_t)t * B + b) * H + j];
    snprintf(what, sizeof what, "%s hidden", group);
    torch_compare(what, got, want_h, (size_t)L * B * T * H);

    sw_model_backward(w, &params, &grads, &targets, NULL);
    double *want_dh = torch_doubles(group, "dloss_dh", (size_t)L * B * T * H);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(((size_t)l * B + b) * T + t) * H + j] = w->dh_outer[l][((size_t)t * B + b) * H + j];
    snprintf(what, sizeof what, "%s dloss_dh (through the layer above)", group);
    torch_compare(what, got, want_dh, (size_t)L * B * T * H);
    int last_bad = 0;
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                size_t e = ((size_t)(T - 1) * B + b) * H + j;
                last_bad += !check_close(w->dh_total[l][e], w->dh_outer[l][e], 0, 0);
            }
    CHECK(last_bad == 0, "%s: total and outer d loss / d h_T differ at the last step", group);

    torch_compare_tensors(group, "grads", &shape, flat + n);

    /* One Adam step (lr 1e-3, PyTorch defaults) from the weights with these gradients. */
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_optimizer opt;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_ADAM, n) == SW_OK, "optimizer");
    memcpy(flat + 2 * n, flat, n * sizeof(sw_real));
    cfg.train.weight_decay = 0;
    sw_optimizer_step(&opt, &cfg.train, flat + 2 * n, flat + n, 1e-3);
    torch_compare_tensors(group, "after_adam_step", &shape, flat + 2 * n);
    sw_optimizer_free(&opt);
    free(want_loss), free(want_ps), free(want_logits), free(want_h), free(want_dh);
    free(got), free(x), free(lab), free(flat);
    sw_model_work_free(w);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s torch-vectors.h5\n", argv[0]);
        return 2;
    }
    torch_open(argv[1]);
    static const struct { const char *group; sw_cell_kind cell; int layers; } groups[] = {
        {"rnn_L1", SW_CELL_RNN, 1},   {"rnn_L2", SW_CELL_RNN, 2},   {"lstm_L1", SW_CELL_LSTM, 1},
        {"lstm_L2", SW_CELL_LSTM, 2}, {"gru_L1", SW_CELL_GRU, 1},   {"gru_L2", SW_CELL_GRU, 2},
    };
    for (size_t g = 0; g < SW_ARRAY_LEN(groups); g++) check_group(groups[g].group, groups[g].cell, groups[g].layers);

    /* StepLR(step 20, gamma 0.5) from 1e-3, epochs 1..50. */
    hid_t d = H5Dopen2(torch_file, "/step_lr_epochs_1_to_50", H5P_DEFAULT);
    double want[50];
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, want);
    H5Dclose(d);
    sw_config cfg;
    sw_config_defaults(&cfg);
    int bad = 0;
    for (int e = 1; e <= 50; e++) bad += !check_close(sw_schedule_lr(&cfg.train, e), want[e - 1], 1e-15, 1e-12);
    CHECK(bad == 0, "step schedule differs from torch StepLR at %d epochs", bad);
    H5Fclose(torch_file);
    return check_report("engine reference (" FLAVOUR ")");
}
