"""Typed field aliases, ``field(...)``, ``@computed_field`` and ``SerializerView``:
in process, through TestClient and through a real runbolt process (HTTP/1.1 and
HTTP/2) serving tests/bolt/project/catalog/api.py."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from openapi_spec_validator import validate

from django_bolt import BoltAPI, OpenAPIConfig
from django_bolt.openapi import build_document
from django_bolt.serializers import (
    URL,
    Email,
    FieldConfig,
    Meta,
    PositiveInt,
    Serializer,
    SerializerView,
    Slug,
    computed_field,
    field,
    field_validator,
)
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def project_api(django_project):
    from catalog.api import api

    return api


@pytest.fixture
def client(project_client):
    return project_client


def schemas(api: BoltAPI) -> dict:
    """The OpenAPI component schemas of ``api``'s routes."""
    document = build_document(api.routes, OpenAPIConfig())
    validate(document)
    return document["components"]["schemas"]


# ---- typed field aliases ----------------------------------------------------------

#: One bad value per alias of the catalog's Profile body, and a good one.
BAD_AND_GOOD = {
    "email": ("not-an-email", "ann@example.com"),
    "website": ("ftp://example.com", "http://example.com/a?b=1"),
    "secure_site": ("http://example.com", "https://example.com"),
    "slug": ("has space", "a-slug_1"),
    "username": ("no spaces allowed", "ann.b+c@d-e_f"),
    "password": ("short", "long enough!"),
    "phone": ("12-34", "+33123456789"),
    "address": ("999.1.1.1", "::1"),
    "v4": ("1.2.3", "192.168.0.1"),
    "v6": ("1.2.3.4", "2001:db8::1"),
    "color": ("#ggg", "#A0b1C2"),
    "zone": ("Not A Zone!", "Europe/Paris"),
    "country": ("fra", "DE"),
    "currency": ("eu", "USD"),
    "language": ("EN", "pt-BR"),
    "latitude": (90.5, -45.0),
    "longitude": (-180.5, 179.9),
    "discount": (100.1, 12.5),
    "stars": (6, 5),
    "port": (0, 8080),
    "status": (600, 404),
    "age": (0, 30),
    "level": (40000, -5),
    "nickname": ("x" * 51, "x" * 50),
    "bio": ("", "b"),
    "ref": ("not-a-uuid", "4f1b2c3d-1111-4222-8333-944455556666"),
}


@pytest.mark.parametrize("name", sorted(BAD_AND_GOOD))
def test_each_alias_refuses_a_bad_value_with_a_422_naming_the_field(project_api, name):
    bad, good = BAD_AND_GOOD[name]
    base = {"email": "ann@example.com"}
    with TestClient(project_api) as client:
        response = client.post("/shelf/profiles", json={**base, name: bad})
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", name]
        assert error["type"] == "validation_error"
        response = client.post("/shelf/profiles", json={**base, name: good})
        assert response.status_code == 200, response.text
        if name != "password":  # write-only: never sent back
            assert response.json()[name] == good


def test_aliases_over_a_real_socket(client):
    response = client.post("/shelf/profiles", json={"email": "ann@example.com", "port": 70000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "port"]
    response = client.post(
        "/shelf/profiles", json={"email": "ann@example.com", "password": "s3cret-pass"}
    )
    assert response.status_code == 200
    assert "password" not in response.json()


def test_alias_constraints_appear_in_the_openapi_schema(project_api):
    profile = schemas(project_api)["Profile"]["properties"]
    assert profile["email"]["maxLength"] == 254 and "pattern" in profile["email"]
    assert profile["port"] == {"type": "integer", "minimum": 1, "maximum": 65535, "default": 443}
    assert profile["nickname"]["maxLength"] == 50
    assert profile["ref"]["anyOf"][0] == {"type": "string", "format": "uuid"}
    assert profile["password"]["writeOnly"] is True and profile["password"]["minLength"] == 8


def test_meta_is_msgspecs_and_aliases_combine_with_more_constraints():
    assert Meta is msgspec.Meta

    class Signup(Serializer):
        email: Annotated[Email, Meta(min_length=8)]
        site: URL | None = None
        age: PositiveInt = 1
        slug: Slug = "x"

    assert msgspec.convert({"email": "ann@b.co"}, Signup).email == "ann@b.co"
    with pytest.raises(msgspec.ValidationError, match="length >= 8"):
        msgspec.convert({"email": "a@b.co"}, Signup)
    with pytest.raises(msgspec.ValidationError, match=r"\$.age"):
        msgspec.convert({"email": "ann@b.co", "age": -1}, Signup)


# ---- field(...) -----------------------------------------------------------------------


class Account(Serializer):
    id: int = field(read_only=True, default=0)
    login: str = field(alias="userName")
    email: str = field(source="contact.email", default="")
    password: str = field(write_only=True, default="")
    internal: str = field(exclude=True, default="x")
    tags: list[str] = field(default_factory=list)
    note: str = field(default="-", description="A free note", deprecated=True)

    @field_validator("login")
    def lower(cls, value):
        return value.lower()


def test_field_options_shape_input_and_output():
    api = BoltAPI()

    @api.post("/accounts")
    async def create(data: Account) -> Account:
        assert data.password == "pw-123456"  # write-only: readable on the server
        data.id = 7
        return data

    with TestClient(api) as client:
        body = {"id": 99, "userName": "ANN", "password": "pw-123456", "internal": "y"}
        response = client.post("/accounts", json=body)
        assert response.status_code == 200, response.text
        # read_only ignores the client's id; alias names the JSON key both ways;
        # write_only and exclude stay out of the output.
        assert response.json() == {
            "id": 7,
            "userName": "ann",
            "email": "",
            "tags": [],
            "note": "-",
        }
        response = client.post("/accounts", json={"login": "ann"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "userName"]
    schema = schemas(api)["Account"]
    properties = schema["properties"]
    assert properties["id"]["readOnly"] is True
    assert properties["password"]["writeOnly"] is True
    assert properties["note"]["description"] == "A free note"
    assert properties["note"]["deprecated"] is True
    assert schema["required"] == ["userName"]


def test_field_source_reads_a_dotted_path_and_defaults_are_fresh():
    class Contact:
        email = "ann@example.com"

    class User:
        id = 3
        login = "Ann"
        contact = Contact()
        password = "hash"

    account = Account.from_model(User())
    assert (account.id, account.login, account.email) == (3, "ann", "ann@example.com")
    assert account.password == "hash" and "hash" not in msgspec.json.encode(account).decode()
    first, second = Account(login="a"), Account(login="b")
    first.tags.append("t")
    assert second.tags == []


def test_field_declaration_errors():
    with pytest.raises(TypeError, match="default or default_factory"):
        field(default=1, default_factory=list)
    with pytest.raises(TypeError, match="both read_only and write_only"):
        field(read_only=True, write_only=True)
    config = FieldConfig(default=3)
    assert config.has_default() and config.get_default() == 3
    assert not FieldConfig().has_default()


# ---- computed fields and views -------------------------------------------------------


class Person(Serializer):
    first: str
    last: str
    email: str = ""
    secret: str = field(write_only=True, default="")

    @computed_field
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    @computed_field(alias="initials")
    def short(self) -> str:
        return self.first[0] + self.last[0]

    class Config:
        field_sets = {"list": ["first", "full_name"], "detail": ["first", "last", "email"]}


def test_computed_fields_are_output_only_and_stay_methods():
    person = Person(first="Ada", last="Lovelace", secret="s")
    assert person.full_name() == "Ada Lovelace"
    assert person.dump() == {
        "first": "Ada",
        "last": "Lovelace",
        "email": "",
        "full_name": "Ada Lovelace",
        "initials": "AL",
    }
    # A value sent for a computed field is replaced by the computed one.
    decoded = msgspec.json.decode(b'{"first":"A","last":"B","full_name":"forged"}', type=Person)
    assert msgspec.json.encode(decoded) == (
        b'{"first":"A","last":"B","email":"","full_name":"A B","initials":"AB"}'
    )
    person.first = "Augusta"
    person.refresh_computed()
    assert person.dump()["full_name"] == "Augusta Lovelace"
    assert person.to_dict() == {
        "first": "Augusta",
        "last": "Lovelace",
        "email": "",
        "secret": "s",
    }
    assert Person(first="A", last="B", email="").dump(exclude_defaults=True) == {
        "first": "A",
        "last": "B",
        "full_name": "A B",
        "initials": "AB",
    }


def test_computed_fields_in_responses_and_schema():
    api = BoltAPI()

    @api.get("/people/{first}")
    async def show(first: str) -> Person:
        return Person(first=first, last="Hopper")

    with TestClient(api) as client:
        assert client.get("/people/Grace").json()["full_name"] == "Grace Hopper"
    schema = schemas(api)["Person"]
    assert schema["properties"]["full_name"] == {"type": "string", "readOnly": True}
    assert schema["properties"]["initials"]["readOnly"] is True
    assert "secret" not in schema.get("required", [])


def test_serializer_view_projects_fields():
    people = [Person(first="Ada", last="Lovelace"), Person(first="Alan", last="Turing")]
    view = Person.only("first", "full_name")
    assert isinstance(view, SerializerView)
    assert view.dump(people[0]) == {"first": "Ada", "full_name": "Ada Lovelace"}
    assert Person.use("list").dump_many(people) == [
        {"first": "Ada", "full_name": "Ada Lovelace"},
        {"first": "Alan", "full_name": "Alan Turing"},
    ]
    assert Person.exclude("email", "short").dump(people[1]) == {
        "first": "Alan",
        "last": "Turing",
        "full_name": "Alan Turing",
    }
    assert Person.use("detail").exclude("email").field_names == ["first", "last"]
    assert Person.only("secret").dump(people[0]) == {}  # write-only is never output
    with pytest.raises(ValueError, match="no fields"):
        Person.only("nope")
    with pytest.raises(KeyError, match="no field set 'admin'"):
        Person.use("admin")
    with pytest.raises(TypeError, match="field set 'bad'"):

        class Broken(Serializer):
            name: str

            class Config:
                field_sets = {"bad": ["name", "missing"]}


def test_views_and_computed_fields_over_a_real_socket(client):
    seeded = client.post("/shelf/seed", params={"books": 2}).json()
    response = client.get("/shelf/books-list", params={"author": seeded["author"]})
    assert response.status_code == 200
    assert [sorted(book) for book in response.json()] == [["id", "tag_count", "title"]] * 2
    assert {book["tag_count"] for book in response.json()} == {2}


def test_unknown_serializer_names_are_not_guessed():
    with pytest.raises(TypeError, match="not fields"):

        class Broken(Serializer):
            name: str
            other: str = field(default="")

            @field_validator("missing")
            def check(cls, value):
                return value


def test_model_validate_checks_like_a_request_body():
    from django_bolt.exceptions import RequestValidationError

    account = Account.model_validate({"id": 5, "userName": "ANN"})
    assert (account.id, account.login) == (0, "ann")  # read-only input ignored
    assert Account.model_validate(account) is account
    with pytest.raises(RequestValidationError) as caught:
        Account.model_validate({"userName": 3})
    assert caught.value.errors() == [
        {
            "loc": ["body", "userName"],
            "msg": "Expected `str`, got `int`",
            "type": "validation_error",
        }
    ]
    assert Account.model_validate_json('{"userName": "Bo"}').login == "bo"
    with pytest.raises(RequestValidationError) as caught:
        Account.model_validate_json(b'{"userName": ')
    assert caught.value.errors()[0]["type"] == "json_invalid"

    class Source:
        login = "Cy"

    assert Account.model_validate(Source()).login == "cy"


class Member(Serializer):
    id: int = field(read_only=True, default=0)
    name: str = field(alias="displayName")
    email: str = ""
    password: str = field(write_only=True, default="")

    @field_validator("name")
    def lower(cls, value):
        return value.lower()

    @field_validator("name", "email")
    def no_spaces(cls, value):
        if " " in value:
            raise ValueError("No spaces")
        return value

    @computed_field
    def shout(self) -> str:
        return self.name.upper()

    class Config:
        field_sets = {"list": ["id", "name", "shout"], "login": ["name", "password"]}


MemberList = Member.fields("list")
MemberLogin = Member.fields("login")


def test_subset_classes_are_real_types():
    assert MemberList.__name__ == "MemberList" and issubclass(MemberList, Serializer)
    assert Member.fields("list") is MemberList  # the same class each time
    assert Member.subset("id", "name", "shout") is not MemberList  # another name
    assert list(MemberList.__struct_fields__) == ["id", "name", "_computed_shout"]
    member = Member(name="Ann", email="a@b.co", password="pw")
    assert msgspec.to_builtins(MemberList.from_parent(member)) == {
        "id": 0,
        "displayName": "ann",
        "shout": "ANN",
    }
    assert MemberLogin.__write_only__ == {"password"}
    # Only validators whose fields are all kept come along.
    assert set(MemberLogin.__field_validators__) == {"name"}
    with pytest.raises(ValueError, match="no fields"):
        Member.subset("nope")
    with pytest.raises(KeyError, match="no field set"):
        Member.fields("admin")

    api = BoltAPI()

    @api.get("/members")
    async def members() -> list[MemberList]:
        return [MemberList.from_parent(member)]

    @api.post("/login")
    async def login(data: MemberLogin) -> dict:
        return {"name": data.name, "password_length": len(data.password)}

    with TestClient(api) as client:
        assert client.get("/members").json() == [{"id": 0, "displayName": "ann", "shout": "ANN"}]
        response = client.post("/login", json={"displayName": "Bob", "password": "secret"})
        assert response.json() == {"name": "bob", "password_length": 6}
        response = client.post("/login", json={"displayName": 5})
        assert response.status_code == 422
    assert "MemberList" in schemas(api)


def test_to_model_and_update_instance():
    class Row:
        def __init__(self, **values):
            self.__dict__.update(values)

    member = Member(name="Ann", email="a@b.co", password="pw")
    row = member.to_model(Row)
    assert (row.id, row.name, row.email, row.password) == (0, "ann", "a@b.co", "pw")
    Member(name="Bo").update_instance(row)
    assert (row.name, row.email, row.password) == ("bo", "", "")
