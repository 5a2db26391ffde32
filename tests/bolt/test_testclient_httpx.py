"""TestClient is an httpx client: the whole httpx API over the in-process Rust pipeline,
with or without ``with``, the ASGI lifespan, server exceptions raised in the test, and
an async twin."""

from __future__ import annotations

import asyncio
import base64
import itertools

import httpx
import pytest

from django_bolt import BoltAPI, Request, Response
from django_bolt.lifespan import LifespanFailure
from django_bolt.responses import Redirect, StreamingResponse
from django_bolt.testing import AsyncTestClient, TestClient


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.post("/echo")
    async def echo(request: Request):
        return {
            "body": request.body.decode(),
            "content_type": request.headers.get("content-type"),
            "query": dict(request.query),
        }

    @api.get("/whoami")
    async def whoami(request: Request):
        return {
            "authorization": request.headers.get("authorization"),
            "cookies": dict(request.cookies),
            "host": request.headers.get("host"),
            "tag": request.headers.get("x-tag"),
        }

    @api.post("/login")
    async def login():
        return Response({"ok": True}).set_cookie("session", "s3cret")

    @api.get("/old")
    async def old():
        return Redirect("/whoami")

    @api.get("/forbidden")
    async def forbidden():
        return Response({"detail": "no"}, status_code=403)

    @api.get("/ticks")
    async def ticks():
        async def forever():
            for n in itertools.count():
                yield f"data: {n}\n\n"
                await asyncio.sleep(0)

        return StreamingResponse(forever(), media_type="text/event-stream")

    @api.get("/broken")
    async def broken():
        raise LookupError("handler failed")

    @api.get("/broken-sync")
    def broken_sync():
        raise ValueError("sync handler failed")

    return api


def test_the_httpx_request_api_reaches_the_route():
    with TestClient(make_api()) as client:
        raw = client.post("/echo", content=b"raw bytes", headers={"content-type": "text/plain"})
        assert raw.json()["body"] == "raw bytes"
        assert raw.json()["content_type"] == "text/plain"
        form = client.post("/echo", data={"a": "1"}, params={"q": "x", "n": 2})
        assert form.json() == {
            "body": "a=1",
            "content_type": "application/x-www-form-urlencoded",
            "query": {"q": "x", "n": "2"},
        }
        upload = client.post("/echo", files={"f": ("a.txt", b"hello", "text/plain")})
        assert upload.json()["content_type"].startswith("multipart/form-data; boundary=")
        assert "hello" in upload.json()["body"]
        assert client.post("/echo", json={"k": [1]}).json()["body"] == '{"k":[1]}'
        assert str(raw.url) == "http://testserver/echo"
        assert raw.request.method == "POST"


def test_cookie_jar_auth_headers_and_base_url():
    with TestClient(
        make_api(), base_url="http://api.testserver", headers={"x-tag": "from-client"}
    ) as client:
        login = client.post("/login")
        assert login.cookies["session"] == "s3cret"
        seen = client.get("/whoami", auth=("ada", "pw")).json()
        assert seen["cookies"] == {"session": "s3cret"}
        assert seen["authorization"] == "Basic " + base64.b64encode(b"ada:pw").decode()
        assert seen["host"] == "api.testserver"
        assert seen["tag"] == "from-client"


def test_redirects_and_raise_for_status():
    with TestClient(make_api()) as client:
        assert client.get("/old").status_code == 302
        followed = client.get("/old", follow_redirects=True)
        assert followed.status_code == 200
        assert followed.url.path == "/whoami"
        assert [r.status_code for r in followed.history] == [302]
        with pytest.raises(httpx.HTTPStatusError) as raised:
            client.get("/forbidden").raise_for_status()
        assert raised.value.response.status_code == 403


def test_a_client_works_without_with():
    client = TestClient(make_api())
    try:
        assert client.post("/echo", content="text").json()["body"] == "text"
    finally:
        client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.get("/whoami")


def test_stream_reads_an_endless_response_as_it_is_produced():
    with TestClient(make_api()) as client:
        with client.stream("GET", "/ticks") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            events = [line for line in itertools.islice(lines, 6) if line]
        assert events == ["data: 0", "data: 1", "data: 2"]
        # The client is still usable after leaving an endless stream halfway.
        assert client.post("/echo", content="after").json()["body"] == "after"


def test_handler_exceptions_are_raised_in_the_test_by_default():
    with TestClient(make_api()) as client:
        with pytest.raises(LookupError, match="handler failed"):
            client.get("/broken")
        with pytest.raises(ValueError, match="sync handler failed"):
            client.get("/broken-sync")
        # The next request is answered normally.
        assert client.get("/whoami").status_code == 200
    with TestClient(make_api(), raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500


def test_asgi_app_exceptions_are_raised_in_the_test():
    async def failing(scope, receive, send):
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")
        raise KeyError("asgi app failed")

    with TestClient(asgi=failing) as client:
        with pytest.raises(KeyError, match="asgi app failed"):
            client.get("/anything")
    with TestClient(asgi=failing, raise_server_exceptions=False) as client:
        assert client.get("/anything").status_code == 500


def lifespan_app(events: list[str]):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                events.append(kind)
                scope["state"]["started"] = True
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = b"started" if scope["state"].get("started") else b"not started"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def test_lifespan_runs_when_the_client_starts_and_closes():
    events: list[str] = []
    with TestClient(asgi=lifespan_app(events)) as client:
        assert events == ["startup"]
        assert client.get("/").text == "started"
    assert events == ["startup", "shutdown"]

    events.clear()
    client = TestClient(asgi=lifespan_app(events))
    assert events == []
    assert client.get("/").text == "started"
    client.close()
    assert events == ["startup", "shutdown"]


def test_a_failed_lifespan_startup_is_raised_when_the_client_starts():
    async def refusing(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(LifespanFailure, match="no database"):
        TestClient(asgi=refusing).__enter__()


def test_upstream_constructor_arguments_are_accepted():
    with TestClient(make_api(), use_http_layer=True, raise_server_exceptions=False) as client:
        assert client.get("/whoami").status_code == 200


def test_async_test_client():
    events: list[str] = []

    async def main() -> None:
        async with AsyncTestClient(make_api()) as client:
            answers = await asyncio.gather(
                *(client.post("/echo", content=str(n)) for n in range(5))
            )
            assert [a.json()["body"] for a in answers] == ["0", "1", "2", "3", "4"]
            await client.post("/login")
            assert (await client.get("/whoami")).json()["cookies"] == {"session": "s3cret"}
            with pytest.raises(LookupError):
                await client.get("/broken")
            async with client.stream("GET", "/ticks") as response:
                lines = response.aiter_lines()
                assert await anext(lines) == "data: 0"
        async with AsyncTestClient(asgi=lifespan_app(events)) as client:
            assert (await client.get("/")).text == "started"

    asyncio.run(main())
    assert events == ["startup", "shutdown"]
