#!/bin/sh
# ci-check.sh - every packaging check in one run, within a time budget, for CI: the shell
# scripts (sh -n, shellcheck), the OpenWrt UCI generator, the amd64 .deb (lintian, hardening,
# install into a scratch Debian root, --version, --check-config, upgrade, purge, the unit's
# exposure), and the arm64 and armhf cross builds with their unit tests under qemu-user.
# Debian 12, as root. Prints the checks' "N passed, N failed", totalled.
#   packaging/ci-check.sh
#   LMG_CI_BUDGET=SECONDS   for all of it (default 900); a step that would overrun is stopped
#                           and counts as failed
#   LMG_CI_DAEMON=PATH      the daemon the UCI generator test runs (default: a build of it in
#                           build-pkg/amd64, made by the .deb check)
set -eu
cd "$(dirname "$0")/.."

budget=${LMG_CI_BUDGET:-900}
start=$(date +%s)
passed=0
failed=0
log=$(mktemp -d /tmp/ci-check.XXXXXX)
trap 'rm -rf "$log"' EXIT

# step NAME CMD...: runs CMD with what is left of the budget, adds up its counts.
step() {
    name=$1
    shift
    left=$((budget - ($(date +%s) - start)))
    if [ "$left" -le 0 ]; then
        echo "== $name: not run, the budget of $budget s is spent"
        failed=$((failed + 1))
        return
    fi
    echo "== $name"
    t0=$(date +%s)
    rc=0
    timeout "$left" "$@" >"$log/$name.log" 2>&1 || rc=$?
    sed 's/^/   /' "$log/$name.log" | grep -vE '^   [0-9]+ passed, [0-9]+ failed' || true
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/$name.log" | tail -1)
    p=$(echo "$counts" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$counts" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    case "$rc" in
    0) ;;
    77)
        echo "   (skipped)"
        return
        ;;
    124)
        echo "   stopped: over the budget"
        f=$((${f:-0} + 1))
        ;;
    *) [ "${f:-0}" -gt 0 ] || f=1 ;;
    esac
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    echo "   $name: ${p:-0} passed, ${f:-0} failed in $(($(date +%s) - t0)) s"
}

if [ "$(id -u)" -eq 0 ]; then
    packaging/install-deps.sh --packaging
fi
step scripts sh packaging/check-scripts.sh
step deb sh packaging/check-deb.sh
daemon=${LMG_CI_DAEMON:-build-pkg/amd64/gateway/lwm2m-mqtt-gateway}
if [ -x "$daemon" ]; then
    step openwrt-uci sh tests/packaging/test_openwrt_uci.sh "$daemon"
else
    echo "== openwrt-uci: no daemon at $daemon"
    failed=$((failed + 1))
fi
step cross-arm64 sh packaging/check-cross.sh arm64
step cross-armhf sh packaging/check-cross.sh armhf

echo "packaging checks in $(($(date +%s) - start)) s (budget $budget s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
