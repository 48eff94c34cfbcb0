"""Attaching scanned pages to a registered filing: a new document, its pages queued for OCR, an
audit event, the scanned-page count raised — or, for bad input, a Spanish refusal and nothing
written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from mailroom import audit, search, tmpfiles
from mailroom.attachments import FilingClosed, attach_pages
from mailroom.capture.pages import CaptureReport
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import DuplicateDocument, NotFound, UnreadableFile
from mailroom.intake import IntakeService
from mailroom.models import FilingId, NewFiling, OcrStatus, Sender
from mailroom.ocr.worker import OcrWorker
from mailroom.samples import render_page_image
from mailroom.store import Store


def scan_pdf(path: Path, *pages: list[str]) -> Path:
    images = [render_page_image(lines, dpi=150) for lines in pages]
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return path


def register(store: Store, settings: Settings, clock: FixedClock, tmp_path: Path) -> str:
    pdf = scan_pdf(tmp_path / "escrito.pdf", ["Solicitud de poda de un árbol"])
    new = NewFiling(Sender("Rosa Elena Salas"), "Poda de árbol", fojas_declared=1)
    return IntakeService(store, settings, clock=clock).register(new, [pdf]).filing.folio


def snapshot(store: Store) -> tuple[int, int, int, int, list[str]]:
    db = store.reader()
    counts = [
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("documents", "pages", "events")
    ]
    scanned = db.execute("SELECT sum(pages_scanned) FROM filings").fetchone()[0]
    return (*counts, scanned, sorted(store.blobs.stored()))  # type: ignore[return-value]


def test_pages_become_a_new_document_queued_for_ocr_with_an_audit_event(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    pdf = scan_pdf(
        tmp_path / "anexo.pdf",
        ["Constancia de propiedad del predio"],
        ["Fotografía del árbol"],
        ["Firma"],
    )
    report = CaptureReport("sane:test:0", scanned_pages=4, blank_removed=(2,), review_pages=(3,))

    attached = attach_pages(store, settings, folio, pdf, report, origin="borrador 7", clock=clock)

    filing = attached.filing
    assert attached.pages == 3 and filing.pages_scanned == 4
    assert filing.blank_pages_removed == 1
    assert [d.ordinal for d in filing.documents] == [1, 2]
    new_document = filing.documents[1]
    assert new_document.id == attached.document_id and new_document.filename == "anexo.pdf"
    assert [p.ocr_status for p in new_document.pages] == [OcrStatus.PENDIENTE] * 3
    assert [p.needs_review for p in new_document.pages] == [False, False, True]
    assert not any(p.needs_review for p in filing.documents[0].pages)
    event = (
        store.reader()
        .execute("SELECT kind, filing_uuid, payload FROM events ORDER BY seq DESC LIMIT 1")
        .fetchone()
    )
    assert event[0] == "documentos_anexados" and event[1] == filing.id
    payload = json.loads(event[2])
    assert payload["documento"]["pages"] == 3 and payload["documento"]["ordinal"] == 2
    assert payload["origen"] == "borrador 7"
    assert payload["captura"]["review_pages"] == [3]
    assert audit.verify_chain(store.reader()).ok
    # The outbox is the sync side's business: attaching does not touch it.
    outbox = store.reader().execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert outbox == 1


def test_attached_pages_are_ocred_and_found_by_search(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    OcrWorker(store, settings).run_until_idle()
    pdf = scan_pdf(tmp_path / "anexo.pdf", ["Dictamen forestal del ayuntamiento"])
    attach_pages(store, settings, folio, pdf, None, clock=clock)

    progress = OcrWorker(store, settings).run_until_idle()

    assert progress.pages_failed == 0 and progress.pages_pending == 0
    hits = search.search(store.reader(), "dictamen forestal").hits
    assert [hit.folio for hit in hits] == [folio]


def test_unknown_folio_is_refused_and_nothing_is_written(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    register(store, settings, clock, tmp_path)
    before = snapshot(store)
    pdf = scan_pdf(tmp_path / "anexo.pdf", ["Otra hoja"])
    with pytest.raises(NotFound, match="No existe un escrito con folio 'OPM-2026-C01-000099'"):
        attach_pages(store, settings, "OPM-2026-C01-000099", pdf, None, clock=clock)
    assert snapshot(store) == before


def test_a_cancelled_filing_gets_nothing(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    store.write(lambda db: db.execute("UPDATE filings SET status = 'cancelada'"))
    before = snapshot(store)
    pdf = scan_pdf(tmp_path / "anexo.pdf", ["Otra hoja"])
    with pytest.raises(FilingClosed, match=f"El escrito {folio} está cancelado"):
        attach_pages(store, settings, folio, pdf, None, clock=clock)
    assert snapshot(store) == before


def test_the_same_pages_are_not_attached_twice(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    pdf = scan_pdf(tmp_path / "anexo.pdf", ["Recibo de pago de derechos"])
    attach_pages(store, settings, folio, pdf, None, clock=clock)
    before = snapshot(store)
    with pytest.raises(DuplicateDocument, match=f"ya forma parte del escrito {folio}"):
        attach_pages(store, settings, folio, pdf, None, clock=clock)
    assert snapshot(store) == before


def test_a_corrupt_file_is_refused_and_nothing_is_written(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    before = snapshot(store)
    broken = tmp_path / "anexo.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\n% cortado a la mitad")
    with pytest.raises(UnreadableFile) as refused:
        attach_pages(store, settings, folio, broken, None, clock=clock)
    assert "anexo.pdf" in refused.value.message
    assert snapshot(store) == before
    assert tmpfiles.work_left(settings.data_dir) == []


def test_a_failure_in_the_same_transaction_rolls_the_attachment_back(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folio = register(store, settings, clock, tmp_path)
    before = snapshot(store)
    pdf = scan_pdf(tmp_path / "anexo.pdf", ["Plano del predio"])

    def refuse(db: sqlite_utils.Database, filing_id: FilingId, document_id: int) -> None:
        raise RuntimeError("falla simulada dentro de la transacción")

    with pytest.raises(RuntimeError):
        attach_pages(store, settings, folio, pdf, None, clock=clock, in_transaction=refuse)
    after = snapshot(store)
    assert after[:4] == before[:4]  # no document, page, event or page count committed
    # Only the blobs written before the transaction remain: orphans the sweep removes.
    assert set(before[4]) <= set(after[4])
