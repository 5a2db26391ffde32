"""CORS, rate limits and Python middleware: through TestClient and through a real runbolt
process over HTTP/1.1 and HTTP/2, against the same routes (tests/bolt/project/mwapp)."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from pathlib import Path

import pytest
import support

from django_bolt import (
    BaseMiddleware,
    BoltAPI,
    CompressionConfig,
    CORSConfig,
    HTTPException,
    LoggingMiddleware,
    OpenAPIConfig,
    PageNumberPagination,
    Request,
    Response,
    ScalarRenderPlugin,
    TimingMiddleware,
    WebSocket,
    cors,
    middleware,
    paginate,
    rate_limit,
    skip_middleware,
)
from django_bolt.routing import describe
from django_bolt.testing import TestClient, WebSocketRejected

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from mwapp import api as mwapp  # noqa: E402

APP = "https://app.example.com"
PREFLIGHT = {"origin": APP, "access-control-request-method": "GET"}


@pytest.fixture(scope="module")
def server():
    options = ("--settings", "boltproj.settings_mw", "--forwarded-allow-ips", "127.0.0.1")
    with support.serve_django(PROJECT, *options) as server:
        yield server


@pytest.fixture(params=["testclient", *support.PROTOCOLS])
def client(request):
    if request.param == "testclient":
        # As the servers: a handler's exception is its 500.
        opened = TestClient(mwapp.api, raise_server_exceptions=False)
    else:
        opened = support.make_client(request.getfixturevalue("server").base_url, request.param)
    with opened as client:
        yield client


def new_ip() -> str:
    """An address of its own for a test, sent as X-Forwarded-For: runbolt trusts it from
    127.0.0.1, so rate limits count it apart (TestClient ignores it: it has fresh buckets)."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


# ---- CORS ------------------------------------------------------------------------------


def test_spec_preflight_from_an_allowed_origin(client):
    response = client.options(
        "/public/data",
        headers={
            "origin": "https://example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://example.com"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "3600"
    assert response.headers["vary"] == "Origin"


def test_spec_preflight_from_another_origin_or_for_another_method_is_403(client):
    other = {"origin": "https://evil.example", "access-control-request-method": "GET"}
    response = client.options("/public/data", headers=other)
    assert response.status_code == 403
    assert response.json() == {"detail": "CORS: this origin is not allowed"}
    assert "access-control-allow-origin" not in response.headers
    put = {"origin": APP, "access-control-request-method": "PUT"}
    response = client.options("/public/data", headers=put)
    assert response.status_code == 403
    assert response.json() == {"detail": "CORS: this method is not allowed"}


def test_spec_actual_response_names_the_origin_and_credentials(client):
    response = client.get("/public/data", headers={"origin": APP})
    assert response.status_code == 200
    assert response.json() == {"data": "accessible cross-origin"}
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"
    other = client.get("/public/data", headers={"origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


def test_plain_options_without_origin_still_lists_allow(client):
    response = client.options("/public/data")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "access-control-allow-origin" not in response.headers


def test_preflight_of_an_auth_route_needs_no_credentials(client):
    response = client.options("/mw/private", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-headers"] == "X-API-Key"
    # The refusal of the actual request is readable by the page: it carries CORS.
    refused = client.get("/mw/private", headers={"origin": APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP
    allowed = client.get("/mw/private", headers={"origin": APP, "x-api-key": "key-1"})
    assert allowed.status_code == 200
    assert allowed.json() == {"private": True}


def test_any_origin_is_a_star_with_exposed_headers(client):
    response = client.get("/mw/anyone", headers={"origin": "https://b.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-Total"
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["x-total"] == "0"


def test_skip_middleware_cors_leaves_the_route_without_cors(client):
    response = client.get("/mw/uncors", headers={"origin": APP})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/mw/uncors", headers=PREFLIGHT)
    assert preflight.status_code == 204
    assert "access-control-allow-origin" not in preflight.headers


def test_any_header_allows_what_the_preflight_asks_for():
    api = BoltAPI()

    @api.post("/notes")
    @cors(origins=[APP], headers=["*"], credentials=True)
    async def notes():
        return {}

    asked = {
        "origin": APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-trace",
    }
    with TestClient(api) as client:
        response = client.options("/notes", headers=asked)
    assert response.status_code == 204
    assert response.headers["access-control-allow-headers"] == "content-type, x-trace"
    assert response.headers["vary"] == "Access-Control-Request-Headers, Origin"
    with pytest.raises(ValueError, match="stands alone"):
        cors(origins=[APP], headers=["*", "x-trace"])


def test_credentials_for_any_origin_are_refused_at_declaration():
    with pytest.raises(ValueError, match="credentials"):
        cors(origins=["*"], credentials=True)
    with pytest.raises(ValueError, match="scheme://host"):
        cors(origins=["example.com"])
    with pytest.raises(TypeError, match="list of str"):
        cors(origins="https://example.com")


def test_api_wide_cors_applies_unless_a_route_has_its_own():
    api = BoltAPI(cors=CORSConfig(origins=["https://a.example"]))

    @api.get("/default")
    async def default():
        return {}

    @api.get("/own")
    @cors(origins=["https://b.example"])
    async def own():
        return {}

    with TestClient(api) as client:
        a = {"origin": "https://a.example"}
        assert client.get("/default", headers=a).headers["access-control-allow-origin"] == (
            "https://a.example"
        )
        assert "access-control-allow-origin" not in client.get("/own", headers=a).headers
        b = client.get("/own", headers={"origin": "https://b.example"})
        assert b.headers["access-control-allow-origin"] == "https://b.example"


# ---- rate limits -----------------------------------------------------------------------


def test_spec_rate_limit_allows_the_burst_then_429(client):
    headers = {"x-forwarded-for": new_ip()}
    statuses = [client.post("/api/expensive", headers=headers).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]


def test_rate_limit_429_says_when_to_retry_and_recovers(client):
    headers = {"x-forwarded-for": new_ip()}
    assert [client.get("/mw/limited", headers=headers).status_code for _ in range(2)] == [200] * 2
    refused = client.get("/mw/limited", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {"detail": "Rate limit exceeded; retry in 1 s"}
    time.sleep(0.06)  # 20 tokens a second: one is back after 50 ms
    assert client.get("/mw/limited", headers=headers).status_code == 200


def test_rate_limit_by_header_counts_each_value_apart(client):
    first, second = {"x-client": uuid.uuid4().hex}, {"x-client": uuid.uuid4().hex}
    for _ in range(2):
        assert client.get("/mw/limited-by-key", headers=first).status_code == 200
    assert client.get("/mw/limited-by-key", headers=first).status_code == 429
    assert client.get("/mw/limited-by-key", headers=second).status_code == 200


def test_rate_limit_is_per_client_address(server):
    with support.make_client(server.base_url, "http1") as client:
        first, second = {"x-forwarded-for": new_ip()}, {"x-forwarded-for": new_ip()}
        for _ in range(2):
            assert client.get("/mw/limited", headers=first).status_code == 200
        assert client.get("/mw/limited", headers=first).status_code == 429
        assert client.get("/mw/limited", headers=second).status_code == 200


def test_a_flood_of_new_keys_does_not_reset_a_limited_client():
    """The route keeps 64 buckets; 300 new clients cannot push out the one that is
    limited: new ones get 429 until a bucket refills (5 s here)."""
    with TestClient(mwapp.api) as client:
        victim = {"x-client": "victim"}
        statuses = [
            client.get("/mw/limited-few-clients", headers=victim).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        flood = [
            client.get("/mw/limited-few-clients", headers={"x-client": f"flood-{n}"})
            for n in range(300)
        ]
        assert sum(r.status_code == 200 for r in flood) < 64
        refused = [r for r in flood if r.status_code == 429]
        assert (
            refused[-1]
            .json()["detail"]
            .startswith("Too many clients are being rate limited at once; retry in")
        )
        still = client.get("/mw/limited-few-clients", headers=victim)
        assert still.json()["detail"].startswith("Rate limit exceeded")


def test_ipv6_clients_share_a_bucket_per_64_network(server):
    """One host holds a whole /64: its addresses are one client."""
    with support.make_client(server.base_url, "http1") as client:
        network = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:1"
        statuses = [
            client.get("/mw/limited", headers={"x-forwarded-for": f"{network}::{n:x}"}).status_code
            for n in range(1, 4)
        ]
        assert statuses == [200, 200, 429]
        neighbour = client.get("/mw/limited", headers={"x-forwarded-for": f"{network}0::1"})
        assert neighbour.status_code == 200


def test_skip_middleware_rate_limit_leaves_the_route_unlimited(client):
    headers = {"x-forwarded-for": new_ip()}
    assert [client.get("/mw/unlimited", headers=headers).status_code for _ in range(3)] == [200] * 3
    assert client.get("/internal").json() == {"internal": True}


def test_rate_limit_counts_websocket_handshakes():
    api = BoltAPI()

    @api.websocket("/ws/limited")
    @rate_limit(rps=0.01, burst=2)
    async def limited(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("in")

    with TestClient(api) as client:
        for _ in range(2):
            with client.websocket_connect("/ws/limited") as ws:
                assert ws.receive_text() == "in"
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/ws/limited")
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["retry-after"]) >= 1


def test_http_only_decorators_are_refused_on_a_websocket_route():
    api = BoltAPI()
    for decorate in (
        cors(origins=["https://app.example"]),
        middleware(TimingMiddleware),
        paginate(PageNumberPagination),
    ):
        with pytest.raises(TypeError, match="WEBSOCKET /ws: .* applies to HTTP routes"):

            @api.websocket("/ws")
            @decorate
            async def handler(websocket: WebSocket):
                pass


def test_bad_rate_limits_are_refused_at_declaration():
    for kwargs in ({"rps": 0}, {"rps": 1, "burst": 0}, {"rps": 1, "key": "no such key"}):
        with pytest.raises(ValueError, match="rate_limit"):
            rate_limit(**kwargs)
    with pytest.raises(ValueError, match="key"):
        rate_limit(rps=1, key="header:bad name")
    for kwargs in ({"ipv6_prefix": 0}, {"ipv6_prefix": 129}, {"max_clients": 0}):
        with pytest.raises(ValueError, match="rate_limit"):
            rate_limit(rps=1, **kwargs)


# ---- Python middleware -----------------------------------------------------------------


def test_spec_custom_middleware_sets_a_header(client):
    response = client.post("/upload")
    assert response.status_code == 200
    assert response.json() == {"uploaded": True}
    assert response.headers["x-response-time"].endswith("s")
    float(response.headers["x-response-time"][:-1])


def test_spec_stream_passes_through_middleware(client):
    response = client.get("/stream")
    assert response.text == "chunk1chunk2"
    assert response.headers["x-layers"] == "api;"


def test_api_middleware_runs_outside_route_middleware(client):
    response = client.get("/mw/layers")
    assert response.json() == {"trail": ["api", "route"]}
    assert response.headers["x-layers"] == "route;api;"


def test_middleware_may_answer_without_the_handler(client):
    response = client.get("/mw/gate", headers={"x-gate": "closed"})
    assert response.status_code == 403
    assert response.json() == {"gate": "closed"}
    assert response.headers["x-layers"] == "route;api;"
    assert client.get("/mw/gate").json() == {"gate": "open"}


def test_http_exceptions_become_responses_outer_layers_see(client):
    raised = client.get("/mw/gate", headers={"x-gate": "raise"})
    assert raised.status_code == 409
    assert raised.json() == {"detail": "The gate refused"}
    assert raised.headers["x-gate"] == "1"
    assert raised.headers["x-layers"] == "route;api;"
    missing = client.get("/mw/not-found")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Nothing here"}
    assert missing.headers["x-layers"] == "route;api;"


def test_skip_middleware_by_class_or_name(client):
    response = client.get("/mw/skipped")
    assert response.json() == {"skipped": True}
    assert "x-layers" not in response.headers


def test_middleware_around_sync_handlers_bodies_cookies_and_dependencies(client):
    assert client.get("/mw/sync", params={"n": 3}).json() == {"n": 3}
    created = client.post("/mw/items", json={"name": "cup"})
    assert created.status_code == 201
    assert created.json() == {"name": "cup"}
    assert created.headers["set-cookie"].startswith("made=cup")
    assert created.headers["x-layers"] == "route;api;"
    invalid = client.post("/mw/items", json={"name": 1})
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "name"]
    depending = client.get("/mw/depends", headers={"x-caller": "ada"})
    assert depending.json() == {"who": "ada"}
    assert depending.headers["x-layers"] == "route;api;"


def test_middleware_streams_keep_their_body(client):
    response = client.get("/mw/stream")
    assert response.text == "one,two"
    assert response.headers["x-layers"] == "route;api;"


def test_logging_middleware_logs_each_request(caplog):
    with (
        caplog.at_level(logging.INFO, logger="django_bolt"),
        TestClient(mwapp.api, raise_server_exceptions=False) as client,
    ):
        client.get("/mw/layers")
        client.get("/mw/broken")
    lines = [r.getMessage() for r in caplog.records if r.name == "django_bolt"]
    assert any(line.startswith("GET /mw/layers 200 ") and line.endswith("ms") for line in lines)
    assert any(line.startswith("GET /mw/broken 500 ") for line in lines)


def test_logging_on_a_real_server(server):
    with support.make_client(server.base_url, "http2") as client:
        client.get("/mw/sync", params={"n": 2})
        client.get("/mw/skipped")
    deadline = time.monotonic() + 5
    while "GET /mw/sync 200" not in server.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "GET /mw/sync 200" in server.stderr()
    assert "GET /mw/skipped" not in server.stderr()


def test_spec_constructor_options_with_timing_and_logging(caplog):
    api = BoltAPI(
        prefix="/api/v1",
        trailing_slash="strip",
        validate_response=True,
        compression=CompressionConfig(),
        enable_logging=True,
        middleware=[
            TimingMiddleware,
            LoggingMiddleware,
        ],
        openapi_config=OpenAPIConfig(
            title="My API",
            version="1.0.0",
            path="/docs",
            render_plugins=[ScalarRenderPlugin()],
            enabled=True,
        ),
    )

    @api.get("/health")
    async def health():
        return {"status": "ok"}

    with caplog.at_level(logging.INFO, logger="django_bolt"), TestClient(api) as client:
        response = client.get("/api/v1/health")
    assert response.json() == {"status": "ok"}
    assert response.headers["x-response-time"].endswith("s")
    logged = [r for r in caplog.records if r.getMessage().startswith("GET /api/v1/health 200")]
    assert len(logged) == 1  # enable_logging does not add a second LoggingMiddleware


def test_middleware_must_return_a_response():
    class Forgetful(BaseMiddleware):
        async def process_request(self, request: Request) -> Response:
            await self.get_response(request)

    api = BoltAPI()

    @api.get("/forgetful")
    @middleware(Forgetful)
    async def forgetful():
        return {}

    with TestClient(api, raise_server_exceptions=False) as client:
        response = client.get("/forgetful")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"


def test_middleware_declarations_are_checked():
    with pytest.raises(TypeError, match="BaseMiddleware"):
        middleware(object)
    with pytest.raises(TypeError, match="BaseMiddleware"):
        BoltAPI(middleware=[TimingMiddleware()])  # type: ignore[list-item]


def test_routes_without_middleware_keep_the_direct_call():
    api = BoltAPI()

    async def plain():
        return {}

    @skip_middleware("LoggingMiddleware")
    async def layered():
        raise HTTPException(400)

    api.get("/plain")(plain)
    api.get("/layered")(middleware(TimingMiddleware)(layered))
    described = {route.path: describe(route, debug=False) for route in api.routes}
    assert described["/plain"]["handler"] is plain
    assert described["/plain"]["request_param"] is None
    assert described["/layered"]["handler"] is not layered


# ---- middleware written for the original django-bolt -------------------------------------


def test_django_shaped_middleware_runs_around_the_route(client):
    response = client.get("/mw/shaped")
    assert response.status_code == 200
    assert response.json() == {"shaped": "yes", "has_request_id": True}
    assert response.headers["x-shaped"] == "1"
    assert response.headers["x-watched"] == "1"
    assert response.headers["x-request-id"]  # the server's, or one of its own
    assert response.headers["x-response-time"].endswith("s")


def test_excluded_paths_pass_a_middleware_by(client):
    response = client.get("/mw/shaped/healthz")
    assert response.json() == {"ok": True}
    assert response.headers["x-shaped"] == "1"
    assert "x-watched" not in response.headers


def test_error_handler_middleware_answers_500_inside_the_outer_layers(client):
    response = client.get("/mw/shaped/broken")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert "x-shaped" not in response.headers  # ErrorHandler is outside DjangoShaped


def test_skip_middleware_star_leaves_every_python_middleware_out(client):
    response = client.get("/mw/shaped/bare")
    assert response.json() == {"bare": True}
    assert "x-shaped" not in response.headers and "x-layers" not in response.headers


def test_old_and_new_module_paths_are_one_implementation():
    import django_bolt
    import django_bolt.logging as bolt_logging
    from django_bolt.middleware import LoggingMiddleware as from_middleware
    from django_bolt.middleware import Middleware, MiddlewareProtocol, cors, rate_limit

    assert bolt_logging.LoggingMiddleware is from_middleware is django_bolt.LoggingMiddleware
    assert (cors, rate_limit) == (django_bolt.cors, django_bolt.rate_limit)
    assert issubclass(Middleware, django_bolt.BaseMiddleware)
    assert isinstance(mwapp.DjangoShaped(None), MiddlewareProtocol)


def test_logging_config_levels_skips_and_slow_only(caplog):
    from django_bolt.logging import LoggingConfig, create_logging_middleware

    quiet = create_logging_middleware(
        "tests.requests", skip_paths={"/skipped"}, min_duration_ms=60_000
    )
    api = BoltAPI(middleware=[quiet], enable_logging=True)

    @api.get("/ok")
    async def ok():
        return {}

    @api.get("/skipped")
    async def skipped():
        raise HTTPException(404)

    @api.get("/missing")
    async def missing():
        raise HTTPException(404)

    with (
        caplog.at_level(logging.DEBUG, logger="tests.requests"),
        TestClient(api) as client,
    ):
        client.get("/ok")
        client.get("/skipped")
        client.get("/missing")
    records = [r for r in caplog.records if r.name == "tests.requests"]
    # /ok was faster than 60 s (not logged), /skipped is skipped, the 404 is a WARNING.
    assert [(r.levelname, r.getMessage().rsplit(" ", 1)[0]) for r in records] == [
        ("WARNING", "GET /missing 404")
    ]
    assert records[0].status_code == 404
    # enable_logging added no second LoggingMiddleware beside the configured one.
    assert not [r for r in caplog.records if r.name == "django_bolt"]
    with pytest.raises(TypeError, match="unexpected keyword"):
        create_logging_middleware(no_such_option=True)
    with pytest.raises(ValueError, match="sample_rate"):
        LoggingConfig(sample_rate=2)


def test_timing_middleware_keeps_the_servers_request_id(client):
    response = client.get("/mw/shaped", headers={"X-Request-ID": "req-from-proxy-1"})
    assert response.headers["x-request-id"] == "req-from-proxy-1"


def test_request_attributes_come_from_state_else_attribute_error():
    api = BoltAPI()

    @api.get("/attrs")
    async def attrs(request: Request):
        request.state["tenant"] = "acme"
        try:
            request.missing  # noqa: B018
        except AttributeError as exc:
            error = str(exc)
        return {"tenant": request.tenant, "error": error, "has": hasattr(request, "nope")}

    @api.get("/untouched")
    async def untouched(request: Request):
        # Before anything wrote to request.state (it is made when first read).
        return {"has": hasattr(request, "tenant"), "default": getattr(request, "x", "none")}

    with TestClient(api) as client:
        assert client.get("/attrs").json() == {
            "tenant": "acme",
            "error": "'Request' object has no attribute 'missing'",
            "has": False,
        }
        assert client.get("/untouched").json() == {"has": False, "default": "none"}
