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

#ifdef SW_REAL_DOUBLE
static const double ATOL = 1e-9, RTOL = 1e-9;
#define FLAVOUR "double"
#else
static const double ATOL = 2e-6, RTOL = 2e-5;
#define FLAVOUR "float"
#endif

static hid_t file;

/* Reads a float64 dataset into a new array of n values; asserts its size. */
static double *read_doubles(const char *group, const char *name, size_t expect)
{
    char path[256];
    snprintf(path, sizeof path, "/%s/%s", group, name);
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) {
        fprintf(stderr, "missing %s\n", path);
        exit(2);
    }
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if ((size_t)n != expect) {
        fprintf(stderr, "%s has %lld values, expected %zu\n", path, (long long)n, expect);
        exit(2);
    }
    double *v = malloc((size_t)n * sizeof *v);
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Sclose(sp);
    H5Dclose(d);
    return v;
}

/* Counts mismatches of n engine values against the reference; reports the worst. */
static int compare(const char *what, const sw_real *got, const double *want, size_t n)
{
    int bad = 0;
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!check_close(got[i], want[i], ATOL, RTOL)) bad++;
        if (err > worst) worst = err, worst_i = i;
    }
    CHECK(bad == 0, "%s: %d of %zu values differ; worst at %zu: %.12g vs %.12g", what, bad, n,
          worst_i, (double)got[worst_i], want[worst_i]);
    return bad;
}

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
    char name[128];
    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "weights/%s", t.name);
        double *v = read_doubles(group, name, t.count);
        for (size_t i = 0; i < t.count; i++) flat[t.offset + i] = (sw_real)v[i];
        free(v);
    }
    double *x = read_doubles(group, "inputs", (size_t)B * T * I);
    sw_real xr[4 * 7 * 10];
    for (int i = 0; i < B * T * I; i++) xr[i] = (sw_real)x[i];
    double *lab = read_doubles(group, "labels", B);
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
    double *want_loss = read_doubles(group, "loss", 1);
    sw_real loss = (sw_real)(total / B);
    snprintf(what, sizeof what, "%s %s loss", FLAVOUR, group);
    compare(what, &loss, want_loss, 1);
    double *want_ps = read_doubles(group, "per_sample_loss", B);
    sw_real ps[4];
    for (int b = 0; b < B; b++) ps[b] = (sw_real)per_sample[b];
    snprintf(what, sizeof what, "%s %s per_sample_loss", FLAVOUR, group);
    compare(what, ps, want_ps, B);
    double *want_logits = read_doubles(group, "logits", (size_t)B * 2);
    snprintf(what, sizeof what, "%s %s logits", FLAVOUR, group);
    compare(what, w->logits, want_logits, (size_t)B * 2);

    /* hidden and dloss_dh are (L,B,T,H); the engine keeps (T,B,H) per layer. */
    double *want_h = read_doubles(group, "hidden", (size_t)L * B * T * H);
    sw_real *got = malloc((size_t)L * B * T * H * sizeof *got);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(((size_t)l * B + b) * T + t) * H + j] = w->h[l][((size_t)t * B + b) * H + j];
    snprintf(what, sizeof what, "%s %s hidden", FLAVOUR, group);
    compare(what, got, want_h, (size_t)L * B * T * H);

    sw_model_backward(w, &params, &grads, &targets, NULL);
    double *want_dh = read_doubles(group, "dloss_dh", (size_t)L * B * T * H);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(((size_t)l * B + b) * T + t) * H + j] = w->dh_outer[l][((size_t)t * B + b) * H + j];
    snprintf(what, sizeof what, "%s %s dloss_dh (through the layer above)", FLAVOUR, group);
    compare(what, got, want_dh, (size_t)L * B * T * H);
    int last_bad = 0;
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                size_t e = ((size_t)(T - 1) * B + b) * H + j;
                last_bad += !check_close(w->dh_total[l][e], w->dh_outer[l][e], 0, 0);
            }
    CHECK(last_bad == 0, "%s: total and outer d loss / d h_T differ at the last step", group);

    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "grads/%s", t.name);
        double *v = read_doubles(group, name, t.count);
        snprintf(what, sizeof what, "%s %s %s", FLAVOUR, group, name);
        compare(what, flat + n + t.offset, v, t.count);
        free(v);
    }

    /* One Adam step (lr 1e-3, PyTorch defaults) from the weights with these gradients. */
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_optimizer opt;
    CHECK(sw_optimizer_init(&opt, SW_OPTIM_ADAM, n) == SW_OK, "optimizer");
    memcpy(flat + 2 * n, flat, n * sizeof(sw_real));
    cfg.train.weight_decay = 0;
    sw_optimizer_step(&opt, &cfg.train, flat + 2 * n, flat + n, 1e-3);
    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "after_adam_step/%s", t.name);
        double *v = read_doubles(group, name, t.count);
        snprintf(what, sizeof what, "%s %s %s", FLAVOUR, group, name);
        compare(what, flat + 2 * n + t.offset, v, t.count);
        free(v);
    }
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
    file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    static const struct { const char *group; sw_cell_kind cell; int layers; } groups[] = {
        {"rnn_L1", SW_CELL_RNN, 1},   {"rnn_L2", SW_CELL_RNN, 2},   {"lstm_L1", SW_CELL_LSTM, 1},
        {"lstm_L2", SW_CELL_LSTM, 2}, {"gru_L1", SW_CELL_GRU, 1},   {"gru_L2", SW_CELL_GRU, 2},
    };
    for (size_t g = 0; g < SW_ARRAY_LEN(groups); g++) check_group(groups[g].group, groups[g].cell, groups[g].layers);

    /* StepLR(step 20, gamma 0.5) from 1e-3, epochs 1..50. */
    hid_t d = H5Dopen2(file, "/step_lr_epochs_1_to_50", H5P_DEFAULT);
    double want[50];
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, want);
    H5Dclose(d);
    sw_config cfg;
    sw_config_defaults(&cfg);
    int bad = 0;
    for (int e = 1; e <= 50; e++) bad += !check_close(sw_schedule_lr(&cfg.train, e), want[e - 1], 1e-15, 1e-12);
    CHECK(bad == 0, "step schedule differs from torch StepLR at %d epochs", bad);
    H5Fclose(file);
    return check_report("engine reference (" FLAVOUR ")");
}
