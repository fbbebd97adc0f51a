/* sweep_mpi.c: the ranks of an MPI job sharing a sweep (protocol in sweep_mpi.h).
 *
 * Every MPI call is made under g_mpi_lock, so the library needs MPI_THREAD_SERIALIZED
 * (checked by main). The dispatcher polls with MPI_Iprobe and a 1 ms sleep, so it costs no
 * CPU while rank 0's threads train. Messages are raw bytes: the ranks run the same binary
 * (a homogeneous cluster). */
#define _POSIX_C_SOURCE 200809L
#include "sweep_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define SW_TAG_REQ 711 /* rank > 0 -> rank 0: a request carrying the previous run's report */
#define SW_TAG_RUN 712 /* rank 0 -> rank > 0: {next run index, epoch to train to}; -1 stop, SW_MPI_WAIT */

static pthread_mutex_t g_mpi_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    sw_run_report prev; /* prev.end -1: nothing to report */
    int interrupted;    /* the sender got SIGINT: rank 0 stops handing out runs */
} request;

struct sw_mpi_dispatcher {
    const sw_mpi_loop *loop;
    int stops_left; /* worker threads of the other ranks still to be told to stop */
    pthread_t thread;
};

int sw_mpi_world(bool use, int *rank, int *ranks, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *rank = 0;
    *ranks = 1;
    if (use) {
        MPI_Comm_rank(MPI_COMM_WORLD, rank);
        MPI_Comm_size(MPI_COMM_WORLD, ranks);
    }
    return SW_OK;
}

int sw_mpi_share(int value)
{
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value;
}

void sw_mpi_share_doubles(double *v, int n)
{
    if (n > 0) MPI_Bcast(v, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

bool sw_mpi_any(bool mine)
{
    int m = mine, any = 0;
    MPI_Allreduce(&m, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any != 0;
}

int sw_mpi_remote_threads(int threads)
{
    int rank = 0, ranks = 1, remote = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int *counts = rank == 0 ? calloc((size_t)ranks, sizeof *counts) : NULL;
    MPI_Gather(&threads, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (int r = 1; r < ranks && counts; r++) remote += counts[r];
    free(counts);
    return remote;
}

/* Receives one request if one is waiting. Returns its source rank, or -1 when none is. */
static int receive_request(request *req)
{
    int flag = 0;
    MPI_Status st;
    pthread_mutex_lock(&g_mpi_lock);
    MPI_Iprobe(MPI_ANY_SOURCE, SW_TAG_REQ, MPI_COMM_WORLD, &flag, &st);
    if (flag) MPI_Recv(req, (int)sizeof *req, MPI_BYTE, st.MPI_SOURCE, SW_TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    pthread_mutex_unlock(&g_mpi_lock);
    return flag ? st.MPI_SOURCE : -1;
}

static void *dispatcher(void *arg)
{
    sw_mpi_dispatcher *d = arg;
    const sw_mpi_loop *loop = d->loop;
    while (d->stops_left > 0) {
        request req;
        int source = receive_request(&req);
        if (source < 0) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (req.interrupted) loop->interrupt(loop->ctx);
        const sw_run_report *r = &req.prev;
        if (r->end >= 0 && r->end < SW_END_COUNT && r->run >= 0 && r->run < loop->n_runs) {
            req.prev.detail[sizeof req.prev.detail - 1] = 0;
            loop->finish(loop->ctx, r);
        }
        int job[2] = {0, 0};
        job[0] = loop->take(loop->ctx, &job[1]);
        if (job[0] < 0 && job[0] != SW_MPI_WAIT) d->stops_left--;
        pthread_mutex_lock(&g_mpi_lock);
        MPI_Send(job, 2, MPI_INT, source, SW_TAG_RUN, MPI_COMM_WORLD);
        pthread_mutex_unlock(&g_mpi_lock);
    }
    return NULL;
}

sw_mpi_dispatcher *sw_mpi_dispatch_start(const sw_mpi_loop *loop, int remote_threads)
{
    sw_mpi_dispatcher *d = malloc(sizeof *d);
    if (d) {
        d->loop = loop;
        d->stops_left = remote_threads;
    }
    if (!d || pthread_create(&d->thread, NULL, dispatcher, d) != 0) {
        fprintf(stderr, "sweep: cannot start the MPI dispatcher thread\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return d;
}

void sw_mpi_dispatch_join(sw_mpi_dispatcher *d)
{
    if (!d) return;
    pthread_join(d->thread, NULL);
    free(d);
}

int sw_mpi_request(const sw_run_report *prev, bool interrupted, int *until)
{
    request req;
    memset(&req, 0, sizeof req);
    req.prev = *prev;
    req.interrupted = interrupted;
    int job[2] = {-1, 0};
    pthread_mutex_lock(&g_mpi_lock);
    MPI_Send(&req, (int)sizeof req, MPI_BYTE, 0, SW_TAG_REQ, MPI_COMM_WORLD);
    MPI_Recv(job, 2, MPI_INT, 0, SW_TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    pthread_mutex_unlock(&g_mpi_lock);
    *until = job[1];
    return job[0];
}
