"""The Django example project through `manage.py runbolt`: Django views (via ASGI) and
Bolt routes answer on the same port, over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import re

import pytest
import support

SUPERUSER = support.EXAMPLE_SUPERUSER


@pytest.fixture
def django_client(django_server, protocol):
    with support.make_client(django_server.base_url, protocol) as client:
        yield client


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token in the login form"
    return match.group(1)


def test_plain_django_view(django_client, protocol):
    response = django_client.get("/hello/")
    assert response.status_code == 200
    assert response.http_version == ("HTTP/1.1" if protocol == "http1" else "HTTP/2")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "from django"}


def test_admin_login_page_renders(django_client):
    response = django_client.get("/admin/login/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Django administration" in response.text
    csrf_token(response.text)
    assert "csrftoken" in django_client.cookies


def test_bolt_route_on_the_same_port(django_client):
    response = django_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_path_falls_through_to_django(django_client):
    """Not a Bolt route: Django answers (its HTML 404 page, not Bolt's JSON)."""
    response = django_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_post_without_csrf_token_is_rejected_by_django(django_client):
    response = django_client.post("/admin/login/", data={"username": "x", "password": "y"})
    assert response.status_code == 403


def test_post_form_body_reaches_django(django_client):
    """A wrong password: Django read the form (CSRF token and fields) from the body."""
    token = csrf_token(django_client.get("/admin/login/").text)
    response = django_client.post(
        "/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": SUPERUSER[0], "password": "wrong"},
    )
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text


def test_admin_login_round_trip(django_client):
    """Log in (POST with a body, a session written to the database), then use the
    session cookie to open the admin index."""
    token = csrf_token(django_client.get("/admin/login/").text)
    response = django_client.post(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": SUPERUSER[0], "password": SUPERUSER[1]},
    )
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/"
    assert "sessionid" in django_client.cookies
    index = django_client.get("/admin/")
    assert index.status_code == 200
    assert "Site administration" in index.text
