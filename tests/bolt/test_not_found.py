"""A path under a prefix Bolt owns that no route matches is answered 404 by Rust (JSON,
without Python); a prefix one of Django's URL patterns could match stays Django's, and
so do paths outside every prefix, ASGI mounts and static files under it (the project:
``notfound_project``, over a real runbolt socket and through TestClient)."""

from __future__ import annotations

import types
from pathlib import Path

import httpx
import pytest
import support
from django.urls import include, path, re_path

from django_bolt import BoltAPI
from django_bolt.not_found import django_patterns, ownership
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "notfound_project"
NOT_FOUND = {"detail": "Not Found"}


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT) as server:
        yield server


@pytest.fixture(scope="module")
def catchall_server():
    with support.serve_django(PROJECT, "--settings", "nfproj.catchall_settings") as server:
        yield server


@pytest.fixture
def urlconf(django_project, monkeypatch):
    """The project's modules importable and its URLconf in force in this process; call
    it with another URLconf module to use that one."""
    from django.test import override_settings

    monkeypatch.syspath_prepend(str(PROJECT))
    overrides = []

    def use(name: str = "nfproj.urls") -> None:
        overrides.append(override_settings(ROOT_URLCONF=name))
        overrides[-1].enable()

    yield use
    for override in reversed(overrides):
        override.disable()


def project_testclient(urlconf, name: str = "nfproj.urls") -> TestClient:
    """The project's APIs and Django through TestClient, with URLconf ``name``."""
    from django_bolt.django_app import DjangoApplication

    urlconf(name)
    from nfproj.api import api
    from shopapp.api import api as shop

    apis = [api, shop]
    return TestClient(apis, asgi=DjangoApplication(threads=1), raise_server_exceptions=False)


@pytest.fixture(params=support.CLIENTS)
def client(request):
    if request.param == "testclient":
        opened = project_testclient(request.getfixturevalue("urlconf"))
    else:
        opened = support.make_client(request.getfixturevalue("server").base_url, request.param)
    with opened as client:
        yield client


def is_djangos_404(response: httpx.Response) -> bool:
    return response.status_code == 404 and response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/api/nosuch"),
        ("POST", "/api/nosuch/deeper"),
        ("GET", "/api"),
        ("GET", "/api/"),
        ("DELETE", "/api/items/1/extra"),
    ],
)
def test_unmatched_paths_under_an_owned_prefix_get_rusts_json_404(client, method, target):
    response = client.request(method, target)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_head_gets_the_404_without_its_body(client):
    response = client.head("/api/nosuch")
    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["content-length"] == str(len(b'{"detail":"Not Found"}'))


def test_the_routes_under_the_prefix_still_answer(client):
    assert client.get("/api/items/3").json() == {"id": 3}
    assert client.post("/api/items").json() == {"created": True}
    assert client.put("/api/items").status_code == 405
    assert client.get("/shop/cart").json() == {"cart": []}


def test_a_django_view_that_could_be_anywhere_under_a_prefix_keeps_it_djangos(client):
    response = client.get("/shop/any/legacy/")
    assert response.json() == {"from": "django", "path": "/shop/any/legacy/"}
    assert is_djangos_404(client.get("/shop/nosuch"))


def test_a_django_view_below_an_owned_prefix_keeps_its_path(client):
    response = client.get("/api/legacy/")
    assert response.json() == {"from": "django", "path": "/api/legacy/"}
    assert is_djangos_404(client.get("/api/legacy/nosuch"))
    assert client.get("/api/legacyx").json() == NOT_FOUND


@pytest.mark.parametrize("target", ["/nosuch", "/apix/nosuch", "/apiX", "/API/nosuch"])
def test_paths_outside_the_owned_prefixes_go_to_django(client, target):
    assert is_djangos_404(client.get(target))


def test_django_views_beside_the_prefix_answer(client):
    assert client.get("/apix/page").json() == {"from": "django", "path": "/apix/page"}
    assert client.get("/pages/about/").json()["from"] == "django"
    assert client.get("/").json()["from"] == "django"


def test_an_asgi_mount_under_the_prefix_still_answers(client):
    response = client.get("/api/mounted/anything")
    assert response.status_code == 200
    assert response.text == "mounted"


@pytest.mark.parametrize("target", ["/api/nosuch", "/shop/nosuch"])
def test_a_catch_all_pattern_keeps_every_prefix_djangos(urlconf, catchall_server, target):
    with (
        project_testclient(urlconf, "nfproj.catchall_urls") as in_process,
        httpx.Client(base_url=catchall_server.base_url) as over_socket,
    ):
        for client in (in_process, over_socket):
            assert client.get(target).text == "caught"
            assert client.get("/api/items/3").json() == {"id": 3}
    assert "/api left to the ASGI app: Django's URL pattern '^'" in catchall_server.stdout()


def test_the_start_up_log_names_owned_prefixes_and_why_others_are_not(server):
    out = server.stdout()
    assert "404 answered by Rust under /api (except /api/mounted, /api/static, /api/legacy)" in out
    assert "/shop left to the ASGI app: Django's URL pattern 'shop/<slug:name>/legacy/'" in out


def test_static_files_under_the_prefix_are_still_served(server):
    response = httpx.get(f"{server.base_url}/api/static/hello.txt")
    assert response.status_code == 200
    assert response.text == "a static file\n"


def test_a_host_django_refuses_gets_400_not_404(server):
    response = httpx.get(f"{server.base_url}/api/nosuch", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_a_websocket_handshake_under_the_prefix_gets_rusts_404(server):
    with support.connect(server.address) as sock:
        sock.sendall(support.websocket_handshake("/api/nosuch"))
        status, headers, body = support.read_http1_response(sock)
    assert status == 404
    assert body == b'{"detail":"Not Found"}'


# ---- the override and the reading of URL patterns -------------------------------------


async def plain_asgi(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"the asgi app"})


@pytest.mark.parametrize(("mode", "owned"), [("auto", False), ("bolt", True), ("django", False)])
def test_not_found_decides_in_front_of_an_unknown_asgi_app(django_project, mode, owned):
    api = BoltAPI(prefix="/strict", not_found=mode)

    @api.get("/here")
    async def here() -> dict:
        return {}

    with TestClient(api, asgi=plain_asgi) as client:
        response = client.get("/strict/elsewhere")
    if owned:
        assert response.status_code == 404 and response.json() == NOT_FOUND
    else:
        assert response.text == "the asgi app"


def test_a_bad_not_found_mode_is_refused():
    with pytest.raises(ValueError, match="not_found must be"):
        BoltAPI(prefix="/x", not_found="rust")


def view(request):
    raise AssertionError("never called")


def blocked(prefix: str, *patterns) -> bool:
    """Whether one of ``patterns`` may match a path under ``prefix``."""
    module = types.ModuleType("urlconf_under_test")
    module.urlpatterns = list(patterns)
    return any(p.may_match_under(prefix) for p in django_patterns(module))


@pytest.mark.parametrize(
    ("pattern", "prefix", "may_match"),
    [
        (path("", view), "/api", False),
        (path("api/", view), "/api", True),
        (path("api", view), "/api", True),
        (path("apix/", view), "/api", False),
        (path("api/<int:pk>/", view), "/api/v1", True),
        (path("ap<slug:s>/", view), "/api", True),
        (path("<path:rest>", view), "/api", True),
        (path("api/", include([path("v2/", view)])), "/api/v1", False),
        (path("api/", include([path("v1/x", view)])), "/api/v1", True),
        (path("api/<int:v>/", include([path("x", view)])), "/api/v1", True),
        (re_path(r"^api/v1/", view), "/api", True),
        (re_path(r"^apis?/", view), "/api", True),
        (re_path(r"^api\.json$", view), "/api", True),
        (re_path(r"^apix$", view), "/api", False),
        (re_path(r"^$", view), "/api", False),
        (re_path(r"^", view), "/api", True),
        (re_path(r"api/", view), "/api", True),
        (re_path(r"^about/|^api/", view), "/api", True),
        (re_path(r"^(?i:api)/", view), "/api", True),
    ],
)
def test_which_django_patterns_may_match_under_a_prefix(django_project, pattern, prefix, may_match):
    assert blocked(prefix, pattern) is may_match


@pytest.mark.parametrize(
    ("pattern", "within"),
    [
        (path("api/legacy/", view), "/api/legacy"),
        (path("api/legacy", view), "/api/legacy"),
        (path("api/legacy/<slug:x>", view), "/api/legacy"),
        (path("api/leg<slug:x>", view), "/api"),
        (re_path(r"^api/legacy/", view), "/api/legacy"),
        (path("<slug:x>/", view), "/"),
    ],
)
def test_the_path_a_django_pattern_keeps_below_a_prefix(django_project, pattern, within):
    module = types.ModuleType("urlconf_under_test")
    module.urlpatterns = [pattern]
    [found] = django_patterns(module)
    assert found.within == within


def test_bolts_own_reverse_only_patterns_do_not_count(django_project):
    assert not blocked("/api", path("", include("django_bolt.urls")))


def test_an_owned_prefix_leaves_mounts_below_it_and_yields_to_one_above(django_project):
    from django_bolt.django_app import DjangoApplication

    api = BoltAPI(prefix="/svc")
    api.mount_asgi("/legacy", plain_asgi)
    covered = BoltAPI(prefix="/inner")
    wide = BoltAPI()
    wide.mount_asgi("/inner", plain_asgi)
    found = ownership([api, covered, wide], DjangoApplication(threads=1))
    assert found.owned == ("/svc",)
    assert found.left_to_asgi == ("/svc/legacy",)
    assert found.refused == (("/inner", "the ASGI app serves everything under /inner"),)


def test_a_prefix_left_to_django_below_an_owned_one_stays_djangos(django_project):
    child = BoltAPI(not_found="django")

    @child.get("/here")
    async def here() -> dict:
        return {}

    parent = BoltAPI(prefix="/outer", not_found="bolt")
    parent.mount("/kept", child)
    with TestClient(parent, asgi=plain_asgi) as client:
        assert client.get("/outer/kept/here").json() == {}
        assert client.get("/outer/kept/nosuch").text == "the asgi app"
        assert client.get("/outer/nosuch").json() == NOT_FOUND


def test_mounted_apis_and_routers_claim_their_prefixes():
    from django_bolt import Router

    child = BoltAPI(prefix="/c", not_found="bolt")
    parent = BoltAPI(prefix="/p")
    parent.mount("/m", child)
    parent.include_router(Router(prefix="/r"), prefix="/i")
    claimed = [(c.prefix, c.mode) for c in parent.claims]
    assert claimed == [("/p", "auto"), ("/p/m", "bolt"), ("/p/m/c", "bolt"), ("/p/i/r", "auto")]
