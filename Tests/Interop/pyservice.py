#!/usr/bin/env python3
"""pyecho: a Switchboard service written in Python from docs/bus-protocol.md alone.

It uses pyzmq and the standard library only, and proves that the protocol document is enough
to join the bus from another language.

It reads bundles (§3: a message of two frames holds several envelopes of one topic) and says
`"bundles": true` in its hello, unless the environment has PYSERVICE_BUNDLES=0: then it is a
service written to the text before bundles (its hello says nothing of them, a two-frame message
is malformed, and it writes none). It publishes what one receive round produced in order, and a
run of two or more envelopes of one topic whose every receiver said `bundles` as one bundle.
It prints what it received and wrote as "pyecho counts <json>" on SIGUSR1 and when it stops:
{"received": {"single", "bundles", "envelopes"}, "sent": {"single", "bundles", "envelopes"}}
(hellos it sent are not counted; "envelopes" are those inside bundles).

As a service (the default) it handles ("/", "pyecho"): the reply is an `ack` whose args are the
event's args reversed (when the event asked for an ack), then an `emit` of "pyecho:seen" with
the event's args to the sender's socket. It prints "pyecho ready" once it heard its own hello,
"handled <id>" when it does an event's work and "repeat <id>" when it answers a repeated id
from its dedup store.

    python3 pyservice.py                                # serve until SIGTERM
    python3 pyservice.py --call SERVICE EVENT ARGS_JSON # also send one event, print "REPLY <body>"

With --call it becomes ready, waits for a ready hello of SERVICE announcing ("/", EVENT), sends
the event (ack true, sid "py-sid-1", replyTo inbox.<instance>) following the delivery rules,
prints the reply body as "REPLY <json>" and exits 0; exit 1 when no reply came in time.
"""
import json
import os
import signal
import struct
import sys
import time
import uuid
from collections import OrderedDict

import zmq

SERVICE = "pyecho"
HANDLES = [("/", "pyecho")]
PROTOCOL_VERSION = 1
MESSAGE_TYPES = {"event", "reply", "emit", "hello", "life"}
PROBE_INTERVAL_MS = 100          # §9: probes every 100 ms until our own hello comes back
MISSED_HELLOS_BEFORE_GONE = 3    # §9
RETRY_INTERVAL_MS = 1000         # §11
MAX_AGE_MS = 10_000              # §11
MAX_PENDING = 10_000             # §11
BUNDLE_MAX_ENVELOPES = 256       # §3: what Swift puts into one bundle at most; we do the same
BUNDLE_MAX_BYTES = 64 * 1024     # §3
LENGTH = struct.Struct(">I")     # §3: each length is an unsigned 32-bit big-endian integer


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    return uuid.uuid4().hex[:24]


def dumps(value) -> bytes:
    """§4: compact, sorted keys, UTF-8."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def log(text: str) -> None:
    sys.stderr.write(f"pyecho: {text}\n")
    sys.stderr.flush()


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Malformed(Exception):
    pass


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def split_bundle(data: bytes):
    """§3: the (header, body) pairs of a bundle's frame 1, in order; raises Malformed (badBundle)
    unless it splits exactly into one or more whole entries."""
    pairs, offset = [], 0
    while offset < len(data):
        pair = []
        for part in ("header", "body"):
            if offset + LENGTH.size > len(data):
                raise Malformed(f"bad bundle: entry {len(pairs)} ends inside its {part} length")
            (length,) = LENGTH.unpack_from(data, offset)
            offset += LENGTH.size
            if offset + length > len(data):
                raise Malformed(f"bad bundle: entry {len(pairs)}'s {part} is cut short")
            pair.append(data[offset:offset + length])
            offset += length
        pairs.append(pair)
    if not pairs:
        raise Malformed("bad bundle: no entry")
    return pairs


def bundle(envelopes) -> bytes:
    """§3: frame 1 of a bundle of these [topic, header, body] envelopes."""
    return b"".join(LENGTH.pack(len(part)) + part for frames in envelopes for part in frames[1:3])


def decode(frames):
    """§14: the checks of one envelope [topic, header, body, attachments...], in order, after its
    frame count was checked (unpack); returns (topic, header, body, attachments) or raises Malformed."""
    try:
        topic = frames[0].decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("bad topic: not UTF-8")
    if not topic:
        raise Malformed("bad topic: empty")
    try:
        header = json.loads(frames[1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Malformed(f"bad header: {error}")
    if not isinstance(header, dict):
        raise Malformed("bad header: not an object")
    version = header.get("v")
    if is_int(version) and version != PROTOCOL_VERSION:
        raise Malformed(f"unsupported protocol version {version}")
    if not is_int(version):
        raise Malformed("bad header: v missing or not an integer")
    for field in ("id", "type", "from"):
        if not isinstance(header.get(field), str):
            raise Malformed(f"bad header: {field} missing or not a string")
    if header["type"] not in MESSAGE_TYPES:
        raise Malformed(f"bad header: unknown type {header['type']}")
    if not is_int(header.get("ts")):
        raise Malformed("bad header: ts missing or not an integer")
    for field in ("re", "traceparent", "ns", "event", "sid", "edge", "ip", "replyTo", "error"):
        if header.get(field) is not None and not isinstance(header[field], str):
            raise Malformed(f"bad header: {field} is not a string")
    if header.get("ack") is not None and not isinstance(header["ack"], bool):
        raise Malformed("bad header: ack is not a boolean")
    user = header.get("user")
    if user is not None:
        if not isinstance(user, dict) or not (isinstance(user.get("id"), str) or is_int(user.get("id"))):
            raise Malformed("bad header: user is not an identity")
        user["id"] = str(user["id"])
    try:
        body = json.loads(frames[2].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Malformed(f"bad body: {error}")
    return topic, header, body, frames[3:]


def reaches_beyond(instruction, sid) -> bool:
    """§12 "Where a reply goes": may carrying this out concern a socket other than `sid`?"""
    op = instruction.get("op")
    if op == "emit":
        to = instruction.get("to") or {}
        return bool(to.get("all") or to.get("rooms") or to.get("users")) or any(s != sid for s in to.get("sids") or [])
    if op in ("join", "leave", "disconnect"):
        return bool(instruction.get("users")) or any(s != sid for s in instruction.get("sids") or [])
    return False  # ack, accept, reject: the asking edge's alone


def reply_topic(header, instructions) -> str:
    """§12 "Where a reply goes": the event's replyTo (absent: "edge"); but the reply to an
    edge's event (replyTo is "edge.<its edge>") that reaches beyond the event's socket goes to
    "edge", where every edge carries it out."""
    reply_to = header.get("replyTo")
    if not reply_to:
        return "edge"
    edge = header.get("edge")
    if edge and reply_to == f"edge.{edge}" and any(reaches_beyond(i, header.get("sid")) for i in instructions):
        return "edge"
    return reply_to


def valid_hello(body) -> bool:
    """§9: all seven members are required."""
    return (isinstance(body, dict)
            and isinstance(body.get("service"), str) and isinstance(body.get("instance"), str)
            and is_int(body.get("started")) and isinstance(body.get("ready"), bool)
            and isinstance(body.get("handles"), list) and isinstance(body.get("life"), list)
            and is_int(body.get("interval")))


class PyEcho:
    def __init__(self, env, call=None):
        self.instance = env.get("SERVICE_INSTANCE") or f"{SERVICE}-{uuid.uuid4().hex[:6]}"
        self.interval = int(env.get("HELLO_INTERVAL_MS") or 1000)
        self.dedup_capacity = max(1, int(env.get("DEDUP_CAPACITY") or 100_000))
        self.started = now_ms()
        self.ready = False
        self.stopping = False
        self.call = call          # (service, event, args) or None
        self.call_sent = False
        self.call_deadline = None
        self.exit_code = 0
        self.dedup = OrderedDict()  # event id -> (body bytes, error or None)
        self.instances = {}         # instance id -> (hello body, last heard ms)
        self.routes = {}            # (ns, event) -> service
        self.pending = {}           # event id -> dict(frames, service, first, last, attempts)
        self.bundles = env.get("PYSERVICE_BUNDLES") != "0"  # §3: we read (and write) bundles
        self.outgoing = []          # what this round published, in order, until flush()
        self.counts = {"received": {"single": 0, "bundles": 0, "envelopes": 0},
                       "sent": {"single": 0, "bundles": 0, "envelopes": 0}}
        self.report_due = False

        self.context = zmq.Context()
        self.pub = self.context.socket(zmq.PUB)
        self.sub = self.context.socket(zmq.SUB)
        for sock in (self.pub, self.sub):  # §16, before connecting
            sock.setsockopt(zmq.LINGER, 1000)
            sock.setsockopt(zmq.SNDHWM, 1_000_000)
            sock.setsockopt(zmq.RCVHWM, 1_000_000)
            sock.setsockopt(zmq.RECONNECT_IVL, 100)
            sock.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
            sock.setsockopt(zmq.TCP_KEEPALIVE, 1)
            sock.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 30)
            sock.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 10)
            sock.setsockopt(zmq.TCP_KEEPALIVE_CNT, 3)
        self.sub.setsockopt(zmq.LINGER, 0)
        key_file = env.get("BUS_KEY") or os.path.join(env.get("SWITCHBOARD_DATA") or "data", "keys", "pyservice.key")
        if os.path.exists(key_file):  # §16: CURVE keys, before connecting
            keys = dict(line.split(" ", 1) for line in open(key_file).read().splitlines()
                        if line and not line.startswith("#"))
            for sock in (self.pub, self.sub):
                sock.curve_publickey = keys["public"].encode()
                sock.curve_secretkey = keys["secret"].encode()
                sock.curve_serverkey = keys["server"].encode()
        self.pub.connect(env.get("BUS_PUBLISH") or "tcp://127.0.0.1:5550")
        self.sub.connect(env.get("BUS_SUBSCRIBE") or "tcp://127.0.0.1:5551")
        # §9 step 1: every subscription before the first probe, hello last.
        self.inbox = f"inbox.{self.instance}"
        self.wanted = [f"svc.{SERVICE}", self.inbox, "hello"]
        for topic in self.wanted:
            self.sub.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))

    # --- sending ------------------------------------------------------------------------------

    def header(self, type_, **fields):
        header = {"v": PROTOCOL_VERSION, "id": new_id(), "type": type_, "from": self.instance, "ts": now_ms()}
        header.update({key: value for key, value in fields.items() if value is not None})
        return header

    def send(self, frames):
        """Queues a message; flush() publishes the round's messages together."""
        self.outgoing.append(frames)

    def flush(self):
        """Publishes what this round queued, in order (§3): a run of two or more consecutive
        envelopes of one topic that may be bundled goes out as bundles, everything else alone."""
        queued, self.outgoing = self.outgoing, []
        start = 0
        while start < len(queued):
            end = start + 1
            if self.bundles and len(queued[start]) == 3 and self.may_bundle(queued[start][0].decode("utf-8")):
                size = len(bundle(queued[start:end]))
                while (end < len(queued) and end - start < BUNDLE_MAX_ENVELOPES and len(queued[end]) == 3
                       and queued[end][0] == queued[start][0]):
                    size += 2 * LENGTH.size + len(queued[end][1]) + len(queued[end][2])
                    if size > BUNDLE_MAX_BYTES:
                        break
                    end += 1
            if end - start >= 2:
                self.publish_frames([queued[start][0], bundle(queued[start:end])])
                self.counts["sent"]["bundles"] += 1
                self.counts["sent"]["envelopes"] += end - start
            else:
                self.publish_frames(queued[start])
                if queued[start][0] != b"hello":
                    self.counts["sent"]["single"] += 1
            start = end

    def may_bundle(self, topic) -> bool:
        """§3 "Who may receive one": every live receiver of `topic` said `"bundles": true` in its
        hello, and there is at least one."""
        kind, _, name = topic.partition(".")
        hellos = [hello for hello, _ in self.instances.values()]
        if topic == "edge":
            receivers = [hello for hello in hellos if hello["service"] == "edge"]
        elif kind == "svc" and name:
            receivers = [hello for hello in hellos if hello["service"] == name]
        elif kind in ("edge", "inbox") and name:
            receivers = [hello for hello in hellos if hello["instance"] == name]
        else:
            return False  # hello is never bundled; we publish nothing else
        return bool(receivers) and all(hello.get("bundles") is True for hello in receivers)

    def publish_frames(self, frames):
        try:
            self.pub.send_multipart(frames, flags=zmq.DONTWAIT)
        except zmq.Again:
            log("publish dropped at the high-water mark")

    def report(self):
        say(f"{SERVICE} counts " + dumps(self.counts).decode("utf-8"))

    def publish(self, topic, header, body_bytes):
        self.send([topic.encode("utf-8"), dumps(header), body_bytes])

    def say_hello(self):
        body = {
            "service": SERVICE, "instance": self.instance, "started": self.started, "ready": self.ready,
            "handles": [{"ns": ns, "event": event} for ns, event in HANDLES],
            "life": [], "interval": self.interval,
        }
        if self.bundles:
            body["bundles"] = True  # §9: we read bundles
        self.publish("hello", self.header("hello"), dumps(body))

    # --- receiving ----------------------------------------------------------------------------

    def unpack(self, frames):
        """§3 and §14: the envelopes of one bus message, each as [topic, header, body, ...]; a
        bundle's frame 1 that does not split into whole entries raises Malformed."""
        if len(frames) == 2:
            self.counts["received"]["bundles"] += 1
            if not self.bundles:  # the text before bundles: at least three frames
                raise Malformed("missing frames: got 2, need at least 3")
            pairs = split_bundle(frames[1])
            self.counts["received"]["envelopes"] += len(pairs)
            return [[frames[0], header, body] for header, body in pairs]
        if len(frames) < 3:
            raise Malformed(f"missing frames: got {len(frames)}, need at least 3")
        self.counts["received"]["single"] += 1
        return [frames]

    def on_message(self, topic, header, body):
        kind = header["type"]
        if topic == "hello" and kind == "hello":
            self.on_hello(header, body)
        elif topic == f"svc.{SERVICE}" and kind == "event":
            self.on_event(header, body)
        elif topic == self.inbox and kind == "reply":
            self.on_reply(header, body)

    def on_hello(self, header, body):
        if header["from"] == self.instance:
            if not self.ready:
                self.ready = True
                say(f"{SERVICE} ready")
                self.say_hello()
                self.next_hello = now_ms() + self.interval
            return
        if not valid_hello(body) or not body["ready"]:
            return  # §9: probing instances are not routable yet
        known = body["instance"] in self.instances
        self.instances[body["instance"]] = (body, now_ms())
        for route in body["handles"]:
            if isinstance(route, dict) and isinstance(route.get("ns"), str) and isinstance(route.get("event"), str):
                self.routes[(route["ns"], route["event"])] = body["service"]
        if not known:  # §11 "new instance": publish again what waits for this service
            for entry in self.pending.values():
                if entry["service"] == body["service"]:
                    entry["last"] = now_ms()
                    entry["attempts"] += 1
                    self.send(entry["frames"])

    def on_event(self, header, body):
        event_id = header["id"]
        stored = self.dedup.get(event_id)
        if stored is not None:
            say(f"repeat {event_id}")
        else:
            stored = self.handle(header, body)
            say(f"handled {event_id}")
            self.dedup[event_id] = stored
            while len(self.dedup) > self.dedup_capacity:
                self.dedup.popitem(last=False)
        reply_body, error = stored
        reply_header = self.header(
            "reply", re=event_id, traceparent=header.get("traceparent"), ns=header.get("ns"),
            event=header.get("event"), sid=header.get("sid"), edge=header.get("edge"), error=error)
        self.publish(reply_topic(header, json.loads(reply_body)), reply_header, reply_body)

    def handle(self, header, args):
        """§12 steps 2-4: returns (body bytes, error or None)."""
        ns = header.get("ns") or "/"
        if (ns, header.get("event")) not in HANDLES:
            return b"[]", "UNKNOWN_EVENT"
        if not isinstance(args, list):
            return b"[]", "BAD_REQUEST"
        try:
            instructions = []
            sid = header.get("sid")
            if header.get("ack") and sid:
                instructions.append({"op": "ack", "sid": sid, "args": list(reversed(args))})
            if sid:
                instructions.append({"op": "emit", "ns": ns, "event": "pyecho:seen", "args": args,
                                     "to": {"sids": [sid]}})
            return dumps(instructions), None
        except Exception as error:  # noqa: BLE001 - a handler failure is a reply, not a crash
            log(f"handler failed: {error}")
            return b"[]", "INTERNAL_ERROR"

    def on_reply(self, header, body):
        entry = self.pending.pop(header.get("re"), None)
        if entry is None:
            return  # §11: a reply nobody waits for (a second copy) is ignored
        if header.get("error"):
            log(f"reply error {header['error']}")
        say("REPLY " + dumps(body).decode("utf-8"))
        self.stopping = True

    # --- the clock ----------------------------------------------------------------------------

    def tick(self, now):
        for instance, (hello, last) in list(self.instances.items()):
            if now - last > hello["interval"] * MISSED_HELLOS_BEFORE_GONE:
                del self.instances[instance]
        if self.call is None or not self.ready:
            return
        service, event, args = self.call
        if not self.call_sent:
            if self.call_deadline is None:
                self.call_deadline = now + MAX_AGE_MS
            if self.routes.get(("/", event)) == service:
                self.send_call(service, event, args, now)
            elif now >= self.call_deadline:
                log(f"no ready instance of {service} announced / {event}")
                self.exit_code = 1
                self.stopping = True
            return
        for event_id, entry in list(self.pending.items()):
            if now - entry["first"] >= MAX_AGE_MS:
                del self.pending[event_id]
                log(f"SERVICE_UNAVAILABLE: no reply to {event_id} after {entry['attempts']} attempts")
                self.exit_code = 1
                self.stopping = True
            elif now - entry["last"] >= RETRY_INTERVAL_MS:
                entry["last"] = now
                entry["attempts"] += 1
                self.send(entry["frames"])

    def send_call(self, service, event, args, now):
        if len(self.pending) >= MAX_PENDING:
            log("OVERLOADED")
            self.exit_code = 1
            self.stopping = True
            return
        header = self.header("event", ns="/", event=event, sid="py-sid-1", ack=True, replyTo=self.inbox)
        frames = [f"svc.{service}".encode("utf-8"), dumps(header), dumps(args)]
        self.pending[header["id"]] = {"frames": frames, "service": service, "first": now, "last": now,
                                      "attempts": 1}
        self.call_sent = True
        self.send(frames)

    # --- the loop -----------------------------------------------------------------------------

    def receive_round(self):
        """Handles every message waiting (at most 1024), in order; their replies are queued."""
        for _ in range(1024):
            try:
                frames = self.sub.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                envelopes = self.unpack(frames)
            except Malformed as error:
                log(f"dropped a malformed bus message: {error}")
                continue
            for envelope in envelopes:
                try:
                    topic, header, body, _attachments = decode(envelope)
                except Malformed as error:
                    log(f"dropped a malformed bus message: {error}")  # §3: alone, not its bundle
                    continue
                if topic not in self.wanted:
                    continue  # §5: subscriptions are prefixes, we want exact topics
                self.on_message(topic, header, body)
                if self.stopping:
                    return

    def run(self):
        self.next_hello = now_ms()
        while not self.stopping:
            now = now_ms()
            if now >= self.next_hello:
                self.say_hello()
                self.next_hello = now + (self.interval if self.ready else PROBE_INTERVAL_MS)
            self.tick(now)
            if self.stopping:
                break
            timeout = max(0, min(self.next_hello - now_ms(), 50))
            if self.sub.poll(timeout, zmq.POLLIN):
                self.receive_round()
            self.flush()
            if self.report_due:
                self.report_due = False
                self.report()
        self.flush()
        self.report()
        if self.call is not None and self.call_sent and self.pending and self.exit_code == 0:
            self.exit_code = 1  # stopped by a signal before the reply came
        self.sub.close()
        self.pub.close()  # linger 1000 ms: the last replies still go out
        self.context.term()
        return self.exit_code


def main(argv):
    call = None
    if len(argv) >= 1 and argv[0] == "--call":
        if len(argv) != 4:
            sys.stderr.write("usage: pyservice.py [--call SERVICE EVENT ARGS_JSON]\n")
            return 2
        args = json.loads(argv[3])
        if not isinstance(args, list):
            sys.stderr.write("ARGS_JSON must be a JSON array\n")
            return 2
        call = (argv[1], argv[2], args)
    service = PyEcho(os.environ, call=call)

    def stop(_signum, _frame):
        service.stopping = True

    def report(_signum, _frame):
        service.report_due = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, report)
    return service.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
