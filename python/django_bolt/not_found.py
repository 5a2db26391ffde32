"""Which path prefixes Bolt owns: under one, a path no Bolt route matches is answered
404 by Rust (JSON, without Python) instead of going to Django, which would answer its
own 404 much more slowly.

A ``BoltAPI`` claims its ``prefix`` (and the prefixes of what it mounts or includes).
What becomes of a claim is the API's ``not_found``: ``"django"`` leaves every unmatched
path to the ASGI app as before, ``"bolt"`` owns the prefix whatever Django's URLs say,
and ``"auto"`` (the default) owns it only when the ASGI app is Django's and no pattern
of its ``ROOT_URLCONF`` could match anywhere under the prefix, so that a Django view is
never hidden; a pattern that can only match below a fixed path under the prefix leaves
that path to Django. The patterns are read conservatively: a pattern whose leading
literal text cannot be told (a regex without ``^``, ``i18n_patterns``, a catch-all) may
match anything. ASGI mounts and the static and media URLs under an owned prefix still
go to the ASGI app; health checks and the files Rust serves are answered before the 404.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from django.http import Http404

NotFound = Literal["auto", "bolt", "django"]
MODES: tuple[NotFound, ...] = ("auto", "bolt", "django")

#: What a regex may hold past its literal text (a character before a quantifier is
#: optional, so it is not part of the literal either).
_REGEX_SPECIAL = frozenset(".^$*+?{}[]|()\\")
_QUANTIFIERS = frozenset("*+?{")


def checked_mode(not_found: str) -> NotFound:
    if not_found not in MODES:
        raise ValueError(f"not_found must be 'auto', 'bolt' or 'django', not {not_found!r}")
    return not_found  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class Claim:
    """A prefix all of an API's routes (or a mounted or included part's) lie under."""

    prefix: str
    mode: NotFound = "auto"


@dataclasses.dataclass(frozen=True)
class Ownership:
    """The prefixes Rust answers 404 under, the paths below them left to the ASGI app
    (its mounts, the static and media URLs, Django's views, claimed prefixes not owned),
    and each claimed prefix that is not owned with the reason."""

    owned: tuple[str, ...] = ()
    left_to_asgi: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str | None:
        """One line for the start-up log, or None when nothing was claimed."""
        if not self.owned and not self.refused:
            return None
        parts = []
        if self.owned:
            parts.append(f"404 answered by Rust under {', '.join(self.owned)}")
            if self.left_to_asgi:
                parts[-1] += f" (except {', '.join(self.left_to_asgi)})"
        parts += [f"{prefix} left to the ASGI app: {why}" for prefix, why in self.refused]
        return "; ".join(parts)


class Claiming(Protocol):
    """What ``ownership`` reads of a ``BoltAPI`` (which imports this module)."""

    claims: list[Claim]


def served_by_rust(request: Any, *args: Any, **kwargs: Any) -> None:
    """The view of the reverse-only URL patterns of Bolt routes (``django_bolt.urls``):
    never reached for a served route, since Rust answers its path before Django."""
    raise Http404


def ownership(apis: Sequence[Claiming], asgi: Any) -> Ownership:
    """What the ``apis`` own in front of the ASGI app ``asgi`` (None: there is none, and
    Rust answers every unmatched path 404 already)."""
    modes: dict[str, NotFound] = {}
    for claim in (claim for api in apis for claim in api.claims):
        # Claimed twice: the more cautious mode wins.
        modes[claim.prefix] = min(modes.get(claim.prefix, "bolt"), claim.mode, key=_caution)
    if asgi is None or not modes:
        return Ownership()
    # Paths the ASGI app serves whatever its URLconf says: mounts, static and media files.
    served = [m.prefix for api in apis for m in api.asgi_mounts] + _file_urls()
    urls = _django_urls(asgi)
    owned, refused, views = [], [], []
    for prefix, mode in modes.items():
        why = _refusal(prefix, mode, urls, served)
        if why is not None:
            refused.append((prefix, why))
            continue
        owned.append(prefix)
        if mode == "auto" and not isinstance(urls, str):
            views += [p.within for p in urls if _strictly_under(p.within, prefix)]
    owned = [p for p in owned if not any(o != p and under(p, o) for o in owned)]
    # A prefix left to the app below an owned one stays the app's: caution wins.
    below = [*served, *views, *(prefix for prefix, _ in refused)]
    left = [p for p in dict.fromkeys(below) if any(under(p, o) for o in owned)]
    return Ownership(tuple(owned), tuple(left), tuple(refused))


def _caution(mode: NotFound) -> int:
    return {"django": 0, "auto": 1, "bolt": 2}[mode]


def _refusal(
    prefix: str, mode: NotFound, urls: list[Pattern] | str, served: list[str]
) -> str | None:
    """Why ``prefix`` is not owned, or None when it is; ``urls``: the app's URL patterns,
    or why they are unknown."""
    if mode == "django":
        return "not_found='django'"
    covering = next((p for p in served if under(prefix, p)), None)
    if covering is not None:
        return f"the ASGI app serves everything under {covering}"
    if mode == "bolt":
        return None
    if isinstance(urls, str):
        return urls
    # A pattern only a part of the prefix can hold leaves that part to Django instead.
    blocker = next(
        (p for p in urls if p.may_match_under(prefix) and not _strictly_under(p.within, prefix)),
        None,
    )
    if blocker is None:
        return None
    return f"Django's URL pattern {blocker.described} may match there"


def _django_urls(app: Any) -> list[Pattern] | str:
    """The URL patterns of the ASGI ``app``, or why they are unknown."""
    from django.core.handlers.asgi import ASGIHandler

    if not isinstance(app, ASGIHandler):
        return "the ASGI app is not Django's, its URLs are unknown (not_found='bolt' owns it)"
    try:
        return list(django_patterns())
    except Exception as exc:  # a broken URLconf: Django says so at the first request
        return f"the URLconf could not be read ({type(exc).__name__}: {exc})"


def under(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or below it, segment-wise (as Rust decides)."""
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _strictly_under(path: str, prefix: str) -> bool:
    return path.rstrip("/") != prefix.rstrip("/") and under(path, prefix)


@dataclasses.dataclass(frozen=True)
class Pattern:
    """What a Django URL pattern may match: exactly ``literal`` (``exact``), or any path
    that starts with it."""

    literal: str
    exact: bool
    described: str

    @property
    def within(self) -> str:
        """The narrowest path every path the pattern may match is under, segment-wise:
        ``/a/b`` for ``a/b/``, ``a/b`` and ``a/b/<x>``, ``/a`` for ``a/b<x>``."""
        end = len(self.literal.rstrip("/")) if self.exact else self.literal.rindex("/")
        return self.literal[:end] or "/"

    def may_match_under(self, prefix: str) -> bool:
        if self.exact:
            # APPEND_SLASH also sends the path without its slash to the view.
            return any(under(p, prefix) for p in (self.literal, self.literal.rstrip("/")) if p)
        return prefix.startswith(self.literal) or self.literal.startswith(prefix + "/")


def django_patterns(urlconf: str | None = None) -> Iterator[Pattern]:
    """Every pattern of the URLconf as what it may match, an ``include()`` opened
    when its whole pattern is literal; Bolt's own reverse-only patterns are left out."""
    from django.urls import get_resolver

    yield from _walk(get_resolver(urlconf).url_patterns, "/", "")


def _walk(entries: Sequence[Any], base: str, described: str) -> Iterator[Pattern]:
    from django.urls import URLResolver

    for entry in entries:
        literal, whole, exact = _literal(entry.pattern)
        here = f"{described}{entry.pattern}"
        if isinstance(entry, URLResolver):
            if whole:
                yield from _walk(entry.url_patterns, base + literal, here)
                continue
            yield Pattern(base + literal, False, repr(here))
        elif getattr(entry, "callback", None) is not served_by_rust:
            view = getattr(entry, "lookup_str", "")
            yield Pattern(base + literal, whole and exact, f"{here!r} ({view})")


def _literal(pattern: Any) -> tuple[str, bool, bool]:
    """``(literal, whole, exact)``: the text every path the pattern matches starts with,
    whether that text is the whole pattern, and whether an endpoint pattern matches
    nothing but it. Anything unknown is ``("", False, False)``: it may match anything."""
    from django.urls.resolvers import RegexPattern, RoutePattern

    endpoint = getattr(pattern, "_is_endpoint", False)
    # A lazily translated pattern differs by language: unknown.
    if isinstance(pattern, RoutePattern) and isinstance(pattern._route, str):
        route = pattern._route
        literal = route.split("<", 1)[0]
        return literal, literal == route, endpoint
    if isinstance(pattern, RegexPattern) and isinstance(pattern._regex, str):
        regex = pattern._regex
        # Django searches a regex without ^ anywhere in the path; an alternative may
        # begin anywhere (told apart from a | in a group only by parsing: not done).
        if not regex.startswith("^") or "|" in regex:
            return "", False, False
        end = 1
        while end < len(regex) and regex[end] not in _REGEX_SPECIAL:
            end += 1
        rest = regex[end:]
        literal = regex[1:end]
        if rest[:1] in _QUANTIFIERS:
            return literal[:-1], False, False
        anchored = rest in ("$", "\\Z")
        return literal, rest == "" or anchored, endpoint and anchored
    return "", False, False


def _file_urls() -> list[str]:
    """STATIC_URL and MEDIA_URL as paths: Django may serve them (WhiteNoise, ``static()``)."""
    from django.conf import settings

    if not settings.configured:
        return []
    paths = []
    for name in ("STATIC_URL", "MEDIA_URL"):
        url = getattr(settings, name, None)
        parts = urlsplit(url or "")
        if url and not parts.scheme and not parts.netloc and parts.path.strip("/"):
            paths.append("/" + parts.path.strip("/"))
    return paths
