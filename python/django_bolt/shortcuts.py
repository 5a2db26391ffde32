"""``render``: a Django template as an HTML response, as Django's own shortcut of
the same name makes one for a view."""

from __future__ import annotations

from typing import Any

from .responses import HTML

__all__ = ["render"]


def render(
    request: Any,
    template_name: str | list[str] | tuple[str, ...],
    context: dict[str, Any] | None = None,
    content_type: str | None = None,
    status: int = 200,
    using: str | None = None,
    *,
    status_code: int | None = None,
    headers: dict[str, str] | None = None,
) -> HTML:
    """``template_name`` (or the first of a list that exists) rendered with ``context``
    by the project's template engines (``using`` picks one), answered with ``status``
    (``status_code`` is the same) as ``content_type`` (``text/html; charset=utf-8``).

    The template sees ``request`` in its context. Django's context processors run only
    for a Django ``HttpRequest``: they read attributes a Bolt request does not have
    (``META``, ...), so with a Bolt ``Request`` put what they would add in ``context``.
    """
    from django.http import HttpRequest
    from django.template import loader

    if isinstance(request, HttpRequest):
        html = loader.render_to_string(template_name, context, request, using)
    else:
        html = loader.render_to_string(
            template_name, {"request": request, **(context or {})}, None, using
        )
    return HTML(
        html,
        status_code=status if status_code is None else status_code,
        headers=headers,
        media_type=content_type or "text/html; charset=utf-8",
    )
