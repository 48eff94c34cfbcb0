"""A test PKI shaped like SAT's, served by certomancer's animator on 127.0.0.1.

What it imitates, and why each piece is here (the configuration is in ``tests/sat_pki_config.py``):

* ``raiz`` -- a self-signed root standing in for Banco de México's ARC.
* ``ac`` -- the intermediate that issues e.firmas, standing in for SAT's "A.C. del Servicio de
  Administración Tributaria" up to AC5.
* ``ac6``/``ac7`` -- intermediates whose subject names are byte for byte those of SAT's real AC6
  and AC7 (which issue every e.firma since 2023; AC6's name is malformed), each with its own
  delegated OCSP responder named like SAT's. See :mod:`tests.sat_pki_config`.
* ``ocsp`` -- a delegated OCSP responder for ``ac`` (like SAT's ``ocsp.ac5_sat.cer``); its URL is
  :attr:`SatPki.ocsp_url` (:meth:`SatPki.ocsp_url_for` for the others).
* ``tsa`` -- an RFC 3161 time-stamping authority; its URL is :attr:`SatPki.tsa_url`.
* End-entity certificates with SAT's attributes: the RFC in 2.5.4.45 (x500UniqueIdentifier), the
  CURP in 2.5.4.5 (serialNumber), the serial number made of the ASCII digits of a 20-digit
  "número de certificado", and -- like SAT's -- **no** AIA and **no** CRL distribution point, so
  a validator that only follows pointers never checks revocation:

  - issued by ``ac``: ``fisica`` (persona física, valid now); ``moral`` (persona moral with its
    representative: ``RFC / RFC-representante``, `` / CURP-representante``); ``vencida``
    (expired a year ago); ``revocada`` (valid dates, revoked 30 days ago, key compromise);
    ``csd`` (a sello digital of the persona moral: same identity, plus an OU);
  - issued by ``ac6``: ``oficina_ac6`` (an office's e.firma, persona moral) and
    ``revocada_ac6``; by ``ac7``: ``oficina_ac7`` (persona física).

Keys are generated for each test session (nothing secret is committed). Each end-entity key is
written the way SAT delivers it: PKCS#8 EncryptedPrivateKeyInfo DER, PBES2 with PBKDF2-SHA1 and
DES-EDE3-CBC (``openssl pkcs8 -v2 des3 -v2prf hmacWithSHA1``), password :data:`PASSWORD`.

Dates are relative to the moment the PKI is built, so the suite does not rot. certomancer writes
every name attribute it builds as a UTF8String, where SAT writes 2.5.4.45 as a PrintableString;
both trip asn1crypto 1.5.1 the same way (it expects a BIT STRING), which is what
``signing.asn1_workaround`` is about.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

import signing  # noqa: F401 - the asn1crypto workaround must be in place before names are built
from tests.sat_pki_config import (
    ARCH,
    AUTHORITIES,
    END_ENTITIES,
    IDENTITIES,
    KEY_LABELS,
    RESPONDERS,
    pki_config,
    with_exact_names,
)

PASSWORD = "12345678a"
__all__ = ["END_ENTITIES", "IDENTITIES", "PASSWORD", "SatPki", "offline_url", "running_sat_pki"]


@dataclass(frozen=True)
class SatPki:
    """Files and URLs of a running test PKI. Everything lives under ``directory``."""

    directory: Path
    base_url: str
    built_at: datetime

    @property
    def ocsp_url(self) -> str:
        return self.ocsp_url_for("ac")

    def ocsp_url_for(self, authority: str) -> str:
        """The OCSP responder of ``ac``, ``ac6`` or ``ac7``."""
        if authority not in AUTHORITIES:
            raise KeyError(f"no such test authority: {authority}")
        return f"{self.base_url}/{ARCH}/ocsp/{authority}"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def root_path(self) -> Path:
        """The root certificate (DER): point ``trust_test_roots`` here."""
        return self.directory / "raiz.cer"

    @property
    def trust_dir(self) -> Path:
        """The root and the AC, as an office would configure them (``trust_test_roots``)."""
        return self.directory / "confianza"

    @property
    def root_der(self) -> bytes:
        return self.root_path.read_bytes()

    @property
    def ac_path(self) -> Path:
        return self.directory / "ac.cer"

    @property
    def ac_der(self) -> bytes:
        return self.ac_path.read_bytes()

    @property
    def ocsp_responder_der(self) -> bytes:
        return (self.directory / "ocsp.cer").read_bytes()

    def authority_der(self, authority: str) -> bytes:
        """The test certificate (DER) of ``ac``, ``ac6`` or ``ac7``."""
        if authority not in AUTHORITIES:
            raise KeyError(f"no such test authority: {authority}")
        return (self.directory / f"{authority}.cer").read_bytes()

    def responder_der(self, authority: str) -> bytes:
        """The certificate (DER) that signs the OCSP answers of ``authority``."""
        return (self.directory / f"{RESPONDERS[authority]}.cer").read_bytes()

    @property
    def current_trust_dir(self) -> Path:
        """The root, ``ac6`` and ``ac7``: ``trust_test_roots`` of an office whose e.firma comes
        from today's SAT authorities (the real AC6/AC7/ARC6 come with the bundle)."""
        return self.directory / "confianza-ac6-ac7"

    @property
    def password(self) -> str:
        return PASSWORD

    @property
    def password_file(self) -> Path:
        return self.directory / "password.txt"

    def cer(self, label: str) -> Path:
        """The ``.cer`` (X.509 DER) of an end entity: one of :data:`END_ENTITIES`."""
        return self._end_entity(label, ".cer")

    def key(self, label: str) -> Path:
        """The SAT-style ``.key`` (encrypted PKCS#8 DER) of an end entity."""
        return self._end_entity(label, ".key")

    @property
    def revoked_at(self) -> datetime:
        return self.built_at - timedelta(days=30)

    def _end_entity(self, label: str, suffix: str) -> Path:
        if label not in END_ENTITIES:
            raise KeyError(f"no such test certificate: {label}")
        return self.directory / f"{label}{suffix}"


def offline_url() -> str:
    """A loopback URL where nothing listens: what an OCSP responder or TSA looks like offline
    (the connection is refused at once, so tests do not wait for a timeout)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@contextmanager
def running_sat_pki(directory: Path) -> Iterator[SatPki]:
    """Build the PKI under ``directory`` and serve it on 127.0.0.1 (a free port) until exit."""
    directory.mkdir(parents=True, exist_ok=True)
    holder: dict[str, Any] = {}

    def application(environ: Any, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per OCSP request
    server = make_server("127.0.0.1", 0, application, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    built_at = datetime.now(UTC).replace(microsecond=0)
    config = _build(directory, base_url, built_at)
    holder["app"] = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, name="sat-pki", daemon=True)
    thread.start()
    try:
        yield SatPki(directory=directory, base_url=base_url, built_at=built_at)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _build(directory: Path, base_url: str, now: datetime) -> CertomancerConfig:
    keys_dir = directory / "keys"
    keys_dir.mkdir(exist_ok=True)
    for label in KEY_LABELS:
        _write_key(keys_dir / f"{label}.pem")
    config = CertomancerConfig(
        pki_config(base_url, now), key_search_dir=str(directory), external_url_prefix=base_url
    )
    arch = config.pki_archs[ARCH]
    with_exact_names(arch)
    for label in ("raiz", *AUTHORITIES, *RESPONDERS.values(), "tsa", *END_ENTITIES):
        (directory / f"{label}.cer").write_bytes(arch.get_cert(label).dump())
    for label in END_ENTITIES:
        _write_sat_key(keys_dir / f"{label}.pem", directory / f"{label}.key")
    (directory / "password.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    for folder, labels in (
        ("confianza", ("raiz", "ac")),
        ("confianza-ac6-ac7", ("raiz", "ac6", "ac7")),
    ):
        (directory / folder).mkdir(exist_ok=True)
        for label in labels:
            (directory / folder / f"{label}.cer").write_bytes(arch.get_cert(label).dump())
    return config


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _write_sat_key(pem: Path, out: Path) -> None:
    subprocess.run(
        [
            "openssl", "pkcs8", "-topk8", "-in", str(pem), "-inform", "PEM",
            "-outform", "DER", "-out", str(out), "-v2", "des3", "-v2prf", "hmacWithSHA1",
            "-passout", f"pass:{PASSWORD}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
