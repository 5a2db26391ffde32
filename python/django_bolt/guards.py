"""The guards' former module, kept for code that imports it: they live in
:mod:`django_bolt.auth.guards`."""

from .auth.guards import *  # noqa: F403
from .auth.guards import __all__  # noqa: F401
