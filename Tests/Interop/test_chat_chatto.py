"""Chatto (seed 004) through the real processes: bus, presence, chat (seeded), an edge whose
`/` authenticates optionally, python-socketio clients (anonymous, as Chatto's are, and one with
a JWT). See docs/chat.md."""
import signal

from chat_helpers import CHATTO_ROOM, OTHER_ROOM, anonymous, jwt_client, settle, start, start_chat


def join(client, user, room=CHATTO_ROOM):
    assert client.call("join room", {"roomId": room, "user": user}) == ({"success": True},)


def test_join_history_broadcast_sender_included_and_survives_restart(cluster):
    edge, chat = start(cluster)
    with anonymous(edge) as alice, anonymous(edge) as bob:
        join(alice, "alice")
        assert alice.wait_event("message history")[0] == ([],)
        join(bob, "bob")
        assert alice.wait_event("user joined room")[0] == ({"roomId": CHATTO_ROOM, "user": "bob"},)
        assert bob.received("user joined room") == []
        (ack,) = alice.call("chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "Hello, world!"})
        assert ack["success"] is True
        for client in (alice, bob):
            (message,), = client.wait_event("chat message")
            assert set(message) == {"_id", "room", "user", "text", "timestamp"}
            assert (message["room"], message["user"], message["text"]) == (CHATTO_ROOM, "alice", "Hello, world!")
            assert len(message["_id"]) == 24 and message["timestamp"].endswith("Z")
        bob.sio.emit("chat message", {"roomId": CHATTO_ROOM, "user": "bob", "text": "Hi everyone 👋"})
        alice.wait_event("chat message", count=2)
    chat.signal(signal.SIGKILL)
    chat.popen.wait(timeout=10)
    start_chat(cluster, name="chat-again")
    with anonymous(edge) as carol:
        join(carol, "carol")
        (history,), = carol.wait_event("message history")
        assert [(m["user"], m["text"]) for m in history] == [("alice", "Hello, world!"), ("bob", "Hi everyone 👋")]


def test_refusals_with_and_without_ack_and_no_crash(cluster):
    edge, chat = start(cluster)
    with anonymous(edge) as alice, anonymous(edge) as mallory:
        join(alice, "alice")
        cases = [
            ({"roomId": "no-such-room", "user": "alice", "text": "x"}, "Room not found"),
            ({"roomId": CHATTO_ROOM, "user": "alice", "text": ""}, "Message text must be 1 to 2000 characters"),
            ({"roomId": CHATTO_ROOM, "user": "alice", "text": "y" * 2001}, "Message text must be 1 to 2000 characters"),
            ({"roomId": CHATTO_ROOM, "text": "x"}, "User is required"),
            ({"roomId": CHATTO_ROOM, "user": "alice", "text": 12}, "Message text must be 1 to 2000 characters"),
        ]
        for payload, error in cases:
            assert alice.call("chat message", payload) == ({"success": False, "error": error},), payload
        # Not in the room: refused, and nobody in the room hears it.
        assert mallory.call("chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "spoof"}) == (
            {"success": False, "error": "Join the room first"},)
        mallory.sio.emit("chat message", "not an object")
        assert mallory.wait_event("error")[0] == ({"event": "chat message", "error": "Invalid payload"},)
        mallory.sio.emit("join room", {"roomId": 5, "user": []})
        mallory.sio.emit("create room", {"name": None})
        assert len(mallory.wait_event("error", count=3)) == 3
        settle()
        assert alice.received("chat message") == []
    assert chat.popen.poll() is None


def test_rooms_are_separate_and_typing_goes_to_the_others(cluster):
    edge, _ = start(cluster)
    with anonymous(edge) as alice, anonymous(edge) as bob, anonymous(edge) as dave:
        join(alice, "alice")
        join(bob, "bob")
        join(dave, "dave", room=OTHER_ROOM)
        alice.sio.emit("typing", {"roomId": CHATTO_ROOM, "user": "alice"})
        assert bob.wait_event("typing")[0] == ({"roomId": CHATTO_ROOM, "user": "alice"},)
        alice.call("chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "room one only"})
        bob.wait_event("chat message")
        settle()
        assert alice.received("typing") == []
        assert dave.received("chat message") == [] and dave.received("typing") == []
        assert dave.received("user joined room") == []


def test_create_room_reaches_every_client(cluster):
    edge, _ = start(cluster)
    with anonymous(edge) as alice, anonymous(edge) as bob:
        (ack,) = alice.call("create room", {"name": "Sports"})
        assert ack["success"] is True
        for client in (alice, bob):
            (room,), = client.wait_event("room created")
            assert room == ack["room"] and room["name"] == "Sports" and len(room["_id"]) == 24
        join(bob, "bob", room=ack["room"]["_id"])


def test_leaving_and_disconnecting_tell_the_others(cluster):
    edge, _ = start(cluster)
    with anonymous(edge) as alice:
        bob = anonymous(edge)
        carol = anonymous(edge)
        join(alice, "alice")
        join(bob, "bob")
        join(carol, "carol")
        assert carol.call("leave room", {"roomId": CHATTO_ROOM}) == ({"success": True},)
        assert alice.wait_event("user left room")[0] == ({"roomId": CHATTO_ROOM, "user": "carol"},)
        bob.close()
        assert alice.wait_event("user left room", count=2)[1] == ({"roomId": CHATTO_ROOM, "user": "bob"},)
        alice.call("chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "after"})
        settle()
        assert carol.received("chat message") == []
        carol.close()


def test_an_authenticated_socket_cannot_speak_as_someone_else(cluster):
    edge, _ = start(cluster)
    with jwt_client(edge, "u7", "carol") as carol, anonymous(edge) as alice:
        join(alice, "alice")
        assert carol.call("join room", {"roomId": CHATTO_ROOM, "user": "alice"}) == (
            {"success": False, "error": "You cannot act as another user"},)
        assert carol.call("join room", {"roomId": CHATTO_ROOM}) == ({"success": True},)
        assert alice.wait_event("user joined room")[0] == ({"roomId": CHATTO_ROOM, "user": "carol"},)


def test_a_socket_that_left_while_chat_was_down_is_announced_after_the_restart(cluster):
    edge, chat = start(cluster)
    with anonymous(edge) as alice:
        bob = anonymous(edge)
        join(alice, "alice")
        join(bob, "bob")
        chat.stop()
        bob.close()
        settle(seconds=1.0)
        start_chat(cluster, name="chat-again")
        assert alice.wait_event("user left room", timeout=20)[0] == ({"roomId": CHATTO_ROOM, "user": "bob"},)
        alice.call("chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "still here"})
        alice.wait_event("chat message")
