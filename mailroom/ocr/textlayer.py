"""Which PDF pages already carry their text, and reading it instead of OCRing it.

Judging a page costs a millisecond or two with pypdfium2 (no rendering). A born-digital page's
text is exact and OCR would only degrade it. But a text layer can also be a bad OCR from some
earlier scanner (consonant soup, stray symbols) or glyphs without a Unicode map (private-use,
control or random foreign characters): indexing those would index garbage, so such pages are
OCRed afresh. An invisible layer over a scan is an earlier OCR and stands for the page unless it
is garbage; a few visible words over a full-page scan are a stamp or a Bates number, not the
page's text.

Reading a page takes PDFium a couple of milliseconds, pdfminer (pdfplumber) twenty times that.
PDFium gives text in the order the page draws it, though, and a table drawn column by column
would come out column by column; so its order is checked first and, when it is not reading order,
the page is read with pdfplumber, which rebuilds lines from the characters' positions.

Every pypdfium2 call holds :data:`mailroom.pdfium.pdfium_lock`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mailroom.errors import UnreadableFile
from mailroom.pdfium import image_coverage, pdfium_lock, text_by_visibility


class TextLayer(Enum):
    """What a page's text alone says, before looking at what else the page holds."""

    NONE = "none"  # nothing legible: OCR the page
    WEAK = "weak"  # a few legible words: a stamp over a scan, or a short born-digital page
    STRONG = "strong"  # enough legible text to stand for the page


MIN_VISIBLE_CHARS = 16
STRONG_VISIBLE_CHARS = 200
MIN_LEGIBLE_SHARE = 0.9
MIN_ALPHANUMERIC_SHARE = 0.5
MIN_VOWEL_WORD_SHARE = 0.6
# Over a page mostly covered by images, a WEAK layer is a stamp, a Bates number or a header
# added to a scan rather than the page's text; unless it is invisible, as OCR layers are.
IMAGE_DOMINATED_COVERAGE = 0.5
MIN_INVISIBLE_SHARE = 0.5

_MIN_WORDS_FOR_VOWEL_TEST = 5
_VOWELS = frozenset("aeiouyáéíóúüàèìòùâêîôûäëïö")
_UNMAPPED = frozenset("\ufffd\ufffe\uffff")
# Letters past Latin Extended-B in a Spanish document are nearly always a font without a Unicode
# map whose glyph numbers came out as random characters.
_LATIN_END = 0x250
# PDFium marks a word hyphenated across lines with U+FFFE (U+0002 in older builds) and joins the
# lines; the mark is layout, not content.
PDFIUM_HYPHENS = ("\ufffe", "\x02")
# Leaders and blanks to fill in ("Nombre: ______", "Total ........ $5") are layout too: counted,
# they would make a form look like symbol soup.
_FILL_RUNS = re.compile(r"([_.·…-])\1{2,}")


@dataclass(frozen=True)
class TextLayerInfo:
    has_text: bool
    """True when the page's text layer is trustworthy: extract it, do not OCR the page."""
    char_count: int
    """Characters in the text layer, whitespace and fill runs (``____``) not counted."""
    legible_share: float
    """Share of those that are Latin letters, digits, punctuation or symbols (0–1)."""
    image_coverage: float
    """Share of the page's area covered by images, in forms too (0–1)."""
    invisible_share: float = 0.0
    """Share of the text drawn invisibly, as OCR layers are (0–1)."""
    alphanumeric_share: float = 0.0
    """Share of the characters that are letters or digits (0–1)."""
    level: TextLayer = TextLayer.NONE
    """What the text alone says (:func:`judge_text`)."""


@dataclass(frozen=True)
class _Counts:
    visible: int
    legible: int
    alphanumeric: int


def judge_text(text: str) -> TextLayer:
    """How much legible, word-like text there is, whatever the page looks like."""
    text = _FILL_RUNS.sub(" ", text)
    return _level(_count(text), text)


def inspect_page(page: pdfium.PdfPage) -> TextLayerInfo:
    """Judge an open page; raises :class:`pypdfium2.PdfiumError` if its content is damaged.

    Takes :data:`pdfium_lock`, which the caller may already hold.
    """
    with pdfium_lock:
        text_page = page.get_textpage()
        try:
            text = text_page.get_text_range() if text_page.count_chars() else ""
            visible, invisible = text_by_visibility(page, text_page) if text else (0, 0)
        finally:
            text_page.close()
        coverage = image_coverage(page)
    text = _FILL_RUNS.sub(" ", text)
    counts = _count(text)
    level = _level(counts, text)
    invisible_share = invisible / (visible + invisible) if invisible else 0.0
    return TextLayerInfo(
        has_text=_decide(level, coverage, invisible_share),
        char_count=counts.visible,
        legible_share=_share(counts.legible, counts.visible),
        image_coverage=coverage,
        invisible_share=invisible_share,
        alphanumeric_share=_share(counts.alphanumeric, counts.visible),
        level=level,
    )


def inspect_text_layer(
    pdf_path: Path, page_index: int, *, password: str | None = None
) -> TextLayerInfo:
    """Classify one page of a PDF; raises :class:`UnreadableFile` if it cannot be read."""
    with pdfium_lock:
        document = open_pdf(pdf_path, password)
        try:
            check_page_index(document, pdf_path, page_index)
            return _inspect(document, page_index)
        finally:
            document.close()


def classify_pdf_pages(pdf_path: Path, *, password: str | None = None) -> list[TextLayerInfo]:
    """Classify every page of a PDF, opening it once."""
    with pdfium_lock:
        document = open_pdf(pdf_path, password)
        try:
            return [_inspect(document, index) for index in range(len(document))]
        finally:
            document.close()


def _decide(level: TextLayer, coverage: float, invisible_share: float) -> bool:
    if level is TextLayer.NONE:
        return False
    if level is TextLayer.STRONG or invisible_share >= MIN_INVISIBLE_SHARE:
        return True
    return coverage < IMAGE_DOMINATED_COVERAGE


def _count(text: str) -> _Counts:
    visible = legible = alphanumeric = 0
    for char in text:
        if char.isspace() or char in PDFIUM_HYPHENS:
            continue
        visible += 1
        if char.isalnum():
            alphanumeric += 1
            legible += ord(char) < _LATIN_END
        elif char not in _UNMAPPED:
            # Punctuation and symbols (P*, S*) are legible; control, private-use and unassigned
            # characters are glyphs without a Unicode map.
            legible += unicodedata.category(char)[0] in "PS"
    return _Counts(visible, legible, alphanumeric)


def _level(counts: _Counts, text: str) -> TextLayer:
    if counts.visible < MIN_VISIBLE_CHARS:
        return TextLayer.NONE
    if counts.legible < MIN_LEGIBLE_SHARE * counts.visible:
        return TextLayer.NONE
    if counts.alphanumeric < MIN_ALPHANUMERIC_SHARE * counts.visible:
        return TextLayer.NONE
    if not _words_look_like_words(text):
        return TextLayer.NONE
    return TextLayer.STRONG if counts.visible >= STRONG_VISIBLE_CHARS else TextLayer.WEAK


def _words_look_like_words(text: str) -> bool:
    """Real words in Spanish (or English) have vowels; OCR noise is mostly consonant clusters."""
    words = [
        word
        for word in (raw.strip(".,;:!?¡¿()[]{}\"'«»-–—") for raw in text.split())
        if len(word) >= 2 and word.isalpha()
    ]
    if len(words) < _MIN_WORDS_FOR_VOWEL_TEST:
        return True
    with_vowel = sum(1 for word in words if _VOWELS.intersection(word.lower()))
    return with_vowel >= MIN_VOWEL_WORD_SHARE * len(words)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _inspect(document: pdfium.PdfDocument, page_index: int) -> TextLayerInfo:
    try:
        page = document[page_index]
    except pdfium.PdfiumError as exc:
        raise damaged_page(page_index, exc) from exc
    try:
        return inspect_page(page)
    except pdfium.PdfiumError as exc:
        raise damaged_page(page_index, exc) from exc
    finally:
        page.close()


def open_pdf(pdf_path: Path, password: str | None) -> pdfium.PdfDocument:
    name = Path(pdf_path).name
    try:
        return pdfium.PdfDocument(Path(pdf_path), password=password)
    except FileNotFoundError as exc:
        raise UnreadableFile(f"No se encontró el PDF {name}.", path=pdf_path) from exc
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            message = f"El PDF {name} está protegido con contraseña; pida una copia sin ella."
        else:
            message = f"El PDF {name} está dañado o no es un PDF; no se puede leer."
        raise UnreadableFile(message, path=pdf_path, cause=str(exc)) from exc


def check_page_index(document: pdfium.PdfDocument, pdf_path: Path, page_index: int) -> None:
    if not 0 <= page_index < len(document):
        raise UnreadableFile(
            f"El PDF {Path(pdf_path).name} no tiene página {page_index + 1} "
            f"(tiene {len(document)}).",
            path=pdf_path,
            page_index=page_index,
        )


def damaged_page(page_index: int, exc: pdfium.PdfiumError) -> UnreadableFile:
    return UnreadableFile(
        f"La página {page_index + 1} del PDF está dañada y no se puede leer.",
        page_index=page_index,
        cause=str(exc),
    )
