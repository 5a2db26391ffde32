"""Turning a handler's signature into the route description Rust validates and runs.

Path, query, header, cookie and form values and uploaded files are read and coerced in
Rust; Python keeps only what needs Python: decoding a JSON body with msgspec, building
Structs and UploadFiles from what Rust read, and shaping the response.

- ``_route``: ``Route`` and ``Param``, a route as declared;
- ``_signature``: ``analyse``, the handler's signature read into the route;
- ``_description``: the route described for Rust's ``RouteTable``, with the wrappers
  its handler needs (loading the user, closing uploads, dependencies, middleware);
- ``_body``: the loaders of a JSON body;
- ``_response``: a result or an exception turned into the response;
- ``_verbs``: ``get`` ... ``query``, the shorthands of ``BoltAPI`` and ``Router``.
"""

from ._description import describe
from ._route import Param, Route, RouteDefinitionError
from ._signature import analyse

__all__ = ["Param", "Route", "RouteDefinitionError", "analyse", "describe"]
