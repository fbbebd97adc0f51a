#!/bin/sh
# Fails (printing them) when the sanitized test run left any AddressSanitizer, LeakSanitizer,
# UndefinedBehaviorSanitizer or ThreadSanitizer report in DIR (one file per report: TEST.PID).
dir=$1
[ -d "$dir" ] || { echo "no report directory $dir: was sanitizer_reports_clear run?"; exit 1; }
n=0
for f in "$dir"/*; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    echo "==== $(basename "$f")"
    cat "$f"
done
if [ "$n" -gt 0 ]; then
    echo "$n sanitizer report(s) in $dir"
    exit 1
fi
echo "no sanitizer report"
