"""Reading the request as Django reads it: the client and host behind a trusted proxy,
``ALLOWED_HOSTS``, bounded numbers, and cookies (``parse_cookie``). Through TestClient
and through a real runbolt process (tests/bolt/project/requestapp)."""

from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

import pytest
import support

from django_bolt import BoltAPI, IsAuthenticated, Request, SessionAuthentication, WebSocket
from django_bolt.hosts import DEBUG_HOSTS, allowed_hosts
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from requestapp import api as requestapp  # noqa: E402

SETTINGS = ("--settings", "boltproj.settings_request")


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, *SETTINGS, "--forwarded-allow-ips", "127.0.0.1") as server:
        yield server


@pytest.fixture(params=support.PROTOCOLS)
def client(request, server):
    with support.make_client(server.base_url, request.param) as client:
        yield client


def new_ip() -> str:
    return f"10.{random.randrange(250)}.{random.randrange(250)}.{random.randrange(250)}"


# ---- proxy headers ---------------------------------------------------------------------


def spoofed(real_ip: str) -> dict[str, str]:
    """What nginx's usual setup passes on: the client's own Forwarded header untouched,
    and X-Forwarded-For with the address nginx saw appended."""
    return {
        "forwarded": f'for="{new_ip()}";proto=https;host=evil.example',
        "x-forwarded-for": f"{new_ip()}, {real_ip}",
    }


def test_a_client_forwarded_header_does_not_pick_its_rate_limit_key_testclient():
    with TestClient(requestapp.api, forwarded_allow_ips="127.0.0.1") as client:
        real = new_ip()
        statuses = [client.get("/req/limited", headers=spoofed(real)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_a_client_forwarded_header_does_not_pick_its_rate_limit_key(server):
    with support.make_client(server.base_url, "http1") as client:
        real = new_ip()
        statuses = [client.get("/req/limited", headers=spoofed(real)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # Another real client behind the same proxy has a bucket of its own.
        assert client.get("/req/limited", headers=spoofed(new_ip())).status_code == 200


def test_the_host_stays_unless_forwarded_host_is_asked_for():
    headers = {"host": "api.test", "x-forwarded-host": "shop.example.org"}
    with TestClient(requestapp.api, forwarded_allow_ips="127.0.0.1") as client:
        assert client.get("/req/host", headers=headers).json() == {"host": "api.test"}
    with TestClient(requestapp.api, forwarded_allow_ips="127.0.0.1", forwarded_host=True) as client:
        assert client.get("/req/host", headers=headers).json() == {"host": "shop.example.org"}


def test_rfc7239_forwarded_when_chosen():
    opened = TestClient(
        requestapp.api,
        forwarded_allow_ips="127.0.0.1",
        proxy_headers="forwarded",
        forwarded_host=True,
    )
    with opened as client:
        real = new_ip()
        headers = {
            "x-forwarded-for": new_ip(),  # ignored: not the family the proxy sets
            "x-forwarded-host": "evil.example",
            "forwarded": f'for="{new_ip()}", for={real};host=shop.example.org',
        }
        assert client.get("/req/host", headers=headers).json() == {"host": "shop.example.org"}
        headers = {"forwarded": f"for={new_ip()}, for={real}"}
        statuses = [client.get("/req/limited", headers=headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_a_bad_proxy_headers_flag_is_a_one_line_error():
    port = str(support.free_port())
    result = support.run_cli(["serve", "json:dumps", "--port", port, "--proxy-headers", "xff"])
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'django-bolt: error: --proxy-headers: "xff" is not x-forwarded or forwarded'
    )


# ---- ALLOWED_HOSTS ---------------------------------------------------------------------

PATTERNS = ["api.test", ".example.org", "[::1]", "127.0.0.1", "Mixed.Case"]
HOSTS = [
    "api.test",
    "API.TEST:8000",
    "api.test.",
    "api.test..",
    "www.api.test",
    "example.org",
    "deep.sub.example.org:1",
    "example.org.evil.example",
    "badexample.org",
    "[::1]",
    "[::1]:80",
    "[::2]",
    "::1",
    "127.0.0.1:8000",
    "127.0.0.2",
    "mixed.case",
    "evil.example",
    "",
    ".",
    "api.test:",
    "api.test:x",
    "ex ample.org",
    "user@api.test",
    "api.test/path",
    "-.example.org",
    "[1.2.3.4]",
]


def django_allows(host: str) -> bool:
    from django.core.exceptions import DisallowedHost
    from django.http import HttpRequest

    request = HttpRequest()
    request.META = {"HTTP_HOST": host, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


@pytest.mark.parametrize("patterns", [PATTERNS, ["*"], []])
def test_hosts_are_checked_as_django_checks_them(django_project, patterns):
    from django.test import override_settings

    with override_settings(ALLOWED_HOSTS=patterns), TestClient(requestapp.api) as client:
        for host in HOSTS:
            expected = django_allows(host)
            response = client.get("/req/host", headers={"host": host})
            assert response.status_code == (200 if expected else 400), host
            if expected:
                assert response.json() == {"host": host}
            else:
                detail = response.json()["detail"]
                assert "is not allowed" in detail or "is not a valid host name" in detail
        # Django's test runner's own host.
        assert client.get("/req/host").json() == {"host": "testserver"}


def test_an_evil_host_is_refused_testclient(django_project):
    from django.test import override_settings

    with override_settings(ALLOWED_HOSTS=["api.test"]), TestClient(requestapp.api) as client:
        response = client.get("/req/host", headers={"host": "evil.example"})
        assert response.status_code == 400
        assert response.json() == {
            "detail": 'The host "evil.example" is not allowed (ALLOWED_HOSTS)'
        }
        absolute = client.get("http://evil.example/req/host", headers={"host": "api.test"})
        assert absolute.status_code == 400
        assert client.get("http://api.test/req/host").json() == {"host": "api.test"}
        # Every answer of a Bolt path: 405 and 404-ish paths of Bolt routes too.
        assert client.post("/req/host", headers={"host": "evil.example"}).status_code == 400


def test_debug_with_no_allowed_hosts_allows_localhost_only(django_project):
    from django.test import override_settings

    with override_settings(DEBUG=True, ALLOWED_HOSTS=[]):
        assert allowed_hosts() == DEBUG_HOSTS
        assert allowed_hosts(extra=["testserver"]) == ["testserver"]
        # As under Django's test runner, "testserver" makes the list non-empty.
        with TestClient(requestapp.api) as client:
            for host, status in [("testserver", 200), ("localhost:8000", 400)]:
                assert client.get("/req/host", headers={"host": host}).status_code == status
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[]):
        assert allowed_hosts() == []


def test_an_evil_host_is_refused(server, client):
    response = client.get("/req/host", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.json() == {"detail": 'The host "evil.example" is not allowed (ALLOWED_HOSTS)'}
    assert client.get("/req/host", headers={"host": "shop.example.org"}).status_code == 200
    # Logged in Django's words (at most once a second: an earlier refusal may hold it).
    assert support.wait_for(lambda: 'Invalid HTTP_HOST header: "' in server.stderr())


def test_an_absolute_form_target_with_an_evil_authority_is_refused(server):
    head = b"Host: api.test\r\nConnection: close\r\n\r\n"
    evil = b"GET http://evil.example/req/host HTTP/1.1\r\n" + head
    reply = support.raw_exchange(server.address, evil)
    assert reply.startswith(b"HTTP/1.1 400 "), reply
    assert b"is not allowed" in reply
    good = b"GET http://api.test/req/host HTTP/1.1\r\n" + head
    assert support.raw_exchange(server.address, good).startswith(b"HTTP/1.1 200 ")


def test_an_evil_http2_authority_is_refused(server):
    with support.H2Connection(server.address) as h2:
        h2.authority = "evil.example"
        status, _, body = h2.request("GET", "/req/host")
        assert status == 400, body
        h2.authority = "api.test:8000"
        status, _, body = h2.request("GET", "/req/host")
        assert (status, body) == (200, b'{"host":"api.test:8000"}')


def test_the_django_view_beside_refuses_the_same_host(server, client):
    # The ASGI adapter's Django views apply ALLOWED_HOSTS themselves: same verdict.
    response = client.get("/not-a-bolt-route/", headers={"host": "evil.example"})
    assert response.status_code == 400


# ---- numbers ---------------------------------------------------------------------------

HUGE = "1e1000000000000000000"
INT_BOUNDS = "Expected an integer from -9223372036854775808 to 9223372036854775807"
DECIMAL_BOUNDS = "Expected a decimal of at most 4300 digits and an exponent from -4300 to 4300"


def decimal_requests(client, value: str) -> list:
    return [
        client.get(f"/req/decimal/{value}"),
        client.get("/req/decimal/1", params={"q": value}),
        client.get("/req/decimal/1", headers={"x-amount": value}),
        client.get("/req/decimal/1", headers={"cookie": f"amount={value}"}),
        client.post("/req/decimal-form", data={"amount": value}),
    ]


def assert_decimal_bounds(responses) -> None:
    locations = [["path", "amount"], ["query", "q"], ["header", "x-amount"], ["cookie", "amount"]]
    for response, loc in zip(responses, [*locations, ["form", "amount"]], strict=True):
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == [
            {"loc": loc, "msg": DECIMAL_BOUNDS, "type": "value_error"}
        ]


def test_huge_decimals_are_422_everywhere_testclient():
    with TestClient(requestapp.api) as client:
        for value in (HUGE, "1e-4301", "1" * 4301):
            assert_decimal_bounds(decimal_requests(client, value))
        fits = client.get("/req/decimal/1e4300", params={"q": "-2.5E-3"})
        assert fits.json()["amount"] == "1E+4300" and fits.json()["q"] == "-0.0025"


def test_huge_decimals_are_422_everywhere(client):
    assert_decimal_bounds(decimal_requests(client, HUGE))
    assert client.get("/req/decimal/12.50").json()["amount"] == "12.50"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"i": "9" * 19}, "Expected an integer from -9223372036854775808 to 9223372036854775807"),
        (
            {"i": "-" + "9" * 19},
            "Expected an integer from -9223372036854775808 to 9223372036854775807",
        ),
        ({"f": "1e400"}, "Expected a finite float, got `1e400`"),
        ({"f": "-inf"}, "Expected a finite float, got `-inf`"),
        ({"f": "nan"}, "Expected a finite float, got `nan`"),
    ],
)
def test_numbers_out_of_range_are_422(query, message):
    with TestClient(requestapp.api) as client:
        response = client.get("/req/numbers", params=query)
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == message
        assert response.json()["detail"][0]["type"] == "value_error"


def test_a_long_bad_number_is_not_echoed_whole(client):
    response = client.get("/req/numbers", params={"i": "x" * 5000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"Expected `int`, got `{'x' * 64}…`"


# ---- cookies ---------------------------------------------------------------------------

COOKIE_CASES = [
    "theme=dark; theme=light",
    'theme="dark"',
    r'theme="a\"b\\c"',
    r'theme="\101\102\060\400\777"',
    'theme="',
    'theme=""',
    'theme="unterminated',
    "theme",
    "lonely; theme=x; other",
    "  theme  =  spaced out  ;;; ; =",
    "theme=a=b=c",
    "a=1;b=2;a=3;theme=4;b=5",
    "=; =; =x",
    "theme=\tdark\t",
    '"theme"="quoted name"',
    "theme=caf\u00e9",
    "theme=1,2; other=3,4",
]


def random_cookie_header(rng: random.Random) -> str:
    alphabet = ["a", "b", "theme", "=", ";", "; ", '"', "\\", " ", "0", "7", "3", ",", "\t", "x"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 24)))


def check_cookies(client, header: str) -> None:
    from django.http.cookie import parse_cookie

    # Sent as UTF-8; Django's ASGI request reads headers as Latin-1.
    expected = parse_cookie(header.encode().decode("latin-1"))
    response = client.get("/req/cookies", headers={"cookie": header.encode()})
    assert response.status_code == 200, (header, response.text)
    assert response.json() == {"cookies": expected, "theme": expected.get("theme")}, header


def test_cookies_are_read_as_django_parse_cookie_reads_them():
    rng = random.Random(12)
    cases = COOKIE_CASES + [random_cookie_header(rng) for _ in range(400)]
    with TestClient(requestapp.api) as client:
        for header in cases:
            check_cookies(client, header)


def test_cookies_over_real_sockets(client):
    # h11 refuses to send a value with whitespace around it.
    for header in [c for c in COOKIE_CASES if c == c.strip()]:
        check_cookies(client, header)


def test_cookies_split_over_http2_headers_are_one_jar(server):
    with support.H2Connection(server.address) as h2:
        cookies = [("cookie", "theme=first; a=1"), ("cookie", 'theme="last"')]
        h2.authority = "127.0.0.1"
        status, _, body = h2.request("GET", "/req/cookies", headers=cookies)
        assert status == 200
        assert body == b'{"cookies":{"theme":"last","a":"1"},"theme":"last"}'


def test_a_websocket_reads_cookies_as_django_does():
    api = BoltAPI()

    @api.websocket("/ws")
    async def jar(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json(websocket.cookies)

    with TestClient(api) as client:
        header = {"cookie": r'a=1; b="x\"y"; a=2'}
        with client.websocket_connect("/ws", headers=header) as ws:
            assert ws.receive_json() == {"a": "2", "b": 'x"y'}


def test_the_session_cookie_is_its_last_and_unquoted_value(django_project):
    """SessionAuthentication reads the session key as Django would: the last of two
    session cookies (an empty one tossed in first does not log the user out), unquoted."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    api = BoltAPI()

    @api.get("/me", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
    def me(request: Request):
        return {"user": request.user.get_username()}

    user = get_user_model().objects.order_by("pk").first()
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    key = session.session_key
    with TestClient(api) as client:
        for first in ("", f"stale-{uuid.uuid4().hex}"):
            sent = {"cookie": f'sessionid={first}; sessionid="{key}"'}
            assert client.get("/me", headers=sent).json() == {"user": user.get_username()}
            swapped = {"cookie": f'sessionid="{key}"; sessionid={first}'}
            assert client.get("/me", headers=swapped).status_code == 401
