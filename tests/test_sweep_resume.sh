#!/bin/bash
# test_sweep_resume.sh SWEEP MODE: runs resume mid-way from their checkpoints, and the files
# are bit-identical (timings aside) to those of a sweep that was never interrupted.
#   kill9    kill -9 (the process group) once runs have saved checkpoints: the next
#            invocation says "resumed at epoch K", and no checkpoint is left at the end
#   sigint   one Ctrl-C (SIGINT) in the middle of an epoch: each running run stops before
#            its next training step and saves a checkpoint there (its place in the epoch
#            included), the sweep exits 75, and the next invocation resumes them there
#   sigterm  the same with SIGTERM (a batch system's time limit), and SIGUSR1 (its warning)
#   signals  --stop-signals USR2: USR2 stops the sweep the same way; SIGUSR1 is then left
#            to its default action (the process ends at once; the runs redo their steps)
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
# start DIR HOLD ARGS...: the sweep in the background, in a process group of its own ($pid),
# writing a checkpoint at every record.checkpoint_every-th epoch and held at HOLD
# (EVENT:N, e.g. checkpoint:4 after its 4th checkpoint, step:40 after its 40th training step).
start() {
    local dir=$1 hold=$2; shift 2
    : > err.txt # emptied by the parent (testlib.sh, "Test holds"): every start writes err.txt
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=$hold SWEEP_TEST_RELEASE="$RELEASE" \
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
    start k checkpoint:12 -j 2
    check "the sweep holds after a checkpoint" await_hold err.txt "$pid"
    kill -9 -- -"$pid"
    wait "$pid" 2> /dev/null
    check "the killed sweep left a checkpoint" has_checkpoint k
    resume k
    check "a run says where it resumed" grep -qE 'resumed at epoch [0-9]+' err2.txt
    ;;
sigint|sigterm)
    # held after the 40th training step of the sweep (16 steps an epoch, two runs training:
    # the run that made it is inside an epoch, past a checkpoint at epoch 1 at least),
    # signalled there, then released: each running run stops before its next training step
    sig=INT; [ "$MODE" = sigterm ] && sig=TERM
    start s step:40 -j 2
    check "the sweep holds after a training step" await_hold err.txt "$pid"
    kill -$sig "$pid"
    check "the sweep takes the SIG$sig" await 120 "the signal's message" grep -q "sweep: interrupted (SIG$sig)" err.txt
    # further stop signals (a batch system's TERM after its USR1 warning) change nothing
    [ "$MODE" = sigterm ] && kill -USR1 "$pid"
    release
    wait "$pid"
    check "SIG$sig exits 75" test $? = 75
    check "the stopped runs saved a checkpoint" grep -q 'checkpoint saved, the run resumes there' err.txt
    check "the end line says how to continue" has err.txt "run the same command again to resume"
    # where the runs stopped ("after epoch E" or "in epoch E after step S of 16") is where
    # they resume ("at epoch E", "in epoch E after step S of 16")
    sed -nE 's/.*stopped +([^ ]+) +interrupted (after epoch|in epoch) ([^;]*); checkpoint saved.*/\1 \3/p' err.txt |
        sort > stopped.txt
    resume s
    sed -nE 's/.*done +([^ ]+) .*resumed (at epoch|in epoch) ([^;]*).*/\1 \3/p' err2.txt | sort > resumed.txt
    check "every stopped run resumes where it stopped" cmp -s stopped.txt resumed.txt
    check "a run stopped inside an epoch, after a training step" \
        grep -qE 'interrupted in epoch [0-9]+ after step [0-9]+ of 16; checkpoint saved' err.txt
    check "its resumption says so" grep -qE 'resumed in epoch [0-9]+ after step [0-9]+ of 16' err2.txt
    ;;
signals)
    start g step:40 -j 2 --stop-signals USR2
    check "the sweep holds after a training step" await_hold err.txt "$pid"
    kill -USR2 "$pid"
    check "the sweep takes the SIGUSR2" await 120 "the signal's message" grep -q "sweep: interrupted (SIGUSR2)" err.txt
    release
    wait "$pid"
    check "SIGUSR2 exits 75" test $? = 75
    check "a run stopped inside an epoch" grep -qE 'interrupted in epoch [0-9]+ after step' err.txt
    rm -f "$RELEASE"
    start u step:40 -j 2 --stop-signals USR2
    check "the second sweep holds" await_hold err.txt "$pid"
    kill -USR1 "$pid"
    wait "$pid"
    check "SIGUSR1, not listed, ends the process at once (128 + 10)" test $? = 138
    check "... without the stop's message" test -z "$(grep 'sweep: interrupted' err.txt)"
    resume g
    "$SWEEP" r.yaml -o u -j 2 > /dev/null 2>&1
    check "the sweep ended by SIGUSR1 completes" test $? = 0
    check "... with files identical to the uninterrupted sweep's" same ref u
    "$SWEEP" r.yaml -o x --stop-signals TERM,KILL > /dev/null 2> bad.txt
    check "--stop-signals with an uncatchable signal: exit 2" test $? = 2
    check "... naming the allowed ones" has bad.txt "unknown signal 'KILL'; allowed: HUP, INT, TERM, USR1, USR2, XCPU, ALRM"
    ;;
damaged)
    start d checkpoint:4 -j 2
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
    start h checkpoint:6 -j 1 --shard 0/2
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
