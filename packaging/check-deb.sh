#!/bin/sh
# check-deb.sh - checks the amd64 .deb the way a user meets it: lintian, the hardening of the
# programs, an install into a scratch Debian 12 root (a debootstrap chroot, the dependencies
# from the mirror), the installed daemon's --version and --check-config against the installed
# conffile (as the service user), an upgrade that keeps an edited conffile and the state, remove
# and purge, the systemd unit's exposure level, and the unit started by a real systemd in a
# container (systemd-nspawn). Debian 12, as root. Prints "N passed, N failed" and exits
# non-zero when a check failed.
#   packaging/check-deb.sh [DEB]     default: build it (packaging/build-packages.sh amd64)
#   LMG_CHROOT_CACHE=DIR   the cached base root (default /var/cache/lwm2m-mqtt-gateway/chroot)
#   LMG_MAX_EXPOSURE=2.0   the highest systemd-analyze exposure level accepted
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -f /etc/debian_version ]; then
    echo "check-deb: needs Debian and root (chroot, dpkg); skipped"
    exit 77
fi

cache=${LMG_CHROOT_CACHE:-/var/cache/lwm2m-mqtt-gateway/chroot}
max_exposure=${LMG_MAX_EXPOSURE:-2.0}
pkg=lwm2m-mqtt-gateway
conf=/etc/$pkg/$pkg.conf
. packaging/check-lib.sh
work=$(mktemp -d /tmp/check-deb.XXXXXX)
scratch="$work/root"
trap 'rm -rf "$work"' EXIT

# in_root CMD...: run a command inside the scratch root.
in_root() { chroot "$scratch" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

# ---- the package ------------------------------------------------------------------------------
if [ $# -ge 1 ]; then
    deb=$(realpath "$1")
else
    LMG_PKG_OUT="$work/out" packaging/build-packages.sh amd64 >"$work/build.log" 2>&1 || {
        cat "$work/build.log"
        fail "build the amd64 .deb"
        finish
    }
    deb=$(find "$work/out" -name "${pkg}_*_amd64.deb" | head -1)
fi
if [ -f "$deb" ]; then
    pass "amd64 .deb: $(basename "$deb") (Depends: $(dpkg-deb -f "$deb" Depends))"
else
    fail "no .deb at '$deb'"
    finish
fi
version=$(dpkg-deb -f "$deb" Version)

# ---- lintian: no error, no warning; every override carries a reason ---------------------------
if lintian --fail-on error,warning --pedantic -I --show-overrides "$deb" >"$work/lintian.log" 2>&1; then
    summary=$(grep -cE '^[EWIP]: ' "$work/lintian.log" || true)
    overrides=$(grep -cE '^O: ' "$work/lintian.log" || true)
    pass "lintian --pedantic: no errors or warnings ($summary info/pedantic tags, $overrides overridden with reasons)"
else
    cat "$work/lintian.log"
    fail "lintian reports errors or warnings"
fi
changelog_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "$changelog_version" = "$version" ]; then
    pass "packaging/debian/changelog is at the package version $version"
else
    fail "packaging/debian/changelog is at $changelog_version, the package at $version"
fi

# ---- hardening of the programs (dpkg-buildflags hardening=+all) --------------------------------
dpkg-deb -x "$deb" "$work/x"
for f in usr/sbin/$pkg usr/bin/lwm2m-codec; do
    elf="$work/x/$f"
    missing=""
    readelf -hW "$elf" | grep -q 'DYN (Position-Independent' || missing="$missing pie"
    readelf -lW "$elf" | grep -q GNU_RELRO || missing="$missing relro"
    readelf -dW "$elf" | grep -q BIND_NOW || missing="$missing bindnow"
    nm -D "$elf" | grep -q __stack_chk_fail || missing="$missing stackprotector"
    nm -D "$elf" | grep -q '_chk@' || missing="$missing fortify"
    if [ -z "$missing" ]; then
        pass "/$f: PIE, RELRO, BIND_NOW, stack protector, fortify"
    else
        fail "/$f lacks:$missing"
    fi
done

# ---- the systemd unit --------------------------------------------------------------------------
unit="$work/x/lib/systemd/system/$pkg.service"
exposure=$(systemd-analyze security --offline=yes "$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
    pass "systemd-analyze security --offline=yes: exposure $exposure (<= $max_exposure)"
else
    systemd-analyze security --offline=yes "$unit" 2>&1 | grep -E '✗|Overall' || true
    fail "systemd-analyze security: exposure '${exposure:-?}' above $max_exposure"
fi
# verify: unknown keys, bad values. The programs are not installed on this host: that one
# message is expected.
systemd-analyze verify --man=no "$unit" >"$work/verify.log" 2>&1 || true
if grep -v "Command /usr/sbin/$pkg is not executable" "$work/verify.log" | grep -q .; then
    cat "$work/verify.log"
    fail "systemd-analyze verify reports problems in the unit"
else
    pass "systemd-analyze verify: the unit parses without complaint"
fi

# ---- a scratch Debian 12 root ----------------------------------------------------------------
# Built once with debootstrap (minbase, about 25 s) from the host's own mirror and kept in
# $cache; every run unpacks a fresh copy.
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\/\{0,1\}\)$/\1/p' /etc/apt/sources.list.d/debian.sources \
    2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
    /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
if [ ! -f "$cache/base.tar" ]; then
    mkdir -p "$cache"
    rm -rf "$cache/build"
    if debootstrap --variant=minbase bookworm "$cache/build" "$mirror" >"$work/debootstrap.log" 2>&1; then
        # The host's apt sources (bookworm, -updates, -security) so that the package's
        # dependencies resolve as on the host.
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
            cp /etc/apt/sources.list.d/debian.sources "$cache/build/etc/apt/sources.list.d/"
            : >"$cache/build/etc/apt/sources.list"
        fi
        tar -C "$cache/build" -cf "$cache/base.tar.new" . && mv "$cache/base.tar.new" "$cache/base.tar"
        rm -rf "$cache/build"
    else
        tail -5 "$work/debootstrap.log"
        fail "debootstrap a scratch bookworm root from $mirror"
        finish
    fi
fi
mkdir -p "$scratch"
tar -C "$scratch" -xf "$cache/base.tar"
cp /etc/resolv.conf "$scratch/etc/resolv.conf" 2>/dev/null || true
# Downloaded dependencies are kept with the base root for the next run.
mkdir -p "$cache/archives"
find "$cache/archives" -name '*.deb' -exec cp {} "$scratch/var/cache/apt/archives/" \;
cp "$deb" "$scratch/tmp/"
debname=$(basename "$deb")
{ in_root apt-get update -qq || true; } >"$work/apt.log" 2>&1
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "/tmp/$debname" >>"$work/apt.log" 2>&1; then
    pass "apt-get install ./$debname in a scratch bookworm root (dependencies from the mirror)"
else
    tail -20 "$work/apt.log"
    fail "apt-get install ./$debname in the scratch root"
    finish
fi
find "$scratch/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n {} "$cache/archives/" \;

# What postinst made: the user, the ownership and modes, the conffile.
# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
conffiles_format='${Conffiles}\n'
if in_root getent passwd "$pkg" >/dev/null &&
    [ "$(in_root stat -c '%U:%G %a' "$conf")" = "root:$pkg 640" ] &&
    [ "$(in_root stat -c '%U:%G %a' /var/lib/$pkg)" = "$pkg:$pkg 750" ] &&
    in_root dpkg-query -W -f="$conffiles_format" "$pkg" | grep -q " $conf "; then
    pass "postinst: system user $pkg, $conf root:$pkg 0640 (a conffile), /var/lib/$pkg $pkg 0750"
else
    in_root ls -l "$conf" /var/lib || true
    fail "postinst: user, modes or conffile not as expected"
fi

out=$(in_root "$pkg" --version 2>&1) || true
if [ "$out" = "$pkg $version" ]; then
    pass "installed: $pkg --version -> $out"
else
    fail "installed: $pkg --version printed '$out', want '$pkg $version'"
fi
# As the service user, as systemd runs it: the 0640 conffile must be readable through the group.
as_service_user() { in_root setpriv --reuid="$pkg" --regid="$pkg" --init-groups "$@"; }
if out=$(as_service_user "$pkg" --check-config -c "$conf" 2>&1); then
    pass "installed: $pkg --check-config -c $conf (as $pkg) -> $out"
else
    echo "$out"
    fail "installed: $pkg --check-config -c $conf"
fi
if out=$(echo 'c8 00 04 4f 70 65 6e' | in_root lwm2m-codec decode --format tlv --path /3/0 --hex 2>&1) &&
    [ "$out" = '[{"path":"/3/0/0","type":"string","value":"Open"}]' ]; then
    pass "installed: lwm2m-codec decodes a TLV payload"
else
    fail "installed: lwm2m-codec decode printed '$out'"
fi
if [ -f "$scratch/usr/share/man/man8/$pkg.8.gz" ] &&
    [ -f "$scratch/usr/share/man/man5/$pkg.conf.5.gz" ] &&
    [ -f "$scratch/usr/share/man/man1/lwm2m-codec.1.gz" ]; then
    pass "man pages: $pkg(8), $pkg.conf(5), lwm2m-codec(1) installed"
else
    fail "man pages missing"
fi

# ---- upgrade: an edited conffile and the state survive ----------------------------------------
sed -i 's/^  id = "gw-1";/  id = "site-upgrade-check";/' "$scratch$conf"
echo "state" >"$scratch/var/lib/$pkg/marker"
next="$work/next"
dpkg-deb -R "$deb" "$next"
sed -i "s/^Version: .*/Version: $version+upgrade1/" "$next/DEBIAN/control"
dpkg-deb -b --root-owner-group "$next" "$scratch/tmp/next.deb" >/dev/null
if in_root dpkg -i --force-confold /tmp/next.deb >"$work/upgrade.log" 2>&1 &&
    grep -q 'id = "site-upgrade-check"' "$scratch$conf" &&
    [ -f "$scratch/var/lib/$pkg/marker" ] &&
    [ "$(in_root stat -c '%U:%G %a' "$conf")" = "root:$pkg 640" ] &&
    as_service_user "$pkg" --check-config -c "$conf" >/dev/null 2>&1; then
    pass "upgrade to $version+upgrade1: edited conffile kept (0640), state kept, config valid"
else
    cat "$work/upgrade.log"
    fail "upgrade: conffile or state not kept"
fi

# ---- remove keeps configuration and state; purge removes them ---------------------------------
if in_root dpkg -r "$pkg" >"$work/remove.log" 2>&1 && [ -f "$scratch$conf" ] &&
    [ -f "$scratch/var/lib/$pkg/marker" ] && [ ! -e "$scratch/usr/sbin/$pkg" ]; then
    pass "dpkg -r: programs gone, conffile and state kept"
else
    cat "$work/remove.log"
    fail "dpkg -r"
fi
if in_root dpkg -P "$pkg" >"$work/purge.log" 2>&1 && [ ! -e "$scratch$conf" ] &&
    [ ! -e "$scratch/var/lib/$pkg" ] && ! in_root dpkg-statoverride --list | grep -q "$pkg"; then
    pass "dpkg -P: conffile, state and permission overrides gone"
else
    cat "$work/purge.log"
    fail "dpkg -P"
fi

# ---- under systemd: the unit starts (READY=1), is sandboxed, reloads, stops -------------------
# A fresh root with systemd and the package, booted in a container (systemd-nspawn, private
# network); a oneshot unit records what it sees and powers off. Where the container cannot
# boot at all (no systemd-nspawn, no namespaces), the check is skipped and says so.
boot="$work/boot"
mkdir -p "$boot"
tar -C "$boot" -xf "$cache/base.tar"
cp /etc/resolv.conf "$boot/etc/resolv.conf" 2>/dev/null || true
find "$cache/archives" -name '*.deb' -exec cp {} "$boot/var/cache/apt/archives/" \;
cp "$deb" "$boot/tmp/"
if chroot "$boot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq; apt-get install -y -qq --no-install-recommends systemd systemd-sysv /tmp/$debname" \
    >"$work/boot-apt.log" 2>&1; then
    find "$boot/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n {} "$cache/archives/" \;
    cat >"$boot/etc/systemd/system/lmg-probe.service" <<'UNIT'
[Unit]
Description=Probe of lwm2m-mqtt-gateway.service (packaging/check-deb.sh)
After=lwm2m-mqtt-gateway.service
[Service]
Type=oneshot
ExecStart=/bin/sh /lmg-probe.sh
UNIT
    ln -s /etc/systemd/system/lmg-probe.service \
        "$boot/etc/systemd/system/multi-user.target.wants/lmg-probe.service"
    cat >"$boot/lmg-probe.sh" <<'PROBE'
#!/bin/sh
unit=lwm2m-mqtt-gateway.service
{
    sleep 2
    echo "active=$(systemctl is-active $unit)"
    systemctl show -p StatusText,NRestarts $unit
    pid=$(systemctl show -p MainPID --value $unit)
    grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status"
    echo "user=$(id -u lwm2m-mqtt-gateway)"
    systemctl reload $unit && echo "reload=ok"
    sleep 1
    echo "after_reload=$(systemctl is-active $unit) pid=$(systemctl show -p MainPID --value $unit) was=$pid"
    systemctl stop $unit
    echo "stop_$(systemctl show -p Result $unit)"
    journalctl -u $unit --no-pager -o cat
} >/lmg-probe.txt 2>&1
systemctl poweroff
PROBE
    timeout 120 systemd-nspawn -D "$boot" -b --register=no --keep-unit --private-network --quiet \
        >"$work/boot.log" 2>&1 || true
    probe="$boot/lmg-probe.txt"
    if [ ! -f "$probe" ]; then
        echo "SKIP: the unit under systemd: the container did not boot here"
        tail -5 "$work/boot.log"
    elif grep -q '^active=active$' "$probe" && grep -q '^StatusText=serving$' "$probe" &&
        grep -qE '^CapEff:[[:space:]]+0+$' "$probe" && grep -qE '^CapBnd:[[:space:]]+0+$' "$probe" &&
        grep -qE '^NoNewPrivs:[[:space:]]+1$' "$probe" && grep -qE '^Seccomp:[[:space:]]+2$' "$probe" &&
        grep -qE "^Uid:[[:space:]]+$(sed -n 's/^user=//p' "$probe")[[:space:]]" "$probe" &&
        grep -q '^reload=ok$' "$probe" && grep -q 'reload: configuration applied' "$probe" &&
        grep -qE '^after_reload=active pid=([0-9]+) was=\1$' "$probe" &&
        grep -q '^stop_Result=success$' "$probe"; then
        pass "under systemd 252 (nspawn): Type=notify start, service user, no capabilities, NoNewPrivs, seccomp, SIGHUP reload in place, clean stop"
    else
        cat "$probe"
        fail "the unit under systemd"
    fi
else
    tail -20 "$work/boot-apt.log"
    fail "install systemd and the package into a second scratch root"
fi

finish
