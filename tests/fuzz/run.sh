#!/bin/sh
# tests/fuzz/run.sh: builds the libFuzzer targets (clang, ASan + UBSan, coverage of the whole
# library) in build-fuzz/ and fuzzes them, niced, each starting from its committed corpus
# tests/fuzz/<target>/ (read only: new inputs go to build-fuzz/fuzz-corpus/<target>/, crashes
# and timeouts to build-fuzz/fuzz-artifacts/).
#
#   sh tests/fuzz/run.sh [SECONDS [TARGET...]]   fuzz each target SECONDS (default 600), in parallel
#   sh tests/fuzz/run.sh merge [TARGET...]       add to tests/fuzz/<target>/ a small set of the
#                                                inputs of build-fuzz/fuzz-corpus/ that reach
#                                                code the committed corpus does not
#   sh tests/fuzz/run.sh min INPUT TARGET        minimise a crashing input (build-fuzz/fuzz-artifacts/)
#
# Targets: sweepspec (the sweep-file parser, expansion and validation), run_file (the run-file
# reader and the summarizer), index (the index reader). Needs clang (Debian package `clang`).
# A fixed crash's minimised input goes into tests/fuzz/<target>/ as a regression entry: the
# CTest fuzz_<target> (label fuzz) replays that directory in every build, without clang.
set -eu
cd "$(dirname "$0")/../.."
build=build-fuzz
all="sweepspec run_file index"

configure() {
    if [ ! -f "$build/CMakeCache.txt" ]; then
        CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWEEP_SANITIZE=ON -DSWEEP_FUZZ=ON \
            -DSWEEP_WITH_MPI=OFF >/dev/null
    fi
    for t in "$@"; do set -- "$@" "fuzz_$t"; shift; done
    nice -n 10 cmake --build "$build" -j2 --target "$@"
}

case "${1:-}" in
merge)
    shift
    targets=${*:-$all}
    configure $targets
    for t in $targets; do
        "$build/tests/fuzz_$t" -set_cover_merge=1 "tests/fuzz/$t" "$build/fuzz-corpus/$t"
    done
    ;;
min)
    [ $# -eq 3 ] || { echo "usage: $0 min INPUT TARGET" >&2; exit 2; }
    configure "$3"
    "$build/tests/fuzz_$3" -minimize_crash=1 -max_total_time=120 -exact_artifact_path="$2.min" "$2" || true
    echo "minimised: $2.min"
    ;;
*)
    seconds=${1:-600}
    [ $# -gt 0 ] && shift
    targets=${*:-$all}
    configure $targets
    mkdir -p "$build/fuzz-artifacts"
    # The targets' scratch directories: a fuzzer stopped by a crash, a timeout or a signal
    # leaves its own behind, so they are kept here, not in /dev/shm, and emptied at each start.
    rm -rf "$build/fuzz-tmp" && mkdir -p "$build/fuzz-tmp"
    for t in $targets; do
        mkdir -p "$build/fuzz-corpus/$t"
        # Recipes are short and slow to run: full length from the start, not grown slowly.
        extra=
        [ "$t" = sweepspec ] || extra="-len_control=0 -max_len=1024"
        # halt_on_error and no recovery: the first report is a crash libFuzzer saves.
        TMPDIR="$PWD/$build/fuzz-tmp" ASAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        nice -n 19 "$build/tests/fuzz_$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
            -print_final_stats=1 $extra -artifact_prefix="$build/fuzz-artifacts/$t-" \
            "$build/fuzz-corpus/$t" "tests/fuzz/$t" >"$build/fuzz-$t.log" 2>&1 &
    done
    echo "fuzzing $targets for $seconds s each; logs: $build/fuzz-TARGET.log"
    wait
    for t in $targets; do
        echo "== $t: $(grep -E '^stat::number_of_executed_units' "$build/fuzz-$t.log" || echo 'no stats (crashed?)')"
        grep -E 'ERROR|SUMMARY' "$build/fuzz-$t.log" || true
    done
    ls "$build/fuzz-artifacts"
    ;;
esac
