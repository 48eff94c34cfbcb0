"""Touch-sized building blocks for the kiosk's screens, and the kiosk's style sheet.

The panel is 1920 × 1080 at about 4 px/mm: a 72 px button is 18 mm tall, a fingertip with room
to spare (64 px is the least any target may be). Type is large (body 28 px, questions 42 px and
more) and dark on white, for people who left their glasses at home (``kiosk.theme``). Inputs
have no context menu (no «Copiar», «Pegar»: nothing of one citizen should reach the next
through the clipboard) and buttons never take the keyboard focus, so tapping «Siguiente» does
not steal the cursor from the box being typed into.

Image conversions here work on any thread (``QImage`` is not a ``QPixmap``): the screens make
their page previews and QR codes on the task helper's threads and only show them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QTransform
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QVBoxLayout,
    QWidget,
)

from kiosk.theme import NORMAL, style_sheet

if TYPE_CHECKING:  # Pillow is imported where an image is converted, not at start-up
    from PIL import Image

TOUCH_MIN = 72
"""Pixels: the height of every target a citizen taps (the rule is at least 64)."""
HUGE = 180
PREVIEW_SIZE = 300
"""Page previews fit in a square this big (the capture's own thumbnails are 160 px)."""

STYLE = style_sheet(NORMAL)
"""The normal look's style sheet (``kiosk.theme``: large text and high contrast too)."""


def repolish(widget: QWidget) -> None:
    """A dynamic property (``kind``, ``problem``) changed: the style sheet must look again."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def touch_scrolling(area: QAbstractScrollArea) -> None:
    """Flick to scroll with a finger; a mouse (and the tests) still click through normally."""
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)


def label(text: str = "", name: str = "", parent: QWidget | None = None) -> QLabel:
    made = QLabel(text, parent)
    if name:
        made.setObjectName(name)
    made.setWordWrap(True)
    made.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return made


class BigButton(QPushButton):
    def __init__(self, text: str, parent: QWidget | None = None, *, kind: str = "") -> None:
        super().__init__(text, parent)
        self.setProperty("kind", kind)
        self.setMinimumHeight(HUGE if kind == "huge" else TOUCH_MIN)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAutoDefault(False)


class BigLineEdit(QLineEdit):
    """A box to type in; ``name`` is what it asks for (also its accessible name)."""

    def __init__(
        self,
        name: str,
        parent: QWidget | None = None,
        *,
        max_length: int = 200,
        hints: Qt.InputMethodHint = Qt.InputMethodHint.ImhNone,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setMinimumHeight(TOUCH_MIN)
        self.setMaxLength(max_length)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setDragEnabled(False)
        self.setInputMethodHints(hints | Qt.InputMethodHint.ImhNoPredictiveText)
        self.setProperty("problem", False)

    def set_problem(self, problem: bool) -> None:
        if self.property("problem") != problem:
            self.setProperty("problem", problem)
            repolish(self)

    def forget(self) -> None:
        # setText, not clear(): clear() is an edit the next citizen could undo (Ctrl+Z) back
        # into the previous citizen's text; setText also empties the undo history.
        self.setText("")
        self.set_problem(False)


class Banner(QLabel):
    """A message across the screen: ``info``, ``warning`` or ``error``; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setProperty("kind", "info")
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        if self.property("kind") != kind:
            self.setProperty("kind", kind)
            repolish(self)
        self.setText(text)
        self.setVisible(bool(text))

    def forget(self) -> None:
        self.setText("")
        self.hide()


# -- images (any thread) -------------------------------------------------------------------


def pil_to_qimage(image: Image.Image) -> QImage:
    """A detached ``QImage`` of ``image`` (gray stays gray; anything else becomes RGB)."""
    if image.mode == "L":
        data, fmt, depth = image.tobytes(), QImage.Format.Format_Grayscale8, 1
    else:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        data, fmt, depth, image = rgb.tobytes(), QImage.Format.Format_RGB888, 3, rgb
    made = QImage(data, image.width, image.height, image.width * depth, fmt)
    return made.copy()  # detached from ``data``, which Python frees


def qimage_to_pil(image: QImage) -> Image.Image:
    """An RGB copy of ``image`` for Pillow, through bytes (so nothing is left pointing into the
    QImage's memory); call it on a worker thread, it copies a whole frame (cropping a photo,
    decoding a QR)."""
    if image.isNull():
        raise ValueError("an empty QImage has no pixels to copy")
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    size = (rgb.width(), rgb.height())
    # Rows are padded to 4 bytes: the stride says where each one starts.
    data = bytes(rgb.constBits())
    from PIL import Image

    return Image.frombytes("RGB", size, data, "raw", "RGB", rgb.bytesPerLine())


def qr_image(text: str) -> QImage:
    """The QR code of ``text``, one pixel per module with the quiet zone; show it scaled up
    with ``Qt.FastTransformation`` so its edges stay sharp for a phone's camera."""
    import segno

    code = segno.make(text, error="m", micro=False)
    quiet = 4
    rows = list(code.matrix)
    size = len(rows) + 2 * quiet
    pixels = bytearray(b"\xff" * size * size)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                pixels[(y + quiet) * size + x + quiet] = 0
    return QImage(bytes(pixels), size, size, size, QImage.Format.Format_Grayscale8).copy()


def qr_pixmap(image: QImage, side: int) -> QPixmap:
    """A QR image from :func:`qr_image` (made off the GUI thread: segno takes 10-50 ms) at
    the largest whole number of pixels per module that fits ``side``."""
    scale = max(1, side // image.width())
    return QPixmap.fromImage(
        image.scaled(image.width() * scale, image.height() * scale)  # nearest: crisp modules
    )


# -- the pages of an escrito ---------------------------------------------------------------


class PageTile(QFrame):
    """One page: its preview, its number, and (when editable) «Girar» and «Quitar»."""

    def __init__(self, grid: PageGrid, index: int, side: int, editable: bool) -> None:
        super().__init__()
        self.setObjectName("hoja")
        self.index = index
        self._shown = -1  # the cacheKey of the image shown
        self.picture = QLabel(self)
        self.picture.setFixedSize(side, side)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = label("", "explicacion", self)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.number)
        self.rotate = BigButton(self.tr("Girar"), self)
        self.remove = BigButton(self.tr("Quitar"), self)
        self.rotate.clicked.connect(lambda: grid.rotate_requested.emit(self.index))
        self.remove.clicked.connect(lambda: grid.remove_requested.emit(self.index))
        row = QHBoxLayout()
        row.setSpacing(12)  # two targets at least 8 px apart
        row.addWidget(self.rotate)
        row.addWidget(self.remove)
        layout.addLayout(row)
        for button in (self.rotate, self.remove):
            button.setVisible(editable)
            button.setProperty("kind", "tile")  # less padding: five pages to a row

    def show_page(self, index: int, image: QImage) -> None:
        if (index, image.cacheKey()) == (self.index, self._shown):
            return  # already showing it: a refresh of the whole grid costs next to nothing
        self.index, self._shown = index, image.cacheKey()
        side = self.picture.width()
        if image.width() > side or image.height() > side:
            image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)  # fmt: skip
        self.picture.setPixmap(QPixmap.fromImage(image))
        self.number.setText(self.tr("Página %1").replace("%1", str(index + 1)))
        self.rotate.setAccessibleName(self.tr("Girar la página %1").replace("%1", str(index + 1)))
        self.remove.setAccessibleName(self.tr("Quitar la página %1").replace("%1", str(index + 1)))


class PageGrid(QScrollArea):
    """The pages as large previews in rows; tiles are reused as pages come and go."""

    rotate_requested = Signal(int)
    remove_requested = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        editable: bool = True,
        side: int = PREVIEW_SIZE,
        columns: int = 5,
    ) -> None:
        super().__init__(parent)
        self.editable, self.side, self.columns = editable, side, columns
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.layout_ = QGridLayout(body)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setWidget(body)
        self.tiles: list[PageTile] = []
        touch_scrolling(self)

    def show_pages(self, images: Sequence[QImage]) -> None:
        """Show these pages. The buttons are never turned off and on here: a style sheet
        repolishes a button whose state changes, a millisecond each, and thirty pages have
        sixty buttons (the screen ignores taps on pages still arriving instead)."""
        while len(self.tiles) > len(images):
            tile = self.tiles.pop()
            self.layout_.removeWidget(tile)
            tile.hide()  # now: deleteLater waits for the event loop, and the page must go now
            tile.deleteLater()
        for index, image in enumerate(images):
            if index == len(self.tiles):
                tile = PageTile(self, index, self.side, self.editable)
                self.tiles.append(tile)
                self.layout_.addWidget(tile, index // self.columns, index % self.columns)
                tile.show()  # a layout shows a new child only later, through the event loop
            self.tiles[index].show_page(index, image)

    def forget(self) -> None:
        self.show_pages([])
        self.verticalScrollBar().setValue(0)


def turned(image: QImage, degrees: int) -> QImage:
    """A preview turned as the citizen turned the page (a transform of a small image)."""
    return image.transformed(QTransform().rotate(degrees)) if degrees % 360 else image
