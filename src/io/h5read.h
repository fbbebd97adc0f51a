/* h5read.h: reading the attributes and datasets of an HDF5 file, for run files, the sweep
 * index and checkpoints. A file may come from anywhere (a damaged disk, another program),
 * so every reader checks the object's class and size before it reads, and refuses lists
 * longer than SW_H5R_MAX_LIST before anything is allocated. Each returns SW_OK,
 * SW_ENOTFOUND (absent; attributes only), SW_EFORMAT (not of the kind asked for, or
 * unreadable: HDF5's reason stays on the error stack, sw_h5_detail) or SW_ENOMEM. */
#ifndef SWEEP_H5READ_H
#define SWEEP_H5READ_H

#include <hdf5.h>

/* The most elements a list or string read from a file may have (attributes, the index's
 * run ids): beyond it the file is refused before anything is allocated. */
#define SW_H5R_MAX_LIST (1 << 24)

/* A scalar string attribute (variable or fixed length) into a malloc'ed string (*out, the
 * caller frees it; NULL on error). */
int sw_h5r_str(hid_t loc, const char *name, char **out);

/* A scalar numeric attribute (integer or float) as a double. */
int sw_h5r_f64(hid_t loc, const char *name, double *out);

/* A scalar attribute as an integer: integers, floats holding integers, and enums whose
 * names are TRUE/FALSE (bools, as h5py writes them). */
int sw_h5r_i64(hid_t loc, const char *name, long long *out);

/* A 1-D integer attribute into a malloc'ed array of *n values (*out, the caller frees). */
int sw_h5r_i64_array(hid_t loc, const char *name, long long **out, int *n);

/* A 1-D numeric attribute as doubles into a malloc'ed array of *n values (*out, the
 * caller frees). */
int sw_h5r_f64_array(hid_t loc, const char *name, double **out, int *n);

/* A 1-D string array, of the attribute `obj` when is_attr, else of the dataset `obj`,
 * into *n malloc'ed strings (free with sw_h5_free_names). */
int sw_h5r_strs(hid_t obj, int is_attr, char ***out, int *n);

/* Dimensions of dataset `name` under loc (at most maxrank); returns its rank, or -1 when
 * it is absent, not a dataset or of a higher rank. */
int sw_h5r_dims(hid_t loc, const char *name, hsize_t *dims, int maxrank);

/* Reads the whole dataset `name` of exactly n elements as mtype into buf: SW_OK or
 * SW_EFORMAT. */
int sw_h5r_dset(hid_t loc, const char *name, hid_t mtype, void *buf, size_t n);

/* Frees n malloc'ed strings and their array (from sw_h5r_strs, sw_h5_list_runs); NULL is
 * accepted. */
void sw_h5_free_names(char **names, int n);

#endif
