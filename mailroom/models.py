"""The filing's vocabulary: identifiers, lifecycle states and the frozen records services return."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NewType

FilingId = NewType("FilingId", str)
Folio = NewType("Folio", str)
Sha256 = NewType("Sha256", str)
DocumentId = NewType("DocumentId", int)
PageId = NewType("PageId", int)


class FilingStatus(StrEnum):
    BORRADOR = "borrador"
    REGISTRADA = "registrada"
    TURNADA = "turnada"
    RECIBIDA_POR_AREA = "recibida_por_area"
    EN_TRAMITE = "en_tramite"
    ATENDIDA = "atendida"
    ARCHIVADA = "archivada"
    CANCELADA = "cancelada"


STATUS_LABELS: dict[FilingStatus, str] = {
    FilingStatus.BORRADOR: "borrador",
    FilingStatus.REGISTRADA: "registrada",
    FilingStatus.TURNADA: "turnada",
    FilingStatus.RECIBIDA_POR_AREA: "recibida por el área",
    FilingStatus.EN_TRAMITE: "en trámite",
    FilingStatus.ATENDIDA: "atendida",
    FilingStatus.ARCHIVADA: "archivada",
    FilingStatus.CANCELADA: "cancelada",
}
"""How the inbox and the libro de registro name each status (a filing's, hence feminine)."""


class SyncStatus(StrEnum):
    PENDIENTE = "pendiente"
    ENVIANDO = "enviando"
    SINCRONIZADA = "sincronizada"
    REQUIERE_ATENCION = "requiere_atencion"


class Channel(StrEnum):
    VENTANILLA = "ventanilla"
    KIOSCO = "kiosco"
    CARPETA = "carpeta"
    CORREO = "correo"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENTE = "urgente"


class AreaRole(StrEnum):
    DIRECTO = "directo"
    COPIA = "copia"


class PageSource(StrEnum):
    IMAGEN = "imagen"  # a scan: goes through tesseract
    TEXTO = "texto"  # a born-digital PDF page: its text layer is extracted, never OCRed


class OcrStatus(StrEnum):
    PENDIENTE = "pendiente"
    PROCESANDO = "procesando"
    HECHA = "hecha"
    FALLIDA = "fallida"


@dataclass(frozen=True)
class Sender:
    name: str
    curp: str | None = None
    rfc: str | None = None
    email: str | None = None
    phone: str | None = None
    organization: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class Addressee:
    area: str
    role: AreaRole = AreaRole.DIRECTO


@dataclass(frozen=True)
class Annex:
    description: str
    pages: int = 0


@dataclass(frozen=True)
class NewFiling:
    """What the clerk (or the kiosk) captured; validated by :func:`mailroom.intake.register`."""

    sender: Sender
    subject: str
    channel: Channel = Channel.VENTANILLA
    procedure_type: str | None = None
    document_number: str = "S/N"
    document_date: date | None = None
    addressees: tuple[Addressee, ...] = ()
    fojas_declared: int | None = None
    annexes: tuple[Annex, ...] = ()
    priority: Priority = Priority.NORMAL
    response_due: date | None = None
    observations: str = ""
    sensitive: bool = False
    duplicate_override_reason: str | None = None
    privacy_notice_sha256: str | None = None
    """The privacy notice the sender accepted (its text's SHA-256), where one was shown."""


@dataclass(frozen=True)
class Page:
    id: PageId
    page_no: int
    source: PageSource
    dpi: int | None
    blank: bool
    rotation: int
    ocr_status: OcrStatus
    confidence: float | None
    text: str
    error: str | None
    needs_review: bool = False
    """A near-blank page (one word, only a signature) the capture kept for a person to check."""


@dataclass(frozen=True)
class Document:
    id: DocumentId
    ordinal: int
    filename: str
    mime: str
    sha256: Sha256
    size: int
    page_count: int
    searchable_pdf_sha256: Sha256 | None
    pages: tuple[Page, ...] = ()


@dataclass(frozen=True)
class Filing:
    id: FilingId
    folio: Folio
    received_at: datetime
    channel: Channel
    sender: Sender
    subject: str
    procedure_type: str | None
    document_number: str
    document_date: date | None
    addressees: tuple[Addressee, ...]
    fojas_declared: int | None
    pages_scanned: int
    annexes: tuple[Annex, ...]
    priority: Priority
    response_due: date | None
    observations: str
    sensitive: bool
    clerk: str
    status: FilingStatus
    sync_status: SyncStatus
    institutional_folio: str | None
    duplicate_override_reason: str | None
    documents: tuple[Document, ...] = ()
    capture_source: str | None = None
    blank_pages_removed: int = 0
    """Blank sides the scan capture left out; the fojas check names them."""
    privacy_notice_sha256: str | None = None

    @property
    def fojas_match(self) -> bool | None:
        """``None`` when no fojas were declared; otherwise whether they equal the scanned pages."""
        if self.fojas_declared is None:
            return None
        return self.fojas_declared == self.pages_scanned


@dataclass(frozen=True)
class Registration:
    """The outcome of registering: the filing plus what the clerk must be told."""

    filing: Filing
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OcrProgress:
    pages_total: int
    pages_done: int
    pages_failed: int
    pages_pending: int

    @property
    def finished(self) -> bool:
        return self.pages_pending == 0


def new_filing_id() -> FilingId:
    """A UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and index well."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (random_bits >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62
    value |= random_bits & ((1 << 62) - 1)
    return FilingId(str(uuid.UUID(int=value)))
