"""Loading SAT e.firma credentials and reading identities, on SAT's own published files.

The fixtures are read in place from ``../shared/fixtures/sat`` (see its SOURCES.md); they are
never copied into the repository.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import load_der_x509_certificate

from signing import (
    CertificateExpired,
    CertificateNotYetValid,
    CorruptKey,
    CredentialFileMissing,
    KeyMismatch,
    NotACertificate,
    NotAnEfirma,
    UntrustedIssuer,
    WrongPassword,
    asn1_workaround,
    check_trusted_issuer,
    load_certificate,
    load_credentials,
    read_identity,
)

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
CSD = SAT / "CSD01_AAA010101AAA"
PRODUCTION_CSD = SAT / "00001000000413053762.cer"
INSIDE_VALIDITY = datetime(2020, 6, 1, tzinfo=UTC)

needs_fixtures = pytest.mark.skipif(
    not SAT.is_dir(), reason="../shared/fixtures/sat no está presente"
)
pytestmark = needs_fixtures


def _password(folder: Path) -> str:
    return (folder / "password.txt").read_text().strip()


def _load_fiel(**kwargs: object):
    return load_credentials(
        FIEL / "certificate.cer", FIEL / "private_key.key", _password(FIEL), **kwargs
    )


def test_fiel_identity_is_read_exactly() -> None:
    _, identity = load_certificate(FIEL / "certificate.cer")
    assert identity.name == "ACCEM SERVICIOS EMPRESARIALES SC"
    assert identity.rfc == "AAA010101AAA"
    assert identity.curp is None
    assert identity.representative_rfc == "HEGT7610034S2"
    assert identity.representative_curp == "HEGT761003MDFRNN09"
    assert identity.kind == "moral"
    assert identity.certificate_number == "30001000000300023685"
    assert identity.not_before == datetime(2017, 5, 16, 23, 29, 17, tzinfo=UTC)
    assert identity.not_after == datetime(2021, 5, 15, 23, 29, 17, tzinfo=UTC)
    assert identity.issuer == "A.C. 2 de pruebas(4096)"
    assert identity.is_csd is False
    assert identity.organizational_unit is None


def test_csd_identity_is_marked_and_refused_for_documents() -> None:
    _, identity = load_certificate(CSD / "certificate.cer")
    assert identity.is_csd is True
    assert identity.organizational_unit == "CSD01_AAA010101AAA"
    assert identity.rfc == "AAA010101AAA"
    with pytest.raises(NotAnEfirma) as caught:
        load_credentials(
            CSD / "certificate.cer",
            CSD / "private_key.key",
            _password(CSD),
            now=INSIDE_VALIDITY,
        )
    assert "sello digital (CSD" in str(caught.value)
    assert "e.firma" in str(caught.value)


def test_production_csd_identity_with_latin1_teletex_names() -> None:
    _, identity = load_certificate(PRODUCTION_CSD)
    assert identity.certificate_number == "00001000000413053762"
    assert identity.name == "COMPAÑIA SANTA MARIA SA DE CV"
    assert (identity.rfc, identity.representative_rfc) == ("SMA0112284B2", "GOCA741120HY0")
    assert identity.representative_curp == "GOCA741120HVZMNR00"
    assert identity.issuer == "A.C. del Servicio de Administración Tributaria"
    assert identity.is_csd is True
    assert identity.not_after == datetime(2022, 12, 26, 22, 23, 47, tzinfo=UTC)


def test_production_csd_is_signed_by_ac4_and_no_other_root() -> None:
    signers = []
    for root in sorted((SAT / "roots").glob("*.cer")):
        try:
            check_trusted_issuer(PRODUCTION_CSD.read_bytes(), [root.read_bytes()])
        except UntrustedIssuer:
            continue
        signers.append(root.name)
    assert signers == ["AC4_SAT.cer"]


def test_production_csd_is_trusted_through_the_sat_roots() -> None:
    roots = [path.read_bytes() for path in sorted((SAT / "roots").glob("AC*_SAT.cer"))]
    check_trusted_issuer(PRODUCTION_CSD.read_bytes(), roots)  # does not raise
    check_trusted_issuer(
        PRODUCTION_CSD.read_bytes(), [(SAT / "roots" / "AC4_SAT.cer").read_bytes()]
    )
    with pytest.raises(UntrustedIssuer):
        check_trusted_issuer(
            PRODUCTION_CSD.read_bytes(), [(SAT / "roots" / "AC5_SAT.cer").read_bytes(), b"basura"]
        )


def test_untrusted_issuer_for_the_fiel() -> None:
    # The test FIEL's issuer ("A.C. 2 de pruebas") is not among the fixtures; a real, unrelated
    # SAT root must not be taken as its issuer.
    with pytest.raises(UntrustedIssuer) as caught:
        _load_fiel(
            now=INSIDE_VALIDITY, trusted_issuers=[(SAT / "roots" / "AC4_SAT.cer").read_bytes()]
        )
    message = str(caught.value)
    assert "«A.C. 2 de pruebas(4096)»" in message
    assert "no es una autoridad certificadora reconocida" in message


def test_frozen_clock_inside_validity_loads_and_the_key_signs() -> None:
    credentials = _load_fiel(now=INSIDE_VALIDITY)
    assert credentials.identity.rfc == "AAA010101AAA"
    message = b"acuse de recibo"
    signature = credentials.private_key.sign(  # type: ignore[attr-defined]
        message, padding.PKCS1v15(), hashes.SHA256()
    )
    public_key = load_der_x509_certificate(credentials.certificate_der).public_key()
    public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore
    assert "private_key" not in repr(credentials)


def test_real_clock_says_the_fiel_expired_and_when() -> None:
    with pytest.raises(CertificateExpired) as caught:
        _load_fiel()
    assert "venció el 2021-05-15" in str(caught.value)
    assert "Renueve la e.firma" in str(caught.value)


def test_not_yet_valid() -> None:
    with pytest.raises(CertificateNotYetValid) as caught:
        _load_fiel(now=datetime(2017, 1, 1, tzinfo=UTC))
    assert "aún no es vigente" in str(caught.value)
    assert "2017-05-16" in str(caught.value)


def test_wrong_password() -> None:
    with pytest.raises(WrongPassword) as caught:
        load_credentials(FIEL / "certificate.cer", FIEL / "private_key.key", "incorrecta")
    assert "contraseña" in str(caught.value)
    assert "incorrecta" in str(caught.value)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_key(tmp_path: Path, damage: str) -> None:
    original = (FIEL / "private_key.key").read_bytes()
    contents = {
        "truncated": original[: len(original) // 2],
        "garbage": bytes(range(256)) * 4,
        "empty": b"",
    }[damage]
    key = tmp_path / "llave.key"
    key.write_bytes(contents)
    with pytest.raises(CorruptKey) as caught:
        load_credentials(FIEL / "certificate.cer", key, _password(FIEL))
    assert "está dañado, incompleto o no es una llave privada del SAT" in str(caught.value)


def test_a_key_that_matches_the_certificate_but_signs_garbage_is_refused(tmp_path: Path) -> None:
    """The public half is intact, the private exponent is damaged (one bit of d and of its CRT
    part; OpenSSL quietly repairs a bad CRT value alone from d): the opening must notice, since
    RSA's own key validation is skipped for speed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    password = _password(FIEL)
    good = serialization.load_der_private_key(
        (FIEL / "private_key.key").read_bytes(), password.encode()
    )
    assert isinstance(good, rsa.RSAPrivateKey)
    n = good.private_numbers()
    damaged = rsa.RSAPrivateNumbers(
        n.p, n.q, n.d ^ 2, n.dmp1 ^ 2, n.dmq1, n.iqmp, n.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    key = tmp_path / "llave.key"
    key.write_bytes(
        damaged.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        )
    )
    with pytest.raises(CorruptKey) as caught:
        load_credentials(FIEL / "certificate.cer", key, password)
    assert "no produce firmas que el certificado pueda comprobar" in str(caught.value)


def test_key_from_another_certificate() -> None:
    with pytest.raises(KeyMismatch) as caught:
        load_credentials(FIEL / "certificate.cer", CSD / "private_key.key", _password(CSD))
    assert "no corresponde a este certificado" in str(caught.value)


@pytest.mark.parametrize(
    "contents",
    [b"Esto es un oficio, no un certificado.\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64],
    ids=["text", "png"],
)
def test_not_a_certificate(tmp_path: Path, contents: bytes) -> None:
    cer = tmp_path / "firma.cer"
    cer.write_bytes(contents)
    with pytest.raises(NotACertificate) as caught:
        load_credentials(cer, FIEL / "private_key.key", _password(FIEL))
    assert "no es un certificado (.cer) válido" in str(caught.value)
    with pytest.raises(NotACertificate):
        read_identity(contents)


def test_key_file_offered_as_certificate() -> None:
    with pytest.raises(NotACertificate):
        load_certificate(FIEL / "private_key.key")


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CredentialFileMissing) as caught:
        load_credentials(tmp_path / "no.cer", FIEL / "private_key.key", "x")
    assert "No se encontró el archivo del certificado (.cer)" in str(caught.value)
    with pytest.raises(CredentialFileMissing) as caught:
        load_credentials(FIEL / "certificate.cer", tmp_path / "no.key", "x")
    assert "No se encontró el archivo de la llave privada (.key)" in str(caught.value)


def test_pem_certificate_is_accepted_too() -> None:
    der = (FIEL / "certificate.cer").read_bytes()
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )
    assert read_identity(pem).rfc == "AAA010101AAA"


def test_asn1crypto_workaround_is_needed_and_applied() -> None:
    script = textwrap.dedent(
        f"""
        from asn1crypto import x509
        data = open({str(FIEL / "certificate.cer")!r}, "rb").read()
        try:
            value = x509.Certificate.load(data).subject.native["unique_identifier"]
            print("sin parche:", repr(value))
        except ValueError as error:
            print("sin parche: ValueError", str(error).splitlines()[0])
        import signing
        print("con parche:", x509.Certificate.load(data).subject.native["unique_identifier"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30
    )
    before, after = result.stdout.splitlines()
    assert before.startswith("sin parche: ValueError") or "AAA010101AAA" not in before
    assert after == "con parche: AAA010101AAA / HEGT7610034S2"
    assert asn1_workaround.is_applied()
    asn1_workaround.apply()  # idempotent
    assert asn1_workaround.is_applied()
