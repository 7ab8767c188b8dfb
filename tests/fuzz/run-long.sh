#!/bin/sh
# run-long.sh [SECONDS] [BUILD_DIR] - builds the fuzz targets (clang, ASan+UBSan) and runs each
# for SECONDS (default 600) on a scratch copy of its seed corpus, printing the exec counts.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-600}
build=${2:-build-fuzz}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DLMG_SANITIZE=ON -DLMG_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
status=0
for f in "$build"/tests/fuzz/fuzz_*; do
    name=$(basename "$f")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    printf '%s: ' "$name"
    FUZZ_SECONDS=$seconds sh tests/fuzz/smoke.sh "$PWD/$f" "$PWD/$corpus" |
        grep -E "number_of_executed_units|problem" | tr '\n' ' ' || status=1
    echo
done
exit $status
