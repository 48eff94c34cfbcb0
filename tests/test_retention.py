"""Retention: a filing's documents go once its period ended and the backend's receipt is held;
never one whose receipt is not held; files another filing still needs stay; the register, the
hashes, the acuse and the audit stay; ``store check`` stays green; a rerun does nothing."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from accounts_helpers import seated

from mailroom.acuses import AcuseService
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.errors import ConfigError
from mailroom.filing_detail import FilingDetailService
from mailroom.filings import get_filing
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.permissions import Forbidden
from mailroom.retention import PURGED_EVENT, RetentionPolicy, RetentionService, retention_ends
from mailroom.samples import render_page_image
from mailroom.store import Store
from mailroom.store.check import check_store
from sync.manifest import build_manifest
from sync.outbox import mark_synced
from sync.protocol import Receipt, manifest_sha256

ZONE = ZoneInfo("America/Mexico_City")
TODAY = FixedClock(datetime(2026, 3, 10, 9, 0, tzinfo=ZONE))


@dataclasses.dataclass(frozen=True)
class Office:
    store: Store
    settings: Settings
    delivered: str  # 2020, receipt held: purged
    undelivered: str  # 2020, no receipt: kept
    recent: str  # 2024, receipt held: not due
    twin: str  # 2020, receipt held, its one document the same file as ``recent``'s


def scan(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    render_page_image([text, "Atentamente, el remitente"], dpi=100).save(
        path, "JPEG", dpi=(100, 100)
    )
    return path


def register(
    store: Store, settings: Settings, when: datetime, files: list[Path], **changes: object
) -> str:
    new = NewFiling(sender=Sender("Ana Torres Ruiz"), subject="Solicitud de poda", **changes)  # type: ignore[arg-type]
    service = IntakeService(store, settings, clock=FixedClock(when))
    return service.register(new, files).filing.id


def deliver(store: Store, uuid: str) -> None:
    """What the sync client does with a receipt whose signature it verified."""
    body = build_manifest(store.reader(), uuid).body
    receipt = Receipt(uuid, f"EST-{uuid[-6:]}", "OPM", "dev_1", manifest_sha256(body), "", "k")
    assert mark_synced(store, uuid, receipt, TODAY.now())


@pytest.fixture
def office(store: Store, settings: Settings, tmp_path: Path) -> Office:
    old = datetime(2020, 3, 9, 10, 0, tzinfo=ZONE)
    shared = scan(tmp_path, "compartido.jpg", "Escrito presentado dos veces")
    delivered = register(store, settings, old, [scan(tmp_path, "a.jpg", "Escrito A")])
    undelivered = register(store, settings, old, [scan(tmp_path, "b.jpg", "Escrito B")])
    recent = register(store, settings, datetime(2024, 3, 9, 10, 0, tzinfo=ZONE), [shared])
    twin = register(
        store, settings, old, [shared], duplicate_override_reason="lo presentó de nuevo"
    )
    for uuid in (delivered, recent, twin):
        deliver(store, uuid)
    return Office(store, settings, delivered, undelivered, recent, twin)


def files_of(store: Store, uuid: str) -> set[str]:
    rows = store.reader().execute(
        "SELECT sha256 FROM documents WHERE filing_uuid = ? UNION "
        "SELECT p.image_sha256 FROM pages p JOIN documents d ON d.id = p.document_id "
        "WHERE d.filing_uuid = ?",
        [uuid, uuid],
    )
    return {row[0] for row in rows if row[0]}


def on_disk(store: Store, shas: set[str]) -> set[str]:
    return {sha for sha in shas if store.blobs.path(sha).is_file()}


def events(store: Store, kind: str) -> list[dict[str, object]]:
    return list(store.reader().query("SELECT * FROM events WHERE kind = ? ORDER BY seq", [kind]))


def test_expired_and_delivered_documents_go_and_everything_else_stays(office: Office) -> None:
    store = office.store
    admin = seated(store, office.settings, "administrador")
    purged_files = files_of(store, office.delivered)
    assert on_disk(store, purged_files) == purged_files

    report = RetentionService(store, admin, TODAY).apply()

    assert [item.filing_id for item in report.purged] == [office.delivered]
    assert report.files_removed == len(purged_files)
    assert on_disk(store, purged_files) == set()
    removed = store.reader().execute(
        "SELECT sha256, removed_at FROM blobs WHERE removed_at IS NOT NULL"
    )
    assert {sha for sha, _ in removed} == purged_files
    # Never one whose receipt is not held; nothing of a filing not yet due.
    assert [item.filing_id for item in report.waiting_for_receipt] == [office.undelivered]
    for uuid in (office.undelivered, office.recent):
        assert on_disk(store, files_of(store, uuid)) == files_of(store, uuid)
    # The register line, the hashes, the acuse and the audit stay.
    filing = get_filing(store.reader(), office.delivered)
    assert filing.documents and all(len(d.sha256) == 64 for d in filing.documents)
    assert AcuseService(store, admin).current(office.delivered).pdf.startswith(b"%PDF")
    (event,) = events(store, PURGED_EVENT)
    payload = json.loads(str(event["payload"]))
    assert event["actor"] == "administrador.prueba" and event["filing_uuid"] == office.delivered
    assert payload["folio"] == filing.folio and set(payload["archivos"]) == purged_files
    assert payload["conservar_hasta"] == "2025-03-09"
    report_check = check_store(store)
    assert report_check.ok, report_check
    # The detail screen says what happened instead of failing on missing files.
    detail = FilingDetailService(store, admin, TODAY).load(filing.folio)
    assert detail.pages == ()
    assert detail.documents_notice.startswith(
        "Los documentos de este escrito se depuraron el 10/03/2026 (plazo de conservación)"
    )
    assert FilingDetailService(store, admin, TODAY).load(office.recent).pages


def test_a_file_another_filing_still_needs_stays(office: Office) -> None:
    store = office.store
    shared = files_of(store, office.twin) & files_of(store, office.recent)
    assert shared  # the same scan, registered twice

    report = RetentionService(store, office.settings, TODAY).apply()

    assert office.twin not in [item.filing_id for item in report.purged]
    assert on_disk(store, shared) == shared
    assert check_store(store).ok
    # Once the other filing is due too, the file goes with it.
    later = FixedClock(datetime(2029, 3, 10, 9, 0, tzinfo=ZONE))
    second = RetentionService(store, office.settings, later).apply()
    assert {item.filing_id for item in second.purged} == {office.recent, office.twin}
    assert on_disk(store, shared) == set()
    assert check_store(store).ok


def test_a_second_run_does_nothing(office: Office) -> None:
    service = RetentionService(office.store, office.settings, TODAY)
    service.apply()
    before = office.store.reader().execute("SELECT count(*) FROM events").fetchone()[0]

    again = service.apply()

    assert again.purged == () and again.files_removed == 0
    assert office.store.reader().execute("SELECT count(*) FROM events").fetchone()[0] == before


def test_the_dry_run_changes_nothing(office: Office) -> None:
    store = office.store
    everything = set(store.blobs.stored())

    report = RetentionService(store, office.settings, TODAY).review()

    assert not report.applied
    assert [item.filing_id for item in report.purged] == [office.delivered]
    assert set(report.purged[0].to_remove) == files_of(store, office.delivered)
    assert set(store.blobs.stored()) == everything
    assert events(store, PURGED_EVENT) == []
    assert store.reader().execute(
        "SELECT count(*) FROM blobs WHERE removed_at IS NOT NULL"
    ).fetchone() == (0,)


def test_an_oficial_is_refused_and_nothing_is_removed(office: Office) -> None:
    store = office.store
    everything = set(store.blobs.stored())
    oficial = seated(store, office.settings, "oficial")
    supervisor = seated(store, office.settings, "supervisor")

    for settings in (oficial, supervisor):
        with pytest.raises(Forbidden, match="no puede aplicar los plazos de conservación"):
            RetentionService(store, settings, TODAY).apply()
        with pytest.raises(Forbidden):
            RetentionService(store, settings, TODAY).review()

    assert set(store.blobs.stored()) == everything
    assert events(store, PURGED_EVENT) == []


def test_store_check_still_reports_a_file_missing_without_removed_at(office: Office) -> None:
    store = office.store
    RetentionService(store, office.settings, TODAY).apply()
    lost = sorted(files_of(store, office.undelivered))[0]
    store.blobs.path(lost).unlink()

    report = check_store(store)

    assert not report.ok and report.bad_blobs == (lost,)


def test_a_crash_after_the_commit_leaves_the_files_for_the_next_run(office: Office) -> None:
    store = office.store
    service = RetentionService(store, office.settings, TODAY)
    service._unlink_marked = lambda: 0  # type: ignore[method-assign] - the process died here
    service.apply()
    leftovers = on_disk(store, files_of(store, office.delivered))
    assert leftovers and check_store(store).ok

    again = RetentionService(store, office.settings, TODAY).apply()

    assert again.purged == () and again.files_removed == len(leftovers)
    assert on_disk(store, files_of(store, office.delivered)) == set()
    assert len(events(store, PURGED_EVENT)) == 1


def test_the_period_per_procedure_type(store: Store, tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path / "datos",
        clerk="ventanilla1",
        retention_years=3,
        retention_by_procedure="Licencias de construcción=10; quejas=1",
    )
    policy = RetentionPolicy.from_settings(settings)
    assert policy.years_for("licencias  de CONSTRUCCIÓN") == 10
    assert policy.years_for("Quejas") == 1 and policy.years_for(None) == 3
    with Store(settings.data_dir) as own:
        old = datetime(2020, 3, 9, 10, 0, tzinfo=ZONE)
        licence = register(
            own,
            settings,
            old,
            [scan(tmp_path, "l.jpg", "Licencia")],
            procedure_type="Licencias de construcción",
        )
        other = register(own, settings, old, [scan(tmp_path, "o.jpg", "Otro")])
        deliver(own, licence)
        deliver(own, other)
        report = RetentionService(own, settings, TODAY).review()
    assert [item.filing_id for item in report.purged] == [other]
    assert report.purged[0].retention_ends.isoformat() == "2023-03-09"


def test_a_leap_day_ends_on_the_28th() -> None:
    assert retention_ends(datetime(2024, 2, 29, 9, 0, tzinfo=ZONE), 5).isoformat() == "2029-02-28"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("licencias", "lleva «tipo=años»"),
        ("licencias=diez", "no se entendió 'licencias=diez'"),
        ("licencias=0", "mayores que cero"),
        ("quejas=2; Quejas=3", "repite el tipo de trámite"),
    ],
)
def test_a_wrong_retention_setting_is_refused_in_spanish(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, retention_by_procedure=value)


def test_zero_years_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="retention_years .* debe ser mayor que cero"):
        load_settings(tmp_path, retention_years=0)


def test_the_commands(office: Office, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    # The commands read the real clock: by 2026 the 2020 filings are past five years.
    data = ["--data-dir", str(office.settings.data_dir)]
    folio = get_filing(office.store.reader(), office.delivered).folio
    pending = get_filing(office.store.reader(), office.undelivered).folio

    assert main(["retencion", "revisar", *data]) == 0
    out = capsys.readouterr().out
    assert f"  {folio} (recibido el 09/03/2020; se conservaba hasta el 09/03/2025)" in out
    assert "Se quitarían" in out and "Nada cambió" in out
    assert f"  {pending} (recibido el 09/03/2020" in out and "aún no llega el recibo" in out
    assert events(office.store, PURGED_EVENT) == []

    assert main(["retencion", "aplicar", "--json", *data]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["applied"] and [i["folio"] for i in report["purged"]] == [folio]
    assert main(["store", "check", *data]) == 0
