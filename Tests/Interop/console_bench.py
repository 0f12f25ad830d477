"""The console under load (issue 16): bus, echo-service and console pinned to CPU 0, this
script (the load and headless Chromium with the page open) to CPU 1. The load publishes `echo`
events for the echo service at a steady rate (each answered by a reply, so the bus carries twice
the rate) for a while with the console running and its page open, then with the console stopped,
and reports: the echo round trips the load got back and their latency (is the bus slowed?), the
console's CPU, what the page and the console lost, and how responsive the page stayed (the
longest stall of its event loop, and the time from pressing Filter to the filtered lines).

    cd Tests/Interop && SWITCHBOARD_BIN=/work/main/.build/release taskset -c 1 python3 console_bench.py \
        [--rate 2500] [--seconds 15]

Not a test (no pass/fail): the figures go to docs/benchmarks.md."""
import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import zmq
from selenium.webdriver.common.by import By

from bus_helpers import envelopes
from conftest import BIN, Cluster, Proc, bus_key, free_port
from console_helpers import browser, wait_until


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    """Echo events at `rate` per second for `seconds`; counts replies and their round trips."""

    def __init__(self, cluster, rate, seconds):
        self.name = f"loadgen-{uuid.uuid4().hex[:6]}"
        self.rate, self.seconds = rate, seconds
        self.context = zmq.Context()
        self.pub = self.context.socket(zmq.PUB)
        self.sub = self.context.socket(zmq.SUB)
        for sock in (self.pub, self.sub):
            sock.setsockopt(zmq.LINGER, 0)
            bus_key(sock, cluster.keys / "rawtest.key")
        self.pub.setsockopt(zmq.SNDHWM, 1_000_000)
        self.pub.connect(cluster.env["BUS_PUBLISH"])
        self.sub.connect(cluster.env["BUS_SUBSCRIBE"])
        self.sub.setsockopt(zmq.SUBSCRIBE, f"inbox.{self.name}".encode())
        self.sent = {}
        self.round_trips = []
        self.done = False
        time.sleep(0.5)

    def receive(self):
        while not self.done or self.sub.poll(500):
            if not self.sub.poll(100):
                continue
            for frames in envelopes(self.sub.recv_multipart()):
                header = json.loads(frames[1])
                start = self.sent.pop(header.get("re"), None)
                if start is not None:
                    self.round_trips.append((time.monotonic() - start) * 1000)

    def run(self):
        receiver = threading.Thread(target=self.receive, daemon=True)
        receiver.start()
        start = time.monotonic()
        count = 0
        while (elapsed := time.monotonic() - start) < self.seconds:
            due = int(elapsed * self.rate)
            while count < due:
                message_id = uuid.uuid4().hex[:24]
                header = {"v": 1, "id": message_id, "type": "event", "from": self.name,
                          "ts": int(time.time() * 1000), "ns": "/", "event": "echo", "ack": True,
                          "sid": f"{self.name}-{count % 50}", "replyTo": f"inbox.{self.name}"}
                self.sent[message_id] = time.monotonic()
                self.pub.send_multipart([b"svc.echo", json.dumps(header).encode(), b'["load"]'])
                count += 1
            time.sleep(0.002)
        self.done = True
        receiver.join(timeout=10)
        self.pub.close()
        self.sub.close()
        self.context.term()
        trips = sorted(self.round_trips)
        return {"sent": count, "answered": len(trips), "seconds": self.seconds,
                "p50_ms": trips[len(trips) // 2] if trips else None,
                "p99_ms": trips[int(len(trips) * 0.99)] if trips else None}


PAGE_PROBE = """
window.__lag = 0; window.__last = performance.now();
window.__probe = setInterval(() => { const now = performance.now();
  window.__lag = Math.max(window.__lag, now - window.__last - 50); window.__last = now; }, 50);
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=2500, help="echo events per second (bus messages: twice)")
    parser.add_argument("--seconds", type=float, default=15)
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="console-bench-"))
    cluster = Cluster(tmp)
    pinned = lambda binary, extra=None: cluster.procs.append(Proc(
        binary, ["taskset", "-c", "0", str(BIN / binary)], dict(cluster.env, **(extra or {})), tmp)) or cluster.procs[-1]
    port = free_port()
    try:
        pinned("bus").wait_for_log("bus forwarding")
        pinned("echo-service").wait_for_log("ready: heard our own hello back")
        console = pinned("console", {"CONSOLE_PORT": str(port), "LOG_LEVEL": "warning"})
        console.wait_for_log("console listening")
        token = (cluster.data / "console.token").read_text().strip()
        driver = browser()
        driver.get(f"http://127.0.0.1:{port}/?token={token}")
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, '#services tr[data-service="echo"]'), what="echo")
        driver.execute_script(PAGE_PROBE)
        cpu_before = cpu_seconds(console.popen.pid)
        with_console = Load(cluster, options.rate, options.seconds).run()
        console_cpu = (cpu_seconds(console.popen.pid) - cpu_before) / options.seconds
        lag = driver.execute_script("return window.__lag")
        counters = {name: driver.find_element(By.ID, name).text for name in ("received", "dropped", "busDropped")}
        # Filter while the bus is busy: time from pressing Filter to the first filtered line.
        loader = threading.Thread(target=lambda: Load(cluster, options.rate, 6).run())
        loader.start()
        time.sleep(2)
        driver.find_element(By.ID, "filter-event").send_keys("echo")
        pressed = time.monotonic()
        driver.find_element(By.ID, "apply-filter").click()
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, '#trace tbody tr[data-event="echo"]'),
                   what="filtered lines", poll=0.01)
        filter_ms = (time.monotonic() - pressed) * 1000
        script_start = time.monotonic()
        driver.execute_script("return document.querySelectorAll('#trace tbody tr').length")
        script_ms = (time.monotonic() - script_start) * 1000
        loader.join()
        driver.quit()
        console.stop()
        without_console = Load(cluster, options.rate, options.seconds).run()
        print(json.dumps({"rate_events_per_s": options.rate, "bus_messages_per_s": 2 * options.rate,
                          "with_console": with_console, "without_console": without_console,
                          "console_cpu_share_of_a_core": round(console_cpu, 3),
                          "page_longest_event_loop_stall_ms": round(lag, 1),
                          "page_filter_to_first_line_ms": round(filter_ms, 1),
                          "page_script_round_trip_ms": round(script_ms, 1),
                          "page_counters": counters}, indent=2))
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    main()
