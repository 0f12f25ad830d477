"""Namespace admission: JWT (the telecaller contract's connection errors, exact strings), the
per-IP connection rate limit, express-session cookies (connect-sqlite3 store), anonymous
namespaces, and unknown namespaces.

python-socketio raises socketio.exceptions.ConnectionError("One or more namespaces failed to
connect: /ns") when a namespace is refused; the server's message is the CONNECT_ERROR data that
the client hands to its `connect_error` handler, which connect_refusal() returns."""
import base64
import json
import time

import pytest

from conftest import json_lines
from edge_helpers import (JWT_SECRET, SESSION_SECRET, RawWS, SioClient, connect_refusal, make_jwt,
                          make_sessions_db, relaxed_config, session_json, signed_cookie_value,
                          start_edge, start_stack, unsigned_jwt, wait_for_route)

TOKEN_REQUIRED = "Authentication token required"
INVALID_TOKEN = "Invalid or expired token"
ACCESS_DENIED = "Access denied"
RATE_LIMITED = "Too many connection attempts. Please wait."
UNAUTHORIZED = "E_UNAUTHORIZED"

LIVE_SID = "live-7Yd1aBcD_eF-gH"
EXPIRED_SID = "old-2Xc9pQrS_tU-vW"
ANONYMOUS_SID = "anon-5Zq3kLmN_oP-qR"


def auth_config(sessions_db=None) -> dict:
    config = relaxed_config(jwtSecret=JWT_SECRET)
    config["namespaces"] = {
        "/": {"auth": "none"},
        "/user": {"auth": "jwt", "role": "USER"},
        "/any": {"auth": "jwt", "role": None},
        "/limited": {"auth": "jwt", "role": "USER", "connectionsPerMinute": 10},
        "/maybe": {"auth": "optional", "role": None},
        "/session": {"auth": "session"},
    }
    if sessions_db is not None:
        config["session"] = {"secret": SESSION_SECRET, "database": str(sessions_db), "cookie": "connect.sid"}
    return config


def start_auth_edge(cluster, tmp_path):
    db = tmp_path / "sessions.sqlite"
    now = int(time.time() * 1000)
    make_sessions_db(db, {
        LIVE_SID: (now + 3_600_000, session_json(user_id=7)),
        EXPIRED_SID: (now - 60_000, session_json(user_id=8)),
        ANONYMOUS_SID: (now + 3_600_000, session_json()),
    })
    env = {"EDGE_JWT_SECRET": JWT_SECRET, "EDGE_SESSION_SECRET": SESSION_SECRET}
    return start_stack(cluster, auth_config(db), extra_env=env)


def user_token(**claims):
    return make_jwt({"id": "42", "role": "USER", **claims})


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_valid_token_connects(cluster, tmp_path, transports):
    edge = start_auth_edge(cluster, tmp_path)
    with SioClient(namespaces=("/user",)) as client:
        client.connect(edge, namespaces=("/user",), transports=transports, auth={"token": user_token()})
        assert set(client.sio.namespaces) == {"/user"}
        # The namespace is live (no service handles /user: UNKNOWN_EVENT).
        assert client.call("anything", ns="/user") == ({"error": "UNKNOWN_EVENT"},)


@pytest.mark.parametrize("claim, value", [("id", "42"), ("userId", "42"), ("_id", "507f1f77bcf86cd799439011"),
                                          ("sub", "42"), ("userId", 42)],
                         ids=["id", "userId", "_id", "sub", "numeric-userId"])
def test_identity_claims_are_accepted(cluster, tmp_path, claim, value):
    edge = start_auth_edge(cluster, tmp_path)
    token = make_jwt({claim: value, "role": "USER"})
    with SioClient(namespaces=("/user",)) as client:
        client.connect(edge, namespaces=("/user",), transports=["websocket"], auth={"token": token})
        assert "/user" in client.sio.namespaces


def test_jwt_refusals_have_the_contract_messages(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    now = int(time.time())
    cases = [
        ("no auth payload", None, TOKEN_REQUIRED),
        ("empty auth payload", {}, TOKEN_REQUIRED),
        # An empty string is no token (the reference middleware tests `!token`).
        ("empty token", {"token": ""}, TOKEN_REQUIRED),
        ("garbage", {"token": "not-a-jwt"}, INVALID_TOKEN),
        ("three garbage parts", {"token": "aaa.bbb.ccc"}, INVALID_TOKEN),
        ("wrong secret", {"token": make_jwt({"id": "42", "role": "USER"}, secret="another-secret-that-is-32-bytes-long!!")}, INVALID_TOKEN),
        ("alg none", {"token": unsigned_jwt({"id": "42", "role": "USER"})}, INVALID_TOKEN),
        ("expired", {"token": make_jwt({"id": "42", "role": "USER", "iat": now - 7200}, expires_in=-3600)}, INVALID_TOKEN),
        ("tampered payload", {"token": tamper(user_token())}, INVALID_TOKEN),
        ("role mismatch", {"token": user_token(role="TELECALLER")}, ACCESS_DENIED),
    ]
    failures = []
    for name, auth, message in cases:
        try:
            data = connect_refusal(edge, "/user", auth=auth, transports=["websocket"])
            if data != {"message": message}:
                failures.append(f"{name}: CONNECT_ERROR data {data!r}, expected {{'message': {message!r}}}")
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n".join(failures)


def tamper(token: str) -> str:
    """The same signature over a payload with another role."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_connect_error_packets_on_the_wire(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    ws = RawWS(edge)
    try:
        assert ws.connect_ns("/user") == '44/user,{"message":"Authentication token required"}'
        assert ws.connect_ns("/user", {"token": "garbage"}) == '44/user,{"message":"Invalid or expired token"}'
        assert ws.connect_ns("/user", {"token": user_token(role="TELECALLER")}) == '44/user,{"message":"Access denied"}'
        # A refused namespace leaves the connection open (socket.io only sends CONNECT_ERROR).
        assert ws.connect_ns("/").startswith("40{")
        assert ws.connect_ns("/user", {"token": user_token()}).startswith("40/user,{")
        assert not ws.closed.is_set()
    finally:
        ws.close()


def test_role_null_accepts_any_role(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    with SioClient(namespaces=("/any",)) as client:
        client.connect(edge, namespaces=("/any",), auth={"token": make_jwt({"id": "9", "role": "TELECALLER"})})
        assert "/any" in client.sio.namespaces
    assert connect_refusal(edge, "/any") == {"message": TOKEN_REQUIRED}


def test_optional_auth_admits_anonymous_and_token_holders(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    with SioClient(namespaces=("/maybe",)) as anonymous:
        anonymous.connect(edge, namespaces=("/maybe",))
        assert "/maybe" in anonymous.sio.namespaces
    with SioClient(namespaces=("/maybe",)) as known:
        known.connect(edge, namespaces=("/maybe",), auth={"token": user_token()})
        assert "/maybe" in known.sio.namespaces


def test_connection_rate_limit_per_ip_and_namespace(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    token = user_token()
    for attempt in range(10):
        with SioClient(namespaces=("/limited",)) as client:
            client.connect(edge, namespaces=("/limited",), transports=["websocket"], auth={"token": token})
            assert "/limited" in client.sio.namespaces, f"attempt {attempt + 1} refused"
    assert connect_refusal(edge, "/limited", auth={"token": token}, transports=["websocket"]) == {"message": RATE_LIMITED}
    # The limit is per namespace: the same IP still gets into /user.
    with SioClient(namespaces=("/user",)) as client:
        client.connect(edge, namespaces=("/user",), transports=["websocket"], auth={"token": token})
        assert "/user" in client.sio.namespaces


def test_session_cookie_admission(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    live = f"connect.sid={signed_cookie_value(LIVE_SID)}"
    for transports in (["websocket"], ["polling"], None):
        with SioClient(namespaces=("/session",)) as client:
            client.connect(edge, namespaces=("/session",), transports=transports, headers={"Cookie": live})
            assert "/session" in client.sio.namespaces, transports
    with SioClient(namespaces=("/session",)) as client:
        client.connect(edge, namespaces=("/session",), transports=["websocket"],
                       headers={"Cookie": f"theme=dark; {live}; lang=en"})
        assert "/session" in client.sio.namespaces

    refusals = [
        ("no cookie", None),
        ("expired session", f"connect.sid={signed_cookie_value(EXPIRED_SID)}"),
        ("unknown sid", f"connect.sid={signed_cookie_value('no-such-session-id')}"),
        ("wrong secret", f"connect.sid={signed_cookie_value(LIVE_SID, secret='not-the-session-secret-at-all-123')}"),
        ("unsigned cookie", f"connect.sid={LIVE_SID}"),
        ("session without user_id", f"connect.sid={signed_cookie_value(ANONYMOUS_SID)}"),
        ("other cookie name", f"sid={signed_cookie_value(LIVE_SID)}"),
    ]
    failures = []
    for name, cookie in refusals:
        headers = {"Cookie": cookie} if cookie else None
        try:
            data = connect_refusal(edge, "/session", headers=headers, transports=["websocket"])
            if data != {"message": UNAUTHORIZED}:
                failures.append(f"{name}: CONNECT_ERROR data {data!r}")
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n".join(failures)


def test_unknown_namespace_is_refused(cluster, tmp_path):
    edge = start_auth_edge(cluster, tmp_path)
    assert connect_refusal(edge, "/nope") == {"message": "Invalid namespace"}
    assert connect_refusal(edge, "/user/extra", auth={"token": user_token()}) == {"message": "Invalid namespace"}


def test_identity_from_the_token_reaches_the_service(cluster):
    """The event header's `user` (bus protocol section 6) holds the identity from the claims
    id | userId | _id | sub, as a string, and the role claim."""
    config = relaxed_config(jwtSecret=JWT_SECRET)
    config["namespaces"] = {"/": {"auth": "jwt", "role": "USER"}}
    cluster.start_bus()
    cluster.start_service("echo-service")
    edge = start_edge(cluster, config, extra_env={"EDGE_JWT_SECRET": JWT_SECRET})
    wait_for_route(edge, auth={"token": user_token()})
    trace = cluster.switchboard_background("trace", "--json", "--duration", "10", "--event", "echo",
                                           name="trace-identity")
    time.sleep(1.5)  # the trace's subscription reaches the bus
    variants = {"by-id": ("id", "u1", "u1"), "by-userId": ("userId", "u2", "u2"), "by-_id": ("_id", "u3", "u3"),
                "by-sub": ("sub", "u4", "u4"), "by-number": ("userId", 77, "77")}
    for label, (claim, value, _) in variants.items():
        with SioClient() as client:
            client.connect(edge, transports=["websocket"], auth={"token": make_jwt({claim: value, "role": "USER"})})
            assert client.call("echo", label) == (label,)
    trace.popen.wait(timeout=40)
    users = {}
    for line in json_lines(trace.output()):
        if line.get("type") == "event" and line.get("body") and line["body"][0] in variants:
            users[line["body"][0]] = line["header"].get("user")
    for label, (_, _, expected) in variants.items():
        assert users.get(label) is not None, f"{label}: no user in the event header ({trace.output()})"
        assert users[label]["id"] == expected, (label, users[label])
        assert users[label].get("role") == "USER", (label, users[label])
