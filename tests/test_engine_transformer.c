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

#ifdef SW_REAL_DOUBLE
static const double ATOL = 1e-9, RTOL = 1e-9;
#define FLAVOUR "double"
#else
static const double ATOL = 2e-6, RTOL = 2e-5;
#define FLAVOUR "float"
#endif

static hid_t file;
static double worst_rel; /* largest |engine - torch| / max(|torch|, 1e-3) seen */

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

static void fail_file(const char *what, const char *path)
{
    fprintf(stderr, "%s: %s\n", what, path);
    exit(2);
}

/* Reads dataset `path` (n values, asserted) into buf as memtype. */
static void read_into(const char *path, hid_t memtype, void *buf, size_t expect)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) fail_file("missing dataset", path);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n < 0 || (size_t)n != expect) {
        fprintf(stderr, "%s has %lld values, expected %zu\n", path, (long long)n, expect);
        exit(2);
    }
    if (H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) fail_file("cannot read", path);
    H5Sclose(sp);
    H5Dclose(d);
}

/* A new array of the n float64 values of <group>/<name>. */
static double *read_doubles(const char *group, const char *name, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", group, name);
    double *v = malloc(n * sizeof *v + 1);
    read_into(path, H5T_NATIVE_DOUBLE, v, n);
    return v;
}

static void read_attr(const char *group, const char *name, hid_t memtype, void *out)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", group, name);
    hid_t a = H5Aopen_by_name(file, group, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) fail_file("missing attribute", path);
    if (H5Aread(a, memtype, out) < 0) fail_file("cannot read attribute", path);
    H5Aclose(a);
}

static int read_int_attr(const char *group, const char *name)
{
    int v;
    read_attr(group, name, H5T_NATIVE_INT, &v);
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
        if (!(err <= worst)) worst = err, worst_i = i;
        double rel = err / (fabs(want[i]) > 1e-3 ? fabs(want[i]) : 1e-3);
        if (rel > worst_rel) worst_rel = rel;
    }
    CHECK(bad == 0, "%s %s: %d of %zu values differ; worst at %zu: %.12g vs %.12g", FLAVOUR, what, bad, n,
          worst_i, (double)got[worst_i], want[worst_i]);
    return bad;
}

/* (B,T,X) batch-first <-> the engine's (T,B,X). */
static size_t time_major(int b, int t, int x, int B, int X) { return ((size_t)t * B + b) * X + x; }
static size_t batch_first(int b, int t, int x, int T, int X) { return ((size_t)b * T + t) * X + x; }

/* Forward and backward of the group's model (with the file's dropout masks when dropout);
 * returns the work (the caller frees it), the gradients added into grads. */
static sw_model_work *run_group(const char *group, const sw_model_shape *shape, const sw_params *params,
                                const sw_params *grads, const sw_real *xr, const sw_targets *targets, int dropout,
                                double *total, int *correct, double *per_sample)
{
    int B = read_int_attr(group, "batch"), T = read_int_attr(group, "seq_len");
    int d = shape->hidden, F = shape->ff, A = shape->heads, L = shape->layers;
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, shape, B, T, 1) == SW_OK, "work");
    if (!w) exit(1);
    sw_model_pack(w, params);
    sw_model_load_input_real(w, xr, B);
    if (dropout) {
        /* The file's masks replace the engine's own draws. */
        size_t nd = (size_t)B * T * d, nf = (size_t)B * T * F, na = (size_t)B * A * T * T;
        double *m1 = read_doubles(group, "mask_attn_out", L * nd), *m2 = read_doubles(group, "mask_ff_out", L * nd);
        double *mf = read_doubles(group, "mask_ff", L * nf), *ma = read_doubles(group, "mask_att", L * na);
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
        double *m = read_doubles(group, "mask_final", (size_t)steps * B * d);
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
    const int I = read_int_attr(group, "input"), d = read_int_attr(group, "hidden");
    const int T = read_int_attr(group, "seq_len"), B = read_int_attr(group, "batch");
    const int C = read_int_attr(group, "outputs"), from = read_int_attr(group, "scored_from");
    const int A = read_int_attr(group, "heads"), F = read_int_attr(group, "ff");
    sw_model_shape shape = {.cell = SW_CELL_TRANSFORMER, .head = head, .input = I, .hidden = d, .layers = L,
                            .heads = A, .ff = F, .outputs = C, .scored_from = from};
    size_t n = sw_param_count(&shape);
    sw_real *flat = calloc(2 * n, sizeof(sw_real));
    sw_params params, grads;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    char name[160], what[256];
    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "weights/%s", t.name);
        double *v = read_doubles(group, name, t.count);
        for (size_t i = 0; i < t.count; i++) flat[t.offset + i] = (sw_real)v[i];
        free(v);
    }
    size_t nx = (size_t)B * T * I, nseq = (size_t)B * T * d;
    double *x = read_doubles(group, "inputs", nx);
    sw_real *xr = malloc(nx * sizeof *xr);
    for (size_t i = 0; i < nx; i++) xr[i] = (sw_real)x[i];
    size_t n_labels = head == SW_TARGET_CLASS_STEPS ? (size_t)B * T : (size_t)B;
    int32_t *labels = NULL;
    float *values = NULL;
    snprintf(name, sizeof name, "%s/%s", group, head == SW_TARGET_VALUE_LAST ? "values" : "labels");
    if (head == SW_TARGET_VALUE_LAST) {
        values = malloc((size_t)B * C * sizeof *values);
        read_into(name, H5T_NATIVE_FLOAT, values, (size_t)B * C);
    } else {
        labels = malloc(n_labels * sizeof *labels);
        read_into(name, H5T_NATIVE_INT32, labels, n_labels);
    }
    sw_targets targets = {labels, values};

    double total, per_sample[16];
    int correct = -1;
    sw_model_work *w = run_group(group, &shape, &params, &grads, xr, &targets, dropout, &total, &correct, per_sample);

    double *want_loss = read_doubles(group, "loss", 1);
    sw_real loss = (sw_real)(total / B);
    snprintf(what, sizeof what, "%s loss", group);
    compare(what, &loss, want_loss, 1);
    double *want_ps = read_doubles(group, "per_sample_loss", (size_t)B);
    sw_real ps[16];
    for (int b = 0; b < B; b++) ps[b] = (sw_real)per_sample[b];
    snprintf(what, sizeof what, "%s per_sample_loss", group);
    compare(what, ps, want_ps, (size_t)B);

    int steps = head == SW_TARGET_CLASS_STEPS ? T : 1;
    size_t nout = (size_t)steps * B * C, natt = (size_t)L * B * A * T * T;
    size_t biggest = (size_t)L * nseq > nout ? (size_t)L * nseq : nout;
    sw_real *got = malloc((biggest > natt ? biggest : natt) * sizeof *got);
    double *want_out = read_doubles(group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits", nout);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < steps; t++)
            for (int c = 0; c < C; c++) got[batch_first(b, t, c, steps, C)] = w->logits[time_major(b, t, c, B, C)];
    snprintf(what, sizeof what, "%s %s", group, head == SW_TARGET_VALUE_LAST ? "outputs" : "logits");
    compare(what, got, want_out, nout);
    if (head != SW_TARGET_VALUE_LAST) {
        int want_correct = -1;
        snprintf(name, sizeof name, "%s/correct", group);
        read_into(name, H5T_NATIVE_INT, &want_correct, 1);
        CHECK(correct == want_correct, "%s %s: %d correct, torch counts %d", FLAVOUR, group, correct, want_correct);
    }

    double *want_h = read_doubles(group, "hidden", (size_t)L * nseq);
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < d; j++)
                    got[(size_t)l * nseq + batch_first(b, t, j, T, d)] = w->h[l][time_major(b, t, j, B, d)];
    snprintf(what, sizeof what, "%s hidden", group);
    compare(what, got, want_h, (size_t)L * nseq);

    double *want_att = read_doubles(group, "attention", natt);
    for (int l = 0; l < L; l++) memcpy(got + (size_t)l * B * A * T * T, w->tf->att[l], (size_t)B * A * T * T * sizeof *got);
    snprintf(what, sizeof what, "%s attention", group);
    compare(what, got, want_att, natt);

    double *want_dh = read_doubles(group, "dloss_dh", (size_t)L * nseq);
    for (int pass = 0; pass < 2; pass++) {
        for (int l = 0; l < L; l++)
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                    for (int j = 0; j < d; j++)
                        got[(size_t)l * nseq + batch_first(b, t, j, T, d)] =
                            (pass ? w->dh_total : w->dh_outer)[l][time_major(b, t, j, B, d)];
        snprintf(what, sizeof what, "%s dloss_dh (%s)", group, pass ? "dh_total" : "dh_outer");
        compare(what, got, want_dh, (size_t)L * nseq);
    }

    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "grads/%s", t.name);
        double *v = read_doubles(group, name, t.count);
        snprintf(what, sizeof what, "%s %s", group, name);
        compare(what, flat + n + t.offset, v, t.count);
        free(v);
    }

    free(want_loss), free(want_ps), free(want_out), free(want_h), free(want_dh), free(want_att);
    free(got), free(x), free(xr), free(labels), free(values), free(flat);
    sw_model_work_free(w);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s torch-transformer.h5\n", argv[0]);
        return 2;
    }
    file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) fail_file("cannot open", argv[1]);
    for (size_t h = 0; h < SW_ARRAY_LEN(heads); h++)
        for (size_t v = 0; v < SW_ARRAY_LEN(variants); v++) {
            char group[128];
            snprintf(group, sizeof group, "/%s/transformer_%s", heads[h].name, variants[v].suffix);
            check_group(group, heads[h].head, variants[v].layers, variants[v].dropout);
        }
    printf("%s engine vs torch: largest relative difference %.3g\n", FLAVOUR, worst_rel);
    H5Fclose(file);
    return check_report("engine transformer (" FLAVOUR ")");
}
