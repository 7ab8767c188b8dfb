"""Bootstrap: a simulated device that knows only the bootstrap server (plain CoAP, a minimal
CoAP client written here with the standard library) sends Bootstrap-Request, answers the
gateway's Bootstrap-Discover (not implemented: 4.05), -Delete, -Write (/0 Security, /1 Server,
TLV) and -Finish, then registers over DTLS (coap-client-gnutls) with the PSK it was given. The
same PSK for another endpoint gets 4.03; an endpoint outside lwm2m.bootstrap.endpoints gets 4.03
at Bootstrap-Request; the generated key survives a restart (state_dir/bootstrap-psk).

Over DTLS (tests/peers/lwm2m-dtls-device, libcoap's client API): a device with only a bootstrap
PSK (lwm2m.bootstrap.psk_file) bootstraps, its Bootstrap-Discover answer decides the Security
instance written, it registers with the provisioned PSK and answers a read from MQTT; after a
NAT rebinding (a new DTLS session from a new port and an Update on it) the next read reaches it
on the new session. Bootstrap credentials cannot register, nor bootstrap another endpoint."""
import json
import os
import random
import shutil
import socket
import struct
import subprocess

import pytest

from conftest import BUILD, Gateway, JsonLinePeer, free_port
from test_dtls import CLIENT, LINKS, dtls, psk

pytestmark = pytest.mark.skipif(shutil.which(CLIENT) is None, reason=f"needs {CLIENT}")

CON, NON, ACK, RST = 0, 1, 2, 3
URI_PATH, CONTENT_FORMAT, URI_QUERY = 11, 12, 15
METHODS = {1: "GET", 2: "POST", 3: "PUT", 4: "DELETE"}


def encode(mtype, code, mid, token, options, payload=b""):
    out = bytearray([0x40 | mtype << 4 | len(token), code]) + struct.pack("!H", mid) + token
    last = 0
    for number, value in sorted(options, key=lambda o: o[0]):
        delta, length = number - last, len(value)
        last = number

        def nib(n):
            return (n, b"") if n < 13 else (13, bytes([n - 13])) if n < 269 else \
                (14, struct.pack("!H", n - 269))
        d, dx = nib(delta)
        ln, lx = nib(length)
        out += bytes([d << 4 | ln]) + dx + lx + value
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def decode(data):
    mtype, tkl = data[0] >> 4 & 3, data[0] & 15
    code, mid = data[1], struct.unpack("!H", data[2:4])[0]
    token, pos, number, options = data[4:4 + tkl], 4 + tkl, 0, []
    while pos < len(data) and data[pos] != 0xFF:
        d, ln = data[pos] >> 4, data[pos] & 15
        pos += 1
        ext = []
        for n in (d, ln):
            if n == 13:
                ext.append(data[pos] + 13)
                pos += 1
            elif n == 14:
                ext.append(struct.unpack("!H", data[pos:pos + 2])[0] + 269)
                pos += 2
            else:
                ext.append(n)
        number += ext[0]
        options.append((number, data[pos:pos + ext[1]]))
        pos += ext[1]
    payload = data[pos + 1:] if pos < len(data) else b""
    return mtype, code, mid, token, options, payload


def tlv_resources(data):
    """Resource-with-value TLV records -> {id: bytes} (LwM2M Core 7.4.3)."""
    res, pos = {}, 0
    while pos < len(data):
        t = data[pos]
        pos += 1
        id_len = 2 if t & 0x20 else 1
        rid = int.from_bytes(data[pos:pos + id_len], "big")
        pos += id_len
        ltype = t >> 3 & 3
        if ltype == 0:
            length = t & 7
        else:
            length = int.from_bytes(data[pos:pos + ltype], "big")
            pos += ltype
        assert t >> 6 == 3, "expected resources with value"
        res[rid] = data[pos:pos + length]
        pos += length
    return res


def bootstrap(port, endpoint, timeout=10, discover=None):
    """Runs a client's side of bootstrap; returns (request code, [(method, path, cf, payload)]).
    discover: the link-format answer to Bootstrap-Discover (None: 4.05, as a 1.0 device)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    mid, token = random.randrange(65536), os.urandom(4)
    s.sendto(encode(CON, 0x02, mid, token, [(URI_PATH, b"bs"),
                                           (URI_QUERY, f"ep={endpoint}".encode())]),
             ("127.0.0.1", port))
    code, received = None, []
    try:
        while True:
            data, addr = s.recvfrom(2048)
            mtype, c, m, tok, opts, payload = decode(data)
            if mtype in (ACK, RST) or (c >= 0x40 and tok == token):  # our request's answer
                if c:
                    code = f"{c >> 5}.{c & 31:02d}"
                if code and code != "2.04":
                    return code, received
                continue
            path = "/" + "/".join(v.decode() for n, v in opts if n == URI_PATH)
            cf = next((int.from_bytes(v, "big") for n, v in opts if n == CONTENT_FORMAT), None)
            method = METHODS[c]
            received.append((method, path, cf, payload))
            if method == "GET" and discover is not None:
                s.sendto(encode(ACK, 0x45, m, tok, [(CONTENT_FORMAT, b"\x28")],
                                discover.encode()), addr)
                continue
            answer = {"DELETE": 0x42, "PUT": 0x44, "POST": 0x44}.get(method, 0x85)
            s.sendto(encode(ACK, answer, m, tok, []), addr)
            if method == "POST" and path == "/bs":
                return code, received
    finally:
        s.close()


def start(workdir, broker, extra="", nosec="bs-dev-*", bootstrap_extra=""):
    port = free_port(socket.SOCK_DGRAM)
    g = Gateway(workdir, broker.port,
                lwm2m_extra=f'nosec = "{nosec}"; dtls = {{ enabled = true; '
                            f'listen = ["127.0.0.1:{port}"]; }}; '
                            f'bootstrap = {{ enabled = true; endpoints = "bs-dev-*"; '
                            f'server_uri = "coaps://127.0.0.1:{port}"; lifetime = 120; '
                            f'{bootstrap_extra} }}; '
                            f'{extra}')
    g.dtls_port = port
    return g.start()


def test_bootstrap_then_register_over_dtls(workdir, broker, mq):
    g = start(workdir, broker)
    try:
        code, msgs = bootstrap(g.coap_port, "bs-dev-1")
        assert code == "2.04", (code, g.read_log())
        assert [(m, p) for m, p, _, _ in msgs] == [
            ("GET", "/0"), ("DELETE", "/0"), ("DELETE", "/1"), ("PUT", "/0/1"), ("PUT", "/1/0"),
            ("POST", "/bs")]
        msgs = msgs[1:]  # the Discover got 4.05 (a 1.0 device): the default instance /0/1
        sec = tlv_resources(msgs[2][3])
        srv = tlv_resources(msgs[3][3])
        assert msgs[2][2] == msgs[3][2] == 11542  # TLV
        assert sec[0].decode() == f"coaps://127.0.0.1:{g.dtls_port}"
        assert sec[1] == b"\x00" and sec[2] == b"\x00"  # not a bootstrap server; PSK mode
        identity, key = sec[3].decode(), sec[5]
        assert identity == "bs-dev-1" and len(key) == 32
        assert int.from_bytes(sec[10], "big") == int.from_bytes(srv[0], "big") == 1
        assert int.from_bytes(srv[1], "big") == 120 and srv[7] == b"U"

        # registers over DTLS with what it received
        code, out = dtls(g.dtls_port, "/rd?ep=bs-dev-1&lt=120&b=U", psk(identity, key.decode()))
        assert code == "2.01", out
        state = mq.wait_json("lwm2m/bs-dev-1/state", lambda j: j["state"] == "registered")
        assert state["transport"] == "coaps"

        # the PSK is bound to its endpoint; a wrong key fails the handshake
        code, out = dtls(g.dtls_port, "/rd?ep=bs-dev-2&lt=120&b=U", psk(identity, key.decode()))
        assert code == "4.03", out
        assert dtls(g.dtls_port, "/rd?ep=bs-dev-1&lt=120", psk(identity, "0" * 32))[0] is None
        # without DTLS the endpoint may not register any more
        assert g.coap("post", "/rd?ep=bs-dev-1&lt=60&b=U", LINKS, 40)[0] == "4.03"
        # endpoints outside lwm2m.bootstrap.endpoints are refused
        assert bootstrap(g.coap_port, "other-dev")[0] == "4.03"

        # the key is kept in state_dir and loaded after a restart
        path = os.path.join(g.state_dir, "bootstrap-psk")
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        assert g.stop() == 0
        g.start()
        code, out = dtls(g.dtls_port, "/rd?ep=bs-dev-1&lt=120&b=U", psk(identity, key.decode()))
        assert code == "2.01", out

        # bootstrapping again replaces the key: the old one stops working
        code, msgs = bootstrap(g.coap_port, "bs-dev-1")
        assert code == "2.04"
        new_key = tlv_resources(msgs[3][3])[5]
        assert new_key != key
        with open(path) as f:
            assert sum(1 for line in f if line.startswith("bs-dev-1 ")) == 1
        assert dtls(g.dtls_port, "/rd?ep=bs-dev-1&lt=120", psk(identity, key.decode()))[0] \
            is None
        assert dtls(g.dtls_port, "/rd?ep=bs-dev-1&lt=120&b=U",
                    psk(identity, new_key.decode()))[0] == "2.01"
    finally:
        g.stop()


def test_per_endpoint_accounts_and_discover(workdir, broker, mq):
    """lwm2m.bootstrap.accounts: the first account whose endpoints match gives the server URI,
    lifetime, Short Server ID and binding; the rest come from the lwm2m.bootstrap group. The
    Bootstrap-Discover answer (the bootstrap account is /0/1 here) moves the server account
    to /0/0."""
    g = start(workdir, broker, nosec="bs-*", bootstrap_extra=(
        'binding = "UQ"; accounts = ( { endpoints = "bs-meter-*"; lifetime = 86400; '
        'short_server_id = 9; binding = "U"; }, { endpoints = "bs-light-*"; } );'))
    try:
        links = '</>;lwm2m=1.1,</0/1>;uri="coap://bs",</1>,</3/0>'
        code, msgs = bootstrap(g.coap_port, "bs-meter-1", discover=links)
        assert code == "2.04", (code, g.read_log())
        assert [(m, p) for m, p, _, _ in msgs] == [
            ("GET", "/0"), ("DELETE", "/0"), ("DELETE", "/1"), ("PUT", "/0/0"), ("PUT", "/1/0"),
            ("POST", "/bs")]
        sec, srv = tlv_resources(msgs[3][3]), tlv_resources(msgs[4][3])
        assert sec[0].decode() == f"coaps://127.0.0.1:{g.dtls_port}"  # the group's
        assert int.from_bytes(sec[10], "big") == int.from_bytes(srv[0], "big") == 9
        assert int.from_bytes(srv[1], "big") == 86400 and srv[7] == b"U"

        # an account may match endpoints outside lwm2m.bootstrap.endpoints; unset = the group's
        code, msgs = bootstrap(g.coap_port, "bs-light-1")
        assert code == "2.04"
        srv = tlv_resources(msgs[4][3])
        assert int.from_bytes(srv[1], "big") == 120 and srv[7] == b"UQ"
        assert int.from_bytes(srv[0], "big") == 1
        # matching neither: refused
        assert bootstrap(g.coap_port, "bs-other-1")[0] == "4.03"
    finally:
        g.stop()


def test_bootstrap_config_checks(workdir):
    conf = os.path.join(workdir, "bad.conf")
    with open(conf, "w") as f:
        f.write('lwm2m: { bootstrap = { enabled = true; server_uri = "coap://x:1"; }; };\n')
    from conftest import GATEWAY
    out = subprocess.run([GATEWAY, "-c", conf, "--check-config"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "enable lwm2m.dtls" in out.stderr + out.stdout
    assert "coaps://" in out.stderr + out.stdout


DEVICE = os.path.join(BUILD, "tests", "peers", "lwm2m-dtls-device")
BS_KEY = "bootstrap-key-01"


class DtlsDevice(JsonLinePeer):
    what = "dtls device event"

    def __init__(self, *args):
        self.start([DEVICE, *args])


def test_bootstrap_over_dtls_then_nat_rebinding(workdir, broker, mq):
    with open(os.path.join(workdir, "bs-psk.txt"), "w") as f:
        f.write(f"bs-dev-7 bs-id-7 {BS_KEY.encode().hex()}\n"
                f"bs-dev-8 bs-id-8 {BS_KEY.encode().hex()}\n")
    g = start(workdir, broker, nosec="", bootstrap_extra='psk_file = "bs-psk.txt";')
    bs_uri = f"coaps://127.0.0.1:{g.dtls_port}"
    devices = []
    try:
        # a device with a bootstrap credential may not bootstrap without DTLS ...
        assert bootstrap(g.coap_port, "bs-dev-7")[0] == "4.03"
        # ... nor with another endpoint's bootstrap credential (a security event)
        d = DtlsDevice("--ep", "bs-dev-7", "--bootstrap", bs_uri, "--bs-identity", "bs-id-8",
                       "--bs-key", BS_KEY)
        devices.append(d)
        d.wait(lambda e: e["event"] == "bootstrap-request" and e["code"] == "4.03")
        ev = mq.wait_json("lwm2m/bs-dev-7/event",
                          lambda j: j["event"] == "security" and j["credential"] == "psk")
        assert "bound to endpoint 'bs-dev-8'" in ev["reason"], ev
        # a bootstrap credential cannot register
        code, out = dtls(g.dtls_port, "/rd?ep=bs-dev-7&lt=60&b=U", psk("bs-id-7", BS_KEY))
        assert code == "4.03", out

        # the real thing: its bootstrap account is Security /0/0, so the server account
        # goes to /0/1; it bootstraps over DTLS and registers with what it was given
        d = DtlsDevice("--ep", "bs-dev-7", "--bootstrap", bs_uri, "--bs-identity", "bs-id-7",
                       "--bs-key", BS_KEY, "--bs-instance", "0")
        devices.append(d)
        reg = d.wait(lambda e: e["event"] in ("registered", "register-failed",
                                              "bootstrap-failed"), timeout=20)
        assert reg["event"] == "registered", (d.events, g.read_log()[-3000:])
        requests = [(e["method"], e["path"]) for e in d.find(lambda e: e["event"] == "request")]
        assert requests == [("GET", "/0"), ("DELETE", "/0"), ("DELETE", "/1"),
                            ("PUT", "/0/1"), ("PUT", "/1/0"), ("POST", "/bs")], requests
        written = d.find(lambda e: e["event"] == "bs-write")[0]
        assert written["uri"] == bs_uri and written["identity"] == "bs-dev-7"
        assert len(written["key"]) == 32 and written["mode"] == 0
        state = mq.wait_json("lwm2m/bs-dev-7/state", lambda j: j["state"] == "registered")
        assert state["transport"] == "coaps" and state["lifetime"] == 120
        first_address = state["address"]

        # a read from MQTT reaches it on its session
        mq.publish("lwm2m/bs-dev-7/command", {"id": "r1", "op": "read", "path": "/3/0/0"})
        rsp = mq.wait_json("lwm2m/bs-dev-7/response", lambda j: j["id"] == "r1", timeout=15)
        assert rsp["ok"] and "Peer Inc" in json.dumps(rsp), rsp
        assert d.find(lambda e: e["event"] == "request" and e["path"] == "/3/0/0")[0]["session"] \
            == 2  # session 1 was the bootstrap server's

        # NAT rebinding: a new handshake from a new port and an Update; the old session stays
        # open but silent. The registration is kept and the next read goes to the new path.
        d.send("rebind")
        upd = d.wait(lambda e: e["event"] in ("updated", "rebind-failed"), timeout=15)
        assert upd.get("code") == "2.04" and upd["session"] == 3, upd
        state = mq.wait_json("lwm2m/bs-dev-7/state",
                             lambda j: j["state"] == "registered" and j["address"] != first_address)
        mq.publish("lwm2m/bs-dev-7/command", {"id": "r2", "op": "read", "path": "/3/0/0"})
        rsp = mq.wait_json("lwm2m/bs-dev-7/response", lambda j: j["id"] == "r2", timeout=15)
        assert rsp["ok"], rsp
        reads = d.find(lambda e: e["event"] == "request" and e["path"] == "/3/0/0")
        assert [e["session"] for e in reads] == [2, 3], reads
        assert g.stop() == 0, g.read_log()[-3000:]
    finally:
        for d in devices:
            d.stop()
        g.stop()
