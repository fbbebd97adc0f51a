#!/bin/bash
# test_hdf5_damaged.sh SWEEP: a run file counts as complete only when it reads through.
# Damage is made with h5py and by hand in a finished sweep: 4 KB overwritten at offset
# 4096, /history/test_acc replaced by a [3,7] array, a flipped byte inside a compressed
# chunk (Fletcher-32), a truncated file, an empty file, a foreign HDF5 file under a run's
# name and another one beside the runs. `sweep summarize` and `sweep index` name each with
# its reason; resuming moves each damaged run file to NAME.h5.damaged (never deleted,
# never overwritten: .damaged.1 when the name is taken) and redoes the run, bit-identical
# to the undamaged sweep. A file written before the checksum (no filters; made here with
# h5repack) still counts as complete and is kept, and so does a run file of a file task
# (whose head and target are not config keys). Absurd sizes are refused with a reason.
set -u
SWEEP=$(realpath "${1:?usage: test_hdf5_damaged.sh SWEEP}")
source "$(dirname "$0")/testlib.sh"
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no h5py/numpy (Debian: apt-get install python3-h5py)"
    exit 77
fi
if ! command -v h5repack > /dev/null; then
    echo "SKIP: no h5repack (Debian: apt-get install hdf5-tools)"
    exit 77
fi

cat > dmg.yaml <<'YAML'
# seven small runs, one per kind of damage and one older-format file
name: dmg
base:
  task: {seq_len: 6, train_size: 64, test_size: 32}
  model: {hidden: 16}
  train: {epochs: 2, batch: 16, steps_per_epoch: 2}
  record: {probe_size: 16}
grid:
  seed: [1, 2, 3, 4, 5, 6, 7]
YAML

"$SWEEP" dmg.yaml -o ref -j 2 -q > /dev/null 2>&1; check "the reference sweep runs" test $? = 0
cp -r ref d

# The damage. seed=7 becomes an older-format file: h5repack -l CONTI stores every array
# contiguously, without chunks, filters or checksums.
$PY - d <<'PYEOF'
import os, sys, h5py, numpy as np
d = sys.argv[1]
def path(seed): return os.path.join(d, f"seed={seed}.h5")
with open(path(1), "r+b") as f:                     # 4 KB of metadata overwritten
    f.seek(4096); f.write(b"\xab" * 4096)
with h5py.File(path(2), "r+") as f:                 # an array of the wrong shape
    del f["history/test_acc"]
    f["history/test_acc"] = np.zeros((3, 7))
with h5py.File(path(3), "r") as f:                  # one flipped bit inside a chunk
    info = f["probe/hidden_final"].id.get_chunk_info(0)
    at = info.byte_offset + info.size // 2
with open(path(3), "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 1]))
size = os.path.getsize(path(4))                     # truncated
with open(path(4), "r+b") as f: f.truncate(size // 2)
open(path(5), "w").close()                          # empty
os.remove(path(6))                                  # foreign, under a run's name
with h5py.File(path(6), "w") as f: f["x"] = np.arange(3)
with h5py.File(os.path.join(d, "notes.h5"), "w") as f: f.attrs["note"] = "not a run"
PYEOF
h5repack -l CONTI d/seed=7.h5 old.h5 && mv old.h5 d/seed=7.h5
check "seed=7 has no checksum any more" $PY -c "
import sys, h5py
f = h5py.File('d/seed=7.h5', 'r')
sys.exit(0 if f['probe/hidden_final'].chunks is None and not f['probe/hidden_final'].fletcher32 else 1)"
mkdir saved && cp d/*.h5 saved/

# summarize: every bad file named with its reason, the good ones (the old one too) summarized
"$SWEEP" summarize d > out.txt 2> err.txt; st=$?
check "summarize exits 0" test $st = 0
check "summarize: overwritten metadata" has err.txt "skipping d/seed=1.h5: "
check "summarize: wrong shape" has err.txt "skipping d/seed=2.h5: /history/test_acc has shape [3,7]; its config implies [2]"
check "summarize: checksum" has err.txt "skipping d/seed=3.h5: /probe/hidden_final unreadable (its chunk at [0,0,0,0] fails its Fletcher-32 checksum)"
check "summarize: truncated" has err.txt "skipping d/seed=4.h5: not a readable HDF5 file (truncated or foreign?) (HDF5: truncated file"
check "summarize: empty" has err.txt "skipping d/seed=5.h5: empty file (0 bytes)"
check "summarize: foreign under a run's name" has err.txt "skipping d/seed=6.h5: not a sweep run file"
check "summarize: foreign beside the runs" has err.txt "skipping d/notes.h5: not a sweep run file"
check "summarize counts the old-format run" has out.txt "1 run (1 done, 0 diverged, 0 failed)"
check "summarize: 7 unreadable files" has out.txt "7 unreadable files skipped"

# index: the same names, the runs' rows unreadable, exit 1 (the index is written)
"$SWEEP" index d > out.txt 2> err.txt; st=$?
check "index exits 1 when files do not verify" test $st = 1
check "index: overwritten metadata" has err.txt "sweep index: d/seed=1.h5: "
check "index: wrong shape" has err.txt "sweep index: d/seed=2.h5: /history/test_acc has shape [3,7]; its config implies [2]; listed as unreadable"
check "index: checksum" has err.txt "sweep index: d/seed=3.h5: /probe/hidden_final unreadable (its chunk at [0,0,0,0] fails its Fletcher-32 checksum); listed as unreadable"
check "index: truncated" has err.txt "sweep index: d/seed=4.h5: not a readable HDF5 file (truncated or foreign?)"
check "index: empty" has err.txt "sweep index: d/seed=5.h5: empty file (0 bytes); listed as unreadable"
check "index: foreign under a run's name" has err.txt "sweep index: d/seed=6.h5: not a sweep run file"
check "index: foreign beside the runs" has err.txt "sweep index: d/notes.h5: not a sweep run file (root attribute format is not 'sweep-run'); not indexed"
check "index: the account" has out.txt "7 runs in the manifest's order, 1 with a complete file; 7 files that do not verify (named above)"
check "index rows: six unreadable, the old-format run done" $PY -c "
import sys, h5py
s = [x.decode() for x in h5py.File('d/sweep.h5', 'r')['table/status'][()]]
sys.exit(0 if s == ['unreadable'] * 6 + ['done'] else 1)"
for f in saved/seed=*.h5 saved/notes.h5; do check "$(basename "$f") unchanged by summarize and index" cmp -s "$f" "d/$(basename "$f")"; done

# resume: each damaged run file moved aside as it was and the run redone
"$SWEEP" dmg.yaml -o d -j 2 > out.txt 2> err.txt; st=$?
check "resume exits 0" test $st = 0
for s in 1 2 3 4 5 6; do
    check "seed=$s moved aside, named" has err.txt "moved to d/seed=$s.h5.damaged, the run will be redone"
    check "seed=$s.h5.damaged is the damaged file" cmp -s "saved/seed=$s.h5" "d/seed=$s.h5.damaged"
done
check "the old-format run was kept" cmp -s saved/seed=7.h5 d/seed=7.h5
check "notes.h5 left alone" cmp -s saved/notes.h5 d/notes.h5
check "resume redid six runs" has err.txt "7 runs: 7 done"
mkdir runs-ref runs-d && cp ref/seed=[1-6].h5 runs-ref/ && cp d/seed=[1-6].h5 runs-d/
check "the redone runs are identical to the undamaged sweep" same runs-ref runs-d

# damaged again: the .damaged name is taken, so .damaged.1; nothing is overwritten
: > d/seed=5.h5
"$SWEEP" dmg.yaml -o d -j 2 -q > out.txt 2> err.txt; st=$?
check "second resume exits 0" test $st = 0
check "a second damaged copy goes to .damaged.1" has err.txt "moved to d/seed=5.h5.damaged.1, the run will be redone"
check "the first .damaged file is kept" cmp -s saved/seed=5.h5 d/seed=5.h5.damaged
check "the second is the new damage (empty)" test -f d/seed=5.h5.damaged.1 -a ! -s d/seed=5.h5.damaged.1
check "summarize ignores .damaged files" bash -c "'$SWEEP' summarize d 2>&1 | grep -q 'skipping d/notes.h5' && ! '$SWEEP' summarize d 2>&1 | grep -q damaged"

# absurd sizes are refused before anything is allocated or narrowed: a config value beyond
# its key's range, an array of 2^31 x 2^31 x 2^31 elements (chunked, nothing stored), an
# index whose run-id column claims 2^30 entries
mkdir huge && cp ref/seed=1.h5 ref/seed=2.h5 ref/sweep.h5 ref/sweep-manifest.txt huge/
$PY - huge <<'PYEOF'
import os, sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(os.path.join(d, "seed=1.h5"), "r+") as f:
    f["config"].attrs["model.hidden"] = np.int64(1 << 40)
with h5py.File(os.path.join(d, "seed=2.h5"), "r+") as f:
    g = f["gradients"]
    for name in ("dloss_dh_norm",):
        attrs = dict(g[name].attrs)
        del g[name]
        n = 1 << 31
        g.create_dataset(name, shape=(n, n, n), dtype="f4", chunks=(1, 1, 64))
with h5py.File(os.path.join(d, "sweep.h5"), "r+") as f:
    del f["table/run_id"]
    f["table"].create_dataset("run_id", shape=(1 << 30,), dtype=h5py.string_dtype(), chunks=(1024,))
PYEOF
"$SWEEP" summarize huge > out.txt 2> err.txt; st=$?
check "summarize of absurd sizes exits 1, nothing readable ($st)" test $st = 1
check "a config value out of its range is named" has err.txt "skipping huge/seed=1.h5: /config/model.hidden not of its key's type and range"
check "an array of absurd shape is named" has err.txt "skipping huge/seed=2.h5: /gradients/dloss_dh_norm has shape [2147483648,2147483648,2147483648]; its config implies"

# runs of file tasks: their head and target come from the data file, not from /config;
# their run files still verify (a class at the last step, at every step, K values)
$PY - <<'PYEOF'
import h5py, numpy as np
r = np.random.default_rng(0)
for name, y in [("cls", lambda n: r.integers(0, 4, n)), ("steps", lambda n: r.integers(0, 3, (n, 5))),
                ("reg", lambda n: r.standard_normal((n, 3)).astype("f4"))]:
    with h5py.File(f"{name}.h5", "w") as f:
        for part, n in (("train", 32), ("test", 16)):
            f[f"{part}/x"] = r.standard_normal((n, 5, 3)).astype("f4")
            f[f"{part}/y"] = y(n)
PYEOF
for k in cls steps reg; do
    printf 'name: f%s\nbase:\n  task: {kind: file, path: %s}\n  model: {hidden: 8}\n  train: {epochs: 2, batch: 16, steps_per_epoch: 1}\n  record: {probe_size: 4}\n' \
        "$k" "$work/$k.h5" > "$k.yaml"
    "$SWEEP" "$k.yaml" -o "f$k" -q > /dev/null 2>&1; check "file task $k: the sweep runs" test $? = 0
    "$SWEEP" index "f$k" > out.txt 2> err.txt
    check "file task $k: its run file verifies" has out.txt "1 run in the manifest's order, 1 with a complete file"
    "$SWEEP" "$k.yaml" -o "f$k" > out.txt 2> err.txt
    check "file task $k: resume keeps it" has err.txt "1 already complete in f$k, 0 to run"
done

echo "hdf5 damaged: $passed passed, $failed failed"
[ $failed -eq 0 ]
