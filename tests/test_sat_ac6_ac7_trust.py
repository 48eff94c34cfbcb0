"""SAT's current authorities in the shipped trust bundle: the real AC6 and AC7 chain to the real
ARC6 by signature, their OCSP responders are recognised, and the traps in their names are handled
-- ``cryptography`` refuses AC6's, asn1crypto needs the 2.5.4.45 workaround for both.

The certificates are read from ``resources/trust`` (their provenance is in its SOURCES.md); the
e.firmas they would issue are exercised in ``tests/test_sat_ac6_ac7.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko_certvalidator import CertificateValidator

from mailroom.config import Settings
from signing import NotACertificate
from signing.certificate import (
    OCSP_SIGNING,
    parse_certificate,
    read_certificates,
    signed_by_der,
)
from signing.identity import undo_double_encoding
from signing.revocation import ocsp_request
from signing.trust import (
    CA_FOLDER,
    RESPONDER_FOLDER,
    TrustStore,
    bundle_dir,
    trust_store_from_settings,
)
from tests.sat_pki import SatPki
from tests.sat_pki_config import real_certificate
from tests.sat_refusing_parsers import refusing_parsers

# SHA-256 of each file as published by SAT (see resources/trust/SOURCES.md).
PUBLISHED = {
    f"{CA_FOLDER}/ARC6_IES.cer": "a86baf49b2e91d0141722c4e7026ab246183a8072926e9983edbd4e5ba72515d",
    f"{CA_FOLDER}/AC6_SAT.cer": "054e8f213ff2228254d8f87ec43d2e7c2eda628d927c270b9a77d1d09eef9418",
    f"{CA_FOLDER}/AC7_SAT.cer": "6d1d1f871f0d69233fc94526fecf826bee67181782d6b7e5320b279c97e8dac7",
    f"{RESPONDER_FOLDER}/ocsp.ac6_sat.cer": (
        "500ee1d4cee16928a4d3ddb90776d3a25261fcb03b438dd59a974546c33f9ae5"
    ),
    f"{RESPONDER_FOLDER}/ocsp.ac7_sat.cer": (
        "9c983e232bf3159f49075f158887aa1a23f801dc44ebcf4f7e11d15b0f6a644e"
    ),
}
ARC6 = real_certificate(f"{CA_FOLDER}/ARC6_IES.cer")
ARC5 = real_certificate(f"{CA_FOLDER}/ARC5_IES.cer")
AC6 = real_certificate(f"{CA_FOLDER}/AC6_SAT.cer")
AC7 = real_certificate(f"{CA_FOLDER}/AC7_SAT.cer")
OCSP6 = real_certificate(f"{RESPONDER_FOLDER}/ocsp.ac6_sat.cer")
OCSP7 = real_certificate(f"{RESPONDER_FOLDER}/ocsp.ac7_sat.cer")
INSIDE_VALIDITY = datetime(2025, 6, 1, tzinfo=UTC)  # all five are valid from 2023 to 2031


@pytest.fixture
def bundle(settings: Settings) -> TrustStore:
    return trust_store_from_settings(settings)  # the shipped bundle only


def test_the_bundle_holds_the_certificates_sat_published(bundle: TrustStore) -> None:
    for relative, published in PUBLISHED.items():
        assert hashlib.sha256(real_certificate(relative)).hexdigest() == published, relative
    assert bundle.warnings == ()


def test_the_real_ac6_and_ac7_chain_to_the_real_arc6(bundle: TrustStore) -> None:
    assert ARC6 in bundle.roots and bundle.issuer_of(ARC6) == ARC6
    for authority in (AC6, AC7):
        assert authority in bundle.intermediates
        assert bundle.issuer_of(authority) == ARC6
        # ARC5 has the same name as ARC6; only the signature tells them apart.
        assert not signed_by_der(parse_certificate(authority), ARC5)


def test_each_responder_is_delegated_by_its_own_authority_only(bundle: TrustStore) -> None:
    assert {OCSP6, OCSP7} <= set(bundle.ocsp_responders)
    assert not {OCSP6, OCSP7} & set(bundle.issuers)
    for responder, own, other in ((OCSP6, AC6, AC7), (OCSP7, AC7, AC6)):
        certificate = parse_certificate(responder)
        assert OCSP_SIGNING in certificate.extended_key_usages and not certificate.is_ca
        assert signed_by_der(certificate, own) and not signed_by_der(certificate, other)


@pytest.mark.parametrize("responder", [OCSP6, OCSP7], ids=["ocsp.ac6", "ocsp.ac7"])
def test_pyhanko_builds_the_real_path_to_arc6(bundle: TrustStore, responder: bytes) -> None:
    """pyHanko's validator accepts ARC6 although its basicConstraints is not critical, and
    reads AC6's name on the way (asn1crypto, with the workaround)."""
    context = bundle.validation_context(moment=INSIDE_VALIDITY)
    validator = CertificateValidator(
        asn1_x509.Certificate.load(responder), validation_context=context
    )
    path = asyncio.run(validator.async_validate_usage(set(), {"ocsp_signing"}))
    chain = [certificate.dump() for certificate in path.iter_certs(include_root=True)]
    assert chain == [ARC6, AC7 if responder == OCSP7 else AC6, responder]


def test_cryptography_refuses_ac6_and_its_e_firmas_where_our_parser_reads_them(
    sat_pki: SatPki,
) -> None:
    """Why ``signing.certificate`` exists. (Should a future ``cryptography`` accept them, the
    spy in ``tests/sat_refusing_parsers.py`` still keeps every path off it.)"""
    issued_by_ac6 = sat_pki.cer("oficina_ac6").read_bytes()
    for der in (AC6, OCSP6, issued_by_ac6):
        try:
            x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        pytest.skip("this cryptography reads AC6's name; the spy keeps guarding the code paths")
    assert parse_certificate(AC6).is_signed_by(parse_certificate(ARC6))
    assert parse_certificate(OCSP6).is_signed_by(parse_certificate(AC6))
    assert parse_certificate(issued_by_ac6).issuer_der == parse_certificate(AC6).subject_der


def test_the_asn1crypto_workaround_covers_the_ac6_and_ac7_names() -> None:
    """In a fresh interpreter: asn1crypto alone fails on these names; after ``import signing``
    (which applies ``signing.asn1_workaround``) it reads them, RFC included."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from asn1crypto import x509
        folder = Path(sys.argv[1])
        names = [
            x509.Certificate.load((folder / "sat" / "AC6_SAT.cer").read_bytes()).subject,
            x509.Certificate.load((folder / "sat" / "AC7_SAT.cer").read_bytes()).subject,
            x509.Certificate.load((folder / "ocsp" / "ocsp.ac6_sat.cer").read_bytes()).issuer,
            x509.Certificate.load((folder / "ocsp" / "ocsp.ac7_sat.cer").read_bytes()).issuer,
        ]
        for name in names:
            try:
                name.native
            except ValueError:
                pass
            else:
                sys.exit("asn1crypto read a SAT name without the workaround")
        import signing
        for name in [x509.Name.load(name.dump()) for name in names]:
            assert name.native["unique_identifier"] == "SAT970701NN3", name.native
            assert name.hashable and name.human_friendly
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(bundle_dir())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_the_ocsp_request_is_byte_for_byte_what_cryptography_would_send() -> None:
    """SAT's responder has been answering cryptography's requests; ours are the same bytes (shown
    on AC7's responder certificate, which cryptography can read)."""
    expected = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            x509.load_der_x509_certificate(OCSP7),
            x509.load_der_x509_certificate(AC7),
            hashes.SHA1(),
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    assert ocsp_request(parse_certificate(OCSP7), parse_certificate(AC7)) == expected


def test_the_spy_refuses_and_records_any_parse_of_those_names(
    monkeypatch: pytest.MonkeyPatch, sat_pki: SatPki
) -> None:
    with refusing_parsers(monkeypatch) as spy:
        with pytest.raises(ValueError, match="ac7"):
            x509.load_der_x509_certificate(AC7)
        x509.load_der_x509_certificate(sat_pki.root_der)  # other certificates go through
        assert spy.calls == ["load_der_x509_certificate con el nombre de ac7"]
        with pytest.raises(AssertionError, match="AC6/AC7"):
            spy.assert_untouched()


@pytest.mark.parametrize(
    ("shown", "meant"),
    [
        (
            "A.C. del Servicio de AdministraciÃ³n Tributaria",
            "A.C. del Servicio de Administración Tributaria",
        ),
        ("Ciudad de MÃ©xico", "Ciudad de México"),
        ("Administración Tributaria", "Administración Tributaria"),
        ("COMPAÑIA MEXICANA", "COMPAÑIA MEXICANA"),
        (
            "AC DEL SERVICIO DE ADMINISTRACION TRIBUTARIA",
            "AC DEL SERVICIO DE ADMINISTRACION TRIBUTARIA",
        ),
    ],
)
def test_a_name_encoded_twice_is_shown_as_meant(shown: str, meant: str) -> None:
    assert undo_double_encoding(shown) == meant


def test_the_parser_refuses_what_is_not_one_certificate() -> None:
    with pytest.raises(NotACertificate, match="no es un certificado"):
        parse_certificate(AC7 + b"\x00")
    with pytest.raises(NotACertificate, match="no es un certificado"):
        parse_certificate(b"%PDF-1.7 esto no es un certificado")
    pem = b"".join(
        x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        for der in (AC7, ARC6)
    )
    assert [c.der for c in read_certificates(pem)] == [AC7, ARC6]
    with pytest.raises(NotACertificate):
        parse_certificate(pem)
