"""What the filing detail screen shows, read without Qt: the filing, where its pages are (and their
sizes, for the page viewer), the OCR text of each page, its routes, its acuse, the audit history
in Spanish, and the check of the acuse's seal (``signing.verify.verify_pdf``, as ``oficialia
verify`` runs it).

The clerk app calls :class:`FilingDetailService` through its task helper: reading the filing is
quick, but checking the seal may ask SAT's OCSP responder and takes a second even offline, so
it is a separate call (:meth:`FilingDetailService.verify_acuse`) run after showing the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PIL import Image

from mailroom.acuses import AcuseService, StoredAcuse
from mailroom.clock import Clock, SystemClock
from mailroom.config import Settings
from mailroom.corrections import (
    Correction,
    CurrentValues,
    corrections_of,
    current_values,
    describe_correction,
)
from mailroom.document_access import record_opening
from mailroom.errors import IntegrityProblem, OficialiaError, StorageError, UnreadableFile
from mailroom.filings import get_filing, ocr_progress
from mailroom.fsutil import write_bytes_atomically
from mailroom.models import Document, Filing, OcrProgress, OcrStatus
from mailroom.pdfium import pdfium_lock
from mailroom.permissions import Action, reader_for
from mailroom.retention import purged_on
from mailroom.routing import ROLE_LABELS, Route, routes, status_label
from mailroom.store import Store

PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class PageRef:
    """One page to show: page ``index`` of a PDF, or frame ``index`` of a page image."""

    path: Path
    index: int = 0
    is_pdf: bool = True
    dpi: int = 300  # for an image that does not say its resolution


PdfSource = bytes | Path


# -- page sizes, for the page viewer (off the GUI thread) ---------------------------------


@dataclass(frozen=True)
class PageSpec:
    """One page to show: where it comes from and its size in points (1/72 in)."""

    source: PdfSource
    index: int
    is_pdf: bool
    width_pt: float
    height_pt: float


def measure_pdf(source: PdfSource) -> list[PageSpec]:
    """Every page of a PDF with its size; raises ``UnreadableFile`` for a PDF PDFium refuses."""
    with pdfium_lock:
        try:
            document = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        except (pdfium.PdfiumError, OSError) as error:
            raise UnreadableFile(
                f"No se pudo abrir el PDF para mostrarlo ({error}).", path=str(source)[:80]
            ) from error
        try:
            return [
                PageSpec(source, index, True, *document[index].get_size())
                for index in range(len(document))
            ]
        finally:
            document.close()


def measure_pages(refs: Sequence[PageRef]) -> list[PageSpec]:
    """Sizes of pages named by reference (PDF pages or page images)."""
    specs: list[PageSpec] = []
    pdfs: dict[Path, list[PageSpec]] = {}
    for ref in refs:
        if ref.is_pdf:
            if ref.path not in pdfs:
                pdfs[ref.path] = measure_pdf(ref.path)
            specs.append(pdfs[ref.path][ref.index])
        else:
            specs.append(_measure_image(ref))
    return specs


def _measure_image(ref: PageRef) -> PageSpec:
    try:
        with Image.open(ref.path) as image:
            image.seek(ref.index)
            dpi = image.info.get("dpi", (ref.dpi, ref.dpi))[0] or ref.dpi
            width, height = image.size
    except (OSError, EOFError, ValueError) as error:
        raise UnreadableFile(
            f"No se pudo abrir la imagen de la página para mostrarla ({error}).",
            path=str(ref.path),
        ) from error
    dpi = float(dpi) if float(dpi) > 1 else float(ref.dpi)
    return PageSpec(ref.path, ref.index, False, width * 72 / dpi, height * 72 / dpi)


@dataclass(frozen=True)
class PageText:
    position: int  # 1-based across the filing's documents
    document: str
    page_no: int
    ocr_status: OcrStatus
    confidence: float | None
    text: str
    error: str | None


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime  # in the office's time zone
    actor: str
    kind: str
    label: str  # Spanish, for people
    details: str


@dataclass(frozen=True)
class SignatureSummary:
    """The check of the acuse's seal, as the "Firmas" tab says it."""

    state: str  # "valida" | "invalida" | "sin_sello" | "sin_firma"
    headline: str
    verdict: str = ""
    signer: str | None = None
    rfc: str | None = None
    certificate_number: str | None = None
    signed_at: datetime | None = None
    level: str | None = None
    demo: bool = False  # the seal chains to a test root (trust_test_roots): not a real seal
    revocation: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.state == "valida"


@dataclass(frozen=True)
class FilingDetailData:
    filing: Filing
    pages: tuple[PageRef, ...]
    texts: tuple[PageText, ...]
    routes: tuple[Route, ...]
    history: tuple[HistoryEntry, ...]
    ocr: OcrProgress
    acuse: StoredAcuse | None
    acuse_problem: str | None  # why the acuse cannot be shown (missing or damaged)
    corrections: tuple[Correction, ...] = ()  # oldest first; ``filing`` is as registered
    current: CurrentValues | None = None  # the filing's data with its corrections applied
    documents_notice: str = ""  # why there are no pages to show (removed by retention)


class FilingDetailService:
    def __init__(self, store: Store, settings: Settings, clock: Clock | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or SystemClock(settings.zone)
        self.acuses = AcuseService(store, settings, self.clock)
        self._trust: Any = None

    def load(self, folio_or_id: str) -> FilingDetailData:
        db = reader_for(self.store, self.settings, Action.BUSCAR)
        filing = get_filing(db, folio_or_id, with_text=True)
        notice = self._open_documents(filing)
        try:
            acuse: StoredAcuse | None = self.acuses.current(filing.id)
            problem = None
        except IntegrityProblem as error:
            acuse, problem = None, error.message
        return FilingDetailData(
            filing=filing,
            pages=() if notice else tuple(self._page_refs(filing)),
            documents_notice=notice,
            texts=tuple(_texts(filing)),
            routes=routes(db, filing.id),
            history=tuple(self.history(filing.id)),
            ocr=ocr_progress(db, filing.id),
            acuse=acuse,
            acuse_problem=problem,
            corrections=corrections_of(db, filing.id),
            current=current_values(db, filing.id),
        )

    def _open_documents(self, filing: Filing) -> str:
        """The notice to show instead of the pages of a filing retention purged; otherwise ""
        and, for a sensitive filing, the audit event of this opening (mailroom.document_access)."""
        purged = purged_on(self.store.reader(), filing.id)
        if purged is not None:
            day = purged.astimezone(self.settings.zone)
            return (
                f"Los documentos de este escrito se depuraron el {day:%d/%m/%Y} (plazo de "
                "conservación): ya no se guardan en este equipo. El registro, las huellas "
                "SHA-256, el acuse y la bitácora se conservan; el servidor estatal guarda los "
                "documentos."
            )
        record_opening(self.store, self.settings, filing, via="ficha", clock=self.clock)
        return ""

    def departments(self) -> list[str]:
        """Departments a filing can be routed to: the backend's catalog and every area already
        addressed or routed here (an office without a catalog yet still gets a list)."""
        rows = self.store.reader().execute(
            "SELECT name FROM catalog_items WHERE catalog = 'departments' "
            "UNION SELECT area FROM filing_addressees UNION SELECT area FROM filing_routes "
            "ORDER BY 1"
        )
        return [row[0] for row in rows]

    def history(self, filing_id: str) -> list[HistoryEntry]:
        rows = self.store.reader().query(
            "SELECT seq, at, actor, kind, payload FROM events WHERE filing_uuid = ? ORDER BY seq",
            [filing_id],
        )
        entries = []
        for row in rows:
            payload = json.loads(row["payload"])
            label, details = describe_event(row["kind"], payload)
            at = datetime.fromisoformat(row["at"]).astimezone(self.settings.zone)
            entries.append(HistoryEntry(row["seq"], at, row["actor"], row["kind"], label, details))
        return entries

    def verify_acuse(self, folio_or_id: str) -> SignatureSummary:
        """Check the stored acuse's seal. A stored PDF that no longer matches its hash is still
        checked (the signature says what was altered), and is never reported valid."""
        try:
            acuse = self.acuses.current(folio_or_id)
        except IntegrityProblem as problem:
            data = self._stored_bytes(folio_or_id)
            if data is None:
                return SignatureSummary("invalida", problem.message)
            return self._summary(data, altered=problem.message)
        if not acuse.sealed:
            return SignatureSummary(
                "sin_sello",
                "El acuse está pendiente de sello: se sellará cuando se abra la e.firma de la "
                "oficina.",
            )
        return self._summary(acuse.pdf, altered=None)

    def _summary(self, pdf: bytes, *, altered: str | None) -> SignatureSummary:
        from signing.office import revocation_checker
        from signing.verify import verify_pdf

        trust = self._trust_store()
        checker = revocation_checker(self.settings, store=self.store, trust=trust)
        limit = self.settings.max_file_megabytes * 1024 * 1024
        try:
            report = verify_pdf(pdf, trust=trust, revocation=checker, max_bytes=limit)
        except OficialiaError as error:
            return SignatureSummary("invalida", altered or error.message, verdict=error.message)
        seals = [s for s in report.signatures if s.kind == "firma"]
        if not seals:
            return SignatureSummary(
                "sin_firma", altered or report.verdict, warnings=report.warnings
            )
        seal = seals[-1]
        valid = report.ok and altered is None
        verdicts = [altered or "", *(s.verdict for s in report.signatures)]
        return SignatureSummary(
            state="valida" if valid else "invalida",
            headline="Sello válido." if valid else "El sello del acuse NO es válido.",
            verdict=" ".join(v for v in verdicts if v),
            signer=seal.signer,
            rfc=seal.rfc,
            certificate_number=seal.certificate_number,
            signed_at=seal.signing_time.astimezone(self.settings.zone)
            if seal.signing_time
            else None,
            level=seal.level,
            demo=seal.test_root,
            revocation=seal.revocation.message,
            warnings=report.warnings,
        )

    def _trust_store(self) -> Any:
        if self._trust is None:
            from signing.trust import trust_store_from_settings

            self._trust = trust_store_from_settings(self.settings)
        return self._trust

    def _stored_bytes(self, folio_or_id: str) -> bytes | None:
        key = folio_or_id.strip()
        row = (
            self.store.reader()
            .execute(
                "SELECT coalesce(a.sealed_sha256, a.unsealed_sha256) FROM acuses a "
                "JOIN filings f ON f.uuid = a.filing_uuid WHERE f.folio = ? OR f.uuid = ?",
                [key, key],
            )
            .fetchone()
        )
        if row is None or row[0] is None:
            return None
        try:
            return self.store.blobs.read_bytes(row[0])
        except IntegrityProblem:
            return None

    def _page_refs(self, filing: Filing) -> list[PageRef]:
        refs: list[PageRef] = []
        blobs = self.store.blobs
        for document in filing.documents:
            if document.searchable_pdf_sha256:
                path = blobs.path(document.searchable_pdf_sha256)
                refs.extend(PageRef(path, i) for i in range(document.page_count))
            elif document.mime == PDF_MIME:
                path = blobs.path(document.sha256)
                refs.extend(PageRef(path, page.page_no - 1) for page in document.pages)
            else:
                refs.extend(self._image_refs(document))
        return refs

    def _image_refs(self, document: Document) -> list[PageRef]:
        rows = self.store.reader().execute(
            "SELECT image_sha256, dpi FROM pages WHERE document_id = ? ORDER BY page_no",
            [document.id],
        )
        default = self.settings.default_dpi
        return [
            PageRef(self.store.blobs.path(sha or document.sha256), 0, False, dpi or default)
            for sha, dpi in rows
        ]


def _texts(filing: Filing) -> list[PageText]:
    pages = [(d.filename, page) for d in filing.documents for page in d.pages]
    return [
        PageText(n, name, p.page_no, p.ocr_status, p.confidence, p.text, p.error)
        for n, (name, p) in enumerate(pages, start=1)
    ]


def _save_error(target: Path, error: OSError) -> StorageError:
    return StorageError(
        f"No se pudo guardar el PDF en {target}: {error.strerror or error}. Elija otra "
        "carpeta o revise el espacio libre.",
        path=target,
    )


def export_pdf(data: bytes, target: Path) -> Path:
    """Write a PDF (an acuse the clerk saves) atomically: a temporary file beside it, fsynced,
    then renamed, so an interrupted save never leaves half a PDF under the chosen name."""
    target = target.expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _save_error(target, error) from error
    write_bytes_atomically(target, data, failed=_save_error)
    return target


# -- the audit history in Spanish -------------------------------------------------------------

Describe = Callable[[dict[str, Any]], str]


def _areas(payload: dict[str, Any]) -> str:
    roles = {role.value: label for role, label in ROLE_LABELS.items()}
    areas = ", ".join(f"{area} ({roles.get(role, role)})" for area, role in payload["areas"])
    return areas + (f". Nota: {payload['nota']}" if payload.get("nota") else "")


def _status_change(payload: dict[str, Any]) -> str:
    text = f"De «{status_label(payload['de'])}» a «{status_label(payload['a'])}»"
    return text + (f". Nota: {payload['nota']}" if payload.get("nota") else "")


def _registered(payload: dict[str, Any]) -> str:
    pages = payload.get("pages_scanned", 0)
    return f"Folio {payload.get('folio', '')}; {pages} página(s) digitalizada(s)"


def _reprinted(payload: dict[str, Any]) -> str:
    return "Acuse sellado" if payload.get("seal_state") == "sellado" else "Acuse sin sello"


EVENT_LABELS: dict[str, tuple[str, Describe]] = {
    "escrito_registrado": ("Escrito registrado", _registered),
    "acuse_sellado": (
        "Acuse sellado con la e.firma",
        lambda p: f"Nivel {p.get('signature_level')}; RFC {p.get('signer_rfc')}",
    ),
    "ocr_terminado": (
        "Texto reconocido (OCR)",
        lambda p: f"{p.get('pages', 0)} página(s); {p.get('failed_pages', 0)} con error",
    ),
    "documentos_anexados": (
        "Documentos anexados",
        lambda p: (
            f"{p.get('documento', {}).get('filename', '')}: "
            f"{p.get('documento', {}).get('pages', 0)} página(s)"
        ),
    ),
    "escrito_turnado": ("Turnado", _areas),
    "estado_cambiado": ("Cambio de estado", _status_change),
    "estado_del_area": (
        "Estado informado por el área",
        lambda p: f"{p.get('status', '')}" + (f". {p['note']}" if p.get("note") else ""),
    ),
    "escrito_cancelado": ("Escrito cancelado", lambda p: f"Motivo: {p.get('motivo', '')}"),
    "escrito_corregido": ("Dato corregido", describe_correction),
    "arco_restriccion_aplicada": (
        "Uso restringido (derechos ARCO)",
        lambda p: f"Solicitud {p.get('solicitud')}; se conserva hasta {p.get('conservar_hasta')}",
    ),
    "acuse_reimpreso": ("Acuse reimpreso", _reprinted),
    "documentos_consultados": (
        "Documentos consultados (escrito con datos sensibles)",
        lambda p: f"Documento(s) {', '.join(str(d) for d in p.get('documentos', []))}",
    ),
    "documentos_depurados": (
        "Documentos depurados (plazo de conservación)",
        lambda p: (
            f"{len(p.get('archivos', []))} archivo(s); conservar hasta {p.get('conservar_hasta')}"
        ),
    ),
    "firma_actualizada": ("Sello del acuse completado", lambda p: p.get("mensaje", "")),
    "certificado_revocado": ("e.firma de la oficina REVOCADA", lambda p: p.get("mensaje", "")),
    "actualizacion_de_firma_fallida": (
        "No se pudo completar el sello",
        lambda p: p.get("mensaje", ""),
    ),
}


def describe_event(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(label, details) in Spanish; an event this version does not know shows its kind."""
    known = EVENT_LABELS.get(kind)
    if known is None:
        return kind.replace("_", " ").capitalize(), ""
    label, describe = known
    try:
        return label, describe(payload)
    except (KeyError, TypeError, ValueError, AttributeError):
        return label, ""
