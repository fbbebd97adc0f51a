#!/bin/bash
# test_sweep_resume.sh SWEEP MODE: runs resume mid-way from their checkpoints, and the files
# are bit-identical (timings aside) to those of a sweep that was never interrupted.
#   kill9    kill -9 (the process group) once a run has saved a checkpoint: the next
#            invocation says "resumed at epoch K", and no checkpoint is left at the end
#   sigint   one Ctrl-C: running runs save a checkpoint at the epoch they stop after
#            (record.checkpoint_every 4 makes that epoch tell the two kinds apart), the
#            sweep exits 130, and the next invocation resumes them there
#   damaged  a truncated checkpoint: one line names it, the run starts over
#   shard    a shard killed mid-run resumes its runs the same way
# Every mode waits for events (a file appearing, a line printed), never a fixed time.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_resume.sh SWEEP MODE}")
MODE=${2:?mode}
source "$(dirname "$0")/testlib.sh"

# Three runs of a few seconds (every cell; dropout, a validation set and gradient records
# every 5 epochs, so that records straddle the checkpoints). A checkpoint needs a second of
# a run's work: the lstm and gru runs take about 2.5 s and 1.8 s of CPU (idle machine).
cat > r.yaml <<'YAML'
name: resume
base:
  task: {seq_len: 30, train_size: 2500, test_size: 200, val_size: 200}
  model: {hidden: 32, dropout: 0.2}
  train: {epochs: 12, batch: 32, steps_per_epoch: 0}
  record: {probe_size: 4, grad_every: 5}
grid:
  model.cell: [rnn, gru, lstm]
YAML

"$SWEEP" r.yaml -o ref -j 2 --quiet > /dev/null 2> ref.txt
check "uninterrupted sweep" test $? = 0
check "no checkpoint left by a sweep that ran through" test -z "$(ls ref | grep -F .ckpt)"

# wait_for COMMAND...: polls until COMMAND succeeds or the sweep started last ($pid) ends.
wait_for() {
    while ! "$@"; do
        kill -0 "$pid" 2> /dev/null || return 1
        sleep 0.05
    done
}
has_checkpoint() { ls "$1" 2> /dev/null | grep -q '\.ckpt$'; }
# start DIR ARGS...: the sweep in the background, in a process group of its own ($pid).
start() {
    local dir=$1; shift
    setsid "$SWEEP" r.yaml -o "$dir" -j 2 "$@" > out.txt 2> err.txt &
    pid=$!
}
# resume DIR: runs the sweep to its end; its stderr in err2.txt.
resume() {
    "$SWEEP" r.yaml -o "$1" -j 2 > out2.txt 2> err2.txt
    check "the resumed sweep completes" test $? = 0
    check "files identical to the uninterrupted sweep's" same ref "$1"
    check "no checkpoint left" test -z "$(ls "$1" | grep -F .ckpt)"
    check "no temporary left" test -z "$(ls -a "$1" | grep -F .tmp.)"
}

case $MODE in
kill9)
    start k
    check "a checkpoint appears while the sweep runs" wait_for has_checkpoint k
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    check "the killed sweep left a checkpoint" has_checkpoint k
    resume k
    check "a run says where it resumed" grep -qE 'resumed at epoch [0-9]+' err2.txt
    ;;
sigint)
    start s --set record.checkpoint_every=4
    check "a checkpoint appears while the sweep runs" wait_for has_checkpoint s
    kill -INT "$pid"
    wait "$pid"
    check "SIGINT exits 130" test $? = 130
    check "the stopped runs saved a checkpoint" grep -q 'checkpoint saved, the run resumes there' err.txt
    # the epochs the runs stopped after, and the epochs they resume at, are the same
    sed -nE 's/.*stopped +([^ ]+) +interrupted after epoch ([0-9]+); checkpoint saved.*/\1 \2/p' err.txt |
        sort > stopped.txt
    resume s
    sed -nE 's/.*done +([^ ]+) .*resumed at epoch ([0-9]+).*/\1 \2/p' err2.txt | sort > resumed.txt
    check "every stopped run resumes where it stopped" cmp -s stopped.txt resumed.txt
    check "some run was stopped mid-way" test -s stopped.txt
    ;;
damaged)
    start d
    check "a checkpoint appears while the sweep runs" wait_for has_checkpoint d
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    for f in d/*.ckpt; do truncate -s 600 "$f"; done
    resume d
    check "the damaged checkpoint is named" has err2.txt "checkpoint ignored: d/"
    check "its run starts over" has err2.txt "starts over"
    check "nothing resumed from it" test -z "$(grep 'resumed at epoch' err2.txt)"
    ;;
shard)
    # shard 0/2 of the three runs (lstm and rnn, longest first), killed mid-run
    setsid "$SWEEP" r.yaml -o h -j 1 --shard 0/2 > out.txt 2> err.txt &
    pid=$!
    check "a checkpoint appears while the shard runs" wait_for has_checkpoint h
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    "$SWEEP" r.yaml -o h -j 1 --shard 0/2 > out2.txt 2> err2.txt
    check "the shard completes" test $? = 0
    check "a run of the shard says where it resumed" grep -qE 'resumed at epoch [0-9]+' err2.txt
    "$SWEEP" r.yaml -o h -j 1 --shard 1/2 > /dev/null 2>&1
    "$SWEEP" index h > /dev/null 2>&1
    check "files identical to the uninterrupted sweep's" same ref h
    check "no checkpoint left" test -z "$(ls h | grep -F .ckpt)"
    ;;
*)
    echo "unknown mode $MODE"; exit 2 ;;
esac

echo "sweep_resume $MODE: $passed passed, $failed failed"
[ "$failed" = 0 ]
