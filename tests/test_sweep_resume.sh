#!/bin/bash
# test_sweep_resume.sh SWEEP MODE: runs resume mid-way from their checkpoints, and the files
# are bit-identical (timings aside) to those of a sweep that was never interrupted.
#   kill9    kill -9 (the process group) once runs have saved checkpoints: the next
#            invocation says "resumed at epoch K", and no checkpoint is left at the end
#   sigint   one Ctrl-C: running runs save a checkpoint at the epoch they stop after
#            (record.checkpoint_every 4 makes that epoch tell the two kinds apart), the
#            sweep exits 130, and the next invocation resumes them there
#   damaged  a truncated checkpoint: one line names it, the run starts over
#   shard    a shard killed mid-run resumes its runs the same way
# Every mode waits for events, never a time, and the events do not depend on the machine's
# speed: the interrupted sweep writes its checkpoints whatever its epochs take
# (SWEEP_TEST_CHECKPOINTS=unthrottled; a user's sweep writes one per second of work at most,
# so a fast machine writes none in these runs), and holds once it has written the N-th
# (SWEEP_TEST_HOLD=checkpoint:N, src/sweep/testhook.h) until the test kills, interrupts or releases it.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_resume.sh SWEEP MODE}")
MODE=${2:?mode}
source "$(dirname "$0")/testlib.sh"

# Three small runs (every cell; dropout, a validation set and gradient records every 5
# epochs, so that records straddle the checkpoints).
cat > r.yaml <<'YAML'
name: resume
base:
  task: {seq_len: 20, train_size: 512, test_size: 100, val_size: 100}
  model: {hidden: 32, dropout: 0.2}
  train: {epochs: 12, batch: 32, steps_per_epoch: 0}
  record: {probe_size: 4, grad_every: 5}
grid:
  model.cell: [rnn, gru, lstm]
YAML

"$SWEEP" r.yaml -o ref -j 2 --quiet > /dev/null 2> ref.txt
check "uninterrupted sweep" test $? = 0
check "no checkpoint left by a sweep that ran through" test -z "$(ls ref | grep -F .ckpt)"

has_checkpoint() { ls "$1" 2> /dev/null | grep -q '\.ckpt$'; }
# start DIR N ARGS...: the sweep in the background, in a process group of its own ($pid),
# writing a checkpoint at every record.checkpoint_every-th epoch and held after its N-th.
start() {
    local dir=$1 n=$2; shift 2
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=checkpoint:$n SWEEP_TEST_RELEASE="$RELEASE" \
        setsid "$SWEEP" r.yaml -o "$dir" "$@" > out.txt 2> err.txt &
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
    # held at the 12th checkpoint: about epoch 6 of both runs training (one a checkpoint
    # ahead), past their gradient record at epoch 5
    start k 12 -j 2
    check "the sweep holds after a checkpoint" await_hold err.txt "$pid"
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    check "the killed sweep left a checkpoint" has_checkpoint k
    resume k
    check "a run says where it resumed" grep -qE 'resumed at epoch [0-9]+' err2.txt
    ;;
sigint)
    # held at the first checkpoint (epoch 4 of a run; the other run holds at the end of its
    # epoch), interrupted there, then released: the runs stop at their next epoch boundary
    start s 1 -j 2 --set record.checkpoint_every=4
    check "the sweep holds after a checkpoint" await_hold err.txt "$pid"
    kill -INT "$pid"
    check "the sweep takes the SIGINT" await 120 "the SIGINT's message" grep -q "sweep: interrupted" err.txt
    release
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
    check "a run stopped after an epoch that is no multiple of 4" grep -qvE ' (4|8)$' stopped.txt
    ;;
damaged)
    start d 4 -j 2
    check "the sweep holds after a checkpoint" await_hold err.txt "$pid"
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    for f in d/*.ckpt; do truncate -s 600 "$f"; done
    resume d
    check "the damaged checkpoint is named" has err2.txt "checkpoint ignored: d/"
    check "its run starts over" has err2.txt "starts over"
    check "nothing resumed from it" test -z "$(grep 'resumed at epoch' err2.txt)"
    ;;
shard)
    # shard 0/2 of the three runs (lstm and rnn, longest first), killed mid-run: held at
    # lstm's checkpoint after epoch 6
    start h 6 -j 1 --shard 0/2
    check "the shard holds after a checkpoint" await_hold err.txt "$pid"
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    "$SWEEP" r.yaml -o h -j 1 --shard 0/2 > out2.txt 2> err2.txt
    check "the shard completes" test $? = 0
    check "a run of the shard says where it resumed" grep -qE 'resumed at epoch 6' err2.txt
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
