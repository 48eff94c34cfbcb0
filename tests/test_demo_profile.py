"""The demo profile of ``make run``: its folder and DEMO e.firma, the DEMO mark on every acuse, the
reference backend as a child process that syncs end to end and never outlives the app.

Everything real and on loopback: the PKI made with ``cryptography`` alone (as on a user's machine,
without certomancer), the OCSP responder, ``oficialia serve-backend`` in a child process.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pdfplumber
import pytest

from mailroom.acuses import AcuseService
from mailroom.config import load_settings
from mailroom.demo_profile import (
    DEMO_ACCOUNTS,
    SERVER_MISSING,
    DemoBackend,
    DemoBackendFailed,
    DemoProfile,
    DemoProfileError,
    prepare_demo_profile,
)
from mailroom.efirma_unlock import open_office_efirma
from mailroom.errors import ConfigError
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.receipt import build_acuse
from mailroom.receipt.demo_mark import DEMO_MARK
from mailroom.receipt.layout import STAMP_BOX
from mailroom.store import Store
from signing.demo_pki import DemoOcspResponder, create_demo_pki
from signing.revocation import RevocationChecker
from signing.trust import trust_store_from_settings
from signing.verify import verify_pdf
from sync import enrolment
from sync.controls import SyncControls

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def profile(tmp_path: Path) -> DemoProfile:
    """The demo profile with its administrator signed in (its settings' seat)."""
    prepared = prepare_demo_profile(tmp_path / "demo")
    prepared.settings.seat.sit(DEMO_ACCOUNTS[0].actor)
    return prepared


def register(store: Store, profile: DemoProfile, subject: str = "Solicitud de constancia") -> str:
    sample = profile.samples_dir / "solicitud.jpg"
    new = NewFiling(Sender("Ana Ruiz Peña"), subject)
    return IntakeService(store, profile.settings).register(new, [sample]).filing.folio


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        return [page.extract_text() or "" for page in opened.pages]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` (not our child) has ended within ``timeout`` (pidfd: no polling)."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([descriptor], [], [], timeout)
        return bool(readable)
    finally:
        os.close(descriptor)


def test_preparing_twice_reuses_the_efirma_config_and_filings(
    profile: DemoProfile, tmp_path: Path
) -> None:
    settings = profile.settings
    assert settings.demo_mode and settings.office == "DEMO"
    assert settings.office_name == "Oficialía de Partes — DEMOSTRACIÓN"
    assert profile.efirma.created and profile.notes == ()
    assert {path.name for path in profile.sample_files} >= {"solicitud.jpg", "anexos.tif"}
    assert all(path.is_file() for path in profile.sample_files)
    for secret in (profile.efirma_key, profile.efirma.authority_key, profile.efirma.password_file):
        assert secret.stat().st_mode & 0o777 == 0o600
    config = (profile.data_dir / "config.toml").read_bytes()
    with Store(profile.data_dir) as store:
        folio = register(store, profile)

    again = prepare_demo_profile(tmp_path / "demo")

    assert not again.efirma.created
    assert again.efirma_cer.read_bytes() == profile.efirma_cer.read_bytes()
    assert again.efirma_password == profile.efirma_password
    assert (again.data_dir / "config.toml").read_bytes() == config
    with Store(again.data_dir) as store:
        assert store.reader().execute("SELECT folio FROM filings").fetchall() == [(folio,)]


def test_the_demo_root_is_trusted_in_the_demo_profile_only(
    profile: DemoProfile, tmp_path: Path
) -> None:
    certificate = profile.efirma_cer.read_bytes()
    demo_trust = trust_store_from_settings(profile.settings)
    assert demo_trust.issuer_of(certificate) is not None
    assert demo_trust.is_test_root(profile.efirma.root_cer.read_bytes())
    office_trust = trust_store_from_settings(load_settings(tmp_path / "oficina"))
    assert office_trust.issuer_of(certificate) is None


def test_an_office_folder_is_never_turned_into_a_demo(tmp_path: Path) -> None:
    office = tmp_path / "oficina"
    office.mkdir()
    (office / "config.toml").write_text('office = "OPM"\n', encoding="utf-8")
    with pytest.raises(DemoProfileError, match="no es de demostración"):
        prepare_demo_profile(office)
    assert (office / "config.toml").read_text(encoding="utf-8") == 'office = "OPM"\n'
    with Store(tmp_path / "otra"):
        pass
    with pytest.raises(DemoProfileError, match="ya tiene la base de datos de una oficina"):
        prepare_demo_profile(tmp_path / "otra")


def test_an_expired_demo_efirma_is_made_anew(tmp_path: Path) -> None:
    old = create_demo_pki(tmp_path / "pki", now=datetime.now(UTC) - timedelta(days=3 * 365))
    old_certificate = old.office_cer.read_bytes()
    assert old.identity.not_after < datetime.now(UTC)

    renewed = create_demo_pki(tmp_path / "pki")

    assert renewed.created and renewed.identity.not_after > datetime.now(UTC)
    assert renewed.office_cer.read_bytes() != old_certificate
    assert renewed.password != old.password


def test_demo_efirma_unlocks_and_seals_an_acuse_that_verifies_with_the_mark(
    profile: DemoProfile,
) -> None:
    with DemoOcspResponder(profile.efirma) as ocsp, Store(profile.data_dir) as store:
        settings = dataclasses.replace(profile.settings, ocsp_url=ocsp.url)
        unlocked = open_office_efirma(
            profile.efirma_cer, profile.efirma_key, profile.efirma_password, settings, store=store
        )
        assert unlocked.warnings == ()  # trusted issuer, OCSP said "vigente"
        assert unlocked.identity.rfc == "DEM010101AAA" and "DEMO" in unlocked.identity.name
        folio = register(store, profile)
        sealed = AcuseService(store, settings).seal(folio, unlocked.signer)
        trust = trust_store_from_settings(settings)
        report = verify_pdf(sealed.pdf, trust=trust, revocation=RevocationChecker(ocsp.url))
        other = RevocationChecker(ocsp.url).check(
            profile.efirma.intermediate_cer.read_bytes(), profile.efirma.root_cer.read_bytes()
        )
    assert other.status == "desconocido"  # the responder answers for the demo e.firma only

    assert sealed.sealed and report.ok, report.verdict
    [signature] = report.signatures
    assert signature.trusted and signature.test_root and signature.intact
    assert signature.revocation.status == "vigente"
    texts = page_texts(sealed.pdf)
    assert all(DEMO_MARK in text for text in texts)
    assert "SIN SELLO" not in " ".join(texts) and folio in texts[0]
    tampered = sealed.pdf.replace(folio.encode(), folio[:-1].encode() + b"9", 1)
    assert not verify_pdf(tampered, trust=trust).ok


def test_the_mark_is_on_every_page_in_demo_mode_only_and_leaves_the_stamp_box_free(
    profile: DemoProfile, tmp_path: Path
) -> None:
    with Store(profile.data_dir) as store:
        folio = register(store, profile)
        filing = AcuseService(store, profile.settings).current(folio)
        from mailroom.filings import get_filing

        record = get_filing(store.reader(), folio)
    assert all(DEMO_MARK in text for text in page_texts(filing.pdf))
    many = dataclasses.replace(record, documents=record.documents * 40)
    pdf = build_acuse(many, profile.settings, sealed=True).pdf
    texts = page_texts(pdf)
    assert len(texts) > 1 and all(DEMO_MARK in text for text in texts)
    # The acuse's own lines come out whole (the diagonal is drawn, not written as text).
    assert "Canal Ventanilla" in texts[0]
    x0, y0, x1, y1 = STAMP_BOX
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        last = opened.pages[-1]
        height = float(last.height)
        drawn = [*last.chars, *last.curves, *last.images, *last.rects]
        inside = [
            item
            for item in drawn
            if item["x1"] > x0
            and item["x0"] < x1
            and height - item["top"] > y0
            and height - item["bottom"] < y1
        ]
    assert inside == []
    office = dataclasses.replace(profile.settings, demo_mode=False)
    assert not any(DEMO_MARK in text for text in page_texts(build_acuse(many, office).pdf))


def test_demo_mode_setting_reads_yes_and_no(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFICIALIA_DEMO_MODE", "sí")
    assert load_settings(tmp_path).demo_mode is True
    monkeypatch.setenv("OFICIALIA_DEMO_MODE", "0")
    assert load_settings(tmp_path).demo_mode is False
    monkeypatch.setenv("OFICIALIA_DEMO_MODE", "quizá")
    with pytest.raises(ConfigError, match="demo_mode debe ser true o false"):
        load_settings(tmp_path)


def test_backend_starts_syncs_a_filing_and_stops_cleanly(profile: DemoProfile) -> None:
    backend = DemoBackend(profile)
    settings = backend.start()
    try:
        assert backend.url and settings.backend_url == backend.url
        assert os.environ["OFICIALIA_BACKEND_URL"] == backend.url
        assert load_settings(profile.data_dir).ocsp_url == settings.ocsp_url != ""
        with Store(profile.data_dir) as store:
            folio = register(store, profile)
            summary = SyncControls(store, settings).sync_now()
            row = store.reader().execute(
                "SELECT sync_status, institutional_folio FROM filings WHERE folio = ?", [folio]
            )
            status, institutional = row.fetchone()
        assert summary.synced == (folio,)
        assert status == "sincronizada" and institutional.startswith("DEMO/")
        pid, port = backend.pid, port_of(backend.url)
        assert pid is not None
    finally:
        backend.stop()
    assert port_is_closed(port) and wait_for_exit(pid, 0)
    assert "OFICIALIA_BACKEND_URL" not in os.environ
    assert "Shutting down" in backend.log_path.read_text(encoding="utf-8")


def test_the_next_run_reuses_the_port_and_the_enrolment(profile: DemoProfile) -> None:
    with DemoBackend(profile) as first, Store(profile.data_dir) as store:
        url = first.url
        device = enrolment.current(store.reader())
    with DemoBackend(profile) as again, Store(profile.data_dir) as store:
        assert again.url == url
        assert enrolment.current(store.reader()) == device
        assert SyncControls(store, again.settings).sync_now().online


def test_a_backend_that_does_not_answer_in_time_names_its_log(profile: DemoProfile) -> None:
    before = dict(os.environ)
    backend = DemoBackend(profile, startup_timeout=0)
    with pytest.raises(DemoBackendFailed, match="no respondió") as raised:
        backend.start()
    assert str(backend.log_path) in raised.value.message
    assert backend.pid is None and dict(os.environ) == before


def test_without_the_server_extra_the_demo_runs_offline_and_says_so(
    profile: DemoProfile,
) -> None:
    offline = dataclasses.replace(profile, server_available=False, notes=(SERVER_MISSING,))
    with DemoBackend(offline) as backend:
        assert backend.url is None and backend.pid is None
        assert "funciona sin conexión" in backend.message
        assert backend.settings.ocsp_url.startswith("http://127.0.0.1:")


CHILD = """
import json, sys
from pathlib import Path
from mailroom.demo_profile import DemoBackend, prepare_demo_profile
backend = DemoBackend(prepare_demo_profile(Path(sys.argv[1])))
backend.start()
print(json.dumps({"pid": backend.pid, "url": backend.url}), flush=True)
sys.stdin.read()
"""


def test_killing_the_app_leaves_no_backend_behind(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "demo")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert app.stdout is not None
        started = json.loads(app.stdout.readline())
        assert not port_is_closed(port_of(started["url"]))
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=10)
        assert wait_for_exit(started["pid"], 15), "the backend outlived the app"
        assert port_is_closed(port_of(started["url"]))
    finally:
        if app.poll() is None:
            app.kill()


def test_the_demo_command_opens_the_app_on_its_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``oficialia mailroom --demo``: the app gets the running backend, the demo e.firma to
    prefill and the samples folder, where «Agregar archivo…» starts."""
    from mailroom.entry import main
    from mailroom.ui import app as app_module

    opened: list[dict[str, object]] = []

    def run_app(settings: object, **options: object) -> int:
        url = str(options["backend_url"])
        opened.append({**options, "pinged": not port_is_closed(port_of(url))})
        return 0

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(app_module, "run_app", run_app)
    assert main(["mailroom", "--demo", "--data-dir", str(tmp_path / "demo")]) == 0
    [options] = opened
    samples = options["samples_dir"]
    assert isinstance(samples, Path) and (samples / "solicitud.jpg").is_file()
    assert str(options["backend_url"]).startswith("http://127.0.0.1:") and options["pinged"]
    hint = options["efirma_hint"]
    assert hint.cer.is_file() and "DEMOSTRACIÓN" in hint.note  # type: ignore[attr-defined]
