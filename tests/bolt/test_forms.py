"""Form fields and msgspec.Structs filled from query, header and form values, read and
checked in Rust (through TestClient, which runs the server's own pipeline)."""

from __future__ import annotations

import datetime
import decimal
import enum
import io
import uuid
from typing import Annotated, Literal

import msgspec
import pytest

from django_bolt import BoltAPI, Depends, Request, UploadFile
from django_bolt.param_functions import Body, Cookie, File, Form, Header, Query
from django_bolt.routing import RouteDefinitionError
from django_bolt.testing import TestClient


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class ContactForm(msgspec.Struct):
    name: str
    email: Annotated[str, msgspec.Meta(pattern="@")]
    message: str = "(none)"


class Filters(msgspec.Struct):
    status: str | None = None
    sort: str = "created"
    limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 10
    tags: list[str] = msgspec.field(default_factory=list)
    order: Literal["asc", "desc"] = "desc"


class APIHeaders(msgspec.Struct):
    authorization: str
    x_request_id: str | None = None
    retries: int = 0


#: Uploads a handler kept after it returned.
KEPT: list[UploadFile] = []


class Paging(msgspec.Struct, rename="camel"):
    page_size: int = 20


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.post("/login")
    async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
        return {"username": username, "password": password}

    @api.post("/typed")
    async def typed(
        count: Annotated[int, Form(ge=1, le=10)],
        ratio: Annotated[float, Form(gt=0)],
        agree: Annotated[bool, Form()],
        price: Annotated[decimal.Decimal, Form()],
        ident: Annotated[uuid.UUID, Form()],
        day: Annotated[datetime.date, Form()],
        at: Annotated[datetime.datetime, Form()],
        clock: Annotated[datetime.time, Form()],
        color: Annotated[Color, Form()],
        size: Annotated[Literal["s", "m"], Form()],
        code: Annotated[str, Form(min_length=2, max_length=4, pattern="^[a-z]+$")],
        nick: Annotated[str | None, Form(alias="nick-name")] = None,
        page: int = Form(1),
    ):
        return {
            "count": count,
            "ratio": ratio,
            "agree": agree,
            "price": str(price),
            "ident": ident.hex,
            "day": day.isoformat(),
            "at": at.isoformat(),
            "clock": clock.isoformat(),
            "color": color.name,
            "size": size,
            "code": code,
            "nick": nick,
            "page": page,
        }

    @api.post("/tags")
    async def tags(tag: Annotated[list[str], Form()], q: str = "none"):
        return {"tags": tag, "q": q}

    @api.post("/optional")
    async def optional(note: Annotated[str | None, Form()] = None):
        return {"note": note}

    @api.post("/contact")
    async def contact(data: Annotated[ContactForm, Form()]):
        return {"name": data.name, "email": data.email, "message": data.message}

    @api.get("/items")
    async def items(filters: Annotated[Filters, Query()]):
        answer = msgspec.to_builtins(filters)
        filters.tags.append("changed by a handler")  # must not leak into the next request
        return answer

    @api.post("/search")
    async def search(filters: Annotated[Filters, Query()], page: int = 1):
        return {"sort": filters.sort, "page": page}

    @api.post("/attachment")
    def attachment(
        note: Annotated[str, Form()] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ):
        if file is None:
            return {"note": note, "file": None}
        return {"note": note, "file": file.filename, "content": file.file.read().decode()}

    @api.post("/keep")
    async def keep(files: list[UploadFile]):
        KEPT.extend(files)
        return {"closed": [f.file.closed for f in files]}

    @api.get("/paging")
    async def paging(paging: Annotated[Paging, Query()]):
        return {"page_size": paging.page_size}

    @api.post("/with-request")
    async def with_request(request: Request, name: Annotated[str, Form()]):
        return {"name": name, "method": request.method, "body": request.body.decode()}

    @api.get("/with-headers")
    async def with_headers(headers: Annotated[APIHeaders, Header()]):
        return msgspec.structs.asdict(headers)

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(make_api()) as client:
        yield client


TYPED = {
    "count": "3",
    "ratio": "0.5",
    "agree": "on",
    "price": "9.99",
    "ident": "12345678-1234-5678-1234-567812345678",
    "day": "2024-02-29",
    "at": "2024-02-29T12:30:00",
    "clock": "08:15:00",
    "color": "green",
    "size": "m",
    "code": "abc",
}


def test_urlencoded_login(client):
    response = client.post("/login", data={"username": "ada", "password": "s3cret & more"})
    assert response.status_code == 200
    assert response.json() == {"username": "ada", "password": "s3cret & more"}


def test_multipart_text_fields(client):
    response = client.post("/login", data={"username": "ada", "password": "pw"}, files={})
    assert response.json() == {"username": "ada", "password": "pw"}


def test_missing_fields_are_one_422_listing_each(client):
    response = client.post("/login", data={"password": "pw"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["form", "username"], "msg": "Field required", "type": "missing"}
    ]
    both = client.post("/login", data={})
    assert [e["loc"] for e in both.json()["detail"]] == [
        ["form", "username"],
        ["form", "password"],
    ]


def test_every_scalar_type_is_coerced(client):
    response = client.post("/typed", data={**TYPED, "nick-name": "al", "page": "2"})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "count": 3,
        "ratio": 0.5,
        "agree": True,
        "price": "9.99",
        "ident": "12345678123456781234567812345678",
        "day": "2024-02-29",
        "at": "2024-02-29T12:30:00",
        "clock": "08:15:00",
        "color": "GREEN",
        "size": "m",
        "code": "abc",
        "nick": "al",
        "page": 2,
    }
    defaults = client.post("/typed", data=TYPED).json()
    assert (defaults["nick"], defaults["page"]) == (None, 1)


def test_multipart_fields_are_coerced_the_same_way(client):
    response = client.post("/typed", data=TYPED, files=[])
    assert response.status_code == 200
    assert response.json()["count"] == 3


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("count", "0", "constraint_error"),
        ("count", "eleven", "type_error"),
        ("ratio", "0", "constraint_error"),
        ("agree", "maybe", "type_error"),
        ("price", "1.2.3", "type_error"),
        ("ident", "not-a-uuid", "type_error"),
        ("day", "2023-02-29", "type_error"),
        ("at", "yesterday", "type_error"),
        ("clock", "25:00", "type_error"),
        ("color", "blue", "enum"),
        ("size", "xl", "enum"),
        ("code", "a", "constraint_error"),
        ("code", "abcde", "constraint_error"),
        ("code", "ABC", "constraint_error"),
    ],
)
def test_bad_values_are_422_naming_the_field(client, field, value, kind):
    response = client.post("/typed", data={**TYPED, field: value})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["form", field], kind)


def test_several_failures_are_reported_together(client):
    response = client.post("/typed", data={**TYPED, "count": "x", "color": "blue", "day": ""})
    assert response.status_code == 422
    assert [e["loc"][1] for e in response.json()["detail"]] == ["count", "day", "color"]


def test_list_fields_and_query_beside_a_form(client):
    response = client.post("/tags?q=find", data={"tag": ["a", "b"]})
    assert response.json() == {"tags": ["a", "b"], "q": "find"}
    multipart = client.post("/tags", data={"tag": ["x", "y", "z"]}, files={})
    assert multipart.json() == {"tags": ["x", "y", "z"], "q": "none"}


def test_wrong_or_missing_content_type(client):
    as_json = client.post("/login", json={"username": "ada", "password": "pw"})
    assert as_json.status_code == 415
    assert "application/x-www-form-urlencoded" in as_json.json()["detail"]
    unlabelled = client.post("/login", data=b"username=ada&password=pw")
    assert unlabelled.status_code == 415
    # No body at all: an empty form, so only the missing fields are reported.
    empty = client.post("/login")
    assert empty.status_code == 422
    assert client.post("/optional").json() == {"note": None}


def test_text_that_is_not_utf8_is_422(client):
    urlencoded = client.post(
        "/login",
        data=b"username=%ff&password=pw",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert urlencoded.status_code == 422
    assert urlencoded.json()["detail"] == [
        {
            "loc": ["form", ""],
            "msg": "The form body is not valid UTF-8 once percent-decoded",
            "type": "unicode_error",
        }
    ]
    body = b'--B\r\nContent-Disposition: form-data; name="username"\r\n\r\n\xff\r\n--B--\r\n'
    multipart = client.post(
        "/login", data=body, headers={"content-type": "multipart/form-data; boundary=B"}
    )
    assert multipart.status_code == 422
    assert multipart.json()["detail"][0]["loc"] == ["form", "username"]


def test_struct_from_form(client):
    response = client.post("/contact", data={"name": "Ada", "email": "ada@example.com"})
    assert response.json() == {"name": "Ada", "email": "ada@example.com", "message": "(none)"}
    bad = client.post("/contact", data={"email": "nope"})
    assert bad.status_code == 422
    assert [(e["loc"], e["type"]) for e in bad.json()["detail"]] == [
        (["form", "name"], "missing"),
        (["form", "email"], "constraint_error"),
    ]


def test_struct_from_query(client):
    assert client.get("/items").json() == {
        "status": None,
        "sort": "created",
        "limit": 10,
        "tags": [],
        "order": "desc",
    }
    response = client.get("/items?status=open&limit=5&tags=a&tags=b&order=asc")
    assert response.json() == {
        "status": "open",
        "sort": "created",
        "limit": 5,
        "tags": ["a", "b"],
        "order": "asc",
    }
    bad = client.get("/items?limit=0&order=up")
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["query", "limit"], ["query", "order"]]


def test_struct_from_query_on_a_post_route(client):
    assert client.post("/search?sort=name&page=2").json() == {"sort": "name", "page": 2}


def test_optional_file_and_a_sync_handler(client):
    assert client.post("/attachment", data={"note": "n"}).json() == {"note": "n", "file": None}
    # A file object works as well as bytes.
    sent = client.post("/attachment", files={"file": ("a.txt", io.BytesIO(b"hi"), "text/plain")})
    assert sent.json() == {"note": "", "file": "a.txt", "content": "hi"}


def test_struct_fields_are_read_under_their_encoded_names(client):
    assert client.get("/paging?pageSize=5").json() == {"page_size": 5}
    assert client.get("/paging?page_size=5").json() == {"page_size": 20}


def test_a_form_route_can_take_the_request(client):
    response = client.post("/with-request", data={"name": "ada"})
    assert response.json() == {"name": "ada", "method": "POST", "body": ""}


def test_uploads_are_closed_once_the_handler_returns(client):
    files = [("files", ("a.txt", b"a")), ("files", ("b.bin", b"b" * (2 << 20)))]
    assert client.post("/keep", files=files).json() == {"closed": [False, False]}
    assert [f.file.closed for f in KEPT] == [True, True]


def test_struct_defaults_are_fresh_per_request(client):
    assert client.get("/items").json()["tags"] == []
    assert client.get("/items").json()["tags"] == []


def test_struct_from_headers(client):
    response = client.get(
        "/with-headers",
        headers={"Authorization": "Bearer t", "X-Request-ID": "r1", "Retries": "2"},
    )
    assert response.json() == {"authorization": "Bearer t", "x_request_id": "r1", "retries": 2}
    assert client.get("/with-headers", headers={"authorization": "a"}).json() == {
        "authorization": "a",
        "x_request_id": None,
        "retries": 0,
    }
    missing = client.get("/with-headers", headers={"retries": "x"})
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [
        ["header", "authorization"],
        ["header", "retries"],
    ]


def _declare(annotation, default=None):
    async def handler(value):
        return {}

    handler.__annotations__ = {"value": annotation}
    if default is not None:
        handler.__defaults__ = (default,)
    BoltAPI().post("/declared")(handler)


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (Annotated[ContactForm, Cookie()], "cannot be filled from cookie"),
        (Annotated[str, File()], "must be an UploadFile"),
        (Annotated[UploadFile, Form()], "use File()"),
        (Annotated[dict, Form()], "cannot be read from the request"),
    ],
)
def test_mistakes_fail_at_declaration(annotation, message):
    with pytest.raises(RouteDefinitionError, match=message):
        _declare(annotation)


def test_a_route_reads_a_json_body_or_a_form():
    async def both(data: Annotated[ContactForm, Body()], name: Annotated[str, Form()]):
        return {}

    with pytest.raises(RouteDefinitionError, match="JSON body or a form"):
        BoltAPI().post("/both")(both)


def _owner() -> str:
    return "ada"


def test_uploads_and_dependencies_on_one_route():
    api = BoltAPI()
    opened: list[UploadFile] = []

    @api.post("/owned")
    async def owned(file: UploadFile, who: Annotated[str, Depends(_owner)]):
        opened.append(file)
        return {"who": who, "size": len(await file.read())}

    with TestClient(api) as client:
        response = client.post("/owned", files={"file": ("a.txt", b"abc", "text/plain")})
    assert response.json() == {"who": "ada", "size": 3}
    assert opened[0].file.closed
