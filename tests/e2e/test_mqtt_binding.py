"""The LwM2M 1.2 MQTT transport binding end to end: a device on the binding (binding_client.py)
under the prefix "site1" on the same broker as the bridge (root "lwm2m"), driven through the
bridge's MQTT commands exactly like a CoAP device."""
import cbor2
import pytest

from binding_client import (BindingDevice, CANCEL_OBSERVE, CT, DEPTH, EXECUTE, GT, LIFETIME,
                            NOTIFY, OBSERVE, OBSERVE_COMPOSITE, OPERATION, PATHS, PAYLOAD, PMAX,
                            PMIN, READ, READ_COMPOSITE, REGISTER, RESULT, SEND, TOKEN, URI,
                            VERSION, WRITE_ATTRIBUTES)
from conftest import BINDING, Gateway, wait_for


@pytest.fixture
def devices(broker):
    made = []

    def make(endpoint="mdev1", **kw):
        d = BindingDevice(broker.port, endpoint, **kw)
        made.append(d)
        return d
    yield make
    for d in made:
        d.close()


@pytest.fixture
def dev(gw, mq, devices):
    d = devices()
    assert d.register() == 201
    mq.wait_json("lwm2m/mdev1/state", lambda j: j["state"] == "registered")
    return d


class Commands:
    def __init__(self, mq, endpoint):
        self.mq, self.endpoint, self.n = mq, endpoint, 0

    def __call__(self, command, timeout=10.0):
        self.n += 1
        cid = f"c{self.n}"
        self.mq.publish(f"lwm2m/{self.endpoint}/command", dict(command, id=cid))
        return self.mq.wait_json(f"lwm2m/{self.endpoint}/response",
                                 lambda j: j["id"] == cid and j["status"] != "queued", timeout)


@pytest.fixture
def cmd(mq):
    return Commands(mq, "mdev1")


def content(response):
    return {c["path"]: c["value"] for c in response["content"]}


def test_register_update_deregister(gw, mq, devices):
    d = devices()
    assert d.register() == 201
    state = mq.wait_json("lwm2m/mdev1/state", lambda j: j["state"] == "registered")
    assert state["transport"] == "mqtt" and state["address"] == "mdev1"
    assert state["lwm2m"] == "1.2" and state["lifetime"] == 60 and state["binding"] == "M"
    assert [o["path"] for o in state["objects"]] == ["/1/0", "/3/0", "/3303/0"]
    mq.wait_json("lwm2m/mdev1/event", lambda j: j["event"] == "registered")

    assert d.update(lifetime=120) == 204
    mq.wait_json("lwm2m/mdev1/state", lambda j: j["lifetime"] == 120)
    assert d.update(objects="</1/0>,</3/0>,</3303/0>,</3303/1>") == 204
    mq.wait_json("lwm2m/mdev1/state", lambda j: len(j["objects"]) == 4)

    assert d.deregister() == 202
    mq.wait_json("lwm2m/mdev1/state", lambda j: j["state"] == "deregistered")
    assert d.update(lifetime=60) == 404  # the topic is the location: gone with the registration
    assert d.deregister() == 404


def test_read_like_the_spec_example(dev, cmd):
    r = cmd({"op": "read", "path": "/3/0/0"})
    assert r["ok"] and r["code"] == "2.05", r
    assert content(r) == {"/3/0/0": "Open Mobile Alliance"}
    read = dev.wait_request(lambda m: m.get(OPERATION) == READ)
    assert read[URI] == "/3/0/0" and isinstance(read[TOKEN], bytes) and len(read[TOKEN]) == 8

    r = cmd({"op": "read", "path": "/3303/0"})
    assert content(r) == {"/3303/0/5700": 21.5, "/3303/0/5701": "Cel"}
    r = cmd({"op": "read", "path": "/3303/7"})
    assert not r["ok"] and r["code"] == "4.04"


def test_write_execute_discover_create_delete(dev, cmd):
    r = cmd({"op": "write", "path": "/3303/0/5701", "value": "K"})
    assert r["ok"] and r["code"] == "2.04", r
    assert dev.store["/3303/0/5701"] == "K"
    r = cmd({"op": "write-partial", "path": "/3303/0", "values": {"/3303/0/5700": 30.25}})
    assert r["ok"], r
    assert dev.store["/3303/0/5700"] == 30.25

    r = cmd({"op": "execute", "path": "/3/0/4", "args": "0='now'"})
    assert r["ok"] and r["code"] == "2.04", r
    assert dev.executed == [("/3/0/4", "0='now'")]
    execute = dev.wait_request(lambda m: m.get(OPERATION) == EXECUTE)
    assert CT not in execute
    r = cmd({"op": "execute", "path": "/3/0/0"})
    assert r["code"] == "4.05"

    r = cmd({"op": "discover", "path": "/3/0", "depth": 1})
    assert r["ok"] and "/3/0/0" in [l["path"] for l in r["links"]], r
    assert dev.wait_request(lambda m: m.get(DEPTH) == 1)

    r = cmd({"op": "create", "path": "/3303", "values": {"/3303/1/5700": 5.5}})
    assert r["ok"] and r["code"] == "2.01", r
    assert r["location"] == "3303/1"
    assert dev.store["/3303/1/5700"] == 5.5
    r = cmd({"op": "delete", "path": "/3303/1"})
    assert r["ok"] and r["code"] == "2.02", r
    assert "/3303/1/5700" not in dev.store


def test_write_attributes(dev, cmd):
    r = cmd({"op": "write-attributes", "path": "/3303/0/5700",
             "attributes": "pmin=10&pmax=60&gt=25.5"})
    assert r["ok"] and r["code"] == "2.04", r
    assert dev.attributes["/3303/0/5700"] == {PMIN: 10, PMAX: 60, GT: 25.5}
    # lt has no key in the binding: the request is refused, never silently trimmed.
    r = cmd({"op": "write-attributes", "path": "/3303/0/5700", "attributes": "lt=5"})
    assert not r["ok"] and r["status"] == "failed", r
    assert sum(m.get(OPERATION) == WRITE_ATTRIBUTES for m in dev.requests) == 1


def test_observe_notify_cancel(dev, cmd, mq):
    r = cmd({"op": "observe", "path": "/3303/0/5700"})
    assert r["ok"] and content(r) == {"/3303/0/5700": 21.5}, r
    topic = "lwm2m/mdev1/data/3303/0/5700"
    dev.set("/3303/0/5700", 23.75)
    assert mq.wait_json(topic, lambda j: j["value"] == 23.75)["source"] == "notify"
    dev.set("/3303/0/5700", 24.0)
    mq.wait_json(topic, lambda j: j["value"] == 24.0)

    observe = dev.wait_request(lambda m: m.get(OPERATION) == OBSERVE)
    r = cmd({"op": "cancel-observe", "path": "/3303/0/5700"})
    assert r["ok"], r
    cancel = dev.wait_request(lambda m: m.get(OPERATION) == CANCEL_OBSERVE)
    assert cancel[TOKEN] == observe[TOKEN] and URI not in cancel
    assert not dev.observations


def test_observe_rule_follows_the_register_answer(workdir, broker, mq, devices):
    """Observations the gateway starts from inside Register reach the device after the 2.01."""
    rule = 'observe = ( { path = "/3303/0/5700"; attributes = "pmin=1&pmax=30"; } );'
    g = Gateway(workdir, broker.port, lwm2m_extra=BINDING, extra=rule)
    g.start()
    try:
        wait_for(lambda: "lwm2m.mqtt_binding: subscribed" in g.read_log(), what="binding")
        d = devices()
        assert d.register() == 201
        observe = d.wait_request(lambda m: m.get(OPERATION) == OBSERVE)
        assert observe[URI] == "/3303/0/5700" and observe[PMIN] == 1 and observe[PMAX] == 30
        assert [a[0] for a in d.arrivals[:2]] == ["answer", "request"], d.arrivals
        mq.wait_json("lwm2m/mdev1/data/3303/0/5700", lambda j: j["value"] == 21.5)
        d.set("/3303/0/5700", 22.5)
        mq.wait_json("lwm2m/mdev1/data/3303/0/5700", lambda j: j["value"] == 22.5)
    finally:
        g.stop()


def test_composite_operations(dev, cmd, mq):
    r = cmd({"op": "read-composite", "paths": ["/3/0/0", "/3303/0/5700"]})
    assert r["ok"] and content(r) == {"/3/0/0": "Open Mobile Alliance", "/3303/0/5700": 21.5}, r
    read = dev.wait_request(lambda m: m.get(OPERATION) == READ_COMPOSITE)
    assert read[PATHS] == ["/3/0/0", "/3303/0/5700"] and URI not in read

    r = cmd({"op": "write-composite",
             "values": {"/3303/0/5701": "F", "/3/0/1": "Model M"}})
    assert r["ok"] and r["code"] == "2.04", r
    assert dev.store["/3303/0/5701"] == "F" and dev.store["/3/0/1"] == "Model M"

    r = cmd({"op": "observe-composite", "paths": ["/3303/0/5700", "/3/0/9"]})
    assert r["ok"], r
    assert dev.wait_request(lambda m: m.get(OPERATION) == OBSERVE_COMPOSITE)[PATHS] == [
        "/3303/0/5700", "/3/0/9"]
    dev.set("/3/0/9", 42)
    mq.wait_json("lwm2m/mdev1/data/3/0/9", lambda j: j["value"] == 42)
    r = cmd({"op": "cancel-observe-composite", "paths": ["/3303/0/5700", "/3/0/9"]})
    assert r["ok"], r
    assert not dev.observations


def test_send_and_the_spec_send_example(dev, mq):
    assert dev.send({"/3303/0/5700": 19.5}) == 204
    j = mq.wait_json("lwm2m/mdev1/data/3303/0/5700", lambda j: j["value"] == 19.5)
    assert j["source"] == "send"
    # The TS's Send example carries operation 23 with a token no observation has.
    assert dev.send({"/3303/0/5700": 18.25}, operation=NOTIFY) == 204
    mq.wait_json("lwm2m/mdev1/data/3303/0/5700", lambda j: j["value"] == 18.25)


def test_garbage_is_dropped_and_the_gateway_keeps_serving(gw, dev, cmd):
    dev.publish_raw(b"\xff\x00 not cbor")
    dev.publish_raw(cbor2.dumps([1, 2, 3]))                                # not a map
    dev.publish({OPERATION: 99, TOKEN: 7})                                 # unknown operation
    dev.publish({RESULT: 205, TOKEN: b"\x01" * 8, PAYLOAD: b"x"})          # nobody's token
    dev.publish({RESULT: 205, TOKEN: 3})
    dev.publish({OPERATION: READ, TOKEN: 9, URI: "/3/0/0"})                # the server's op
    assert dev.request({OPERATION: REGISTER, VERSION: "1.2"})[RESULT] == 400  # no lifetime
    assert dev.request({OPERATION: 99})[RESULT] == 501
    assert dev.request({OPERATION: 0})[RESULT] == 400                    # bootstrap op on rd
    assert dev.request({OPERATION: REGISTER, LIFETIME: 60, VERSION: "1.9"})[RESULT] == 412
    assert dev.request({OPERATION: SEND, CT: 0, PAYLOAD: b"1"})[RESULT] == 415
    r = cmd({"op": "read", "path": "/3/0/0"})
    assert r["ok"] and content(r) == {"/3/0/0": "Open Mobile Alliance"}
    log = wait_for(lambda: (lambda t: t if "token the server does not know" in t else None)(
        gw.read_log()), what="drop lines")
    assert "malformed message" in log and "unknown operation 99" in log
    assert "operation 9 is the server's to send" in log
    # Our own requests and replies came back on the shared topic without a log line.
    assert "dropped: result 201" not in log and "dropped: operation 9 is" in log


def test_other_transport_registration_is_not_ours(gw, mq, devices):
    # A CoAP device of the same name cannot be updated or removed through its MQTT topic.
    code, _ = gw.coap("post", "/rd?ep=mdev1&lt=60&lwm2m=1.1&b=U", "</3/0>", content_format=40)
    assert code == "2.01"
    d = devices()
    assert d.update(lifetime=90) == 404
    assert d.deregister() == 404
    assert d.register() == 201  # a new Register takes over (the device changed transport)
    mq.wait_json("lwm2m/mdev1/state", lambda j: j.get("transport") == "mqtt")


def test_long_endpoint_names(gw, mq, devices):
    ep = "urn:dev:" + "x" * 100
    d = devices(ep)
    assert d.register() == 201
    state = mq.wait_json(f"lwm2m/{ep}/state", lambda j: j["state"] == "registered")
    assert state["address"].startswith("~") and state["transport"] == "mqtt"
    c = Commands(mq, ep)
    r = c({"op": "read", "path": "/3/0/2"})
    assert r["ok"] and content(r) == {"/3/0/2": "345000123"}, r


def test_restart_restores_mqtt_registrations(workdir, broker, mq, devices):
    g = Gateway(workdir, broker.port, lwm2m_extra=BINDING)
    g.start()
    try:
        wait_for(lambda: "lwm2m.mqtt_binding: subscribed" in g.read_log(), what="binding")
        d = devices()
        assert d.register() == 201
        mq.wait_json("lwm2m/mdev1/state", lambda j: j["state"] == "registered")
        assert g.stop() == 0
        g.start()
        wait_for(lambda: "1 registrations restored" in g.read_log(), what="restore")
        wait_for(lambda: g.read_log().count("mqtt: connected to") == 2 and
                 g.read_log().count("lwm2m.mqtt_binding: subscribed") == 2, what="reconnected")
        r = Commands(mq, "mdev1")({"op": "read", "path": "/3/0/0"})
        assert r["ok"] and content(r) == {"/3/0/0": "Open Mobile Alliance"}, r
        assert d.update(lifetime=100) == 204
    finally:
        g.stop()
