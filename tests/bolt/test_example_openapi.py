"""The example project's OpenAPI document, from a real runbolt: valid OpenAPI 3.1, and
schemathesis's generated requests (valid and invalid) to every operation it describes
are answered without a 5xx."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate

schemathesis = pytest.importorskip(
    "schemathesis", reason="the test extras: pip install -e '.[test]'"
)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402 (schemathesis's)
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

#: Generated requests per operation and mode: enough to vary every input, well under
#: a minute for the whole example.
EXAMPLES = 25
#: The Server-Sent Events route streams for a tenth of a second per requested tick: a
#: generated count would hold a request for seconds, not find a 5xx.
SLOW = {"/events"}


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory):
    """Hypothesis's caches in a temporary folder, not in the repository."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


def test_example_document_is_valid_openapi_3_1(django_server):
    document = httpx.get(f"{django_server.base_url}/docs/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"/items", "/items/{item_id}", "/upload", "/events"} <= set(document["paths"])
    # The built-in health checks are served, not documented.
    assert not {"/health", "/ready"} & set(document["paths"])


@pytest.mark.parametrize("limit", ["-1", "0", "1001"])
def test_a_limit_out_of_range_is_a_422_naming_it(django_server, limit):
    # Schemathesis found it: a negative limit sliced the QuerySet backwards, a 500.
    response = httpx.get(f"{django_server.base_url}/items", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_find_no_server_error(django_server, mode):
    base_url = django_server.base_url
    schema = schemathesis.openapi.from_url(f"{base_url}/docs/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    checked = [op for op in operations if op.path not in SLOW]
    assert len(checked) >= 5, [op.label for op in operations]
    generation = schemathesis.GenerationMode(mode)
    if generation is schemathesis.GenerationMode.NEGATIVE:  # no inputs: nothing invalid
        checked = [op for op in checked if _has_inputs(op)]
    failures: list[str] = []
    for operation in checked:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=generation))
        def answer(case):
            response = case.call(base_url=base_url, timeout=10)
            if response.status_code >= 500:
                failures.append(f"{response.status_code}: {case.as_curl_command()}")

        answer()
    assert failures == [], "\n".join(failures)


def _has_inputs(operation) -> bool:
    inputs = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(values) for values in inputs)
