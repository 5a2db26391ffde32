"""Attacks on auth tokens, rate-limit buckets and served files, against real runbolt
processes: tokens of the wrong kind signed with the project's secret, a flood of new
rate-limit keys aimed at resetting another client's bucket, and dotfiles or uploaded
HTML fetched back. Each time a normal client is served as usual meanwhile."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt as pyjwt
import pytest
import support

TESTS = Path(__file__).resolve().parent.parent
DELIVERY_PROJECT = TESTS / "bolt" / "delivery_project"
SECRET = "tests-only-jwt-secret-" + "x" * 48  # the test project's BOLT_JWT_SECRET
#: A normal request must stay well under this while an attack runs (shared CI cores).
USUAL_LATENCY = 1.0


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The test project with the rate-limit routes, trusting X-Forwarded-For from here."""
    database = support.migrated_database(tmp_path_factory.mktemp("db"), "seed_auth_users")
    options = ("--settings", "boltproj.settings_mw", "--forwarded-allow-ips", "127.0.0.1")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            yield server


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    """The delivery project's file routes over plain HTTP."""
    sys.path.insert(0, str(TESTS / "bolt"))
    from delivery import make_files

    folder = make_files(tmp_path_factory.mktemp("files"))
    port = support.free_port()
    command = [sys.executable, "manage.py", "runbolt", "--host", support.HOST]
    command += ["--port", str(port), "--no-asgi"]
    env = support.subprocess_env((), DELIVERY_FILES=str(folder))
    server = support.start_server(command, port=port, cwd=DELIVERY_PROJECT, env=env)
    with support.running(server):
        yield server


class Attack:
    """Requests sent from a few threads until stopped; their responses are kept."""

    def __init__(self, base_url: str, request) -> None:
        self.base_url, self.request = base_url, request
        self.responses: list[httpx.Response] = []
        self.stopped = threading.Event()
        self.pool = ThreadPoolExecutor(4)

    def _run(self, worker: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            n = 0
            while not self.stopped.is_set():
                self.responses.append(self.request(client, f"{worker}-{n}"))
                n += 1

    def __enter__(self) -> Attack:
        self.futures = [self.pool.submit(self._run, worker) for worker in range(4)]
        support.wait_for(lambda: len(self.responses) >= 20)
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        for future in self.futures:
            future.result()
        self.pool.shutdown()


def timed_get(base_url: str, path: str, **kwargs) -> tuple[httpx.Response, float]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        started = time.monotonic()
        response = client.get(path, **kwargs)
        return response, time.monotonic() - started


def test_refresh_and_id_tokens_are_not_access_tokens(project):
    """Tokens another library issued for the same project (same SECRET_KEY) that say
    they are refresh or ID tokens: 401 naming the type, every time."""
    with httpx.Client(base_url=project.base_url) as client:
        login = {"username": "ann", "password": "auth-tests-password-1"}
        issued = client.post("/authn/auth/login", json=login).json()["access_token"]
        me = client.get("/authn/me", headers={"Authorization": f"Bearer {issued}"}).json()
    claims = {"sub": str(me["user_id"]), "exp": int(time.time()) + 600}
    kinds = [
        ({"token_type": "refresh", "jti": "x"}, {}),
        ({"typ": "ID"}, {}),
        ({"token_use": "id"}, {}),
        ({}, {"typ": "refresh+jwt"}),
    ]
    tokens = [pyjwt.encode({**claims, **extra}, SECRET, headers=header) for extra, header in kinds]

    def attack(client: httpx.Client, n: str) -> httpx.Response:
        token = tokens[hash(n) % len(tokens)]
        return client.get("/authn/me", headers={"Authorization": f"Bearer {token}"})

    with Attack(project.base_url, attack) as flood:
        normal, took = timed_get(
            project.base_url, "/authn/me", headers={"Authorization": f"Bearer {issued}"}
        )
        assert (normal.status_code, normal.json()) == (200, me)
        assert took < USUAL_LATENCY
    assert flood.responses and all(r.status_code == 401 for r in flood.responses)
    details = {r.json()["detail"] for r in flood.responses}
    assert details <= {
        "Token type 'refresh' is not accepted",
        "Token type 'id' is not accepted",
        "Token type 'refresh+jwt' is not accepted",
    }
    assert all(
        r.headers["www-authenticate"] == 'Bearer error="invalid_token"' for r in flood.responses
    )
    # Refusals are not logged one by one (that would be the attacker's log flood).
    assert "Traceback" not in project.stderr()


def test_a_flood_of_new_keys_leaves_a_limited_client_limited(project):
    """/mw/limited-few-clients keeps 64 buckets (rps 0.2, burst 2). The victim spends
    its burst; an attacker then sends hundreds of new X-Client values to push the
    victim's bucket out. It stays: new keys get 429 until a bucket refills."""
    path = "/mw/limited-few-clients"
    victim = {"x-client": f"victim-{uuid.uuid4().hex}"}
    with httpx.Client(base_url=project.base_url) as client:
        assert [client.get(path, headers=victim).status_code for _ in range(3)] == [200, 200, 429]

    def attack(client: httpx.Client, n: str) -> httpx.Response:
        return client.get(path, headers={"x-client": f"flood-{uuid.uuid4().hex}-{n}"})

    with Attack(project.base_url, attack) as flood:
        support.wait_for(lambda: len(flood.responses) >= 300)
        normal, took = timed_get(project.base_url, "/mw/unlimited")
        assert (normal.status_code, took < USUAL_LATENCY) == (200, True)
        again, _ = timed_get(project.base_url, path, headers=victim)
    assert again.status_code == 429
    assert again.json()["detail"].startswith("Rate limit exceeded")
    admitted = sum(r.status_code == 200 for r in flood.responses)
    assert admitted <= 64
    refused = [r for r in flood.responses if r.status_code == 429]
    assert len(refused) >= 200
    assert (
        refused[-1]
        .json()["detail"]
        .startswith("Too many clients are being rate limited at once; retry in")
    )
    assert int(refused[-1].headers["retry-after"]) >= 1
    assert (
        f"rate limit of {path}: its 64 client buckets are all still limiting someone"
        in project.stderr()
    )


def test_rotating_ipv6_addresses_within_a_64_is_one_client(project):
    """One host owns a /64: every address in it shares one bucket of /mw/limited
    (burst 2), however many the attacker rotates through."""
    network = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:7"

    def attack(client: httpx.Client, n: str) -> httpx.Response:
        address = f"{network}:{uuid.uuid4().int % 0xFFFF:x}::1"
        return client.get("/mw/limited", headers={"x-forwarded-for": address})

    with Attack(project.base_url, attack) as flood:
        support.wait_for(lambda: len(flood.responses) >= 200)
        other = {"x-forwarded-for": f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:8::1"}
        normal, took = timed_get(project.base_url, "/mw/limited", headers=other)
        assert (normal.status_code, took < USUAL_LATENCY) == (200, True)
    admitted = sum(r.status_code == 200 for r in flood.responses)
    # Burst 2, then 20 a second for the few seconds the flood runs.
    assert admitted < 2 + 20 * 10 and admitted < len(flood.responses) / 2
    assert flood.responses[-1].json()["detail"].startswith("Rate limit exceeded")


def test_dotfiles_and_uploaded_html_cannot_be_used_against_the_site(delivery):
    """Requests for .env and .git/config under a served root are 404; HTML a user
    uploaded comes back as a download that browsers may not sniff."""
    names = [".env", ".git/config", "sub/../.env", "env-link.txt", "./.git/config"]

    def attack(client: httpx.Client, n: str) -> httpx.Response:
        return client.get("/files/public", params={"name": names[hash(n) % len(names)]})

    with Attack(delivery.base_url, attack) as flood:
        normal, took = timed_get(delivery.base_url, "/files/public", params={"name": "hello.txt"})
        assert (normal.content, took < USUAL_LATENCY) == (b"hello from public", True)
        uploaded, _ = timed_get(delivery.base_url, "/files/uploads", params={"name": "evil.html"})
    assert all(r.status_code == 404 for r in flood.responses)
    assert {r.json()["detail"] for r in flood.responses} == {"File not found"}
    assert b"SECRET_KEY" not in b"".join(r.content for r in flood.responses)
    assert uploaded.status_code == 200
    assert uploaded.headers["content-disposition"] == 'attachment; filename="evil.html"'
    assert uploaded.headers["x-content-type-options"] == "nosniff"
    assert uploaded.headers["content-type"].startswith("text/html")
    assert "Traceback" not in delivery.stderr()
