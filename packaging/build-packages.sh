#!/bin/sh
# build-packages.sh - the one command that builds every package: the .debs for amd64 (native),
# arm64 and armhf (cross, Debian's cross gcc against a sysroot of the target's .debs, unit
# tests run under qemu-user), into out/packages/. Debian 12, as root (it installs what it needs
# with packaging/install-deps.sh --packaging).
#   packaging/build-packages.sh                  all three
#   packaging/build-packages.sh amd64 arm64      some
#   LMG_PKG_OUT=DIR          where the .debs go (default out/packages)
#   LMG_PKG_BUILD=DIR        build trees, one per architecture (default build-pkg)
#   LMG_SYSROOTS=DIR         target sysroots, kept between runs (default
#                            /var/cache/lwm2m-mqtt-gateway/sysroots)
#   LMG_PKG_TESTS=0          do not build and run the cross unit tests
#   LMG_PKG_SKIP_DEPS=1      do not run install-deps.sh (the caller did)
# Compiler flags are Debian's (dpkg-buildflags, hardening=+all for the target architecture).
# The OpenWrt package is built by the OpenWrt SDK, not here: see packaging/openwrt/.
set -eu
cd "$(dirname "$0")/.."
root=$PWD

out=${LMG_PKG_OUT:-$root/out/packages}
build_base=${LMG_PKG_BUILD:-$root/build-pkg}
sysroots=${LMG_SYSROOTS:-/var/cache/lwm2m-mqtt-gateway/sysroots}
tests=${LMG_PKG_TESTS:-1}
jobs=$(nproc 2>/dev/null || echo 2)
arches=${*:-amd64 arm64 armhf}

if [ "${LMG_PKG_SKIP_DEPS:-0}" != 1 ]; then
    packaging/install-deps.sh --packaging
fi
mkdir -p "$out" "$build_base"

# now: seconds since the epoch, for the timings printed at the end.
now() { date +%s; }

build_one() {
    arch=$1
    build="$build_base/$arch"
    t0=$(now)
    set -- -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr -DLMG_PACKAGE_DEB=ON
    case "$arch" in
    amd64)
        host_arch=$(dpkg --print-architecture)
        if [ "$host_arch" != amd64 ]; then
            echo "build-packages: amd64 is built natively; this host is $host_arch" >&2
            return 1
        fi
        # The main CI builds and runs the tests natively; the package needs only the programs.
        set -- "$@" -DLMG_TESTS=OFF
        ;;
    arm64 | armhf)
        if [ "$arch" = arm64 ]; then toolchain=aarch64; else toolchain=armhf; fi
        sysroot="$sysroots/$arch"
        packaging/cross/make-sysroot.sh "$arch" "$sysroot"
        set -- "$@" -DCMAKE_TOOLCHAIN_FILE="$root/packaging/cmake/toolchain-$toolchain.cmake" \
            -DLMG_SYSROOT="$sysroot"
        if [ "$tests" = 1 ]; then set -- "$@" -DLMG_TESTS=ON; else set -- "$@" -DLMG_TESTS=OFF; fi
        ;;
    *)
        echo "build-packages: unknown architecture '$arch' (amd64, arm64, armhf)" >&2
        return 2
        ;;
    esac
    t_sysroot=$(now)

    # Debian's flags for the target: -O2 -g, -fstack-protector-strong, _FORTIFY_SOURCE=2,
    # format-security, relro, bindnow (PIE is the compiler's default). Where the tests are
    # built too, without -ffile-prefix-map: tests find their data through __FILE__.
    maint="hardening=+all"
    case " $* " in *" -DLMG_TESTS=ON "*) maint="$maint reproducible=-fixfilepath" ;; esac
    flags() { DEB_HOST_ARCH=$arch DEB_BUILD_MAINT_OPTIONS=$maint dpkg-buildflags --get "$1" 2>/dev/null; }
    CFLAGS="$(flags CFLAGS) $(flags CPPFLAGS)"
    LDFLAGS=$(flags LDFLAGS)
    export CFLAGS LDFLAGS
    rm -rf "$build"
    cmake -S . -B "$build" "$@" >"$build.configure.log" 2>&1 || {
        cat "$build.configure.log" >&2
        return 1
    }
    cmake --build "$build" -j "$jobs" >"$build.build.log" 2>&1 || {
        tail -40 "$build.build.log" >&2
        return 1
    }
    unset CFLAGS LDFLAGS
    t_build=$(now)

    tested="not run"
    if [ "$arch" != amd64 ] && [ "$tests" = 1 ]; then
        # The unit tests, each an executable of the target architecture, under qemu-user.
        if ctest --test-dir "$build" -R '^unit\.' -j "$jobs" --output-on-failure \
            >"$build.ctest.log" 2>&1; then
            tested=$(grep -E 'tests passed' "$build.ctest.log" | tail -1)
        else
            tail -40 "$build.ctest.log" >&2
            echo "build-packages: $arch unit tests failed under qemu (log: $build.ctest.log)" >&2
            return 1
        fi
    fi
    t_test=$(now)

    (cd "$build" && cpack -G DEB -B "$build/cpack" >"$build.cpack.log" 2>&1) || {
        cat "$build.cpack.log" >&2
        return 1
    }
    deb=$(find "$build/cpack" -maxdepth 1 -name "lwm2m-mqtt-gateway_*_$arch.deb" | head -1)
    if [ -z "$deb" ]; then
        echo "build-packages: no $arch .deb in $build/cpack" >&2
        return 1
    fi
    cp "$deb" "$out/"
    t_pack=$(now)
    echo "build-packages: $arch: $out/$(basename "$deb")"
    echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
    echo "  sysroot $((t_sysroot - t0)) s, build $((t_build - t_sysroot)) s," \
        "tests $((t_test - t_build)) s ($tested), package $((t_pack - t_test)) s"
}

status=0
for arch in $arches; do
    build_one "$arch" || {
        echo "build-packages: $arch FAILED" >&2
        status=1
    }
done
exit $status
