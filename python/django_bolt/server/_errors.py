"""The one error a server start-up reports: a line for the user, no traceback."""

from __future__ import annotations


class StartupError(RuntimeError):
    """The server could not start; the message is one line for the user."""
