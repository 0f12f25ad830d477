"""Bundles (docs/bus-protocol.md §3) at the bus and at receivers: the bus checks every envelope of
a bundle against its sender's role and forwards the allowed ones; a bundle that does not split into
whole entries is refused by the bus, and dropped by receivers behind a plain forwarder, who keep
answering."""
import json
import threading
import time
import uuid

import zmq

from bus_helpers import bundle, envelopes
from conftest import bus_key
from test_bus_security import header, stop_and_count


def emit_pair(sender, event):
    """(header, body) bytes of an emit of `event` to every client, published as `sender`."""
    body = [{"op": "emit", "ns": "/", "event": event, "args": [], "to": {"all": True}}]
    return header("emit", sender), json.dumps(body).encode()


def event_pair(sender, event, reply_to, args):
    """(header, body) bytes of an event with an ack request, answered on `reply_to`."""
    return (header("event", sender, ns="/", event=event, sid=f"{sender}-sid", ack=True, replyTo=reply_to),
            json.dumps(args).encode())


def socket_pair(cluster, key_name=None, subscribe=()):
    """A PUB and a SUB on the cluster's bus (with data/keys/<key_name>.key, or none)."""
    context = zmq.Context.instance()
    pub, sub = context.socket(zmq.PUB), context.socket(zmq.SUB)
    for sock in (pub, sub):
        sock.setsockopt(zmq.LINGER, 0)
        if key_name:
            bus_key(sock, cluster.keys / f"{key_name}.key")
    pub.connect(cluster.env["BUS_PUBLISH"])
    sub.connect(cluster.env["BUS_SUBSCRIBE"])
    for topic in subscribe:
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
    return pub, sub


def collect(sub, seconds):
    """The messages (frames, bundles as they came) that reach `sub` within `seconds`."""
    messages, deadline = [], time.time() + seconds
    while time.time() < deadline:
        if sub.poll(50):
            messages.append(sub.recv_multipart())
    return messages


def test_the_bus_forwards_the_allowed_envelopes_of_a_bundle_and_refuses_the_others(cluster):
    cluster.switchboard("keys", "attacker=service:chat", check=True)
    bus = cluster.start_bus()
    pub, unused_sub = socket_pair(cluster, "attacker")
    unused_pub, spy = socket_pair(cluster, "rawtest", subscribe=("edge",))  # operator: may read everything
    own = f"chat-{uuid.uuid4().hex[:6]}"
    try:
        deadline = time.time() + 10
        while not spy.poll(100):  # until the spy's subscription has reached the publisher
            assert time.time() < deadline, "the spy never heard the chat key's own emit"
            pub.send_multipart([b"edge", *emit_pair(own, "probe")])
        collect(spy, 0.3)
        pairs = [emit_pair(own, "first"), emit_pair("presence-c0ffee", "forged"), emit_pair(own, "second")]
        pub.send_multipart([b"edge", bundle(pairs)])
        messages = [m for m in collect(spy, 1.5) if b'"probe"' not in m[-1]]
    finally:
        for sock in (pub, unused_sub, unused_pub, spy):
            sock.close()
    assert len(messages) == 1 and len(messages[0]) == 2, f"not one bundle: {messages}"
    forwarded = envelopes(messages[0])
    assert [json.loads(h)["id"] for _, h, _ in forwarded] == [json.loads(pairs[0][0])["id"], json.loads(pairs[2][0])["id"]]
    assert [json.loads(b)[0]["event"] for _, _, b in forwarded] == ["first", "second"]
    log = bus.output()
    assert log.count("refused from names another process than service chat from key") == 1, log
    counts = stop_and_count(bus)
    assert int(counts.split(" connections, ")[1].split(" messages")[0]) == 1, counts


class PlainBus:
    """libzmq's proxy between an XSUB and an XPUB without keys or rules (§1: the bus's forwarding,
    nothing else), on the cluster's endpoints: it puts in front of receivers what the `bus` with
    keys would refuse. Processes then run without keys (BUS_KEYS names an empty folder)."""

    def __init__(self, cluster):
        self.context = zmq.Context()
        self.control = self.context.socket(zmq.PAIR)
        self.control.bind("inproc://plain-bus")
        self.bound = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(cluster.env,), daemon=True)
        self.thread.start()
        assert self.bound.wait(5)

    def _run(self, env):
        xsub, xpub, control = (self.context.socket(kind) for kind in (zmq.XSUB, zmq.XPUB, zmq.PAIR))
        for sock in (xsub, xpub, control):
            sock.setsockopt(zmq.LINGER, 0)
        xsub.bind(env["BUS_PUBLISH"])
        xpub.bind(env["BUS_SUBSCRIBE"])
        control.connect("inproc://plain-bus")
        self.bound.set()
        zmq.proxy_steerable(xsub, xpub, None, control)
        for sock in (xsub, xpub, control):
            sock.close()

    def close(self):
        self.control.send(b"TERMINATE")
        self.thread.join(timeout=5)
        self.control.close()
        self.context.term()


def answered(pub, sub, inbox, topic, event, frames=None, timeout=10):
    """Publishes a good event on `topic` (after `frames`, on the same socket, so that they arrive
    first) until its reply comes to `inbox`; returns the `re` of every reply heard meanwhile."""
    head, body = event_pair("rawtest", event, inbox, ["after"])
    wanted = json.loads(head)["id"]
    heard, deadline = [], time.time() + timeout
    while wanted not in heard:
        assert time.time() < deadline, f"{topic} answered nothing within {timeout}s"
        if frames:
            pub.send_multipart(frames)
        pub.send_multipart([topic.encode(), head, body])
        for message in collect(sub, 0.3):
            heard.extend(json.loads(h)["re"] for _, h, _ in envelopes(message))
    return heard


def truncated_bundle(topic, event, inbox):
    """A bundle of two good events of `event` whose frame 1 lacks its last 3 bytes, and the ids
    of those events."""
    whole = [event_pair("rawtest", event, inbox, [n]) for n in range(2)]
    return [topic.encode(), bundle(whole)[:-3]], {json.loads(h)["id"] for h, _ in whole}


def test_the_bus_refuses_a_truncated_bundle_and_keeps_forwarding(cluster):
    bus = cluster.start_bus()
    echo = cluster.start_service("echo-service")
    inbox = f"inbox.rawtest-{uuid.uuid4().hex[:6]}"
    pub, sub = socket_pair(cluster, "rawtest", subscribe=(inbox,))  # operator: may send events
    try:
        answered(pub, sub, inbox, "svc.echo", "echo")  # the publisher knows echo's subscription now
        frames, ids = truncated_bundle("svc.echo", "echo", inbox)
        heard = answered(pub, sub, inbox, "svc.echo", "echo", frames)
    finally:
        pub.close()
        sub.close()
    assert not ids & set(heard), "an envelope of a truncated bundle was answered"
    log = bus.output()
    assert log.count("refused a malformed bundle from key") == 1, log
    assert "malformed" not in echo.output(), echo.output()
    counts = stop_and_count(bus)
    assert int(counts.split(" connections, ")[1].split(" messages")[0]) >= 1, counts


def test_receivers_drop_a_truncated_bundle_and_a_malformed_envelope_alone_and_keep_answering(cluster):
    """Without the bus's checks (a plain forwarder, no keys), the receivers themselves meet a
    truncated bundle and a bundle with one unreadable envelope: the Swift echo service and
    pyservice log the first as a bad bundle, answer the good envelope of the second, and go on."""
    from test_python_service import start_pyservice

    no_keys = str(cluster.tmp / "no-keys")
    plain = PlainBus(cluster)
    inbox = f"inbox.rawtest-{uuid.uuid4().hex[:6]}"
    pub, sub = socket_pair(cluster, subscribe=(inbox,))
    try:
        echo = cluster.start_service("echo-service", extra_env={"BUS_KEYS": no_keys})
        py = start_pyservice(cluster, extra_env={"BUS_KEY": str(cluster.tmp / "no-keys" / "pyservice.key")})
        py.wait_for_log("pyecho ready")
        for topic, event, proc in (("svc.echo", "echo", echo), ("svc.pyecho", "pyecho", py)):
            answered(pub, sub, inbox, topic, event)  # the publisher knows the receiver's subscription now
            frames, ids = truncated_bundle(topic, event, inbox)
            heard = answered(pub, sub, inbox, topic, event, frames)
            assert not ids & set(heard), f"{topic}: an envelope of a truncated bundle was answered"
            assert "bad bundle" in proc.output(), proc.output()
            good = event_pair("rawtest", event, inbox, ["good"])
            heard = answered(pub, sub, inbox, topic, event, [topic.encode(), bundle([(b'{"v":1,"id":', b"[]"), good])])
            assert json.loads(good[0])["id"] in heard, f"{topic}: the good envelope beside a malformed one was dropped"
            assert "bad header" in proc.output(), proc.output()
            assert proc.popen.poll() is None
    finally:
        pub.close()
        sub.close()
        cluster.stop_all()
        plain.close()
