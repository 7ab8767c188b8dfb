"""The daemon's persistent state: 1,000 registered devices and commands queued for sleeping
devices survive a SIGKILL; after the restart every device's next Update succeeds without a
new Register, the queued commands are delivered, and observations resume. SIGHUP with a
changed auto-observe rule applies it to new registrations."""
import signal
import time

from conftest import Gateway, Sim, wait_for

RULE = 'observe = ( { path = "/3303/0/5700"; attributes = "pmin=0&pmax=600"; } );'


def test_restart_keeps_registrations_queue_and_observations(workdir, broker, mq):
    g = Gateway(workdir, broker.port, extra=RULE)
    g.start()
    crowd = Sim(g, count=1000, prefix="r-", args=["--register-rate", "500", "--lifetime", "600"])
    sleepers = Sim(g, count=2, prefix="z-", args=["--queue", "--awake", "2", "--lifetime", "600"])
    try:
        wait_for(lambda: len(crowd.find(lambda e: e.get("event") == "registered")) == 1000,
                 timeout=120, what="1000 registrations")
        wait_for(lambda: len(crowd.find(lambda e: e.get("event") == "observe")) == 1000,
                 timeout=120, what="1000 observations")
        sleepers.wait(lambda e: e.get("event") == "sleeping", timeout=20)
        mq.wait_json("lwm2m/z-1/state", lambda j: j["state"] == "sleeping", timeout=20)
        for i, ep in enumerate(["z-0", "z-1", "z-0"]):
            mq.publish(f"lwm2m/{ep}/command", {"id": f"kept{i}", "op": "read",
                                               "path": f"/3/0/{i}", "ttl": 600})
            mq.wait_json(f"lwm2m/{ep}/response",
                         lambda j, i=i: j["id"] == f"kept{i}" and j["status"] == "queued")
        registers_before = len(crowd.find(lambda e: e.get("event") == "registered"))
        observes_before = len(crowd.find(lambda e: e.get("event") == "observe"))

        g.kill()  # SIGKILL at an arbitrary moment
        g.start()
        assert "1002 registrations restored" in g.read_log()

        # every device's next Update succeeds (2.04) without registering again
        crowd.send("update all")
        wait_for(lambda: len(crowd.find(lambda e: e.get("event") == "updated"
                                        and e.get("code") == "2.04")) == 1000,
                 timeout=120, what="1000 successful Updates")
        assert not crowd.find(lambda e: e.get("event") == "update_failed")
        assert len(crowd.find(lambda e: e.get("event") == "registered")) == registers_before
        # observations resume: the gateway observes again
        try:
            wait_for(lambda: len(crowd.find(lambda e: e.get("event") == "observe"))
                     >= observes_before + 1000, timeout=120, what="observations re-established")
        except AssertionError:
            n = len(crowd.find(lambda e: e.get("event") == "observe")) - observes_before
            log = [l for l in g.read_log().splitlines() if "coap:" not in l]
            raise AssertionError(f"{n} of 1000 re-observed; gateway log tail:\n" +
                                 "\n".join(log[-15:]))
        crowd.send("set r-7 /3303/0/5700 77.5")
        mq.wait_json("lwm2m/r-7/data/3303/0/5700",
                     lambda j: j["source"] == "notify" and j["value"] == 77.5, timeout=20)
        # the queued commands are delivered when the devices wake, in order
        for ep in ("z-0", "z-1"):
            sleepers.send(f"wake {ep}")
        for i, ep in enumerate(["z-0", "z-1", "z-0"]):
            r = mq.wait_json(f"lwm2m/{ep}/response",
                             lambda j, i=i: j["id"] == f"kept{i}" and j["status"] == "response",
                             timeout=30)
            assert r["ok"], r
    finally:
        crowd.stop()
        sleepers.stop()
        g.stop()


def test_reload_applies_a_changed_rule_to_new_registrations(workdir, broker, mq):
    g = Gateway(workdir, broker.port)
    g.start()
    first = Sim(g, count=1, prefix="before-")
    try:
        first.wait(lambda e: e.get("event") == "registered")
        time.sleep(0.5)
        assert not first.find(lambda e: e.get("event") == "observe")
        g.extra = 'observe = ( { path = "/3/0/9"; endpoint = "after-*"; } );'
        g.write_config()
        g.signal(signal.SIGHUP)
        wait_for(lambda: "configuration applied" in g.read_log(), what="reload")
        second = Sim(g, count=1, prefix="after-")
        try:
            ev = second.wait(lambda e: e.get("event") == "observe", timeout=10)
            assert ev["path"] == "/3/0/9"
            mq.wait_json("lwm2m/after-0/data/3/0/9", lambda j: j["source"] == "observe")
        finally:
            second.stop()
    finally:
        first.stop()
        g.stop()
