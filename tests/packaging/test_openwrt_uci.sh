#!/bin/sh
# test_openwrt_uci.sh - the OpenWrt package's UCI -> libconfig generator
# (packaging/openwrt/lwm2m-mqtt-gateway/files/lwm2m-mqtt-gateway.uci2conf), run with a stand-in
# for OpenWrt's /lib/functions.sh; the built daemon's --check-config judges what it writes.
#   test_openwrt_uci.sh DAEMON
set -eu
daemon=${1:?usage: test_openwrt_uci.sh DAEMON}
here=$(cd "$(dirname "$0")" && pwd)
files="$here/../../packaging/openwrt/lwm2m-mqtt-gateway/files"
work=$(mktemp -d /tmp/test-openwrt-uci.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/config"
passed=0
failed=0
check() {
    if "$@"; then passed=$((passed + 1)); else
        failed=$((failed + 1))
        echo "FAIL: $*"
    fi
}
generate() {
    UCI_CONFIG_DIR="$work/config" LMG_FUNCTIONS_SH="$here/openwrt-functions.sh" \
        sh "$files/lwm2m-mqtt-gateway.uci2conf" "$1"
}
valid() { "$daemon" --check-config -c "$1" >"$work/check.log" 2>&1 || { cat "$work/check.log"; false; }; }
has() { grep -qF -- "$2" "$1" || { echo "'$2' not in $1:"; cat "$1"; false; }; }

# The shipped UCI file gives a valid configuration with its values.
cp "$files/lwm2m-mqtt-gateway.config" "$work/config/lwm2m-mqtt-gateway"
check generate "$work/default.conf"
check valid "$work/default.conf"
check has "$work/default.conf" 'listen = [ "0.0.0.0:5683", "[::]:5683" ];'
check has "$work/default.conf" 'uri = "tcp://127.0.0.1:1883";'

# Quotes and backslashes survive; a list of one; an included fragment; unset keys left out.
cat >"$work/config/lwm2m-mqtt-gateway" <<'UCI'
config gateway 'main'
	option id 'site_7'
	option mqtt_uri 'mqtt://broker.local'
	option mqtt_username 'us"er\name'
	option mqtt_password 'p@ss "w\ord'
	list listen '127.0.0.1:5683'
	option include 'site.conf'
UCI
echo 'observe = ( { path = "/3303/0/5700"; attributes = "pmin=10&pmax=60"; } );' >"$work/site.conf"
check generate "$work/site-7.conf"
check valid "$work/site-7.conf"
"$daemon" --check-config -v -c "$work/site-7.conf" >"$work/dump.txt" 2>&1 || true
check has "$work/dump.txt" 'username = "us\"er\\name";'
check has "$work/dump.txt" 'id = "site_7";'
check has "$work/dump.txt" 'path = "/3303/0/5700";'
check has "$work/dump.txt" 'listen = [ "127.0.0.1:5683" ];'
if grep -q 'state_dir' "$work/site-7.conf"; then
    failed=$((failed + 1))
    echo "FAIL: an unset option was written"
else passed=$((passed + 1)); fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
