"""The stored acuse: issued unsealed at registration, sealed at once or later, reprinted as stored.

Sealing uses a self-made certificate (no fixture needed); the CLI tests use SAT's test e.firma
from ``../shared/fixtures/sat`` with the clock frozen inside its validity.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pypdfium2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from mailroom import audit
from mailroom.acuses import AcuseService, SealState
from mailroom.cli import efirma as cli_signing
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.errors import IntegrityProblem, NotFound
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.receipt import digest
from mailroom.samples import render_page_image
from mailroom.store import Store
from mailroom.store.check import check_store
from signing import Credentials, read_identity
from signing.sign import PdfSigner

ROOT = Path(__file__).resolve().parents[1]
SAT = ROOT.parent / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
FROZEN = datetime(2020, 12, 1, 12, 0, tzinfo=UTC)  # inside the test e.firma's validity
SIGNED_AT = datetime(2026, 3, 9, 16, 45, tzinfo=UTC)
needs_sat = pytest.mark.skipif(not SAT.is_dir(), reason="../shared/fixtures/sat no está presente")


def scan(path: Path, text: str = "Solicitud de licencia") -> Path:
    render_page_image([text], dpi=100).save(path, "JPEG", dpi=(100, 100), quality=80)
    return path


def self_made_signer() -> PdfSigner:
    key = rsa.generate_private_key(65537, 2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "OFICIALÍA DE PARTES DE PRUEBA"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, "XAXX010101000", _type=_ASN1Type.PrintableString
            ),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(b"00001000000500000001", "big"))
        .not_valid_before(SIGNED_AT - timedelta(days=1))
        .not_valid_after(SIGNED_AT + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    credentials = Credentials(identity=read_identity(der), certificate_der=der, private_key=key)
    return PdfSigner(credentials, clock=lambda: SIGNED_AT)


@pytest.fixture(scope="module")
def signer() -> PdfSigner:
    return self_made_signer()


@pytest.fixture
def acuses(store: Store, settings: Settings, clock: FixedClock) -> AcuseService:
    return AcuseService(store, settings, clock)


def register(store: Store, settings: Settings, folder: Path, subject: str = "Licencia") -> str:
    files = [scan(folder / f"{subject}.jpg", subject)]
    new = NewFiling(Sender("María Peña Ávalos"), subject)
    return IntakeService(store, settings).register(new, files).filing.folio


def text_of(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(str(page.get_textpage().get_text_range()) for page in document)


def signature_statuses(pdf: bytes) -> list[object]:
    reader = PdfFileReader(BytesIO(pdf))
    return [
        validate_pdf_signature(embedded, ValidationContext(trust_roots=[]))
        for embedded in reader.embedded_signatures
    ]


def test_registration_stores_the_unsealed_acuse_with_its_row(
    store: Store, settings: Settings, acuses: AcuseService, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)

    acuse = acuses.current(folio)
    assert acuse.seal_state is SealState.PENDIENTE and not acuse.sealed
    text = text_of(acuse.pdf)
    assert "SIN SELLO" in text and folio in text
    assert acuse.cadena_digest in text.replace("\r", "").replace("\n", "")
    assert signature_statuses(acuse.pdf) == []
    assert acuses.pending_count() == 1
    assert [p.folio for p in acuses.pending()] == [folio]
    db = store.reader()
    (payload,) = [
        json.loads(r["payload"])
        for r in db.query("SELECT payload FROM events WHERE kind = ?", ["escrito_registrado"])
    ]
    assert payload["acuse"] == {
        "cadena_digest": acuse.cadena_digest,
        "unsealed_sha256": acuse.sha256,
    }
    assert check_store(store).ok


def test_the_acuse_qr_uses_the_configured_verification_url(
    store: Store, tmp_path: Path, data_dir: Path
) -> None:
    from mailroom.config import load_settings

    custom = load_settings(data_dir, clerk="v1", acuse_verification_url="https://v.gob.mx/a")
    folio = register(store, custom, tmp_path)
    acuse = AcuseService(store, custom).current(folio)
    from mailroom.filings import get_filing
    from mailroom.receipt import build_acuse

    rebuilt = build_acuse(get_filing(store.reader(), folio), custom)
    assert rebuilt.verification_url.startswith("https://v.gob.mx/a?folio=")
    assert rebuilt.pdf == acuse.pdf  # the stored acuse is exactly what the settings produce


def test_sealing_stores_a_valid_seal_once_and_records_it(
    store: Store, settings: Settings, acuses: AcuseService, signer: PdfSigner, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)
    unsealed = acuses.current(folio)

    sealed = acuses.seal(folio, signer)

    assert sealed.sealed and sealed.signature_level == "B-B"
    assert sealed.signer_rfc == "XAXX010101000"
    assert sealed.signer_certificate_number == "00001000000500000001"
    assert sealed.sealed_at == SIGNED_AT
    assert sealed.cadena_digest == unsealed.cadena_digest
    (status,) = signature_statuses(sealed.pdf)
    assert status.intact and status.valid  # type: ignore[attr-defined]
    text = text_of(sealed.pdf)
    assert "SIN SELLO" not in text and folio in text
    assert acuses.current(folio).pdf == sealed.pdf  # reprints give the sealed one
    again = acuses.seal(folio, signer)  # idempotent
    assert again.sha256 == sealed.sha256
    db = store.reader()
    kinds = [r["kind"] for r in db.query("SELECT kind FROM events ORDER BY seq")]
    assert kinds == ["escrito_registrado", "acuse_sellado"]
    assert audit.verify_chain(db).ok
    assert acuses.pending_count() == 0
    assert check_store(store).ok


def test_a_process_killed_before_sealing_leaves_it_pending_for_seal_pending(
    settings: Settings, signer: PdfSigner, tmp_path: Path
) -> None:
    # The child registers, as the clerk app would right before sealing, and dies at once.
    scan(tmp_path / "escrito.jpg")
    code = (
        "import os, signal, sys; from pathlib import Path;"
        "from mailroom.config import load_settings; from mailroom.store import Store;"
        "from mailroom.intake import IntakeService; from mailroom.models import NewFiling, Sender;"
        "s = load_settings(sys.argv[1], clerk='v1'); store = Store(s.data_dir);"
        "new = NewFiling(Sender('Ana'), 'Queja');"
        "r = IntakeService(store, s).register(new, [Path(sys.argv[2])]);"
        "print(r.filing.folio, flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(settings.data_dir), str(tmp_path / "escrito.jpg")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert child.returncode == -9
    folio = child.stdout.strip()

    with Store(settings.data_dir) as store:
        service = AcuseService(store, settings)
        assert [p.folio for p in service.pending()] == [folio]
        report = service.seal_pending(signer)
        assert report.sealed == (folio,) and report.ok
        acuse = service.current(folio)
        (status,) = signature_statuses(acuse.pdf)
        assert status.intact  # type: ignore[attr-defined]
        assert "SIN SELLO" not in text_of(acuse.pdf)
        assert audit.verify_chain(store.reader()).ok
        assert check_store(store).ok


def test_one_failure_does_not_stop_the_others_and_says_why_in_spanish(
    store: Store, settings: Settings, acuses: AcuseService, signer: PdfSigner, tmp_path: Path
) -> None:
    first = register(store, settings, tmp_path, "Primero")
    broken = register(store, settings, tmp_path, "Segundo")
    third = register(store, settings, tmp_path, "Tercero")
    # Someone edits a registered filing behind the application's back: its cadena no longer
    # matches the acuse handed over, so sealing a new version of it must be refused.
    store.write(
        lambda db: db.execute("UPDATE filings SET subject = 'Otro' WHERE folio = ?", [broken])
    )

    report = acuses.seal_pending(signer)

    assert report.sealed == (first, third)
    (failure,) = report.failures
    assert failure.folio == broken
    assert "ya no coinciden con su acuse" in failure.message and "no se selló" in failure.message
    assert acuses.current(broken).seal_state is SealState.PENDIENTE
    assert [p.folio for p in acuses.pending()] == [broken]


def test_two_threads_sealing_the_same_acuse_seal_it_once(
    store: Store, settings: Settings, acuses: AcuseService, signer: PdfSigner, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(acuses.seal(folio, signer).sha256))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 3
    sealed_events = store.reader().execute(
        "SELECT count(*) FROM events WHERE kind = 'acuse_sellado'"
    )
    assert sealed_events.fetchone()[0] == 1


def test_a_missing_or_damaged_acuse_pdf_is_reported_not_handed_over(
    store: Store, settings: Settings, acuses: AcuseService, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)
    path = store.blobs.path(acuses.current(folio).sha256)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityProblem, match=f"acuse del folio {folio} está dañado"):
        acuses.current(folio)
    report = check_store(store)
    assert not report.ok
    assert f"falta o está alterado el PDF sin sello del acuse de {folio}" in report.acuse_problems

    path.unlink()
    with pytest.raises(
        IntegrityProblem, match=f"Falta el PDF guardado del acuse del folio {folio}"
    ):
        acuses.current(folio)


def test_store_check_reports_a_filing_without_its_acuse(
    store: Store, settings: Settings, acuses: AcuseService, tmp_path: Path, capsys
) -> None:
    folio = register(store, settings, tmp_path)
    store.write(lambda db: db.execute("DELETE FROM acuses"))

    report = check_store(store)
    assert report.acuse_problems == (f"el escrito {folio} no tiene acuse guardado",)
    assert not report.ok
    with pytest.raises(IntegrityProblem, match=f"El escrito {folio} no tiene acuse guardado"):
        acuses.current(folio)
    store.close()
    code = main(["--data-dir", str(settings.data_dir), "store", "check"])
    out = capsys.readouterr().out
    assert code == 2 and f"Acuses: el escrito {folio} no tiene acuse guardado" in out


def test_an_unknown_folio_is_not_found(acuses: AcuseService, signer: PdfSigner) -> None:
    with pytest.raises(NotFound, match="No existe un escrito con folio 'OPM-2026-C01-000099'"):
        acuses.current("OPM-2026-C01-000099")
    with pytest.raises(NotFound):
        acuses.seal("OPM-2026-C01-000099", signer)


def test_the_stored_digest_is_the_cadena_digest(
    store: Store, settings: Settings, acuses: AcuseService, tmp_path: Path
) -> None:
    from mailroom.filings import get_filing
    from mailroom.receipt import cadena_original

    folio = register(store, settings, tmp_path)
    filing = get_filing(store.reader(), folio)
    assert acuses.current(folio).cadena_digest == digest(cadena_original(filing, settings))


# --- the command line, with SAT's test e.firma ------------------------------------------------


def run(data_dir: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def efirma(password_file: Path | None = None) -> list[str]:
    return [
        "--cer",
        str(FIEL / "certificate.cer"),
        "--key",
        str(FIEL / "private_key.key"),
        "--password-file",
        str(password_file or FIEL / "password.txt"),
    ]


def cli_intake(
    data_dir: Path, capsys: pytest.CaptureFixture, letter: Path, *extra: str
) -> tuple[int, str, str]:
    return run(
        data_dir,
        capsys,
        "intake",
        str(scan(letter, f"Escrito {letter.stem}")),
        "--remitente",
        "Lucía Ñúñez",
        "--asunto",
        letter.stem,
        "--sin-esperar-ocr",
        *extra,
    )


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_signing, "_now", lambda: FROZEN)


def filing_count(data_dir: Path) -> int:
    with Store(data_dir) as store:
        return int(store.reader().execute("SELECT count(*) FROM filings").fetchone()[0])


@needs_sat
def test_intake_with_the_efirma_seals_the_acuse_at_once(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    code, out, err = cli_intake(data_dir, capsys, tmp_path / "Licencia.jpg", *efirma())
    assert code == 0
    folio = out.strip()
    assert "Acuse sellado con la e.firma (AAA010101AAA)" in err

    target = tmp_path / "acuse.pdf"
    code, out, err = run(data_dir, capsys, "acuse", folio, "-o", str(target))
    assert code == 0 and err == ""
    assert "Estado: sellado (B-B, RFC AAA010101AAA)" in out
    (status,) = signature_statuses(target.read_bytes())
    assert status.intact  # type: ignore[attr-defined]
    assert "SIN SELLO" not in text_of(target.read_bytes())


@needs_sat
def test_intake_with_a_wrong_password_registers_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    wrong = tmp_path / "mala.txt"
    wrong.write_text("no-es\n", encoding="utf-8")
    code, out, err = cli_intake(data_dir, capsys, tmp_path / "Licencia.jpg", *efirma(wrong))
    assert code == 77 and out == ""
    assert "Error: La contraseña de la llave privada (.key) es incorrecta" in err
    assert filing_count(data_dir) == 0


@needs_sat
def test_an_expired_efirma_registers_nothing_and_seals_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = cli_intake(data_dir, capsys, tmp_path / "Licencia.jpg", *efirma())
    assert code == 65 and "Error: El certificado venció el 2021-05-15" in err
    assert filing_count(data_dir) == 0

    code, out, err = cli_intake(data_dir, capsys, tmp_path / "Queja.jpg")
    assert code == 0 and "Acuse sin sello: queda pendiente" in err
    folio = out.strip()
    code, _, err = run(data_dir, capsys, "acuses", "sellar", *efirma())
    assert code == 65 and "Error: El certificado venció el 2021-05-15" in err
    target = tmp_path / "acuse.pdf"
    code, _, err = run(data_dir, capsys, "acuse", folio, "-o", str(target), *efirma())
    assert code == 65 and "venció" in err and not target.exists()
    code, out, _ = run(data_dir, capsys, "acuses", "pendientes", "--json")
    assert [row["folio"] for row in json.loads(out)] == [folio]


@needs_sat
def test_acuse_writes_the_stored_one_and_seals_it_when_given_the_efirma(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    folio = cli_intake(data_dir, capsys, tmp_path / "Licencia.jpg")[1].strip()
    first, second = tmp_path / "uno.pdf", tmp_path / "dos.pdf"
    code, out, err = run(data_dir, capsys, "acuse", folio, "-o", str(first))
    assert code == 0 and "Estado: pendiente de sello" in out and "acuse sin sello" in err
    with Store(data_dir) as store:
        stored = AcuseService(store, Settings(data_dir)).current(folio)
    assert first.read_bytes() == stored.pdf  # the stored acuse, not a new rendering
    assert f"Cadena original sha256: {stored.cadena_digest}" in out

    code, out, err = run(data_dir, capsys, "acuse", folio, "-o", str(second), *efirma())
    assert code == 0 and "Estado: sellado" in out
    # SAT's test e.firma comes from SAT's test authority, which no office trusts: sealed, but
    # the clerk is told that nobody will be able to validate it as trusted.
    assert err.startswith("Aviso: la autoridad que emitió esta e.firma («A.C. 2 de pruebas")
    (status,) = signature_statuses(second.read_bytes())
    assert status.intact  # type: ignore[attr-defined]
    code, out, _ = run(data_dir, capsys, "acuses", "pendientes")
    assert code == 0 and out == ""


@needs_sat
def test_acuses_sellar_seals_every_pending_one(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    folios = [cli_intake(data_dir, capsys, tmp_path / f"{n}.jpg")[1].strip() for n in ("a", "b")]
    code, out, _ = run(data_dir, capsys, "acuses", "pendientes")
    assert [line.split()[0] for line in out.splitlines()] == folios

    code, out, err = run(data_dir, capsys, "acuses", "sellar", *efirma())
    assert code == 0 and err.count("Aviso:") == 1 and "no está entre las de confianza" in err
    assert out.splitlines() == [
        f"Sellado: {folios[0]}",
        f"Sellado: {folios[1]}",
        "2 acuses sellados, 0 con error.",
    ]
    code, out, _ = run(data_dir, capsys, "acuses", "sellar", *efirma())
    assert code == 0 and out.strip() == "0 acuses sellados, 0 con error."
    code, _, _ = run(data_dir, capsys, "audit", "verify")
    assert code == 0


def test_acuse_with_a_damaged_stored_pdf_writes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folio = cli_intake(data_dir, capsys, tmp_path / "Licencia.jpg")[1].strip()
    with Store(data_dir) as store:
        sha = AcuseService(store, Settings(data_dir)).current(folio).sha256
        store.blobs.path(sha).write_bytes(b"%PDF-1.4 basura")
    target = tmp_path / "acuse.pdf"
    code, out, err = run(data_dir, capsys, "acuse", folio, "-o", str(target))
    assert code == 2 and out == ""
    assert f"Error: El PDF guardado del acuse del folio {folio} está dañado" in err
    assert not target.exists() and not list(tmp_path.glob(".*.tmp"))


def test_acuse_of_an_unknown_folio_writes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "acuse.pdf"
    code, _, err = run(data_dir, capsys, "acuse", "OPM-1999-C01-000001", "-o", str(target))
    assert code == 4 and "Error: No existe un escrito con folio 'OPM-1999-C01-000001'" in err
    assert not target.exists()
