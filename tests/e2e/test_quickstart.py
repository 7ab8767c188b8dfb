"""The README's first command, run from a fresh clone: packaging/quickstart.sh installs, builds,
starts a broker (when none answers on 127.0.0.1:1883), the gateway with the default site config
and a simulated device, and data arrives on MQTT within seconds of the gateway coming up."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import paho.mqtt.client as mqtt

from conftest import MqttClient, wait_for

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def test_quickstart_from_a_fresh_clone():
    # A broker already on 1883 is fine (the quick start uses it); the CoAP port must be free.
    if subprocess.run(["ss", "-Hlun", "sport = :5683"], capture_output=True,
                      text=True).stdout.strip():
        raise AssertionError("UDP 5683 is taken: the quick start needs the default port")
    clone = tempfile.mkdtemp(prefix="lmg-quickstart-")
    subprocess.run(["git", "clone", "-q", REPO, clone], check=True)
    log = open(os.path.join(clone, "quickstart.log"), "w")
    env = dict(os.environ, QUICKSTART_SECONDS="600")
    proc = subprocess.Popen(["sh", "packaging/quickstart.sh"], cwd=clone, stdout=log,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    sub = None
    try:
        wait_for(lambda: port_open(1883) or proc.poll() is not None, timeout=900,
                 interval=1, what="the quick start to build and start a broker")
        assert proc.poll() is None, open(os.path.join(clone, "quickstart.log")).read()[-3000:]
        sub = MqttClient(1883, version=mqtt.MQTTv311)
        sub.subscribe("lwm2m/#")
        sub.wait_json("lwm2m/$gateway/gw-1/status", lambda j: j["status"] == "online",
                      timeout=60)
        up = time.monotonic()
        state = sub.wait_json("lwm2m/quickstart-0/state", timeout=30)
        assert state["state"] == "registered"
        data = sub.wait_json("lwm2m/quickstart-0/data/3303/0/5700", timeout=30)
        assert data["type"] == "float" and data["name"] == "Sensor Value"
        assert time.monotonic() - up < 30
    finally:
        if sub:
            sub.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-f", f"{clone}/build"], check=False)
        shutil.rmtree(clone, ignore_errors=True)
