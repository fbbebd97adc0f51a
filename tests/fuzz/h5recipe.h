/* h5recipe.h: HDF5 files built from fuzz bytes read as a recipe, for the file readers.
 *
 * Raw bytes fed to the HDF5 library mostly test HDF5's own parser; the sweep readers only
 * see what lies beyond it. So the fuzz input is read as a recipe: start from one of the
 * target's base files (real files, written by sweep's own writers; or an empty file), then
 * apply operations that replace what is at a path with a dataset, attribute, group or link
 * of a chosen type, shape, storage and value. Every file is structurally valid HDF5; what
 * varies is what the readers trust: types, ranks, dimensions, attribute values, links.
 *
 * Recipe (every byte read past the end of the input is 0):
 *   byte 0         base file: index modulo (number of bases + 1); the last one is empty
 *   byte 1         target options (each target gives it its own meaning)
 *   then up to 48 operations, each an op byte and its arguments:
 *   OP_DATASET     path, type, shape, layout, value   replace the link at path by a dataset
 *   OP_ATTRIBUTE   slot, type, shape, value           replace a known (object, attribute)
 *   OP_ATTR_AT     path, name, type, shape, value     the same on any object / any name
 *   OP_GROUP       path                               replace it by an empty group
 *   OP_DELETE      path                               unlink it
 *   OP_DEL_ATTR    slot                               delete a known attribute
 *   OP_SOFT_LINK   path, path                         a soft link (possibly dangling)
 *   OP_HARD_LINK   path, path                         a second name of an existing object
 * "path", "name" and "slot" are bytes indexing the names found in the base files (every
 * object path and every object's attributes) and target-specific extras; "type", "shape",
 * "layout" and "value" are described at their tables in h5recipe.c. H5RECIPE_LIST=1 in the
 * environment prints the tables of names with their indices (to write a recipe by hand). */
#ifndef SWEEP_FUZZ_H5RECIPE_H
#define SWEEP_FUZZ_H5RECIPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct h5recipe h5recipe;

/* A recipe interpreter over copies of the given base files (each a whole HDF5 file in
 * memory, copied here), whose object paths and attributes become the names operations
 * refer to, with extra_paths (object paths) and extra_strings (string values, besides
 * the built-in dictionary and the names found) added. Aborts when out of memory. */
h5recipe *h5recipe_create(const void *const *bases, const size_t *base_lens, int n_bases,
                          const char *const *extra_paths, int n_extra_paths,
                          const char *const *extra_strings, int n_extra_strings);

/* Builds the file the recipe describes and writes it to PATH. Returns 0, or -1 when the
 * file could not be made (the target then has nothing to read). *options gets byte 1. */
int h5recipe_build(h5recipe *r, const uint8_t *data, size_t size, const char *path, unsigned *options);

void h5recipe_free(h5recipe *r);

#endif
