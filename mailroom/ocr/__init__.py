"""OCR of scanned pages and extraction of born-digital ones: pure functions over files.

- :func:`classify_pdf_pages` / :func:`inspect_text_layer` tell which PDF pages already carry their
  text; :func:`extract_page_text` reads it (those pages are never OCRed).
- :func:`ocr_page` runs tesseract once per page image and returns its searchable PDF page and its
  text with the mean word confidence; :func:`check_tesseract` says what is missing, in Spanish.
- :func:`assemble_pdf` joins OCRed, imported and image-only pages into the document's PDF.

Callers run pages in parallel from a thread pool; every PDFium call holds :data:`pdfium_lock`.
"""

from __future__ import annotations

from mailroom.ocr.assemble import PagePdf, assemble_pdf
from mailroom.ocr.engine import PageOcr, check_tesseract, ocr_page
from mailroom.ocr.textlayer import (
    TextLayerInfo,
    classify_pdf_pages,
    extract_page_text,
    inspect_text_layer,
    pdfium_lock,
)

__all__ = [
    "PageOcr",
    "PagePdf",
    "TextLayerInfo",
    "assemble_pdf",
    "check_tesseract",
    "classify_pdf_pages",
    "extract_page_text",
    "inspect_text_layer",
    "ocr_page",
    "pdfium_lock",
]
