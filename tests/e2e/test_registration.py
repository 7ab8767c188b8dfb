"""Registration interface over CoAP with libcoap's coap-client, seen from MQTT."""
import re
import signal

import pytest

from conftest import MqttClient

LINKS = "</1/0>,</3/0>,</3303/0>"


def register(gw, query="ep=dev1&lt=60&lwm2m=1.1&b=U", payload=LINKS):
    code, line = gw.coap("post", f"/rd?{query}", payload, content_format=40)
    return code, line


def test_register_update_deregister(gateway, mq):
    code, line = register(gateway)
    assert code == "2.01", line
    loc = re.findall(r"Location-Path:([^ ,\]]+)", line)
    assert loc[0] == "rd" and len(loc[1]) == 16, line
    state = mq.wait_json("lwm2m/dev1/state", lambda j: j["state"] == "registered")
    assert state["lwm2m"] == "1.1" and state["lifetime"] == 60 and not state["queue_mode"]
    # retained: a subscriber that comes later still gets the state
    late = MqttClient(gateway.broker_port)
    late.subscribe("lwm2m/dev1/state")
    late.wait_json("lwm2m/dev1/state", lambda j: j["state"] == "registered")
    assert all(retained for _, retained, _ in late.all("lwm2m/dev1/state"))
    late.close()
    assert [o["path"] for o in state["objects"]] == ["/1/0", "/3/0", "/3303/0"]
    assert state["location"] == "rd/" + loc[1]
    mq.wait_json("lwm2m/dev1/event", lambda j: j["event"] == "registered")

    code, line = gateway.coap("post", f"/rd/{loc[1]}?lt=120")
    assert code == "2.04", line
    mq.wait_json("lwm2m/dev1/state", lambda j: j["lifetime"] == 120)

    code, line = gateway.coap("delete", f"/rd/{loc[1]}")
    assert code == "2.02", line
    mq.wait_json("lwm2m/dev1/state", lambda j: j["state"] == "deregistered")
    code, line = gateway.coap("post", f"/rd/{loc[1]}?lt=120")
    assert code == "4.04", line


@pytest.mark.parametrize("query,payload,expected", [
    ("ep=dev1&lt=60&lwm2m=1.3", LINKS, "4.12"),       # unsupported version
    ("ep=dev1&lt=60&lwm2m=2.0", LINKS, "4.12"),
    ("lt=60&lwm2m=1.1", LINKS, "4.00"),               # no endpoint
    ("ep=dev1&lt=abc", LINKS, "4.00"),                # bad lifetime
    ("ep=dev1&lt=60&b=X", LINKS, "4.00"),             # bad binding
    ("ep=dev1&lt=60", "</1/0", "4.00"),               # broken link-format
    ("ep=dev1&lt=60", "</3/0></3/1>", "4.00"),        # missing comma
    ("ep=dev1&lt=60&lwm2m=1.1&Q=1", LINKS, "4.00"),   # Q takes no value
])
def test_malformed_registrations(gateway, query, payload, expected):
    code, line = register(gateway, query, payload)
    assert code == expected, line


def test_unknown_locations(gateway):
    assert gateway.coap("post", "/rd/0123456789abcdef?lt=60")[0] == "4.04"
    assert gateway.coap("delete", "/rd/0123456789abcdef")[0] == "4.04"
    assert gateway.coap("get", "/rd")[0] == "4.05"
    assert gateway.coap("get", "/nothing/here")[0] == "4.04"


def test_reregistration_replaces(gateway, mq):
    code1, line1 = register(gateway)
    code2, line2 = register(gateway)
    assert code1 == code2 == "2.01"
    old = re.findall(r"Location-Path:([^ ,\]]+)", line1)[1]
    new = re.findall(r"Location-Path:([^ ,\]]+)", line2)[1]
    assert old != new
    assert gateway.coap("post", f"/rd/{old}?lt=60")[0] == "4.04"
    assert gateway.coap("post", f"/rd/{new}?lt=60")[0] == "2.04"
    mq.wait_json("lwm2m/dev1/event", lambda j: j["event"] == "registered" and j["replaced"])


def test_lifetime_expiry(gateway, mq):
    code, _ = register(gateway, "ep=short&lt=1&lwm2m=1.1")
    assert code == "2.01"
    mq.wait_json("lwm2m/short/state", lambda j: j["state"] == "expired", timeout=5)
    mq.wait_json("lwm2m/short/event", lambda j: j["event"] == "expired")


def test_endpoint_names_are_escaped(gateway, mq):
    code, _ = register(gateway, "ep=a%2Fb%2B%23&lt=60")  # "a/b+#"
    assert code == "2.01"
    state = mq.wait_json("lwm2m/a%2Fb%2B%23/state")
    assert state["endpoint"] == "a/b+#"


def test_sigkill_publishes_offline_will(gateway, mq):
    gateway.kill()
    mq.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "offline",
                 timeout=60)


def test_sigterm_is_graceful(gateway, mq):
    gateway.signal(signal.SIGTERM)
    assert gateway.proc.wait(10) == 0
    status = mq.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "offline")
    assert "stats" in status  # the graceful path, not the Last Will
