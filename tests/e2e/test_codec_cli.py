"""The lwm2m-codec tool: canonical payloads survive decode then encode byte for byte in every
binary format (the "both" vectors of ../shared/lwm2m-vectors, run through the CLI as they are),
and malformed input exits 1 with one line naming the byte."""
import json
import os
import subprocess

import pytest

from conftest import BUILD

CODEC = os.path.join(BUILD, "lwm2m", "lwm2m-codec")
VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "lwm2m-vectors")
BINARY = {11542: "tlv", 112: "senml-cbor", 11544: "lwm2m-cbor", 60: "cbor"}


def run(args, data):
    return subprocess.run([CODEC] + args, input=data, capture_output=True, timeout=10)


def both_vectors():
    out = []
    for name in sorted(os.listdir(VECTORS)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(VECTORS, name)) as f:
            for v in json.load(f):
                if (v.get("direction") == "both" and v.get("content_format") in BINARY
                        and isinstance(v.get("expected"), list) and v.get("bytes_hex")):
                    out.append(pytest.param(v, id=v["id"]))
    return out


def test_vectors_found():
    assert len(both_vectors()) >= 40, "the shared vectors must be present (../shared)"


@pytest.mark.parametrize("vector", both_vectors())
def test_round_trip_through_cli(vector):
    fmt = BINARY[vector["content_format"]]
    path = (vector.get("path") or "/").split("?")[0]
    args = ["--format", fmt, "--path", path, "--hex"]
    typ = vector["expected"][0]["type"] if fmt == "cbor" and vector["expected"] else None
    dec = run(["decode"] + args + (["--type", typ] if typ else []), vector["bytes_hex"].encode())
    assert dec.returncode == 0, dec.stderr
    enc = run(["encode"] + args, dec.stdout)
    assert enc.returncode == 0, enc.stderr
    assert enc.stdout.decode().strip() == vector["bytes_hex"]


@pytest.mark.parametrize("fmt,data,path", [
    ("tlv", b"c8", "/3/0"),                   # truncated header
    ("tlv", b"c805414243", "/3/0"),           # length beyond the payload
    ("senml-cbor", b"81a2", "/"),              # truncated map
    ("senml-json", b'[{"n":"/3/0/0","v":1', "/"),
    ("lwm2m-cbor", b"a1", "/"),
    ("link", b"</3/0", "/"),
])
def test_malformed_input_exits_1(fmt, data, path):
    hexed = fmt in ("tlv", "senml-cbor", "lwm2m-cbor")
    r = run(["decode", "--format", fmt, "--path", path] + (["--hex"] if hexed else []), data)
    assert r.returncode == 1
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "byte" in lines[0], lines


def test_usage_errors_exit_2():
    assert run(["decode", "--format", "nope"], b"").returncode == 2
    assert run(["frobnicate"], b"").returncode == 2
    assert run(["decode", "--format", "text", "--path", "/3/x"], b"").returncode == 2


def test_type_option_and_model():
    # The built-in model knows /3/0/9 (Battery Level, integer): no --type needed.
    r = run(["decode", "--format", "text", "--path", "/3/0/9"], b"87")
    assert json.loads(r.stdout) == [{"path": "/3/0/9", "type": "integer", "value": 87}]
    r = run(["decode", "--format", "text", "--path", "/9999/0/1", "--type", "float"], b"1.5")
    assert json.loads(r.stdout)[0]["value"] == 1.5
