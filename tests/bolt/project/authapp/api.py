"""The spec's "Authentication and guards" routes (under /authn), plus WebSocket routes
with auth, against real users in the project's SQLite database."""

from __future__ import annotations

from typing import Annotated

from django.contrib.auth import aauthenticate, get_user_model

from django_bolt import (
    AllowAny,
    APIKeyAuthentication,
    BoltAPI,
    Depends,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Request,
    WebSocket,
    create_jwt_for_user,
)
from django_bolt.auth import (
    CurrentUser,
    DjangoORMRevocation,
    OptionalCurrentUser,
    TokenRotationError,
    create_token_pair,
    extract_user_id_from_context,
    get_auth_context,
    rotate_refresh_token,
)
from django_bolt.exceptions import HTTPException
from django_bolt.users import aget_permissions

api = BoltAPI(prefix="/authn")


async def verify_credentials(username: str, password: str):
    return await aauthenticate(username=username, password=password)


async def remove_user(user_id: int) -> None:
    await get_user_model().objects.filter(pk=user_id).adelete()


@api.post("/auth/login")
async def login(username: str, password: str):
    user = await verify_credentials(username, password)
    if not user:
        from django_bolt.exceptions import HTTPException

        raise HTTPException(status_code=401, detail="Invalid credentials")
    token = create_jwt_for_user(user)
    return {"access_token": token}


@api.post("/auth/login-with-permissions")
async def login_with_permissions(username: str, password: str):
    """A login whose token carries the user's Django permissions, for HasPermission."""
    user = await verify_credentials(username, password)
    if not user:
        from django_bolt.exceptions import HTTPException

        raise HTTPException(status_code=401, detail="Invalid credentials")
    return {"access_token": create_jwt_for_user(user, permissions=await aget_permissions(user))}


@api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def me(request: Request):
    return {"user_id": request.user.id, "username": request.user.username}


@api.get("/me-sync", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
def me_sync(request: Request):
    return {"user_id": request.user.id, "username": request.user.username}


@api.get("/api/data", auth=[APIKeyAuthentication()], guards=[IsAuthenticated()])
async def api_data(request: Request):
    return {"data": "secret", "backend": request.auth["backend"]}


@api.delete(
    "/admin/users/{user_id}",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), IsAdminUser()],
)
async def delete_user(user_id: int):
    await remove_user(user_id)
    return {"deleted": user_id}


@api.post(
    "/articles",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), HasPermission("blog.add_article")],
)
async def create_article(title: str, body: str):
    return {"title": title}


@api.get(
    "/reports",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), HasAnyPermission("reports.view", "reports.export")],
)
async def view_reports():
    return {"reports": []}


@api.post(
    "/deploy",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), HasAllPermissions("deploy.create", "deploy.approve")],
)
async def deploy():
    return {"status": "deploying"}


@api.get("/staff/dashboard", auth=[JWTAuthentication()], guards=[IsStaff()])
async def staff_dashboard():
    return {"stats": {}}


@api.get("/public", guards=[AllowAny()])
async def public():
    return {"public": True}


@api.get("/optional", auth=[JWTAuthentication()], guards=[AllowAny()])
async def optional(request: Request):
    return {"authenticated": request.user.is_authenticated, "auth": request.auth}


@api.get("/either", auth=[JWTAuthentication(), APIKeyAuthentication()])
async def either(request: Request):
    return {"backend": request.auth["backend"], "permissions": request.auth["permissions"]}


async def get_current_user(request):
    user_id = request.auth.get("user_id")
    return {"id": user_id, "username": request.user.username}


@api.get("/profile", auth=[JWTAuthentication()])
async def profile(user: Annotated[dict, Depends(get_current_user)]):
    return {"id": user["id"], "username": user["username"]}


@api.websocket("/ws/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def ws_me(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_json(
        {"username": websocket.user.username, "user_id": websocket.auth["user_id"]}
    )
    async for message in websocket.iter_text():
        await websocket.send_text(f"{websocket.user.username}: {message}")


@api.websocket("/ws/staff", auth=[JWTAuthentication()], guards=[IsStaff()])
async def ws_staff(websocket: WebSocket, room: str):
    await websocket.accept()
    await websocket.send_json({"room": room, "staff": websocket.auth["is_staff"]})
    await websocket.close()


# ---- the original django-bolt's auth extras: token pairs, revocation, CurrentUser ----

revocations = DjangoORMRevocation()  # the django_bolt.RevokedToken table
revocable = JWTAuthentication(revocation_store=revocations)


@api.post("/tokens/pair")
async def token_pair(username: str, password: str):
    user = await verify_credentials(username, password)
    if not user:
        raise HTTPException(status_code=401, detail="Invalid credentials")
    pair = create_token_pair(user, method="pwd")
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token}


@api.post("/tokens/refresh", auth=[JWTAuthentication(token_type="refresh")])
async def refresh(request: Request):
    claims = get_auth_context(request)["auth_claims"]
    try:
        pair = await rotate_refresh_token(claims, store=revocations)
    except TokenRotationError:
        raise HTTPException(status_code=401, detail="Refresh token is not valid") from None
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token}


@api.get("/tokens/me", auth=[revocable])
async def tokens_me(user: CurrentUser):
    return {"username": user.username}


@api.get("/tokens/me-sync", auth=[revocable])
def tokens_me_sync(request: Request):
    return {"username": request.user.username, "user_id": extract_user_id_from_context(request)}


@api.post("/tokens/logout", auth=[revocable])
async def logout(request: Request):
    claims = get_auth_context(request)["auth_claims"]
    await revocations.revoke(claims["jti"], exp=claims["exp"])
    return {"revoked": claims["jti"]}


@api.get("/tokens/whoami", auth=[JWTAuthentication()], guards=[AllowAny()])
async def whoami(user: OptionalCurrentUser):
    return {"username": user.username if user is not None else None}


class DirectoryJWT(JWTAuthentication):
    """Users come from a directory, not Django's table: the backend's own loader."""

    async def get_user(self, user_id, auth_context):
        if user_id == "404":
            return None
        return DirectoryUser(user_id, auth_context["auth_claims"].get("name", ""))


class DirectoryUser:
    is_active = is_authenticated = True

    def __init__(self, user_id, name):
        self.id, self.username = user_id, name


@api.get("/tokens/directory", auth=[DirectoryJWT()])
async def directory(user: CurrentUser):
    return {"id": user.id, "username": user.username, "kind": type(user).__name__}
