"""Realistic sample filings (scans and a born-digital oficio) for demos, tests and benchmarks.

Everything is drawn from fixed seeds, so the files and their ground truth are the same on every
run of the same library versions. The ground truth of a page is the text drawn on it, one line per
"\\n"; a table row counts as its non-empty cells joined by single spaces; blank lines are not
text.

Run ``python -m mailroom.samples [--out DIR] [--force]``.

The package, in the order a sample is made: ``model`` (lines, pages, documents, samples),
``texts`` (the Spanish they say), ``documents`` (each sample's content and layout),
``paginate`` (blocks onto pages), ``layout`` (where each piece of text goes), ``render`` (page
images, scan degradation, scanner-style PDFs), ``digital`` (the born-digital PDF) and
``generate`` (the files, the manifest and the command).
"""

from __future__ import annotations

from mailroom.samples.generate import (
    MANIFEST,
    VERSION,
    default_out_dir,
    generate_samples,
    load_manifest,
    main,
    samples_dir,
)
from mailroom.samples.layout import page_ground_truth, wrap
from mailroom.samples.model import Line, PageStyle, Sample
from mailroom.samples.render import degrade, render_page_image, write_scanned_pdf

__all__ = [
    "MANIFEST",
    "VERSION",
    "Line",
    "PageStyle",
    "Sample",
    "default_out_dir",
    "samples_dir",
    "degrade",
    "generate_samples",
    "load_manifest",
    "main",
    "page_ground_truth",
    "render_page_image",
    "wrap",
    "write_scanned_pdf",
]
