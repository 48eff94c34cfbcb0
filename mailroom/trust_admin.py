"""The office's certification authorities as the administrator sees them: list the trusted ones,
add one from a file, remove one that was added. Qt-free.

Added authorities are files in :func:`signing.trust.extra_dir` (``trust_extra_dir``, or the
data folder's ``confianza`` while that setting is empty), the folder ``signing.trust`` reads at
every validation: nothing else records them, so what is in the folder is what is trusted. Each
file is written as DER (``.cer``), named after the authority and its fingerprint, atomically.

A file is accepted only if it holds exactly one certificate that asn1crypto reads (through
``signing.certificate``, never ``cryptography``'s X.509 parser, which refuses SAT's names), that
says it is an authority (basicConstraints CA), that is in force today and that is not trusted
already. The shipped bundle's authorities cannot be removed here (an update replaces them).
Every change is checked (``Action.CONFIANZA``) and recorded as an audit event in the same
transaction; the file is written or removed inside it, so a refused change touches nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlite_utils
from asn1crypto import x509 as asn1_x509

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import InvalidInput, NotFound, StorageError, UnreadableFile
from mailroom.fsutil import write_bytes_atomically
from mailroom.permissions import Action, authorize
from mailroom.store import Store
from signing.certificate import Certificate, read_certificates
from signing.errors import NotACertificate
from signing.identity import undo_double_encoding
from signing.trust import CERTIFICATE_SUFFIXES, extra_dir, trust_store_from_settings

__all__ = ["MAX_FILE_BYTES", "Authority", "TrustAdmin", "TrustListing"]

MAX_FILE_BYTES = 64 * 1024  # an authority's certificate is a few KiB
MIN_FINGERPRINT = 8  # hex digits of the SHA-256 that name an authority to remove

Origin = Literal["paquete", "agregada", "prueba"]


@dataclass(frozen=True)
class Authority:
    sha256: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    root: bool  # self-signed
    origin: Origin  # shipped bundle, added by the office, or a test root
    path: Path | None = None  # the file, for an added one

    def expired(self, now: datetime) -> bool:
        return self.not_after < now


@dataclass(frozen=True)
class TrustListing:
    authorities: tuple[Authority, ...]
    folder: Path  # where added authorities go
    warnings: tuple[str, ...]  # files the trust store skipped, in Spanish


class TrustAdmin:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    @property
    def folder(self) -> Path:
        return extra_dir(self.settings)

    def list_authorities(self) -> TrustListing:
        """Every trusted authority (shipped, added, test roots), roots first, then by name."""
        authorize(self.store.reader(), self.settings, Action.CONFIANZA)
        trust = trust_store_from_settings(self.settings)
        added = {sha: path for sha, path, _ in self._added()}
        found = []
        for der in (*trust.roots, *trust.intermediates):
            sha = hashlib.sha256(der).hexdigest()
            certificate = read_certificates(der)[0]
            origin: Origin = "prueba" if trust.is_test_root(der) else "paquete"
            if sha in added:
                origin = "agregada"
            found.append(_authority(certificate, origin, added.get(sha)))
        found.sort(key=lambda a: (not a.root, a.subject.casefold(), a.not_before))
        return TrustListing(tuple(found), self.folder, trust.warnings)

    def add(self, source: Path) -> Authority:
        """Trust the authority in ``source`` (DER or PEM): written into :attr:`folder`."""
        certificate = _read_authority(Path(source))
        now = self.clock.now()
        if certificate.not_after < now:
            raise InvalidInput(
                f"El certificado de «{_name(certificate.subject_der)}» venció el "
                f"{certificate.not_after:%d/%m/%Y}: no se agrega. Pida a la autoridad su "
                "certificado vigente.",
                field="archivo",
            )
        folder = self._writable_folder()
        authority = _authority(certificate, "agregada", folder / _file_name(certificate))

        def write(db: sqlite_utils.Database) -> Authority:
            actor = authorize(db, self.settings, Action.CONFIANZA)
            trust = trust_store_from_settings(self.settings)
            if certificate.der in trust.roots or certificate.der in trust.intermediates:
                raise InvalidInput(
                    f"La autoridad «{authority.subject}» ya es de confianza en este equipo; no "
                    "hace falta agregarla.",
                    field="archivo",
                )
            audit.append_event(
                db,
                at=now,
                actor=actor.name,
                kind="autoridad_agregada",
                filing_id=None,
                payload=_payload(authority),
            )
            # Written inside the transaction: a failure here rolls the event back.
            assert authority.path is not None
            folder.mkdir(parents=True, exist_ok=True)
            write_bytes_atomically(authority.path, certificate.der, failed=_storage_error)
            return authority

        return self.store.write(write)

    def remove(self, fingerprint: str) -> Authority:
        """Stop trusting an added authority, named by (the start of) its SHA-256."""
        wanted = fingerprint.strip().lower().replace(":", "")
        if len(wanted) < MIN_FINGERPRINT or not re.fullmatch(r"[0-9a-f]+", wanted):
            raise InvalidInput(
                f"Indique la huella SHA-256 de la autoridad (al menos {MIN_FINGERPRINT} "
                "caracteres hexadecimales, como los muestra «oficialia confianza listar»).",
                field="huella",
            )
        now = self.clock.now()

        def write(db: sqlite_utils.Database) -> Authority:
            actor = authorize(db, self.settings, Action.CONFIANZA)
            matches = [entry for entry in self._added() if entry[0].startswith(wanted)]
            if not matches:
                raise NotFound(_not_added(wanted), huella=wanted)
            if len(matches) > 1:
                raise InvalidInput(
                    f"La huella {wanted} corresponde a más de una autoridad: escriba más "
                    "caracteres.",
                    field="huella",
                )
            _, path, certificate = matches[0]
            authority = _authority(certificate, "agregada", path)
            audit.append_event(
                db,
                at=now,
                actor=actor.name,
                kind="autoridad_quitada",
                filing_id=None,
                payload=_payload(authority),
            )
            try:
                path.unlink()
            except OSError as error:
                raise _storage_error(path, error) from error
            return authority

        return self.store.write(write)

    # -- the folder ----------------------------------------------------------------------------

    def _added(self) -> list[tuple[str, Path, Certificate]]:
        """(SHA-256, file, certificate) of each readable certificate in the folder."""
        folder = self.folder
        if not folder.is_dir():
            return []
        found: list[tuple[str, Path, Certificate]] = []
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in CERTIFICATE_SUFFIXES:
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                certificates = read_certificates(path.read_bytes())
            except (OSError, NotACertificate):
                continue  # the trust store warns about it; nothing to list or remove
            found.extend((c.sha256, path, c) for c in certificates)
        return found

    def _writable_folder(self) -> Path:
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise InvalidInput(
                f"El ajuste trust_extra_dir apunta al archivo {folder}, no a una carpeta: las "
                "autoridades se agregan a una carpeta. Cámbielo o déjelo vacío para usar la "
                "carpeta «confianza» de la carpeta de datos.",
                setting="trust_extra_dir",
            )
        return folder


def _read_authority(source: Path) -> Certificate:
    try:
        size = source.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"{source.name} pesa {size // 1024} KiB: el certificado de una autoridad pesa unos "
                "pocos KiB. Elija el archivo .cer o .pem de la autoridad.",
                path=str(source),
            )
        data = source.read_bytes()
    except FileNotFoundError as error:
        raise NotFound(f"No existe el archivo {source}.", path=str(source)) from error
    except OSError as error:
        raise UnreadableFile(
            f"No se pudo leer {source}: {error.strerror or error}.", path=str(source)
        ) from error
    try:
        certificates = read_certificates(data)
        for certificate in certificates:
            _name(certificate.subject_der)  # what pyHanko will read: it must be readable
    except (NotACertificate, ValueError, TypeError, KeyError) as error:
        raise UnreadableFile(
            f"{source.name} no es un certificado que se pueda leer (¿está dañado o es otro tipo "
            "de archivo?). Elija el certificado de la autoridad en formato .cer (DER) o .pem.",
            path=str(source),
        ) from error
    if len(certificates) != 1:
        raise UnreadableFile(
            f"{source.name} trae {len(certificates)} certificados: agregue uno por archivo.",
            path=str(source),
        )
    certificate = certificates[0]
    if not certificate.is_ca:
        raise InvalidInput(
            f"«{_name(certificate.subject_der)}» no es una autoridad certificadora (su certificado "
            "no la autoriza a emitir otros): parece el certificado de una persona o de un "
            "servidor. Pida a la autoridad su propio certificado.",
            field="archivo",
        )
    return certificate


def _authority(certificate: Certificate, origin: Origin, path: Path | None) -> Authority:
    return Authority(
        sha256=certificate.sha256,
        subject=_name(certificate.subject_der),
        issuer=_name(certificate.issuer_der),
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        root=certificate.is_signed_by(certificate),  # as signing.trust tells roots apart
        origin=origin,
        path=path,
    )


def _name(name_der: bytes) -> str:
    """A name as a person reads it: the common name, or the organisation, or all of it."""
    name = asn1_x509.Name.load(name_der)
    native = name.native
    value = native.get("common_name") or native.get("organization_name")
    if isinstance(value, list):
        value = value[0]
    return undo_double_encoding(str(value)) if value else name.human_friendly


def _file_name(certificate: Certificate) -> str:
    plain = unicodedata.normalize("NFKD", _name(certificate.subject_der))
    plain = plain.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:40] or "autoridad"
    return f"{slug}-{certificate.sha256[:12]}.cer"


def _payload(authority: Authority) -> dict[str, object]:
    return {
        "sha256": authority.sha256,
        "autoridad": authority.subject,
        "emisor": authority.issuer,
        "vigente_hasta": authority.not_after.isoformat(),
        "archivo": authority.path.name if authority.path else None,
    }


def _not_added(wanted: str) -> str:
    return (
        f"Ninguna autoridad agregada por la oficina tiene la huella {wanted}. Las del paquete "
        "del SAT no se quitan aquí; vea «oficialia confianza listar»."
    )


def _storage_error(path: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo cambiar {path}: {error.strerror or error}. Revise que la carpeta exista y "
        "que tenga permiso de escritura.",
        path=str(path),
    )
