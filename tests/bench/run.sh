#!/bin/bash
# run.sh - the gateway benchmark (issue 9): registration storm, memory and idle CPU, notify ->
# MQTT rate and latency, command round trip, each beside a raw baseline measured in the same
# run (a bare libcoap server, raw Paho to the same broker), then a table with the ratios and
# the targets. See tests/bench/README.md.
#
#   tests/bench/run.sh [--sizes "1000 10000 100000"] [--build DIR] [--no-dtls] [--keep]
#   tests/bench/run.sh --smoke      # 200 devices, a few seconds: pass/fail (ctest bench.smoke)
#   BENCH_PERF=1 tests/bench/run.sh --keep ...   # also perf record every gateway (perf-*.data)
#   --sizes "" skips the storms; --no-raw skips the baselines (for profiling the gateway)
#
# Everything runs on 127.0.0.1: mosquitto on a free port, the gateway, the load generator.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SIZES="1000 10000 100000"
SMOKE=0
DTLS=1
KEEP=0
NORAW=0
BUILD=${LMG_BUILD_DIR:-}
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) SMOKE=1 ;;
    --sizes) SIZES=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-dtls) DTLS=0 ;;
    --keep) KEEP=1 ;;
    --no-raw) NORAW=1 ;;
    *) echo "usage: $0 [--smoke] [--sizes \"N ...\"] [--build DIR] [--no-dtls] [--keep]" >&2; exit 2 ;;
    esac
    shift
done

if [ -z "$BUILD" ]; then
    # The figures are for an optimised build without sanitizers.
    BUILD=$SRC/build-bench
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLMG_SANITIZE=OFF >/dev/null &&
        cmake --build "$BUILD" -j2 --target lwm2m-mqtt-gateway bench-load bench-coap-server \
            bench-mqtt-raw >/dev/null || { echo "build failed" >&2; exit 1; }
fi
GATEWAY=$BUILD/gateway/lwm2m-mqtt-gateway
LOAD=$BUILD/tests/bench/bench-load
RAWCOAP=$BUILD/tests/bench/bench-coap-server
RAWMQTT=$BUILD/tests/bench/bench-mqtt-raw
for f in "$GATEWAY" "$LOAD" "$RAWCOAP" "$RAWMQTT"; do
    [ -x "$f" ] || { echo "missing $f (build it first)" >&2; exit 1; }
done

if [ $SMOKE = 1 ]; then SIZES=200; DTLS=0; fi
MAXN=0
for n in $SIZES; do [ "$n" -gt $MAXN ] && MAXN=$n; done
# One socket per simulated device in the load generator (DTLS devices always), plus the
# gateway's own: raise the open-files limit as far as allowed (the hard limit needs
# CAP_SYS_RESOURCE). Beyond it the generator puts plain-CoAP devices on 64 shared sockets,
# each device with its own source address (see bench_load.c).
WANT=$((MAXN + 4096))
if [ "$(ulimit -n)" -lt $WANT ]; then
    ulimit -Hn $WANT 2>/dev/null
    ulimit -n $WANT 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "== open files: $(ulimit -n)" >&2

WORK=$(mktemp -d /tmp/lmg-bench.XXXXXX)
RESULTS=$WORK/results
: >"$RESULTS"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ $KEEP = 1 ] && echo "work directory kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    /usr/bin/python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=='udp' else socket.SOCK_STREAM); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])" "$1"
}
note() { echo "== $*" >&2; }
record() { # record TAG < "RESULT key value" lines
    sed -n "s/^RESULT /$1 /p" >>"$RESULTS"
}

MQTT_PORT=$(free_port tcp)
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root"
printf '%s\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nset_tcp_nodelay true\n' \
    "$USER_LINE" "$MQTT_PORT" >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
MOSQ=$!
PIDS+=($MOSQ)
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT) 2>/dev/null && break
    sleep 0.1
done
MQTT_URI=tcp://127.0.0.1:$MQTT_PORT
note "mosquitto on $MQTT_PORT, work directory $WORK"

GW_PID=
# start_gateway TAG [observe] [dtls]: a fresh gateway (empty state) on a free port.
start_gateway() {
    local tag=$1 observe=${2:-} dtls=${3:-}
    COAP_PORT=$(free_port udp)
    DTLS_PORT=$(free_port udp)
    local dir=$WORK/gw-$tag
    mkdir -p "$dir/state"
    {
        echo "gateway: { id = \"bench\"; state_dir = \"$dir/state\"; log_level = \"${BENCH_LOG_LEVEL:-notice}\"; stats_interval = 0; };"
        echo "lwm2m: { listen = [\"127.0.0.1:$COAP_PORT\"]; max_devices = 1000000;"
        [ -n "$dtls" ] && echo "  dtls = { enabled = true; listen = [\"127.0.0.1:$DTLS_PORT\"]; psk_file = \"$WORK/psk.txt\"; };"
        echo "};"
        echo "mqtt: { uri = \"$MQTT_URI\"; buffer = { persist = false; }; };"
        [ -n "$observe" ] && echo 'observe = ( { path = "/3303/0/5700"; } );'
    } >"$dir/gateway.conf"
    "$GATEWAY" -c "$dir/gateway.conf" >"$dir/gateway.log" 2>&1 &
    GW_PID=$!
    PIDS+=($GW_PID)
    for _ in $(seq 300); do
        grep -q started "$dir/gateway.log" && break
        kill -0 $GW_PID 2>/dev/null || { cat "$dir/gateway.log" >&2; exit 1; }
        sleep 0.1
    done
    # online: the retained status says so once the MQTT session is up
    for _ in $(seq 100); do
        if mosquitto_sub -p "$MQTT_PORT" -t 'lwm2m/$gateway/bench/status' -C 1 -W 1 2>/dev/null | grep -q '"online"'; then
            if [ -n "${BENCH_PERF:-}" ]; then
                perf record -F 999 -g -p $GW_PID -o "$WORK/perf-$tag.data" >/dev/null 2>&1 &
                PERF_PID=$!
                PIDS+=($PERF_PID)
                sleep 0.5
            fi
            return 0
        fi
    done
    echo "gateway did not come online" >&2
    exit 1
}
PERF_PID=
stop_pid() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    if [ -n "$PERF_PID" ]; then
        kill -INT $PERF_PID 2>/dev/null
        wait $PERF_PID 2>/dev/null
        PERF_PID=
    fi
}

RAW_PID=
start_raw_coap() { # start_raw_coap [--observe]
    COAP_PORT=$(free_port udp)
    "$RAWCOAP" "127.0.0.1:$COAP_PORT" "$@" >"$WORK/raw-coap.log" 2>&1 &
    RAW_PID=$!
    PIDS+=($RAW_PID)
    for _ in $(seq 50); do grep -q ready "$WORK/raw-coap.log" && return 0; sleep 0.1; done
    echo "bench-coap-server did not start" >&2
    exit 1
}

RATES="2000,5000,10000,12500,15000,17500,20000,30000,40000"
STEP=3
IDLE=5
if [ $SMOKE = 1 ]; then RATES=200; STEP=2; IDLE=1; fi

# ---- 1, 2: registration storm, memory, idle CPU ----
for n in $SIZES; do
    idle=$IDLE
    [ "$n" = 10000 ] && idle=10
    note "registration storm: $n devices, gateway"
    start_gateway "reg$n"
    "$LOAD" --server "127.0.0.1:$COAP_PORT" --devices "$n" --pid $GW_PID --idle $idle \
        --prefix "reg$n" | record "gw.$n"
    stop_pid $GW_PID
    [ $SMOKE = 1 ] || [ $NORAW = 1 ] && continue
    note "registration storm: $n devices, bare libcoap"
    start_raw_coap
    "$LOAD" --server "127.0.0.1:$COAP_PORT" --devices "$n" --pid $RAW_PID --idle $idle \
        --prefix "raw$n" | record "raw.$n"
    stop_pid $RAW_PID
done

# ---- 3, 4: notify -> MQTT, command round trip ----
NDEV=1000
[ $SMOKE = 1 ] && NDEV=200
note "notify -> MQTT and commands: $NDEV devices, gateway"
start_gateway notify observe
CMD_ARGS="--commands 1000 --command-seconds 5"
[ $SMOKE = 1 ] && CMD_ARGS="--commands 50 --command-seconds 2 --patient"
"$LOAD" --server "127.0.0.1:$COAP_PORT" --devices $NDEV --mqtt "$MQTT_URI" --observe-wait \
    --rates "$RATES" --step $STEP $CMD_ARGS --prefix notify | record gw.notify
stop_pid $GW_PID
if [ $SMOKE = 0 ] && [ $NORAW = 0 ]; then
    note "notify: $NDEV devices, bare libcoap"
    start_raw_coap --observe
    "$LOAD" --server "127.0.0.1:$COAP_PORT" --devices $NDEV --observe-wait --count \
        --rates "$RATES,60000,80000" --step $STEP --prefix rawnotify | record raw.notify
    stop_pid $RAW_PID
    note "raw MQTT: Paho to mosquitto"
    "$RAWMQTT" "$MQTT_URI" 5 | record raw.mqtt
fi

# ---- 5: DTLS PSK (every device its own identity, one key: the handshake cost is the same) ----
if [ $DTLS = 1 ]; then
    KEY=00112233445566778899aabbccddeeff
    DTLS_SIZES=${BENCH_DTLS_SIZES:-"1000 10000"}
    MAXD=0
    for n in $DTLS_SIZES; do [ "$n" -gt $MAXD ] && MAXD=$n; done
    seq 0 $((MAXD - 1)) | sed "s/.*/dtls-& dtls-&-id $KEY/" >"$WORK/psk.txt"
    seq 0 $((NDEV - 1)) | sed "s/.*/dtlsn-& dtlsn-&-id $KEY/" >>"$WORK/psk.txt"
    for n in $DTLS_SIZES; do
        note "DTLS registration storm: $n devices, gateway"
        start_gateway "dtls$n" "" dtls
        "$LOAD" --server "127.0.0.1:$DTLS_PORT" --psk $KEY --devices "$n" --prefix dtls \
            --pid $GW_PID --idle 2 | record "dtls.$n"
        stop_pid $GW_PID
        [ $NORAW = 1 ] && continue
        note "DTLS registration storm: $n devices, bare libcoap"
        DTLS_PORT=$(free_port udp)
        start_raw_coap --psk $KEY $DTLS_PORT
        "$LOAD" --server "127.0.0.1:$DTLS_PORT" --psk $KEY --devices "$n" --prefix dtls \
            --pid $RAW_PID --idle 2 | record "dtlsraw.$n"
        stop_pid $RAW_PID
    done
    note "DTLS notify -> MQTT: $NDEV devices, gateway"
    start_gateway dtlsnotify observe dtls
    "$LOAD" --server "127.0.0.1:$DTLS_PORT" --psk $KEY --devices $NDEV --mqtt "$MQTT_URI" \
        --observe-wait --rates "$RATES" --step $STEP --prefix dtlsn | record dtls.notify
    stop_pid $GW_PID
    if [ $NORAW = 0 ]; then
        note "DTLS notify: $NDEV devices, bare libcoap"
        DTLS_PORT=$(free_port udp)
        start_raw_coap --observe --psk $KEY $DTLS_PORT
        RAW_PLAIN=$COAP_PORT
        "$LOAD" --server "127.0.0.1:$DTLS_PORT" --count-server "127.0.0.1:$RAW_PLAIN" --psk $KEY \
            --devices $NDEV --observe-wait --count --rates "$RATES,60000" --step $STEP \
            --prefix dtlsn | record dtlsraw.notify
        stop_pid $RAW_PID
    fi
fi

/usr/bin/python3 "$HERE/table.py" "$RESULTS" ${SMOKE:+--smoke=$SMOKE}
