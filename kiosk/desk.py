"""The services one kiosk runs on its data folder, for the kiosk's window. Qt-free.

A kiosk filing is an ordinary filing: the counter's ``Workstation`` registers it (gap-free folio,
one transaction, the outbox row with it, OCR and sync woken afterwards), with channel ``kiosco``
and the kiosk's device code, and the acuse sealed when the office e.firma is open. What the kiosk
adds: the citizen's answers turned into a ``NewFiling``, the capture per citizen (removed with
everything else at the wipe), the thermal receipt, and the status lookup.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import lookup
from kiosk.office_seal import OfficeSeal
from kiosk.printer import PrinterError, PrinterState, PrinterStatus, ReceiptPrinter, open_printer
from kiosk.session import Answers
from kiosk.ticket import TicketContent, render_ticket
from kiosk.wording import QT_TRANSLATE_NOOP, Wording
from mailroom.acuses import StoredAcuse
from mailroom.capture.session import CaptureSession
from mailroom.config import Settings
from mailroom.errors import ConfigError, DuplicateDocument, OficialiaError
from mailroom.intake_lookups import Catalogs, load_catalogs
from mailroom.models import Addressee, Channel, Filing, NewFiling, Sender
from mailroom.ocr.worker import OcrEngine
from mailroom.privacy import PrivacyNotice, load_notice
from mailroom.tmpfiles import work_folder
from mailroom.workstation import Workstation

if TYPE_CHECKING:
    from sync.status import SyncReport

log = logging.getLogger(__name__)

DUPLICATE_REASON = (
    "Presentado en el quiosco: el mismo documento ya estaba registrado con otro folio."
)

NOT_REGISTERED = QT_TRANSLATE_NOOP(
    "KioskDesk",
    "Su escrito no se pudo registrar. Inténtelo de nuevo o entréguelo en la ventanilla.",
)

NO_PRINTER = PrinterStatus(
    PrinterState.SIN_IMPRESORA,
    "Este quiosco no imprime tickets. Al final anote o fotografíe su folio.",
    "No hay impresora de tickets configurada (ajuste kiosk_printer).",
)


@dataclass(frozen=True)
class KioskFiling:
    """A registered kiosk filing and what its receipt carries."""

    folio: str
    filing_id: str
    received_at: datetime
    pages: int
    document_sha256: str
    check_code: str
    status_url: str
    sealed: bool
    subject: str
    acuse_pdf: bytes
    seal_problem: str | None = None

    def ticket(self, settings: Settings) -> TicketContent:
        return TicketContent(
            office_name=settings.office_name,
            folio=self.folio,
            received_at=self.received_at,
            pages=self.pages,
            document_sha256=self.document_sha256,
            check_code=self.check_code,
            status_url=self.status_url,
            device=settings.device,
            sealed=self.sealed,
            subject=self.subject,
        )


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    problem: str = ""


def kiosk_settings(settings: Settings) -> Settings:
    """The kiosk acts as its device: every acuse and audit event names it, not an OS user, and
    the services allow it what ``mailroom.permissions.DEVICE_ACTIONS`` says."""
    from mailroom.permissions import Actor, Seat

    return dataclasses.replace(
        settings, clerk=f"Quiosco {settings.device}", seat=Seat(Actor.device(settings.device))
    )


class KioskDesk:
    def __init__(
        self,
        settings: Settings,
        *,
        backend_url: str | None = None,
        ocr_engine: OcrEngine | None = None,
    ) -> None:
        self.settings = kiosk_settings(settings)
        self.workstation = Workstation(
            self.settings, backend_url=backend_url, ocr_engine=ocr_engine
        )
        self.store = self.workstation.store
        self.seal = OfficeSeal(self.settings, self.store)
        self.printer: ReceiptPrinter | None = open_printer(self.settings.kiosk_printer)
        self.notice: PrivacyNotice = load_notice(self.settings.data_dir, self.settings.office_name)
        self.capture: CaptureSession | None = None
        self.last_printer_status: PrinterStatus = NO_PRINTER

    # -- one citizen -------------------------------------------------------------------------

    def refresh_notice(self) -> PrivacyNotice:
        """The notice in force for the next citizen: an administrator may change it at the
        counter while the kiosk runs (two small files, read again each time the screen shows).
        Unreadable files keep the notice the kiosk had, so a citizen never meets a blank one."""
        try:
            self.notice = load_notice(self.settings.data_dir, self.settings.office_name)
        except ConfigError as error:
            log.warning("privacy notice not reloaded: %s", error.message)
        return self.notice

    def new_capture(self) -> CaptureSession:
        """A capture for this citizen (the previous one, if any, is removed first)."""
        self.discard_capture()
        self.capture = CaptureSession(self.settings, self.store)
        return self.capture

    def discard_capture(self) -> None:
        capture, self.capture = self.capture, None
        if capture is not None:
            capture.clear()

    def photo_folder(self) -> Path:
        """Where this citizen's camera stills wait to be read (under ``DATA/tmp``)."""
        return work_folder(self.settings.data_dir, "quiosco-foto-")

    def catalogs(self) -> Catalogs:
        return load_catalogs(self.store.reader())

    def register(self, answers: Answers, capture: CaptureSession) -> KioskFiling:
        """Register the citizen's escrito (off the GUI thread). Either the filing exists with its
        folio or nothing does: the registration is one transaction."""
        new = new_filing(answers, self.settings)
        handoff = capture.handoff()
        signer = self.seal.signer()
        try:
            try:
                outcome = self.workstation.register(
                    new, handoff.files, capture=handoff.report, signer=signer
                )
            except DuplicateDocument:
                # A citizen may hand in the same paper again, and no clerk is there to weigh
                # it: it is registered, marked for the office, and no other folio is shown.
                new = dataclasses.replace(new, duplicate_override_reason=DUPLICATE_REASON)
                outcome = self.workstation.register(
                    new, handoff.files, capture=handoff.report, signer=signer
                )
        finally:
            handoff.discard()
        return self._kiosk_filing(outcome.registration.filing, outcome.acuse, outcome.seal_problem)

    def _kiosk_filing(
        self, filing: Filing, acuse: StoredAcuse, seal_problem: str | None = None
    ) -> KioskFiling:
        digest = acuse.cadena_digest
        first = filing.documents[0] if filing.documents else None
        return KioskFiling(
            folio=filing.folio,
            filing_id=filing.id,
            received_at=filing.received_at,
            pages=filing.pages_scanned,
            document_sha256=first.sha256 if first else "",
            check_code=lookup.check_code(digest),
            status_url=lookup.status_url(
                self.settings.acuse_verification_url, filing.folio, digest
            ),
            sealed=acuse.sealed,
            subject=filing.subject,
            acuse_pdf=acuse.pdf,
            seal_problem=seal_problem,
        )

    # -- the receipt printer -----------------------------------------------------------------

    def printer_status(self) -> PrinterStatus:
        """Asked before each citizen starts (off the GUI thread: a silent printer takes the
        whole timeout). No answer never counts as paper."""
        status = NO_PRINTER if self.printer is None else self.printer.status()
        self.last_printer_status = status
        return status

    def print_receipt(self, filing: KioskFiling) -> PrintOutcome:
        if self.printer is None:
            return PrintOutcome(False, NO_PRINTER.citizen_message)
        try:
            self.printer.print_image(render_ticket(filing.ticket(self.settings)))
        except PrinterError as error:
            log.warning("receipt for %s not printed: %s", filing.folio, error.message)
            self.last_printer_status = self.printer.status()
            return PrintOutcome(False, error.message)
        return PrintOutcome(True)

    def print_test(self) -> PrintOutcome:
        """The admin screen's test receipt."""
        from kiosk.ticket import render_test_ticket

        if self.printer is None:
            return PrintOutcome(False, NO_PRINTER.staff_message)
        now = datetime.now(self.settings.zone)
        ticket = render_test_ticket(self.settings.office_name, self.printer.spec, now)
        try:
            self.printer.print_image(ticket)
        except PrinterError as error:
            return PrintOutcome(False, error.message)
        return PrintOutcome(True)

    def reprint(self, folio: str) -> PrintOutcome:
        """The admin screen's reprint of a recent receipt, rebuilt from the store."""
        return self.print_receipt(self.stored_filing(folio))

    def stored_filing(self, folio: str) -> KioskFiling:
        from mailroom.filings import get_filing

        filing = get_filing(self.store.reader(), folio)
        return self._kiosk_filing(filing, self.workstation.acuses.current(folio))

    def recent_folios(self, count: int = 5) -> list[str]:
        """This kiosk's last filings, newest first (the admin screen's reprint list)."""
        return [
            row[0]
            for row in self.store.reader().execute(
                "SELECT folio FROM filings WHERE channel = ? AND device = ? "
                "ORDER BY received_at DESC, seq DESC LIMIT ?",
                [Channel.KIOSCO.value, self.settings.device, count],
            )
        ]

    # -- the devices, for the admin screen and the start-up check ----------------------------

    def scanner_problem(self) -> str | None:
        """Why the configured scanner cannot be used now, or ``None`` (off the GUI thread:
        SANE lists devices in up to seconds)."""
        from mailroom.capture.sane_source import list_scanners, no_scanner_message

        scheme, _, rest = self.settings.scanner.partition(":")
        if scheme == "folder":
            folder = Path(rest).expanduser()
            return None if folder.is_dir() else f"No existe la carpeta del escáner {folder}."
        try:
            names = [scanner.name for scanner in list_scanners()]
        except OficialiaError as error:
            return error.message
        if not names:
            return no_scanner_message()
        if rest and rest not in names:
            return f"No se encontró el escáner {rest}. {no_scanner_message()}"
        return None

    def scan_spec(self) -> str:
        """What «Digitalizar» reads: the configured scanner, else the first SANE finds."""
        return self.settings.scanner or "sane:"

    def sync_report(self) -> SyncReport:
        from sync.status import sync_report

        return sync_report(self.store.reader())

    # -- status lookup -----------------------------------------------------------------------

    def find_by_code(self, folio: str, code: str) -> lookup.FilingLookup:
        return lookup.find_by_code(self.store.reader(), folio, code)

    def find_by_qr(self, text: str) -> lookup.FilingLookup:
        return lookup.find_by_qr(self.store.reader(), text)

    # -- the day -----------------------------------------------------------------------------

    def start(self) -> None:
        self.workstation.start()

    def close(self) -> None:
        self.discard_capture()
        self.seal.close()
        self.workstation.close()


def new_filing(answers: Answers, settings: Settings) -> NewFiling:
    identity, topic = answers.identity, answers.topic
    area = topic.department or (None if topic.procedure else settings.office_name)
    return NewFiling(
        sender=Sender(
            name=identity.name,
            curp=identity.curp or None,
            email=identity.email or None,
            phone=identity.phone or None,
        ),
        subject=topic.subject,
        channel=Channel.KIOSCO,
        procedure_type=topic.procedure,
        addressees=(Addressee(area),) if area else (),
        fojas_declared=answers.fojas,
        observations="El remitente no supo a qué área dirigirlo." if topic.unsure else "",
        privacy_notice_sha256=answers.privacy_version,
    )


def describe_error(error: BaseException) -> Wording | OficialiaError:
    """What the window says of a failed registration: a message of the kiosk's catalogue (the
    citizen may read another language); the services' own words, for staff, go to the log."""
    if isinstance(error, OficialiaError) and isinstance(error.details.get("wording"), Wording):
        return error
    log.warning("the citizen's filing was not registered: %s", error)
    return NOT_REGISTERED
