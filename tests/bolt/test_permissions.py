"""Permission guards against the user's Django permissions (issue 13): a token from
``create_jwt_for_user(user)`` carries no ``permissions`` claim, so ``HasPermission``,
``HasAnyPermission`` and ``HasAllPermissions`` ask Django (``has_perm``: direct grants,
groups, superusers; inactive users refused), and keep the answers for
``BOLT_PERMISSION_CACHE_SECONDS``. Real users and groups in the test project's SQLite
database, through TestClient and a real runbolt process over HTTP/1.1 and HTTP/2;
the same cache for a Django session."""

from __future__ import annotations

import sys
import time
import uuid

import pytest
import support

from django_bolt import BoltAPI, HasPermission, JWTAuthentication, WebSocket, create_jwt_for_user
from django_bolt.permissions import permission_cache
from django_bolt.testing import TestClient
from django_bolt.testing_websocket import WebSocketRejected

ARTICLE = {"title": "t", "body": "b"}


@pytest.fixture(autouse=True)
def fresh_cache():
    permission_cache.clear()
    yield
    permission_cache.clear()


def permission(name: str):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    app_label, codename = name.split(".")
    kind, _ = ContentType.objects.get_or_create(app_label=app_label, model="thing")
    found, _ = Permission.objects.get_or_create(
        content_type=kind, codename=codename, defaults={"name": codename}
    )
    return found


def new_user(*permissions: str, group: str | None = None, **flags):
    """A new user granted ``permissions`` directly, or through a new group."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create(username=f"perm-{uuid.uuid4().hex[:12]}", **flags)
    granted = [permission(name) for name in permissions]
    if group is None:
        user.user_permissions.set(granted)
    else:
        team = Group.objects.create(name=f"{group}-{uuid.uuid4().hex[:12]}")
        team.permissions.set(granted)
        user.groups.add(team)
    return user


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_jwt_for_user(user)}"}


@pytest.fixture(scope="module")
def authn(django_project):
    from authapp.api import api

    return api


def check_django_decides(client) -> None:
    """The spec's guarded routes, for users whose permissions are only in Django."""
    direct = new_user("blog.add_article")
    grouped = new_user("blog.add_article", group="writers")
    nobody = new_user()
    for user, status in ((direct, 200), (grouped, 200), (nobody, 403)):
        response = client.post("/authn/articles", json=ARTICLE, headers=bearer(user))
        assert response.status_code == status, (user.username, response.text)
    denied = client.post("/authn/articles", json=ARTICLE, headers=bearer(nobody))
    assert denied.json() == {"detail": "Permission 'blog.add_article' required"}

    viewer = new_user("reports.view", group="viewers")
    assert client.get("/authn/reports", headers=bearer(viewer)).status_code == 200
    assert client.get("/authn/reports", headers=bearer(nobody)).status_code == 403
    half = new_user("deploy.create")
    both = new_user("deploy.create", "deploy.approve", group="deployers")
    assert client.post("/authn/deploy", headers=bearer(half)).status_code == 403
    assert client.post("/authn/deploy", headers=bearer(both)).json() == {"status": "deploying"}

    # A superuser has every permission; an inactive user none, whatever the token says.
    root = new_user(is_superuser=True)
    assert client.post("/authn/deploy", headers=bearer(root)).status_code == 200
    gone = new_user("blog.add_article", is_active=False)
    refused = client.post("/authn/articles", json=ARTICLE, headers=bearer(gone))
    assert refused.status_code == 401
    assert "does not exist or is inactive" in refused.json()["detail"]

    # A token's permissions claim is still decided in Rust, against the database.
    claimed = {"Authorization": f"Bearer {create_jwt_for_user(direct, permissions=[])}"}
    assert client.post("/authn/articles", json=ARTICLE, headers=claimed).status_code == 403


def test_guards_ask_django_through_the_test_client(authn):
    with TestClient(authn) as client:
        check_django_decides(client)


def test_answers_are_kept_for_the_cache_time(authn):
    from django.test import override_settings

    writer = new_user("blog.add_article", group="writers")
    team = writer.groups.get()
    with TestClient(authn) as client:
        with override_settings(BOLT_PERMISSION_CACHE_SECONDS=60):
            assert (
                client.post("/authn/articles", json=ARTICLE, headers=bearer(writer)).status_code
                == 200
            )
            team.user_set.remove(writer)
            # Revoked in Django; the answer kept a minute ago still lets the user in.
            kept = client.post("/authn/articles", json=ARTICLE, headers=bearer(writer))
            assert kept.status_code == 200
        with override_settings(BOLT_PERMISSION_CACHE_SECONDS=0.3):
            permission_cache.clear()
            team.user_set.add(writer)
            assert (
                client.post("/authn/articles", json=ARTICLE, headers=bearer(writer)).status_code
                == 200
            )
            team.user_set.remove(writer)
            time.sleep(0.4)
            late = client.post("/authn/articles", json=ARTICLE, headers=bearer(writer))
            assert late.status_code == 403
        with override_settings(BOLT_PERMISSION_CACHE_SECONDS=0):
            team.user_set.add(writer)
            assert (
                client.post("/authn/articles", json=ARTICLE, headers=bearer(writer)).status_code
                == 200
            )
            team.user_set.remove(writer)
            now = client.post("/authn/articles", json=ARTICLE, headers=bearer(writer))
            assert now.status_code == 403


def test_a_session_uses_the_same_cache(django_project):
    from django.test import Client, override_settings
    from sessionapp.api import api

    viewer = new_user("reports.export", group="exporters")
    django_client = Client()
    django_client.force_login(viewer)
    cookie = {"Cookie": f"sessionid={django_client.cookies['sessionid'].value}"}
    with TestClient(api) as client, override_settings(BOLT_PERMISSION_CACHE_SECONDS=60):
        assert client.get("/sess/reports/export", headers=cookie).json() == {"exported": True}
        viewer.groups.clear()
        assert client.get("/sess/reports/export", headers=cookie).status_code == 200
        permission_cache.clear()
        assert client.get("/sess/reports/export", headers=cookie).status_code == 403


def test_a_websocket_handshake_asks_django_too(django_project):
    api = BoltAPI()

    @api.websocket(
        "/ws/write", auth=[JWTAuthentication()], guards=[HasPermission("blog.add_article")]
    )
    async def write(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json({"user": websocket.user.username})
        await websocket.close()

    writer, nobody = new_user("blog.add_article", group="writers"), new_user()
    with TestClient(api) as client:
        with client.websocket_connect("/ws/write", headers=bearer(writer)) as ws:
            assert ws.receive_json() == {"user": writer.username}
        with pytest.raises(WebSocketRejected) as refused:
            client.websocket_connect("/ws/write", headers=bearer(nobody))
        assert refused.value.response.status_code == 403
        assert refused.value.response.json() == {"detail": "Permission 'blog.add_article' required"}


@pytest.fixture(scope="module")
def server(django_project):
    """runbolt on the database this process writes users to, keeping answers 1 s."""
    database = django_project.DATABASES["default"]["NAME"]
    port = support.free_port()
    env = support.subprocess_env(
        (), DJANGO_SETTINGS_MODULE="boltproj.settings_perms", BOLT_TEST_DATABASE=str(database)
    )
    process = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)],
        port=port,
        cwd=support.BOLT_PROJECT_DIR,
        env=env,
    )
    with support.running(process):
        yield process


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_guards_ask_django_over_a_real_socket(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        check_django_decides(client)
        writer = new_user("blog.add_article", group="writers")
        assert (
            client.post("/authn/articles", json=ARTICLE, headers=bearer(writer)).status_code == 200
        )
        writer.groups.clear()
        time.sleep(1.2)  # the server's BOLT_PERMISSION_CACHE_SECONDS
        late = client.post("/authn/articles", json=ARTICLE, headers=bearer(writer))
        assert late.status_code == 403
