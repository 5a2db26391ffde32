"""Proxy headers are believed only from --forwarded-allow-ips, and only the family
--proxy-headers names."""

from __future__ import annotations

import httpx
import support

FORWARDED = {
    "x-forwarded-for": "203.0.113.9, 127.0.0.1",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "shop.example",
}


def scope_via(server, headers) -> dict:
    return httpx.get(f"{server.base_url}/scope", headers=headers).json()


def host_of(scope) -> list[str]:
    return [value for name, value in scope["headers"] if name == "host"]


def test_x_forwarded_headers_from_a_trusted_proxy():
    with support.serve_asgi("apps:main", "--forwarded-allow-ips", "127.0.0.1") as server:
        scope = scope_via(server, FORWARDED)
        assert scope["client"][0] == "203.0.113.9"
        assert scope["scheme"] == "https"
        # The host is the proxy's only with --forwarded-host.
        assert host_of(scope) == [f"127.0.0.1:{server.port}"]
        # A Forwarded header is not what this proxy sets: a client's own is ignored.
        spoofed = scope_via(server, {"forwarded": 'for="[2001:db8::5]:1234";proto=https'})
        assert spoofed["client"][0] == "127.0.0.1"
        assert spoofed["scheme"] == "http"


def test_forwarded_host_takes_the_proxy_host():
    options = ("--forwarded-allow-ips", "127.0.0.1", "--forwarded-host")
    with support.serve_asgi("apps:main", *options) as server:
        assert host_of(scope_via(server, FORWARDED)) == ["shop.example"]


def test_rfc7239_forwarded_when_chosen():
    options = ("--forwarded-allow-ips", "127.0.0.1", "--proxy-headers", "forwarded")
    with support.serve_asgi("apps:main", *options) as server:
        rfc = scope_via(server, {"forwarded": 'for="[2001:db8::5]:1234";proto=https'})
        assert rfc["client"][0] == "2001:db8::5"
        assert rfc["scheme"] == "https"
        # X-Forwarded-* is not what this proxy sets: ignored.
        spoofed = scope_via(server, FORWARDED)
        assert spoofed["client"][0] == "127.0.0.1"
        assert spoofed["scheme"] == "http"


def test_proxy_headers_are_ignored_by_default():
    with support.serve_asgi("apps:main") as server:
        scope = scope_via(server, FORWARDED)
    assert scope["client"][0] == "127.0.0.1"
    assert scope["scheme"] == "http"
    assert host_of(scope) == [f"127.0.0.1:{server.port}"]


def test_untrusted_peer_is_ignored():
    with support.serve_asgi("apps:main", "--forwarded-allow-ips", "10.0.0.0/8") as server:
        scope = scope_via(server, FORWARDED)
    assert scope["client"][0] == "127.0.0.1"
    assert scope["scheme"] == "http"


def test_a_bad_allow_list_is_a_one_line_error():
    result = support.run_cli(
        ["serve", "apps:main", "--port", str(support.free_port()), "--forwarded-allow-ips", "x/99"]
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'django-bolt: error: --forwarded-allow-ips: "x/99" is not an IP address or network'
    )
