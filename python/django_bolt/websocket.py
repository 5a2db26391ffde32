"""``WebSocket``: what an ``@api.websocket`` handler talks to the client through.

Its methods send and receive ASGI-shaped messages on the server's own WebSocket
session (the one the ASGI adapter uses too); path and query parameters were read and
checked in Rust before the handler was called.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import Any

import msgspec

from ._core import ClientDisconnected, Request
from .auth._permissions import PermissionCheck
from .auth._sessions import SessionCheck
from .auth.checks import TokenChecks
from .auth.users import aload_user
from .exceptions import HTTPException
from .groups import LocalGroups
from .groups import layer as groups_layer

__all__ = [
    "WS_1000_NORMAL_CLOSURE",
    "WS_1001_GOING_AWAY",
    "WS_1002_PROTOCOL_ERROR",
    "WS_1003_UNSUPPORTED_DATA",
    "WS_1005_NO_STATUS_RCVD",
    "WS_1006_ABNORMAL_CLOSURE",
    "WS_1007_INVALID_FRAME_PAYLOAD_DATA",
    "WS_1008_POLICY_VIOLATION",
    "WS_1009_MESSAGE_TOO_BIG",
    "WS_1010_MANDATORY_EXT",
    "WS_1011_INTERNAL_ERROR",
    "WS_1012_SERVICE_RESTART",
    "WS_1013_TRY_AGAIN_LATER",
    "CloseCode",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
]

#: Close codes that end ``iter_text()`` and friends quietly: a normal close, the client
#: going away, or a close frame without a code.
NORMAL_CLOSURES = frozenset({1000, 1001, 1005})

_encoder = msgspec.json.Encoder()


class CloseCode(enum.IntEnum):
    """The close codes of RFC 6455 (section 7.4.1); 1005 and 1006 are only received,
    never sent."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013


# The same codes under the names Starlette and FastAPI code uses.
WS_1000_NORMAL_CLOSURE = CloseCode.NORMAL
WS_1001_GOING_AWAY = CloseCode.GOING_AWAY
WS_1002_PROTOCOL_ERROR = CloseCode.PROTOCOL_ERROR
WS_1003_UNSUPPORTED_DATA = CloseCode.UNSUPPORTED_DATA
WS_1005_NO_STATUS_RCVD = CloseCode.NO_STATUS_RECEIVED
WS_1006_ABNORMAL_CLOSURE = CloseCode.ABNORMAL_CLOSURE
WS_1007_INVALID_FRAME_PAYLOAD_DATA = CloseCode.INVALID_DATA
WS_1008_POLICY_VIOLATION = CloseCode.POLICY_VIOLATION
WS_1009_MESSAGE_TOO_BIG = CloseCode.MESSAGE_TOO_BIG
WS_1010_MANDATORY_EXT = CloseCode.MANDATORY_EXTENSION
WS_1011_INTERNAL_ERROR = CloseCode.INTERNAL_ERROR
WS_1012_SERVICE_RESTART = CloseCode.SERVICE_RESTART
WS_1013_TRY_AGAIN_LATER = CloseCode.TRY_AGAIN_LATER


class WebSocketException(Exception):
    """Raised by a WebSocket handler to close the connection with ``code`` and
    ``reason`` (before ``accept()``: the handshake is refused with 403)."""

    default_code = CloseCode.INTERNAL_ERROR

    def __init__(self, code: int | None = None, reason: str = "") -> None:
        code = type(self).default_code if code is None else int(code)
        if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
            raise ValueError(f"{code} is not a close code a server may send")
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, reason={self.reason!r})"


class WebSocketClose(WebSocketException):
    """``raise WebSocketClose()`` ends the connection normally (1000) from anywhere in
    the handler; give another ``code``/``reason`` as for ``WebSocketException``."""

    default_code = CloseCode.NORMAL


class WebSocketDisconnect(Exception):
    """The connection is closed: raised by ``receive_*`` when the client disconnects
    (and by ``send_*`` once it has). ``code`` and ``reason`` are the close frame's."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code}, reason={self.reason!r})"


class WebSocketState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class WebSocket:
    """One WebSocket connection of an ``@api.websocket`` route."""

    def __init__(
        self,
        channel: Any,
        request: Request,
        client: tuple[str, int] | None,
        url: str,
        path_params: dict[str, Any],
    ) -> None:
        self._receive = channel.receive
        self._send = channel.send
        self._request = request
        self.client = client
        #: ``ws://host/path?query`` (``wss`` over TLS), as the client asked for it.
        self.url = url
        self.scheme = url.partition(":")[0]
        self.path_params = path_params
        self.state = WebSocketState.CONNECTING
        self.subprotocol: str | None = None
        #: Why the connection ended, once it has: what later calls raise.
        self._closed = (1006, "the connection is closed")
        #: The groups backend of the route's API (None: ``BOLT_GROUPS_BACKEND``), and
        #: this socket's membership once it joined a group (``groups/_local.py``).
        self._groups_backend: str | None = None
        self._member: Any = None

    # ---- the handshake request ------------------------------------------------------

    @cached_property
    def headers(self) -> dict[str, str]:
        return self._request.headers

    @cached_property
    def cookies(self) -> dict[str, str]:
        return self._request.cookies

    @cached_property
    def query_params(self) -> dict[str, str]:
        return self._request.query

    @property
    def path(self) -> str:
        return self._request.path

    @property
    def auth(self) -> dict[str, Any]:
        """What the route's authentication found, as ``request.auth``."""
        return self._request.auth

    @property
    def user(self) -> Any:
        """The authenticated Django user (anonymous without one), as ``request.user``."""
        return self._request.user

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        offered = self.headers.get("sec-websocket-protocol", "")
        return [p.strip() for p in offered.split(",") if p.strip()]

    # ---- the connection -------------------------------------------------------------

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Complete the handshake, choosing ``subprotocol`` and adding ``headers`` (a
        dict, or ``(name, value)`` pairs for repeated names)."""
        if self.state is not WebSocketState.CONNECTING:
            raise RuntimeError("accept() called twice, or after the connection closed")
        await self._receive()  # websocket.connect, always there first
        pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
        extra = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
        try:
            await self._send(
                {"type": "websocket.accept", "subprotocol": subprotocol, "headers": extra}
            )
        except ClientDisconnected:
            raise self._disconnected(1006, "the client left during the handshake") from None
        self.state = WebSocketState.CONNECTED
        self.subprotocol = subprotocol

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; before ``accept()`` the handshake is refused with 403.

        ``code`` is 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 reserves the others).
        """
        if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
            raise ValueError(f"{code} is not a close code a server may send")
        if self.state is WebSocketState.DISCONNECTED:
            return
        self._disconnected(code, reason)
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    def _disconnected(self, code: int, reason: str) -> WebSocketDisconnect:
        self.state = WebSocketState.DISCONNECTED
        self._closed = (code, reason)
        return WebSocketDisconnect(code, reason)

    async def receive(self) -> dict[str, Any]:
        """The next ASGI message: ``websocket.receive`` with ``text`` or ``bytes``.

        Raises WebSocketDisconnect when the client has gone.
        """
        if self.state is WebSocketState.CONNECTING:
            raise RuntimeError("accept() the WebSocket before receiving")
        if self.state is WebSocketState.DISCONNECTED:
            raise WebSocketDisconnect(*self._closed)
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            raise self._disconnected(message.get("code", 1005), message.get("reason", ""))
        return message

    async def receive_text(self) -> str:
        message = await self.receive()
        text = message.get("text")
        if text is None:
            await self._refuse(1003, "Expected a text message")
        return text

    async def receive_bytes(self) -> bytes:
        message = await self.receive()
        data = message.get("bytes")
        if data is None:
            await self._refuse(1003, "Expected a binary message")
        return data

    async def receive_json(self) -> Any:
        """A JSON value from a text or binary message; invalid JSON closes with 1007."""
        message = await self.receive()
        payload = message.get("text")
        if payload is None:
            payload = message["bytes"]
        try:
            return msgspec.json.decode(payload)
        except msgspec.DecodeError as exc:
            await self._refuse(1007, f"Invalid JSON: {exc}"[:120])

    async def _refuse(self, code: int, reason: str) -> None:
        """The client sent what the handler cannot take: close and tell the handler."""
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    async def send_text(self, data: str) -> None:
        await self._send_message({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._send_message({"type": "websocket.send", "bytes": bytes(data)})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as JSON in a text message (``mode="binary"``: a binary one)."""
        if mode not in ("text", "binary"):
            raise ValueError(f"mode must be 'text' or 'binary', not {mode!r}")
        encoded = _encoder.encode(data)
        if mode == "binary":
            await self.send_bytes(encoded)
        else:
            await self.send_text(encoded.decode())

    async def _send_message(self, message: dict[str, Any]) -> None:
        if self.state is WebSocketState.CONNECTING:
            raise RuntimeError("accept() the WebSocket before sending")
        if self.state is WebSocketState.DISCONNECTED:
            raise WebSocketDisconnect(*self._closed)
        try:
            await self._send(message)
        except ClientDisconnected:
            raise self._disconnected(1006, "the client disconnected") from None

    # ---- groups ---------------------------------------------------------------------

    async def _deliver(self, message: dict[str, Any]) -> bool:
        """Send a message broadcast to a group this socket joined (``groups/_local.py``);
        False once the connection is closed."""
        try:
            await self._send_message(message)
        except WebSocketDisconnect:
            return False
        return True

    async def join(self, group: str) -> None:
        """Receive what is broadcast to ``group`` (``api.broadcast``) from now on, until
        ``leave(group)`` or the end of the connection."""
        if self.state is not WebSocketState.CONNECTED:
            raise RuntimeError("accept() the WebSocket before joining a group")
        await self._groups().join(self, group)

    async def leave(self, group: str) -> None:
        """Stop receiving ``group``'s broadcasts (nothing happens when not a member)."""
        await self._groups().leave(self, group)

    @property
    def groups(self) -> frozenset[str]:
        """The groups this connection is a member of."""
        return frozenset(self._member.groups) if self._member is not None else frozenset()

    def _groups(self) -> LocalGroups:
        return groups_layer(self._groups_backend)

    async def _leave_groups(self) -> None:
        if self._member is not None:
            await self._groups().leave_all(self)

    def iter_text(self) -> AsyncIterator[str]:
        """Each text message until the client closes normally."""
        return self._iterate(self.receive_text)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """Each binary message until the client closes normally."""
        return self._iterate(self.receive_bytes)

    def iter_json(self) -> AsyncIterator[Any]:
        """Each message decoded as JSON until the client closes normally."""
        return self._iterate(self.receive_json)

    async def _iterate(self, receive: Callable[[], Awaitable[Any]]) -> AsyncIterator[Any]:
        try:
            while True:
                yield await receive()
        except WebSocketDisconnect as exc:
            if exc.code not in NORMAL_CLOSURES:
                raise

    def __repr__(self) -> str:
        return f"<WebSocket {self.path} {self.state.value}>"


def websocket_entry(
    handler: Any,
    websocket_param: str,
    path_param_names: list[str],
    loads_user: bool,
    session: SessionCheck | None = None,
    permissions: PermissionCheck | None = None,
    token_checks: TokenChecks | None = None,
    groups_backend: str | None = None,
):
    """The coroutine function Rust starts for a handshake on the route: it wraps the
    session's channel in a ``WebSocket`` and runs ``handler`` with it. With
    ``loads_user``, ``websocket.user`` is first loaded from the database; a token whose
    user is gone is refused. (A user read from the claims is made by Rust.) A Django session
    (``session``) is read here, and its guards refuse the handshake as Rust would; so do
    permission guards Rust left to Django (``permissions``), and a revoked token or a
    user the backend's own loader does not find (``token_checks``). The socket leaves
    its groups (of the API's ``groups_backend``) when the handler ends."""

    async def run(
        channel: Any,
        request: Request,
        client: tuple[str, int] | None,
        url: str,
        kwargs: dict[str, Any],
    ) -> None:
        path_params = {name: kwargs[name] for name in path_param_names}
        websocket = WebSocket(channel, request, client, url, path_params)
        websocket._groups_backend = groups_backend
        kwargs[websocket_param] = websocket
        try:
            if session is not None and session.defers(request):
                await _authenticate_session(websocket, session)
            else:
                loaded = token_checks is not None and await _check_token(
                    websocket, token_checks, loads_user
                )
                if permissions is not None and permissions.needed(request):
                    await _check_permissions(websocket, permissions)
                if loads_user and not loaded:
                    await _load_user(websocket)
            await handler(**kwargs)
        except WebSocketDisconnect:
            pass  # the client left, or was refused for bad input: both already closed
        except WebSocketException as exc:
            await websocket.close(exc.code, exc.reason)
        finally:
            await websocket._leave_groups()

    return run


async def _load_user(websocket: WebSocket) -> None:
    """``websocket.user`` from the database; a token whose user is gone gets the 401 an
    HTTP route would answer."""
    try:
        await aload_user(websocket._request)
    except HTTPException as refusal:
        await _refuse(websocket, refusal)


async def _check_token(websocket: WebSocket, checks: TokenChecks, load: bool) -> bool:
    """Revocation and a custom user loader; True when the loader set the user."""
    try:
        return await checks.arun(websocket._request, load)
    except HTTPException as refusal:
        await _refuse(websocket, refusal)
        return False


async def _check_permissions(websocket: WebSocket, permissions: PermissionCheck) -> None:
    """Django's answer to the route's permission guards; a refusal is the handshake's."""
    try:
        await permissions.acheck(websocket._request)
    except HTTPException as refusal:
        await _refuse(websocket, refusal)


async def _authenticate_session(websocket: WebSocket, session: SessionCheck) -> None:
    """``websocket.user`` from the Django session; a refusal is the handshake's answer."""
    try:
        await session.aauthenticate(websocket._request, websocket=True)
    except HTTPException as refusal:
        await _refuse(websocket, refusal)


async def _refuse(websocket: WebSocket, refusal: HTTPException) -> None:
    """Answer the handshake with ``refusal`` as an HTTP response (its status, headers and
    JSON ``detail``), as a route refused in Rust is, instead of a 101."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in [*refusal.headers.items(), ("content-type", "application/json")]
    ]
    start = {"status": refusal.status_code, "headers": headers}
    await websocket._send({"type": "websocket.http.response.start", **start})
    body = _encoder.encode(refusal.content())
    await websocket._send({"type": "websocket.http.response.body", "body": body})
    websocket._disconnected(1008, str(refusal.detail))
    raise WebSocketDisconnect(1008)
