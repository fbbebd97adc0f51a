#!/bin/bash
# test_kernels_identical.sh SWEEP VARIANT: run files made with SWEEP_KERNELS=VARIANT are
# bit-identical (timings aside) to those made with SWEEP_KERNELS=avx2, for every cell,
# two layers with dropout, a hidden size that leaves a partial panel, relu, and each kind
# of readout head. Exit 77 (CTest: skipped) when this CPU cannot run VARIANT.
set -u
SWEEP=$(realpath "${1:?usage: test_kernels_identical.sh SWEEP VARIANT}")
VARIANT=${2:?variant}
source "$(dirname "$0")/testlib.sh"

if ! SWEEP_KERNELS=$VARIANT "$SWEEP" --version > version.txt 2>&1; then
    echo "skipped: $(cat version.txt)"
    exit 77
fi
check "SWEEP_KERNELS=$VARIANT is the kernels in use" has version.txt "kernels: $VARIANT "

cat > cells.yaml <<'YAML'
name: cells
base:
  task: {seq_len: 9, train_size: 256, test_size: 64}
  model: {hidden: 40, layers: 2, dropout: 0.2}
  train: {epochs: 2, batch: 32, steps_per_epoch: 4}
  record: {probe_size: 8}
grid:
  model.cell: [rnn, lstm, gru]
  seed: [1, 2]
YAML
cat > heads.yaml <<'YAML'
name: heads
base:
  task: {seq_len: 12, train_size: 200, test_size: 50}
  model: {hidden: 24, layers: 1, dropout: 0}
  train: {epochs: 2, batch: 25, steps_per_epoch: 0, clip: 1.0}
  record: {probe_size: 8}
zip:
  - task.kind: [copy, adding, adding]
    model.cell: [gru, lstm, rnn]
    model.activation: [tanh, tanh, relu]
YAML
for config in cells heads; do
    SWEEP_KERNELS=avx2 "$SWEEP" $config.yaml -o $config-avx2 -j 2 -q
    check "$config: avx2 sweep exits 0" test $? = 0
    SWEEP_KERNELS=$VARIANT "$SWEEP" $config.yaml -o $config-$VARIANT -j 2 -q
    check "$config: $VARIANT sweep exits 0" test $? = 0
    check "$config: $VARIANT run files identical to avx2's" same $config-avx2 $config-$VARIANT
done
# the comparison can fail: two seeds differ
$PY "$HERE/test_sweep_h5diff.py" "cells-avx2/cell=rnn,seed=1.h5" "cells-avx2/cell=rnn,seed=2.h5" > diff.txt 2>&1
check "the comparison sees a different seed" test $? = 1
echo "kernels_identical $VARIANT: $passed passed, $failed failed"
test $failed = 0
