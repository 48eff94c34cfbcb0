"""An independent validator agrees with us: poppler's ``pdfsig`` on our sealed acuse.

Two sets of checks:

* sealed with the SAT-shaped test PKI (``tests/sat_pki.py``) and an NSS database that trusts only
  its root (``pdfsig -nssdir``): pdfsig must call the signature valid *and* the certificate
  trusted, for B-B and B-LT, and a tampered copy a digest mismatch -- also for office e.firmas
  issued by the test AC6 and AC7, whose names are byte for byte SAT's (AC6's is malformed);
* sealed with SAT's real test e.firma in place (``../shared/fixtures/sat``), the clock frozen inside
  its validity (it expired in 2021; its issuer is in no NSS database): signature and digest lines
  only.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailroom.config import Settings, load_settings
from mailroom.receipt import STAMP_BOX, build_acuse
from signing import load_credentials
from signing.longterm import make_timestamper
from signing.revocation import RevocationChecker
from signing.sign import PdfSigner
from tests.sat_pki import IDENTITIES, SatPki
from tests.test_receipt import known_filing

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
# Inside the test e.firma's validity (2017-05-16 .. 2021-05-15).
SIGNED_AT = datetime(2020, 12, 1, 16, 30, tzinfo=UTC)

# pdfsig (poppler-utils) and certutil (libnss3-tools) are installed by make test: if either is
# missing the tests fail.
needs_fixtures = pytest.mark.skipif(
    not SAT.is_dir(), reason="../shared/fixtures/sat no está presente"
)


@pytest.fixture(scope="module")
def nss_trusting_test_root(sat_pki: SatPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NSS database whose only trust anchor is the test PKI's root."""
    folder = tmp_path_factory.mktemp("nss")
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True, timeout=30
    )
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{folder}", "-n", "raiz-de-pruebas", "-t", "C,C,C",
         "-i", str(sat_pki.root_path)],
        check=True,
        timeout=30,
    )  # fmt: skip
    return folder


@pytest.fixture(scope="module", params=["B-B", "B-LT"])
def pki_sealed_acuse(request: pytest.FixtureRequest, sat_pki: SatPki) -> tuple[str, bytes]:
    credentials = load_credentials(sat_pki.cer("fisica"), sat_pki.key("fisica"), sat_pki.password)
    online = request.param == "B-LT"
    signer = PdfSigner(
        credentials,
        chain=[sat_pki.ac_der, sat_pki.root_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5) if online else None,
        revocation=RevocationChecker(sat_pki.ocsp_url, timeout=5) if online else None,
    )
    settings = load_settings(Path("/nonexistent-oficialia-data"), clerk="ventanilla1")
    acuse = build_acuse(known_filing(), settings, sealed=True)
    result = signer.sign_document(acuse.pdf, stamp_box=STAMP_BOX)
    assert result.level == request.param
    return result.level, result.pdf


def test_pdfsig_trusts_our_seal_through_the_test_root(
    pki_sealed_acuse: tuple[str, bytes], nss_trusting_test_root: Path, tmp_path: Path
) -> None:
    level, sealed = pki_sealed_acuse
    report = pdfsig(sealed, tmp_path / f"acuse-{level}.pdf", nss_trusting_test_root)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "MARÍA GUADALUPE PÉREZ LÓPEZ" in report, report


def test_pdfsig_without_the_test_root_does_not_trust_it(
    pki_sealed_acuse: tuple[str, bytes], tmp_path: Path
) -> None:
    level, sealed = pki_sealed_acuse
    empty = tmp_path / "nss-vacia"
    empty.mkdir()
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{empty}", "--empty-password"], check=True, timeout=30
    )
    report = pdfsig(sealed, tmp_path / f"acuse-{level}.pdf", empty)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate is Trusted." not in report, report


def test_pdfsig_reports_a_tampered_pki_seal_as_a_digest_mismatch(
    pki_sealed_acuse: tuple[str, bytes], nss_trusting_test_root: Path, tmp_path: Path
) -> None:
    level, sealed = pki_sealed_acuse
    tampered = bytearray(sealed)
    tampered[byte_inside_first_stream(sealed)] ^= 0x01
    report = pdfsig(bytes(tampered), tmp_path / f"alterado-{level}.pdf", nss_trusting_test_root)
    assert "Digest Mismatch" in report, report
    assert "Signature is Valid." not in report, report


@pytest.fixture(scope="module", params=["ac6", "ac7"])
def current_sealed_acuse(request: pytest.FixtureRequest, sat_pki: SatPki) -> tuple[str, bytes]:
    """An acuse sealed B-LT with the office e.firma of the test AC6 or AC7: the chain and the
    OCSP answer of that authority's responder travel in the PDF."""
    authority = str(request.param)
    label = f"oficina_{authority}"
    credentials = load_credentials(sat_pki.cer(label), sat_pki.key(label), sat_pki.password)
    signer = PdfSigner(
        credentials,
        chain=[sat_pki.authority_der(authority), sat_pki.root_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5),
        revocation=RevocationChecker(sat_pki.ocsp_url_for(authority), timeout=5),
    )
    settings = load_settings(Path("/nonexistent-oficialia-data"), clerk="ventanilla1")
    acuse = build_acuse(known_filing(), settings, sealed=True)
    result = signer.sign_document(acuse.pdf, stamp_box=STAMP_BOX)
    assert result.level == "B-LT"
    return authority, result.pdf


def test_pdfsig_trusts_a_seal_with_an_efirma_from_ac6_or_ac7(
    current_sealed_acuse: tuple[str, bytes], nss_trusting_test_root: Path, tmp_path: Path
) -> None:
    authority, sealed = current_sealed_acuse
    holder = IDENTITIES[f"oficina_{authority}"]["name"]
    report = pdfsig(sealed, tmp_path / f"acuse-{authority}.pdf", nss_trusting_test_root)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert holder in report, report

    tampered = bytearray(sealed)
    tampered[byte_inside_first_stream(sealed)] ^= 0x01
    report = pdfsig(bytes(tampered), tmp_path / f"alterado-{authority}.pdf", nss_trusting_test_root)
    assert "Digest Mismatch" in report, report


@pytest.fixture(scope="module")
def office_signer() -> PdfSigner:
    if not SAT.is_dir():
        pytest.skip("../shared/fixtures/sat no está presente")
    password = (FIEL / "password.txt").read_text().strip()
    credentials = load_credentials(
        FIEL / "certificate.cer", FIEL / "private_key.key", password, now=SIGNED_AT
    )
    return PdfSigner(credentials, clock=lambda: SIGNED_AT)


@pytest.fixture
def sealed_acuse(office_signer: PdfSigner, settings: Settings) -> bytes:
    acuse = build_acuse(known_filing(), settings, sealed=True)
    return office_signer.sign(acuse.pdf)


def pdfsig(pdf: bytes, path: Path, nss_dir: Path | None = None) -> str:
    path.write_bytes(pdf)
    # pdfsig exits 0 whether the signature is valid or not: its verdict is in the text.
    command = ["pdfsig", str(path)]
    if nss_dir is not None:
        command[1:1] = ["-nssdir", f"sql:{nss_dir}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return result.stdout + result.stderr


def byte_inside_first_stream(pdf: bytes) -> int:
    """An offset inside the first stream of the first /ByteRange span (the bytes signed before
    the /Contents hex): a change to the acuse's content, not to the PDF's structure, so pdfsig
    still finds the signature and has to notice the digest."""
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+\d+\s+\d+\s*\]", pdf)
    assert found, "the sealed acuse has no /ByteRange"
    start, length = int(found.group(1)), int(found.group(2))
    stream = pdf.find(b"stream\n", start + len(b"%PDF-1.7\n"), start + length)
    assert stream != -1, "no stream in the first signed range"
    position = stream + len(b"stream\n") + 16
    assert position < start + length
    return position


@needs_fixtures
def test_pdfsig_reports_the_sealed_acuse_valid_and_whole(
    sealed_acuse: bytes, tmp_path: Path
) -> None:
    report = pdfsig(sealed_acuse, tmp_path / "acuse-sellado.pdf")

    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report


@needs_fixtures
def test_pdfsig_reports_a_tampered_copy_as_a_digest_mismatch(
    sealed_acuse: bytes, tmp_path: Path
) -> None:
    tampered = bytearray(sealed_acuse)
    tampered[byte_inside_first_stream(sealed_acuse)] ^= 0x01

    report = pdfsig(bytes(tampered), tmp_path / "acuse-alterado.pdf")

    assert "Digest Mismatch" in report, report
    assert "Signature is Valid." not in report, report
