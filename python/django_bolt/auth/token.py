"""``Token``: a JWT as a value, to make one with chosen claims (``Token.create``) or read
one a client handed over outside a route (``Token.decode``, verified in Rust as a
route's token is)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec

from .._core import decode_jwt
from .jwt_utils import sign

__all__ = ["Token"]

UTC = datetime.UTC


def _utc(value: datetime.datetime) -> datetime.datetime:
    """In UTC and whole seconds, as a JWT keeps times (a naive time is taken as UTC)."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.replace(microsecond=0)


def _now() -> datetime.datetime:
    return _utc(datetime.datetime.now(UTC))


@dataclass
class Token:
    """The claims of a token: the registered ones, the flags and permissions the guards
    read, and any others in ``extras``. Times are aware ``datetime``s in UTC."""

    exp: datetime.datetime
    sub: str
    iat: datetime.datetime = field(default_factory=_now)
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None
    nbf: datetime.datetime | None = None
    is_staff: bool | None = None
    is_superuser: bool | None = None
    is_admin: bool | None = None
    permissions: list[str] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.sub, str) or not self.sub:
            raise ValueError("Token: sub (the subject) must be a non-empty string")
        for name in ("exp", "iat", "nbf"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime.datetime):
                raise ValueError(f"Token: {name} must be a datetime, not {value!r}")
            if value is not None:
                setattr(self, name, _utc(value))

    @classmethod
    def create(
        cls,
        sub: str,
        expires_delta: datetime.timedelta | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        is_staff: bool = False,
        is_admin: bool = False,
        permissions: list[str] | None = None,
        **extra_claims: Any,
    ) -> Token:
        """A token for ``sub`` expiring in ``expires_delta`` (default an hour); an
        admin is staff too. Other keyword arguments become claims."""
        now = _now()
        return cls(
            exp=now + (expires_delta or datetime.timedelta(hours=1)),
            sub=sub,
            iat=now,
            iss=issuer,
            aud=audience,
            is_staff=is_staff or is_admin,
            is_admin=is_admin,
            permissions=permissions,
            extras=extra_claims,
        )

    def to_dict(self) -> dict[str, Any]:
        """The claims, times as seconds since the epoch, unset ones left out."""
        claims: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "extras" or value is None:
                continue
            if isinstance(value, datetime.datetime):
                value = int(value.timestamp())
            claims[spec.name] = value
        return {**claims, **self.extras}

    def encode(
        self,
        secret: str | bytes,
        algorithm: str = "HS256",
        headers: dict[str, str] | None = None,
    ) -> str:
        """The signed token (signed in Rust): ``secret`` is the HMAC secret or the PEM
        private key of RS*/PS*/ES*/EdDSA; ``headers`` are more JOSE header fields
        (``{"kid": "key-1"}``)."""
        if self.exp <= _now():
            raise ValueError("Token: exp is in the past; the token would never be valid")
        return sign(self.to_dict(), secret, algorithm, headers)

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str | bytes,
        algorithm: str | list[str] = "HS256",
        audience: str | list[str] | None = None,
        issuer: str | list[str] | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        leeway: int = 0,
    ) -> Token:
        """The token, once its signature (and ``exp``, ``nbf``, ``aud``, ``iss`` as
        asked) is verified; a ``ValueError`` saying why it is refused."""
        key = secret.encode() if isinstance(secret, str) else secret
        raw = decode_jwt(
            encoded_token,
            key,
            [algorithm] if isinstance(algorithm, str) else list(algorithm),
            _strings(audience),
            _strings(issuer),
            leeway,
            verify_exp,
            verify_nbf,
        )
        claims = msgspec.json.decode(raw)
        if not isinstance(claims.get("sub"), str) or "exp" not in claims:
            raise ValueError("Token needs a string 'sub' and an 'exp' claim")
        known = {spec.name for spec in fields(cls)} - {"extras"}
        values = {name: claims.pop(name) for name in known & claims.keys()}
        for name in ("exp", "iat", "nbf"):
            if name in values:
                values[name] = datetime.datetime.fromtimestamp(values[name], UTC)
        return cls(**values, extras=claims)


def _strings(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
