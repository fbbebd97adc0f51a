#!/bin/bash
# test_config_examples.sh SWEEP CONFIG_DIR: every example sweep file is valid: --dry-run
# exits 0 without warnings (except those the file accepts on a line "# expect-warning: TEXT",
# each of which must then appear) and lists at least one run; and every example is commented.
set -u
SWEEP=$(realpath "${1:?usage: test_config_examples.sh SWEEP CONFIG_DIR}")
DIR=${2:?config dir}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failed=0 n=0
for f in "$DIR"/*.yaml; do
    n=$((n + 1))
    (cd "$work" && "$SWEEP" "$f" --dry-run > out.txt 2> err.txt); st=$?
    if [ $st -ne 0 ]; then echo "FAIL $f: exit $st"; cat "$work/err.txt"; failed=$((failed + 1)); continue; fi
    while IFS= read -r expected; do
        grep -qF -- "$expected" "$work/err.txt" || { echo "FAIL $f: expected warning not given: $expected"; failed=$((failed + 1)); }
        grep -vF -- "$expected" "$work/err.txt" > "$work/rest.txt"; mv "$work/rest.txt" "$work/err.txt"
    done < <(sed -n 's/^# expect-warning: //p' "$f")
    if [ -s "$work/err.txt" ]; then echo "FAIL $f: warnings:"; cat "$work/err.txt"; failed=$((failed + 1)); fi
    grep -q '^total: [0-9]* run' "$work/out.txt" || { echo "FAIL $f: no totals"; failed=$((failed + 1)); }
    [ "$(grep -c '^#' "$f")" -ge 3 ] || { echo "FAIL $f: fewer than 3 comment lines for newcomers"; failed=$((failed + 1)); }
    [ -e "$work/runs" ] && { echo "FAIL $f: --dry-run wrote $work/runs"; failed=$((failed + 1)); rm -rf "$work/runs"; }
    echo "ok $(basename "$f"): $(grep '^total' "$work/out.txt")"
done
[ $n -ge 3 ] || { echo "FAIL: only $n example configs"; failed=$((failed + 1)); }
echo "config examples: $n files, $failed failed"
[ $failed -eq 0 ]
