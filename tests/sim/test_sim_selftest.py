#!/usr/bin/env python3
"""Self-test of lwm2m-sim: a scripted LwM2M server (standard library only) registers simulated
devices and runs every operation against them; libcoap's coap-client, when given, does
block-wise transfers from outside. Usage: test_sim_selftest.py LWM2M_SIM [COAP_CLIENT]"""
import hashlib
import json
import os
import queue
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE, FETCH, IPATCH = 1, 2, 3, 4, 5, 7
OBSERVE, LOCATION_PATH, URI_PATH, CONTENT_FORMAT, URI_QUERY, ACCEPT = 6, 8, 11, 12, 15, 17
BLOCK2, BLOCK1, SIZE1 = 23, 27, 60


def code(c, d):
    return c << 5 | d


def code_text(c):
    return "%d.%02d" % (c >> 5, c & 31)


def uint_bytes(v):
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


def encode(mtype, mcode, mid, token, options, payload=b""):
    out = bytes([0x40 | mtype << 4 | len(token), mcode]) + struct.pack(">H", mid) + token
    prev = 0
    for num, val in sorted(options, key=lambda o: o[0]):
        if isinstance(val, int):
            val = uint_bytes(val)
        elif isinstance(val, str):
            val = val.encode()
        out += _opt_header(num - prev, len(val)) + val
        prev = num
    if payload:
        out += b"\xff" + payload
    return out


def _nibble(v):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def _opt_header(delta, length):
    dn, dext = _nibble(delta)
    ln, lext = _nibble(length)
    return bytes([dn << 4 | ln]) + dext + lext


class Msg:
    def __init__(self, data):
        if len(data) < 4 or data[0] >> 6 != 1:
            raise ValueError("not CoAP")
        self.type = data[0] >> 4 & 3
        tkl = data[0] & 15
        if tkl > 8:
            raise ValueError("token length")
        self.code = data[1]
        self.mid = struct.unpack(">H", data[2:4])[0]
        self.token = data[4:4 + tkl]
        self.options = []
        self.payload = b""
        i, num = 4 + tkl, 0
        while i < len(data):
            if data[i] == 0xFF:
                self.payload = data[i + 1:]
                if not self.payload:
                    raise ValueError("empty payload after marker")
                break
            d, ln = data[i] >> 4, data[i] & 15
            i += 1
            d, i = self._ext(data, d, i)
            ln, i = self._ext(data, ln, i)
            num += d
            self.options.append((num, data[i:i + ln]))
            i += ln

    @staticmethod
    def _ext(data, v, i):
        if v == 13:
            return data[i] + 13, i + 1
        if v == 14:
            return struct.unpack(">H", data[i:i + 2])[0] + 269, i + 2
        if v == 15:
            raise ValueError("reserved nibble")
        return v, i

    def opt(self, num):
        for n, v in self.options:
            if n == num:
                return v
        return None

    def opt_uint(self, num):
        v = self.opt(num)
        return None if v is None else int.from_bytes(v, "big")

    def opts(self, num):
        return [v.decode() for n, v in self.options if n == num]

    @property
    def path(self):
        return "/" + "/".join(self.opts(URI_PATH))


class Sim:
    """The simulator process: commands in, JSON events out."""

    def __init__(self, binary, args):
        self.proc = subprocess.Popen([binary] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        ev = self.wait(lambda e: e["event"] in ("cmd_ok", "cmd_error"), 5)
        check(ev["event"] == "cmd_ok", "command %r: %s" % (line, ev))
        return ev

    def wait(self, pred, timeout=5.0, server=None):
        """Next event matching pred (pumping the server meanwhile); earlier ones are kept."""
        for ev in self.seen:
            if pred(ev):
                self.seen.remove(ev)
                return ev
        end = time.time() + timeout
        while time.time() < end:
            if server:
                server.pump(0.02)
            try:
                ev = self.events.get(timeout=0.02 if server else 0.1)
            except queue.Empty:
                continue
            if ev is None:
                raise AssertionError("simulator exited")
            if pred(ev):
                return ev
            self.seen.append(ev)
        raise AssertionError("no matching event within %.1fs; seen: %s" % (timeout, self.seen[-8:]))

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("simulator did not quit")
        check(rc == 0, "simulator exit code %d" % rc)


class Server:
    """A minimal LwM2M server: answers Register/Update/De-register/Send, sends requests."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.mid = random.randint(0, 65535)
        self.devices = {}       # ep -> address
        self.locations = {}     # location -> ep
        self.uplink = []        # (address, Msg) requests from devices
        self.notifications = []  # (address, Msg)
        self.responses = {}     # token -> Msg
        self.pending = set()    # tokens of requests waiting for their answer
        self.reply_register = code(2, 1)
        self.reply_send = code(2, 4)

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def pump(self, timeout):
        self.sock.settimeout(timeout)
        try:
            while True:
                data, addr = self.sock.recvfrom(70000)
                self._on_datagram(data, addr)
                self.sock.settimeout(0.001)
        except (socket.timeout, BlockingIOError):
            pass

    def _on_datagram(self, data, addr):
        msg = Msg(data)
        if 1 <= msg.code <= 31:
            self._on_uplink(msg, addr)
        elif msg.type in (ACK, NON, CON) and msg.code:
            if msg.token in self.pending:
                self.pending.discard(msg.token)
                self.responses[msg.token] = msg
            else:
                self.notifications.append((addr, msg))
            if msg.type == CON:
                self.sock.sendto(encode(ACK, 0, msg.mid, b"", []), addr)
        elif msg.type in (ACK, RST):
            self.responses[("empty", msg.mid)] = msg

    def _on_uplink(self, msg, addr):
        self.uplink.append((addr, msg))
        query = dict(q.split("=", 1) if "=" in q else (q, "") for q in msg.opts(URI_QUERY))
        opts, rc = [], code(4, 4)
        if msg.code == POST and msg.path == "/rd":
            rc = self.reply_register
            if rc == code(2, 1):
                loc = "r%d" % (len(self.locations) + 1)
                self.locations["/rd/" + loc] = query.get("ep")
                self.devices[query.get("ep")] = addr
                opts = [(LOCATION_PATH, "rd"), (LOCATION_PATH, loc)]
        elif msg.code == POST and msg.path in self.locations:
            rc = code(2, 4)
        elif msg.code == DELETE and msg.path in self.locations:
            rc = code(2, 2)
        elif msg.code == POST and msg.path == "/dp":
            rc = self.reply_send
        mtype = ACK if msg.type == CON else NON
        mid = msg.mid if msg.type == CON else self.next_mid()
        self.sock.sendto(encode(mtype, rc, mid, msg.token, opts), addr)

    def wait_uplink(self, pred, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            for item in self.uplink:
                if pred(item[1]):
                    self.uplink.remove(item)
                    return item
            self.pump(0.05)
        raise AssertionError("no matching uplink request within %.1fs" % timeout)

    def wait_notification(self, token, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            for item in self.notifications:
                if item[1].token == token:
                    self.notifications.remove(item)
                    return item[1]
            self.pump(0.05)
        raise AssertionError("no notification within %.1fs" % timeout)

    def request(self, addr, method, path, accept=None, cf=None, payload=b"", query=(),
                observe=None, extra=(), timeout=3.0, token=None, mtype=CON, raw=None):
        token = token or os.urandom(4)
        mid = self.next_mid()
        opts = [(URI_PATH, seg) for seg in path.strip("/").split("/") if seg]
        opts += [(URI_QUERY, q) for q in query] + list(extra)
        if accept is not None:
            opts.append((ACCEPT, accept))
        if cf is not None:
            opts.append((CONTENT_FORMAT, cf))
        if observe is not None:
            opts.append((OBSERVE, observe))
        data = raw or encode(mtype, method, mid, token, opts, payload)
        self.pending.add(token)
        self.sock.sendto(data, addr)
        end = time.time() + timeout
        while time.time() < end:
            self.pump(0.02)
            if token in self.responses:
                return self.responses.pop(token)
        self.pending.discard(token)
        return None


FAILURES = []


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect(resp, want, what):
    check(resp is not None, "%s: no response" % what)
    check(resp.code == want, "%s: got %s, want %s" % (what, code_text(resp.code), code_text(want)))
    return resp


def run(name, fn, *args):
    for a in args:
        if isinstance(a, Server):
            a.uplink.clear()
            a.notifications.clear()
    try:
        fn(*args)
        print("ok   %s" % name, flush=True)
        return True
    except AssertionError as e:
        print("FAIL %s: %s" % (name, e), flush=True)
        FAILURES.append(name)
        return False


# ---- the scenarios ----

def t_register(srv, sim):
    for ep in ("sim-0", "sim-1"):
        ev = sim.wait(lambda e, ep=ep: e["event"] == "registered" and e["ep"] == ep, 5, srv)
        check(ev["location"].startswith("/rd/"), "location %s" % ev)
    addr, msg = None, None
    for a, m in srv.uplink:
        if m.path == "/rd":
            addr, msg = a, m
    check(msg is not None, "no Register seen")
    q = msg.opts(URI_QUERY)
    check("lwm2m=1.2" in q and "lt=60" in q and "b=U" in q, "query %s" % q)
    text = msg.payload.decode()
    for link in ("</3/0>", "</1/0>", "</5/0>", "</3303/0>", "</3303/1>", 'rt="oma.lwm2m"'):
        check(link in text, "%s missing in %s" % (link, text))
    check(msg.opt_uint(CONTENT_FORMAT) == 40, "register content format")


def t_read(srv, dev):
    r = expect(srv.request(dev, GET, "/3/0/0"), code(2, 5), "read text")
    check(r.payload == b"LMG Simulator" and r.opt_uint(CONTENT_FORMAT) == 0, "text %r" % r.payload)
    for fmt in (11542, 110, 112, 11543, 11544):
        r = expect(srv.request(dev, GET, "/3/0", accept=fmt), code(2, 5), "read /3/0 as %d" % fmt)
        check(r.opt_uint(CONTENT_FORMAT) == fmt and r.payload, "format %d" % fmt)
    r = srv.request(dev, GET, "/3303/0", accept=110)
    recs = json.loads(r.payload)
    names = [x.get("bn", "") + x.get("n", "") for x in recs]
    check(any(n.endswith("5700") for n in names), "senml %s" % recs)
    expect(srv.request(dev, GET, "/3/0", accept=1234), code(4, 6), "unknown accept")
    expect(srv.request(dev, GET, "/3/0", accept=0), code(4, 6), "text for an instance")
    expect(srv.request(dev, GET, "/3/1"), code(4, 4), "missing instance")
    expect(srv.request(dev, GET, "/4"), code(4, 4), "missing object")
    expect(srv.request(dev, GET, "/5/0/0"), code(4, 5), "write-only resource")
    expect(srv.request(dev, GET, "/3/0/4"), code(4, 5), "executable resource")
    expect(srv.request(dev, GET, "/foo"), code(4, 4), "not a LwM2M path")
    r = expect(srv.request(dev, GET, "/3/0/11/0"), code(2, 5), "resource instance")
    check(r.payload == b"0", "error code %r" % r.payload)


def t_discover(srv, dev):
    r = expect(srv.request(dev, GET, "/3303", accept=40), code(2, 5), "discover object")
    text = r.payload.decode()
    check(text.startswith("</3303>;ver=1.1") and "</3303/0/5700>" in text and "</3303/1>" in text,
          text)
    r = srv.request(dev, GET, "/3303", accept=40, query=["depth=1"])
    check("5700" not in r.payload.decode(), "depth=1 %s" % r.payload)
    r = srv.request(dev, GET, "/3/0/6", accept=40, query=["depth=0"])
    check(r.payload.decode() == "</3/0/6>;dim=2", "resource discover %s" % r.payload)
    r = srv.request(dev, GET, "/3/0/6", accept=40)  # 1.2: resource instances by default
    check(r.payload.decode() == "</3/0/6>;dim=2,</3/0/6/0>,</3/0/6/1>", "1.2 %s" % r.payload)
    expect(srv.request(dev, GET, "/3/0", accept=40, query=["depth=9"]), code(4, 0), "bad depth")


def t_write(srv, dev):
    expect(srv.request(dev, PUT, "/3/0/14", cf=0, payload=b"+02:00"), code(2, 4), "write text")
    r = srv.request(dev, GET, "/3/0/14")
    check(r.payload == b"+02:00", "read back %r" % r.payload)
    expect(srv.request(dev, PUT, "/3/0/0", cf=0, payload=b"x"), code(4, 5), "read-only")
    expect(srv.request(dev, PUT, "/3/0/99", cf=0, payload=b"x"), code(4, 4), "unknown resource")
    expect(srv.request(dev, PUT, "/1/0/1", cf=0, payload=b"abc"), code(4, 0), "bad integer")
    expect(srv.request(dev, PUT, "/3/0", cf=4321, payload=b"x"), code(4, 15), "unknown format")
    expect(srv.request(dev, PUT, "/3", cf=0, payload=b"x"), code(4, 5), "write on an object")
    senml = json.dumps([{"bn": "/3303/0/", "n": "5750", "vs": "kitchen"}]).encode()
    expect(srv.request(dev, POST, "/3303/0", cf=110, payload=senml), code(2, 4), "partial update")
    check(srv.request(dev, GET, "/3303/0/5750").payload == b"kitchen", "partial update value")
    bad = json.dumps([{"bn": "/3303/0/", "n": "5750", "v": 3}]).encode()
    expect(srv.request(dev, POST, "/3303/0", cf=110, payload=bad), code(4, 0), "type mismatch")
    expect(srv.request(dev, PUT, "/3/0/9", cf=0, payload=b"50"), code(4, 5), "read-only battery")
    expect(srv.request(dev, PUT, "/1/0/3", cf=0, payload=b"30"), code(2, 4), "write default pmax")
    expect(srv.request(dev, PUT, "/1/0/3", cf=0, payload=b"0"), code(2, 4), "reset default pmax")


def t_attributes(srv, dev):
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["pmin=1", "pmax=30", "gt=30"]),
           code(2, 4), "write attributes")
    r = srv.request(dev, GET, "/3303/0", accept=40)
    check("</3303/0/5700>;pmin=1;pmax=30;gt=30" in r.payload.decode(), r.payload)
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["lt=50"]), code(4, 0), "lt > gt")
    expect(srv.request(dev, PUT, "/3303/0/5701", query=["gt=1"]), code(4, 0), "gt on a string")
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["foo=1"]), code(4, 0), "unknown attr")
    expect(srv.request(dev, PUT, "/3303/9", query=["pmin=1"]), code(4, 4), "missing instance")
    for q in (["epmin=1", "epmax=60"], ["hqmax=5", "con=0"]):
        expect(srv.request(dev, PUT, "/3303/0", query=q), code(2, 4), "attributes %s" % q)
    expect(srv.request(dev, PUT, "/3303/0", query=["st=0.5"]), code(4, 0), "st on an instance")
    expect(srv.request(dev, PUT, "/3303/0", query=["epmin", "epmax", "hqmax", "con"]),
           code(2, 4), "unset attributes")


def t_observe(srv, sim, dev):
    token = b"obs1"
    r = expect(srv.request(dev, GET, "/3303/0/5700", observe=0, token=token, accept=0),
               code(2, 5), "observe")
    check(r.opt(OBSERVE) is not None, "no Observe option in the answer")
    sim.wait(lambda e: e["event"] == "observe" and e["path"] == "/3303/0/5700", 2, srv)
    sim.command("set sim-0 /3303/0/5700 25.0")  # below gt=30: no notification (pmax 30)
    sim.command("set sim-0 /3303/0/5700 35.5")  # crosses gt=30
    n = srv.wait_notification(token, 3)
    check(n.payload == b"35.5" and n.opt_uint(OBSERVE) > r.opt_uint(OBSERVE), "notify %r" % n.payload)
    check(not [x for x in srv.notifications if x[1].token == token], "notified below gt")
    # pmax: a notification without a change, CON when asked for
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["pmax=1", "con=1"]), code(2, 4), "pmax")
    n = srv.wait_notification(token, 3)
    check(n.type == CON, "con=1 notification type %d" % n.type)
    # cancel with RST on the next NON notification
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["con=0"]), code(2, 4), "con=0")
    n = srv.wait_notification(token, 3)
    while n.type != NON:
        n = srv.wait_notification(token, 3)
    srv.sock.sendto(encode(RST, 0, n.mid, b"", []), dev)
    sim.wait(lambda e: e["event"] == "cancel" and e["reason"] == "rst", 3, srv)
    expect(srv.request(dev, PUT, "/3303/0/5700", query=["pmax", "gt", "pmin", "con"]),
           code(2, 4), "unset")
    # Observe and cancel with Observe=1
    token = b"obs2"
    expect(srv.request(dev, GET, "/3/0/9", observe=0, token=token), code(2, 5), "observe 2")
    r = expect(srv.request(dev, GET, "/3/0/9", observe=1, token=token), code(2, 5), "cancel")
    check(r.opt(OBSERVE) is None, "cancel answer has Observe")
    sim.wait(lambda e: e["event"] == "cancel" and e["reason"] == "observe=1", 2, srv)
    sim.command("notify sim-0")
    srv.pump(0.3)
    check(not [x for x in srv.notifications if x[1].token == token], "notified after cancel")


def t_execute(srv, sim, dev):
    expect(srv.request(dev, POST, "/1/0/8", payload=b"0='abc',1"), code(2, 4), "exec with args")
    sim.wait(lambda e: e["event"] == "execute" and e["args"] == "0='abc',1", 2, srv)
    srv.wait_uplink(lambda m: m.code == POST and m.path.startswith("/rd/"), 3)
    expect(srv.request(dev, POST, "/1/0/8", payload=b"0='a"), code(4, 0), "bad args")
    expect(srv.request(dev, POST, "/3/0/0"), code(4, 5), "exec on a string")
    expect(srv.request(dev, POST, "/3303/0/5605"), code(2, 4), "reset min/max")
    expect(srv.request(dev, POST, "/5/0/2"), code(4, 5), "firmware update without package")


def t_create_delete(srv, sim, dev):
    senml = json.dumps([{"bn": "/3303/7/", "n": "5700", "v": 12.5}]).encode()
    r = expect(srv.request(dev, POST, "/3303", cf=110, payload=senml), code(2, 1), "create")
    check(r.opts(LOCATION_PATH) == ["3303", "7"], "location %s" % r.opts(LOCATION_PATH))
    check(srv.request(dev, GET, "/3303/7/5700").payload == b"12.5", "created value")
    _, up = srv.wait_uplink(lambda m: m.code == POST and m.path.startswith("/rd/"), 3)
    check("</3303/7>" in up.payload.decode(), "update object list %s" % up.payload)
    expect(srv.request(dev, POST, "/3303", cf=110, payload=senml), code(4, 0), "create twice")
    # LwM2M CBOR {3303: {65535: {5700: 1.5}}}: the device picks the instance id
    cbor = bytes.fromhex("a1190ce7a119ffffa1191644fb3ff8000000000000")
    r = expect(srv.request(dev, POST, "/3303", cf=11544, payload=cbor), code(2, 1), "create 65535")
    check(r.opts(LOCATION_PATH) == ["3303", "2"], "chosen id %s" % r.opts(LOCATION_PATH))
    expect(srv.request(dev, DELETE, "/3303/7"), code(2, 2), "delete")
    expect(srv.request(dev, GET, "/3303/7"), code(4, 4), "deleted")
    expect(srv.request(dev, DELETE, "/3303/7"), code(4, 4), "delete twice")
    expect(srv.request(dev, DELETE, "/3/0"), code(4, 5), "delete device")
    expect(srv.request(dev, DELETE, "/3303/2"), code(2, 2), "delete chosen")


def t_composite(srv, sim, dev):
    paths = json.dumps([{"n": "/3/0/0"}, {"n": "/3303/1/5700"}]).encode()
    r = expect(srv.request(dev, FETCH, "/", cf=320, accept=110, payload=paths), code(2, 5),
               "read-composite")
    recs = json.loads(r.payload)
    check(len(recs) == 2, "records %s" % recs)
    expect(srv.request(dev, FETCH, "/", cf=320, accept=11542, payload=paths), code(4, 6),
           "composite as TLV")
    write = json.dumps([{"n": "/3303/0/5750", "vs": "a"}, {"n": "/3303/1/5750", "vs": "b"}])
    expect(srv.request(dev, IPATCH, "/", cf=110, payload=write.encode()), code(2, 4),
           "write-composite")
    check(srv.request(dev, GET, "/3303/1/5750").payload == b"b", "composite value")
    bad = json.dumps([{"n": "/3303/0/5700", "v": 1}]).encode()
    expect(srv.request(dev, IPATCH, "/", cf=110, payload=bad), code(4, 5), "composite read-only")
    token = b"cmp1"
    r = expect(srv.request(dev, FETCH, "/", cf=320, accept=110, payload=paths, observe=0,
                           token=token), code(2, 5), "observe-composite")
    check(r.opt(OBSERVE) is not None, "composite Observe option")
    sim.command("notify sim-0")
    n = srv.wait_notification(token, 3)
    check(len(json.loads(n.payload)) == 2, "composite notification %s" % n.payload)
    expect(srv.request(dev, FETCH, "/", cf=320, accept=110, payload=paths, observe=1,
                       token=token), code(2, 5), "cancel composite")


def t_send(srv, sim):
    for fmt, cf in (("senml-json", 110), ("senml-cbor", 112), ("lwm2m-cbor", 11544)):
        sim.command("send sim-0 %s /3303/0/5700 /3/0/9" % fmt)
        _, m = srv.wait_uplink(lambda m: m.path == "/dp", 3)
        check(m.opt_uint(CONTENT_FORMAT) == cf and m.payload, "send %s" % fmt)
        sim.wait(lambda e: e["event"] == "send_result" and e["code"] == "2.04", 3, srv)
    srv.reply_send = code(4, 4)
    sim.command("send sim-0 senml-json /3303/0")
    sim.wait(lambda e: e["event"] == "send_result" and e["code"] == "4.04", 3, srv)
    srv.reply_send = code(2, 4)


def block1_put(srv, dev, path, data, szx=6, cf=42):
    size = 1 << (szx + 4)
    token = os.urandom(4)
    num = 0
    while True:
        chunk = data[num * size:(num + 1) * size]
        more = (num + 1) * size < len(data)
        extra = [(BLOCK1, num << 4 | (8 if more else 0) | szx)]
        if num == 0:
            extra.append((SIZE1, len(data)))
        r = srv.request(dev, PUT, path, cf=cf, payload=chunk, extra=extra, token=token)
        check(r is not None, "block %d: no answer" % num)
        if more:
            check(r.code == code(2, 31), "block %d: %s" % (num, code_text(r.code)))
        else:
            return r
        num += 1


def block2_get(srv, dev, path, szx=6, accept=None):
    body, num = b"", 0
    while True:
        r = srv.request(dev, GET, path, accept=accept, extra=[(BLOCK2, num << 4 | szx)])
        expect(r, code(2, 5), "block2 %d" % num)
        b2 = r.opt_uint(BLOCK2)
        check(b2 is not None and b2 >> 4 == num, "block2 option %s" % b2)
        body += r.payload
        if not b2 & 8:
            return body
        num += 1


def t_block1(srv, sim, dev):
    data = os.urandom(100 * 1024)
    r = block1_put(srv, dev, "/5/0/0", data)
    expect(r, code(2, 4), "final block")
    ev = sim.wait(lambda e: e["event"] == "write" and e["path"] == "/5/0/0", 3, srv)
    check(ev["bytes"] == len(data) and ev["sha256"] == hashlib.sha256(data).hexdigest(),
          "package %s" % ev)
    check(srv.request(dev, GET, "/5/0/3").payload == b"2", "state downloaded")
    expect(srv.request(dev, POST, "/5/0/2"), code(2, 4), "firmware update")
    sim.wait(lambda e: e["event"] == "firmware" and e["result"] == 1, 3, srv)
    # a gap in the block numbers
    r = srv.request(dev, PUT, "/5/0/0", cf=42, payload=b"x" * 1024, extra=[(BLOCK1, 5 << 4 | 8 | 6)])
    expect(r, code(4, 8), "missing blocks")
    small = block1_put(srv, dev, "/3303/1/5750", b"s" * 300, szx=2, cf=0)
    expect(small, code(2, 4), "64-byte blocks")


def t_block2(srv, sim, dev):
    sim.command("fill sim-0 /3303/0/5750 65536")
    ev = sim.wait(lambda e: e["event"] == "filled", 2, srv)
    body = block2_get(srv, dev, "/3303/0/5750")
    check(len(body) == 65536 and hashlib.sha256(body).hexdigest() == ev["sha256"], "64 KB read")
    body = block2_get(srv, dev, "/3303/0/5750", szx=4)
    check(len(body) == 65536, "256-byte blocks")
    r = srv.request(dev, GET, "/3303/0/5750")  # no Block2 asked: the device starts blocks
    check(r.opt_uint(BLOCK2) == 0 << 4 | 8 | 6 and len(r.payload) == 1024, "unasked blocks")
    r = srv.request(dev, GET, "/3303/0/5750", extra=[(BLOCK2, 64 << 4 | 6)])
    expect(r, code(4, 2), "block past the end")
    sim.command("set sim-0 /3303/0/5750 short")


def t_coap_client(srv, sim, client, port):
    with tempfile.TemporaryDirectory() as tmp:
        pkg = os.path.join(tmp, "pkg")
        data = os.urandom(20000)
        with open(pkg, "wb") as f:
            f.write(data)
        url = "coap://127.0.0.1:%d" % port
        subprocess.run([client, "-B", "5", "-b", "512", "-m", "put", "-t", "42", "-f", pkg,
                        url + "/5/0/0"], check=True, capture_output=True, timeout=30)
        ev = sim.wait(lambda e: e["event"] == "write" and e["path"] == "/5/0/0", 3, srv)
        check(ev["sha256"] == hashlib.sha256(data).hexdigest(), "coap-client package %s" % ev)
        sim.command("fill sim-1 /3303/0/5750 5000")
        ev = sim.wait(lambda e: e["event"] == "filled", 2, srv)
        out = os.path.join(tmp, "out")
        subprocess.run([client, "-B", "5", "-b", "1024", "-o", out, url + "/3303/0/5750"],
                       check=True, capture_output=True, timeout=30)
        with open(out, "rb") as f:
            got = f.read()
        check(hashlib.sha256(got).hexdigest() == ev["sha256"], "coap-client read %d" % len(got))
        r = subprocess.run([client, "-B", "5", "-A", "40", url + "/3/0"], capture_output=True,
                           timeout=30, text=True)
        check("</3/0/0>" in r.stdout, "coap-client discover %s" % r.stdout)


def t_faults(srv, sim, dev):
    # duplicate CON: the same answer again
    raw = encode(CON, GET, 4242, b"dup1", [(URI_PATH, "3"), (URI_PATH, "0"), (URI_PATH, "0")])
    a = srv.request(dev, GET, "", raw=raw, token=b"dup1")
    srv.pending.add(b"dup1")
    srv.sock.sendto(raw, dev)
    srv.pump(0.3)
    b = srv.responses.pop(b"dup1", None)
    check(a and b and a.mid == b.mid == 4242 and a.payload == b.payload, "duplicate answer")
    # CoAP ping
    srv.sock.sendto(encode(CON, 0, 777, b"", []), dev)
    srv.sock.settimeout(1)
    data, _ = srv.sock.recvfrom(100)
    check(Msg(data).type == RST and Msg(data).mid == 777, "ping")
    sim.command("mute sim-1")
    check(srv.request(dev, GET, "/3/0/0", timeout=0.7) is None, "muted device answered")
    sim.command("rst sim-1")
    srv.request(dev, GET, "/3/0/0", timeout=0.5)
    r = srv.responses.pop(("empty", srv.mid), None)
    check(r is not None and r.type == RST, "rst mode")
    sim.command("garbage sim-1")
    bad = 0
    for _ in range(5):
        srv.sock.sendto(encode(CON, GET, srv.next_mid(), b"g", [(URI_PATH, "3")]), dev)
        srv.sock.settimeout(1)
        data, _ = srv.sock.recvfrom(70000)
        try:
            m = Msg(data)
            bad += m.code != code(2, 5) or m.token != b"g"
        except (ValueError, IndexError, struct.error):
            bad += 1
    check(bad == 5, "garbage answers that parse: %d" % (5 - bad))
    sim.command("normal sim-1")
    sim.command("delay sim-1 300")
    token = os.urandom(4)
    t0 = time.time()
    r = srv.request(dev, GET, "/3/0/0", token=token, timeout=2)
    check(r is not None and r.type == CON and time.time() - t0 >= 0.25, "separate response")
    sim.command("normal sim-1")
    expect(srv.request(dev, GET, "/3/0/0"), code(2, 5), "normal again")


def t_registration(srv, sim):
    sim.command("update sim-1 lt=120 objects")
    _, m = srv.wait_uplink(lambda m: m.code == POST and m.path.startswith("/rd/"), 3)
    check("lt=120" in m.opts(URI_QUERY) and b"</3/0>" in m.payload, "update %s" % m.opts(URI_QUERY))
    sim.wait(lambda e: e["event"] == "updated" and e["ep"] == "sim-1", 2, srv)
    sim.command("flood sim-1 5")
    for _ in range(5):
        srv.wait_uplink(lambda m: m.path == "/rd", 3)
    sim.command("rename #1 sim-0")
    sim.command("register #1")
    _, m = srv.wait_uplink(lambda m: m.path == "/rd", 3)
    check("ep=sim-0" in m.opts(URI_QUERY), "duplicate name %s" % m.opts(URI_QUERY))
    srv.reply_register = code(4, 3)
    sim.command("register #1")
    sim.wait(lambda e: e["event"] == "register_failed" and e["code"] == "4.03", 3, srv)
    srv.reply_register = code(2, 1)
    sim.command("deregister sim-0")
    _, m = srv.wait_uplink(lambda m: m.code == DELETE, 3)
    sim.wait(lambda e: e["event"] == "deregistered" and e.get("code") == "2.02", 3, srv)
    sim.command("stats")
    ev = sim.wait(lambda e: e["event"] == "stats", 2, srv)
    check(ev["devices"] == 2 and ev["requests"] > 50, "stats %s" % ev)


def t_queue(binary):
    srv = Server()
    sim = Sim(binary, ["--server", "coap://127.0.0.1:%d" % srv.port, "--count", "1",
                       "--queue", "--awake", "1", "--version", "1.2", "--retry", "0"])
    try:
        ev = sim.wait(lambda e: e["event"] == "registered", 5, srv)
        _, reg = next((a, m) for a, m in srv.uplink if m.path == "/rd")
        check("Q" in reg.opts(URI_QUERY) and "lwm2m=1.2" in reg.opts(URI_QUERY), "Q flag")
        dev = srv.devices["sim-0"]
        token = b"qobs"
        expect(srv.request(dev, GET, "/3303/0/5700", observe=0, token=token), code(2, 5), "obs")
        sim.wait(lambda e: e["event"] == "sleeping", 4, srv)
        check(srv.request(dev, GET, "/3/0/0", timeout=0.5) is None, "asleep but answered")
        sim.command("set sim-0 /3303/0/5700 40")
        sim.wait(lambda e: e["event"] == "notify_stored", 2, srv)
        sim.command("wake sim-0 2")
        srv.wait_uplink(lambda m: m.code == POST and m.path.startswith("/rd/"), 3)
        n = srv.wait_notification(token, 3)
        check(n.payload, "stored notification")
        expect(srv.request(dev, GET, "/3/0/0"), code(2, 5), "awake answer")
        # Observe with attributes in the query (1.2)
        expect(srv.request(dev, GET, "/3303/1/5700", observe=0, query=["pmax=1"], token=b"q2"),
               code(2, 5), "observe with pmax")
        srv.wait_notification(b"q2", 3)
        ev = sim.wait(lambda e: e["event"] == "request" and e["path"] == "/3/0/0", 1, srv)
        sim.stop()
    finally:
        if sim.proc.poll() is None:
            sim.proc.kill()


def t_shared_socket(binary):
    srv = Server()
    sim = Sim(binary, ["--server", "coap://127.0.0.1:%d" % srv.port, "--count", "3",
                       "--shared-socket", "--bind", "127.3.0.1", "--verbose", "0"])
    try:
        for i in range(3):
            sim.wait(lambda e, i=i: e["event"] == "registered" and e["idx"] == i, 5, srv)
        addrs = sorted(srv.devices.values())
        check([a[0] for a in addrs] == ["127.3.0.1", "127.3.0.2", "127.3.0.3"], str(addrs))
        check(len({a[1] for a in addrs}) == 1, "one shared port %s" % addrs)
        r = expect(srv.request(srv.devices["sim-2"], GET, "/3/0/2"), code(2, 5), "read")
        check(r.payload == b"SIM00000002", "serial %r" % r.payload)
        sim.stop()
    finally:
        if sim.proc.poll() is None:
            sim.proc.kill()


def main():
    binary = sys.argv[1]
    client = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    srv = Server()
    sim = Sim(binary, ["--server", "coap://127.0.0.1:%d" % srv.port, "--count", "2", "--version", "1.2",
                       "--ack-timeout", "500", "--retry", "0", "--max-body", "200000"])
    passed = 0
    try:
        if run("register", t_register, srv, sim):
            passed += 1
            dev0, dev1 = srv.devices["sim-0"], srv.devices["sim-1"]
            tests = [
                ("read", t_read, srv, dev0),
                ("discover", t_discover, srv, dev0),
                ("write", t_write, srv, dev0),
                ("write-attributes", t_attributes, srv, dev0),
                ("observe", t_observe, srv, sim, dev0),
                ("execute", t_execute, srv, sim, dev0),
                ("create-delete", t_create_delete, srv, sim, dev0),
                ("composite", t_composite, srv, sim, dev0),
                ("send", t_send, srv, sim),
                ("block1", t_block1, srv, sim, dev0),
                ("block2", t_block2, srv, sim, dev0),
            ]
            if client:
                tests.append(("coap-client", t_coap_client, srv, sim, client, dev1[1]))
            tests += [("faults", t_faults, srv, sim, dev1),
                      ("registration", t_registration, srv, sim)]
            for t in tests:
                passed += run(*t)
        passed += run("stop", sim.stop)
    finally:
        if sim.proc.poll() is None:
            sim.proc.kill()
    passed += run("queue-mode", t_queue, binary)
    passed += run("shared-socket", t_shared_socket, binary)
    print("%d passed, %d failed" % (passed, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
