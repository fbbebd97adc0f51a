#!/bin/bash
# test_slurm.sh SWEEP MODE SCRIPT: the README's job-array script (SCRIPT, docs/slurm-array.sh)
# on a real one-node Slurm started here, configured entirely in the scratch directory (its
# own munge key and socket, ports, state, spool, logs) and stopped on exit, also on failure.
#   array   submitted with 2 array tasks, then `sweep index`: the same files as one process.
#   cancel  one task cancelled (scancel) between its first and its second run (held there
#           by SWEEP_TEST_HOLD); the whole array submitted again completes the sweep with the
#           same files as one process, keeping the runs that were complete.
#   requeue both tasks held after a training step inside their first run; task 0 is sent
#           `scancel --signal=TERM --full` (as at a time limit or a preemption): its sweep
#           stops the run at its next step with a checkpoint and exits 75, the script
#           requeues the task (`scontrol requeue`), and the task, run again, resumes the run
#           there; the array ends with the same files as one process.
#   readme  README.md shows SCRIPT verbatim (needs no Slurm).
# Skipped (status 77) only where Slurm cannot start: not root (slurmd must be), or the
# Debian packages munge, slurmctld, slurmd, slurm-client missing. Once they are there, a
# daemon that does not come up is a failure.
set -u
SWEEP=$(realpath "${1:?usage: test_slurm.sh SWEEP MODE SCRIPT}")
MODE=${2:?mode}
SCRIPT=$(realpath "${3:?script}")
source "$(dirname "$0")/testlib.sh"

if [ "$MODE" = readme ]; then
    $PY - "$HERE/../README.md" "$SCRIPT" <<'PYEOF'
import sys
readme, script = (open(p).read() for p in sys.argv[1:3])
sys.exit(0 if "```bash\n" + script + "```\n" in readme else 1)
PYEOF
    r=$?
    check "README shows ${SCRIPT##*/} verbatim" test $r = 0
    echo "$MODE: $passed passed, $failed failed"
    [ $failed = 0 ]
    exit
fi

skip() { echo "SKIP: $*"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start jobs (this is uid $(id -u))"
for b in munged munge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v $b > /dev/null ||
        skip "$b is not installed (Debian packages munge, slurmctld, slurmd, slurm-client; .ci/setup installs them)"
done

# ---- a one-node Slurm in $work/slurm ----------------------------------------------------
S=$work/slurm
export SLURM_CONF=$S/slurm.conf
pids=()      # the daemons started here, stopped by their ids on exit
started=0

# stop_slurm: cancels what is left, stops the daemons by their ids (SIGKILL after 20 s),
# then ends any process still carrying this cluster's SLURM_CONF (a job step, a job).
stop_slurm() {
    if [ $started = 1 ]; then
        scancel --user="$(id -un)" 2> /dev/null
        wait_until 30 no_jobs
        scontrol shutdown > /dev/null 2>&1
    fi
    local i p t
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do   # slurmd, slurmctld, then munged
        p=${pids[i]}
        kill -TERM "$p" 2> /dev/null
        for t in $(seq 200); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2> /dev/null
        wait "$p" 2> /dev/null
    done
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        grep -qzx "SLURM_CONF=$SLURM_CONF" "$p/environ" 2> /dev/null && kill -KILL "${p#/proc/}" 2> /dev/null
    done
}
trap 'stop_slurm; rm -rf "$work"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# wait_until SECONDS COMMAND...: polls COMMAND until it succeeds (status 0) or time is up (1).
wait_until() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
no_jobs() { [ -z "$(squeue -h -o %i 2> /dev/null)" ]; }
alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null || return 1; done; }
node_idle() { alive && [ "$(sinfo -h -n sweepnode -o %t 2> /dev/null)" = idle ]; }
munge_up() { alive && munge -S "$S/munge.sock" -n > /dev/null 2>&1; }

# fail_start WHAT: a daemon did not come up although Slurm is installed: its logs, exit 1.
fail_start() {
    echo "FAIL: $1"
    local f
    for f in "$S"/*.out "$S"/*.log; do [ -s "$f" ] && { echo "  $f:"; tail -15 "$f" | sed 's/^/    | /'; }; done
    exit 1
}

mkdir -p "$S/state" "$S/spool"
chmod 755 "$work" "$S"   # munged wants every directory above its socket searchable by all
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2> /dev/null && chmod 400 "$S/munge.key"
munged -F --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
    --log-file="$S/munged.log" --seed-file="$S/munged.seed" > "$S/munged.out" 2>&1 &
pids+=($!)
wait_until 120 munge_up || fail_start "munged did not start"

# two free ports on the loopback (the kernel picks them; the probe closes them again)
read -r ctld_port slurmd_port < <($PY -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
cat > "$SLURM_CONF" <<EOF
ClusterName=sweeptest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
PlugStackConfig=$S/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=sweepnode NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=sweeptest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
: > "$S/plugstack.conf"
slurmctld -D -f "$SLURM_CONF" > "$S/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N sweepnode > "$S/slurmd.out" 2>&1 &
pids+=($!)
started=1
wait_until 120 node_idle || fail_start "the node did not come up idle (slurmctld, slurmd)"

# ---- the sweep --------------------------------------------------------------------------
# four equal runs of about 1.3 s of CPU each: two per shard, run one after the other by each task
cat > arr.yaml <<'YAML'
name: slurm-array
base:
  task: {seq_len: 40, train_size: 1024, test_size: 64}
  model: {cell: gru, hidden: 32}
  train: {epochs: 24}
  record: {probe_size: 4}
grid:
  seed: [1, 2, 3, 4]
YAML
"$SWEEP" arr.yaml -j 2 -o one -q || { echo "FAIL: the one-process reference sweep"; exit 1; }
# the tasks run build/sweep from the directory they were submitted in, as from a checkout
mkdir build && ln -s "$SWEEP" build/sweep

# submit: the array with 2 tasks of one CPU each (the script asks for 8 CPUs, more than
# this node has); prints the array's job id
submit() { sbatch --parsable --array=0-1 --cpus-per-task=1 "$SCRIPT" arr.yaml arr; }
# states JOBID: "TASK STATE EXITCODE" per array task, by task
states() {
    scontrol -o show job "$1" | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .* ExitCode=\([0-9:]*\).*/\1 \2 \3/p' | sort
}
# wait_array JOBID: until no task of the array is queued, running or completing
wait_array() {
    array_done() { [ -z "$(squeue -h -j "$1" -o %i 2> /dev/null)" ]; }
    wait_until 120 array_done "$1" || { echo "FAIL: array $1 still queued after 120 s"; squeue; exit 1; }
}
# show_array JOBID: what a failed check needs to be understood: the tasks' states, Slurm's
# record of each task, their output and what slurmctld logged about the array
show_array() {
    sed 's/^/    | states: /' states.txt
    scontrol -o show job "$1" | sed 's/^/    | /'
    local f
    for f in slurm-"$1"_*.out; do echo "    $f:"; sed 's/^/    | /' "$f" | tail -20; done
    grep -F "$1" "$S/slurmctld.log" | tail -30 | sed 's/^/    | ctld: /'
}
# all_completed JOBID: both tasks of the array completed with exit 0 (by states.txt), or
# what happened instead is shown
all_completed() {
    [ "$(cat states.txt)" = "$(printf '0 COMPLETED 0:0\n1 COMPLETED 0:0')" ] || { show_array "$1"; return 1; }
}
# shard K: the run ids of shard K/2, from the dry run's numbered list
shard_runs() {
    "$SWEEP" arr.yaml --shard "$1/2" --dry-run |
        awk '/^ *[0-9]+  / {id[$1] = $2} /^shard / {for (i = 7; i <= NF; i++) print id[$i]}'
}
ids0=($(shard_runs 0))
check "shard 0/2 has two runs" test ${#ids0[@]} = 2

case $MODE in
array)
    jid=$(submit)
    check "sbatch accepts the script" test -n "$jid"
    wait_array "$jid"
    states "$jid" > states.txt
    check "both tasks completed with exit 0" all_completed "$jid"
    check "the tasks printed nothing (-q, no error)" test -z "$(cat slurm-"$jid"_*.out)"
    "$SWEEP" index arr > out.txt 2> err.txt
    check "sweep index exits 0" test $? = 0
    check "sweep index counts every run" has out.txt "4 with a complete file"
    check "the array's files are those of one process" same one arr
    ;;
cancel)
    # every task holds once its first run is complete (SWEEP_TEST_HOLD, src/sweep/testhook.h): task
    # 0 is cancelled there, its second run not begun however fast the machine; once it is
    # gone, task 1 is released and completes
    jid=$(export SWEEP_TEST_HOLD=run:1 SWEEP_TEST_RELEASE="$RELEASE"; submit)
    check "sbatch accepts the script" test -n "$jid"
    task0_held() { grep -q '^sweep: test hold at run 1' "slurm-${jid}_0.out" 2> /dev/null || no_jobs; }
    wait_until 120 task0_held && grep -q '^sweep: test hold at run 1' "slurm-${jid}_0.out" ||
        { echo "FAIL: task 0 did not hold after its first run"; cat slurm-"$jid"_*.out; exit 1; }
    check "task 0 held with its first run complete" test -e "arr/${ids0[0]}.h5"
    scancel "${jid}_0"
    task0_gone() { [ -z "$(squeue -h -j "${jid}_0" -o %i 2> /dev/null)" ]; }
    wait_until 120 task0_gone || { echo "FAIL: task 0 still there 120 s after scancel"; squeue; exit 1; }
    release
    wait_array "$jid"
    states "$jid" > states.txt
    check "task 0 cancelled" test "$(sed -n 1p states.txt | cut -d' ' -f2)" = CANCELLED
    check "task 1 completed with exit 0" test "$(sed -n 2p states.txt)" = "1 COMPLETED 0:0"
    check "task 0 was cancelled half-way (${ids0[1]} not done)" test ! -e "arr/${ids0[1]}.h5"
    check "3 runs complete before the resubmission" test "$(ls arr | grep -c '^seed=.*\.h5$')" = 3
    stat -c '%n %i %Y' arr/seed=*.h5 > kept.txt
    jid2=$(submit)
    check "sbatch accepts the script again" test -n "$jid2"
    wait_array "$jid2"
    states "$jid2" > states.txt
    check "both resubmitted tasks completed with exit 0" all_completed "$jid2"
    stat -c '%n %i %Y' $(cut -d' ' -f1 kept.txt) > kept2.txt
    check "the complete runs were kept, not redone" cmp -s kept.txt kept2.txt
    "$SWEEP" index arr > out.txt 2> err.txt
    check "sweep index exits 0" test $? = 0
    check "sweep index counts every run" has out.txt "4 with a complete file"
    check "the resubmitted array's files are those of one process" same one arr
    ;;
requeue)
    # each task holds after its 40th training step (epoch 2 of its first run; 32 steps an
    # epoch); the output of both executions of a requeued task is kept (--open-mode=append)
    jid=$(export SWEEP_TEST_HOLD=step:40 SWEEP_TEST_RELEASE="$RELEASE"
          sbatch --parsable --array=0-1 --cpus-per-task=1 --open-mode=append "$SCRIPT" arr.yaml arr)
    check "sbatch accepts the script" test -n "$jid"
    held() { grep -q '^sweep: test hold at step 40' "slurm-${jid}_$1.out" 2> /dev/null || no_jobs; }
    wait_until 120 held 0 && grep -q '^sweep: test hold at step 40' "slurm-${jid}_0.out" ||
        { echo "FAIL: task 0 did not hold after a training step"; cat slurm-"$jid"_*.out; exit 1; }
    scancel --signal=TERM --full "${jid}_0"
    took() { grep -q 'sweep: interrupted (SIG' "slurm-${jid}_0.out"; }
    check "task 0's sweep takes the signal" wait_until 120 took
    release
    restarted() { scontrol -o show job "${jid}_0" | grep -q 'Restarts=[1-9]'; }
    check "task 0 requeued itself" wait_until 120 restarted
    # Slurm holds a requeued batch job back for a while (Reason=BeginTime, 2 minutes here)
    # before it may start again: let it start in the next second instead. Not in this one:
    # slurmd revoked the first execution's credential when it ended it, and refuses a launch
    # whose credential was made in the second of that revocation or before ("Job credential
    # revoked", the task then fails with exit 1). PENDING (no longer COMPLETING) means that
    # execution has ended, so the revocation is in this second or an earlier one.
    pending() { scontrol -o show job "${jid}_0" | grep -q 'JobState=PENDING'; }
    wait_until 120 pending && scontrol update JobId="${jid}_0" StartTime=now+1
    wait_array "$jid"
    states "$jid" > states.txt
    check "both tasks completed with exit 0" all_completed "$jid"
    check "task 0 ran twice" test "$(grep -c '^sweep: test hold at step 40' "slurm-${jid}_0.out")" = 2
    check "task 1 ran once" test "$(scontrol -o show job "${jid}_1" | grep -o 'Restarts=[0-9]*')" = Restarts=0
    "$SWEEP" index arr > out.txt 2> err.txt
    check "sweep index exits 0" test $? = 0
    check "sweep index counts every run" has out.txt "4 with a complete file"
    check "the requeued array's files are those of one process" same one arr
    check "no checkpoint left" test -z "$(ls arr | grep -F .ckpt)"
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "$MODE: $passed passed, $failed failed"
[ $failed = 0 ]
