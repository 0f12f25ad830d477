"""Plain Engine.IO (issue 14, part 2): deploy/edge.test.json serves `/engine.io/` besides
Socket.IO's path; its messages go to the bus namespace `engine.io` as the event `message` and the
echo service's ack comes back as messages, the echo server of socket.io's engine.io-protocol suite
(socketio/engine.io-protocol, test-suite/test-suite.js, EIO=4). Every case of that suite is written
again here on raw HTTP and WebSocket frames, one function per case, against edge.test.json itself
(ping 300/200 ms, maxPayload 1000000) at `/engine.io/`. The same functions, without the echo,
run the Engine.IO half of the socket.io-protocol suite at `/socket.io/`
(test_edge_socketio_suite.py): their `echo` is True at a plain endpoint (a case may use its echo)
and False at Socket.IO's path.

| # | Official case (describe > it) | Mirrored by |
|---|---|---|
| 1 | handshake > HTTP long-polling > successfully opens a session | `polling_opens_a_session` |
| 2 | handshake > HTTP long-polling > fails with an invalid 'EIO' query parameter | `polling_refuses_a_bad_eio` |
| 3 | handshake > HTTP long-polling > fails with an invalid 'transport' query parameter | `polling_refuses_a_bad_transport` |
| 4 | handshake > HTTP long-polling > fails with an invalid request method | `polling_refuses_a_bad_method` |
| 5 | handshake > WebSocket > successfully opens a session | `websocket_opens_a_session` |
| 6 | handshake > WebSocket > fails with an invalid 'EIO' query parameter | `websocket_refuses_a_bad_eio` |
| 7 | handshake > WebSocket > fails with an invalid 'transport' query parameter | `websocket_refuses_a_bad_transport` |
| 8 | message > HTTP long-polling > sends and receives a payload containing one plain text packet | `polling_echoes_one_text_packet` |
| 9 | message > HTTP long-polling > sends and receives a payload containing several plain text packets | `polling_echoes_several_text_packets` |
| 10 | message > HTTP long-polling > sends and receives a payload containing plain text and binary packets | `polling_echoes_text_and_binary` |
| 11 | message > HTTP long-polling > closes the session upon invalid packet format | `polling_closes_on_an_invalid_packet` |
| 12 | message > HTTP long-polling > closes the session upon duplicate poll requests | `polling_closes_on_duplicate_polls` |
| 13 | message > WebSocket > sends and receives a plain text packet | `websocket_echoes_a_text_packet` |
| 14 | message > WebSocket > sends and receives a binary packet | `websocket_echoes_a_binary_packet` |
| 15 | message > WebSocket > closes the session upon invalid packet format | `websocket_closes_on_an_invalid_packet` |
| 16 | heartbeat > HTTP long-polling > sends ping/pong packets | `polling_ping_pong` |
| 17 | heartbeat > HTTP long-polling > closes the session upon ping timeout | `polling_ping_timeout` |
| 18 | heartbeat > WebSocket > sends ping/pong packets | `websocket_ping_pong` |
| 19 | heartbeat > WebSocket > closes the session upon ping timeout | `websocket_ping_timeout` |
| 20 | close > HTTP long-polling > forcefully closes the session | `polling_forceful_close` |
| 21 | close > WebSocket > forcefully closes the session | `websocket_forceful_close` |
| 22 | upgrade > successfully upgrades from HTTP long-polling to WebSocket | `upgrade_from_polling` |
| 23 | upgrade > ignores HTTP requests with same sid after upgrade | `upgrade_refuses_polling_after` |
| 24 | upgrade > ignores WebSocket connection with same sid after upgrade | `upgrade_refuses_a_second_websocket` |

All 24 pass. Where the suite races two requests (a poll and a close, two polls), the case here
starts the first, waits a little, then sends the second, so that the order the suite means is the
order the edge sees. Where it reads a poll right after posting, the pings a slow machine may put
in the same poll are answered and left out (`poll_messages`).

Where the edge differs from Node without failing the suite:
- duplicate polls: the second poll gets 400, as from today's Node engine.io (older Node gave 500,
  and one copy of the suite expects exactly 500; the suite in socketio/engine.io-protocol
  accepts either);
- a POST with an invalid packet: Node destroys the request (the client sees no answer), the edge
  answers `ok`; both end the session. The suite's `expect(400)` sits in the `try` whose `catch` is
  there for Node's dropped request, so it passes with either.
"""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import websocket

from edge_helpers import TIMEOUT, RawPolling, RawWS, SioClient, official_config, start_stack

KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
PING_INTERVAL, PING_TIMEOUT = 0.3, 0.2  # edge.test.json's timers, as the suite expects them


def plain(edge):
    """The same edge, seen at its plain Engine.IO path."""
    edge.path = "/engine.io/"
    return edge


def check_timers(opened):
    assert set(opened) == KEYS and isinstance(opened["sid"], str), opened
    assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == (300, 200, 1000000), opened


def poll_messages(session, count):
    """GETs until `count` packets other than pings came; pings are answered with a pong."""
    packets = []
    deadline = time.monotonic() + TIMEOUT
    while len(packets) < count:
        assert time.monotonic() < deadline, f"only {packets!r} within {TIMEOUT}s"
        response = session.get()
        assert response.status_code == 200, (response.status_code, response.text)
        for packet in response.text.split("\x1e"):
            if packet == "2":
                session.post("3")
            else:
                packets.append(packet)
    return packets


def refused_websocket(edge, query):
    """A WebSocket with a bad query is refused: 400 at the upgrade, or closed before any open packet."""
    try:
        ws = RawWS(edge, query, read_open=False)
    except websocket.WebSocketBadStatusException as error:
        assert error.status_code == 400, error.status_code
        return
    try:
        assert ws.wait_closed() and ws.messages.empty(), query
    finally:
        ws.close()


def upgraded(edge):
    """A polling session upgraded to a WebSocket (probe, pong, `5`): (session, ws)."""
    session = RawPolling(edge)
    ws = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
    ws.send("2probe")
    assert ws.next() == "3probe"
    ws.send("5")
    return session, ws


def settled(ws, echo):
    """Proves the WebSocket carries the session after the upgrade (and that `5` was taken): the
    echo of `4hello` on a plain endpoint, the answer to a CONNECT on Socket.IO's."""
    if echo:
        ws.send("4hello")
        assert ws.wait_for(lambda m: m == "4hello") == "4hello"
    else:
        ws.send("40")
        assert ws.wait_for(lambda m: m.startswith("40{")).startswith("40{")


# --- handshake ---------------------------------------------------------------------------------

def polling_opens_a_session(edge, echo=True):
    response = requests.get(edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT)
    assert response.status_code == 200 and response.text.startswith("0"), response.text
    opened = json.loads(response.text[1:])
    check_timers(opened)
    assert opened["upgrades"] == ["websocket"], opened


def polling_refuses_a_bad_eio(edge, echo=True):
    for query in ("transport=polling", "EIO=abc&transport=polling"):
        assert requests.get(edge.eio(query), timeout=TIMEOUT).status_code == 400, query


def polling_refuses_a_bad_transport(edge, echo=True):
    for query in ("EIO=4", "EIO=4&transport=abc"):
        assert requests.get(edge.eio(query), timeout=TIMEOUT).status_code == 400, query


def polling_refuses_a_bad_method(edge, echo=True):
    for method in ("post", "put"):
        response = requests.request(method, edge.eio("EIO=4&transport=polling"), timeout=TIMEOUT)
        assert response.status_code == 400, method


def websocket_opens_a_session(edge, echo=True):
    ws = RawWS(edge)
    check_timers(ws.handshake)
    assert ws.handshake["upgrades"] == [], ws.handshake
    ws.close()


def websocket_refuses_a_bad_eio(edge, echo=True):
    for query in ("transport=websocket", "EIO=abc&transport=websocket"):
        refused_websocket(edge, query)


def websocket_refuses_a_bad_transport(edge, echo=True):
    for query in ("EIO=4", "EIO=4&transport=abc"):
        refused_websocket(edge, query)


# --- message (a plain endpoint's echo) ---------------------------------------------------------

def polling_echoes(edge, body):
    session = RawPolling(edge)
    posted = session.post(body)
    assert (posted.status_code, posted.text) == (200, "ok")
    packets = body.split("\x1e")
    assert poll_messages(session, len(packets)) == packets


def polling_echoes_one_text_packet(edge):
    polling_echoes(edge, "4hello")


def polling_echoes_several_text_packets(edge):
    polling_echoes(edge, "4test1\x1e4test2\x1e4test3")


def polling_echoes_text_and_binary(edge):
    polling_echoes(edge, "4hello\x1ebAQIDBA==")


def polling_closes_on_an_invalid_packet(edge):
    session = RawPolling(edge)
    try:
        # The suite expects 400 inside a try whose catch is meant for a dropped request (Node
        # destroys it), so any answer passes there; the edge answers `ok` and ends the session.
        posted = session.post("abc")
        assert (posted.status_code, posted.text) in ((200, "ok"), (400, posted.text)), posted.text
    except requests.RequestException:
        pass
    assert session.get().status_code == 400


def polling_closes_on_duplicate_polls(edge):
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(session.get)
        time.sleep(0.05)
        second = session.get()
        answered = first.result(timeout=TIMEOUT)
    assert (answered.status_code, answered.text) == (200, "1"), answered.text
    assert second.status_code in (400, 500), second.status_code
    assert session.get().status_code == 400


def websocket_echoes_a_text_packet(edge):
    ws = RawWS(edge)
    ws.send("4hello")
    assert ws.next() == "4hello"
    ws.close()


def websocket_echoes_a_binary_packet(edge):
    ws = RawWS(edge)
    ws.send_binary(bytes([1, 2, 3, 4]))
    assert ws.next() == bytes([1, 2, 3, 4])
    ws.close()


def websocket_closes_on_an_invalid_packet(edge):
    ws = RawWS(edge)
    ws.send("abc")
    assert ws.wait_closed()
    ws.close()


# --- heartbeat ---------------------------------------------------------------------------------

def polling_ping_pong(edge, echo=True):
    session = RawPolling(edge)
    if not echo:  # Socket.IO's path: joined first, or connectTimeout (1 s) ends the session
        assert session.connect_ns("/").startswith("40{")
        session.poll_until(lambda p: p.startswith('42["auth"'))
    for _ in range(3):
        polled = session.get()
        assert (polled.status_code, polled.text) == (200, "2")
        pong = session.post("3")
        assert (pong.status_code, pong.text) == (200, "ok")


def polling_ping_timeout(edge, echo=True):
    session = RawPolling(edge)
    time.sleep(PING_INTERVAL + PING_TIMEOUT + 0.3)
    assert session.get().status_code == 400
    assert session.post("2").status_code == 400


def websocket_ping_pong(edge, echo=True):
    ws = RawWS(edge)  # answers every ping `2` with `3`
    if not echo:  # Socket.IO's path: joined first, as above
        assert ws.connect_ns("/").startswith("40{")
    deadline = time.monotonic() + TIMEOUT
    while len(ws.pings) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(ws.pings) >= 3 and not ws.closed.is_set()
    ws.close()


def websocket_ping_timeout(edge, echo=True):
    ws = RawWS(edge, auto_pong=False)
    assert ws.wait_closed()
    ws.close()


# --- close -------------------------------------------------------------------------------------

def polling_forceful_close(edge, echo=True):
    session = RawPolling(edge)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(session.get)
        time.sleep(0.1)
        assert session.post("1").status_code == 200
        released = pending.result(timeout=TIMEOUT)
    assert (released.status_code, released.text) == (200, "6")
    assert session.get().status_code == 400


def websocket_forceful_close(edge, echo=True):
    ws = RawWS(edge, auto_pong=False)
    ws.send("1")
    assert ws.wait_closed()
    ws.close()


# --- upgrade -----------------------------------------------------------------------------------

def upgrade_from_polling(edge, echo=True):
    session = RawPolling(edge)
    ws = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
    ws.send("2probe")
    assert ws.next() == "3probe"
    released = session.get()  # a poll while upgrading: a noop ends it
    assert (released.status_code, released.text) == (200, "6")
    ws.send("5")
    settled(ws, echo)
    ws.close()


def upgrade_refuses_polling_after(edge, echo=True):
    session, ws = upgraded(edge)
    settled(ws, echo)
    assert session.get().status_code == 400
    if echo:
        settled(ws, echo)
    ws.close()


def upgrade_refuses_a_second_websocket(edge, echo=True):
    session, ws = upgraded(edge)
    settled(ws, echo)
    try:
        second = RawWS(edge, f"EIO=4&transport=websocket&sid={session.sid}", read_open=False)
        assert second.wait_closed()
        second.close()
    except websocket.WebSocketBadStatusException as error:
        assert error.status_code == 400
    if echo:
        settled(ws, echo)
    ws.close()


HANDSHAKE = [polling_opens_a_session, polling_refuses_a_bad_eio, polling_refuses_a_bad_transport,
             polling_refuses_a_bad_method, websocket_opens_a_session, websocket_refuses_a_bad_eio,
             websocket_refuses_a_bad_transport]
MESSAGE = [polling_echoes_one_text_packet, polling_echoes_several_text_packets, polling_echoes_text_and_binary,
           polling_closes_on_an_invalid_packet, polling_closes_on_duplicate_polls, websocket_echoes_a_text_packet,
           websocket_echoes_a_binary_packet, websocket_closes_on_an_invalid_packet]
HEARTBEAT_AND_CLOSE = [polling_ping_pong, polling_ping_timeout, websocket_ping_pong, websocket_ping_timeout,
                       polling_forceful_close, websocket_forceful_close]
UPGRADE = [upgrade_from_polling, upgrade_refuses_polling_after, upgrade_refuses_a_second_websocket]


def run_cases(edge, cases, **options):
    """Runs each case in order; a failure names its case."""
    for case in cases:
        try:
            case(edge, **options)
        except Exception as error:
            raise AssertionError(f"{case.__name__}: {error!r}") from error
    assert edge.proc.popen.poll() is None, "the edge exited"


def test_the_suites_handshake_cases(cluster):
    edge = plain(start_stack(cluster))  # edge.test.json itself
    assert official_config()["engines"] == {"/engine.io/": "engine.io"}
    run_cases(edge, HANDSHAKE)


def test_the_suites_message_cases_through_the_bus(cluster):
    edge = start_stack(cluster)
    with SioClient() as bystander:  # a Socket.IO client of the same edge is served meanwhile
        bystander.connect(edge, transports=["websocket"])
        plain(edge)
        run_cases(edge, MESSAGE)
        # A Socket.IO sid is not a plain endpoint's.
        assert requests.get(edge.eio(f"EIO=4&transport=polling&sid={bystander.sio.eio.sid}"),
                            timeout=TIMEOUT).status_code == 400
        assert bystander.call("echo", "still here") == ("still here",)


def test_the_suites_heartbeat_and_close_cases(cluster):
    run_cases(plain(start_stack(cluster)), HEARTBEAT_AND_CLOSE)


def test_the_suites_upgrade_cases(cluster):
    run_cases(plain(start_stack(cluster)), UPGRADE)
