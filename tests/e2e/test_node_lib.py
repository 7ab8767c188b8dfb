"""Interoperability with a third-party LwM2M client: the npm package lwm2m-node-lib (Telefonica),
driven by tests/interop/node_client.js. It registers with the real gateway, is read, written and
observed through MQTT commands, and deregisters.

lwm2m-node-lib speaks LwM2M 1.0 in plain text only: it answers every read with the bare value and
no Content-Format option, stores a written payload as its text, and reads single resources only
(an instance read is 4.04). Its CoAP stack (node-coap 0.22) silently drops any request whose
Accept or Content-Format it does not know, which is every LwM2M format (TLV 11542, SenML, ...):
no 4.06/4.15 comes back, so the gateway's automatic format choice for a 1.0 device (TLV) ends in a
timeout. The commands therefore say "format": "text" (no Accept on reads, Content-Format 0 on the
write). The npm packages are installed on first use (`npm ci` in tests/interop: needs node and npm,
Debian's nodejs and npm packages, and the npm registry)."""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import JsonLinePeer

INTEROP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "interop"))
CLIENT = os.path.join(INTEROP, "node_client.js")
EP = "node-lib-0"


def npm_install():
    """Installs tests/interop/node_modules once: skipped when the library is there, serialised
    by a lock so that concurrent test runs do not install over each other."""
    marker = os.path.join(INTEROP, "node_modules", "lwm2m-node-lib", "package.json")

    def installed():
        with open(os.path.join(INTEROP, "package.json")) as f:
            wanted = json.load(f)["dependencies"]["lwm2m-node-lib"]
        try:
            with open(marker) as f:
                return json.load(f)["version"] == wanted
        except (OSError, ValueError, KeyError):
            return False

    if installed():
        return
    npm = shutil.which("npm")
    if not shutil.which("node") or not npm:
        pytest.fail("node and npm are needed for the lwm2m-node-lib interop test "
                    "(Debian: apt-get install nodejs npm; packaging/install-deps.sh --test)")
    lock_path = os.path.join(tempfile.gettempdir(),
                             f"lmg-npm-{hashlib.sha1(INTEROP.encode()).hexdigest()[:12]}.lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        cmd = [npm, "ci", "--no-audit", "--no-fund"]
        out = subprocess.run(cmd, cwd=INTEROP, capture_output=True, text=True, timeout=600)
        if out.returncode != 0 or not installed():
            pytest.fail(f"`{' '.join(cmd)}` in {INTEROP} failed ({out.returncode}); the npm "
                        f"registry must be reachable:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


class NodeClient(JsonLinePeer):
    """node_client.js (lwm2m-node-lib), its log kept for failure messages."""

    what = "node client event"

    def __init__(self, gateway, endpoint=EP):
        self.stderr_path = os.path.join(gateway.workdir, "node-client.log")
        self.stderr = open(self.stderr_path, "w")
        env = dict(os.environ, LOG_LEVEL=os.environ.get("NODE_CLIENT_LOG_LEVEL", "DEBUG"))
        self.start(["node", CLIENT, "--host", "127.0.0.1", "--port", str(gateway.coap_port),
                    "--endpoint", endpoint, "--lifetime", "300"],
                   stderr=self.stderr, cwd=INTEROP, env=env)

    def wait(self, predicate, timeout=10.0, what=None):
        try:
            return super().wait(predicate, timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}; events so far: {self.events}; exit: {self.proc.poll()}"
                                 f"\n--- node client log ---\n{self.log_tail()}") from None

    def log_tail(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()[-4000:]

    def stop(self):
        super().stop()
        self.stderr.close()


@pytest.fixture(scope="module")
def node_modules():
    npm_install()


@pytest.fixture
def node(node_modules, gateway, mq):
    c = NodeClient(gateway)
    yield c
    c.stop()


class Commander:
    def __init__(self, mq):
        self.mq = mq
        self.n = 0

    def __call__(self, op, timeout=15, **fields):
        self.n += 1
        cid = f"n{self.n}-{time.monotonic_ns()}"
        self.mq.publish(f"lwm2m/{EP}/command", {"id": cid, "op": op, **fields})
        return self.mq.wait_json(f"lwm2m/{EP}/response",
                                 lambda j: j["id"] == cid and j["status"] != "queued",
                                 timeout=timeout)


def content(resp):
    return {n["path"]: n["value"] for n in resp.get("content", [])}


def test_register_read_write_observe_deregister(node, gateway, mq):
    diag = lambda: f"\n--- gateway log ---\n{gateway.read_log()[-6000:]}"  # noqa: E731
    cmd = Commander(mq)

    # Register
    reg = node.wait(lambda e: e.get("event") in ("registered", "error"), what="registration")
    assert reg["event"] == "registered", f"{reg}{diag()}"
    state = mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "registered")
    assert state["lwm2m"] == "1.0", state
    assert {"/3/0", "/3303/0"} <= {o["path"] for o in state["objects"]}, state
    assert state["location"] == reg["location"].lstrip("/"), (state, reg)
    mq.wait_json(f"lwm2m/{EP}/event", lambda j: j["event"] == "registered")

    # Read: a string and a float resource
    r = cmd("read", path="/3/0/0")  # no format: the gateway picks plain text by itself
    assert r["ok"] and r["code"] == "2.05", f"{r}{diag()}"
    assert content(r) == {"/3/0/0": "lwm2m-node-lib"}, r
    node.wait(lambda e: e.get("event") == "read" and e.get("path") == "/3/0/0")
    r = cmd("read", path="/3303/0/5700", format="text")
    assert r["ok"] and r["code"] == "2.05", f"{r}{diag()}"
    assert content(r) == {"/3303/0/5700": 21.5}, r
    data = mq.wait_json(f"lwm2m/{EP}/data/3303/0/5700", lambda j: j["source"] == "read")
    assert data["value"] == 21.5 and data["type"] == "float", data
    r = cmd("read", path="/3/0/2", format="text")  # no such resource on the client
    assert not r["ok"] and r["code"] == "4.04", r

    # Write and read back
    r = cmd("write", path="/3303/0/5750", value="kitchen", format="text")
    assert r["ok"] and r["code"] == "2.04", f"{r}{diag()}"
    w = node.wait(lambda e: e.get("event") == "write", what="write on the client")
    assert w == {"event": "write", "path": "/3303/0/5750", "value": "kitchen"}, w
    r = cmd("read", path="/3303/0/5750", format="text")
    assert r["ok"] and content(r) == {"/3303/0/5750": "kitchen"}, f"{r}{diag()}"

    # Observe: the current value, then a notification each time the client's value changes
    r = cmd("observe", path="/3303/0/5700", format="text")
    assert r["ok"] and r["code"] == "2.05", f"{r}{diag()}"
    assert content(r) == {"/3303/0/5700": 21.5}, r
    node.wait(lambda e: e.get("event") == "observe" and e.get("path") == "/3303/0/5700",
              what="observation on the client")
    for value in (23.5, -4.25):
        node.send(f"set /3303/0/5700 {value}")
        data = mq.wait_json(f"lwm2m/{EP}/data/3303/0/5700",
                            lambda j: j["source"] == "notify" and j["value"] == value)
        assert data["type"] == "float", data

    # Deregister
    node.send("deregister")
    ev = node.wait(lambda e: e.get("event") in ("deregistered", "error"), what="deregistration")
    assert ev["event"] == "deregistered", f"{ev}{diag()}"
    mq.wait_json(f"lwm2m/{EP}/state", lambda j: j["state"] == "deregistered")
    mq.wait_json(f"lwm2m/{EP}/event", lambda j: j["event"] == "deregistered")
    r = cmd("read", path="/3/0/0", format="text")
    assert r["status"] == "error" and r["error"] == "unknown endpoint", r
