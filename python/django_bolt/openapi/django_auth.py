"""``OpenAPIConfig(django_auth=...)``: the documentation pages and document behind one
of Django's view decorators (``login_required``, ``staff_member_required``,
``permission_required(...)``, ``user_passes_test(...)``; ``True`` is
``login_required``), judged on the Django session of the request.

The decorator wraps a stand-in Django view, called with a Django request built from
the Bolt request's head and its session user: when the stand-in runs, the page is
served; otherwise the decorator's own answer (a redirect to the login page, a 403) is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core import Request
from ..exceptions import HTTPException
from ..responses import Response

#: What the stand-in view returns: the decorator let the request through.
_PASSED = object()


def decorator_of(django_auth: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if django_auth is True:
        from django.contrib.auth.decorators import login_required

        return login_required
    return django_auth


def check_django_auth(django_auth: Any) -> None:
    """Refuse, when the config is made, what cannot be a view decorator."""
    if django_auth in (None, False, True) or callable(django_auth):
        return
    raise TypeError(
        "OpenAPIConfig: django_auth must be True (login_required) or a Django view"
        f" decorator such as staff_member_required, not {django_auth!r}"
    )


def gated(django_auth: Any, handler: Callable[[], Any]) -> Callable[..., Any]:
    """``handler`` (a docs route's, without arguments) behind the decorator."""
    view = decorator_of(django_auth)(_stand_in)

    async def docs_behind_django_auth(request: Request) -> Any:
        from asgiref.sync import sync_to_async

        refusal = await sync_to_async(_judge)(view, request)
        return await handler() if refusal is None else refusal

    return docs_behind_django_auth


def _stand_in(django_request: Any, *args: Any, **kwargs: Any) -> Any:
    return _PASSED


def _judge(view: Callable[..., Any], request: Request) -> Response | None:
    """None when the decorator lets ``request`` through, else its answer."""
    from django.core.exceptions import PermissionDenied

    from ..auth._sessions import _django_request, _session_user

    django_request = _django_request(request, request.auth.get("scheme") == "https")
    django_request.user = _session_user(django_request)
    try:
        answer = view(django_request)
    except PermissionDenied as denied:
        raise HTTPException(403, str(denied) or "Permission denied") from None
    if answer is _PASSED:
        return None
    response = Response(answer.content, answer.status_code, media_type=None)
    for name, value in answer.items():
        response.headers[name.lower()] = value
    return response
