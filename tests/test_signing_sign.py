"""PAdES B-B signing with a visible stamp: sign -> validate -> tamper must fail.

Uses SAT's test e.firma in place (``../shared/fixtures/sat``), with the clock frozen inside its
validity (it expired in 2021), and a self-made certificate to show nothing depends on that file.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from fpdf import FPDF
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing import Credentials, UnsignablePdf, load_credentials, read_identity
from signing.sign import PdfSigner
from signing.stamp import format_signing_time

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
ZONE = ZoneInfo("America/Mexico_City")
# Winter, inside the test e.firma's validity (2017-05-16 .. 2021-05-15): Mexico City was UTC-6.
SIGNED_AT = datetime(2020, 12, 1, 10, 30, 15, tzinfo=ZONE)
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

needs_fixtures = pytest.mark.skipif(
    not SAT.is_dir(), reason="../shared/fixtures/sat no está presente"
)


@pytest.fixture(scope="module")
def fiel() -> Credentials:
    if not SAT.is_dir():
        pytest.skip("../shared/fixtures/sat no está presente")
    password = (FIEL / "password.txt").read_text().strip()
    return load_credentials(
        FIEL / "certificate.cer",
        FIEL / "private_key.key",
        password,
        now=datetime(2020, 6, 1, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def fiel_signer(fiel: Credentials) -> PdfSigner:
    return PdfSigner(fiel, clock=lambda: SIGNED_AT)


def _document(pages: int = 1) -> bytes:
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", "", DEJAVU)
    pdf.set_font("DejaVu", size=12)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Acuse de recibo — Oficialía de Partes. Página {number}.")
    return bytes(pdf.output())


def _validate(embedded: EmbeddedPdfSignature) -> PdfSignatureStatus:
    # Integrity only: no trust roots (SAT's test root is not configured here), and an explicit
    # empty context so pyHanko does not fall back to the operating system's trust list.
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=[]))


def _only_signature_status(signed: bytes) -> PdfSignatureStatus:
    reader = PdfFileReader(BytesIO(signed))
    assert len(reader.embedded_signatures) == 1
    return _validate(reader.embedded_signatures[0])


def _stamp_text(signed: bytes) -> str:
    # The stamp is the widget annotation's appearance; flattening draws it into the page so
    # that text extraction reads what a printed copy shows.
    document = pypdfium2.PdfDocument(signed)
    document.init_forms()
    page = document[len(document) - 1]
    page.flatten()
    document = pypdfium2.PdfDocument(_saved(document))
    return str(document[len(document) - 1].get_textpage().get_text_range())


def _saved(document: pypdfium2.PdfDocument) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@needs_fixtures
def test_signed_pdf_is_intact_valid_and_covers_the_whole_file(fiel_signer: PdfSigner) -> None:
    original = _document()
    signed = fiel_signer.sign(original, location="Ciudad de México")

    assert signed.startswith(original)  # an incremental update: the original bytes are untouched
    reader = PdfFileReader(BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    assert embedded.field_name == "SelloOficialia"
    assert read_identity(embedded.signer_cert.dump()).rfc == "AAA010101AAA"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "Acuse de recibo"
    assert embedded.self_reported_timestamp == SIGNED_AT
    status = _validate(embedded)
    assert status.intact and status.valid
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


@needs_fixtures
def test_stamp_shows_signer_rfc_time_with_offset_and_certificate(fiel_signer: PdfSigner) -> None:
    text = _stamp_text(fiel_signer.sign(_document()))

    assert "Firmado electrónicamente por" in text
    assert "ACCEM SERVICIOS EMPRESARIALES SC" in text
    assert "RFC: AAA010101AAA" in text
    assert "RFC del representante: HEGT7610034S2" in text
    assert "Fecha: 2020-12-01 10:30:15 -06:00" in text
    assert "30001000000300023685" in text


@needs_fixtures
def test_stamp_goes_in_the_requested_box_and_page(fiel_signer: PdfSigner) -> None:
    signed = fiel_signer.sign(_document(pages=3), stamp_box=(72, 72, 300, 160), page=1)

    reader = PdfFileReader(BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    annotation = embedded.sig_field  # a merged field/widget, as pyHanko creates it
    assert [float(value) for value in annotation["/Rect"]] == [72, 72, 300, 160]
    assert annotation.raw_get("/P").idnum == reader.root["/Pages"]["/Kids"].raw_get(1).idnum


@needs_fixtures
def test_one_flipped_byte_breaks_the_signature(fiel_signer: PdfSigner) -> None:
    original = _document()
    signed = bytearray(fiel_signer.sign(original))
    # Inside the page's content stream, well within the first signed byte range.
    position = original.index(b"stream") + 20
    signed[position] ^= 0x01

    status = _only_signature_status(bytes(signed))
    # The CMS signature over the signed attributes still verifies (valid); it is the document
    # digest inside them that no longer matches (intact), which makes the whole verdict fail.
    assert not status.intact
    assert not status.bottom_line


@needs_fixtures
def test_garbage_is_refused_with_a_spanish_message(fiel_signer: PdfSigner) -> None:
    with pytest.raises(UnsignablePdf) as raised:
        fiel_signer.sign(b"esto no es un PDF\n" * 40)
    assert "no es un PDF válido" in str(raised.value)
    assert raised.value.code == "pdf_no_firmable"


@needs_fixtures
def test_one_signer_signs_many_documents_faster_than_a_new_signer_each_time(
    fiel: Credentials, fiel_signer: PdfSigner
) -> None:
    documents = [_document() for _ in range(4)]
    fiel_signer.sign(documents[0])  # warm-up: imports, font, first asyncio loop

    started = time.perf_counter()
    cached = [fiel_signer.sign(document) for document in documents]
    cached_ms = (time.perf_counter() - started) * 1000 / len(documents)
    started = time.perf_counter()
    for document in documents:
        PdfSigner(fiel, clock=lambda: SIGNED_AT).sign(document)
    fresh_ms = (time.perf_counter() - started) * 1000 / len(documents)
    print(
        f"\nfirma por documento: {cached_ms:.0f} ms con firmante en caché, {fresh_ms:.0f} ms nuevo"
    )

    assert all(_only_signature_status(signed).intact for signed in cached)


@needs_fixtures
def test_a_signed_document_can_be_countersigned(fiel_signer: PdfSigner) -> None:
    first = fiel_signer.sign(_document())
    second = fiel_signer.sign(first, field_name="SelloRevision", reason="Revisión")

    reader = PdfFileReader(BytesIO(second))
    statuses = [_validate(embedded) for embedded in reader.embedded_signatures]
    assert [status.intact and status.valid for status in statuses] == [True, True]
    assert statuses[-1].coverage == SignatureCoverageLevel.ENTIRE_FILE


def _self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Credentials:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "MARÍA PEÑA NÚÑEZ"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, "XAXX010101000", _type=_ASN1Type.PrintableString
            ),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "XAXX010101HDFXXX09"),
        ]
    )
    # Valid around the fixed signing time the tests use (2026-07-01): a signer refuses to seal
    # outside its certificate's validity.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(b"00001000000500000001", "big"))
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Credentials(identity=read_identity(der), certificate_der=der, private_key=key)


@pytest.mark.parametrize(
    "key",
    [rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP256R1())],
    ids=["rsa", "ecdsa"],
)
def test_a_self_made_certificate_signs_too(key: rsa.RSAPrivateKey) -> None:
    credentials = _self_signed(key)
    signed = PdfSigner(credentials, clock=lambda: datetime(2026, 7, 1, 9, 0, tzinfo=UTC)).sign(
        _document()
    )

    status = _only_signature_status(signed)
    assert status.intact and status.valid
    text = _stamp_text(signed)
    assert "MARÍA PEÑA NÚÑEZ" in text
    assert "RFC: XAXX010101000" in text
    assert "representante" not in text
    assert "Fecha: 2026-07-01 03:00:00 -06:00" in text
    assert "00001000000500000001" in text


def test_signing_time_is_printed_in_the_office_zone_with_its_offset() -> None:
    assert format_signing_time(datetime(2026, 3, 9, 16, 30, tzinfo=UTC)) == (
        "2026-03-09 10:30:00 -06:00"
    )
    # Before 2022 Mexico City kept summer time: the offset printed must be that day's.
    assert format_signing_time(datetime(2020, 6, 1, 15, 0, tzinfo=UTC)) == (
        "2020-06-01 10:00:00 -05:00"
    )
