import os

from django.apps import AppConfig


def flag_file_check():
    """Down while the file named by NAMES_DOWN_FILE exists (tests toggle it)."""
    path = os.environ.get("NAMES_DOWN_FILE", "")
    if path and os.path.exists(path):
        return False, "flag file says down"
    return True, "up"


class NamesAppConfig(AppConfig):
    name = "namesapp"

    def ready(self) -> None:
        from django_bolt.health import add_health_check

        add_health_check(flag_file_check)
