#!/bin/sh
# run-all.sh - the README's test command: installs what the tests need, builds the gateway with
# AddressSanitizer + UndefinedBehaviorSanitizer (clang, with the libFuzzer targets), checks that
# gcc builds it without warnings, and runs the whole suite with ctest: unit tests, the
# third-party vectors, integration tests against real peers, and a short smoke of every fuzz
# target. ctest prints the closing summary line.
#   FUZZ_SECONDS=N  seconds per fuzz target (default 5; tests/fuzz/run-long.sh runs them longer)
set -eu
cd "$(dirname "$0")/.."

packaging/install-deps.sh --test --packaging

jobs=$(nproc 2>/dev/null || echo 2)
build=${BUILD_DIR:-build-test}

# gcc, warnings as errors: the compiler the packages are built with.
cmake -S . -B build-gcc -DCMAKE_C_COMPILER=gcc -DLMG_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null
cmake --build build-gcc -j "$jobs"

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DLMG_WERROR=ON -DLMG_SANITIZE=ON -DLMG_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export FUZZ_SECONDS="${FUZZ_SECONDS:-5}"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
