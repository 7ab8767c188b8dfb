"""Fixtures for end-to-end tests: a real mosquitto on a free loopback port, the real gateway
binary with a generated site config, MQTT clients (paho) and CoAP peers (libcoap's coap-client,
the device simulator). Run under /usr/bin/python3 (Debian's python3-pytest, python3-paho-mqtt).

Environment: LMG_BUILD_DIR points at the CMake build directory (ctest sets it)."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
import pytest

BUILD = os.environ.get("LMG_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
GATEWAY = os.path.join(BUILD, "gateway", "lwm2m-mqtt-gateway")
SIM = os.path.join(BUILD, "tests", "sim", "lwm2m-sim")


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Broker:
    def __init__(self, workdir, port=None, extra="", persistent=False):
        self.port = port or free_port()
        self.workdir = workdir
        self.extra = extra
        self.persistent = persistent  # keep sessions and queued messages across a restart
        self.proc = None

    def start(self):
        conf = os.path.join(self.workdir, f"mosquitto-{self.port}.conf")
        persistence = (f"persistence true\npersistence_location {self.workdir}/\n"
                       "max_queued_messages 100000\n" if self.persistent
                       else "persistence false\n")
        # As root, mosquitto would switch to its own user, which can't read our temp dir.
        user = "user root\n" if os.geteuid() == 0 else ""
        with open(conf, "w") as f:
            f.write(f"{user}listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                    f"{persistence}{self.extra}\n")
        self.log = open(os.path.join(self.workdir, f"mosquitto-{self.port}.log"), "a")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(self._accepting, what=f"mosquitto on {self.port}")
        return self

    def _accepting(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc = None


class MqttClient:
    """A subscriber that records every message, and a publisher for commands."""

    def __init__(self, port, version=mqtt.MQTTv5, client_id=None, clean_session=True):
        self.messages = []
        self.lock = threading.Lock()
        self.version = version
        kw = {} if version == mqtt.MQTTv5 else {"clean_session": clean_session}
        self.client = mqtt.Client(
            client_id=client_id or f"test-{os.getpid()}-{time.monotonic_ns()}",
            protocol=version, **kw)
        self.client.on_message = self._on_message
        connected = threading.Event()
        self.client.on_connect = lambda *a, **k: connected.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not connected.wait(5):
            raise AssertionError("test MQTT client could not connect")

    def _on_message(self, client, userdata, msg):
        props = getattr(msg, "properties", None)
        corr = getattr(props, "CorrelationData", None) if props else None
        with self.lock:
            self.messages.append((msg.topic, msg.payload, msg.retain, corr))

    def subscribe(self, topic, qos=1):
        done = threading.Event()
        self.client.on_subscribe = lambda *a, **k: done.set()
        self.client.subscribe(topic, qos)
        done.wait(5)

    def publish(self, topic, payload, qos=1, response_topic=None, correlation=None):
        props = None
        if response_topic or correlation:
            props = Properties(PacketTypes.PUBLISH)
            if response_topic:
                props.ResponseTopic = response_topic
            if correlation:
                props.CorrelationData = correlation
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        self.client.publish(topic, payload, qos=qos, properties=props).wait_for_publish(5)

    def find(self, topic, predicate=lambda p: True):
        with self.lock:
            for t, p, r, c in self.messages:
                if t == topic and predicate(p):
                    return p
        return None

    def wait(self, topic, predicate=lambda p: True, timeout=10.0):
        return wait_for(lambda: self.find(topic, predicate), timeout, what=f"message on {topic}")

    def wait_json(self, topic, predicate=lambda j: True, timeout=10.0):
        def match(p):
            try:
                return predicate(json.loads(p))
            except ValueError:
                return False
        return json.loads(self.wait(topic, match, timeout))

    def all(self, topic):
        with self.lock:
            return [(p, r, c) for t, p, r, c in self.messages if t == topic]

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


class Gateway:
    def __init__(self, workdir, broker_port, coap_port=None, extra="", lwm2m_extra="",
                 mqtt_extra="", mqtt_uri=None, stats_interval=0):
        self.workdir = workdir
        self.stats_interval = stats_interval
        self.mqtt_extra = mqtt_extra  # settings inside the mqtt group (tls, buffer)
        self.mqtt_uri = mqtt_uri or f"tcp://127.0.0.1:{broker_port}"
        self.lwm2m_extra = lwm2m_extra  # settings inside the lwm2m group (e.g. mqtt_binding)
        self.coap_port = coap_port or free_port(socket.SOCK_DGRAM)
        self.broker_port = broker_port
        self.state_dir = os.path.join(workdir, "state")
        self.config = os.path.join(workdir, "gateway.conf")
        self.extra = extra
        self.proc = None
        self.log_path = os.path.join(workdir, "gateway.log")

    def write_config(self, extra=None):
        if extra is not None:
            self.extra = extra
        with open(self.config, "w") as f:
            f.write(f'gateway: {{ id = "gw-test"; state_dir = "{self.state_dir}"; '
                    f'log_level = "debug"; stats_interval = {self.stats_interval}; }};\n'
                    f'lwm2m: {{ listen = ["127.0.0.1:{self.coap_port}"]; lifetime_min = 1; '
                    f'queue = {{ awake_time = 2; }}; {self.lwm2m_extra} }};\n'
                    f'mqtt: {{ uri = "{self.mqtt_uri}"; '
                    f'reconnect_min = 1; reconnect_max = 2; keepalive = 5; {self.mqtt_extra} }};\n'
                    f"{self.extra}\n")

    def start(self, env=None, wait_online=True):
        self.write_config()
        offset = len(self.read_log()) if os.path.exists(self.log_path) else 0
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([GATEWAY, "-c", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        new = lambda: self.read_log()[offset:]  # this run's lines (the log is appended to)
        wait_for(lambda: "started" in new() or self.proc.poll() is not None,
                 what="gateway start")
        assert self.proc.poll() is None, self.read_log()
        if wait_online:  # subscribed to commands: what is published from now on arrives
            wait_for(lambda: "mqtt: connected" in new(), what="gateway MQTT connect")
        return self

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def signal(self, signo):
        self.proc.send_signal(signo)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("gateway did not stop on SIGTERM")
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def coap(self, method, path, payload=None, content_format=None, timeout=5):
        """Runs coap-client-notls; returns (code, payload text) such as ("2.01", "")."""
        cmd = ["coap-client-notls", "-m", method, "-B", str(timeout), "-v", "6"]
        if content_format is not None:
            cmd += ["-t", str(content_format)]
        if payload is not None:
            cmd += ["-e", payload]
        cmd.append(f"coap://127.0.0.1:{self.coap_port}{path}")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)
        text = out.stdout + out.stderr
        for line in text.splitlines():
            for word in line.split():
                if word.startswith("c:") and word[2:3].isdigit():
                    return word[2:], line
        return None, text


# The LwM2M MQTT transport binding on the test broker, topics under "site1/lwm2m/rd/".
BINDING = 'mqtt_binding = { enabled = true; prefix = "site1"; };'


@pytest.fixture
def gw(workdir, broker, mq):
    g = Gateway(workdir, broker.port, lwm2m_extra=BINDING)
    g.start()
    mq.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "online")
    wait_for(lambda: "lwm2m.mqtt_binding: subscribed" in g.read_log(), what="binding subscribed")
    yield g
    g.stop()


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="lmg-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def broker(workdir):
    b = Broker(workdir).start()
    yield b
    b.stop()


@pytest.fixture
def mq(broker):
    c = MqttClient(broker.port)
    c.subscribe("lwm2m/#")
    yield c
    c.close()


@pytest.fixture
def gateway(workdir, broker, mq):
    g = Gateway(workdir, broker.port)
    g.start()
    mq.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "online")
    yield g
    g.stop()


class JsonLinePeer:
    """A peer process that prints JSON-line events on stdout and takes commands on stdin."""

    what = "peer event"

    def start(self, cmd, **popen_args):
        self.events = []
        self.lock = threading.Lock()
        popen_args.setdefault("stderr", subprocess.DEVNULL)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, **popen_args)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def find(self, predicate):
        with self.lock:
            return [e for e in self.events if predicate(e)]

    def wait(self, predicate, timeout=10.0, what=None):
        return wait_for(lambda: (self.find(predicate) or [None])[0], timeout,
                        what=what or self.what)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(3)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(3)


class Sim(JsonLinePeer):
    """The device simulator (tests/sim)."""

    what = "simulator event"

    def __init__(self, gateway, count=1, prefix="sim-", args=()):
        self.start([SIM, "--server", f"coap://127.0.0.1:{gateway.coap_port}", "--count",
                    str(count), "--prefix", prefix] + list(args))


@pytest.fixture
def sim_factory(gateway):
    sims = []

    def make(**kw):
        s = Sim(gateway, **kw)
        sims.append(s)
        return s
    yield make
    for s in sims:
        s.stop()
