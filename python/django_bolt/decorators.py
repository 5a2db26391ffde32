"""Decorators that adjust how a route is served, and ``@action`` (a ViewSet's extra
routes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable)


def no_compress(handler: Handler) -> Handler:
    """Never compress this route's responses, even when its API compresses."""
    handler.__bolt_no_compress__ = True  # type: ignore[attr-defined]
    return handler


def skip_middleware(*names: str | type) -> Callable[[Handler], Handler]:
    """Leave the named middleware out for this route: ``"compression"`` (that is
    ``@no_compress``), ``"cors"``, ``"rate_limit"``, or a middleware class (or its name)
    of the API or the route."""

    def decorate(handler: Handler) -> Handler:
        skipped = set(getattr(handler, "__bolt_skip_middleware__", ())) | set(names)
        handler.__bolt_skip_middleware__ = frozenset(skipped)  # type: ignore[attr-defined]
        if "compression" in names:
            no_compress(handler)
        return handler

    return decorate


#: HTTP methods an ``@action`` can answer.
ACTION_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class ActionHandler:
    """A ViewSet method marked by ``@action``: ``api.viewset()`` routes it at
    ``{path}/{action path}`` (``detail=False``) or ``{path}/{lookup}/{action path}``
    (``detail=True``), once per method in ``methods``. Reading it from an instance
    gives the bound method, so other methods can call it."""

    __slots__ = (
        "auth",
        "description",
        "detail",
        "fn",
        "guards",
        "methods",
        "name",
        "path",
        "response_model",
        "status_code",
        "summary",
        "tags",
        "validate_response",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        methods: list[str],
        detail: bool,
        path: str | None = None,
        name: str | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        response_model: Any = None,
        status_code: int | None = None,
        validate_response: bool | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
    ) -> None:
        self.fn = fn
        self.methods = [method.upper() for method in methods]
        self.detail = detail
        self.path = (path or fn.__name__).strip("/")
        self.name = name
        self.auth = auth
        self.guards = guards
        self.response_model = response_model
        self.status_code = status_code
        self.validate_response = validate_response
        self.tags = tags
        self.summary = summary
        self.description = description

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self if instance is None else self.fn.__get__(instance, owner)

    def __repr__(self) -> str:
        kind = "detail" if self.detail else "list"
        return f"ActionHandler({'|'.join(self.methods)}, {kind}, path={self.path!r})"


def action(
    methods: list[str] | None = None,
    detail: bool | None = None,
    path: str | None = None,
    *,
    url_path: str | None = None,
    name: str | None = None,
    url_name: str | None = None,
    auth: list[Any] | None = None,
    guards: list[Any] | None = None,
    response_model: Any = None,
    status_code: int | None = None,
    validate_response: bool | None = None,
    tags: list[str] | None = None,
    summary: str | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], ActionHandler]:
    """Route a ViewSet method besides the standard actions: ``detail=True`` at
    ``{path}/{lookup}/{name}``, ``detail=False`` at ``{path}/{name}``, answering
    ``methods`` (GET by default). ``path`` (or ``url_path``) replaces the method's name
    in the URL; ``auth``, ``guards``, ``tags`` and ``status_code`` replace the class's;
    ``response_model``, ``summary`` and ``description`` are as for ``api.get``."""
    if detail is None:
        raise TypeError("@action needs detail=True (one object) or detail=False (the collection)")
    if path is not None and url_path is not None:
        raise TypeError("@action takes path or url_path (the same thing), not both")
    wanted = [method.upper() for method in (methods or ["GET"])]
    unknown = [method for method in wanted if method not in ACTION_METHODS]
    if unknown:
        raise ValueError(
            f"@action methods {unknown} are not HTTP methods; use {', '.join(ACTION_METHODS)}"
        )

    def decorate(fn: Callable[..., Any]) -> ActionHandler:
        return ActionHandler(
            fn,
            wanted,
            detail,
            path=path or url_path,
            name=name or url_name,
            auth=auth,
            guards=guards,
            response_model=response_model,
            status_code=status_code,
            validate_response=validate_response,
            tags=tags,
            summary=summary,
            description=description,
        )

    return decorate
