"""Keys from a JSON Web Key Set (``JWTAuthentication(jwks_url=...)``), fetched and kept
in Rust: against a key server the test runs (HTTPS with a self-signed certificate the
server trusts through ``SSL_CERT_FILE``, or plain HTTP on loopback), with RSA and EC
keys made by ``cryptography`` and tokens signed by PyJWT. Over a real socket against
``runbolt`` serving ``jwtapp``, and through TestClient."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt as pyjwt
import pytest
import support
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from django_bolt import BoltAPI, JWTAuthentication, Request, _core
from django_bolt.testing import TestClient

AUDIENCE = "bolt-tests"  # jwtapp's
ISSUER = "https://issuer.test/"
#: The least time between two fetches of one key set (src/fastpath/auth/jwks).
MIN_INTERVAL = 10


class SigningKey:
    """A private key of the provider's, published in the set under ``kid``."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self.kid = f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}"
        if algorithm == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {**jwk, "kid": self.kid, "use": "sig", "alg": algorithm}

    def token(self, sub: str = "7", kid: str | None = None, **claims) -> str:
        claims = {"sub": sub, "aud": AUDIENCE, "iss": ISSUER, **claims}
        claims.setdefault("exp", int(time.time()) + 600)
        headers = {"kid": kid or self.kid}
        return pyjwt.encode(claims, self.private, algorithm=self.algorithm, headers=headers)


class KeyServer(ThreadingHTTPServer):
    """Serves ``/jwks.json`` (the set of ``keys``), counting fetches; ``down`` makes it
    answer 503."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _KeyHandler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.keys: list[SigningKey] = []
        self.fetches = 0
        self.down = False
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server_address[1]}/jwks.json"

    def document(self) -> bytes:
        return json.dumps({"keys": [key.jwk for key in self.keys]}).encode()


class _KeyHandler(BaseHTTPRequestHandler):
    server: KeyServer

    def do_GET(self) -> None:
        self.server.fetches += 1
        if self.server.down or self.path != "/jwks.json":
            self.send_error(503 if self.server.down else 404)
            return
        body = self.server.document()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def key_server(tls: ssl.SSLContext | None = None) -> Iterator[KeyServer]:
    server = KeyServer(tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def wait_for(condition, timeout: float = MIN_INTERVAL + 8) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1, and a server context serving it."""
    folder = tmp_path_factory.mktemp("tls")
    cert_pem, key_pem = _core.development_certificate()
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_text(cert_pem)
    key.write_text(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


@pytest.fixture(scope="module")
def provider(certificate):
    """The identity provider: an HTTPS key server with an RSA and an EC key."""
    with key_server(certificate[1]) as server:
        server.keys = [SigningKey("RS256"), SigningKey("ES256")]
        yield server


@pytest.fixture(scope="module")
def jwks_server(tmp_path_factory, provider, certificate):
    """runbolt serving jwtapp, told to trust the key server's certificate."""
    database = support.migrated_database(tmp_path_factory.mktemp("db"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BOLT_TEST_DATABASE", str(database))
        env.setenv("JWT_TEST_JWKS_URL", provider.url)
        env.setenv("SSL_CERT_FILE", str(certificate[0]))
        options = ("--settings", "boltproj.settings_jwt")
        with support.serve_django(support.BOLT_PROJECT_DIR, *options) as server:
            yield server


@pytest.fixture
def client(jwks_server):
    with support.make_client(jwks_server.base_url, "http1") as opened:
        yield opened


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_signed_by_each_published_key_are_accepted(client, provider):
    for key in provider.keys:
        response = client.get("/jwt/jwks", headers=bearer(key.token(sub=key.algorithm)))
        assert response.status_code == 200, response.text
        assert response.json() == {"user_id": key.algorithm}


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"aud": "another-api"}, "Token audience is not accepted"),
        ({"iss": "https://another-issuer.test/"}, "Token issuer is not accepted"),
        ({"exp": int(time.time()) - 600}, "Token has expired"),
    ],
)
def test_the_audience_issuer_and_expiry_are_checked(client, provider, claims, detail):
    response = client.get("/jwt/jwks", headers=bearer(provider.keys[0].token(**claims)))
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(client, provider):
    impostor = SigningKey("RS256")
    response = client.get("/jwt/jwks", headers=bearer(impostor.token(kid=provider.keys[0].kid)))
    assert response.status_code == 401
    assert response.json() == {"detail": "Token signature is invalid"}


def test_random_kids_are_401_and_fetch_the_set_at_most_once(client, provider):
    before = provider.fetches
    stranger = SigningKey("RS256")
    started = time.monotonic()
    for _ in range(30):
        response = client.get("/jwt/jwks", headers=bearer(stranger.token(kid=uuid.uuid4().hex)))
        assert response.status_code == 401
        assert response.json() == {"detail": "Token key id is not in the key set"}
    assert time.monotonic() - started < 5, "refused at once, not after a fetch"
    time.sleep(1)
    assert provider.fetches - before <= 1


def test_a_rotated_key_is_fetched_when_its_kid_first_arrives(client, provider):
    rotated = SigningKey("RS256")
    provider.keys.append(rotated)
    headers = bearer(rotated.token(sub="rotated"))
    # The first token under the new kid starts a fetch (once the last one is 10 s old).
    wait_for(lambda: client.get("/jwt/jwks", headers=headers).status_code == 200)
    assert client.get("/jwt/jwks", headers=headers).json() == {"user_id": "rotated"}


def test_an_endpoint_down_keeps_the_known_keys_and_is_logged(client, provider, jwks_server):
    known = provider.keys[0]
    provider.down = True
    try:
        fetches = provider.fetches
        unknown = bearer(SigningKey("ES256").token(kid="not-published"))

        # Each unknown kid may start a fetch, which now fails; requests never wait.
        def fetched_and_failed() -> bool:
            started = time.monotonic()
            response = client.get("/jwt/jwks", headers=unknown)
            assert time.monotonic() - started < 2
            assert response.status_code == 401
            return provider.fetches > fetches

        wait_for(fetched_and_failed)
        time.sleep(0.5)
        response = client.get("/jwt/jwks", headers=bearer(known.token(sub="still")))
        assert response.json() == {"user_id": "still"}
    finally:
        provider.down = False
    wait_for(lambda: "cannot fetch the JWKS at " + provider.url in jwks_server.stderr())
    assert "the server answered 503 Service Unavailable" in jwks_server.stderr()


# ---- TestClient ---------------------------------------------------------------------


def jwks_api(**options) -> BoltAPI:
    api = BoltAPI()
    auth = [
        JWTAuthentication(
            algorithms=["RS256", "ES256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            load_user=False,
            **options,
        )
    ]

    @api.get("/me", auth=auth)
    async def me(request: Request) -> dict:
        return {"user_id": request.auth["user_id"]}

    return api


def test_a_key_set_given_as_a_document(django_project):
    key = SigningKey("ES256")
    with TestClient(jwks_api(jwks={"keys": [key.jwk]})) as client:
        assert client.get("/me", headers=bearer(key.token(sub="doc"))).json() == {"user_id": "doc"}
        other = SigningKey("ES256").token(kid="nope")
        assert client.get("/me", headers=bearer(other)).status_code == 401


def test_plain_http_on_loopback_and_a_server_that_never_answered(django_project, capfd):
    with key_server() as server:
        server.keys = [SigningKey("RS256")]
        with TestClient(jwks_api(jwks_url=server.url)) as client:
            token = server.keys[0].token(sub="loopback")
            assert client.get("/me", headers=bearer(token)).json() == {"user_id": "loopback"}
    closed = f"http://127.0.0.1:{support.free_port()}/jwks.json"
    started = time.monotonic()
    with TestClient(jwks_api(jwks_url=closed)) as client:
        response = client.get("/me", headers=bearer(SigningKey("RS256").token()))
    assert time.monotonic() - started < 10
    assert response.status_code == 401
    assert response.json() == {"detail": "Token signing keys are unavailable"}
    assert f"cannot fetch the JWKS at {closed}: cannot connect" in capfd.readouterr().err


def test_backends_sharing_a_url_keep_their_own_audience(django_project):
    with key_server() as server:
        server.keys = [SigningKey("RS256")]
        api = BoltAPI()
        for audience in ("api-one", "api-two"):
            auth = [
                JWTAuthentication(
                    jwks_url=server.url,
                    algorithms=["RS256"],
                    audience=audience,
                    issuer=ISSUER,
                    load_user=False,
                )
            ]

            @api.get(f"/{audience}", auth=auth)
            async def route() -> dict:
                return {}

        with TestClient(api) as client:
            headers = bearer(server.keys[0].token(aud="api-one"))
            assert client.get("/api-one", headers=headers).status_code == 200
            refused = client.get("/api-two", headers=headers)
            assert refused.json() == {"detail": "Token audience is not accepted"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"jwks_url": "http://keys.example.com/jwks.json"}, "must be https://"),
        ({"jwks_url": "ftp://127.0.0.1/jwks.json"}, "must be https://"),
        ({"jwks_url": "/jwks.json"}, "is not an absolute URL"),
        ({"jwks": {"not": "a set"}}, "must be a JSON Web Key Set"),
        ({"jwks": {"keys": []}, "secret": "s" * 40}, "not both"),
        ({"jwks": {"keys": []}, "jwks_url": "https://a.test/k"}, "not both"),
        ({"jwks_url": "https://a.test/k", "jwks_refresh_interval": 1}, ">= 10 seconds"),
    ],
)
def test_bad_key_set_arguments_are_refused(options, message):
    options = {"audience": AUDIENCE, "issuer": ISSUER, **options}
    with pytest.raises(ValueError, match=message):
        JWTAuthentication(**options)


def test_oidc_discovery_names_its_replacement():
    with pytest.raises(ValueError, match="pass jwks_url="):
        JWTAuthentication(oidc_issuer="https://issuer.test", audience=AUDIENCE)


def test_a_url_needs_an_audience_and_an_issuer():
    with pytest.raises(ValueError, match="needs audience= and issuer="):
        JWTAuthentication(jwks_url="https://a.test/k", algorithms=["RS256"])


def test_a_key_set_refuses_shared_secret_algorithms(django_project):
    key = SigningKey("RS256")
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication(jwks={"keys": [key.jwk]}, algorithms=["HS256"])])
    async def me() -> dict:
        return {}

    with pytest.raises(Exception, match="not HS"), TestClient(api):
        pass


def test_public_key_names_the_pem_key(django_project):
    from cryptography.hazmat.primitives import serialization

    key = SigningKey("RS256")
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api = BoltAPI()
    auth = [
        JWTAuthentication(public_key=pem, algorithms=["RS256"], audience=AUDIENCE, load_user=False)
    ]

    @api.get("/me", auth=auth)
    async def me(request: Request) -> dict:
        return {"user_id": request.auth["user_id"]}

    with TestClient(api) as client:
        assert client.get("/me", headers=bearer(key.token(sub="pem"))).json() == {"user_id": "pem"}
    with pytest.raises(ValueError, match="not both"):
        JWTAuthentication(secret="s" * 40, public_key=pem)


def test_the_set_is_fetched_again_once_it_is_old(django_project):
    with key_server() as server:
        server.keys = [SigningKey("RS256")]
        api = jwks_api(jwks_url=server.url, jwks_refresh_interval=MIN_INTERVAL)
        with TestClient(api) as client:
            headers = bearer(server.keys[0].token())
            assert client.get("/me", headers=headers).status_code == 200
            assert server.fetches == 1
            time.sleep(MIN_INTERVAL + 0.5)
            # A request finds the set old: it is served with it, and a fetch starts.
            assert client.get("/me", headers=headers).status_code == 200
            wait_for(lambda: server.fetches == 2, timeout=5)


def test_a_token_is_refused_once_its_key_leaves_the_set(django_project):
    """An accepted token is remembered with the key that verified it: once the set no
    longer has that key, the token is checked again and refused."""
    with key_server() as server:
        retired, current = SigningKey("RS256"), SigningKey("RS256")
        server.keys = [retired, current]
        api = jwks_api(jwks_url=server.url, jwks_refresh_interval=MIN_INTERVAL)
        with TestClient(api) as client:
            old, new = bearer(retired.token(sub="old")), bearer(current.token(sub="new"))
            assert client.get("/me", headers=old).json() == {"user_id": "old"}
            server.keys = [current]
            time.sleep(MIN_INTERVAL + 0.5)
            # This request finds the set old and starts the fetch that drops the key.
            client.get("/me", headers=new)
            wait_for(lambda: server.fetches == 2, timeout=5)
            wait_for(lambda: client.get("/me", headers=old).status_code == 401, timeout=5)
            assert client.get("/me", headers=new).json() == {"user_id": "new"}
