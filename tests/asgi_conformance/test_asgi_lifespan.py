"""The lifespan protocol around the server's life."""

from __future__ import annotations

import h3sync
import pytest
import support


@pytest.mark.parametrize("tls", [False, True], ids=["cleartext", "tls-and-http3"])
def test_lifespan_state_reaches_every_request_as_a_copy(request, tls):
    """state set in lifespan startup is in each request's scope["state"]; a request
    writing to its copy does not change what the next request sees. In the clear over
    HTTP/1.1 and h2c; with TLS over HTTP/1.1, HTTP/2 (ALPN) and HTTP/3."""
    if tls:
        serving = h3sync.serve_tls("apps:lifespan_state", request.getfixturevalue("certs"))
        protocols = support.ALL_PROTOCOLS
    else:
        serving = support.serve_asgi("apps:lifespan_state")
        protocols = support.PROTOCOLS
    with serving as server:
        answers = []
        for protocol in protocols:
            with h3sync.client_for(server, protocol) as client:
                for _ in range(2):
                    response = client.get("/")
                    assert response.status_code == 200
                    assert (
                        response.http_version
                        == {
                            "http1": "HTTP/1.1",
                            "http2": "HTTP/2",
                            "http3": "HTTP/3",
                        }[protocol]
                    )
                    answers.append(response.json())
        assert server.terminate() == 0, server.stderr()
    assert len(answers) == 2 * len(protocols)
    for answer in answers:
        assert answer["x"] == "set during startup"
        assert answer["leaked"] is False, "a request's write to scope['state'] leaked"
    # lifespan.shutdown was delivered on SIGTERM before the process exited.
    assert "conformance: lifespan shutdown received" in server.stderr()


def test_app_without_lifespan_support_is_served():
    """An app that raises on the lifespan scope (as Django's does) is served anyway
    (spec: the server must continue but not send lifespan events) without an error."""
    with support.serve_asgi("apps:main") as server:
        with support.make_client(server.base_url, "http1") as client:
            assert client.get("/ok").json() == {"ok": True}
            scope = client.get("/scope").json()
    assert "state" not in scope or scope.get("state") is None
    assert "Traceback" not in server.stderr()
    assert "ERROR" not in server.stderr()


def test_failed_startup_exits_non_zero_with_the_message():
    port = support.free_port()
    result = support.run_cli(
        ["serve", "apps:lifespan_fails", "--host", "127.0.0.1", "--port", str(port)]
    )
    assert result.returncode != 0
    assert "conformance: the database is down" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(OSError):
        support.connect(("127.0.0.1", port), timeout=0.5).close()
