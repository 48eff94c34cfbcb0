"""Splitting a scanned batch into filings: real generated scans, our printed sheets rendered and
degraded, the real clean-up (blank check, deskew, tesseract orientation) — no fakes.

Pages are told apart by their ``origin`` ("lote, hoja N"), which the clean-up carries through,
so order and membership are checked on what the clerk would see; uprightness is checked on the
pixels, against the page as it was drawn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageStat

from mailroom.capture.batch import BatchGroup, EmptyBatch, describe_split, split_batch
from mailroom.capture.pages import CaptureCancelled, ScannedPage
from mailroom.capture.separator import COVER_PREFIX, UnknownSheet
from mailroom.cli import main
from mailroom.pdfium import pdfium_lock
from tests.noisy_sheets import Degradation, cover_image, degraded, separator_image
from tests.scanned_pages import blank_page_with_show_through, signature_only_page, text_page

DPI = 200  # the clean-up's cost per page, mostly orientation detection, grows with it
UPSIDE_DOWN_SEPARATOR = Degradation(1.4, 2, 0.05, 0.9, 45, 225, 60)
PageMaker = Callable[[], Image.Image]


def text(seed: int, turned: int = 0) -> PageMaker:
    return lambda: text_page(seed, DPI, skew=0.8, turned=turned, body_lines=14)


def blank(seed: int) -> PageMaker:
    return lambda: blank_page_with_show_through(seed, DPI)


def separator(seed: int = 1) -> PageMaker:
    return lambda: degraded(separator_image(DPI), UPSIDE_DOWN_SEPARATOR, seed)


def caratula(folio: str) -> PageMaker:
    return lambda: degraded(cover_image(folio, DPI), UPSIDE_DOWN_SEPARATOR, 7)


def batch(*makers: PageMaker) -> list[ScannedPage]:
    return [ScannedPage(make(), DPI, f"lote, hoja {n}") for n, make in enumerate(makers, 1)]


def origins(group: BatchGroup) -> list[str]:
    return [page.origin for page in group.prepared.pages]


def upright_like(cleaned: Image.Image, seed: int) -> bool:
    """Whether ``cleaned`` matches the page as drawn better than any turn of it does."""
    reference = text_page(seed, DPI, skew=0.0, turned=0, noise=False, body_lines=14)

    def distance(candidate: Image.Image) -> float:
        small = candidate.convert("L").resize((170, 220), Image.Resampling.BOX)
        drawn = reference.resize((170, 220), Image.Resampling.BOX)
        return ImageStat.Stat(ImageChops.difference(small, drawn)).mean[0]

    upright = distance(cleaned)
    turned = [distance(cleaned.rotate(angle, expand=True)) for angle in (90, 180, 270)]
    return upright < 0.8 * min(turned)


def test_two_filings_split_at_the_separator_upright_in_order_blank_removed() -> None:
    pages = batch(
        text(11),  # 1
        text(12, turned=180),  # 2: fed upside down
        blank(13),  # 3: the blank back of sheet 2, the front showing through
        separator(),  # 4: itself upside down
        text(21, turned=90),  # 5: fed sideways
        text(22),  # 6
    )
    seen: list[tuple[int, int | None]] = []
    groups = split_batch(pages, "sane:test:0", progress=lambda n, t: seen.append((n, t)))

    assert [(g.kind, g.folio, g.first_sheet, g.mark_sheet) for g in groups] == [
        ("nuevo", None, 1, None),
        ("nuevo", None, 5, 4),
    ]
    first, second = groups
    assert origins(first) == ["lote, hoja 1", "lote, hoja 2"]
    assert origins(second) == ["lote, hoja 5", "lote, hoja 6"]
    assert first.prepared.report.blank_removed == (3,)
    assert first.prepared.report.scanned_pages == 3  # the separator is nobody's page
    assert second.prepared.report.scanned_pages == 2
    assert first.prepared.report.source == "sane:test:0"
    for page, seed in zip(
        [*first.prepared.pages, *second.prepared.pages], [11, 12, 21, 22], strict=True
    ):
        assert upright_like(page.image, seed), page.origin
    assert [p.turned for p in first.prepared.pages] == [0, 180]
    assert [p.turned for p in second.prepared.pages] == [270, 0]
    assert describe_split(groups) == [
        "Escrito 1: hojas 1–3 (2 páginas, 1 en blanco retirada)",
        "Escrito 2: hojas 5–6 (2 páginas)",
    ]
    counts = [n for n, _ in seen]
    assert counts == sorted(counts) and counts[-1] == 6 and {t for _, t in seen} == {6}


def test_a_carátula_for_a_registered_folio_starts_an_anexo_group(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    letter = tmp_path / "escrito.png"
    text_page(5, DPI).save(letter, dpi=(DPI, DPI))
    assert main(["--data-dir", str(data_dir), "intake", str(letter), "--remitente",
                 "Ana Ruiz", "--asunto", "Licencia", "--sin-esperar-ocr"]) == 0  # fmt: skip
    folio = capsys.readouterr().out.strip()
    # The clerk prints the carátula with the command, and it goes through the scanner.
    sheet_pdf = tmp_path / "caratula.pdf"
    assert (
        main(["--data-dir", str(data_dir), "separador", "-o", str(sheet_pdf), "--folio", folio])
        == 0
    )
    with pdfium_lock:
        document = pdfium.PdfDocument(sheet_pdf)
        printed = document[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        document.close()
    scanned_sheet = degraded(printed, UPSIDE_DOWN_SEPARATOR, 3)

    pages = batch(text(31), lambda: scanned_sheet, text(32), text(33))
    groups = split_batch(pages, "carpeta:/srv/escaner")

    assert [(g.kind, g.folio, g.first_sheet, g.mark_sheet) for g in groups] == [
        ("nuevo", None, 1, None),
        ("anexo", folio, 3, 2),
    ]
    assert origins(groups[1]) == ["lote, hoja 3", "lote, hoja 4"]
    assert describe_split(groups) == [
        "Escrito 1: hoja 1 (1 página)",
        f"Anexo al folio {folio}: hojas 3–4 (2 páginas)",
    ]


def test_empty_groups_are_dropped_and_reported_in_place() -> None:
    pages = batch(
        separator(1),  # 1: opens nothing, a second separator follows
        separator(2),  # 2
        text(41),  # 3
        caratula("OPM-2026-C01-000009"),  # 4: only its own blank back after it
        blank(42),  # 5
        separator(3),  # 6
        blank(43),  # 7: the separator's blank back
        text(44),  # 8
        lambda: signature_only_page(45, DPI),  # 9: kept, for a person to look at
        separator(4),  # 10: the end of the batch follows
    )
    groups = split_batch(pages, "sane:test:0")

    assert [(g.kind, g.first_sheet) for g in groups] == [("nuevo", 3), ("nuevo", 7)]
    assert [origins(g) for g in groups] == [["lote, hoja 3"], ["lote, hoja 8", "lote, hoja 9"]]
    assert describe_split(groups) == [
        "Hoja 1: hoja separadora sin páginas después; no se registra ningún escrito.",
        "Escrito 1: hoja 3 (1 página)",
        "Hojas 4–5: carátula del folio OPM-2026-C01-000009 seguida solo de páginas en blanco; "
        "no se agrega nada al folio.",
        "Escrito 2: hojas 7–9 (2 páginas, 1 en blanco retirada, revise la hoja 9: casi en blanco)",
        "Hoja 10: hoja separadora sin páginas después; no se registra ningún escrito.",
    ]


def test_blank_pages_before_the_first_separator_form_no_filing() -> None:
    groups = split_batch(batch(blank(71), blank(72), separator(), text(73)), "sane:test:0")
    assert [(g.kind, g.first_sheet, origins(g)) for g in groups] == [("nuevo", 4, ["lote, hoja 4"])]
    assert describe_split(groups) == [
        "Hojas 1–2: en blanco, retiradas; no forman ningún escrito.",
        "Escrito 1: hoja 4 (1 página)",
    ]


def test_a_batch_with_nothing_to_register_is_refused() -> None:
    with pytest.raises(EmptyBatch, match="El lote está vacío"):
        split_batch([], "sane:test:0")
    with pytest.raises(EmptyBatch, match="sus 3 hojas son hojas separadoras, carátulas o páginas"):
        split_batch(batch(separator(1), blank(2), separator(3)), "sane:test:0")


def test_a_sheet_of_a_newer_version_stops_the_split_naming_the_sheet() -> None:
    import io

    import segno

    newer = Image.new("L", (1700, 2200), 240)
    buffer = io.BytesIO()
    segno.make(COVER_PREFIX.replace("/1/", "/2/") + "X-1", error="q").save(
        buffer, kind="png", scale=24, border=4
    )
    newer.paste(Image.open(buffer).convert("L"), (500, 700))
    with pytest.raises(UnknownSheet, match="^Hoja 2: .*no reconoce"):
        split_batch(batch(text(51), lambda: newer, text(52)), "sane:test:0")


def test_cancelling_stops_between_pages() -> None:
    cancel = threading.Event()
    pages = batch(text(61), text(62), separator(), text(63), text(64))
    produced: list[str] = []

    def feed():  # a scanner: the clerk presses Cancel once the separator has come out
        for page in pages:
            produced.append(page.origin)
            if page.origin.endswith("hoja 4"):
                cancel.set()
            yield page

    with pytest.raises(CaptureCancelled):
        split_batch(feed(), "sane:test:0", cancel=cancel)
    assert produced == [p.origin for p in pages[:4]]  # nothing read after the cancel
