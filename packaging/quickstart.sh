#!/bin/sh
# quickstart.sh - the README's first command: installs what is needed (Debian 12, as root),
# builds the gateway, starts a local mosquitto when no broker answers on 127.0.0.1:1883, starts
# one simulated device, and runs the gateway in the foreground with the default site config.
# In another terminal: mosquitto_sub -v -t 'lwm2m/#'
#   QUICKSTART_CONFIG=FILE   another site config (default conf/lwm2m-mqtt-gateway.conf)
#   QUICKSTART_DEVICES=N     simulated devices to start (default 1, 0 for none)
#   QUICKSTART_SECONDS=N     stop after N seconds instead of running until Ctrl-C
set -eu
cd "$(dirname "$0")/.."
root=$PWD

packaging/install-deps.sh
build=${QUICKSTART_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target lwm2m-mqtt-gateway \
    lwm2m-codec lwm2m-sim

config=${QUICKSTART_CONFIG:-$root/conf/lwm2m-mqtt-gateway.conf}
"$build/gateway/lwm2m-mqtt-gateway" -c "$config" --check-config

pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

if ! mosquitto_pub -h 127.0.0.1 -p 1883 -t lwm2m/quickstart -n -q 0 2>/dev/null; then
    echo "quickstart: no MQTT broker on 127.0.0.1:1883, starting mosquitto"
    mosquitto -p 1883 >/tmp/lwm2m-quickstart-mosquitto.log 2>&1 &
    pids="$pids $!"
    sleep 0.5
fi

"$build/gateway/lwm2m-mqtt-gateway" -c "$config" &
gw=$!
pids="$pids $gw"
sleep 1
devices=${QUICKSTART_DEVICES:-1}
if [ "$devices" -gt 0 ]; then
    sleep 3600000 | "$build/tests/sim/lwm2m-sim" --server coap://127.0.0.1:5683 \
        --count "$devices" --prefix quickstart- >/tmp/lwm2m-quickstart-sim.log 2>&1 &
    pids="$pids $!"
    echo "quickstart: $devices simulated device(s) started; watch: mosquitto_sub -v -t 'lwm2m/#'"
fi
if [ -n "${QUICKSTART_SECONDS:-}" ]; then
    sleep "$QUICKSTART_SECONDS"
else
    wait "$gw"
fi
