"""Bad input to the backend: schemathesis, driven by the backend's OpenAPI document, finds no 5xx
on any operation of the real server.

* The document is the committed ``sync/server/openapi.json``; the first test proves it is the one
  the running server serves, so the cases come from the served contract. (It is loaded with
  ``from_path`` at import time so that ``@schema.parametrize()`` gives one pytest test per
  operation; ``schemathesis.pytest.from_fixture`` would load it from the server, but on pytest 9.2
  it fails with ``'Function' object has no attribute '_nodeid'``.)
* The server is the real one (uvicorn on 127.0.0.1, ``running_backend``), module-scoped, and every
  request carries a real device credential from enrolment, so the input reaches the handlers and
  not only the authentication check.
* Generation covers valid input and input that breaks the schema (``mode = all``; phases examples,
  coverage and fuzzing). Half of the valid cases of the two upload operations are made internally
  consistent (what a schema cannot say: the Idempotency-Key is the path's uuid, the manifest is this
  device's; the chunk digest and range fit the body), so they get past validation into storage.
* Deterministic and bounded: fixed seed, derandomized, no example database, ``MAX_EXAMPLES`` per
  operation, no deadline; a failure reproduces on every run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from sync import protocol
from sync.server.serve import OPENAPI_FILE
from tests.backend_server import BackendServer, running_backend

V1 = protocol.API_PREFIX
SEED = 20260302
MAX_EXAMPLES = 150
DEVICE_CODE = "FUZZ-01"
OFFICE = "OPM"

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 30,
    }
)
schema = schemathesis.openapi.from_path(OPENAPI_FILE, config=CONFIG)

# (operation, status) -> how many generated requests got that answer; read by the last test.
ANSWERS: Counter[tuple[str, int]] = Counter()


@pytest.fixture(scope="module")
def fuzzed_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    with running_backend(tmp_path_factory.mktemp("fuzz") / "servidor") as running:
        yield running


@pytest.fixture(scope="module")
def credential(fuzzed_backend: BackendServer) -> str:
    answer = requests.post(
        f"{fuzzed_backend.url}{V1}/devices/enroll",
        json={
            "token": fuzzed_backend.enrolment_token(OFFICE),
            "device_code": DEVICE_CODE,
            "name": "schemathesis",
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["credential"])


def test_the_fuzzed_document_is_the_one_the_server_serves(fuzzed_backend: BackendServer) -> None:
    served = requests.get(f"{fuzzed_backend.url}/openapi.json", timeout=10).json()
    assert served == schema.raw_schema


@schema.parametrize()
def test_no_input_makes_the_backend_answer_5xx(
    case: schemathesis.Case, fuzzed_backend: BackendServer, credential: str
) -> None:
    _make_consistent(case)
    response = case.call_and_validate(
        base_url=fuzzed_backend.url,
        headers={"Authorization": f"Bearer {credential}"},
        checks=[not_a_server_error],
        timeout=30,
    )
    ANSWERS[(case.operation.label, response.status_code)] += 1
    assert response.status_code < 500, f"{case.operation.label}: {response.text}"


def test_the_fuzzing_reached_the_handlers() -> None:
    """Beyond "no 5xx": the cases were not all stopped at the door (auth, path checks)."""
    if not ANSWERS:
        pytest.skip("runs after test_no_input_makes_the_backend_answer_5xx, in the same session")
    by_operation: dict[str, Counter[int]] = {}
    for (label, status), count in ANSWERS.items():
        by_operation.setdefault(label, Counter())[status] += count
    paths = schema.raw_schema["paths"]
    labels = {f"{method.upper()} {path}" for path in paths for method in paths[path]}
    assert set(by_operation) == labels
    reached = {label: sorted(statuses) for label, statuses in by_operation.items()}
    # Answers only a handler gives, past authentication and the checks of the path:
    assert 200 in reached[f"GET {V1}/changes"], reached
    assert 200 in reached[f"POST {V1}/blobs:missing"], reached
    assert 200 in reached[f"GET {V1}/catalogs/{{name}}"], reached
    assert 404 in reached[f"HEAD {V1}/blobs/{{sha256}}"], reached
    assert 404 in reached[f"GET {V1}/filings/{{uuid}}/receipt"], reached
    assert {201, 202} & set(reached[f"PUT {V1}/blobs/{{sha256}}"]), reached
    assert {201, 409} & set(reached[f"PUT {V1}/filings/{{uuid}}"]), reached
    total = sum(ANSWERS.values())
    print(f"\nschemathesis: {total} requests, no 5xx")
    for label in sorted(by_operation):
        print(f"  {label}: {dict(sorted(by_operation[label].items()))}")


def _make_consistent(case: schemathesis.Case) -> None:
    """Half the valid cases of the uploads: fix what the schema cannot express (see module doc)."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if case.operation.path == f"{V1}/filings/{{uuid}}" and isinstance(case.body, dict):
        filing = str(case.path_parameters.get("uuid", ""))
        if not filing or hashlib.sha256(filing.encode()).digest()[0] % 2:
            return
        case.headers[protocol.HEADER_IDEMPOTENCY_KEY] = filing
        body: dict[str, Any] = case.body
        body.update(uuid=filing, device=DEVICE_CODE, office=OFFICE)
    elif case.operation.path == f"{V1}/blobs/{{sha256}}" and case.method.upper() == "PUT":
        data = getattr(case.body, "data", case.body)  # schemathesis wraps bytes in Binary
        if not isinstance(data, bytes) or not data:
            return
        coin = hashlib.sha256(data).digest()[0]
        if coin % 2:
            return
        # a first chunk (202) or the whole file (201)
        half = len(data) // 2 if len(data) > 1 and coin % 4 else len(data)
        case.path_parameters["sha256"] = hashlib.sha256(data).hexdigest()
        case.headers[protocol.HEADER_CONTENT_RANGE] = protocol.content_range(0, half, len(data))
        case.headers[protocol.HEADER_CHUNK_DIGEST] = hashlib.sha256(data[:half]).hexdigest()
        case.body = data[:half]
