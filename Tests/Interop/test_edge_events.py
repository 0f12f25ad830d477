"""Events through the edge to the echo service and back: acks, binary attachments, rooms and
broadcasts, the error acks (UNKNOWN_EVENT, INTERNAL_ERROR, SERVICE_UNAVAILABLE), and a service
killed and restarted while an event waits (nothing lost, done once).

Acks both ways: client → service (every `echo`), and service → client through the echo
service's `ask` (an emit of `question` with an ack request, EmitAck in Shared/Contracts: each
client's answer comes back to the service as the event `answer` with one argument
{"token", "ok": true, "args": [...]} or {"token", "ok": false, "error": "TIMEOUT"}, and the
echo service emits it back to the socket as `answered`)."""
import json
import re
import time

import pytest

from edge_helpers import (TIMEOUT, RawWS, SioClient, effects, is_packet, relaxed_config, start_edge, start_stack,
                          wait_for_route)


def test_acks_carry_the_services_answer(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        # Arguments of every JSON kind come back unchanged, in order.
        args = ("text", 42, -1.5, True, False, None, [1, [2, {"a": "b"}]], {"nested": {"k": [None, "v"]}}, "ünï€ode")
        assert client.call("echo", *args) == args
        # An event without arguments is acknowledged without arguments.
        assert client.call("echo") == ()
        # Many acks outstanding at once each find their own callback.
        waits = [(i, client.emit_with_ack("echo", f"n{i}", i)) for i in range(20)]
        for i, wait in waits:
            assert wait() == (f"n{i}", i)
        # An event emitted without an ack request gets no ack but is still handled: the service
        # emits `echo` back.
        client.sio.emit("echo", data=("no-ack",))
        client.wait_event("echo", count=1 + 1 + 20 + 1)
        assert ("no-ack",) in client.received("echo")


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_binary_arguments_round_trip(cluster, transports):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as client:
        client.connect(edge, transports=transports)
        blob = b"\x00\x01\xff"
        nested = {"name": "avatar.png", "data": b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "parts": [b"", b"\x02"]}
        ack = client.call("echo", blob, nested, "after")
        assert ack == (blob, nested, "after")
        assert isinstance(ack[0], bytes) and isinstance(ack[1]["data"], bytes)
        assert client.wait_event("echo") == [(blob, nested, "after")]
        # Binary first, text after: the connection is still in step.
        assert client.call("echo", "text only") == ("text only",)


def test_rooms_and_broadcast_reach_only_the_members(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as a, SioClient() as b, SioClient() as c:
        for client in (a, b, c):
            client.connect(edge, transports=["websocket"])
        assert a.call("join", {"room": "r1"}) == ({"joined": "r1"},)
        assert b.call("join", {"room": "r1"}) == ({"joined": "r1"},)
        assert c.call("broadcast", {"room": "r1", "event": "news", "args": [1]}) == ({"sent": True},)
        assert a.wait_event("news") == [(1,)]
        assert b.wait_event("news") == [(1,)]
        # The sender is not in the room: it gets nothing (given time, and after a round trip).
        assert c.call("echo", "sync") == ("sync",)
        time.sleep(1.0)
        assert c.received("news") == []
        assert a.received("news") == [(1,)] and b.received("news") == [(1,)]

        # A member that left the connection is no longer reached; the other still is.
        a.sio.disconnect()
        assert c.call("broadcast", {"room": "r1", "event": "news", "args": [2]}) == ({"sent": True},)
        assert b.wait_event("news", count=2) == [(1,), (2,)]
        assert c.received("news") == []


def test_unknown_event_is_acked_with_unknown_event(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("no-such-event", {"x": 1}) == ({"error": "UNKNOWN_EVENT"},)
        # Without an ack request nothing comes back, and the connection is unharmed.
        client.sio.emit("no-such-event", data=("quiet",))
        assert client.call("echo", "still here") == ("still here",)
        assert client.received("no-such-event") == []


def test_failing_handler_is_acked_with_internal_error(cluster):
    edge = start_stack(cluster, relaxed_config())
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("fail") == ({"error": "INTERNAL_ERROR"},)
        assert client.call("echo", "after the failure") == ("after the failure",)
        assert client.call("fail", "again") == ({"error": "INTERNAL_ERROR"},)


def test_service_down_past_the_bound_acks_service_unavailable(cluster):
    config = relaxed_config(delivery={"retryMilliseconds": 300, "maxAgeMilliseconds": 1500})
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    edge = start_edge(cluster, config)
    wait_for_route(edge)
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("echo", "before") == ("before",)
        echo.kill9()
        started = time.monotonic()
        assert client.call("echo", "into the void", timeout=TIMEOUT + 5) == ({"error": "SERVICE_UNAVAILABLE"},)
        assert time.monotonic() - started >= 1.4, "failed before delivery.maxAgeMilliseconds"
        assert client.sio.connected
        # The route is remembered: once the service is back, the same event works again.
        cluster.start_service("echo-service", name="echo-again")
        assert client.call("echo", "after", timeout=TIMEOUT + 5) == ("after",)


def test_service_restarted_within_the_bound_loses_nothing(cluster):
    config = relaxed_config(delivery={"retryMilliseconds": 300, "maxAgeMilliseconds": 30000})
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    edge = start_edge(cluster, config)
    wait_for_route(edge)
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("record", {"key": "k-before"}) == ({"stored": "k-before"},)
        echo.kill9()
        record = client.emit_with_ack("record", {"key": "k-restart"})
        echo_ack = client.emit_with_ack("echo", "waited")
        time.sleep(1.0)  # a few retries go nowhere
        cluster.start_service("echo-service", name="echo-again")
        assert record(TIMEOUT + 10) == ({"stored": "k-restart"},)
        assert echo_ack(TIMEOUT + 10) == ("waited",)
        assert client.wait_event("echo") == [("waited",)]
    # Re-published events are done once: one effect per key.
    assert len(effects(cluster, "k-before")) == 1
    assert len(effects(cluster, "k-restart")) == 1, effects(cluster)


def test_service_asks_the_client_for_an_ack(cluster):
    edge = start_stack(cluster, relaxed_config())
    questions = []
    with SioClient() as client:
        def on_question(*args):
            questions.append(args)
            return "forty-two", {"n": 42}  # python-socketio sends the handler's return value as the ack

        client.sio.on("question", on_question)
        client.connect(edge, transports=["websocket"])
        sid = client.sio.get_sid("/")
        assert client.call("ask", {}) == ({"asked": True},)
        answered = client.wait_event("answered")
        assert answered == [({"token": f"t-{sid}", "ok": True, "args": ["forty-two", {"n": 42}]},)]
        assert questions == [("what is it?",)]


def test_service_ack_request_on_the_wire_and_its_timeout(cluster):
    edge = start_stack(cluster, relaxed_config())
    ws = RawWS(edge)
    try:
        sid = json.loads(ws.connect_ns("/")[2:])["sid"]

        def next_question():
            return ws.wait_for(lambda m: is_packet(m, "42") and '"question"' in m)

        def next_answered():
            message = ws.wait_for(lambda m: is_packet(m, "42") and m[2:].startswith('["answered"'))
            return json.loads(message[2:])

        assert ws.call("ask", {}) == [{"asked": True}]
        question = next_question()
        match = re.fullmatch(r'42(\d+)\["question","what is it\?"\]', question)
        assert match, f"not an EVENT asking for an ack: {question!r}"
        ws.send(f'43{match.group(1)}["by hand",1]')
        assert next_answered() == ["answered", {"token": f"t-{sid}", "ok": True, "args": ["by hand", 1]}]

        # No answer within timeoutMs: the service hears TIMEOUT.
        assert ws.call("ask", {"timeoutMs": 500}) == [{"asked": True}]
        late = re.fullmatch(r'42(\d+)\[.*', next_question())
        assert late
        assert next_answered() == ["answered", {"token": f"t-{sid}", "ok": False, "error": "TIMEOUT"}]
        # An answer after the timeout is dropped: nothing more comes back.
        ws.send(f'43{late.group(1)}["too late"]')
        assert ws.call("echo", "sync") == ["sync"]
        time.sleep(1.0)
        assert not any(isinstance(m, str) and '"too late"' in m for m in list(ws.messages.queue) + ws.skipped)
        assert not ws.closed.is_set()
    finally:
        ws.close()
