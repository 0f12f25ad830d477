"""`switchboard trace`: every message of a run, filters, JSON lines, reply latency."""
import time

from conftest import json_lines


def start_trace(cluster, name, *filters):
    proc = cluster.switchboard_background("trace", "--json", "--duration", "8", *filters, name=name)
    return proc


def test_trace_shows_the_messages_of_a_run_with_filters(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    everything = start_trace(cluster, "trace-all")
    only_record = start_trace(cluster, "trace-record", "--event", "record")
    only_user = start_trace(cluster, "trace-user", "--user", "alice")
    only_room = start_trace(cluster, "trace-room", "--room", "lobby")
    with_hello = start_trace(cluster, "trace-hello", "--hello", "--topic", "hello")
    time.sleep(1.5)  # the traces' subscriptions reach the bus
    cluster.switchboard("send", "echo", '["one"]', check=True)
    cluster.switchboard("send", "record", '[{"key": "r1"}]', "--user", "alice", check=True)
    cluster.switchboard("send", "broadcast", '[{"room": "lobby", "event": "news", "args": [1]}]', check=True)
    for proc in (everything, only_record, only_user, only_room, with_hello):
        proc.popen.wait(timeout=30)

    lines = json_lines(everything.output())
    events = [l for l in lines if l["type"] == "event"]
    replies = [l for l in lines if l["type"] == "reply"]
    assert [e["event"] for e in events] == ["echo", "record", "broadcast"]
    assert len(replies) == 3
    for event, reply in zip(events, replies):
        assert reply["re"] == event["id"]
        assert reply["elapsedMs"] >= 0
        assert reply["topic"].startswith("inbox.switchboard-")
    assert replies[0]["ops"] == ["ack", "emit"]
    assert not [l for l in lines if l["type"] == "hello"], "hellos are shown only with --hello"

    record = json_lines(only_record.output())
    assert [(l["type"], l.get("event")) for l in record] == [("event", "record"), ("reply", "record")]
    assert record[0]["body"] == [{"key": "r1"}]
    assert record[0]["header"]["user"]["id"] == "alice"

    user = json_lines(only_user.output())
    assert [l["type"] for l in user] == ["event", "reply"] and user[0]["user"] == "alice"

    room = json_lines(only_room.output())
    # The event names the room in its arguments; its reply emits to the room.
    assert [(l["type"], l.get("event")) for l in room] == [("event", "broadcast"), ("reply", "broadcast")]
    assert room[1]["body"][0]["to"] == {"rooms": ["lobby"]}

    hellos = json_lines(with_hello.output())
    assert hellos and all(l["topic"] == "hello" for l in hellos)
    assert any(l["body"]["service"] == "echo" and l["body"]["ready"] for l in hellos)


def test_trace_text_lines_are_one_per_message(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    trace = cluster.switchboard_background("trace", "--duration", "5", name="trace-text")
    time.sleep(1.5)
    cluster.switchboard("send", "echo", '["text"]', check=True)
    trace.popen.wait(timeout=30)
    lines = [l for l in trace.output().splitlines() if "svc.echo" in l or "inbox." in l]
    assert len(lines) == 2
    assert "  event  echo  from=switchboard-" in lines[0]
    assert "  reply  ack,emit  from=echo-" in lines[1] and "ms" in lines[1]
