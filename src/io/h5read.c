/* h5read.c: reading attributes and datasets of HDF5 files written by this program or by
 * others (see h5read.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5read.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h5write.h"

/* Attribute `name` of loc, opened into *a: SW_OK, SW_ENOTFOUND or SW_EFORMAT. Opened at
 * once, and looked for only when that fails (a look first cost a second search of the
 * object's attributes, every attribute read: a twentieth of verifying a run file). */
static int open_attr(hid_t loc, const char *name, hid_t *a)
{
    if ((*a = H5Aopen(loc, name, H5P_DEFAULT)) >= 0) return SW_OK;
    htri_t e = H5Aexists(loc, name);
    return e == 0 ? SW_ENOTFOUND : SW_EFORMAT;
}

int sw_h5r_str(hid_t loc, const char *name, char **out)
{
    *out = NULL;
    hid_t a;
    int found = open_attr(loc, name, &a);
    if (found != SW_OK) return found;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    if (ft >= 0 && s >= 0 && H5Tget_class(ft) == H5T_STRING && H5Sget_simple_extent_npoints(s) == 1) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t mt = sw_h5w_str_type();
            char *v = NULL;
            if (mt >= 0 && H5Aread(a, mt, &v) >= 0) {
                *out = strdup(v ? v : "");
                rc = *out ? SW_OK : SW_ENOMEM;
                H5free_memory(v);
            }
            if (mt >= 0) H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(ft);
            hid_t mt = n > 0 && n <= SW_H5R_MAX_LIST ? H5Tcopy(H5T_C_S1) : -1;
            char *v = mt >= 0 ? calloc(n + 1, 1) : NULL;
            if (v && mt >= 0 && H5Tset_size(mt, n + 1) >= 0 && H5Aread(a, mt, v) >= 0) {
                *out = v;
                v = NULL;
                rc = SW_OK;
            }
            free(v);
            if (mt >= 0) H5Tclose(mt);
        }
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

int sw_h5r_f64(hid_t loc, const char *name, double *out)
{
    hid_t a;
    int found = open_attr(loc, name, &a);
    if (found != SW_OK) return found;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (s >= 0 && H5Sget_simple_extent_npoints(s) == 1 && (c == H5T_INTEGER || c == H5T_FLOAT))
        rc = H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0 ? SW_OK : SW_EFORMAT;
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

int sw_h5r_i64(hid_t loc, const char *name, long long *out)
{
    hid_t a;
    int found = open_attr(loc, name, &a);
    if (found != SW_OK) return found;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (s >= 0 && H5Sget_simple_extent_npoints(s) == 1) {
        if (c == H5T_INTEGER) {
            int64_t v;
            if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) {
                *out = v;
                rc = SW_OK;
            }
        } else if (c == H5T_FLOAT) {
            double v;
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0 && v == floor(v) && fabs(v) < 9e18) {
                *out = (long long)v;
                rc = SW_OK;
            }
        } else if (c == H5T_ENUM) {
            unsigned char raw[16];
            char label[16];
            if (H5Tget_size(ft) <= sizeof raw && H5Aread(a, ft, raw) >= 0 &&
                H5Tenum_nameof(ft, raw, label, sizeof label) >= 0) {
                if (!strcmp(label, "TRUE") || !strcmp(label, "true")) *out = 1, rc = SW_OK;
                if (!strcmp(label, "FALSE") || !strcmp(label, "false")) *out = 0, rc = SW_OK;
            }
        }
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

/* Reads a numeric array attribute of at most SW_H5R_MAX_LIST values, converted by HDF5 to
 * mem_type (elements of elem_size bytes); integer attributes always, float ones only when
 * floats_ok. *out is malloc'd (the caller frees it), also for zero values. */
static int read_numeric_attr(hid_t loc, const char *name, hid_t mem_type, size_t elem_size,
                             int floats_ok, void **out, int *n)
{
    *out = NULL;
    *n = 0;
    hid_t a;
    int found = open_attr(loc, name, &a);
    if (found != SW_OK) return found;
    hid_t ft = H5Aget_type(a), s = H5Aget_space(a);
    int rc = SW_EFORMAT;
    hssize_t np = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (np >= 0 && np <= SW_H5R_MAX_LIST && (cls == H5T_INTEGER || (floats_ok && cls == H5T_FLOAT))) {
        void *v = malloc((size_t)(np ? np : 1) * elem_size);
        if (v && (np == 0 || H5Aread(a, mem_type, v) >= 0)) {
            *out = v;
            *n = (int)np;
            rc = SW_OK;
        } else {
            rc = v ? SW_EFORMAT : SW_ENOMEM;
            free(v);
        }
    }
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

int sw_h5r_i64_array(hid_t loc, const char *name, long long **out, int *n)
{
    void *v;
    int rc = read_numeric_attr(loc, name, H5T_NATIVE_LLONG, sizeof **out, 0, &v, n);
    *out = v;
    return rc;
}

int sw_h5r_f64_array(hid_t loc, const char *name, double **out, int *n)
{
    void *v;
    int rc = read_numeric_attr(loc, name, H5T_NATIVE_DOUBLE, sizeof **out, 1, &v, n);
    *out = v;
    return rc;
}

/* The count is the file's claim, checked before it sizes an allocation. */
int sw_h5r_strs(hid_t obj, int is_attr, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    hid_t ft = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t s = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    int rc = SW_EFORMAT;
    hssize_t np = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    if (ft < 0 || np < 0 || np > SW_H5R_MAX_LIST || H5Tget_class(ft) != H5T_STRING) goto done;
    char **list = calloc((size_t)(np ? np : 1), sizeof *list);
    if (!list) {
        rc = SW_ENOMEM;
        goto done;
    }
    if (np == 0) {
        *out = list;
        rc = SW_OK;
        goto done;
    }
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = sw_h5w_str_type();
        char **raw = calloc((size_t)np, sizeof *raw);
        herr_t r = -1;
        if (mt >= 0 && raw)
            r = is_attr ? H5Aread(obj, mt, raw) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (r >= 0) {
            rc = SW_OK;
            for (hssize_t i = 0; i < np; i++) {
                list[i] = strdup(raw[i] ? raw[i] : "");
                if (!list[i]) rc = SW_ENOMEM;
                H5free_memory(raw[i]);
            }
        }
        free(raw);
        if (mt >= 0) H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        hid_t mt = len > 0 && len <= SW_H5R_MAX_LIST ? H5Tcopy(H5T_C_S1) : -1;
        char *raw = mt >= 0 && (size_t)np <= SW_H5R_MAX_LIST / (len + 1) ? calloc((size_t)np, len + 1) : NULL;
        herr_t r = -1;
        if (mt >= 0 && raw && H5Tset_size(mt, len + 1) >= 0)
            r = is_attr ? H5Aread(obj, mt, raw) : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (r >= 0) {
            rc = SW_OK;
            for (hssize_t i = 0; i < np; i++) {
                list[i] = strdup(raw + (size_t)i * (len + 1));
                if (!list[i]) rc = SW_ENOMEM;
            }
        }
        free(raw);
        if (mt >= 0) H5Tclose(mt);
    }
    if (rc == SW_OK) {
        *out = list;
        *n = (int)np;
    } else {
        for (hssize_t i = 0; i < np; i++) free(list[i]);
        free(list);
    }
done:
    if (ft >= 0) H5Tclose(ft);
    if (s >= 0) H5Sclose(s);
    return rc;
}

int sw_h5r_dims(hid_t loc, const char *name, hsize_t *dims, int maxrank)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t s = H5Dget_space(d);
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (rank >= 0 && rank <= maxrank)
        H5Sget_simple_extent_dims(s, dims, NULL);
    else
        rank = -1;
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return rank;
}

int sw_h5r_dset(hid_t loc, const char *name, hid_t mtype, void *buf, size_t n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return SW_EFORMAT;
    hid_t s = H5Dget_space(d);
    int ok = s >= 0 && (size_t)H5Sget_simple_extent_npoints(s) == n &&
             (n == 0 || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return ok ? SW_OK : SW_EFORMAT;
}

void sw_h5_free_names(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}
