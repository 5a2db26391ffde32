"""``APIView``: one class for the methods of one resource path, registered with
``@api.view("/path")``.

Each of ``get``, ``post``, ``put``, ``patch`` and ``delete`` the class defines becomes a
route on that path, its parameters read from its signature (after ``self``) as for a
function handler. Every request gets a fresh instance, so a handler may keep state on
``self`` without other requests seeing it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

__all__ = ["APIView"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class APIView:
    """Base class of the views given to ``@api.view``. ``tags``, ``guards`` and ``auth``
    apply to every method's route unless ``@api.view(...)`` passes its own."""

    tags: ClassVar[list[str] | None] = None
    guards: ClassVar[list[Any] | None] = None
    auth: ClassVar[list[Any] | None] = None


def view_routes(
    view_class: type[APIView], options: dict[str, Any]
) -> Iterator[tuple[str, Callable[..., Any], dict[str, Any]]]:
    """``(HTTP method, handler, route options)`` for each method ``view_class`` defines."""
    if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
        raise TypeError(f"@api.view() takes an APIView subclass, not {view_class!r}")
    defaults = {
        name: getattr(view_class, name)
        for name in ("tags", "guards", "auth")
        if getattr(view_class, name) is not None
    }
    methods = [name for name in HTTP_METHODS if callable(getattr(view_class, name, None))]
    if not methods:
        raise TypeError(
            f"{view_class.__qualname__} defines none of {', '.join(HTTP_METHODS)}; "
            "there is nothing to route"
        )
    for name in methods:
        yield name.upper(), _handler(view_class, name), {**defaults, **options}


def _handler(view_class: type[APIView], name: str) -> Callable[..., Any]:
    """A function calling ``name`` on a new instance, with the method's signature
    without ``self`` (its annotations and module stay, for the route to read)."""
    method = getattr(view_class, name)
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].kind not in (
        parameters[0].POSITIONAL_ONLY,
        parameters[0].POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(f"{view_class.__qualname__}.{name} must take self first")

    if inspect.iscoroutinefunction(method):

        async def handler(**kwargs: Any) -> Any:
            return await method(view_class(), **kwargs)

    else:

        def handler(**kwargs: Any) -> Any:
            return method(view_class(), **kwargs)

    functools.update_wrapper(handler, method)
    handler.__signature__ = signature.replace(parameters=parameters[1:])  # type: ignore[attr-defined]
    return handler
