/* h5chunk.h: the chunks of run files and checkpoints verified as stored: read raw
 * (H5Dread_chunk), their Fletcher-32 checked here in HDF5's exact format and deflated ones
 * inflated, without HDF5's copies, unshuffling and conversion (HDF5's own Fletcher-32,
 * H5checksum.c, sums a byte at a time).
 * Files are written by HDF5's own pipeline (h5write.c); any HDF5 reader reads them without
 * plugins. */
#ifndef SW_H5CHUNK_H
#define SW_H5CHUNK_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* HDF5's Fletcher-32 of len bytes (H5_checksum_fletcher32): 16-bit big-endian words, an odd
 * last byte as the high byte of a word, both sums reduced by end-around carry, so that a sum
 * that is 0 modulo 65535 is 0 only when every byte is 0 and 0xffff otherwise. The same value
 * for every input, computed some hundred words at a time. */
uint32_t sw_h5_fletcher32(const void *data, size_t len);

/* Buffers for sw_h5_check_chunks, reused from dataset to dataset (the pages of one buffer
 * are faulted in once per file); zero-initialise, free with sw_h5_chunk_bufs_free. */
typedef struct {
    void *raw, *plain;
    size_t raw_size, plain_size;
} sw_h5_chunk_bufs;
void sw_h5_chunk_bufs_free(sw_h5_chunk_bufs *b);

/* Reads every chunk of the open, non-empty dataset d (`rank` dims, file type elements of
 * `elem` bytes) as stored and checks it: present, its Fletcher-32 right (HDF5 also takes
 * the byte-swapped form files of HDF5 1.6.0-1.6.2 have) and, deflated, inflating to exactly
 * the chunk's size: what reading it through HDF5 checks, without unshuffling or converting
 * it. Only for datasets whose filters are Fletcher-32 alone or shuffle, deflate and
 * Fletcher-32, with no filter skipped in any chunk: *handled is false otherwise (nothing
 * reported; the caller reads the dataset through HDF5). The inflating stays although the
 * checksum covers the deflated bytes: Fletcher-32 cannot tell a 16-bit word 0x0000 from
 * 0xffff, and a chunk that passes here must also read back in any HDF5 reader. SW_OK,
 * SW_ENOMEM, or SW_EFORMAT with the reason in why (an HDF5 call's own is then on its error
 * stack). */
int sw_h5_check_chunks(hid_t d, int rank, const hsize_t *dims, size_t elem, sw_h5_chunk_bufs *b, bool *handled,
                       char *why, size_t whylen);

#endif
