"""Code written for the original django-bolt runs unchanged: its import paths
(``django_bolt.params``, ``.request``, ``.datastructures``, ``.status_codes``, ``.enums``)
and its exception classes, each answered with its status, body and headers, through
TestClient and a real runbolt process (routes in tests/bolt/project/compatapp)."""

from __future__ import annotations

import importlib
import sys
from http import HTTPStatus
from pathlib import Path

import msgspec
import pytest
import support

from django_bolt import exceptions

PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(PROJECT))

from compatapp.api import api  # noqa: E402

# (module, name, where the one implementation lives)
ALIASES = [
    *(
        ("django_bolt.params", name, "django_bolt.param_functions")
        for name in (
            "Body",
            "Cookie",
            "Depends",
            "File",
            "Form",
            "Header",
            "Param",
            "Path",
            "Query",
        )
    ),
    ("django_bolt.request", "Request", "django_bolt"),
    ("django_bolt.datastructures", "UploadFile", "django_bolt.uploads"),
    ("django_bolt.responses", "UploadFile", "django_bolt.uploads"),
    ("django_bolt.responses", "File", "django_bolt.responses"),
    ("django_bolt.enums", "FileSize", "django_bolt"),
    ("django_bolt.enums", "FileSize", "django_bolt.param_functions"),
    ("django_bolt.enums", "MediaType", "django_bolt"),
    ("django_bolt.status", "HTTP_404_NOT_FOUND", "django_bolt.status_codes"),
]

CLIENT_ERRORS = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "NotAcceptable": 406,
    "Conflict": 409,
    "Gone": 410,
    "UnprocessableEntity": 422,
    "TooManyRequests": 429,
}
SERVER_ERRORS = {
    "InternalServerError": 500,
    "NotImplemented": 501,
    "BadGateway": 502,
    "ServiceUnavailable": 503,
    "GatewayTimeout": 504,
}
STATUS_OF = {**CLIENT_ERRORS, **SERVER_ERRORS, "ClientException": 400, "ServerException": 500}


@pytest.mark.parametrize(("module", "name", "home"), ALIASES)
def test_each_name_imports_from_its_path_and_is_the_one_implementation(module, name, home):
    assert getattr(importlib.import_module(module), name) is getattr(
        importlib.import_module(home), name
    )


def test_the_file_response_of_the_original_is_file_response():
    from django_bolt.responses import File, FileResponse

    assert File is FileResponse


def test_every_exception_name_imports_and_is_a_bolt_exception():
    for name in [*STATUS_OF, "HTTPException", "ValidationException"]:
        assert issubclass(getattr(exceptions, name), exceptions.BoltException)
    for name in CLIENT_ERRORS:
        assert issubclass(getattr(exceptions, name), exceptions.ClientException)
    for name in SERVER_ERRORS:
        assert issubclass(getattr(exceptions, name), exceptions.ServerException)
    assert issubclass(exceptions.RequestValidationError, exceptions.ValidationException)
    assert issubclass(exceptions.ResponseValidationError, exceptions.ValidationException)
    assert issubclass(exceptions.ValidationException, exceptions.HTTPException)


def test_status_codes_are_ints_for_every_registered_status():
    from django_bolt import status_codes

    for status in HTTPStatus:
        names = [n for n in status_codes.__all__ if n.startswith(f"HTTP_{status.value}_")]
        assert names, status
        assert all(getattr(status_codes, n) == status.value for n in names)
    assert status_codes.HTTP_100_CONTINUE == 100
    assert status_codes.HTTP_511_NETWORK_AUTHENTICATION_REQUIRED == 511
    assert status_codes.HTTP_422_UNPROCESSABLE_ENTITY == status_codes.HTTP_422_UNPROCESSABLE_CONTENT
    assert type(status_codes.HTTP_201_CREATED) is int
    assert status_codes.is_client_error(404) and not status_codes.is_client_error(500)
    assert status_codes.is_server_error(503) and status_codes.is_success(204)
    assert status_codes.is_redirect(308) and status_codes.is_informational(101)


def test_media_type_members_are_the_strings():
    from django_bolt.enums import FileSize, MediaType

    assert MediaType.JSON == "application/json" and f"{MediaType.HTML}" == "text/html"
    assert FileSize.MB_3 == 3 * 1024 * 1024


def test_exception_arguments():
    exc = exceptions.NotFound("Book not found", {"X-Why": "gone"}, {"id": 1})
    assert (exc.status_code, exc.detail, exc.headers, exc.extra) == (
        404,
        "Book not found",
        {"X-Why": "gone"},
        {"id": 1},
    )
    assert exceptions.BadRequest().detail == "Bad Request"
    assert exceptions.ClientException(status_code=418).status_code == 418
    assert exceptions.HTTPException().status_code == 500
    assert exceptions.HTTPException(404, "x").status_code == 404
    assert exceptions.HTTPException(499).detail == ""
    errors = [{"loc": ["body", "email"], "msg": "Invalid email", "type": "value_error"}]
    invalid = exceptions.RequestValidationError(errors, body=b"{}")
    assert invalid.errors() == errors and invalid.body == b"{}"
    assert str(invalid) == "body.email: Invalid email"


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        (b'{"a": 1,,}', ["body", 1, 9], "Invalid JSON at line 1, column 9: "),
        (b'{\n  "a": 1,\n  "b": x\n}', ["body", 3, 8], "Invalid JSON at line 3, column 8: "),
        ('{"é": "ü",,}'.encode(), ["body", 1, 11], "Invalid JSON at line 1, column 11: "),
    ],
)
def test_parse_msgspec_decode_error_locates_the_fault(body, loc, msg):
    with pytest.raises(msgspec.DecodeError) as caught:
        msgspec.json.decode(body)
    error = exceptions.parse_msgspec_decode_error(caught.value, body)
    assert error["loc"] == loc and error["type"] == "json_invalid"
    assert error["msg"].startswith(msg)


def test_parse_msgspec_decode_error_without_a_position():
    error = exceptions.parse_msgspec_decode_error(msgspec.DecodeError("truncated"), b"[1")
    assert error == {"loc": ["body"], "msg": "truncated", "type": "json_invalid"}


@pytest.fixture(scope="module")
def server():
    with support.serve_django(PROJECT, "--settings", "boltproj.settings_compat") as server:
        yield server


@pytest.fixture(params=support.CLIENTS)
def client(request):
    with support.open_client(request, api) as client:
        yield client


@pytest.mark.parametrize("name", sorted(STATUS_OF))
def test_each_exception_raised_is_its_status_and_phrase(client, name):
    response = client.get(f"/compat/raise/{name}")
    assert response.status_code == STATUS_OF[name]
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": HTTPStatus(STATUS_OF[name]).phrase}


def test_detail_and_extra_are_the_body(client):
    response = client.get("/compat/books/7")
    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found", "extra": {"book_id": 7}}


def test_headers_pass_through(client):
    limited = client.get("/compat/limited")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "30"
    assert limited.json() == {"detail": "Slow down"}
    private = client.get("/compat/private")
    assert private.status_code == 401
    assert private.headers["www-authenticate"] == 'Bearer realm="compat"'


def test_body_replaces_the_envelope(client):
    response = client.get("/compat/typed-error")
    assert response.status_code == 400
    assert response.json() == {"code": "not_healthy", "message": "Try later"}


def test_validation_errors_are_the_detail(client):
    invalid = client.get("/compat/validation")
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["query", "page"]
    response = client.get("/compat/response-validation")
    assert response.status_code == 500
    assert response.json()["detail"] == "Response validation error"
    assert response.json()["extra"]["validation_errors"][0]["loc"] == ["response", "price"]


def test_malformed_json_is_a_422_with_line_and_column(client):
    response = client.post(
        "/compat/items",
        content=b'{"name": "pen",\n "price": }',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"] == ["body", 2, 11]
    assert error["msg"].startswith("Invalid JSON at line 2, column 11: ")


def test_status_code_constant_params_and_media_type(client):
    created = client.post("/compat/items", json={"name": "pen", "price": 1.5})
    assert created.status_code == 201 and created.json() == {"name": "pen"}
    found = client.get("/compat/search", params={"q": "ab", "p": "3"})
    assert found.json() == {"q": "ab", "page": 3, "agent": True}
    assert client.get("/compat/search", params={"q": "a"}).status_code == 422
    text = client.get("/compat/text")
    assert text.headers["content-type"].startswith("text/plain") and text.text == "plain"
