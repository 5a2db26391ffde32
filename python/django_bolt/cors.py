"""CORS: ``@cors(...)`` on a route, or ``BoltAPI(cors=CORSConfig(...))`` for all of an
API's routes. Preflights are answered and responses marked in Rust (docs/middleware.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable)

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "QUERY")


@dataclass(frozen=True)
class CORSConfig:
    """Which origins may call a route from a browser, and how.

    ``origins`` are full origins (``"https://app.example.com"``) or ``["*"]`` for any;
    ``methods`` and ``headers`` are what a preflight allows (no ``headers``: only the
    CORS-safelisted ones; ``["*"]``: whichever it asks for), ``expose_headers`` the
    response headers a page may read, ``credentials`` lets cookies and
    ``Authorization`` through (not with ``"*"``: the CORS protocol forbids it), and
    ``max_age`` is how long, in seconds, a browser may cache a preflight's answer.
    """

    origins: tuple[str, ...]
    methods: tuple[str, ...] = DEFAULT_METHODS
    headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    credentials: bool = False
    max_age: int | None = None

    def __post_init__(self) -> None:
        for name in ("origins", "methods", "headers", "expose_headers"):
            object.__setattr__(self, name, _strings(name, getattr(self, name)))
        object.__setattr__(self, "methods", tuple(m.upper() for m in self.methods))
        if not self.origins:
            raise ValueError("CORS needs at least one origin (or '*' for any)")
        bad = [o for o in self.origins if o != "*" and ("://" not in o or o.endswith("/"))]
        if bad:
            raise ValueError(f"CORS origins are scheme://host[:port] without a path, not {bad!r}")
        for name in ("origins", "headers"):
            if "*" in getattr(self, name) and len(getattr(self, name)) > 1:
                raise ValueError(f"CORS {name}: '*' stands alone, not in {getattr(self, name)!r}")
        if self.credentials and "*" in self.origins:
            raise ValueError(
                "CORS credentials cannot be allowed for any origin ('*'); list the origins"
            )
        if self.max_age is not None and (not isinstance(self.max_age, int) or self.max_age < 0):
            raise ValueError(f"CORS max_age must be seconds (an int >= 0), not {self.max_age!r}")

    def describe(self) -> dict[str, Any]:
        """What Rust reads for each route."""
        return {
            "origins": list(self.origins),
            "methods": list(self.methods),
            "headers": list(self.headers),
            "expose_headers": list(self.expose_headers),
            "credentials": self.credentials,
            "max_age": self.max_age,
        }


def cors(
    origins: Iterable[str] = ("*",),
    methods: Iterable[str] = DEFAULT_METHODS,
    headers: Iterable[str] = (),
    credentials: bool = False,
    max_age: int | None = None,
    expose_headers: Iterable[str] = (),
) -> Callable[[Handler], Handler]:
    """Serve this route to browsers on other origins (see :class:`CORSConfig`)."""
    config = CORSConfig(origins, methods, headers, expose_headers, credentials, max_age)

    def decorate(handler: Handler) -> Handler:
        handler.__bolt_cors__ = config  # type: ignore[attr-defined]
        return handler

    return decorate


def describe_cors(handler: Callable[..., Any], default: CORSConfig | None) -> dict | None:
    """The route's CORS for Rust: its ``@cors``, else its API's; none when skipped."""
    if "cors" in getattr(handler, "__bolt_skip_middleware__", ()):
        return None
    config = getattr(handler, "__bolt_cors__", default)
    return None if config is None else config.describe()


def _strings(name: str, value: Any) -> tuple[str, ...]:
    items = () if isinstance(value, str) else tuple(value)
    if isinstance(value, str) or not all(isinstance(item, str) for item in items):
        raise TypeError(f"CORS {name} must be a list of str, not {value!r}")
    return items
