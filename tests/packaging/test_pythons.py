"""The other supported interpreters: CPython 3.12 and 3.13 with Django 6.0 (which needs
3.12), through the stable-ABI wheel, the one build that serves both. In a fresh
virtualenv with Django 6.0: a new project served by ``runbolt``, then a part of this
suite (Bolt routes through TestClient and a real ``runbolt``, Django views) run by
that interpreter against the installed wheel."""

from __future__ import annotations

import installs
import pytest
import support

pytestmark = pytest.mark.timeout(900)

DJANGO_6_0 = "django>=6.0,<6.1"
# What the chosen tests import, besides django-bolt and Django.
TEST_REQUIREMENTS = ("pytest>=8", "pytest-timeout>=2", "httpx[http2]>=0.27", "h2>=4.1")
SUITE_PART = (
    "tests/bolt/test_params.py",
    "tests/bolt/test_views.py",
    "tests/bolt/test_django_views.py",
)


@pytest.fixture(params=["3.12", "3.13"])
def interpreter(request) -> str:
    found = installs.find_python(request.param)
    if found is None:
        pytest.skip(
            f"CPython {request.param} not found (no python{request.param} on PATH nor "
            "under pyenv's versions)"
        )
    return found


def test_new_project_and_suite_part_on_django_6(interpreter, abi3_wheel, tmp_path):
    venv = installs.Venv.create(interpreter, tmp_path / "venv")
    venv.pip_install(abi3_wheel, DJANGO_6_0)
    assert venv.packages()["django"].startswith("6.0")
    project = installs.start_user_project(venv, tmp_path / "project")
    installs.check_user_project(venv, project)

    venv.pip_install(*TEST_REQUIREMENTS)
    # From the repository, the tests import the installed django_bolt (the editable
    # install of .venv is not on this interpreter's path).
    where = installs.run(
        [venv.python, "-c", "import django_bolt; print(django_bolt.__file__)"],
        cwd=support.REPO_ROOT,
        env=installs.clean_env(),
    )
    assert where.stdout.startswith(str(venv.path)), where.stdout
    installs.run(
        [venv.python, "-m", "pytest", *SUITE_PART, "-q", "-x", "-p", "no:cacheprovider"],
        cwd=support.REPO_ROOT,
        env=installs.clean_env(),
    )
