"""Every device management and information reporting operation, end to end: MQTT command ->
gateway -> CoAP -> simulated device -> CoAP -> gateway -> MQTT response and data topics, in each
content format, with values checked."""
import hashlib
import json
import time

import pytest

from conftest import Gateway, Sim

EP = "dev-0"
ALL_FORMATS = ["tlv", "senml-json", "senml-cbor", "oma-json", "lwm2m-cbor"]


@pytest.fixture
def device(sim_factory, mq):
    sim = sim_factory(count=1, prefix="dev-", args=["--version", "1.2"])
    sim.wait(lambda e: e.get("event") == "registered", what="registration")
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "registered")
    return sim


class Commander:
    def __init__(self, mq):
        self.mq = mq
        self.n = 0

    def __call__(self, op, timeout=15, **fields):
        self.n += 1
        cid = f"c{self.n}-{time.monotonic_ns()}"
        cmd = {"id": cid, "op": op, **fields}
        self.mq.publish(f"lwm2m/{fields.pop('ep', EP)}/command", cmd)
        return self.mq.wait_json(f"lwm2m/{EP}/response",
                                 lambda j: j["id"] == cid and j["status"] != "queued",
                                 timeout=timeout)


@pytest.fixture
def cmd(mq):
    return Commander(mq)


def content(resp):
    return {n["path"]: n["value"] for n in resp.get("content", [])}


@pytest.mark.parametrize("fmt", ["text", "tlv", "senml-json", "senml-cbor", "oma-json",
                                 "lwm2m-cbor", "cbor"])
def test_read_resource_in_each_format(device, cmd, fmt):
    r = cmd("read", path="/3/0/0", format=fmt)
    assert r["ok"] and r["code"] == "2.05", r
    assert content(r) == {"/3/0/0": "LMG Simulator"}
    fmt_seen = device.wait(lambda e: e.get("event") == "request" and e.get("path") == "/3/0/0")
    assert fmt_seen["code"] == "2.05"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_read_instance_in_each_format(device, cmd, mq, fmt):
    r = cmd("read", path="/3303/0", format=fmt)
    assert r["ok"], r
    values = content(r)
    assert values["/3303/0/5700"] == 21.5
    assert values["/3303/0/5701"] == "Cel"
    types = {n["path"]: n["type"] for n in r["content"]}
    assert types["/3303/0/5700"] == "float"
    data = mq.wait_json(f"lwm2m/{EP}/data/3303/0/5700", lambda j: j["source"] == "read")
    assert data["value"] == 21.5 and data["name"] == "Sensor Value"


def test_read_object_and_unknown_paths(device, cmd):
    r = cmd("read", path="/3303")
    assert r["ok"]
    assert {"/3303/0/5700", "/3303/1/5700"} <= set(content(r))
    r = cmd("read", path="/3303/9/5700")
    assert not r["ok"] and r["code"] == "4.04"


def test_discover_with_depth(device, cmd):
    r = cmd("discover", path="/3303/0")
    assert r["ok"]
    paths = [l["path"] for l in r["links"]]
    assert "/3303/0" in paths and "/3303/0/5700" in paths
    r = cmd("discover", path="/3303", depth=1)
    paths = [l["path"] for l in r["links"]]
    assert "/3303/0" in paths and "/3303/0/5700" not in paths


@pytest.mark.parametrize("fmt", ALL_FORMATS + ["text"])
def test_write_replace_and_read_back(device, cmd, fmt):
    r = cmd("write", path="/3303/0/5750", value=f"room-{fmt}", format=fmt)
    assert r["ok"] and r["code"] == "2.04", r
    w = device.wait(lambda e: e.get("event") == "write" and e.get("value") == f"room-{fmt}")
    assert w["path"] == "/3303/0/5750" and w["mode"] == "replace"
    assert content(cmd("read", path="/3303/0/5750")) == {"/3303/0/5750": f"room-{fmt}"}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_write_partial_update(device, cmd, fmt):
    r = cmd("write-partial", path="/3303/0", values={"/3303/0/5750": "partial"}, format=fmt)
    assert r["ok"], r
    assert device.wait(lambda e: e.get("event") == "write" and e.get("mode") == "update")
    assert content(cmd("read", path="/3303/0/5750"))["/3303/0/5750"] == "partial"


def test_write_wrong_type_is_refused_by_the_gateway(device, cmd):
    r = cmd("write", path="/3303/0/5700", value="warm")
    assert r["status"] == "error" and r["code"] == "4.00"


def test_write_attributes(device, cmd):
    r = cmd("write-attributes", path="/3303/0/5700", attributes={"pmin": 5, "pmax": 60,
                                                                  "gt": 30.5})
    assert r["ok"], r
    req = device.wait(lambda e: e.get("event") == "request" and e.get("method") == "PUT"
                      and "pmin=5" in (e.get("query") or ""))
    assert "gt=30.5" in req["query"]
    # validated before it leaves: lt must be below gt
    r = cmd("write-attributes", path="/3303/0/5700", attributes="lt=50&gt=10")
    assert r["status"] == "error" and r["code"] == "4.00"
    r = cmd("discover", path="/3303/0/5700")
    attrs = r["links"][0]
    assert attrs.get("pmin") == "5" and attrs.get("gt") == "30.5"


def test_execute_with_arguments(device, cmd):
    r = cmd("execute", path="/3303/0/5605")
    assert r["ok"] and r["code"] == "2.04"
    r = cmd("execute", path="/3/0/4", args="0='delay',1")
    assert r["ok"], r
    ev = device.wait(lambda e: e.get("event") == "execute" and e.get("path") == "/3/0/4")
    assert ev["args"] == "0='delay',1"
    r = cmd("execute", path="/3/0/4", args="0='unterminated")
    assert r["status"] == "error" and r["code"] == "4.00"


@pytest.mark.parametrize("fmt", ["tlv", "senml-cbor"])
def test_create_and_delete(device, cmd, fmt):
    r = cmd("create", path="/3303", values={"/3303/7/5750": "new sensor"}, format=fmt)
    assert r["ok"] and r["code"] == "2.01", r
    assert r.get("location", "").endswith("3303/7")
    assert content(cmd("read", path="/3303/7/5750")) == {"/3303/7/5750": "new sensor"}
    r = cmd("delete", path="/3303/7")
    assert r["ok"] and r["code"] == "2.02"
    assert cmd("read", path="/3303/7")["code"] == "4.04"


def test_create_with_instance_65535(device, cmd):
    r = cmd("create", path="/3303", values={"/3303/65535/5750": "any"}, format="lwm2m-cbor")
    assert r["ok"], json.dumps(r)
    assert r["location"].startswith("/3303/") or r["location"].startswith("3303/")


@pytest.mark.parametrize("fmt", ["senml-json", "senml-cbor", "lwm2m-cbor"])
def test_read_composite(device, cmd, fmt):
    r = cmd("read-composite", paths=["/3/0/0", "/3303/0/5700", "/3303/1"], format=fmt)
    assert r["ok"], r
    values = content(r)
    assert values["/3/0/0"] == "LMG Simulator" and values["/3303/0/5700"] == 21.5
    assert "/3303/1/5700" in values


@pytest.mark.parametrize("fmt", ["senml-json", "senml-cbor", "lwm2m-cbor"])
def test_write_composite(device, cmd, fmt):
    r = cmd("write-composite", values={"/3303/0/5750": "a", "/3303/1/5750": "b"}, format=fmt)
    assert r["ok"], r
    values = content(cmd("read-composite", paths=["/3303/0/5750", "/3303/1/5750"]))
    assert values == {"/3303/0/5750": "a", "/3303/1/5750": "b"}


def test_observe_notify_and_cancel(device, cmd, mq):
    r = cmd("observe", path="/3303/0/5700")
    assert r["ok"] and content(r)["/3303/0/5700"] == 21.5
    device.send(f"set {EP} /3303/0/5700 25.25")
    data = mq.wait_json(f"lwm2m/{EP}/data/3303/0/5700",
                        lambda j: j["source"] == "notify" and j["value"] == 25.25)
    assert data["type"] == "float"
    r = cmd("cancel-observe", path="/3303/0/5700")
    assert r["ok"], r
    assert device.wait(lambda e: e.get("event") == "cancel" and e.get("path") == "/3303/0/5700")
    assert cmd("cancel-observe", path="/3303/0/5700")["code"] == "4.04"


def test_confirmable_notifications(sim_factory, mq, cmd):
    """Notifications sent as CON are acknowledged and published, like NON ones."""
    sim = sim_factory(count=1, prefix="con-", args=["--con"])
    sim.wait(lambda e: e.get("event") == "registered")
    mq.wait_json("lwm2m/con-0/state")
    mq.publish("lwm2m/con-0/command", {"id": "o1", "op": "observe", "path": "/3303/0/5700"})
    mq.wait_json("lwm2m/con-0/response", lambda j: j["id"] == "o1" and j["ok"])
    sim.send("set con-0 /3303/0/5700 12.75")
    mq.wait_json("lwm2m/con-0/data/3303/0/5700",
                 lambda j: j["source"] == "notify" and j["value"] == 12.75)
    n = sim.wait(lambda e: e.get("event") == "notify" and e.get("path") == "/3303/0/5700")
    assert n["con"] is True
    assert not sim.find(lambda e: e.get("event") == "cancel")


def test_observe_composite(device, cmd, mq):
    r = cmd("observe-composite", paths=["/3303/0/5700", "/3303/1/5700"])
    assert r["ok"], r
    device.send(f"set {EP} /3303/1/5700 -3.5")
    mq.wait_json(f"lwm2m/{EP}/data/3303/1/5700",
                 lambda j: j["source"] == "notify" and j["value"] == -3.5)
    r = cmd("cancel-observe-composite", paths=["/3303/0/5700", "/3303/1/5700"])
    assert r["ok"], r


@pytest.mark.parametrize("fmt", ["senml-json", "senml-cbor", "lwm2m-cbor"])
def test_send(device, mq, fmt):
    device.send(f"set {EP} /3303/0/5700 30.5")
    device.send(f"send {EP} {fmt} /3303/0/5700 /3/0/9")
    data = mq.wait_json(f"lwm2m/{EP}/data/3303/0/5700",
                        lambda j: j["source"] == "send" and j["value"] == 30.5)
    assert data["name"] == "Sensor Value"
    mq.wait_json(f"lwm2m/{EP}/data/3/0/9", lambda j: j["source"] == "send")
    assert device.wait(lambda e: e.get("event") == "send_result")["code"] == "2.04"


def test_set_and_execute_shortcuts(device, mq):
    mq.publish(f"lwm2m/{EP}/set/3303/0/5750", "kitchen")
    assert device.wait(lambda e: e.get("event") == "write" and e.get("value") == "kitchen")
    mq.wait_json(f"lwm2m/{EP}/response", lambda j: j["op"] == "write" and j["ok"])
    mq.publish(f"lwm2m/{EP}/execute/3303/0/5605", "")
    assert device.wait(lambda e: e.get("event") == "execute" and e.get("path") == "/3303/0/5605")


def test_mqtt5_response_topic_and_correlation(device, mq):
    mq.subscribe("app/replies/#")
    corr = b"\x01corr-42"
    mq.publish(f"lwm2m/{EP}/command", {"id": "m5", "op": "read", "path": "/3/0/9"},
               response_topic="app/replies/1", correlation=corr)
    mq.wait("app/replies/1")
    payload, retained, got_corr = mq.all("app/replies/1")[0]
    assert json.loads(payload)["id"] == "m5" and got_corr == corr


def test_large_write_block1(workdir, broker, mq):
    """A 100 KB write to /5/0/0 arrives intact (Block1), a 64 KB read too (Block2)."""
    g = Gateway(workdir, broker.port, extra="bridge: { command_max_payload = 1048576; };")
    g.start()
    sim = Sim(g, count=1, prefix="big-", args=["--version", "1.2"])
    try:
        sim.wait(lambda e: e.get("event") == "registered")
        blob = bytes((i * 7 + 3) & 0xFF for i in range(100 * 1024))
        mq.publish("lwm2m/big-0/command", {"id": "fw", "op": "write", "path": "/5/0/0",
                                           "value": blob.hex(), "type": "opaque",
                                           "format": "tlv", "timeout": 120})
        try:
            r = mq.wait_json("lwm2m/big-0/response", lambda j: j["id"] == "fw", timeout=60)
        except AssertionError:
            log = [l for l in g.read_log().splitlines() if "coap:" not in l]
            raise AssertionError("no response; gateway log:\n" + "\n".join(log[-30:]) +
                                 "\nmessages: " + str([t for t, *_ in mq.messages]))
        assert r["ok"], r
        w = sim.wait(lambda e: e.get("event") == "write" and e.get("path") == "/5/0/0")
        assert w["bytes"] == len(blob) and w["sha256"] == hashlib.sha256(blob).hexdigest()
        # a 64 KB read comes back intact (Block2)
        sim.send("fill big-0 /3303/0/5750 65536")
        filled = sim.wait(lambda e: e.get("event") == "filled")
        mq.publish("lwm2m/big-0/command", {"id": "big", "op": "read", "path": "/3303/0/5750",
                                           "format": "text", "timeout": 120})
        r = mq.wait_json("lwm2m/big-0/response", lambda j: j["id"] == "big", timeout=120)
        value = r["content"][0]["value"].encode()
        assert len(value) == 65536
        assert hashlib.sha256(value).hexdigest() == filled["sha256"]
    finally:
        sim.stop()
        g.stop()


def test_unknown_endpoint_and_malformed_commands(device, mq, cmd):
    mq.publish("lwm2m/nobody/command", {"id": "x1", "op": "read", "path": "/3/0"})
    r = mq.wait_json("lwm2m/nobody/response", lambda j: j["id"] == "x1")
    assert r["status"] == "error" and r["code"] == "4.04"
    for payload, code in [("not json", "4.00"), ('{"id":"b","op":"fly"}', "4.00"),
                          ('{"id":"c","op":"read","path":"/3/zero"}', "4.00"),
                          ('{"id":"d","op":"write","path":"/3/0/9","value":"high"}', "4.00"),
                          ("[" + " " * 70000 + "]", "4.13")]:
        mq.publish(f"lwm2m/{EP}/command", payload)
        mq.wait_json(f"lwm2m/{EP}/response",
                     lambda j: j["status"] == "error" and j["code"] == code)
    # still serving
    assert cmd("read", path="/3/0/9")["ok"]
