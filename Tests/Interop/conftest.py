"""Interop test harness: starts the real binaries (built once by deploy/test) on free loopback
ports, with their own data folder, and stops them at the end of each test."""
import json
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("SWITCHBOARD_BIN", ROOT / ".build" / "debug"))


# Key files made besides `switchboard keys`' standard set: NAME=ROLE.
EXTRA_KEYS = ("pyservice=service:pyecho", "rawtest=operator")


def bus_key(sock, key_file):
    """Gives a pyzmq socket the CURVE keys of a key file (`public`, `secret`, `server` lines),
    before it connects."""
    values = dict(line.split(" ", 1) for line in Path(key_file).read_text().splitlines()
                  if line and not line.startswith("#"))
    sock.curve_publickey = values["public"].encode()
    sock.curve_secretkey = values["secret"].encode()
    sock.curve_serverkey = values["server"].encode()


# Ports handed out in this run, so that no two processes are given the same one.
_given_ports: set[int] = set()


def free_port() -> int:
    """A port free on 127.0.0.1, taken below the kernel's ephemeral range (32768-60999 on Linux):
    a port the kernel picked with `bind(0)` may be taken a moment later as the local end of some
    outgoing connection (a benchmark's thousands of clients, the tests' own) before the process it
    was meant for binds it, and that process then fails with EADDRINUSE."""
    while True:
        port = random.randint(20000, 32000)
        if port in _given_ports:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given_ports.add(port)
        return port


class Proc:
    """One started process, its log file, and how to stop it."""

    def __init__(self, name, argv, env, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}-{int(time.time() * 1000)}.log"
        self.log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def signal(self, sig):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def kill9(self):
        self.signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout=10):
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.output():
                return True
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: '{text}' not logged within {timeout}s:\n{self.output()}")


class Cluster:
    """The processes of one test, all on the same private bus."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.env = dict(os.environ)
        self.env.update({
            "BUS_PUBLISH": f"tcp://127.0.0.1:{free_port()}",
            "BUS_SUBSCRIBE": f"tcp://127.0.0.1:{free_port()}",
            "SWITCHBOARD_DATA": str(self.data),
            "LOG_LEVEL": "info",
        })
        self.procs: list[Proc] = []
        # The bus's CURVE keys, as deploy/run makes them (each binary finds data/keys/<its name>.key),
        # plus the keys of the Python clients (pyservice.py, test_python_service's raw client).
        self.keys = self.data / "keys"
        self.switchboard("keys", *EXTRA_KEYS, check=True)

    def start(self, binary, name=None, extra_env=None, args=()):
        env = dict(self.env)
        env.update(extra_env or {})
        proc = Proc(name or binary, [str(BIN / binary), *args], env, self.tmp)
        self.procs.append(proc)
        return proc

    def start_bus(self):
        proc = self.start("bus")
        proc.wait_for_log("bus forwarding")
        return proc

    def start_service(self, binary, name=None, extra_env=None):
        proc = self.start(binary, name=name, extra_env=extra_env)
        proc.wait_for_log("ready: heard our own hello back")
        return proc

    def switchboard(self, *args, timeout=120, check=False):
        """Runs the CLI to completion on this cluster's bus."""
        result = subprocess.run([str(BIN / "switchboard"), *args], env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"switchboard {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def switchboard_background(self, *args, name="switchboard"):
        return self.start("switchboard", name=name, args=args)

    def stop_all(self):
        for proc in reversed(self.procs):
            proc.stop()


def json_lines(text: str):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop_all()
