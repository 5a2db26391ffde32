from .settings import *  # noqa: F403

# Django's answers about permissions are kept for a second (tests/bolt/test_permissions.py
# revokes one and waits for it to be seen).
BOLT_PERMISSION_CACHE_SECONDS = 1
