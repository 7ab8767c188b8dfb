#!/bin/sh
# make-sysroot.sh - assembles a Debian 12 sysroot for cross-building the gateway from the
# target architecture's .debs, without touching the host's dpkg (no dpkg --add-architecture).
#   packaging/cross/make-sysroot.sh ARCH DIR      ARCH: arm64 or armhf
#
# Why not multiarch: Debian's multiarch needs the amd64 and the foreign copy of every shared
# library at the same version, so a mirror that lags on one architecture (seen here: the
# bookworm-security armhf index failed with "File has unexpected size ... Mirror sync in
# progress?") makes libssl-dev:armhf uninstallable, and a foreign architecture whose index
# fails makes every later `apt-get update` exit non-zero. A private apt instance (its own lists,
# cache and an empty dpkg status, the host's sources) downloads the build dependencies and
# their dependency closure; each .deb is unpacked into DIR with dpkg-deb -x.
#
# DIR/var/lib/dpkg is a small dpkg database for dpkg-shlibdeps (status, *.list, *.symbols,
# *.shlibs; the file lists carry DIR as prefix, so the sysroot must not be moved): with
# DPKG_ADMINDIR pointing there, the cross .debs get their Depends from the target libraries'
# own symbols files, as a native build does.
#
# Idempotent: DIR/.stamp records the package list; a sysroot built for the same list is kept.
set -eu

arch=${1:?usage: make-sysroot.sh ARCH DIR}
dir=${2:?usage: make-sysroot.sh ARCH DIR}
case "$arch" in
arm64) triplet=aarch64-linux-gnu ;;
armhf) triplet=arm-linux-gnueabihf ;;
*)
    echo "make-sysroot: unsupported architecture '$arch' (arm64, armhf)" >&2
    exit 2
    ;;
esac

# What the gateway, its tests and the device simulator link against (packaging/install-deps.sh
# lists the same for the host).
pkgs="libc6-dev libcoap3-dev libpaho-mqtt-dev libssl-dev libmbedtls-dev libcbor-dev
  libconfig-dev libexpat1-dev libsqlite3-dev libjson-c-dev libcmocka-dev"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stamp="$dir/.stamp"
want="$arch $dir $(echo "$pkgs" | tr -s ' \n' ' ')"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "make-sysroot: $dir is up to date"
    exit 0
fi

apt_dir="$dir.apt"
rm -rf "$dir" "$apt_dir"
mkdir -p "$dir" "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/cache"
: >"$apt_dir/status"
apt_opts="-o APT::Architecture=$arch -o APT::Architectures=$arch
  -o Dir::State=$apt_dir -o Dir::State::Lists=$apt_dir/lists
  -o Dir::State::status=$apt_dir/status -o Dir::Cache=$apt_dir/cache
  -o Dir::Cache::archives=$apt_dir/archives -o Debug::NoLocking=1
  -o Acquire::Languages=none -o APT::Install-Recommends=0 -o APT::Get::Assume-Yes=1"

# An index the mirror cannot serve (e.g. bookworm-security for one architecture during a
# mirror sync) is skipped: the sysroot is then built from bookworm + bookworm-updates, which
# only lowers the minimum versions the .debs depend on.
# shellcheck disable=SC2086 # apt_opts is a list of options
if ! apt-get $apt_opts -qq update >"$apt_dir/update.log" 2>&1; then
    echo "make-sysroot: some $arch indices failed (see $apt_dir/update.log); continuing" >&2
    grep -E '^(E|W|Err):' "$apt_dir/update.log" | head -3 >&2 || true
fi
# shellcheck disable=SC2086
apt-get $apt_opts -qq install --download-only $pkgs >"$apt_dir/download.log" 2>&1 || {
    cat "$apt_dir/download.log" >&2
    echo "make-sysroot: could not download the $arch packages" >&2
    exit 1
}

admin="$dir/var/lib/dpkg"
mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
printf 'amd64\n%s\n' "$arch" >"$admin/arch"
echo 1 >"$admin/info/format" # multiarch file names: info/PKG:ARCH.list for Multi-Arch: same
: >"$admin/status"
: >"$admin/diversions"
ctrl="$apt_dir/control"
for deb in "$apt_dir"/archives/*.deb; do
    dpkg-deb -x "$deb" "$dir"
    rm -rf "$ctrl"
    dpkg-deb -e "$deb" "$ctrl"
    name=$(dpkg-deb -f "$deb" Package)
    if [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ]; then
        name="$name:$arch"
    fi
    {
        dpkg-deb -f "$deb" | sed '/^Package:/a Status: install ok installed'
        echo
    } >>"$admin/status"
    dpkg-deb -c "$deb" | awk -v root="$dir" '{
        p = $6; sub(/^\./, "", p); sub(/\/$/, "", p)
        print (p == "" ? root : root p) }' >"$admin/info/$name.list"
    for f in symbols shlibs; do
        if [ -f "$ctrl/$f" ]; then cp "$ctrl/$f" "$admin/info/$name.$f"; fi
    done
done
rm -rf "$ctrl"
rm -f "$apt_dir"/archives/*.deb # unpacked; a changed package list downloads afresh

# Absolute symlinks (e.g. lib/ld-linux-armhf.so.3 -> /lib/arm-linux-gnueabihf/...) would point
# into the host: make them relative to their own directory inside the sysroot.
find "$dir" -type l | while read -r link; do
    target=$(readlink "$link")
    case "$target" in
    /*)
        rel=$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")
        ln -sfn "$rel" "$link"
        ;;
    esac
done

# The dynamic loader at the path the binaries name (qemu-user -L DIR looks it up there).
case "$arch" in
arm64) loader=lib/ld-linux-aarch64.so.1 ;;
armhf) loader=lib/ld-linux-armhf.so.3 ;;
esac
if [ ! -e "$dir/$loader" ]; then
    echo "make-sysroot: $dir/$loader missing after unpacking" >&2
    exit 1
fi
test -f "$dir/usr/lib/$triplet/pkgconfig/libcoap-3-gnutls.pc"

echo "$want" >"$stamp"
echo "make-sysroot: $arch sysroot in $dir ($(grep -c '^Package:' "$admin/status") packages)"
