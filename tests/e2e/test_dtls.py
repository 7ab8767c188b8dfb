"""DTLS with real peers: libcoap's coap-client-gnutls registers with PSK, X.509 and raw public
keys; wrong keys and untrusted certificates are refused in the handshake; a credential used for
another endpoint gets 4.03 and a security event on MQTT; the NoSec policy; garbage and aborted
handshakes on the DTLS port. Certificates and keys are made by the test with the openssl CLI.

LMG_COAP_CLIENT picks the DTLS client (default coap-client-gnutls; RPK needs GnuTLS).
LMG_GATEWAY_TLS names the gateway's libcoap backend (default gnutls); with "mbedtls" (the
mbedTLS build profile, packaging/mbedtls-profile.sh) the RPK test checks instead that the
gateway refuses an RPK configuration at startup, naming mbed TLS."""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import GATEWAY, Gateway, free_port, wait_for

CLIENT = os.environ.get("LMG_COAP_CLIENT", "coap-client-gnutls")
GATEWAY_TLS = os.environ.get("LMG_GATEWAY_TLS", "gnutls")
LINKS = "</1/0>,</3/0>"
PSK_KEY = "secret-psk-key-1"  # coap-client -k takes the key as text

pytestmark = pytest.mark.skipif(shutil.which(CLIENT) is None or shutil.which("openssl") is None,
                                reason=f"needs {CLIENT} and openssl")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def ec_key(path):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path)


def make_ca(d, name):
    ec_key(f"{d}/{name}.key")
    openssl("req", "-x509", "-new", "-key", f"{d}/{name}.key", "-subj", f"/CN=Test {name}",
            "-days", "2", "-out", f"{d}/{name}.crt")


def make_cert(d, name, cn, ca):
    ec_key(f"{d}/{name}.key")
    openssl("req", "-new", "-key", f"{d}/{name}.key", "-subj", f"/CN={cn}", "-out",
            f"{d}/{name}.csr")
    openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.crt", "-CAkey",
            f"{d}/{ca}.key", "-CAcreateserial", "-days", "2", "-out", f"{d}/{name}.crt")


def public_key_b64(d, name):
    out = subprocess.run(["openssl", "ec", "-in", f"{d}/{name}.key", "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(line for line in out.splitlines() if "-----" not in line)


def dtls(port, path, creds, method="post", payload=LINKS, timeout=8):
    """One coap-client run over DTLS; returns (code or None, output). coap-client exits as soon
    as the answer arrives; the generous timeout leaves room for handshake retransmissions on a
    loaded CI machine (a refused handshake is checked with refused(), which waits less)."""
    cmd = [CLIENT, "-m", method, "-B", str(timeout), "-v", "6", *creds]
    if payload is not None:
        cmd += ["-t", "40", "-e", payload]
    cmd.append(f"coaps://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)
    text = out.stdout + out.stderr
    m = re.search(r"t:ACK c:(\d\.\d\d)", text)
    return (m.group(1) if m else None), text


def refused(port, path, creds):
    """True when the handshake fails: no CoAP answer at all."""
    code, out = dtls(port, path, creds, timeout=3)
    assert code is None, out
    return True


def psk(identity, key=PSK_KEY):
    return ["-u", identity, "-k", key]


def location(text):
    return re.findall(r"Location-Path:([^ ,\]]+)", text)[1]


def start(workdir, broker, mq, dtls_extra, nosec="plain-*"):
    port = free_port(socket.SOCK_DGRAM)
    g = Gateway(workdir, broker.port,
                lwm2m_extra=f'nosec = "{nosec}"; dtls = {{ enabled = true; '
                            f'listen = ["127.0.0.1:{port}"]; {dtls_extra} }};')
    g.dtls_port = port
    g.start()
    return g


@pytest.fixture
def psk_file(workdir):
    path = os.path.join(workdir, "psk.txt")
    with open(path, "w") as f:
        f.write("# endpoint identity key\n"
                f"dev-psk dev-psk-id {PSK_KEY.encode().hex()}\n"
                "dev-two dev-two-id base64:dHdvLXNlY3JldA==\n")  # "two-secret"
    return path


def test_psk_binding_and_nosec(workdir, broker, mq, psk_file):
    g = start(workdir, broker, mq, 'psk_file = "psk.txt";')
    try:
        code, out = dtls(g.dtls_port, "/rd?ep=dev-psk&lt=60&b=U", psk("dev-psk-id"))
        assert code == "2.01", out
        loc = location(out)
        state = mq.wait_json("lwm2m/dev-psk/state", lambda j: j["state"] == "registered")
        assert state["address"].startswith("127.0.0.1:")

        # base64 keys work too; each coap-client run is a new address and a new handshake:
        # the Update from it keeps the registration (NAT rebinding).
        assert dtls(g.dtls_port, "/rd?ep=dev-two&lt=60&b=U",
                    psk("dev-two-id", "two-secret"))[0] == "2.01"
        code, out = dtls(g.dtls_port, f"/rd/{loc}?lt=90", psk("dev-psk-id"), payload=None)
        assert code == "2.04", out
        mq.wait_json("lwm2m/dev-psk/state", lambda j: j["lifetime"] == 90)

        # a wrong key or an unknown identity fails the handshake: no CoAP answer at all
        assert refused(g.dtls_port, "/rd?ep=dev-psk&lt=60", psk("dev-psk-id", "wrong-key"))
        assert refused(g.dtls_port, "/rd?ep=dev-psk&lt=60", psk("nobody", PSK_KEY))

        # a credential registering as another credential's endpoint: 4.03 and an event
        code, out = dtls(g.dtls_port, "/rd?ep=dev-two&lt=60&b=U", psk("dev-psk-id"))
        assert code == "4.03", out + g.read_log()[-3000:]
        ev = mq.wait_json("lwm2m/dev-two/event", lambda j: j["event"] == "security")
        assert ev["credential"] == "psk" and ev["identity"] == "dev-psk-id"
        assert "dev-psk" in ev["reason"]
        # ... also by updating that endpoint's registration
        assert dtls(g.dtls_port, f"/rd/{loc}?lt=60", psk("dev-two-id", "two-secret"),
                    payload=None)[0] == "4.03"

        # plain CoAP: only NoSec endpoints, never one with credentials
        assert g.coap("post", "/rd?ep=plain-1&lt=60&b=U", LINKS, 40)[0] == "2.01"
        assert g.coap("post", "/rd?ep=other&lt=60&b=U", LINKS, 40)[0] == "4.03"
        mq.wait_json("lwm2m/other/event",
                     lambda j: j["event"] == "security" and j["credential"] == "none")
        assert g.coap("post", "/rd?ep=dev-psk&lt=60&b=U", LINKS, 40)[0] == "4.03"
        assert g.coap("post", f"/rd/{loc}?lt=60")[0] == "4.03"
        assert mq.find("lwm2m/dev-psk/state", lambda p: json.loads(p)["state"] != "registered") \
            is None

        # SIGHUP rereads the credential file: a new device, and dev-two is gone
        with open(psk_file, "w") as f:
            f.write(f"dev-psk dev-psk-id {PSK_KEY.encode().hex()}\n"
                    "dev-new dev-new-id hex:6e65772d736563726574\n")  # "new-secret"
        g.signal(signal.SIGHUP)
        wait_for(lambda: "reload: configuration applied" in g.read_log(), what="reload")
        assert dtls(g.dtls_port, "/rd?ep=dev-new&lt=60&b=U",
                    psk("dev-new-id", "new-secret"))[0] == "2.01"
        assert dtls(g.dtls_port, "/rd?ep=dev-two&lt=60",
                    psk("dev-two-id", "two-secret"))[0] is None
        log = g.read_log()
        for secret in (PSK_KEY, PSK_KEY.encode().hex(), "two-secret", "dHdvLXNlY3JldA=="):
            assert secret not in log
        assert g.stop() == 0, g.read_log()[-3000:]  # no sanitizer report either
    finally:
        g.stop()


def test_x509(workdir, broker, mq):
    make_ca(workdir, "ca")
    make_ca(workdir, "rogue")
    make_cert(workdir, "server", "gateway", "ca")
    make_cert(workdir, "dev", "dev-x509", "ca")
    make_cert(workdir, "fake", "dev-x509", "rogue")
    g = start(workdir, broker, mq,
              'ca_file = "ca.crt"; cert_file = "server.crt"; key_file = "server.key";', nosec="")
    try:
        def cert(name):
            return ["-c", f"{workdir}/{name}.crt", "-j", f"{workdir}/{name}.key",
                    "-C", f"{workdir}/ca.crt"]
        code, out = dtls(g.dtls_port, "/rd?ep=dev-x509&lt=60&b=U", cert("dev"))
        assert code == "2.01", out
        mq.wait_json("lwm2m/dev-x509/state", lambda j: j["state"] == "registered")
        # a certificate from an untrusted CA (same CN) is refused in the handshake
        assert refused(g.dtls_port, "/rd?ep=dev-x509&lt=60&b=U", cert("fake"))
        # the certificate's CN is the only endpoint it may register as
        assert dtls(g.dtls_port, "/rd?ep=someone&lt=60&b=U", cert("dev"))[0] == "4.03"
        ev = mq.wait_json("lwm2m/someone/event", lambda j: j["event"] == "security")
        assert ev["credential"] == "x509" and ev["identity"] == "dev-x509"
        # nosec = "": nothing registers over plain CoAP
        assert g.coap("post", "/rd?ep=plain-1&lt=60&b=U", LINKS, 40)[0] == "4.03"
        assert g.stop() == 0, g.read_log()[-3000:]  # no sanitizer report either
    finally:
        g.stop()


def rpk_refused(workdir, broker):
    """mbedTLS profile: an RPK configuration stops the gateway at startup, with a message."""
    g = Gateway(workdir, broker.port,
                lwm2m_extra=f'dtls = {{ enabled = true; listen = ["127.0.0.1:'
                            f'{free_port(socket.SOCK_DGRAM)}"]; rpk_file = "rpk.txt"; '
                            f'key_file = "server.key"; }};')
    g.write_config()
    out = subprocess.run([GATEWAY, "-c", g.config], capture_output=True, text=True, timeout=20)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert re.search(r"raw public keys \(lwm2m\.dtls\.rpk_file\) are not supported by "
                     r"libcoap's mbed TLS \d+\.\d+\.\d+ backend", text), text
    assert "use PSK or X.509" in text, text
    assert "started" not in text, text


@pytest.mark.skipif(CLIENT != "coap-client-gnutls" and GATEWAY_TLS != "mbedtls",
                    reason="RPK needs libcoap's GnuTLS backend")
def test_rpk(workdir, broker, mq):
    for name in ("server", "dev", "dev2", "stranger"):
        ec_key(f"{workdir}/{name}.key")
    subprocess.run(["openssl", "ec", "-in", f"{workdir}/dev2.key", "-pubout", "-out",
                    f"{workdir}/dev2.pub"], check=True, capture_output=True)
    with open(f"{workdir}/rpk.txt", "w") as f:
        f.write(f"dev-rpk {public_key_b64(workdir, 'dev')}\ndev-rpk2 dev2.pub\n")
    if GATEWAY_TLS == "mbedtls":
        rpk_refused(workdir, broker)
        return
    g = start(workdir, broker, mq, 'rpk_file = "rpk.txt"; key_file = "server.key";')
    try:
        def rpk(name):
            return ["-M", f"{workdir}/{name}.key"]
        assert dtls(g.dtls_port, "/rd?ep=dev-rpk&lt=60&b=U", rpk("dev"))[0] == "2.01"
        assert dtls(g.dtls_port, "/rd?ep=dev-rpk2&lt=60&b=U", rpk("dev2"))[0] == "2.01"
        assert refused(g.dtls_port, "/rd?ep=dev-rpk&lt=60&b=U", rpk("stranger"))
        code, out = dtls(g.dtls_port, "/rd?ep=dev-rpk2&lt=60&b=U", rpk("dev"))
        assert code == "4.03", out + g.read_log()[-3000:]
        ev = mq.wait_json("lwm2m/dev-rpk2/event", lambda j: j["event"] == "security")
        assert ev["credential"] == "rpk" and ev["identity"].startswith("sha256:")
        assert g.stop() == 0, g.read_log()[-3000:]  # no sanitizer report either
    finally:
        g.stop()


def client_hello(cookie=b"", seq=0):
    """A DTLS 1.2 ClientHello offering the LwM2M PSK and ECDHE-ECDSA CCM_8 suites."""
    suites = bytes.fromhex("c0a800aec0ae")
    body = (b"\xfe\xfd" + os.urandom(32) + b"\x00" + bytes([len(cookie)]) + cookie +
            len(suites).to_bytes(2, "big") + suites + b"\x01\x00")
    hs = (b"\x01" + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" +
          len(body).to_bytes(3, "big") + body)
    return b"\x16\xfe\xff\x00\x00" + seq.to_bytes(6, "big") + len(hs).to_bytes(2, "big") + hs


def cookie_of(reply):
    """The cookie of a HelloVerifyRequest record, or None."""
    if len(reply) < 28 or reply[0] != 22 or reply[13] != 3:
        return None
    n = reply[27]
    return reply[28:28 + n]


def test_garbage_and_aborted_handshakes(workdir, broker, mq, psk_file):
    g = start(workdir, broker, mq, 'psk_file = "psk.txt";')
    try:
        code, out = dtls(g.dtls_port, "/rd?ep=dev-psk&lt=300&b=U", psk("dev-psk-id"))
        assert code == "2.01", out
        loc = location(out)
        assert g.coap("post", "/rd?ep=plain-1&lt=300&b=U", LINKS, 40)[0] == "2.01"
        rng = random.Random(6)
        target = ("127.0.0.1", g.dtls_port)
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.5)
        sent = cookies = 0
        for i in range(3000):  # garbage, truncated and record-shaped junk from 50 addresses
            s = socks[i % len(socks)]
            kind = i % 3
            if kind == 0:
                data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            elif kind == 1:
                data = client_hello()[:rng.randint(1, 60)]
            else:
                data = b"\x17\xfe\xfd\x00\x01" + os.urandom(8) + b"\x00\x20" + os.urandom(32)
            s.sendto(data, target)
            sent += 1
        for i in range(2000):  # ClientHellos that stop at the cookie exchange
            socks[i % len(socks)].sendto(client_hello(seq=i), target)
            sent += 1
        for s in socks:  # ... and handshakes that go past the cookie, then vanish
            s.setblocking(False)  # drop what the flood got back: we want this hello's answer
            try:
                while s.recv(2048):
                    pass
            except BlockingIOError:
                pass
            s.settimeout(3.0)  # a sanitizer build under load answers late
            s.sendto(client_hello(), target)
            cookie = None
            try:
                while not cookie:
                    cookie = cookie_of(s.recv(2048))
            except socket.timeout:
                pass
            if cookie:
                s.sendto(client_hello(cookie, 1), target)
                cookies += 1
        for s in socks:
            s.close()
        assert cookies > 0, "no HelloVerifyRequest: the flood did not reach the handshake"
        assert g.proc.poll() is None, g.read_log()[-2000:]
        # still serving: the registered devices update, a new one registers
        code, out = dtls(g.dtls_port, f"/rd/{loc}?lt=120", psk("dev-psk-id"), payload=None)
        assert code == "2.04", out
        assert g.coap("post", "/rd?ep=plain-2&lt=300&b=U", LINKS, 40)[0] == "2.01"
        assert dtls(g.dtls_port, "/rd?ep=dev-two&lt=60&b=U",
                    psk("dev-two-id", "two-secret"))[0] == "2.01"
        mq.wait_json("lwm2m/dev-psk/state", lambda j: j["lifetime"] == 120)
        assert g.stop() == 0, g.read_log()[-3000:]  # no sanitizer report either
    finally:
        g.stop()
