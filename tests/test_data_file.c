/* test_data_file: the data module (data.h) on files written here with the plain HDF5 C API
 * and zlib: every target kind read back value for value, every kind of bad file refused
 * with a message naming the file and the dataset, IDX directories plain and gzip, and the
 * cache (one object per path, also under concurrent opens).
 *
 * Usage: test_data_file unit SCRATCH_DIR
 *        test_data_file fashion DIR    Fashion-MNIST as Debian ships it: checks the load
 *                                      and prints its time and memory; exit 77 when DIR
 *                                      is absent. */
#define _XOPEN_SOURCE 700
#include <hdf5.h>
#include <zlib.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "data.h"
#include "mkdir_p.h"

static char scratch[256];

static void scratch_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", scratch, name);
}

/* ---- writing HDF5 data files ----------------------------------------------------- */

enum { TRAIN_X, TRAIN_Y, TEST_X, TEST_Y, DS_COUNT };
static const char *ds_path[DS_COUNT] = {"/train/x", "/train/y", "/test/x", "/test/y"};

/* One dataset: its type (native: file and memory alike), shape and values. NULL data:
 * never written (contiguous storage is allocated late), so absurd shapes cost no disk. */
typedef struct {
    hid_t type;
    int rank;
    hsize_t dims[3];
    const void *data;
} ds_spec;

typedef struct {
    ds_spec ds[DS_COUNT];
    unsigned omit;      /* bit i: leave ds[i] out */
    long long n_classes; /* root attribute when != 0 */
    int train_x_group;  /* /train/x is a group */
} file_spec;

static void write_h5(const char *path, const file_spec *s)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int i = 0; i < DS_COUNT; i++) {
        if (s->omit & (1u << i)) continue;
        if (i == TRAIN_X && s->train_x_group) {
            H5Gclose(H5Gcreate2(f, ds_path[i], lcpl, H5P_DEFAULT, H5P_DEFAULT));
            continue;
        }
        const ds_spec *d = &s->ds[i];
        hid_t sp = H5Screate_simple(d->rank, d->dims, NULL);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        hid_t ds = H5Dcreate2(f, ds_path[i], d->type, sp, lcpl, dcpl, H5P_DEFAULT);
        CHECK(ds >= 0, "creating %s in %s", ds_path[i], path);
        if (d->data) H5Dwrite(ds, d->type, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->data);
        H5Dclose(ds);
        H5Pclose(dcpl);
        H5Sclose(sp);
    }
    if (s->n_classes) {
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(f, "n_classes", H5T_NATIVE_LLONG, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_LLONG, &s->n_classes);
        H5Aclose(a);
        H5Sclose(sp);
    }
    H5Pclose(lcpl);
    H5Fclose(f);
}

/* The values the good files hold: train 3 sequences, test 2, of T = 2 steps x I = 2. */
enum { NTR = 3, NTE = 2, T = 2, I = 2, K = 3 };
static float xtr[NTR * T * I], xte[NTE * T * I];
static int32_t ytr[NTR] = {0, 2, 1}, yte[NTE] = {4, 0};          /* max + 1 = 5 classes */
static int32_t str[NTR * T] = {0, 1, 2, 0, 1, 1}, ste[NTE * T] = {3, 0, 0, 0}; /* 4 */
static float v1tr[NTR] = {0.25f, -1.5f, 3e-7f}, v1te[NTE] = {1e6f, -0.0f};
static float vktr[NTR * K], vkte[NTE * K];

static void fill_values(void)
{
    /* Values that exercise the float bits: negatives, tiny, non-dyadic. */
    for (int j = 0; j < NTR * T * I; j++) xtr[j] = (float)(j - 5) / 3.0f + (j == 7 ? 1e-30f : 0);
    for (int j = 0; j < NTE * T * I; j++) xte[j] = (float)(j * j) * 0.1f - 2.0f;
    for (int j = 0; j < NTR * K; j++) vktr[j] = (float)j / 7.0f - 1.0f;
    for (int j = 0; j < NTE * K; j++) vkte[j] = -(float)j * 1.25f;
}

/* A good file with a class at the last step; cases change it. */
static file_spec class_last_spec(void)
{
    file_spec s = {0};
    s.ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {NTR, T, I}, xtr};
    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 1, {NTR}, ytr};
    s.ds[TEST_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {NTE, T, I}, xte};
    s.ds[TEST_Y] = (ds_spec){H5T_NATIVE_INT32, 1, {NTE}, yte};
    return s;
}

/* ---- the good files -------------------------------------------------------------- */

static int same_floats(const float *a, const float *b, size_t n)
{
    return a && b && memcmp(a, b, n * sizeof *a) == 0;
}

static int same_ints(const int32_t *a, const int32_t *b, size_t n)
{
    return a && b && memcmp(a, b, n * sizeof *a) == 0;
}

/* Opens path, which must load; checks what every file of these tests shares. */
static const sw_data_file *open_good(const char *path, sw_target_kind target, int outputs)
{
    char err[512] = "";
    const sw_data_file *f = NULL;
    int rc = sw_data_open(path, &f, err, sizeof err);
    CHECK(rc == SW_OK && f, "%s: %s", path, err);
    if (!f) return NULL;
    CHECK(f->target == target, "%s: target %d, expected %d", path, (int)f->target, (int)target);
    CHECK(f->outputs == outputs, "%s: outputs %d, expected %d", path, f->outputs, outputs);
    CHECK(f->train.outputs == outputs && f->test.outputs == outputs, "%s: dataset outputs", path);
    CHECK(f->train.target == target && f->test.target == target, "%s: dataset targets", path);
    CHECK(!f->train.borrowed && !f->test.borrowed, "%s: the cache owns the arrays", path);
    CHECK(strcmp(f->path, path) == 0, "%s: path %s", path, f->path);
    return f;
}

static void check_x(const sw_data_file *f, const char *what)
{
    CHECK(f->n_train == NTR && f->n_test == NTE && f->train.n == NTR && f->test.n == NTE,
          "%s: counts %d %d", what, f->n_train, f->n_test);
    CHECK(f->seq_len == T && f->input == I && f->train.seq_len == T && f->test.input == I,
          "%s: shape %d x %d", what, f->seq_len, f->input);
    CHECK(f->format == SW_DATA_HDF5, "%s: format", what);
    CHECK(same_floats(f->train.x, xtr, NTR * T * I), "%s: train x", what);
    CHECK(same_floats(f->test.x, xte, NTE * T * I), "%s: test x", what);
}

static void test_good_files(void)
{
    char path[600];
    const sw_data_file *f;

    file_spec s = class_last_spec();
    scratch_path(path, sizeof path, "class-last.h5");
    write_h5(path, &s);
    if ((f = open_good(path, SW_TARGET_CLASS_LAST, 5))) {
        check_x(f, path);
        CHECK(same_ints(f->train.y, ytr, NTR) && same_ints(f->test.y, yte, NTE), "labels");
        CHECK(!f->train.v && !f->test.v, "no regression values");
        char line[256];
        sw_data_describe(f, line, sizeof line);
        CHECK(strcmp(line, "3 train + 2 test sequences, 2 steps x 2 inputs, 5 classes at the "
                           "last step (hdf5)") == 0, "describe: %s", line);
    }

    s.n_classes = 7;
    scratch_path(path, sizeof path, "class-last-declared.h5");
    write_h5(path, &s);
    f = open_good(path, SW_TARGET_CLASS_LAST, 7);

    /* numpy's defaults: float64 inputs, int64 labels. */
    double xtr64[NTR * T * I], xte64[NTE * T * I];
    int64_t ytr64[NTR], yte64[NTE];
    for (int j = 0; j < NTR * T * I; j++) xtr64[j] = xtr[j];
    for (int j = 0; j < NTE * T * I; j++) xte64[j] = xte[j];
    for (int j = 0; j < NTR; j++) ytr64[j] = ytr[j];
    for (int j = 0; j < NTE; j++) yte64[j] = yte[j];
    s = class_last_spec();
    s.ds[TRAIN_X] = (ds_spec){H5T_NATIVE_DOUBLE, 3, {NTR, T, I}, xtr64};
    s.ds[TEST_X] = (ds_spec){H5T_NATIVE_DOUBLE, 3, {NTE, T, I}, xte64};
    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT64, 1, {NTR}, ytr64};
    s.ds[TEST_Y] = (ds_spec){H5T_NATIVE_INT64, 1, {NTE}, yte64};
    scratch_path(path, sizeof path, "numpy-types.h5");
    write_h5(path, &s);
    if ((f = open_good(path, SW_TARGET_CLASS_LAST, 5))) {
        check_x(f, path);
        CHECK(same_ints(f->train.y, ytr, NTR) && same_ints(f->test.y, yte, NTE), "int64 labels");
    }

    s = class_last_spec();
    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTR}, v1tr};
    s.ds[TEST_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTE}, v1te};
    scratch_path(path, sizeof path, "value-last-1.h5");
    write_h5(path, &s);
    if ((f = open_good(path, SW_TARGET_VALUE_LAST, 1))) {
        check_x(f, path);
        CHECK(same_floats(f->train.v, v1tr, NTR) && same_floats(f->test.v, v1te, NTE), "values");
        CHECK(!f->train.y && !f->test.y, "no labels");
    }

    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTR, K}, vktr};
    s.ds[TEST_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTE, K}, vkte};
    scratch_path(path, sizeof path, "value-last-k.h5");
    write_h5(path, &s);
    if ((f = open_good(path, SW_TARGET_VALUE_LAST, K))) {
        check_x(f, path);
        CHECK(same_floats(f->train.v, vktr, NTR * K) && same_floats(f->test.v, vkte, NTE * K),
              "K values");
        /* A view of the cached data is what the engine takes. */
        sw_dataset view = sw_dataset_view(&f->train, 1, 2);
        CHECK(view.borrowed && view.v == f->train.v + K && view.x == f->train.x + T * I, "view");
    }

    s = class_last_spec();
    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTR, T}, str};
    s.ds[TEST_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTE, T}, ste};
    scratch_path(path, sizeof path, "class-steps.h5");
    write_h5(path, &s);
    if ((f = open_good(path, SW_TARGET_CLASS_STEPS, 4))) {
        check_x(f, path);
        CHECK(same_ints(f->train.y, str, NTR * T) && same_ints(f->test.y, ste, NTE * T),
              "labels at every step");
    }
}

/* ---- the cache ------------------------------------------------------------------- */

static void test_cache(void)
{
    char path[600], other[700], err[512];
    scratch_path(path, sizeof path, "class-last.h5");
    const sw_data_file *a = NULL, *b = NULL, *c = NULL;
    CHECK(sw_data_open(path, &a, err, sizeof err) == SW_OK, "%s", err);
    CHECK(sw_data_open(path, &b, err, sizeof err) == SW_OK, "%s", err);
    snprintf(other, sizeof other, "%s/./../%s/class-last.h5", scratch,
             strrchr(scratch, '/') ? strrchr(scratch, '/') + 1 : scratch);
    CHECK(sw_data_open(other, &c, err, sizeof err) == SW_OK, "%s: %s", other, err);
    CHECK(a && a == b && a == c, "one object per file: %p %p %p", (void *)a, (void *)b, (void *)c);

    /* A failed open is not cached: the repaired file loads. */
    scratch_path(path, sizeof path, "repaired.h5");
    file_spec s = class_last_spec();
    s.omit = 1u << TEST_Y;
    write_h5(path, &s);
    CHECK(sw_data_open(path, &a, err, sizeof err) == SW_ENOTFOUND && !a, "broken file loaded");
    s.omit = 0;
    write_h5(path, &s);
    CHECK(sw_data_open(path, &a, err, sizeof err) == SW_OK && a, "repaired: %s", err);

    sw_data_cache_clear();
    sw_data_cache_clear();

    /* Concurrent first opens of a larger file: one load, one object. */
    enum { BN = 4000, BT = 50, BI = 20, THREADS = 4 };
    float *bx = malloc(sizeof(float) * BN * BT * BI);
    int32_t *by = malloc(sizeof(int32_t) * BN);
    for (int j = 0; j < BN * BT * BI; j++) bx[j] = (float)(j % 101) * 0.01f;
    for (int j = 0; j < BN; j++) by[j] = j % 3;
    s.ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {BN, BT, BI}, bx};
    s.ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 1, {BN}, by};
    s.ds[TEST_X] = s.ds[TRAIN_X];
    s.ds[TEST_Y] = s.ds[TRAIN_Y];
    scratch_path(path, sizeof path, "threads.h5");
    write_h5(path, &s);
    const sw_data_file *got[THREADS] = {0};
    int rcs[THREADS];
#pragma omp parallel for num_threads(THREADS)
    for (int t = 0; t < THREADS; t++) {
        char e[512];
        rcs[t] = sw_data_open(path, &got[t], e, sizeof e);
    }
    for (int t = 0; t < THREADS; t++)
        CHECK(rcs[t] == SW_OK && got[t] == got[0], "thread %d: rc %d, %p vs %p", t, rcs[t],
              (void *)got[t], (void *)got[0]);
    if (got[0])
        CHECK(same_floats(got[0]->train.x, bx, (size_t)BN * BT * BI) &&
                  same_ints(got[0]->test.y, by, BN) && got[0]->outputs == 3,
              "threads.h5 values");
    free(bx);
    free(by);
}

/* ---- bad HDF5 files -------------------------------------------------------------- */

static float x_nan[NTR * T * I], x_inf[NTE * T * I], v_nan[NTR];
static int32_t y_negative[NTE] = {1, -1}, y_zero_tr[NTR], y_zero_te[NTE];
static int32_t steps_bad[NTE * T] = {0, 1, 9, 0};
static int64_t y_huge[NTR] = {0, 1, (int64_t)1 << 40};
static int32_t x_int[NTR * T * I];
static char y_str[NTR][4] = {"a", "b", "c"};

typedef struct {
    const char *name;
    void (*change)(file_spec *s);
    int code;
    const char *where;  /* the dataset the message must name */
    const char *phrase; /* and what it must say */
} bad_case;

static void omit_test_x(file_spec *s) { s->omit = 1u << TEST_X; }
static void omit_train(file_spec *s) { s->omit = 1u << TRAIN_X | 1u << TRAIN_Y; }
static void x_is_group(file_spec *s) { s->train_x_group = 1; }
static void x_rank2(file_spec *s) { s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTR, T * I}, xtr}; }
static void x_integer(file_spec *s) { s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_INT32, 3, {NTR, T, I}, x_int}; }
static void y_rank3(file_spec *s) { s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 3, {NTR, 1, 1}, ytr}; }
static void n_mismatch(file_spec *s) { s->ds[TRAIN_Y].dims[0] = 2; }
static void nan_in_x(file_spec *s) { s->ds[TRAIN_X].data = x_nan; }
static void inf_in_test_x(file_spec *s) { s->ds[TEST_X].data = x_inf; }
static void negative_label(file_spec *s) { s->ds[TEST_Y].data = y_negative; }
static void label_over_declared(file_spec *s) { s->n_classes = 4; }
static void huge_label(file_spec *s) { s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT64, 1, {NTR}, y_huge}; }
static void one_class(file_spec *s) { s->ds[TRAIN_Y].data = y_zero_tr; s->ds[TEST_Y].data = y_zero_te; }
static void declared_one(file_spec *s) { s->n_classes = 1; }
static void steps_mismatch_test(file_spec *s) { s->ds[TEST_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {NTE, 1, 2 * I}, xte}; }
static void inputs_mismatch_test(file_spec *s) { s->ds[TEST_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {NTE, T * I, 1}, xte}; }
static void kind_mismatch(file_spec *s) { s->ds[TEST_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTE}, v1te}; }
static void k_mismatch(file_spec *s)
{
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTR, K}, vktr};
    s->ds[TEST_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTE, 2}, vkte};
}
static void nan_value(file_spec *s)
{
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTR}, v_nan};
    s->ds[TEST_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTE}, v1te};
}
static void declared_with_values(file_spec *s) { kind_mismatch(s); s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 1, {NTR}, v1tr}; s->n_classes = 3; }
static void steps_label_count(file_spec *s)
{
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTR, T + 1}, NULL};
    s->ds[TEST_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTE, T}, ste};
}
static void steps_label_range(file_spec *s)
{
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTR, T}, str};
    s->ds[TEST_Y] = (ds_spec){H5T_NATIVE_INT32, 2, {NTE, T}, steps_bad};
    s->n_classes = 5;
}
static void too_many_values(file_spec *s) { s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {1u << 20, 1024, 1024}, NULL}; }
static void too_many_sequences(file_spec *s) { s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {(hsize_t)1 << 32, 1, 1}, NULL}; }
static void too_many_steps(file_spec *s) { s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {1, SW_MAX_SEQ_LEN + 1, 1}, NULL}; }
static void too_many_targets(file_spec *s)
{
    s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {1u << 18, 1, 1}, NULL};
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {1u << 18, SW_DATA_MAX_OUTPUTS}, NULL};
}
static void too_many_outputs(file_spec *s)
{
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_FLOAT, 2, {NTR, SW_DATA_MAX_OUTPUTS + 1}, NULL};
}
static void no_sequences(file_spec *s)
{
    s->ds[TRAIN_X] = (ds_spec){H5T_NATIVE_FLOAT, 3, {0, T, I}, NULL};
    s->ds[TRAIN_Y] = (ds_spec){H5T_NATIVE_INT32, 1, {0}, NULL};
}
static void string_labels(file_spec *s)
{
    hid_t t = H5Tcopy(H5T_C_S1); /* closed at exit: one per run of the test */
    H5Tset_size(t, 4);
    s->ds[TRAIN_Y] = (ds_spec){t, 1, {NTR}, y_str};
}

static const bad_case bad_cases[] = {
    {"missing-test-x", omit_test_x, SW_ENOTFOUND, "/test/x", "missing"},
    {"missing-train", omit_train, SW_ENOTFOUND, "/train/x", "missing"},
    {"x-group", x_is_group, SW_EFORMAT, "/train/x", "not a dataset"},
    {"x-rank", x_rank2, SW_EFORMAT, "/train/x", "3 dimensions"},
    {"x-int", x_integer, SW_EFORMAT, "/train/x", "must be float32, found integer"},
    {"y-string", string_labels, SW_EFORMAT, "/train/y", "found string"},
    {"y-rank", y_rank3, SW_EFORMAT, "/train/y", "1 or 2 dimensions, found 3"},
    {"n-mismatch", n_mismatch, SW_EFORMAT, "/train/y", "2 rows, but /train/x has 3 sequences"},
    {"x-nan", nan_in_x, SW_EFORMAT, "/train/x", "value [1,0,1] is NaN"},
    {"x-inf", inf_in_test_x, SW_EFORMAT, "/test/x", "value [1,1,0] is -Inf"},
    {"v-nan", nan_value, SW_EFORMAT, "/train/y", "value [2,0] is NaN"},
    {"label-negative", negative_label, SW_EFORMAT, "/test/y", "label -1 at [1] is negative"},
    {"label-declared", label_over_declared, SW_EFORMAT, "/test/y", "label 4 at [0] is out of range: n_classes is 4"},
    {"label-steps", steps_label_range, SW_EFORMAT, "/test/y", "label 9 at [1,0]"},
    {"label-int64", huge_label, SW_EFORMAT, "/train/y", "int32 range"},
    {"one-class", one_class, SW_EFORMAT, "/train/y", "one class"},
    {"declared-one", declared_one, SW_EFORMAT, "n_classes", "is 1"},
    {"declared-values", declared_with_values, SW_EFORMAT, "/train/y", "n_classes is set"},
    {"steps-labels", steps_label_count, SW_EFORMAT, "/train/y", "3 labels per sequence, but /train/x has 2 steps"},
    {"test-steps", steps_mismatch_test, SW_EFORMAT, "/test/x", "1 step x 4 inputs per sequence, but train has 2 x 2"},
    {"test-inputs", inputs_mismatch_test, SW_EFORMAT, "/test/x", "4 steps x 1 input per sequence"},
    {"test-kind", kind_mismatch, SW_EFORMAT, "/test/y", "holds values at the last step, but train holds classes"},
    {"test-k", k_mismatch, SW_EFORMAT, "/test/y", "2 values per sequence, but train has 3"},
    {"too-many-values", too_many_values, SW_EFORMAT, "/train/x", "1048576 x 1024 x 1024 values, more than the limit"},
    {"too-many-sequences", too_many_sequences, SW_EFORMAT, "/train/x", "4294967296 sequences"},
    {"too-many-steps", too_many_steps, SW_EFORMAT, "/train/x", "10001 steps"},
    {"too-many-targets", too_many_targets, SW_EFORMAT, "/train/y", "262144 x 10000 values, more than the limit"},
    {"too-many-outputs", too_many_outputs, SW_EFORMAT, "/train/y", "10001 values per sequence"},
    {"no-sequences", no_sequences, SW_EFORMAT, "/train/x", "no sequences"},
};

/* sw_data_open(path) fails with code, and the message names path, where and phrase. */
static void expect_error(const char *path, int code, const char *where, const char *phrase)
{
    char err[512] = "";
    const sw_data_file *f = (const sw_data_file *)&err; /* must be reset to NULL */
    int rc = sw_data_open(path, &f, err, sizeof err);
    CHECK(rc == code && !f, "%s: rc %d (%s), expected %d; message: %s", path, rc, sw_strerror(rc),
          code, err);
    CHECK(strstr(err, path) == err, "message does not start with the file %s: %s", path, err);
    CHECK(!where || strstr(err, where), "message does not name %s: %s", where, err);
    CHECK(strstr(err, phrase), "message lacks \"%s\": %s", phrase, err);
    CHECK(!strchr(err, '\n'), "message has more than one line: %s", err);
}

static void test_bad_files(void)
{
    for (int j = 0; j < NTR * T * I; j++) x_nan[j] = xtr[j];
    x_nan[(1 * T + 0) * I + 1] = NAN;
    x_nan[(2 * T + 1) * I + 1] = NAN; /* not the first */
    for (int j = 0; j < NTE * T * I; j++) x_inf[j] = xte[j];
    x_inf[(1 * T + 1) * I + 0] = -INFINITY;
    for (int j = 0; j < NTR; j++) v_nan[j] = j == 2 ? NAN : 1.0f;
    char path[600];
    for (size_t c = 0; c < SW_ARRAY_LEN(bad_cases); c++) {
        file_spec s = class_last_spec();
        bad_cases[c].change(&s);
        char name[128];
        snprintf(name, sizeof name, "bad-%s.h5", bad_cases[c].name);
        scratch_path(path, sizeof path, name);
        write_h5(path, &s);
        expect_error(path, bad_cases[c].code, bad_cases[c].where, bad_cases[c].phrase);
    }

    scratch_path(path, sizeof path, "no-such-file.h5");
    expect_error(path, SW_ENOTFOUND, NULL, "No such file");
    scratch_path(path, sizeof path, "not-hdf5.h5");
    FILE *fp = fopen(path, "w");
    fputs("x,y\n1,2\n", fp);
    fclose(fp);
    expect_error(path, SW_EFORMAT, NULL, "not an HDF5 file");
}

/* ---- IDX directories ------------------------------------------------------------- */

/* An IDX file of unsigned bytes: header (magic, dims), then the bytes; `cut` bytes fewer
 * than that at the end, `extra` more; gzip when gz. */
static void write_idx(const char *dir, const char *name, int gz, uint32_t magic, int rank,
                      const uint32_t *dims, const unsigned char *data, size_t n, size_t cut,
                      size_t extra)
{
    unsigned char buf[4096];
    size_t len = 0;
    for (int b = 3; b >= 0; b--) buf[len++] = (unsigned char)(magic >> (8 * b));
    for (int i = 0; i < rank; i++)
        for (int b = 3; b >= 0; b--) buf[len++] = (unsigned char)(dims[i] >> (8 * b));
    memcpy(buf + len, data, n);
    len += n;
    memset(buf + len, 7, extra);
    len += extra - cut;
    char path[700];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, buf, (unsigned)len);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
    }
}

enum { IN_TR = 3, IN_TE = 2, IR = 2, IC = 3 };
static unsigned char px_tr[IN_TR * IR * IC], px_te[IN_TE * IR * IC];
static unsigned char lb_tr[IN_TR] = {0, 9, 3}, lb_te[IN_TE] = {1, 2};

/* A whole good directory; gz: bit i compresses file i (train images, train labels, test
 * images, test labels). */
static void write_idx_dir(const char *dir, unsigned gz)
{
    mkdir_p(dir);
    uint32_t dtr[3] = {IN_TR, IR, IC}, dte[3] = {IN_TE, IR, IC}, ntr = IN_TR, nte = IN_TE;
    write_idx(dir, "train-images-idx3-ubyte", gz & 1, 0x803, 3, dtr, px_tr, sizeof px_tr, 0, 0);
    write_idx(dir, "train-labels-idx1-ubyte", gz & 2, 0x801, 1, &ntr, lb_tr, sizeof lb_tr, 0, 0);
    write_idx(dir, "t10k-images-idx3-ubyte", gz & 4, 0x803, 3, dte, px_te, sizeof px_te, 0, 0);
    write_idx(dir, "t10k-labels-idx1-ubyte", gz & 8, 0x801, 1, &nte, lb_te, sizeof lb_te, 0, 0);
}

static void check_idx_values(const sw_data_file *f, const char *dir)
{
    CHECK(f->format == SW_DATA_IDX && f->n_train == IN_TR && f->n_test == IN_TE &&
              f->seq_len == IR && f->input == IC,
          "%s: %d/%d of %d x %d", dir, f->n_train, f->n_test, f->seq_len, f->input);
    int ok = 1;
    for (int j = 0; j < IN_TR * IR * IC; j++) ok &= f->train.x[j] == (float)px_tr[j] / 255.0f;
    for (int j = 0; j < IN_TE * IR * IC; j++) ok &= f->test.x[j] == (float)px_te[j] / 255.0f;
    for (int j = 0; j < IN_TR; j++) ok &= f->train.y[j] == lb_tr[j];
    for (int j = 0; j < IN_TE; j++) ok &= f->test.y[j] == lb_te[j];
    CHECK(ok, "%s: pixel or label values differ", dir);
}

static void test_idx(void)
{
    for (int j = 0; j < IN_TR * IR * IC; j++) px_tr[j] = (unsigned char)(j * 37 % 256);
    px_tr[0] = 255;
    for (int j = 0; j < IN_TE * IR * IC; j++) px_te[j] = (unsigned char)(200 - j * 11);

    char dir[600];
    const sw_data_file *f;
    static const unsigned gz_mix[] = {0, 15, 5};
    for (size_t m = 0; m < SW_ARRAY_LEN(gz_mix); m++) {
        char name[64];
        snprintf(name, sizeof name, "idx-gz%u", gz_mix[m]);
        scratch_path(dir, sizeof dir, name);
        write_idx_dir(dir, gz_mix[m]);
        if ((f = open_good(dir, SW_TARGET_CLASS_LAST, 10))) check_idx_values(f, dir);
    }
    /* A label beyond 9: classes follow it. */
    lb_te[1] = 12;
    scratch_path(dir, sizeof dir, "idx-13-classes");
    write_idx_dir(dir, 15);
    if ((f = open_good(dir, SW_TARGET_CLASS_LAST, 13))) check_idx_values(f, dir);
    lb_te[1] = 2;

    char file[700];
    uint32_t dtr[3] = {IN_TR, IR, IC}, dte[3] = {IN_TE, IR + 1, IC}, n2 = 2;

    scratch_path(dir, sizeof dir, "idx-missing");
    write_idx_dir(dir, 0);
    snprintf(file, sizeof file, "%s/t10k-labels-idx1-ubyte", dir);
    remove(file);
    expect_error(dir, SW_ENOTFOUND, NULL, "missing t10k-labels-idx1-ubyte");

    scratch_path(dir, sizeof dir, "idx-magic");
    write_idx_dir(dir, 0);
    write_idx(dir, "train-images-idx3-ubyte", 0, 0x801, 3, dtr, px_tr, sizeof px_tr, 0, 0);
    snprintf(file, sizeof file, "%s/train-images-idx3-ubyte", dir);
    expect_error(dir, SW_EFORMAT, file, "magic number 0x00000801, expected 0x00000803");

    scratch_path(dir, sizeof dir, "idx-truncated");
    write_idx_dir(dir, 0);
    write_idx(dir, "train-images-idx3-ubyte", 0, 0x803, 3, dtr, px_tr, sizeof px_tr, 5, 0);
    snprintf(file, sizeof file, "%s/train-images-idx3-ubyte", dir);
    expect_error(dir, SW_EFORMAT, file, "truncated: 13 of the 18 bytes of pixels");

    scratch_path(dir, sizeof dir, "idx-truncated-gz");
    write_idx_dir(dir, 15);
    snprintf(file, sizeof file, "%s/t10k-images-idx3-ubyte.gz", dir);
    struct stat st;
    CHECK(stat(file, &st) == 0 && truncate(file, st.st_size - 12) == 0, "truncating %s", file);
    expect_error(dir, SW_EFORMAT, file, "of the 12 bytes of pixels (gzip: unexpected end of file)");

    scratch_path(dir, sizeof dir, "idx-trailing");
    write_idx_dir(dir, 15);
    write_idx(dir, "train-labels-idx1-ubyte", 1, 0x801, 1, dtr, lb_tr, sizeof lb_tr, 0, 2);
    snprintf(file, sizeof file, "%s/train-labels-idx1-ubyte.gz", dir);
    expect_error(dir, SW_EFORMAT, file, "longer than the 3 bytes of labels its header declares");

    scratch_path(dir, sizeof dir, "idx-count");
    write_idx_dir(dir, 0);
    write_idx(dir, "train-labels-idx1-ubyte", 0, 0x801, 1, &n2, lb_tr, 2, 0, 0);
    snprintf(file, sizeof file, "%s/train-labels-idx1-ubyte", dir);
    expect_error(dir, SW_EFORMAT, file, "2 labels, but train-images-idx3-ubyte has 3 images");

    scratch_path(dir, sizeof dir, "idx-shape");
    write_idx_dir(dir, 0);
    unsigned char big[IN_TE * (IR + 1) * IC] = {0};
    write_idx(dir, "t10k-images-idx3-ubyte", 0, 0x803, 3, dte, big, sizeof big, 0, 0);
    expect_error(dir, SW_EFORMAT, "t10k-images-idx3-ubyte", "3 steps x 3 inputs per sequence, but train has 2 x 3");
}

/* ---- Fashion-MNIST --------------------------------------------------------------- */

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static int test_fashion(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("data_fashion_mnist: %s absent (Debian package dataset-fashion-mnist); skipped\n", dir);
        return 77;
    }
    double rss0 = peak_rss_mib(), t0 = sw_now();
    char err[512] = "";
    const sw_data_file *f = NULL;
    int rc = sw_data_open(dir, &f, err, sizeof err);
    double seconds = sw_now() - t0;
    CHECK(rc == SW_OK && f, "%s", err);
    if (!f) return check_report("data_fashion_mnist");
    CHECK(f->n_train == 60000 && f->n_test == 10000, "%d/%d images", f->n_train, f->n_test);
    CHECK(f->seq_len == 28 && f->input == 28, "%d x %d", f->seq_len, f->input);
    CHECK(f->outputs == 10 && f->target == SW_TARGET_CLASS_LAST, "%d classes", f->outputs);
    const sw_dataset *sets[2] = {&f->train, &f->test};
    for (int s = 0; s < 2; s++) {
        const sw_dataset *d = sets[s];
        size_t n = (size_t)d->n * 28 * 28, bad = 0;
        float lo = 1, hi = 0;
        for (size_t j = 0; j < n; j++) {
            float v = d->x[j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            float p = v * 255.0f;
            bad += !(v >= 0 && v <= 1) || p != (float)(int)(p + 0.5f);
        }
        CHECK(bad == 0 && lo == 0 && hi == 1, "pixels: %zu not k/255, range [%g, %g]", bad, lo, hi);
        /* Fashion-MNIST is balanced: 6000 / 1000 images per class. */
        int count[10] = {0};
        for (int j = 0; j < d->n; j++)
            if (d->y[j] >= 0 && d->y[j] < 10) count[d->y[j]]++;
        for (int c = 0; c < 10; c++)
            CHECK(count[c] == d->n / 10, "class %d: %d images of %d", c, count[c], d->n);
    }
    double t1 = sw_now();
    const sw_data_file *again = NULL;
    CHECK(sw_data_open(dir, &again, err, sizeof err) == SW_OK && again == f, "second open");
    double again_s = sw_now() - t1;
    double data_mib = ((double)(f->n_train + f->n_test) * 28 * 28 * sizeof(float) +
                       (double)(f->n_train + f->n_test) * sizeof(int32_t)) / (1024.0 * 1024.0);
    printf("data_fashion_mnist: loaded in %.2f s (second open %.1f us); data %.1f MiB; "
           "peak RSS %.1f MiB before, %.1f MiB after\n",
           seconds, again_s * 1e6, data_mib, rss0, peak_rss_mib());
    sw_data_cache_clear();
    return check_report("data_fashion_mnist");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "fashion") == 0) return test_fashion(argv[2]);
    if (argc != 3 || strcmp(argv[1], "unit") != 0) {
        fprintf(stderr, "usage: %s unit SCRATCH_DIR | fashion DIR\n", argv[0]);
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[2]);
    mkdir_p(scratch);
    fill_values();
    test_good_files();
    test_cache();
    test_bad_files();
    test_idx();
    sw_data_cache_clear();
    return check_report("data_file");
}
