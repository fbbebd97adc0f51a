#include "version.h"

#include <hdf5.h>
#include <pthread.h>
#include <stdio.h>
#include <yaml.h>

#include "common.h"

#ifdef SWEEP_HAVE_MPI
#include <mpi.h>
#endif

/* Both strings are composed once, under pthread_once: runs write their files from several
 * threads at once, and a lazily filled buffer let one thread read another's half-written
 * text into a run file (a run's "program" attribute then differed between two sweeps). */
static char library_versions[256];
static char version_string[320];
static pthread_once_t composed = PTHREAD_ONCE_INIT;

static void compose(void)
{
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    int n = snprintf(library_versions, sizeof library_versions, "hdf5 %u.%u.%u; libyaml %s; openmp %d", maj,
                     min, rel, yaml_get_version_string(), _OPENMP);
#ifdef SWEEP_HAVE_MPI
    char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(mpi, &len);
    for (int i = 0; i < len; i++)
        if (mpi[i] == ',' || mpi[i] == '\n') { mpi[i] = 0; break; }
    snprintf(library_versions + n, sizeof library_versions - (size_t)n, "; mpi %s", mpi);
#else
    (void)n;
#endif
    snprintf(version_string, sizeof version_string, "sweep %s (%s)", SWEEP_VERSION, library_versions);
}

const char *sw_library_versions(void)
{
    pthread_once(&composed, compose);
    return library_versions;
}

const char *sw_version_string(void)
{
    pthread_once(&composed, compose);
    return version_string;
}
