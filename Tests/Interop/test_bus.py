"""The spine through real processes: bus, echo service (SQLite), the switchboard CLI."""
import sqlite3
import time

from conftest import json_lines


def effects(cluster):
    path = cluster.data / "echo.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT event_id, key FROM effects").fetchall()
        except sqlite3.OperationalError:
            return []


def results_of(text):
    lines = json_lines(text)
    return [l for l in lines if "i" in l], [l for l in lines if "summary" in l]


def test_event_and_reply_between_two_processes_through_the_bus(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    out = cluster.switchboard("send", "echo", '["hi", {"n": 1}]', "--json", check=True)
    results, _ = results_of(out.stdout)
    assert len(results) == 1 and results[0]["ok"] is True
    ops = [i["op"] for i in results[0]["body"]]
    assert ops == ["ack", "emit"]
    assert results[0]["body"][0]["args"] == ["hi", {"n": 1}]


def test_unannounced_event_is_refused_at_once(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    out = cluster.switchboard("send", "no-such-event", "--json", "--wait-ms", "300")
    assert out.returncode == 2
    results, _ = results_of(out.stdout)
    assert results[0]["error"] == "UNKNOWN_EVENT"


def test_handler_failure_is_a_clear_error_and_the_service_keeps_serving(cluster):
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    out = cluster.switchboard("send", "fail", "--json")
    assert results_of(out.stdout)[0][0]["error"] == "INTERNAL_ERROR"
    assert echo.output().count("handler failed") == 1
    again = cluster.switchboard("send", "echo", '["still here"]', "--json", check=True)
    assert results_of(again.stdout)[0][0]["ok"] is True


def test_kill9_and_restart_during_1000_events_gives_exactly_one_effect_each(cluster):
    cluster.start_bus()
    delay = {"ECHO_DELAY_MS": "3"}
    echo = cluster.start_service("echo-service", extra_env=delay)
    sender = cluster.switchboard_background(
        "send", "record", '[{"key": "k{{i}}"}]', "--count", "1000", "--in-flight", "64",
        "--retry-ms", "1000", "--timeout-ms", "120000", "--json", name="sender")
    deadline = time.time() + 60
    while len(effects(cluster)) < 250 and time.time() < deadline:
        time.sleep(0.05)
    assert len(effects(cluster)) >= 250, "the service never got going"
    echo.kill9()
    done_before_kill = len(effects(cluster))
    assert done_before_kill < 1000, "killed too late to prove anything"
    time.sleep(0.5)
    cluster.start_service("echo-service", name="echo-again", extra_env=delay)
    assert sender.popen.wait(timeout=180) == 0, sender.output()

    results, summary = results_of(sender.output())
    assert sorted(r["i"] for r in results) == list(range(1000))
    assert all(r["ok"] for r in results)
    assert summary[0]["summary"]["replied"] == 1000
    assert sorted(r["body"][0]["args"][0]["stored"] for r in results) == sorted(f"k{i}" for i in range(1000))
    rows = effects(cluster)
    assert len(rows) == 1000, f"{len(rows)} effects for 1000 events"
    assert len({event_id for event_id, _ in rows}) == 1000
    assert len({key for _, key in rows}) == 1000


def test_a_service_that_stays_down_fails_waiting_events_after_the_bound(cluster):
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    sender = cluster.switchboard_background(
        "send", "echo", '["x"]', "--count", "20", "--interval-ms", "100", "--retry-ms", "300",
        "--timeout-ms", "1500", "--json", name="sender")
    deadline = time.time() + 30
    while '"ok":true' not in sender.output() and time.time() < deadline:
        time.sleep(0.02)
    echo.kill9()
    assert sender.popen.wait(timeout=60) == 2
    results, summary = results_of(sender.output())
    assert len(results) == 20
    failed = [r for r in results if not r["ok"]]
    assert failed, "every event got a reply although the service was killed"
    for r in failed:
        assert r["error"] == "SERVICE_UNAVAILABLE"
        assert r["ms"] >= 1500
    assert summary[0]["summary"]["failed"] == {"SERVICE_UNAVAILABLE": len(failed)}


def test_the_bus_itself_restarts_and_everyone_reconnects(cluster):
    bus = cluster.start_bus()
    cluster.start_service("echo-service")
    cluster.switchboard("send", "echo", '["before"]', check=True)
    bus.kill9()
    cluster.start_bus()
    # Reconnection is libzmq's (100 ms, backing off to 2 s); the sender waits for a hello.
    out = cluster.switchboard("send", "echo", '["after"]', "--json", "--wait-ms", "10000", check=True)
    assert results_of(out.stdout)[0][0]["ok"] is True


def test_status_lists_ready_instances_and_what_they_handle(cluster):
    cluster.start_bus()
    cluster.start_service("echo-service")
    out = cluster.switchboard("status", "--json", "--wait", "2.5", check=True)
    instances = json_lines(out.stdout)
    echo = [i for i in instances if i["service"] == "echo"]
    assert len(echo) == 1 and echo[0]["ready"] is True
    assert {"ns": "/", "event": "record"} in echo[0]["handles"]
    assert echo[0]["uptimeMs"] >= 0


def test_sigterm_stops_a_service_gracefully(cluster):
    cluster.start_bus()
    echo = cluster.start_service("echo-service")
    assert echo.stop() == 0
    assert "stopped" in echo.output()
