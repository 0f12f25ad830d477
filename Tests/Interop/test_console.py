"""The console in a browser (issue 16): the whole system under supervisord as deploy/run starts
it, the page opened with its token in headless Chromium, the five services seen ready, a
Socket.IO event and its reply in the live table with their latency, its socket found by the
lookup, a test event sent from the page, the table filtered by event name, presence restarted
from the page (red, then back); without the token, 401. A socket connected before the console
started is in its lookup too."""
import os
import time

import requests
import socketio
from selenium.webdriver.common.by import By

from conftest import free_port
from console_helpers import System, browser, service_rows, wait_until
from edge_helpers import start_edge

SERVICES = {"edge", "presence", "notification", "call", "chat"}


def test_console_shows_and_steers_the_running_system(cluster, tmp_path):
    system = System(cluster, tmp_path)
    driver = None
    client = socketio.Client(reconnection=False)
    try:
        token = system.token()
        assert system.wait_http().status_code == 401
        assert requests.get(system.url + "events", timeout=5).status_code == 401
        assert requests.get(system.url + "api/state", params={"token": "wrong"}, timeout=5).status_code == 401
        assert requests.get(system.url + "api/state", headers={"Authorization": f"Bearer {token}"},
                            timeout=5).status_code == 200

        driver = browser()
        driver.get(f"{system.url}?token={token}")
        wait_until(lambda: SERVICES <= {s for s, _, cls, ready in service_rows(driver)
                                        if "alive" in cls and ready == "yes"},
                   what="the five services ready")

        # A Socket.IO event and its reply, in the live table within 2 s, with the latency.
        wait_until(lambda: _connect(client, system.edge_url), what="a Socket.IO connection to the edge")
        assert client.call("user:getRoom", {"userId": 0}, timeout=10) == {"roomId": None}
        answered = time.monotonic()
        row = wait_until(lambda: _event_row(driver, "user:getRoom", answered=True), timeout=2.0,
                         what="user:getRoom and its reply in the live table")
        assert "ms" in row.find_element(By.CSS_SELECTOR, "td.latency").text
        assert time.monotonic() - answered < 2.0
        row.click()
        detail = driver.find_element(By.ID, "detail").text
        assert '"event": "user:getRoom"' in detail and "reply after" in detail

        # The socket, found by the lookup (from the edge's life facts).
        driver.find_element(By.CSS_SELECTOR, "#lookup button").click()
        sid = client.get_sid("/")
        wait_until(lambda: sid in driver.find_element(By.ID, "lookup-result").text, what="the socket in the lookup")

        # A test event sent from the page, answered by presence.
        driver.find_element(By.ID, "send-event").send_keys("user:getRoom")
        driver.find_element(By.ID, "send-args").clear()
        driver.find_element(By.ID, "send-args").send_keys('[{"userId": 0}]')
        driver.find_element(By.CSS_SELECTOR, "#send button").click()
        wait_until(lambda: '"ok": true' in driver.find_element(By.ID, "send-result").text
                   and '"roomId": null' in driver.find_element(By.ID, "send-result").text,
                   what="the test event's reply")

        # Filtered by event name: only that event's lines (and their replies) remain.
        driver.find_element(By.ID, "filter-event").send_keys("user:getRoom")
        driver.find_element(By.ID, "apply-filter").click()
        client.call("user:getRoom", {"userId": 1}, timeout=10)
        other = socketio.Client(reconnection=False)
        other.connect(system.edge_url, transports=["websocket"], wait_timeout=10)
        other.disconnect()
        wait_until(lambda: _event_row(driver, "user:getRoom", answered=True), what="the filtered table")
        time.sleep(1.0)
        events = {r.get_attribute("data-event") for r in driver.find_elements(By.CSS_SELECTOR, "#trace tbody tr")}
        assert events == {"user:getRoom"}, events

        # Restart presence from the page: its instance turns red, a new one comes back ready.
        old = [i for s, i, cls, _ in service_rows(driver) if s == "presence" and "alive" in cls]
        assert len(old) == 1
        wait_until(lambda: driver.find_element(By.CSS_SELECTOR, 'button.restart[data-process="presence"]'),
                   what="presence's restart button").click()
        wait_until(lambda: any(s == "presence" and i == old[0] and "dead" in cls
                               for s, i, cls, _ in service_rows(driver)), what="the old presence turning red")
        wait_until(lambda: any(s == "presence" and i != old[0] and "alive" in cls and ready == "yes"
                               for s, i, cls, ready in service_rows(driver)), what="a new presence ready")
        wait_until(lambda: "presence restarted" in driver.find_element(By.ID, "restart-note").text,
                   what="the page saying presence restarted")
        if os.environ.get("CONSOLE_SCREENSHOT"):  # docs/console.png
            driver.set_window_size(1400, 2000)
            driver.find_element(By.ID, "filter-event").clear()
            driver.find_element(By.ID, "apply-filter").click()
            time.sleep(3)
            driver.save_screenshot(os.environ["CONSOLE_SCREENSHOT"])
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- supervisord output ---\n{system.output()}") from error
    finally:
        if client.connected:
            client.disconnect()
        if driver is not None:
            driver.quit()
        system.stop()


def _connect(client, url):
    client.connect(url, transports=["websocket"], wait_timeout=10)
    return client.connected


def _event_row(driver, event, answered):
    for row in driver.find_elements(By.CSS_SELECTOR, f'#trace tbody tr[data-type="event"][data-event="{event}"]'):
        if not answered or row.find_elements(By.CSS_SELECTOR, "td.latency"):
            return row
    return None


def test_without_supervisord_restarting_is_disabled_with_its_reason(cluster):
    """Run by hand (not under deploy/run's supervisord), the console says why it cannot restart
    a process and refuses the request; the token file is owner-only and kept across a restart."""
    cluster.start_bus()
    port = free_port()
    console = cluster.start("console", extra_env={"CONSOLE_PORT": str(port)})
    console.wait_for_log("console listening")
    token = (cluster.data / "console.token").read_text().strip()
    assert f"console token: {token}" in console.output()
    auth = {"Authorization": f"Bearer {token}"}
    state = requests.get(f"http://127.0.0.1:{port}/api/state", headers=auth, timeout=5).json()
    assert state["steer"]["enabled"] is False and "deploy/run" in state["steer"]["reason"]
    refused = requests.post(f"http://127.0.0.1:{port}/api/restart", params={"process": "chat"}, headers=auth,
                            timeout=5)
    assert refused.status_code == 409 and "deploy/run" in refused.json()["error"]
    console.stop()
    again = cluster.start("console", name="console-again", extra_env={"CONSOLE_PORT": str(port)})
    again.wait_for_log("console listening")
    assert "console token" not in again.output(), "the token is printed once, on the start that made it"
    assert (cluster.data / "console.token").read_text().strip() == token


def test_sockets_connected_before_the_console_started_are_in_its_lookup(cluster):
    """The console asks each edge it hears for a snapshot, so a socket that connected before it
    started is found by the lookup without waiting for some other process's resync."""
    cluster.start_bus()
    edge = start_edge(cluster)
    client = socketio.Client(reconnection=False)
    try:
        wait_until(lambda: _connect(client, edge.url), what="a Socket.IO connection to the edge")
        sid = client.get_sid("/")
        port = free_port()
        console = cluster.start("console", extra_env={"CONSOLE_PORT": str(port)})
        console.wait_for_log("console listening")
        token = (cluster.data / "console.token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}

        def found():
            sockets = requests.get(f"http://127.0.0.1:{port}/api/lookup", headers=auth, timeout=5).json()["sockets"]
            return [s for s in sockets if s["sid"] == sid]

        (socket,) = wait_until(found, what="the earlier socket in the console's lookup")
        assert socket["ns"] == "/" and socket["edge"].startswith("edge-")
    finally:
        client.disconnect()
