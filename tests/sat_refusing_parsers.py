"""A spy standing in for the parsers that refuse SAT's AC6/AC7 names: ``cryptography``'s X.509
and OCSP loaders.

``cryptography`` refuses AC6's name outright (and so every certificate AC6 issues). AC7's it
accepts today, but AC7 carries the same 2.5.4.45 encoding that broke asn1crypto: no code path
should depend on either being accepted. While :func:`refusing_parsers` is active, every call
to those loaders whose input holds the DER of AC6's or AC7's name (their own certificates, their
OCSP responders', everything they issue, the OCSP answers about those) is recorded and refused
the way ``cryptography`` refuses AC6. A recorded call fails the test even if the caller caught
the error and carried on with a worse answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509 import base as x509_base
from cryptography.x509 import ocsp

from tests.sat_pki_config import CURRENT_AUTHORITIES, real_certificate

# Where each loader can be reached from: callers may hold either module's attribute.
_LOADERS: tuple[tuple[Any, str], ...] = (
    (x509, "load_der_x509_certificate"),
    (x509, "load_pem_x509_certificate"),
    (x509, "load_pem_x509_certificates"),
    (x509_base, "load_der_x509_certificate"),
    (x509_base, "load_pem_x509_certificate"),
    (x509_base, "load_pem_x509_certificates"),
    (ocsp, "load_der_ocsp_response"),
    (ocsp, "load_der_ocsp_request"),
)


def current_authority_names() -> dict[str, bytes]:
    """The DER of AC6's and AC7's subject names, read from the shipped bundle."""
    names = {}
    for authority, (_, authority_file, _) in CURRENT_AUTHORITIES.items():
        certificate = asn1_x509.Certificate.load(real_certificate(authority_file))
        names[authority] = certificate["tbs_certificate"]["subject"].dump()
    return names


@dataclass
class RefusingParsers:
    names: dict[str, bytes]
    calls: list[str] = field(default_factory=list)

    def wrap(self, loader_name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def refusing(data: bytes, *args: Any, **kwargs: Any) -> Any:
            for authority, name in self.names.items():
                if name in bytes(data):
                    self.calls.append(f"{loader_name} con el nombre de {authority}")
                    raise ValueError(f"spy: {loader_name} cannot read {authority}'s name")
            return original(data, *args, **kwargs)

        return refusing

    def assert_untouched(self) -> None:
        assert not self.calls, (
            "a library that refuses SAT's AC6/AC7 names was asked to parse them: "
            + "; ".join(self.calls)
        )


@contextmanager
def refusing_parsers(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingParsers]:
    spy = RefusingParsers(current_authority_names())
    for module, attribute in _LOADERS:
        original = getattr(module, attribute)
        monkeypatch.setattr(module, attribute, spy.wrap(attribute, original))
    yield spy
