"""The stored acuse of each filing: issued unsealed at registration, sealed once an e.firma is
unlocked.

Registration (``mailroom.intake``) writes the "sin sello" acuse and its ``acuses`` row in the
same transaction as the filing (:func:`issue_unsealed`), so no filing ever lacks its acuse.
Sealing is separate and may come seconds later (the clerk's e.firma is unlocked) or days later
(``seal_pending`` after the key is unlocked again): :class:`AcuseService` builds the sealed
layout from the same filing — same folio, received-at and cadena original — seals it, stores the
blob and only then flips the row to ``sellado`` with an ``acuse_sellado`` audit event. A process
that dies in between leaves the acuse ``pendiente`` (and at worst an orphan blob, swept later).

Qt-free: the clerk app calls this from its background helper, the CLI directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from io import BytesIO
from typing import Any, Protocol

import sqlite_utils

from mailroom import audit
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.errors import IntegrityProblem, NotFound, OficialiaError
from mailroom.filings import get_filing
from mailroom.models import Filing, FilingId, Folio, Sha256
from mailroom.permissions import acting
from mailroom.receipt import STAMP_BOX, build_acuse
from mailroom.store import BlobStore, Store

SEAL_REASON = "Acuse de recibo"


class SealState(StrEnum):
    PENDIENTE = "pendiente"
    SELLADO = "sellado"


class SignedAcuse(Protocol):
    @property
    def pdf(self) -> bytes: ...

    @property
    def level(self) -> str: ...  # "B-B", "B-T" or "B-LT": what was reachable when sealing


class AcuseSigner(Protocol):
    """What sealing needs of ``signing.sign.PdfSigner``."""

    def sign_document(
        self,
        pdf: bytes,
        *,
        reason: str = ...,
        stamp_box: tuple[float, float, float, float] | None = ...,
    ) -> SignedAcuse: ...


@dataclass(frozen=True)
class StoredAcuse:
    filing_id: FilingId
    folio: Folio
    pdf: bytes  # the sealed PDF once sealed, else the "sin sello" one
    sha256: Sha256
    seal_state: SealState
    cadena_digest: str
    signature_level: str | None
    sealed_at: datetime | None
    signer_rfc: str | None
    signer_certificate_number: str | None

    @property
    def sealed(self) -> bool:
        return self.seal_state is SealState.SELLADO


@dataclass(frozen=True)
class PendingAcuse:
    filing_id: FilingId
    folio: Folio
    received_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class SealingFailure:
    folio: Folio
    message: str


@dataclass(frozen=True)
class SealingReport:
    sealed: tuple[Folio, ...]
    failures: tuple[SealingFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def issue_unsealed(
    db: sqlite_utils.Database, blobs: BlobStore, settings: Settings, filing_id: FilingId, now: str
) -> tuple[str, Sha256]:
    """Build the "sin sello" acuse of a filing just inserted by ``db``'s open transaction, put its
    PDF in the blob store (fsynced before the row that names it commits) and insert the
    ``acuses`` row. Returns (cadena digest, PDF sha256)."""
    filing = get_filing(db, filing_id)
    acuse = build_acuse(filing, settings)
    sha, size = blobs.put_bytes(acuse.pdf)
    db.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)", [sha, size, now]
    )
    db.execute(
        "INSERT INTO acuses (filing_uuid, cadena_digest, seal_state, unsealed_sha256, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [filing_id, acuse.digest, SealState.PENDIENTE.value, sha, now],
    )
    return acuse.digest, sha


class AcuseService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)

    def current(self, folio_or_id: str) -> StoredAcuse:
        """The acuse to hand over or reprint; raises NotFound, or IntegrityProblem when the stored
        PDF is missing or does not match its hash."""
        row = self._row(self.store.reader(), folio_or_id)
        sha = row["sealed_sha256"] or row["unsealed_sha256"]
        return _stored(row, self._read_blob(row["folio"], sha))

    def pending(self, limit: int | None = None) -> list[PendingAcuse]:
        """Acuses waiting for the e.firma, oldest registration first."""
        rows = self.store.reader().query(
            "SELECT a.filing_uuid, f.folio, f.received_at, a.created_at FROM acuses a "
            "JOIN filings f ON f.uuid = a.filing_uuid WHERE a.seal_state = 'pendiente' "
            "ORDER BY f.rowid LIMIT ?",  # rowid: registration order, whatever the UTC offset
            [-1 if limit is None else limit],
        )
        return [
            PendingAcuse(
                FilingId(r["filing_uuid"]),
                Folio(r["folio"]),
                datetime.fromisoformat(r["received_at"]),
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]

    def pending_count(self) -> int:
        query = "SELECT count(*) FROM acuses WHERE seal_state = 'pendiente'"
        return int(self.store.reader().execute(query).fetchone()[0])

    def seal(self, folio_or_id: str, signer: AcuseSigner) -> StoredAcuse:
        """Seal the acuse with the unlocked e.firma and store it; an acuse already sealed is
        returned as it is (sealing twice never happens, even from two threads)."""
        reader = self.store.reader()
        row = self._row(reader, folio_or_id)
        if row["seal_state"] == SealState.SELLADO:
            return self.current(row["filing_uuid"])
        filing = get_filing(reader, row["filing_uuid"])
        signed = self._sealed_pdf(filing, row["cadena_digest"], signer)
        sha, size = self.store.blobs.put_bytes(signed.pdf)  # on disk before the row names it
        seal = _seal_of(signed.pdf, signed.level)
        sealed_at = (seal.signed_at or self.clock.now()).astimezone(self.settings.zone)
        self.store.write(lambda db: self._mark_sealed(db, filing, sha, size, sealed_at, seal))
        return self.current(row["filing_uuid"])

    def seal_pending(self, signer: AcuseSigner, limit: int | None = None) -> SealingReport:
        """Seal every pending acuse, oldest first; one failure does not stop the others."""
        sealed: list[Folio] = []
        failures: list[SealingFailure] = []
        for pending in self.pending(limit):
            try:
                self.seal(pending.filing_id, signer)
            except OficialiaError as error:
                failures.append(SealingFailure(pending.folio, error.message))
            else:
                sealed.append(pending.folio)
        return SealingReport(tuple(sealed), tuple(failures))

    def _row(self, db: sqlite_utils.Database, folio_or_id: str) -> dict[str, Any]:
        key = folio_or_id.strip()
        row = next(
            db.query(
                "SELECT f.uuid AS filing_uuid, f.folio, a.* FROM filings f "
                "LEFT JOIN acuses a ON a.filing_uuid = f.uuid WHERE f.folio = ? OR f.uuid = ?",
                [key, key],
            ),
            None,
        )
        if row is None:
            raise NotFound(f"No existe un escrito con folio {key!r}.", folio=key)
        if row["seal_state"] is None:
            raise IntegrityProblem(
                f"El escrito {row['folio']} no tiene acuse guardado. Ejecute "
                "«oficialia store check» y avise al administrador.",
                folio=row["folio"],
            )
        return row

    def _read_blob(self, folio: str, sha256: str) -> bytes:
        try:
            data = self.store.blobs.read_bytes(sha256)
        except IntegrityProblem as error:
            raise IntegrityProblem(
                f"Falta el PDF guardado del acuse del folio {folio}. Ejecute «oficialia store "
                "check» y avise al administrador; no se entregó ningún acuse.",
                folio=folio,
                sha256=sha256,
            ) from error
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityProblem(
                f"El PDF guardado del acuse del folio {folio} está dañado (su huella SHA-256 no "
                "coincide). Ejecute «oficialia store check» y avise al administrador; no se "
                "entregó ningún acuse.",
                folio=folio,
                sha256=sha256,
            )
        return data

    def _sealed_pdf(self, filing: Filing, cadena_digest: str, signer: AcuseSigner) -> SignedAcuse:
        acuse = build_acuse(filing, self.settings, sealed=True)
        if acuse.digest != cadena_digest:
            # The cadena covers only fields a registered filing never changes; a difference means
            # the stored filing was edited behind the application's back.
            raise IntegrityProblem(
                f"Los datos del folio {filing.folio} ya no coinciden con su acuse (la cadena "
                "original cambió); no se selló. Avise al administrador.",
                folio=filing.folio,
            )
        return signer.sign_document(acuse.pdf, reason=SEAL_REASON, stamp_box=STAMP_BOX)

    def _mark_sealed(
        self,
        db: sqlite_utils.Database,
        filing: Filing,
        sha: Sha256,
        size: int,
        sealed_at: datetime,
        seal: _Seal,
    ) -> None:
        state = db.execute(
            "SELECT seal_state FROM acuses WHERE filing_uuid = ?", [filing.id]
        ).fetchone()
        if state is None or state[0] == SealState.SELLADO:
            return  # another thread or process sealed it first: keep theirs
        db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)",
            [sha, size, sealed_at.isoformat()],
        )
        db.execute(
            "UPDATE acuses SET seal_state = 'sellado', sealed_sha256 = ?, signature_level = ?, "
            "sealed_at = ?, signer_certificate_number = ?, signer_rfc = ? WHERE filing_uuid = ?",
            [
                sha,
                seal.level,
                sealed_at.isoformat(),
                seal.certificate_number,
                seal.rfc,
                filing.id,
            ],
        )
        audit.append_event(
            db,
            at=sealed_at,
            actor=acting(self.settings).name,
            kind="acuse_sellado",
            filing_id=filing.id,
            payload={
                "folio": filing.folio,
                "sealed_sha256": sha,
                "signature_level": seal.level,
                "signer_rfc": seal.rfc,
                "signer_certificate_number": seal.certificate_number,
            },
        )


def _stored(row: dict[str, Any], pdf: bytes) -> StoredAcuse:
    sealed_at = row["sealed_at"]
    return StoredAcuse(
        filing_id=FilingId(row["filing_uuid"]),
        folio=Folio(row["folio"]),
        pdf=pdf,
        sha256=Sha256(row["sealed_sha256"] or row["unsealed_sha256"]),
        seal_state=SealState(row["seal_state"]),
        cadena_digest=row["cadena_digest"],
        signature_level=row["signature_level"],
        sealed_at=datetime.fromisoformat(sealed_at) if sealed_at else None,
        signer_rfc=row["signer_rfc"],
        signer_certificate_number=row["signer_certificate_number"],
    )


@dataclass(frozen=True)
class _Seal:
    level: str
    rfc: str
    certificate_number: str
    signed_at: datetime | None


def _seal_of(signed_pdf: bytes, level: str) -> _Seal:
    """Who sealed and when, read from the signature just applied (what a verifier will see),
    not from what the caller says it used: the stamp's time is the signer's clock."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from signing import read_identity

    reader = PdfFileReader(BytesIO(signed_pdf), strict=False)
    last = reader.embedded_signatures[-1]
    identity = read_identity(last.signer_cert.dump())
    signed_at = last.self_reported_timestamp
    return _Seal(level, identity.rfc, identity.certificate_number, signed_at)
