"""A test PKI shaped like SAT's, served by certomancer's animator on 127.0.0.1.

What it imitates, and why each piece is here:

* ``raiz`` -- a self-signed root standing in for Banco de México's ARC.
* ``ac`` -- the intermediate that issues e.firmas, standing in for SAT's "A.C. del Servicio de
  Administración Tributaria".
* ``ocsp`` -- a delegated OCSP responder for ``ac`` (like SAT's ``ocsp.ac5_sat.cer``); its URL is
  :attr:`SatPki.ocsp_url`.
* ``tsa`` -- an RFC 3161 time-stamping authority; its URL is :attr:`SatPki.tsa_url`.
* End-entity certificates issued by ``ac``, with SAT's attributes: the RFC in 2.5.4.45
  (x500UniqueIdentifier), the CURP in 2.5.4.5 (serialNumber), the serial number made of the
  ASCII digits of a 20-digit "número de certificado", and -- like SAT's -- **no** AIA and **no**
  CRL distribution point, so a validator that only follows pointers never checks revocation:

  - ``fisica``: persona física, valid now;
  - ``moral``: persona moral with its representative (``RFC / RFC-representante``,
    `` / CURP-representante``), valid now;
  - ``vencida``: persona física whose certificate expired a year ago;
  - ``revocada``: persona física, valid dates, revoked 30 days ago (key compromise);
  - ``csd``: a sello digital (CSD) of the persona moral: same identity, plus an OU.

Keys are generated for each test session (nothing secret is committed). Each end-entity key is
written the way SAT delivers it: PKCS#8 EncryptedPrivateKeyInfo DER, PBES2 with PBKDF2-SHA1 and
DES-EDE3-CBC (``openssl pkcs8 -v2 des3 -v2prf hmacWithSHA1``), password :data:`PASSWORD`.

Dates are relative to the moment the PKI is built, so the suite does not rot. certomancer writes
every name attribute as a UTF8String, where SAT writes 2.5.4.45 as a PrintableString; both trip
asn1crypto 1.5.1 the same way (it expects a BIT STRING), which is what ``signing.asn1_workaround``
is about.
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

ARCH = "sat-pruebas"
PASSWORD = "12345678a"
END_ENTITIES = ("fisica", "moral", "vencida", "revocada", "csd")
_UNIQUE_IDENTIFIER = "2.5.4.45"
_SERIAL_NUMBER = "2.5.4.5"

IDENTITIES: dict[str, dict[str, str]] = {
    "fisica": {
        "name": "MARÍA GUADALUPE PÉREZ LÓPEZ",
        "rfc": "PELG800101QX7",
        "curp": "PELG800101MDFRPD09",
        "number": "30001000000500000101",
    },
    "moral": {
        "name": "COMERCIALIZADORA DEL BAJÍO SA DE CV",
        "rfc": "CBA010101AB1 / PELG800101QX7",
        "curp": " / PELG800101MDFRPD09",
        "number": "30001000000500000102",
    },
    "vencida": {
        "name": "JOSÉ ÁNGEL NÚÑEZ ORTIZ",
        "rfc": "NUOA700505KL2",
        "curp": "NUOA700505HJCXRN01",
        "number": "30001000000500000103",
    },
    "revocada": {
        "name": "ROBERTO CARLOS DÍAZ MENDOZA",
        "rfc": "DIMR750312T45",
        "curp": "DIMR750312HDFZNB08",
        "number": "30001000000500000104",
    },
    "csd": {
        "name": "COMERCIALIZADORA DEL BAJÍO SA DE CV",
        "rfc": "CBA010101AB1 / PELG800101QX7",
        "curp": " / PELG800101MDFRPD09",
        "number": "30001000000500000105",
        "unit": "SUCURSAL CENTRO",
    },
}


@dataclass(frozen=True)
class SatPki:
    """Files and URLs of a running test PKI. Everything lives under ``directory``."""

    directory: Path
    base_url: str
    built_at: datetime

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/{ARCH}/ocsp/ac"

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
    labels = ("raiz", "ac", "ocsp", "tsa", *END_ENTITIES)
    for label in labels:
        _write_key(keys_dir / f"{label}.pem")
    config = CertomancerConfig(
        _config(base_url, now), key_search_dir=str(directory), external_url_prefix=base_url
    )
    arch = config.pki_archs[ARCH]
    for label in ("raiz", "ac", "ocsp", "tsa", *END_ENTITIES):
        (directory / f"{label}.cer").write_bytes(arch.get_cert(label).dump())
    for label in END_ENTITIES:
        _write_sat_key(keys_dir / f"{label}.pem", directory / f"{label}.key")
    (directory / "password.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    (directory / "confianza").mkdir(exist_ok=True)
    for label in ("raiz", "ac"):
        (directory / "confianza" / f"{label}.cer").write_bytes(arch.get_cert(label).dump())
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


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _validity(start: datetime, end: datetime) -> dict[str, str]:
    return {"valid-from": _iso(start), "valid-to": _iso(end)}


def _serial(number: str) -> int:
    # SAT's serial number bytes are the ASCII digits of the certificate number.
    return int.from_bytes(number.encode("ascii"), "big")


def _ca_extensions(path_length: int | None) -> list[dict[str, Any]]:
    constraints: dict[str, Any] = {"ca": True}
    if path_length is not None:
        constraints["path_len_constraint"] = path_length
    return [
        {"id": "basic_constraints", "critical": True, "value": constraints},
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {"schema": "key-usage", "params": ["key_cert_sign", "crl_sign"]},
        },
    ]


def _end_entity_extensions() -> list[dict[str, Any]]:
    # SAT's e.firma: digital signature, non-repudiation, data encipherment, key agreement;
    # e-mail protection and client authentication. Deliberately no AIA and no CRLDP.
    return [
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {
                "schema": "key-usage",
                "params": [
                    "digital_signature",
                    "non_repudiation",
                    "data_encipherment",
                    "key_agreement",
                ],
            },
        },
        {"id": "extended_key_usage", "value": ["email_protection", "client_auth"]},
    ]


def _config(base_url: str, now: datetime) -> dict[str, Any]:
    entities: dict[str, dict[str, str]] = {
        "raiz": {
            "country-name": "MX",
            "organization-name": "Banco de Pruebas",
            "common-name": "Agencia Registradora Central de Pruebas",
        },
        "ac": {
            "country-name": "MX",
            "organization-name": "Servicio de Administración Tributaria (pruebas)",
            "organizational-unit-name": "Administración de Seguridad de la Información",
            "common-name": "A.C. de Pruebas del SAT",
        },
        "ocsp": {
            "country-name": "MX",
            "organization-name": "Servicio de Administración Tributaria (pruebas)",
            "common-name": "Servicio OCSP de Pruebas",
        },
        "tsa": {
            "country-name": "MX",
            "organization-name": "Sellos de Tiempo de Pruebas",
            "common-name": "TSA de Pruebas",
        },
    }
    for label, who in IDENTITIES.items():
        entity = {
            "common-name": who["name"],
            "name": who["name"],
            "organization-name": who["name"],
            "country-name": "MX",
            "email-address": f"{label}@pruebas.example.mx",
            _UNIQUE_IDENTIFIER: who["rfc"],
            _SERIAL_NUMBER: who["curp"],
        }
        if "unit" in who:
            entity["organizational-unit-name"] = who["unit"]
        entities[label] = entity

    long_ago, far_ahead = now - timedelta(days=3650), now + timedelta(days=3650)
    current = _validity(now - timedelta(days=365), now + timedelta(days=4 * 365))
    certs: dict[str, dict[str, Any]] = {
        "raiz": {
            "subject": "raiz",
            "issuer": "raiz",
            "validity": _validity(long_ago, far_ahead),
            "extensions": _ca_extensions(None),
        },
        "ac": {
            "subject": "ac",
            "issuer": "raiz",
            "validity": _validity(long_ago + timedelta(days=1), far_ahead - timedelta(days=1)),
            "extensions": _ca_extensions(0),
        },
        "ocsp": {
            "subject": "ocsp",
            "issuer": "ac",
            "validity": _validity(now - timedelta(days=400), now + timedelta(days=1500)),
            "extensions": [
                {
                    "id": "key_usage",
                    "critical": True,
                    "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
                },
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        },
        "tsa": {
            "subject": "tsa",
            "issuer": "raiz",
            "validity": _validity(long_ago + timedelta(days=2), far_ahead - timedelta(days=2)),
            "extensions": [
                {
                    "id": "key_usage",
                    "critical": True,
                    "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
                },
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
            ],
        },
    }
    for label, who in IDENTITIES.items():
        spec: dict[str, Any] = {
            "subject": label,
            "issuer": "ac",
            "serial": _serial(who["number"]),
            "validity": current,
            "extensions": _end_entity_extensions(),
        }
        if label == "vencida":
            spec["validity"] = _validity(now - timedelta(days=5 * 365), now - timedelta(days=365))
        if label == "revocada":
            spec["revocation"] = {
                "revoked-since": _iso(now - timedelta(days=30)),
                "reason": "key_compromise",
            }
        certs[label] = spec

    return {
        "external-url-prefix": base_url,
        "keysets": {
            ARCH: {
                "path-prefix": "keys",
                "keys": {
                    label: {"path": f"{label}.pem"}
                    for label in ("raiz", "ac", "ocsp", "tsa", *END_ENTITIES)
                },
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entities": entities,
                "certs": certs,
                "services": {
                    "ocsp": {"ac": {"for-issuer": "ac", "responder-cert": "ocsp"}},
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }
