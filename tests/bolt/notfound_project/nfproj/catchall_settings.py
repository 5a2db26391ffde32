"""The project with a catch-all ``re_path``: no prefix can be owned."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "nfproj.catchall_urls"
