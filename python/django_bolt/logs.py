"""Server logging: ``--log-level``, ``--log-config`` and the access log's settings.

Access log lines are made and written by the Rust server (``src/access_log``), off the
GIL. Only when the project gave the ``django_bolt.access`` logger handlers of its own
(in ``--log-config`` or Django's ``LOGGING``) are they handed to Python's ``logging``,
a batch at a time, through :func:`emit`. See docs/logging.md.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import sys
from pathlib import Path
from typing import Any

#: The logger access lines go to when the project configured it.
ACCESS_LOGGER = "django_bolt.access"
LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]
ACCESS_LOG_FORMATS = ["text", "json"]

_access = logging.getLogger(ACCESS_LOGGER)


class LogConfigError(ValueError):
    """A ``--log-config`` file that cannot be applied; the message is one line."""


def configure(level: str, config: str = "") -> None:
    """Apply ``config`` (a logging config file) if given, then give the ``django_bolt``
    logger ``level`` and a stderr handler unless the project set handlers."""
    if config:
        apply_config(config)
    bolt = logging.getLogger("django_bolt")
    bolt.setLevel(getattr(logging, level.upper()))
    if bolt.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    bolt.addHandler(handler)


def apply_config(path: str) -> None:
    """A ``dictConfig`` in JSON (``.json``) or YAML (``.yaml``/``.yml``, needs PyYAML),
    or a ``fileConfig`` ini file (any other name), as Uvicorn reads ``--log-config``."""
    file = Path(path)
    if not file.is_file():
        raise LogConfigError(f"--log-config: no such file: {path}")
    try:
        if file.suffix == ".json":
            logging.config.dictConfig(json.loads(file.read_text()))
        elif file.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise LogConfigError("--log-config: a YAML file needs PyYAML installed") from None
            logging.config.dictConfig(yaml.safe_load(file.read_text()))
        else:
            logging.config.fileConfig(file, disable_existing_loggers=False)
    except LogConfigError:
        raise
    except Exception as exc:  # json, yaml, configparser and logging.config errors
        raise LogConfigError(f"--log-config {path}: {exc}") from None


def app_arguments(enabled: bool, log_format: str, log_level: str, request_id: bool) -> dict:
    """The access log and request id keyword arguments of ``_core.App``."""
    if log_format not in ACCESS_LOG_FORMATS:
        raise LogConfigError(f"--access-log-format must be one of {', '.join(ACCESS_LOG_FORMATS)}")
    # As under Uvicorn, access lines are INFO: a --log-level above that silences them.
    on = enabled and getattr(logging, log_level.upper()) <= logging.INFO
    to_python = bool(_access.handlers)
    colour = (
        log_format == "text"
        and not to_python
        and sys.stderr.isatty()
        and "NO_COLOR" not in os.environ
    )
    return {
        "access_log": log_format if on else None,
        "access_log_colour": colour,
        "access_logger": emit if to_python else None,
        "request_id": request_id,
    }


#: The fields of each access record, in the order Rust hands them over; each is an
#: attribute of the LogRecord, for a handler's format string (``%(status)s``).
FIELDS = (
    "method",
    "path",
    "query",
    "status",
    "bytes",
    "duration_ms",
    "client",
    "protocol",
    "request_id",
)


def emit(batch: list[tuple[Any, ...]]) -> None:
    """Log a batch of access entries, ``(message, *FIELDS)`` each, on ``ACCESS_LOGGER``
    (called by the Rust writer with the GIL taken once per batch)."""
    if not _access.isEnabledFor(logging.INFO):
        return
    for message, *values in batch:
        _access.info(message, extra=dict(zip(FIELDS, values, strict=True)))
