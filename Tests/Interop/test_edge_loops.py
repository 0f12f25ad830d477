"""The edge's default number of event loops follows the cores it may run on (its CPU affinity
mask), not the machine's: an edge started under `taskset -c N` runs one loop (docs/edge.md,
"How many loops"). Counted from the names of its threads (`NIO-ELT-…`, one per loop)."""
import copy
import json
import os
import time
from pathlib import Path

from conftest import BIN, Proc, free_port
from edge_helpers import Edge, SioClient, relaxed_config, wait_for_route


def loop_threads(pid: int) -> int:
    tasks = Path(f"/proc/{pid}/task")
    return sum(1 for task in tasks.iterdir()
               if (task / "comm").read_text(errors="replace").startswith("NIO-ELT-"))


def start_pinned_edge(cluster, cores: set[int], config: dict):
    """The edge under `taskset -c <cores>` on the cluster's bus, with `config`, once it listens."""
    port = free_port()
    config = copy.deepcopy(config)
    config["listeners"] = [{"host": "127.0.0.1", "port": port}]
    path = cluster.tmp / "edge.json"
    path.write_text(json.dumps(config))
    env = dict(cluster.env, EDGE_CONFIG=str(path), EDGE_PORT=str(port))
    argv = ["taskset", "-c", ",".join(map(str, sorted(cores))), str(BIN / "edge")]
    proc = Proc("edge", argv, env, cluster.tmp)
    cluster.procs.append(proc)
    proc.wait_for_log("edge listening", timeout=20)
    return Edge(proc, port, config)


def test_an_edge_pinned_to_one_core_runs_one_loop(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    one = min(os.sched_getaffinity(0))
    edge = start_pinned_edge(cluster, {one}, relaxed_config())
    wait_for_route(edge)
    assert loop_threads(edge.proc.popen.pid) == 1
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("echo", "on one loop") == ("on one loop",)


def test_loops_in_the_configuration_win_over_the_mask(cluster):
    cluster.start_bus()
    one = min(os.sched_getaffinity(0))
    pid = start_pinned_edge(cluster, {one}, relaxed_config(loops=3)).proc.popen.pid
    deadline = time.monotonic() + 10
    while loop_threads(pid) != 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert loop_threads(pid) == 3
