"""The chat stack for the interop tests: bus, presence, notification and chat started as the
Procfile starts them, seeded with `switchboard seed`, and an edge whose `/` authenticates
optionally (a `connect.sid` cookie, else a JWT, else anonymous), as the default edge does."""
import json
import time

from edge_helpers import (JWT_SECRET, SESSION_SECRET, SioClient, make_jwt, make_sessions_db, relaxed_config,
                          session_json, signed_cookie_value, start_edge, wait_for_route)

CHATTO_ROOM = "64a1a0c1e4b0c1d2e3f40001"
OTHER_ROOM = "64a1a0c1e4b0c1d2e3f40002"

# Zizany: Amir (1) and Sara (2) are members of server 1 (channels 10, 11); Omar (3) only of
# server 2 (channel 20). Chatto: two rooms.
SEED = {
    "users": [{"id": 1, "name": "Amir"}, {"id": 2, "name": "Sara"}, {"id": 3, "name": "Omar"}],
    "servers": [{"id": 1, "name": "Guild"}, {"id": 2, "name": "Other"}],
    "channels": [{"id": 10, "serverId": 1, "name": "general"}, {"id": 11, "serverId": 1, "name": "random"},
                 {"id": 20, "serverId": 2, "name": "secret"}],
    "memberships": [{"serverId": 1, "userId": 1}, {"serverId": 1, "userId": 2}, {"serverId": 2, "userId": 3}],
    "chatRooms": [{"id": CHATTO_ROOM, "name": "General"}, {"id": OTHER_ROOM, "name": "Other"}],
}

SESSIONS = {1: "session-of-amir", 2: "session-of-sara", 3: "session-of-omar"}


def cookie(user_id: int) -> str:
    return f"connect.sid={signed_cookie_value(SESSIONS[user_id])}"


def start_chat(cluster, name="chat", extra_env=None):
    proc = cluster.start("chat", name=name, extra_env=extra_env)
    proc.wait_for_log("ready: announcing", timeout=30)
    return proc


def seed(cluster, document=None):
    path = cluster.tmp / f"seed-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(SEED if document is None else document))
    result = cluster.switchboard("seed", str(path))
    return result


def start(cluster, *, notification=False, edge_config=None):
    """Bus, presence, (notification), chat seeded with SEED, and an edge; returns (edge, chat)."""
    cluster.start_bus()
    presence = cluster.start("presence")
    presence.wait_for_log("ready: announcing", timeout=30)
    if notification:
        cluster.start("notification").wait_for_log("ready: announcing", timeout=30)
    chat = start_chat(cluster)
    result = seed(cluster)
    assert result.returncode == 0 and "chat: ok" in result.stdout, result.stdout + result.stderr
    sessions = cluster.tmp / "sessions.sqlite"
    now = int(time.time() * 1000)
    sessions_of = {}
    for user_id, sid in SESSIONS.items():
        sess = session_json(user_id=user_id)
        sess["username"] = {1: "Amir", 2: "Sara", 3: "Omar"}[user_id]
        sessions_of[sid] = (now + 3_600_000, sess)
    make_sessions_db(sessions, sessions_of)
    config = edge_config or relaxed_config(jwtSecret=JWT_SECRET, namespaces={"/": {"auth": "optional"}})
    config["session"] = {"secret": SESSION_SECRET, "database": str(sessions), "cookie": "connect.sid"}
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    wait_for_route(edge, event="server:join")
    wait_for_route(edge, event="join room")
    return edge, chat


def zizany(edge, user_id: int) -> SioClient:
    """A Zizany client of user `user_id`: the session cookie on the handshake."""
    return SioClient().connect(edge, headers={"Cookie": cookie(user_id)}, transports=["websocket"])


def anonymous(edge) -> SioClient:
    return SioClient().connect(edge, transports=["websocket"])


def jwt_client(edge, user_id, name) -> SioClient:
    return SioClient().connect(edge, auth={"token": make_jwt({"id": user_id, "name": name})})


def settle(*clients, seconds=0.5):
    """Gives events that must NOT arrive a moment to show up."""
    time.sleep(seconds)
