"""What the SAT-shaped test PKI holds (``tests/sat_pki.py`` builds and serves it): entities,
certificates and services in certomancer's configuration, and the names copied from SAT's real
authorities.

Two generations of SAT authority are imitated:

* ``ac`` -- a test AC with a name of our own, under the test root ``raiz``, like AC4/AC5;
* ``ac6`` and ``ac7`` -- test ACs under the same root whose subject names are **byte for byte**
  those of SAT's real AC6 and AC7 (read from ``resources/trust/sat``), with OCSP responders
  ``ocsp6``/``ocsp7`` named byte for byte like SAT's ``ocsp.ac6_sat.cer``/``ocsp.ac7_sat.cer``.
  AC6's name is malformed (UTF-8 bytes in a PrintableString, a CN encoded twice) and every
  certificate it issues repeats it as the issuer, so the e.firmas issued here carry exactly what a
  real AC6 e.firma carries where parsers break. Only the keys are ours.

certomancer builds every name from text, which would re-encode (and repair) AC6's: those labels
get the real DER instead through :func:`with_exact_names`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from certomancer.registry import PKIArchitecture
from certomancer.registry.entities import EntityRegistry

from signing.trust import CA_FOLDER, RESPONDER_FOLDER, bundle_dir

ARCH = "sat-pruebas"
_UNIQUE_IDENTIFIER = "2.5.4.45"
_SERIAL_NUMBER = "2.5.4.5"

# Authority label -> (its OCSP responder's label, the real files whose subjects they copy).
CURRENT_AUTHORITIES: dict[str, tuple[str, str, str]] = {
    "ac6": ("ocsp6", f"{CA_FOLDER}/AC6_SAT.cer", f"{RESPONDER_FOLDER}/ocsp.ac6_sat.cer"),
    "ac7": ("ocsp7", f"{CA_FOLDER}/AC7_SAT.cer", f"{RESPONDER_FOLDER}/ocsp.ac7_sat.cer"),
}
AUTHORITIES = ("ac", *CURRENT_AUTHORITIES)
RESPONDERS = {"ac": "ocsp"} | {ca: spec[0] for ca, spec in CURRENT_AUTHORITIES.items()}

# "issuer" defaults to "ac"; "revoked" (any value) revokes it 30 days before the build.
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
        "revoked": "yes",
    },
    "csd": {
        "name": "COMERCIALIZADORA DEL BAJÍO SA DE CV",
        "rfc": "CBA010101AB1 / PELG800101QX7",
        "curp": " / PELG800101MDFRPD09",
        "number": "30001000000500000105",
        "unit": "SUCURSAL CENTRO",
    },
    # An office's e.firma from AC6: a municipality (persona moral) and its representative.
    "oficina_ac6": {
        "name": "MUNICIPIO DE SANTA MARÍA DE LAS PRUEBAS",
        "rfc": "MSM850101TA3 / RAOA850214JK5",
        "curp": " / RAOA850214MJCMCN03",
        "number": "30001000000600000201",
        "issuer": "ac6",
    },
    # An office's e.firma from AC7: the head of the Oficialía de Partes (persona física).
    "oficina_ac7": {
        "name": "ANA SOFÍA RAMÍREZ OCHOA",
        "rfc": "RAOA850214JK5",
        "curp": "RAOA850214MJCMCN03",
        "number": "30001000000700000301",
        "issuer": "ac7",
    },
    "revocada_ac6": {
        "name": "LUIS FERNANDO GÓMEZ PAZ",
        "rfc": "GOPL790909AB2",
        "curp": "GOPL790909HDFMZS05",
        "number": "30001000000600000202",
        "issuer": "ac6",
        "revoked": "yes",
    },
}
END_ENTITIES = tuple(IDENTITIES)
KEY_LABELS = ("raiz", *AUTHORITIES, *RESPONDERS.values(), "tsa", *END_ENTITIES)


def real_certificate(relative: str) -> bytes:
    """A certificate of the shipped trust bundle (``resources/trust``), as DER."""
    return (bundle_dir() / relative).read_bytes()


def exact_names() -> dict[str, asn1_x509.Name]:
    """The test labels that take a real SAT name, with that name as parsed from its DER (which
    asn1crypto writes back unchanged)."""
    names = {}
    for authority, (responder, authority_file, responder_file) in CURRENT_AUTHORITIES.items():
        names[authority] = _subject(real_certificate(authority_file))
        names[responder] = _subject(real_certificate(responder_file))
    return names


def _subject(der: bytes) -> asn1_x509.Name:
    return asn1_x509.Name.load(asn1_x509.Certificate.load(der)["tbs_certificate"]["subject"].dump())


class _ExactNames(EntityRegistry):
    """certomancer's entity registry with some labels' names given as DER, not built from text."""

    def __init__(self, built: EntityRegistry, exact: dict[str, asn1_x509.Name]) -> None:
        # Not calling super().__init__: the names come from ``built`` or ``exact``, never config.
        self._built = built
        self._exact = exact

    def __getitem__(self, label: Any) -> asn1_x509.Name:
        if label in self._exact:
            return self._exact[label]
        return self._built[label]


def with_exact_names(arch: PKIArchitecture) -> None:
    """Give ``ac6``, ``ac7``, ``ocsp6`` and ``ocsp7`` the real names. Call before any
    certificate is made (certomancer makes them on first use and caches them)."""
    arch.entities = _ExactNames(arch.entities, exact_names())


def pki_config(base_url: str, now: datetime) -> dict[str, Any]:
    """certomancer's configuration for the whole test PKI; dates relative to ``now``."""
    return {
        "external-url-prefix": base_url,
        "keysets": {
            ARCH: {
                "path-prefix": "keys",
                "keys": {label: {"path": f"{label}.pem"} for label in KEY_LABELS},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entities": _entities(),
                "certs": _authority_certificates(now) | _end_entity_certificates(now),
                "services": {
                    "ocsp": {
                        authority: {"for-issuer": authority, "responder-cert": responder}
                        for authority, responder in RESPONDERS.items()
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


def _entities() -> dict[str, dict[str, str]]:
    organization = "Servicio de Administración Tributaria (pruebas)"
    entities: dict[str, dict[str, str]] = {
        "raiz": {
            "country-name": "MX",
            "organization-name": "Banco de Pruebas",
            "common-name": "Agencia Registradora Central de Pruebas",
        },
        "ac": {
            "country-name": "MX",
            "organization-name": organization,
            "organizational-unit-name": "Administración de Seguridad de la Información",
            "common-name": "A.C. de Pruebas del SAT",
        },
        "ocsp": {
            "country-name": "MX",
            "organization-name": organization,
            "common-name": "Servicio OCSP de Pruebas",
        },
        "tsa": {
            "country-name": "MX",
            "organization-name": "Sellos de Tiempo de Pruebas",
            "common-name": "TSA de Pruebas",
        },
    }
    for authority, (responder, _, _) in CURRENT_AUTHORITIES.items():
        # Placeholders: with_exact_names replaces them before any certificate is made.
        entities[authority] = {"common-name": f"(se reemplaza por el nombre real de {authority})"}
        entities[responder] = {"common-name": f"(se reemplaza por el nombre real de {responder})"}
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
    return entities


def _authority_certificates(now: datetime) -> dict[str, dict[str, Any]]:
    long_ago, far_ahead = now - timedelta(days=3650), now + timedelta(days=3650)
    certs: dict[str, dict[str, Any]] = {
        "raiz": {
            "subject": "raiz",
            "issuer": "raiz",
            "validity": _validity(long_ago, far_ahead),
            "extensions": _ca_extensions(None),
        },
        "tsa": {
            "subject": "tsa",
            "issuer": "raiz",
            "validity": _validity(long_ago + timedelta(days=2), far_ahead - timedelta(days=2)),
            "extensions": _service_extensions("time_stamping"),
        },
    }
    for authority, responder in RESPONDERS.items():
        certs[authority] = {
            "subject": authority,
            "issuer": "raiz",
            "validity": _validity(long_ago + timedelta(days=1), far_ahead - timedelta(days=1)),
            "extensions": _ca_extensions(0),
        }
        certs[responder] = {
            "subject": responder,
            "issuer": authority,
            "validity": _validity(now - timedelta(days=400), now + timedelta(days=1500)),
            "extensions": [*_service_extensions("ocsp_signing"), {"id": "ocsp_no_check"}],
        }
    return certs


def _end_entity_certificates(now: datetime) -> dict[str, dict[str, Any]]:
    current = _validity(now - timedelta(days=365), now + timedelta(days=4 * 365))
    certs: dict[str, dict[str, Any]] = {}
    for label, who in IDENTITIES.items():
        spec: dict[str, Any] = {
            "subject": label,
            "issuer": who.get("issuer", "ac"),
            "serial": _serial(who["number"]),
            "validity": current,
            "extensions": _end_entity_extensions(),
        }
        if label == "vencida":
            spec["validity"] = _validity(now - timedelta(days=5 * 365), now - timedelta(days=365))
        if "revoked" in who:
            spec["revocation"] = {
                "revoked-since": _iso(now - timedelta(days=30)),
                "reason": "key_compromise",
            }
        certs[label] = spec
    return certs


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


def _service_extensions(purpose: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
        },
        {"id": "extended_key_usage", "critical": True, "value": [purpose]},
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
