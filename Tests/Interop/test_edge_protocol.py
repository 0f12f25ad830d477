"""Engine.IO v4 / Socket.IO v5 on the wire, checked against what Node's socket.io 4.8 does:
raw HTTP long-polling with `requests` and raw WebSocket frames with `websocket-client`.

The handshake, heartbeat and connect-timeout tests run deploy/edge.test.json itself (the
settings of socket.io's official protocol test suite: pingInterval 300, pingTimeout 200,
connectTimeout 1000), except that the polling ping/pong exchange gives each pong 5 s. The other tests run the same file with socket.io's default timers
(relaxed_config), so that a session cannot time out in the middle of a check on a busy machine.

Expected behaviours that the spec leaves open are taken from the reference implementation
(packages engine.io, socket.io and socket.io-parser of socket.io 4.8) and say so in a comment."""
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import websocket

from edge_helpers import (TIMEOUT, RawPolling, RawWS, SioClient, assert_engine_error,
                          assert_session_gone, compact, official_config, raw_http, relaxed_config, start_stack)

HANDSHAKE_KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}


# ---------------------------------------------------------------------------------------------
# Handshake (edge.test.json)


def test_polling_handshake(cluster):
    edge = start_stack(cluster)
    listening = [line for line in edge.proc.output().splitlines() if "edge listening" in line]
    assert listening and str(edge.port) in listening[0], listening

    response = requests.get(edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain"), response.headers
    assert response.text.startswith("0"), response.text
    opened = json.loads(response.text[1:])
    assert set(opened) == HANDSHAKE_KEYS, opened
    assert isinstance(opened["sid"], str) and opened["sid"]
    assert opened["upgrades"] == ["websocket"]
    assert opened["pingInterval"] == 300
    assert opened["pingTimeout"] == 200
    assert opened["maxPayload"] == 1000000
    # The open packet is the whole first payload: nothing else is sent before the client CONNECTs.
    assert "\x1e" not in response.text

    other = requests.get(edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT)
    assert json.loads(other.text[1:])["sid"] != opened["sid"]


def test_websocket_handshake(cluster):
    edge = start_stack(cluster)
    ws = RawWS(edge)
    try:
        assert set(ws.handshake) == HANDSHAKE_KEYS, ws.handshake
        assert isinstance(ws.handshake["sid"], str) and ws.handshake["sid"]
        assert ws.handshake["upgrades"] == []
        assert ws.handshake["pingInterval"] == 300
        assert ws.handshake["pingTimeout"] == 200
        assert ws.handshake["maxPayload"] == 1000000
        connected = ws.connect_ns("/")
        assert connected.startswith("40{"), connected
        assert set(json.loads(connected[2:])) == {"sid"}
        custom = ws.connect_ns("/custom")
        assert custom.startswith("40/custom,{"), custom
        assert set(json.loads(custom[len("40/custom,"):])) == {"sid"}
    finally:
        ws.close()


def test_timers_default_to_socketio_defaults(cluster):
    """A configuration without timers gets socket.io's defaults (pingInterval 25000, pingTimeout
    20000, maxHttpBufferSize 1e6)."""
    config = official_config()
    for key in ("pingInterval", "pingTimeout", "connectTimeout", "maxPayload"):
        config.pop(key, None)
    edge = start_stack(cluster, config, echo=False)
    session = RawPolling(edge)
    assert session.handshake["pingInterval"] == 25000
    assert session.handshake["pingTimeout"] == 20000
    assert session.handshake["maxPayload"] == 1000000


# ---------------------------------------------------------------------------------------------
# Heartbeat and connect timeout (edge.test.json: 300 / 200 / 1000 ms)


def test_websocket_pings_every_interval_and_pongs_keep_the_session(cluster):
    edge = start_stack(cluster)
    ws = RawWS(edge)  # answers every ping with a pong
    try:
        assert ws.connect_ns("/").startswith("40{")
        deadline = time.monotonic() + TIMEOUT
        while len(ws.pings) < 5 and time.monotonic() < deadline and not ws.closed.is_set():
            time.sleep(0.05)
        assert len(ws.pings) >= 5, f"{len(ws.pings)} pings, closed={ws.closed.is_set()}"
        gaps = [b - a for a, b in zip(ws.pings, ws.pings[1:])]
        # Not more often than pingInterval (300 ms), give or take timer granularity.
        assert sum(gaps) / len(gaps) >= 0.25, gaps
        assert ws.alive(), "the session did not survive its pongs"
    finally:
        ws.close()


def test_polling_pings_and_pongs(cluster):
    # Pings every 300 ms as in the suite, but 5 s for each pong: a busy machine that answers a
    # ping late must not end the session while this test is about the ping/pong exchange.
    edge = start_stack(cluster, relaxed_config(pingInterval=300, pingTimeout=5000))
    session = RawPolling(edge)
    assert session.connect_ns("/").startswith("40{")
    for _ in range(3):
        poll = session.get()
        assert (poll.status_code, poll.text) == (200, "2")
        pong = session.post("3")
        assert (pong.status_code, pong.text) == (200, "ok")


def test_websocket_closed_without_pong(cluster):
    edge = start_stack(cluster)
    ws = RawWS(edge, auto_pong=False)
    try:
        assert ws.connect_ns("/").startswith("40{")
        assert ws.wait_closed(TIMEOUT), "still open although no pong was sent"
        assert ws.pings, "closed without ever pinging"
    finally:
        ws.close()


def test_polling_session_closed_without_pong(cluster):
    edge = start_stack(cluster)
    session = RawPolling(edge)
    assert session.connect_ns("/").startswith("40{")
    time.sleep(1.0)  # pingInterval + pingTimeout = 500 ms
    assert_session_gone(session)


def test_connect_timeout_closes_a_connection_without_namespace(cluster):
    edge = start_stack(cluster)
    ws = RawWS(edge)  # pongs, but never sends CONNECT
    try:
        assert ws.wait_closed(TIMEOUT), "still open without any namespace after connectTimeout"
        assert ws.closed_at - ws.opened_at >= 0.7, "closed well before connectTimeout (1000 ms)"
    finally:
        ws.close()
    # One that CONNECTs in time stays.
    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/").startswith("40{")
        time.sleep(1.5)
        assert ws.alive()
    finally:
        ws.close()


# ---------------------------------------------------------------------------------------------
# Payloads


def test_polling_post_ok_separator_and_base64_binary(cluster):
    edge = start_stack(cluster, relaxed_config())
    session = RawPolling(edge)
    assert session.handshake_response.headers["Content-Type"].startswith("text/plain")

    posted = session.post("40")
    assert (posted.status_code, posted.text) == (200, "ok")
    assert posted.headers.get("Content-Type", "").startswith("text/html"), posted.headers  # as the reference
    assert session.poll_until(lambda p: p.startswith("40{")).startswith("40{")

    # Several packets in one POST, separated by \x1e.
    posted = session.post('421["echo","a"]\x1e422["echo","b"]')
    assert (posted.status_code, posted.text) == (200, "ok")
    assert json.loads(session.poll_until(lambda p: p.startswith("431["))[3:]) == ["a"]
    assert json.loads(session.poll_until(lambda p: p.startswith("432["))[3:]) == ["b"]

    # Packets that wait for a poll go out together, separated by \x1e.
    batch = None
    for attempt in range(5):
        ack_id = 10 + attempt
        assert session.post(f'42{ack_id}["echo","c{attempt}"]').text == "ok"
        time.sleep(1.0)  # the ack and the `echo` event wait in the edge for the next poll
        packets = session.fetch().text.split("\x1e")
        if len(packets) >= 2:
            batch = packets
            break
        session.poll_until(lambda p, head=f"43{ack_id}[": p.startswith(head))
    assert batch, "the edge never sent two packets in one poll response"
    for packet in batch:
        assert packet and packet[0] in "0123456b", f"not an Engine.IO packet: {packet!r} in {batch!r}"
    assert any(p.startswith(f"43{ack_id}[") for p in batch) or any(p.startswith('42["echo"') for p in batch), batch

    # Binary in polling: `b` + base64, right after the packet it belongs to.
    posted = session.post('451-7["echo",{"_placeholder":true,"num":0}]\x1ebAAH/')
    assert (posted.status_code, posted.text) == (200, "ok")
    ack = session.poll_until(lambda p: p.startswith("461-7["))
    assert json.loads(ack[len("461-7"):]) == [{"_placeholder": True, "num": 0}]
    while len(session.received) <= session.cursor:
        session.fetch()
    assert session.received[session.cursor] == "bAAH/"  # base64 of 00 01 ff
    # The `echo` event with its attachment comes too.
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        heads = [i for i, p in enumerate(session.received) if p.startswith('451-["echo",')]
        if heads and heads[0] + 1 < len(session.received):
            assert json.loads(session.received[heads[0]][4:]) == ["echo", {"_placeholder": True, "num": 0}]
            assert session.received[heads[0] + 1] == "bAAH/"
            break
        session.fetch()
    else:
        raise AssertionError(f"no binary echo event: {session.received!r}")


def test_websocket_binary_attachments_follow_their_packet(cluster):
    edge = start_stack(cluster, relaxed_config())
    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/").startswith("40{")
        ws.send('451-2["echo",{"_placeholder":true,"num":0}]')
        ws.send_binary(b"\x00\x01\xff")
        head = ws.wait_for(lambda m: isinstance(m, str) and m.startswith("461-2["))
        assert json.loads(head[len("461-2"):]) == [{"_placeholder": True, "num": 0}]
        assert ws.next() == b"\x00\x01\xff"

        ws.send('452-3["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        ws.send_binary(bytes([1, 2, 3]))
        ws.send_binary(bytes([4, 5, 6]))
        head = ws.wait_for(lambda m: isinstance(m, str) and m.startswith("462-3["))
        assert json.loads(head[len("462-3"):]) == [{"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}]
        assert ws.next() == bytes([1, 2, 3])
        assert ws.next() == bytes([4, 5, 6])

        # A binary event in another namespace (the namespace sits between `-` and the ack id).
        assert ws.connect_ns("/custom").startswith("40/custom,{")
        ws.send('451-/custom,5["x",{"_placeholder":true,"num":0}]')
        ws.send_binary(b"\x07")
        assert ws.ack(5, ns="/custom") == [{"error": "UNKNOWN_EVENT"}]
        assert ws.call("echo", "text again") == ["text again"]
    finally:
        ws.close()


def test_max_payload(cluster):
    edge = start_stack(cluster, relaxed_config(maxPayload=1000))
    session = RawPolling(edge)
    assert session.handshake["maxPayload"] == 1000
    assert session.connect_ns("/").startswith("40{")

    def event_of_size(size, ack_id):
        text = f'42{ack_id}["echo",""]'
        return f'42{ack_id}["echo","{"x" * (size - len(text))}"]'

    exactly = event_of_size(1000, 300)
    assert len(exactly.encode()) == 1000
    posted = session.post(exactly)
    assert (posted.status_code, posted.text) == (200, "ok")
    assert session.poll_until(lambda p: p.startswith("43300["))

    too_big = event_of_size(1001, 301).encode()
    status, _, _ = raw_http(edge.port, f"POST {edge.path}?EIO=4&transport=polling&sid={session.sid} HTTP/1.1\r\n"
                                       f"Host: 127.0.0.1:{edge.port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                                       f"Content-Length: {len(too_big)}", too_big)
    assert status == 413
    # Reference (transports/polling.ts onDataRequest): 413 and the body is dropped; the session goes on.
    assert session.alive()

    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/").startswith("40{")
        ws.send(event_of_size(1000, 302))
        assert ws.ack(302)
        ws.send(event_of_size(1001, 303))
        # Reference: the `ws` server's maxPayload is maxHttpBufferSize; a longer frame closes (1009).
        assert ws.wait_closed(TIMEOUT), "a frame over maxPayload was accepted"
    finally:
        ws.close()


# ---------------------------------------------------------------------------------------------
# Upgrade


def test_upgrade_by_hand(cluster):
    edge = start_stack(cluster, relaxed_config())
    session = RawPolling(edge)
    assert session.handshake["upgrades"] == ["websocket"]
    assert session.connect_ns("/").startswith("40{")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(session.get)
        time.sleep(0.5)  # the GET waits in the edge
        ws = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
        try:
            ws.send("2probe")
            assert ws.next() == "3probe"
            released = pending.result(timeout=TIMEOUT + 5)
            assert (released.status_code, released.text) == (200, "6"), "the pending GET was not released with a noop"
            ws.send("5")
            assert ws.call("echo", "upgraded") == ["upgraded"]
            # After the upgrade the sid belongs to the WebSocket: polling with it is a bad request
            # (reference: verify() -> TRANSPORT_MISMATCH, code 3).
            after = session.get()
            assert after.status_code == 400, (after.status_code, after.text)
            assert after.json()["code"] == 3, after.text
            # A second WebSocket for the same sid is refused (reference: accepted, then closed).
            try:
                second = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
            except websocket.WebSocketException:
                pass
            else:
                try:
                    assert second.wait_closed(TIMEOUT), "a second WebSocket took over an upgraded session"
                finally:
                    second.close()
            assert ws.call("echo", "still upgraded") == ["still upgraded"]
        finally:
            ws.close()


# ---------------------------------------------------------------------------------------------
# CORS, health, metrics


def test_cors_allows_any_origin(cluster):
    edge = start_stack(cluster, echo=False)
    origin = "http://client.example"
    response = requests.get(edge.eio("EIO=4&transport=polling"), headers={"Origin": origin}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", origin), dict(response.headers)
    preflight = requests.options(edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204, preflight.status_code  # the `cors` package's answer
    assert preflight.headers.get("Access-Control-Allow-Origin") in ("*", origin), dict(preflight.headers)
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", ""), dict(preflight.headers)
    assert "content-type" in preflight.headers.get("Access-Control-Allow-Headers", "").lower(), dict(preflight.headers)


def test_health_and_metrics(cluster):
    edge = start_stack(cluster, relaxed_config())
    health = requests.get(f"{edge.url}/health", timeout=TIMEOUT)
    assert health.status_code == 200
    assert health.headers.get("Content-Type", "").startswith("application/json"), dict(health.headers)
    assert health.json()["status"] == "ok"

    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        for i in range(3):
            assert client.call("echo", i) == (i,)
        metrics = requests.get(f"{edge.url}/metrics", timeout=TIMEOUT)
    assert metrics.status_code == 200
    assert metrics.headers.get("Content-Type", "").startswith("text/plain"), dict(metrics.headers)
    names = {line.split("{")[0].split()[0] for line in metrics.text.splitlines() if line and not line.startswith("#")}
    ours = {name for name in names if name.startswith("switchboard_edge_")}
    assert ours, metrics.text
    assert any("connection" in name for name in ours), ours
    assert any("event" in name for name in ours), ours


# ---------------------------------------------------------------------------------------------
# Malformed inputs: one table, one edge, one client connected throughout that must not notice.


def http_error_row(method, query, code, body=None):
    def run(edge):
        headers = {"Content-Type": "text/plain;charset=UTF-8"} if body is not None else None
        response = requests.request(method, edge.eio(query), data=body, headers=headers, timeout=TIMEOUT)
        assert_engine_error(response, code)
    return run


def ws_refused_row(query):
    def run(edge):
        try:
            ws = RawWS(edge, query, read_open=False)
        except websocket.WebSocketBadStatusException as error:
            assert error.status_code == 400, error.status_code
            return
        ws.close()
        raise AssertionError("the WebSocket handshake was accepted")
    return run


def ws_row(*frames, expect="closed", connect=True):
    """Sends `frames` (str: text, bytes: binary) on a WebSocket connected to "/" (unless
    connect=False); `expect` "closed": the edge closes the connection; "open": an EVENT with an
    ack request sent afterwards still gets its ack."""
    def run(edge):
        ws = RawWS(edge)
        try:
            if connect:
                assert ws.connect_ns("/").startswith("40{")
            for frame in frames:
                if isinstance(frame, bytes):
                    ws.send_binary(frame)
                else:
                    ws.send(frame)
            if expect == "closed":
                assert ws.wait_closed(TIMEOUT), "the connection is still open"
            else:
                assert ws.alive(), "no ack afterwards: the connection was closed or stuck"
        finally:
            ws.close()
    return run


def polling_row(body, connect=True, post_headers=None):
    """POSTs `body` on a polling session (connected to "/" unless connect=False); the session
    must be gone afterwards (a poll gets 400 code 1)."""
    def run(edge):
        session = RawPolling(edge)
        if connect:
            assert session.connect_ns("/").startswith("40{")
        try:
            session.post(body, headers=post_headers, timeout=3)
        except requests.RequestException:
            pass  # whether and how the POST itself is answered is not what this row checks
        assert_session_gone(session)
    return run


def row_polling_with_websocket_sid(edge):
    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/").startswith("40{")
        response = requests.get(edge.eio(f"EIO=4&transport=polling&sid={ws.handshake['sid']}"), timeout=TIMEOUT)
        assert_engine_error(response, 3)
        assert ws.alive(), "the WebSocket session suffered"
    finally:
        ws.close()


def row_put_with_live_sid(edge):
    session = RawPolling(edge)
    assert session.connect_ns("/").startswith("40{")
    response = requests.put(session.url(), data=b"40", timeout=TIMEOUT)
    # Reference: verify() passes (known sid, same transport), then transports/polling.ts
    # onRequest answers any method other than GET and POST with a bare 500; the session goes on.
    assert response.status_code == 500, (response.status_code, response.text)
    assert session.alive()


def row_overlapping_get(edge):
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(session.get)
        time.sleep(1.0)  # the first GET waits in the edge
        second = session.get()
        first_response = first.result(timeout=TIMEOUT + 5)
    # Reference (polling.ts onPollRequest): "overlap from client" -> a bare 400 for the second GET,
    # the session closes, and closing writes the close packet "1" to the pending GET.
    assert (second.status_code, second.text) == (400, ""), (second.status_code, second.text)
    assert (first_response.status_code, first_response.text) == (200, "1")
    assert_session_gone(session)


def row_overlapping_post(edge):
    session = RawPolling(edge)
    partial = socket.create_connection(("127.0.0.1", edge.port), timeout=TIMEOUT)
    try:
        partial.sendall((f"POST {edge.path}?EIO=4&transport=polling&sid={session.sid} HTTP/1.1\r\n"
                         f"Host: 127.0.0.1:{edge.port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                         "Content-Length: 100\r\n\r\n40").encode())
        time.sleep(1.0)  # the first POST is still receiving its body
        second = session.post("40")
        # Reference (polling.ts onDataRequest): "data request overlap from client" -> bare 400, session closed.
        assert second.status_code == 400, (second.status_code, second.text)
        assert_session_gone(session)
    finally:
        partial.close()


def row_post_too_large(edge):
    session = RawPolling(edge)
    assert session.connect_ns("/").startswith("40{")
    body = b"4" + b"x" * 1_000_000  # maxPayload + 1
    status, _, _ = raw_http(edge.port, f"POST {edge.path}?EIO=4&transport=polling&sid={session.sid} HTTP/1.1\r\n"
                                       f"Host: 127.0.0.1:{edge.port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                                       f"Content-Length: {len(body)}", body)
    assert status == 413, status
    # Reference: the 413 drops the body only; the session goes on.
    assert session.alive()


def row_post_close_packet(edge):
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(session.get)
        time.sleep(1.0)
        posted = session.post("1")
        released = pending.result(timeout=TIMEOUT + 5)
    assert posted.status_code == 200, (posted.status_code, posted.text)
    # Official engine.io protocol test suite: the pending GET gets a noop, then the sid is unknown.
    assert (released.status_code, released.text) == (200, "6")
    assert_session_gone(session)


def row_unknown_namespace(edge):
    ws = RawWS(edge)
    try:
        ws.send("40/nope,")
        assert ws.wait_for(lambda m: isinstance(m, str) and m.startswith("4")) == '44/nope,{"message":"Invalid namespace"}'
        # Reference (socket.io client.ts connect): only the CONNECT_ERROR; the connection stays.
        assert ws.connect_ns("/").startswith("40{")
        assert ws.alive()
    finally:
        ws.close()


PLACEHOLDER = {"_placeholder": True, "num": 0}

# (id, input, expected outcome, how). For Socket.IO-level errors the reference decoder throws
# (socket.io-parser decodeString / add) and client.ts onerror closes the whole Engine.IO
# connection; other clients are not affected.
MALFORMED = [
    # --- Engine.IO over HTTP: 400 with the reference's JSON body {"code":N,"message":...} ---
    ("H01", "GET without EIO", "400 code 5", http_error_row("GET", "transport=polling", 5)),
    ("H02", "GET EIO=3", "400 code 5", http_error_row("GET", "EIO=3&transport=polling", 5)),
    ("H03", "GET EIO=abc", "400 code 5", http_error_row("GET", "EIO=abc&transport=polling", 5)),
    ("H04", "GET without transport", "400 code 0", http_error_row("GET", "EIO=4", 0)),
    ("H05", "GET transport=flashsocket", "400 code 0", http_error_row("GET", "EIO=4&transport=flashsocket", 0)),
    # Reference verify(): a websocket handshake that is not an Upgrade is TRANSPORT_HANDSHAKE_ERROR (3).
    ("H06", "GET transport=websocket without Upgrade", "400 code 3", http_error_row("GET", "EIO=4&transport=websocket", 3)),
    ("H07", "POST handshake (no sid)", "400 code 2", http_error_row("POST", "EIO=4&transport=polling", 2, body=b"40")),
    ("H08", "PUT handshake (no sid)", "400 code 2", http_error_row("PUT", "EIO=4&transport=polling", 2, body=b"40")),
    ("H09", "GET unknown sid", "400 code 1", http_error_row("GET", "EIO=4&transport=polling&sid=nope", 1)),
    ("H10", "POST unknown sid", "400 code 1", http_error_row("POST", "EIO=4&transport=polling&sid=nope", 1, body=b"40")),
    ("H11", "polling GET with a WebSocket session's sid", "400 code 3, WebSocket unaffected", row_polling_with_websocket_sid),
    ("H12", "PUT with a live sid", "500, session goes on", row_put_with_live_sid),
    ("H13", "second concurrent GET", "400, first GET gets 1, session gone", row_overlapping_get),
    ("H14", "second concurrent POST", "400, session gone", row_overlapping_post),
    ("H15", "POST over maxPayload", "413, session goes on", row_post_too_large),
    # Reference: the payload decodes to an error packet -> "parse error" close (the POST itself
    # is still answered "ok"; the official suite accepts any answer).
    ("H16", "POST invalid payload 'abc'", "session gone", polling_row("abc", connect=False)),
    # Reference (polling.ts onDataRequest): binary content in protocol 4 -> "invalid content", closed
    # (the reference never answers that POST).
    ("H17", "POST Content-Type application/octet-stream", "session gone",
     polling_row(b"\x01\x02\x03", post_headers={"Content-Type": "application/octet-stream"})),
    ("H18", "POST close packet '1' while a GET waits", "GET gets 6, session gone", row_post_close_packet),
    # Reference (socket.ts onPacket): a ping from the client in protocol 4 is "invalid heartbeat direction".
    ("H19", "POST ping '2' from the client", "session gone", polling_row("2")),
    # --- Engine.IO over WebSocket ---
    ("W01", "WebSocket handshake with unknown sid", "HTTP 400", ws_refused_row("EIO=4&transport=websocket&sid=nope")),
    ("W02", "WebSocket handshake EIO=3", "HTTP 400", ws_refused_row("EIO=3&transport=websocket")),
    ("W03", "WebSocket handshake without transport", "HTTP 400", ws_refused_row("EIO=4")),
    ("W04", "ping '2' from the client", "closed", ws_row("2")),
    ("W05", "'2probe' on a session that is not upgrading", "closed", ws_row("2probe")),
    ("W06", "close packet '1'", "closed", ws_row("1")),
    ("W07", "unknown Engine.IO packet 'abc'", "closed", ws_row("abc")),
    ("W08", "empty text frame", "closed", ws_row("")),
    ("W09", "text frame over maxPayload", "closed", ws_row("42" + compact(["echo", "x" * 1_000_000]))),
    # Reference (socket.ts onPacket): pong resets the heartbeat; upgrade and noop are ignored.
    ("W10", "unsolicited pong '3'", "open", ws_row("3", expect="open")),
    ("W11", "upgrade packet '5' outside an upgrade", "open", ws_row("5", expect="open")),
    ("W12", "noop '6'", "open", ws_row("6", expect="open")),
    # --- Socket.IO packets (WebSocket connected to "/" unless said otherwise) ---
    ("S01", "packet type 9: '49'", "closed", ws_row("49")),
    ("S02", "packet type 'a': '4abc'", "closed", ws_row("4abc")),
    ("S03", 'EVENT payload not an array: 42{"a":1}', "closed", ws_row('42{"a":1}')),
    ("S04", 'non-numeric ack id: 42abc["x"]', "closed", ws_row('42abc["x"]')),
    ("S05", 'bad JSON: 42["x"', "closed", ws_row('42["x"')),
    ("S06", "empty EVENT array: 42[]", "closed", ws_row("42[]")),
    ("S07", 'reserved event: 42["connect"]', "closed", ws_row('42["connect"]')),
    ("S08", 'reserved event: 42["disconnect"]', "closed", ws_row('42["disconnect"]')),
    ("S09", 'reserved event: 42["connect_error"]', "closed", ws_row('42["connect_error"]')),
    ("S10", "placeholder num 1 with 1 attachment", "closed",
     ws_row('451-["x",{"_placeholder":true,"num":1}]', b"\x01")),
    ("S11", "binary frame without a binary packet", "closed", ws_row(b"\x01\x02")),
    # Reference (parser add): "got plaintext data when reconstructing a packet".
    ("S12", "2 attachments announced, 1 sent, then text", "closed",
     ws_row('452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', b"\x01", '42["echo"]')),
    ("S13", "attachment count not a number: 45x-", "closed", ws_row('45x-["x",' + compact(PLACEHOLDER) + "]")),
    # socket.io-parser (current 4.2.x decodeString): an attachment count below 1 is "Illegal
    # attachments", above maxAttachments (10) "too many attachments"; both close.
    ("S13b", "binary packet without attachments: 450-", "closed", ws_row('450-["x"]')),
    ("S13c", "binary packet with 11 attachments", "closed",
     ws_row("4511-" + compact(["x"] + [{"_placeholder": True, "num": n} for n in range(11)]))),
    # Reference: "4" is a message without data; socket.io's decoder throws on it -> closed.
    ("S14", "'4' alone", "closed", ws_row("4")),
    # Reference (client.ts ondecoded): CONNECT to a namespace already joined is an invalid state.
    ("S15", "second CONNECT to '/'", "closed", ws_row("40")),
    # Reference (client.ts ondecoded): a packet for a namespace not joined (other than CONNECT)
    # is an invalid state -> closed. python-socketio and the JS client never send these.
    ("S16", 'EVENT to a namespace not joined: 42/custom,["echo"]', "closed", ws_row('42/custom,["echo"]')),
    ("S17", "DISCONNECT of a namespace not joined: 41/custom,", "closed", ws_row("41/custom,")),
    ("S18", "CONNECT_ERROR from the client", "closed", ws_row('44{"message":"x"}')),
    # Reference parser: no "/" -> namespace "/", then "nope" is not JSON -> closed.
    ("S19", "CONNECT to a namespace not starting with '/': 40nope", "closed", ws_row("40nope", connect=False)),
    ("S20", "CONNECT to an unknown namespace", 'CONNECT_ERROR {"message":"Invalid namespace"}, open', row_unknown_namespace),
    ("S21", "EVENT before any CONNECT", "closed", ws_row('42["echo","early"]', connect=False)),
    # Reference (socket.ts onack): an ACK nobody waits for is ignored.
    ("S22", 'ACK with an unknown id: 43999["x"]', "open", ws_row('43999["x"]', expect="open")),
    ("S23", "BINARY_ACK with an unknown id", "open",
     ws_row("461-999[" + compact(PLACEHOLDER) + "]", b"\x01", expect="open")),
    # Reference (parser decodeString): the payload is only validated when present, and the ack id is
    # optional: an EVENT without payload and an ACK without id decode fine; socket.ts then emits
    # nothing / finds no ack. Both are ignored and the connection stays.
    ("S24", "EVENT without payload: '42'", "open", ws_row("42", expect="open")),
    ("S25", 'ACK without id: 43["x"]', "open", ws_row('43["x"]', expect="open")),
    ("S26", 'polling: EVENT payload not an array 42{"a":1}', "session gone", polling_row('42{"a":1}')),
    ("S27", "polling: binary frame as base64 without a binary packet", "session gone", polling_row("bAQID")),
]


def test_malformed_inputs_table(cluster):
    edge = start_stack(cluster, relaxed_config())
    assert len(MALFORMED) >= 25
    assert len({row[0] for row in MALFORMED}) == len(MALFORMED)
    with SioClient() as bystander:
        bystander.connect(edge, transports=["websocket"])
        assert bystander.call("echo", "before the table") == ("before the table",)
        failures = []
        for row_id, given, expected, run in MALFORMED:
            try:
                run(edge)
            except Exception as error:  # one row's surprise must not hide the others
                failures.append(f"{row_id} {given}: expected {expected}; {type(error).__name__}: {error}")
        # The client connected all along noticed nothing.
        assert bystander.call("echo", "after the table") == ("after the table",)
        assert bystander.sio.connected and not bystander.disconnects, bystander.disconnects
    assert edge.proc.popen.poll() is None, "the edge exited"
    assert not failures, f"{len(failures)} of {len(MALFORMED)} rows differ:\n" + "\n".join(failures)
