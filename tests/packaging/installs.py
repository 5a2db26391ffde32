"""Built distributions installed as a user installs them: wheels and sdists made with
maturin, fresh virtualenvs outside the repository, and a new Django project of the
user's own served by ``runbolt`` from that install.

Builds reuse the repository's cargo target folder with the ``dev-fast`` profile (as
``scripts/setup.sh`` builds; ``BOLT_PROFILE`` overrides it): a release build, with fat
LTO, takes many minutes on two cores and tests nothing more about packaging.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import httpx
import support

PROFILE = os.environ.get("BOLT_PROFILE", "dev-fast")
TARGET_DIR = support.REPO_ROOT / "target"
# What installing django-bolt may bring into an empty virtualenv, and nothing more.
RUNTIME_PACKAGES = {"django-bolt", "django", "asgiref", "sqlparse", "msgspec", "tzdata"}
VENV_TOOLS = {"pip", "setuptools", "wheel"}


def maturin() -> str:
    beside = Path(sys.executable).with_name("maturin")
    found = str(beside) if beside.exists() else shutil.which("maturin")
    assert found, "maturin is not installed (scripts/setup.sh installs it into .venv)"
    return found


def run(argv: list[str], *, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """Run `argv`, failing with its output when it exits non-zero."""
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, argv))} exited {done.returncode}\n"
        f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
    )
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this repository's virtualenv or import paths."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"}
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def build_env() -> dict[str, str]:
    """For a PEP 517 build of the project (``pip install``): the shared target folder
    and the test profile."""
    return clean_env(CARGO_TARGET_DIR=str(TARGET_DIR), MATURIN_PEP517_ARGS=f"--profile {PROFILE}")


def build_wheel(out: Path, *options: str) -> Path:
    """``maturin build`` of the repository into `out`; the wheel's path."""
    run(
        [maturin(), "build", "--profile", PROFILE, "-i", sys.executable, "--out", out, *options],
        cwd=support.REPO_ROOT,
        env=clean_env(CARGO_TARGET_DIR=str(TARGET_DIR)),
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def build_sdist(out: Path) -> Path:
    run([maturin(), "sdist", "--out", out], cwd=support.REPO_ROOT, env=clean_env())
    (sdist,) = out.glob("*.tar.gz")
    return sdist


def find_python(version: str) -> str | None:
    """A CPython `version` ("3.12") interpreter that runs: ``python3.12`` on PATH, else
    one of pyenv's versions (whose shims on PATH answer only for the selected one)."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))[::-1]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            env=clean_env(),
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@dataclass
class Venv:
    """A fresh virtualenv, outside the repository."""

    path: Path

    @classmethod
    def create(cls, python: str, path: Path) -> Venv:
        run([python, "-m", "venv", path], env=clean_env())
        return cls(path)

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    def pip_install(self, *requirements: str | Path, env: dict[str, str] | None = None) -> None:
        run(
            [self.python, "-m", "pip", "install", "-q", *requirements],
            env=env or clean_env(),
            cwd=self.path,
        )

    def packages(self) -> dict[str, str]:
        listed = run(
            [self.python, "-m", "pip", "list", "--format=json"], env=clean_env(), cwd=self.path
        )
        return {p["name"].lower(): p["version"] for p in json.loads(listed.stdout)}


API_PY = """
import asyncio

import msgspec

from django_bolt import BoltAPI

api = BoltAPI(prefix="/api")


class Greeting(msgspec.Struct):
    name: str
    times: int


@api.get("/hello/{name}")
async def hello(name: str, times: int = 1) -> Greeting:
    return Greeting(name=name, times=times)


@api.get("/later")
async def later():
    # Suspends, so a Task of the event loop finishes the handler.
    await asyncio.sleep(0.01)
    return {"later": True}
"""

VIEWS_PY = """
from django.http import HttpResponse


def plain(request):
    return HttpResponse("a plain Django view")
"""

URLS_PY = """
from django.urls import path

from mysite.views import plain

urlpatterns = [path("plain/", plain)]
"""


def start_user_project(venv: Venv, where: Path) -> Path:
    """``django-admin startproject mysite`` with django_bolt installed, an ``api.py``
    with one Bolt route and a plain Django view; the project's folder."""
    where.mkdir(parents=True)
    run([venv.bin("django-admin"), "startproject", "mysite", where], env=clean_env())
    package = where / "mysite"
    settings = package / "settings.py"
    settings.write_text(settings.read_text() + '\nINSTALLED_APPS += ["django_bolt"]\n')
    (package / "api.py").write_text(textwrap.dedent(API_PY))
    (package / "views.py").write_text(textwrap.dedent(VIEWS_PY))
    (package / "urls.py").write_text(textwrap.dedent(URLS_PY))
    return where


def check_user_project(venv: Venv, project: Path) -> None:
    """``manage.py check``, then ``runbolt`` answering the Bolt route (and refusing a
    bad parameter in Rust) and the Django view over a real socket."""
    checked = run([venv.python, "manage.py", "check"], cwd=project, env=clean_env())
    assert "no issues" in checked.stdout, checked.stdout
    port = support.free_port()
    server = support.start_server(
        [venv.python, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)],
        port=port,
        cwd=project,
        env=clean_env(),
    )
    with support.running(server):
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            answer = client.get("/api/hello/ada", params={"times": 2})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"name": "ada", "times": 2}
            later = client.get("/api/later")
            assert later.status_code == 200, later.text
            assert later.json() == {"later": True}
            refused = client.get("/api/hello/ada", params={"times": "many"})
            assert refused.status_code == 422, refused.text
            view = client.get("/plain/")
            assert view.status_code == 200, view.text
            assert view.text == "a plain Django view"
