"""B-B / B-T / B-LT signing and the B-B -> B-LTA upgrade, against the SAT-shaped test PKI
(certomancer's OCSP responder and TSA on 127.0.0.1). Each level: sign -> validate -> flip one
byte -> validation fails."""

from __future__ import annotations

import time
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing import CertificateRevoked, Credentials, load_credentials
from signing.longterm import make_timestamper
from signing.revocation import RevocationChecker, RevocationStatus
from signing.sign import PdfSigner
from signing.upgrade import upgrade_pdf
from tests.sat_pki import SatPki, offline_url
from tests.test_signing_sign import _document


def _credentials(pki: SatPki, label: str) -> Credentials:
    return load_credentials(pki.cer(label), pki.key(label), pki.password)


def _signer(pki: SatPki, label: str = "fisica", *, tsa: str = "", ocsp: str = "") -> PdfSigner:
    return PdfSigner(
        _credentials(pki, label),
        timestamper=make_timestamper(tsa, 5),
        revocation=RevocationChecker(ocsp, timeout=5) if ocsp else None,
        chain=[pki.ac_der, pki.root_der],
    )


def _context(pki: SatPki, reader: PdfFileReader) -> ValidationContext:
    """Trust only the test root; revocation only from what the PDF carries (hard-fail)."""
    root = asn1_x509.Certificate.load(pki.root_der)
    settings = {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
    if reader.root.get("/DSS") is not None:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(settings)
    return ValidationContext(**settings, ocsps=[], crls=[])


def _signature_status(pki: SatPki, pdf: bytes) -> PdfSignatureStatus:
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    assert len(signatures) == 1
    return validate_pdf_signature(signatures[0], _context(pki, reader))


def _flip(original: bytes, signed: bytes) -> bytes:
    tampered = bytearray(signed)
    tampered[original.index(b"stream") + 20] ^= 0x01  # inside the first signed byte range
    return bytes(tampered)


def test_offline_seal_is_b_b_and_trusted_and_breaks_when_tampered(sat_pki: SatPki) -> None:
    original = _document()
    result = _signer(sat_pki).sign_document(original)
    assert result.level == "B-B" and result.revocation is None

    status = _signature_status(sat_pki, result.pdf)
    assert status.bottom_line and status.intact and status.trusted
    assert status.timestamp_validity is None

    broken = _signature_status(sat_pki, _flip(original, result.pdf))
    assert not broken.intact and not broken.bottom_line


def test_with_a_tsa_the_seal_is_b_t(sat_pki: SatPki) -> None:
    original = _document()
    result = _signer(sat_pki, tsa=sat_pki.tsa_url).sign_document(original)
    assert result.level == "B-T"
    status = _signature_status(sat_pki, result.pdf)
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert not _signature_status(sat_pki, _flip(original, result.pdf)).bottom_line


def test_with_tsa_and_ocsp_the_seal_is_b_lt_with_the_ocsp_answer_inside(
    sat_pki: SatPki,
) -> None:
    original = _document()
    result = _signer(sat_pki, tsa=sat_pki.tsa_url, ocsp=sat_pki.ocsp_url).sign_document(original)
    assert result.level == "B-LT" and result.notes == ()
    assert result.revocation is not None
    assert result.revocation.status is RevocationStatus.VIGENTE

    reader = PdfFileReader(BytesIO(result.pdf), strict=False)
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(list(dss.ocsps)) == 1 and len(list(dss.certs)) >= 2
    status = _signature_status(sat_pki, result.pdf)
    assert status.bottom_line and status.trusted
    assert not _signature_status(sat_pki, _flip(original, result.pdf)).bottom_line


def test_a_tsa_that_does_not_answer_falls_back_to_b_b_and_says_so(sat_pki: SatPki) -> None:
    signer = _signer(sat_pki, tsa=offline_url(), ocsp=sat_pki.ocsp_url)
    result = signer.sign_document(_document())
    assert result.level == "B-B"
    assert any(note.startswith("Sin sello de tiempo") for note in result.notes)
    assert _signature_status(sat_pki, result.pdf).bottom_line

    # The next seal does not wait for the dead link again: straight to B-B, and it says why.
    started = time.monotonic()
    following = signer.sign_document(_document())
    assert following.level == "B-B" and following.revocation is None
    assert any("sin conexión" in note for note in following.notes)
    assert time.monotonic() - started < 1.0


def test_the_office_refuses_to_seal_with_a_revoked_e_firma(sat_pki: SatPki) -> None:
    signer = _signer(sat_pki, "revocada", tsa=sat_pki.tsa_url, ocsp=sat_pki.ocsp_url)
    with pytest.raises(CertificateRevoked) as raised:
        signer.sign_document(_document())
    assert "REVOCADA" in raised.value.message
    assert "No se selló nada" in raised.value.message


def test_offline_b_b_is_upgraded_to_b_lta_and_still_breaks_when_tampered(
    sat_pki: SatPki,
) -> None:
    original = _document()
    sealed = _signer(sat_pki).sign_document(original).pdf
    outcome = upgrade_pdf(
        sealed,
        revocation=RevocationChecker(sat_pki.ocsp_url, timeout=5),
        ca_certificates=[sat_pki.ac_der, sat_pki.root_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5),
    )
    assert outcome.state == "hecha", outcome.message
    assert outcome.level == "B-LTA" and outcome.pdf is not None
    upgraded = outcome.pdf
    assert upgraded.startswith(sealed)  # incremental: the sealed bytes are untouched

    status = _signature_status(sat_pki, upgraded)
    assert status.bottom_line and status.intact and status.trusted
    reader = PdfFileReader(BytesIO(upgraded), strict=False)
    timestamps = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"]
    assert len(timestamps) == 1
    stamp = validate_pdf_timestamp(timestamps[0], validation_context=_context(sat_pki, reader))
    assert stamp.intact and stamp.valid

    assert not _signature_status(sat_pki, _flip(original, upgraded)).bottom_line


def test_upgrade_while_offline_stays_pending(sat_pki: SatPki) -> None:
    sealed = _signer(sat_pki).sign_document(_document()).pdf
    outcome = upgrade_pdf(
        sealed,
        revocation=RevocationChecker(offline_url(), timeout=2),
        ca_certificates=[sat_pki.ac_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5),
    )
    assert outcome.state == "pendiente" and outcome.retry
    assert outcome.message.startswith("Revocación no verificada")
    assert outcome.pdf is None


def test_a_revoked_certificate_found_at_upgrade_time_is_flagged_loudly(sat_pki: SatPki) -> None:
    # Sealed offline, so the revocation could not be seen at the counter.
    sealed = _signer(sat_pki, "revocada").sign_document(_document()).pdf
    outcome = upgrade_pdf(
        sealed,
        revocation=RevocationChecker(sat_pki.ocsp_url, timeout=5),
        ca_certificates=[sat_pki.ac_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5),
    )
    assert outcome.state == "revocado"
    assert outcome.message.startswith("¡ATENCIÓN!")
    assert "REVOCADO" in outcome.message
    assert outcome.pdf is None


def test_upgrade_without_the_issuer_certificate_fails_with_a_reason(sat_pki: SatPki) -> None:
    sealed = PdfSigner(_credentials(sat_pki, "fisica")).sign(_document())  # no chain embedded
    outcome = upgrade_pdf(
        sealed,
        revocation=RevocationChecker(sat_pki.ocsp_url, timeout=5),
        ca_certificates=[],
        timestamper=None,
    )
    assert outcome.state == "fallida"
    assert "autoridad que emitió" in outcome.message


# --- Our own validator (signing.verify) on the same three levels, offline: no checker is given,
# so revocation can only come from the OCSP answer the PDF carries.


def _verify(pki: SatPki, pdf: bytes):
    from signing.trust import trust_store_from_certificates
    from signing.verify import verify_pdf

    trust = trust_store_from_certificates([pki.root_der], test=True)
    return verify_pdf(pdf, trust=trust, revocation=None)


def test_verify_reads_revocation_from_a_b_lt_seal_offline(sat_pki: SatPki) -> None:
    original = _document()
    signed = _signer(sat_pki, tsa=sat_pki.tsa_url, ocsp=sat_pki.ocsp_url).sign(original)
    report = _verify(sat_pki, signed)
    assert report.ok, report.verdict
    (signature,) = report.signatures
    assert signature.level == "B-LT"
    assert signature.revocation.status == "vigente" and signature.revocation.source == "documento"
    assert signature.signing_time_source == "sello_de_tiempo" and signature.timestamp_ok
    assert signature.rfc == "PELG800101QX7"

    broken = _verify(sat_pki, _flip(original, signed))
    assert not broken.ok
    assert not broken.signatures[0].intact


def test_verify_accepts_an_upgraded_b_b_and_its_document_timestamp(sat_pki: SatPki) -> None:
    original = _document()
    sealed = _signer(sat_pki).sign(original)
    offline = _verify(sat_pki, sealed)
    assert offline.ok  # trusted and intact; revocation simply unknown without a checker
    assert offline.signatures[0].level == "B-B"
    assert offline.signatures[0].revocation.status == "no_verificado"

    outcome = upgrade_pdf(
        sealed,
        revocation=RevocationChecker(sat_pki.ocsp_url, timeout=5),
        ca_certificates=[sat_pki.ac_der, sat_pki.root_der],
        timestamper=make_timestamper(sat_pki.tsa_url, 5),
    )
    assert outcome.pdf is not None
    report = _verify(sat_pki, outcome.pdf)
    assert report.ok, report.verdict
    kinds = sorted(s.kind for s in report.signatures)
    assert kinds == ["firma", "sello_de_tiempo"]
    seal = next(s for s in report.signatures if s.kind == "firma")
    assert seal.level == "B-LTA"
    assert seal.revocation.status == "vigente" and seal.revocation.source == "documento"

    broken = _verify(sat_pki, _flip(original, outcome.pdf))
    assert not broken.ok


def test_verify_reports_a_revocation_carried_in_the_dss(sat_pki: SatPki) -> None:
    from signing.longterm import add_validation_data

    sealed = _signer(sat_pki, "revocada").sign(_document())  # sealed offline, revoked since
    check = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(
        sat_pki.cer("revocada").read_bytes(), sat_pki.ac_der
    )
    assert check.response_der is not None
    with_evidence = add_validation_data(sealed, [sat_pki.ac_der], [check.response_der])
    report = _verify(sat_pki, with_evidence)
    assert not report.ok
    (signature,) = report.signatures
    assert signature.revocation.status == "revocado"
    assert signature.revocation.source == "documento"
    assert "revocado" in signature.verdict.lower()


def test_verify_ignores_an_embedded_answer_about_another_certificate(sat_pki: SatPki) -> None:
    from signing.longterm import add_validation_data

    sealed = _signer(sat_pki, "revocada").sign(_document())
    # Someone embeds a genuine "good" answer -- about a different certificate.
    other = RevocationChecker(sat_pki.ocsp_url, timeout=5).check(
        sat_pki.cer("fisica").read_bytes(), sat_pki.ac_der
    )
    assert other.response_der is not None
    report = _verify(sat_pki, add_validation_data(sealed, [], [other.response_der]))
    assert report.signatures[0].revocation.status != "vigente"


def test_a_signer_opened_before_expiry_refuses_to_seal_after_it(sat_pki: SatPki) -> None:
    from datetime import timedelta

    from signing import CertificateExpired

    credentials = _credentials(sat_pki, "fisica")
    later = credentials.identity.not_after + timedelta(minutes=1)
    signer = PdfSigner(credentials, clock=lambda: later)  # unlocked in the morning, say
    with pytest.raises(CertificateExpired) as raised:
        signer.sign(_document())
    assert "venció" in raised.value.message


def test_a_cms_larger_than_the_room_reserved_for_it_is_still_signed(sat_pki: SatPki) -> None:
    signer = _signer(sat_pki, tsa=sat_pki.tsa_url)
    signer._reserve = 64  # far too small: as if the TSA sent a very long chain
    result = signer.sign_document(_document())
    assert result.level == "B-T"
    assert _signature_status(sat_pki, result.pdf).bottom_line
