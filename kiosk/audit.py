"""The kiosk's accessibility audit: each screen measured as it is painted.

For one screen (the kiosk's window, grabbed at 1920 × 1080) it finds:

- the smallest touch target (every visible button and box a finger can tap) and the smallest
  gap between two of them; goals 64 × 64 px (16 mm on the reference panel) and 8 px;
- the lowest contrast between a text and what is behind it, from the colours in the grabbed
  picture: behind is the commonest colour of the text's box, the text the colour of that box that
  stands out most from it (anti-aliased edges are in between; a glyph's core is the text's
  colour); WCAG's relative luminance; goals 7:1 (normal, large text) and 15:1 (high contrast);
- the smallest capital letter (the font's cap height as Qt lays it out); goals 20 px, 25 px
  with large text (6.1 mm);
- texts the layout cut (``mailroom.ui.screen_check.cut_texts``) and, in a language other than
  Spanish, texts still showing the Spanish of the catalogue.

``kiosk.screenshots`` walks every screen with a scripted citizen and calls ``measure`` on each;
``oficialia kiosk auditar`` prints the table for every language and look and fails below a goal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QTextBrowser, QWidget

from kiosk.theme import Look
from mailroom.ui.screen_check import cut_texts

MIN_TARGET = 64
MIN_GAP = 8
MIN_CONTRAST = {False: 7.0, True: 15.0}  # by Look.contrast
MIN_CAP = {False: 20.0, True: 25.0}  # by Look.large
_INSET = 16  # px inside a button's or box's edge: its border and rounded corners stay out
_CORE_PIXELS = 6  # a colour must cover this many pixels to be a text's colour, not an edge


@dataclass(frozen=True)
class ScreenAudit:
    screen: str
    language: str
    look: str
    smallest_target: tuple[int, int]  # width, height
    smallest_gap: int | None  # None: a single target on the screen
    smallest_gap_between: str
    lowest_contrast: float
    lowest_contrast_text: str
    smallest_cap: float
    smallest_cap_text: str
    cut: tuple[str, ...] = ()
    untranslated: tuple[str, ...] = ()
    large: bool = False
    contrast: bool = False

    def failures(self) -> list[str]:
        """What misses a goal, in words (empty: the screen passes)."""
        found = []
        if self.smallest_target != (0, 0) and min(self.smallest_target) < MIN_TARGET:
            width, height = self.smallest_target
            found.append(f"objetivo táctil de {width}×{height} px (mínimo {MIN_TARGET})")
        if self.smallest_gap is not None and self.smallest_gap < MIN_GAP:
            found.append(f"separación de {self.smallest_gap} px entre "
                         f"{self.smallest_gap_between} (mínimo {MIN_GAP})")  # fmt: skip
        least = MIN_CONTRAST[self.contrast]
        if self.lowest_contrast < least:
            found.append(f"contraste {self.lowest_contrast:.1f}:1 en «{self.lowest_contrast_text}» "
                         f"(mínimo {least:g}:1)")  # fmt: skip
        cap = MIN_CAP[self.large]
        if self.smallest_cap < cap:
            found.append(f"mayúscula de {self.smallest_cap:.1f} px en «{self.smallest_cap_text}» "
                         f"(mínimo {cap:g})")  # fmt: skip
        found += [f"texto cortado: {text}" for text in self.cut]
        found += [f"sin traducir: «{text}»" for text in self.untranslated]
        return found


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def painted_contrast(picture: Image.Image) -> float | None:
    """Text against its background in ``picture`` (RGB, one text's box); ``None`` when only
    one colour is there (nothing painted to measure)."""
    counted = picture.getcolors(picture.width * picture.height) or []
    colours = [(count, (c[0], c[1], c[2])) for count, c in counted if isinstance(c, tuple)]
    if len(colours) < 2:
        return None
    _, background = max(colours)
    core = [colour for count, colour in colours if count >= _CORE_PIXELS and colour != background]
    if not core:
        return None
    return max(contrast_ratio(background, colour) for colour in core)


def _shown_text(widget: QWidget) -> str:
    if isinstance(widget, QLabel):
        return widget.text() if widget.pixmap().isNull() else ""
    if isinstance(widget, QAbstractButton):
        return widget.text()
    if isinstance(widget, QLineEdit):
        return widget.text() or widget.placeholderText()
    return ""


def _visible(widget: QWidget, root: QWidget) -> bool:
    """Shown on ``root`` and not under something drawn over it (the idle warning's veil)."""
    if not widget.isVisible() or widget.window() is not root.window():
        return False
    if widget.visibleRegion().isEmpty():
        return False
    centre = widget.mapTo(root, widget.rect().center())
    top = root.childAt(centre)
    return top is not None and (top is widget or widget.isAncestorOf(top))


def _box(widget: QWidget, root: QWidget) -> QRect:
    """What shows of ``widget``, in ``root``'s coordinates: a button half scrolled away is the
    half a finger can reach."""
    shown = widget.visibleRegion().boundingRect()
    return QRect(widget.mapTo(root, shown.topLeft()), shown.size())


def _gap(one: QRect, other: QRect) -> int:
    """The distance between two rectangles' edges (0 when they touch or overlap)."""
    across = max(other.left() - one.right() - 1, one.left() - other.right() - 1, 0)
    down = max(other.top() - one.bottom() - 1, one.top() - other.bottom() - 1, 0)
    return max(across, down)


def targets(root: QWidget) -> list[tuple[QWidget, QRect]]:
    """What a finger can tap on ``root`` now: enabled or not, a visible button or box."""
    found: list[tuple[QWidget, QRect]] = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QAbstractButton | QLineEdit) and _visible(widget, root):
            found.append((widget, _box(widget, root).intersected(root.rect())))
    return found


def measure(
    root: QWidget,
    picture: Image.Image,
    *,
    screen: str,
    language: str,
    look: Look,
    catalogue: Iterable[str] = (),
) -> ScreenAudit:
    """``root`` (the kiosk's window) as painted in ``picture`` (its grab, RGB)."""
    tapped = targets(root)
    smallest = min(((box.width(), box.height()) for _, box in tapped),
                   key=min, default=(0, 0))  # fmt: skip
    gaps = sorted((_gap(a, b), _name(one), _name(other))
                  for i, (one, a) in enumerate(tapped) for other, b in tapped[i + 1 :])  # fmt: skip
    lowest, lowest_text = 21.0, ""
    cap, cap_text = 1000.0, ""
    spanish = set(catalogue)
    untranslated = []
    for widget in root.findChildren(QWidget):
        text = _shown_text(widget).strip()
        if not text or not _visible(widget, root) or isinstance(widget, QTextBrowser):
            continue
        if spanish and text in spanish:
            untranslated.append(text)
        height = QFontMetricsF(widget.font()).capHeight()
        if height < cap:
            cap, cap_text = height, text
        box = _box(widget, root).intersected(root.rect())
        inset = 0 if isinstance(widget, QLabel) else _INSET
        box = box.adjusted(inset, inset, -inset, -inset)
        if box.width() < 4 or box.height() < 4:
            continue
        crop = picture.crop((box.left(), box.top(), box.right() + 1, box.bottom() + 1))
        # Nothing but one colour where a text is: the text is invisible (drawn in the colour
        # behind it, or not at all), the worst contrast there is.
        ratio = painted_contrast(crop) or 1.0
        if ratio < lowest:
            lowest, lowest_text = ratio, text
    return ScreenAudit(
        screen=screen,
        language=language,
        look=look.name,
        smallest_target=smallest,
        smallest_gap=gaps[0][0] if gaps else None,
        smallest_gap_between=f"«{gaps[0][1]}» y «{gaps[0][2]}»" if gaps else "",
        lowest_contrast=round(lowest, 2),
        lowest_contrast_text=_short(lowest_text),
        smallest_cap=round(cap, 1),
        smallest_cap_text=_short(cap_text),
        cut=tuple(cut_texts(root, wrapped=True)),
        untranslated=tuple(dict.fromkeys(untranslated)),
        large=look.large,
        contrast=look.contrast,
    )


def _name(widget: QWidget) -> str:
    return _short(widget.accessibleName() or _shown_text(widget) or type(widget).__name__)


def _short(text: str, room: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[: room - 1] + "…"


HEADINGS = ("pantalla", "idioma", "modo", "objetivo mín.", "separación mín.", "contraste mín.",
            "mayúscula mín.", "cortados", "sin traducir", "resultado")  # fmt: skip


def table(rows: Sequence[ScreenAudit]) -> str:
    """The audit as a Markdown table (for the terminal and for notes)."""
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    for row in rows:
        gap = "—" if row.smallest_gap is None else f"{row.smallest_gap} px"
        failures = row.failures()
        cells = (
            row.screen,
            row.language,
            row.look,
            f"{row.smallest_target[0]}×{row.smallest_target[1]} px"
            if row.smallest_target != (0, 0)
            else "—",
            gap,
            f"{row.lowest_contrast:.1f}:1",
            f"{row.smallest_cap:.1f} px",
            str(len(row.cut)),
            str(len(row.untranslated)),
            "bien" if not failures else "FALLA: " + "; ".join(failures),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def as_dict(row: ScreenAudit) -> dict[str, object]:
    return dataclasses.asdict(row)
