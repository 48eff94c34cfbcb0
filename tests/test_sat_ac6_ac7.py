"""An office e.firma issued by SAT's current authorities, AC6 or AC7, through everything the
office does with it: open it with its password, read who it belongs to, seal an acuse (B-LT with
the AC6/AC7 responder's OCSP answer), upgrade a seal made while the responder was down, verify
(trusted, revocation checked), refuse a revoked one; and ``oficialia efirma info`` / ``verify``.

The e.firmas come from the test PKI's ``ac6``/``ac7``, whose names are byte for byte those of
SAT's AC6 and AC7 (``tests/sat_pki_config.py``); the office trusts the shipped bundle (with the
real AC6, AC7 and ARC6) plus the test root. Every test runs under
:mod:`tests.sat_refusing_parsers`: no code path may hand those names to ``cryptography``.
pdfsig's view is in ``tests/test_signing_pdfsig.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

from mailroom.acuses import AcuseService
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import NewFiling, Sender
from mailroom.samples import render_page_image
from mailroom.store import Store
from signing import CertificateRevoked, WrongPassword, load_credentials
from signing.certificate import parse_certificate
from signing.office import office_signer, office_upgrader
from signing.trust import TrustStore, trust_store_from_settings
from signing.verify import SignatureReport, verify_pdf
from tests.sat_pki import SatPki, offline_url
from tests.sat_refusing_parsers import RefusingParsers, refusing_parsers

AC6_NAME = "A.C. del Servicio de Administración Tributaria"  # as shown, the double encoding undone
AC7_NAME = "AC DEL SERVICIO DE ADMINISTRACION TRIBUTARIA"
OFFICES = {
    "ac6": {
        "label": "oficina_ac6",
        "holder": "MUNICIPIO DE SANTA MARÍA DE LAS PRUEBAS",
        "rfc": "MSM850101TA3",
        "representative_rfc": "RAOA850214JK5",
        "representative_curp": "RAOA850214MJCMCN03",
        "issuer": AC6_NAME,
    },
    "ac7": {
        "label": "oficina_ac7",
        "holder": "ANA SOFÍA RAMÍREZ OCHOA",
        "rfc": "RAOA850214JK5",
        "curp": "RAOA850214MJCMCN03",
        "issuer": AC7_NAME,
    },
}
OFICIALIA = Path(sys.executable).with_name("oficialia")


@pytest.fixture(autouse=True)
def refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingParsers]:
    with refusing_parsers(monkeypatch) as spy:
        yield spy
    spy.assert_untouched()


@pytest.fixture(params=sorted(OFFICES))
def authority(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def office_settings(data_dir: Path, pki: SatPki, authority: str, *, ocsp: str = "") -> Settings:
    """An office whose e.firma comes from ``authority``: SAT's bundle, the test root and test
    AC6/AC7, the responder of that authority (SAT runs one URL for all; the test PKI one each)."""
    return load_settings(
        data_dir,
        clerk="ventanilla1",
        ocsp_url=ocsp or pki.ocsp_url_for(authority),
        tsa_url=pki.tsa_url,
        trust_test_roots=str(pki.current_trust_dir),
    )


def open_efirma(pki: SatPki, authority: str, trust: TrustStore | None = None):
    label = OFFICES[authority]["label"]
    issuers = trust.issuers if trust is not None else None
    return load_credentials(pki.cer(label), pki.key(label), pki.password, trusted_issuers=issuers)


def register(store: Store, settings: Settings, folder: Path, subject: str) -> str:
    scan = folder / "escrito.jpg"
    render_page_image([subject], dpi=100).save(scan, "JPEG", dpi=(100, 100), quality=80)
    new = NewFiling(Sender("María Peña Ávalos"), subject)
    return IntakeService(store, settings).register(new, [scan]).filing.folio


def embedded_ocsp_answers(pdf: bytes) -> list[asn1_ocsp.OCSPResponse]:
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(pdf), strict=False))
    return [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps]


def assert_signed_by_the_responder_of(
    answer: asn1_ocsp.OCSPResponse, pki: SatPki, authority: str
) -> None:
    """The answer names the test responder of ``authority`` (by key, as certomancer writes it)
    and carries its certificate, whose issuer is AC6's/AC7's name."""
    basic = answer["response_bytes"]["response"].parsed
    responder = parse_certificate(pki.responder_der(authority))
    key_hash = hashlib.sha1(responder.public_key_bits).digest()
    assert basic["tbs_response_data"]["responder_id"].chosen.native == key_hash
    assert [c.dump() for c in basic["certs"]] == [pki.responder_der(authority)]
    assert responder.issuer_der == parse_certificate(pki.authority_der(authority)).subject_der


def assert_trusted_and_not_revoked(seal: SignatureReport, authority: str) -> None:
    office = OFFICES[authority]
    assert seal.ok and seal.intact and seal.trusted, seal.verdict
    assert seal.test_root  # anchored at the test root, through test AC6/AC7
    assert seal.rfc == office["rfc"] and seal.signer == office["holder"]
    assert seal.issuer == office["issuer"]
    assert seal.revocation.status == "vigente" and seal.revocation.source == "documento"


def test_the_office_efirma_opens_with_its_identity(
    sat_pki: SatPki, authority: str, tmp_path: Path
) -> None:
    trust = trust_store_from_settings(office_settings(tmp_path / "datos", sat_pki, authority))
    identity = open_efirma(sat_pki, authority, trust).identity
    office = OFFICES[authority]
    assert identity.name == office["holder"] and identity.rfc == office["rfc"]
    assert identity.curp == office.get("curp")
    assert identity.representative_rfc == office.get("representative_rfc")
    assert identity.representative_curp == office.get("representative_curp")
    assert identity.issuer == office["issuer"]
    assert not identity.is_csd
    assert identity.kind == ("moral" if authority == "ac6" else "fisica")


def test_a_wrong_password_is_still_told_apart(sat_pki: SatPki, authority: str) -> None:
    label = OFFICES[authority]["label"]
    with pytest.raises(WrongPassword, match="contraseña"):
        load_credentials(sat_pki.cer(label), sat_pki.key(label), "no-es-la-contraseña")


def test_an_acuse_sealed_online_is_b_lt_and_verifies_trusted_with_revocation_checked(
    sat_pki: SatPki, authority: str, tmp_path: Path, clock: FixedClock
) -> None:
    settings = office_settings(tmp_path / "datos", sat_pki, authority)
    trust = trust_store_from_settings(settings)
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Solicitud de constancia de residencia")
        signer = office_signer(open_efirma(sat_pki, authority, trust), settings, store=store)
        acuse = AcuseService(store, settings, clock).seal(folio, signer)

    assert acuse.signature_level == "B-LT" and acuse.signer_rfc == OFFICES[authority]["rfc"]
    (answer,) = embedded_ocsp_answers(acuse.pdf)
    assert_signed_by_the_responder_of(answer, sat_pki, authority)
    report = verify_pdf(acuse.pdf, trust=trust)
    assert report.ok, report.verdict
    (seal,) = report.signatures
    assert_trusted_and_not_revoked(seal, authority)
    assert seal.level == "B-LT"

    tampered = bytearray(acuse.pdf)
    tampered[tampered.index(b"stream") + 40] ^= 0x01
    assert not verify_pdf(bytes(tampered), trust=trust).ok


def test_a_seal_made_while_the_responder_was_down_is_upgraded_with_its_answer(
    sat_pki: SatPki, authority: str, tmp_path: Path, clock: FixedClock
) -> None:
    down = office_settings(tmp_path / "datos", sat_pki, authority, ocsp=offline_url())
    with Store(down.data_dir) as store:
        folio = register(store, down, tmp_path, "Aviso de obra menor")
        signer = office_signer(open_efirma(sat_pki, authority), down, store=store)
        sealed = AcuseService(store, down, clock).seal(folio, signer)
        assert sealed.signature_level == "B-T"  # the TSA answered, the OCSP responder did not

        settings = office_settings(down.data_dir, sat_pki, authority)
        upgrader = office_upgrader(store, settings, clock=clock)
        assert upgrader is not None
        summary = upgrader.run_once()
        assert summary.done == [folio], summary.messages
        upgraded = AcuseService(store, settings, clock).current(folio)

    assert upgraded.signature_level == "B-LTA"  # B-LT plus a document timestamp
    (answer,) = embedded_ocsp_answers(upgraded.pdf)
    assert_signed_by_the_responder_of(answer, sat_pki, authority)
    report = verify_pdf(upgraded.pdf, trust=trust_store_from_settings(settings))
    assert report.ok, report.verdict
    seal, timestamp = report.signatures
    assert_trusted_and_not_revoked(seal, authority)
    assert timestamp.kind == "sello_de_tiempo" and timestamp.ok


def test_a_revoked_efirma_from_ac6_seals_nothing(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock
) -> None:
    settings = office_settings(tmp_path / "datos", sat_pki, "ac6")
    credentials = load_credentials(
        sat_pki.cer("revocada_ac6"), sat_pki.key("revocada_ac6"), sat_pki.password
    )
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Queja vecinal")
        signer = office_signer(credentials, settings, store=store)
        with pytest.raises(CertificateRevoked, match="REVOCADA"):
            AcuseService(store, settings, clock).seal(folio, signer)
        assert not AcuseService(store, settings, clock).current(folio).sealed


def run_oficialia(*args: str, environment: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = subprocess.run(
        [str(OFICIALIA), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(environment or {})},
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def test_efirma_info_reads_an_efirma_issued_by_ac6(sat_pki: SatPki, tmp_path: Path) -> None:
    cer = str(sat_pki.cer("oficina_ac6"))
    code, out, err = run_oficialia(
        "--data-dir", str(tmp_path / "datos"), "efirma", "info", "--cer", cer
    )
    assert code == 0, err
    assert "MUNICIPIO DE SANTA MARÍA DE LAS PRUEBAS" in out and "MSM850101TA3" in out
    assert f"Emisor:             {AC6_NAME}" in out

    code, out, err = run_oficialia(
        "--data-dir", str(tmp_path / "datos"), "efirma", "info", "--cer", cer, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["rfc"] == "MSM850101TA3"


def test_efirma_check_opens_an_ac6_efirma_trusted_and_not_revoked(
    sat_pki: SatPki, tmp_path: Path
) -> None:
    office = {
        "OFICIALIA_TRUST_TEST_ROOTS": str(sat_pki.current_trust_dir),
        "OFICIALIA_OCSP_URL": sat_pki.ocsp_url_for("ac6"),
    }
    credentials = [
        "--cer",
        str(sat_pki.cer("oficina_ac6")),
        "--key",
        str(sat_pki.key("oficina_ac6")),
    ]
    code, out, err = run_oficialia(
        "--data-dir", str(tmp_path / "datos"), "efirma", "check", *credentials,
        "--password-file", str(sat_pki.password_file), environment=office,
    )  # fmt: skip
    assert code == 0, err
    assert "Certificado vigente, no revocado" in out and "e.firma válida" in out
    assert "no está entre las de confianza" not in err


def test_verify_command_trusts_an_acuse_sealed_with_an_ac6_efirma(
    sat_pki: SatPki, tmp_path: Path, clock: FixedClock
) -> None:
    settings = office_settings(tmp_path / "datos", sat_pki, "ac6")
    with Store(settings.data_dir) as store:
        folio = register(store, settings, tmp_path, "Solicitud de poda")
        signer = office_signer(open_efirma(sat_pki, "ac6"), settings, store=store)
        acuse = AcuseService(store, settings, clock).seal(folio, signer)
    target = tmp_path / "acuse.pdf"
    target.write_bytes(acuse.pdf)

    trust_roots = {"OFICIALIA_TRUST_TEST_ROOTS": str(sat_pki.current_trust_dir)}
    code, out, err = run_oficialia("verify", str(target), "--json", environment=trust_roots)
    assert code == 0, out + err
    (seal,) = json.loads(out)["firmas"]
    assert seal["valida"] and seal["de_confianza"] and seal["emisor"] == AC6_NAME
    assert seal["revocacion"]["estado"] == "vigente"
