"""What the fast path refuses (405, 401, 403, 422, 429, the 404 of an unmatched path
under an owned prefix) and a CORS preflight are answered in Rust without the GIL: they
come back at once while a handler holds the GIL, when a route that needs Python waits
for it (over a real socket, HTTP/1.1 and h2c)."""

from __future__ import annotations

import threading
import time

import httpx
import jwt
import pytest
import support

HOLD_SECONDS = 3.0
#: Far below the hold: an answer this fast did not wait for the GIL.
PROMPT = 1.0

STAFF_CLAIMS = {"sub": "someone", "is_staff": False, "exp": int(time.time()) + 3600}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def staff_token() -> str:
    from boltproj import settings  # the project's JWT secret

    return jwt.encode(STAFF_CLAIMS, settings.BOLT_JWT_SECRET, algorithm="HS256")


# (method, path, headers, status)
REFUSALS = [
    ("POST", "/api/pid", {}, 405),
    ("GET", "/api/nosuch", {}, 404),
    ("HEAD", "/authn/nosuch/deeper", {}, 404),
    ("GET", "/api/items/abc", {}, 422),
    ("GET", "/authn/me", {}, 401),
    ("GET", "/authn/me", bearer("not.a.token"), 401),
    ("GET", "/authn/staff/dashboard", "staff", 403),
    ("GET", "/api/limited", {}, 429),
    (
        "OPTIONS",
        "/api/cross-origin",
        {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
        204,
    ),
]


@pytest.fixture(scope="module")
def server():
    with support.serve_django(support.BOLT_PROJECT_DIR) as server:
        yield server


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_refusals_do_not_wait_for_a_handler_holding_the_gil(server, protocol, monkeypatch):
    monkeypatch.syspath_prepend(str(support.BOLT_PROJECT_DIR))
    # The hold has a connection of its own: httpx's HTTP/2 client lets one thread read a
    # connection at a time, which would delay the refusals on the client's side.
    holder, control = (support.make_client(server.base_url, protocol) for _ in range(2))
    with holder, control, support.make_client(server.base_url, protocol) as client:
        client.get("/api/limited")  # spends the route's one token
        hold = threading.Thread(target=holder.get, args=(f"/api/hold-gil?seconds={HOLD_SECONDS}",))
        hold.start()
        time.sleep(0.5)
        # The control: a route that runs Python, sent before the refusals. It waits for
        # the GIL only if the hold had begun, and then until the hold ends, after them.
        control_answered: list[float] = []
        waiting = threading.Thread(
            target=lambda: (control.get("/api/pid"), control_answered.append(time.monotonic()))
        )
        control_sent = time.monotonic()
        waiting.start()
        time.sleep(0.1)
        for method, path, headers, status in REFUSALS:
            headers = bearer(staff_token()) if headers == "staff" else headers
            sent = time.monotonic()
            response = client.request(method, path, headers=headers)
            took = time.monotonic() - sent
            assert response.status_code == status, (method, path, response.text)
            assert took < PROMPT, f"{method} {path} waited {took:.2f} s for the GIL"
        refusals_done = time.monotonic()
        waiting.join()
        hold.join()
        [answered] = control_answered
        assert answered - control_sent > PROMPT, "the GIL was not held: nothing was tested"
        assert answered > refusals_done


def test_hold_gil_route_answers_alone(server):
    # Without contention the hold is just a slow route: the fixture's server stays sane.
    response = httpx.get(f"{server.base_url}/api/hold-gil?seconds=0.1", timeout=5)
    assert response.json() == {"held": 0.1}
