"""The package as a user installs it: a wheel and an sdist built with maturin, each
installed into a fresh virtualenv with nothing else but Django, serving a new project
of the user's own (no script or file of this repository involved)."""

from __future__ import annotations

import email
import tarfile
import zipfile

import installs
import pytest

# Building a wheel or an sdist and installing it takes longer than the suite's default.
pytestmark = pytest.mark.timeout(900)

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
SUPPORTED_DJANGOS = ("5.2", "6.0")


def wheel_metadata(wheel) -> tuple[email.message.Message, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(metadata)), names


def test_wheel_metadata_states_what_is_supported(wheel):
    metadata, names = wheel_metadata(wheel)
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier")
    for version in SUPPORTED_PYTHONS:
        assert f"Programming Language :: Python :: {version}" in classifiers
    for version in SUPPORTED_DJANGOS:
        assert f"Framework :: Django :: {version}" in classifiers
    assert metadata["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    # The README is the long description PyPI shows.
    assert metadata["Description-Content-Type"].startswith("text/markdown")
    assert metadata.get_payload().startswith("# django-bolt")
    requires = metadata.get_all("Requires-Dist")
    assert "django>=5.2" in requires and "msgspec>=0.19" in requires
    assert any(n.startswith("django_bolt/_core.") for n in names), names


def test_wheel_serves_a_new_project_with_django_only(wheel, tmp_path):
    venv = installs.Venv.create(installs.sys.executable, tmp_path / "venv")
    venv.pip_install(wheel, "django>=5.2,<6")
    extra = set(venv.packages()) - installs.RUNTIME_PACKAGES - installs.VENV_TOOLS
    assert not extra, f"installing the wheel brought more than Django and msgspec: {extra}"
    assert venv.packages()["django"].startswith("5.2")
    # The console script is installed and runs outside the repository.
    installs.run([venv.bin("django-bolt"), "--help"], env=installs.clean_env(), cwd=tmp_path)
    project = installs.start_user_project(venv, tmp_path / "project")
    installs.check_user_project(venv, project)


def test_sdist_holds_what_a_build_needs(tmp_path):
    sdist = installs.build_sdist(tmp_path)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("pyproject.toml", "Cargo.toml", "Cargo.lock", "LICENSE", "README.md"):
        assert needed in names, f"{needed} is missing from the sdist"
    assert "src/lib.rs" in names and "python/django_bolt/__init__.py" in names


def test_pip_install_from_source_serves_a_new_project(tmp_path):
    """``pip install .`` as a user runs it (build isolation: maturin comes from the
    package index), from an sdist so that a file missing from it fails the build."""
    sdist = installs.build_sdist(tmp_path / "sdist")
    venv = installs.Venv.create(installs.sys.executable, tmp_path / "venv")
    venv.pip_install(sdist, env=installs.build_env())
    assert set(venv.packages()) - installs.VENV_TOOLS <= installs.RUNTIME_PACKAGES
    project = installs.start_user_project(venv, tmp_path / "project")
    installs.check_user_project(venv, project)
