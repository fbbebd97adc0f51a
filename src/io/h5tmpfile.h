/* h5tmpfile.h: an HDF5 file driver that writes a new file straight into its temporary on
 * disk (h5write.c's sw_h5w_create/sw_h5w_finish rename it into place), and never reports a
 * failed system call to HDF5.
 *
 * Why a driver of our own: HDF5 1.10 does not recover from a failed write of its own (after
 * a write error inside H5Dclose or H5Fclose the file stays open half-closed and the library
 * crashes at exit), so files used to be built in memory (the core driver) and written by
 * one checked write(2): the arrays were copied into HDF5's image, the image copied out
 * again (H5Fget_file_image) and then written, and the file was held twice in memory. This
 * driver pwrite(2)s every block HDF5 writes to the temporary at once (the file is never
 * held in memory) and keeps the first errno instead of failing: HDF5 carries on as if the
 * write had been made, and sw_h5w_finish, which asks for the errno after H5Fclose, reports
 * it ("No space left on device") and deletes the temporary. Blocks after a failure are not
 * written; reads of what could not be written return zeros. Closing the file fsync's it.
 *
 * The driver allocates file space as HDF5's sec2 and core drivers do (the same feature
 * flags), so a file is laid out as it would be by them. Thread-safe: HDF5 serialises calls
 * into drivers, and every file has its own state.
 *
 * The same driver reads files to verify them (sw_h5read_set_fapl), a block at a time. */
#ifndef SW_H5TMPFILE_H
#define SW_H5TMPFILE_H

#include <hdf5.h>

/* What one file's writes came to: the first errno of a failed system call (0: none). The
 * caller owns it; it must outlive the file (until H5Fclose returns). */
typedef struct {
    int err;
    const char *call; /* the system call that failed ("pwrite", "fsync", ...) */
} sw_h5tmp_status;

/* Sets the file access property list to this driver, recording failures into *status.
 * Registers the driver on first use. Returns the H5Pset_driver status (negative on
 * failure). */
herr_t sw_h5tmp_set_fapl(hid_t fapl, sw_h5tmp_status *status);

/* Sets the file access property list to this driver for reading a file (H5F_ACC_RDONLY;
 * it writes nothing): reads of less than 32 KiB are served from the 8 blocks of 32 KiB
 * last read (HDF5's sec2 driver makes a pread(2) of every object header, B-tree node and
 * heap), larger ones read straight into HDF5's buffer; a failed read fails towards HDF5,
 * as sec2's does. At most 256 KiB of blocks a file, freed when it is closed. */
herr_t sw_h5read_set_fapl(hid_t fapl);

#endif
