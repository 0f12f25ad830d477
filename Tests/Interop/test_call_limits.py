"""The call service's limits through the real processes (bus, call, edge, python-socketio clients):
the call:cancel and call:end rate limits (20 a minute, seeds/002_64472f525679dc9f.txt), a call ended
by the user's balance running out (Services/Call/DECISIONS.md "Coins"), and the real default 30 s
ring timeout. Upper bounds on time are generous: the machine may be busy."""
import json
import time

from test_call import (FakeLiveKit, coins, close_all, errors, initiate, ring, start, stored_call, telecaller,
                       user, wait_error, wait_until)

TOO_MANY = "Too many call attempts. Please wait a moment."
LONG_RING_MS = 120_000  # long enough that no call in these tests is missed while they run


def test_the_21st_call_cancel_in_a_minute_is_refused_and_changes_nothing(cluster):
    edge, _ = start(cluster, ring_ms=LONG_RING_MS)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        for _ in range(20):
            u.sio.emit("call:cancel", {"callId": "no-such-call"}, namespace="/user")
        assert wait_error(u, 20) == ["Call not found."] * 20
        # The 21st is refused before the call is looked at: the ringing call stays RINGING.
        u.sio.emit("call:cancel", {"callId": call_id}, namespace="/user")
        assert wait_error(u, 21)[-1] == TOO_MANY
        time.sleep(1.0)
        assert t.received("call:cancelled", "/telecaller") == []
        assert stored_call(cluster, call_id)["status"] == "RINGING"
        # An invalid payload is not counted and keeps its own error.
        u.sio.emit("call:cancel", {}, namespace="/user")
        assert wait_error(u, 22)[-1] == "Invalid call request"
        # The telecaller is not limited by the user's cancels.
        t.sio.emit("call:reject", {"callId": call_id}, namespace="/telecaller")
        assert u.wait_event("call:rejected", "/user")[0][0] == {"callId": call_id}
    finally:
        close_all(u, t)


def test_the_21st_call_end_in_a_minute_is_refused_per_account_and_namespace(cluster):
    edge, _ = start(cluster, ring_ms=LONG_RING_MS)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        t.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        u.wait_event("call:accepted", "/user")
        for _ in range(20):
            u.sio.emit("call:end", {"callId": "no-such-call"}, namespace="/user")
        assert wait_error(u, 20) == ["Call not found."] * 20
        u.sio.emit("call:end", {"callId": call_id}, namespace="/user")
        assert wait_error(u, 21)[-1] == TOO_MANY
        time.sleep(1.0)
        assert t.received("call:ended", "/telecaller") == []
        assert stored_call(cluster, call_id)["status"] == "ACCEPTED"
        # The limit is per account and namespace: the telecaller can still end the call.
        t.sio.emit("call:end", {"callId": call_id}, namespace="/telecaller")
        assert u.wait_event("call:ended", "/user")[0][0] == {"callId": call_id}
        row = wait_until(lambda: (r := stored_call(cluster, call_id)) and r["status"] == "COMPLETED" and r)
        assert row["end_reason"] == "endedByTelecaller"
        assert errors(t, "/telecaller") == []
    finally:
        close_all(u, t)


def test_a_call_ends_for_both_sides_when_the_balance_runs_out(cluster):
    """u4 has 10 coins and Jane costs 10 a minute: the call may last one minute, then the call
    service ends it itself (COMPLETED, balanceExhausted), bills that minute and deletes the room."""
    livekit = FakeLiveKit()
    edge, _ = start(cluster, ring_ms=LONG_RING_MS, livekit_url=livekit.url)
    t, u = telecaller(edge, "t1"), user(edge, "u4")
    try:
        call_id = ring(u, t)
        accept_sent = time.monotonic()  # the service accepts after this, so the paid minute ends after +60 s
        t.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        u.wait_event("call:accepted", "/user")
        assert u.wait_event("call:ended", "/user", timeout=100)[0][0] == {"callId": call_id}
        assert t.wait_event("call:ended", "/telecaller", timeout=10)[0][0] == {"callId": call_id}
        assert time.monotonic() - accept_sent >= 59, "ended before the minute the balance pays for"
        row = wait_until(lambda: (r := stored_call(cluster, call_id)) and r["status"] == "COMPLETED" and r)
        assert row["end_reason"] == "balanceExhausted"
        assert row["ended_at"] - row["accepted_at"] == 60_000
        assert row["duration_seconds"] == 60 and row["coins"] == 10
        assert coins(cluster, "u4") == 0
        assert wait_until(lambda: livekit.requests)[0][2] == {"room": call_id}
        time.sleep(1.0)
        assert len(u.received("call:ended", "/user")) == 1 and len(t.received("call:ended", "/telecaller")) == 1
        # With nothing left, the next call is refused.
        initiate(u)
        assert wait_error(u, 1) == ["Your account is not available. Please contact support."]
    finally:
        close_all(u, t)
        livekit.close()


def test_a_balance_set_to_zero_during_a_call_ends_it_at_once_without_a_charge(cluster):
    edge, _ = start(cluster, ring_ms=LONG_RING_MS)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        call_id = ring(u, t)
        t.sio.emit("call:accept", {"callId": call_id}, namespace="/telecaller")
        u.wait_event("call:accepted", "/user")
        seed = cluster.tmp / "zero.json"
        seed.write_text(json.dumps({"users": [{"id": "u1", "name": "Ann", "profile": "avatar-1", "coins": 0}]}))
        assert "call: ok" in cluster.switchboard("seed", str(seed), check=True).stdout
        assert u.wait_event("call:ended", "/user", timeout=15)[0][0] == {"callId": call_id}
        assert t.wait_event("call:ended", "/telecaller", timeout=10)[0][0] == {"callId": call_id}
        row = wait_until(lambda: (r := stored_call(cluster, call_id)) and r["status"] == "COMPLETED" and r)
        assert row["end_reason"] == "balanceExhausted" and row["coins"] == 0
        assert row["ended_at"] == row["accepted_at"] and row["duration_seconds"] == 0
        assert coins(cluster, "u1") == 0
    finally:
        close_all(u, t)


def test_the_real_default_ring_timeout_misses_the_call_once_on_both_sides(cluster):
    cluster.env.pop("CALL_RING_TIMEOUT_MS", None)
    edge, _ = start(cluster, ring_ms=None)
    t, u = telecaller(edge, "t1"), user(edge, "u1")
    try:
        sent = time.monotonic()
        call_id = ring(u, t)
        assert u.wait_event("call:missed", "/user", timeout=45)[0][0] == {"callId": call_id}
        assert t.wait_event("call:missed", "/telecaller", timeout=10)[0][0] == {"callId": call_id}
        assert time.monotonic() - sent >= 29, "missed before the 30 s ring timeout"
        time.sleep(2.0)
        assert len(u.received("call:missed", "/user")) == 1 and len(t.received("call:missed", "/telecaller")) == 1
        row = stored_call(cluster, call_id)
        assert row["status"] == "MISSED" and row["end_reason"] == "ringTimeout"
        assert row["ring_deadline"] - row["initiated_at"] == 30_000 and row["ended_at"] == row["ring_deadline"]
    finally:
        close_all(u, t)
