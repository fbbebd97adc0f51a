/* fuzz.h: what the fuzz targets share (how to build and run them: tests/fuzz/run.sh).
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang and -fsanitize=fuzzer it is a
 * libFuzzer program; built with replay.c's main (any compiler, e.g. gcc with ASan) it runs
 * the committed corpus once, which is what the `fuzz` CTest label does. */
#ifndef SWEEP_FUZZ_H
#define SWEEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A new private directory (under $TMPDIR, else /dev/shm when it exists, else /tmp) removed
 * with its files when the process exits; aborts when it cannot be made, since a target
 * without it cannot run. The path stays valid for the life of the process. */
const char *fuzz_scratch_dir(void);

/* A stream on /dev/null for output the targets produce but do not check (opened once). */
FILE *fuzz_devnull(void);

/* Reads the whole file PATH into a new buffer (*len bytes; the caller frees); NULL when
 * unreadable. */
void *fuzz_read_file(const char *path, size_t *len);

/* Writes len bytes to PATH (created or truncated); 0 or -1. */
int fuzz_write_file(const char *path, const void *data, size_t len);

#endif
