"""Queue mode (requests held for a sleeping device, delivered on its next Update, in order,
expired after their ttl) and faults (a device that never answers, one that answers garbage,
malformed CoAP, duplicate endpoint names, a registration flood): the gateway keeps serving a
well-behaved device within its deadline throughout."""
import socket
import threading
import time

import pytest

from conftest import Sim, wait_for

EP = "q-0"


@pytest.fixture
def sleeper(sim_factory, mq):
    sim = sim_factory(count=1, prefix="q-", args=["--queue", "--awake", "2"])
    sim.wait(lambda e: e.get("event") == "registered")
    sim.wait(lambda e: e.get("event") == "sleeping", timeout=15, what="device asleep")
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["queue_mode"])
    return sim


def command(mq, cid, op="read", path="/3/0/9", ep=EP, **extra):
    mq.publish(f"lwm2m/{ep}/command", {"id": cid, "op": op, "path": path, **extra})


def test_queued_requests_are_delivered_in_order_on_wake(sleeper, mq):
    # the gateway learns the device sleeps once its awake window passes
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "sleeping", timeout=120)
    for i, path in enumerate(["/3/0/0", "/3/0/1", "/3/0/2"]):
        command(mq, f"q{i}", path=path)
        queued = mq.wait_json(f"lwm2m/{EP}/response", lambda j, i=i: j["id"] == f"q{i}")
        assert queued["status"] == "queued"
    time.sleep(1)
    assert not sleeper.find(lambda e: e.get("event") == "request" and e.get("method") == "GET")
    sleeper.send(f"wake {EP}")
    answers = [mq.wait_json(f"lwm2m/{EP}/response",
                            lambda j, i=i: j["id"] == f"q{i}" and j["status"] == "response")
               for i in range(3)]
    assert all(a["ok"] for a in answers)
    order = [e["path"] for e in sleeper.find(lambda e: e.get("event") == "request"
                                             and e.get("method") == "GET")]
    assert order[:3] == ["/3/0/0", "/3/0/1", "/3/0/2"]
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "awake")


def test_queued_request_expires(sleeper, mq):
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "sleeping", timeout=120)
    command(mq, "ttl1", ttl=1)
    r = mq.wait_json(f"lwm2m/{EP}/response",
                     lambda j: j["id"] == "ttl1" and j["status"] != "queued", timeout=10)
    assert r["status"] == "expired" and not r["ok"]


DEADLINE = 5.0  # the read's own timeout: the device must be read within it


def read_deadline(mq, ep, cid, deadline=DEADLINE):
    """Reads /3/0/9 from a well-behaved device and returns the time it took."""
    start = time.monotonic()
    command(mq, cid, ep=ep, timeout=int(deadline))
    r = mq.wait_json(f"lwm2m/{ep}/response", lambda j: j["id"] == cid, timeout=deadline)
    assert r["ok"], r
    return time.monotonic() - start


@pytest.fixture
def pair(sim_factory, mq):
    good = sim_factory(count=1, prefix="good-")
    bad = sim_factory(count=1, prefix="bad-")
    good.wait(lambda e: e.get("event") == "registered")
    bad.wait(lambda e: e.get("event") == "registered")
    mq.wait_json("lwm2m/good-0/state")
    mq.wait_json("lwm2m/bad-0/state")
    return good, bad


@pytest.mark.parametrize("fault", ["mute", "garbage", "rst"])
def test_misbehaving_device_does_not_hurt_others(pair, mq, fault):
    good, bad = pair
    bad.send(f"{fault} bad-0")
    bad.wait(lambda e: e.get("event") == "cmd_ok")
    command(mq, "bad1", ep="bad-0", timeout=3)
    took = read_deadline(mq, "good-0", "g1")
    assert took < DEADLINE, f"good device read took {took:.2f}s during a {fault} fault"
    r = mq.wait_json("lwm2m/bad-0/response", lambda j: j["id"] == "bad1", timeout=30)
    assert not r["ok"]
    assert r["status"] in ("timeout", "reset", "response"), r
    assert read_deadline(mq, "good-0", "g2") < DEADLINE


def test_malformed_coap_flood(pair, gateway, mq):
    good, _ = pair
    stop = threading.Event()

    def flood():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        junk = [b"", b"\x00", b"\x40", b"\xff" * 64, b"\x44\x02\x00\x01\x01\x02\x03",
                bytes(range(256)), b"\x50\x01\x12\x34" + b"\xff" * 300]
        n = 0
        while not stop.is_set() and n < 20000:
            s.sendto(junk[n % len(junk)], ("127.0.0.1", gateway.coap_port))
            n += 1
        s.close()

    t = threading.Thread(target=flood)
    t.start()
    try:
        for i in range(5):
            assert read_deadline(mq, "good-0", f"f{i}") < DEADLINE
    finally:
        stop.set()
        t.join()
    assert gateway.proc.poll() is None


def test_duplicate_endpoint_name_replaces_cleanly(pair, mq):
    good, bad = pair
    bad.send("rename bad-0 good-0")  # a second device claims good-0
    bad.wait(lambda e: e.get("event") == "cmd_ok")
    bad.send("register #0")
    mq.wait_json("lwm2m/good-0/event", lambda j: j["event"] == "registered" and j["replaced"],
                 timeout=20)
    # requests now go to the newest registration, which answers
    assert read_deadline(mq, "good-0", "dup1") < DEADLINE


def test_registration_flood(gateway, mq, sim_factory):
    good = sim_factory(count=1, prefix="steady-")
    good.wait(lambda e: e.get("event") == "registered")
    mq.wait_json("lwm2m/steady-0/state")
    crowd = sim_factory(count=300, prefix="crowd-", args=["--register-rate", "1000"])
    for i in range(3):
        assert read_deadline(mq, "steady-0", f"s{i}") < DEADLINE
    wait_for(lambda: len(crowd.find(lambda e: e.get("event") == "registered")) >= 300,
             timeout=60, what="300 registrations")
    assert gateway.proc.poll() is None
