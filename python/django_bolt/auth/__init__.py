"""Who may call a route: everything about authentication, by concern.

- ``backends``: ``auth=[...]`` on a route (JWT, API keys, Django sessions), described
  to Rust, which checks each request's credentials before any Python runs;
- ``guards``: ``guards=[...]`` on a route, decided in Rust from what a backend found;
- ``tokens``: making the JSON Web Tokens ``JWTAuthentication`` accepts;
- ``users``: ``request.user``, the Django user (or the token's) a request names;
- ``_permissions`` and ``_sessions``: what Python decides where Rust cannot (Django's
  permissions of a token's user, a Django session), run before the handler.

The package itself offers the backends, as the module ``django_bolt.auth`` did; the
other public names come from ``django_bolt`` or their module.
"""

from .backends import (
    APIKeyAuthentication,
    AuthBackend,
    JWTAuthentication,
    SessionAuthentication,
    jwt_secret,
)

__all__ = [
    "APIKeyAuthentication",
    "AuthBackend",
    "JWTAuthentication",
    "SessionAuthentication",
    "jwt_secret",
]
