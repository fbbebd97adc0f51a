/* h5write.h: writing an HDF5 file whole and atomically, shared by run files, the sweep index
 * (h5io.c) and checkpoints (checkpoint.c); and HDF5's own error text, which every message
 * about an HDF5 file carries.
 *
 * A file is written by HDF5 into a hidden temporary in the final directory (".<name>"
 * SW_H5_TMP_MARK "<host>.<pid>.<serial>", sw_h5w_create) through h5tmpfile.c's driver, which
 * writes each block at once and keeps the first failed system call's errno instead of
 * failing inside HDF5; sw_h5w_finish closes it (the driver fsync's it) and, when nothing
 * failed, renames it over the final name and fsync's the directory (atomicio.c), or else
 * deletes it. The file is never held in memory.
 *
 * Every function takes the writer and does nothing once it holds a failure: the first one
 * is kept, with its message, because later ones are usually its consequences. So a writer
 * can run a whole file's calls and check w->rc once. Functions returning int return w->rc
 * (SW_OK or the first failure's code); those returning an hid_t return -1 on failure. */
#ifndef SW_H5WRITE_H
#define SW_H5WRITE_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "h5tmpfile.h"
#include "record.h"

/* zlib's level for deflated datasets unless the writer says another (sw_h5w.deflate_level). */
#define SW_H5_DEFLATE_LEVEL 4

/* What temporaries carry in their names; sw_h5_remove_temporaries recognises it. */
#define SW_H5_TMP_MARK ".h5.tmp."

/* Checks H5is_library_threadsafe() and turns HDF5's own error printing off. Call it once
 * from the main thread before any other HDF5 work. Returns SW_OK, or SW_EHDF5 with a
 * message in err when the library is not thread-safe. */
int sw_h5_init(char *err, size_t errlen);

/* For every module that calls HDF5 (run files, the index, checkpoints): turns off HDF5's
 * own printing of its error stack for the calling thread (it is per thread in the
 * thread-safe build). */
void sw_h5_quiet(void);

/* The first line of the innermost message on the calling thread's HDF5 error stack (or
 * "") into buf, then clears the stack. */
void sw_h5_detail(char buf[200]);

/* The HDF5 types of the run record's element types (record.h): the type in a run file
 * (SW_REC_REAL is stored as float32) and the type in memory (sw_real for SW_REC_REAL). */
hid_t sw_h5_record_file_type(sw_record_type t);
hid_t sw_h5_record_mem_type(sw_record_type t);

/* Writer state: the first failure is kept (later ones are usually its consequences). */
typedef struct {
    const char *where; /* final path, for messages */
    char *err;
    size_t errlen;
    int rc;
    bool checksum;     /* datasets get the Fletcher-32 filter (run files, checkpoints) */
    bool compress;     /* large datasets are shuffled and deflated where that shrinks them
                          by 1.3x or more (run files, the index) */
    sw_h5tmp_status io; /* the temporary's system calls (sw_h5w_create fills it) */
    bool compress_all;  /* with compress: deflate every large dataset, whether it pays or not */
    int deflate_level;  /* zlib's level 1-9; 0: SW_H5_DEFLATE_LEVEL */
    hid_t plists[3];    /* the file's property lists, made once (0: not yet; h5write.c's own,
                           closed by sw_h5w_finish): link creation, and dataset creation
                           without and with deflate */
    void *chunk;        /* one chunk and its checksum, as written by H5Dwrite_chunk (at most
                           256 KiB + 4; made once, freed by sw_h5w_finish) */
    size_t chunk_size;
} sw_h5w;

/* Records a failure (when none is recorded yet): "cannot write <where>: <what> (HDF5: ...)"
 * with the innermost HDF5 message. Returns w->rc. */
SW_PRINTF(3, 4)
int sw_h5w_fail(sw_h5w *w, int code, const char *fmt, ...);

/* Variable-length UTF-8 string type (h5py reads it as str) and the enum h5py reads as bool;
 * the caller closes them. -1 on failure. */
hid_t sw_h5w_str_type(void);
hid_t sw_h5w_bool_type(void);

/* Attribute `name` on loc of file type ftype from buf (memory type mtype); rank 0 is a
 * scalar. The typed ones write one scalar (a NULL string as ""); _strs a list of n. */
int sw_h5w_attr(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                const void *buf);
int sw_h5w_attr_str(sw_h5w *w, hid_t loc, const char *name, const char *value);
int sw_h5w_attr_strs(sw_h5w *w, hid_t loc, const char *name, const char *const *values, int n);
int sw_h5w_attr_i64(sw_h5w *w, hid_t loc, const char *name, long long v);
int sw_h5w_attr_i32(sw_h5w *w, hid_t loc, const char *name, int v);
int sw_h5w_attr_f64(sw_h5w *w, hid_t loc, const char *name, double v);
int sw_h5w_attr_bool(sw_h5w *w, hid_t loc, const char *name, int v);

/* Attribute "created": the time now, UTC, ISO 8601 ("2024-05-01T12:00:00Z"). */
int sw_h5w_attr_created(sw_h5w *w, hid_t loc);

/* Group `name` under loc, listing its links and attributes in creation order (h5py follows
 * it); the caller closes it. -1 on failure. */
hid_t sw_h5w_group(sw_h5w *w, hid_t loc, const char *name);

/* Dataset `name` under loc (intermediate groups created), written from buf. With
 * w->compress large ones are shuffled and deflated where it pays (by 1.3x or more, as
 * estimated from a sample spread over each; all of them with w->compress_all); with
 * w->checksum every non-empty one is chunked and gets Fletcher-32 last, so the checksum
 * covers the bytes as stored. _dset returns the open dataset (the caller closes it); _array
 * closes it after setting its long_name attribute (when not NULL). */
hid_t sw_h5w_dset(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                  const void *buf);
/* sw_h5w_dset for values deflate shrinks by less than 1.3x whatever they are: a trained
 * network's parameters (record.h's SW_REC_TRAINED). With w->compress, unless
 * w->compress_all, they are stored as they are without judging their first bytes. */
hid_t sw_h5w_dset_trained(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                          const hsize_t *dims, const void *buf);
int sw_h5w_array(sw_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                 const void *buf, const char *long_name);

/* A new file for the final name <dir>/<base> (w->where), created under its temporary name,
 * which goes into tmp (tmplen bytes); nothing is left there on failure. Groups and
 * attributes keep their creation order. Returns the file, or -1. */
hid_t sw_h5w_create(sw_h5w *w, const char *dir, const char *base, char *tmp, size_t tmplen);

/* Closes the file (whatever happened: every object still open in it goes too) and, when
 * nothing failed (no HDF5 call, no system call of the driver), renames the temporary `tmp`
 * over w->where and fsync's `dir` (atomicio.h); otherwise deletes the temporary. Returns
 * w->rc. */
int sw_h5w_finish(sw_h5w *w, hid_t file, const char *dir, const char *tmp);

/* True for the name (not path) of a temporary: hidden, with SW_H5_TMP_MARK. */
bool sw_h5w_is_temporary(const char *name);

/* Removes temporaries left in DIR by an interrupted or killed writer. Returns the
 * number removed, or a negative code. */
int sw_h5_remove_temporaries(const char *dir);

#endif
