"""A Django Channels app through the ASGI adapter with ``channels_redis``: a consumer's
``group_send`` reaches the group's members on two ``runbolt`` processes sharing one
Redis (``groups_project/groupsproj/channels_app.py``)."""

from __future__ import annotations

import contextlib
import json

import pytest
import support
from groups import serve
from websockets.sync.client import connect

pytest.importorskip("channels_redis")

APP = "groupsproj.channels_app:application"


@contextlib.contextmanager
def room(server: support.ServerProcess):
    with connect(f"ws://{support.HOST}:{server.port}/ws/room/") as ws:
        assert json.loads(ws.recv(timeout=10)) == {"joined": "channels-room"}
        yield ws


def test_group_send_reaches_consumers_on_both_processes(redis_server):
    with (
        serve("--asgi", APP, BOLT_TEST_REDIS=redis_server.url) as first,
        serve("--asgi", APP, BOLT_TEST_REDIS=redis_server.url) as second,
    ):
        with room(first) as a, room(second) as b:
            a.send(json.dumps({"text": "from the first"}))
            assert json.loads(a.recv(timeout=10)) == {"room": "from the first"}
            assert json.loads(b.recv(timeout=10)) == {"room": "from the first"}
            b.send(json.dumps({"text": "from the second"}))
            assert json.loads(a.recv(timeout=10)) == {"room": "from the second"}
            assert json.loads(b.recv(timeout=10)) == {"room": "from the second"}
