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

/* Files opened read-only (sw_h5read_set_fapl) are read READ_BLOCK bytes at a time into the
 * least recently used of READ_BLOCKS blocks: HDF5 reads object headers, B-tree nodes and
 * heaps in pieces of some hundred bytes (246 reads for a reference run's 2 MB file, near
 * each other but across the file). Replayed on those reads, blocks of 32 KiB take 105
 * reads with one block, 35 with 4, 29 with 8 (2.36 MB read), 27 with 16; of 64 KiB, 24
 * with 8 but 2.47 MB. A read of READ_BLOCK or more goes straight into HDF5's buffer. */
#define READ_BLOCK (32 * 1024)
#define READ_BLOCKS 8

typedef struct {
    unsigned char *p; /* READ_BLOCK bytes, made at first use */
    haddr_t at;
    size_t len;         /* bytes of the file at `at` it holds */
    unsigned long used; /* when last used (the file's clock) */
} read_block;

typedef struct {
    H5FD_t pub; /* HDF5's part; first */
    int fd;
    haddr_t eoa; /* end of the space HDF5 allocated */
    haddr_t eof; /* end of what is in the file */
    dev_t dev;
    ino_t ino;
    sw_h5tmp_status *status; /* NULL for a file opened to read */
    read_block blocks[READ_BLOCKS]; /* files opened to read */
    unsigned long clock;
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
    for (int i = 0; i < READ_BLOCKS; i++) free(f->blocks[i].p);
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

/* pread(2)s up to size bytes at addr into p, stopping at the end of the file; the number of
 * bytes read, or -1 with errno. */
static ssize_t read_upto(int fd, unsigned char *p, size_t size, haddr_t addr)
{
    size_t got = 0;
    while (got < size) {
        size_t want = size - got > ((size_t)1 << 30) ? (size_t)1 << 30 : size - got;
        ssize_t n = pread(fd, p + got, want, (off_t)(addr + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* The block that holds size bytes at addr, read now if none does (into the least recently
 * used one, from the 4 KiB boundary below addr when the read fits); NULL when a read fails
 * (errno) or there is no memory. The block may end before addr + size at the file's end. */
static read_block *block_for(tmp_file *f, haddr_t addr, size_t size)
{
    read_block *b = NULL; /* the first unmade block, else the least recently used */
    for (int i = 0; i < READ_BLOCKS; i++) {
        read_block *c = &f->blocks[i];
        if (c->p && addr >= c->at && addr + size <= c->at + c->len) {
            c->used = ++f->clock;
            return c;
        }
        if (!b || (b->p && (!c->p || c->used < b->used))) b = c;
    }
    if (!b->p && !(b->p = malloc(READ_BLOCK))) return NULL;
    haddr_t at = addr & ~(haddr_t)4095;
    if (addr + size > at + READ_BLOCK) at = addr;
    ssize_t n = at < f->eof ? read_upto(f->fd, b->p, READ_BLOCK, at) : 0;
    b->len = 0;
    if (n < 0) return NULL;
    b->at = at;
    b->len = (size_t)n;
    b->used = ++f->clock;
    return b;
}

/* A file opened to read: what is in it, zeros past its end; -1 when a read fails (HDF5
 * reports it). Reads of less than READ_BLOCK come from the blocks. */
static herr_t read_blocks(tmp_file *f, haddr_t addr, size_t size, unsigned char *p)
{
    if (size >= READ_BLOCK) {
        ssize_t n = addr < f->eof ? read_upto(f->fd, p, size, addr) : 0;
        if (n < 0) return -1;
        memset(p + n, 0, size - (size_t)n);
        return 0;
    }
    read_block *b = block_for(f, addr, size);
    if (!b) return -1;
    size_t have = addr >= b->at + b->len ? 0 : (size_t)(b->at + b->len - addr);
    if (have > size) have = size;
    if (have) memcpy(p, b->p + (addr - b->at), have);
    memset(p + have, 0, size - have);
    return 0;
}

/* Reads what is in the file; zeros past its end and where a read fails (the failure is
 * kept: the file will be deleted). A file opened to read: see read_blocks. */
static herr_t tmp_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf)
{
    (void)type;
    (void)dxpl;
    tmp_file *f = (tmp_file *)file;
    unsigned char *p = buf;
    if (!(f->pub.access_flags & H5F_ACC_RDWR)) return read_blocks(f, addr, size, p);
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

/* Writes at once; after a failure, nothing more (see h5tmpfile.h). A file opened to read
 * is not written. */
static herr_t tmp_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, const void *buf)
{
    (void)type;
    (void)dxpl;
    tmp_file *f = (tmp_file *)file;
    if (!(f->pub.access_flags & H5F_ACC_RDWR)) return -1;
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

herr_t sw_h5read_set_fapl(hid_t fapl)
{
    return sw_h5tmp_set_fapl(fapl, NULL);
}

herr_t sw_h5tmp_set_fapl(hid_t fapl, sw_h5tmp_status *status)
{
    pthread_once(&registered, register_driver);
    if (tmp_driver < 0) return -1;
    tmp_fapl fa = {status};
    return H5Pset_driver(fapl, tmp_driver, &fa);
}
