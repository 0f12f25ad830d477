"""Rooms, broadcast with exceptions, and a server-side disconnect, through the real processes."""
import time

from edge_helpers import SioClient, relaxed_config, start_stack


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
