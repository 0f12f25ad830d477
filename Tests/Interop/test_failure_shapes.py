"""Failure shapes (issue 14, part 3): when the service behind an event is away past the edge's
delivery bound, or names no event at all, the client gets the answer its contract gives for an
internal failure, in the contract's exact shape, as the service declared it in its hello
(docs/bus-protocol.md §9, `failures`). The services are killed (SIGKILL) mid-session; the edge
runs with a delivery bound of 2 s instead of 10 s so that the tests wait less, and keeps serving
everything else."""
import json
import re
import time

import requests

import chat_helpers
import test_call
from chat_helpers import anonymous, cookie, zizany
from edge_helpers import JWT_SECRET, TIMEOUT, relaxed_config, start_edge

# The delivery bound of these edges: a failure answer comes this long after the event.
BOUND_MS = 2000
DELIVERY = {"retryMilliseconds": 300, "maxAgeMilliseconds": BOUND_MS, "maxPending": 10000}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def chat_edge_config():
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={"/": {"auth": "optional"}})
    config["delivery"] = DELIVERY
    return config


def test_chat_and_presence_failures_answer_in_each_contracts_shape(cluster):
    edge, chat = chat_helpers.start(cluster, edge_config=chat_edge_config())
    presence = cluster.procs[1]
    assert presence.name == "presence"
    history = f"{edge.url}/api/channels/10/messages"
    with zizany(edge, 1) as amir, anonymous(edge) as home, anonymous(edge) as chatto:
        assert amir.call("server:join", {"serverId": 1}) == ({"ok": True, "serverId": 1},)
        assert amir.call("channel:join", {"channelId": 10}) == ({"ok": True, "channelId": 10},)
        assert chatto.call("join room", {"roomId": chat_helpers.CHATTO_ROOM, "user": "alice"})[0]["success"] is True
        # Chat's own REST refusal, while it is up: {code}.
        own = requests.get(history, timeout=20)
        assert (own.status_code, own.json()) == (401, {"code": "E_UNAUTHORIZED"})

        chat.kill9()

        # Zizany: message:create while chat is away gets the contract's error event shape, not silence.
        amir.sio.emit("message:create", {"channelId": 10, "content": "into the void"})
        assert amir.wait_event("error:internal", timeout=BOUND_MS / 1000 + TIMEOUT) == [({"code": "E_INTERNAL"},)]
        assert amir.call("message:create", {"channelId": 10, "content": "again"}) == ({"ok": False, "code": "E_INTERNAL"},)
        assert amir.received("message:new") == []
        # Zizany REST: one body shape, {code}, whether chat or the edge answers.
        bad_cookie = requests.get(history, headers={"Cookie": "connect.sid=s:forged.c2lnbmF0dXJl"}, timeout=20)
        assert (bad_cookie.status_code, bad_cookie.json()) == (401, {"code": "E_UNAUTHORIZED"})
        away = requests.get(history, headers={"Cookie": cookie(1)}, timeout=20)
        assert (away.status_code, away.json()) == (503, {"code": "SERVICE_UNAVAILABLE"})

        # Chatto: the global `error` event {event, error}; the ack {success: false, error}.
        chatto.sio.emit("chat message", {"roomId": chat_helpers.CHATTO_ROOM, "user": "alice", "text": "hi"})
        assert chatto.wait_event("error", timeout=BOUND_MS / 1000 + TIMEOUT) == [
            ({"event": "chat message", "error": "Internal server error"},)]

        # HomeAssistant: the error format {error, code, timestamp}.
        home.sio.emit("message", {"data": {"message": "hello", "from": "1", "roomID": "1:2"}})
        (error,), = home.wait_event("error", timeout=BOUND_MS / 1000 + TIMEOUT)
        assert set(error) == {"error", "code", "timestamp"}
        assert (error["error"], error["code"]) == ("Internal server error", "INTERNAL_ERROR")
        assert ISO.match(error["timestamp"]), error

        # The edge keeps serving the others: presence answers at once.
        assert home.call("user:getRoom", {"userId": 1}) == ({"roomId": None},)

        presence.kill9()

        # Audio rooms: user:getRoom's error acknowledgement.
        started = time.monotonic()
        assert home.call("user:getRoom", {"userId": 1}, timeout=BOUND_MS / 1000 + TIMEOUT) == (
            {"roomId": None, "error": "INTERNAL_ERROR"},)
        assert time.monotonic() - started >= BOUND_MS / 1000 * 0.9, "answered after the delivery bound"
        # HomeAssistant presence: the same error format.
        home.sio.emit("addOnlineUser", {"userID": "5", "userUsername": "eve"})
        errors = home.wait_event("error", count=2, timeout=BOUND_MS / 1000 + TIMEOUT)
        assert errors[1][0]["code"] == "INTERNAL_ERROR" and ISO.match(errors[1][0]["timestamp"])

        # Chat back: the edge delivers to it again.
        chat_helpers.start_chat(cluster, name="chat-2")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = amir.call("message:create", {"channelId": 10, "content": "back"}, timeout=BOUND_MS / 1000 + TIMEOUT)
            if answer[0].get("ok") or time.monotonic() > deadline:
                break
        assert answer[0]["ok"] is True and answer[0]["message"]["content"] == "back"


def test_call_failures_and_unknown_events_on_user(cluster):
    cluster.start_bus()
    call = test_call.start_call(cluster, test_call.call_env())
    seed = cluster.tmp / "seed.json"
    seed.write_text(json.dumps(test_call.SEED))
    cluster.switchboard("seed", str(seed), check=True)
    namespace = {"auth": "jwt", "decide": True, "connectionsPerMinute": 10}
    config = relaxed_config(jwtSecret=JWT_SECRET, namespaces={
        "/user": {**namespace, "role": "USER"}, "/telecaller": {**namespace, "role": "TELECALLER"}})
    config["delivery"] = DELIVERY
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    time.sleep(1.0)  # the edge hears call's hello (routes and failure shapes)
    u = test_call.user(edge, "u1")
    t = test_call.telecaller(edge, "t1")
    try:
        # An event nobody serves on /user: the contract's general `error {message}` at once.
        u.sio.emit("nope", {"x": 1}, namespace="/user")
        assert u.wait_event("error", "/user") == [({"message": "An error occurred"},)]
        assert u.call("nope", ns="/user") == ({"success": False, "error": "An error occurred"},)

        call.kill9()

        # call:initiate with call away: call:error {message}, the contract's failure answer.
        test_call.initiate(u)
        (error,), = u.wait_event("call:error", "/user", timeout=BOUND_MS / 1000 + TIMEOUT)
        assert error == {"message": "Something went wrong. Please try again."}
        assert u.received("call:ringing", "/user") == []
        t.sio.emit("telecaller:set-availability", {"available": False}, namespace="/telecaller")
        assert t.wait_event("call:error", "/telecaller", timeout=BOUND_MS / 1000 + TIMEOUT) == [
            ({"message": "Something went wrong. Please try again."},)]
    finally:
        test_call.close_all(u, t)
