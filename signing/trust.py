"""Which certification authorities this office trusts: SAT's bundle, the admin's extras, test roots.

The bundle (``resources/trust/sat``) holds Banco de México's roots (ARC*) and SAT's certification
authorities (AC*), expired ones included: they still validate signatures made while they were in
force. Roots are told from intermediates by a self-signature check, never by file name (SAT's AC1
is self-signed, for one). ``resources/trust/ocsp`` holds SAT's delegated OCSP responder
certificates: not authorities, only handed to the revocation checker.

The admin adds authorities in ``trust_extra_dir``, or in the data folder's ``confianza`` while
that setting is empty (``.cer``/``.der`` DER, ``.crt``/``.pem`` DER or
PEM, a PEM may hold several). Test roots (``trust_test_roots``) are trusted only while that
setting has a value. A file that is not a usable certificate is skipped with a Spanish warning in
:attr:`TrustStore.warnings`: the store never crashes on it and never trusts it.

Issuers are found by checking the signature, not by comparing names: reissued authorities share
names. Certificates are read by ``signing.certificate`` (asn1crypto), never by ``cryptography``'s
X.509 parser, which refuses SAT's Latin-1 TeletexStrings and AC6's own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509

from signing.certificate import parsed, read_certificates, signed_by_der
from signing.errors import NotACertificate
from signing.identity import undo_double_encoding

if TYPE_CHECKING:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy

    from mailroom.config import Settings

CA_FOLDER = "sat"
RESPONDER_FOLDER = "ocsp"
EXTRA_FOLDER = "confianza"  # in the data folder, when trust_extra_dir is empty
CERTIFICATE_SUFFIXES = (".cer", ".crt", ".pem", ".der")
# A CA certificate is a few KiB; anything far larger in the trust folder is not one.
_MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024


def bundle_dir() -> Path:
    """The shipped bundle (``resources/trust``, see :mod:`mailroom.resources`)."""
    from mailroom.resources import resource_dir

    return resource_dir("trust")


@dataclass(frozen=True)
class TrustStore:
    """Trusted roots and intermediates (DER), SAT's OCSP responders, and what was skipped."""

    roots: tuple[bytes, ...]
    intermediates: tuple[bytes, ...]
    ocsp_responders: tuple[bytes, ...] = ()
    test_roots: tuple[bytes, ...] = ()  # also in ``roots``; kept apart to label them
    warnings: tuple[str, ...] = ()

    @property
    def issuers(self) -> tuple[bytes, ...]:
        """Every trusted authority: the list for ``signing.credentials.check_trusted_issuer``."""
        return self.intermediates + self.roots

    def issuer_of(self, certificate_der: bytes) -> bytes | None:
        """The trusted authority whose key signed this certificate, or ``None``."""
        try:
            certificate = parsed(certificate_der)
        except NotACertificate:
            return None
        for candidate in self.issuers:
            if signed_by_der(certificate, candidate):
                return candidate
        return None

    def is_test_root(self, certificate_der: bytes) -> bool:
        return certificate_der in self.test_roots

    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        other_certs: Iterable[bytes] = (),
        ocsps: Iterable[bytes] = (),
        retroactive_revinfo: bool = False,
        revinfo_policy: CertRevTrustPolicy | None = None,
    ) -> ValidationContext:
        """A pyhanko-certvalidator context over this store that never goes to the network.

        Revocation data is passed in (``ocsps``): SAT's certificates carry no pointers, so
        fetching would find nothing anyway, and validation must not hang on a dead network.
        """
        from pyhanko_certvalidator import ValidationContext

        extra = [asn1_x509.Certificate.load(der) for der in (*self.intermediates, *other_certs)]
        return ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.roots],
            other_certs=extra,
            moment=moment,
            allow_fetching=False,
            ocsps=list(ocsps),
            retroactive_revinfo=retroactive_revinfo,
            revinfo_policy=revinfo_policy,
        )


def extra_dir(settings: Settings) -> Path:
    """Where the admin's authorities are: ``trust_extra_dir``, or the data folder's
    ``confianza`` when that setting is empty (where ``oficialia confianza agregar`` puts them)."""
    if settings.trust_extra_dir:
        return Path(settings.trust_extra_dir).expanduser()
    return settings.data_dir / EXTRA_FOLDER


def trust_store_from_settings(settings: Settings, *, bundle: Path | None = None) -> TrustStore:
    """The office's trust store: the bundle, ``trust_extra_dir`` and, if set, test roots."""
    folder = bundle or bundle_dir()
    builder = _Builder()
    if not (folder / CA_FOLDER).is_dir():
        builder.warn(
            f"No se encontró el paquete de certificados del SAT ({folder / CA_FOLDER}); "
            "reinstale Oficialía. Sin él no se reconoce ninguna e.firma del SAT."
        )
    else:
        builder.add_folder(folder / CA_FOLDER, origin="paquete del SAT")
    for path in _certificate_files(folder / RESPONDER_FOLDER, builder):
        builder.responders.extend(_read_certificates(path, builder))
    if settings.trust_extra_dir:
        builder.add_path(Path(settings.trust_extra_dir).expanduser(), origin="trust_extra_dir")
    elif extra_dir(settings).is_dir():
        builder.add_folder(extra_dir(settings), origin=EXTRA_FOLDER)
    if settings.trust_test_roots:
        builder.add_path(
            Path(settings.trust_test_roots).expanduser(), origin="trust_test_roots", test=True
        )
    return builder.build()


def trust_store_from_certificates(
    certificates: Sequence[bytes], *, test: bool = False
) -> TrustStore:
    """A store from DER certificates in memory (tests, tools); same classification rules."""
    builder = _Builder()
    for der in certificates:
        builder.add(der, source="memoria", test=test)
    return builder.build()


class _Builder:
    def __init__(self) -> None:
        self.roots: list[bytes] = []
        self.intermediates: list[bytes] = []
        self.responders: list[bytes] = []
        self.test_roots: list[bytes] = []
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def build(self) -> TrustStore:
        return TrustStore(
            roots=tuple(self.roots),
            intermediates=tuple(self.intermediates),
            ocsp_responders=tuple(dict.fromkeys(self.responders)),
            test_roots=tuple(self.test_roots),
            warnings=tuple(self.warnings),
        )

    def add_path(self, path: Path, *, origin: str, test: bool = False) -> None:
        if path.is_dir():
            self.add_folder(path, origin=origin, test=test)
        elif path.is_file():
            for der in _read_certificates(path, self):
                self.add(der, source=str(path), test=test)
        else:
            self.warn(f"No existe la ruta de certificados de {origin}: {path}; se ignora.")

    def add_folder(self, folder: Path, *, origin: str, test: bool = False) -> None:
        for path in _certificate_files(folder, self):
            for der in _read_certificates(path, self):
                self.add(der, source=str(path), test=test)

    def add(self, der: bytes, *, source: str, test: bool = False) -> None:
        if der in self.roots or der in self.intermediates:
            return
        certificate = parsed(der)
        if certificate.is_signed_by(certificate):
            self.roots.append(der)
            if test:
                self.test_roots.append(der)
        elif certificate.is_ca:
            self.intermediates.append(der)
        else:
            self.warn(
                f"El certificado {source} («{_subject(certificate.as_asn1())}») no es de una "
                "autoridad certificadora; no se usa para reconocer firmas."
            )


def _certificate_files(folder: Path, builder: _Builder) -> list[Path]:
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() in CERTIFICATE_SUFFIXES:
            files.append(path)
        else:
            builder.warn(
                f"Se ignora {path}: solo se leen certificados .cer, .crt, .pem o .der de la "
                "carpeta de autoridades."
            )
    return files


def _read_certificates(path: Path, builder: _Builder) -> list[bytes]:
    """The DER certificates in ``path``; a warning (and nothing) when it holds none usable."""
    try:
        if path.stat().st_size > _MAX_CERTIFICATE_FILE_BYTES:
            raise ValueError("archivo demasiado grande para ser un certificado")
        certificates = [certificate.der for certificate in read_certificates(path.read_bytes())]
        if not certificates:
            raise ValueError("el archivo PEM no contiene ningún certificado")
        for der in certificates:
            # pyHanko reads certificates with asn1crypto: make sure it can, names included.
            _subject(asn1_x509.Certificate.load(der))
    except (NotACertificate, OSError, ValueError, TypeError) as error:
        builder.warn(
            f"Se ignora {path}: no es un certificado válido ({_reason(error)}). Reemplácelo por "
            "el certificado de la autoridad en formato .cer (DER) o .pem."
        )
        return []
    return certificates


def _reason(error: Exception) -> str:
    if isinstance(error, NotACertificate):
        reason = str(error.details.get("reason", "")).strip()
        return reason.splitlines()[0][:120] if reason else "ilegible"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return str(error).splitlines()[0][:120] if str(error) else type(error).__name__


def _subject(certificate: asn1_x509.Certificate) -> str:
    native = certificate.subject.native
    name = native.get("common_name") or native.get("organization_name")
    if isinstance(name, list):
        name = name[0]
    return undo_double_encoding(str(name)) if name else certificate.subject.human_friendly
