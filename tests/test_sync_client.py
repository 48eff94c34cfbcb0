from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mailroom.config import Settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync import protocol
from sync.client import SyncClient
from sync.enrolment import Enrolment
from sync.errors import ReceiptRejected
from sync.manifest import build_manifest
from tests.sync_fakes import ScriptedTransport, answer

SERVER_KEY = Ed25519PrivateKey.generate()


def enrolment() -> Enrolment:
    import base64

    raw = protocol.public_key_raw(SERVER_KEY.public_key())
    return Enrolment(
        "dev-1",
        "OPM",
        "https://backend.invalid",
        base64.b64encode(raw).decode(),
        protocol.key_id(SERVER_KEY.public_key()),
        "2026-03-09T10:00:00+00:00",
        "",
        None,
        None,
    )


def receipt_for(body: dict[str, Any], *, device: str = "dev-1") -> dict[str, str]:
    receipt = protocol.Receipt(
        filing_uuid=body["uuid"],
        institutional_folio="OPM/2026/000001",
        office="OPM",
        device_id=device,
        manifest_sha256=protocol.manifest_sha256(body),
        server_time="2026-03-09T10:00:05-06:00",
        key_id=protocol.key_id(SERVER_KEY.public_key()),
    )
    return protocol.sign_receipt(SERVER_KEY, receipt).to_dict()


@pytest.fixture
def filing(store: Store, settings: Settings, tmp_path: Path) -> str:
    path = tmp_path / "hoja.jpg"
    render_page_image(["Hoja"], dpi=100).save(path, "JPEG", dpi=(100, 100), quality=80)
    return str(
        IntakeService(store, settings).register(NewFiling(Sender("Ana"), "Hoja"), [path]).filing.id
    )


def test_a_409_missing_uploads_those_blobs_and_commits_again(store: Store, filing: str) -> None:
    manifest = build_manifest(store.reader(), filing)
    sha = manifest.blobs[0].sha256
    commits: list[bytes] = []

    def reply(method: str, path: str, kwargs: dict[str, Any]):  # type: ignore[no-untyped-def]
        if path.endswith("blobs:missing"):
            return answer(200, {"missing": []})  # the server believes it has everything...
        if method == "PUT" and "/filings/" in path:
            commits.append(kwargs["data"])
            if len(commits) == 1:  # ...but the blob was swept meanwhile
                return answer(409, {"error": "faltan_archivos", "message": "m", "missing": [sha]})
            return answer(201, receipt_for(manifest.body))
        if method == "HEAD":
            return answer(404)
        return answer(201, {}, headers={"Upload-Offset": str(manifest.blobs[0].size)})

    transport = ScriptedTransport(reply)
    receipt = SyncClient(store, transport, enrolment()).deliver(filing)

    assert receipt.institutional_folio == "OPM/2026/000001"
    assert commits[0] == commits[1] == protocol.canonical_json(manifest.body)  # identical replay
    assert [c[0] for c in transport.calls].count("PUT") == 3  # commit, blob, commit
    headers = next(c[2]["headers"] for c in transport.calls if "/filings/" in c[1])
    assert headers[protocol.HEADER_IDEMPOTENCY_KEY] == filing


@pytest.mark.parametrize("tamper", ["signature", "device", "manifest"])
def test_receipts_that_do_not_match_are_refused(store: Store, filing: str, tamper: str) -> None:
    manifest = build_manifest(store.reader(), filing)
    good = receipt_for(manifest.body, device="otro" if tamper == "device" else "dev-1")
    if tamper == "signature":
        good["institutional_folio"] = "OPM/2026/999999"  # altered after signing
    if tamper == "manifest":
        other = {**manifest.body, "subject": "otro asunto"}
        good = receipt_for(other)

    def reply(method: str, path: str, kwargs: dict[str, Any]):  # type: ignore[no-untyped-def]
        if path.endswith("blobs:missing"):
            return answer(200, {"missing": []})
        return answer(201, good)

    with pytest.raises(ReceiptRejected, match="no se da por enviado"):
        SyncClient(store, ScriptedTransport(reply), enrolment()).deliver(filing)


def test_recovery_asks_for_the_receipt_before_sending_anything(store: Store, filing: str) -> None:
    manifest = build_manifest(store.reader(), filing)

    def reply(method: str, path: str, kwargs: dict[str, Any]):  # type: ignore[no-untyped-def]
        assert (method, path) == ("GET", f"/v1/filings/{filing}/receipt")
        return answer(200, receipt_for(manifest.body))

    transport = ScriptedTransport(reply)
    receipt = SyncClient(store, transport, enrolment()).deliver(filing, try_recovery=True)
    assert receipt.filing_uuid == filing and len(transport.calls) == 1
    assert datetime.fromisoformat(receipt.server_time).tzinfo is not None
