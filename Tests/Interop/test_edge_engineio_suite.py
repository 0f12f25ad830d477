"""Plain Engine.IO (issue 14, part 2): deploy/edge.test.json serves `/engine.io/` besides
Socket.IO's path; its messages go to the bus namespace `engine.io` as the event `message` and the
echo service's ack comes back as messages, the echo server of socket.io's engine.io-protocol suite
(socketio/engine.io-protocol, test-suite/), whose handshake and message cases are written again
here on raw HTTP and WebSocket frames. A Socket.IO client on the same edge is served meanwhile."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import websocket

from edge_helpers import (TIMEOUT, RawPolling, RawWS, SioClient, assert_session_gone, official_config,
                          relaxed_config, start_stack)

KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}


def plain(edge):
    """The same edge, seen at its plain Engine.IO path."""
    edge.path = "/engine.io/"
    return edge


def test_handshakes_at_the_plain_path(cluster):
    edge = plain(start_stack(cluster))  # edge.test.json itself
    response = requests.get(edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT)
    assert response.status_code == 200 and response.text.startswith("0"), response.text
    opened = json.loads(response.text[1:])
    assert set(opened) == KEYS and opened["upgrades"] == ["websocket"], opened
    assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == (300, 200, 1000000)
    ws = RawWS(edge)
    assert set(ws.handshake) == KEYS and ws.handshake["upgrades"] == [], ws.handshake
    ws.close()
    for query in ("transport=polling", "EIO=abc&transport=polling", "EIO=4", "EIO=4&transport=abc"):
        assert requests.get(edge.eio(query), timeout=TIMEOUT).status_code == 400, query
    for method in ("post", "put"):
        assert requests.request(method, edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT).status_code == 400
    assert official_config()["engines"] == {"/engine.io/": "engine.io"}


def test_messages_are_echoed_through_the_bus(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as bystander:
        bystander.connect(edge, transports=["websocket"])
        plain(edge)
        # HTTP long-polling: one text packet; several; text and binary (one payload each way).
        for body in ("4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA=="):
            session = RawPolling(edge)
            posted = session.post(body)
            assert (posted.status_code, posted.text) == (200, "ok")
            assert session.get().text == body
        # An invalid packet closes the session.
        session = RawPolling(edge)
        session.post("abc")
        assert_session_gone(session)
        # WebSocket: text, binary, an invalid packet.
        ws = RawWS(edge)
        ws.send("4hello")
        assert ws.next() == "4hello"
        ws.send_binary(bytes([1, 2, 3, 4]))
        assert ws.next() == bytes([1, 2, 3, 4])
        ws.send("abc")
        assert ws.wait_closed()
        ws.close()
        # Upgrade from polling: probe, the pending poll released with a noop, then messages on the
        # WebSocket.
        session = RawPolling(edge)
        ws = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
        ws.send("2probe")
        assert ws.next() == "3probe"
        assert session.get().text == "6"
        ws.send("5")
        ws.send("4hello")
        assert ws.next() == "4hello"
        ws.close()
        # A Socket.IO sid is not a plain endpoint's, and the other way round.
        assert requests.get(edge.eio(f"EIO=4&transport=polling&sid={bystander.sio.eio.sid}"),
                            timeout=TIMEOUT).status_code == 400
        assert bystander.call("echo", "still here") == ("still here",)
    assert edge.proc.popen.poll() is None


def test_heartbeat_close_and_upgrade_rules_at_the_plain_path(cluster):
    """The suite's heartbeat, close and upgrade cases, with edge.test.json's timers (300/200 ms)."""
    edge = plain(start_stack(cluster))
    # Polling: the server pings, a pong keeps the session; without one it is gone.
    session = RawPolling(edge)
    for _ in range(3):
        assert session.get().text == "2"
        pong = session.post("3")
        assert (pong.status_code, pong.text) == (200, "ok")
    silent = RawPolling(edge)
    time.sleep(0.3 + 0.2 + 0.3)
    assert silent.post("3").status_code == 400
    # WebSocket: pings answered keep it; a client that never pongs is closed.
    ws = RawWS(edge)
    deadline = time.monotonic() + TIMEOUT
    while len(ws.pings) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(ws.pings) >= 3 and not ws.closed.is_set()
    ws.close()
    mute = RawWS(edge, auto_pong=False)
    assert mute.wait_closed()
    # Close: a polling close packet releases the pending GET with a noop; a WebSocket "1" closes.
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(session.get)
        time.sleep(0.1)
        assert session.post("1").status_code == 200
        assert pending.result(timeout=TIMEOUT).text == "6"
    assert session.get().status_code == 400
    ws = RawWS(edge, auto_pong=False)
    ws.send("1")
    assert ws.wait_closed()
    # Two polls at once: the first gets the close packet, the second a 400, then the sid is gone.
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(session.get)
        time.sleep(0.05)
        second = session.get()
        assert first.result(timeout=TIMEOUT).text == "1"
    assert second.status_code in (400, 500)
    assert session.get().status_code == 400
    # After an upgrade, polling with the same sid is refused, and so is a second WebSocket.
    session = RawPolling(edge)
    ws = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
    ws.send("2probe")
    assert ws.next() == "3probe"
    ws.send("5")
    assert session.get().status_code == 400
    ws.send("4hello")
    assert ws.wait_for(lambda m: m == "4hello")
    try:
        second = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
        assert second.wait_closed()
        second.close()
    except websocket.WebSocketBadStatusException as error:
        assert error.status_code == 400
    ws.close()
