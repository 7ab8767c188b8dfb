#!/bin/sh
# check-cross.sh - the cross-build check for one architecture: builds the .deb for ARCH with
# Debian's cross gcc against the target sysroot (packaging/build-packages.sh ARCH), whose unit
# tests run under qemu-user; then lintian on the .deb, and the packaged programs run under
# qemu-user with the sysroot's libraries standing in for the target: --version, --check-config
# against the packaged conffile, a codec round trip. Debian 12, as root. Prints
# "N passed, N failed".
#   packaging/check-cross.sh arm64|armhf
set -eu
cd "$(dirname "$0")/.."

arch=${1:?usage: check-cross.sh arm64|armhf}
case "$arch" in
arm64) qemu="qemu-aarch64" ;;
armhf) qemu="qemu-arm" ;;
*)
    echo "check-cross: unknown architecture '$arch'" >&2
    exit 2
    ;;
esac
if [ "$(id -u)" -ne 0 ] || [ ! -f /etc/debian_version ]; then
    echo "check-cross: needs Debian and root (apt for the sysroot); skipped"
    exit 77
fi
sysroot=${LMG_SYSROOTS:-/var/cache/lwm2m-mqtt-gateway/sysroots}/$arch
pkg=lwm2m-mqtt-gateway
. packaging/check-lib.sh
work=$(mktemp -d /tmp/check-cross.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Build (and the unit tests under qemu, inside build-packages.sh).
t0=$(date +%s)
if LMG_PKG_OUT="$work/out" packaging/build-packages.sh "$arch" >"$work/build.log" 2>&1; then
    summary=$(grep -E 'tests passed' "$work/build.log" | tail -1 | sed 's/^.*(\(.*\)).*/\1/')
    pass "$arch cross build in $(($(date +%s) - t0)) s; unit tests under $qemu: $summary"
else
    tail -40 "$work/build.log"
    fail "$arch cross build or its unit tests under $qemu"
    finish
fi
deb=$(find "$work/out" -name "${pkg}_*_$arch.deb" | head -1)
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
*libc6*libcoap3*libpaho-mqtt1.3*) pass "$arch .deb Depends from the target's symbols files: $depends" ;;
*) fail "$arch .deb Depends incomplete: '$depends'" ;;
esac

if lintian --fail-on error,warning --pedantic -I "$deb" >"$work/lintian.log" 2>&1; then
    pass "lintian --pedantic on the $arch .deb: no errors or warnings"
else
    cat "$work/lintian.log"
    fail "lintian on the $arch .deb"
fi

# The packaged programs, as they would run on the target.
x="$work/x"
dpkg-deb -x "$deb" "$x"
run() { "$qemu" -L "$sysroot" "$@"; }
out=$(run "$x/usr/sbin/$pkg" --version 2>&1) || true
if [ "$out" = "$pkg $version" ]; then
    pass "$arch: packaged $pkg --version under $qemu -> $out"
else
    fail "$arch: packaged $pkg --version printed '$out'"
fi
if out=$(run "$x/usr/sbin/$pkg" --check-config -c "$x/etc/$pkg/$pkg.conf" 2>&1); then
    pass "$arch: packaged $pkg --check-config against the packaged conffile -> valid"
else
    echo "$out"
    fail "$arch: packaged $pkg --check-config"
fi
nodes='[{"path":"/3/0/0","type":"string","value":"Open"}]'
if out=$(echo "$nodes" | run "$x/usr/bin/lwm2m-codec" encode --format tlv --path /3/0 --hex |
    run "$x/usr/bin/lwm2m-codec" decode --format tlv --path /3/0 --hex 2>&1) &&
    [ "$out" = "$nodes" ]; then
    pass "$arch: packaged lwm2m-codec TLV encode/decode round trip"
else
    fail "$arch: lwm2m-codec round trip printed '$out'"
fi
finish
