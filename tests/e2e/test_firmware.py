"""Firmware updates (object 5) from the cloud: push and pull of a package to the device
simulator, progress and results on MQTT, queue-mode devices, failures with their Update Result,
a gateway restart in the middle of a transfer, and packages refused before any transfer."""
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import time

import pytest

from conftest import Gateway, Sim, free_port, wait_for

SIZE = 200 * 1024


@pytest.fixture
def packages(workdir):
    d = os.path.join(workdir, "packages")
    os.makedirs(d)
    return d


def make_package(directory, name, size, seed=1):
    data = random.Random(seed).randbytes(size)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fw_gateway(workdir, broker, mq, packages):
    g = Gateway(workdir, broker.port)
    g.extra = (f'firmware: {{ package_dir = "{packages}"; max_transfers = 2; retries = 3; '
               f'pull_uri = "coap://127.0.0.1:{g.coap_port}"; }};')
    g.start()
    mq.wait_json("lwm2m/$gateway/gw-test/status", lambda j: j["status"] == "online")
    yield g
    rc = g.stop()
    log = g.read_log()
    assert rc == 0 and "Sanitizer" not in log and "runtime error" not in log, log[-6000:]


@pytest.fixture
def sims(fw_gateway):
    started = []

    def make(prefix, args=()):
        s = Sim(fw_gateway, prefix=prefix, args=list(args))
        started.append(s)
        s.wait(lambda e: e["event"] == "registered", what="registration")
        return s
    yield make
    for s in started:
        s.stop()


def firmware_events(mq, ep):
    out = []
    for payload, _, _ in mq.all(f"lwm2m/{ep}/event"):
        j = json.loads(payload)
        if j.get("event") == "firmware":
            out.append(j)
    return out


def final_event(mq, ep, timeout=30.0):
    return mq.wait_json(f"lwm2m/{ep}/event",
                        lambda j: j.get("event") == "firmware" and j.get("final"), timeout)


def update(mq, ep, job, package, sha, method, **extra):
    cmd = {"id": job, "op": "firmware-update", "package": package, "sha256": sha,
           "method": method}
    cmd.update(extra)
    mq.publish(f"lwm2m/{ep}/command", cmd)
    return mq.wait_json(f"lwm2m/{ep}/response", lambda j: j.get("id") == job)


def states(mq, ep):
    seen = []
    for e in firmware_events(mq, ep):
        if not seen or seen[-1] != e["state"]:
            seen.append(e["state"])
    return seen


def test_push_200k_and_update(mq, packages, sims):
    sha = make_package(packages, "fw-push.bin", SIZE)
    sim = sims("push-")
    ep = "push-0"
    t0 = time.monotonic()
    r = update(mq, ep, "job-push", "fw-push.bin", sha, "push")
    assert r["status"] == "accepted" and r["ok"], r
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=30)
    transfer = time.monotonic() - t0
    assert got["method"] == "push" and got["bytes"] == SIZE and got["sha256"] == sha
    final = final_event(mq, ep)
    assert final["state"] == "success" and final["result"] == 1, final
    assert final["result_text"] == "Firmware updated successfully"
    assert states(mq, ep) == ["queued", "downloading", "downloaded", "updating", "success"]
    retained = mq.wait_json(f"lwm2m/{ep}/firmware", lambda j: j["final"])
    assert retained["job"] == "job-push" and retained["state"] == "success"
    pct = [e["percent"] for e in firmware_events(mq, ep)
           if e["state"] in ("downloading", "downloaded")]
    assert pct[0] == 0 and pct[-1] == 100, pct
    print(f"push of {SIZE} bytes: {transfer:.2f} s")


def test_pull_200k_small_blocks(mq, packages, sims, fw_gateway):
    sha = make_package(packages, "fw-pull.bin", SIZE, seed=2)
    sim = sims("pull-", ["--block-size", "256"])  # the device asks for 256-byte blocks
    ep = "pull-0"
    t0 = time.monotonic()
    r = update(mq, ep, "job-pull", "fw-pull.bin", sha, "pull")
    assert r["status"] == "accepted", r
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=40)
    transfer = time.monotonic() - t0
    assert got["method"] == "pull" and got["bytes"] == SIZE and got["sha256"] == sha
    assert got["blocks"] == SIZE // 256
    final = final_event(mq, ep)
    assert final["state"] == "success" and final["result"] == 1, final
    pct = [e["percent"] for e in firmware_events(mq, ep)
           if e["state"] == "downloading" and "percent" in e]
    assert pct == sorted(pct) and pct[-1] == 100 and len(pct) >= 10, pct
    assert "size" in final and final["size"] == SIZE
    print(f"pull of {SIZE} bytes in 256-byte blocks: {transfer:.2f} s")


@pytest.mark.parametrize("method,block", [("push", 64), ("pull", 16)])
def test_devices_asking_for_smaller_blocks(mq, packages, sims, method, block):
    sha = make_package(packages, f"fw-{method}-{block}.bin", 8 * 1024, seed=block)
    sim = sims(f"b{block}-", ["--block-size", str(block)])
    ep = f"b{block}-0"
    assert update(mq, ep, "job-b", f"fw-{method}-{block}.bin", sha, method)["ok"]
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=30)
    assert got["sha256"] == sha and got["bytes"] == 8 * 1024
    if method == "push":  # the gateway's Block1 follows the 2.31's smaller size
        nums = [e["block1"] for e in sim.find(lambda e: e["event"] == "request" and
                                              e.get("path") == "/5/0/0" and "block1" in e)]
        assert max(nums) == 8 * 1024 // block - 1, nums  # the last block, numbered in 64s
    else:  # every block at the size the device asked for
        assert got["blocks"] == 8 * 1024 // block
    assert final_event(mq, ep)["state"] == "success"


def test_concurrent_transfers_limited(mq, packages, sims):
    sha = make_package(packages, "fw-many.bin", 48 * 1024, seed=6)
    sim = sims("many-", ["--count", "3", "--block-size", "64"])
    wait_for(lambda: len(sim.find(lambda e: e["event"] == "registered")) == 3, what="3 devices")
    for i in range(3):
        assert update(mq, f"many-{i}", f"job-{i}", "fw-many.bin", sha, "pull")["ok"]
    for i in range(3):
        assert final_event(mq, f"many-{i}", timeout=40)["state"] == "success"
    # firmware.max_transfers = 2: the third transfer starts only when one of the first two
    # has left the transfer (downloaded).
    first = {i: [e["ts"] for e in firmware_events(mq, f"many-{i}") if e["state"] == "downloading"]
             for i in range(3)}
    done = {i: min(e["ts"] for e in firmware_events(mq, f"many-{i}")
                   if e["state"] == "downloaded") for i in range(3)}
    starts = sorted((min(first[i]), i) for i in range(3))
    last = starts[2][1]
    assert starts[2][0] >= min(done[i] for i in range(3) if i != last), (starts, done)


def test_lost_blocks_are_asked_for_again(mq, packages, sims):
    sha = make_package(packages, "fw-lost.bin", 64 * 1024, seed=7)
    sim = sims("lost-", ["--block-size", "128", "--ack-timeout", "300"])
    ep = "lost-0"
    # After the two Observes, the URI and some blocks, three answers (blocks) are lost.
    sim.send(f"drop {ep} 3 40")
    sim.wait(lambda e: e["event"] == "cmd_ok" and e["cmd"] == "drop")
    assert update(mq, ep, "job-lost", "fw-lost.bin", sha, "pull")["ok"]
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=40)
    assert got["sha256"] == sha and got["blocks"] == 64 * 1024 // 128
    sim.send("stats")
    stats = sim.wait(lambda e: e["event"] == "stats")
    assert stats["dropped"] >= 3 and stats["retransmissions"] >= 1, stats
    assert final_event(mq, ep)["state"] == "success"


def test_wrong_sha256_refused_before_any_transfer(mq, packages, sims):
    make_package(packages, "fw.bin", 4096)
    sim = sims("sha-")
    ep = "sha-0"
    r = update(mq, ep, "bad-sha", "fw.bin", "00" * 32, "push")
    assert r["status"] == "error" and r["code"] == "4.00", r
    assert "SHA-256 mismatch" in r["error"]
    for bad, why in [({"package": "../fw.bin"}, "file name"), ({"sha256": "xyz"}, "64 hex"),
                     ({"method": "ftp"}, "push"), ({"package": "missing.bin"}, "No such file")]:
        cmd = {"id": "bad", "op": "firmware-update", "package": "fw.bin", "sha256": "00" * 32,
               "method": "push"}
        cmd.update(bad)
        mq.publish(f"lwm2m/{ep}/command", cmd)
        r = mq.wait_json(f"lwm2m/{ep}/response",
                         lambda j, why=why: j.get("id") == "bad" and why in j.get("error", ""))
        assert r["status"] == "error"
    # MQTT 5: the answer goes to the command's Response Topic, with its Correlation Data
    mq.subscribe("app/fw-replies/#")
    mq.publish(f"lwm2m/{ep}/command", {"id": "corr", "op": "firmware-update", "package": "fw.bin",
                                        "sha256": "00" * 32},
               response_topic="app/fw-replies/1", correlation=b"\x01fw")
    mq.wait("app/fw-replies/1")
    payload, _, corr = mq.all("app/fw-replies/1")[0]
    assert json.loads(payload)["id"] == "corr" and corr == b"\x01fw"
    mq.publish(f"lwm2m/{ep}/command", b'{"op":"firmware-update",')  # not JSON: a plain error
    time.sleep(0.5)  # give a wrongly started transfer the chance to show
    assert not sim.find(lambda e: e["event"] in ("write", "firmware_received")
                        or (e["event"] == "request" and e.get("path", "").startswith("/5")))
    assert not firmware_events(mq, ep)


def test_failed_update_reports_update_result(mq, packages, sims):
    sha = make_package(packages, "fw-bad.bin", 8192, seed=3)
    sim = sims("fail-")
    ep = "fail-0"
    sim.send(f"fwfail {ep} 8")
    sim.wait(lambda e: e["event"] == "cmd_ok" and e["cmd"] == "fwfail")
    assert update(mq, ep, "job-fail", "fw-bad.bin", sha, "push")["ok"]
    final = final_event(mq, ep)
    assert final["state"] == "failure" and final["result"] == 8, final
    assert final["result_text"] == "Firmware update failed"
    retained = mq.wait_json(f"lwm2m/{ep}/firmware", lambda j: j["final"])
    assert retained["state"] == "failure" and retained["result"] == 8


def test_queue_mode_device_across_wakeups(mq, packages, sims):
    sha = make_package(packages, "fw-q.bin", 64 * 1024, seed=4)
    sim = sims("q-", ["--queue", "--awake", "60", "--block-size", "128"])
    ep = "q-0"
    sim.send(f"sleep {ep}")
    sim.wait(lambda e: e["event"] == "sleeping")
    mq.wait_json(f"lwm2m/{ep}/state", lambda j: j["state"] == "sleeping", timeout=20)
    assert update(mq, ep, "job-q", "fw-q.bin", sha, "pull")["ok"]
    time.sleep(0.5)
    assert not sim.find(lambda e: e["event"] == "firmware")  # asleep: the job waits
    sim.send(f"wake {ep}")  # wake-up 1: observations, the URI, the download starts
    mq.wait_json(f"lwm2m/{ep}/event", lambda j: j.get("event") == "firmware" and
                 j.get("percent", 0) >= 20, timeout=30)
    sim.send(f"sleep {ep}")  # cut in the middle of the download
    wait_for(lambda: len(sim.find(lambda e: e["event"] == "sleeping")) >= 2, what="sleep 2")
    assert not sim.find(lambda e: e["event"] == "firmware_received")
    time.sleep(1.0)
    sim.send(f"wake {ep}")  # wake-up 2: the download goes on where it stopped
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=40)
    assert got["sha256"] == sha and got["blocks"] < 64 * 1024 // 128 + 1
    final = final_event(mq, ep, timeout=30)
    assert final["state"] == "success", final


def test_cancel_while_the_device_sleeps(mq, packages, sims):
    sha = make_package(packages, "fw-c.bin", 16 * 1024, seed=8)
    sim = sims("c-", ["--queue", "--awake", "60"])
    ep = "c-0"
    sim.send(f"sleep {ep}")
    mq.wait_json(f"lwm2m/{ep}/state", lambda j: j["state"] == "sleeping", timeout=20)
    assert update(mq, ep, "job-c", "fw-c.bin", sha, "push")["ok"]
    mq.publish(f"lwm2m/{ep}/command", {"id": "job-c", "op": "firmware-cancel"})
    r = mq.wait_json(f"lwm2m/{ep}/response", lambda j: j.get("op") == "firmware-cancel")
    assert r["status"] == "accepted", r
    final = final_event(mq, ep)
    assert final["state"] == "cancelled" and final["error"] == "cancelled by command", final
    mq.publish(f"lwm2m/{ep}/command", {"id": "job-c", "op": "firmware-cancel"})
    r = mq.wait_json(f"lwm2m/{ep}/response", lambda j: j.get("op") == "firmware-cancel" and
                     j["status"] == "error")
    assert r["code"] == "4.04"
    sim.send(f"wake {ep}")
    sim.wait(lambda e: e["event"] == "updated")
    time.sleep(0.5)  # what was queued for the device would arrive now
    assert not sim.find(lambda e: e["event"] == "firmware_received")


def test_job_times_out_when_the_device_never_wakes(mq, packages, sims):
    sha = make_package(packages, "fw-t.bin", 4096, seed=9)
    sim = sims("t-", ["--queue", "--awake", "60"])
    ep = "t-0"
    sim.send(f"sleep {ep}")
    mq.wait_json(f"lwm2m/{ep}/state", lambda j: j["state"] == "sleeping", timeout=20)
    t0 = time.monotonic()
    assert update(mq, ep, "job-t", "fw-t.bin", sha, "push", timeout=10)["ok"]
    final = final_event(mq, ep, timeout=40)
    assert final["state"] == "failure" and "timed out" in final["error"], final
    assert time.monotonic() - t0 >= 9.5
    assert "result" not in final


def test_gateway_restart_mid_transfer(mq, packages, sims, fw_gateway):
    sha = make_package(packages, "fw-r.bin", SIZE, seed=5)
    sim = sims("r-", ["--block-size", "128", "--ack-timeout", "500"])
    ep = "r-0"
    assert update(mq, ep, "job-r", "fw-r.bin", sha, "pull")["ok"]
    mq.wait_json(f"lwm2m/{ep}/event", lambda j: j.get("event") == "firmware" and
                 j.get("percent", 0) >= 10, timeout=30)
    fw_gateway.kill()  # a crash in the middle of the transfer
    assert not sim.find(lambda e: e["event"] == "firmware_received")
    fw_gateway.start()
    assert "firmware job job-r resumed in phase downloading" in fw_gateway.read_log()
    got = sim.wait(lambda e: e["event"] == "firmware_received", timeout=60)
    assert got["sha256"] == sha and got["bytes"] == SIZE
    final = final_event(mq, ep, timeout=30)
    assert final["state"] == "success" and final["job"] == "job-r", final


def test_state_schema_migrates_to_2(workdir, broker, mq, packages):
    """A state database of schema 1 (before firmware jobs) is migrated on start."""
    g = Gateway(workdir, broker.port)
    g.start()
    assert g.stop() == 0
    db = os.path.join(g.state_dir, "state.db")
    with sqlite3.connect(db) as c:  # back to what a schema-1 gateway wrote
        assert c.execute("PRAGMA user_version").fetchone()[0] == 2
        c.execute("DROP TABLE firmware_jobs")
        c.execute("PRAGMA user_version = 1")
    g.start()
    assert g.stop() == 0
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 2
        assert c.execute("SELECT count(*) FROM firmware_jobs").fetchone()[0] == 0
