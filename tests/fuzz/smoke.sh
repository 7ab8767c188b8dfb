#!/bin/sh
# smoke.sh FUZZER SEED_DIR - runs a libFuzzer target for $FUZZ_SECONDS (default 5) on a scratch
# copy of its seed corpus, so the source tree is never written. Fails on any finding.
set -eu
fuzzer=$1
seeds=$2
seconds=${FUZZ_SECONDS:-5}
[ -d "$seeds" ] || { echo "no seed corpus at $seeds"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp -r "$seeds/." "$work/corpus/"
cd "$work"
rc=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$work/log" || true
if [ "$rc" -ne 0 ]; then
    tail -n 40 "$work/log"
    echo "fuzzer exited with status $rc"
    exit 1
fi
