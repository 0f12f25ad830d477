"""Every event of every contract, sent with an acknowledgement, is answered (issue 13, part 6), through
the real processes: the chat stack (bus, presence, notification, chat, an edge whose `/`
authenticates optionally) for the audio rooms (seed 000), Zizany (001), HomeAssistant (003) and Chatto
(004), and the call stack (bus, call, an edge with `/user` and `/telecaller`) for the telecaller app
(002). Where a handler has nothing to say the answer is the route's success shape
(`{success: true}`, Zizany's `{ok: true}`); a refusal says so (`{success: false, error}`)."""
from chat_helpers import CHATTO_ROOM, anonymous, start as start_chat_stack, zizany
from test_call import start as start_call_stack, telecaller, user

# The answers the edge gives by itself when no service answered: none of them may show up here.
EDGE_FAILURES = {"UNKNOWN_EVENT", "SERVICE_UNAVAILABLE", "OVERLOADED", "INTERNAL_ERROR", "SHUTTING_DOWN"}


def acked(client, event, *args, ns="/"):
    """Emits `event` with an ack request; returns the one argument the service acknowledged with."""
    answer = client.call(event, *args, ns=ns)
    assert len(answer) == 1 and isinstance(answer[0], dict), f"{ns} {event}: {answer!r}"
    assert answer[0].get("error") not in EDGE_FAILURES, f"{ns} {event} was not answered by its service: {answer!r}"
    return answer[0]


def succeeded(client, event, *args, ns="/"):
    ack = acked(client, event, *args, ns=ns)
    assert ack.get("success", ack.get("ok")) is True, f"{ns} {event}: {ack!r}"
    return ack


def test_every_home_assistant_and_audio_room_event_is_answered(cluster):
    edge, _ = start_chat_stack(cluster, notification=True)
    with anonymous(edge) as amir, anonymous(edge) as sara:
        # Presence (seed 003's user presence; seed 000's user:getRoom).
        succeeded(amir, "addOnlineUser", {"userID": "1", "userUsername": "Amir"})
        assert acked(amir, "addOnlineUser", {"userUsername": "nobody"}) == {"success": False, "error": "INVALID_PAYLOAD"}
        succeeded(amir, "joinRoom", "1")
        succeeded(sara, "joinRoom", "2")
        assert acked(amir, "user:getRoom", {"userId": 1}) == {"roomId": None}
        # Chat: a first message creates the conversation 1:2.
        succeeded(amir, "message", {"data": {"message": "Hello!", "from": "1", "roomID": "1:2", "fromUsername": "Amir"}})
        succeeded(amir, "chatRoom.join", "1:2")
        for typing in ("startTypingRoom", "stopTypingRoom"):
            succeeded(amir, typing, {"roomID": "1:2", "user": {"userID": "1", "username": "Amir"}})
        group = {"newUserID": "3", "newUsername": "Omar", "roomID": "1:2", "newRoomID": "1:2:3",
                 "currentMember": [{"userID": "2", "username": "Sara"}], "clientID": "1", "clientUsername": "Amir",
                 "newUserPicturePath": "", "online": False, "notifications": []}
        succeeded(amir, "createUserGroup", {"data": group})
        succeeded(amir, "addUserToGroup", {"data": dict(group, newUserID="4", newUsername="Dee", roomID="1:2:3",
                                                        newRoomID="1:2:3:4")})
        succeeded(amir, "kickUserFromGroup", {"firstRoomID": "1:2", "roomID": "1:2:3:4", "newRoomID": "1:2:3",
                                              "kickedUserID": "4", "kickedUsername": "Dee", "clientID": "1",
                                              "clientUsername": "Amir", "notifications": []})
        succeeded(amir, "deleteUserRoom", {"roomID": "1:2:3", "clientID": "1", "clientUsername": "Amir",
                                           "notifications": []})
        succeeded(amir, "chatRoom.leave", "1:2")
        # Notification.
        notification = {"id": 1, "from": "1", "to": "2", "type": "comment", "date": {}, "message": "Hi", "read": False}
        comment = succeeded(amir, "commentNotification", {
            "newComment": {"commentID": 240, "comment": "Great!", "from": "amir", "houseworkerID": "2",
                           "date": "25.10.2025", "read": False},
            "notificationObj": notification})
        succeeded(amir, "ratingNotification", {"client": "amir", "houseworker": "sara", "rating": 5,
                                               "houseworkerID": "2", "notification": notification})
        sara.wait_event("privateCommentNotify")
        succeeded(sara, "notification:read", {"id": comment["id"]})
        succeeded(amir, "leaveRoom", "1")


def test_every_zizany_and_chatto_event_is_answered(cluster):
    edge, _ = start_chat_stack(cluster)
    with zizany(edge, 1) as amir, anonymous(edge) as alice:
        assert acked(amir, "server:join", {"serverId": 1}) == {"ok": True, "serverId": 1}
        assert acked(amir, "channel:join", {"channelId": 10}) == {"ok": True, "channelId": 10}
        for typing in ("typing:start", "typing:stop"):
            assert acked(amir, typing, {"channelId": 10}) == {"ok": True}
        succeeded(amir, "message:create", {"channelId": 10, "content": "Hello"})
        assert acked(amir, "channel:join", {"channelId": 20}) == {"ok": False, "code": "E_FORBIDDEN"}

        succeeded(alice, "create room", {"name": "Lobby"})
        succeeded(alice, "join room", {"roomId": CHATTO_ROOM, "user": "alice"})
        succeeded(alice, "chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "Hello, world!"})
        succeeded(alice, "typing", {"roomId": CHATTO_ROOM, "user": "alice"})
        succeeded(alice, "leave room", {"roomId": CHATTO_ROOM})
        assert acked(alice, "chat message", {"roomId": CHATTO_ROOM, "user": "alice", "text": "gone"})["success"] is False


def test_every_call_event_is_answered(cluster):
    edge, _ = start_call_stack(cluster, ring_ms=30_000)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        assert acked(t, "telecaller:set-availability", {"available": False}, ns="/telecaller") == {"success": True}
        assert acked(t, "telecaller:set-availability", {"available": True}, ns="/telecaller") == {"success": True}
        assert acked(t, "telecaller:set-availability", {"available": "no"}, ns="/telecaller") == {
            "success": False, "error": "Invalid call request"}

        def initiate():
            count = len(u.received("call:ringing", "/user"))
            assert acked(u, "call:initiate", {"telecallerId": "t1", "callType": "AUDIO"}, ns="/user") == {"success": True}
            return u.wait_event("call:ringing", "/user", count=count + 1)[-1][0]["callId"]

        assert acked(u, "call:cancel", {"callId": initiate()}, ns="/user") == {"success": True}
        assert acked(t, "call:reject", {"callId": initiate()}, ns="/telecaller") == {"success": True}
        for ender, ns in ((u, "/user"), (t, "/telecaller")):
            call_id = initiate()
            assert acked(t, "call:accept", {"callId": call_id}, ns="/telecaller") == {"success": True}
            assert acked(ender, "call:end", {"callId": call_id}, ns=ns) == {"success": True}
        assert acked(u, "call:cancel", {"callId": "nope"}, ns="/user") == {"success": False, "error": "Call not found."}
    finally:
        u.close()
        t.close()
