#!/bin/sh
# install-deps.sh - installs (apt, as root) exactly what building and testing the gateway need
# on Debian 12. Idempotent: packages already present are left alone.
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --test   also what the test suite needs
#   packaging/install-deps.sh --packaging   also what packaging/build-packages.sh and
#                                      packaging/ci-check.sh need (lintian, cross compilers,
#                                      qemu-user, debootstrap, systemd-nspawn, shellcheck);
#                                      may follow --test
set -eu

build_pkgs="build-essential cmake pkg-config
  libcoap3-dev libpaho-mqtt-dev libssl-dev libmbedtls-dev libcbor-dev libconfig-dev
  libexpat1-dev libsqlite3-dev libjson-c-dev libcmocka-dev
  mosquitto mosquitto-clients"
# Packaging: .deb checks, cross builds for arm64/armhf (the target libraries come from a sysroot
# that packaging/cross/make-sysroot.sh assembles, not from multiarch), OpenWrt script checks.
packaging_pkgs="dpkg-dev file lintian debootstrap systemd-container shellcheck
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
  gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf qemu-user"
# dpkg-dev, debian-archive-keyring: packaging/mbedtls-profile.sh fetches and unpacks Debian's
# libcoap3 source (apt-get source); openssl: the DTLS tests make their keys and certificates;
# libgnutls28-dev: the benchmark's load generator (DTLS devices, tests/bench).
test_pkgs="clang libclang-rt-14-dev clang-format libcoap3-bin libgnutls28-dev
  python3 python3-paho-mqtt python3-cbor2 python3-pytest
  dpkg-dev debian-archive-keyring openssl"

pkgs=$build_pkgs
for arg in "$@"; do
    case "$arg" in
    --test)
        pkgs="$pkgs $test_pkgs"
        command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
        ;;
    --packaging) pkgs="$pkgs $packaging_pkgs" ;;
    esac
done

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: run as root to install:$missing" >&2
        exit 1
    fi
    echo "install-deps: installing$missing"
    apt-get update -qq
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "install-deps: all packages present"
fi
