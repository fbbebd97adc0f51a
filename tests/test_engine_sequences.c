/* Compares the engine with PyTorch on the long-sequence workloads (tests/data/torch-sequences.h5,
 * float64, written by tests/make_torch_vectors.py --sequences), with the inputs built by sweep's
 * own readers rather than taken from the file:
 *
 *   /pixels: a 28x28 IDX fixture (its bytes are in the file; written to SCRATCH and read by
 *            data.c) read pixel by pixel, T = 784, I = 1, in order and with task.permute
 *            (permute_seed 5); the sequences task.c hands a run must equal torch's inputs bit
 *            for bit (numpy and a Python Philox built those), and the permutation its steps.
 *            Then one layer (tanh rnn, lstm, gru) and a class at the last step: logits, loss,
 *            every hidden state, d loss / d h_t, the gradient reaching every input step
 *            (dx_total, what dx1/dxT is made of) and every parameter gradient, at T = 784.
 *   /text:   a short UTF-8 text cut into windows by task.kind text: vocabulary, unigram entropy,
 *            the windows' one-hot inputs and next-character targets equal torch's; the per-step
 *            head's logits, loss and bits per character (loss / ln 2), hidden states and
 *            gradients.
 *
 * Built twice, as test_engine_heads.c: the double engine to 1e-9, the float engine to 2e-5
 * relative + 2e-6 absolute; over 784 steps the float engine's input gradients are also held
 * step by step to 1% of torch's norm at that step (float rounding drifts by up to 0.6% over
 * 640 steps of backpropagation; the first steps' gradients are 1e-8..1e-33, far
 * below the absolute tolerance).
 * Usage: test_engine_sequences torch-sequences.h5 SCRATCH_DIR */
#define _XOPEN_SOURCE 700
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "data.h"
#include "mkdir_p.h"
#include "model.h"
#include "task.h"

#ifdef SW_REAL_DOUBLE
static const double ATOL = 1e-9, RTOL = 1e-9, STEP_RTOL = 1e-8;
#define FLAVOUR "double"
#else
static const double ATOL = 2e-6, RTOL = 2e-5, STEP_RTOL = 1e-2;
#define FLAVOUR "float"
#endif

static hid_t file;
static const char *scratch;

static void die(const char *what, const char *path)
{
    fprintf(stderr, "%s: %s\n", what, path);
    exit(2);
}

/* The values of dataset `path` (as memtype, of `size` bytes each): a new array, its count. */
static void *read_all(const char *path, hid_t memtype, size_t size, size_t *count)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) die("missing dataset", path);
    hid_t sp = H5Dget_space(d);
    *count = (size_t)H5Sget_simple_extent_npoints(sp);
    void *v = malloc(*count * size + 1);
    if (!v || H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) die("cannot read", path);
    H5Sclose(sp);
    H5Dclose(d);
    return v;
}

static double *doubles(const char *group, const char *name, size_t expect)
{
    char path[256];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", group, name);
    double *v = read_all(path, H5T_NATIVE_DOUBLE, sizeof *v, &n);
    if (n != expect) die("unexpected size", path);
    return v;
}

static long long attr(const char *group, const char *name)
{
    long long v = 0;
    hid_t a = H5Aopen_by_name(file, group, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &v) < 0) die("missing attribute", name);
    H5Aclose(a);
    return v;
}

static double attr_double(const char *group, const char *name)
{
    double v = 0;
    hid_t a = H5Aopen_by_name(file, group, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) die("missing attribute", name);
    H5Aclose(a);
    return v;
}

/* Writes the uint8 dataset `path` of the file to `out`. */
static void write_bytes(const char *path, const char *out)
{
    size_t n;
    unsigned char *b = read_all(path, H5T_NATIVE_UCHAR, 1, &n);
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f)) die("cannot write", out);
    free(b);
}

static int compare(const char *what, const sw_real *got, const double *want, size_t n)
{
    int bad = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (!check_close(got[i], want[i], ATOL, RTOL)) bad++;
        if (!(fabs(got[i] - want[i]) <= fabs(got[worst] - want[worst]))) worst = i;
    }
    CHECK(bad == 0, "%s %s: %d of %zu values differ; worst at %zu: %.12g vs %.12g", FLAVOUR, what, bad, n, worst,
          (double)got[worst], want[worst]);
    return bad;
}

/* The engine's (T,B,X) array `a` as (B,T,X) into out. */
static void batch_first(sw_real *out, const sw_real *a, int T, int B, int X)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            memcpy(out + ((size_t)b * T + t) * X, a + ((size_t)t * B + b) * X, (size_t)X * sizeof *out);
}

/* d loss / d x_t step by step: each step's norm over the batch within STEP_RTOL of torch's,
 * wherever torch's is a normal float (the first pixels' are as small as 1e-33). */
static void compare_step_norms(const char *group, const sw_real *dx, const double *want, int B, int T, int I)
{
    int bad = 0, checked = 0, worst_t = 0;
    double worst = 0;
    for (int t = 0; t < T; t++) {
        double a = 0, b = 0;
        for (int s = 0; s < B; s++)
            for (int i = 0; i < I; i++) {
                size_t k = ((size_t)s * T + t) * I + i;
                a += (double)dx[k] * dx[k];
                b += want[k] * want[k];
            }
        a = sqrt(a), b = sqrt(b);
        if (!(b > 1e-36)) continue;
        checked++;
        double rel = fabs(a - b) / b;
        if (!(rel <= STEP_RTOL)) bad++;
        if (!(rel <= worst)) worst = rel, worst_t = t;
    }
    CHECK(bad == 0 && checked > T / 2, "%s %s: d loss / d x_t norms: %d of %d steps off by more than %g (worst "
          "%.3g at t = %d)", FLAVOUR, group, bad, checked, STEP_RTOL, worst, worst_t);
}

/* The model of `group` (one recurrent layer, weights from the file) on rows 0..B-1 of d as
 * the engine loads them, against torch: forward, backward, every recorded quantity. */
static void check_model(const char *group, sw_cell_kind cell, sw_target_kind head, const sw_dataset *d, int B)
{
    int T = (int)attr(group, "seq_len"), I = (int)attr(group, "input"), H = (int)attr(group, "hidden");
    int C = (int)attr(group, "outputs");
    sw_model_shape shape = {.cell = cell, .activation = SW_ACT_TANH, .head = head, .input = I, .hidden = H,
                            .layers = 1, .gates = sw_cell_gates(cell), .outputs = C};
    size_t n = sw_param_count(&shape), nx = (size_t)B * T * I, nh = (size_t)B * T * H;
    sw_real *flat = calloc(2 * n, sizeof *flat);
    sw_params params, grads;
    sw_params_bind(&params, flat, &shape);
    sw_params_bind(&grads, flat + n, &shape);
    char name[128], what[256];
    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "weights/%s", t.name);
        double *v = doubles(group, name, t.count);
        for (size_t i = 0; i < t.count; i++) flat[t.offset + i] = (sw_real)v[i];
        free(v);
    }
    sw_model_work *w = NULL;
    CHECK(sw_model_work_create(&w, &shape, B, T, 1) == SW_OK, "work");
    sw_model_pack(w, &params);
    int index[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    sw_model_load_input(w, d->x, d->steps, index, B); /* the engine's own loading, permutation and all */
    size_t nlabels = head == SW_TARGET_CLASS_STEPS ? (size_t)B * T : (size_t)B;
    sw_targets y = {d->y, NULL};
    double total = sw_model_forward(w, &params, &y, 0, NULL, NULL);
    sw_real loss = (sw_real)(total / B), got_bits = (sw_real)(total / B / log(2.0));
    double *want = doubles(group, "loss", 1);
    snprintf(what, sizeof what, "%s loss", group);
    compare(what, &loss, want, 1);
    free(want);
    if (head == SW_TARGET_CLASS_STEPS) {
        want = doubles(group, "bits_per_char", 1);
        snprintf(what, sizeof what, "%s bits per character", group);
        compare(what, &got_bits, want, 1);
        free(want);
    }
    int steps = head == SW_TARGET_CLASS_STEPS ? T : 1;
    size_t nbig = nx > nh ? nx : nh;
    sw_real *got = malloc((nbig > (size_t)steps * B * C ? nbig : (size_t)steps * B * C) * sizeof *got);
    batch_first(got, w->logits, steps, B, C);
    want = doubles(group, "logits", (size_t)steps * B * C);
    snprintf(what, sizeof what, "%s logits", group);
    compare(what, got, want, (size_t)steps * B * C);
    free(want);
    batch_first(got, w->h[0], T, B, H);
    want = doubles(group, "hidden", nh);
    snprintf(what, sizeof what, "%s hidden (T = %d)", group, T);
    compare(what, got, want, nh);
    free(want);

    sw_model_backward(w, &params, &grads, &y, NULL);
    batch_first(got, w->dh_outer[0], T, B, H);
    want = doubles(group, "dloss_dh", nh);
    snprintf(what, sizeof what, "%s dloss_dh (T = %d)", group, T);
    compare(what, got, want, nh);
    free(want);
    batch_first(got, w->dx_total, T, B, I);
    want = doubles(group, "dloss_dx", nx);
    snprintf(what, sizeof what, "%s dloss_dx (T = %d)", group, T);
    compare(what, got, want, nx);
    compare_step_norms(group, got, want, B, T, I);
    free(want);
    for (int k = 0; k < sw_tensor_count(&shape); k++) {
        sw_tensor_info t = sw_tensor_describe(&shape, k);
        snprintf(name, sizeof name, "grads/%s", t.name);
        want = doubles(group, name, t.count);
        snprintf(what, sizeof what, "%s %s", group, name);
        compare(what, flat + n + t.offset, want, t.count);
        free(want);
    }
    (void)nlabels;
    free(got);
    free(flat);
    sw_model_work_free(w);
}

/* Rows 0..B-1 of d as the network sees them equal the file's inputs and labels exactly. */
static void check_inputs(const char *group, const sw_dataset *d, int B)
{
    size_t nx = (size_t)B * d->seq_len * d->input, ny = (size_t)B * (d->target == SW_TARGET_CLASS_STEPS ? d->seq_len : 1);
    float *x = malloc(nx * sizeof *x);
    sw_dataset_copy_inputs(d, 0, B, x);
    double *want = doubles(group, "inputs", nx);
    size_t bad = 0;
    for (size_t i = 0; i < nx; i++) bad += (double)x[i] != want[i];
    CHECK(bad == 0, "%s: %zu of %zu inputs differ from torch's (built by numpy from the same bytes)", group, bad, nx);
    char path[256];
    size_t n;
    snprintf(path, sizeof path, "%s/labels", group);
    int32_t *labels = read_all(path, H5T_NATIVE_INT32, sizeof *labels, &n);
    CHECK(n == ny && !memcmp(labels, d->y, ny * sizeof *labels), "%s: targets differ from torch's", group);
    free(labels);
    free(want);
    free(x);
}

static void check_pixels(void)
{
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/idx", scratch);
    mkdir_p(dir);
    static const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                  "t10k-labels-idx1-ubyte"};
    for (size_t i = 0; i < SW_ARRAY_LEN(names); i++) {
        char src[256];
        snprintf(src, sizeof src, "/pixels/idx/%s", names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        write_bytes(src, path);
    }
    const sw_data_file *f = NULL;
    char err[512];
    CHECK(sw_data_open(dir, &f, err, sizeof err) == SW_OK, "%s", err);
    if (!f) return;
    static const struct {
        const char *group;
        sw_cell_kind cell;
        bool permute;
    } groups[] = {{"/pixels/rnn_tanh_sequential", SW_CELL_RNN, false},
                  {"/pixels/lstm_sequential", SW_CELL_LSTM, false},
                  {"/pixels/gru_sequential", SW_CELL_GRU, false},
                  {"/pixels/lstm_permuted", SW_CELL_LSTM, true}};
    for (size_t g = 0; g < SW_ARRAY_LEN(groups); g++) {
        sw_config cfg;
        sw_config_defaults(&cfg);
        sw_task_config *t = &cfg.task;
        t->kind = SW_TASK_FILE;
        snprintf(t->path, sizeof t->path, "%s", dir);
        t->sequence = SW_SEQUENCE_PIXELS;
        t->permute = groups[g].permute;
        t->permute_seed = groups[g].permute ? attr("/pixels", "permute_seed") : 0;
        sw_data_shape shape = sw_data_shape_of(f);
        const char *bad = NULL;
        CHECK(sw_task_resolve(t, &shape, err, sizeof err, &bad) == SW_OK, "%s", err);
        CHECK(t->seq_len == 784 && t->input_size == 1, "pixels: T = %d, I = %d", t->seq_len, t->input_size);
        sw_task_source src = {&f->train, &f->test, NULL};
        sw_task_data d;
        if (sw_task_data_make(&d, t, 1, 0, &src) != SW_OK) {
            CHECK(0, "%s: sw_task_data_make", groups[g].group);
            continue;
        }
        int B = (int)attr(groups[g].group, "batch");
        if (groups[g].permute) {
            char p[256];
            size_t n;
            snprintf(p, sizeof p, "%s/steps", groups[g].group);
            int32_t *steps = read_all(p, H5T_NATIVE_INT32, sizeof *steps, &n);
            CHECK(n == 784 && d.steps && !memcmp(steps, d.steps, n * sizeof *steps),
                  "the permutation of permute_seed 5 differs from the Python Philox one");
            free(steps);
        }
        check_inputs(groups[g].group, &d.train, B);
        check_model(groups[g].group, groups[g].cell, SW_TARGET_CLASS_LAST, &d.train, B);
        sw_task_data_free(&d);
    }
}

static void check_text(void)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/text.txt", scratch);
    write_bytes("/text/text", path);
    const sw_text *text = NULL;
    CHECK(sw_text_open(path, &text, err, sizeof err) == SW_OK, "%s", err);
    if (!text) return;
    size_t nv;
    int32_t *vocab = read_all("/text/vocabulary", H5T_NATIVE_INT32, sizeof *vocab, &nv);
    CHECK(text->utf8 == 1 && nv == (size_t)text->vocab_size && !memcmp(vocab, text->vocab, nv * sizeof *vocab),
          "text: the vocabulary differs from Python's sorted set of characters");
    CHECK(text->n == attr("/text", "chars"), "text: %lld characters, Python counts %lld", text->n,
          attr("/text", "chars"));
    CHECK(check_close(text->unigram, attr_double("/text", "unigram_entropy"), 1e-12, 1e-12),
          "text: unigram entropy %.15g, numpy's %.15g", text->unigram, attr_double("/text", "unigram_entropy"));
    free(vocab);
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_task_config *t = &cfg.task;
    t->kind = SW_TASK_TEXT;
    snprintf(t->path, sizeof t->path, "%s", path);
    t->seq_len = (int)attr("/text", "seq_len");
    t->val_fraction = attr_double("/text", "val_fraction");
    t->test_fraction = attr_double("/text", "test_fraction");
    sw_data_shape shape = sw_text_shape_of(text);
    CHECK(sw_task_resolve(t, &shape, err, sizeof err, NULL) == SW_OK, "%s", err);
    long long parts[3];
    sw_text_parts(t, text->n, parts);
    CHECK(parts[0] == attr("/text", "train_chars"), "text: training part of %lld characters, Python's %lld",
          parts[0], attr("/text", "train_chars"));
    sw_task_source src = {NULL, NULL, text};
    sw_task_data d;
    if (sw_task_data_make(&d, t, 1, 0, &src) != SW_OK) {
        CHECK(0, "text: sw_task_data_make");
        return;
    }
    static const struct {
        const char *group;
        sw_cell_kind cell;
    } groups[] = {{"/text/rnn_tanh", SW_CELL_RNN}, {"/text/lstm", SW_CELL_LSTM}, {"/text/gru", SW_CELL_GRU}};
    for (size_t g = 0; g < SW_ARRAY_LEN(groups); g++) {
        int B = (int)attr(groups[g].group, "batch");
        check_inputs(groups[g].group, &d.train, B);
        check_model(groups[g].group, groups[g].cell, SW_TARGET_CLASS_STEPS, &d.train, B);
    }
    sw_task_data_free(&d);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s torch-sequences.h5 SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) die("cannot open", argv[1]);
    scratch = argv[2];
    check_pixels();
    check_text();
    H5Fclose(file);
    sw_data_cache_clear();
    return check_report("test_engine_sequences_" FLAVOUR);
}
