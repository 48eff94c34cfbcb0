from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailroom import audit, search, tmpfiles
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import DuplicateDocument, InvalidInput, UnreadableFile
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.models import Addressee, Annex, AreaRole, NewFiling, OcrStatus, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store

ZONE = ZoneInfo("America/Mexico_City")


def scan(path: Path, *lines: str) -> Path:
    render_page_image(list(lines) or ["Solicitud de licencia"], dpi=150).save(
        path, "JPEG", dpi=(150, 150), quality=80
    )
    return path


def filing(**changes) -> NewFiling:
    base = NewFiling(
        sender=Sender("María Peña Ávalos", curp="HEGT761003MDFRNN07"),
        subject="Solicitud de licencia de construcción",
        addressees=(Addressee("Desarrollo Urbano"), Addressee("Tesorería", AreaRole.COPIA)),
        fojas_declared=1,
        annexes=(Annex("Copia de identificación", 1),),
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def service(store: Store, settings: Settings, clock: FixedClock) -> IntakeService:
    return IntakeService(store, settings, clock=clock)


def test_registration_assigns_folio_and_queues_ocr(
    service: IntakeService, store: Store, tmp_path: Path
) -> None:
    registered = service.register(filing(), [scan(tmp_path / "escrito.jpg")])
    result = registered.filing
    assert result.folio == "OPM-2026-C01-000001"
    assert result.received_at.isoformat() == "2026-03-09T10:30:00-06:00"
    assert result.status.value == "registrada" and result.sync_status.value == "pendiente"
    assert result.sender.curp == "HEGT761003MDFRNN07"
    assert [a.area for a in result.addressees] == ["Desarrollo Urbano", "Tesorería"]
    assert result.pages_scanned == 1 and result.fojas_match is True
    assert registered.warnings == ()
    [document] = result.documents
    assert document.pages[0].ocr_status is OcrStatus.PENDIENTE  # registration did not wait
    assert store.blobs.verify(document.sha256)
    db = store.reader()
    assert (
        db.execute("SELECT count(*) FROM outbox WHERE filing_uuid = ?", [result.id]).fetchone()[0]
        == 1
    )
    assert [e["kind"] for e in db.query("SELECT kind FROM events")] == ["escrito_registrado"]
    assert search.search(db, "OPM-2026-C01-000001").hits[0].folio == result.folio
    assert search.search(db, "Pena").hits[0].folio == result.folio


def test_folios_are_sequential_per_device_and_year(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    march = FixedClock(datetime(2026, 3, 9, 10, 0, tzinfo=ZONE))
    service = IntakeService(store, settings, clock=march)
    folios = [
        service.register(
            filing(subject=f"Asunto {i}"), [scan(tmp_path / f"{i}.jpg", f"Escrito número {i}")]
        ).filing.folio
        for i in range(3)
    ]
    assert folios == [f"OPM-2026-C01-00000{i}" for i in (1, 2, 3)]
    next_year = IntakeService(
        store, settings, clock=FixedClock(datetime(2027, 1, 2, 9, 0, tzinfo=ZONE))
    )
    assert (
        next_year.register(filing(), [scan(tmp_path / "a.jpg", "Otro año")]).filing.folio
        == "OPM-2027-C01-000001"
    )
    kiosk = IntakeService(store, dataclasses.replace(settings, device="K02"), clock=march)
    assert (
        kiosk.register(filing(), [scan(tmp_path / "b.jpg", "Quiosco")]).filing.folio
        == "OPM-2026-K02-000001"
    )


def test_failed_registration_leaves_no_gap_and_no_rows(
    service: IntakeService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disco lleno a media transacción")

    monkeypatch.setattr(audit, "append_event", broken)
    with pytest.raises(RuntimeError):
        service.register(filing(), [scan(tmp_path / "x.jpg", "Primero")])
    monkeypatch.undo()
    db = store.reader()
    assert db.execute("SELECT count(*) FROM filings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert (
        service.register(filing(), [scan(tmp_path / "y.jpg", "Segundo")]).filing.folio
        == "OPM-2026-C01-000001"
    )


def test_declared_fojas_differing_from_scanned_pages_warns(
    service: IntakeService, tmp_path: Path
) -> None:
    registered = service.register(filing(fojas_declared=3), [scan(tmp_path / "e.jpg")])
    assert registered.filing.fojas_match is False
    assert registered.warnings == (
        "Se declararon 3 fojas y se digitalizaron 1 páginas; ambas cifras constan en el acuse.",
    )


def test_duplicate_document_is_refused_with_its_folio_then_allowed_with_a_reason(
    service: IntakeService, store: Store, tmp_path: Path
) -> None:
    page = scan(tmp_path / "escrito.jpg", "Queja vecinal")
    first = service.register(filing(), [page]).filing
    with pytest.raises(DuplicateDocument) as refused:
        service.register(filing(subject="Otra vez"), [page])
    assert refused.value.folios == [first.folio]
    assert f"ya se registró con el folio {first.folio}" in str(refused.value)
    assert store.reader().execute("SELECT count(*) FROM filings").fetchone()[0] == 1

    again = service.register(
        filing(duplicate_override_reason="El ciudadano lo presenta de nuevo para otra área"), [page]
    )
    assert again.filing.folio == "OPM-2026-C01-000002"
    assert any("documento repetido" in w for w in again.warnings)
    payload = store.reader().execute("SELECT payload FROM events ORDER BY seq DESC").fetchone()[0]
    assert "para otra área" in payload


def test_same_file_twice_in_one_filing_is_refused(service: IntakeService, tmp_path: Path) -> None:
    page = scan(tmp_path / "p.jpg")
    with pytest.raises(InvalidInput, match="son el mismo documento"):
        service.register(filing(), [page, page])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sender": Sender("   ")}, "El nombre del remitente es obligatorio"),
        ({"subject": ""}, "El asunto es obligatorio"),
        ({"sender": Sender("Ana", curp="HEGT761003MDFRNN08")}, "CURP"),
        ({"sender": Sender("Ana", rfc="HEGT7610034S3")}, "RFC"),
        ({"fojas_declared": -1}, "negativas"),
        ({"sender": Sender("Ana", email="ana-en-correo")}, "correo"),
    ],
)
def test_invalid_fields_are_refused_before_anything_is_stored(
    service: IntakeService, store: Store, tmp_path: Path, changes: dict, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.register(filing(**changes), [scan(tmp_path / "v.jpg")])
    assert store.reader().execute("SELECT count(*) FROM filings").fetchone()[0] == 0
    assert list(store.blobs.stored()) == []


def test_unreadable_file_registers_nothing_and_leaves_no_files(
    service: IntakeService, store: Store, settings: Settings, tmp_path: Path
) -> None:
    good = scan(tmp_path / "bueno.jpg")
    empty = tmp_path / "vacio.pdf"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="vacio.pdf"):
        service.register(filing(), [good, empty])
    db = store.reader()
    assert db.execute("SELECT count(*) FROM filings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM folio_sequences").fetchone()[0] == 0
    assert list(store.blobs.stored()) == []
    assert tmpfiles.work_left(settings.data_dir) == []


def test_reading_back_by_folio_and_id(service: IntakeService, store: Store, tmp_path: Path) -> None:
    result = service.register(filing(), [scan(tmp_path / "r.jpg")]).filing
    assert get_filing(store.reader(), result.folio) == result
    assert get_filing(store.reader(), result.id).folio == result.folio


def test_a_blank_sheet_is_kept_and_flagged(service: IntakeService, tmp_path: Path) -> None:
    from PIL import Image

    from mailroom.samples import degrade

    written = render_page_image(["Escrito con reverso en blanco"], dpi=150)
    blank = degrade(Image.new("L", written.size, 255), skew_degrees=0.4, noise=0.05, seed=2)
    path = tmp_path / "dos-caras.tif"
    written.save(path, "TIFF", save_all=True, append_images=[blank], dpi=(150, 150))
    registered = service.register(filing(fojas_declared=2), [path])
    pages = registered.filing.documents[0].pages
    assert [p.blank for p in pages] == [False, True]
    assert registered.filing.pages_scanned == 2  # every sheet stays on the register
    assert registered.warnings == (
        "dos-caras.tif: la página 2 parece estar en blanco; revise que se haya digitalizado "
        "el lado correcto.",
    )


def test_registration_stores_the_unsealed_acuse_in_the_same_transaction(
    service: IntakeService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailroom import acuses

    def broken(*args, **kwargs):
        raise RuntimeError("falló el acuse a media transacción")

    monkeypatch.setattr(acuses, "build_acuse", broken)
    with pytest.raises(RuntimeError):
        service.register(filing(), [scan(tmp_path / "x.jpg", "Primero")])
    monkeypatch.undo()
    db = store.reader()
    assert db.execute("SELECT count(*) FROM filings").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM acuses").fetchone()[0] == 0

    registered = service.register(filing(), [scan(tmp_path / "y.jpg", "Segundo")]).filing
    assert registered.folio == "OPM-2026-C01-000001"
    row = next(db.query("SELECT * FROM acuses WHERE filing_uuid = ?", [registered.id]))
    assert row["seal_state"] == "pendiente" and row["sealed_sha256"] is None
    assert store.blobs.verify(row["unsealed_sha256"])
    assert row["created_at"] == "2026-03-09T10:30:00-06:00"


def test_a_scan_capture_report_is_kept_with_the_filing(
    service: IntakeService, store: Store, tmp_path: Path
) -> None:
    from mailroom.capture.pages import CaptureReport

    pages = [scan(tmp_path / f"{n}.jpg", f"Hoja {n} del escrito") for n in (1, 2)]
    report = CaptureReport("sane:test:0", scanned_pages=3, blank_removed=(2,), review_pages=(2,))

    registered = service.register(filing(fojas_declared=3), pages, capture=report)

    saved = get_filing(store.reader(), registered.filing.id)
    assert saved.capture_source == "sane:test:0" and saved.blank_pages_removed == 1
    assert [p.needs_review for d in saved.documents for p in d.pages] == [False, True]
    assert registered.warnings == (
        "Se declararon 3 fojas y se digitalizaron 2 páginas (1 en blanco retirada); "
        "ambas cifras constan en el acuse.",
        "2.jpg: la página 1 tiene muy poco contenido (¿solo una firma o una palabra?); revísela.",
    )
    (payload,) = (
        store.reader()
        .execute("SELECT payload FROM events WHERE kind = 'escrito_registrado'")
        .fetchone()
    )
    assert json.loads(payload)["captura"]["blank_removed"] == [2]
