"""``BoltAPI(django_middleware=...)``: which of the project's Django middleware run
around its Bolt routes."""

from __future__ import annotations

from typing import Any

#: Left out of ``django_middleware=True``: what the server already does in Rust for
#: Bolt routes (CORS, compression), which would otherwise be done twice.
DEFAULT_EXCLUDED_MIDDLEWARE = frozenset(
    (
        "corsheaders.middleware.CorsMiddleware",
        "django.middleware.gzip.GZipMiddleware",
    )
)


def get_django_middleware_setting() -> list[str]:
    """``settings.MIDDLEWARE``, as a list (empty when the project has none)."""
    from django.conf import settings

    return list(getattr(settings, "MIDDLEWARE", None) or [])


def load_django_middleware(
    config: bool | list[str] | tuple[str, ...] | dict[str, Any] | None = True,
    *,
    exclude_defaults: bool = True,
) -> list[Any]:
    """The Bolt middleware (one ``DjangoMiddlewareStack``, or none) for ``config``:

    - ``True``: ``settings.MIDDLEWARE`` without ``DEFAULT_EXCLUDED_MIDDLEWARE`` (unless
      ``exclude_defaults=False``);
    - a list of dotted paths: those, in that order (they need not be in MIDDLEWARE);
    - a dict filtering MIDDLEWARE: ``{"include": [...]}`` keeps only those,
      ``{"exclude": [...]}`` leaves those out;
    - ``False``/``None``: none.

    A bad entry raises ``ImproperlyConfigured`` and a path that does not import raises
    ``ImportError``, when the API is made, as Django's own startup would.
    """
    from django.core.exceptions import ImproperlyConfigured

    from .django_adapter import DjangoMiddlewareStack

    if config is None or config is False:
        return []
    if isinstance(config, (list, tuple)):
        paths = list(config)
    elif config is True or isinstance(config, dict):
        options = config if isinstance(config, dict) else {}
        unknown = options.keys() - {"include", "exclude"}
        if unknown:
            raise ImproperlyConfigured(
                f"django_middleware takes the keys 'include' and 'exclude', not {sorted(unknown)}"
            )
        include = options.get("include")
        exclude = set(options.get("exclude", ()))
        if exclude_defaults:
            exclude |= DEFAULT_EXCLUDED_MIDDLEWARE
        paths = [
            path
            for path in get_django_middleware_setting()
            if (include is None or path in include) and path not in exclude
        ]
    else:
        raise ImproperlyConfigured(
            "django_middleware is True, a list of dotted paths or a dict with 'include' or"
            f" 'exclude', not {config!r}"
        )
    for path in paths:
        if not isinstance(path, str):
            raise ImproperlyConfigured(
                f"django_middleware entries are dotted paths, not {path!r}; to pass a class,"
                " use BoltAPI(middleware=[DjangoMiddleware(cls)])"
            )
    return [DjangoMiddlewareStack(paths)] if paths else []
