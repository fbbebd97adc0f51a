/* atomicio.h: writing a file so that its final name only ever holds a complete one.
 *
 * The bytes go to a temporary in the final directory, which is fsync'ed and renamed over
 * the final name; then the directory is fsync'ed. Every step is a plain system call whose
 * errno becomes the message ("cannot write DIR/x.h5: No space left on device"), and any
 * failure removes the temporary, so a full disk or an I/O error leaves the directory as
 * it was. HDF5 files are written into their temporary by h5write.c (through a driver that
 * keeps failures from the HDF5 library, which does not recover from a failed write of its
 * own) and committed here; outdir writes the manifest through sw_atomic_write. */
#ifndef SWEEP_ATOMICIO_H
#define SWEEP_ATOMICIO_H

#include <stddef.h>

/* Writes `len` bytes of `data` to the file `tmp` (a name in `dir`, the directory of
 * `final`, that no other live process uses: see sw_atomic_owner; a file already there is
 * replaced), makes it durable and renames it to
 * `final`, replacing what was there. Returns SW_OK, or SW_EIO with a one-line message in
 * err naming `final` and the cause; nothing is then left under `tmp` and `final` is
 * unchanged, except when only the last step (the directory's fsync) failed: the file is
 * then in place, complete, but might not survive a power loss. Thread-safe. */
int sw_atomic_write(const char *dir, const char *final, const char *tmp, const void *data, size_t len, char *err,
                    size_t errlen);

/* The last steps of sw_atomic_write, for a temporary `tmp` already written and made durable
 * (h5write.c's files, which HDF5 writes there itself): renames it to `final` and fsync's
 * `dir`. Returns SW_OK or SW_EIO with a message as sw_atomic_write does; a failed rename
 * removes the temporary. */
int sw_atomic_commit(const char *dir, const char *final, const char *tmp, char *err, size_t errlen);

/* "<host>.<pid>": what temporaries' names carry so that processes on several hosts (MPI
 * ranks, shards) sharing a directory never pick the same one. Characters that cannot be
 * in a file name become '_'. */
void sw_atomic_owner(char *out, size_t outlen);

#endif
