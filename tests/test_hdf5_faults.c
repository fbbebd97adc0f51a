/* test_hdf5_faults.c DIR: every write path of sweep's files fails cleanly, at every step.
 *
 * How failures are injected: this program defines the HDF5 functions h5io.c calls (those
 * that create, open, write or query; not the closes) and the system calls of the disk
 * writes (open, write, pwrite, ftruncate, fsync, rename: HDF5 writes run files through
 * h5tmpfile.c's driver, whose system calls are sweep's code, so they are counted too). The linker binds h5io.c's calls, and the HDF5
 * high-level library's calls into HDF5, to these definitions; each forwards to the real
 * function (dlsym RTLD_NEXT) unless the current operation is armed and this call is the
 * one chosen to fail: an HDF5 call then fails without doing anything, a system call with
 * ENOSPC. For every writer (a done run's file, a failed run's, the index, a run's
 * checkpoint, the manifest through sw_sweep_prepare) the operation runs once to count its calls, then again with
 * one call failing: every system call in turn, and of the HDF5 calls the first made from
 * each call site (the return address: one line of h5io.c, or of HDF5's high-level
 * library); `test_hdf5_faults DIR all` fails every HDF5 call in turn (some minutes). The
 * readers (sw_h5_read_run with everything, sw_checkpoint_read) the same way. No hook in the program itself:
 * what is tested is exactly what runs.
 *
 * After every failure: the error is one line naming the file (and "No space left on
 * device" for a system call), every HDF5 id the operation got back is closed again, no
 * HDF5 object is open at all (H5Fget_obj_count), no temporary is left, and the final name
 * holds what it held before (nothing, or the previous complete file). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "check.h"
#include "checkpoint.h"
#include "common.h"
#include "h5write.h"
#include "index.h"
#include "runfile.h"
#include "runwrite.h"
#include "hdf5_synth.h"
#include "outdir.h"
#include "prepare.h"
#include "sweepspec.h"
#include "train.h"

/* ---- the injector ------------------------------------------------------------------------ */

enum { KIND_H5, KIND_SYS, KIND_COUNT };

#define MAX_CALLS 100000

static struct {
    bool armed;
    int kind;        /* which kind of call fails */
    long fail_at;    /* the n-th call of that kind fails (1-based); 0: none */
    long calls[KIND_COUNT];
    bool fired;
    hid_t ids[MAX_CALLS]; /* ids handed out while armed */
    int n_ids;
    void *site[MAX_CALLS + 1]; /* where HDF5 call n came from (return address) */
    bool every_call; /* fail every HDF5 call, not only each site's first */
} inj;

/* A system call made by the HDF5 library itself (its sec2 driver reading a file, or
 * looking for one before it creates a file in memory): failing it is failing the HDF5
 * call that made it, which the HDF5 kind covers. */
static bool from_hdf5(void *site)
{
    Dl_info info;
    return dladdr(site, &info) && info.dli_fname && strstr(info.dli_fname, "libhdf5");
}

/* `site`: the caller's return address. */
static bool should_fail(int kind, void *site)
{
    if (!inj.armed || (kind == KIND_SYS && from_hdf5(site))) return false;
    long n = ++inj.calls[kind];
    if (kind == KIND_H5 && n <= MAX_CALLS) inj.site[n] = site;
    if (inj.kind == kind && n == inj.fail_at) {
        inj.fired = true;
        return true;
    }
    return false;
}

static hid_t note_id(hid_t id)
{
    if (inj.armed && id >= 0 && inj.n_ids < (int)SW_ARRAY_LEN(inj.ids)) inj.ids[inj.n_ids++] = id;
    return id;
}

/* The real function `name`, looked up once. */
static void *real_fn(const char *name, void **slot)
{
    if (!*slot) *slot = dlsym(RTLD_NEXT, name);
    if (!*slot) {
        fprintf(stderr, "test_hdf5_faults: no real %s\n", name);
        abort();
    }
    return *slot;
}

#define REAL(ret, name, params) \
    static void *name##_slot;   \
    ret(*real_##name) params;   \
    void *name##_p = real_fn(#name, &name##_slot); \
    memcpy(&real_##name, &name##_p, sizeof real_##name)

/* An HDF5 function returning an id: fails with -1, or its id is noted. */
#define WRAP_ID(name, params, args)                        \
    hid_t name params;                                     \
    hid_t name params                                      \
    {                                                      \
        REAL(hid_t, name, params);                         \
        if (should_fail(KIND_H5, __builtin_return_address(0))) return -1; \
        return note_id(real_##name args);                  \
    }

/* An HDF5 function returning a status or a value whose failure is `bad`. */
#define WRAP_VAL(ret, bad, name, params, args)             \
    ret name params;                                       \
    ret name params                                        \
    {                                                      \
        REAL(ret, name, params);                           \
        if (should_fail(KIND_H5, __builtin_return_address(0))) return bad; \
        return real_##name args;                           \
    }

WRAP_ID(H5Pcreate, (hid_t c), (c))
WRAP_ID(H5Fcreate, (const char *n, unsigned f, hid_t c, hid_t a), (n, f, c, a))
WRAP_ID(H5Fopen, (const char *n, unsigned f, hid_t a), (n, f, a))
WRAP_ID(H5Screate, (H5S_class_t t), (t))
WRAP_ID(H5Screate_simple, (int r, const hsize_t *d, const hsize_t *m), (r, d, m))
WRAP_ID(H5Tcopy, (hid_t t), (t))
WRAP_ID(H5Tenum_create, (hid_t t), (t))
WRAP_ID(H5Tcreate, (H5T_class_t c, size_t s), (c, s))
WRAP_ID(H5Tvlen_create, (hid_t t), (t))
WRAP_ID(H5Acreate2, (hid_t l, const char *n, hid_t t, hid_t s, hid_t c, hid_t a), (l, n, t, s, c, a))
WRAP_ID(H5Aopen, (hid_t l, const char *n, hid_t a), (l, n, a))
WRAP_ID(H5Aget_type, (hid_t a), (a))
WRAP_ID(H5Aget_space, (hid_t a), (a))
WRAP_ID(H5Dcreate2, (hid_t l, const char *n, hid_t t, hid_t s, hid_t lc, hid_t dc, hid_t da), (l, n, t, s, lc, dc, da))
WRAP_ID(H5Dopen2, (hid_t l, const char *n, hid_t a), (l, n, a))
WRAP_ID(H5Dget_space, (hid_t d), (d))
WRAP_ID(H5Dget_type, (hid_t d), (d))
WRAP_ID(H5Gcreate2, (hid_t l, const char *n, hid_t lc, hid_t gc, hid_t ga), (l, n, lc, gc, ga))
WRAP_ID(H5Gopen2, (hid_t l, const char *n, hid_t a), (l, n, a))
WRAP_VAL(herr_t, -1, H5Pset_link_creation_order, (hid_t p, unsigned f), (p, f))
WRAP_VAL(herr_t, -1, H5Pset_attr_creation_order, (hid_t p, unsigned f), (p, f))
WRAP_VAL(herr_t, -1, H5Pset_istore_k, (hid_t p, unsigned k), (p, k))
WRAP_VAL(herr_t, -1, H5Pset_driver, (hid_t p, hid_t d, const void *i), (p, d, i))
WRAP_VAL(herr_t, -1, H5Pset_fclose_degree, (hid_t p, H5F_close_degree_t d), (p, d))
WRAP_VAL(herr_t, -1, H5Pset_chunk, (hid_t p, int r, const hsize_t *d), (p, r, d))
WRAP_VAL(herr_t, -1, H5Pset_shuffle, (hid_t p), (p))
WRAP_VAL(herr_t, -1, H5Pset_deflate, (hid_t p, unsigned l), (p, l))
WRAP_VAL(herr_t, -1, H5Pset_fletcher32, (hid_t p), (p))
WRAP_VAL(herr_t, -1, H5Pset_create_intermediate_group, (hid_t p, unsigned c), (p, c))
WRAP_VAL(herr_t, -1, H5Tset_size, (hid_t t, size_t s), (t, s))
WRAP_VAL(herr_t, -1, H5Tset_cset, (hid_t t, H5T_cset_t c), (t, c))
WRAP_VAL(herr_t, -1, H5Tinsert, (hid_t t, const char *n, size_t o, hid_t m), (t, n, o, m))
WRAP_VAL(herr_t, -1, H5Rcreate, (void *r, hid_t l, const char *n, H5R_type_t t, hid_t s), (r, l, n, t, s))
WRAP_VAL(herr_t, -1, H5Tenum_insert, (hid_t t, const char *n, const void *v), (t, n, v))
WRAP_VAL(herr_t, -1, H5Tenum_nameof, (hid_t t, const void *v, char *n, size_t s), (t, v, n, s))
WRAP_VAL(herr_t, -1, H5Awrite, (hid_t a, hid_t t, const void *b), (a, t, b))
WRAP_VAL(herr_t, -1, H5Aread, (hid_t a, hid_t t, void *b), (a, t, b))
WRAP_VAL(herr_t, -1, H5Dwrite, (hid_t d, hid_t t, hid_t m, hid_t f, hid_t x, const void *b), (d, t, m, f, x, b))
WRAP_VAL(herr_t, -1, H5Dread, (hid_t d, hid_t t, hid_t m, hid_t f, hid_t x, void *b), (d, t, m, f, x, b))
WRAP_VAL(herr_t, -1, H5Dwrite_chunk, (hid_t d, hid_t x, uint32_t m, const hsize_t *o, size_t n, const void *b),
         (d, x, m, o, n, b))
WRAP_VAL(herr_t, -1, H5Fflush, (hid_t f, H5F_scope_t s), (f, s))
WRAP_VAL(herr_t, -1, H5Lcreate_external, (const char *f, const char *o, hid_t l, const char *n, hid_t c, hid_t a),
         (f, o, l, n, c, a))
WRAP_VAL(herr_t, -1, H5DSset_scale, (hid_t d, const char *n), (d, n))
WRAP_VAL(herr_t, -1, H5DSattach_scale, (hid_t d, hid_t s, unsigned i), (d, s, i))
WRAP_VAL(herr_t, -1, H5Sselect_hyperslab,
         (hid_t s, H5S_seloper_t o, const hsize_t *a, const hsize_t *b, const hsize_t *c, const hsize_t *d),
         (s, o, a, b, c, d))
WRAP_VAL(htri_t, -1, H5Lexists, (hid_t l, const char *n, hid_t a), (l, n, a))
WRAP_VAL(htri_t, -1, H5Aexists, (hid_t l, const char *n), (l, n))
WRAP_VAL(htri_t, -1, H5Tis_variable_str, (hid_t t), (t))
WRAP_VAL(H5T_class_t, H5T_NO_CLASS, H5Tget_class, (hid_t t), (t))
WRAP_VAL(size_t, 0, H5Tget_size, (hid_t t), (t))
WRAP_VAL(hssize_t, -1, H5Sget_simple_extent_npoints, (hid_t s), (s))
WRAP_VAL(int, -1, H5Sget_simple_extent_ndims, (hid_t s), (s))
WRAP_VAL(int, -1, H5Sget_simple_extent_dims, (hid_t s, hsize_t *d, hsize_t *m), (s, d, m))
/* chunks read as stored and checked by h5chunk.c */
WRAP_ID(H5Dget_create_plist, (hid_t d), (d))
WRAP_VAL(herr_t, -1, H5Dread_chunk, (hid_t d, hid_t x, const hsize_t *o, uint32_t *m, void *b), (d, x, o, m, b))
WRAP_VAL(herr_t, -1, H5Dget_chunk_storage_size, (hid_t d, const hsize_t *o, hsize_t *n), (d, o, n))
WRAP_VAL(H5D_layout_t, H5D_LAYOUT_ERROR, H5Pget_layout, (hid_t p), (p))
WRAP_VAL(int, -1, H5Pget_nfilters, (hid_t p), (p))
WRAP_VAL(int, -1, H5Pget_chunk, (hid_t p, int r, hsize_t *d), (p, r, d))
WRAP_VAL(H5Z_filter_t, -1, H5Pget_filter2,
         (hid_t p, unsigned i, unsigned *f, size_t *n, unsigned *c, size_t l, char *nm, unsigned *fc),
         (p, i, f, n, c, l, nm, fc))

/* The system calls of atomicio.c and outdir.c: fail with ENOSPC. */
int open(const char *path, int flags, ...);
int open(const char *path, int flags, ...)
{
    REAL(int, open, (const char *, int, ...));
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    return real_open(path, flags, mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, (int, const void *, size_t));
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    /* short writes too: the writer must carry on from where one stopped */
    return real_write(fd, buf, inj.armed && n > 1 ? n / 2 : n);
}

/* HDF5's writes into a file's temporary (h5tmpfile.c's driver) */
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    /* short writes too: the driver must carry on from where one stopped */
    return real_pwrite(fd, buf, inj.armed && n > 1 ? n / 2 : n, off);
}

int ftruncate(int fd, off_t len)
{
    REAL(int, ftruncate, (int, off_t));
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    return real_ftruncate(fd, len);
}

int fsync(int fd)
{
    REAL(int, fsync, (int));
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    return real_fsync(fd);
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, (const char *, const char *));
    if (should_fail(KIND_SYS, __builtin_return_address(0))) {
        errno = ENOSPC;
        return -1;
    }
    return real_rename(from, to);
}

/* ---- what every failure must leave ---------------------------------------------------------- */

/* Names in dir (sorted, one per line) into buf. */
static void list_dir(const char *dir, char *buf, size_t len)
{
    buf[0] = 0;
    char *names[256];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s\n", names[i]);
        free(names[i]);
    }
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Every id the operation got back is closed, and no HDF5 object is open anywhere. */
static int leaks(const char *what)
{
    int open_ids = 0;
    for (int i = 0; i < inj.n_ids; i++) open_ids += H5Iis_valid(inj.ids[i]) > 0;
    ssize_t objects = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    CHECK(open_ids == 0 && objects == 0, "%s: %d ids still open, %zd HDF5 objects open", what, open_ids, objects);
    return open_ids || objects;
}

typedef int (*operation)(void *ctx, char *err, size_t errlen);

typedef struct {
    const char *name;
    operation op;
    void *ctx;
    const char *dir;      /* where it writes */
    const char *final;    /* the file it writes (NULL: several; the directory listing says) */
    bool reader;          /* only reads: no file may change, and success is allowed */
    bool fresh;           /* the file is new: removed before every call */
} target;

static void arm(int kind, long fail_at)
{
    memset(inj.calls, 0, sizeof inj.calls);
    inj.kind = kind;
    inj.fail_at = fail_at;
    inj.fired = false;
    inj.n_ids = 0;
    inj.armed = true;
}

static int read_checkpoint(void *vctx, char *err, size_t errlen);

/* Runs t once per call of each kind, that call failing. */
static void fail_everywhere(const target *t)
{
    char err[2048], before[8192], after[8192];
    long size_before;
    if (t->fresh) unlink(t->final);
    arm(KIND_H5, 0);
    int rc = t->op(t->ctx, err, sizeof err);
    inj.armed = false;
    CHECK(rc == SW_OK, "%s: the operation fails without injection: %s", t->name, err);
    long total[KIND_COUNT] = {inj.calls[KIND_H5], inj.calls[KIND_SYS]};
    CHECK(total[KIND_H5] + total[KIND_SYS] > 0 && total[KIND_H5] < MAX_CALLS, "%s: %ld HDF5 and %ld system calls",
          t->name, total[KIND_H5], total[KIND_SYS]);
    /* the HDF5 calls to fail: each site's first, or all */
    static bool chosen[MAX_CALLS + 1];
    long n_chosen = 0, n_sites = 0;
    for (long n = 1; n <= total[KIND_H5] && n <= MAX_CALLS; n++) {
        bool seen = false;
        for (long m = 1; m < n && !seen; m++) seen = inj.site[m] == inj.site[n];
        n_sites += !seen;
        chosen[n] = inj.every_call || !seen;
        n_chosen += chosen[n];
    }
    leaks(t->name);
    if (t->fresh) unlink(t->final);
    size_before = t->final ? file_size(t->final) : -1;
    int failures = 0;
    for (int kind = 0; kind < KIND_COUNT; kind++)
        for (long n = 1; n <= total[kind]; n++) {
            if (kind == KIND_H5 && !chosen[n]) continue;
            char what[256];
            snprintf(what, sizeof what, "%s, %s call %ld of %ld failing", t->name, kind == KIND_H5 ? "HDF5" : "system",
                     n, total[kind]);
            if (t->fresh) unlink(t->final);
            list_dir(t->dir, before, sizeof before);
            err[0] = 0;
            arm(kind, n);
            rc = t->op(t->ctx, err, sizeof err);
            inj.armed = false;
            CHECK(inj.fired, "%s: the call was not made again", what);
            failures += leaks(what);
            list_dir(t->dir, after, sizeof after);
            if (t->reader) {
                CHECK(!strcmp(before, after), "%s: the directory changed", what);
                continue;
            }
            /* the directory's fsync comes after the rename: the file is in place, complete */
            bool after_rename = kind == KIND_SYS && strstr(err, "flushing directory");
            if (after_rename && t->final && strstr(t->final, ".ckpt"))
                CHECK(read_checkpoint(t->ctx, err, sizeof err) == SW_OK, "%s: the checkpoint in place does not read",
                      what);
            else if (after_rename && t->final && strstr(t->final, "seed="))
                CHECK(sw_h5_run_is_complete(t->final), "%s: the file in place does not verify", what);
            CHECK(rc != SW_OK, "%s: reported success", what);
            CHECK(err[0] && !strchr(err, '\n'), "%s: the message is not one line: '%s'", what, err);
            CHECK(!t->final || strstr(err, t->final), "%s: the message does not name %s: '%s'", what, t->final, err);
            CHECK(kind != KIND_SYS || strstr(err, "No space left on device"), "%s: the cause is missing: '%s'", what,
                  err);
            CHECK(!strstr(err, ".tmp.") || strstr(err, "renaming"), "%s: the message names a temporary: '%s'", what, err);
            if (!after_rename) {
                CHECK(!strcmp(before, after), "%s: the directory changed:\nbefore:\n%safter:\n%s", what, before, after);
                CHECK(!t->final || file_size(t->final) == size_before, "%s: the final file changed", what);
            }
        }
    printf("%s: %ld HDF5 calls from %ld sites and %ld system calls; failing %ld HDF5 calls and every system call "
           "in turn: %s\n", t->name, total[KIND_H5], n_sites, total[KIND_SYS], n_chosen,
           failures ? "ids left open" : "clean");
}

/* ---- the operations ------------------------------------------------------------------------ */

typedef struct {
    const char *dir, *id;
    sw_config cfg;
    sw_run_result res;
} run_ctx;

static int write_run(void *vctx, char *err, size_t errlen)
{
    run_ctx *c = vctx;
    const char *keys[] = {"seed"};
    sw_run_meta meta = {c->id, "faults", keys, 1, NULL};
    return sw_h5_write_run(c->dir, &meta, &c->cfg, &c->res, err, errlen);
}

static int read_run(void *vctx, char *err, size_t errlen)
{
    const char *path = vctx;
    sw_run_file f;
    int rc = sw_h5_read_run(path, SW_READ_VERIFY | SW_READ_HISTORY | SW_READ_GRADIENTS, &f, err, errlen);
    sw_run_file_free(&f);
    return rc;
}

typedef struct {
    const char *dir;
    sw_index_spec spec;
} index_ctx;

static int write_index(void *vctx, char *err, size_t errlen)
{
    index_ctx *c = vctx;
    return sw_h5_write_index(c->dir, &c->spec, err, errlen);
}

/* A run's checkpoint: the state of a real run stopped after its third epoch. */
typedef struct {
    const char *path;
    sw_config cfg;
    sw_train_state *state;
} checkpoint_ctx;

static int keep_state(void *vctx, const sw_train_state *st)
{
    checkpoint_ctx *c = vctx;
    return sw_train_state_clone(st, &c->state);
}

static int write_checkpoint(void *vctx, char *err, size_t errlen)
{
    checkpoint_ctx *c = vctx;
    return sw_checkpoint_write(c->path, c->state, &c->cfg, err, errlen);
}

static int read_checkpoint(void *vctx, char *err, size_t errlen)
{
    checkpoint_ctx *c = vctx;
    sw_train_state *st = NULL;
    int rc = sw_checkpoint_read(c->path, &c->cfg, &st, err, errlen);
    sw_train_state_free(st);
    return rc;
}

typedef struct {
    const char *parent;
    sw_sweep_spec *spec;
    int serial;
    char dir[600];
} prepare_ctx;

/* A new directory each time: prepare's lock stays held by this process on success. */
static int prepare(void *vctx, char *err, size_t errlen)
{
    prepare_ctx *c = vctx;
    snprintf(c->dir, sizeof c->dir, "%s/out%d", c->parent, c->serial++);
    sw_sweep_options opt = {.dir = c->dir, .threads = 1, .quiet = true};
    return sw_sweep_prepare(c->spec, &opt, err, errlen);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "all"))) {
        fprintf(stderr, "usage: %s DIR [all]\n", argv[0]);
        return 2;
    }
    inj.every_call = argc == 3;
    char dir[512], cmd[1100], err[1024];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0) return 1;
    if (sw_h5_init(err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    /* a done run's file, first new, then replacing a complete one */
    run_ctx done = {.dir = dir, .id = "seed=1"};
    synth_config(&done.cfg, SW_CELL_GRU, 1);
    CHECK(synth_result(&done.res, &done.cfg, done.cfg.train.epochs, SW_RUN_DONE, 0) == 0, "synth");
    char final[700];
    snprintf(final, sizeof final, "%s/seed=1.h5", dir);
    target t_new = {"new run file", write_run, &done, dir, final, false, true};
    fail_everywhere(&t_new);
    target t_replace = {"replacing a run file", write_run, &done, dir, final, false, false};
    fail_everywhere(&t_replace);
    CHECK(sw_h5_run_is_complete(final), "the run file does not verify after all the failed rewrites");

    /* a failed run's file (history only) */
    run_ctx failed = {.dir = dir, .id = "seed=2"};
    synth_config(&failed.cfg, SW_CELL_RNN, 2);
    CHECK(synth_result(&failed.res, &failed.cfg, 2, SW_RUN_FAILED, 1) == 0, "synth");
    char final2[700];
    snprintf(final2, sizeof final2, "%s/seed=2.h5", dir);
    target t_failed = {"failed run's file", write_run, &failed, dir, final2, false, true};
    fail_everywhere(&t_failed);
    CHECK(write_run(&failed, err, sizeof err) == SW_OK, "failed run's file: %s", err);

    /* reading a run file through */
    target t_read = {"reading a run file", read_run, final, dir, NULL, true, false};
    fail_everywhere(&t_read);

    /* the index */
    const char *ids[] = {"seed=1", "seed=2", "seed=3"};
    sw_config cfgs[3] = {done.cfg, failed.cfg, done.cfg};
    const char *keys[] = {"seed"};
    /* the run files read beforehand (a failed read only makes a row "unreadable"; the reader
     * is tested above), so that every call of the index write is a writer's */
    sw_index_cache *cache = sw_index_cache_create(3);
    for (int i = 0; i < 2; i++) {
        sw_run_file f;
        CHECK(sw_h5_read_run(i ? final2 : final, SW_READ_VERIFY, &f, err, sizeof err) == SW_OK, "read: %s", err);
        sw_index_cache_put(cache, i, i ? final2 : final, &f);
    }
    index_ctx ix = {dir, {.sweep_name = "faults", .config_text = "name: faults\n", .run_ids = ids, .n_runs = 3,
                          .swept_keys = keys, .n_swept = 1, .configs = cfgs, .cache = cache}};
    char index_path[700];
    snprintf(index_path, sizeof index_path, "%s/sweep.h5", dir);
    target t_index = {"index", write_index, &ix, dir, index_path, false, false};
    fail_everywhere(&t_index);
    sw_index_cache_free(cache);

    /* a checkpoint, new, then replacing one; and reading it back */
    checkpoint_ctx ck;
    char ckpt[700];
    snprintf(ckpt, sizeof ckpt, "%s/seed=4.ckpt", dir);
    ck.path = ckpt;
    synth_config(&ck.cfg, SW_CELL_LSTM, 4);
    ck.cfg.task.train_size = 64;
    ck.cfg.task.test_size = 32;
    ck.cfg.model.dropout = 0.1;
    ck.state = NULL;
    sw_train_hooks stop = {.until_epoch = 3, .on_checkpoint = keep_state, .checkpoint_ctx = &ck};
    sw_run_result stopped;
    CHECK(sw_train_run(&ck.cfg, &stop, &stopped) == SW_OK && ck.state, "a stopped run's state");
    sw_run_result_free(&stopped);
    if (ck.state) {
        target t_ck_new = {"new checkpoint", write_checkpoint, &ck, dir, ckpt, false, true};
        fail_everywhere(&t_ck_new);
        target t_ck_replace = {"replacing a checkpoint", write_checkpoint, &ck, dir, ckpt, false, false};
        fail_everywhere(&t_ck_replace);
        target t_ck_read = {"reading a checkpoint", read_checkpoint, &ck, dir, NULL, true, false};
        fail_everywhere(&t_ck_read);
        CHECK(read_checkpoint(&ck, err, sizeof err) == SW_OK, "the checkpoint does not read after the failures: %s",
              err);
    }
    sw_train_state_free(ck.state);

    /* the manifest (and the lock and directory sw_sweep_prepare makes) */
    char yaml[700], sub[600];
    snprintf(yaml, sizeof yaml, "%s/faults.yaml", dir);
    FILE *y = fopen(yaml, "w");
    fputs("name: faults\nbase:\n  task: {seq_len: 4, train_size: 16, test_size: 8}\n  train: {epochs: 1, batch: 8}\n"
          "grid:\n  seed: [1, 2]\n", y);
    fclose(y);
    snprintf(sub, sizeof sub, "%s/prepare", dir);
    mkdir(sub, 0777);
    prepare_ctx pc = {.parent = sub};
    CHECK(sw_sweep_spec_load(yaml, NULL, 0, &pc.spec, err, sizeof err) == SW_OK, "spec: %s", err);
    target t_manifest = {"manifest", prepare, &pc, sub, NULL, false, false};
    if (pc.spec) fail_everywhere(&t_manifest);
    sw_sweep_spec_free(pc.spec);

    sw_run_result_free(&done.res);
    sw_run_result_free(&failed.res);
    return check_report("hdf5_faults");
}
