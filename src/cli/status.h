/* status.h: `sweep status DIR [--json]`: where a sweep stands, from its directory's files
 * alone, on one terminal screen (or as JSON for scripts), while it runs or afterwards.
 *
 * It reads the manifest (the sweep's runs), each run's file (its status and best metric),
 * the early-stopping decisions of sweep.h5 (whether a stopped run goes on), the heartbeats
 * of the processes running the sweep (live.h: which runs train now, their epoch, metric
 * and ETA; any number of processes: MPI ranks, shards, Slurm array tasks on other hosts),
 * and the checkpoints of runs not running (how far an interrupted run got). Every one of
 * those files is replaced whole by its writer, so reading never needs the sweep's lock and
 * never sees half a file; one that does not read (damaged) is named and its run counted as
 * pending, since the sweep redoes it. */
#ifndef SWEEP_STATUS_H
#define SWEEP_STATUS_H

/* The `status` verb: argv[0] is "status", then DIR and options (see --help). Returns the
 * exit status: 0 printed; 2 usage error (no such directory, not a sweep's). */
int sw_status_main(int argc, char **argv);

#endif
