"""Serializers: msgspec Structs with validators, field options, computed and nested
fields, built from Django models and querysets without N+1 queries.

One module per concept: ``base`` (``Serializer``, validators), ``fields``
(``field``, ``computed_field``), ``types`` (typed field aliases), ``nested``
(``Nested``), ``loading`` (building from models, query planning), ``view``
(``SerializerView``), ``models`` (``create_serializer``). Everything is importable from
here.
"""

from msgspec import Meta

from .base import (
    FieldValidationError,
    Serializer,
    field_validator,
    model_validator,
)
from .base import input_decoder as input_decoder  # used by routing, not public API
from .base import required_read_only as required_read_only
from .base import struct_classes as struct_classes
from .fields import FieldConfig, computed_field, field
from .loading import query_plan
from .models import create_serializer, create_serializer_set
from .nested import Nested
from .types import (
    IP,
    URL,
    UUID,
    BigInt,
    Char50,
    Char100,
    Char150,
    Char200,
    Char255,
    Char500,
    Char1000,
    CountryCode,
    CurrencyCode,
    Email,
    FilePath,
    Float,
    HexColor,
    HttpStatus,
    HttpsURL,
    Int,
    IPv4,
    IPv6,
    LanguageCode,
    Latitude,
    Longitude,
    NonEmptyStr,
    NonNegativeInt,
    Password,
    Percentage,
    Phone,
    Port,
    PositiveBigInt,
    PositiveFloat,
    PositiveInt,
    PositiveSmallInt,
    Rating,
    Rating10,
    Slug,
    Slug100,
    Slug200,
    SmallInt,
    Text,
    Timezone,
    Username,
)
from .view import SerializerView

__all__ = [
    "IP",
    "URL",
    "UUID",
    "BigInt",
    "Char50",
    "Char100",
    "Char150",
    "Char200",
    "Char255",
    "Char500",
    "Char1000",
    "CountryCode",
    "CurrencyCode",
    "Email",
    "FieldConfig",
    "FieldValidationError",
    "FilePath",
    "Float",
    "HexColor",
    "HttpStatus",
    "HttpsURL",
    "IPv4",
    "IPv6",
    "Int",
    "LanguageCode",
    "Latitude",
    "Longitude",
    "Meta",
    "Nested",
    "NonEmptyStr",
    "NonNegativeInt",
    "Password",
    "Percentage",
    "Phone",
    "Port",
    "PositiveBigInt",
    "PositiveFloat",
    "PositiveInt",
    "PositiveSmallInt",
    "Rating",
    "Rating10",
    "Serializer",
    "SerializerView",
    "Slug",
    "Slug100",
    "Slug200",
    "SmallInt",
    "Text",
    "Timezone",
    "Username",
    "computed_field",
    "create_serializer",
    "create_serializer_set",
    "field",
    "field_validator",
    "model_validator",
    "query_plan",
]
