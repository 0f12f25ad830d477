"""Rooms, broadcast with exceptions, a server-side disconnect, and a room shared by two edges,
through the real processes."""
import time

from conftest import json_lines
from edge_helpers import SioClient, relaxed_config, start_edge, start_stack, wait_for_route


def test_broadcast_to_a_room_skips_the_sender_and_excepted_rooms(cluster):
    edge = start_stack(cluster, relaxed_config())
    sender, member, muted, outsider = (SioClient() for _ in range(4))
    for c in (sender, member, muted, outsider):
        c.connect(edge)
    try:
        for c in (sender, member, muted):
            assert c.call("join", {"room": "lobby"}) == ({"joined": "lobby"},)
        assert muted.call("join", {"room": "muted"}) == ({"joined": "muted"},)
        assert sender.call("broadcast", {"room": "lobby", "event": "news", "args": [1], "exceptSelf": True,
                                         "exceptRooms": ["muted"]}) == ({"sent": True},)
        member.wait_event("news")
        # A broadcast to everyone in the lobby, after the filtered one, proves the filtered one is over.
        sender.call("broadcast", {"room": "lobby", "event": "later", "args": []})
        for c in (sender, member, muted):
            c.wait_event("later")
        assert member.received("news") == [(1,)]
        assert sender.received("news") == [], "the sender was excepted"
        assert muted.received("news") == [], "members of an excepted room were skipped"
        time.sleep(0.3)
        assert outsider.received("news") == [] and outsider.received("later") == []
    finally:
        for c in (sender, member, muted, outsider):
            c.close()


def test_a_service_disconnects_a_socket_and_the_client_hears_a_server_disconnect(cluster):
    edge = start_stack(cluster, relaxed_config())
    kicked, bystander = SioClient(), SioClient()
    kicked.connect(edge)
    bystander.connect(edge)
    try:
        kicked.sio.emit("kick")
        deadline = time.time() + 10
        while not kicked.disconnects and time.time() < deadline:
            time.sleep(0.05)
        assert kicked.disconnects and kicked.disconnects[0][0] == "/"
        # python-socketio calls it "server disconnect"; the JS client "io server disconnect".
        reasons = [str(r) for r in kicked.disconnects[0][1:]]
        assert {"server disconnect", "io server disconnect"} & set(reasons), kicked.disconnects
        assert bystander.call("echo", "still here") == ("still here",)
    finally:
        kicked.close()
        bystander.close()


def test_two_edges_share_a_room_and_each_reply_goes_where_it_is_needed(cluster):
    """bus-protocol §12, "Where a reply goes": a reply holding a room emit goes to `edge`, where
    both edges carry it out (the asking one answers its ack from it, after the emit as the handler
    wrote them); a reply only the asking edge can use (an ack, an emit or a join for the asking
    socket) goes to `edge.<that edge>` alone."""
    first = start_stack(cluster, relaxed_config())
    second = start_edge(cluster, relaxed_config(), name="edge-2")
    wait_for_route(second)
    trace = cluster.switchboard_background("trace", "--json", "--duration", "6", name="trace-edges")
    time.sleep(1.5)  # the trace's subscription reaches the bus
    here, there = SioClient(), SioClient()
    here.connect(first)
    there.connect(second)
    try:
        for c in (here, there):
            assert c.call("join", {"room": "lobby"}) == ({"joined": "lobby"},)
        assert here.call("broadcast", {"room": "lobby", "event": "news", "args": [1]}) == ({"sent": True},)
        assert here.received("news") == [(1,)], "the room emit comes before the ack, as in the reply"
        assert there.wait_event("news") == [(1,)]
        assert here.call("echo", "mine") == ("mine",)
        assert here.wait_event("echo") == [("mine",)]
        time.sleep(0.3)
        assert there.received("echo") == [] and there.received("news") == [(1,)]
    finally:
        here.close()
        there.close()
    trace.popen.wait(timeout=30)
    lines = json_lines(trace.output())
    events = {line["id"]: line for line in lines if line["type"] == "event" and line.get("sid")}
    topics = {}
    for reply in (line for line in lines if line["type"] == "reply" and line.get("re") in events):
        event = events[reply["re"]]
        assert event["header"]["replyTo"] == "edge." + event["header"]["edge"]
        expected = "edge" if event["event"] == "broadcast" else event["header"]["replyTo"]
        assert reply["topic"] == expected, (event["event"], reply["topic"])
        topics.setdefault(event["event"], []).append(reply["topic"])
    assert sorted(topics) == ["broadcast", "echo", "join"], topics
