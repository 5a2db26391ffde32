"""The routes of a ViewSet: its standard actions at ``{path}`` and
``{path}/{lookup}``, and its ``@action`` methods below them, each with its options
(the registration's, over the class's, over the action's defaults: 201 for ``create``,
204 for ``destroy``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..decorators import ActionHandler
from ..pagination import paginate
from ..responses import Response
from . import _mixins
from ._apiview import class_options, vars_of
from ._binding import bind
from ._mixins import BODY_MARK, partial_body
from ._viewset import ViewSet, lookup_type

#: ``(action, HTTP method, on one object, default status)`` of the standard actions.
STANDARD_ACTIONS = (
    ("list", "GET", False, None),
    ("create", "POST", False, 201),
    ("retrieve", "GET", True, None),
    ("update", "PUT", True, None),
    ("partial_update", "PATCH", True, None),
    ("destroy", "DELETE", True, 204),
)
_STANDARD_NAMES = {action for action, *_ in STANDARD_ACTIONS}
#: Options an ``@action`` sets for its own routes when it gives them.
_ACTION_OPTIONS = (
    "auth",
    "guards",
    "status_code",
    "validate_response",
    "tags",
    "summary",
    "description",
    "response_model",
)

Routed = tuple[str, str, Callable[..., Any], dict[str, Any]]


def viewset_routes(
    viewset_class: type[ViewSet],
    path: str,
    options: dict[str, Any],
    lookup_field: str | None = None,
) -> Iterator[Routed]:
    """``(HTTP method, path, handler, route options)`` of every route of the class."""
    if not (isinstance(viewset_class, type) and issubclass(viewset_class, ViewSet)):
        raise TypeError(f"api.viewset() takes a ViewSet subclass, not {viewset_class!r}")
    if lookup_field is not None and lookup_field != viewset_class.lookup_field:
        viewset_class = _with_lookup(viewset_class, lookup_field)
    base = path.rstrip("/")
    argument = viewset_class.lookup_url_kwarg or viewset_class.lookup_field
    lookup = (argument, lookup_type(viewset_class))
    detail_path = f"{base}/{{{argument}}}"
    prefix = _snake(viewset_class.__name__)
    # name= names each route for reverse() as Django REST framework's routers do:
    # NAME-list, NAME-detail and NAME-<action>.
    options = dict(options)
    basename = options.pop("name", None)
    found = False
    for action, method, detail, status in STANDARD_ACTIONS:
        function = getattr(viewset_class, action, None)
        if not callable(function) or isinstance(function, ActionHandler):
            continue
        found = True
        annotations, response_model = _serializers(viewset_class, action, function)
        handler = bind(
            viewset_class,
            function,
            f"{prefix}_{action}",
            action=action,
            with_request=True,
            lookup=lookup if detail else None,
            annotations=annotations,
            on_none=_no_content if action == "destroy" else None,
        )
        if (
            action == "list"
            and viewset_class.pagination_class is not None
            and getattr(handler, "__bolt_paginator__", None) is None
        ):
            handler = paginate(viewset_class.pagination_class)(handler)
        route_options = class_options(viewset_class, options)
        if status is not None:
            route_options.setdefault("status_code", status)
        if response_model is not None:
            route_options.setdefault("response_model", response_model)
        if basename:
            route_options["name"] = f"{basename}-{'detail' if detail else 'list'}"
        yield method, detail_path if detail else (base or "/"), handler, route_options
    for name, marked in vars_of(viewset_class):
        if not isinstance(marked, ActionHandler) or name in _STANDARD_NAMES:
            continue
        found = True
        route_options = class_options(viewset_class, options)
        for option in _ACTION_OPTIONS:
            if getattr(marked, option) is not None:
                route_options[option] = getattr(marked, option)
        action_path = f"{detail_path if marked.detail else base}/{marked.path}"
        if basename:
            route_options["name"] = f"{basename}-{marked.name or name.replace('_', '-')}"
        for method in marked.methods:
            handler = bind(
                viewset_class,
                marked.fn,
                f"{prefix}_{name}",
                action=name,
                with_request=True,
                lookup=lookup if marked.detail else None,
            )
            yield method, action_path, handler, route_options
    if not found:
        raise TypeError(
            f"{viewset_class.__qualname__} defines none of "
            f"{', '.join(action for action, *_ in STANDARD_ACTIONS)} and no @action; "
            "there is nothing to route"
        )


def _serializers(
    viewset_class: type[ViewSet], action: str, function: Callable[..., Any]
) -> tuple[dict[str, Any], Any]:
    """The body type of a built-in write action (``{"data": type}``) and the response
    model of an action without a return annotation, from the class's serializers."""
    sample = viewset_class()
    sample.action = action
    annotations: dict[str, Any] = {}
    reads = getattr(function, BODY_MARK, None)
    if reads is not None:
        body_action, partial = reads
        # The class's own mistake: a built-in write action needs its serializer.
        serializer = sample.get_serializer_class(body_action)
        _check_writable(viewset_class, serializer)
        annotations["data"] = partial_body(serializer) if partial else serializer
    if action == "destroy" or inspect.signature(function).return_annotation is not (
        inspect.Signature.empty
    ):
        return annotations, None
    built_in = function.__module__ == _mixins.__name__
    try:
        serializer = sample.get_serializer_class("list" if action == "list" else "retrieve")
    except ValueError:
        if built_in:
            raise
        return annotations, None  # the user's action answers what it returns
    except (AttributeError, TypeError):
        # A choice made from the request, which registration has not: no response model.
        return annotations, None
    return annotations, list[serializer] if action == "list" else serializer


def _check_writable(viewset_class: type[ViewSet], serializer: Any) -> None:
    """Every field a built-in write action copies onto the model must be a field of
    the model (when the queryset names it): a typo would otherwise fail per request."""
    model = getattr(viewset_class.queryset, "model", None)
    if model is None:
        return
    read_only = getattr(serializer, "__read_only__", frozenset())
    known = {name for f in model._meta.concrete_fields for name in (f.name, f.attname)}
    unknown = [n for n in serializer.__struct_fields__ if n not in read_only and n not in known]
    if unknown:
        raise TypeError(
            f"{viewset_class.__qualname__}: {serializer.__name__} field(s) {unknown} are not "
            f"fields of {model.__name__}; make them read-only, or write create()/update() "
            "(or perform_create()/perform_update()) yourself"
        )


def _no_content() -> Response:
    """What a ``destroy`` that returns None answers: 204 without a body."""
    return Response(status_code=204, media_type=None)


def _with_lookup(viewset_class: type[ViewSet], lookup_field: str) -> type[ViewSet]:
    """The class with ``lookup_field`` given at registration instead of its own."""
    subclass = type(viewset_class.__name__, (viewset_class,), {"lookup_field": lookup_field})
    subclass.__qualname__ = viewset_class.__qualname__
    subclass.__module__ = viewset_class.__module__
    return subclass


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
