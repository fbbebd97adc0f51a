/* atomicio.c: writing a file under a temporary name and renaming it (see atomicio.h). */
#define _POSIX_C_SOURCE 200809L
#include "atomicio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* write(2) until every byte is out; -1 with errno on the first failure. */
static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) { /* a regular file takes at least one byte, or says why not */
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int sw_atomic_write(const char *dir, const char *final, const char *tmp, const void *data, size_t len, char *err,
                    size_t errlen)
{
    /* tmp names this process (sw_atomic_owner): a file there is the leftover of a dead
     * process whose pid this one reuses, and is replaced */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        sw_set_error(err, errlen, "cannot write %s: %s", final, strerror(errno));
        return SW_EIO;
    }
    int bad = write_all(fd, data, len) != 0 || fsync(fd) != 0;
    int saved = errno;
    /* close() can report a deferred write error (NFS): it counts as one */
    if (close(fd) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        sw_set_error(err, errlen, "cannot write %s: %s", final, strerror(saved));
        return SW_EIO;
    }
    return sw_atomic_commit(dir, final, tmp, err, errlen);
}

int sw_atomic_commit(const char *dir, const char *final, const char *tmp, char *err, size_t errlen)
{
    int saved;
    if (rename(tmp, final) != 0) {
        saved = errno;
        unlink(tmp);
        sw_set_error(err, errlen, "cannot write %s: renaming %s: %s", final, tmp, strerror(saved));
        return SW_EIO;
    }
    /* The rename becomes durable with the directory; some file systems cannot fsync one. */
    if (fsync_dir(dir) != 0 && errno != EINVAL && errno != EROFS) {
        sw_set_error(err, errlen, "cannot write %s: flushing directory %s: %s", final, dir, strerror(errno));
        return SW_EIO;
    }
    return SW_OK;
}

void sw_atomic_owner(char *out, size_t outlen)
{
    char host[65] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "host");
    for (char *c = host; *c; c++)
        if (*c == '/' || (unsigned char)*c < 0x21) *c = '_';
    snprintf(out, outlen, "%s.%ld", host, (long)getpid());
}
