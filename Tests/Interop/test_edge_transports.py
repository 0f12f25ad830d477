"""The edge with stock python-socketio clients on each transport: WebSocket only, polling only,
polling then upgrade; several namespaces on one connection; life facts on the bus.

Clients run against edge.test.json with socket.io's default timers (relaxed_config), so that a
late pong on a busy machine cannot end a test about something else; the 300/200 ms timers of
edge.test.json itself are tested on the wire in test_edge_protocol.py."""
import threading
import time

import pytest
import socketio

from conftest import json_lines
from edge_helpers import TIMEOUT, RawWS, SioClient, relaxed_config, start_stack


@pytest.mark.parametrize("transports, final", [
    (["websocket"], "websocket"),
    (["polling"], "polling"),
    (None, "websocket"),  # the default: polling first, then the upgrade to WebSocket
], ids=["websocket-only", "polling-only", "polling-then-upgrade"])
def test_echo_ack_and_event_on_each_transport(cluster, transports, final):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as client:
        client.connect(edge, transports=transports)
        deadline = time.monotonic() + TIMEOUT
        while client.sio.transport() != final and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.sio.transport() == final
        sid = client.sio.get_sid("/")
        assert isinstance(sid, str) and sid

        assert client.call("echo", "hi", {"n": 1}, [True, None, 2.5]) == ("hi", {"n": 1}, [True, None, 2.5])
        # The echo service also emits `echo` back to the sender with the same arguments.
        assert client.wait_event("echo") == [("hi", {"n": 1}, [True, None, 2.5])]

        # Several round trips in a row keep working on the same transport.
        for i in range(5):
            assert client.call("echo", f"again-{i}") == (f"again-{i}",)
        assert client.sio.transport() == final

        # A clean disconnect: DISCONNECT, then the Engine.IO close packet. On polling the client
        # then waits for its pending GET, which the reference releases at once (with a noop).
        leaving = threading.Thread(target=client.sio.disconnect, daemon=True)
        leaving.start()
        leaving.join(TIMEOUT)
        assert not leaving.is_alive(), "disconnect did not complete (pending poll never released?)"
        assert not client.sio.connected
        assert client.sio.eio.state == "disconnected"
    assert "Fatal error" not in edge.proc.output()


def test_simple_client_round_trip(cluster):
    """python-socketio's SimpleClient: connect, call, receive, disconnect."""
    edge = start_stack(cluster, relaxed_config())
    with socketio.SimpleClient(reconnection=False) as client:
        client.connect(edge.url, socketio_path=edge.socketio_path, wait_timeout=TIMEOUT)
        assert client.call("echo", ("simple", 1), timeout=TIMEOUT) == ("simple", 1)
        assert client.receive(timeout=TIMEOUT) == ["echo", "simple", 1]
        client.disconnect()
        assert not client.connected


def test_two_namespaces_on_one_connection(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient(namespaces=("/", "/custom")) as client:
        client.connect(edge, namespaces=("/", "/custom"), transports=["websocket"])
        assert set(client.sio.namespaces) == {"/", "/custom"}
        engine_sid = client.sio.eio.sid
        # Since socket.io 3 every namespace socket has its own id.
        root_sid, custom_sid = client.sio.get_sid("/"), client.sio.get_sid("/custom")
        assert root_sid and custom_sid and root_sid != custom_sid

        assert client.call("echo", "root") == ("root",)
        # No service announced anything on /custom: every event there is UNKNOWN_EVENT.
        assert client.call("echo", "custom", ns="/custom") == ({"error": "UNKNOWN_EVENT"},)
        assert client.received("echo", ns="/custom") == []

        client.disconnect_namespace("/custom")
        assert client.call("echo", "after leaving /custom") == ("after leaving /custom",)
        assert client.sio.eio.sid == engine_sid and client.sio.eio.state == "connected"
        assert not client.disconnects, client.disconnects


def test_two_namespaces_leaving_either_keeps_the_other_raw(cluster):
    """The same on the wire: DISCONNECT of one namespace leaves the connection and the other
    namespace as they were, and the namespace can be joined again."""
    edge = start_stack(cluster, relaxed_config())
    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/").startswith("40{")
        assert ws.connect_ns("/custom").startswith("40/custom,{")
        ws.send("41/custom,")
        assert ws.call("echo", "after") == ["after"]
        assert ws.connect_ns("/custom").startswith("40/custom,{"), "could not join /custom again"
        ws.send("41")
        assert ws.call("anything", ns="/custom") == [{"error": "UNKNOWN_EVENT"}]
        assert not ws.closed.is_set()
    finally:
        ws.close()


def test_life_facts_for_connect_and_disconnect(cluster):
    """The edge publishes `connected` and `disconnected` life facts for a socket (bus protocol,
    section 7 `life`): topic `life`, header event = the kind, the socket's sid and ns."""
    edge = start_stack(cluster, relaxed_config())
    trace = cluster.switchboard_background("trace", "--json", "--duration", "8", "--topic", "life",
                                           name="trace-life")
    time.sleep(1.5)  # the trace's subscription reaches the bus
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        sid = client.sio.get_sid("/")
        assert client.call("echo", "x") == ("x",)
        client.sio.disconnect()
    trace.popen.wait(timeout=30)
    lines = [l for l in json_lines(trace.output()) if l.get("type") == "life" and l.get("sid") == sid]
    assert [l["event"] for l in lines] == ["connected", "disconnected"], trace.output()
    for line in lines:
        assert line["topic"] == "life"
        assert line["header"].get("ns", "/") == "/"
        assert line["header"]["edge"] == line["from"]
