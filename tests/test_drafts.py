"""Borradores: a scanned group kept until a clerk registers it, attaches it or discards it — each
exactly once, with the scan and what the capture did to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailroom import audit, drafts, tmpfiles
from mailroom.capture.pages import CaptureReport
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.drafts import (
    DraftKind,
    DraftService,
    DraftState,
    DraftUnavailable,
    FileAlreadyTaken,
    NewDraft,
    WatchedFile,
)
from mailroom.errors import InvalidInput, NotFound
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, OcrStatus, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from mailroom.store.check import check_store
from tests.sane_env import DEFAULT_TEST_OPTIONS, sane_environment, write_sane_config
from tests.test_capture_watch import ROOT, batch_bytes


def scan_pdf(path: Path, *pages: str) -> Path:
    images = [render_page_image([text], dpi=150) for text in pages]
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return path


def new_draft(tmp_path: Path, name: str, *pages: str, **changes: object) -> NewDraft:
    values: dict[str, object] = {
        "source": "sane:test:0",
        "origin": f"lote de prueba, grupo {name}",
        "kind": DraftKind.NUEVO,
        "pdf": scan_pdf(tmp_path / f"{name}.pdf", *pages),
        "page_count": len(pages),
        "capture": CaptureReport("sane:test:0", len(pages) + 1, blank_removed=(2,)),
    }
    values.update(changes)
    return NewDraft(**values)  # type: ignore[arg-type]


def form() -> NewFiling:
    return NewFiling(Sender("Juan Carlos Ibarra Soto"), "Solicitud de alumbrado público")


@pytest.fixture
def service(store: Store, settings: Settings, clock: FixedClock) -> DraftService:
    return DraftService(store, settings, clock=clock)


def filings_count(store: Store) -> int:
    return int(store.reader().execute("SELECT count(*) FROM filings").fetchone()[0])


def test_drafts_keep_their_scan_and_capture_report_until_a_clerk_acts(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    first, second = service.create(
        [
            new_draft(tmp_path, "a", "Solicitud de alumbrado", "Croquis de la calle"),
            new_draft(tmp_path, "b", "Queja por baches"),
        ]
    )
    assert (first.id, second.id) == (1, 2)
    assert first.state is DraftState.PENDIENTE and first.page_count == 2
    assert first.capture == CaptureReport("sane:test:0", 3, blank_removed=(2,))
    assert store.blobs.verify(first.pdf_sha256)
    assert [d.id for d in service.list_drafts()] == [1, 2]
    # The scan is referenced: a sweep of orphans, however old, spares it.
    report = check_store(store, sweep=True, sweep_older_than_seconds=0)
    assert report.ok and first.pdf_sha256 not in report.swept
    assert store.blobs.exists(first.pdf_sha256)
    event = store.reader().execute("SELECT kind, payload FROM events").fetchone()
    assert event[0] == "borradores_creados" and json.loads(event[1])["borradores"] == [1, 2]


def test_registering_a_draft_gives_a_filing_with_its_pages_and_capture_report(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    [draft] = service.create(
        [
            new_draft(
                tmp_path,
                "a",
                "Solicitud de alumbrado",
                "Firma",
                capture=CaptureReport("sane:test:0", 3, blank_removed=(2,), review_pages=(2,)),
            )
        ]
    )

    registration = service.register(draft.id, form())

    filing = registration.filing
    assert filing.folio == "OPM-2026-C01-000001"
    assert filing.pages_scanned == 2 and filing.blank_pages_removed == 1
    assert filing.capture_source == "sane:test:0"
    [document] = filing.documents
    assert document.filename == f"borrador-{draft.id}.pdf"
    assert document.sha256 == draft.pdf_sha256  # the very scan the clerk saw
    assert [p.ocr_status for p in document.pages] == [OcrStatus.PENDIENTE] * 2
    assert [p.needs_review for p in document.pages] == [False, True]
    assert any("muy poco contenido" in w for w in registration.warnings)
    registered = service.get(draft.id)
    assert registered.state is DraftState.REGISTRADO and registered.filing_id == filing.id
    assert service.list_drafts() == []
    assert tmpfiles.work_left(store.data_dir) == []


def test_a_draft_is_never_registered_twice(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    [draft] = service.create([new_draft(tmp_path, "a", "Solicitud de alumbrado")])
    service.register(draft.id, form())
    with pytest.raises(DraftUnavailable, match=f"El borrador {draft.id} ya se registró"):
        service.register(draft.id, form())
    assert filings_count(store) == 1


def test_two_clerks_registering_the_same_draft_get_one_filing(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check under the write lock holds even when both passed the first look: the second
    registration is refused inside its transaction and takes no folio."""
    service = DraftService(store, settings, clock=clock)
    [draft] = service.create([new_draft(tmp_path, "a", "Solicitud de alumbrado")])
    late = DraftService(store, settings, clock=clock)
    stale = late.get(draft.id)  # read while still pending
    service.register(draft.id, form())

    # The late clerk's first look passed (it saw the draft pending) before the other committed.
    monkeypatch.setattr(late, "_pending", lambda *_: stale)
    override = NewFiling(Sender("Otra persona"), "Otro asunto", duplicate_override_reason="x")
    with pytest.raises(DraftUnavailable, match="ya se registró"):
        late.register(draft.id, override)
    assert filings_count(store) == 1
    last_seq = store.reader().execute("SELECT last_seq FROM folio_sequences").fetchone()[0]
    assert last_seq == 1


def test_a_failure_between_filing_and_draft_update_leaves_neither(
    service: DraftService, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filing and draft commit in one transaction: a crash after the filing rows are written
    but before the draft is marked rolls both back, so a retry registers exactly once."""
    [draft] = service.create([new_draft(tmp_path, "a", "Solicitud de alumbrado")])

    def crash(*args: object) -> None:
        raise RuntimeError("corte de luz simulado")

    monkeypatch.setattr(drafts, "_mark_registered", crash)
    with pytest.raises(RuntimeError):
        service.register(draft.id, form())
    assert filings_count(store) == 0
    assert service.get(draft.id).state is DraftState.PENDIENTE
    monkeypatch.undo()

    filing = service.register(draft.id, form()).filing
    assert filing.folio == "OPM-2026-C01-000001"  # the failed attempt used no folio
    assert filings_count(store) == 1
    assert audit.verify_chain(store.reader()).ok


def test_an_anexo_draft_attaches_to_the_filing_its_caratula_named(
    service: DraftService, store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    other = IntakeService(store, settings, clock=clock).register(
        form(), [scan_pdf(tmp_path / "otro.pdf", "Otro escrito")]
    )
    target = IntakeService(store, settings, clock=clock).register(
        form(), [scan_pdf(tmp_path / "escrito.pdf", "Escrito original")]
    )
    [draft] = service.create(
        [
            new_draft(
                tmp_path,
                "anexo",
                "Recibo de pago",
                "Plano",
                kind=DraftKind.ANEXO,
                target_folio=target.filing.folio,
            )
        ]
    )
    with pytest.raises(DraftUnavailable, match="borradores anexar"):
        service.register(draft.id, form())

    attached = service.attach(draft.id)

    assert attached.filing.id == target.filing.id and attached.pages == 2
    assert len(attached.filing.documents) == 2 and attached.filing.pages_scanned == 3
    assert len(get_filing(store.reader(), other.filing.folio).documents) == 1
    used = service.get(draft.id)
    assert used.state is DraftState.REGISTRADO and used.filing_id == target.filing.id
    event = (
        store.reader()
        .execute("SELECT kind, filing_uuid, payload FROM events ORDER BY seq DESC LIMIT 1")
        .fetchone()
    )
    assert event[0] == "documentos_anexados" and event[1] == target.filing.id
    assert json.loads(event[2])["origen"].startswith(f"borrador {draft.id}")
    with pytest.raises(DraftUnavailable, match="ya se registró"):
        service.attach(draft.id)
    assert len(get_filing(store.reader(), target.filing.folio).documents) == 2


def test_an_anexo_draft_for_an_unknown_folio_stays_pending(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    [draft] = service.create(
        [new_draft(tmp_path, "x", "Hoja", kind=DraftKind.ANEXO, target_folio="OPM-2026-C01-9")]
    )
    with pytest.raises(NotFound, match="OPM-2026-C01-9"):
        service.attach(draft.id)
    assert service.get(draft.id).state is DraftState.PENDIENTE
    [without_folio] = service.create([new_draft(tmp_path, "y", "Hoja dos", kind=DraftKind.ANEXO)])
    with pytest.raises(InvalidInput, match="indíquelo con --folio"):
        service.attach(without_folio.id)


def test_discarding_needs_a_reason_and_is_final(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    [draft] = service.create([new_draft(tmp_path, "a", "Hoja de prueba del escáner")])
    with pytest.raises(InvalidInput, match="Diga por qué se descarta"):
        service.discard(draft.id, "  ")
    discarded = service.discard(draft.id, "hoja de prueba, no es un escrito")
    assert discarded.state is DraftState.DESCARTADO
    assert discarded.reason == "hoja de prueba, no es un escrito"
    with pytest.raises(DraftUnavailable, match="fue descartado"):
        service.register(draft.id, form())
    with pytest.raises(DraftUnavailable, match="fue descartado"):
        service.discard(draft.id, "otra vez")
    assert filings_count(store) == 0
    kinds = [r[0] for r in store.reader().execute("SELECT kind FROM events ORDER BY seq")]
    assert kinds == ["borradores_creados", "borrador_descartado"]


def test_unknown_draft_is_a_clear_not_found(service: DraftService) -> None:
    with pytest.raises(NotFound, match="No existe el borrador 42"):
        service.get(42)
    with pytest.raises(NotFound, match="No existe el borrador 42"):
        service.discard(42, "motivo")


def test_a_batch_of_drafts_and_its_watched_file_commit_together(
    service: DraftService, store: Store, tmp_path: Path
) -> None:
    watched = WatchedFile("ab" * 32, "lote.pdf", "/srv/escaner", 1234)
    service.create(
        [new_draft(tmp_path, "a", "Uno"), new_draft(tmp_path, "b", "Dos")], watched=watched
    )
    rows = store.reader().execute("SELECT sha256, drafts FROM watched_files").fetchall()
    assert rows == [("ab" * 32, 2)]
    # The same file again (a crash before it was moved): refused as a whole, nothing added.
    with pytest.raises(FileAlreadyTaken, match='"lote.pdf" ya se convirtió en borradores'):
        service.create([new_draft(tmp_path, "c", "Tres")], watched=watched)
    assert len(service.list_drafts()) == 2


# -- the commands ----------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def test_lote_shows_the_split_and_needs_a_yes(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "lote.pdf"
    batch.write_bytes(batch_bytes(("texto", 1), "separador", ("texto", 2), "OPM-2026-C01-000003"))
    # No terminal to ask on (as under pytest) and no --si: refused before reading anything.
    code, _, err = run_cli(capsys, data_dir, "lote", f"file:{batch}")
    assert code == 65 and "repita con --si" in err
    code, out, _ = run_cli(capsys, data_dir, "borradores")
    assert out.strip() == "No hay borradores pendientes."

    code, out, err = run_cli(capsys, data_dir, "lote", f"file:{batch}", "--si")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Escrito 1: hoja 1 (1 página)"
    assert lines[1] == "Escrito 2: hoja 3 (1 página)"
    assert "carátula del folio OPM-2026-C01-000003 sin páginas después" in lines[2]
    assert "escrito nuevo, 1 p." in lines[3] and lines[3].lstrip().startswith("1 ")
    assert len(lines) == 5


def test_lote_from_the_sane_test_scanner(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    """In a child process: a SANE scan leaves the process's SIGPIPE at its default (measured:
    ignored before the scan, default after), which would let a later broken socket in this test
    process kill the whole run."""
    sane = write_sane_config(tmp_path / "sane", test_options=DEFAULT_TEST_OPTIONS)
    command = [sys.executable, "-m", "mailroom.cli", "lote", "sane:test:0", "--si"]
    child = subprocess.run(
        [*command, "--data-dir", str(data_dir)],
        cwd=ROOT,
        env={**sane_environment(sane), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines()[0].startswith("Escrito 1: hoja 1")
    code, out, _ = run_cli(capsys, data_dir, "borradores", "--json")
    [listed] = json.loads(out)
    assert listed["fuente"] == "sane:test:0" and listed["tipo"] == "nuevo"
    assert listed["captura"]["paginas_digitalizadas"] == 1


def test_borradores_registrar_anexar_descartar_and_pdf(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "lote.pdf"
    batch.write_bytes(
        batch_bytes(("texto", 1), "separador", ("texto", 2), "OPM-2026-C01-000001", ("texto", 3))
    )
    assert run_cli(capsys, data_dir, "lote", f"file:{batch}", "--si")[0] == 0
    code, out, _ = run_cli(capsys, data_dir, "borradores", "--json")
    assert [(d["id"], d["tipo"]) for d in json.loads(out)] == [
        (1, "nuevo"),
        (2, "nuevo"),
        (3, "anexo"),
    ]
    form = ["--remitente", "Laura Méndez", "--asunto", "Bacheo", "--sin-esperar-ocr"]

    code, out, err = run_cli(capsys, data_dir, "borradores", "registrar", "1", *form, "--json")
    assert code == 0, err
    registered = json.loads(out)
    assert registered["folio"] == "OPM-2026-C01-000001" and registered["borrador"] == 1
    code, _, err = run_cli(capsys, data_dir, "borradores", "registrar", "1", *form)
    assert code == 65 and "El borrador 1 ya se registró" in err
    code, _, err = run_cli(capsys, data_dir, "borradores", "registrar", "9", *form)
    assert code == 4 and "No existe el borrador 9" in err
    code, _, err = run_cli(capsys, data_dir, "borradores", "registrar", "3", *form)
    assert code == 65 and "borradores anexar 3" in err

    code, out, err = run_cli(capsys, data_dir, "borradores", "anexar", "3", "--sin-esperar-ocr")
    assert code == 0, err
    assert out.startswith("OPM-2026-C01-000001: se anexaron 1 página(s) del borrador 3")

    exported = tmp_path / "revisar.pdf"
    code, out, _ = run_cli(capsys, data_dir, "borradores", "pdf", "2", "-o", str(exported))
    assert code == 0 and exported.read_bytes()[:5] == b"%PDF-"
    code, out, _ = run_cli(capsys, data_dir, "borradores", "descartar", "2", "--motivo", "repetido")
    assert code == 0 and out.strip() == "Borrador 2 descartado: repetido"
    code, out, _ = run_cli(capsys, data_dir, "borradores")
    assert out.strip() == "No hay borradores pendientes."
    code, out, _ = run_cli(capsys, data_dir, "borradores", "--todos")
    assert "[registrado]" in out and "[descartado]" in out
    code, out, _ = run_cli(capsys, data_dir, "show", "OPM-2026-C01-000001")
    assert "Documento 2: borrador-3.pdf" in out
