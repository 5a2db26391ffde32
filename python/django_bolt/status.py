"""``from django_bolt import status``: the names of ``django_bolt.status_codes``."""

from .status_codes import *  # noqa: F403
from .status_codes import __all__  # noqa: F401
