#!/bin/sh
# check-scripts.sh - every shell script of the packaging, parsed (sh -n) and linted
# (shellcheck): the build and check scripts, the .deb maintainer scripts, the OpenWrt init
# script and UCI generator, the tests' helpers. Prints "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "check-scripts: shellcheck missing (packaging/install-deps.sh --packaging); skipped"
    exit 77
fi
passed=0
failed=0
for f in packaging/*.sh packaging/cross/*.sh packaging/man/*.sh \
    packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
    packaging/openwrt/*/files/*.init packaging/openwrt/*/files/*.uci2conf \
    tests/packaging/*.sh; do
    [ -f "$f" ] || continue
    if sh -n "$f" && shellcheck -x "$f"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $f"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
