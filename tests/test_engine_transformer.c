/* Compares the transformer cell with PyTorch autograd (tests/data/torch-transformer.h5,
 * float64, written by tests/make_torch_vectors.py --transformer).
 *
 * Every group (heads value_K1, value_K3, class_C10, steps_C9 x 1 layer, 2 layers, 2 layers
 * with the file's dropout masks; d = 8, 2 heads, ff 16): outputs or logits, per-sample and
 * mean loss, the number of correct predictions, every layer's output, its softmax attention
 * weights, the gradient of every layer's output (dh_outer, and dh_total, which for a
 * transformer is the same thing), and every parameter gradient, the embedding's and the
 * layer norms' included. (Thread-count independence is test_engine_determinism's: these
 * batches are too small for a pass to take a second thread.)
 *
 * Built twice, tolerances as test_engine_reference.c: the double engine to 1e-9 (only
 * rounding differs), the float engine to 2e-5 relative + 2e-6 absolute. The generator keeps
 * linear1's pre-activations and winning logits 1e-3 away from ties.
 * Usage: test_engine_transformer torch-transformer.h5 */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "torch_ref.h"

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
    const char *suffix;
    int layers, dropout;
} variants[] = {{"L1", 1, 0}, {"L2", 2, 0}, {"L2_dropout", 2, 1}};

/* Forward and backward of the group's model (with the file's dropout masks when dropout);
 * returns the work (the caller frees it), the gradients added into grads. */
static sw_model_work *run_group(const char *group, const sw_model_shape *shape, const sw_params *params,
                                const sw_params *grads, const sw_real *xr, const sw_targets *targets, int dropout,
                                double *total, int *correct, double *per_sample)
{
    int B = torch_int_attr(group, "batch"), T = torch_int_attr(group, "seq_len");
    int d = shape->hidden, F = shape->ff, A = shape->heads, L = shape->layers;
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, shape, B, T, 1) == SW_OK, "work");
    if (!w) exit(1);
    sw_model_pack(w, params);
    sw_model_load_input_real(w, xr, B);
    if (dropout) {
        /* The file's masks replace the engine's own draws. */
        size_t nd = (size_t)B * T * d, nf = (size_t)B * T * F, na = (size_t)B * A * T * T;
        double *m1 = torch_doubles(group, "mask_attn_out", L * nd), *m2 = torch_doubles(group, "mask_ff_out", L * nd);
        double *mf = torch_doubles(group, "mask_ff", L * nf), *ma = torch_doubles(group, "mask_att", L * na);
        double scale = 0;
        for (int l = 0; l < L; l++) {
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++) {
                    for (int j = 0; j < d; j++) {
                        w->tf->m1[l][time_major(b, t, j, B, d)] = (sw_real)m1[l * nd + batch_first(b, t, j, T, d)];
                        w->tf->m2[l][time_major(b, t, j, B, d)] = (sw_real)m2[l * nd + batch_first(b, t, j, T, d)];
                    }
                    for (int j = 0; j < F; j++)
                        w->tf->mf[l][time_major(b, t, j, B, F)] = (sw_real)mf[l * nf + batch_first(b, t, j, T, F)];
                }
            for (size_t i = 0; i < na; i++) { /* (B,A,T,T) in both */
                w->tf->att_keep[l][i] = ma[l * na + i] != 0;
                if (ma[l * na + i] != 0) scale = ma[l * na + i];
            }
        }
        w->tf->keep_scale = (sw_real)scale;
        int steps = shape->head == SW_TARGET_CLASS_STEPS ? T : 1;
        double *m = torch_doubles(group, "mask_final", (size_t)steps * B * d);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < steps; t++)
                for (int j = 0; j < d; j++)
                    w->mask_final[time_major(b, t, j, B, d)] = (sw_real)m[batch_first(b, t, j, steps, d)];
        free(m), free(m1), free(m2), free(mf), free(ma);
    }
    *total = sw_model_forward(w, params, targets, dropout, correct, per_sample);
    sw_model_backward(w, params, grads, targets, NULL);
    return w;
}

static void check_group(const char *group, sw_target_kind head, int L, int dropout)
{
    const int I = torch_int_attr(group, "input"), d = torch_int_attr(group, "hidden");
    const int T = torch_int_attr(group, "seq_len"), B = torch_int_attr(group, "batch");
    const int C = torch_int_attr(group, "outputs"), from = torch_int_attr(group, "scored_from");
    const int A = torch_int_attr(group, "heads"), F = torch_int_attr(group, "ff");
    sw_model_shape shape = {.cell = SW_CELL_TRANSFORMER, .head = head, .input = I, .hidden = d, .layers = L,
                            .heads = A, .ff = F, .outputs = C, .scored_from = from};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(2 * n, sizeof(sw_real));
    sw_params params, grads;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    char name[160], what[256];
    torch_weights(group, &shape, flat);
    size_t nx = (size_t)B * T * I, nseq = (size_t)B * T * d;
    double *x = torch_doubles(group, "inputs", nx);
    sw_real *xr = malloc(nx * sizeof *xr);
    for (size_t i = 0; i < nx; i++) xr[i] = (sw_real)x[i];
    sw_targets targets;
    torch_targets(group, head, B, T, C, &targets);

    double total, per_sample[16];
    int correct = -1;
    sw_model_work *w = run_group(group, &shape, &params, &grads, xr, &targets, dropout, &total, &correct, per_sample);

    double *want_loss = torch_doubles(group, "loss", 1);
    sw_real loss = (sw_real)(total / B);
    snprintf(what, sizeof what, "%s loss", group);
    torch_compare(what, &loss, want_loss, 1);
    double *want_ps = torch_doubles(group, "per_sample_loss", (size_t)B);
    sw_real ps[16];
    for (int b = 0; b < B; b++) ps[b] = (sw_real)per_sample[b];
    snprintf(what, sizeof what, "%s per_sample_loss", group);
    torch_compare(what, ps, want_ps, (size_t)B);

    int steps = head == SW_TARGET_CLASS_STEPS ? T : 1;
    size_t nout = (size_t)steps * B * C, natt = (size_t)L * B * A * T * T;
    size_t biggest = (size_t)L * nseq > nout ? (size_t)L * nseq : nout;
    sw_real *got = malloc((biggest > natt ? biggest : natt) * sizeof *got);
    double *want_out = torch_doubles(group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits", nout);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < steps; t++)
            for (int c = 0; c < C; c++) got[batch_first(b, t, c, steps, C)] = w->logits[time_major(b, t, c, B, C)];
    snprintf(what, sizeof what, "%s %s", group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits");
    torch_compare(what, got, want_out, nout);
    if (head != SW_TARGET_VALUE_LAST) {
        int want_correct = -1;
        snprintf(name, sizeof name, "%s/correct", group);
        torch_read_into(name, H5T_NATIVE_INT, &want_correct, 1);
        CHECK(correct == want_correct, "%s %s: %d correct, torch counts %d", FLAVOUR, group, correct, want_correct);
    }

    double *want_h = torch_doubles(group, "hidden", (size_t)L * nseq);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < d; j++)
                    got[(size_t)l * nseq + batch_first(b, t, j, T, d)] = w->h[l][time_major(b, t, j, B, d)];
    snprintf(what, sizeof what, "%s hidden", group);
    torch_compare(what, got, want_h, (size_t)L * nseq);

    double *want_att = torch_doubles(group, "attention", natt);
    for (int l = 0; l < L; l++) memcpy(got + (size_t)l * B * A * T * T, w->tf->att[l], (size_t)B * A * T * T * sizeof *got);
    snprintf(what, sizeof what, "%s attention", group);
    torch_compare(what, got, want_att, natt);

    double *want_dh = torch_doubles(group, "dloss_dh", (size_t)L * nseq);
    for (int pass = 0; pass < 2; pass++) {
        for (int l = 0; l < L; l++)
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                    for (int j = 0; j < d; j++)
                        got[(size_t)l * nseq + batch_first(b, t, j, T, d)] =
                            (pass ? w->dh_total : w->dh_outer)[l][time_major(b, t, j, B, d)];
        snprintf(what, sizeof what, "%s dloss_dh (%s)", group, pass ? "dh_total" : "dh_outer");
        torch_compare(what, got, want_dh, (size_t)L * nseq);
    }

    torch_compare_tensors(group, "grads", &shape, flat + n);

    free(want_loss), free(want_ps), free(want_out), free(want_h), free(want_dh), free(want_att);
    free(got), free(x), free(xr), free((void *)targets.labels), free((void *)targets.values), free(flat);
    sw_model_work_free(w);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s torch-transformer.h5\n", argv[0]);
        return 2;
    }
    torch_open(argv[1]);
    for (size_t h = 0; h < SW_ARRAY_LEN(heads); h++)
        for (size_t v = 0; v < SW_ARRAY_LEN(variants); v++) {
            char group[128];
            snprintf(group, sizeof group, "/%s/transformer_%s", heads[h].name, variants[v].suffix);
            check_group(group, heads[h].head, variants[v].layers, variants[v].dropout);
        }
    printf("%s engine vs torch: largest relative difference %.3g\n", FLAVOUR, torch_worst_rel);
    H5Fclose(torch_file);
    return check_report("engine transformer (" FLAVOUR ")");
}
