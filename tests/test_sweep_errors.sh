#!/bin/bash
# test_sweep_errors.sh SWEEP: bad input to `sweep` gives exit status 2, a clear message
# (FILE:LINE:COLUMN where there is a file position) and writes nothing: no output
# directory, no file anywhere in the scratch directory.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_errors.sh path/to/sweep}")
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0 failed=0

# case NAME YAML EXPECTED [ARGS...]: writes YAML to c.yaml (unless YAML is -), runs
# `sweep c.yaml -o out ARGS...`, checks status 2, EXPECTED in stderr, nothing written.
case_() {
    local name=$1 yaml=$2 expected=$3
    shift 3
    rm -rf "$work/s" && mkdir "$work/s" && cd "$work/s" || exit 1
    [ "$yaml" != - ] && printf '%s' "$yaml" > c.yaml
    local before after status
    before=$(find . | sort)
    "$SWEEP" c.yaml -o out "$@" > stdout.txt 2> stderr.txt
    status=$?
    after=$(find . | grep -v -e '^./stdout.txt$' -e '^./stderr.txt$' | sort)
    local ok=1
    if [ $status -ne 2 ]; then echo "FAIL $name: exit status $status, expected 2"; ok=0; fi
    if ! grep -qF -- "$expected" stderr.txt; then
        echo "FAIL $name: stderr lacks: $expected"; sed 's/^/    stderr: /' stderr.txt; ok=0
    fi
    if [ "$before" != "$after" ]; then echo "FAIL $name: files appeared:"; diff <(echo "$before") <(echo "$after"); ok=0; fi
    if [ -s stdout.txt ]; then echo "FAIL $name: wrote to stdout"; ok=0; fi
    if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    cd "$work" || exit 1
}

ok_base=$'name: t\nbase:\n  task: {seq_len: 3, train_size: 32, test_size: 8}\n  model: {hidden: 4}\n  train: {epochs: 1, batch: 8, steps_per_epoch: 1}\n'

# YAML syntax and structure
case_ syntax_flow      $'name: t\nbase:\n  model: {hidden: 32\n' "c.yaml:4:1: YAML syntax error"
case_ syntax_indent    $'name: t\nbase:\n  model:\n    hidden: 32\n   cell: rnn\n' "c.yaml:5:4: YAML syntax error"
case_ tab_indent       $'name: t\nbase:\n\tmodel: {hidden: 32}\n' "c.yaml:3:1: tabs are not allowed in YAML indentation; indent with spaces"
case_ tab_nested       $'name: t\nbase:\n  model:\n  \thidden: 32\n' "c.yaml:4:3: tabs are not allowed in YAML indentation"
case_ duplicate_key    $'name: t\nbase:\n  model:\n    hidden: 32\n    hidden: 64\n' 'c.yaml:5:5: duplicate key "hidden" (first at line 4, column 5)'
case_ duplicate_top    $'name: t\nname: u\n' 'c.yaml:2:1: duplicate key "name"'
case_ anchor           $'name: t\nbase:\n  model: &m {hidden: 32}\n' "c.yaml:3:10: anchors (&m) are not supported"
case_ alias            $'name: t\ngrid:\n  seed: [1, 2]\n  hidden: *x\n' "c.yaml:4:11: aliases (*x) are not supported"
case_ tag              $'name: t\nbase:\n  train: {lr: !!float 1}\n' "c.yaml:3:15: tags (tag:yaml.org,2002:float) are not supported"
case_ two_documents    $'name: t\n---\nname: u\n' "c.yaml:2:1: a second YAML document"
case_ empty_file       '' "c.yaml:1:1: the sweep file is empty"
case_ top_not_mapping  $'- name: t\n' "c.yaml:1:1: the top level must be a mapping"
# unknown keys, with suggestions
case_ unknown_key      $'name: t\nbase:\n  model: {hiden: 32}\n' 'c.yaml:3:11: unknown key "model.hiden"; did you mean "model.hidden"?'
case_ wrong_section    $'name: t\nbase:\n  model: {seq_len: 32}\n' 'c.yaml:3:11: unknown key "model.seq_len"; did you mean "task.seq_len"?'
case_ unknown_section  $'name: t\nbase:\n  taks: {seq_len: 32}\n' 'c.yaml:3:3: unknown key "taks"; did you mean "task"?'
case_ unknown_top      $'name: t\ngird:\n  seed: [1]\n' 'c.yaml:2:1: unknown top-level key "gird"; did you mean "grid"?'
case_ section_at_top   $'name: t\nmodel:\n  hidden: 8\n' 'c.yaml:2:1: unknown top-level key "model"; config keys go under base:'
case_ unknown_grid_key $'name: t\ngrid:\n  sed: [1, 2]\n' 'c.yaml:3:3: unknown key "sed"; did you mean "seed"?'
case_ ambiguous_short  $'name: t\ngrid:\n  kind: [mean_sign]\n' 'c.yaml:3:3: key "kind" is ambiguous: it could be task.kind, train.schedule.kind'
# wrong types
case_ quoted_int       $'name: t\nbase:\n  model: {hidden: "64"}\n' 'c.yaml:3:19: model.hidden: expected an integer, got the quoted string "64"'
case_ float_for_int    $'name: t\nbase:\n  train: {epochs: 2.5}\n' "c.yaml:3:19: train.epochs: expected an integer, got 2.5"
case_ text_for_float   $'name: t\nbase:\n  train: {lr: fast}\n' 'c.yaml:3:15: train.lr: expected a number, got "fast"; allowed: a number > 0'
case_ bool_yes         $'name: t\nbase:\n  train: {nesterov: yes}\n' 'c.yaml:3:21: train.nesterov: "yes" is not accepted as a boolean'
case_ bool_on          $'name: t\nbase:\n  train:\n    nesterov: on\n' 'c.yaml:4:15: train.nesterov: "on" is not accepted as a boolean'
case_ bad_enum         $'name: t\nbase:\n  model: {cell: grue}\n' 'c.yaml:3:17: model.cell: unknown value "grue"; allowed: one of rnn, lstm, gru, transformer (did you mean "gru"?)'
case_ list_in_base     $'name: t\nbase:\n  model: {hidden: [8, 16]}\n' "c.yaml:3:19: model.hidden: expected a single value, got a list; to sweep over several values put the key under grid:"
case_ section_scalar   $'name: t\nbase:\n  model: 5\n' "c.yaml:3:10: model is a section: expected a mapping of its keys"
case_ missing_value    $'name: t\nbase:\n  train:\n    epochs:\n' "c.yaml:4:12: train.epochs: expected an integer, got no value"
case_ bad_name         $'name: "a/b"\n' 'c.yaml:1:7: name: "a/b" is not a usable name'
# out of range
case_ hidden_zero      $'name: t\nbase:\n  model: {hidden: 0}\n' "c.yaml:3:19: model.hidden: 0 is out of range; allowed: an integer from 1 to 1024"
case_ seq_len_negative $'name: t\ngrid:\n  task.seq_len: [20, -5]\n' "c.yaml:3:22: task.seq_len: -5 is out of range; allowed: an integer from 0 to 10000"
case_ lr_zero          $'name: t\nbase:\n  train: {lr: 0}\n' "c.yaml:3:15: train.lr: 0 is out of range; allowed: a number > 0"
case_ lr_negative      $'name: t\ngrid:\n  lr: [1e-3, -1e-3]\n' "c.yaml:3:14: train.lr: -1e-3 is out of range; allowed: a number > 0"
case_ dropout_one      $'name: t\nbase:\n  model: {dropout: 1}\n' "c.yaml:3:20: model.dropout: 1 is out of range; allowed: a number in [0, 1)"
case_ dropout_negative $'name: t\nbase:\n  model: {dropout: -0.1}\n' "c.yaml:3:20: model.dropout: -0.1 is out of range"
case_ lr_inf           $'name: t\nbase:\n  train: {lr: .inf}\n' "c.yaml:3:15: train.lr: .inf is not a finite number"
case_ batch_too_big    "$ok_base"$'grid:\n  batch: [8, 64]\n' "c.yaml:7:14: train.batch: 64 is larger than the training set (task.train_size = 32)"
case_ signal_steps     $'name: t\nbase:\n  task: {kind: first_sign, seq_len: 4, signal_steps: 5}\n' "c.yaml:3:54: task.signal_steps: 5 is longer than the sequence (task.seq_len = 4)"
case_ milestones_order $'name: t\nbase:\n  train: {schedule: {kind: multistep, milestones: [30, 20]}}\n' "train.schedule.milestones: 20 follows 30; allowed: strictly ascending"
case_ too_much_memory  $'name: t\nbase:\n  task: {seq_len: 10000, train_size: 200000}\n  model: {cell: lstm, hidden: 1024, layers: 8}\n  train: {batch: 4096}\n' "of memory, more than 3/4 of the"
# grids
case_ empty_axis       $'name: t\ngrid:\n  seed: []\n' "c.yaml:3:9: grid: seed: the list is empty, so the sweep would have no runs"
case_ empty_grid       $'name: t\ngrid: {}\n' "c.yaml:2:7: grid: expected a mapping of keys to lists of values (e.g. seed: [1, 2, 3]), got an empty mapping"
case_ axis_not_list    $'name: t\ngrid:\n  seed: 3\n' "c.yaml:3:9: grid: seed: expected a list of values"
case_ zip_unequal      $'name: t\nzip:\n  - {hidden: [8, 16], lr: [0.1]}\n' "c.yaml:3:23: zip: lists of unequal length: hidden has 2 values (line 3) but lr has 1"
case_ swept_twice      $'name: t\ngrid:\n  seed: [1]\nzip:\n  - {seed: [1, 2], hidden: [4, 8]}\n' "c.yaml:5:5: seed is already swept (grid axis at line 3, column 3)"
case_ repeated_value   $'name: t\ngrid:\n  seed: [1, 2, 1]\n' "c.yaml:3:16: value 3 of this axis repeats value 1 (seed=1)"
case_ all_excluded     $'name: t\ngrid:\n  seed: [1, 2]\nexclude:\n  - {seed: [1, 2]}\n' "c.yaml:5:5: every one of the 2 runs is excluded"
case_ exclude_bad_key  $'name: t\ngrid:\n  seed: [1, 2]\nexclude:\n  - {sede: 1}\n' 'c.yaml:5:6: unknown key "sede"; did you mean "seed"?'
# sampled searches (search:, space:)
srch=$'search: {kind: sobol, samples: 8}\nspace:\n'
case_ space_unknown_dist  "$ok_base$srch"$'  lr: {normal: [0, 1]}\n' 'c.yaml:8:8: space: train.lr: unknown distribution "normal"; allowed: uniform, loguniform, int_uniform, int_loguniform, choice'
case_ space_dist_typo     "$ok_base$srch"$'  lr: {logunifrom: [1e-4, 1e-2]}\n' 'c.yaml:8:8: space: train.lr: unknown distribution "logunifrom"; did you mean "loguniform"?'
case_ space_low_high      "$ok_base$srch"$'  dropout: {uniform: [0.4, 0.1]}\n' "c.yaml:8:22: space: model.dropout: uniform: low 0.4 must be less than high 0.1"
case_ space_log_zero      "$ok_base$srch"$'  clip: {loguniform: [0, 10]}\n' "c.yaml:8:23: space: train.clip: loguniform needs low > 0 (it samples on a log scale), got 0"
case_ space_unknown_key   "$ok_base$srch"$'  hiden: {int_uniform: [4, 8]}\n' 'c.yaml:8:3: unknown key "hiden"; did you mean "model.hidden"?'
case_ space_and_grid      "$ok_base$srch"$'  hidden: {int_uniform: [4, 8]}\ngrid:\n  hidden: [4, 8]\n' "c.yaml:8:3: model.hidden is sampled in space: and also swept (grid axis at c.yaml:10:3)"
case_ space_wrong_type    "$ok_base$srch"$'  hidden: {uniform: [4, 8]}\n' "c.yaml:8:12: space: model.hidden is an integer key; uniform draws floats"
case_ space_bound_range   "$ok_base$srch"$'  dropout: {uniform: [0, 1]}\n' "c.yaml:8:26: model.dropout: 1 is out of range; allowed: a number in [0, 1)"
case_ space_list          "$ok_base$srch"$'  lr: [0.1, 0.2]\n' "c.yaml:8:7: space: train.lr: expected a distribution"
case_ space_no_search     "$ok_base"$'space:\n  lr: {uniform: [0.1, 0.2]}\n' "c.yaml:7:3: space: is sampled by a search of kind random, sobol or tpe"
case_ search_no_samples   "$ok_base"$'search: {kind: random}\nspace:\n  lr: {uniform: [0.1, 0.2]}\n' "c.yaml:6:16: search.kind random needs samples"
case_ search_no_space     "$ok_base"$'search: {kind: sobol, samples: 4}\n' "c.yaml:6:16: search.kind sobol samples the keys of space:, and there is none"
case_ search_unknown_key  "$ok_base"$'search: {kind: sobol, smaples: 4}\n' 'c.yaml:6:23: search: unknown key "smaples"; did you mean "samples"?'
case_ search_bad_kind     "$ok_base"$'search: {kind: bayes, samples: 4}\n' 'c.yaml:6:16: search.kind: unknown value "bayes"; allowed: one of grid, random, sobol, tpe'
case_ search_too_many     "$ok_base"$'search: {kind: random, samples: 7}\nspace:\n  cell: {choice: [rnn, gru]}\n  layers: {int_uniform: [1, 3]}\n' "c.yaml:6:33: search.samples: 7 is more than the 6 distinct points of this space"
case_ search_set_samples  "$ok_base$srch"$'  lr: {uniform: [0.1, 0.2]}\n' "--set search.samples=0: search.samples: 0 is out of range" --set search.samples=0
# tpe searches: each refusal is one line, at the value's position
one_line() { # the last case's stderr is one line
    if [ "$(wc -l < "$work/s/stderr.txt")" -eq 1 ]; then passed=$((passed + 1)); else
        echo "FAIL $1: stderr is not one line:"; sed 's/^/    stderr: /' "$work/s/stderr.txt"; failed=$((failed + 1)); fi
}
tpe_space=$'space:\n  lr: {loguniform: [0.001, 0.1]}\n'
case_ tpe_batch_zero      "$ok_base"$'search: {kind: tpe, samples: 8, startup: 4, batch: 0}\n'"$tpe_space" "c.yaml:6:52: search.batch: 0 is out of range; allowed: an integer from 1 to 100000"
one_line tpe_batch_zero
case_ tpe_startup_one     "$ok_base"$'search: {kind: tpe, samples: 8, startup: 1}\n'"$tpe_space" "c.yaml:6:42: search.startup: 1 is out of range; allowed: an integer from 2 to 100000"
one_line tpe_startup_one
case_ tpe_no_space        "$ok_base"$'search: {kind: tpe, samples: 8}\n' "c.yaml:6:16: search.kind tpe samples the keys of space:, and there is none"
one_line tpe_no_space
case_ tpe_samples_startup "$ok_base"$'search: {kind: tpe, samples: 8, startup: 10}\n'"$tpe_space" "c.yaml:6:30: search.samples: 8 is fewer than search.startup 10"
one_line tpe_samples_startup
case_ tpe_no_samples      "$ok_base"$'search: {kind: tpe}\n'"$tpe_space" "c.yaml:6:16: search.kind tpe needs samples"
case_ batch_not_tpe       "$ok_base"$'search: {kind: sobol, samples: 8, batch: 4}\n'"$tpe_space" "c.yaml:6:42: search.batch applies to kind tpe only, not sobol"
case_ tpe_two_metrics     "$ok_base"$'search: {kind: tpe, samples: 4, startup: 2}\n'"$tpe_space"$'grid:\n  task.val_size: [0, 8]\n' "c.yaml:6:16: search.kind tpe ranks its points by the runs' selection metric, but that is test_acc for run"
# --set
case_ set_unknown      "$ok_base" '--set model.hiden=3: unknown key "model.hiden"; did you mean "model.hidden"?' --set model.hiden=3
case_ set_malformed    "$ok_base" "--set seed=[1,2: YAML syntax error" --set 'seed=[1,2'
case_ set_bad_value    "$ok_base" '--set train.lr=abc: train.lr: expected a number, got "abc"' --set train.lr=abc
case_ set_no_equals    "$ok_base" "--set epochs: expected KEY=VALUE" --set epochs
case_ set_range        "$ok_base" "--set hidden=[4,2000]: model.hidden: 2000 is out of range" --set 'hidden=[4,2000]'
case_ set_bool         "$ok_base" '--set nesterov=no: train.nesterov: "no" is not accepted as a boolean' --set nesterov=no
case_ set_comma_values "$ok_base" "--set lr=0.001,0.01: train.lr: expected a number, got \"0.001,0.01\"; allowed: a number > 0; for several values (a grid axis) write --set 'lr=[0.001, 0.01]'" --set lr=0.001,0.01
case_ set_comma_list   "$ok_base" "a list is written in brackets: --set 'milestones=[20, 40]'" --set milestones=20,40
# files, directories, usage
case_ unreadable_file  - "c.yaml: cannot read the sweep file: No such file or directory"
touch "$work/plainfile"
case_ output_under_file "$ok_base" "cannot create the output directory $work/plainfile/x: $work/plainfile exists and is not a directory" -o "$work/plainfile/x"
mkdir -p "$work/ro" && chmod 555 "$work/ro"
if [ "$(id -u)" != 0 ]; then
    case_ output_read_only "$ok_base" "cannot create the output directory $work/ro/x" -o "$work/ro/x"
fi
case_ jobs_zero        "$ok_base" "-j expects a number of threads from 1 to 4096, got '0'" -j 0
case_ unknown_option   "$ok_base" "sweep: unknown option '--frobnicate'" --frobnicate

# a directory holding something else is refused (it existed before, so it may stay)
mkdir -p "$work/s2/out" && cd "$work/s2" && printf '%s' "$ok_base" > c.yaml && touch out/notes.txt
"$SWEEP" c.yaml -o out > /dev/null 2> err.txt; st=$?
if [ $st -eq 2 ] && grep -qF "is not empty, but holds no sweep-manifest.txt" err.txt && [ "$(ls out)" = notes.txt ]; then
    passed=$((passed + 1)); else echo "FAIL foreign_dir: status $st: $(cat err.txt)"; failed=$((failed + 1)); fi
cd "$work" || exit 1

# tasks and their data
case_ unknown_task     $'name: t\nbase:\n  task: {kind: addding}\n' 'c.yaml:3:16: task.kind: unknown value "addding"; allowed: one of mean_sign, first_sign, adding, copy, file (did you mean "adding"?)'
case_ fixed_input      $'name: t\nbase:\n  task: {kind: adding, input_size: 10}\n' "c.yaml:3:36: task.input_size: 10 differs from the task's 2 input features"
case_ relu_lstm        $'name: t\nbase:\n  model: {cell: lstm, activation: relu}\n' "c.yaml:3:35: model.activation: relu applies to the rnn cell only"
case_ heads_gru        $'name: t\nbase:\n  model: {cell: gru, heads: 2}\n' "c.yaml:3:29: model.heads: 2 applies to the transformer only (model.cell is gru)"
case_ ff_lstm          $'name: t\nbase:\n  model: {cell: lstm, ff: 32}\n' "c.yaml:3:27: model.ff: 32 applies to the transformer only (model.cell is lstm)"
case_ heads_divide     $'name: t\nbase:\n  model: {cell: transformer, hidden: 10, heads: 4}\n' "c.yaml:3:49: model.heads: 4 does not divide model.hidden (10)"
case_ ff_negative      $'name: t\nbase:\n  model: {cell: transformer, ff: -1}\n' "c.yaml:3:34: model.ff: -1 is out of range"
case_ path_not_file    $'name: t\nbase:\n  task: {path: d.h5}\n' "c.yaml:3:16: task.path: only task.kind file reads a data file"
case_ file_no_path     $'name: t\nbase:\n  task: {kind: file}\n' "c.yaml:3:16: task.kind: task.kind file needs task.path"
case_ file_missing     $'name: t\nbase:\n  task: {kind: file, path: nothing.h5}\n' "c.yaml:3:28: task.path: "
if /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; then
    /usr/bin/python3 - "$work/nan.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    x = np.zeros((8, 3, 2), np.float32); x[2, 1, 0] = np.nan
    for part in ("train", "test"):
        f[f"{part}/x"] = x
        f[f"{part}/y"] = np.arange(8, dtype=np.int32) % 2
PY
    case_ file_nan     "$(printf 'name: t\nbase:\n  task: {kind: file, path: %s}\n' "$work/nan.h5")" "nan.h5: /train/x: value [2,1,0] is NaN"
    # A file's validation set is the end of its training set: it must leave training rows.
    /usr/bin/python3 - "$work/ok.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    for part in ("train", "test"):
        f[f"{part}/x"] = np.zeros((8, 3, 2), np.float32)
        f[f"{part}/y"] = np.arange(8, dtype=np.int32) % 2
PY
    case_ file_val_all "$(printf 'name: t\nbase:\n  task: {kind: file, path: %s, val_size: 8}\n  train: {batch: 2}\n' "$work/ok.h5")" \
        "task.val_size: 8 is not less than the 8 training sequences in the file"
    case_ file_val_overlap "$(printf 'name: t\nbase:\n  task: {kind: file, path: %s, val_size: 4, train_size: 6}\n  train: {batch: 2}\n' "$work/ok.h5")" \
        "task.train_size: 6 is more than the 4 training sequences in the file before its validation set"
fi
# the validation set's size
case_ val_negative     $'name: t\nbase:\n  task: {seq_len: 3, train_size: 32, test_size: 8, val_size: -1}\n' \
    "c.yaml:3:62: task.val_size: -1 is out of range; allowed: an integer >= 0"
case_ val_too_large    $'name: t\nbase:\n  task: {seq_len: 3, train_size: 32, test_size: 8, val_size: 2000000000}\n' \
    "c.yaml:3:62: task.val_size: this run would need about"
case_ val_grid_negative $'name: t\nbase:\n  task: {seq_len: 3}\ngrid:\n  task.val_size: [10, -5]\n' "c.yaml:5:23: task.val_size: -5 is out of range"

# early stopping (stop:)
stop_base=$'name: t\nbase:\n  task: {seq_len: 3, train_size: 32, test_size: 8}\n  model: {hidden: 4}\n  train: {epochs: 4, batch: 8, steps_per_epoch: 1}\n'
case_ stop_bad_kind     "$stop_base"$'stop: {kind: asha}\n' 'c.yaml:6:14: stop.kind: unknown value "asha"; allowed: one of none, sha, hyperband, median'
case_ stop_eta_1        "$stop_base"$'stop: {kind: sha, eta: 1}\n' "c.yaml:6:24: stop.eta: 1 is out of range"
case_ stop_min_0        "$stop_base"$'stop: {kind: sha, min_epochs: 0}\n' "c.yaml:6:31: stop.min_epochs: 0 is out of range"
case_ stop_min_epochs   "$stop_base"$'stop: {kind: sha, min_epochs: 4}\n' "c.yaml:6:31: stop.min_epochs: 4 is not below train.epochs 4"
case_ stop_unknown_key  "$stop_base"$'stop: {kind: sha, etta: 2}\n' 'c.yaml:6:19: stop: unknown key "etta"; did you mean "eta"?'
case_ stop_not_recorded "$stop_base"$'stop: {kind: sha, metric: f1}\n' 'c.yaml:6:27: stop.metric: unknown value "f1"'
case_ stop_regression   $'name: t\nbase:\n  task: {kind: adding, seq_len: 3, train_size: 32, test_size: 8}\n  train: {epochs: 4, batch: 8}\nstop: {kind: sha, metric: test_acc}\n' \
    "c.yaml:5:27: stop.metric: test_acc is not recorded by task adding (a regression has no accuracy); use test_loss"
case_ stop_val_no_size  "$stop_base"$'stop: {kind: sha, metric: val_acc}\n' "c.yaml:6:27: stop.metric: val_acc is not recorded without a validation set; set task.val_size > 0"
case_ stop_test_with_val "$stop_base"$'stop: {kind: median, metric: test_acc}\n' "c.yaml:6:30: stop.metric: test_acc would select runs by the test set" --set task.val_size=8
case_ stop_epochs_vary  "$stop_base"$'grid:\n  train.epochs: [4, 8]\nstop: {kind: sha}\n' "c.yaml:8:14: stop: the runs' rungs are epochs of one train.epochs, but it varies"
case_ stop_set_eta      "$stop_base"$'stop: {kind: sha}\n' "--set stop.eta=0: stop.eta: 0 is out of range" --set stop.eta=0
case_ stop_bad_by       "$stop_base"$'stop: {kind: sha, by: seed}\n' 'c.yaml:6:23: stop.by: unknown value "seed"; allowed: one of configuration, run'

# what was meant: an example config by name, a directory for summarize and index
# (exit 2, a suggestion, nothing written)
mkdir -p "$work/s3/runs/t" && cd "$work/s3" && printf '%s' "$ok_base" > t.yaml
: > runs/t/sweep-manifest.txt
before=$(find . | sort)
meant() { # NAME EXPECTED COMMAND...: status 2, EXPECTED on stderr, nothing written
    local name=$1 expected=$2; shift 2
    "$@" > out.txt 2> err.txt; local st=$?
    if [ $st -eq 2 ] && grep -qF -- "$expected" err.txt && [ "$(find . | grep -v -e '^./out.txt$' -e '^./err.txt$' | sort)" = "$before" ]; then
        passed=$((passed + 1)); else echo "FAIL $name: status $st: $(cat err.txt)"; failed=$((failed + 1)); fi
}
meant summarize_near "sweep summarize: runs/tt: no such directory; did you mean runs/t?" "$SWEEP" summarize runs/tt
meant summarize_yaml "t.yaml is a sweep file, its results are in runs/t: sweep summarize runs/t" "$SWEEP" summarize t.yaml
meant summarize_bare "sweep summarize: t: no such directory; did you mean runs/t?" "$SWEEP" summarize t
meant index_near "sweep index: rnus/t is not a directory; did you mean runs/t?" "$SWEEP" index rnus/t
meant example_misspelt "configs/refrence.yaml: no such file, nor an example config of that name; did you mean \`sweep reference\`?" \
    "$SWEEP" configs/refrence.yaml
meant missing_points_to_examples "\`sweep NAME\` runs one from any directory, e.g. \`sweep reference\`" "$SWEEP" ./nothere.yaml
cd "$work" || exit 1

# the test suite's hooks (src/sweep/testhook.h): a misspelt or bad one is an error, not ignored
SWEEP_TEST_HOLD=epochs case_ test_hold_event "$ok_base" \
    "SWEEP_TEST_HOLD=epochs: expects EVENT or EVENT:N with N >= 1, EVENT one of step, epoch, checkpoint, run"
SWEEP_TEST_HOLD=run:0 case_ test_hold_count "$ok_base" "SWEEP_TEST_HOLD=run:0: expects EVENT or EVENT:N with N >= 1"
SWEEP_TEST_CHECKPOINTS=always case_ test_checkpoints "$ok_base" "SWEEP_TEST_CHECKPOINTS=always: expects unthrottled"
SWEEP_TEST_HOLDS=run case_ test_unknown "$ok_base" "SWEEP_TEST_HOLDS: unknown test variable"

echo "sweep errors: $passed passed, $failed failed"
[ $failed -eq 0 ]
