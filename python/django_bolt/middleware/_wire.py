"""Responses a middleware layer is handed, made from what route code encodes: an
encoded ``Wire`` as a ``Response`` whose headers can still change (``from_wire``), and
the response an exception stands for (``answer``). Shared by the chain (``chain.py``)
and the Django middleware adapter (``django_adapter.py``), which the chain loads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..responses import Response, Wire


async def answer(on_error: Callable[[BaseException], Any], exc: BaseException) -> Response:
    """The response ``on_error`` gives for ``exc`` (an async custom exception handler's
    too)."""
    wire = on_error(exc)
    if inspect.iscoroutine(wire):
        wire = (await wire).wire
    return from_wire(wire)


def from_wire(wire: Wire) -> Response:
    """An encoded response as a Response whose headers middleware can change."""
    status, headers, body = wire
    response = Response(body, status)
    for name, value in headers:
        if name.lower() == "set-cookie":
            response.cookies.append(value)
        else:
            response.headers[name] = value
    return response
