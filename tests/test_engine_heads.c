/* Compares the engine's readout heads, relu cell and RMSprop / AdamW with PyTorch
 * (tests/data/torch-heads.h5, float64, written by tests/make_torch_vectors.py).
 *
 * Every model group (heads value_K1, value_K3, class_C10, steps_C9 x cells rnn tanh, rnn
 * relu, lstm, gru x 1 layer, 2 layers, 2 layers with the file's dropout masks): logits
 * or outputs, per-sample and mean loss, the number of correct predictions (exactly; the
 * per-step head counts steps >= scored_from only), every layer's hidden states, the
 * gradient of every layer's output sequence (the engine's dh_outer), dh_total = dh_outer
 * at the last step, and every parameter gradient. Every optimizer group: the parameters
 * after each of 3 steps of a fixed gradient sequence under a changing learning rate.
 *
 * Built twice, tolerances as test_engine_reference.c: the double engine to 1e-9 (only
 * rounding differs), the float engine to 2e-5 relative + 2e-6 absolute. The generator
 * keeps relu pre-activations and winning logits 1e-3 away from ties, so float rounding
 * cannot flip a relu or an arg max.
 * Usage: test_engine_heads torch-heads.h5 */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "optim.h"
#include "torch_ref.h"

/* The file's groups, as the generator writes them: /<head>/<cell>_L<layers>[_dropout]. */
static const struct {
    const char *name;
    sw_target_kind head;
} heads[] = {
    {"value_K1", SW_TARGET_VALUE_LAST},
    {"value_K3", SW_TARGET_VALUE_LAST},
    {"class_C10", SW_TARGET_CLASS_LAST},
    {"steps_C9", SW_TARGET_CLASS_STEPS},
};
static const struct {
    const char *name;
    sw_cell_kind cell;
    sw_activation_kind activation;
} cells[] = {
    {"rnn_tanh", SW_CELL_RNN, SW_ACT_TANH},
    {"rnn_relu", SW_CELL_RNN, SW_ACT_RELU},
    {"lstm", SW_CELL_LSTM, SW_ACT_TANH},
    {"gru", SW_CELL_GRU, SW_ACT_TANH},
};
static const struct {
    const char *suffix;
    int layers, dropout;
} variants[] = {{"L1", 1, 0}, {"L2", 2, 0}, {"L2_dropout", 2, 1}};

static const char *optim_groups[] = {
    "rmsprop_plain",    "rmsprop_alpha_eps",         "rmsprop_momentum", "rmsprop_centered",
    "rmsprop_centered_momentum", "rmsprop_weight_decay", "rmsprop_all",  "adamw_weight_decay",
    "adamw_betas",      "adamw_no_decay",
};

static void check_model_group(const char *group, sw_target_kind head, sw_cell_kind cell, sw_activation_kind act,
                              int L, int dropout)
{
    const int I = torch_int_attr(group, "input"), H = torch_int_attr(group, "hidden");
    const int T = torch_int_attr(group, "seq_len"), B = torch_int_attr(group, "batch");
    const int C = torch_int_attr(group, "outputs"), from = torch_int_attr(group, "scored_from");
    sw_model_shape shape = {.cell = cell, .activation = act, .head = head, .input = I, .hidden = H, .layers = L,
                            .gates = sw_cell_gates(cell), .outputs = C, .scored_from = from};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(2 * n, sizeof(sw_real));
    sw_params params, grads;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    char name[128], what[256];
    torch_weights(group, &shape, flat);
    size_t nx = (size_t)B * T * I, nseq = (size_t)B * T * H;
    double *x = torch_doubles(group, "inputs", nx);
    sw_real *xr = malloc(nx * sizeof *xr);
    for (size_t i = 0; i < nx; i++) xr[i] = (sw_real)x[i];

    /* Targets as the engine takes them: int32 labels or float values. */
    sw_targets targets;
    torch_targets(group, head, B, T, C, &targets);

    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 1) == SW_OK, "work");
    sw_model_pack(w, &params);
    sw_model_load_input_real(w, xr, B);
    if (dropout) {
        /* The file's masks replace the engine's own draws. */
        if (L > 1) {
            double *m = torch_doubles(group, "mask_layers", (size_t)(L - 1) * nseq);
            for (int l = 0; l < L - 1; l++)
                for (int b = 0; b < B; b++)
                    for (int t = 0; t < T; t++)
                        for (int j = 0; j < H; j++)
                            w->mask[l][time_major(b, t, j, B, H)] =
                                (sw_real)m[(size_t)l * nseq + batch_first(b, t, j, T, H)];
            free(m);
        }
        int steps = head == SW_TARGET_CLASS_STEPS ? T : 1;
        double *m = torch_doubles(group, "mask_final", (size_t)steps * B * H);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < steps; t++)
                for (int j = 0; j < H; j++)
                    w->mask_final[time_major(b, t, j, B, H)] = (sw_real)m[batch_first(b, t, j, steps, H)];
        free(m);
    }
    double *per_sample = malloc((size_t)B * sizeof *per_sample);
    int correct = -1;
    double total = sw_model_forward(w, &params, &targets, dropout, &correct, per_sample);

    double *want_loss = torch_doubles(group, "loss", 1);
    sw_real loss = (sw_real)(total / B);
    snprintf(what, sizeof what, "%s loss", group);
    torch_compare(what, &loss, want_loss, 1);
    double *want_ps = torch_doubles(group, "per_sample_loss", (size_t)B);
    sw_real *ps = malloc((size_t)B * sizeof *ps);
    for (int b = 0; b < B; b++) ps[b] = (sw_real)per_sample[b];
    snprintf(what, sizeof what, "%s per_sample_loss", group);
    torch_compare(what, ps, want_ps, (size_t)B);

    /* Readout outputs: (B,C) at the last step, or (B,T,C) against the engine's (T,B,C). */
    int steps = head == SW_TARGET_CLASS_STEPS ? T : 1;
    size_t nout = (size_t)steps * B * C;
    double *want_out = torch_doubles(group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits", nout);
    sw_real *got = malloc(((size_t)L * nseq > nout ? (size_t)L * nseq : nout) * sizeof *got);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < steps; t++)
            for (int c = 0; c < C; c++) got[batch_first(b, t, c, steps, C)] = w->logits[time_major(b, t, c, B, C)];
    snprintf(what, sizeof what, "%s %s", group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits");
    torch_compare(what, got, want_out, nout);

    if (head == SW_TARGET_VALUE_LAST) {
        CHECK(correct == 0, "%s: a regression counts %d correct predictions", group, correct);
        CHECK(sw_model_scored_steps(&shape, T) == 0, "%s: a regression scores steps", group);
    } else {
        int want_correct = -1;
        snprintf(name, sizeof name, "%s/correct", group);
        torch_read_into(name, H5T_NATIVE_INT, &want_correct, 1);
        CHECK(correct == want_correct, "%s %s: %d correct, torch counts %d", FLAVOUR, group, correct, want_correct);
        int scored = sw_model_scored_steps(&shape, T);
        CHECK(scored == (head == SW_TARGET_CLASS_STEPS ? T - from : 1), "%s: %d scored steps", group, scored);
    }

    /* hidden and dloss_dh are (L,B,T,H); the engine keeps (T,B,H) per layer. */
    double *want_h = torch_doubles(group, "hidden", (size_t)L * nseq);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(size_t)l * nseq + batch_first(b, t, j, T, H)] = w->h[l][time_major(b, t, j, B, H)];
    snprintf(what, sizeof what, "%s hidden", group);
    torch_compare(what, got, want_h, (size_t)L * nseq);

    sw_model_backward(w, &params, &grads, &targets, NULL);
    double *want_dh = torch_doubles(group, "dloss_dh", (size_t)L * nseq);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++)
                    got[(size_t)l * nseq + batch_first(b, t, j, T, H)] = w->dh_outer[l][time_major(b, t, j, B, H)];
    snprintf(what, sizeof what, "%s dloss_dh (through the layer above)", group);
    torch_compare(what, got, want_dh, (size_t)L * nseq);
    int last_bad = 0;
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                size_t e = time_major(b, T - 1, j, B, H);
                last_bad += !check_close(w->dh_total[l][e], w->dh_outer[l][e], 0, 0);
            }
    CHECK(last_bad == 0, "%s: total and outer d loss / d h_T differ at the last step", group);

    torch_compare_tensors(group, "grads", &shape, flat + n);
    free(want_loss), free(want_ps), free(want_out), free(want_h), free(want_dh);
    free(got), free(ps), free(per_sample), free(x), free(xr), free((void *)targets.labels), free((void *)targets.values), free(flat);
    sw_model_work_free(w);
}

/* 3 optimizer steps from params0 with the file's gradients and learning rates. */
static void check_optim_group(const char *group)
{
    enum { STEPS = 3 };
    char kind_name[16] = "";
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8); /* h5py writes str attributes as UTF-8 */
    char *text = NULL;
    torch_attr(group, "optimizer", str, &text);
    if (text) snprintf(kind_name, sizeof kind_name, "%s", text);
    H5free_memory(text);
    H5Tclose(str);
    sw_optimizer_kind kind = strcmp(kind_name, "rmsprop") == 0 ? SW_OPTIM_RMSPROP
                             : strcmp(kind_name, "adamw") == 0 ? SW_OPTIM_ADAMW
                                                                : SW_OPTIM_COUNT;
    CHECK(kind != SW_OPTIM_COUNT, "%s: unknown optimizer '%s'", group, kind_name);
    if (kind == SW_OPTIM_COUNT) return;

    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_train_config *t = &cfg.train;
    t->optimizer = kind;
    t->alpha = torch_double_attr(group, "alpha");
    t->eps = torch_double_attr(group, "eps");
    t->momentum = torch_double_attr(group, "momentum");
    t->weight_decay = torch_double_attr(group, "weight_decay");
    t->beta1 = torch_double_attr(group, "beta1");
    t->beta2 = torch_double_attr(group, "beta2");
    t->centered = torch_int_attr(group, "centered") != 0;

    char path[256];
    snprintf(path, sizeof path, "%s/params0", group);
    hid_t d = H5Dopen2(torch_file, path, H5P_DEFAULT);
    if (d < 0) torch_fail("missing dataset", path);
    hid_t sp = H5Dget_space(d);
    size_t n = (size_t)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Dclose(d);
    double *p0 = torch_doubles(group, "params0", n), *g = torch_doubles(group, "grads", STEPS * n);
    double *lr = torch_doubles(group, "lr", STEPS), *want = torch_doubles(group, "params", STEPS * n);
    sw_real *params = malloc(n * sizeof *params), *grads = malloc(n * sizeof *grads);
    for (size_t i = 0; i < n; i++) params[i] = (sw_real)p0[i];
    sw_optimizer opt;
    CHECK(sw_optimizer_init(&opt, kind, n) == SW_OK, "optimizer");
    for (int s = 0; s < STEPS; s++) {
        for (size_t i = 0; i < n; i++) grads[i] = (sw_real)g[(size_t)s * n + i];
        sw_optimizer_step(&opt, t, params, grads, lr[s]);
        char what[256];
        snprintf(what, sizeof what, "%s: parameters after step %d", group, s + 1);
        torch_compare(what, params, want + (size_t)s * n, n);
    }
    sw_optimizer_free(&opt);
    free(p0), free(g), free(lr), free(want), free(params), free(grads);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s torch-heads.h5\n", argv[0]);
        return 2;
    }
    torch_open(argv[1]);
    /* Every group the file holds is one this test knows (and checks) below. */
    CHECK(torch_count_members("/") == (long long)SW_ARRAY_LEN(heads) + 1, "the file has %lld top-level groups",
          torch_count_members("/"));
    CHECK(torch_count_members("/optim") == (long long)SW_ARRAY_LEN(optim_groups), "the file has %lld optimizer groups",
          torch_count_members("/optim"));
    char group[128];
    for (size_t h = 0; h < SW_ARRAY_LEN(heads); h++) {
        snprintf(group, sizeof group, "/%s", heads[h].name);
        CHECK(torch_count_members(group) == (long long)(SW_ARRAY_LEN(cells) * SW_ARRAY_LEN(variants)),
              "%s has %lld groups", group, torch_count_members(group));
        for (size_t c = 0; c < SW_ARRAY_LEN(cells); c++)
            for (size_t v = 0; v < SW_ARRAY_LEN(variants); v++) {
                snprintf(group, sizeof group, "/%s/%s_%s", heads[h].name, cells[c].name, variants[v].suffix);
                check_model_group(group, heads[h].head, cells[c].cell, cells[c].activation, variants[v].layers,
                                  variants[v].dropout);
            }
    }
    for (size_t o = 0; o < SW_ARRAY_LEN(optim_groups); o++) {
        snprintf(group, sizeof group, "/optim/%s", optim_groups[o]);
        check_optim_group(group);
    }
    H5Fclose(torch_file);
    return check_report("engine heads and optimizers vs PyTorch (" FLAVOUR ")");
}
