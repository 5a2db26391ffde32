"""The size of the thread pool running ``def`` handlers: the ``BOLT_SYNC_WORKERS``
setting, else the environment variable of that name, else Python's default; a value
that is not a whole number of threads is refused in one line (runbolt: test_cli.py)."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings

from django_bolt._loop import sync_workers


@pytest.fixture
def settings(django_project, monkeypatch):
    """The project's settings (no BOLT_SYNC_WORKERS) and no environment variable."""
    monkeypatch.delenv("BOLT_SYNC_WORKERS", raising=False)
    return django_project


def test_default_is_the_cpus_plus_four_at_most_32(settings):
    assert sync_workers() == min(32, (os.cpu_count() or 1) + 4)


def test_the_setting_decides(settings, monkeypatch):
    monkeypatch.setenv("BOLT_SYNC_WORKERS", "3")
    with override_settings(BOLT_SYNC_WORKERS=5):
        assert sync_workers() == 5


def test_the_environment_variable_when_there_is_no_setting(settings, monkeypatch):
    monkeypatch.setenv("BOLT_SYNC_WORKERS", "3")
    assert sync_workers() == 3


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "0"), (-2, "-2"), ("many", "'many'"), (2.5, "2.5"), (True, "True")]
)
def test_a_setting_that_is_no_whole_number_of_threads_is_refused(settings, value, shown):
    with override_settings(BOLT_SYNC_WORKERS=value):
        with pytest.raises(ValueError) as refused:
            sync_workers()
    assert str(refused.value) == (
        f"BOLT_SYNC_WORKERS must be a whole number of threads, 1 or more, not {shown}"
    )


@pytest.mark.parametrize(("value", "shown"), [("0", "0"), ("", "''"), ("2.5", "'2.5'")])
def test_an_environment_variable_that_is_no_whole_number_is_refused(
    settings, monkeypatch, value, shown
):
    monkeypatch.setenv("BOLT_SYNC_WORKERS", value)
    with pytest.raises(ValueError) as refused:
        sync_workers()
    assert str(refused.value) == (
        f"BOLT_SYNC_WORKERS must be a whole number of threads, 1 or more, not {shown}"
    )
