/* h5tmpfile.c: HDF5 writing straight into a file's temporary (see h5tmpfile.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest address a file can have (off_t is signed), as HDF5's sec2 driver has it. */
#define TMP_MAXADDR (((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1)

/* What H5Pset_driver copies into the property list. */
typedef struct {
    sw_h5tmp_status *status;
} tmp_fapl;

typedef struct {
    H5FD_t pub; /* HDF5's part; first */
    int fd;
    haddr_t eoa; /* end of the space HDF5 allocated */
    haddr_t eof; /* end of what is in the file */
    dev_t dev;
    ino_t ino;
    sw_h5tmp_status *status;
} tmp_file;

/* Keeps the first failure. */
static void note_failure(tmp_file *f, const char *call, int err)
{
    if (f->status && !f->status->err) {
        f->status->err = err ? err : EIO;
        f->status->call = call;
    }
}

static bool failed(const tmp_file *f)
{
    return f->status && f->status->err;
}

static H5FD_t *tmp_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    const tmp_fapl *fa = H5Pget_driver_info(fapl);
    if (!name || !*name || maxaddr == 0 || maxaddr == HADDR_UNDEF || maxaddr > TMP_MAXADDR || !fa) return NULL;
    int o_flags = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
    if (flags & H5F_ACC_TRUNC) o_flags |= O_TRUNC;
    if (flags & H5F_ACC_CREAT) o_flags |= O_CREAT;
    if (flags & H5F_ACC_EXCL) o_flags |= O_EXCL;
    int fd = open(name, o_flags | O_CLOEXEC, 0666);
    struct stat st;
    /* HDF5 first looks for an existing file (no O_CREAT): its absence is no failure */
    if (fd < 0 || fstat(fd, &st) != 0) {
        int err = errno;
        if (((flags & H5F_ACC_CREAT) || err != ENOENT) && fa->status && !fa->status->err) {
            fa->status->err = err;
            fa->status->call = fd < 0 ? "open" : "fstat";
        }
        if (fd >= 0) close(fd);
        return NULL;
    }
    tmp_file *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->eof = (haddr_t)st.st_size;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->status = fa->status;
    return &f->pub;
}

/* Makes the file durable (unless a write failed: it is then deleted anyway) and closes
 * it. Never fails towards HDF5 (see h5tmpfile.h). */
static herr_t tmp_close(H5FD_t *file)
{
    tmp_file *f = (tmp_file *)file;
    if (!failed(f) && (f->pub.access_flags & H5F_ACC_RDWR) && fsync(f->fd) != 0) note_failure(f, "fsync", errno);
    /* close() can report a deferred write error (NFS): it counts as one */
    if (close(f->fd) != 0) note_failure(f, "close", errno);
    free(f);
    return 0;
}

static int tmp_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const tmp_file *x = (const tmp_file *)a, *y = (const tmp_file *)b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    return 0;
}

/* The sec2 and core drivers' features: HDF5 allocates space the same way for all three. */
static herr_t tmp_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

static haddr_t tmp_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const tmp_file *)file)->eoa;
}

static herr_t tmp_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((tmp_file *)file)->eoa = addr;
    return 0;
}

static haddr_t tmp_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const tmp_file *)file)->eof;
}

static herr_t tmp_get_handle(H5FD_t *file, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((tmp_file *)file)->fd;
    return 0;
}

/* Reads what is in the file; zeros past its end and where a read fails (the failure is
 * kept: the file will be deleted). */
static herr_t tmp_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf)
{
    (void)type;
    (void)dxpl;
    tmp_file *f = (tmp_file *)file;
    unsigned char *p = buf;
    while (size > 0 && addr < f->eof && !failed(f)) {
        size_t want = size;
        if (want > (size_t)(f->eof - addr)) want = (size_t)(f->eof - addr);
        if (want > ((size_t)1 << 30)) want = (size_t)1 << 30;
        ssize_t n = pread(f->fd, p, want, (off_t)addr);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            note_failure(f, "pread", n < 0 ? errno : EIO);
            break;
        }
        p += n;
        addr += (haddr_t)n;
        size -= (size_t)n;
    }
    memset(p, 0, size);
    return 0;
}

/* Writes at once; after a failure, nothing more (see h5tmpfile.h). */
static herr_t tmp_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, const void *buf)
{
    (void)type;
    (void)dxpl;
    tmp_file *f = (tmp_file *)file;
    const unsigned char *p = buf;
    while (size > 0 && !failed(f)) {
        size_t want = size > ((size_t)1 << 30) ? (size_t)1 << 30 : size;
        ssize_t n = pwrite(f->fd, p, want, (off_t)addr);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { /* a regular file takes at least one byte, or says why not */
            note_failure(f, "pwrite", n < 0 ? errno : EIO);
            break;
        }
        p += n;
        addr += (haddr_t)n;
        size -= (size_t)n;
        if (addr > f->eof) f->eof = addr;
    }
    return 0;
}

static herr_t tmp_flush(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)file;
    (void)dxpl;
    (void)closing;
    return 0; /* the writes are made; tmp_close fsync's */
}

/* The file ends where HDF5's space ends (space freed at the end is given back). */
static herr_t tmp_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)dxpl;
    (void)closing;
    tmp_file *f = (tmp_file *)file;
    if (f->eoa != f->eof && !failed(f)) {
        if (ftruncate(f->fd, (off_t)f->eoa) != 0)
            note_failure(f, "ftruncate", errno);
        else
            f->eof = f->eoa;
    }
    return 0;
}

static const H5FD_class_t tmp_class = {
#ifdef H5FD_CLASS_VERSION /* HDF5 1.14's class layout names its version and a driver value */
    .version = H5FD_CLASS_VERSION,
    .value = (H5FD_class_value_t)529,
#endif
    .name = "sweep_tmpfile",
    .maxaddr = TMP_MAXADDR,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(tmp_fapl),
    .open = tmp_open,
    .close = tmp_close,
    .cmp = tmp_cmp,
    .query = tmp_query,
    .get_eoa = tmp_get_eoa,
    .set_eoa = tmp_set_eoa,
    .get_eof = tmp_get_eof,
    .get_handle = tmp_get_handle,
    .read = tmp_read,
    .write = tmp_write,
    .flush = tmp_flush,
    .truncate = tmp_truncate,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

static pthread_once_t registered = PTHREAD_ONCE_INIT;
static hid_t tmp_driver = -1;

static void register_driver(void)
{
    tmp_driver = H5FDregister(&tmp_class);
}

herr_t sw_h5tmp_set_fapl(hid_t fapl, sw_h5tmp_status *status)
{
    pthread_once(&registered, register_driver);
    if (tmp_driver < 0) return -1;
    tmp_fapl fa = {status};
    return H5Pset_driver(fapl, tmp_driver, &fa);
}
