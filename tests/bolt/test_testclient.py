"""The fast path through TestClient: the same Rust pipeline as the server, no socket."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from django_bolt import (
    HTML,
    JSON,
    BoltAPI,
    HTTPException,
    PlainText,
    Redirect,
    Response,
    StreamingResponse,
)
from django_bolt.responses import FileResponse
from django_bolt.routing import RouteDefinitionError
from django_bolt.testing import TestClient


def test_spec_testing_example():
    api = BoltAPI()

    @api.get("/hello")
    async def hello():
        return {"message": "world"}

    with TestClient(api) as client:
        response = client.get("/hello")
        assert response.status_code == 200
        assert response.json() == {"message": "world"}
        assert response.headers["content-type"] == "application/json"
        response = client.get("/hello", headers={"X-Request-ID": "test-123"})
        assert response.status_code == 200
        response = client.get("/nonexistent")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def test_spec_scalar_body_fields_example():
    """The spec's Testing and Error handling examples: plain scalars of a POST handler
    come from the JSON body when one is sent, from the query string otherwise."""
    api = BoltAPI()

    @api.post("/items")
    async def create_item(name: str, price: float):
        if price < 0:
            raise HTTPException(status_code=422, detail="Price must be positive")
        return {"name": name, "price": price}

    with TestClient(api) as client:
        response = client.post("/items", json={"name": "Widget", "price": 9.99})
        assert response.status_code == 200
        assert response.json()["name"] == "Widget"
        assert client.post("/items", params={"name": "Q", "price": "2.5"}).json() == {
            "name": "Q",
            "price": 2.5,
        }
        missing = client.post("/items", json={"name": "x"})
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["body", "price"]
        bad = client.post("/items", params={"name": "x", "price": "abc"})
        assert bad.json()["detail"][0]["loc"] == ["query", "price"]
        negative = client.post("/items", json={"name": "x", "price": -1})
        assert (negative.status_code, negative.json()) == (
            422,
            {"detail": "Price must be positive"},
        )
        for not_an_object in ([1, 2], "Widget", 3):
            refused = client.post("/items", json=not_an_object)
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"] == ["body"]
            assert "Expected `object`" in refused.json()["detail"][0]["msg"]


class ItemIn(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class ItemOut(msgspec.Struct):
    id: int
    name: str
    price: float


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None, page: int = 1, exact: bool = False):
        return {"id": item_id, "q": q, "page": page, "exact": exact}

    @api.get("/files/{name}")
    async def get_file(name: str):
        return {"name": name}

    @api.get("/prices/{price}")
    async def get_price(price: float, ratio: float = 1.0):
        return {"price": price * ratio}

    @api.post("/items", response_model=ItemOut, status_code=201)
    async def create_item(item: ItemIn):
        return {"id": 1, "name": item.name, "price": item.price, "secret": "not in the model"}

    @api.get("/created")
    async def created():
        return JSON({"id": 1, "created": True}, status_code=201)

    @api.get("/response")
    async def response():
        return Response(b"raw", status_code=202, headers={"X-Thing": "1"}, media_type="text/plain")

    @api.get("/missing")
    async def missing():
        raise HTTPException(404, "Item not found", headers={"X-Reason": "gone"})

    @api.get("/broken")
    async def broken():
        raise RuntimeError("boom")

    @api.get("/sleepy")
    async def sleepy():
        await asyncio.sleep(0.01)
        task = asyncio.current_task()
        return {"slept": True, "in_task": task is not None}

    @api.get("/sync")
    def sync_handler(n: int = 2):
        return {"double": n * 2}

    @api.get("/struct")
    async def struct() -> ItemOut:
        return ItemOut(id=3, name="typed", price=1.5)

    @api.get("/list")
    async def listing():
        return [1, 2, 3]

    @api.delete("/items/{item_id}")
    async def delete_item(item_id: int):
        return {"deleted": item_id}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as client:
        yield client


def test_typed_path_and_query_params(client):
    assert client.get("/items/5", params={"q": "x", "page": 3, "exact": "true"}).json() == {
        "id": 5,
        "q": "x",
        "page": 3,
        "exact": True,
    }
    assert client.get("/items/7").json() == {"id": 7, "q": None, "page": 1, "exact": False}
    assert client.get("/prices/2.5?ratio=2").json() == {"price": 5.0}


def test_path_params_are_percent_decoded(client):
    assert client.get("/files/a%20b").json() == {"name": "a b"}


def test_bad_path_and_query_values_are_422_naming_every_field(client):
    response = client.get("/items/abc", params={"page": "x", "exact": "maybe"})
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert locations == [["path", "item_id"], ["query", "page"], ["query", "exact"]]
    assert "Expected `int`" in response.json()["detail"][0]["msg"]


def test_struct_body_and_response_model(client):
    response = client.post("/items", json={"name": "Widget", "price": 9.99})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "name": "Widget", "price": 9.99}


def test_struct_body_wrong_type_names_the_field(client):
    response = client.post("/items", json={"name": "Widget", "price": "cheap"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "price"]
    assert error["type"] == "validation_error"


def test_struct_body_missing_field_and_nested_location(client):
    response = client.post("/items", json={"price": 1})
    assert response.status_code == 422
    assert "name" in response.json()["detail"][0]["msg"]
    response = client.post("/items", json={"name": "a", "price": 1, "tags": ["ok", 5]})
    assert response.json()["detail"][0]["loc"] == ["body", "tags", 1]


def test_invalid_json_and_missing_body_are_422(client):
    response = client.post(
        "/items", data=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    response = client.post("/items")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


def test_json_and_response_types(client):
    response = client.get("/created")
    assert (response.status_code, response.json()) == (201, {"id": 1, "created": True})
    response = client.get("/response")
    assert response.status_code == 202
    assert response.content == b"raw"
    assert response.headers["x-thing"] == "1"
    assert response.headers["content-type"] == "text/plain"


def test_struct_and_list_results(client):
    assert client.get("/struct").json() == {"id": 3, "name": "typed", "price": 1.5}
    assert client.get("/list").json() == [1, 2, 3]


def test_http_exception(client):
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}
    assert response.headers["x-reason"] == "gone"


def test_unhandled_exception_is_500_with_traceback_in_debug(caplog):
    with TestClient(make_api(), raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Internal Server Error"
    assert any("RuntimeError: boom" in line for line in body["traceback"])
    assert "Exception in route" in caplog.text


def test_unhandled_exception_hides_traceback_outside_debug():
    api = BoltAPI()

    @api.get("/broken")
    async def broken():
        raise RuntimeError("secret")

    with TestClient(api, debug=False, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}


def test_suspending_and_sync_handlers(client):
    assert client.get("/sleepy").json() == {"slept": True, "in_task": True}
    assert client.get("/sync?n=21").json() == {"double": 42}


def test_405_lists_allowed_methods(client):
    response = client.put("/items/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, DELETE, HEAD, OPTIONS"


def test_head_and_options(client):
    response = client.head("/items/1")
    assert response.status_code == 200
    response = client.options("/items/1")
    assert response.status_code == 204
    assert "DELETE" in response.headers["allow"]


def test_other_methods_on_same_path(client):
    assert client.delete("/items/9").json() == {"deleted": 9}


def test_prefix_and_trailing_slash():
    users = BoltAPI(prefix="/users")

    @users.get("/")
    async def list_users():
        return []

    @users.get("/{user_id}")
    async def get_user(user_id: int):
        return {"id": user_id}

    orders = BoltAPI(prefix="/orders", trailing_slash="append")

    @orders.get("/")
    async def list_orders():
        return ["order"]

    with TestClient([users, orders]) as client:
        assert client.get("/users").json() == []
        assert client.get("/users/").json() == []
        assert client.get("/users/4").json() == {"id": 4}
        assert client.get("/orders/").json() == ["order"]
        assert client.get("/orders").json() == ["order"]
    assert [route.path for route in users.routes] == ["/users", "/users/{user_id}"]
    assert [route.path for route in orders.routes] == ["/orders/"]


def test_duplicate_routes_name_both_handlers():
    first, second = BoltAPI(), BoltAPI()

    @first.get("/same")
    async def one():
        return 1

    @second.get("/same")
    async def two():
        return 2

    with pytest.raises(ValueError, match=r"duplicate route GET /same: .*one and .*two"):
        TestClient([first, second])


def test_bad_route_definitions_fail_at_declaration():
    api = BoltAPI()
    with pytest.raises(RouteDefinitionError, match="not arguments of the handler"):

        @api.get("/things/{thing_id}")
        async def missing_path_param():
            return {}

    with pytest.raises(RouteDefinitionError, match="cannot be read from the request"):

        @api.get("/things")
        async def unsupported(value: complex):
            return {}

    with pytest.raises(ValueError, match="must start with '/'"):
        api.get("relative")


def test_a_path_with_too_many_parameters_is_a_clear_error():
    """Found by fuzzing: matchit panics on a route's 26th parameter, which stopped
    start-up with a PanicException; it is a ValueError naming the route."""
    api = BoltAPI()
    names = [f"p{i}" for i in range(26)]
    namespace: dict = {}
    exec(f"async def many({', '.join(names)}):\n    return 1", namespace)
    api.get("".join(f"/{{{name}}}" for name in names))(namespace["many"])
    with pytest.raises(ValueError, match=r"many: path .* has more than 25 parameters"):
        TestClient(api)


def test_many_concurrent_requests_through_one_client():
    api = BoltAPI()

    @api.get("/n/{n}")
    async def echo(n: int):
        await asyncio.sleep(0)
        return {"n": n}

    with TestClient(api) as client:
        assert [client.get(f"/n/{i}").json()["n"] for i in range(200)] == list(range(200))


def test_response_types_and_streaming():
    api = BoltAPI()
    closed = []

    @api.get("/text")
    async def text():
        return PlainText("Hello, World!")

    @api.get("/page")
    async def page():
        return HTML("<h1>Hello</h1>")

    @api.get("/old-path")
    async def old_path():
        return Redirect("/new-path")

    @api.get("/moved")
    async def moved():
        return Redirect("/new-location", status_code=301)

    @api.get("/stream")
    async def stream():
        async def generate():
            try:
                for chunk in ["Hello ", "World ", "!"]:
                    yield chunk
            finally:
                closed.append("async")

        return StreamingResponse(generate(), media_type="text/plain")

    @api.get("/sync-stream")
    def sync_stream():
        def generate():
            yield b"one,"
            yield "two"

        return StreamingResponse(generate())

    @api.get("/broken-stream")
    async def broken_stream():
        async def generate():
            yield "partial"
            raise RuntimeError("mid-stream")

        return StreamingResponse(generate())

    with TestClient(api) as client:
        text_response = client.get("/text")
        assert (text_response.text, text_response.headers["content-type"]) == (
            "Hello, World!",
            "text/plain; charset=utf-8",
        )
        assert client.get("/page").headers["content-type"] == "text/html; charset=utf-8"
        assert (
            client.get("/old-path").status_code,
            client.get("/old-path").headers["location"],
        ) == (
            302,
            "/old-path".replace("old", "new"),
        )
        assert client.get("/moved").status_code == 301
        assert client.get("/stream").text == "Hello World !"
        assert closed == ["async"]
        assert client.get("/sync-stream").content == b"one,two"
        with pytest.raises(RuntimeError, match="broke off"):
            client.get("/broken-stream")
        assert client.get("/text").status_code == 200
    with pytest.raises(ValueError, match="3xx"):
        Redirect("/x", status_code=200)


def test_cookies_chain_as_in_the_spec():
    api = BoltAPI()

    @api.post("/login")
    async def login():
        return (
            Response({"token": "abc"}, status_code=200)
            .set_cookie("session", "xyz", httponly=True, secure=True, samesite="Strict")
            .set_cookie("theme", "dark", max_age=86400)
        )

    @api.post("/logout")
    async def logout():
        return Response({"ok": True}).delete_cookie("session")

    with TestClient(api) as client:
        response = client.post("/login")
        assert response.json() == {"token": "abc"}
        session, theme = response.headers.get_list("set-cookie")
        assert session.startswith("session=xyz; ")
        assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} <= set(session.split("; "))
        assert "Max-Age=86400" in theme.split("; ")
        [expired] = client.post("/logout").headers.get_list("set-cookie")
        assert "Max-Age=0" in expired.split("; ")
        assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in expired.split("; ")


def test_file_response_is_sent_from_rust(tmp_path):
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 1000)
    api = BoltAPI()

    @api.get("/download")
    async def download():
        return FileResponse(report, filename="report.pdf", media_type="application/pdf")

    @api.get("/guessed")
    async def guessed():
        return FileResponse(report, filename="résumé.txt")

    @api.get("/missing")
    async def missing():
        return FileResponse(tmp_path / "nope.bin")

    with TestClient(api) as client:
        response = client.get("/download")
        assert response.status_code == 200
        assert response.content == report.read_bytes()
        assert response.headers["content-length"] == str(report.stat().st_size)
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == 'attachment; filename="report.pdf"'
        guessed_response = client.get("/guessed")
        assert guessed_response.headers["content-type"].startswith("text/plain")
        assert (
            "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
            in guessed_response.headers["content-disposition"]
        )
        assert client.get("/missing").status_code == 404


def test_spec_route_options_and_response_validation():
    api = BoltAPI()

    @api.get(
        "/items/{item_id}",
        response_model=ItemOut,
        status_code=200,
        tags=["items"],
        summary="Get an item",
        description="Fetch item by ID",
        guards=[],
        auth=[],
        validate_response=True,
    )
    async def get_item(item_id: int):
        return {"id": item_id, "name": "Widget", "price": 1.0, "extra": "dropped"}

    @api.get("/bad", response_model=ItemOut)
    async def bad():
        return {"id": "not a number"}

    @api.get("/unchecked", response_model=ItemOut, validate_response=False)
    async def unchecked():
        return {"anything": True}

    with TestClient(api, debug=False) as client:
        assert client.get("/items/3").json() == {"id": 3, "name": "Widget", "price": 1.0}
        assert client.get("/bad").status_code == 500
        assert client.get("/unchecked").json() == {"anything": True}
    with pytest.raises(TypeError, match="is not one of django_bolt's auth"):
        api.get("/secret", auth=[object()])


def test_sse_helper_formats_events():
    from django_bolt.sse import event

    assert event("hello") == "data: hello\n\n"
    assert event({"n": 1}, event="tick", id=7, retry=3000) == (
        'event: tick\nid: 7\nretry: 3000\ndata: {"n":1}\n\n'
    )
    assert event("two\nlines") == "data: two\ndata: lines\n\n"
    assert event(comment="keep-alive") == ": keep-alive\n\n"
    with pytest.raises(ValueError, match="line break"):
        event("x", event="bad\nname")
