"""Zizany (seed 001) through the real processes: bus, presence, chat (seeded with `switchboard
seed`), an edge with session-cookie auth, python-socketio clients. See docs/chat.md."""
import signal

import requests

from chat_helpers import cookie, settle, start, start_chat, seed, zizany


def joined(client, channel=10, server=1):
    assert client.call("server:join", {"serverId": server}) == ({"ok": True, "serverId": server},)
    assert client.call("channel:join", {"channelId": channel}) == ({"ok": True, "channelId": channel},)


def test_message_reaches_every_tab_of_every_member_in_the_seed_shape(cluster):
    edge, _ = start(cluster)
    with zizany(edge, 1) as amir, zizany(edge, 2) as sara_a, zizany(edge, 2) as sara_b:
        for client in (amir, sara_a, sara_b):
            joined(client)
        assert amir.wait_event("server:joined")[0] == ({"serverId": 1},)
        assert amir.wait_event("channel:joined")[0] == ({"channelId": 10},)
        amir.sio.emit("message:create", {"channelId": 10, "content": "Hello"})
        for client in (amir, sara_a, sara_b):
            (message,), = client.wait_event("message:new")
            assert set(message) == {"id", "channel_id", "content", "created_at", "updated_at", "user"}
            assert message["channel_id"] == 10 and message["content"] == "Hello"
            assert message["user"] == {"id": 1, "username": "Amir"}
            assert message["created_at"] == message["updated_at"]
            assert len(message["created_at"]) == 24 and message["created_at"].endswith("Z")
            assert isinstance(message["id"], int)


def test_typing_excludes_the_sender_and_reaches_the_others(cluster):
    edge, _ = start(cluster)
    with zizany(edge, 1) as amir, zizany(edge, 2) as sara:
        joined(amir)
        joined(sara)
        assert sara.call("typing:start", {"channelId": 10}) == ({"ok": True},)
        assert amir.wait_event("typing:update")[0] == (
            {"channelId": 10, "userId": 2, "username": "Sara", "isTyping": True},)
        sara.sio.emit("typing:stop", {"channelId": 10})
        assert amir.wait_event("typing:update", count=2)[1][0]["isTyping"] is False
        settle()
        assert sara.received("typing:update") == []


def test_forbidden_and_missing_channels(cluster):
    edge, _ = start(cluster)
    with zizany(edge, 3) as omar, zizany(edge, 1) as amir:
        joined(amir)
        omar.sio.emit("server:join", {"serverId": 1})
        assert omar.wait_event("error:permission")[0] == ({"code": "E_FORBIDDEN"},)
        omar.sio.emit("channel:join", {"channelId": 10})
        omar.sio.emit("channel:join", {"channelId": 999})
        assert omar.wait_event("error:not_found")[0] == ({"code": "E_CHANNEL_NOT_FOUND"},)
        assert omar.wait_event("error:permission", count=2)[1] == ({"code": "E_FORBIDDEN"},)
        # A non-member writing to a channel is refused, and nothing reaches the members.
        omar.sio.emit("message:create", {"channelId": 10, "content": "let me in"})
        assert omar.wait_event("error:permission", count=3)[2] == ({"code": "E_FORBIDDEN"},)
        omar.sio.emit("message:create", {"channelId": 999, "content": "anyone?"})
        assert omar.wait_event("error:not_found", count=2)[1] == ({"code": "E_CHANNEL_NOT_FOUND"},)
        settle()
        assert amir.received("message:new") == []
        # Messages of server 1 never reach Omar.
        amir.sio.emit("message:create", {"channelId": 10, "content": "members only"})
        amir.wait_event("message:new")
        settle()
        assert omar.received("message:new") == []


def test_wrong_payload_types_get_the_contract_error_and_nothing_crashes(cluster):
    edge, chat = start(cluster)
    with zizany(edge, 1) as amir:
        bad = [("server:join", {"serverId": {"nested": 1}}), ("server:join", "1"), ("channel:join", [10]),
               ("channel:join", None), ("message:create", {"channelId": 10, "content": ""}),
               ("message:create", {"channelId": 10, "content": 42}), ("message:create", {"channelId": "ten"}),
               ("typing:start", 7)]
        for event, payload in bad:
            amir.sio.emit(event, payload)
        assert len(amir.wait_event("error:validation", count=len(bad))) == len(bad)
        assert all(args == ({"code": "E_VALIDATION"},) for args in amir.received("error:validation"))
        joined(amir)
        amir.sio.emit("message:create", {"channelId": 10, "content": "still alive"})
        assert amir.wait_event("message:new")[0][0]["content"] == "still alive"
    assert chat.popen.poll() is None


def test_presence_update_on_server_join(cluster):
    edge, _ = start(cluster)
    with zizany(edge, 1) as amir, zizany(edge, 2) as sara:
        joined(amir)
        joined(sara)
        updates = [args[0] for args in amir.wait_event("presence:update", count=2)]
        assert updates[-1] == {"serverId": 1, "onlineUserIds": [1, 2]}


def test_member_joined_and_left_follow_seeded_memberships(cluster):
    edge, _ = start(cluster)
    with zizany(edge, 1) as amir, zizany(edge, 3) as omar:
        joined(amir)
        assert seed(cluster, {"memberships": [{"serverId": 1, "userId": 3}]}).returncode == 0
        assert amir.wait_event("server:member_joined")[0] == ({"serverId": 1, "userId": 3, "username": "Omar"},)
        joined(omar)
        amir.sio.emit("message:create", {"channelId": 10, "content": "welcome"})
        omar.wait_event("message:new")
        assert seed(cluster, {"memberships": [{"serverId": 1, "userId": 3, "removed": True}]}).returncode == 0
        assert amir.wait_event("server:member_left")[0] == ({"serverId": 1, "userId": 3, "username": "Omar"},)
        # Omar's socket left the server's rooms: the next message does not reach him.
        amir.sio.emit("message:create", {"channelId": 10, "content": "after he left"})
        amir.wait_event("message:new", count=2)
        settle()
        assert [args[0]["content"] for args in omar.received("message:new")] == ["welcome"]
        assert omar.received("server:member_left") == []


def test_history_over_http_survives_a_restart_of_chat(cluster):
    edge, chat = start(cluster)
    with zizany(edge, 1) as amir:
        joined(amir)
        for text in ("one", "two", "three"):
            amir.sio.emit("message:create", {"channelId": 10, "content": text})
        amir.wait_event("message:new", count=3)
    chat.signal(signal.SIGKILL)
    chat.popen.wait(timeout=10)
    start_chat(cluster, name="chat-again")
    url = f"{edge.url}/api/channels/10/messages"
    page = requests.get(url, params={"limit": "2"}, headers={"Cookie": cookie(2)}, timeout=20)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [m["content"] for m in body["messages"]] == ["two", "three"] and body["hasMore"] is True
    older = requests.get(url, params={"before": str(body["messages"][0]["id"])}, headers={"Cookie": cookie(2)},
                         timeout=20).json()
    assert [m["content"] for m in older["messages"]] == ["one"]
    assert older["messages"][0]["user"] == {"id": 1, "username": "Amir"}
    assert requests.get(url, headers={"Cookie": cookie(3)}, timeout=20).status_code == 403
    assert requests.get(url, timeout=20).status_code == 401
    missing = requests.get(f"{edge.url}/api/channels/999/messages", headers={"Cookie": cookie(1)}, timeout=20)
    assert (missing.status_code, missing.json()) == (404, {"code": "E_CHANNEL_NOT_FOUND"})
