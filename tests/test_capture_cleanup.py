"""Page clean-up on realistic scans (tests/scanned_pages.py) with the real tesseract."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from mailroom.capture.blank import BlankVerdict, looks_blank
from mailroom.capture.cleanup import CleanPage, clean_page, prepare_pages
from mailroom.capture.pages import CaptureCancelled, ScannedPage
from mailroom.capture.results import CaptureLimits
from mailroom.errors import InvalidInput
from mailroom.ocr.engine import detect_rotation, ocr_page
from mailroom.ocr.orientation import osd_rotation
from tests.scanned_pages import (
    blank_page_with_show_through,
    one_word_page,
    signature_only_page,
    text_page,
    text_truth,
)

DPI = 200  # OCR time grows with the pixels; 200 dpi is what most counters scan at


def cer(hypothesis: str, reference: str) -> float:
    hypothesis, reference = " ".join(hypothesis.split()), " ".join(reference.split())
    return Levenshtein.distance(hypothesis, reference) / max(1, len(reference))


def read(image: Image.Image, dpi: int, folder: Path, name: str) -> str:
    path = folder / f"{name}.png"
    image.save(path, dpi=(dpi, dpi))
    return ocr_page(path, dpi=dpi, work_dir=folder).text


def test_upside_down_and_sideways_pages_come_out_upright_and_read_as_well(
    tmp_path: Path,
) -> None:
    seed = 41
    scans = {turned: text_page(seed, DPI, skew=0.8, turned=turned) for turned in (0, 90, 180, 270)}
    turns = list(scans)
    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(lambda t: clean_page(ScannedPage(scans[t], DPI, "x")), turns))
        cleaned = dict(zip(turns, pages, strict=True))
        read_back = pool.map(lambda t: read(cleaned[t].image, DPI, tmp_path, f"giro-{t}"), turns)
        texts = dict(zip(turns, read_back, strict=True))
    assert {t: page.turned for t, page in cleaned.items()} == {0: 0, 90: 270, 180: 180, 270: 90}
    assert {page.image.size for page in cleaned.values()} == {scans[0].size}  # portrait again
    truth = text_truth(seed)
    rates = {turned: cer(text, truth) for turned, text in texts.items()}
    print("CER por giro de la hoja:", {t: f"{r:.2%}" for t, r in rates.items()})
    assert rates[0] < 0.02
    for turned in (90, 180, 270):
        assert rates[turned] <= rates[0] + 0.01, (turned, rates)


def test_blank_backs_are_removed_near_blank_pages_go_to_review_and_text_stays() -> None:
    pages = [
        ScannedPage(text_page(51, DPI, skew=-0.6, body_lines=12), DPI, "hoja 1"),
        ScannedPage(blank_page_with_show_through(52, DPI), DPI, "hoja 2"),
        ScannedPage(signature_only_page(53, DPI), DPI, "hoja 3"),
        ScannedPage(blank_page_with_show_through(54, 300, shadow_mm=18), 300, "hoja 4"),
        ScannedPage(one_word_page(55, DPI), DPI, "hoja 5"),
        ScannedPage(text_page(56, DPI, body_lines=3), DPI, "hoja 6"),
    ]
    seen: list[tuple[int, int | None]] = []
    prepared = prepare_pages(pages, "sane:test:0", progress=lambda n, t: seen.append((n, t)))
    assert [page.origin for page in prepared.pages] == ["hoja 1", "hoja 3", "hoja 5", "hoja 6"]
    assert [page.blank for page in prepared.pages] == [
        BlankVerdict.CONTENIDO,
        BlankVerdict.REVISAR,
        BlankVerdict.REVISAR,
        BlankVerdict.CONTENIDO,
    ]
    report = prepared.report
    assert report.source == "sane:test:0" and report.scanned_pages == 6
    assert report.blank_removed == (2, 4)  # positions in the scanned order
    assert report.review_pages == (2, 3)  # positions in the kept document
    assert seen == [(n, 6) for n in range(1, 7)]
    signature = prepared.pages[1]
    assert 0.0005 <= signature.ink_share <= 0.005  # the field's 0.05–0.25% band, with room
    assert (signature.turned, signature.skew_degrees) == (0, 0.0)  # review pages left alone


@pytest.mark.parametrize("skew", [-5.0, -3.0, -1.2, 1.0, 3.0, 4.5])
def test_deskew_measures_the_lean_to_a_tenth_of_a_degree(skew: float) -> None:
    page = clean_page(ScannedPage(text_page(61, 300, skew=skew), 300, "x"), orient=False)
    assert abs(page.skew_degrees + skew) <= 0.15, page.skew_degrees


def test_deskew_brings_a_3_degree_page_within_half_a_degree_and_keeps_the_corners_white(
    tmp_path: Path,
) -> None:
    """The residual lean is measured independently: the slope of the words tesseract finds on
    each line of the straightened page."""
    scan = text_page(62, 300, skew=3.0)
    page = clean_page(ScannedPage(scan, 300, "x"))
    path = tmp_path / "derecha.png"
    page.image.save(path, dpi=(300, 300))
    before, after = residual_skew(scan, tmp_path / "torcida.png"), residual_skew(page.image, path)
    print(f"inclinación medida por tesseract: antes {before:.2f}°, después {after:.2f}°")
    assert abs(before) > 2.5  # the measure sees the lean that is there
    assert abs(after) <= 0.5
    corner = page.image.crop((0, 0, 40, 40))
    assert min(corner.getextrema()) > 200  # paper, not a black wedge


def residual_skew(image: Image.Image, path: Path) -> float:
    """Median lean in degrees (anticlockwise positive) of the lines tesseract reads."""
    import math
    import statistics

    image.save(path, dpi=(300, 300))
    tsv = subprocess.run(
        ["tesseract", str(path), "-", "--dpi", "300", "-l", "spa", "tsv"],
        capture_output=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    ).stdout.decode()
    lines: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) == 12 and fields[0] == "5" and len(fields[11].strip()) >= 4:
            left, top, width, height = map(int, fields[6:10])
            lines.setdefault(tuple(fields[2:5]), []).append((left + width / 2, top + height))
    slopes = []
    for words in lines.values():
        if len(words) >= 5 and words[-1][0] - words[0][0] > 1000:
            count = len(words)
            mean_x = sum(x for x, _ in words) / count
            mean_y = sum(y for _, y in words) / count
            covariance = sum((x - mean_x) * (y - mean_y) for x, y in words)
            spread = sum((x - mean_x) ** 2 for x, _ in words)
            slopes.append(-math.degrees(math.atan(covariance / spread)))
    assert len(slopes) >= 5, "tesseract found too few long lines to measure"
    return statistics.median(slopes)


def test_upright_pages_skip_orientation_detection_and_cost_far_less_than_osd(
    tmp_path: Path,
) -> None:
    """The figures the bench quotes, per upright 300 dpi page: our orientation decision (blank
    check, line direction and lean, ascender vote), the whole clean-up (plus levelling and
    whitening), and tesseract's orientation detection run on every page at 300 dpi."""
    scans = [text_page(seed, 300, skew=0.7) for seed in (71, 72)]
    decision = whole = osd = 0.0
    for n, scan in enumerate(scans):
        started = time.perf_counter()
        page = clean_page(ScannedPage(scan, 300, "x"), deskew=False, whiten=False)
        decision += time.perf_counter() - started
        assert page.turned == 0
        started = time.perf_counter()
        clean_page(ScannedPage(scan, 300, "x"))
        whole += time.perf_counter() - started
        path = tmp_path / f"{n}.png"
        scan.save(path, dpi=(300, 300))
        started = time.perf_counter()
        assert detect_rotation(path, dpi=300) == 0
        osd += time.perf_counter() - started
    decision, whole, osd = (value / len(scans) for value in (decision, whole, osd))
    print(
        f"orientación por página a 300 ppp: nuestra decisión {decision:.2f} s "
        f"(limpieza completa {whole:.2f} s); OSD de tesseract en cada página {osd:.2f} s"
    )
    assert decision < osd / 3


def test_a_page_without_lines_is_neither_levelled_nor_turned() -> None:
    photo = Image.linear_gradient("L").resize((850, 1100))  # no paper, no lines
    for image in (photo, Image.new("L", (10, 10), 0)):
        page = clean_page(ScannedPage(image, 100, "foto"))
        assert (page.blank, page.turned, page.skew_degrees) == (BlankVerdict.CONTENIDO, 0, 0.0)
        assert page.image.tobytes() == image.tobytes()  # nor whitened


def test_orientation_detection_on_a_blank_page_is_no_rotation_not_an_error() -> None:
    blank = blank_page_with_show_through(81, DPI)
    assert osd_rotation(blank, dpi=DPI) is None  # tesseract exits with an error here


def test_modes_in_and_out() -> None:
    rgb = text_page(91, DPI, body_lines=6).convert("RGB")
    assert clean_page(ScannedPage(rgb, DPI, "color")).image.mode == "L"
    bitonal = clean_page(ScannedPage(rgb, DPI, "bn"), bitonal=True)
    assert bitonal.image.mode == "1" and bitonal.blank is BlankVerdict.CONTENIDO
    lineart = ScannedPage(bitonal.image, DPI, "lineart")
    assert clean_page(lineart).image.mode == "1"  # a black-and-white scan stays so


def test_whitening_keeps_ink_and_turns_the_grain_white() -> None:
    scan = text_page(92, DPI, body_lines=6)
    page = clean_page(ScannedPage(scan, DPI, "x"))
    paper = page.image.crop((800, 1600, 900, 1700))  # below the text
    assert paper.histogram()[255] > 0.9 * paper.width * paper.height
    assert min(page.image.getextrema()) < 60  # the toner is still dark
    grainy = clean_page(ScannedPage(scan, DPI, "x"), whiten=False).image
    assert grainy.crop((800, 1600, 900, 1700)).histogram()[255] < 0.1 * 100 * 100


def test_looks_blank_still_judges_stored_page_images(tmp_path: Path) -> None:
    blank, signed = tmp_path / "reverso.jpg", tmp_path / "firma.jpg"
    blank_page_with_show_through(93, DPI).save(blank, dpi=(DPI, DPI), quality=75)
    signature_only_page(94, DPI).save(signed, dpi=(DPI, DPI), quality=75)
    assert looks_blank(blank) is True
    assert looks_blank(signed) is False  # review, never thrown away


def test_too_big_a_page_is_refused_naming_the_limit() -> None:
    page = ScannedPage(Image.new("L", (1500, 1500), 255), 300, "sane:test:0, hoja 7")
    with pytest.raises(InvalidInput) as raised:
        clean_page(page, limits=CaptureLimits(max_image_megapixels=2))
    message = str(raised.value)
    assert "«sane:test:0, hoja 7» mide 1500 × 1500 píxeles (2.2 megapíxeles)" in message
    assert "el máximo es 2 megapíxeles (ajuste max_image_megapixels)" in message


@pytest.mark.parametrize(
    ("image", "dpi", "expected"),
    [
        (Image.new("L", (0, 0)), 300, "llegó vacía del escáner"),
        (Image.new("L", (100, 100), 255), 0, "la resolución debe estar entre 70 y 2400 ppp"),
        (Image.new("L", (100, 100), 255), 9600, "dice haberse digitalizado a 9600 ppp"),
    ],
)
def test_bad_pages_get_a_clear_message(image: Image.Image, dpi: int, expected: str) -> None:
    with pytest.raises(InvalidInput, match=expected):
        clean_page(ScannedPage(image, dpi, "hoja 1"))


def test_one_bad_page_fails_the_whole_preparation_and_nothing_is_returned() -> None:
    pages = [
        ScannedPage(text_page(95, DPI, body_lines=4), DPI, "hoja 1"),
        ScannedPage(Image.new("L", (100, 100), 255), 10, "hoja 2"),
    ]
    with pytest.raises(InvalidInput, match="«hoja 2»"):
        prepare_pages(pages, "sane:test:0")


def test_cancelling_stops_between_pages() -> None:
    cancel = threading.Event()
    made: list[int] = []

    def scanner() -> object:
        for n in range(1, 6):
            made.append(n)
            yield ScannedPage(one_word_page(n, 100), 100, f"hoja {n}")

    def progress(done: int, _total: int | None) -> None:
        if done == 2:
            cancel.set()

    with pytest.raises(CaptureCancelled, match="Se canceló la digitalización"):
        prepare_pages(scanner(), "sane:test:0", progress=progress, cancel=cancel, workers=1)  # type: ignore[arg-type]
    assert len(made) < 5  # the scanner was not drained


def test_clean_page_is_frozen() -> None:
    page = clean_page(ScannedPage(one_word_page(96, 100), 100, "x"))
    assert isinstance(page, CleanPage)
    with pytest.raises(AttributeError):
        page.turned = 90  # type: ignore[misc]
