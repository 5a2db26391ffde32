# Route descriptions for the fuzz entry points, shaped as django_bolt.routing hands
# them to RouteTable: a parameter of every type from every source.
import datetime
import decimal
import uuid

# As django_bolt.routing._signature._CONVERTED: what turns checked text into its object.
CONVERT = {
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
    "date": datetime.date.fromisoformat,
    "datetime": datetime.datetime.fromisoformat,
    "time": datetime.time.fromisoformat,
}
KINDS = ["str", "int", "float", "bool", "decimal", "uuid", "date", "datetime", "time", "choice"]
BOUNDS = {
    "str": {"min_length": 1, "max_length": 64, "pattern": "^[a-z0-9 ]*$"},
    "int": {"ge": -1000, "le": 1000},
    "float": {"gt": -1e9, "lt": 1e9},
    "decimal": {"ge": 0},
}


def param(kind, source, name=None, **extra):
    spec = {"name": name or kind, "source": source, "type": kind, "required": False}
    if kind in CONVERT:
        spec["convert"] = CONVERT[kind]
    if kind == "choice":
        spec["choices"] = [("red", "RED"), ("green", "GREEN")]
    return {**spec, **extra}


def every_kind(source, prefix=""):
    return [param(kind, source, prefix + kind, **BOUNDS.get(kind, {})) for kind in KINDS]


def route(method, path, params, **extra):
    return {
        "name": "fuzz." + path,
        "method": method,
        "path": path,
        "params": params,
        "status_code": 200,
        "handler": None,
        "is_async": True,
        "finalize": None,
        "on_error": None,
        **extra,
    }


def websocket_route(path, params):
    return {
        "websocket": True,
        "name": "fuzz.ws" + path,
        "path": path,
        "params": params,
        "handler": len,
    }


def upload(filename, content_type, headers, size, content):
    return (filename, content_type, headers, size, content)


ROUTES = [
    route("GET", "/q", every_kind("query") + [param("int", "query", "ids", multi=True)]),
    route("GET", "/h", every_kind("header", "x_")),
    route("GET", "/c", every_kind("cookie")),
    route(
        "POST",
        "/f",
        every_kind("form")
        + [
            param("str", "form", "tags", multi=True),
            {
                "name": "upload",
                "source": "file",
                "required": False,
                "multi": True,
                "max_files": 3,
                "max_size": 4096,
                "allowed_types": ["text/plain", "image/*"],
                "convert": upload,
            },
        ],
    ),
] + [
    route("GET", f"/p/{index}/{{v}}", [param(kind, "path", "v", required=True)])
    for index, kind in enumerate(KINDS)
]

JWT_ROUTE = {
    "auth": [
        {
            "kind": "jwt",
            "header": "Authorization",
            "secret": b"fuzz-secret",
            "algorithms": ["HS256", "HS384"],
            "audience": [],
            "issuer": [],
            "leeway": 0,
            "required_claims": ["exp"],
            "load_user": False,
        }
    ],
    "guards": [{"kind": "has_permission", "permissions": ["fuzz.read"], "requirement": "no"}],
}
