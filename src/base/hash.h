/* hash.h: the two hashes the program names things by: SHA-256 (the index's config hash and
 * a checkpoint's config hash, comparable with `sha256sum`) and 64-bit FNV-1a (run ids and
 * config hashes in the manifest: short, fast, not cryptographic). */
#ifndef SWEEP_HASH_H
#define SWEEP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4) of `len` bytes as 64 lowercase hex digits plus NUL. */
void sw_sha256_hex(const void *data, size_t len, char out[65]);

/* 64-bit FNV-1a of the string s (its bytes up to the NUL). */
uint64_t sw_fnv1a(const char *s);

#endif
