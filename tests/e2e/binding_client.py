"""A small LwM2M 1.2 client on the MQTT transport binding (Transport TS §8), for end-to-end tests:
paho-mqtt + cbor2, a tiny object store (objects 1, 3, 3303), Register / Update / De-register,
answers to the server's requests (Read, Discover, Write, Write-Attributes, Execute, Create,
Delete, Observe, Cancel-Observe and the composite operations), Notify and Send.

Every message is a CBOR map with integer keys (Tbl 8.7-1). Requests carry operation (1) and
token (2); responses carry result (18) and the request's token. Client and server publish on the
same topic, {prefix}/lwm2m/rd/{ep}, so each side also receives what it sent: the client skips
its own publications by their bytes."""
import threading
import time

import cbor2
import paho.mqtt.client as mqtt

# Keys (Tbl 8.7-1).
OPERATION, TOKEN, EP, PCT, URI, PATHS, PAYLOAD, LIFETIME, VERSION, BINDING, SMS = range(1, 12)
PMIN, PMAX, GT, ST, EPMIN, EPMAX, RESULT, CT, EDGE, HQMAX, DEPTH = range(12, 23)
# Operations on rd topics.
REGISTER, UPDATE, DEREGISTER = 6, 7, 8
READ, READ_COMPOSITE, DISCOVER, WRITE_REPLACE, WRITE_PARTIAL = 9, 10, 11, 12, 13
WRITE_ATTRIBUTES, WRITE_COMPOSITE, EXECUTE, CREATE, DELETE = 14, 15, 16, 17, 18
OBSERVE, OBSERVE_COMPOSITE, CANCEL_OBSERVE, NOTIFY, SEND = 20, 21, 22, 23, 24

CF_TEXT, CF_LINK, CF_SENML_CBOR = 0, 40, 112
# SenML CBOR labels (RFC 8428 §6).
BN, N, V, VS, VB, VD = -2, 0, 2, 3, 4, 8

EXECUTABLE = {"/3/0/4", "/3/0/5"}


def default_store():
    return {
        "/1/0/0": 1, "/1/0/1": 60, "/1/0/6": False, "/1/0/7": "M",
        "/3/0/0": "Open Mobile Alliance", "/3/0/1": "Lightweight M2M Client",
        "/3/0/2": "345000123", "/3/0/9": 100, "/3/0/16": "M",
        "/3303/0/5700": 21.5, "/3303/0/5701": "Cel",
    }


def senml_encode(values):
    """{path: value} as SenML CBOR records with full names."""
    records = []
    for path, value in sorted(values.items()):
        if isinstance(value, bool):
            records.append({N: path, VB: value})
        elif isinstance(value, (int, float)):
            records.append({N: path, V: value})
        elif isinstance(value, bytes):
            records.append({N: path, VD: value})
        else:
            records.append({N: path, VS: str(value)})
    return cbor2.dumps(records)


def senml_decode(data):
    out, base = {}, ""
    for rec in cbor2.loads(data):
        base = rec.get(BN, base)
        name = base + rec.get(N, "")
        for key in (V, VS, VB, VD):
            if key in rec:
                out[name] = rec[key]
    return out


def covers(parent, path):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


class BindingDevice:
    def __init__(self, port, endpoint, prefix="site1", lifetime=60, version="1.2", binding="M",
                 objects="</1/0>,</3/0>,</3303/0>"):
        self.endpoint = endpoint
        self.topic = f"{prefix}/lwm2m/rd/{endpoint}" if prefix else f"lwm2m/rd/{endpoint}"
        self.lifetime, self.version, self.binding, self.objects = lifetime, version, binding, objects
        self.store = default_store()
        self.attributes = {}     # path -> {key: value} from Write-Attributes
        self.executed = []       # (path, arguments)
        self.observations = {}   # token -> (paths, composite)
        self.requests = []       # every request the server sent, decoded
        self.answers = {}        # our token -> the server's reply map
        self.arrivals = []       # ("answer", token) / ("request", operation), in arrival order
        self.sent = {}           # payload bytes -> count: our own publications, to skip
        self.next_token = 56     # the TS's examples start at 56
        self.cond = threading.Condition()
        self.client = mqtt.Client(client_id=f"dev-{endpoint}-{time.monotonic_ns()}",
                                  protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        connected, subscribed = threading.Event(), threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not connected.wait(5):
            raise AssertionError("device could not connect to the broker")
        self.client.subscribe(self.topic, 1)
        if not subscribed.wait(5):
            raise AssertionError("device could not subscribe")

    # ---- plumbing ----

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def publish_raw(self, data, wait=True):
        """Publishes bytes as they are (tests use it for malformed messages). Not waiting is for
        paho's callbacks: its network thread would be the one to send."""
        with self.cond:
            self.sent[data] = self.sent.get(data, 0) + 1
        info = self.client.publish(self.topic, data, qos=1)
        if wait:
            info.wait_for_publish(5)

    def publish(self, message, wait=True):
        self.publish_raw(cbor2.dumps(message), wait)

    def token(self):
        with self.cond:
            self.next_token += 1
            return self.next_token

    def request(self, message, timeout=5.0):
        """Publishes a request with a fresh token and waits for the server's answer."""
        token = message.setdefault(TOKEN, self.token())
        self.publish(message)
        with self.cond:
            if not self.cond.wait_for(lambda: token in self.answers, timeout):
                raise AssertionError(f"no answer to {message}")
            return self.answers.pop(token)

    def _on_message(self, client, userdata, msg):
        with self.cond:
            if self.sent.get(msg.payload):
                self.sent[msg.payload] -= 1
                return
        try:
            m = cbor2.loads(msg.payload)
        except Exception:
            return
        if not isinstance(m, dict):
            return
        if RESULT in m:
            with self.cond:
                self.answers[m.get(TOKEN)] = m
                self.arrivals.append(("answer", m.get(TOKEN)))
                self.cond.notify_all()
            return
        with self.cond:
            self.requests.append(m)
            self.arrivals.append(("request", m.get(OPERATION)))
            self.cond.notify_all()
        answer = self._serve(m)
        if answer is not None:  # {18: result, 2: token, ?19: ct, ?7: payload}, the TS's order
            self.publish({RESULT: answer.pop(RESULT), TOKEN: m.get(TOKEN), **answer}, wait=False)

    def wait_request(self, predicate, timeout=5.0):
        with self.cond:
            found = []
            ok = self.cond.wait_for(
                lambda: found.extend(r for r in self.requests if predicate(r)) or found, timeout)
            if not ok:
                raise AssertionError("the server did not send the expected request")
            return found[0]

    # ---- registration interface ----

    def register(self, **extra):
        m = {OPERATION: REGISTER, LIFETIME: self.lifetime, VERSION: self.version,
             BINDING: self.binding, PAYLOAD: self.objects.encode()}
        m.update(extra)
        return self.request(m)[RESULT]

    def update(self, lifetime=None, objects=None):
        m = {OPERATION: UPDATE}
        if lifetime is not None:
            m[LIFETIME] = lifetime
        if objects is not None:
            m[PAYLOAD] = objects.encode()
        return self.request(m)[RESULT]

    def deregister(self):
        return self.request({OPERATION: DEREGISTER})[RESULT]

    # ---- information reporting ----

    def send(self, values, operation=SEND):
        """Send (24); operation=23 reproduces the TS's Send example, which says 23."""
        return self.request({OPERATION: operation, CT: CF_SENML_CBOR,
                             PAYLOAD: senml_encode(values)})[RESULT]

    def set(self, path, value):
        """Changes a value and notifies every observation that covers it."""
        self.store[path] = value
        for token, (paths, composite) in list(self.observations.items()):
            if any(covers(p, path) for p in paths):
                ct, payload = self._content(paths, composite)
                self.publish({OPERATION: NOTIFY, TOKEN: token, CT: ct, PAYLOAD: payload})

    # ---- the server's requests ----

    def _select(self, path):
        return {p: v for p, v in self.store.items() if covers(path, p)}

    def _content(self, paths, composite):
        if not composite and len(paths) == 1 and paths[0] in self.store:
            value = self.store[paths[0]]
            if isinstance(value, bool):
                value = "1" if value else "0"
            return CF_TEXT, str(value)  # a text string, as in the TS's Read example
        values = {}
        for p in paths:
            values.update(self._select(p))
        return CF_SENML_CBOR, senml_encode(values)

    def _serve(self, m):
        op, uri = m.get(OPERATION), m.get(URI, "")
        if op in (READ, OBSERVE):
            if not self._select(uri):
                return {RESULT: 404}
            ct, payload = self._content([uri], False)
            if op == OBSERVE:
                self.observations[m[TOKEN]] = ([uri], False)
            return {RESULT: 205, CT: ct, PAYLOAD: payload}
        if op in (READ_COMPOSITE, OBSERVE_COMPOSITE):
            paths = m.get(PATHS, [])
            ct, payload = self._content(paths, True)
            if op == OBSERVE_COMPOSITE:
                self.observations[m[TOKEN]] = (paths, True)
            return {RESULT: 205, CT: ct, PAYLOAD: payload}
        if op == CANCEL_OBSERVE:
            found = self.observations.pop(m.get(TOKEN), None)
            return {RESULT: 205 if found else 404}
        if op == DISCOVER:
            paths = sorted(self._select(uri))
            if not paths:
                return {RESULT: 404}
            links = [f"<{uri}>"] + [f"<{p}>" for p in paths]
            return {RESULT: 205, CT: CF_LINK, PAYLOAD: ",".join(links).encode()}
        if op in (WRITE_REPLACE, WRITE_PARTIAL, WRITE_COMPOSITE, CREATE):
            return self._write(op, uri, m)
        if op == WRITE_ATTRIBUTES:
            self.attributes[uri] = {k: v for k, v in m.items() if PMIN <= k <= HQMAX}
            return {RESULT: 204}
        if op == EXECUTE:
            if uri not in EXECUTABLE:
                return {RESULT: 405}
            args = m.get(PAYLOAD, b"")
            self.executed.append((uri, args.decode() if isinstance(args, bytes) else args))
            return {RESULT: 204}
        if op == DELETE:
            gone = [p for p in self.store if covers(uri, p)]
            for p in gone:
                del self.store[p]
            return {RESULT: 202 if gone else 404}
        return {RESULT: 501}

    def _write(self, op, uri, m):
        ct, payload = m.get(CT), m.get(PAYLOAD, b"")
        if ct == CF_SENML_CBOR:
            values = senml_decode(payload)
        elif ct == CF_TEXT:
            text = payload.decode() if isinstance(payload, bytes) else payload
            values = {uri: text}
        else:
            return {RESULT: 415}
        if op == CREATE:
            instances = {"/".join(p.split("/")[:3]) for p in values}
            if len(instances) != 1 or any(covers(i, p) for i in instances for p in self.store):
                return {RESULT: 400}
            self.store.update(values)
            return {RESULT: 201, URI: instances.pop()}
        if op == WRITE_REPLACE and len(uri.split("/")) == 3:  # an instance: replaced whole
            for p in [p for p in self.store if covers(uri, p)]:
                del self.store[p]
        self.store.update(values)
        return {RESULT: 204}
