"""The Socket.IO cases of socket.io's official protocol test suite (socketio/socket.io-protocol,
test-suite/), each written again here on raw WebSocket frames, against deploy/edge.test.json and
the echo service with ECHO_GREETS=1, which plays the suite's test server: it emits `auth` with
`socket.handshake.auth` to every socket of `/` and `/custom`, answers `message` with
`message-back` and acks `message-with-ack` with its arguments.

The two "with a payload" cases are issue 14's part 1: the CONNECT payload reaches the service as
the client sent it, token included, on a namespace whose edge takes no credential from it."""
import json

from edge_helpers import RawWS, start_edge, wait_for_route

PLACEHOLDERS_TWO = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}'


def start_suite_stack(cluster):
    """Bus, the echo service as the suite's server, and the edge with edge.test.json itself."""
    cluster.start_bus()
    cluster.start_service("echo-service", extra_env={"ECHO_GREETS": "1"})
    edge = start_edge(cluster)
    wait_for_route(edge, event="message-with-ack")
    return edge


def opened(edge, auto_pong=True):
    """A WebSocket after the Engine.IO handshake (RawWS answers the suite's fast pings unless told
    not to, as the suite's own raw client never does)."""
    return RawWS(edge, auto_pong=auto_pong)


def joined(edge, auto_pong=True):
    """The suite's initSocketIOConnection: CONNECT to "/", its answer, then the `auth` packet."""
    ws = opened(edge, auto_pong)
    ws.send("40")
    assert ws.next().startswith("40{")
    assert ws.next() == '42["auth",{}]'
    return ws


def check_connect(ws, connect, head, auth):
    ws.send(connect)
    answer = ws.next()
    assert answer.startswith(head), answer
    assert set(json.loads(answer[len(head):])) == {"sid"}
    assert ws.next() == auth


def test_the_suites_socketio_cases(cluster):
    edge = start_suite_stack(cluster)
    sockets = []

    def ws_of(factory):
        ws = factory(edge)
        sockets.append(ws)
        return ws

    try:
        # connect: the main namespace, with and without a payload
        check_connect(ws_of(opened), "40", "40", '42["auth",{}]')
        check_connect(ws_of(opened), '40{"token":"123"}', "40", '42["auth",{"token":"123"}]')
        # connect: a custom namespace, with and without a payload
        check_connect(ws_of(opened), "40/custom,", "40/custom,", '42/custom,["auth",{}]')
        check_connect(ws_of(opened), '40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]')
        # connect: an unknown namespace, an invalid handshake
        ws = ws_of(opened)
        ws.send("40/random")
        assert ws.next() == '44/random,{"message":"Invalid namespace"}'
        ws = ws_of(opened)
        ws.send("4abc")
        assert ws.wait_closed()

        # disconnect: the main namespace. As in Node, leaving the last namespace keeps the
        # Engine.IO connection; the suite's client, which never pongs, sees it close at its
        # ping timeout (300 + 200 ms), and so does this one.
        ws = ws_of(lambda edge: joined(edge, auto_pong=False))
        ws.send("41")
        assert ws.wait_closed()
        # disconnect: a custom namespace, then a message on the main one
        ws = ws_of(joined)
        ws = ws_of(joined)
        ws.send("40/custom")
        assert ws.next().startswith("40/custom")
        assert ws.next() == '42/custom,["auth",{}]'
        ws.send("41/custom")
        ws.send('42["message","message to main namespace"]')
        assert ws.next() == '42["message-back","message to main namespace"]'

        # message: plain text, binary, with an ack, binary with an ack
        ws = ws_of(joined)
        ws.send('42["message",1,"2",{"3":[true]}]')
        assert ws.next() == '42["message-back",1,"2",{"3":[true]}]'
        ws = ws_of(joined)
        ws.send('452-["message",' + PLACEHOLDERS_TWO + "]")
        ws.send_binary(bytes([1, 2, 3]))
        ws.send_binary(bytes([4, 5, 6]))
        assert [ws.next() for _ in range(3)] == ['452-["message-back",' + PLACEHOLDERS_TWO + "]",
                                                 bytes([1, 2, 3]), bytes([4, 5, 6])]
        ws = ws_of(joined)
        ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
        assert ws.next() == '43456[1,"2",{"3":[false]}]'
        ws = ws_of(joined)
        ws.send('452-789["message-with-ack",' + PLACEHOLDERS_TWO + "]")
        ws.send_binary(bytes([1, 2, 3]))
        ws.send_binary(bytes([4, 5, 6]))
        assert [ws.next() for _ in range(3)] == ["462-789[" + PLACEHOLDERS_TWO + "]", bytes([1, 2, 3]),
                                                 bytes([4, 5, 6])]

        # message: invalid format closes (unknown packet type, payload not an array, bad ack id)
        for frame in ("4abc", "42{}", '42abc["message-with-ack",1,"2",{"3":[false]}]'):
            ws = ws_of(joined)
            ws.send(frame)
            assert ws.wait_closed(), frame
    finally:
        for ws in sockets:
            ws.close()
    assert edge.proc.popen.poll() is None, "the edge exited"
