"""The services one counter runs on its data folder, wired together for the clerk's app.

Qt-free: the app's window holds a ``Workstation`` and calls it through the task helper. What the
wiring adds to the services themselves is who wakes whom: a registration wakes the OCR queue and
the sync loop, so the clerk never waits for either, and closing stops both before the database
closes (the OCR pool finishes the pages in hand; the sync loop ends its pass — nothing is left
half-sent, the outbox takes it back on the next start anyway).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailroom.acuses import AcuseService, AcuseSigner, StoredAcuse
from mailroom.capture.pages import CaptureReport
from mailroom.capture.session import claiming_drafts
from mailroom.config import Settings
from mailroom.drafts import DraftId
from mailroom.errors import OficialiaError
from mailroom.filings import ocr_progress
from mailroom.intake import IntakeService
from mailroom.models import FilingId, NewFiling, OcrProgress, Registration
from mailroom.ocr.worker import OcrEngine, OcrWorker
from mailroom.store import Store
from sync import enrolment
from sync.controls import SyncControls
from sync.worker import SyncSummary

log = logging.getLogger(__name__)

SYNC_STOP_TIMEOUT = 15.0
"""Seconds to wait for a sync pass in flight when the app closes; its connections time out
sooner than that (``sync_read_timeout_seconds`` is 30 by default, but a closing transport is
cut at once)."""


@dataclass(frozen=True)
class BackgroundStatus:
    """What the status bar shows about the work the clerk does not wait for."""

    ocr: OcrProgress
    ocr_problem: str | None
    sync_running: bool
    enrolled: bool


@dataclass(frozen=True)
class CounterOutcome:
    """A registration at the counter and the acuse to hand over: sealed when the e.firma was
    open and sealing worked, otherwise the "sin sello" acuse with the reason in ``seal_problem``
    (the filing is registered either way; ``seal_pending`` seals it later)."""

    registration: Registration
    acuse: StoredAcuse
    seal_problem: str | None = None


class Workstation:
    def __init__(
        self,
        settings: Settings,
        *,
        backend_url: str | None = None,
        ocr_engine: OcrEngine | None = None,
    ) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.intake = IntakeService(self.store, settings, on_registered=self._registered)
        self.acuses = AcuseService(self.store, settings)
        self.ocr = OcrWorker(self.store, settings, engine=ocr_engine)
        self.sync = SyncControls(self.store, settings, backend_url=backend_url)
        self._sync_stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.last_sync: SyncSummary | None = None

    # -- the counter ---------------------------------------------------------------------------

    def register(
        self,
        new: NewFiling,
        files: Sequence[Path],
        *,
        capture: CaptureReport | None = None,
        drafts: Sequence[DraftId] = (),
        signer: AcuseSigner | None = None,
    ) -> CounterOutcome:
        """Register, then seal the acuse if a signer is given. ``drafts``: the watched folder's
        drafts the capture used; they turn ``registrado`` in the registration's transaction. A
        sealing failure (a revoked certificate found meanwhile, a TSA that does not answer) does
        not undo the registration: the clerk hands over the unsealed acuse and sees why."""
        around = claiming_drafts(drafts, self.intake.clock)
        registration = self.intake.register(new, files, capture=capture, around_insert=around)
        folio = registration.filing.folio
        if signer is None:
            return CounterOutcome(
                registration,
                self.acuses.current(folio),
                "La e.firma está cerrada: el acuse queda por sellar.",
            )
        try:
            return CounterOutcome(registration, self.acuses.seal(folio, signer))
        except OficialiaError as error:
            return CounterOutcome(registration, self.acuses.current(folio), error.message)

    def warm_up(self) -> None:
        """Fill the per-process caches the first acuse would otherwise fill during the clerk's
        first "Registrar": the acuse's reduced fonts and the seal's font (fontTools work that,
        measured, kept other threads from the interpreter for tens of milliseconds). Run once,
        off the GUI thread, after the window shows."""
        from fpdf import FPDF

        from mailroom.receipt.fonts import add_fonts
        from signing.errors import SigningError
        from signing.stamp import stamp_style

        try:
            add_fonts(FPDF())
        except OficialiaError as error:  # no DejaVu: registering says so, in its own words
            log.warning("acuse fonts not prepared: %s", error.message)
        try:
            stamp_style()
        except SigningError as error:  # the same for the seal's font
            log.warning("seal font not prepared: %s", error.message)

    # -- background work ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the OCR queue and, on an enrolled device, the sync loop."""
        self.ocr.start()
        self.start_sync()

    def start_sync(self) -> bool:
        """Start the sync loop if this device is enrolled and it is not running; True if running."""
        if self._sync_thread and self._sync_thread.is_alive():
            return True
        if enrolment.current(self.store.reader()) is None:
            return False
        self._sync_stop.clear()
        self._sync_thread = threading.Thread(
            target=self.sync.worker.run_forever,
            args=(self._sync_stop, self._keep_summary),
            name="oficialia-sync",
            daemon=True,
        )
        self._sync_thread.start()
        return True

    def _keep_summary(self, summary: SyncSummary) -> None:
        self.last_sync = summary

    def _registered(self, filing_id: FilingId) -> None:
        self.ocr.notify()
        self.sync.worker.request_sync()

    def status(self) -> BackgroundStatus:
        reader = self.store.reader()
        problem = self.ocr.last_error
        return BackgroundStatus(
            ocr=ocr_progress(reader),
            ocr_problem=problem.message if problem else None,
            sync_running=bool(self._sync_thread and self._sync_thread.is_alive()),
            enrolled=enrolment.current(reader) is not None,
        )

    # -- closing -----------------------------------------------------------------------------

    def close(self) -> None:
        self._sync_stop.set()
        self.sync.worker.stop_waiting()
        if self._sync_thread is not None:
            self._sync_thread.join(SYNC_STOP_TIMEOUT)
            if self._sync_thread.is_alive():
                log.warning(
                    "the sync pass did not end in %.0f s; closing anyway", SYNC_STOP_TIMEOUT
                )
        self.ocr.stop()
        self.store.close()

    def __enter__(self) -> Workstation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
