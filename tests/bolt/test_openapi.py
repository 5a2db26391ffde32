"""OpenAPI documentation: the document generated from routes (checked against the
OpenAPI 3.1 schema and field by field for the spec's examples), the pages that show it,
through TestClient and through a real runbolt process that documents every discovered
API (tests/bolt/project/docsapp/api.py)."""

from __future__ import annotations

import enum
import re
import sys
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import pytest
import support
from openapi_spec_validator import validate

from django_bolt import (
    HTML,
    BoltAPI,
    FileSize,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    UploadFile,
    WebSocket,
)
from django_bolt.openapi import RenderPlugin, build_document
from django_bolt.openapi import assets as openapi_assets
from django_bolt.openapi.assets import IMMUTABLE, manifest, own_prefix
from django_bolt.param_functions import Cookie, File, Form, Header, Query
from django_bolt.param_functions import Path as PathParam
from django_bolt.serializers import Serializer, field_validator
from django_bolt.testing import TestClient

PROJECT = Path(__file__).resolve().parent / "project"
PLUGIN_PATHS = ["swagger", "redoc", "scalar", "rapidoc", "stoplight"]


class ItemIn(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class ItemOut(msgspec.Struct):
    id: int
    name: str
    price: float


class UserCreate(Serializer):
    username: str
    email: str
    password: Annotated[str, msgspec.Meta(min_length=8)]

    class Config:
        write_only = {"password"}

    @field_validator("email")
    def validate_email(cls, value):
        if "@" not in value:
            raise ValueError("Invalid email")
        return value.lower()


class UserOut(Serializer):
    id: int
    username: str
    email: str
    is_active: bool

    class Config:
        read_only = {"id"}


class Filters(msgspec.Struct):
    status: str | None = None
    sort: str = "created"


class APIHeaders(msgspec.Struct):
    authorization: str
    x_request_id: str | None = None


class ContactForm(msgspec.Struct):
    name: str
    email: str


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


api = BoltAPI(
    openapi_config=OpenAPIConfig(
        title="Acme API",
        version="2.0.0",
        description="The Acme Corp backend API",
        path="/docs",
        enabled=True,
        render_plugins=[
            SwaggerRenderPlugin(),
            RedocRenderPlugin(),
            ScalarRenderPlugin(),
            RapidocRenderPlugin(),
            StoplightRenderPlugin(),
        ],
        exclude_paths=["/admin", "/static"],
        include_error_responses=True,
        use_handler_docstrings=True,
    ),
)


@api.get(
    "/items",
    tags=["items"],
    summary="List all items",
    description="Returns a paginated list of items with optional filters.",
)
async def list_items():
    """This docstring is also used as the description if use_handler_docstrings=True."""
    return []


@api.get("/items/{item_id}", response_model=ItemOut, tags=["items"], summary="Get an item")
async def get_item(item_id: int):
    """Fetch item by ID.

    Answers 404 when there is none."""
    return {"id": item_id, "name": "Widget", "price": 1.0}


@api.post("/items", response_model=ItemOut, status_code=201, tags=["items"])
async def create_item(item: ItemIn):
    return {"id": 1, "name": item.name, "price": item.price}


@api.post("/users", response_model=UserOut, status_code=201)
async def create_user(data: UserCreate):
    return {"id": 1, "username": data.username, "email": data.email, "is_active": True}


@api.get("/search")
async def search(
    q: Annotated[str, Query(min_length=1, max_length=100, description="Words to look for")],
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    code: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
):
    return {"query": q, "page": page, "limit": limit}


@api.get("/filtered")
async def filtered(filters: Annotated[Filters, Query()]):
    return {"status": filters.status, "sort": filters.sort}


@api.get("/choices")
async def choices(
    color: Color,
    size: Literal["s", "m", "l"] = "m",
    ids: Annotated[list[int], Query()] = [],  # noqa: B006 (a marker's default)
):
    return {"color": color.value, "size": size, "ids": ids}


@api.get("/users/{user_id}")
async def get_user(user_id: Annotated[int, PathParam(ge=1)]):
    return {"user_id": user_id}


@api.get("/secure")
async def secure(x_api_key: Annotated[str, Header(alias="x-api-key")]):
    return {"key": x_api_key}


@api.get("/with-headers")
async def with_headers(headers: Annotated[APIHeaders, Header()]):
    return {"auth": headers.authorization}


@api.get("/preferences")
async def preferences(
    theme: Annotated[str, Cookie()] = "light",
    lang: Annotated[str, Cookie()] = "en",
):
    return {"theme": theme, "lang": lang}


@api.post("/login")
async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
    return {"username": username}


@api.post("/contact")
async def contact(data: Annotated[ContactForm, Form()]):
    return {"name": data.name, "email": data.email}


@api.post("/upload")
async def upload(
    title: Annotated[str, Form()],
    file: Annotated[
        UploadFile,
        File(max_size=FileSize.MB_30, allowed_types=["application/pdf", "image/*"]),
    ],
):
    return {"title": title, "filename": file.filename}


@api.post("/upload-many")
async def upload_many(files: Annotated[list[UploadFile], File(max_files=5)]):
    return {"count": len(files)}


@api.post("/quick")
async def quick_create(name: str, price: float, on_sale: bool = False):
    return {"name": name, "price": price}


@api.get("/page")
async def page() -> HTML:
    return HTML("<p>hi</p>")


@api.delete("/items/{item_id}", status_code=204)
async def delete_item(item_id: int):
    return None


@api.get("/admin/stats")
async def admin_stats():
    return {}


@api.websocket("/ws")
async def socket(websocket: WebSocket):
    await websocket.accept()


@pytest.fixture(scope="module")
def document():
    with TestClient(api) as client:
        response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def operation(document, method: str, path: str) -> dict:
    return document["paths"][path][method]


def parameters(document, method: str, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in operation(document, method, path).get("parameters", [])}


def resolve(document, schema: dict) -> dict:
    name = schema["$ref"].removeprefix("#/components/schemas/")
    return document["components"]["schemas"][name]


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {
        "title": "Acme API",
        "version": "2.0.0",
        "description": "The Acme Corp backend API",
    }


def test_every_http_route_is_documented_except_excluded_websocket_and_docs(document):
    assert set(document["paths"]) == {
        "/items",
        "/items/{item_id}",
        "/users",
        "/search",
        "/filtered",
        "/choices",
        "/users/{user_id}",
        "/secure",
        "/with-headers",
        "/preferences",
        "/login",
        "/contact",
        "/upload",
        "/upload-many",
        "/quick",
        "/page",
    }
    assert set(document["paths"]["/items"]) == {"get", "post"}
    assert set(document["paths"]["/items/{item_id}"]) == {"get", "delete"}


def test_tags_summary_and_description(document):
    listed = operation(document, "get", "/items")
    assert listed["tags"] == ["items"]
    assert listed["summary"] == "List all items"
    # An explicit description wins over the docstring.
    assert listed["description"] == "Returns a paginated list of items with optional filters."
    fetched = operation(document, "get", "/items/{item_id}")
    assert fetched["summary"] == "Get an item"
    assert fetched["description"] == "Fetch item by ID.\n\nAnswers 404 when there is none."
    # No summary given: one made from the handler's name; no docstring: no description.
    assert operation(document, "post", "/items")["summary"] == "Create item"
    assert "description" not in operation(document, "post", "/items")
    assert document["tags"] == [{"name": "items"}]


def test_docstrings_are_left_out_when_not_wanted():
    quiet = BoltAPI()

    @quiet.get("/x")
    async def x():
        """Internal notes."""
        return {}

    config = OpenAPIConfig(title="t", version="1", use_handler_docstrings=False)
    assert "description" not in build_document(quiet.routes, config)["paths"]["/x"]["get"]


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert operation(document, "get", "/items/{item_id}")["operationId"] == "get_item"


def test_handlers_sharing_a_name_get_numbered_operation_ids():
    first, second = BoltAPI(prefix="/a"), BoltAPI(prefix="/b")
    for each in (first, second):

        @each.get("/ping")
        async def ping():
            return {}

    document = build_document([*first.routes, *second.routes], OpenAPIConfig())
    assert operation(document, "get", "/a/ping")["operationId"] == "ping"
    assert operation(document, "get", "/b/ping")["operationId"] == "ping_2"


def test_query_parameters_with_constraints_and_defaults(document):
    params = parameters(document, "get", "/search")
    assert params["q"] == {
        "name": "q",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": "Words to look for",
    }
    assert params["page"]["required"] is False
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
    }
    assert params["code"]["required"] is False
    assert params["code"]["schema"] == {"type": "string", "pattern": "^[A-Z]{3}$"}


def test_enum_literal_and_list_parameters(document):
    params = parameters(document, "get", "/choices")
    assert params["color"]["required"] is True
    assert params["color"]["schema"] == {"enum": ["red", "blue"]}
    assert params["size"]["schema"] == {"enum": ["s", "m", "l"], "default": "m"}
    assert params["ids"]["schema"] == {"type": "array", "items": {"type": "integer"}, "default": []}


def test_query_struct_fields_are_query_parameters(document):
    params = parameters(document, "get", "/filtered")
    assert {name: (p["in"], p["required"]) for name, p in params.items()} == {
        "status": ("query", False),
        "sort": ("query", False),
    }


def test_path_header_and_cookie_parameters(document):
    assert parameters(document, "get", "/users/{user_id}")["user_id"] == {
        "name": "user_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    assert parameters(document, "get", "/secure")["x-api-key"]["in"] == "header"
    headers = parameters(document, "get", "/with-headers")
    assert {name: p["required"] for name, p in headers.items()} == {
        "authorization": True,
        "x-request-id": False,
    }
    cookies = parameters(document, "get", "/preferences")
    assert cookies["theme"]["in"] == "cookie"
    assert cookies["theme"]["schema"] == {"type": "string", "default": "light"}


def test_struct_body_is_a_shared_component(document):
    body = operation(document, "post", "/items")["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ItemIn"}
    item_in = resolve(document, schema)
    assert item_in["required"] == ["name", "price"]
    assert item_in["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
    }
    # ItemOut answers two routes and is described once.
    created = operation(document, "post", "/items")["responses"]["201"]
    fetched = operation(document, "get", "/items/{item_id}")["responses"]["200"]
    out = {"$ref": "#/components/schemas/ItemOut"}
    assert created["content"]["application/json"]["schema"] == out
    assert fetched["content"]["application/json"]["schema"] == out
    assert created["description"] == "Created"


def test_serializer_write_only_and_read_only_fields(document):
    body = operation(document, "post", "/users")["requestBody"]["content"]["application/json"]
    user_create = resolve(document, body["schema"])
    assert user_create["properties"]["password"] == {
        "type": "string",
        "minLength": 8,
        "writeOnly": True,
    }
    assert "writeOnly" not in user_create["properties"]["email"]
    response = operation(document, "post", "/users")["responses"]["201"]
    user_out = resolve(document, response["content"]["application/json"]["schema"])
    assert user_out["properties"]["id"]["readOnly"] is True
    assert "readOnly" not in user_out["properties"]["username"]


def test_form_bodies(document):
    login_body = operation(document, "post", "/login")["requestBody"]
    assert set(login_body["content"]) == {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }
    schema = login_body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema == {
        "type": "object",
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        "required": ["username", "password"],
    }
    contact_schema = operation(document, "post", "/contact")["requestBody"]["content"][
        "multipart/form-data"
    ]["schema"]
    assert contact_schema["required"] == ["name", "email"]


def test_file_uploads_are_binary_multipart(document):
    body = operation(document, "post", "/upload")["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    multipart = body["content"]["multipart/form-data"]
    assert multipart["schema"]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": f"At most {FileSize.MB_30} bytes per file.",
    }
    assert multipart["schema"]["required"] == ["title", "file"]
    assert multipart["encoding"] == {"file": {"contentType": "application/pdf, image/*"}}
    many = operation(document, "post", "/upload-many")["requestBody"]["content"]
    assert many["multipart/form-data"]["schema"]["properties"]["files"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": 5,
    }


def test_scalars_of_a_post_without_struct_are_a_json_object(document):
    body = operation(document, "post", "/quick")["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "price": {"type": "number"},
            "on_sale": {"type": "boolean", "default": False},
        },
        "required": ["name", "price"],
    }


def test_validation_error_response_only_for_routes_with_inputs(document):
    error = operation(document, "get", "/search")["responses"]["422"]
    schema = resolve(document, error["content"]["application/json"]["schema"])
    assert schema["required"] == ["detail"]
    item = resolve(document, schema["properties"]["detail"]["items"])
    assert set(item["properties"]) == {"loc", "msg", "type"}
    assert "422" not in operation(document, "get", "/items")["responses"]
    assert "422" in operation(document, "post", "/upload")["responses"]


def test_error_responses_can_be_left_out():
    config = OpenAPIConfig(title="t", version="1", include_error_responses=False)
    document = build_document(api.routes, config)
    assert list(operation(document, "get", "/search")["responses"]) == ["200"]
    assert "ValidationErrorResponse" not in document["components"]["schemas"]


def test_response_without_model_html_and_no_content(document):
    assert operation(document, "get", "/items")["responses"]["200"] == {
        "description": "OK",
        "content": {"application/json": {"schema": {}}},
    }
    assert operation(document, "get", "/page")["responses"]["200"] == {
        "description": "OK",
        "content": {"text/html": {}},
    }
    assert operation(document, "delete", "/items/{item_id}")["responses"]["204"] == {
        "description": "No Content"
    }


@pytest.mark.parametrize("plugin_path", PLUGIN_PATHS)
def test_each_ui_page_is_html_pointing_at_the_document(plugin_path):
    with TestClient(api) as client:
        response = client.get(f"/docs/{plugin_path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!DOCTYPE html>")
    assert "/docs/openapi.json" in response.text
    assert "<title>Acme API</title>" in response.text


def test_docs_path_serves_the_first_plugin():
    with TestClient(api) as client:
        index = client.get("/docs")
        swagger = client.get("/docs/swagger")
    assert index.status_code == 200
    assert index.text == swagger.text
    assert "/swagger-ui-bundle.js" in index.text


def test_pages_escape_the_title():
    titled = BoltAPI(openapi_config=OpenAPIConfig(title="</title><script>x()</script>"))
    with TestClient(titled) as client:
        text = client.get("/docs").text
    assert "<script>x()" not in text
    assert "&lt;/title&gt;&lt;script&gt;" in text


def test_default_config_serves_swagger_at_docs():
    default = BoltAPI(openapi_config=OpenAPIConfig(title="My API", version="1.0.0"))
    with TestClient(default) as client:
        assert "/swagger-ui-bundle.js" in client.get("/docs").text
        assert client.get("/docs/openapi.json").json()["info"]["title"] == "My API"
        assert client.get("/docs/redoc").status_code == 404


def test_custom_path_and_plugin_urls():
    custom = BoltAPI(
        openapi_config=OpenAPIConfig(
            path="/api/schema/",
            render_plugins=[
                ScalarRenderPlugin(path="reference", js_url="/static/scalar.js"),
            ],
        )
    )
    with TestClient(custom) as client:
        page = client.get("/api/schema/reference")
        assert client.get("/api/schema/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 404
    assert page.status_code == 200
    assert 'data-url="/api/schema/openapi.json"' in page.text
    assert 'src="/static/scalar.js"' in page.text


def _need_vendored() -> None:
    missing = [ui for ui, assets in manifest().items() if not assets.vendored()]
    if missing:
        pytest.skip(f"docs UIs not fetched: {missing} (needs npm; scripts/vendor_docs_ui.py)")


def _page_sources(text: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', text)


@pytest.mark.parametrize("plugin_path", PLUGIN_PATHS)
def test_pages_load_their_ui_from_the_package_without_inline_scripts(plugin_path):
    _need_vendored()
    with TestClient(api) as client:
        text = client.get(f"/docs/{plugin_path}").text
        sources = _page_sources(text)
        answers = [client.get(source) for source in sources]
    # Every <script> loads a file (a strict CSP's script-src 'self'), served here.
    assert re.findall(r"<script[^>]*>([^<]+)</script>", text) == []
    assert " style=" not in text and "<style" not in text
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    for source, answer in zip(sources, answers, strict=True):
        assert answer.status_code == 200, source
        assert answer.headers["cache-control"] == IMMUTABLE
        kind = "text/css" if source.endswith(".css") else "javascript"
        assert kind in answer.headers["content-type"], source


def test_asset_urls_carry_the_pinned_version():
    _need_vendored()
    with TestClient(api) as client:
        sources = _page_sources(client.get("/docs/swagger").text)
        swagger = manifest()["swagger-ui"]
        folder = f"/docs/assets/swagger-ui-{swagger.version}/"
        assert f"{folder}swagger-ui-bundle.js" in sources
        assert f"{folder}swagger-ui.css" in sources
        # Our start-up script's name carries its content's hash.
        assert f"/docs/assets/{own_prefix()}/swagger-init.js" in sources
        assert client.get("/docs/assets/swagger-ui-0.0.1/swagger-ui-bundle.js").status_code == 404
        assert client.get(f"/docs/assets/{swagger.folder.name}/.integrity").status_code == 404


def test_cdn_assets_are_the_pinned_versions():
    cdn = BoltAPI(
        openapi_config=OpenAPIConfig(
            assets="cdn", render_plugins=[SwaggerRenderPlugin(), RedocRenderPlugin()]
        )
    )
    with TestClient(cdn) as client:
        swagger = _page_sources(client.get("/docs/swagger").text)
        redoc = _page_sources(client.get("/docs/redoc").text)
    pinned = manifest()["swagger-ui"]
    assert pinned.cdn + "swagger-ui-bundle.js" in swagger
    assert f"@{pinned.version}/" in pinned.cdn
    assert f"/docs/assets/{own_prefix()}/swagger-init.js" in swagger
    assert redoc == [manifest()["redoc"].cdn + "bundles/redoc.standalone.js"]


def test_an_installation_without_the_assets_falls_back_to_the_cdn_saying_so(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(openapi_assets, "VENDOR", tmp_path)  # a wheel built without them
    bare = BoltAPI(openapi_config=OpenAPIConfig(render_plugins=[ScalarRenderPlugin()]))
    with caplog.at_level("WARNING", logger="django_bolt"), TestClient(bare) as client:
        sources = _page_sources(client.get("/docs").text)
    scalar = manifest()["scalar"]
    assert sources[0] == scalar.cdn + "dist/browser/standalone.js"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        f"docs UI scalar {scalar.version} is not in this installation "
        "(scripts/vendor_docs_ui.py fetches it before a build); its page loads it from "
        f"{scalar.cdn}"
    ]


def test_a_ui_of_your_own_names_its_script():
    class Elements(RenderPlugin):
        default_path = "mine"
        default_js_url = "/static/mine.js"

        def body(self, openapi_url, js_url, assets):
            return f'<my-ui src="{openapi_url}"></my-ui><script src="{js_url}"></script>'

    mine = BoltAPI(openapi_config=OpenAPIConfig(render_plugins=[Elements()]))
    with TestClient(mine) as client:
        text = client.get("/docs/mine").text
    assert '<my-ui src="/docs/openapi.json"></my-ui><script src="/static/mine.js">' in text


def test_docs_are_off_without_config_or_when_disabled():
    plain = BoltAPI()
    off = BoltAPI(openapi_config=OpenAPIConfig(enabled=False))

    @plain.get("/ping")
    async def ping():
        return {}

    for target in (plain, off, [plain, off]):
        with TestClient(target) as client:
            assert client.get("/docs").status_code == 404
            assert client.get("/docs/openapi.json").status_code == 404
            assert client.get("/docs/swagger").status_code == 404


def test_one_config_documents_every_api_served_together():
    users = BoltAPI(prefix="/users")
    docs = BoltAPI(prefix="/shop", openapi_config=OpenAPIConfig(title="All", version="1"))

    @users.get("/{user_id}")
    async def get_account(user_id: int):
        return {}

    @docs.get("/cart")
    async def cart():
        return {}

    with TestClient([users, docs]) as client:
        document = client.get("/docs/openapi.json").json()
    validate(document)
    assert set(document["paths"]) == {"/users/{user_id}", "/shop/cart"}


def test_the_first_config_of_several_serves_one_document_of_all(caplog):
    first = BoltAPI(openapi_config=OpenAPIConfig(title="First"))
    second = BoltAPI(prefix="/b", openapi_config=OpenAPIConfig(title="Second", path="/api-docs"))

    @second.get("/thing")
    async def thing():
        return {}

    with caplog.at_level("INFO", logger="django_bolt"), TestClient([first, second]) as client:
        document = client.get("/docs/openapi.json").json()
        assert client.get("/api-docs/openapi.json").status_code == 404
    assert document["info"]["title"] == "First"
    assert set(document["paths"]) == {"/b/thing"}
    ignored = [r for r in caplog.records if "openapi_config ignored" in r.getMessage()]
    assert [r.getMessage().split(":")[0] for r in ignored] == ["BoltAPI #2"]


def test_routes_added_after_the_table_is_built_are_described_at_first_request():
    late = BoltAPI(openapi_config=OpenAPIConfig())
    with TestClient(late) as client:

        @late.get("/later")
        async def later():
            return {}

        assert "/later" in client.get("/docs/openapi.json").json()["paths"]


def test_docs_path_taken_by_a_route_is_refused_naming_both():
    clash = BoltAPI(openapi_config=OpenAPIConfig())

    @clash.get("/docs")
    async def my_docs():
        return {}

    with pytest.raises(ValueError, match="my_docs"):
        TestClient(clash)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"path": "docs"}, "must start with '/'"),
        ({"exclude_paths": ["admin"]}, "must start with '/'"),
        ({"render_plugins": ["swagger"]}, "is not a render plugin"),
        ({"render_plugins": [RedocRenderPlugin(), RedocRenderPlugin()]}, "distinct paths"),
        ({"render_plugins": [RedocRenderPlugin(path="assets")]}, "other than"),
        ({"assets": "local"}, "must be one of"),
    ],
)
def test_bad_config_is_refused_at_declaration(options, error):
    with pytest.raises((TypeError, ValueError), match=error):
        OpenAPIConfig(**options)


def test_bad_plugin_path_and_bad_config_type_are_refused():
    with pytest.raises(ValueError, match="one path segment"):
        SwaggerRenderPlugin(path="a/b")
    with pytest.raises(TypeError, match="must be an OpenAPIConfig"):
        BoltAPI(openapi_config={"title": "x"})


class Opaque:
    """A result msgspec has no schema for (as a Django model instance)."""


def test_types_msgspec_cannot_describe_are_left_open():
    odd = BoltAPI()

    @odd.get("/odd", validate_response=False)
    async def odd_route() -> Opaque:
        return {}

    document = build_document(odd.routes, OpenAPIConfig())
    validate(document)
    response = document["paths"]["/odd"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {}


# ---- a real runbolt process --------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    port = support.free_port()
    process = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--host", support.HOST, "--port", str(port)],
        port=port,
        cwd=PROJECT,
        env=support.subprocess_env((), DJANGO_SETTINGS_MODULE="boltproj.settings_docs"),
    )
    with support.running(process):
        yield process


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_runbolt_documents_every_discovered_api(server, protocol):
    with support.make_client(server.base_url, protocol) as client:
        response = client.get("/docs/openapi.json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        document = response.json()
        validate(document)
        assert document["info"]["title"] == "Test project"
        paths = document["paths"]
        # docsapp's own route, the project package's api.py, people's and depsapp's.
        assert "/catalog/books/{book_id}" in paths
        assert "/api/items/{item_id}" in paths
        assert "/people/teams" in paths
        assert "/deps/profile" in paths
        book = paths["/catalog/books/{book_id}"]["get"]
        assert book["description"] == "Fetch one book."
        assert book["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Book"
        }
        for page in ("/docs", "/docs/scalar", "/docs/redoc"):
            answered = client.get(page)
            assert answered.status_code == 200
            assert answered.headers["content-type"] == "text/html; charset=utf-8"
            assert "/docs/openapi.json" in answered.text
        assert client.get("/docs/swagger").status_code == 404


@pytest.mark.parametrize("protocol", support.PROTOCOLS)
def test_runbolt_answers_the_pages_assets_even_under_no_static(protocol):
    _need_vendored()
    port = support.free_port()
    process = support.start_server(
        [sys.executable, "manage.py", "runbolt", "--no-static"]
        + ["--host", support.HOST, "--port", str(port)],
        port=port,
        cwd=PROJECT,
        env=support.subprocess_env((), DJANGO_SETTINGS_MODULE="boltproj.settings_docs"),
    )
    with support.running(process), support.make_client(process.base_url, protocol) as client:
        sources = _page_sources(client.get("/docs").text)
        assert sources
        for source in sources:
            answer = client.get(source, headers={"accept-encoding": "br, gzip"})
            assert answer.status_code == 200, source
            assert answer.headers["cache-control"] == IMMUTABLE
            if own_prefix() not in source:  # ours are too small to be compressed
                assert answer.headers["content-encoding"] in ("br", "gzip"), source
