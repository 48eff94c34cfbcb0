"""The reference backend, for real: uvicorn on 127.0.0.1, plain ``requests``."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from mailroom.tmpfiles import work_left
from sync import protocol
from sync.server.serve import OPENAPI_FILE, openapi_document
from tests.backend_server import BackendServer, running_backend

V1 = protocol.API_PREFIX


@pytest.fixture
def backend_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendServer]:
    """SQLite, or PostgreSQL for the tests marked ``both_engines``."""
    engine = getattr(request, "param", "sqlite")
    url = request.getfixturevalue("postgres_url") if engine == "postgresql" else None
    with running_backend(tmp_path / "servidor", database_url=url) as running:
        yield running


# The core of the protocol runs on both metadata engines (sync/server/sql.py).
both_engines = pytest.mark.parametrize("backend_server", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def faulty_backend_server(tmp_path: Path) -> Iterator[BackendServer]:
    with running_backend(tmp_path / "servidor-fallas", fault_hooks=True) as running:
        yield running


class Device:
    def __init__(self, server: BackendServer, code: str = "C01", office: str = "OPM") -> None:
        answer = requests.post(
            f"{server.url}{V1}/devices/enroll",
            json={"token": server.enrolment_token(office), "device_code": code, "name": code},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        self.server = server
        self.code = code
        self.office = office
        self.enrolment = answer.json()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.enrolment['credential']}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.server.url}{V1}{path}", timeout=10, **kwargs)

    def put_chunk(
        self, data: bytes, start: int, end: int, *, digest: str | None = None
    ) -> requests.Response:
        sha = hashlib.sha256(data).hexdigest()
        return self.call(
            "PUT",
            f"/blobs/{sha}",
            data=data[start:end],
            headers={
                protocol.HEADER_CONTENT_RANGE: protocol.content_range(start, end, len(data)),
                protocol.HEADER_CHUNK_DIGEST: digest or hashlib.sha256(data[start:end]).hexdigest(),
            },
        )

    def upload(self, data: bytes) -> str:
        answer = self.put_chunk(data, 0, len(data))
        assert answer.status_code == 201, answer.text
        return hashlib.sha256(data).hexdigest()

    def manifest(self, blobs: list[str], **extra: Any) -> dict[str, Any]:
        filing = str(uuid.uuid4())
        return {
            "uuid": filing,
            "folio": f"{self.office}-2026-{self.code}-000001",
            "device": self.code,
            "office": self.office,
            "received_at": "2026-03-02T10:15:00-06:00",
            "documents": [
                {
                    "ordinal": n,
                    "filename": f"doc{n}.pdf",
                    "mime": "application/pdf",
                    "sha256": sha,
                    "size": 10,
                    "page_count": 1,
                }
                for n, sha in enumerate(blobs, start=1)
            ],
            "blobs": blobs,
            **extra,
        }

    def commit(self, manifest: dict[str, Any], key: str | None = None) -> requests.Response:
        return self.call(
            "PUT",
            f"/filings/{manifest['uuid']}",
            json=manifest,
            headers={protocol.HEADER_IDEMPOTENCY_KEY: key or manifest["uuid"]},
        )

    def verified(self, body: dict[str, Any]) -> protocol.Receipt:
        receipt = protocol.Receipt.from_dict(body)
        key = protocol.public_key_from_b64(self.enrolment["server_public_key"])
        assert protocol.verify_receipt(key, receipt)
        return receipt


def test_ping_names_the_service_and_the_server_time(backend_server: BackendServer) -> None:
    body = requests.get(f"{backend_server.url}{V1}/ping", timeout=10).json()
    assert body["service"] == protocol.SERVICE_NAME
    assert body["version"] == protocol.PROTOCOL_VERSION
    assert datetime.fromisoformat(body["server_time"]).utcoffset() is not None


@both_engines
def test_a_token_enrols_once(backend_server: BackendServer) -> None:
    token = backend_server.enrolment_token("OPM")
    url = f"{backend_server.url}{V1}/devices/enroll"
    first = requests.post(url, json={"token": token, "device_code": "K01"}, timeout=10)
    assert first.status_code == 201
    body = first.json()
    assert body["office"] == "OPM" and body["device_id"] and body["credential"]
    key = protocol.public_key_from_b64(body["server_public_key"])
    assert protocol.key_id(key) == body["key_id"]
    again = requests.post(url, json={"token": token, "device_code": "K02"}, timeout=10)
    assert again.status_code == 409 and again.json()["error"] == "token_usado"
    unknown = requests.post(url, json={"token": "inventado", "device_code": "K03"}, timeout=10)
    assert unknown.status_code == 401 and unknown.json()["error"] == "token_desconocido"
    assert "administrador" in unknown.json()["message"]
    # Only hashes are kept: neither the token nor the credential appears in the database.
    if backend_server.backend.database_path is not None:
        database = backend_server.backend.database_path.read_bytes()
    else:
        with backend_server.backend.connect() as connection:
            rows = [
                *connection.execute("SELECT * FROM enrolment_tokens").fetchall(),
                *connection.execute("SELECT * FROM devices").fetchall(),
            ]
        database = repr([tuple(row) for row in rows]).encode()
        assert body["device_id"].encode() in database
    assert token.encode() not in database and body["credential"].encode() not in database


def test_an_expired_token_is_refused(backend_server: BackendServer) -> None:
    token = backend_server.enrolment_token(
        "OPM", issued_at=backend_server.backend.now() - timedelta(hours=25)
    )
    answer = requests.post(
        f"{backend_server.url}{V1}/devices/enroll",
        json={"token": token, "device_code": "C01"},
        timeout=10,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "token_vencido"


@both_engines
def test_calls_need_a_valid_credential_and_a_revoked_device_is_told_to_re_enrol(
    backend_server: BackendServer,
) -> None:
    missing = requests.get(f"{backend_server.url}{V1}/changes", timeout=10)
    assert missing.status_code == 401 and missing.json()["error"] == "no_autenticado"
    wrong = requests.get(
        f"{backend_server.url}{V1}/changes", headers={"Authorization": "Bearer x"}, timeout=10
    )
    assert wrong.status_code == 401
    device = Device(backend_server)
    assert device.call("GET", "/changes").status_code == 200
    backend_server.revoke(device.enrolment["device_id"])
    revoked = device.call("GET", "/changes")
    assert revoked.status_code == 403
    assert revoked.json()["error"] == "dispositivo_revocado"
    assert "alta" in revoked.json()["message"]


def test_blob_uploads_in_chunks_and_resumes_after_a_409(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    data = bytes(range(256)) * 4096  # 1 MiB
    sha = hashlib.sha256(data).hexdigest()
    assert device.call("HEAD", f"/blobs/{sha}").status_code == 404
    assert device.call("POST", "/blobs:missing", json={"sha256": [sha]}).json() == {
        "missing": [sha]
    }
    first = device.put_chunk(data, 0, 300_000)
    assert first.status_code == 202 and first.headers[protocol.HEADER_UPLOAD_OFFSET] == "300000"
    head = device.call("HEAD", f"/blobs/{sha}")
    assert head.status_code == 204 and head.headers[protocol.HEADER_UPLOAD_OFFSET] == "300000"
    # The client lost track (say, the 202 never arrived) and sends a later chunk.
    skipped = device.put_chunk(data, 600_000, 900_000)
    assert skipped.status_code == 409
    offset = int(skipped.headers[protocol.HEADER_UPLOAD_OFFSET])
    assert offset == 300_000
    assert device.put_chunk(data, offset, 700_000).status_code == 202
    done = device.put_chunk(data, 700_000, len(data))
    assert done.status_code == 201
    assert device.call("HEAD", f"/blobs/{sha}").status_code == 200
    assert device.call("POST", "/blobs:missing", json={"sha256": [sha]}).json()["missing"] == []
    stored = backend_server.data_dir / "blobs" / sha[:2] / sha
    assert stored.read_bytes() == data
    assert not (backend_server.data_dir / "blobs" / "partial" / sha).exists()
    assert device.put_chunk(data, 0, 10).status_code == 201  # complete: idempotent


def test_a_damaged_chunk_is_refused_and_nothing_is_stored(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    data = b"escrito " * 50_000
    answer = device.put_chunk(data, 0, 100_000, digest="0" * 64)
    assert answer.status_code == 422 and answer.json()["error"] == "fragmento_danado"
    assert device.call("HEAD", f"/blobs/{hashlib.sha256(data).hexdigest()}").status_code == 404


def test_a_blob_whose_whole_hash_is_wrong_is_discarded(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    claimed = hashlib.sha256(b"otro contenido").hexdigest()
    data = b"contenido real" * 1000
    answer = device.call(
        "PUT",
        f"/blobs/{claimed}",
        data=data,
        headers={
            protocol.HEADER_CONTENT_RANGE: protocol.content_range(0, len(data), len(data)),
            protocol.HEADER_CHUNK_DIGEST: hashlib.sha256(data).hexdigest(),
        },
    )
    assert answer.status_code == 422 and answer.json()["error"] == "hash_distinto"
    assert device.call("HEAD", f"/blobs/{claimed}").status_code == 404
    assert list((backend_server.data_dir / "blobs" / "partial").iterdir()) == []


def test_oversized_and_malformed_chunks_are_refused(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    data = b"x" * (protocol.MAX_CHUNK + 1)
    assert device.put_chunk(data, 0, len(data)).status_code == 413
    sha = hashlib.sha256(b"y").hexdigest()
    bad = device.call(
        "PUT",
        f"/blobs/{sha}",
        data=b"y",
        headers={protocol.HEADER_CONTENT_RANGE: "bytes 5-1/2", protocol.HEADER_CHUNK_DIGEST: sha},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "rango_invalido"
    no_headers = device.call("PUT", f"/blobs/{sha}", data=b"y")
    assert no_headers.status_code == 400
    assert device.call("HEAD", "/blobs/NOTAHASH").status_code == 400


@both_engines
def test_filing_commit_replay_and_conflicts(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    sha = device.upload(b"%PDF-1.7 escrito de prueba")
    manifest = device.manifest([sha], sender={"name": "Juana Pérez"})
    first = device.commit(manifest)
    assert first.status_code == 201, first.text
    receipt = device.verified(first.json())
    year = backend_server.backend.now().year
    assert receipt.institutional_folio == f"OPM/{year}/000001"
    assert receipt.manifest_sha256 == protocol.manifest_sha256(manifest)
    assert receipt.device_id == device.enrolment["device_id"]
    replay = device.commit(manifest)
    assert replay.status_code == 200 and replay.json() == first.json()
    fetched = device.call("GET", f"/filings/{manifest['uuid']}/receipt")
    assert fetched.status_code == 200 and fetched.json() == first.json()
    changed = device.commit({**manifest, "folio": "OPM-2026-C01-000099"})
    assert changed.status_code == 422 and changed.json()["error"] == "manifiesto_distinto"
    absent = hashlib.sha256(b"nunca subido").hexdigest()
    missing = device.commit(device.manifest([sha, absent]))
    assert missing.status_code == 409
    assert missing.json()["error"] == "faltan_archivos" and missing.json()["missing"] == [absent]
    unknown = device.call("GET", f"/filings/{uuid.uuid4()}/receipt")
    assert unknown.status_code == 404


@both_engines
def test_documents_added_later_make_a_new_revision_under_the_same_folio(
    backend_server: BackendServer,
) -> None:
    device = Device(backend_server)
    first_sha = device.upload(b"%PDF-1.7 escrito de ventanilla")
    manifest = device.manifest([first_sha], pages_scanned=1, subject="Licencia")
    first = device.verified(device.commit(manifest).json())
    later_sha = hashlib.sha256(b"%PDF-1.7 hojas escaneadas despues").hexdigest()
    added = {
        **manifest,
        "documents": [
            *manifest["documents"],
            {**manifest["documents"][0], "ordinal": 2, "sha256": later_sha, "page_count": 3},
        ],
        "pages_scanned": 4,
        "blobs": sorted([first_sha, later_sha]),
    }
    # The new document must be uploaded first, like any filing's.
    waiting = device.commit(added)
    assert waiting.status_code == 409 and waiting.json()["missing"] == [later_sha]
    device.upload(b"%PDF-1.7 hojas escaneadas despues")

    second_answer = device.commit(added)
    assert second_answer.status_code == 201, second_answer.text
    second = device.verified(second_answer.json())
    assert second.institutional_folio == first.institutional_folio
    assert second.manifest_sha256 == protocol.manifest_sha256(added)
    # Replays of either revision get their own receipt back; the filing now is the second.
    assert device.commit(added).json() == second_answer.json()
    late_retry = device.commit(manifest)
    assert late_retry.status_code == 200 and device.verified(late_retry.json()) == first
    fetched = device.call("GET", f"/filings/{manifest['uuid']}/receipt").json()
    assert fetched == second_answer.json()
    # Changing what was already delivered, or dropping a document, is still refused.
    for bad in (
        {**added, "subject": "Otra cosa"},
        {**added, "documents": added["documents"][1:], "pages_scanned": 3},
        {**added, "pages_scanned": 9},
    ):
        refused = device.commit(bad)
        assert refused.status_code == 422 and refused.json()["error"] == "manifiesto_distinto"


def test_filing_requests_are_checked(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    sha = device.upload(b"contenido")
    manifest = device.manifest([sha])
    assert device.commit(manifest, key=str(uuid.uuid4())).status_code == 400
    other_device = {**manifest, "device": "K09"}
    assert device.commit(other_device).status_code == 403
    incomplete = {k: v for k, v in manifest.items() if k != "received_at"}
    answer = device.commit(incomplete)
    assert answer.status_code == 400 and "received_at" in answer.json()["message"]
    not_json = device.call(
        "PUT",
        f"/filings/{manifest['uuid']}",
        data=b"{no es json",
        headers={protocol.HEADER_IDEMPOTENCY_KEY: manifest["uuid"]},
    )
    assert not_json.status_code == 400 and not_json.json()["error"] == "json_invalido"


def test_json_that_parses_but_cannot_be_kept_is_a_400_not_a_500(
    backend_server: BackendServer,
) -> None:
    # Regression: a lone surrogate ("\ud800", valid JSON escape, not UTF-8) made the enrolment
    # (hashing the token, storing the name) and the commit (hashing the manifest) fail with a
    # 500, and so did nesting deep enough to exhaust json.loads' recursion.
    device = Device(backend_server)
    enroll = f"{backend_server.url}{V1}/devices/enroll"
    json_headers = {"Content-Type": "application/json"}
    surrogate_token = b'{"token": "\\ud800", "device_code": "K05"}'
    token = backend_server.enrolment_token("OPM").encode()
    surrogate_name = b'{"token": "' + token + b'", "device_code": "K06", "name": "\\udfff"}'
    manifest = device.manifest([])
    surrogate_folio = json.dumps(manifest).replace(manifest["folio"], "\\ud83d").encode()
    deep = b'{"sha256": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answers = [
        requests.post(enroll, data=surrogate_token, headers=json_headers, timeout=10),
        requests.post(enroll, data=surrogate_name, headers=json_headers, timeout=10),
        device.call(
            "PUT",
            f"/filings/{manifest['uuid']}",
            data=surrogate_folio,
            headers={**json_headers, protocol.HEADER_IDEMPOTENCY_KEY: manifest["uuid"]},
        ),
        device.call("POST", "/blobs:missing", data=deep, headers=json_headers),
    ]
    assert [(a.status_code, a.json()["error"]) for a in answers] == [(400, "json_invalido")] * 4
    # The token was not spent by the refused enrolment, and surrogate *pairs* are fine.
    fine = requests.post(
        enroll,
        json={"token": token.decode(), "device_code": "K06", "name": "\U0001f4c4"},
        timeout=10,
    )
    assert fine.status_code == 201, fine.text
    assert device.commit(manifest).status_code == 201


@both_engines
def test_folios_are_unique_and_sequential_under_concurrent_commits(
    backend_server: BackendServer,
) -> None:
    devices = [Device(backend_server, "C01"), Device(backend_server, "C02")]
    other_office = Device(backend_server, "N01", office="OPN")
    sha = devices[0].upload(b"anexo compartido")
    folios: list[str] = []
    errors: list[str] = []

    def commit_many(device: Device) -> None:
        for _ in range(15):
            answer = device.commit(device.manifest([sha]))
            if answer.status_code != 201:
                errors.append(answer.text)
            else:
                folios.append(answer.json()["institutional_folio"])

    threads = [threading.Thread(target=commit_many, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    year = backend_server.backend.now().year
    assert sorted(folios) == [f"OPM/{year}/{n:06d}" for n in range(1, 31)]
    separate = other_office.commit(other_office.manifest([sha]))
    assert separate.json()["institutional_folio"] == f"OPN/{year}/000001"


@both_engines
def test_the_same_uuid_committed_twice_at_once_yields_one_receipt(
    backend_server: BackendServer,
) -> None:
    device = Device(backend_server)
    manifest = device.manifest([device.upload(b"carrera")])
    answers: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: answers.append(device.commit(manifest))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1


def test_two_devices_upload_the_same_blob_at_once(backend_server: BackendServer) -> None:
    devices = [Device(backend_server, "C01"), Device(backend_server, "C02")]
    data = bytes(range(256)) * 2048
    results: list[int] = []

    def upload(device: Device) -> None:
        offset = 0
        while offset < len(data):
            end = min(offset + 128 * 1024, len(data))
            answer = device.put_chunk(data, offset, end)
            if answer.status_code == 201:
                break
            assert answer.status_code in (202, 409), answer.text
            offset = int(answer.headers[protocol.HEADER_UPLOAD_OFFSET])
        results.append(answer.status_code)

    threads = [threading.Thread(target=upload, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201, 201]
    sha = hashlib.sha256(data).hexdigest()
    assert (backend_server.data_dir / "blobs" / sha[:2] / sha).read_bytes() == data


@both_engines
def test_catalogs_carry_an_etag(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    for name in protocol.CATALOGS:
        answer = device.call("GET", f"/catalogs/{name}")
        assert answer.status_code == 200 and answer.json()["items"], name
    first = device.call("GET", "/catalogs/departments")
    etag = first.headers["ETag"]
    assert any(item["code"] == "TES" for item in first.json()["items"])
    same = device.call("GET", "/catalogs/departments", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.headers["ETag"] == etag
    backend_server.set_catalog("departments", [{"code": "X", "name": "Nueva dirección"}])
    changed = device.call("GET", "/catalogs/departments", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["items"] == [{"code": "X", "name": "Nueva dirección"}]
    assert device.call("GET", "/catalogs/planetas").status_code == 404


@both_engines
def test_changes_feed_reports_marks_for_the_office_only(backend_server: BackendServer) -> None:
    device = Device(backend_server)
    stranger = Device(backend_server, "N01", office="OPN")
    manifest = device.manifest([device.upload(b"para turnar")])
    assert device.commit(manifest).status_code == 201
    backend_server.mark(manifest["uuid"], "turnada", "A Obras Públicas")
    backend_server.mark(manifest["uuid"], "atendida")
    feed = device.call("GET", "/changes", params={"since": 0}).json()
    assert [(c["filing_uuid"], c["status"]) for c in feed["changes"]] == [
        (manifest["uuid"], "turnada"),
        (manifest["uuid"], "atendida"),
    ]
    assert feed["changes"][0]["note"] == "A Obras Públicas"
    assert feed["next"] == feed["changes"][-1]["cursor"]
    page = device.call("GET", "/changes", params={"since": 0, "limit": 1}).json()
    assert len(page["changes"]) == 1 and page["next"] == feed["changes"][0]["cursor"]
    after = device.call("GET", "/changes", params={"since": feed["next"]}).json()
    assert after == {"changes": [], "next": feed["next"]}
    assert stranger.call("GET", "/changes").json()["changes"] == []
    assert stranger.call("GET", f"/filings/{manifest['uuid']}/receipt").status_code == 404


def test_fault_hook_commit_then_drop_the_answer(faulty_backend_server: BackendServer) -> None:
    device = Device(faulty_backend_server)
    manifest = device.manifest([device.upload(b"corte de red")])
    faulty_backend_server.drop_after_commit(1)
    with pytest.raises(requests.ConnectionError):
        device.commit(manifest)
    replay = device.commit(manifest)
    assert replay.status_code == 200  # it had been committed
    device.verified(replay.json())


@pytest.mark.parametrize("status", [503, 429])
def test_fault_hook_unavailable_with_retry_after(
    faulty_backend_server: BackendServer, status: int
) -> None:
    faulty_backend_server.fail_next(2, status=status, retry_after=7)
    url = f"{faulty_backend_server.url}{V1}/ping"
    for _ in range(2):
        answer = requests.get(url, timeout=10)
        assert answer.status_code == status and answer.headers["Retry-After"] == "7"
    assert requests.get(url, timeout=10).status_code == 200


def test_fault_hook_captive_portal(faulty_backend_server: BackendServer) -> None:
    url = f"{faulty_backend_server.url}{V1}/ping"
    faulty_backend_server.captive_portal(True)
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    faulty_backend_server.captive_portal(False)
    assert requests.get(url, timeout=10).json()["service"] == protocol.SERVICE_NAME


def test_fault_hooks_switch_over_http_only_when_enabled(
    faulty_backend_server: BackendServer, backend_server: BackendServer
) -> None:
    control = f"{faulty_backend_server.url}/_faults"
    assert requests.post(control, json={"captive_portal": True}, timeout=10).status_code == 200
    ping = requests.get(f"{faulty_backend_server.url}{V1}/ping", timeout=10)
    assert ping.headers["content-type"].startswith("text/html")
    assert requests.post(control, json={"reset": True}, timeout=10).status_code == 200
    closed = requests.post(f"{backend_server.url}/_faults", json={"fail_next": 5}, timeout=10)
    assert closed.status_code == 404
    assert requests.get(f"{backend_server.url}{V1}/ping", timeout=10).status_code == 200


def test_the_served_openapi_document_is_the_committed_one(backend_server: BackendServer) -> None:
    served = requests.get(f"{backend_server.url}/openapi.json", timeout=10).json()
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert served == committed, (
        "regenere con: oficialia backend openapi -o sync/server/openapi.json"
    )
    assert OPENAPI_FILE.read_text(encoding="utf-8") == openapi_document(backend_server.backend)


def test_the_server_key_is_private_and_survives_restarts(tmp_path: Path) -> None:
    with running_backend(tmp_path / "s") as first:
        key_id = first.backend.key_id
    key_file = tmp_path / "s" / "server-signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    with running_backend(tmp_path / "s") as second:
        assert second.backend.key_id == key_id


@both_engines
def test_admin_commands_drive_a_running_server(
    backend_server: BackendServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailroom.cli import main

    data = ["--data-dir", str(backend_server.data_dir)]
    if backend_server.backend.config.database_url:
        data += ["--database-url", backend_server.backend.config.database_url]
    assert main(["backend", "token", "--office", "OPM", *data]) == 0
    token = capsys.readouterr().out.strip()
    enrolled = requests.post(
        f"{backend_server.url}{V1}/devices/enroll",
        json={"token": token, "device_code": "C07"},
        timeout=10,
    )
    assert enrolled.status_code == 201
    device = Device.__new__(Device)
    device.server, device.code, device.office = backend_server, "C07", "OPM"
    device.enrolment = enrolled.json()
    device.session = requests.Session()
    device.session.headers["Authorization"] = f"Bearer {device.enrolment['credential']}"
    manifest = device.manifest([device.upload(b"por CLI")])
    assert device.commit(manifest).status_code == 201

    assert main(["backend", "marcar", manifest["uuid"], "--estado", "atendida", *data]) == 0
    assert device.call("GET", "/changes").json()["changes"][0]["status"] == "atendida"
    assert main(["backend", "marcar", manifest["uuid"], "--estado", "perdida", *data]) == 65
    assert "perdida" in capsys.readouterr().err
    assert main(["backend", "marcar", str(uuid.uuid4()), "--estado", "atendida", *data]) == 4

    catalog = tmp_path / "tramites.json"
    catalog.write_text(json.dumps([{"code": "T1", "name": "Trámite"}]), encoding="utf-8")
    assert main(["backend", "catalogo", "procedures", str(catalog), *data]) == 0
    assert device.call("GET", "/catalogs/procedures").json()["items"][0]["code"] == "T1"

    assert main(["backend", "revocar", device.enrolment["device_id"], *data]) == 0
    assert device.call("GET", "/changes").status_code == 403
    assert main(["backend", "revocar", "dev_inexistente", *data]) == 4

    output = tmp_path / "openapi.json"
    assert main(["backend", "openapi", "-o", str(output), *data]) == 0
    assert output.read_text(encoding="utf-8") == OPENAPI_FILE.read_text(encoding="utf-8")
    # Built over a throw-away backend in the data folder's tmp/, which is gone afterwards.
    assert work_left(backend_server.data_dir) == []


@both_engines
def test_a_filing_uuid_in_another_spelling_is_refused(backend_server: BackendServer) -> None:
    """One filing, one spelling: braces, capitals or ``urn:uuid:`` would store it twice."""
    device = Device(backend_server)
    manifest = device.manifest([device.upload(b"escrito " * 100)])
    canonical = manifest["uuid"]
    for spelling in (canonical.upper(), "{" + canonical + "}", "urn:uuid:" + canonical,
                     canonical.replace("-", "")):  # fmt: skip
        answer = device.commit({**manifest, "uuid": spelling}, key=spelling)
        assert answer.status_code == 400, (spelling, answer.text)
        assert answer.json()["error"] == "uuid_invalido"
        assert device.call("GET", f"/filings/{spelling}/receipt").status_code == 400
    assert device.commit(manifest).status_code == 201
    with backend_server.backend.connect() as connection:
        assert connection.execute("SELECT count(*) FROM filings").fetchone()[0] == 1
