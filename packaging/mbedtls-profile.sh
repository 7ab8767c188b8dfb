#!/bin/sh
# mbedtls-profile.sh - the mbedTLS build profile, built and tested. libcoap comes from Debian's
# libcoap3 source package (apt-get source with a private apt state under the build directory:
# nothing system-wide changes, root is not needed), configured --with-mbedtls like
# packaging/openwrt/libcoap-mbedtls and installed into BUILD_DIR/libcoap-prefix; the gateway is
# built against it in BUILD_DIR (LMG_COAP_VARIANT=libcoap-3-mbedtls); tests/e2e/test_dtls.py
# runs against that gateway: PSK and X.509 must pass, and an RPK configuration must be refused
# at startup with a message naming mbed TLS (LMG_GATEWAY_TLS=mbedtls). Any failure, and any
# skipped test, exits non-zero. Idempotent: the source, libcoap and the build are reused.
#   packaging/mbedtls-profile.sh [BUILD_DIR]   default: build-mbedtls in the source tree
#   LMG_SANITIZE=OFF                           gateway without ASan/UBSan (default ON)
# Needs packaging/install-deps.sh --test (dpkg-dev, libmbedtls-dev, libcoap3-bin, pytest) and
# http://deb.debian.org the first time.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-mbedtls}
mkdir -p "$build"
build=$(cd "$build" && pwd)
sanitize=${LMG_SANITIZE:-ON}
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)

die() {
    echo "mbedtls-profile: $*" >&2
    exit 1
}
phase() { echo "mbedtls-profile: [$(($(date +%s) - t0)) s] $*"; }

for tool in apt-get dpkg-source patch make cc cmake pkg-config openssl coap-client-gnutls \
    coap-client-notls mosquitto /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool missing (packaging/install-deps.sh --test)"
done
[ -f /usr/include/mbedtls/version.h ] || die "libmbedtls-dev missing (packaging/install-deps.sh)"

# One run at a time per build directory.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$build/.lock"
    flock 9
fi

# ---- Debian's libcoap3 source, with one fix ---------------------------------------------------
# libcoap 4.3.1's mbedTLS backend returns early from its certificate verify callback when
# mbedTLS found nothing wrong, so validate_cn_call_back never sees a valid certificate and the
# gateway cannot bind an X.509 client to its endpoint (every Register is 4.03). Later libcoap
# releases call it for valid certificates too; so does this patch. OpenWrt's libcoap-mbedtls
# (same 4.3.1) carries the same patch file.
cn_callback_patch() {
    cat "$root/packaging/openwrt/libcoap-mbedtls/patches/001-mbedtls-cn-callback.patch"
}

src=$build/src
prefix=$build/libcoap-prefix
if ! [ -f "$src/.complete" ]; then
    phase "fetching Debian's libcoap3 source"
    apt=$build/apt
    rm -rf "$apt" "$src" "$src.new" "$build/libcoap" "$prefix"
    mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial" "$src.new"
    cat >"$apt/sources/debian-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources" \
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    # as root, apt would download as _apt, which cannot write here
    [ "$(id -u)" -ne 0 ] || set -- "$@" -o APT::Sandbox::User=root
    apt-get "$@" -qq update || die "apt-get update (deb-src) failed"
    (cd "$src.new" && apt-get "$@" -q source libcoap3) || die "apt-get source libcoap3 failed"
    rm -rf "$apt" # 20 MB of index files; the source is what is kept
    dir=$(find "$src.new" -mindepth 1 -maxdepth 1 -type d -name 'libcoap3-*')
    [ -n "$dir" ] || die "no libcoap3 source tree in $src.new"
    [ -x "$dir/configure" ] || die "$dir has no configure script"
    cn_callback_patch | patch -d "$dir" -p1 --forward --no-backup-if-mismatch ||
        die "the CN callback patch does not apply to $(basename "$dir")"
    touch "$src.new/.complete"
    mv "$src.new" "$src"
fi
dir=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'libcoap3-*')
phase "source: $(basename "$src"/*.dsc)"

# ---- libcoap with mbedTLS, into BUILD_DIR/libcoap-prefix --------------------------------------
pc=$prefix/lib/pkgconfig/libcoap-3-mbedtls.pc
if ! [ -f "$pc" ]; then
    phase "building libcoap --with-mbedtls"
    mkdir -p "$build/libcoap"
    (
        cd "$build/libcoap"
        [ -f Makefile ] || "$dir/configure" -q --prefix="$prefix" --libdir="$prefix/lib" \
            --enable-shared --disable-static --enable-dtls --with-mbedtls \
            --disable-add-default-names --disable-as-dtls-default --disable-documentation \
            --disable-doxygen --disable-manpages --disable-license-install --disable-examples \
            --disable-examples-source --disable-gcov --disable-tests
        make -s -j"$jobs" >make.log 2>&1 || {
            tail -40 make.log
            exit 1
        }
        make -s install >>make.log 2>&1
    ) || die "libcoap build failed (see $build/libcoap)"
    rm -f "$prefix"/lib/*.la
    [ -f "$pc" ] || die "libcoap installed no $pc"
fi

# ---- the gateway against it -------------------------------------------------------------------
phase "building the gateway (LMG_COAP_VARIANT=libcoap-3-mbedtls, LMG_SANITIZE=$sanitize)"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
cmake -S "$root" -B "$build" -DLMG_COAP_VARIANT=libcoap-3-mbedtls -DLMG_TESTS=OFF \
    -DLMG_FUZZ=OFF -DLMG_SANITIZE="$sanitize" >"$build/cmake.log" 2>&1 || {
    cat "$build/cmake.log"
    die "cmake configure failed"
}
cmake --build "$build" -j "$jobs" --target lwm2m-mqtt-gateway >"$build/build.log" 2>&1 || {
    tail -60 "$build/build.log"
    die "gateway build failed"
}
gw=$build/gateway/lwm2m-mqtt-gateway
libs=$(ldd "$gw")
echo "$libs" | grep -q "libcoap-3-mbedtls.so.3 => $prefix/lib/" ||
    die "the gateway does not load $prefix/lib/libcoap-3-mbedtls.so.3: $libs"
if echo "$libs" | grep -q "libcoap-3-gnutls\|libcoap-3-openssl\|libcoap-3-notls"; then
    die "the gateway also links another libcoap: $libs"
fi

# ---- the DTLS end-to-end tests ----------------------------------------------------------------
phase "running tests/e2e/test_dtls.py (PSK, X.509, RPK refused, handshake flood)"
log=$build/test_dtls.log
rc=0
(cd "$root/tests/e2e" && LMG_BUILD_DIR=$build LMG_GATEWAY_TLS=mbedtls \
    LMG_COAP_CLIENT=coap-client-gnutls /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider \
    test_dtls.py) >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -eq 0 ] || die "test_dtls.py failed (exit $rc)"
summary=$(tail -1 "$log")
case "$summary" in
*skipped* | *deselected* | *"no tests ran"*) die "test_dtls.py did not run every test: $summary" ;;
*passed*) ;;
*) die "test_dtls.py: unexpected summary: $summary" ;;
esac
phase "mbedTLS profile OK: $summary"
