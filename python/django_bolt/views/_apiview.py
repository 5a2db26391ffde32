"""``APIView``: one class for the methods of one resource path, registered with
``@api.view("/path")``.

Each of ``get``, ``post``, ``put``, ``patch`` and ``delete`` the class defines becomes a
route on that path, its parameters read from its signature (after ``self``) as for a
function handler. Every request gets a fresh instance, so a handler may keep state on
``self`` without other requests seeing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from ..decorators import ActionHandler
from ._binding import bind

HTTP_METHODS = ("get", "post", "put", "patch", "delete")

#: Class attributes that are defaults of every route's options.
CLASS_OPTIONS = ("tags", "guards", "auth", "status_code", "validate_response")


class APIView:
    """Base class of the views given to ``@api.view``. ``tags``, ``guards``, ``auth``,
    ``status_code`` and ``validate_response`` apply to every method's route unless
    ``@api.view(...)`` passes its own.

    Each request gets a new instance (keyword arguments of the constructor become
    attributes); ``self.request`` is the Request when the method takes one, and
    ``self.action`` the name of the method called."""

    http_method_names: ClassVar[tuple[str, ...]] = HTTP_METHODS
    tags: ClassVar[list[str] | None] = None
    guards: ClassVar[list[Any] | None] = None
    auth: ClassVar[list[Any] | None] = None
    status_code: ClassVar[int | None] = None
    validate_response: ClassVar[bool | None] = None

    request: Any = None
    action: str | None = None

    def __init__(self, **attributes: Any) -> None:
        for name, value in attributes.items():
            setattr(self, name, value)

    @classmethod
    def get_allowed_methods(cls) -> set[str]:
        """The HTTP methods the class defines, upper case."""
        return {name.upper() for name in _defined_methods(cls)}


def class_options(view_class: type, options: dict[str, Any]) -> dict[str, Any]:
    """The route options: the class attributes of ``CLASS_OPTIONS`` that are set, under
    the registration's ``options`` (which win)."""
    defaults = {
        name: getattr(view_class, name)
        for name in CLASS_OPTIONS
        if getattr(view_class, name, None) is not None
    }
    return {**defaults, **{k: v for k, v in options.items() if v is not None}}


def view_routes(
    view_class: type[APIView], options: dict[str, Any], methods: Iterable[str] | None = None
) -> Iterator[tuple[str, Callable[..., Any], dict[str, Any]]]:
    """``(HTTP method, handler, route options)`` for each method ``view_class`` defines
    (only ``methods``, when given)."""
    if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
        raise TypeError(f"@api.view() takes an APIView subclass, not {view_class!r}")
    actions = [name for name, value in vars_of(view_class) if isinstance(value, ActionHandler)]
    if actions:
        raise ValueError(
            f"{view_class.__qualname__}.{actions[0]} is an @action: register the class "
            "with api.viewset(path), which routes its actions, not api.view()"
        )
    defined = _defined_methods(view_class)
    if methods is not None:
        wanted = [method.lower() for method in methods]
        missing = [method for method in wanted if method not in defined]
        if missing:
            raise TypeError(
                f"{view_class.__qualname__} does not define {', '.join(missing)}; "
                f"it defines {', '.join(defined) or 'none of ' + ', '.join(HTTP_METHODS)}"
            )
        defined = wanted
    if not defined:
        raise TypeError(
            f"{view_class.__qualname__} defines none of {', '.join(HTTP_METHODS)}; "
            "there is nothing to route"
        )
    route_options = class_options(view_class, options)
    for name in defined:
        handler = bind(view_class, getattr(view_class, name), name, action=name)
        yield name.upper(), handler, route_options


def vars_of(view_class: type) -> Iterator[tuple[str, Any]]:
    """Every public attribute of the class and its bases, each name once (the nearest
    definition)."""
    seen: set[str] = set()
    for klass in view_class.__mro__:
        for name, value in vars(klass).items():
            if not name.startswith("_") and name not in seen:
                seen.add(name)
                yield name, value


def _defined_methods(view_class: type) -> list[str]:
    allowed = [name for name in view_class.http_method_names if name in HTTP_METHODS]
    return [name for name in allowed if callable(getattr(view_class, name, None))]
