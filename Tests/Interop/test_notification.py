"""The notification service through the real processes: bus, echo service (to join rooms with an
ack), presence (HomeAssistant's joinRoom), notification, an edge, python-socketio clients.
Contract: HomeAssistant (seed 003); see docs/notification.md."""
import json
import time

from conftest import json_lines
from edge_helpers import JWT_SECRET, SioClient, make_jwt, relaxed_config, start_edge, wait_for_route

NEW_COMMENT = {"commentID": 240, "comment": "Great service!", "from": "john_doe", "houseworkerID": "2",
               "date": "25.10.2025", "read": False}


def comment(houseworker="2", text="Great service!"):
    new_comment = dict(NEW_COMMENT, houseworkerID=houseworker, comment=text)
    return {"newComment": new_comment,
            "notificationObj": {"id": 388, "from": "1", "to": houseworker, "type": "comment", "date": {},
                                "message": "You've got comment from john_doe", "read": False}}


def rating(houseworker="2", stars=5):
    return {"client": "john_doe", "houseworker": "sara_cleaner", "rating": stars, "houseworkerID": houseworker,
            "notification": {"id": 387, "from": "1", "to": houseworker, "type": "comment", "date": {},
                             "message": f"The user john_doe has rated you with {stars}", "read": False}}


def start_notification(cluster, name="notification"):
    proc = cluster.start("notification", name=name)
    proc.wait_for_log("ready: announcing", timeout=30)
    return proc


def start(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    presence = cluster.start("presence")
    presence.wait_for_log("ready: announcing", timeout=30)
    notification = start_notification(cluster)
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={"/": {"auth": "optional"}})
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    wait_for_route(edge)
    wait_for_route(edge, event="notification:read")
    wait_for_route(edge, event="user:getRoom")
    return edge, notification


def client(edge, user=None):
    c = SioClient()
    auth = {"token": make_jwt({"id": user, "name": f"user {user}"})} if user else None
    c.connect(edge, auth=auth)
    return c


def in_room(c, user):
    """Joins `user:{id}` through the echo service's `join` (acknowledged after the join)."""
    assert c.call("join", {"room": f"user:{user}"}) == ({"joined": f"user:{user}"},)


def send(c, event, payload):
    """HomeAssistant's notification events have no ack in the seed; ask for one anyway so that
    the test knows the service handled it (the service acks {success, id})."""
    return c.call(event, payload)[0]


def events(c, name):
    return [args[0] for args in c.received(name)]


def test_comment_and_rating_reach_only_the_houseworker(cluster):
    edge, _ = start(cluster)
    houseworker, other, sender = client(edge), client(edge), client(edge)
    try:
        in_room(houseworker, "2")
        in_room(other, "3")
        assert send(sender, "commentNotification", comment("2"))["success"] is True
        assert send(sender, "ratingNotification", rating("2"))["success"] is True
        houseworker.wait_event("privateRatingNotify-2")
        private = events(houseworker, "privateCommentNotify")
        assert len(private) == 1 and private[0]["newComment"] == NEW_COMMENT
        note = private[0]["notificationObj"]
        assert note["id"] != 388 and note["read"] is False and note["to"] == "2" and note["from"] == "1"
        assert set(note["date"]) >= {"day", "month", "year", "time"}
        assert events(houseworker, "newCommentChange") == [NEW_COMMENT]
        rated = events(houseworker, "privateRatingNotify-2")
        assert rated[0]["rating"] == 5 and rated[0]["notification"]["id"] == note["id"] + 1
        time.sleep(1.0)
        for c in (other, sender):
            assert c.received("privateRatingNotify-2") == [], "a rating is shown to its houseworker only"
            assert c.received("privateCommentNotify") == [] and c.received("newCommentChange") == []
    finally:
        for c in (houseworker, other, sender):
            c.close()


def test_group_notifications_asked_on_the_bus_reach_the_affected_users(cluster):
    edge, _ = start(cluster)
    u2, u3, u4 = client(edge), client(edge), client(edge)
    try:
        for c, user in ((u2, "2"), (u3, "3"), (u4, "4")):
            in_room(c, user)
        note = {"from": "1", "type": "chatGroup", "date": {}, "read": False}
        requests = [
            ("createUserToGroupNotify", {"notifications": [dict(note, to="2", message="added")]}),
            ("addUserToGroupNotify", {"notifications": [dict(note, to="3", message="added to group")]}),
            ("kickUserFromGroupNotify", {"roomID": "1:2:3:4", "newRoomID": "1:2:4", "kickedUserID": "3",
                                         "notifications": [dict(note, to="3", message="removed")]}),
            ("deleteUserRoomNotify", {"roomID": "1:2:4", "notifications": [dict(note, to="room", message="deleted")]}),
        ]
        for name, payload in requests:
            out = cluster.switchboard("send", "--ns", "", name, json.dumps([payload]), "--json", check=True)
            result = [l for l in json_lines(out.stdout) if "body" in l][0]
            acks = [i for i in result["body"] if i["op"] == "ack"]
            assert acks[0]["args"][0]["success"] is True, result
        u4.wait_event("deleteUserRoomNotify")
        u2.wait_event("deleteUserRoomNotify")
        assert [n["message"] for n in events(u2, "createUserToGroupNotify")] == ["added"]
        assert [n["message"] for n in events(u3, "addUserToGroupNotify")] == ["added to group"]
        kicked = events(u3, "kickUserFromGroupNotify")
        assert len(kicked) == 1 and kicked[0]["newRoomID"] == "1:2:4" and kicked[0]["notification"]["to"] == "3"
        deleted = events(u4, "deleteUserRoomNotify")
        assert deleted[0]["roomID"] == "1:2:4" and deleted[0]["to"] == "room"
        time.sleep(0.5)
        assert u3.received("deleteUserRoomNotify") == [], "user 3 is not in room 1:2:4"
        assert u4.received("createUserToGroupNotify") == [] and u2.received("kickUserFromGroupNotify") == []
    finally:
        for c in (u2, u3, u4):
            c.close()


def test_an_offline_user_gets_the_backlog_once_in_order_on_joinroom(cluster):
    edge, _ = start(cluster)
    sender = client(edge)
    try:
        send(sender, "commentNotification", comment("7", "first"))
        send(sender, "ratingNotification", rating("7", 4))
        send(sender, "commentNotification", comment("7", "second"))
        tab1 = client(edge)
        tab1.sio.emit("joinRoom", "7")  # HomeAssistant's joinRoom, answered by presence
        tab1.wait_event("privateCommentNotify", count=2)
        tab1.wait_event("privateRatingNotify-7")
        tab1.wait_event("newCommentChange", count=2)
        names = [e for (_, e, _) in tab1.events if e in ("privateCommentNotify", "privateRatingNotify-7")]
        assert names == ["privateCommentNotify", "privateRatingNotify-7", "privateCommentNotify"]
        assert [c["comment"] for c in events(tab1, "newCommentChange")] == ["first", "second"]
        tab2 = client(edge)
        tab2.sio.emit("joinRoom", "7")
        tab1.close()
        tab3 = client(edge)
        in_room(tab3, "7")
        time.sleep(1.0)
        assert tab2.received("privateCommentNotify") == [] and tab3.received("privateCommentNotify") == []
        # Now online: a new one goes to the room, i.e. both open tabs, once each.
        send(sender, "commentNotification", comment("7", "third"))
        tab2.wait_event("privateCommentNotify")
        tab3.wait_event("privateCommentNotify")
        tab2.close()
        tab3.close()
    finally:
        sender.close()


def test_only_the_recipient_marks_a_notification_read(cluster):
    edge, _ = start(cluster)
    sara, mallory, sender = client(edge, "2"), client(edge, "3"), client(edge)
    try:
        in_room(sara, "2")
        notification_id = send(sender, "ratingNotification", rating("2"))["id"]
        sara.wait_event("privateRatingNotify-2")
        assert events(sara, "privateRatingNotify-2")[0]["notification"]["id"] == notification_id
        assert mallory.call("notification:read", {"id": notification_id}) == ({"success": False, "error": "FORBIDDEN"},)
        assert sara.call("notification:read", {"id": 999999}) == ({"success": False, "error": "NOT_FOUND"},)
        assert sara.call("notification:read", {"id": notification_id}) == ({"success": True},)
        # A sender authenticated as someone else is refused with HomeAssistant's error format.
        payload = rating("2")
        assert mallory.call("ratingNotification", payload) == ({"success": False, "error": "FORBIDDEN"},)
        error = mallory.wait_event("error")[0][0]
        assert error["code"] == "FORBIDDEN" and set(error) == {"error", "code", "timestamp"}
    finally:
        for c in (sara, mallory, sender):
            c.close()


def test_a_restart_of_the_notification_service_loses_nothing(cluster):
    edge, notification = start(cluster)
    sender, online = client(edge), client(edge)
    try:
        in_room(online, "5")
        send(sender, "commentNotification", comment("4", "before the crash"))  # user 4 is offline
        notification.kill9()
        # While it is down: user 4 joins their room, and a comment for (online) user 5 is sent;
        # the edge keeps that event and publishes it again when the service is back.
        late = client(edge)
        in_room(late, "4")
        waiting = sender.emit_with_ack("commentNotification", comment("5", "during the crash"))
        start_notification(cluster, name="notification-again")
        assert waiting(15)[0]["success"] is True
        late.wait_event("privateCommentNotify", timeout=15)
        online.wait_event("privateCommentNotify", timeout=15)
        assert [e["newComment"]["comment"] for e in events(late, "privateCommentNotify")] == ["before the crash"]
        assert [e["newComment"]["comment"] for e in events(online, "privateCommentNotify")] == ["during the crash"]
        # After the restart, user 4 is known to be online: delivered live, not kept.
        send(sender, "ratingNotification", rating("4"))
        late.wait_event("privateRatingNotify-4")
        time.sleep(1.0)
        assert len(late.received("privateCommentNotify")) == 1 and len(online.received("privateCommentNotify")) == 1
        again = client(edge)
        in_room(again, "4")
        time.sleep(0.5)
        assert again.received("privateCommentNotify") == [] and again.received("privateRatingNotify-4") == []
        again.close()
        late.close()
    finally:
        sender.close()
        online.close()
