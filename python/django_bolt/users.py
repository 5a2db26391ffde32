"""``request.user``'s former module, kept for code that imports it (and the Rust side,
which takes ``TokenUser`` and ``anonymous_user`` from here): it lives in
:mod:`django_bolt.auth.users`."""

from .auth.users import *  # noqa: F403
from .auth.users import __all__  # noqa: F401
