"""Presence through the real processes: bus, echo service (to join rooms), presence, edge, and
python-socketio clients. Contracts: HomeAssistant (online users), Zizany (presence:update),
audio rooms (user:getRoom)."""
import time

from edge_helpers import JWT_SECRET, SioClient, make_jwt, relaxed_config, start_edge, wait_for_route


def start(cluster):
    """The stack with presence; `/` authenticates optionally (a token gives an identity),
    `/secure` requires a JWT."""
    cluster.start_bus()
    cluster.start_service("echo-service")
    presence = cluster.start("presence", extra_env={"PRESENCE_NAMESPACES": "/,/secure"})
    presence.wait_for_log("ready: announcing", timeout=30)
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={"/": {"auth": "optional"}, "/secure": {"auth": "jwt"}})
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    wait_for_route(edge)
    wait_for_route(edge, event="user:getRoom")
    return edge, presence


def client(edge, user=None, namespaces=("/",)):
    c = SioClient(namespaces=namespaces)
    auth = {"token": make_jwt({"id": user, "name": f"user {user}"})} if user else None
    c.connect(edge, namespaces=namespaces, auth=auth)
    return c


def announce(c, user, name="someone", ns="/"):
    """HomeAssistant's addOnlineUser has no acknowledgement: a plain emit, then a round trip on
    the same socket (presence answers one socket's events in order) so it has been handled."""
    c.sio.emit("addOnlineUser", {"userID": user, "userUsername": name}, namespace=ns)
    c.call("user:getRoom", {"userId": 0}, ns=ns)


def online_events(c):
    return [args[0] for args in c.received("newOnlineUser")]


def test_a_user_with_two_tabs_goes_offline_only_when_both_close(cluster):
    edge, _ = start(cluster)
    watcher = client(edge)
    tab1, tab2 = client(edge), client(edge)
    try:
        announce(tab1, "2", "Sara")
        watcher.wait_event("newOnlineUser")
        announce(tab2, "2", "Sara")
        tab1.close()
        time.sleep(1.0)
        assert online_events(watcher) == [{"type": "Add", "userID": "2"}], "a second tab is not a new user"
        tab2.close()
        watcher.wait_event("newOnlineUser", count=2)
        assert online_events(watcher) == [{"type": "Add", "userID": "2"}, {"type": "Remove", "userID": "2"}]
    finally:
        watcher.close()


def test_presence_updates_reach_only_the_matching_server_room(cluster):
    edge, _ = start(cluster)
    alice, bob, carol = client(edge, "2"), client(edge, "5"), client(edge, "9")
    try:
        assert alice.call("join", {"room": "server:1"}) == ({"joined": "server:1"},)
        alice.wait_event("presence:update")
        assert bob.call("join", {"room": "server:1"}) == ({"joined": "server:1"},)
        carol.call("join", {"room": "server:2"})
        alice.wait_event("presence:update", count=2)
        assert [a[0] for a in alice.received("presence:update")] == [
            {"serverId": 1, "onlineUserIds": [2]}, {"serverId": 1, "onlineUserIds": [2, 5]}]
        assert all(a[0]["serverId"] == 2 for a in carol.received("presence:update")), "server 1's updates leak"
        bob.close()
        alice.wait_event("presence:update", count=3)
        assert alice.received("presence:update")[-1] == ({"serverId": 1, "onlineUserIds": [2]},)
    finally:
        alice.close()
        carol.close()


def test_get_room_in_a_room_not_in_a_room_and_with_bad_payloads(cluster):
    edge, _ = start(cluster)
    member, asker = client(edge, "7"), client(edge, "8")
    try:
        assert asker.call("user:getRoom", {"userId": 7}) == ({"roomId": None},)
        member.call("join", {"room": "audio-42"})
        deadline = time.time() + 10
        while asker.call("user:getRoom", {"userId": 7}) != ({"roomId": "audio-42"},) and time.time() < deadline:
            time.sleep(0.1)
        assert asker.call("user:getRoom", {"userId": 7}) == ({"roomId": "audio-42"},)
        for bad in ({}, {"userId": "seven"}, "7", None):
            assert asker.call("user:getRoom", bad) == ({"roomId": None, "error": "INVALID_PAYLOAD"},)
        member.close()
        time.sleep(0.5)
        assert asker.call("user:getRoom", {"userId": 7}) == ({"roomId": None},)
    finally:
        asker.close()


def test_claiming_another_users_id_on_an_authenticated_namespace_is_refused(cluster):
    edge, _ = start(cluster)
    mallory = client(edge, "66", namespaces=("/secure",))
    try:
        announce(mallory, "2", "Sara", ns="/secure")
        mallory.wait_event("error", ns="/secure")
        error = mallory.received("error", ns="/secure")[0][0]
        assert error["code"] == "FORBIDDEN"
        announce(mallory, "66", "Mal", ns="/secure")
        mallory.wait_event("newOnlineUser", ns="/secure")
        assert [a[0] for a in mallory.received("newOnlineUser", ns="/secure")] == [{"type": "Add", "userID": "66"}]
    finally:
        mallory.close()


def test_kill9_of_presence_mid_session_rebuilds_without_spurious_events(cluster):
    edge, presence = start(cluster)
    watcher = client(edge)
    sara = client(edge)
    zed = client(edge, "3")
    try:
        announce(sara, "2", "Sara")
        zed.call("join", {"room": "server:1"})
        zed.call("join", {"room": "audio-1"})
        watcher.wait_event("newOnlineUser")
        presence.kill9()
        restarted = cluster.start("presence", name="presence-again", extra_env={"PRESENCE_NAMESPACES": "/,/secure"})
        restarted.wait_for_log("ready: announcing", timeout=30)
        assert "rebuilt from the edges" in restarted.output()
        # The rebuilt state is the truth: the room, the announced user.
        assert watcher.call("user:getRoom", {"userId": 3}) == ({"roomId": "audio-1"},)
        time.sleep(1.5)
        assert online_events(watcher) == [{"type": "Add", "userID": "2"}], "no Remove/Add pair for a user who never left"
        assert len(zed.received("presence:update")) == 1, "no presence:update for a room that did not change"
        sara.close()
        watcher.wait_event("newOnlineUser", count=2)
        assert online_events(watcher)[-1] == {"type": "Remove", "userID": "2"}
    finally:
        watcher.close()
        zed.close()


def test_an_edge_that_goes_silent_takes_its_users_offline_once(cluster):
    edge, _ = start(cluster)
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={"/": {"auth": "optional"}})
    other = start_edge(cluster, config, name="edge-2", extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    wait_for_route(other, event="user:getRoom")
    watcher = client(edge)
    leaving = client(other)
    try:
        announce(leaving, "4", "Lee")
        watcher.wait_event("newOnlineUser")
        other.proc.kill9()
        watcher.wait_event("newOnlineUser", count=2, timeout=15)
        time.sleep(1.5)
        assert online_events(watcher) == [{"type": "Add", "userID": "4"}, {"type": "Remove", "userID": "4"}]
    finally:
        watcher.close()
