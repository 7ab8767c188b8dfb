"""The daemon as an integrator runs it: --check-config, --version, systemd notify, SIGHUP
reload (a broken config is rejected with file:line and the running one kept)."""
import os
import signal
import socket
import subprocess
import time

from conftest import GATEWAY, Gateway, wait_for


def run(*args):
    return subprocess.run([GATEWAY, *args], capture_output=True, text=True, timeout=10)


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("lwm2m-mqtt-gateway ")
    r = run("--help")
    assert r.returncode == 0 and "--check-config" in r.stdout
    assert run("--bogus").returncode == 2


def test_check_config_reports_file_line(workdir):
    path = os.path.join(workdir, "site.conf")
    with open(path, "w") as f:
        f.write('gateway: { id = "gw"; };\nmqtt: {\n  keepaliv = 30;\n  port = 99999;\n};\n')
    r = run("-c", path, "--check-config")
    assert r.returncode == 1
    assert f"{path}:3: mqtt.keepaliv: unknown key, did you mean 'mqtt.keepalive'?" in r.stderr
    assert f"{path}:4: mqtt.port" in r.stderr
    r = run("-c", os.path.join(workdir, "missing.conf"), "--check-config")
    assert r.returncode == 1 and "cannot read" in r.stderr


def test_shipped_config_is_valid():
    conf = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "lwm2m-mqtt-gateway.conf")
    r = run("-c", conf, "--check-config", "-v")
    assert r.returncode == 0, r.stderr
    assert "password" not in r.stdout or '"********"' in r.stdout or 'password = ""' in r.stdout


def test_systemd_notify(workdir, broker, mq):
    sock_path = os.path.join(workdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    g = Gateway(workdir, broker.port)
    g.start(env=env)
    got = sock.recv(4096).decode()
    assert "READY=1" in got
    g.signal(signal.SIGTERM)
    seen = ""
    while "STOPPING=1" not in seen:
        seen += sock.recv(4096).decode()
    assert g.proc.wait(10) == 0
    sock.close()


def test_reload_rejects_broken_config_and_keeps_running(workdir, broker, mq):
    g = Gateway(workdir, broker.port)
    g.start()
    with open(g.config, "a") as f:
        f.write("bridge: { root = 12; };\n")
    g.signal(signal.SIGHUP)
    wait_for(lambda: "running configuration is kept" in g.read_log(), what="reload refusal")
    log = g.read_log()
    assert f"{g.config}:" in log and "bridge.root" in log
    assert g.proc.poll() is None
    # still serving: a registration works
    code, _ = g.coap("post", "/rd?ep=after-reload&lt=60", "</1/0>", content_format=40)
    assert code == "2.01"
    g.write_config()  # a good config again
    g.signal(signal.SIGHUP)
    wait_for(lambda: "configuration applied" in g.read_log(), what="reload")
    assert g.stop() == 0


def test_secrets_are_never_logged_or_dumped(workdir, broker, mq):
    secret = "s3cr3t-Pa55word"
    g = Gateway(workdir, broker.port, mqtt_extra=f'username = "gw"; password = "{secret}";')
    g.start(wait_online=False)
    time.sleep(1)
    assert secret not in g.read_log()
    r = run("-c", g.config, "--check-config", "-v")
    assert r.returncode == 0 and secret not in r.stdout + r.stderr
    g.stop()
    assert secret not in g.read_log()
