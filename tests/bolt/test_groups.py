"""WebSocket groups (``websocket.join``, ``api.broadcast``) across two ``runbolt``
processes sharing one Redis (standing in for two machines), in one process without a
backend, and through the TestClient. The project is ``groups_project``."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
import support
from groups import PROJECT, broadcast, command, member, next_json, next_message, serve, wait_until

from django_bolt import BoltAPI, WebSocket
from django_bolt.groups import as_message, checked_backend, checked_group
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def machines(redis_server):
    """Two server processes, each its own machine as far as groups know."""
    with serve(BOLT_TEST_REDIS=redis_server.url) as first:
        with serve(BOLT_TEST_REDIS=redis_server.url) as second:
            yield first, second


def test_a_broadcast_reaches_the_members_on_both_processes_and_no_one_else(machines):
    first, second = machines
    with (
        member(first, "room") as a,
        member(second, "room") as b,
        member(first, "other") as outsider_a,
        member(second, "other") as outsider_b,
    ):
        broadcast(first, "room", "hello from the first")
        assert next_message(a) == "hello from the first"
        assert next_message(b) == "hello from the first"
        broadcast(second, "room", "hello from the second")
        assert next_message(a) == "hello from the second"
        assert next_message(b) == "hello from the second"
        # The outsiders' next message is the one of their own group: the room's, sent
        # before it on the same channel order, never reached them.
        broadcast(first, "other", "for the others")
        assert next_message(outsider_a) == "for the others"
        assert next_message(outsider_b) == "for the others"


def test_text_bytes_and_json(machines):
    first, second = machines
    with member(first, "kinds") as a, member(second, "kinds") as b:
        broadcast(second, "kinds", "é text")
        broadcast(second, "kinds", "raw", binary=True)
        broadcast(second, "kinds", {"n": 1, "list": [1, "two"]})
        for ws in (a, b):
            assert next_message(ws) == "é text"
            assert next_message(ws) == b"raw"
            assert next_json(ws) == {"n": 1, "list": [1, "two"]}


def test_leave_and_close_end_membership_with_one_subscription_per_process(machines, redis_server):
    first, second = machines
    channel = "bolt:group:leaving"
    with member(first, "leaving", "stay") as a, member(second, "leaving", "stay") as b:
        with member(first, "leaving") as a2, member(second, "leaving") as b2:
            # Four sockets, two processes: one subscriber each.
            assert redis_server.command("PUBSUB", "NUMSUB", channel).split() == [channel, "2"]
            assert command(a, "leave leaving") == "ok leave leaving ['stay']"
            broadcast(second, "leaving", "after a left")
            assert next_message(b) == "after a left"
            assert next_message(a2) == "after a left"
            assert next_message(b2) == "after a left"
            broadcast(second, "stay", "a's next")
            assert next_message(a) == "a's next"
            assert next_message(b) == "a's next"
        # a2 and b2 closed: the first process has no member left, the second has b.
        assert wait_until(
            lambda: redis_server.command("PUBSUB", "NUMSUB", channel).split() == [channel, "1"]
        )
        broadcast(first, "leaving", "only b")
        assert next_message(b) == "only b"
    assert wait_until(
        lambda: redis_server.command("PUBSUB", "NUMSUB", channel).split() == [channel, "0"]
    )


def test_processes_of_one_server_share_the_groups(redis_server):
    """``--processes 2``: the kernel spreads the members over both processes."""
    with serve("--processes", "2", BOLT_TEST_REDIS=redis_server.url) as server:
        with contextlib.ExitStack() as stack:

            def subscribers() -> str:
                return redis_server.command("PUBSUB", "NUMSUB", "bolt:group:forked").split()[1]

            members = []
            while len(members) < 8 or (subscribers() != "2" and len(members) < 64):
                members.append(stack.enter_context(member(server, "forked")))
            assert subscribers() == "2"  # one subscription per process
            for n in range(3):
                broadcast(server, "forked", f"to all {n}")
                assert [next_message(ws) for ws in members] == [f"to all {n}"] * len(members)


def test_a_plain_django_view_and_a_management_command_broadcast(machines, redis_server):
    first, second = machines
    import httpx

    with member(first, "ops") as a, member(second, "ops") as b:
        response = httpx.post(f"{first.base_url}/django/broadcast/ops", content="from a view")
        assert response.status_code == 200, response.text
        assert next_message(a) == "from a view"
        assert next_message(b) == "from a view"
        code = "from django_bolt.groups import broadcast_sync; broadcast_sync('ops', [1, 2])"
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=PROJECT,
            env=support.subprocess_env((), BOLT_TEST_REDIS=redis_server.url),
            check=True,
            timeout=60,
        )
        assert next_json(a) == [1, 2]
        assert next_json(b) == [1, 2]


def test_a_slow_client_loses_messages_not_the_server_its_memory(tmp_path):
    """A member that stops reading: once the socket's buffers and its queue (4 here)
    are full, what does not fit is dropped and logged; the others get everything."""
    payload = "x" * 256 * 1024
    with serve(BOLT_TEST_QUEUE_SIZE="4") as server:
        with (
            member(server, "firehose", max_queue=1, max_size=None) as slow,
            member(server, "firehose", max_size=None) as fast,
        ):
            for n in range(100):
                broadcast(server, "firehose", f"{n}:{payload}")
                assert next_message(fast).startswith(f"{n}:")
            assert wait_until(lambda: "dropping what does not fit" in server.stderr())
            received = []
            with pytest.raises(TimeoutError):
                while True:
                    received.append(next_message(slow, timeout=2).partition(":")[0])
            assert 0 < len(received) < 100
            assert received == sorted(received, key=int)
            # The slow socket still works for what comes next.
            broadcast(server, "firehose", "caught up")
            assert next_message(slow) == "caught up"
        assert server.stderr().count("dropping what does not fit") == 1


def test_without_a_backend_groups_stay_in_the_process():
    with serve() as server:
        with member(server, "local") as a, member(server, "local") as b, member(server) as c:
            broadcast(server, "local", {"hi": True})
            assert next_json(a) == {"hi": True}
            assert next_json(b) == {"hi": True}
            command(c, "join local")
            broadcast(server, "local", "three")
            assert [next_message(ws) for ws in (a, b, c)] == ["three"] * 3


def test_the_test_client_with_the_redis_backend(machines, redis_server):
    """A TestClient's members and a server's share the groups; a second TestClient (a
    new event loop) gets a subscription of its own."""
    api = make_api(groups_backend=redis_server.url)
    for attempt in range(2):
        with TestClient(api) as client, client.websocket_connect("/ws/mixed") as ws:
            assert ws.receive_json() == ["mixed"]
            with member(machines[0], "mixed") as a:
                broadcast(machines[0], "mixed", f"from a server {attempt}")
                assert ws.receive_text() == f"from a server {attempt}"
                assert next_message(a) == f"from a server {attempt}"
                ws.send_text(f"from the test client {attempt}")
                assert ws.receive_text() == f"from the test client {attempt}"
                assert next_message(a) == f"from the test client {attempt}"


def test_redis_outage_then_broadcasts_resume(machines, redis_server):
    """Redis killed: each process still reaches its own members; back: broadcasts
    cross processes again, the subscription having reconnected by itself. The
    outage is logged once per process and kind."""
    first, second = machines
    with member(first, "outage") as a, member(second, "outage") as b:
        broadcast(first, "outage", "before")
        assert next_message(a) == "before"
        assert next_message(b) == "before"
        redis_server.stop()
        try:
            for n in range(3):
                broadcast(first, "outage", f"during {n}")
                assert next_message(a) == f"during {n}"
            with member(second, "outage") as joined_during:
                command(joined_during, "groups")
        finally:
            redis_server.start()

        def crossed(sender, own_member, other_member) -> bool:
            broadcast(sender, "outage", "after")
            assert next_message(own_member) == "after"
            try:
                return next_message(other_member, timeout=0.3) == "after"
            except TimeoutError:
                return False

        # Each process resubscribes on its own back-off, up to 2 s apart: a message
        # published before the receiving process is subscribed again is gone (Redis
        # pub/sub keeps nothing), so each direction is waited for on its own.
        assert wait_until(lambda: crossed(first, a, b), timeout=20)
        assert wait_until(lambda: crossed(second, b, a), timeout=20)
    for server in machines:
        assert server.stderr().count("subscription: Redis at") == 1, server.stderr()
        assert "subscription: Redis back" in server.stderr()
    assert first.stderr().count("publishing: Redis at") == 1, first.stderr()
    assert "publishing: Redis back" in first.stderr()


# ---- the TestClient and the API's checks ----------------------------------------------


def make_api(**options) -> BoltAPI:
    api = BoltAPI(**options)

    @api.websocket("/ws/{room}")
    async def room(websocket: WebSocket, room: str):
        await websocket.accept()
        await websocket.join(room)
        await websocket.send_json(sorted(websocket.groups))
        async for text in websocket.iter_text():
            if text == "leave":
                await websocket.leave(room)
                await websocket.send_json(sorted(websocket.groups))
            else:
                await api.broadcast(room, text)

    @api.websocket("/ws-early")
    async def early(websocket: WebSocket):
        try:
            await websocket.join("too-early")
        except RuntimeError as exc:
            await websocket.accept()
            await websocket.send_text(str(exc))

    @api.post("/send/{room}")
    async def send(room: str) -> dict:
        await api.broadcast(room, {"to": room})
        return {"ok": True}

    return api


def test_through_the_test_client():
    api = make_api(groups_backend="local")
    with TestClient(api) as client:
        with (
            client.websocket_connect("/ws/lobby") as a,
            client.websocket_connect("/ws/lobby") as b,
            client.websocket_connect("/ws/elsewhere") as c,
        ):
            for ws, room in ((a, "lobby"), (b, "lobby"), (c, "elsewhere")):
                assert ws.receive_json() == [room]
            a.send_text("hi all")
            assert a.receive_text() == "hi all"
            assert b.receive_text() == "hi all"
            assert client.post("/send/lobby").status_code == 200
            assert a.receive_json() == b.receive_json() == {"to": "lobby"}
            b.send_text("leave")
            assert b.receive_json() == []
            a.send_text("b left")
            assert a.receive_text() == "b left"
            c.send_text("only c")
            assert c.receive_text() == "only c"
        with client.websocket_connect("/ws-early") as early:
            assert early.receive_text() == "accept() the WebSocket before joining a group"


def test_bad_group_names_messages_and_backends():
    with pytest.raises(ValueError, match="1 to 200 characters"):
        checked_group("")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        checked_group("x" * 201)
    with pytest.raises(TypeError, match="a group name is a str, not int"):
        checked_group(3)
    with pytest.raises(TypeError, match="str, bytes or a JSON-able value"):
        as_message(object())
    assert as_message(b"\x00") == {"type": "websocket.send", "bytes": b"\x00"}
    with pytest.raises(ValueError, match="'redis://host:port/db'.*not 'memcached://x'"):
        BoltAPI(groups_backend="memcached://x")
    assert checked_backend(None) == "local"
    assert checked_backend("rediss://h:6380/1") == "rediss://h:6380/1"


def test_an_unreachable_redis_does_not_fail_the_handler(caplog):
    """No Redis at all: a broadcast still reaches the process's own members (logged)."""
    api = make_api(groups_backend=f"redis://127.0.0.1:{support.free_port()}/0")
    with TestClient(api) as client:
        with client.websocket_connect("/ws/solo") as ws:
            assert ws.receive_json() == ["solo"]
            ws.send_text("alone")
            assert ws.receive_text() == "alone"
        response = client.post("/send/solo")
        assert response.status_code == 200
    assert "publishing: Redis at" in caplog.text


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"BOLT_TEST_REDIS": "memcached://127.0.0.1:1"}, "BOLT_GROUPS_BACKEND (or BoltAPI"),
        ({"BOLT_TEST_QUEUE_SIZE": "0"}, "BOLT_GROUPS_QUEUE_SIZE is a number of messages"),
    ],
)
def test_runbolt_refuses_bad_group_settings_before_serving(env, error):
    result = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--port", str(support.free_port())],
        cwd=PROJECT,
        env=support.subprocess_env((), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert error in result.stderr
    assert "Traceback" not in result.stderr
