"""deploy/run's process supervision: the Procfile exported by honcho with our supervisord
template, one process restarted while the others keep running, and `honcho start`."""
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import BIN, ROOT, free_port


def supervisorctl(conf, *args):
    return subprocess.run(["supervisorctl", "-c", str(conf), *args], capture_output=True, text=True, timeout=60)


def pids(conf):
    out = supervisorctl(conf, "status").stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "RUNNING":
            found[parts[0].split(":")[1]] = parts[3].rstrip(",")
    return found


def wait_running(conf, names, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if set(names) <= set(pids(conf)):
            return pids(conf)
        time.sleep(0.2)
    raise AssertionError(supervisorctl(conf, "status").stdout)


def test_supervisord_restarts_one_process_while_the_others_keep_running(cluster, tmp_path):
    # The repository's own files, in a scratch copy so a running deploy/run is not disturbed.
    app = tmp_path / "app"
    (app / "deploy").mkdir(parents=True)
    shutil.copytree(ROOT / "deploy" / "supervisord", app / "deploy" / "supervisord")
    shutil.copy(ROOT / "deploy" / "supervisord.conf", app / "deploy" / "supervisord.conf")
    procfile = (ROOT / "Procfile").read_text() + "echo: exec ${SWITCHBOARD_BIN:-.build/release}/echo-service\n"
    (app / "Procfile").write_text(procfile)
    (app / ".run").mkdir()
    env = dict(cluster.env, SWITCHBOARD_BIN=str(BIN), CONSOLE_PORT=str(free_port()))
    subprocess.run(["honcho", "export", "--app", "switchboard", "--app-root", str(app), "--user", "root",
                    "--template-dir", "deploy/supervisord", "supervisord", ".run"],
                   cwd=app, env=env, check=True, capture_output=True)
    conf = app / "deploy" / "supervisord.conf"
    supervisord = subprocess.Popen(["supervisord", "-c", str(conf)], cwd=app, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        before = wait_running(conf, ["bus", "echo"])
        cluster.switchboard("send", "echo", '["up"]', "--wait-ms", "10000", check=True)
        assert supervisorctl(conf, "restart", "switchboard:echo").returncode == 0
        after = wait_running(conf, ["bus", "echo"])
        assert after["bus"] == before["bus"], "the bus was restarted too"
        assert after["echo"] != before["echo"], "echo kept its old process"
        cluster.switchboard("send", "echo", '["again"]', "--wait-ms", "10000", check=True)
    finally:
        supervisord.terminate()
        supervisord.wait(timeout=60)
    # stopasgroup: nothing is left behind.
    for pid in {*before.values(), *after.values()}:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), \
            f"process {pid} outlived supervisord"


def test_honcho_start_runs_the_procfile(cluster):
    """Every Procfile process comes up under `honcho start` (each logs its ready line), and honcho
    stops them all. It is stopped only once all have started: honcho itself can crash on a
    SIGTERM that arrives while it is still starting processes."""
    names = [line.split(":")[0] for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    ready = {"bus": "bus forwarding", "edge": "edge listening", "console": "console listening"}
    env = dict(cluster.env, SWITCHBOARD_BIN=str(BIN), EDGE_PORT=str(free_port()), CONSOLE_PORT=str(free_port()))
    honcho = subprocess.Popen(["honcho", "start", "-f", str(ROOT / "Procfile"), "-d", str(ROOT)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    waiting = set(names)
    seen = []
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in honcho.stdout], daemon=True).start()
    try:
        deadline = time.time() + 60
        while waiting and time.time() < deadline and honcho.poll() is None:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            for name in list(waiting):
                if f" {name}.1 " in line and ready.get(name, "ready: announcing") in line:
                    waiting.discard(name)
        assert not waiting, f"not ready under honcho: {sorted(waiting)}\n{''.join(seen[-40:])}"
    finally:
        honcho.terminate()
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(timeout=10)
