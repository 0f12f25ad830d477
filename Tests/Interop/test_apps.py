"""Apps (docs/edge.md, "Apps"): the seed contracts side by side on one edge process started with
deploy/run's configuration, deploy/edge.contracts.json (only its ports made free, and the test's
secrets and session store): each contract on its own strict listener, as its own app. Real bus,
presence and chat (seeded with `switchboard seed`), python-socketio clients of every contract doing
their contract's traffic; no client receives an event of another contract, `user:getRoom` never
answers a Chatto room, Zizany refuses a connection without a session, and Zizany's REST history
answers on Zizany's listener alone."""
import json
import time

import requests

from chat_helpers import CHATTO_ROOM, SESSIONS, cookie, seed, settle, start_chat
from conftest import ROOT, free_port
from edge_helpers import (JWT_SECRET, SESSION_SECRET, Edge, SioClient, connect_refusal, make_jwt, make_sessions_db,
                          session_json, wait_for_route)

CONTRACTS_JSON = ROOT / "deploy" / "edge.contracts.json"

# What a client of each contract may receive (its contract's events; acks are not events).
ALLOWED = {
    "zizany": {"server:joined", "channel:joined", "message:new", "presence:update", "typing:update",
               "server:member_joined", "server:member_left"},
    "chatto": {"room created", "message history", "chat message", "user joined room", "user left room", "typing"},
    "homeassistant": {"newOnlineUser", "messageRoom", "messagePage", "messageResponseNotify",
                      "typingMessageStart", "typingMessageStop"},
    "audio": set(),
}


def start_contracts(cluster):
    """Bus, presence, chat seeded (Zizany servers, Chatto rooms, one HomeAssistant conversation),
    and one edge with deploy/edge.contracts.json; returns {app: Edge} (`telecaller` for the
    listener of no app)."""
    cluster.start_bus()
    cluster.start("presence").wait_for_log("ready: announcing", timeout=30)
    start_chat(cluster)
    result = seed(cluster)
    assert result.returncode == 0 and "chat: ok" in result.stdout, result.stdout + result.stderr
    result = seed(cluster, {"conversations": [{"roomID": "1:2"}]})
    assert result.returncode == 0, result.stdout + result.stderr
    sessions = cluster.tmp / "sessions.sqlite"
    expires = int(time.time() * 1000) + 3_600_000
    make_sessions_db(sessions, {sid: (expires, dict(session_json(user_id=user), username=name))
                                for (user, sid), name in zip(SESSIONS.items(), ("Amir", "Sara", "Omar"))})
    config = json.loads(CONTRACTS_JSON.read_text())
    ports = {}
    for listener in config["listeners"]:
        listener["port"] = ports[listener.get("app", "telecaller")] = free_port()
    config["session"] = {"secret": SESSION_SECRET, "database": str(sessions), "cookie": "connect.sid"}
    path = cluster.tmp / "edge.contracts.json"
    path.write_text(json.dumps(config, indent=2))
    proc = cluster.start("edge", extra_env={"EDGE_CONFIG": str(path), "EDGE_JWT_SECRET": JWT_SECRET})
    proc.wait_for_log("edge listening", timeout=20)
    edges = {app: Edge(proc, port, config) for app, port in ports.items()}
    wait_for_route(edges["chatto"], event="join room")
    wait_for_route(edges["audio"], event="user:getRoom", auth={"token": make_jwt({"id": 9, "name": "Probe"})})
    return edges


def token(user_id, name):
    return {"token": make_jwt({"id": user_id, "name": name})}


def names(client):
    with client.cond:
        return {event for (_, event, _) in client.events}


def test_the_seed_contracts_on_one_edge_never_see_each_other(cluster):
    edges = start_contracts(cluster)

    # Zizany refuses a connection without a session, out of the box.
    refusal = connect_refusal(edges["zizany"], "/", transports=["websocket"])
    assert "E_UNAUTHORIZED" in json.dumps(refusal), refusal
    # The telecaller's /user wants its JWT; its namespaces are not served on the other ports.
    assert connect_refusal(edges["telecaller"], "/user") == {"message": "Authentication token required"}
    assert "Invalid namespace" in json.dumps(connect_refusal(edges["zizany"], "/user", headers={"Cookie": cookie(1)}))

    clients = {app: [] for app in ALLOWED}

    def client(app, **connect):
        made = SioClient().connect(edges[app], transports=["websocket"], **connect)
        clients[app].append(made)
        return made

    try:
        amir_z = client("zizany", headers={"Cookie": cookie(1)})
        sara_z = client("zizany", headers={"Cookie": cookie(2)})
        alice = client("chatto", auth=token(1, "Amir"))
        bob = client("chatto")
        home_1 = client("homeassistant")
        home_2 = client("homeassistant")
        audio = client("audio", auth=token(2, "Sara"))

        # Chatto: user 1 joins a room, creates one, speaks.
        assert alice.call("join room", {"roomId": CHATTO_ROOM}) == ({"success": True},)
        assert bob.call("join room", {"roomId": CHATTO_ROOM, "user": "bob"}) == ({"success": True},)
        (created,) = alice.call("create room", {"name": "Sports"})
        assert created["success"] is True
        assert alice.call("chat message", {"roomId": CHATTO_ROOM, "text": "hi"})[0]["success"] is True
        for chatto in (alice, bob):
            chatto.wait_event("room created")
            chatto.wait_event("chat message")

        # Zizany: both members join server 1's channel 10; a message reaches both.
        for zizany in (amir_z, sara_z):
            assert zizany.call("server:join", {"serverId": 1}) == ({"ok": True, "serverId": 1},)
            assert zizany.call("channel:join", {"channelId": 10}) == ({"ok": True, "channelId": 10},)
        amir_z.sio.emit("message:create", {"channelId": 10, "content": "Hello"})
        for zizany in (amir_z, sara_z):
            zizany.wait_event("message:new")

        # HomeAssistant: online users and a conversation's message.
        home_1.sio.emit("addOnlineUser", {"userID": "1", "userUsername": "Amir"})
        home_2.sio.emit("addOnlineUser", {"userID": "2", "userUsername": "Sara"})
        home_1.wait_event("newOnlineUser", count=2)
        for home in (home_1, home_2):
            assert home.call("chatRoom.join", "1:2") == ({"success": True},)
        message = {"data": {"message": "Hey", "from": "1", "roomID": "1:2", "fromUsername": "Amir",
                            "roomKey": "room:1:2", "lastMessage": "Hey",
                            "unreadMessArray": [{"recipientID": "2", "roomID": "1:2", "countNumber": 1,
                                                 "updateStatus": True}],
                            "createRoomNotification": None, "contact": False}}
        assert home_1.call("message", message) == ({"success": True},)
        home_2.wait_event("messageRoom")

        # Audio rooms: user 1 is in a Chatto room (and in Zizany's server rooms), none of them an
        # audio room, so user:getRoom knows no room of theirs.
        assert audio.call("user:getRoom", {"userId": 1}) == ({"roomId": None},)
        assert audio.call("user:getRoom", {"userId": 2}) == ({"roomId": None},)

        # An event of one contract sent to another's listener is nobody's there.
        assert amir_z.call("join room", {"roomId": CHATTO_ROOM, "user": "Amir"}) == ({"error": "UNKNOWN_EVENT"},)
        assert alice.call("user:getRoom", {"userId": 1}) == ({"error": "UNKNOWN_EVENT"},)
        assert home_1.call("create room", {"name": "Leak"}) == ({"error": "UNKNOWN_EVENT"},)
        assert audio.call("message:create", {"channelId": 10, "content": "x"}) == ({"error": "UNKNOWN_EVENT"},)

        # Zizany's REST history is an HTTP route of app zizany: served on Zizany's listener only.
        history = "/api/channels/10/messages"
        page = requests.get(edges["zizany"].url + history, headers={"Cookie": cookie(1)}, timeout=20)
        assert page.status_code == 200, page.text
        assert [m["content"] for m in page.json()["messages"]] == ["Hello"]
        # (The telecaller's listener names no app: the unnamed app's `http` routes, which chat
        # also serves by default as it serves `/`, answer there.)
        for app in ("chatto", "homeassistant", "audio"):
            elsewhere = requests.get(edges[app].url + history, headers={"Cookie": cookie(1)}, timeout=20)
            assert elsewhere.status_code == 404, f"{app}: {elsewhere.status_code} {elsewhere.text}"

        settle(seconds=1.0)
        for app, connected in clients.items():
            for each in connected:
                strangers = names(each) - ALLOWED[app]
                assert not strangers, f"a {app} client received another contract's events: {strangers}"
        assert alice.received("user joined room") == [({"roomId": CHATTO_ROOM, "user": "bob"},)]
        assert len(bob.received("room created")) == 1, "Chatto's broadcast reached each Chatto client once"
    finally:
        for connected in clients.values():
            for each in connected:
                each.close()
