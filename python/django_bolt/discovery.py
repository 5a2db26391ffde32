"""Finding every ``api.py`` of a Django project: the project package's and each
installed app's module-level ``api = BoltAPI()``."""

from __future__ import annotations

import importlib
import importlib.util
import os

from .api import BoltAPI


def _api_of(package: str) -> BoltAPI | None:
    module_name = f"{package}.api"
    try:
        spec = importlib.util.find_spec(module_name)
    except ModuleNotFoundError:
        return None
    if spec is None:
        return None
    # Import errors inside api.py propagate: they are the user's to see.
    api = getattr(importlib.import_module(module_name), "api", None)
    return api if isinstance(api, BoltAPI) else None


def discover_apis() -> list[tuple[str, BoltAPI]]:
    """``(module, api)`` for the project package (``ROOT_URLCONF``'s, then the settings
    module's) and every installed app, in order: the project's comes first, so its
    ``openapi_config`` is the one served."""
    from django.apps import apps
    from django.conf import settings

    packages: list[str] = []
    urlconf = getattr(settings, "ROOT_URLCONF", None)
    for module in (urlconf, os.environ.get("DJANGO_SETTINGS_MODULE")):
        if isinstance(module, str) and "." in module:
            packages.append(module.rsplit(".", 1)[0])
    packages.extend(config.name for config in apps.get_app_configs())
    found = []
    for package in dict.fromkeys(packages):
        api = _api_of(package)
        if api is not None:
            found.append((f"{package}.api", api))
    return found
