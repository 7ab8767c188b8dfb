"""Never lose a message: a 30 s broker outage while devices notify at a steady rate (everything
arrives, within the buffer bound; what overflows it is counted), a gateway restart during the
outage, TLS to the broker; and the daemon's state: 1,000 devices and queued commands survive a
SIGKILL, and a SIGHUP with a changed auto-observe rule applies to new registrations."""
import json
import os
import signal
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from conftest import Broker, Gateway, MqttClient, Sim, free_port, wait_for

RULE = 'observe = ( { path = "/3303/0/5700"; attributes = "pmin=0&pmax=600"; } );'


def subscriber(port, name):
    c = MqttClient(port, version=mqtt.MQTTv311, client_id=name, clean_session=False)
    c.subscribe("lwm2m/#", qos=1)
    return c


class Producer:
    """Changes the simulated sensor every `period` seconds: each change is one notification."""

    def __init__(self, sim, eps, period=0.2):
        self.sim, self.eps, self.period = sim, eps, period
        self.values = []  # (ep, value) in order
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            for ep in self.eps:
                n += 1
                value = 1000 + n
                self.sim.send(f"set {ep} /3303/0/5700 {value}")
                self.values.append((ep, float(value)))
            time.sleep(self.period)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join()


def received(subs, eps):
    """What arrived on the data topics, over every subscriber connection (before, after)."""
    got = set()
    for mq in subs if isinstance(subs, list) else [subs]:
        for ep in eps:
            for payload, _, _ in mq.all(f"lwm2m/{ep}/data/3303/0/5700"):
                got.add((ep, json.loads(payload)["value"]))
    return got


def outage_setup(workdir, mqtt_extra="", stats_interval=0):
    broker = Broker(workdir, persistent=True).start()
    sub = subscriber(broker.port, "outage-watcher")
    g = Gateway(workdir, broker.port, extra=RULE, mqtt_extra=mqtt_extra,
                stats_interval=stats_interval)
    g.start()
    sim = Sim(g, count=2, prefix="n-")
    for ep in ("n-0", "n-1"):
        sub.wait_json(f"lwm2m/{ep}/data/3303/0/5700", lambda j: j["source"] == "observe")
    return broker, sub, g, sim


def test_broker_outage_loses_nothing(workdir):
    broker, sub, g, sim = outage_setup(workdir)
    eps = ["n-0", "n-1"]
    try:
        prod = Producer(sim, eps).start()
        time.sleep(2)
        sub.close()
        broker.stop()
        outage_start = len(prod.values)
        time.sleep(30)
        during = len(prod.values) - outage_start
        broker.start()
        before = sub
        sub = subscriber(broker.port, "outage-watcher")
        time.sleep(2)
        prod.stop()
        expected = set(prod.values)
        wait_for(lambda: expected <= received([before, sub], eps), timeout=60,
                 what=f"{len(expected)} notifications ({during} produced during the outage)")
        assert during >= 250, during  # 30 s at 2 devices x 5/s
        status = sub.wait_json("lwm2m/$gateway/gw-test/status",
                               lambda j: j["status"] == "online")
        assert status["stats"]["dropped"] == 0
    finally:
        sim.stop()
        g.stop()
        sub.close()
        broker.stop()


def test_buffer_bound_overflow_is_counted(workdir):
    broker, sub, g, sim = outage_setup(workdir, mqtt_extra="buffer = { max_messages = 20; };",
                                       stats_interval=1)
    eps = ["n-0", "n-1"]
    try:
        sub.close()
        broker.stop()
        prod = Producer(sim, eps).start()
        time.sleep(5)
        prod.stop()
        during = len(prod.values)
        broker.start()
        sub = subscriber(broker.port, "outage-watcher")
        sub.wait_json("lwm2m/$gateway/gw-test/status",
                      lambda j: j["status"] == "online" and j["stats"]["dropped"] > 0, timeout=30)
        # Nothing is silent: every notification produced during the outage either arrived or
        # is counted as dropped (the bound is 20 messages), and the overflow is logged.
        wait_for(lambda: "outbox full" in g.read_log(), what="a log line about dropped messages")
        time.sleep(3)  # the status is published every second: the last one has every drop
        status = [json.loads(p) for p, _, _ in sub.all("lwm2m/$gateway/gw-test/status")]
        dropped = max(s["stats"]["dropped"] for s in status if s["status"] == "online")
        arrived = len(set(prod.values) & received(sub, eps))
        assert dropped > 0 and arrived > 0
        assert arrived + dropped >= during, (arrived, dropped, during)
    finally:
        sim.stop()
        g.stop()
        sub.close()
        broker.stop()


def test_gateway_restart_during_outage(workdir):
    broker, sub, g, sim = outage_setup(workdir)
    eps = ["n-0", "n-1"]
    try:
        sub.close()
        broker.stop()
        prod = Producer(sim, eps).start()
        time.sleep(4)
        prod.stop()
        buffered = list(prod.values)
        time.sleep(0.5)
        g.kill()  # SIGKILL: nothing graceful
        g.start(wait_online=False)
        broker.start()
        sub = subscriber(broker.port, "outage-watcher")
        wait_for(lambda: set(buffered) <= received(sub, eps), timeout=60,
                 what=f"{len(buffered)} notifications buffered before the restart")
    finally:
        sim.stop()
        g.stop()
        sub.close()
        broker.stop()


def make_certs(d):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    for name, cn in (("server", "127.0.0.1"), ("client", "gateway")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout",
            f"{name}.key", "-out", f"{name}.csr")
        ext = os.path.join(d, f"{name}.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n" if name == "server" else "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", "-extfile", ext)


def test_tls_to_the_broker(workdir):
    make_certs(workdir)
    tls_port = free_port()
    broker = Broker(workdir, extra=(
        f"listener {tls_port} 127.0.0.1\ncafile {workdir}/ca.crt\n"
        f"certfile {workdir}/server.crt\nkeyfile {workdir}/server.key\n"
        "require_certificate true\n")).start()
    sub = MqttClient(broker.port)
    sub.subscribe("lwm2m/#")
    tls = (f'tls = {{ ca_file = "{workdir}/ca.crt"; cert_file = "{workdir}/client.crt"; '
           f'key_file = "{workdir}/client.key"; }};')
    g = Gateway(workdir, broker.port, mqtt_uri=f"ssl://127.0.0.1:{tls_port}", mqtt_extra=tls)
    try:
        g.start()
        sub.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "online")
        code, _ = g.coap("post", "/rd?ep=tls-dev&lt=60", "</1/0>", content_format=40)
        assert code == "2.01"
        sub.wait_json("lwm2m/tls-dev/state", lambda j: j["state"] == "registered")
    finally:
        g.stop()
    # a broker certificate from another CA is refused: nothing is published
    other = os.path.join(workdir, "other")
    os.mkdir(other)
    make_certs(other)
    g2 = Gateway(other, broker.port, mqtt_uri=f"ssl://127.0.0.1:{tls_port}",
                 mqtt_extra=tls.replace(f"{workdir}/ca.crt", f"{other}/ca.crt"))
    try:
        g2.start(wait_online=False)
        wait_for(lambda: "mqtt:" in g2.read_log() and ("certificate" in g2.read_log().lower()
                                                       or "ssl" in g2.read_log().lower()
                                                       or "fail" in g2.read_log().lower()),
                 timeout=15, what="a TLS failure in the log")
        assert "mqtt: connected" not in g2.read_log()
    finally:
        g2.stop()
        sub.close()
        broker.stop()


def test_resubscribes_after_the_broker_restarts(workdir):
    """A broker that forgets everything (no persistence): after it comes back, the gateway
    subscribes again, so commands still reach devices."""
    broker = Broker(workdir).start()
    g = Gateway(workdir, broker.port)
    g.start()
    sim = Sim(g, count=1, prefix="rs-")
    try:
        sim.wait(lambda e: e.get("event") == "registered")
        broker.stop()
        time.sleep(1)
        broker.start()
        wait_for(lambda: g.read_log().count("mqtt: connected") >= 2, timeout=30,
                 what="the gateway to reconnect")
        mq = MqttClient(broker.port)
        mq.subscribe("lwm2m/#")
        time.sleep(0.5)
        mq.publish("lwm2m/rs-0/command", {"id": "after", "op": "read", "path": "/3/0/9"})
        r = mq.wait_json("lwm2m/rs-0/response", lambda j: j["id"] == "after", timeout=15)
        assert r["ok"], r
        mq.close()
    finally:
        sim.stop()
        g.stop()
        broker.stop()


def test_per_device_subscriptions(workdir, broker, mq):
    g = Gateway(workdir, broker.port, extra='bridge: { subscription = "per-device"; };')
    g.start()
    sim = Sim(g, count=1, prefix="pd-")
    try:
        sim.wait(lambda e: e.get("event") == "registered")
        mq.wait_json("lwm2m/pd-0/state")
        # The device's own subscriptions are made at its registration, asynchronously: until
        # the broker has them a command is not delivered, so ask again until it is.
        def answered():
            mq.publish("lwm2m/pd-0/command", {"id": "pd1", "op": "read", "path": "/3/0/9"})
            time.sleep(1)
            return mq.find("lwm2m/pd-0/response", lambda p: json.loads(p)["id"] == "pd1")
        assert json.loads(wait_for(answered, timeout=20, what="a per-device subscription"))["ok"]
        # a device this gateway doesn't serve is not its business in this mode: no answer
        mq.publish("lwm2m/elsewhere/command", {"id": "pd2", "op": "read", "path": "/3/0/9"})
        time.sleep(1)
        assert not mq.all("lwm2m/elsewhere/response")
    finally:
        sim.stop()
        g.stop()
