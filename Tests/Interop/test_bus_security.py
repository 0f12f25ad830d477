"""The bus lets in only known CURVE keys (issue 15): pyzmq clients play the attacker against
the real bus, echo service and switchboard tool."""
import json
import os
import time
import uuid

import zmq

from bus_helpers import envelopes
from conftest import bus_key, json_lines
from test_bus import effects


def header(type_, sender, **fields):
    value = {"v": 1, "id": uuid.uuid4().hex[:24], "type": type_, "from": sender, "ts": int(time.time() * 1000)}
    value.update(fields)
    return json.dumps(value).encode()


class Attacker:
    """A pyzmq PUB and SUB on the cluster's bus, with the keys of `key_file` (None: no key),
    subscribed to everything."""

    def __init__(self, cluster, key_file=None, curve_keys=None):
        self.name = f"attacker-{uuid.uuid4().hex[:6]}"
        self.context = zmq.Context()
        self.pub = self.context.socket(zmq.PUB)
        self.sub = self.context.socket(zmq.SUB)
        for sock in (self.pub, self.sub):
            sock.setsockopt(zmq.LINGER, 0)
            if key_file:
                bus_key(sock, key_file)
            elif curve_keys:
                sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = curve_keys
        self.pub.connect(cluster.env["BUS_PUBLISH"])
        self.sub.connect(cluster.env["BUS_SUBSCRIBE"])
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")

    def publish(self, topic, head, body):
        self.pub.send_multipart([topic.encode(), head, json.dumps(body).encode()])

    def received(self, seconds):
        """Every message that reached the attacker's SUB socket within `seconds`, a bundle's
        envelopes one by one."""
        frames, deadline = [], time.time() + seconds
        while time.time() < deadline:
            if self.sub.poll(50):
                frames.extend(envelopes(self.sub.recv_multipart()))
        return frames

    def close(self):
        self.pub.close()
        self.sub.close()
        self.context.term()


def forge_everything(attacker, rounds=20):
    """An event to echo, an emit to every client, a disconnect, and a hello taking over echo's
    events, `rounds` times over two seconds."""
    for _ in range(rounds):
        attacker.publish("svc.echo", header("event", attacker.name, event="record", ns="/",
                                            replyTo="edge", user={"id": "victim"}), [{"key": attacker.name}])
        attacker.publish("edge", header("emit", attacker.name),
                         [{"op": "emit", "ns": "/", "event": "owned", "args": [attacker.name], "to": {"all": True}}])
        attacker.publish("edge", header("emit", attacker.name), [{"op": "disconnect", "users": ["victim"]}])
        attacker.publish("hello", header("hello", attacker.name),
                         {"service": "echo", "instance": attacker.name, "handles": [{"ns": "/", "event": "echo"}],
                          "life": [], "ready": True, "interval": 1000, "started": int(time.time() * 1000)})
        time.sleep(0.1)


def traced(cluster, name, seconds, extra_env=None):
    env = dict(cluster.env, **(extra_env or {}))
    return cluster.start("switchboard", name=name, extra_env=env,
                         args=("trace", "--json", "--hello", "--duration", str(seconds)))


def test_a_client_without_a_key_connects_to_neither_port_and_reaches_no_one(cluster):
    bus = cluster.start_bus()
    cluster.start_service("echo-service")
    watcher = traced(cluster, "trace-operator", 5)
    time.sleep(1.0)
    attacker = Attacker(cluster)
    try:
        forge_everything(attacker)
        heard = attacker.received(1.5)
    finally:
        attacker.close()
    watcher.popen.wait(timeout=30)
    assert heard == [], "a keyless SUB received bus traffic"
    seen = json_lines(watcher.output())
    assert any(l["topic"] == "hello" for l in seen), "the operator's trace saw nothing at all"
    assert not [l for l in seen if attacker.name in json.dumps(l)], "a keyless message reached the bus"
    # Echo never did the forged `record`: its effects table has no row of the attacker's key.
    assert attacker.name not in [key for _, key in effects(cluster)]
    assert bus.popen.poll() is None


def test_an_unknown_curve_key_is_refused_and_logged_once(cluster):
    bus = cluster.start_bus()
    cluster.start_service("echo-service")
    server = next(line.split()[1] for line in (cluster.keys / "bus.key").read_text().splitlines()
                  if line.startswith("public "))
    public, secret = zmq.curve_keypair()
    attackers = [Attacker(cluster, curve_keys=(public, secret, server.encode())) for _ in range(2)]
    try:
        forge_everything(attackers[0], rounds=5)
        heard = attackers[1].received(1.0)
    finally:
        for attacker in attackers:
            attacker.close()
    assert heard == []
    refusals = [l for l in bus.output().splitlines() if "refused a bus connection" in l]
    assert len(refusals) == 1 and public.decode() in refusals[0], bus.output()
    assert secret.decode() not in bus.output()


def test_trace_shows_everything_with_the_operator_key_and_nothing_without(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    with_key = traced(cluster, "trace-with-key", 3)
    without_key = traced(cluster, "trace-without-key", 3, {"BUS_KEYS": str(cluster.tmp / "no-keys")})
    with_key.popen.wait(timeout=30)
    without_key.popen.wait(timeout=30)
    assert any(l["topic"] == "hello" for l in json_lines(with_key.output()))
    assert json_lines(without_key.output()) == []


def test_key_files_are_owner_only(cluster):
    assert oct(os.stat(cluster.keys).st_mode & 0o777) == "0o700"
    for path in cluster.keys.iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
    roles = (cluster.keys / "roles").read_text()
    assert " service:chat " in roles and " edge " in roles and " operator " in roles
    assert "secret" not in roles


def stop_and_count(bus):
    """Stops the bus and returns its closing counts line."""
    bus.stop()
    return next(l for l in bus.output().splitlines() if "bus refused" in l)


def test_a_service_key_cannot_forge_another_service_an_identity_or_read_other_events(cluster):
    cluster.switchboard("keys", "attacker=service:chat", check=True)
    bus = cluster.start_bus()
    cluster.start_service("echo-service")
    watcher = traced(cluster, "trace-operator", 6)
    attacker = Attacker(cluster, key_file=cluster.keys / "attacker.key")
    spy = zmq.Context.instance().socket(zmq.SUB)
    spy.setsockopt(zmq.LINGER, 0)
    bus_key(spy, cluster.keys / "attacker.key")
    spy.connect(cluster.env["BUS_SUBSCRIBE"])
    spy.setsockopt(zmq.SUBSCRIBE, b"svc.echo")
    time.sleep(1.0)
    own = f"chat-{uuid.uuid4().hex[:6]}"
    try:
        for _ in range(10):
            # Forged: an emit as presence, an event with an identity, hellos as echo.
            attacker.publish("edge", header("emit", "presence-c0ffee"),
                             [{"op": "emit", "ns": "/", "event": "forged", "args": [], "to": {"all": True}}])
            attacker.publish("svc.echo", header("event", own, event="record", ns="/", replyTo="edge",
                                                user={"id": "victim"}), [{"key": "forged-identity"}])
            hello = {"service": "echo", "instance": own, "handles": [{"ns": "/", "event": "echo"}], "life": [],
                     "ready": True, "interval": 1000, "started": int(time.time() * 1000)}
            attacker.publish("hello", header("hello", own), hello)
            attacker.publish("hello", header("hello", "echo-evil"), dict(hello, instance="echo-evil"))
            # Allowed for a chat key: an emit of its own.
            attacker.publish("edge", header("emit", own),
                             [{"op": "emit", "ns": "/", "event": "own-emit", "args": [], "to": {"all": True}}])
            time.sleep(0.1)
        cluster.switchboard("send", "echo", '["for echo only"]', check=True)
        spied = []
        deadline = time.time() + 1.5
        while time.time() < deadline:
            if spy.poll(50):
                spied.extend(envelopes(spy.recv_multipart()))
        heard = attacker.received(0.5)
    finally:
        spy.close()
        attacker.close()
    watcher.popen.wait(timeout=30)
    lines = json_lines(watcher.output())
    assert [l for l in lines if l["type"] == "emit" and l["header"]["from"] == own], "the chat key's own emit was dropped"
    assert not [l for l in lines if l["header"]["from"] in ("presence-c0ffee", "echo-evil")]
    assert not [l for l in lines if l["type"] == "hello" and l["header"]["from"] == own]
    assert not [l for l in lines if l["type"] == "event" and l["header"].get("user")]
    assert spied == [], "a chat key read echo's events"
    assert not [f for f in heard if f[0].startswith(b"svc.")], "a chat key's subscription to everything read events"
    assert "forged-identity" not in [key for _, key in effects(cluster)]
    log = bus.output()
    for reason in ("from names another process than service chat", "an identity header from a service",
                   "a hello as service echo", 'a subscription to "svc.echo"', 'a subscription to ""'):
        assert log.count(f"refused {reason} from key") == 1, (reason, log)
    counts = stop_and_count(bus)
    refused_messages = int(counts.split(" connections, ")[1].split(" messages")[0])
    refused_subscriptions = int(counts.split(" messages, ")[1].split(" subscriptions")[0])
    assert refused_messages >= 40 and refused_subscriptions >= 2, counts


def host_address():
    """An address of this host other than 127.0.0.1: its outward one, else 127.0.0.2."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    return address if address != "127.0.0.1" else "127.0.0.2"


def test_a_service_on_another_address_joins_with_its_keys_from_the_environment(cluster, tmp_path):
    publish_port = cluster.env["BUS_PUBLISH"].rsplit(":", 1)[1]
    subscribe_port = cluster.env["BUS_SUBSCRIBE"].rsplit(":", 1)[1]
    cluster.start("bus", extra_env={"BUS_PUBLISH": f"tcp://*:{publish_port}",
                                    "BUS_SUBSCRIBE": f"tcp://*:{subscribe_port}"}).wait_for_log("bus forwarding")
    address = host_address()
    keys = dict(line.split(" ", 1) for line in (cluster.keys / "echo-service.key").read_text().splitlines()
                if line and not line.startswith("#"))
    elsewhere = tmp_path / "elsewhere"  # the other host's data folder: no key folder in it
    elsewhere.mkdir()
    echo = cluster.start("echo-service", name="echo-elsewhere", extra_env={
        "BUS_PUBLISH": f"tcp://{address}:{publish_port}", "BUS_SUBSCRIBE": f"tcp://{address}:{subscribe_port}",
        "SWITCHBOARD_DATA": str(elsewhere), "BUS_PUBLIC_KEY": keys["public"], "BUS_SECRET_KEY": keys["secret"],
        "BUS_SERVER_KEY": keys["server"]})
    echo.wait_for_log("ready: heard our own hello back")
    out = cluster.switchboard("send", "echo", '["across"]', "--json", check=True)
    assert json_lines(out.stdout)[0]["body"][0]["args"] == ["across"]
    assert keys["secret"] not in echo.output()
    # The same service with a key the bus does not know never becomes ready.
    public, secret = zmq.curve_keypair()
    stranger = cluster.start("echo-service", name="echo-stranger", extra_env={
        "BUS_PUBLISH": f"tcp://{address}:{publish_port}", "BUS_SUBSCRIBE": f"tcp://{address}:{subscribe_port}",
        "SWITCHBOARD_DATA": str(elsewhere / "stranger"), "BUS_PUBLIC_KEY": public.decode(),
        "BUS_SECRET_KEY": secret.decode(), "BUS_SERVER_KEY": keys["server"]})
    time.sleep(2)
    assert "ready: heard our own hello back" not in stranger.output()
