"""The call service through the real processes: bus, call, edge (namespaces /user and /telecaller,
JWT, decided by the call service) and python-socketio clients. Contract: the telecaller app
(seeds/002_64472f525679dc9f.txt; the telecaller side from its flow diagrams)."""
import http.server
import json
import sqlite3
import threading
import time

import jwt

from edge_helpers import JWT_SECRET, SioClient, connect_refusal, make_jwt, relaxed_config, start_edge

LIVEKIT_KEY = "interop-livekit-key"
LIVEKIT_SECRET = "interop-livekit-secret-0123456789abcdef-xyz"
RING_MS = 1500

SEED = {
    "users": [
        {"id": "u1", "name": "Ann", "profile": "avatar-1", "status": "ACTIVE", "coins": 1000},
        {"id": "u2", "name": "Ben", "profile": None, "status": "ACTIVE", "coins": 1000},
        {"id": "u3", "name": "Cy", "status": "BLOCKED", "coins": 1000},
        {"id": "u4", "name": "Dee", "status": "ACTIVE", "coins": 10},
    ],
    "telecallers": [
        {"id": "t1", "name": "Jane", "profile": "avatar-3", "language": "hindi", "about": "Five years.",
         "approved": True, "ratePerMinute": 10},
        {"id": "t2", "name": "Tom", "profile": None, "language": "tamil", "about": "New.", "approved": True,
         "ratePerMinute": 10},
        {"id": "t3", "name": "Una", "language": "urdu", "about": "Pending.", "approved": False, "ratePerMinute": 10},
    ],
}


class FakeLiveKit:
    """Records RoomService requests (path, Authorization header, JSON body) and answers {}."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append((self.path, self.headers.get("Authorization"), json.loads(body or b"{}")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def call_env(ring_ms=RING_MS, livekit_url=None):
    """The call service's environment; `ring_ms=None` keeps the real default ring timeout (30 s)."""
    env = {"LIVEKIT_API_KEY": LIVEKIT_KEY, "LIVEKIT_API_SECRET": LIVEKIT_SECRET, "HELLO_INTERVAL_MS": "300"}
    if ring_ms is not None:
        env["CALL_RING_TIMEOUT_MS"] = str(ring_ms)
    if livekit_url:
        env["LIVEKIT_URL"] = livekit_url
    return env


def start_call(cluster, env):
    proc = cluster.start("call", extra_env=env)
    proc.wait_for_log("ready: announcing", timeout=30)
    return proc


def start(cluster, ring_ms=RING_MS, livekit_url=None):
    """Bus, call (seeded with `switchboard seed`), edge; returns (edge, call process)."""
    cluster.start_bus()
    call = start_call(cluster, call_env(ring_ms, livekit_url))
    seed = cluster.tmp / "seed.json"
    seed.write_text(json.dumps(SEED))
    result = cluster.switchboard("seed", str(seed), check=True)
    assert "call: ok" in result.stdout, result.stdout
    namespace = {"auth": "jwt", "decide": True, "connectionsPerMinute": 10}
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={
        "/user": {**namespace, "role": "USER"}, "/telecaller": {**namespace, "role": "TELECALLER"}})
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    time.sleep(1.0)  # the edge hears the call service's hello (every 300 ms here) and learns its routes
    return edge, call


def token(uid, role):
    return make_jwt({"id": uid, "role": role, "name": f"{role.lower()} {uid}"})


def user(edge, uid):
    c = SioClient(namespaces=("/user",))
    return c.connect(edge, namespaces=("/user",), auth={"token": token(uid, "USER")})


def telecaller(edge, tid):
    c = SioClient(namespaces=("/telecaller",))
    return c.connect(edge, namespaces=("/telecaller",), auth={"token": token(tid, "TELECALLER")})


def initiate(u, telecaller_id="t1", call_type="AUDIO"):
    u.sio.emit("call:initiate", {"telecallerId": telecaller_id, "callType": call_type}, namespace="/user")


def ring(u, t, telecaller_id="t1", call_type="AUDIO"):
    """call:initiate from `u` to `t`; returns the call id once both sides heard of it."""
    before_incoming = len(t.received("call:incoming", "/telecaller"))
    before_ringing = len(u.received("call:ringing", "/user"))
    initiate(u, telecaller_id, call_type)
    incoming = t.wait_event("call:incoming", "/telecaller", count=before_incoming + 1)[-1][0]
    ringing = u.wait_event("call:ringing", "/user", count=before_ringing + 1)[-1][0]
    assert incoming["callId"] == ringing["callId"]
    return incoming["callId"]


def errors(client, ns="/user"):
    return [args[0]["message"] for args in client.received("call:error", ns)]


def wait_error(client, count, ns="/user"):
    client.wait_event("call:error", ns, count=count)
    return errors(client, ns)


def stored_call(cluster, call_id):
    with sqlite3.connect(cluster.data / "call.sqlite") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        return dict(row) if row else None


def coins(cluster, uid):
    with sqlite3.connect(cluster.data / "call.sqlite") as db:
        return db.execute("SELECT coins FROM users WHERE id = ?", (uid,)).fetchone()[0]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def close_all(*clients):
    for c in clients:
        c.close()


# ---------------------------------------------------------------------------------------------


def test_a_successful_call_gives_both_sides_livekit_tokens_and_ends_with_a_deleted_room(cluster):
    livekit = FakeLiveKit()
    edge, _ = start(cluster, livekit_url=livekit.url)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        initiate(u, "t1", "VIDEO")
        incoming = t.wait_event("call:incoming", "/telecaller")[0][0]
        call_id = incoming["callId"]
        assert incoming == {"callId": call_id, "callType": "VIDEO",
                            "caller": {"_id": "u1", "name": "Ann", "profile": "avatar-1"}}
        assert u.wait_event("call:ringing", "/user")[0][0] == {
            "callId": call_id, "telecaller": {"_id": "t1", "name": "Jane", "profile": "avatar-3"}}
        assert stored_call(cluster, call_id)["status"] == "RINGING"

        t.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        user_side = u.wait_event("call:accepted", "/user")[0][0]
        tele_side = t.wait_event("call:accepted", "/telecaller")[0][0]
        assert set(user_side) == {"callId", "livekit"} and user_side["callId"] == call_id
        assert tele_side["callType"] == "VIDEO" and tele_side["caller"]["_id"] == "u1"
        for side, identity in ((user_side, "user:u1"), (tele_side, "telecaller:t1")):
            livekit_info = side["livekit"]
            assert livekit_info["url"] == livekit.url and livekit_info["roomName"] == call_id
            claims = jwt.decode(livekit_info["token"], LIVEKIT_SECRET, algorithms=["HS256"])
            assert claims["iss"] == LIVEKIT_KEY and claims["sub"] == identity
            assert claims["video"] == {"room": call_id, "roomJoin": True}
            assert claims["nbf"] <= time.time() < claims["exp"]
        assert user_side["livekit"]["token"] != tele_side["livekit"]["token"]
        assert stored_call(cluster, call_id)["status"] == "ACCEPTED"

        u.sio.emit("call:end", {"callId": call_id}, namespace="/user")
        assert t.wait_event("call:ended", "/telecaller")[0][0] == {"callId": call_id}
        row = wait_until(lambda: (r := stored_call(cluster, call_id)) and r["status"] == "COMPLETED" and r)
        assert row["end_reason"] == "endedByUser" and row["duration_seconds"] >= 0
        path, authorization, body = wait_until(lambda: livekit.requests)[0]
        assert path == "/twirp/livekit.RoomService/DeleteRoom" and body == {"room": call_id}
        admin = jwt.decode(authorization.removeprefix("Bearer "), LIVEKIT_SECRET, algorithms=["HS256"])
        assert admin["iss"] == LIVEKIT_KEY and admin["video"]["roomAdmin"] is True and admin["video"]["room"] == call_id
        assert u.received("call:ended", "/user") == [], "the side that ended gets no call:ended"
    finally:
        close_all(u, t)
        livekit.close()


def test_rejected_and_cancelled_calls(cluster):
    edge, _ = start(cluster)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        t.sio.emit("call:reject", {"callId": call_id}, namespace="/telecaller")
        assert u.wait_event("call:rejected", "/user")[0][0] == {"callId": call_id}
        assert wait_until(lambda: stored_call(cluster, call_id)["status"] == "REJECTED")

        second = ring(u, t)
        u.sio.emit("call:cancel", {"callId": second}, namespace="/user")
        assert t.wait_event("call:cancelled", "/telecaller")[0][0] == {"callId": second}
        assert wait_until(lambda: stored_call(cluster, second)["status"] == "CANCELLED")
        # A cancelled call can no longer be accepted.
        t.sio.emit("call:accept", {"callId": second}, namespace="/telecaller")
        assert wait_error(t, 1, "/telecaller") == ["This call is no longer ringing."]
    finally:
        close_all(u, t)


def test_an_unanswered_call_is_missed_once_on_both_sides(cluster):
    edge, _ = start(cluster)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        assert u.wait_event("call:missed", "/user", timeout=RING_MS / 1000 + 5)[0][0] == {"callId": call_id}
        assert t.wait_event("call:missed", "/telecaller")[0][0] == {"callId": call_id}
        time.sleep(1.5)
        assert len(u.received("call:missed", "/user")) == 1 and len(t.received("call:missed", "/telecaller")) == 1
        row = stored_call(cluster, call_id)
        assert row["status"] == "MISSED" and row["end_reason"] == "ringTimeout"
        assert row["ended_at"] == row["ring_deadline"] == row["initiated_at"] + RING_MS
        # The telecaller is free again.
        assert ring(u, t) != call_id
    finally:
        close_all(u, t)


def test_ending_a_call_bills_the_user(cluster):
    edge, _ = start(cluster)
    t, u = telecaller(edge, "t1"), user(edge, "u4")  # u4 has 10 coins, Jane costs 10 a minute
    try:
        call_id = ring(u, t)
        t.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        u.wait_event("call:accepted", "/user")
        time.sleep(1.2)
        t.sio.emit("call:end", {"callId": call_id}, namespace="/telecaller")
        assert u.wait_event("call:ended", "/user")[0][0] == {"callId": call_id}
        row = wait_until(lambda: (r := stored_call(cluster, call_id)) and r["status"] == "COMPLETED" and r)
        assert row["duration_seconds"] >= 1 and row["coins"] == 10 and row["end_reason"] == "endedByTelecaller"
        assert coins(cluster, "u4") == 0
        initiate(u)
        assert wait_error(u, 1) == ["Your account is not available. Please contact support."]
    finally:
        close_all(u, t)


def test_disconnects_end_calls(cluster):
    edge, _ = start(cluster)
    t = telecaller(edge, "t1")
    u1, u2 = user(edge, "u1"), user(edge, "u2")
    try:
        # The caller goes while it rings: MISSED, the telecaller is told.
        ringing = ring(u1, t)
        u1.close()
        assert t.wait_event("call:missed", "/telecaller")[0][0] == {"callId": ringing}
        assert wait_until(lambda: stored_call(cluster, ringing)["end_reason"] == "userDisconnected")

        # The caller goes during the call: COMPLETED, the telecaller gets call:ended.
        accepted = ring(u2, t)
        t.sio.emit("call:accept", {"callId": accepted}, namespace="/telecaller")
        u2.wait_event("call:accepted", "/user")
        u2.close()
        assert t.wait_event("call:ended", "/telecaller")[0][0] == {"callId": accepted}
        row = wait_until(lambda: (r := stored_call(cluster, accepted)) and r["status"] == "COMPLETED" and r)
        assert row["end_reason"] == "userDisconnected"

        # The telecaller goes during the call: the user gets call:ended.
        u3 = user(edge, "u1")
        try:
            third = ring(u3, t)
            t.sio.emit("call:accept", {"callId": third}, namespace="/telecaller")
            u3.wait_event("call:accepted", "/user")
            t.close()
            assert u3.wait_event("call:ended", "/user")[0][0] == {"callId": third}
            assert wait_until(lambda: stored_call(cluster, third)["end_reason"] == "telecallerDisconnected")
        finally:
            u3.close()
    finally:
        close_all(u1, u2, t)


def test_connection_decisions(cluster):
    edge, _ = start(cluster)
    assert connect_refusal(edge, "/user", auth={"token": token("u3", "USER")}) == {
        "message": "Account suspended. Please contact support."}
    assert connect_refusal(edge, "/user", auth={"token": token("t1", "TELECALLER")}) == {"message": "Access denied"}
    assert connect_refusal(edge, "/telecaller", auth={"token": token("nobody", "TELECALLER")}) == {
        "message": "Invalid or expired token"}
    assert connect_refusal(edge, "/user", auth={}) == {"message": "Authentication token required"}
    user(edge, "u1").close()


def test_initiate_errors(cluster):
    edge, _ = start(cluster)
    t1 = telecaller(edge, "t1")
    u1, u2 = user(edge, "u1"), user(edge, "u2")
    t2 = None
    try:
        u1.sio.emit("call:initiate", {"telecallerId": "t1"}, namespace="/user")
        assert wait_error(u1, 1) == ["Invalid call request"]
        initiate(u1, "t1", "FAX")
        initiate(u1, "t9")
        initiate(u1, "t3")
        initiate(u1, "t2")
        assert wait_error(u1, 5)[1:] == [
            "Invalid call type", "This person is no longer available for calls.",
            "This person is no longer available for calls.", "Tom is currently unavailable. Please try again later."]

        t2 = telecaller(edge, "t2")
        u2.wait_event("telecaller:presence-changed", "/user", count=1)  # t2 ONLINE (t1 came before u2)
        t2.sio.emit("telecaller:set-availability", {"available": False}, namespace="/telecaller")
        wait_until(lambda: any(a[0] == {"telecallerId": "t2", "presence": "OFFLINE", "telecaller": None}
                               for a in u2.received("telecaller:presence-changed", "/user")))
        initiate(u2, "t2")
        assert wait_error(u2, 1) == ["Tom is currently offline. Please try again later."]
        t2.sio.emit("telecaller:set-availability", {"available": True}, namespace="/telecaller")
        u2.wait_event("telecaller:presence-changed", "/user", count=3)  # t2 ONLINE again

        ring(u1, t1)
        initiate(u1, "t2")
        assert wait_error(u1, 6)[-1] == "You already have an active call."
        initiate(u2, "t1")
        assert wait_error(u2, 2)[-1] == "Jane is busy on another call. Please try again later."
    finally:
        close_all(u1, u2, t1, *([t2] if t2 else []))


def test_the_sixth_initiate_in_a_minute_is_refused(cluster):
    edge, _ = start(cluster)
    u = user(edge, "u1")
    try:
        for _ in range(6):
            initiate(u, "t2")
        assert wait_error(u, 6) == ["Tom is currently unavailable. Please try again later."] * 5 + [
            "Too many call attempts. Please wait a moment."]
    finally:
        u.close()


def test_a_third_party_cannot_act_on_a_call(cluster):
    edge, _ = start(cluster)
    t1, t2 = telecaller(edge, "t1"), telecaller(edge, "t2")
    u1, u2 = user(edge, "u1"), user(edge, "u2")
    try:
        call_id = ring(u1, t1)
        u2.sio.emit("call:cancel", {"callId": call_id}, namespace="/user")
        assert wait_error(u2, 1) == ["Call not found."]
        t2.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        assert wait_error(t2, 1, "/telecaller") == ["Call not found."]
        u2.sio.emit("call:end", {"callId": call_id}, namespace="/user")
        assert wait_error(u2, 2) == ["Call not found."] * 2
        # The call is untouched: its telecaller can still accept it.
        t1.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        u1.wait_event("call:accepted", "/user")
        assert errors(u1) == [] and errors(t1, "/telecaller") == []
    finally:
        close_all(u1, u2, t1, t2)


def test_users_see_telecallers_come_and_go(cluster):
    edge, _ = start(cluster)
    u = user(edge, "u1")
    try:
        t = telecaller(edge, "t1")
        online = u.wait_event("telecaller:presence-changed", "/user")[0][0]
        assert online == {"telecallerId": "t1", "presence": "ONLINE", "telecaller": {
            "_id": "t1", "name": "Jane", "profile": "avatar-3", "language": "hindi", "about": "Five years."}}
        t.close()
        offline = u.wait_event("telecaller:presence-changed", "/user", count=2)[1][0]
        assert offline == {"telecallerId": "t1", "presence": "OFFLINE", "telecaller": None}
        # An unapproved telecaller is never announced.
        t3 = telecaller(edge, "t3")
        time.sleep(1.0)
        t3.close()
        assert len(u.received("telecaller:presence-changed", "/user")) == 2
    finally:
        u.close()


def test_a_killed_call_service_still_misses_the_call_once_after_restart(cluster):
    ring_ms = 6000
    edge, call = start(cluster, ring_ms=ring_ms)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        started = time.monotonic()
        assert stored_call(cluster, call_id)["status"] == "RINGING"
        call.kill9()
        start_call(cluster, call_env(ring_ms))
        assert time.monotonic() - started < ring_ms / 1000, "the restart took longer than the ring timeout"
        assert u.wait_event("call:missed", "/user", timeout=ring_ms / 1000 + 5)[0][0] == {"callId": call_id}
        t.wait_event("call:missed", "/telecaller")
        time.sleep(2.0)
        assert len(u.received("call:missed", "/user")) == 1 and len(t.received("call:missed", "/telecaller")) == 1
        row = stored_call(cluster, call_id)
        # Missed by its deadline, not because the restarted service thought the sockets were gone.
        assert row["status"] == "MISSED" and row["end_reason"] == "ringTimeout"
        assert row["ended_at"] == row["ring_deadline"]
    finally:
        close_all(u, t)
