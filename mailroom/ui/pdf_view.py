"""A page viewer for PDFs and page images: rendered off the GUI thread, only the pages in view.

Pages are rasterised with pypdfium2 (PDF) or Pillow (scanned page images) in the task helper,
always on opaque white: a PDF page with no background of its own would otherwise come out
transparent and show the window's colour through it. The GUI thread only lays pages out (from
their sizes, measured off-thread too) and paints the images it was given, so a 2,000-page
document costs one widget, not 2,000.

Every pypdfium2 call holds ``mailroom.pdfium.pdfium_lock``: PDFium is not thread-safe, and the OCR
worker uses it from other threads of the same process.
"""

from __future__ import annotations

import bisect
import ctypes
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mailroom.errors import OficialiaError
from mailroom.filing_detail import PageRef, PageSpec, PdfSource, measure_pages, measure_pdf
from mailroom.pdfium import pdfium_lock
from mailroom.ui.tasks import TaskContext, TaskRunner

GAP = 12  # pixels between pages and around them
MAX_IN_FLIGHT = 3  # renders queued at once: a fast scroll must not queue every page it passed
KEEP_AROUND = 4  # pages beyond the visible ones whose images are kept
WHITE = QColor(255, 255, 255)


class ZoomMode(Enum):
    FIT_WIDTH = "ancho"
    ACTUAL_SIZE = "100"


# -- off the GUI thread ---------------------------------------------------------------------------


def render_page(spec: PageSpec, width_px: int, height_px: int | None = None) -> QImage:
    """The page as an opaque RGB32 image, ``width_px`` wide (and at most ``height_px`` tall,
    keeping its proportions), composited on white."""
    scale = width_px / spec.width_pt
    if height_px is not None:
        scale = min(scale, height_px / spec.height_pt)
    if spec.is_pdf:
        return _render_pdf_page(spec, scale)
    return _render_image_page(spec, scale)


def _render_pdf_page(spec: PageSpec, scale: float) -> QImage:
    """PDFium draws straight into the QImage's pixels. Rendering through pypdfium2's own bitmap
    and then copying and converting it held the GIL for 20-40 ms per copy of a 300 dpi page,
    which froze the GUI thread while it painted the page before (up to 180 ms, measured)."""
    width = max(1, round(spec.width_pt * scale))
    height = max(1, round(spec.height_pt * scale))
    image = QImage(width, height, QImage.Format.Format_RGB32)
    # BGRA bytes are RGB32's 0xAARRGGBB on little-endian machines (every platform we ship for).
    # On an opaque white start every pixel stays opaque: alpha 255, as RGB32 requires.
    pixels = (ctypes.c_ubyte * image.sizeInBytes()).from_buffer(image.bits())
    with pdfium_lock:
        source = spec.source
        document = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        # The acuse's seal is a signature field's widget: PDFium draws form widgets only
        # through a form environment (FPDF_FFLDraw), so without this the stamp was invisible.
        document.init_forms()
        bitmap = pdfium_c.FPDFBitmap_CreateEx(
            width, height, pdfium_c.FPDFBitmap_BGRA, pixels, image.bytesPerLine()
        )
        try:
            pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xFFFFFFFF)
            page = document[spec.index]
            pdfium_c.FPDF_RenderPageBitmap(
                bitmap, page.raw, 0, 0, width, height, 0, pdfium_c.FPDF_ANNOT
            )
            if page.formenv:
                pdfium_c.FPDF_FFLDraw(
                    page.formenv, bitmap, page.raw, 0, 0, width, height, 0, pdfium_c.FPDF_ANNOT
                )
        finally:
            pdfium_c.FPDFBitmap_Destroy(bitmap)
            document.close()
    del pixels
    return image


def _render_image_page(spec: PageSpec, scale: float) -> QImage:
    assert isinstance(spec.source, Path)
    size = (max(1, round(spec.width_pt * scale)), max(1, round(spec.height_pt * scale)))
    with Image.open(spec.source) as opened:
        opened.seek(spec.index)
        opened.draft("RGB", size)  # JPEG decodes straight at a reduced size
        image = opened.convert("RGBA") if _has_alpha(opened) else opened.convert("RGB")
    if image.mode == "RGBA":
        white = Image.new("RGB", image.size, (255, 255, 255))
        white.paste(image, mask=image.getchannel("A"))
        image = white
    image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    data = image.tobytes()
    qimage = QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888)
    return qimage.convertToFormat(QImage.Format.Format_RGB32)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


@dataclass(frozen=True)
class _Rendered:
    document: int
    index: int
    width_px: int
    image: QImage


# -- the widget -------------------------------------------------------------------------------


class _PagesCanvas(QWidget):
    """All pages as one tall widget: paints the ones in the exposed rectangle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs: list[PageSpec] = []
        self.images: dict[int, QImage] = {}
        self.tops: list[int] = []
        self.sizes: list[tuple[int, int]] = []

    def lay_out(self, specs: list[PageSpec], mode: ZoomMode, width: int, dpi: float) -> None:
        self.specs = specs
        self.tops, self.sizes = [], []
        y = GAP
        widest = 0
        for spec in specs:
            if mode is ZoomMode.FIT_WIDTH:
                page_width = max(50, width - 2 * GAP)
            else:
                page_width = max(50, round(spec.width_pt * dpi / 72))
            page_height = max(50, round(page_width * spec.height_pt / spec.width_pt))
            self.tops.append(y)
            self.sizes.append((page_width, page_height))
            y += page_height + GAP
            widest = max(widest, page_width)
        self.resize(max(width, widest + 2 * GAP), y)
        self.update()

    def page_rect(self, index: int) -> QRect:
        width, height = self.sizes[index]
        return QRect(max(GAP, (self.width() - width) // 2), self.tops[index], width, height)

    def pages_between(self, top: int, bottom: int) -> range:
        if not self.tops:
            return range(0)
        first = max(0, bisect.bisect_right(self.tops, top) - 1)
        last = max(first, bisect.bisect_right(self.tops, bottom) - 1)
        return range(first, min(last + 1, len(self.tops)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        exposed = event.rect()
        painter.fillRect(exposed, self.palette().dark())
        for index in self.pages_between(exposed.top(), exposed.bottom()):
            rect = self.page_rect(index)
            painter.fillRect(rect, WHITE)
            image = self.images.get(index)
            if image is not None:
                painter.drawImage(rect, image)
            else:
                painter.setPen(QColor(120, 120, 120))
                painter.drawText(
                    rect, Qt.AlignmentFlag.AlignCenter, self.tr("Página {0}…").format(index + 1)
                )
        painter.end()


class PdfView(QWidget):
    """Shows a PDF (bytes or a path) or a list of pages, lazily, with "fit width" and "100 %"."""

    loaded = Signal(int)  # page count, once the pages' sizes are known
    page_rendered = Signal(int)  # index of a page whose image arrived
    load_failed = Signal(str)  # the Spanish message

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.mode = ZoomMode.FIT_WIDTH
        self._document = 0  # bumped per document: renders of an older one are dropped
        self._in_flight: set[tuple[int, int]] = set()
        self._broken: set[int] = set()  # pages that failed to render: not retried on every scroll
        self._build()

    def _build(self) -> None:
        self.fit_button = self._zoom_button(
            self.tr("Ajustar al ancho"), self.tr("Muestra cada página al ancho de la ventana")
        )
        self.actual_button = self._zoom_button(
            self.tr("100 %"), self.tr("Muestra las páginas a su tamaño real")
        )
        self.fit_button.setChecked(True)
        group = QButtonGroup(self)
        for number, button in enumerate((self.fit_button, self.actual_button)):
            group.addButton(button, number)
        group.idClicked.connect(self._zoom_clicked)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("paginas")
        self.canvas = _PagesCanvas()
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidget(self.canvas)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._schedule)
        # Always there, so that fitting the width never makes it appear and the width change.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll_area.viewport().installEventFilter(self)
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(30)  # coalesces a scroll's many steps into one pass
        self._render_timer.timeout.connect(self._render_visible)
        bar = QHBoxLayout()
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll_area, 1)

    def _zoom_button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setCheckable(True)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        return button

    # -- what to show -----------------------------------------------------------------------

    def set_pdf(self, source: PdfSource) -> None:
        """Show a PDF; its pages are measured off the GUI thread, then rendered as they scroll
        into view."""
        self._load(functools.partial(_measure_op, measure_pdf, source))

    def set_pages(self, refs: Sequence[PageRef]) -> None:
        """Show pages taken from several files (PDF pages and page images) as one document."""
        self._load(functools.partial(_measure_op, measure_pages, tuple(refs)))

    def clear(self, message: str = "") -> None:
        self._document += 1
        self._in_flight.clear()
        self._broken.clear()
        self.canvas.images.clear()
        self._lay_out([])
        self.count_label.setText(message)

    def _load(self, op: functools.partial[list[PageSpec]]) -> None:
        self.clear(self.tr("Cargando…"))
        document = self._document
        self.runner.run(
            op,
            name="medir_paginas",
            on_success=functools.partial(self._measured, document),
            on_failure=functools.partial(self._measure_failed, document),
            owner=self,
        )

    def _measured(self, document: int, specs: list[PageSpec]) -> None:
        if document != self._document:
            return
        self._lay_out(specs)
        self.count_label.setText(self.tr("%n página(s)", "", len(specs)))
        self.loaded.emit(len(specs))

    def _measure_failed(self, document: int, error: OficialiaError) -> None:
        if document == self._document:
            self.count_label.setText(error.message)
            self.load_failed.emit(error.message)

    # -- state for callers and tests --------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self.canvas.specs)

    def page_image(self, index: int) -> QImage | None:
        """The rendered image of a page, or ``None`` while it is not rendered (or evicted)."""
        return self.canvas.images.get(index)

    def scroll_to_page(self, index: int) -> None:
        if 0 <= index < self.page_count:
            self.scroll_area.verticalScrollBar().setValue(self.canvas.page_rect(index).top() - GAP)
            self._schedule()

    def set_zoom(self, mode: ZoomMode) -> None:
        self.mode = mode
        (self.fit_button if mode is ZoomMode.FIT_WIDTH else self.actual_button).setChecked(True)
        self._lay_out(self.canvas.specs)

    @Slot(int)
    def _zoom_clicked(self, number: int) -> None:
        self.set_zoom(ZoomMode.FIT_WIDTH if number == 0 else ZoomMode.ACTUAL_SIZE)

    # -- layout and rendering ---------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # The viewport's own resize, not the view's: inside a tab shown for the first time the
        # view is resized before its scroll area has placed the viewport.
        fitting = self.mode is ZoomMode.FIT_WIDTH and bool(self.canvas.specs)
        stale = self.canvas.width() != self.scroll_area.viewport().width()
        if fitting and stale and event.type() == QEvent.Type.Resize:
            self._lay_out(self.canvas.specs)
        return False

    def _lay_out(self, specs: list[PageSpec]) -> None:
        width = self.scroll_area.viewport().width()
        self.canvas.lay_out(specs, self.mode, width, self.logicalDpiX())
        self._schedule()

    @Slot()
    def _schedule(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    def _visible_pages(self) -> range:
        top = self.scroll_area.verticalScrollBar().value()
        return self.canvas.pages_between(top, top + self.scroll_area.viewport().height())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._schedule()

    @Slot()
    def _render_visible(self) -> None:
        if not self.isVisible():  # in a hidden tab, or closing: nothing is in view
            return
        visible = self._visible_pages()
        if not visible:
            return
        wanted = range(max(0, visible.start - 1), min(self.page_count, visible.stop + 1))
        ratio = self.devicePixelRatioF()
        for index in wanted:
            width_px = round(self.canvas.sizes[index][0] * ratio)
            image = self.canvas.images.get(index)
            if (image is not None and image.width() == width_px) or index in self._broken:
                continue
            if (index, width_px) not in self._in_flight and len(self._in_flight) < MAX_IN_FLIGHT:
                self._start_render(index, width_px)
        self._evict(wanted)

    def _start_render(self, index: int, width_px: int) -> None:
        self._in_flight.add((index, width_px))
        self.runner.run(
            functools.partial(
                _render_op, self._document, index, self.canvas.specs[index], width_px
            ),
            name="mostrar_pagina",
            on_success=self._rendered,
            on_failure=functools.partial(self._render_failed, self._document, index, width_px),
            owner=self,
        )

    def _rendered(self, rendered: _Rendered) -> None:
        if rendered.document != self._document:
            return
        self._in_flight.discard((rendered.index, rendered.width_px))
        self.canvas.images[rendered.index] = rendered.image
        self.canvas.update(self.canvas.page_rect(rendered.index))
        self.page_rendered.emit(rendered.index)
        self._schedule()  # pages skipped while MAX_IN_FLIGHT were busy, or a newer zoom

    def _render_failed(
        self, document: int, index: int, width_px: int, error: OficialiaError
    ) -> None:
        if document == self._document:
            self._in_flight.discard((index, width_px))
            self._broken.add(index)
            self.count_label.setText(error.message)

    def _evict(self, wanted: range) -> None:
        keep = range(max(0, wanted.start - KEEP_AROUND), wanted.stop + KEEP_AROUND)
        for index in [i for i in self.canvas.images if i not in keep]:
            del self.canvas.images[index]


def _measure_op(measure: Callable[[Any], list[PageSpec]], what: Any, context: TaskContext) -> Any:
    return measure(what)


def _render_op(
    document: int, index: int, spec: PageSpec, width_px: int, context: TaskContext
) -> _Rendered:
    return _Rendered(document, index, width_px, render_page(spec, width_px))
