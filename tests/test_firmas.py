"""The background upgrade of acuses sealed offline, tracked in the store, against the SAT-shaped
test PKI: offline -> stays pending (across a restart) -> online -> B-LTA, verified; a revoked
office e.firma found at upgrade time is flagged loudly (audit event, CLI in capitals, exit 7)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from mailroom import cli
from mailroom.acuses import AcuseService
from mailroom.audit import verify_chain
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.store import Store
from signing import load_credentials
from signing.longterm import make_timestamper
from signing.revocation import RevocationChecker, StoreOcspCache
from signing.sign import PdfSigner
from signing.trust import trust_store_from_certificates
from signing.upgrade import SignatureUpgrader, upgrade_status
from signing.verify import verify_pdf
from tests.sat_pki import SatPki
from tests.test_acuses import register


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _offline_signer(pki: SatPki, label: str) -> PdfSigner:
    credentials = load_credentials(pki.cer(label), pki.key(label), pki.password)
    return PdfSigner(credentials, chain=[pki.ac_der, pki.root_der])


def _upgrader(store: Store, pki: SatPki, clock: FixedClock, *, online: bool) -> SignatureUpgrader:
    url = pki.ocsp_url if online else _closed_port_url()
    return SignatureUpgrader(
        store,
        revocation=RevocationChecker(url, timeout=2, cache=StoreOcspCache(store)),
        ca_certificates=[pki.ac_der, pki.root_der],
        timestamper=make_timestamper(pki.tsa_url if online else _closed_port_url(), 2),
        clock=clock,
        jitter=lambda: 1.0,
    )


def _pki_settings(data_dir: Path, pki: SatPki) -> Settings:
    return load_settings(
        data_dir,
        clerk="ventanilla1",
        ocsp_url=pki.ocsp_url,
        tsa_url=pki.tsa_url,
        trust_test_roots=str(pki.root_path),
    )


def test_offline_seal_waits_across_a_restart_then_becomes_b_lta(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock
) -> None:
    settings = _pki_settings(tmp_path / "datos", sat_pki)
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Licencia de funcionamiento")
        acuses = AcuseService(store, settings, clock)
        sealed = acuses.seal(folio, _offline_signer(sat_pki, "fisica"))
        assert sealed.signature_level == "B-B"

        offline = _upgrader(store, sat_pki, clock, online=False).run_once()
        assert offline.pending == [folio]
        assert offline.messages[folio].startswith("Revocación no verificada")
        status = upgrade_status(store)
        assert status["pendientes"] == 1
        assert status["problemas"][0]["siguiente_intento"] is not None

    # A restart: a new process, same data folder. The row, not memory, says what is due.
    with Store(settings.data_dir) as store:
        not_yet = _upgrader(store, sat_pki, clock, online=True)
        assert not_yet.due() == []  # its next attempt is still in the future
        clock.instant += timedelta(hours=7)
        online = _upgrader(store, sat_pki, clock, online=True).run_once()
        assert online.done == [folio], online.messages

        current = AcuseService(store, settings, clock).current(folio)
        assert current.signature_level == "B-LTA"
        trust = trust_store_from_certificates([sat_pki.root_der], test=True)
        report = verify_pdf(current.pdf, trust=trust)
        assert report.ok, report.verdict
        assert upgrade_status(store)["actualizadas"] == 1
        assert _upgrader(store, sat_pki, clock, online=True).due() == []

        db = store.reader()
        assert verify_chain(db).ok
        kinds = [r["kind"] for r in db.query("SELECT kind FROM events ORDER BY seq")]
        assert "firma_actualizada" in kinds
        # The B-B version is kept: the upgrade is an incremental update of it.
        assert current.pdf.startswith(store.blobs.read_bytes(sealed.sha256))


def test_a_revoked_office_e_firma_is_flagged_loudly(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _pki_settings(tmp_path / "datos", sat_pki)
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Queja vecinal")
        AcuseService(store, settings, clock).seal(folio, _offline_signer(sat_pki, "revocada"))
        summary = _upgrader(store, sat_pki, clock, online=True).run_once()
        assert summary.revoked == [folio]
        kinds = [r["kind"] for r in store.reader().query("SELECT kind FROM events")]
        assert "certificado_revocado" in kinds
        assert _upgrader(store, sat_pki, clock, online=True).due() == []  # not retried forever

    code = cli.main(["firmas", "estado", "--data-dir", str(settings.data_dir)])
    out = capsys.readouterr().out
    assert code == 7
    assert "¡ATENCIÓN!" in out and "REVOCADA" in out and folio in out

    code = cli.main(["firmas", "estado", "--json", "--data-dir", str(settings.data_dir)])
    data = json.loads(capsys.readouterr().out)
    assert code == 7 and data["revocadas"] == 1
    assert data["problemas"][0]["folio"] == folio


def test_firmas_actualizar_from_the_command_line(
    sat_pki: SatPki,
    tmp_path: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir = tmp_path / "datos"
    settings = _pki_settings(data_dir, sat_pki)
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Solicitud de poda")
        AcuseService(store, settings, clock).seal(folio, _offline_signer(sat_pki, "fisica"))
    monkeypatch.setenv("OFICIALIA_OCSP_URL", sat_pki.ocsp_url)
    monkeypatch.setenv("OFICIALIA_TSA_URL", sat_pki.tsa_url)
    monkeypatch.setenv("OFICIALIA_TRUST_TEST_ROOTS", str(sat_pki.root_path))

    code = cli.main(["firmas", "actualizar", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("1 actualizados, 0 pendientes, 0 fallidos, 0 con e.firma revocada")

    monkeypatch.setenv("OFICIALIA_OCSP_URL", "")
    code = cli.main(["firmas", "actualizar", "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == 78 and "ocsp_url" in err
