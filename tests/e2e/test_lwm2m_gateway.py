"""LwM2M Gateway end devices (objects 25/26, LwM2M 1.2) end to end: a simulated LwM2M gateway
device on the MQTT transport binding with three end devices behind it ("dev-a"/"d01",
"dev-b"/"d02", "dev-c"/"d03"). Each end device appears on MQTT with its own state and data
topics; a command to an end device reaches the gateway device with the prefix in front of the
path; a Send with prefixed names lands on the end device's data topic; an Update that drops a
/25 instance removes that end device."""
import json

import pytest

from binding_client import (BindingDevice, CT, OPERATION, PAYLOAD, READ, RESULT, URI,
                            CF_SENML_CBOR, covers, senml_encode)
from conftest import MqttClient, wait_for

CF_SENML_JSON = 110
GW_EP = "lgw1"
END_DEVICES = [("dev-a", "d01"), ("dev-b", "d02"), ("dev-c", "d03")]


class GatewayDevice(BindingDevice):
    """A BindingDevice that is also an LwM2M Gateway: /25 lists its end devices (Device ID,
    Prefix, IoT Device Objects) and requests under /{prefix}/... are served from the matching
    end device's store, answered with prefixed SenML names."""

    def __init__(self, port, endpoint, end_devices):
        self.end_devices = list(end_devices)  # [(device id, prefix)], /25 instance = index
        self.end_stores = {prefix: {"/3303/0/5700": 20.0 + i * 1.25, "/3303/0/5701": "Cel"}
                           for i, (_, prefix) in enumerate(self.end_devices)}
        super().__init__(port, endpoint, objects=self.links())

    def links(self):
        own = "</1/0>,</3/0>,</3303/0>"
        return own + "".join(f",</25/{i}>" for i in range(len(self.end_devices)))

    def gateway_object(self):
        """/25 as SenML JSON (110), one base name per instance, like the Gateway TS example."""
        records = []
        for i, (device_id, prefix) in enumerate(self.end_devices):
            records += [{"bn": f"/25/{i}/", "n": "0", "vs": device_id},
                        {"n": "1", "vs": prefix},
                        {"n": "3", "vs": "</3303/0>"}]
        return json.dumps(records).encode()

    def _serve(self, m):
        op, uri = m.get(OPERATION), m.get(URI, "")
        if op == READ and uri in ("/25", "/25/"):
            return {RESULT: 205, CT: CF_SENML_JSON, PAYLOAD: self.gateway_object()}
        parts = uri.split("/")
        if len(parts) > 1 and parts[1] in self.end_stores:
            prefix = parts[1]
            store = self.end_stores[prefix]
            inner = "/" + "/".join(parts[2:])
            if op != READ:
                return {RESULT: 501}
            values = {f"/{prefix}{p}": v for p, v in store.items() if covers(inner, p)}
            if not values:
                return {RESULT: 404}
            return {RESULT: 205, CT: CF_SENML_CBOR, PAYLOAD: senml_encode(values)}
        return super()._serve(m)


@pytest.fixture
def gwdev(gw, broker, mq):
    d = GatewayDevice(broker.port, GW_EP, END_DEVICES)
    yield d
    d.close()


def reads_of(dev, uri):
    with dev.cond:
        return [r for r in dev.requests if r.get(OPERATION) == READ and r.get(URI) == uri]


def test_gateway_end_devices_over_mqtt(gw, gwdev, mq):
    assert gwdev.register() == 201
    mq.wait_json(f"lwm2m/{GW_EP}/state", lambda j: j["state"] == "registered")
    gwdev.wait_request(lambda r: r.get(OPERATION) == READ and r.get(URI) == "/25")

    # Every end device: its own retained state, naming the gateway and its prefix.
    for device_id, prefix in END_DEVICES:
        state = mq.wait_json(f"lwm2m/{device_id}/state", lambda j: j["state"] == "registered")
        assert state["lwm2m_gateway"] == GW_EP and state["prefix"] == prefix, state
        assert [o["path"] for o in state["objects"]] == ["/3303/0"], state
    # The states are retained: a subscriber that comes later gets them with the retain flag.
    late = MqttClient(gw.broker_port)
    try:
        late.subscribe("lwm2m/+/state")
        for device_id, prefix in END_DEVICES:
            j = late.wait_json(f"lwm2m/{device_id}/state", lambda j: j["state"] == "registered")
            assert j["lwm2m_gateway"] == GW_EP and j["prefix"] == prefix
            assert all(r for _, r, _ in late.all(f"lwm2m/{device_id}/state"))
    finally:
        late.close()

    # A read command to dev-b reaches the gateway device as /d02/3303/0/5700.
    mq.publish("lwm2m/dev-b/command", {"op": "read", "path": "/3303/0/5700", "id": "r1"})
    r = mq.wait_json("lwm2m/dev-b/response",
                     lambda j: j["id"] == "r1" and j["status"] != "queued")
    assert gwdev.wait_request(lambda m: m.get(URI) == "/d02/3303/0/5700")[OPERATION] == READ
    assert r["ok"] and r["code"] == "2.05", r
    assert [(c["path"], c["value"]) for c in r["content"]] == [("/3303/0/5700", 21.25)], r

    # A Send with a prefixed record arrives on dev-c's data topic; the unprefixed record in the
    # same Send is the gateway device's own.
    assert gwdev.send({"/d03/3303/0/5700": 31.5, "/3303/0/5700": 18.0}) == 204
    j = mq.wait_json("lwm2m/dev-c/data/3303/0/5700", lambda j: j["value"] == 31.5)
    assert j["source"] == "send", j
    mq.wait_json(f"lwm2m/{GW_EP}/data/3303/0/5700", lambda j: j["value"] == 18.0)
    assert [json.loads(p)["value"] for p, _, _ in mq.all("lwm2m/dev-c/data/3303/0/5700")] == [31.5]
    assert not mq.all(f"lwm2m/{GW_EP}/data/d03/3303/0/5700")

    # An Update without /25/2 (and /25 answering two instances): dev-c is gone, a and b stay.
    reads_before = len(reads_of(gwdev, "/25"))
    gwdev.end_devices = END_DEVICES[:2]
    assert gwdev.update(objects=gwdev.links()) == 204
    wait_for(lambda: len(reads_of(gwdev, "/25")) > reads_before, what="re-read of /25")
    mq.wait_json("lwm2m/dev-c/state", lambda j: j["state"] == "deregistered")
    mq.wait_json("lwm2m/dev-c/event",
                 lambda j: j["event"] == "deregistered" and j["reason"] == "removed")
    for device_id, _ in END_DEVICES[:2]:
        states = [json.loads(p)["state"] for p, _, _ in mq.all(f"lwm2m/{device_id}/state")]
        assert "deregistered" not in states, (device_id, states)
    mq.publish("lwm2m/dev-a/command", {"op": "read", "path": "/3303/0/5700", "id": "r2"})
    r = mq.wait_json("lwm2m/dev-a/response",
                     lambda j: j["id"] == "r2" and j["status"] != "queued")
    assert r["ok"] and [c["value"] for c in r["content"]] == [20.0], r
