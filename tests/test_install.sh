#!/bin/bash
# The installed layout, without root: `cmake --install BUILD --prefix TMP/prefix` and
# `DESTDIR=TMP/dest cmake --install BUILD` (the configured prefix under a staging root), then,
# from a directory outside the checkout:
#   - sweep --help and --version run, and `sweep` on the PATH runs a tiny sweep;
#   - sweep report DIR uses the installed analysis package (PREFIX/PYTHONDIR), not the source tree;
#   - sweep-analysis (the package's command line) and `python3 -m analysis` with PYTHONPATH work;
#   - the installed package is the source's (same files);
#   - the example configs are installed (PREFIX/CONFIGDIR, the source's files), and `sweep
#     reference` or `sweep configs/reference.yaml` from elsewhere runs the installed one,
#     saying so; a name that is no example lists them.
# Usage: test_install.sh BUILD_DIR PYTHONDIR SOURCE_DIR [CONFIGDIR]    (both relative to the prefix)
# Exit 77 (skipped) when /usr/bin/python3 lacks h5py, numpy or matplotlib.
set -u
build=${1:?usage: $0 BUILD_DIR PYTHONDIR SOURCE_DIR}
pydir=${2:?}
src=${3:?}
configdir=${4:-share/sweep/configs}
PY=/usr/bin/python3
if ! "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
    echo "SKIP: $PY cannot import h5py, numpy and matplotlib"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sweep-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
export PYTHONDONTWRITEBYTECODE=1
unset SWEEP_BIN SWEEP_PYTHON

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1 \
    && ok "cmake --install --prefix $prefix" || { bad "cmake --install"; cat "$tmp/install.log"; exit 1; }
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR="$tmp/dest" cmake --install "$build" > "$tmp/install2.log" 2>&1 \
    && [ -x "$tmp/dest$configured/bin/sweep" ] \
    && ok "DESTDIR=$tmp/dest cmake --install: $configured/bin/sweep staged" \
    || { bad "DESTDIR install"; cat "$tmp/install2.log"; }

for p in bin/sweep bin/sweep-analysis "$pydir/analysis/__main__.py" "$pydir/analysis/report.py"; do
    [ -e "$prefix/$p" ] && ok "installed $p" || bad "missing $p"
done
for f in "$src"/analysis/*.py; do
    cmp -s "$f" "$prefix/$pydir/analysis/$(basename "$f")" || bad "installed $(basename "$f") differs from the source"
done
n_configs=0
for f in "$src"/configs/*.yaml; do
    cmp -s "$f" "$prefix/$configdir/$(basename "$f")" && n_configs=$((n_configs + 1)) \
        || bad "example config $(basename "$f") not installed in $prefix/$configdir"
done
[ $n_configs -ge 5 ] && ok "the $n_configs example configs are installed in $prefix/$configdir" || bad "example configs"

# A directory outside the checkout, with the installed bin first on the PATH.
mkdir "$tmp/elsewhere" && cd "$tmp/elsewhere" || exit 1
export PATH="$prefix/bin:$PATH"
[ "$(command -v sweep)" = "$prefix/bin/sweep" ] && ok "sweep on the PATH is the installed one" || bad "PATH"
sweep --help > help.txt 2>&1 && grep -q "sweep report DIR" help.txt \
    && ok "sweep --help from another directory (lists report)" || bad "sweep --help"
sweep --version | grep -q "^sweep " && ok "sweep --version" || bad "sweep --version"

# The installed examples, by name or by the README's path, from here (no configs/ here).
sweep reference --dry-run > ex.txt 2> ex.err && grep -q "^sweep reference: 1 run" ex.txt \
    && grep -qF "sweep: reference is not here; using the example $prefix/$configdir/reference.yaml" ex.err \
    && ok "sweep reference runs the installed example, saying which file" || { bad "sweep reference"; cat ex.txt ex.err; }
sweep configs/vanishing.yaml --dry-run > ex.txt 2> ex.err && grep -q "^sweep vanishing: " ex.txt \
    && grep -qF "using the example $prefix/$configdir/vanishing.yaml" ex.err \
    && ok "sweep configs/vanishing.yaml from elsewhere falls back to the installed copy" || { bad "configs/ fallback"; cat ex.err; }
OMP_NUM_THREADS=2 sweep reference -o ref -q --set train.epochs=2 2> /dev/null && [ -f "ref/run.h5" ] \
    && ok "sweep reference (2 epochs) writes ref/run.h5" || bad "sweep reference run"
sweep referense > ex.txt 2> ex.err; st=$?
[ $st = 2 ] && grep -qF "did you mean \`sweep reference\`?" ex.err && grep -qF "the examples are in $prefix/$configdir: adding, copy," ex.err \
    && ok "a misspelt example: status 2, did-you-mean and the list" || { bad "misspelt example ($st)"; cat ex.err; }

# A tiny sweep from a config written here, then its report through the installed package.
cat > tiny.yaml <<'EOF'
name: tiny
description: Installed-layout test.
base:
  task: {seq_len: 5, input_size: 2, train_size: 64, test_size: 32}
  model: {hidden: 4, layers: 1, dropout: 0}
  train: {epochs: 2, steps_per_epoch: 2}
  record: {probe_size: 4}
grid:
  model.cell: [rnn, gru]
  seed: [1, 2]
EOF
OMP_NUM_THREADS=2 sweep tiny.yaml -o runs -q && [ -f runs/sweep.h5 ] && ok "sweep tiny.yaml runs" \
    || { bad "sweep tiny.yaml"; exit 1; }
SWEEP_REPORT_VERBOSE=1 sweep report runs --dpi 40 > report.log 2>&1 && [ -s runs/report.html ] \
    && ok "sweep report writes runs/report.html" || { bad "sweep report"; cat report.log; }
grep -q "analysis package $prefix/$pydir/analysis;" report.log \
    && ok "sweep report used the installed package ($prefix/$pydir)" || { bad "which package"; cat report.log; }
grep -q "table: 2 rows from $prefix/bin/sweep" report.log \
    && ok "its table came from the installed sweep" || { bad "table source"; cat report.log; }
grep -q "Installed-layout test." runs/report.html && ok "the report shows the description" || bad "description"

sweep-analysis --help > sa.txt 2>&1 && grep -q "usage: sweep-analysis" sa.txt \
    && ok "sweep-analysis --help" || { bad "sweep-analysis"; cat sa.txt; }
sweep-analysis vanishing runs --out v.png --dpi 40 > /dev/null 2>&1 && [ -s v.png ] \
    && ok "sweep-analysis vanishing writes a PNG" || bad "sweep-analysis vanishing"
PYTHONPATH="$prefix/$pydir" "$PY" -c "import analysis, sys; print(analysis.__file__)" > where.txt 2>&1 \
    && grep -q "^$prefix/$pydir/analysis/__init__.py" where.txt \
    && ok "python3 imports the installed package" || { bad "python3 -m analysis"; cat where.txt; }
PYTHONPATH="$prefix/$pydir" "$PY" -m analysis report runs --out r2.html -q --dpi 40 && [ -s r2.html ] \
    && ok "python3 -m analysis report (PYTHONPATH=PREFIX/$pydir)" || bad "python3 -m analysis report"

# The staged copy (DESTDIR) finds its package relative to itself too.
staged="$tmp/dest$configured"
SWEEP_REPORT_VERBOSE=1 "$staged/bin/sweep" report runs --out r3.html --dpi 40 > staged.log 2>&1 \
    && grep -q "analysis package $staged/$pydir/analysis;" staged.log \
    && ok "a DESTDIR-staged sweep report finds the package beside it" || { bad "staged report"; cat staged.log; }
exit $fail
