"""The original django-bolt's bookshop passes the same tests as the port in from_bolt."""

import pytest

from django_bolt.testing import TestClient
from from_bolt.test_api import (  # noqa: F401  (pytest collects the tests and fixtures)
    auth,
    test_crud,
    test_invalid_input_is_422,
    test_list_is_paginated_and_filtered,
    test_openapi_document,
    test_writes_need_a_valid_token,
)
from from_original.api import api


@pytest.fixture
def client():
    with TestClient(api) as client:
        yield client
