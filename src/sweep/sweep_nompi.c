/* sweep_nompi.c: sweep_mpi.h for a build without MPI (compiled instead of sweep_mpi.c).
 * One process is rank 0 of 1: the collectives return what they were given, and the
 * dispatcher and requests, which only a job of several ranks uses, are never called. */
#include "sweep_mpi.h"

#include <stdio.h>

#include "common.h"

int sw_mpi_world(bool use, int *rank, int *ranks, char *err, size_t errlen)
{
    *rank = 0;
    *ranks = 1;
    if (use) {
        snprintf(err, errlen, "this sweep was built without MPI");
        return SW_EINVAL;
    }
    return SW_OK;
}

void sw_mpi_share_doubles(double *v, int n)
{
    (void)v;
    (void)n;
}

int sw_mpi_share(int value)
{
    return value;
}

bool sw_mpi_any(bool mine)
{
    return mine;
}

int sw_mpi_remote_threads(int threads)
{
    (void)threads;
    return 0;
}

sw_mpi_dispatcher *sw_mpi_dispatch_start(const sw_mpi_loop *loop, int remote_threads)
{
    (void)loop, (void)remote_threads;
    return NULL;
}

void sw_mpi_dispatch_join(sw_mpi_dispatcher *d)
{
    (void)d;
}

int sw_mpi_request(const sw_run_report *prev, bool interrupted, int *until)
{
    (void)prev, (void)interrupted;
    *until = 0;
    return -1;
}
