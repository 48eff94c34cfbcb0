"""The background upgrade of acuses sealed offline, tracked in the store, against the SAT-shaped
test PKI: offline -> stays pending (across a restart) -> online -> B-LTA, verified; a revoked
office e.firma found at upgrade time is flagged loudly (audit event, CLI in capitals, exit 7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
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
from tests.sat_pki import SatPki, offline_url
from tests.test_acuses import register


def _offline_signer(pki: SatPki, label: str) -> PdfSigner:
    credentials = load_credentials(pki.cer(label), pki.key(label), pki.password)
    return PdfSigner(credentials, chain=[pki.ac_der, pki.root_der])


def _upgrader(store: Store, pki: SatPki, clock: FixedClock, *, online: bool) -> SignatureUpgrader:
    url = pki.ocsp_url if online else offline_url()
    return SignatureUpgrader(
        store,
        revocation=RevocationChecker(url, timeout=2, cache=StoreOcspCache(store)),
        ca_certificates=[pki.ac_der, pki.root_der],
        timestamper=make_timestamper(pki.tsa_url if online else offline_url(), 2),
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


def _pki_environment(monkeypatch: pytest.MonkeyPatch, pki: SatPki) -> None:
    monkeypatch.setenv("OFICIALIA_OCSP_URL", pki.ocsp_url)
    monkeypatch.setenv("OFICIALIA_TSA_URL", pki.tsa_url)
    monkeypatch.setenv("OFICIALIA_TRUST_TEST_ROOTS", str(pki.trust_dir))


def _efirma_args(pki: SatPki, label: str) -> list[str]:
    return [
        "--cer",
        str(pki.cer(label)),
        "--key",
        str(pki.key(label)),
        "--password-file",
        str(pki.password_file),
    ]


def test_counter_flow_online_seals_b_lt_and_verify_agrees(
    sat_pki: SatPki,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pki_environment(monkeypatch, sat_pki)
    data_dir = tmp_path / "datos"
    scan = tmp_path / "escrito.jpg"
    from tests.test_acuses import scan as make_scan

    make_scan(scan, "Solicitud de constancia de residencia")
    code = cli.main(
        ["intake", str(scan), "--remitente", "Juan Pérez", "--asunto", "Constancia",
         "--sin-esperar-ocr", "--data-dir", str(data_dir), *_efirma_args(sat_pki, "fisica")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    folio = captured.out.strip()
    assert "Acuse sellado" in captured.err and "no está entre las de confianza" not in captured.err

    target = tmp_path / "acuse.pdf"
    code = cli.main(["acuse", folio, "-o", str(target), "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0 and "sellado (B-LT" in out

    code = cli.main(["verify", str(target), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["valido"] is True
    (seal,) = report["firmas"]
    assert seal["rfc"] == "PELG800101QX7" and seal["nivel_pades"] == "B-LT"
    assert seal["raiz_de_prueba"] is True
    assert seal["revocacion"]["estado"] == "vigente"

    tampered = bytearray(target.read_bytes())
    tampered[tampered.index(b"stream") + 40] ^= 0x01
    bad = tmp_path / "alterado.pdf"
    bad.write_bytes(bytes(tampered))
    assert cli.main(["verify", str(bad)]) == 5
    capsys.readouterr()


def test_efirma_check_asks_the_ocsp_responder(
    sat_pki: SatPki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pki_environment(monkeypatch, sat_pki)
    assert cli.main(["efirma", "check", *_efirma_args(sat_pki, "fisica")]) == 0
    out = capsys.readouterr().out
    assert "Certificado vigente, no revocado" in out and "e.firma válida" in out

    assert cli.main(["efirma", "check", *_efirma_args(sat_pki, "revocada")]) == 65
    err = capsys.readouterr().err
    assert "REVOCADA" in err and "ROBERTO CARLOS DÍAZ MENDOZA" in err

    monkeypatch.setenv("OFICIALIA_TRUST_TEST_ROOTS", "")
    assert cli.main(["efirma", "check", *_efirma_args(sat_pki, "fisica")]) == 0
    err = capsys.readouterr().err
    assert "«A.C. de Pruebas del SAT»" in err and "no está entre las de confianza" in err


def test_the_background_upgrader_picks_up_new_seals_and_stops_on_request(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock
) -> None:
    settings = _pki_settings(tmp_path / "datos", sat_pki)
    with Store(settings.data_dir) as store:
        stop, wake = threading.Event(), threading.Event()
        upgrader = _upgrader(store, sat_pki, clock, online=True)
        worker = threading.Thread(target=upgrader.run_forever, args=(stop,), kwargs={"wake": wake})
        worker.start()
        try:
            folio = register(store, settings, tmp_path, "Aviso de obra")
            AcuseService(store, settings, clock).seal(folio, _offline_signer(sat_pki, "fisica"))
            wake.set()  # "an acuse was just sealed": no need to wait for the idle period
            deadline = time.monotonic() + 30
            level = None
            while time.monotonic() < deadline:
                level = AcuseService(store, settings, clock).current(folio).signature_level
                if level == "B-LTA":
                    break
                time.sleep(0.1)
            assert level == "B-LTA"
        finally:
            stop.set()
            wake.set()
            worker.join(timeout=30)
        assert not worker.is_alive()


def test_firmas_actualizar_vigilar_runs_until_terminated(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock
) -> None:
    settings = _pki_settings(tmp_path / "datos", sat_pki)
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Permiso de evento")
        AcuseService(store, settings, clock).seal(folio, _offline_signer(sat_pki, "fisica"))
    environment = {
        **os.environ,
        "OFICIALIA_OCSP_URL": sat_pki.ocsp_url,
        "OFICIALIA_TSA_URL": sat_pki.tsa_url,
        "OFICIALIA_TRUST_TEST_ROOTS": str(sat_pki.trust_dir),
    }
    command = [sys.executable, "-m", "mailroom.cli", "firmas", "actualizar", "--vigilar"]
    child = subprocess.Popen(
        [*command, "--data-dir", str(settings.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert child.stdout is not None
        assert "segundo plano" in child.stdout.readline()
        assert child.stdout.readline().strip() == f"Actualizado: {folio}"
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
