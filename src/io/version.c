#include "version.h"

#include <hdf5.h>
#include <stdio.h>
#include <yaml.h>

#include "common.h"

#ifdef SWEEP_HAVE_MPI
#include <mpi.h>
#endif

const char *sw_library_versions(void)
{
    static char text[256];
    if (!text[0]) {
        unsigned maj, min, rel;
        H5get_libversion(&maj, &min, &rel);
        int n = snprintf(text, sizeof text, "hdf5 %u.%u.%u; libyaml %s; openmp %d", maj, min, rel,
                         yaml_get_version_string(), _OPENMP);
#ifdef SWEEP_HAVE_MPI
        char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        MPI_Get_library_version(mpi, &len);
        for (int i = 0; i < len; i++)
            if (mpi[i] == ',' || mpi[i] == '\n') { mpi[i] = 0; break; }
        snprintf(text + n, sizeof text - (size_t)n, "; mpi %s", mpi);
#else
        (void)n;
#endif
    }
    return text;
}

const char *sw_version_string(void)
{
    static char text[320];
    if (!text[0]) snprintf(text, sizeof text, "sweep %s (%s)", SWEEP_VERSION, sw_library_versions());
    return text;
}
