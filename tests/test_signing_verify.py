"""Verifying signed PDFs: sign -> verify ok; tamper, append, foreign CA, no signature, garbage;
a revoked SAT-style e.firma reported revoked through the explicit OCSP check; the CLI."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from fpdf import FPDF
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from mailroom.cli import main
from signing import Credentials, load_credentials, read_identity
from signing.sign import PdfSigner
from signing.trust import TrustStore, trust_store_from_certificates
from signing.verify import UnreadableSignedPdf, verify_pdf

SIGNED_AT = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


def _name(common: str, rfc: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if rfc:
        attributes += [
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, rfc, _type=_ASN1Type.PrintableString
            ),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "PEPJ800101HDFRRN09"),
        ]
    return x509.Name(attributes)


def _pki(ca_name: str = "AC de Pruebas Oficialía") -> tuple[bytes, Credentials]:
    ca_key = rsa.generate_private_key(65537, 2048)
    leaf_key = rsa.generate_private_key(65537, 2048)
    start, end = SIGNED_AT - timedelta(days=30), SIGNED_AT + timedelta(days=365)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(ca_name))
        .issuer_name(_name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("JUAN PÉREZ PÉREZ", "PEPJ800101AB1"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(int.from_bytes(b"00001000000500000077", "big"))
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    der = leaf.public_bytes(serialization.Encoding.DER)
    credentials = Credentials(
        identity=read_identity(der), certificate_der=der, private_key=leaf_key
    )
    return ca.public_bytes(serialization.Encoding.DER), credentials


@pytest.fixture(scope="module")
def pki() -> tuple[TrustStore, Credentials]:
    ca_der, credentials = _pki()
    return trust_store_from_certificates([ca_der], test=True), credentials


def _document() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Escrito de prueba para verificar firmas.")
    return bytes(pdf.output())


def _signed(credentials: Credentials) -> bytes:
    return PdfSigner(credentials, clock=lambda: SIGNED_AT).sign(_document(), reason="Prueba")


def test_a_good_signature_is_reported_valid_with_the_signer(pki) -> None:
    trust, credentials = pki
    report = verify_pdf(_signed(credentials), trust=trust)
    assert report.ok, report.to_dict()
    (signature,) = report.signatures
    assert signature.rfc == "PEPJ800101AB1" and signature.certificate_type == "efirma"
    assert signature.coverage == "documento_completo" and signature.level == "B-B"
    assert signature.verdict.startswith("Firma válida de JUAN PÉREZ PÉREZ (RFC PEPJ800101AB1)")
    assert signature.revocation.status == "no_verificado"
    assert "Revocación no verificada" in signature.verdict
    assert json.loads(json.dumps(report.to_dict()))["firmas"][0]["valida"] is True


def test_one_flipped_byte_is_reported_as_modified(pki) -> None:
    trust, credentials = pki
    original = _document()
    signed = bytearray(PdfSigner(credentials, clock=lambda: SIGNED_AT).sign(original))
    signed[original.index(b"stream") + 20] ^= 0x01
    report = verify_pdf(bytes(signed), trust=trust)
    assert not report.ok
    assert "modificado después de firmarse" in report.signatures[0].verdict
    assert "NO es confiable" in report.verdict


def test_content_appended_after_signing_is_reported(pki) -> None:
    trust, credentials = pki
    writer = IncrementalPdfFileWriter(BytesIO(_signed(credentials)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trust=trust)
    (signature,) = report.signatures
    assert signature.coverage == "revision_completa"
    assert signature.modified_after_signing and not report.ok
    assert "modificado después de firmarse" in signature.verdict


def test_an_unknown_authority_is_named(pki) -> None:
    _, credentials = pki
    other_ca, _ = _pki("Otra Autoridad Cualquiera")
    report = verify_pdf(_signed(credentials), trust=trust_store_from_certificates([other_ca]))
    assert not report.ok
    verdict = report.signatures[0].verdict
    assert "Firmante no reconocido" in verdict and "AC de Pruebas Oficialía" in verdict


def test_unsigned_pdf_and_garbage(pki) -> None:
    trust, _ = pki
    report = verify_pdf(_document(), trust=trust)
    assert not report.ok and report.verdict == "El documento no tiene firmas."
    for data in (b"no es un PDF" * 100, _document()[:300]):
        with pytest.raises(UnreadableSignedPdf) as raised:
            verify_pdf(data, trust=trust)
        assert "PDF" in raised.value.message
    with pytest.raises(UnreadableSignedPdf, match="máximo"):
        verify_pdf(_document(), trust=trust, max_bytes=100)


def test_revoked_sat_efirma_is_reported_revoked_through_ocsp(sat_pki) -> None:
    from signing.revocation import RevocationChecker

    credentials = load_credentials(
        sat_pki.cer("revocada"), sat_pki.key("revocada"), sat_pki.password
    )
    signed = PdfSigner(credentials).sign(_document())
    trust = trust_store_from_certificates([sat_pki.root_der, sat_pki.ac_der], test=True)
    report = verify_pdf(signed, trust=trust, revocation=RevocationChecker(sat_pki.ocsp_url))
    (signature,) = report.signatures
    assert signature.revocation.status == "revocado"
    assert signature.test_root and signature.trusted and signature.intact
    assert "revocado" in signature.verdict.lower() and not report.ok

    good = load_credentials(sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)
    report = verify_pdf(
        PdfSigner(good).sign(_document()),
        trust=trust,
        revocation=RevocationChecker(sat_pki.ocsp_url),
    )
    assert report.ok and report.signatures[0].revocation.status == "vigente"


def test_cli_exit_codes_and_json(sat_pki, tmp_path: Path, capsys) -> None:
    good = load_credentials(sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)
    signed = tmp_path / "firmado.pdf"
    signed.write_bytes(PdfSigner(good).sign(_document()))
    unsigned = tmp_path / "sin-firma.pdf"
    unsigned.write_bytes(_document())
    garbage = tmp_path / "basura.pdf"
    garbage.write_bytes(b"nada" * 50)
    base = ["--data-dir", str(tmp_path / "datos")]
    roots = tmp_path / "raices-de-prueba"
    roots.mkdir()
    (roots / "raiz.cer").write_bytes(sat_pki.root_der)
    (roots / "ac.cer").write_bytes(sat_pki.ac_der)
    os.environ["OFICIALIA_TRUST_TEST_ROOTS"] = str(roots)
    os.environ["OFICIALIA_OCSP_URL"] = sat_pki.ocsp_url
    try:
        assert main([*base, "verify", str(signed)]) == 0
        out = capsys.readouterr().out
        assert "Firma válida de MARÍA GUADALUPE PÉREZ LÓPEZ" in out and "La firma es válida" in out
        assert main([*base, "verify", str(signed), "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["valido"] is True and data["firmas"][0]["revocacion"]["estado"] == "vigente"
        assert main([*base, "verify", str(unsigned)]) == 6
        assert "no tiene firmas" in capsys.readouterr().out
        assert main([*base, "verify", str(garbage)]) == 65
        assert "no es un PDF" in capsys.readouterr().err
        del os.environ["OFICIALIA_TRUST_TEST_ROOTS"]
        assert main([*base, "verify", str(signed)]) == 5
        assert "Firmante no reconocido" in capsys.readouterr().out
    finally:
        os.environ.pop("OFICIALIA_TRUST_TEST_ROOTS", None)
        os.environ.pop("OFICIALIA_OCSP_URL", None)
    assert not (tmp_path / "datos").exists()
