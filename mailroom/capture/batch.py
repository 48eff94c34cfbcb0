"""Splitting one scanned batch into filings at our separator sheets and carátulas.

A clerk at a busy counter scans a whole stack at once: a separator sheet on top of each new
filing, a carátula on top of pages that belong to a filing already registered. Each page is
looked at for a mark on the raw scan (cheap, see :func:`read_mark`) before any clean-up, so the
mark sheets never cost an orientation check; the pages between marks are cleaned as one group by
``prepare_pages`` (upright, deskewed, blank backs removed), streaming as the scanner feeds.

The split is a proposal: it is shown to the clerk (:func:`describe_split`) and confirmed before
anything is registered. A mark with nothing after it but another mark, the end of the batch or
blank pages makes no group — it is reported, never registered as an empty filing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, replace
from typing import Literal

from mailroom.capture.cleanup import PreparedScan, prepare_pages
from mailroom.capture.pages import CaptureCancelled, Progress, ScannedPage
from mailroom.capture.separator import SheetMark, UnknownSheet, read_mark
from mailroom.errors import InvalidInput

GroupKind = Literal["nuevo", "anexo"]


@dataclass(frozen=True)
class SkippedSheets:
    """Sheets that opened no group: a mark with nothing after it but the next mark, the end of
    the batch, or pages that all turned out blank (a separator's own back, scanned duplex); or
    blank pages alone before the first mark."""

    kind: GroupKind
    folio: str | None
    mark_sheet: int | None
    """1-based position in the batch of the separator or carátula; ``None`` for blank pages
    before the first mark."""
    blank_sheets: tuple[int, ...] = ()
    """Positions of the blank pages that followed it, removed."""

    @property
    def first_sheet(self) -> int:
        return self.mark_sheet if self.mark_sheet is not None else min(self.blank_sheets)


@dataclass(frozen=True)
class BatchGroup:
    kind: GroupKind
    """A new filing, or pages to attach to an existing folio."""
    folio: str | None
    """For ``"anexo"``: the folio its carátula carries."""
    prepared: PreparedScan
    """Its cleaned pages and their CaptureReport (mark sheets excluded; positions in the report
    count from the group's first page)."""
    first_sheet: int
    """1-based position in the batch of its first page."""
    mark_sheet: int | None = None
    """Position of the separator or carátula that opened it; ``None`` for pages before any mark."""
    skipped: tuple[SkippedSheets, ...] = ()
    """Marks that opened nothing, reported with the nearest group: those between this group and
    the next (the first group also carries those before it)."""

    @property
    def last_sheet(self) -> int:
        return self.first_sheet + self.prepared.report.scanned_pages - 1

    def sheet_of(self, position: int) -> int:
        """The batch position of the group's ``position``-th scanned page (1-based)."""
        return self.first_sheet + position - 1


class EmptyBatch(InvalidInput):
    """The batch holds no page to register."""

    code = "lote_vacio"


@dataclass(frozen=True)
class _Sheet:
    position: int
    page: ScannedPage
    mark: SheetMark | None


class _MarkedSheets:
    """The batch's pages with their marks, read one ahead so a group can stop at the next mark
    without consuming it."""

    def __init__(self, pages: Iterable[ScannedPage], cancel: threading.Event | None) -> None:
        self._pages = iter(pages)
        self._cancel = cancel
        self._next: _Sheet | None = None
        self._read = 0

    def peek(self) -> _Sheet | None:
        if self._next is None:
            if self._cancel is not None and self._cancel.is_set():
                raise CaptureCancelled("Se canceló la separación del lote.", pages=self._read)
            page = next(self._pages, None)
            if page is None:
                return None
            self._read += 1
            self._next = _Sheet(self._read, page, _mark(page, self._read))
        return self._next

    def take(self) -> _Sheet:
        sheet = self.peek()
        assert sheet is not None
        self._next = None
        return sheet

    def until_mark(self) -> Iterator[ScannedPage]:
        while (sheet := self.peek()) is not None and sheet.mark is None:
            yield self.take().page


def split_batch(
    pages: Iterable[ScannedPage],
    source: str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[BatchGroup]:
    """The batch's filings, in scanned order: each separator starts a new filing, a carátula an
    "anexo" group for its folio, and pages before any mark a first new filing.

    Raises :class:`EmptyBatch` when no group has a page to register, :class:`UnknownSheet` for a
    sheet of ours this version cannot read, ``CaptureCancelled`` when ``cancel`` is set.
    """
    total = len(pages) if isinstance(pages, Sized) else None
    sheets = _MarkedSheets(pages, cancel)
    done = 0
    opener: tuple[SheetMark, int] | None = None  # the mark waiting for its pages
    found: list[BatchGroup | SkippedSheets] = []

    while (sheet := sheets.peek()) is not None:
        if sheet.mark is not None:
            if opener is not None:
                found.append(_skipped(opener))
            opener = (sheet.mark, sheets.take().position)
            done += 1
            if progress is not None:
                progress(done, total)
            continue
        prepared = prepare_pages(
            sheets.until_mark(),
            source,
            progress=_offset(progress, done, total),
            cancel=cancel,
        )
        done += prepared.report.scanned_pages
        found.append(_group_or_skipped(opener, sheet.position, prepared))
        opener = None
    if opener is not None:
        found.append(_skipped(opener))
    return _with_skipped_attached(found, done)


def _offset(progress: Progress | None, before: int, total: int | None) -> Progress | None:
    """The batch's progress as a group's clean-up reports it (pages done before it added)."""
    if progress is None:
        return None
    report = progress
    return lambda done, _group_total: report(before + done, total)


def _mark(page: ScannedPage, position: int) -> SheetMark | None:
    try:
        return read_mark(page.image)
    except UnknownSheet as error:
        raise UnknownSheet(f"Hoja {position}: {error.message}", sheet=position) from error


def _skipped(opener: tuple[SheetMark, int], blank: tuple[int, ...] = ()) -> SkippedSheets:
    mark, position = opener
    kind: GroupKind = "anexo" if mark.kind == "caratula" else "nuevo"
    return SkippedSheets(kind, mark.folio, position, blank)


def _group_or_skipped(
    opener: tuple[SheetMark, int] | None, first_sheet: int, prepared: PreparedScan
) -> BatchGroup | SkippedSheets:
    blank = tuple(first_sheet + p - 1 for p in prepared.report.blank_removed)
    if not prepared.pages:
        if opener is None:  # only blank pages before the first mark
            return SkippedSheets("nuevo", None, None, blank)
        return _skipped(opener, blank)
    if opener is None:
        return BatchGroup("nuevo", None, prepared, first_sheet)
    mark, position = opener
    if mark.kind == "caratula":
        return BatchGroup("anexo", mark.folio, prepared, first_sheet, mark_sheet=position)
    return BatchGroup("nuevo", None, prepared, first_sheet, mark_sheet=position)


def _with_skipped_attached(
    found: Sequence[BatchGroup | SkippedSheets], sheets: int
) -> list[BatchGroup]:
    groups: list[BatchGroup] = []
    pending: list[SkippedSheets] = []  # before the first group
    for item in found:
        if isinstance(item, SkippedSheets):
            if groups:
                groups[-1] = replace(groups[-1], skipped=(*groups[-1].skipped, item))
            else:
                pending.append(item)
        else:
            groups.append(replace(item, skipped=(*pending, *item.skipped)) if pending else item)
            pending = []
    if not groups:
        if sheets == 0:
            raise EmptyBatch("El lote está vacío: el escáner no entregó ninguna página.")
        raise EmptyBatch(
            f"El lote no trae ninguna página que registrar: sus {sheets} hojas son hojas "
            "separadoras, carátulas o páginas en blanco. Revise que el escrito esté en la "
            "bandeja y con la cara impresa hacia el lado que digitaliza el escáner.",
            sheets=sheets,
        )
    return groups


def describe_split(groups: Sequence[BatchGroup]) -> list[str]:
    """One Spanish line per group, and per mark that opened nothing, in batch order, for the
    screen (or the CLI) where the clerk confirms the split before registering."""
    lines: list[tuple[int, str]] = []
    filings = 0
    for group in groups:
        if group.kind == "nuevo":
            filings += 1
            title = f"Escrito {filings}"
        else:
            title = f"Anexo al folio {group.folio}"
        lines.append((group.first_sheet, f"{title}: {_sheets(group)} ({_counts(group)})"))
        lines += [(skipped.first_sheet, _describe_skipped(skipped)) for skipped in group.skipped]
    return [text for _, text in sorted(lines, key=lambda line: line[0])]


def _sheets(group: BatchGroup) -> str:
    if group.last_sheet == group.first_sheet:
        return f"hoja {group.first_sheet}"
    return f"hojas {group.first_sheet}–{group.last_sheet}"


def _counts(group: BatchGroup) -> str:
    report = group.prepared.report
    pages = len(group.prepared.pages)
    parts = [_plural(pages, "página", "páginas")]
    if report.blank_removed:
        count = len(report.blank_removed)
        parts.append(f"{count} en blanco {'retirada' if count == 1 else 'retiradas'}")
    if report.review_pages:
        sheets = _review_sheets(group)
        noun = "la hoja" if len(sheets) == 1 else "las hojas"
        parts.append(f"revise {noun} {', '.join(map(str, sheets))}: casi en blanco")
    return ", ".join(parts)


def _review_sheets(group: BatchGroup) -> list[int]:
    """The batch positions of the near-blank pages, which the report counts in the registered
    document (blank pages already removed)."""
    report = group.prepared.report
    removed = set(report.blank_removed)
    kept = [p for p in range(1, report.scanned_pages + 1) if p not in removed]
    return [group.sheet_of(kept[p - 1]) for p in report.review_pages if 0 < p <= len(kept)]


def _describe_skipped(skipped: SkippedSheets) -> str:
    if skipped.mark_sheet is None:
        one = len(skipped.blank_sheets) == 1
        said = "en blanco, retirada; no forma" if one else "en blanco, retiradas; no forman"
        return f"{_span(skipped.blank_sheets)}: {said} ningún escrito."
    what = "hoja separadora" if skipped.kind == "nuevo" else f"carátula del folio {skipped.folio}"
    span = _span((skipped.mark_sheet, *skipped.blank_sheets))
    after = "seguida solo de páginas en blanco" if skipped.blank_sheets else "sin páginas después"
    consequence = (
        "no se registra ningún escrito" if skipped.kind == "nuevo" else "no se agrega nada al folio"
    )
    return f"{span}: {what} {after}; {consequence}."


def _span(positions: Sequence[int]) -> str:
    first, last = min(positions), max(positions)
    return f"Hoja {first}" if first == last else f"Hojas {first}–{last}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
