"""Raw ASGI 3.0 applications (no framework) served by the conformance tests.

Each app checks one rule of the ASGI HTTP spec. ``main`` routes on the first path
segment to the others, so most tests share one server process; the lifespan apps are
served on their own because lifespan is per process.

Module-level ``STATE`` lets an app record what happened to it (e.g. that it got
``http.disconnect`` after its client went away); ``/state?id=...`` reports it from the
same process.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sys
from urllib.parse import parse_qs

# What the apps recorded, by the ``id`` the test put in the query string.
STATE: dict[str, object] = {}

# Not callable: ``django-bolt serve apps:NOT_CALLABLE`` must refuse it.
NOT_CALLABLE = "this is not an ASGI application"

STREAM_CHUNK = 64 * 1024


def query(scope) -> dict[str, str]:
    parsed = parse_qs(scope["query_string"].decode("latin-1"))
    return {name: values[-1] for name, values in parsed.items()}


async def read_body(receive) -> bytes:
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise RuntimeError(f"expected http.request, got {message['type']!r}")
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def send_json(send, data, status: int = 200, headers=()) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _types(value) -> list[str] | None:
    return None if value is None else [type(item).__name__ for item in value]


async def scope_echo(scope, receive, send):
    """The HTTP scope as JSON (byte strings as latin-1 text) plus the Python types."""
    await read_body(receive)
    headers = list(scope["headers"])
    await send_json(
        send,
        {
            "type": scope["type"],
            "asgi": scope["asgi"],
            "http_version": scope["http_version"],
            "method": scope["method"],
            "scheme": scope.get("scheme", "http"),
            "path": scope["path"],
            "raw_path": _text(scope.get("raw_path")),
            "root_path": scope.get("root_path", ""),
            "query_string": _text(scope["query_string"]),
            "headers": [[_text(name), _text(value)] for name, value in headers],
            "client": None if scope.get("client") is None else list(scope["client"]),
            "server": None if scope.get("server") is None else list(scope["server"]),
            "types": {
                key: type(scope.get(key)).__name__
                for key in ("path", "raw_path", "root_path", "query_string", "method")
            },
            "header_types": sorted({f"{type(n).__name__},{type(v).__name__}" for n, v in headers}),
            "header_lengths": sorted({len(pair) for pair in headers}),
            "client_types": _types(scope.get("client")),
            "server_types": _types(scope.get("server")),
        },
    )


async def body_echo(scope, receive, send):
    """Read every ``http.request`` message; answer length, sha256 and message count."""
    digest = hashlib.sha256()
    length = 0
    messages = 0
    body_types = set()
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            await send_json(send, {"unexpected": message["type"]}, status=500)
            return
        body = message.get("body", b"")
        body_types.add(type(body).__name__)
        digest.update(body)
        length += len(body)
        messages += 1
        more = message.get("more_body", False)
    await send_json(
        send,
        {
            "length": length,
            "sha256": digest.hexdigest(),
            "messages": messages,
            "body_types": sorted(body_types),
        },
    )


def stream_chunk(index: int, size: int) -> bytes:
    return bytes([index % 251]) * size


async def stream(scope, receive, send):
    """``chunks`` body messages of ``size`` bytes with ``more_body=True``, then the end."""
    await read_body(receive)
    q = query(scope)
    chunks = int(q.get("chunks", "16"))
    size = int(q.get("size", str(STREAM_CHUNK)))
    delay = float(q.get("delay", "0"))
    headers = [(b"content-type", b"application/octet-stream")]
    if q.get("content_length"):
        headers.append((b"content-length", str(chunks * size).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for index in range(chunks):
        if index and delay:
            await asyncio.sleep(delay)
        await send(
            {"type": "http.response.body", "body": stream_chunk(index, size), "more_body": True}
        )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def raise_before_start(scope, receive, send):
    await read_body(receive)
    raise RuntimeError("conformance: raised before http.response.start")


async def raise_after_start(scope, receive, send):
    await read_body(receive)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("conformance: raised in the middle of the response")


async def return_without_response(scope, receive, send):
    await read_body(receive)


async def return_mid_stream(scope, receive, send):
    await read_body(receive)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})


async def wait_disconnect(scope, receive, send):
    """Never answer; record the message ``receive()`` gives once the client is gone."""
    key = query(scope)["id"]
    await read_body(receive)
    STATE[key] = "waiting"
    message = await receive()
    STATE[key] = message["type"]


async def trailers(scope, receive, send):
    """A streamed body followed by trailers (http.response.trailers extension)."""
    await read_body(receive)
    assert "http.response.trailers" in scope["extensions"]
    # HTTP/1.1 sends trailers only when they are declared and the client accepts them.
    declared = [(b"trailer", b"x-checksum, x-rows")]
    await send(
        {"type": "http.response.start", "status": 200, "headers": declared, "trailers": True}
    )
    await send({"type": "http.response.body", "body": b"body then ", "more_body": True})
    await send({"type": "http.response.body", "body": b"trailers"})
    await send(
        {
            "type": "http.response.trailers",
            "headers": [(b"x-checksum", b"abc")],
            "more_trailers": True,
        }
    )
    await send({"type": "http.response.trailers", "headers": [(b"x-rows", b"2")]})


async def pathsend(scope, receive, send):
    """Send the file named by ?path= with http.response.pathsend."""
    await read_body(receive)
    assert "http.response.pathsend" in scope["extensions"]
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    try:
        await send({"type": "http.response.pathsend", "path": query(scope)["path"]})
    except FileNotFoundError:
        STATE["pathsend-missing"] = True
        raise


async def tls_info(scope, receive, send):
    """The tls extension as JSON (or null on plain connections); then the app scribbles
    on it, which the connection's next scope must not see."""
    await read_body(receive)
    tls = scope["extensions"].get("tls")
    await send_json(send, {"tls": tls})
    if tls is not None:
        tls["tls_version"] = "changed by the app"


async def body_disconnect(scope, receive, send):
    """Record the messages of a request body the client abandons (RST_STREAM)."""
    key = query(scope)["id"]
    seen = []
    while True:
        message = await receive()
        seen.append(message["type"])
        STATE[key] = seen
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def after_response(scope, receive, send):
    """Answer, then record what ``receive()`` says once the response has been sent."""
    key = query(scope)["id"]
    await read_body(receive)
    await send_json(send, {"ok": True})
    try:
        message = await asyncio.wait_for(receive(), timeout=5)
    except TimeoutError:
        STATE[key] = "timeout"
    else:
        STATE[key] = message["type"]


async def send_after_disconnect(scope, receive, send):
    """Stream until the client goes away; record whether ``send()`` then raises OSError."""
    key = query(scope)["id"]
    await read_body(receive)
    report = {"started": True, "disconnect": False, "send_error": None, "is_oserror": None}
    STATE[key] = report

    async def watch():
        message = await receive()
        report["disconnect"] = message["type"] == "http.disconnect"

    watcher = asyncio.ensure_future(watch())
    await send({"type": "http.response.start", "status": 200, "headers": []})
    sends_after = 0
    try:
        for index in range(100_000):
            await send(
                {
                    "type": "http.response.body",
                    "body": stream_chunk(index, STREAM_CHUNK),
                    "more_body": True,
                }
            )
            await asyncio.sleep(0.001)
            if watcher.done():
                sends_after += 1
                if sends_after >= 50:
                    break
    except Exception as exc:
        report["send_error"] = type(exc).__name__
        report["is_oserror"] = isinstance(exc, OSError)
    finally:
        watcher.cancel()
        report["sends_after_disconnect"] = sends_after
        report["finished"] = True


async def slow(scope, receive, send):
    """Sleep ``seconds`` before answering (graceful shutdown)."""
    q = query(scope)
    key = q.get("id", "slow")
    await read_body(receive)
    STATE[key] = "started"
    await asyncio.sleep(float(q.get("seconds", "1")))
    STATE[key] = "done"
    body = b"slow response complete"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def response_headers(scope, receive, send):
    """Duplicate and custom response headers; optionally hop-by-hop ones."""
    q = query(scope)
    await read_body(receive)
    body = b"headers"
    headers = [
        (b"content-type", b"text/plain"),
        (b"set-cookie", b"a=1; Path=/"),
        (b"x-conformance", b"first"),
        (b"set-cookie", b"b=2; Path=/"),
    ]
    if q.get("hop"):
        # Connection-specific headers: fine in HTTP/1.1, forbidden on the wire in HTTP/2.
        headers += [(b"connection", b"keep-alive"), (b"keep-alive", b"timeout=5")]
    if q.get("te"):
        # The spec: "You may send a Transfer-Encoding header ... the server must ignore it."
        headers.append((b"transfer-encoding", b"chunked"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


START = {"type": "http.response.start", "status": 200, "headers": []}

# Messages no server may take; ``garbage`` sends one of them by name.
GARBAGE = {
    "no-type": {"status": 200, "headers": []},
    "unknown-type": {"type": "http.response.bogus", "body": b"x"},
    "not-a-dict": [("type", "http.response.start"), ("status", 200)],
    "body-before-start": {"type": "http.response.body", "body": b"too early"},
    "start-twice": START,
}


async def garbage(scope, receive, send):
    """Send GARBAGE[?kind] before the response (?at=before; after a start for
    start-twice) or in the middle of a streamed one (?at=mid). Records the exception
    send() raised (or "accepted") under ?id and lets it propagate."""
    q = query(scope)
    kind, at = q["kind"], q.get("at", "before")
    await read_body(receive)
    if at == "mid" or kind == "start-twice":
        await send(START)
    if at == "mid":
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    try:
        await send(GARBAGE[kind])
    except Exception as exc:
        STATE[q["id"]] = type(exc).__name__
        raise
    STATE[q["id"]] = "accepted"


async def report_state(scope, receive, send):
    await read_body(receive)
    await send_json(send, {"state": STATE.get(query(scope)["id"])})


async def ok(scope, receive, send):
    await read_body(receive)
    await send_json(send, {"ok": True})


async def gc_settings(scope, receive, send):
    await read_body(receive)
    await send_json(send, {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()})


ROUTES = {
    "/": ok,
    "/ok": ok,
    "/scope": scope_echo,
    "/echo": body_echo,
    "/stream": stream,
    "/raise-before-start": raise_before_start,
    "/raise-after-start": raise_after_start,
    "/no-response": return_without_response,
    "/return-mid-stream": return_mid_stream,
    "/wait-disconnect": wait_disconnect,
    "/body-disconnect": body_disconnect,
    "/trailers": trailers,
    "/pathsend": pathsend,
    "/tls": tls_info,
    "/after-response": after_response,
    "/send-after-disconnect": send_after_disconnect,
    "/slow": slow,
    "/headers": response_headers,
    "/state": report_state,
    "/garbage": garbage,
    "/gc": gc_settings,
}


async def ws_echo(scope, receive, send):
    """Accept (with the first offered subprotocol and a custom header) and echo every
    message back, text as text and bytes as bytes; record how the client left."""
    message = await receive()
    assert message["type"] == "websocket.connect"
    protocols = scope.get("subprotocols") or []
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": protocols[0] if protocols else None,
            "headers": [(b"x-accepted-by", b"conformance")],
        }
    )
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            STATE["ws-echo-last-close"] = message["code"]
            return
        if message.get("text") == "close please":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked to"})
            continue
        if message.get("text") == "scope please":
            keys = ("type", "scheme", "path", "query_string", "subprotocols", "http_version")
            scope_view = {k: _text(scope[k]) for k in keys}
            scope_view["client_port_is_int"] = isinstance(scope["client"][1], int)
            scope_view["extensions"] = sorted(scope.get("extensions", {}))
            await send({"type": "websocket.send", "text": json.dumps(scope_view)})
            continue
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def ws_deny(scope, receive, send):
    """Refuse the handshake with an HTTP response (websocket.http.response extension)."""
    await receive()
    assert "websocket.http.response" in scope["extensions"]
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
    await send({"type": "websocket.http.response.body", "body": b"entry"})


async def ws_close(scope, receive, send):
    """Close before accepting: the client gets 403."""
    await receive()
    await send({"type": "websocket.close"})


async def ws_raise(scope, receive, send):
    """Accept, then fail: the client sees close code 1011."""
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise RuntimeError("conformance: websocket app failed")


WEBSOCKET_ROUTES = {"/ws-echo": ws_echo, "/ws-deny": ws_deny, "/ws-close": ws_close}
WEBSOCKET_ROUTES["/ws-raise"] = ws_raise


async def main(scope, receive, send):
    """Dispatch on the first path segment. Has no lifespan support (raises, like Django)."""
    prefix = "/" + scope["path"].split("/")[1]
    if scope["type"] == "websocket":
        await WEBSOCKET_ROUTES[prefix](scope, receive, send)
        return
    if scope["type"] != "http":
        raise RuntimeError(f"unsupported scope type {scope['type']!r}")
    prefix = "/" + scope["path"].split("/")[1]
    app = ROUTES.get(prefix)
    if app is None:
        await read_body(receive)
        await send_json(send, {"detail": "no such conformance app"}, status=404)
        return
    await app(scope, receive, send)


async def lifespan_state(scope, receive, send):
    """Sets ``state["x"]`` at startup; each request reports what its ``scope["state"]``
    holds and then writes to it, which must not leak into other requests."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["x"] = "set during startup"
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                print("conformance: lifespan shutdown received", file=sys.stderr, flush=True)
                await send({"type": "lifespan.shutdown.complete"})
                return
    await read_body(receive)
    state = scope.get("state")
    if state is None:
        await send_json(send, {"state": None})
        return
    leaked = "written_by_request" in state
    state["written_by_request"] = True
    await send_json(send, {"x": state.get("x"), "leaked": leaked, "keys": sorted(state)})


async def lifespan_fails(scope, receive, send):
    """Refuses to start: the server must exit non-zero and show the message."""
    if scope["type"] == "lifespan":
        message = await receive()
        assert message["type"] == "lifespan.startup"
        await send(
            {"type": "lifespan.startup.failed", "message": "conformance: the database is down"}
        )
        return
    await read_body(receive)
    await send_json(send, {"served": "an app whose startup failed"})
