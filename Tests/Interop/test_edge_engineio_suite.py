"""Plain Engine.IO (issue 14, part 2): deploy/edge.test.json serves `/engine.io/` besides
Socket.IO's path; its messages go to the bus namespace `engine.io` as the event `message` and the
echo service's ack comes back as messages, the echo server of socket.io's engine.io-protocol suite
(socketio/engine.io-protocol, test-suite/), whose handshake and message cases are written again
here on raw HTTP and WebSocket frames. A Socket.IO client on the same edge is served meanwhile."""
import json

import requests

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
