"""Shared helpers for the edge interop tests (test_edge_*.py).

The edge is started like every other binary, through conftest's `cluster`: bus, echo service, then
`edge` with `EDGE_CONFIG` (deploy/edge.test.json, or a JSON file written into the test's tmp folder)
and `EDGE_PORT` (a free loopback port). Clients are python-socketio's stock `Client`, and for the
wire-level checks `requests` (HTTP long-polling) and `websocket-client` (raw WebSocket frames).

Every wait is bounded by TIMEOUT and waits on a condition; no test asserts a maximum latency.
"""
import base64
import copy
import hashlib
import hmac
import itertools
import json
import queue
import socket
import sqlite3
import threading
import time
import urllib.parse

import jwt
import requests
import socketio
import websocket

from conftest import ROOT, free_port

TIMEOUT = 10.0
EDGE_TEST_JSON = ROOT / "deploy" / "edge.test.json"

# HS256 secrets must be at least 32 bytes (spec: jwtSecret ≥ 32 bytes).
JWT_SECRET = "switchboard-interop-jwt-secret-0123456789abcdef"
SESSION_SECRET = "switchboard-interop-session-secret-0123456789"

# The reference's Engine.IO error bodies (engine.io Server.errorMessages).
ENGINE_MESSAGES = {
    0: "Transport unknown",
    1: "Session ID unknown",
    2: "Bad handshake method",
    3: "Bad request",
    4: "Forbidden",
    5: "Unsupported protocol version",
}


def compact(value) -> str:
    """JSON as JavaScript's JSON.stringify writes it (no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Configuration and start-up


def official_config() -> dict:
    """deploy/edge.test.json: the settings of socket.io's official protocol test suite."""
    return json.loads(EDGE_TEST_JSON.read_text())


def relaxed_config(**changes) -> dict:
    """edge.test.json with socket.io's default timers (pingInterval 25000, pingTimeout 20000,
    connectTimeout 45000) instead of the test suite's 300/200/1000, so that clients on a busy
    machine are never dropped for a late pong while a test is about something else."""
    config = official_config()
    config.update(pingInterval=25000, pingTimeout=20000, connectTimeout=45000)
    config.update(changes)
    return config


class Edge:
    """A started edge: its process, port and configuration."""

    def __init__(self, proc, port: int, config: dict):
        self.proc = proc
        self.port = port
        self.config = config
        self.path = config.get("path", "/socket.io/")
        self.url = f"http://127.0.0.1:{port}"

    def eio(self, query: str) -> str:
        """The HTTP URL of the Engine.IO endpoint with `query`."""
        return f"{self.url}{self.path}?{query}"

    def ws(self, query: str = "EIO=4&transport=websocket") -> str:
        """The WebSocket URL of the Engine.IO endpoint with `query`."""
        return f"ws://127.0.0.1:{self.port}{self.path}?{query}"

    @property
    def socketio_path(self) -> str:
        return self.path.strip("/")


def start_edge(cluster, config: dict | None = None, *, name="edge", extra_env=None) -> Edge:
    """Starts `edge`. Without `config` it runs deploy/edge.test.json itself (EDGE_PORT gives the
    port); with one, the JSON is written into the test's tmp folder with a free port."""
    port = free_port()
    if config is None:
        config = official_config()
        config_path = EDGE_TEST_JSON
    else:
        config = copy.deepcopy(config)
        config["listeners"] = [{"host": "127.0.0.1", "port": port}]
        config_path = cluster.tmp / f"{name}.json"
        config_path.write_text(json.dumps(config, indent=2))
    env = {"EDGE_CONFIG": str(config_path), "EDGE_PORT": str(port)}
    env.update(extra_env or {})
    proc = cluster.start("edge", name=name, extra_env=env)
    proc.wait_for_log("edge listening", timeout=20)
    return Edge(proc, port, config)


def start_stack(cluster, config: dict | None = None, *, echo=True, extra_env=None, route_auth=None) -> Edge:
    """Bus, echo service (unless `echo=False`), then the edge; waits until the edge routes `echo`."""
    cluster.start_bus()
    if echo:
        cluster.start_service("echo-service")
    edge = start_edge(cluster, config, extra_env=extra_env)
    if echo:
        wait_for_route(edge, auth=route_auth)
    return edge


def wait_for_route(edge: Edge, event="echo", ns="/", auth=None):
    """Waits until an event is routed (its ack is not UNKNOWN_EVENT).

    "edge listening" means the edge has heard the bus; the echo service's hello (one a second)
    may come a moment later. If the edge already knows every route when it says it listens, this
    returns at the first try."""
    deadline = time.monotonic() + TIMEOUT
    ws = RawWS(edge)
    try:
        reply = ws.connect_ns(ns, auth)
        assert reply.startswith("40"), f"probe could not connect to {ns}: {reply!r}"
        while True:
            answer = ws.call(event, "route-probe", ns=ns)
            if answer != [{"error": "UNKNOWN_EVENT"}]:
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"the edge never routed {ns} {event} (still UNKNOWN_EVENT after {TIMEOUT}s)")
            time.sleep(0.2)
    finally:
        ws.close()


def effects(cluster, key=None):
    """Rows the echo service's `record` wrote (its SQLite file), optionally for one key."""
    path = cluster.data / "echo.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT event_id, key FROM effects").fetchall()
        except sqlite3.OperationalError:
            return []
    if key is None:
        return rows
    return [r for r in rows if r[1] is not None and key in r[1]]


# ---------------------------------------------------------------------------------------------
# python-socketio


class SioClient:
    """A stock python-socketio Client (reconnection off) that records what it receives."""

    def __init__(self, namespaces=("/",)):
        self.sio = socketio.Client(reconnection=False)
        self.events = []            # (namespace, event, args tuple), in arrival order
        self.connect_errors = {}    # namespace -> the CONNECT_ERROR data
        self.disconnects = []       # (namespace, reason...)
        self.cond = threading.Condition()
        for ns in namespaces:
            self._listen(ns)

    def _listen(self, ns):
        def on_any(event, *args):
            with self.cond:
                self.events.append((ns, event, args))
                self.cond.notify_all()

        def on_connect_error(data=None):
            with self.cond:
                self.connect_errors[ns] = data
                self.cond.notify_all()

        def on_disconnect(*reason):
            with self.cond:
                self.disconnects.append((ns, *reason))
                self.cond.notify_all()

        self.sio.on("*", on_any, namespace=ns)
        self.sio.on("connect_error", on_connect_error, namespace=ns)
        self.sio.on("disconnect", on_disconnect, namespace=ns)

    def connect(self, edge: Edge, *, transports=None, namespaces=("/",), auth=None, headers=None):
        self.sio.connect(edge.url, headers=headers or {}, auth=auth, transports=transports,
                         namespaces=list(namespaces), socketio_path=edge.socketio_path,
                         wait_timeout=TIMEOUT)
        return self

    def emit_with_ack(self, event, *args, ns="/"):
        """Emits; returns a function that waits for the ack and returns its arguments (a tuple)."""
        done = threading.Event()
        box = []

        def callback(*ack_args):
            box.append(ack_args)
            done.set()

        self.sio.emit(event, data=tuple(args), namespace=ns, callback=callback)

        def wait(timeout=TIMEOUT):
            assert done.wait(timeout), f"no ack for {ns} {event!r} within {timeout}s"
            return box[0]

        return wait

    def call(self, event, *args, ns="/", timeout=TIMEOUT) -> tuple:
        """Emits with an ack request and returns the ack's arguments as a tuple."""
        return self.emit_with_ack(event, *args, ns=ns)(timeout)

    def received(self, event, ns="/"):
        with self.cond:
            return [args for (n, e, args) in self.events if n == ns and e == event]

    def wait_event(self, event, ns="/", count=1, timeout=TIMEOUT):
        """Waits until `event` has arrived `count` times; returns the argument tuples."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [args for (n, e, args) in self.events if n == ns and e == event]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{ns} {event!r} arrived {len(got)} times, expected {count}; "
                                         f"received {self.events!r}")
                self.cond.wait(left)

    def disconnect_namespace(self, ns):
        """Leaves one namespace and keeps the connection, as the JS client's `nsSocket.disconnect()`
        does (python-socketio has no public call for it): one DISCONNECT packet for `ns`."""
        self.sio._send_packet(self.sio.packet_class(socketio.packet.DISCONNECT, namespace=ns))
        self.sio.namespaces.pop(ns, None)

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect_refusal(edge: Edge, ns: str, **connect_args):
    """Connects a stock client to `ns` expecting a refusal.

    python-socketio raises socketio.exceptions.ConnectionError ("One or more namespaces failed to
    connect: /ns"); the server's own message is the CONNECT_ERROR data, which the client hands to
    its `connect_error` handler. Returns that data (e.g. {"message": "Access denied"})."""
    client = SioClient(namespaces=(ns,))
    try:
        try:
            client.connect(edge, namespaces=(ns,), **connect_args)
        except socketio.exceptions.ConnectionError as error:
            raised = error
        else:
            raise AssertionError(f"connection to {ns} was accepted")
    finally:
        client.close()
    assert ns in client.connect_errors, f"{ns} refused without a CONNECT_ERROR packet ({raised})"
    assert ns in str(raised), str(raised)
    return client.connect_errors[ns]


# ---------------------------------------------------------------------------------------------
# Raw WebSocket (websocket-client)


class Closed(Exception):
    """The connection was closed while a message was awaited."""


def ns_head(packet_type: str, ns: str) -> str:
    """The start of a Socket.IO packet of `packet_type` for `ns`: `42` or `42/custom,`."""
    return packet_type if ns == "/" else f"{packet_type}{ns},"


def is_packet(message, packet_type: str, ns: str = "/") -> bool:
    """Whether a text message is a Socket.IO packet of that type for exactly that namespace."""
    if not isinstance(message, str):
        return False
    head = ns_head(packet_type, ns)
    if not message.startswith(head):
        return False
    # `40/custom,…` also starts with `40`: for "/" the namespace must not follow.
    return ns != "/" or not message[len(head):].startswith("/")


class RawWS:
    """A raw Engine.IO WebSocket. A reader thread queues every message (text as str, binary as
    bytes), answers server pings `2` with `3` unless auto_pong is off, and notes the close."""

    def __init__(self, edge: Edge, query="EIO=4&transport=websocket", *, header=None, cookie=None,
                 auto_pong=True, read_open=True):
        self.ws = websocket.create_connection(edge.ws(query), timeout=TIMEOUT, header=header or [],
                                              cookie=cookie)
        self.ws.settimeout(None)
        self.auto_pong = auto_pong
        self.messages = queue.Queue()
        self.skipped = []
        self.pings = []          # time.monotonic() of each server ping
        self.closed = threading.Event()
        self.closed_at = None
        self._ids = itertools.count(100)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.opened_at = time.monotonic()
        self.handshake = None
        if read_open:
            first = self.next()
            assert isinstance(first, str) and first.startswith("0"), f"no open packet: {first!r}"
            self.handshake = json.loads(first[1:])

    def _read(self):
        try:
            while True:
                opcode, data = self.ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    text = data.decode("utf-8", "replace")
                    if text == "2":
                        self.pings.append(time.monotonic())
                        if self.auto_pong:
                            self.send("3")
                        continue
                    self.messages.put(text)
                elif opcode == websocket.ABNF.OPCODE_BINARY:
                    self.messages.put(bytes(data))
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
        except Exception:
            pass
        finally:
            self.closed_at = time.monotonic()
            self.closed.set()

    def send(self, text: str):
        try:
            self.ws.send(text)
        except Exception:
            pass  # already closed: the caller checks `closed`

    def send_binary(self, data: bytes):
        try:
            self.ws.send_binary(data)
        except Exception:
            pass

    def next(self, timeout=TIMEOUT):
        """The next message; raises Closed when the connection ended and nothing is left."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.messages.get(timeout=0.05)
            except queue.Empty:
                if self.closed.is_set() and self.messages.empty():
                    raise Closed("the connection was closed")
                if time.monotonic() > deadline:
                    raise AssertionError(f"nothing received within {timeout}s")

    def wait_for(self, predicate, timeout=TIMEOUT):
        """The first message matching `predicate`, looking first at those skipped before (a
        message may arrive before the one another wait was looking for); others are kept in
        `skipped`."""
        for index, message in enumerate(self.skipped):
            if predicate(message):
                return self.skipped.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message within {timeout}s; skipped {self.skipped!r}")
            message = self.next(left)
            if predicate(message):
                return message
            self.skipped.append(message)

    def wait_closed(self, timeout=TIMEOUT) -> bool:
        return self.closed.wait(timeout)

    def connect_ns(self, ns="/", auth=None) -> str:
        """Sends CONNECT; returns the CONNECT or CONNECT_ERROR packet that answers it."""
        self.send(ns_head("40", ns) + (compact(auth) if auth is not None else ""))
        return self.wait_for(lambda m: is_packet(m, "40", ns) or is_packet(m, "44", ns))

    def emit(self, event, *args, ns="/", ack=False):
        """Sends an EVENT; returns its ack id when one is asked for."""
        ack_id = next(self._ids) if ack else None
        self.send(ns_head("42", ns) + ("" if ack_id is None else str(ack_id)) + compact([event, *args]))
        return ack_id

    def ack(self, ack_id, ns="/", timeout=TIMEOUT) -> list:
        head = ns_head("43", ns) + str(ack_id)
        message = self.wait_for(lambda m: is_packet(m, "43", ns) and m.startswith(head + "["), timeout)
        return json.loads(message[len(head):])

    def call(self, event, *args, ns="/", timeout=TIMEOUT) -> list:
        return self.ack(self.emit(event, *args, ns=ns, ack=True), ns, timeout)

    def alive(self, ns="/") -> bool:
        """Whether an EVENT with an ack request still gets its ack (any ack) on this connection."""
        try:
            self.call("echo", f"alive-{next(self._ids)}", ns=ns)
            return not self.closed.is_set()
        except (Closed, AssertionError):
            return False

    def close(self):
        try:
            self.ws.shutdown()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------
# Raw HTTP long-polling (requests)


class Gone(Exception):
    """A poll was refused (the session is gone or the request was rejected)."""

    def __init__(self, response):
        super().__init__(f"poll answered {response.status_code} {response.text!r}")
        self.response = response


class RawPolling:
    """A raw Engine.IO long-polling session: the handshake GET, then GETs and POSTs with its sid."""

    def __init__(self, edge: Edge, headers=None):
        self.edge = edge
        self.headers = headers or {}
        response = requests.get(edge.eio("EIO=4&transport=polling"), headers=self.headers, timeout=TIMEOUT)
        assert response.status_code == 200, f"handshake {response.status_code} {response.text!r}"
        assert response.text.startswith("0"), f"handshake without open packet: {response.text!r}"
        self.handshake_response = response
        self.handshake = json.loads(response.text[1:])
        self.sid = self.handshake["sid"]
        self.received = []       # every packet of every poll, in order
        self.cursor = 0          # packets before this were consumed by poll_until
        self._ids = itertools.count(100)

    def url(self) -> str:
        return self.edge.eio(f"EIO=4&transport=polling&sid={urllib.parse.quote(self.sid)}")

    def get(self, timeout=TIMEOUT) -> requests.Response:
        return requests.get(self.url(), headers=self.headers, timeout=timeout)

    def post(self, body, headers=None, timeout=TIMEOUT) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        merged = {"Content-Type": "text/plain;charset=UTF-8", **self.headers, **(headers or {})}
        return requests.post(self.url(), data=data, headers=merged, timeout=timeout)

    def fetch(self, timeout=TIMEOUT) -> requests.Response:
        """One GET; its packets are appended to `received`; pings are answered with a pong."""
        response = self.get(timeout)
        if response.status_code != 200:
            raise Gone(response)
        packets = response.text.split("\x1e")
        self.received.extend(packets)
        if "2" in packets:
            self.post("3")
        return response

    def poll_until(self, predicate, timeout=TIMEOUT) -> str:
        """Polls until a packet (not consumed yet) matches; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            while self.cursor < len(self.received):
                packet = self.received[self.cursor]
                self.cursor += 1
                if predicate(packet):
                    return packet
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching packet within {timeout}s; got {self.received!r}")
            self.fetch(timeout=max(left, 1.0))

    def connect_ns(self, ns="/", auth=None) -> str:
        response = self.post(ns_head("40", ns) + (compact(auth) if auth is not None else ""))
        assert (response.status_code, response.text) == (200, "ok"), (response.status_code, response.text)
        return self.poll_until(lambda p: is_packet(p, "40", ns) or is_packet(p, "44", ns))

    def call(self, event, *args, ns="/", timeout=TIMEOUT) -> list:
        ack_id = next(self._ids)
        response = self.post(ns_head("42", ns) + str(ack_id) + compact([event, *args]))
        assert response.status_code == 200, (response.status_code, response.text)
        head = ns_head("43", ns) + str(ack_id)
        packet = self.poll_until(lambda p: is_packet(p, "43", ns) and p.startswith(head + "["), timeout)
        return json.loads(packet[len(head):])

    def alive(self, ns="/") -> bool:
        try:
            self.call("echo", f"alive-{next(self._ids)}", ns=ns)
            return True
        except (Gone, AssertionError, requests.RequestException):
            return False

    def wait_gone(self, timeout=TIMEOUT):
        """Polls until a poll is refused; returns that response, or None when the session still
        answered (or kept a poll pending) for `timeout` seconds. Pings are not answered here."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                response = self.get(timeout=left)
            except requests.RequestException:
                return None
            if response.status_code != 200:
                return response
            self.received.extend(response.text.split("\x1e"))


def assert_engine_error(response, code: int):
    """A 400 with the reference's JSON body for `code`."""
    assert response.status_code == 400, f"status {response.status_code}, body {response.text!r}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), dict(response.headers)
    assert response.json() == {"code": code, "message": ENGINE_MESSAGES[code]}, response.text


def assert_session_gone(session: RawPolling):
    response = session.wait_gone()
    assert response is not None, "the polling session is still open"
    assert_engine_error(response, 1)


def raw_http(port: int, head: str, body: bytes = b"", timeout=TIMEOUT):
    """Sends one request on a plain socket (headers `head` without the final blank line, then
    `body`), tolerating a server that answers before it has read the whole body. Returns
    (status, headers dict with lowercase names, body bytes); status is None without an answer."""
    request = head.rstrip("\r\n").encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    header_text, _, rest = data.partition(b"\r\n\r\n")
                    lengths = [line.split(b":", 1)[1].strip() for line in header_text.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")]
                    if lengths and len(rest) >= int(lengths[0]):
                        break
        except OSError:
            pass
    if not data.startswith(b"HTTP/"):
        return None, {}, data
    header_text, _, rest = data.partition(b"\r\n\r\n")
    lines = header_text.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


# ---------------------------------------------------------------------------------------------
# Credentials


def make_jwt(claims: dict, secret: str = JWT_SECRET, expires_in: int = 3600, algorithm="HS256") -> str:
    now = int(time.time())
    payload = {"iat": now, "exp": now + expires_in}
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=algorithm)


def unsigned_jwt(claims: dict) -> str:
    """A token with `alg: none` and an empty signature (which must be refused)."""
    def part(value):
        return base64.urlsafe_b64encode(compact(value).encode()).rstrip(b"=").decode()
    now = int(time.time())
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'iat': now, 'exp': now + 3600, **claims})}."


def make_sessions_db(path, sessions: dict):
    """A connect-sqlite3 store: `sessions(sid PRIMARY KEY, expired, sess)` with `expired` in
    milliseconds and `sess` the session as JSON. `sessions` maps sid -> (expired_ms, sess dict)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS sessions (sid PRIMARY KEY, expired, sess)")
        for sid, (expired, sess) in sessions.items():
            db.execute("INSERT INTO sessions (sid, expired, sess) VALUES (?, ?, ?)", (sid, expired, json.dumps(sess)))


def signed_cookie_value(sid: str, secret: str = SESSION_SECRET) -> str:
    """What express-session puts in the cookie: `s:` + sid + `.` + base64(HMAC-SHA256(secret, sid))
    without `=` padding (cookie-signature), URL-encoded as the `cookie` package does."""
    mac = base64.b64encode(hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    return urllib.parse.quote(f"s:{sid}.{mac}", safe="")


def session_json(user_id=None) -> dict:
    """A session object as express-session stores it."""
    sess = {"cookie": {"originalMaxAge": 86400000, "expires": "2099-01-01T00:00:00.000Z",
                       "httpOnly": True, "path": "/"}}
    if user_id is not None:
        sess["user_id"] = user_id
    return sess
