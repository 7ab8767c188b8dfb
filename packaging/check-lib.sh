# shellcheck shell=sh
# check-lib.sh - what the packaging checks share (sourced, POSIX sh): PASS/FAIL lines, the
# counters, and the closing "N passed, N failed" with the exit status.
passed=0
failed=0
pass() {
    passed=$((passed + 1))
    echo "PASS: $*"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
finish() {
    echo "$passed passed, $failed failed"
    if [ "$failed" -eq 0 ]; then exit 0; fi
    exit 1
}
