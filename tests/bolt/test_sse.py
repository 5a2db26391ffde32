"""Server-Sent Events with ``EventSourceResponse``: framing, ``ServerSentEvent`` fields
(``retry``, ``id``), ``Last-Event-ID`` read by the handler, pings while idle, sync
generators, and a client that leaves closing the generator, through TestClient and a
real runbolt read with httpx streaming (routes in tests/bolt/project/routingapp)."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import pytest
import support

from django_bolt import JSON, BoltAPI
from django_bolt.responses import EventSourceResponse, ServerSentEvent, format_sse_event
from django_bolt.sse import EventSourceResponse as SseEventSourceResponse
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from routingapp.api import api  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_routing") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


def events(body: str) -> list[str]:
    return [block for block in body.split("\n\n") if block]


def test_one_implementation_at_both_paths():
    assert EventSourceResponse is SseEventSourceResponse


def test_events_carry_their_fields(client):
    response = client.get("/rt/sse/numbers")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert events(response.text) == [
        f'event: number\nid: {n}\nretry: 2500\ndata: {{"n":{n}}}' for n in (1, 2, 3)
    ]


def test_the_handler_reads_last_event_id(client):
    response = client.get("/rt/sse/numbers", headers={"Last-Event-ID": "7"})
    assert [block.split("\n")[1] for block in events(response.text)] == [
        "id: 8",
        "id: 9",
        "id: 10",
    ]


def test_a_last_event_id_that_is_not_the_declared_type_is_a_422(client):
    response = client.get("/rt/sse/numbers", headers={"Last-Event-ID": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "last-event-id"]
    assert client.get("/rt/sse/numbers").status_code == 200


def test_sync_generators_and_comments(client):
    response = client.get("/rt/sse/sync")
    assert events(response.text) == ["data: plain text", 'data: {"b":2}', ": just a comment"]


def test_pings_while_the_generator_is_idle(client):
    response = client.get("/rt/sse/slow")
    blocks = events(response.text)
    assert blocks[-1] == "data: late"
    assert blocks[:-1] and set(blocks[:-1]) == {": ping"}
    assert 2 <= len(blocks) - 1 <= 5


def test_not_compressed_even_when_the_client_accepts_it(server):
    with support.make_client(server.base_url, "http1") as client:
        response = client.get("/rt/sse/numbers", headers={"accept-encoding": "gzip, br"})
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_events_arrive_one_by_one_over_a_socket(server, protocol):
    tag = uuid.uuid4().hex
    with (
        support.make_client(server.base_url, protocol) as client,
        client.stream("GET", f"/rt/sse/forever/{tag}") as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == f'data: {{"tick":"{tag}"}}'


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_a_client_that_leaves_stops_the_generator(server, protocol):
    tag = uuid.uuid4().hex
    with support.make_client(server.base_url, protocol) as client:
        with client.stream("GET", f"/rt/sse/forever/{tag}") as response:
            next(response.iter_lines())
            assert client.get(f"/rt/sse/streams/{tag}").json() == {"state": "open"}
    with support.make_client(server.base_url, "http1") as client:
        deadline = time.monotonic() + 5
        while client.get(f"/rt/sse/streams/{tag}").json()["state"] != "closed":
            assert time.monotonic() < deadline, "the generator kept running"
            time.sleep(0.05)


def test_format_sse_event():
    assert format_sse_event('{"count": 1}') == b'data: {"count": 1}\n\n'
    assert format_sse_event(data_bytes=b"x\ny") == b"data: x\ndata: y\n\n"
    assert (
        format_sse_event("payload", event="update", id="42", retry=5000)
        == b"event: update\nid: 42\nretry: 5000\ndata: payload\n\n"
    )
    assert ServerSentEvent(raw_data="plain").encode() == b"data: plain\n\n"
    assert ServerSentEvent(data="plain").encode() == b'data: "plain"\n\n'


def test_what_cannot_be_sent_is_refused_at_once():
    with pytest.raises(ValueError, match="not both"):
        ServerSentEvent(data=1, raw_data="1")
    with pytest.raises(TypeError, match="milliseconds"):
        ServerSentEvent(retry=1.5)
    with pytest.raises(ValueError, match="line break"):
        ServerSentEvent(1, id="a\nb").encode()
    with pytest.raises(ValueError, match="ping_interval"):
        EventSourceResponse(iter(()), ping_interval=0)
    with pytest.raises(TypeError, match="iterator of events"):
        EventSourceResponse(5)
    one = BoltAPI()
    with pytest.raises(TypeError, match="generator function"):

        @one.get("/x", response_class=EventSourceResponse)
        async def not_a_generator():
            return {}

    with pytest.raises(TypeError, match="return JSON"):

        @one.get("/y", response_class=JSON)
        async def wrong_class():
            return {}


def test_an_explicit_response_keeps_status_and_headers():
    one = BoltAPI()

    @one.get("/e")
    async def explicit():
        async def gen():
            yield {"a": 1}

        return EventSourceResponse(
            gen(), status_code=201, headers={"X-Stream": "1"}, ping_interval=None
        )

    with TestClient(one) as client:
        response = client.get("/e")
    assert response.status_code == 201 and response.headers["x-stream"] == "1"
    assert response.text == 'data: {"a":1}\n\n'
