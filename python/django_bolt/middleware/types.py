"""Typed shapes of what middleware share: ``request.state`` keys and a response as
data."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class TimingState(TypedDict, total=False):
    """``request.state`` of a route behind ``TimingMiddleware``."""

    start_time: float
    request_id: str


class TracingState(TypedDict, total=False):
    """``request.state`` keys a tracing middleware conventionally sets."""

    trace_id: str
    span_id: str
    parent_span_id: NotRequired[str]
    baggage: NotRequired[dict[str, str]]


class MiddlewareResponse(TypedDict, total=False):
    """A response as plain data: ``set_cookies`` is a list, one ``Set-Cookie`` each."""

    body: bytes
    status_code: int
    headers: dict[str, str]
    set_cookies: list[str]
