"""The bus protocol document is enough to write a service in another language: pyservice.py
(Python, pyzmq only, written from docs/bus-protocol.md) answers the Swift tools, and calls the
Swift echo service. Under load from a Swift edge it reads the edge's bundles and writes its own
(docs/bus-protocol.md §3), and a pyservice that does not say `bundles` gets none."""
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import zmq

from bus_helpers import bundle, envelopes
from conftest import Proc, bus_key, json_lines
from edge_helpers import SioClient, relaxed_config, start_edge, wait_for_route

HERE = Path(__file__).resolve().parent
PYSERVICE = HERE / "pyservice.py"


def start_pyservice(cluster, *args, name="pyservice", extra_env=None):
    """Runs pyservice.py on the cluster's bus; registered so that the fixture stops it too."""
    env = dict(cluster.env, **(extra_env or {}))
    proc = Proc(name, [sys.executable, "-u", str(PYSERVICE), *args], env, cluster.tmp)
    cluster.procs.append(proc)
    return proc


def stop_cleanly(proc):
    proc.signal(signal.SIGTERM)
    assert proc.popen.wait(timeout=10) == 0, proc.output()


class RawClient:
    """A bare pyzmq publisher/subscriber, to send hand-made events."""

    def __init__(self, env, bundles=False):
        self.instance = f"rawtest-{uuid.uuid4().hex[:6]}"
        self.bundles = bundles  # said in its hellos: it reads bundles
        self.inbox = f"inbox.{self.instance}"
        self.context = zmq.Context()
        self.pub = self.context.socket(zmq.PUB)
        self.sub = self.context.socket(zmq.SUB)
        for sock in (self.pub, self.sub):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDHWM, 1_000_000)
            sock.setsockopt(zmq.RCVHWM, 1_000_000)
            bus_key(sock, Path(env["SWITCHBOARD_DATA"]) / "keys" / "rawtest.key")
        self.pub.connect(env["BUS_PUBLISH"])
        self.sub.connect(env["BUS_SUBSCRIBE"])
        self.sub.setsockopt(zmq.SUBSCRIBE, self.inbox.encode())
        self.sub.setsockopt(zmq.SUBSCRIBE, b"hello")
        self.waiting = []  # envelopes of a bundle received but not yet returned

    def close(self):
        self.pub.close()
        self.sub.close()
        self.context.term()

    def publish(self, topic, header, body):
        self.pub.send_multipart([topic.encode(), json.dumps(header).encode(), json.dumps(body).encode()])

    def receive(self, timeout):
        """The next message on an exactly wanted topic as (topic, header, body), or None."""
        deadline = time.time() + timeout
        while self.waiting or time.time() < deadline:
            if not self.waiting and self.sub.poll(50):
                self.waiting.extend(envelopes(self.sub.recv_multipart()))
            while self.waiting:
                frames = self.waiting.pop(0)
                topic = frames[0].decode()
                if topic in (self.inbox, "hello"):
                    return topic, json.loads(frames[1]), json.loads(frames[2])
        return None

    def become_ready(self, service, timeout=10):
        """Probes until our own hello comes back, and until `service` said a ready hello."""
        heard_self = heard_service = False
        deadline = time.time() + timeout
        while time.time() < deadline and not (heard_self and heard_service):
            self.say_hello(ready=heard_self)
            message = self.receive(0.1)
            while message is not None:
                topic, header, body = message
                if topic == "hello" and header["from"] == self.instance:
                    heard_self = True
                if topic == "hello" and body.get("service") == service and body.get("ready"):
                    heard_service = True
                message = self.receive(0.01)
        assert heard_self and heard_service, f"ready: self {heard_self}, {service} {heard_service}"
        self.say_hello(ready=True)  # what we publish next reaches `service` after this hello

    def say_hello(self, ready):
        header = {"v": 1, "id": uuid.uuid4().hex[:24], "type": "hello", "from": self.instance,
                  "ts": int(time.time() * 1000)}
        body = {"service": "rawtest", "instance": self.instance, "started": header["ts"], "ready": ready,
                "handles": [], "life": [], "interval": 1000}
        if self.bundles:
            body["bundles"] = True
        self.publish("hello", header, body)

    def inbox_messages(self, envelope_count, timeout=10):
        """The messages (a bundle as one) that bring the next `envelope_count` envelopes to the inbox."""
        messages, got = [], 0
        deadline = time.time() + timeout
        while got < envelope_count and time.time() < deadline:
            if self.sub.poll(50):
                frames = self.sub.recv_multipart()
                if frames[0].decode() == self.inbox:
                    messages.append(frames)
                    got += len(envelopes(frames))
        return messages

    def await_reply(self, event_id, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            message = self.receive(deadline - time.time())
            if message and message[0] == self.inbox and message[1].get("re") == event_id:
                return message
        return None


def test_switchboard_send_reaches_python_service(cluster):
    cluster.start_bus()
    py = start_pyservice(cluster)
    py.wait_for_log("pyecho ready")

    result = cluster.switchboard("send", "pyecho", '["a", 1, {"k": true}]', "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = json_lines(result.stdout)
    replies = [line for line in lines if "summary" not in line]
    assert len(replies) == 1, result.stdout
    reply = replies[0]
    assert reply["ok"] is True, reply
    assert reply["from"].startswith("pyecho-")
    body = reply["body"]
    sid = body[0]["sid"]
    assert sid.startswith("switchboard-")
    assert body == [
        {"op": "ack", "sid": sid, "args": [{"k": True}, 1, "a"]},
        {"op": "emit", "ns": "/", "event": "pyecho:seen", "args": ["a", 1, {"k": True}], "to": {"sids": [sid]}},
    ]
    assert lines[-1]["summary"]["replied"] == 1

    stop_cleanly(py)


def test_repeated_event_id_gets_the_stored_reply(cluster):
    cluster.start_bus()
    py = start_pyservice(cluster)
    py.wait_for_log("pyecho ready")
    client = RawClient(cluster.env)
    try:
        client.become_ready("pyecho")
        event_id = uuid.uuid4().hex[:24]
        header = {"v": 1, "id": event_id, "type": "event", "from": client.instance,
                  "ts": int(time.time() * 1000), "ns": "/", "event": "pyecho", "sid": "raw-sid",
                  "ack": True, "replyTo": client.inbox, "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}
        answers = []
        for _ in range(2):
            client.publish("svc.pyecho", header, ["x", 2])
            reply = client.await_reply(event_id)
            assert reply is not None, py.output()
            answers.append(reply)

        (_, first_header, first_body), (_, second_header, second_body) = answers
        assert first_body == second_body == [
            {"args": [2, "x"], "op": "ack", "sid": "raw-sid"},
            {"args": ["x", 2], "event": "pyecho:seen", "ns": "/", "op": "emit", "to": {"sids": ["raw-sid"]}},
        ]
        for reply_header in (first_header, second_header):
            assert reply_header["type"] == "reply" and reply_header["v"] == 1
            assert reply_header["re"] == event_id
            assert reply_header["traceparent"] == header["traceparent"]
            assert reply_header["sid"] == "raw-sid" and reply_header["event"] == "pyecho"
            assert "error" not in reply_header
        assert first_header["id"] != second_header["id"]
        # The work was done once; the second copy was answered from the dedup store.
        output = py.output()
        assert output.count(f"handled {event_id}") == 1, output
        assert output.count(f"repeat {event_id}") == 1, output
    finally:
        client.close()
    stop_cleanly(py)


def test_python_publisher_calls_swift_echo_service(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    result = subprocess.run([sys.executable, "-u", str(PYSERVICE), "--call", "echo", "echo", '["hello", 2]'],
                            env=cluster.env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    reply_lines = [line for line in result.stdout.splitlines() if line.startswith("REPLY ")]
    assert len(reply_lines) == 1, result.stdout
    body = json.loads(reply_lines[0][len("REPLY "):])
    assert {"op": "ack", "sid": "py-sid-1", "args": ["hello", 2]} in body
    assert body[0] == {"op": "ack", "sid": "py-sid-1", "args": ["hello", 2]}
    assert {"op": "emit", "ns": "/", "event": "echo", "args": ["hello", 2], "to": {"sids": ["py-sid-1"]}} in body


def counts_of(py, timeout=10):
    """What pyservice received and wrote so far: it prints "pyecho counts <json>" on SIGUSR1."""
    marker = "pyecho counts "
    before = py.output().count(marker)
    py.signal(signal.SIGUSR1)
    deadline = time.time() + timeout
    while py.output().count(marker) <= before:
        assert time.time() < deadline, f"pyservice printed no counts:\n{py.output()}"
        time.sleep(0.05)
    line = [line for line in py.output().splitlines() if line.startswith(marker)][-1]
    return json.loads(line[len(marker):])


def pyecho_stack(cluster, extra_env=None):
    """Bus, pyservice, then a Swift edge that routes `pyecho` to it."""
    cluster.start_bus()
    py = start_pyservice(cluster, extra_env=extra_env)
    py.wait_for_log("pyecho ready")
    edge = start_edge(cluster, relaxed_config())
    wait_for_route(edge, event="pyecho")
    return py, edge


def load_round(edge, clients=10, per_client=50):
    """`clients` stock python-socketio clients each emit `per_client` pyecho events with acks at
    once, all in flight together; checks that every event is answered once and correctly (the
    ack holds its arguments reversed, the socket gets exactly one pyecho:seen with them).
    Returns how many events were answered."""
    sios = [SioClient() for _ in range(clients)]
    try:
        for sio in sios:
            sio.connect(edge)
        waits = [(sio, f"c{n}", i, sio.emit_with_ack("pyecho", f"c{n}", i))
                 for i in range(per_client) for n, sio in enumerate(sios)]
        for _, name, i, wait in waits:
            assert wait(30) == (i, name)
        for n, sio in enumerate(sios):
            seen = sio.wait_event("pyecho:seen", count=per_client, timeout=30)
            assert sorted(seen, key=lambda args: args[1]) == [(f"c{n}", i) for i in range(per_client)]
        time.sleep(0.3)  # a repeat would come now: none may
        for sio in sios:
            assert len(sio.received("pyecho:seen")) == per_client
    finally:
        for sio in sios:
            sio.close()
    return clients * per_client


def test_python_service_reads_and_writes_bundles_under_load_from_the_edge(cluster):
    py, edge = pyecho_stack(cluster)
    answered = 0
    for _ in range(6):  # the edge bundles what its bus thread finds queued together: load until it has
        answered += load_round(edge)
        counts = counts_of(py)
        if counts["received"]["bundles"] and counts["sent"]["bundles"]:
            break
    assert counts["received"]["bundles"] >= 1, counts
    assert counts["received"]["envelopes"] >= 2 * counts["received"]["bundles"], counts
    assert counts["sent"]["bundles"] >= 1, counts
    # Had the edge dropped pyservice's bundles, every answered event would have needed a reply
    # of its own (the edge re-publishes until one comes, and pyservice answers repeats again):
    # fewer single replies than answered events means acks arrived in pyservice's bundles.
    assert counts["sent"]["single"] < answered, counts
    assert "malformed" not in edge.proc.output() and "malformed" not in py.output()
    stop_cleanly(py)


def test_python_service_that_does_not_say_bundles_gets_none(cluster):
    py, edge = pyecho_stack(cluster, extra_env={"PYSERVICE_BUNDLES": "0"})
    for _ in range(3):
        load_round(edge)
    counts = counts_of(py)
    assert counts["received"]["bundles"] == 0, counts
    assert counts["sent"]["bundles"] == 0, counts
    assert counts["received"]["single"] >= 3 * 10 * 50, counts
    stop_cleanly(py)


def test_python_service_bundles_its_replies_only_for_an_inbox_that_said_bundles(cluster):
    cluster.start_bus()
    py = start_pyservice(cluster)
    py.wait_for_log("pyecho ready")
    for says_bundles in (True, False):
        client = RawClient(cluster.env, bundles=says_bundles)
        try:
            client.become_ready("pyecho")
            headers = [{"v": 1, "id": uuid.uuid4().hex[:24], "type": "event", "from": client.instance,
                        "ts": int(time.time() * 1000), "ns": "/", "event": "pyecho", "sid": f"raw-{n}",
                        "ack": True, "replyTo": client.inbox} for n in range(5)]
            client.pub.send_multipart([b"svc.pyecho", bundle([(json.dumps(h).encode(), json.dumps([n]).encode())
                                                              for n, h in enumerate(headers)])])
            messages = client.inbox_messages(5)
        finally:
            client.close()
        replies = [frames for message in messages for frames in envelopes(message)]
        assert [json.loads(h)["re"] for _, h, _ in replies] == [h["id"] for h in headers]
        assert [json.loads(b)[0] for _, _, b in replies] == [
            {"op": "ack", "sid": f"raw-{n}", "args": [n]} for n in range(5)]
        # One receive round, five replies to one inbox: one bundle when that inbox said bundles.
        assert [len(message) for message in messages] == ([2] if says_bundles else [3] * 5)
    counts = counts_of(py)
    assert counts["received"]["bundles"] == 2 and counts["received"]["envelopes"] == 10, counts
    assert counts["sent"]["bundles"] == 1 and counts["sent"]["envelopes"] == 5, counts
    stop_cleanly(py)
