#!/bin/bash
#SBATCH --job-name=sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
# sbatch docs/slurm-array.sh CONFIG.yaml DIR, from the checkout (the tasks run build/sweep
# from there): array task K of N trains shard K/N of the sweep into DIR. The array must be
# 0..N-1. Two minutes before the time limit (--signal: USR1 to this script, passed on), on
# scancel and on preemption (SIGTERM), sweep stops every running run at its next training
# step with a checkpoint and exits 75; the task then requeues itself and, run again, goes
# on where it stopped. After a task that failed otherwise, submit the whole array again.
build/sweep "$1" -o "$2" -q -j "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" &
pid=$!
trap 'kill -USR1 $pid' USR1 TERM
# a signal to this script ends `wait` early (status > 128): wait again while sweep runs
while wait $pid; status=$?; [ $status -gt 128 ] && kill -0 $pid 2> /dev/null; do :; done
[ $status = 75 ] && scontrol requeue "$SLURM_JOB_ID"
exit $status
