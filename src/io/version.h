/* version.h: what this build is made of, for --version and the HDF5 root attributes. */
#ifndef SWEEP_VERSION_INFO_H
#define SWEEP_VERSION_INFO_H

/* "sweep 0.1.0 (HDF5 1.10.8, libyaml 0.2.5, OpenMP 201511[, MPI ...])", static storage; any thread. */
const char *sw_version_string(void);

/* "hdf5 1.10.8; libyaml 0.2.5; openmp 201511" for the run files; static storage; any thread. */
const char *sw_library_versions(void);

#endif
