"""The trust bundle and the store built from settings: every CA parses, roots are told apart by
their self-signature, SAT's production CSD chains to the bundle, bad admin files are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509

import signing  # noqa: F401 - the asn1crypto workaround, before any certificate is parsed
from mailroom.config import Settings, load_settings
from signing.trust import CA_FOLDER, RESPONDER_FOLDER, bundle_dir, trust_store_from_settings

SAT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "sat"
BUNDLE = bundle_dir()


def _bundle_files(folder: str) -> list[Path]:
    return sorted((BUNDLE / folder).glob("*.cer"))


def test_every_bundled_certificate_parses_with_its_names() -> None:
    files = _bundle_files(CA_FOLDER) + _bundle_files(RESPONDER_FOLDER)
    assert len(files) == 17
    for path in files:
        certificate = asn1_x509.Certificate.load(path.read_bytes())
        assert certificate.subject.human_friendly and certificate.issuer.native, path.name


def test_roots_are_the_self_signed_ones_and_responders_are_not_authorities(
    settings: Settings,
) -> None:
    store = trust_store_from_settings(settings)
    assert store.warnings == ()
    assert len(store.roots) == 6 and len(store.intermediates) == 7
    for der in store.roots:
        assert store.issuer_of(der) == der
    for der in store.intermediates:
        issuer = store.issuer_of(der)
        assert issuer is not None and issuer != der
    responders = {path.read_bytes() for path in _bundle_files(RESPONDER_FOLDER)}
    assert set(store.ocsp_responders) == responders
    assert not responders & set(store.issuers)
    # AC1 is SAT's own self-signed root: decided by signature, not by its "AC" file name.
    assert (BUNDLE / CA_FOLDER / "AC1_SAT.cer").read_bytes() in store.roots


def test_production_csd_chains_to_the_bundle(settings: Settings) -> None:
    if not SAT.is_dir():
        pytest.skip("../shared/fixtures/sat no está presente")
    store = trust_store_from_settings(settings)
    issuer = store.issuer_of((SAT / "00001000000413053762.cer").read_bytes())
    assert issuer is not None
    assert issuer in store.intermediates
    assert store.issuer_of(issuer) in store.roots
    assert store.issuer_of((SAT / "FIEL_AAA010101AAA" / "certificate.cer").read_bytes()) is None


def test_bad_files_in_the_extra_folder_are_skipped_with_a_warning(tmp_path: Path) -> None:
    extra = tmp_path / "autoridades"
    extra.mkdir()
    (extra / "basura.cer").write_bytes(b"\x30\x82\x01\x00 no es un certificado")
    (extra / "vacio.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    (extra / "notas.txt").write_text("hola")
    ac5 = (BUNDLE / CA_FOLDER / "AC5_SAT.cer").read_bytes()
    (extra / "ac5-copia.cer").write_bytes(ac5)
    store = trust_store_from_settings(load_settings(tmp_path / "d", trust_extra_dir=str(extra)))
    text = "\n".join(store.warnings)
    assert "basura.cer" in text and "no es un certificado válido" in text
    assert "vacio.pem" in text and "notas.txt" in text
    assert len(store.intermediates) == 7  # the duplicate is not counted twice


def test_a_pem_bundle_may_hold_several_authorities(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    blocks = [
        x509.load_der_x509_certificate(path.read_bytes()).public_bytes(serialization.Encoding.PEM)
        for path in _bundle_files(CA_FOLDER)[:3]
    ]
    (tmp_path / "varias.pem").write_bytes(b"".join(blocks))
    store = trust_store_from_settings(
        load_settings(tmp_path / "d", trust_extra_dir=str(tmp_path)), bundle=tmp_path / "nada"
    )
    assert len(store.roots) + len(store.intermediates) == 3
    assert any("paquete de certificados del SAT" in warning for warning in store.warnings)


def test_test_roots_are_trusted_only_when_configured(tmp_path: Path, sat_pki) -> None:
    plain = trust_store_from_settings(load_settings(tmp_path / "a"))
    assert sat_pki.root_der not in plain.roots
    configured = trust_store_from_settings(
        load_settings(tmp_path / "b", trust_test_roots=str(sat_pki.root_path))
    )
    assert sat_pki.root_der in configured.roots
    assert configured.is_test_root(sat_pki.root_der)
    missing = trust_store_from_settings(
        load_settings(tmp_path / "c", trust_test_roots=str(tmp_path / "no-existe"))
    )
    assert any("No existe" in warning for warning in missing.warnings)
