"""A class's method as a route handler: a function with the method's signature (less
``self``) that calls the method on a new instance of the class for each request.

The handler may declare more than the method does: a ``Request`` argument (so
``self.request`` is set even when the method takes none), the path's lookup argument
(so ``self.kwargs`` holds it for ``get_object()``), or a body type the method leaves to
its class (``data`` of the built-in ViewSet actions). What the method does not take is
kept on the instance and not passed on.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from .._core import Request
from ..dependencies import is_request

#: The argument added for the Request when the method takes none.
REQUEST_ARGUMENT = "_bolt_request"


def bind(
    view_class: type,
    function: Callable[..., Any],
    name: str,
    *,
    action: str | None = None,
    with_request: bool = False,
    lookup: tuple[str, Any] | None = None,
    annotations: dict[str, Any] | None = None,
    on_none: Callable[[], Any] | None = None,
) -> Callable[..., Any]:
    """The handler of ``function`` (a method of ``view_class``, or a function taking
    its instance first), named ``name`` in logs and the OpenAPI document.

    ``with_request`` adds a Request argument when the method takes none; ``lookup``
    (argument name, type) adds the path's lookup argument when it is missing;
    ``annotations`` replace the method's own (a body type chosen by the class);
    ``on_none`` makes the answer of a method that returns None."""
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(f"{view_class.__qualname__}.{function.__name__} must take self first")
    parameters = parameters[1:]
    hints = _hints(function)
    hints.update(annotations or {})
    parameters = [
        p.replace(annotation=annotations[p.name]) if annotations and p.name in annotations else p
        for p in parameters
    ]
    request_name = next((p.name for p in parameters if is_request(p, hints)), None)
    added: list[inspect.Parameter] = []
    if request_name is None and with_request:
        request_name = REQUEST_ARGUMENT
        added.append(_keyword(REQUEST_ARGUMENT, Request))
    lookup_name = None
    if lookup is not None:
        lookup_name = lookup[0]
        if lookup_name not in signature.parameters:
            added.append(_keyword(lookup_name, lookup[1]))

    def prepare(kwargs: dict[str, Any]) -> Any:
        view = view_class()
        view.action = action
        if request_name is not None:
            view.request = kwargs[request_name]
        if lookup_name is not None:
            view.kwargs = {lookup_name: kwargs[lookup_name]}
        for parameter in added:
            del kwargs[parameter.name]
        return view

    if inspect.iscoroutinefunction(function):

        async def handler(**kwargs: Any) -> Any:
            view = prepare(kwargs)
            result = await function(view, **kwargs)
            return on_none() if result is None and on_none is not None else result

    else:

        def handler(**kwargs: Any) -> Any:
            view = prepare(kwargs)
            result = function(view, **kwargs)
            return on_none() if result is None and on_none is not None else result

    functools.update_wrapper(handler, function)
    handler.__name__ = name
    handler.__qualname__ = f"{view_class.__qualname__}.{function.__name__}"
    handler.__signature__ = signature.replace(parameters=[*parameters, *added])  # type: ignore[attr-defined]
    handler.__annotations__ = {
        **hints,
        **{p.name: p.annotation for p in added},
    }
    return handler


def _keyword(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The method's type hints, resolved when they can be; otherwise as written, for
    the route to resolve (and report) with the method's module."""
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception:
        return dict(getattr(function, "__annotations__", {}))
