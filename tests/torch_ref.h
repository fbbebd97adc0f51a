/* torch_ref.h: reading the PyTorch reference vectors (tests/data/torch-vectors.h5, written
 * by tests/make_torch_vectors.py) and comparing the engine's values with them, for the
 * tests that hold the engine against autograd (test_engine_reference.c,
 * test_engine_heads.c, test_engine_transformer.c). The tolerances follow the engine's
 * flavour: 1e-9 in the double build, float's rounding in the float one. A missing or
 * malformed dataset ends the test with status 2 (the file is the test's input, not its
 * subject). */
#ifndef SWEEP_TEST_TORCH_REF_H
#define SWEEP_TEST_TORCH_REF_H

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "common.h"
#include "model.h"

#ifdef SW_REAL_DOUBLE
static const double ATOL = 1e-9, RTOL = 1e-9;
#define FLAVOUR "double"
#else
static const double ATOL = 2e-6, RTOL = 2e-5;
#define FLAVOUR "float"
#endif

/* The reference file, opened by the test's main (torch_open). */
static hid_t torch_file = -1;

/* The largest |engine - torch| / max(|torch|, 1e-3) that torch_compare has seen. */
static double torch_worst_rel;

static inline void torch_fail(const char *what, const char *path)
{
    fprintf(stderr, "%s: %s\n", what, path);
    exit(2);
}

static inline void torch_open(const char *path)
{
    torch_file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (torch_file < 0) torch_fail("cannot open", path);
}

/* Reads dataset `path` (n values, asserted) into buf as memtype. */
static inline void torch_read_into(const char *path, hid_t memtype, void *buf, size_t expect)
{
    hid_t d = H5Dopen2(torch_file, path, H5P_DEFAULT);
    if (d < 0) torch_fail("missing dataset", path);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n < 0 || (size_t)n != expect) {
        fprintf(stderr, "%s has %lld values, expected %zu\n", path, (long long)n, expect);
        exit(2);
    }
    if (H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) torch_fail("cannot read", path);
    H5Sclose(sp);
    H5Dclose(d);
}

/* A new array of the n float64 values of <group>/<name> (group with or without its
 * leading '/'); the caller frees it. */
static inline double *torch_doubles(const char *group, const char *name, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s/%s", group[0] == '/' ? "" : "/", group, name);
    double *v = malloc(n * sizeof *v + 1);
    if (!v) torch_fail("out of memory for", path);
    torch_read_into(path, H5T_NATIVE_DOUBLE, v, n);
    return v;
}

static inline void torch_attr(const char *group, const char *name, hid_t memtype, void *out)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", group, name);
    hid_t a = H5Aopen_by_name(torch_file, group, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) torch_fail("missing attribute", path);
    if (H5Aread(a, memtype, out) < 0) torch_fail("cannot read attribute", path);
    H5Aclose(a);
}

static inline int torch_int_attr(const char *group, const char *name)
{
    int v;
    torch_attr(group, name, H5T_NATIVE_INT, &v);
    return v;
}

static inline double torch_double_attr(const char *group, const char *name)
{
    double v;
    torch_attr(group, name, H5T_NATIVE_DOUBLE, &v);
    return v;
}

/* Number of links (groups, datasets) in group `path`. */
static inline long long torch_count_members(const char *path)
{
    H5G_info_t info;
    if (H5Gget_info_by_name(torch_file, path, &info, H5P_DEFAULT) < 0) torch_fail("missing group", path);
    return (long long)info.nlinks;
}

/* Counts mismatches of n engine values against the reference (a CHECK naming the worst);
 * returns their number. */
static inline int torch_compare(const char *what, const sw_real *got, const double *want, size_t n)
{
    int bad = 0;
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!check_close(got[i], want[i], ATOL, RTOL)) bad++;
        if (!(err <= worst)) worst = err, worst_i = i;
        double rel = err / (fabs(want[i]) > 1e-3 ? fabs(want[i]) : 1e-3);
        if (rel > torch_worst_rel) torch_worst_rel = rel;
    }
    CHECK(bad == 0, "%s %s: %d of %zu values differ; worst at %zu: %.12g vs %.12g", FLAVOUR, what, bad, n,
          worst_i, (double)got[worst_i], want[worst_i]);
    return bad;
}

/* Every tensor of the model of shape s (model.h's table) from <group>/weights/<name> into
 * the flat parameter buffer flat. */
static inline void torch_weights(const char *group, const sw_model_shape *s, sw_real *flat)
{
    char name[160];
    for (int k = 0; k < sw_tensor_count(s); k++) {
        sw_tensor_info t = sw_tensor_describe(s, k);
        snprintf(name, sizeof name, "weights/%s", t.name);
        double *v = torch_doubles(group, name, t.count);
        for (size_t i = 0; i < t.count; i++) flat[t.offset + i] = (sw_real)v[i];
        free(v);
    }
}

/* Compares every tensor of the flat buffer got (shape s) with <group>/<dir>/<name>
 * ("grads", "after_adam_step"). */
static inline void torch_compare_tensors(const char *group, const char *dir, const sw_model_shape *s,
                                         const sw_real *got)
{
    char name[160], what[256];
    for (int k = 0; k < sw_tensor_count(s); k++) {
        sw_tensor_info t = sw_tensor_describe(s, k);
        snprintf(name, sizeof name, "%s/%s", dir, t.name);
        double *v = torch_doubles(group, name, t.count);
        snprintf(what, sizeof what, "%s %s", group, name);
        torch_compare(what, got + t.offset, v, t.count);
        free(v);
    }
}

/* The targets of group's batch of B sequences of T steps as the engine takes them: int32
 * labels (one per sequence, or per step with SW_TARGET_CLASS_STEPS) or C float values per
 * sequence (SW_TARGET_VALUE_LAST). The caller frees out->labels and out->values. */
static inline void torch_targets(const char *group, sw_target_kind head, int B, int T, int C, sw_targets *out)
{
    char name[160];
    size_t n_labels = head == SW_TARGET_CLASS_STEPS ? (size_t)B * T : (size_t)B;
    int32_t *labels = NULL;
    float *values = NULL;
    snprintf(name, sizeof name, "%s/%s", group, head == SW_TARGET_VALUE_LAST ? "values" : "labels");
    if (head == SW_TARGET_VALUE_LAST) {
        values = malloc((size_t)B * C * sizeof *values);
        torch_read_into(name, H5T_NATIVE_FLOAT, values, (size_t)B * C);
    } else {
        labels = malloc(n_labels * sizeof *labels);
        torch_read_into(name, H5T_NATIVE_INT32, labels, n_labels);
    }
    *out = (sw_targets){labels, values};
}

/* Index of element (b,t,x) of a batch-first (B,T,X) array (PyTorch's) and of the engine's
 * time-major (T,B,X). */
static inline size_t batch_first(int b, int t, int x, int T, int X) { return ((size_t)b * T + t) * X + x; }
static inline size_t time_major(int b, int t, int x, int B, int X) { return ((size_t)t * B + b) * X + x; }

#endif
