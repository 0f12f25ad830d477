"""Services' HTTP routes through the real bus, edge and echo service: the echo service announces
`GET /api/echo/:word`, `GET /api/echo/special`, `POST /api/rooms/:room/say`, `GET /api/teapot` and
`GET /api/broken` (Tests/EchoService); plain HTTP clients (`requests`, raw sockets) call them."""
import time

import requests

from edge_helpers import (JWT_SECRET, SESSION_SECRET, TIMEOUT, SioClient, make_jwt, make_sessions_db,
                          raw_http, relaxed_config, session_json, signed_cookie_value, start_edge, start_stack,
                          wait_for_route)

LIVE_SID = "live-7Yd1aBcD_eF-gH"
EXPIRED_SID = "old-2Xc9pQrS_tU-vW"


def http_config(tmp_path, **changes) -> dict:
    db = tmp_path / "sessions.sqlite"
    now = int(time.time() * 1000)
    make_sessions_db(db, {LIVE_SID: (now + 3_600_000, session_json(user_id=7)),
                          EXPIRED_SID: (now - 60_000, session_json(user_id=8))})
    config = relaxed_config(jwtSecret=JWT_SECRET, maxPayload=10_000, **changes)
    config["session"] = {"secret": SESSION_SECRET, "database": str(db), "cookie": "connect.sid"}
    config["cors"] = {"origins": ["*", "http://app.example"], "credentials": True}
    return config


def start_http(cluster, tmp_path, **changes):
    edge = start_stack(cluster, http_config(tmp_path, **changes),
                       extra_env={"EDGE_JWT_SECRET": JWT_SECRET, "EDGE_SESSION_SECRET": SESSION_SECRET})
    wait_for_http(edge)
    return edge


def wait_for_http(edge, path="/api/echo/probe"):
    """The hello that announced `echo` announced the HTTP routes too; wait anyway, boundedly."""
    deadline = time.monotonic() + TIMEOUT
    while requests.get(edge.url + path, timeout=TIMEOUT).status_code == 404:
        assert time.monotonic() < deadline, f"the edge never routed GET {path}"
        time.sleep(0.2)


def test_a_route_answers_with_its_params_and_query(cluster, tmp_path):
    edge = start_http(cluster, tmp_path)
    response = requests.get(edge.url + "/api/echo/hello%20world?limit=5&before=a%2Bb&limit=7&q=x+y&flag",
                            timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"word": "hello world", "query": {"limit": "7", "before": "a+b", "q": "x y", "flag": ""},
                               "user": None, "auth": "none"}
    # A literal segment beats `:word`.
    assert requests.get(edge.url + "/api/echo/special", timeout=TIMEOUT).json() == {"special": True}
    teapot = requests.get(edge.url + "/api/teapot", timeout=TIMEOUT)
    assert (teapot.status_code, teapot.json()) == (418, {"error": "TEAPOT"})
    metrics = requests.get(edge.url + "/metrics", timeout=TIMEOUT).text
    assert 'switchboard_edge_http_requests_total{route="GET /api/echo/:word",status="200"}' in metrics
    assert 'switchboard_edge_http_requests_total{route="GET /api/teapot",status="418"} 1' in metrics


def test_the_identity_comes_from_the_cookie_else_the_bearer(cluster, tmp_path):
    edge = start_http(cluster, tmp_path)
    url = edge.url + "/api/echo/me"
    live = f"theme=dark; connect.sid={signed_cookie_value(LIVE_SID)}"
    by_cookie = requests.get(url, headers={"Cookie": live}, timeout=TIMEOUT)
    assert by_cookie.json()["user"] == {"id": "7", "name": None}
    assert by_cookie.json()["auth"] == "session"
    token = make_jwt({"id": "42", "role": "USER", "name": "Ada"})
    by_token = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert by_token.json()["user"] == {"id": "42", "name": "Ada"}
    assert by_token.json()["auth"] == "jwt"
    assert requests.get(url, headers={"Cookie": "theme=dark"}, timeout=TIMEOUT).json()["user"] is None
    before = published(edge, "GET /api/echo/:word")
    refused = {
        "expired session": {"Cookie": f"connect.sid={signed_cookie_value(EXPIRED_SID)}"},
        "wrong secret": {"Cookie": f"connect.sid={signed_cookie_value(LIVE_SID, secret='x' * 40)}"},
        "unsigned cookie": {"Cookie": f"connect.sid={LIVE_SID}"},
        "bad token": {"Authorization": "Bearer nope"},
        "other scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        "bad cookie, good token": {"Cookie": f"connect.sid={LIVE_SID}", "Authorization": f"Bearer {token}"},
    }
    for name, headers in refused.items():
        response = requests.get(url, headers=headers, timeout=TIMEOUT)
        assert (response.status_code, response.json()) == (401, {"error": "E_UNAUTHORIZED"}), name
    # Refused at the edge: nothing more was published for the route.
    assert published(edge, "GET /api/echo/:word") == before


def published(edge, route) -> float:
    """The edge's count of events published for `route` (switchboard_edge_events_in_total)."""
    for line in requests.get(edge.url + "/metrics", timeout=TIMEOUT).text.splitlines():
        if line.startswith(f'switchboard_edge_events_in_total{{event="{route}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_reply_can_emit_and_set_headers_and_status(cluster, tmp_path):
    edge = start_http(cluster, tmp_path)
    with SioClient() as client:
        client.connect(edge, transports=["websocket"])
        assert client.call("join", {"room": "lobby"}) == ({"joined": "lobby"},)
        response = requests.post(edge.url + "/api/rooms/lobby/say", json={"text": "hi"},
                                 headers={"Origin": "http://app.example"}, timeout=TIMEOUT)
        assert response.status_code == 201
        assert response.json() == {"said": {"text": "hi"}}
        assert response.headers["X-Echo"] == "said"
        assert response.headers["Access-Control-Allow-Origin"] == "http://app.example"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert client.wait_event("said") == [({"text": "hi"},)]
    preflight = requests.options(edge.url + "/api/rooms/lobby/say", timeout=TIMEOUT,
                                 headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"


def test_refusals_at_the_edge_and_bad_replies(cluster, tmp_path):
    edge = start_http(cluster, tmp_path)
    cases = [
        ("GET", "/api/nowhere", None, 404, "NOT_FOUND"),
        ("DELETE", "/api/echo/x", None, 404, "NOT_FOUND"),
        ("GET", "/api/echo/x/", None, 404, "NOT_FOUND"),
        ("GET", "/api/echo/x?q=%E0%A4", None, 400, "BAD_REQUEST"),
        ("POST", "/api/rooms/lobby/say", b"{not json", 400, "BAD_REQUEST"),
        ("POST", "/api/rooms/lobby/say", b"[" + b"1," * 6000 + b"1]", 413, "PAYLOAD_TOO_LARGE"),
        ("GET", "/api/broken", None, 500, "INTERNAL_ERROR"),
    ]
    for method, path, body, status, code in cases:
        headers = {"Content-Type": "application/json"} if body else {}
        response = requests.request(method, edge.url + path, data=body, headers=headers, timeout=TIMEOUT)
        assert (response.status_code, response.json()) == (status, {"error": code}), (method, path)
    # A body a browser may send cross-site without a preflight is not taken for JSON.
    plain = requests.post(edge.url + "/api/rooms/lobby/say", data=b'{"text":"x"}', timeout=TIMEOUT,
                          headers={"Content-Type": "text/plain", "Cookie": "connect.sid=x"})
    assert (plain.status_code, plain.json()) == (415, {"error": "UNSUPPORTED_MEDIA_TYPE"})
    # An origin allowed only by "*" may read a route's answer, but never with credentials.
    other = requests.get(edge.url + "/api/echo/x", headers={"Origin": "http://evil.example"}, timeout=TIMEOUT)
    assert other.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in other.headers
    # `requests` would re-quote a broken escape (`%zz` → `%25zz`); a raw request keeps it.
    status, headers, body = raw_http(edge.port, "GET /api/echo/%zz HTTP/1.1\r\nHost: x")
    assert (status, headers["content-type"], body) == (400, "application/json", b'{"error":"BAD_REQUEST"}')


def test_bad_requests_never_crash_the_edge(cluster, tmp_path):
    edge = start_http(cluster, tmp_path)
    heads = [
        "GET /api/echo/%00 HTTP/1.1\r\nHost: x",
        "GET /api/echo/\xff\xfe HTTP/1.1\r\nHost: x",
        "GET /api/echo/a?%%%=%%% HTTP/1.1\r\nHost: x",
        "GET //api//echo// HTTP/1.1\r\nHost: x",
        "GET * HTTP/1.1\r\nHost: x",
        "BREW /api/teapot HTTP/1.1\r\nHost: x",
        "GET /api/echo/x HTTP/1.1\r\nHost: x\r\nCookie: connect.sid=%zz",
        "GET /api/echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer",
        "POST /api/rooms/r/say HTTP/1.1\r\nHost: x\r\nContent-Length: 3",
        "POST /api/rooms/r/say HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999",
        "POST /api/rooms/r/say HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz",
        "GET /api/echo/x?" + "a=1&" * 2000 + " HTTP/1.1\r\nHost: x",
    ]
    for head in heads:
        status, _, _ = raw_http(edge.port, head, b"\x00\x01", timeout=3)
        assert status is None or 400 <= status < 600 or status == 200, head
    assert edge.proc.popen.poll() is None, edge.proc.output()
    assert requests.get(edge.url + "/health", timeout=TIMEOUT).json()["status"] == "ok"
    assert requests.get(edge.url + "/api/echo/still", timeout=TIMEOUT).json()["word"] == "still"


def test_a_stopped_service_is_503_after_the_bound_and_back_after_a_restart(cluster, tmp_path):
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    edge = start_edge(cluster, http_config(tmp_path, delivery={"retryMilliseconds": 300, "maxAgeMilliseconds": 1500}),
                      extra_env={"EDGE_JWT_SECRET": JWT_SECRET, "EDGE_SESSION_SECRET": SESSION_SECRET})
    wait_for_route(edge)
    wait_for_http(edge)
    echo.stop()
    response = requests.get(edge.url + "/api/echo/void", timeout=TIMEOUT + 5)
    assert (response.status_code, response.json()) == (503, {"error": "SERVICE_UNAVAILABLE"})
    cluster.start_service("echo-service", name="echo-again")
    back = requests.get(edge.url + "/api/echo/back", timeout=TIMEOUT + 5)
    assert (back.status_code, back.json()["word"]) == (200, "back")
