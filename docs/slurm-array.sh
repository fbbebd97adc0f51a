#!/bin/bash
#SBATCH --job-name=sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
# sbatch docs/slurm-array.sh CONFIG.yaml DIR, from the checkout (the tasks run build/sweep
# from there): array task K of N trains shard K/N of the sweep into DIR. The array must be
# 0..N-1; after a cancelled or failed task, submit the whole array again.
exec build/sweep "$1" -o "$2" -q -j "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"
