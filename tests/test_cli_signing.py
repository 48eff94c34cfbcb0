"""The e.firma commands, with SAT's real test e.firma (expired in 2021) from ``../shared``."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from mailroom.cli import efirma as cli_signing
from mailroom.cli import main
from mailroom.samples import render_page_image
from signing import CertificateExpired, NotACertificate, NotAnEfirma, WrongPassword

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
CSD = SAT / "CSD01_AAA010101AAA"
# Inside the test e.firma's validity (2017-05-16 .. 2021-05-15).
FROZEN = datetime(2020, 12, 1, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not SAT.is_dir(), reason="../shared/fixtures/sat no está presente")


def run(data_dir: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def credentials(folder: Path, password_file: Path | None = None) -> list[str]:
    return [
        "--cer",
        str(folder / "certificate.cer"),
        "--key",
        str(folder / "private_key.key"),
        "--password-file",
        str(password_file or folder / "password.txt"),
    ]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_signing, "_now", lambda: FROZEN)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "oficio.pdf"
    render_page_image(["Oficio de prueba"], dpi=100).save(path, "PDF", resolution=100)
    return path


def signature_count(path: Path) -> int:
    # PIL writes PDFs that pyHanko only reads leniently (the signer opens them the same way).
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    return len(reader.embedded_signatures)


def test_efirma_info_reads_the_sat_test_efirma_without_creating_data(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _ = run(data_dir, capsys, "efirma", "info", "--cer", str(FIEL / "certificate.cer"))
    assert code == 0
    assert "RFC:                AAA010101AAA" in out
    assert "RFC representante:  HEGT7610034S2" in out
    assert "CURP representante: HEGT761003MDFRNN09" in out
    assert "Persona:            moral" in out and "e.firma (FIEL)" in out
    assert "al 2021-05-15" in out and "(vencido)" in out
    assert not data_dir.exists()

    code, out, _ = run(
        data_dir, capsys, "efirma", "info", "--cer", str(FIEL / "certificate.cer"), "--json"
    )
    info = json.loads(out)
    assert code == 0
    assert (info["rfc"], info["rfc_representante"], info["curp_representante"]) == (
        "AAA010101AAA",
        "HEGT7610034S2",
        "HEGT761003MDFRNN09",
    )
    assert info["persona"] == "moral" and info["tipo"] == "efirma" and info["vigente"] is False


def test_efirma_info_refuses_a_file_that_is_not_a_certificate(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(data_dir, capsys, "efirma", "info", "--cer", str(FIEL / "private_key.key"))
    assert code == NotACertificate.exit_code
    assert "Error: El archivo no es un certificado (.cer) válido" in err


def test_efirma_check_says_the_test_efirma_expired(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run(data_dir, capsys, "efirma", "check", *credentials(FIEL))
    assert code == CertificateExpired.exit_code
    assert "Error: El certificado venció el 2021-05-15" in err and "Renueve la e.firma" in err
    assert (FIEL / "password.txt").read_text().strip() not in out + err


def test_efirma_check_succeeds_inside_the_validity(
    data_dir: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    code, out, _ = run(data_dir, capsys, "efirma", "check", *credentials(FIEL))
    assert code == 0
    assert out.strip() == (
        "e.firma válida: ACCEM SERVICIOS EMPRESARIALES SC (AAA010101AAA), vence 2021-05-15"
    )


def test_efirma_check_refuses_a_csd(
    data_dir: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    code, _, err = run(data_dir, capsys, "efirma", "check", *credentials(CSD))
    assert code == NotAnEfirma.exit_code
    assert "es un sello digital (CSD" in err and "no para firmar un documento" in err


def test_efirma_check_reports_a_wrong_password(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    wrong = tmp_path / "mala.txt"
    wrong.write_text("no-es-la-contraseña\n", encoding="utf-8")
    code, _, err = run(data_dir, capsys, "efirma", "check", *credentials(FIEL, wrong))
    assert code == WrongPassword.exit_code == 77
    assert "Error: La contraseña de la llave privada (.key) es incorrecta" in err


def test_efirma_check_prompts_for_the_password_when_no_file_is_given(
    data_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []
    password = (FIEL / "password.txt").read_text(encoding="utf-8").rstrip("\n")
    monkeypatch.setattr(cli_signing.getpass, "getpass", lambda p: prompts.append(p) or password)
    monkeypatch.setattr(cli_signing, "_now", lambda: FROZEN)
    args = credentials(FIEL)[:4]
    code, out, _ = run(data_dir, capsys, "efirma", "check", *args)
    assert code == 0 and prompts == ["Contraseña de la e.firma: "]
    assert password not in out


def test_sign_refuses_the_expired_efirma_and_writes_nothing(
    data_dir: Path, pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out_path = tmp_path / "firmado.pdf"
    code, _, err = run(data_dir, capsys, "sign", str(pdf), "-o", str(out_path), *credentials(FIEL))
    assert code == CertificateExpired.exit_code
    assert "Error: El certificado venció el 2021-05-15" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["oficio.pdf"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_sign_signs_inside_the_validity(
    data_dir: Path, pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    out_path = tmp_path / "firmado.pdf"
    args = ["sign", str(pdf), "-o", str(out_path), "--motivo", "Prueba", *credentials(FIEL)]
    code, out, _ = run(data_dir, capsys, *args)
    assert code == 0 and str(out_path) in out
    assert signature_count(out_path) == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_sign_into_a_missing_folder_says_so_in_spanish(
    data_dir: Path, pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    out_path = tmp_path / "no-existe" / "firmado.pdf"
    args = ["sign", str(pdf), "-o", str(out_path), *credentials(FIEL)]
    code, _, err = run(data_dir, capsys, *args)
    assert code == 74  # storage, not a traceback
    assert f"Error: No se pudo escribir {out_path}" in err and "carpeta exista" in err
    assert not out_path.parent.exists()


def test_sign_refuses_to_overwrite_its_input(
    data_dir: Path, pdf: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    before = pdf.read_bytes()
    code, _, err = run(data_dir, capsys, "sign", str(pdf), "-o", str(pdf), *credentials(FIEL))
    assert code == 65 and "no puede ser el mismo que el de entrada" in err
    assert pdf.read_bytes() == before


@pytest.fixture
def folio(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    letter = tmp_path / "escrito.jpg"
    render_page_image(["Solicitud de constancia de residencia"], dpi=150).save(
        letter, "JPEG", dpi=(150, 150), quality=80
    )
    code, out, _ = run(
        data_dir,
        capsys,
        "intake",
        str(letter),
        "--remitente",
        "Lucía Ñúñez",
        "--asunto",
        "Constancia",
        "--sin-esperar-ocr",
    )
    assert code == 0
    return out.strip()


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def test_acuse_without_efirma_is_unsealed(
    data_dir: Path, folio: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out_path = tmp_path / "acuse.pdf"
    code, out, err = run(data_dir, capsys, "acuse", folio, "-o", str(out_path))
    assert code == 0
    assert str(out_path) in out and "Cadena original sha256: " in out
    assert "acuse sin sello" in err
    text = pdf_text(out_path)
    assert folio in text and "SIN SELLO" in text.upper()
    assert signature_count(out_path) == 0


def test_acuse_with_efirma_is_sealed(
    data_dir: Path, folio: str, tmp_path: Path, capsys: pytest.CaptureFixture, frozen_clock: None
) -> None:
    out_path = tmp_path / "acuse.pdf"
    code, out, _ = run(data_dir, capsys, "acuse", folio, "-o", str(out_path), *credentials(FIEL))
    assert code == 0 and "Cadena original sha256: " in out
    assert signature_count(out_path) == 1
    assert folio in pdf_text(out_path)


def test_acuse_of_an_unknown_folio(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out_path = tmp_path / "acuse.pdf"
    code, _, err = run(data_dir, capsys, "acuse", "OPM-1999-C01-000001", "-o", str(out_path))
    assert code == 4 and "No existe un escrito con folio" in err
    assert not out_path.exists()
