"""The capture at the counter: pages arriving from a source, the clerk's page operations with undo,
and the file(s) and ``CaptureReport`` handed to registration. Qt-free (the intake screen drives it).

Threads: ``read`` (a source's pages, cleaned) and ``handoff`` (the files for registration) run on
the task helper's threads and never change the session; ``read`` returns an ``Arrival`` the GUI
thread adds with ``add``. The state is one frozen ``CaptureState`` replaced whole by each operation,
so a reader on any thread sees a consistent one; page operations cost microseconds.

Pages are kept encoded, not as pixels: cleaned (:mod:`~mailroom.capture.cleanup`), encoded once as
:mod:`~mailroom.capture.scan_pdf` would (JPEG quality 60; G4 for black and white) and thumbnailed,
in the reading threads. Ten 300 dpi pages weigh ~4 MB instead of 84 MB of pixels, and the scan PDF
takes those bytes as they are (img2pdf); only a page the clerk turned is encoded again, once.

Files as they came: a file whose pages are all in the capture, together and in order, none turned
(by the clerk or by clean-up) and none dropped as blank, is registered as the file itself (a copy
taken when added). A born-digital PDF keeps its text layer and signatures, and the document's
SHA-256 is the citizen's file's — what catches the same file presented twice. Levelling and
whitening alone do not justify replacing the citizen's bytes. Every other page goes into one scan
PDF per run of such pages. Drafts (``borrador:ID``) are read from their stored scan PDF the same
way, and the drafts used are marked registered in the registration's transaction
(:func:`register_handoff`).
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import img2pdf
import sqlite_utils
from PIL import Image

from mailroom.capture import pageops
from mailroom.capture.blank import BlankVerdict
from mailroom.capture.cleanup import CleanPage, clean_page
from mailroom.capture.fojas import FojasCheck, check_fojas
from mailroom.capture.pages import (
    CaptureCancelled,
    CaptureReport,
    PageSource,
    Progress,
    ScannedPage,
)
from mailroom.capture.results import CaptureLimits
from mailroom.capture.sane_options import ScanSettings
from mailroom.capture.scan_pdf import JPEG_QUALITY
from mailroom.capture.sources import FileSource, open_source
from mailroom.clock import Clock
from mailroom.config import Settings
from mailroom.drafts import Draft, DraftId, DraftKind, DraftService, _claim, _mark_registered
from mailroom.errors import InvalidInput, StorageError
from mailroom.intake import AroundInsert, IntakeService
from mailroom.models import FilingId, NewFiling, Registration
from mailroom.ocr.orientation import turned_clockwise
from mailroom.store import Store
from mailroom.tmpfiles import work_folder

THUMBNAIL_SIZE = 160
"""Thumbnails fit in a square of this many pixels (a letter page: 124 × 160)."""
DRAFT_SCHEME = "borrador"
SCAN_FILENAME = "digitalizacion"
_WORKERS = max(1, min(os.cpu_count() or 1, 4))
_HISTORY = 100


@dataclass(frozen=True)
class SessionPage:
    key: int
    """Unique within the session: the strip and undo follow a page by it, not by position."""
    segment: int
    encoded: bytes
    """The cleaned, upright page as the scan PDF holds it: JPEG, or G4 TIFF for black and white."""
    dpi: int
    origin: str
    blank: BlankVerdict
    thumbnail: Image.Image
    """At most ``THUMBNAIL_SIZE`` pixels, mode ``L``, without the clerk's turn."""
    cleanup_turn: int = 0
    turn: int = 0
    """Degrees clockwise the clerk turned the page (0, 90, 180, 270)."""

    @property
    def needs_review(self) -> bool:
        return self.blank is BlankVerdict.REVISAR


@dataclass(frozen=True)
class Segment:
    """One addition of pages: where they came from and what clean-up did to them."""

    id: int
    source: str
    blank_removed: tuple[int, ...]
    keys: tuple[int, ...]
    original: Path | None = None
    """The file as it came (a copy), registrable as is while its pages are untouched."""
    draft_id: DraftId | None = None


@dataclass(frozen=True)
class Arrival:
    """Pages read from a source, not yet part of the capture (``CaptureSession.add``)."""

    segment: Segment
    pages: tuple[SessionPage, ...]


@dataclass(frozen=True)
class CaptureState:
    pages: tuple[SessionPage, ...] = ()
    segments: tuple[Segment, ...] = ()

    def runs(self) -> list[tuple[Segment | None, tuple[SessionPage, ...]]]:
        """The future documents in order: an untouched file's pages with its segment, or a run
        of pages for one scan PDF (``None``)."""
        segments = {segment.id: segment for segment in self.segments}
        runs: list[tuple[Segment | None, tuple[SessionPage, ...]]] = []
        index = 0
        while index < len(self.pages):
            segment = segments[self.pages[index].segment]
            run = self.pages[index : index + len(segment.keys)]
            if segment.original is not None and _untouched(segment, run):
                runs.append((segment, run))
                index += len(run)
                continue
            if runs and runs[-1][0] is None:
                runs[-1] = (None, (*runs[-1][1], self.pages[index]))
            else:
                runs.append((None, (self.pages[index],)))
            index += 1
        return runs

    def used_segments(self) -> list[Segment]:
        present = {page.segment for page in self.pages}
        return [segment for segment in self.segments if segment.id in present]

    def blank_removed(self) -> int:
        return sum(len(segment.blank_removed) for segment in self.used_segments())

    def review_pages(self) -> tuple[int, ...]:
        """1-based positions of near-blank pages, as registered (documents in page order)."""
        return tuple(n for n, page in enumerate(self.pages, 1) if page.needs_review)

    def report(self) -> CaptureReport:
        """Scanned pages are the pages kept plus the blank ones removed from the additions they
        came with; removed positions count through those additions in arrival order."""
        used = self.used_segments()
        removed: list[int] = []
        offset = 0
        for segment in used:
            removed.extend(offset + n for n in segment.blank_removed)
            kept = sum(1 for page in self.pages if page.segment == segment.id)
            offset += kept + len(segment.blank_removed)
        source = " + ".join(dict.fromkeys(segment.source for segment in used))
        return CaptureReport(source, offset, tuple(removed), self.review_pages())


def _untouched(segment: Segment, run: tuple[SessionPage, ...]) -> bool:
    return tuple(page.key for page in run) == segment.keys and all(p.turn == 0 for p in run)


@dataclass(frozen=True)
class Handoff:
    """What registration takes: ``IntakeService.register(new, files, capture=report)`` — or
    :func:`register_handoff`, which also marks the drafts used. ``discard()`` afterwards."""

    files: tuple[Path, ...]
    report: CaptureReport
    drafts: tuple[DraftId, ...]
    folder: Path = field(repr=False)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class CaptureSession:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store
        self.state = CaptureState()
        self._history: deque[CaptureState] = deque(maxlen=_HISTORY)
        self._ids = itertools.count(1)  # next() on a count is atomic: reads run in parallel
        self._folder: Path | None = None
        self._folder_lock = threading.Lock()

    @property
    def pages(self) -> tuple[SessionPage, ...]:
        return self.state.pages

    # -- reading (worker threads) ----------------------------------------------------------

    def read(
        self,
        spec: str,
        *,
        scan: ScanSettings | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        on_page: Callable[[SessionPage], None] | None = None,
    ) -> Arrival:
        """Read and clean the pages ``spec`` names (``sane:DEV``, ``folder:DIR``, ``file:PATH``,
        ``borrador:ID``); ``on_page`` hears each kept page as it is ready. Raises the source's
        Spanish error, or ``CaptureCancelled``; then nothing of it remains."""
        segment = Segment(next(self._ids), spec, (), ())
        source, segment, draft = self._open(spec, segment, scan)
        try:
            pages, removed = self._collect(source, segment, progress, cancel, on_page, draft)
        except BaseException:
            if segment.original is not None:
                shutil.rmtree(segment.original.parent, ignore_errors=True)
            raise
        _check_kept(pages, len(pages) + len(removed), source.name)
        original = segment.original
        if draft is not None:  # its blank sides went when the batch was scanned
            removed = list(draft.capture.blank_removed)
        elif original is not None and (removed or any(p.cleanup_turn for p in pages)):
            shutil.rmtree(original.parent, ignore_errors=True)
            original = None  # clean-up changed what a reader sees: the cleaned pages go in
        name = segment.source if spec.partition(":")[0] in ("file", DRAFT_SCHEME) else source.name
        keys = tuple(page.key for page in pages)
        segment = replace(segment, source=name, original=original, keys=keys)
        return Arrival(replace(segment, blank_removed=tuple(removed)), tuple(pages))

    def _open(
        self, spec: str, segment: Segment, scan: ScanSettings | None
    ) -> tuple[PageSource, Segment, Draft | None]:
        scheme, _, rest = spec.partition(":")
        if scheme == DRAFT_SCHEME:
            draft = self._draft(rest)
            assert self.store is not None  # _draft refused a session without one
            blob = self.store.blobs.path(draft.pdf_sha256)
            copy = self._keep(blob, segment.id, f"borrador-{draft.id}.pdf")
            segment = replace(segment, source=draft.source, draft_id=draft.id, original=copy)
            return FileSource(copy or blob, self.settings), segment, draft
        if scheme == "file" and rest.strip():
            path = Path(rest.strip()).expanduser()
            copy = self._keep(path, segment.id, path.name)
            segment = replace(segment, source=f"file:{path}", original=copy)
            return FileSource(copy or path, self.settings), segment, None
        return open_source(spec, self.settings, scan), segment, None

    def _collect(
        self,
        source: PageSource,
        segment: Segment,
        progress: Progress | None,
        cancel: threading.Event | None,
        on_page: Callable[[SessionPage], None] | None,
        draft: Draft | None,
    ) -> tuple[list[SessionPage], list[int]]:
        limits = CaptureLimits.from_settings(self.settings)
        total: list[int | None] = [None]  # the source knows it once it has read ahead
        scanned = source.pages(progress=lambda _, of: total.__setitem__(0, of), cancel=cancel)
        kept: list[SessionPage] = []
        removed: list[int] = []
        for n, (clean, encoded, thumbnail) in enumerate(
            _cleaned(scanned, cancel, limits, polish=draft is None), 1
        ):
            if progress is not None:
                progress(n, total[0])
            if clean.blank is BlankVerdict.EN_BLANCO:
                removed.append(n)
                continue
            origin = clean.origin  # a kept copy is named as the file the clerk chose
            if segment.original is not None:
                origin = origin.replace(str(segment.original), segment.source.partition(":")[2])
            page = SessionPage(
                key=next(self._ids),
                segment=segment.id,
                encoded=encoded,
                dpi=clean.dpi,
                origin=origin,
                blank=clean.blank,
                thumbnail=thumbnail,
                cleanup_turn=clean.turned,
            )
            kept.append(page)
            if on_page is not None:
                on_page(page)
        return kept, removed

    def _draft(self, raw_id: str) -> Draft:
        if self.store is None:
            raise InvalidInput("Los borradores necesitan la base de datos.", field="source")
        try:
            draft = DraftService(self.store, self.settings).get(int(raw_id))
        except ValueError as error:
            raise InvalidInput(f"«{raw_id}» no es un número de borrador.") from error
        if draft.kind is not DraftKind.NUEVO:
            raise InvalidInput(
                f"El borrador {draft.id} son páginas para el folio {draft.target_folio}: "
                "se anexan a ese escrito, no se registran como uno nuevo.",
                field="source",
            )
        return draft

    def _keep(self, path: Path, segment_id: int, name: str) -> Path | None:
        """A private copy of the file as it came, or ``None`` when it cannot be read (the file
        source then says why, in the capture's own words)."""
        folder = self._work_folder() / str(segment_id)
        try:
            folder.mkdir()
            return Path(shutil.copyfile(path, folder / name))
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _work_folder(self) -> Path:
        with self._folder_lock:
            if self._folder is None:
                self._folder = work_folder(self.settings.data_dir, "captura-")
            return self._folder

    def pending_drafts(self) -> list[Draft]:
        """Drafts from the scanner batches and the watched folder waiting to be registered."""
        if self.store is None:
            return []
        drafts = DraftService(self.store, self.settings).list_drafts()
        return [draft for draft in drafts if draft.kind is DraftKind.NUEVO]

    # -- page operations (GUI thread) ------------------------------------------------------

    def add(self, arrival: Arrival, at: int | None = None) -> None:
        at = len(self.state.pages) if at is None else at
        pages = pageops.insert(self.state.pages, at, arrival.pages)
        self._change(CaptureState(pages, (*self.state.segments, arrival.segment)))

    def rotate(self, index: int, degrees: int) -> None:
        pages = self.state.pages
        pageops.delete(pages, index)  # refuses a position that does not exist, in Spanish
        if isinstance(degrees, bool) or not isinstance(degrees, int) or degrees % 90:
            raise InvalidInput(f"Las páginas se giran de 90 en 90 grados, no {degrees}.")
        turned = replace(pages[index], turn=(pages[index].turn + degrees) % 360)
        self._change(replace(self.state, pages=(*pages[:index], turned, *pages[index + 1 :])))

    def move(self, source: int, destination: int) -> None:
        self._change(replace(self.state, pages=pageops.move(self.state.pages, source, destination)))

    def delete(self, index: int) -> None:
        self._change(replace(self.state, pages=pageops.delete(self.state.pages, index)))

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def undo(self) -> None:
        if self._history:
            self.state = self._history.pop()

    def clear(self) -> None:
        """Forget every page and the undo history, and remove the copies of files kept."""
        self.state = CaptureState()
        self._history.clear()
        with self._folder_lock:
            folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _change(self, state: CaptureState) -> None:
        self._history.append(self.state)
        self.state = state

    def fojas(self, declared: int | None) -> FojasCheck:
        return check_fojas(declared, self.state.report())

    # -- registration (worker thread) ------------------------------------------------------

    def handoff(self, cancel: threading.Event | None = None) -> Handoff:
        """The files and report of the pages as they are now, in a new folder under
        ``DATA/tmp`` (removed on failure; ``Handoff.discard`` after registering)."""
        state = self.state
        if not state.pages:
            raise InvalidInput(
                "No hay páginas que registrar: digitalice el escrito o agregue un archivo.",
                field="files",
            )
        runs = state.runs()
        scans = sum(1 for segment, _ in runs if segment is None)
        names = iter([f"{SCAN_FILENAME}.pdf"] if scans == 1 else
                     [f"{SCAN_FILENAME}-{n}.pdf" for n in range(1, scans + 1)])  # fmt: skip
        folder = work_folder(self.settings.data_dir, "registro-")
        try:
            files = [
                _handed(segment, pages, folder / str(n), names, cancel)
                for n, (segment, pages) in enumerate(runs, 1)
            ]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        drafts = tuple(s.draft_id for s in state.used_segments() if s.draft_id is not None)
        return Handoff(tuple(files), state.report(), drafts, folder)


def register_handoff(intake: IntakeService, new: NewFiling, handoff: Handoff) -> Registration:
    """Register the capture; the drafts it used turn ``registrado`` in the same transaction."""
    around = claiming_drafts(handoff.drafts, intake.clock)
    return intake.register(new, handoff.files, capture=handoff.report, around_insert=around)


def claiming_drafts(drafts: Sequence[DraftId], clock: Clock) -> AroundInsert | None:
    """For ``IntakeService.register(around_insert=)``: the drafts are claimed under the write
    lock before the folio is taken (one another clerk registered meanwhile refuses the whole
    registration, costing no folio) and marked registered with the new filing."""
    if not drafts:
        return None

    def claimed(db: sqlite_utils.Database, insert: Callable[[], FilingId]) -> FilingId:
        for draft_id in drafts:
            _claim(db, draft_id, DraftKind.NUEVO)
        filing_id = insert()
        for draft_id in drafts:
            _mark_registered(db, draft_id, filing_id, clock.now())
        return filing_id

    return claimed


# -- helpers -------------------------------------------------------------------------------


def _cleaned(
    pages: Iterable[ScannedPage],
    cancel: threading.Event | None,
    limits: CaptureLimits,
    polish: bool,
) -> Iterator[tuple[CleanPage, bytes, Image.Image]]:
    """Each page cleaned, encoded and thumbnailed, in parallel and in order (a bounded window:
    scans are large). ``polish`` False: orientation, levelling and whitening were done before."""
    pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="oficialia-captura")
    pending: deque[Future[tuple[CleanPage, bytes, Image.Image]]] = deque()
    try:
        for page in pages:
            _stop_if_cancelled(cancel)
            pending.append(pool.submit(_prepared, page, limits, polish))
            while len(pending) > _WORKERS:
                yield pending.popleft().result()
        while pending:
            _stop_if_cancelled(cancel)
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _prepared(
    page: ScannedPage, limits: CaptureLimits, polish: bool
) -> tuple[CleanPage, bytes, Image.Image]:
    clean = clean_page(page, orient=polish, deskew=polish, whiten=polish, limits=limits)
    if clean.blank is BlankVerdict.EN_BLANCO:
        return clean, b"", clean.image  # dropped: not worth encoding
    thumbnail = clean.image.convert("L") if clean.image.mode != "L" else clean.image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), reducing_gap=2.0)
    return clean, _encoded(clean.image, clean.dpi), thumbnail


def _encoded(image: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    if image.mode == "1":
        image.save(out, "TIFF", compression="group4", dpi=(dpi, dpi))
    else:
        gray = image if image.mode == "L" else image.convert("L")
        gray.save(out, "JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi))
    return out.getvalue()


def _rendition(page: SessionPage) -> bytes:
    if page.turn == 0:
        return page.encoded
    with Image.open(io.BytesIO(page.encoded)) as image:
        return _encoded(turned_clockwise(image, page.turn), page.dpi)


def _handed(
    segment: Segment | None,
    pages: tuple[SessionPage, ...],
    folder: Path,
    scan_names: Iterator[str],
    cancel: threading.Event | None,
) -> Path:
    _stop_if_cancelled(cancel)
    try:
        folder.mkdir()
        if segment is not None and segment.original is not None:
            target = folder / segment.original.name
            try:
                os.link(segment.original, target)  # same disk: no copy of a large PDF
            except OSError:
                shutil.copyfile(segment.original, target)
            return target
        target = folder / next(scan_names)
        rendered = [_rendition(page) for page in pages]
        partial = target.with_suffix(".part")
        partial.write_bytes(img2pdf.convert(rendered, rotation=img2pdf.Rotation.ifvalid))
        os.replace(partial, target)  # a reader never meets half a PDF under the real name
    except OSError as error:
        raise StorageError(
            f"No se pudieron preparar los archivos para registrar en {folder}: "
            f"{error.strerror or error}. Revise el espacio libre en disco y los permisos.",
            path=folder,
        ) from error
    return target


def _check_kept(pages: list[SessionPage], scanned: int, source: str) -> None:
    if not scanned:
        raise InvalidInput(
            f"No llegó ninguna página de {source}. Revise que el documento esté en el escáner "
            "o que la carpeta tenga archivos.",
            field="source",
        )
    if not pages:
        raise InvalidInput(
            f"Las {scanned} páginas digitalizadas salieron en blanco: revise que el documento "
            "esté del lado correcto (boca abajo en el cristal) y digitalice de nuevo.",
            field="source",
        )


def _stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CaptureCancelled("Se canceló la captura; no se agregó ninguna página.")
