"""Issue 14, part 5: bad or greedy input is refused early, and in every case the edge stays up
and a client connected all along goes on being served.

- half-written HTTP requests are closed after `limits.headerTimeout` / `limits.idleTimeout`;
- a WebSocket text frame that is not UTF-8 closes that WebSocket with 1007;
- an event named by a number is dispatched as socket.io does (the event of its decimal text),
  any other non-string name closes the connection, as socket.io-parser's refusal does;
- a polling POST declaring a Content-Length past maxPayload gets 413 before its body is read;
- a socket over `limits.eventsPerSecond` gets `{"error":"RATE_LIMITED"}` acks, an address over
  `limits.connectionsPerMinute` a CONNECT_ERROR;
- the edge refuses to listen beyond 127.0.0.1 with the published development secrets."""
import socket
import time

import requests
import websocket

from conftest import free_port
from edge_helpers import TIMEOUT, RawPolling, RawWS, SioClient, compact, raw_http, relaxed_config, start_stack


def bystander_of(edge):
    client = SioClient()
    client.connect(edge, transports=["websocket"])
    assert client.call("echo", "before") == ("before",)
    return client


def still_served(edge, bystander):
    assert bystander.call("echo", "after") == ("after",)
    assert bystander.sio.connected and not bystander.disconnects, bystander.disconnects
    assert edge.proc.popen.poll() is None, "the edge exited"


def closed_by_peer(sock, timeout=TIMEOUT) -> bool:
    """Whether the edge closes `sock` (EOF or reset) within `timeout`; what it sends is skipped."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def test_half_written_requests_time_out(cluster):
    edge = start_stack(cluster, relaxed_config(limits={"headerTimeout": 600, "idleTimeout": 600}))
    bystander = bystander_of(edge)
    try:
        slow = []
        for n in range(60):
            sock = socket.create_connection(("127.0.0.1", edge.port), timeout=TIMEOUT)
            if n % 3 == 0:
                pass  # connects and says nothing
            elif n % 3 == 1:  # a head that never ends
                sock.sendall(f"GET {edge.path}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n".encode())
            else:  # a body that stops halfway
                sock.sendall(f"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100\r\n\r\n{\"a\":".encode())
            slow.append(sock)
        still_open = [n for n, sock in enumerate(slow) if not closed_by_peer(sock)]
        for sock in slow:
            sock.close()
        assert not still_open, f"{len(still_open)} of {len(slow)} half-written requests still open"
        # A long poll read whole waits past the timeouts, and a polling session lives on.
        session = RawPolling(edge)
        assert session.connect_ns("/").startswith("40{")
        assert session.call("echo", "polled") == ["polled"]
        still_served(edge, bystander)
    finally:
        bystander.close()


def test_bad_frames_and_event_names(cluster):
    edge = start_stack(cluster, relaxed_config())
    bystander = bystander_of(edge)
    try:
        # A text frame that is not UTF-8: close frame 1007 (RFC 6455 §8.1, as Node's `ws`).
        raw = websocket.create_connection(edge.ws(), timeout=TIMEOUT)
        assert raw.recv().startswith("0")
        raw.send("40")
        assert raw.recv().startswith("40")
        raw.send_frame(websocket.ABNF.create_frame(b'42["echo","\xff\xfe"]', websocket.ABNF.OPCODE_TEXT))
        opcode, data = raw.recv_data(control_frame=True)
        while opcode != websocket.ABNF.OPCODE_CLOSE:
            opcode, data = raw.recv_data(control_frame=True)
        assert int.from_bytes(data[:2], "big") == 1007, data
        raw.close()

        # A number names the event of its decimal text (socket.io-parser accepts it and
        # socket.io's EventEmitter keys listeners by strings): no service announces "123".
        ws = RawWS(edge)
        assert ws.connect_ns("/").startswith("40{")
        ws.send("4277" + compact([123, "x"]))
        assert ws.ack(77) == [{"error": "UNKNOWN_EVENT"}]
        assert ws.alive()
        ws.close()
        # Any other name is an invalid payload to socket.io-parser: the connection closes.
        for name in (None, True, {"a": 1}, ["x"]):
            ws = RawWS(edge)
            assert ws.connect_ns("/").startswith("40{")
            ws.send("42" + compact([name, "x"]))
            assert ws.wait_closed(), name
            ws.close()

        # A POST declaring more than maxPayload: 413 at once, the body never sent, the session on.
        session = RawPolling(edge)
        assert session.connect_ns("/").startswith("40{")
        started = time.monotonic()
        status, _, _ = raw_http(edge.port, f"POST {edge.path}?EIO=4&transport=polling&sid={session.sid} HTTP/1.1\r\n"
                                           "Host: x\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                                           f"Content-Length: {10 ** 12}", b"", timeout=TIMEOUT)
        assert status == 413, status
        assert time.monotonic() - started < TIMEOUT
        assert session.alive()
        still_served(edge, bystander)
    finally:
        bystander.close()


def test_event_rate_and_connection_limits(cluster):
    edge = start_stack(cluster, relaxed_config(limits={"eventsPerSecond": 5, "eventBurst": 5,
                                                       "connectionsPerMinute": 20}))
    bystander = bystander_of(edge)
    try:
        ws = RawWS(edge)
        assert ws.connect_ns("/").startswith("40{")
        ids = [ws.emit("echo", n, ack=True) for n in range(15)]
        answers = [ws.ack(ack_id) for ack_id in ids]
        limited = [a for a in answers if a == [{"error": "RATE_LIMITED"}]]
        assert len(answers) - len(limited) >= 5, answers  # the burst, and what refilled meanwhile
        assert limited, answers
        time.sleep(1.0)  # the bucket refills
        assert ws.call("echo", "later") == ["later"]
        ws.close()

        # Attempts per address per namespace: the bystander, the probe and the socket above used 3.
        refusals = []
        for _ in range(25):
            probe = RawWS(edge)
            answer = probe.connect_ns("/")
            probe.close()
            if answer.startswith("44"):
                refusals.append(answer)
        assert refusals and refusals[0] == '44{"message":"Too many connection attempts. Please wait."}', refusals
        still_served(edge, bystander)
    finally:
        bystander.close()


def test_listening_beyond_loopback_needs_secrets_of_ones_own(cluster):
    cluster.start_bus()
    config = relaxed_config()
    config.pop("listeners", None)
    path = cluster.tmp / "exposed.json"
    path.write_text(compact({**config, "listeners": [{"host": "0.0.0.0", "port": 0}]}))
    refused = cluster.start("edge", name="edge-exposed", extra_env={"EDGE_CONFIG": str(path)})
    assert refused.popen.wait(timeout=20) == 1
    assert "refusing to listen on 0.0.0.0 with the development jwtSecret" in refused.output()
    # Without listeners the edge binds 127.0.0.1 (EDGE_PORT sets the port of the one listener).
    local_path = cluster.tmp / "local.json"
    local_path.write_text(compact(config))
    port = free_port()
    local = cluster.start("edge", name="edge-local", extra_env={"EDGE_CONFIG": str(local_path), "EDGE_PORT": str(port)})
    local.wait_for_log("edge listening", timeout=20)
    listening = [line for line in local.output().splitlines() if "edge listening" in line]
    assert "127.0.0.1" in listening[0] and "0.0.0.0" not in listening[0], listening
    assert requests.get(f"http://127.0.0.1:{port}/health", timeout=TIMEOUT).status_code == 200
    # With secrets of its own it may serve every address.
    secrets = {"EDGE_JWT_SECRET": "an-operator-secret-of-at-least-32-bytes!",
               "EDGE_SESSION_SECRET": "another operator secret"}
    allowed = cluster.start("edge", name="edge-exposed-ok", extra_env={"EDGE_CONFIG": str(path), **secrets})
    allowed.wait_for_log("edge listening", timeout=20)
    assert "0.0.0.0" in allowed.output()
