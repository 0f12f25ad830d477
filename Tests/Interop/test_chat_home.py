"""HomeAssistant's chat (seed 003) through the real processes: bus, presence (joinRoom), notification
(the group notifications, asked by chat through its outbox), chat (seeded with conversations), an
edge whose `/` authenticates optionally, python-socketio clients with JWTs. See docs/chat.md."""
import time

from chat_helpers import anonymous, jwt_client, seed, settle, start

NAMES = {1: "Amir", 2: "Sara", 3: "Omar", 4: "Mike"}


def start_home(cluster, conversations=("1:2", "3:4")):
    edge, chat = start(cluster, notification=True)
    result = seed(cluster, {"users": [{"id": 4, "name": "Mike"}],
                            "conversations": [{"roomID": room} for room in conversations]})
    assert result.returncode == 0 and '"conversations":' in result.stdout, result.stdout + result.stderr
    return edge, chat


def home(edge, user_id):
    """A HomeAssistant client of `user_id`: a JWT, and its own `user:{id}` room (presence), joined
    once presence acknowledged it (presence may still be starting: a fixed pause is not enough)."""
    client = jwt_client(edge, user_id, NAMES[user_id])
    assert client.call("joinRoom", str(user_id))[0].get("success") is True
    return client


def join(client, room):
    assert client.call("chatRoom.join", room) == ({"success": True},), room


def message(sender, room, text, contact=False):
    return {"data": {"message": text, "from": str(sender), "roomID": room, "fromUsername": NAMES[sender],
                     "roomKey": f"room:{room}", "lastMessage": text,
                     "unreadMessArray": [{"recipientID": "x", "roomID": room, "countNumber": 42, "updateStatus": True}],
                     "createRoomNotification": None, "contact": contact}}


def note(to, text):
    return {"from": "1", "to": to, "type": "chatGroup", "date": {}, "message": text, "read": False}


def first(client, event):
    return client.wait_event(event)[0][0]


def test_message_fan_out_room_page_and_notify(cluster):
    edge, _ = start_home(cluster)
    with home(edge, 1) as amir, home(edge, 2) as sara, home(edge, 2) as sara_list:
        settle()
        join(amir, "1:2")
        join(sara, "room:1:2")
        assert amir.call("message", message(1, "1:2", "Hello!")) == ({"success": True},)
        for client in (amir, sara):
            got = first(client, "messageRoom")
            assert {k: got[k] for k in ("message", "from", "roomID", "fromUsername")} == {
                "message": "Hello!", "from": "1", "roomID": "1:2", "fromUsername": "Amir"}
            assert set(got["date"]) == {"day", "month", "year", "time"}
        assert first(sara_list, "messagePage") == {"roomID": "1:2", "lastMessage": "Hello!"}
        for client in (sara, sara_list):
            notify = first(client, "messageResponseNotify")
            assert (notify["userID"], notify["fromUserID"], notify["unreadCount"]) == ("2", "1", 1)
        settle()
        assert sara.received("messagePage") == [], "a member in the room gets no page update"
        assert sara_list.received("messageRoom") == []
        assert amir.received("messagePage") == [] and amir.received("messageResponseNotify") == []


def test_typing_reaches_the_room_except_the_sender(cluster):
    edge, _ = start_home(cluster)
    with home(edge, 1) as amir, home(edge, 2) as sara:
        join(amir, "1:2")
        join(sara, "1:2")
        typing = {"roomID": "1:2", "user": {"userID": "1", "username": "Amir"}}
        amir.sio.emit("startTypingRoom", typing)
        assert first(sara, "typingMessageStart") == {"senderID": "1", "senderUsername": "Amir", "roomID": "1:2"}
        amir.sio.emit("stopTypingRoom", typing)
        sara.wait_event("typingMessageStop")
        settle()
        assert amir.received("typingMessageStart") == [] and amir.received("typingMessageStop") == []


def test_non_members_are_refused_and_private_rooms_stay_private(cluster):
    edge, _ = start_home(cluster)
    with home(edge, 1) as amir, home(edge, 2) as sara, home(edge, 3) as omar, home(edge, 4) as mike:
        join(amir, "1:2")
        join(sara, "1:2")
        join(omar, "3:4")
        join(mike, "3:4")
        assert omar.call("chatRoom.join", "1:2") == ({"success": False, "error": "FORBIDDEN"},)
        error = first(omar, "error")
        assert error["code"] == "FORBIDDEN" and set(error) == {"error", "code", "timestamp"}
        assert amir.call("chatRoom.join", "3:4") == ({"success": False, "error": "FORBIDDEN"},)
        assert omar.call("message", message(1, "1:2", "spoof")) == ({"success": False, "error": "FORBIDDEN"},)
        assert amir.call("message", message(1, "1:2", "for Sara")) == ({"success": True},)
        assert omar.call("message", message(3, "3:4", "for Mike")) == ({"success": True},)
        sara.wait_event("messageRoom")
        mike.wait_event("messageRoom")
        settle()
        for outsider in (omar, mike):
            assert all(args[0]["roomID"] == "3:4" for args in outsider.received("messageRoom"))
        for outsider in (amir, sara):
            assert all(args[0]["roomID"] == "1:2" for args in outsider.received("messageRoom"))
            assert outsider.received("messagePage") == [] and \
                all(args[0]["roomID"] == "1:2" for args in outsider.received("messageResponseNotify"))


def test_group_round_with_notifications_through_the_notification_service(cluster):
    edge, _ = start_home(cluster, conversations=("1:2",))
    with home(edge, 1) as amir, home(edge, 2) as sara, home(edge, 3) as omar, home(edge, 4) as mike:
        settle()
        create = {"data": {"newUserID": "3", "newUsername": "Omar", "roomID": "1:2", "newRoomID": "1:2:3",
                           "currentMember": [{"userID": "2", "username": "Sara"}], "clientID": "1",
                           "clientUsername": "Amir", "newUserPicturePath": "https://p/3", "online": True,
                           "notifications": [note("2", "group with Omar"), note("3", "you were added")]}}
        assert amir.call("createUserGroup", create) == ({"success": True},)
        for client in (amir, sara, omar):
            assert first(client, "createUserGroupChange")["newRoomID"] == "1:2:3"
        assert first(omar, "createUserToGroupNotify")["message"] == "you were added"
        assert first(sara, "createUserToGroupNotify")["message"] == "group with Omar"
        assert isinstance(first(omar, "createUserToGroupNotify")["id"], int)

        join(sara, "1:2:3")
        add = dict(create, data=dict(create["data"], newUserID="4", newUsername="Mike", roomID="1:2:3",
                                     newRoomID="1:2:3:4", notifications=[note("4", "welcome Mike")]))
        assert amir.call("addUserToGroup", add) == ({"success": True},)
        for client in (amir, sara, omar, mike):
            assert first(client, "addUserToGroupChange")["newRoomID"] == "1:2:3:4"
        assert sara.wait_event("addUserToGroupChangeInRoom")[0] == ("1:2:3:4",)
        assert first(mike, "addUserToGroupNotify")["message"] == "welcome Mike"

        for client in (amir, omar):
            join(client, "1:2:3:4")
        kick = {"firstRoomID": "1:2", "roomID": "1:2:3:4", "newRoomID": "1:2:4", "kickedUserID": "3",
                "kickedUsername": "Omar", "clientID": "1", "clientUsername": "Amir",
                "notifications": [note("3", "you were removed")]}
        assert amir.call("kickUserFromGroup", kick) == ({"success": True},)
        kicked = first(omar, "kickUserFromGroupNotify")
        assert (kicked["newRoomID"], kicked["kickedUserID"], kicked["notification"]["message"]) == (
            "1:2:4", "3", "you were removed")
        for client in (amir, sara, mike):
            assert first(client, "kickUserFromGroupChange") == {"roomID": "1:2:3:4", "newRoomID": "1:2:4",
                                                                "kickedUsername": "Omar", "kickedUserID": "3"}
        assert first(amir, "kickUserFromGroupChangeInRoom") == {"firstRoomID": "1:2", "kickedUserID": "3",
                                                                "newRoomID": "1:2:4"}

        delete = {"roomID": "1:2:4", "clientID": "1", "clientUsername": "Amir",
                  "notifications": [note("room", "deleted by Amir")]}
        assert amir.call("deleteUserRoom", delete) == ({"success": True},)
        for client in (amir, sara, mike):
            assert first(client, "deleteUserRoomChange") == {"roomID": "1:2:4"}
        for client in (sara, mike):
            deleted = first(client, "deleteUserRoomNotify")
            assert (deleted["roomID"], deleted["message"]) == ("1:2:4", "deleted by Amir")
        settle()
        assert omar.received("kickUserFromGroupChange") == [] and omar.received("kickUserFromGroupChangeInRoom") == []
        assert amir.received("deleteUserRoomNotify") == [] and omar.received("deleteUserRoomChange") == []
        assert amir.call("chatRoom.join", "1:2:4") == ({"success": False, "error": "NOT_FOUND"},)


def test_wrong_payload_types_are_refused_without_a_crash(cluster):
    edge, chat = start_home(cluster)
    with anonymous(edge) as client, home(edge, 1) as amir:
        wrong = [("message", "text"), ("message", {"data": 5}), ("message", {"data": {"message": 3, "from": "1",
                                                                                    "roomID": "1:2"}}),
                 ("chatRoom.join", 12), ("chatRoom.join", "2:1"), ("startTypingRoom", ["1:2"]),
                 ("createUserGroup", []), ("addUserToGroup", {"data": {"roomID": None}}),
                 ("kickUserFromGroup", {"roomID": {}}), ("deleteUserRoom", "1:2")]
        for event, payload in wrong:
            client.sio.emit(event, payload)
        errors = client.wait_event("error", count=len(wrong))
        assert [args[0]["code"] for args in errors] == ["INVALID_PAYLOAD"] * len(wrong)
        # Still serving.
        join(amir, "1:2")
        assert amir.call("message", message(1, "1:2", "still here")) == ({"success": True},)
        assert chat.popen.poll() is None


def test_group_notifications_wait_for_a_late_notification_service_and_survive_a_chat_restart(cluster):
    """Chat's outbox keeps the requests while notification is absent, across a kill -9 of chat,
    and sends them (same ids: delivered once) when notification comes."""
    edge, chat = start(cluster)
    seed(cluster, {"conversations": [{"roomID": "1:2"}]})
    with home(edge, 1) as amir, home(edge, 3) as omar:
        settle()
        create = {"data": {"newUserID": "3", "newUsername": "Omar", "roomID": "1:2", "newRoomID": "1:2:3",
                           "currentMember": [], "clientID": "1", "clientUsername": "Amir",
                           "newUserPicturePath": None, "online": True,
                           "notifications": [note("3", "added while notification was away")]}}
        assert amir.call("createUserGroup", create) == ({"success": True},)
        omar.wait_event("createUserGroupChange")
        chat.kill9()
        restarted = cluster.start("chat", name="chat-again")
        restarted.wait_for_log("ready: announcing", timeout=30)
        cluster.start("notification").wait_for_log("ready: announcing", timeout=30)
        got = omar.wait_event("createUserToGroupNotify", timeout=30)
        assert got[0][0]["message"] == "added while notification was away"
        settle(seconds=2)
        assert len(omar.received("createUserToGroupNotify")) == 1
