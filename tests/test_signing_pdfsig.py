"""An independent validator agrees with us: poppler's ``pdfsig`` on our sealed acuse.

The acuse is sealed with SAT's test e.firma in place (``../shared/fixtures/sat``), the clock frozen
inside its validity (it expired in 2021). That certificate is expired today and its issuer is not in
any NSS database, so ``pdfsig`` cannot call it trusted: these tests assert only on the signature and
digest lines. Trusting the test root through an NSS database (``pdfsig -nssdir``) comes with the
certomancer PKI that imitates SAT.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailroom.config import Settings
from mailroom.receipt import build_acuse
from signing import load_credentials
from signing.sign import PdfSigner
from tests.test_receipt import known_filing

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
# Inside the test e.firma's validity (2017-05-16 .. 2021-05-15).
SIGNED_AT = datetime(2020, 12, 1, 16, 30, tzinfo=UTC)

# pdfsig comes with poppler-utils, which make test installs: if it is missing the test fails.
pytestmark = pytest.mark.skipif(not SAT.is_dir(), reason="../shared/fixtures/sat no está presente")


@pytest.fixture(scope="module")
def office_signer() -> PdfSigner:
    password = (FIEL / "password.txt").read_text().strip()
    credentials = load_credentials(
        FIEL / "certificate.cer", FIEL / "private_key.key", password, now=SIGNED_AT
    )
    return PdfSigner(credentials, clock=lambda: SIGNED_AT)


@pytest.fixture
def sealed_acuse(office_signer: PdfSigner, settings: Settings) -> bytes:
    acuse = build_acuse(known_filing(), settings, sealed=True)
    return office_signer.sign(acuse.pdf)


def pdfsig(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    # pdfsig exits 0 whether the signature is valid or not: its verdict is in the text.
    result = subprocess.run(
        ["pdfsig", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
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


def test_pdfsig_reports_the_sealed_acuse_valid_and_whole(
    sealed_acuse: bytes, tmp_path: Path
) -> None:
    report = pdfsig(sealed_acuse, tmp_path / "acuse-sellado.pdf")

    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report


def test_pdfsig_reports_a_tampered_copy_as_a_digest_mismatch(
    sealed_acuse: bytes, tmp_path: Path
) -> None:
    tampered = bytearray(sealed_acuse)
    tampered[byte_inside_first_stream(sealed_acuse)] ^= 0x01

    report = pdfsig(bytes(tampered), tmp_path / "acuse-alterado.pdf")

    assert "Digest Mismatch" in report, report
    assert "Signature is Valid." not in report, report
