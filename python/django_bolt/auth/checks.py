"""What a route's backends ask of Python before the handler (or a WebSocket's
handshake) for a request a token authenticated, beyond Rust's checks: whether the token
was revoked, and who its user is when the backend loads users its own way."""

from __future__ import annotations

from typing import Any

from .revocation import RevocationCheck
from .user_loader import UserLoader

__all__ = ["TokenChecks"]


class TokenChecks:
    """What a route's JWT backends ask of Python before the handler, for a request a
    token authenticated: the revocation check (a revoked token is a 401) and a custom
    user loader (``request.user`` from the backend's ``get_user``). Routes without
    either have none and pay nothing."""

    def __init__(self, revocation: RevocationCheck | None, loader: UserLoader | None) -> None:
        self.revocation = revocation
        self.loader = loader

    @classmethod
    def of(cls, auth: list[Any]) -> TokenChecks | None:
        revocation, loader = RevocationCheck.of(auth), UserLoader.of(auth)
        if revocation is None and loader is None:
            return None
        return cls(revocation, loader)

    async def arun(self, request: Any, load: bool) -> bool:
        """Check the request, and with ``load`` (the route loads users for a handler
        that reads them) let a custom loader set ``request.user``: True when it did
        (the default query is then skipped)."""
        if self.revocation is not None and self.revocation.needed(request):
            await self.revocation.acheck(request)
        backend = self._loader_backend(request) if load else None
        if backend is None:
            return False
        await self.loader.aload(request, backend)
        return True

    def run(self, request: Any, load: bool) -> bool:
        """``arun`` from a worker thread (a sync handler's)."""
        if self.revocation is not None and self.revocation.needed(request):
            self.revocation.check(request)
        backend = self._loader_backend(request) if load else None
        if backend is None:
            return False
        self.loader.load(request, backend)
        return True

    def _loader_backend(self, request: Any) -> Any | None:
        return self.loader.backend_of(request) if self.loader is not None else None
