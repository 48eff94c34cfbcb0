"""OCR of scanned pages and extraction of born-digital ones: pure functions over files.

- :func:`classify_pdf_pages` / :func:`inspect_text_layer` (and :func:`inspect_page`, for a page
  already open) tell which PDF pages already carry their text; :func:`extract_page_text` and
  :func:`extract_document_text` read it in reading order (those pages are never OCRed).
- :func:`ocr_page` runs tesseract once per page image and returns its searchable PDF page and its
  text with the mean word confidence; :func:`check_tesseract` says what is missing, in Spanish.
- :func:`assemble_pdf` joins OCRed, imported and image-only pages into the document's PDF.

Callers run pages in parallel from a thread pool; every PDFium call holds
:data:`mailroom.pdfium.pdfium_lock`. The names load on first use (:mod:`mailroom.lazy`), so a
light submodule (``engine``'s constants) does not load PDFium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailroom.lazy import lazy_exports

if TYPE_CHECKING:
    from mailroom.ocr.assemble import PagePdf, assemble_pdf
    from mailroom.ocr.engine import PageOcr, check_tesseract, ocr_page
    from mailroom.ocr.extract import extract_document_text, extract_page_text
    from mailroom.ocr.textlayer import (
        TextLayer,
        TextLayerInfo,
        classify_pdf_pages,
        inspect_page,
        inspect_text_layer,
        judge_text,
    )

_HOMES = {
    "PageOcr": "mailroom.ocr.engine",
    "PagePdf": "mailroom.ocr.assemble",
    "TextLayer": "mailroom.ocr.textlayer",
    "TextLayerInfo": "mailroom.ocr.textlayer",
    "assemble_pdf": "mailroom.ocr.assemble",
    "check_tesseract": "mailroom.ocr.engine",
    "classify_pdf_pages": "mailroom.ocr.textlayer",
    "extract_document_text": "mailroom.ocr.extract",
    "extract_page_text": "mailroom.ocr.extract",
    "inspect_page": "mailroom.ocr.textlayer",
    "inspect_text_layer": "mailroom.ocr.textlayer",
    "judge_text": "mailroom.ocr.textlayer",
    "ocr_page": "mailroom.ocr.engine",
}
__all__ = [
    "PageOcr",
    "PagePdf",
    "TextLayer",
    "TextLayerInfo",
    "assemble_pdf",
    "check_tesseract",
    "classify_pdf_pages",
    "extract_document_text",
    "extract_page_text",
    "inspect_page",
    "inspect_text_layer",
    "judge_text",
    "ocr_page",
]
__getattr__ = lazy_exports(__name__, _HOMES)
