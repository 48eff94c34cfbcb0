"""Capture benchmark: scanner pages per minute through clean-up, separator-sheet detection, and
orientation detection — each against a named baseline measured in the same run.

(a) Pages per minute from SANE's ``test`` device (feeder, 300 dpi grayscale, 200 x 200 mm, the
    largest it scans) through our source and ``prepare_pages`` (orientation, deskew, blank check,
    whitening); baseline: ``scanimage --batch`` on the same device writing raw PNM files (the
    scanner alone, no clean-up).
(b) Separator and carátula QR detection rate on 100 generated noisy sheets (200/300 dpi, skew,
    grain, blur, dull contrast, any rotation, JPEG artifacts; target 100 %), false marks on text
    pages and foreign QR codes (target 0), and the cost of ``read_mark`` per page; baseline:
    zxing-cpp on the full-size page.
(c) Orientation: accuracy and cost per page of our decision (an upright check, tesseract OSD on
    a 150 dpi copy only when doubtful) vs tesseract OSD on every page at 300 dpi, on realistic
    scanned pages lying in all four rotations (most pages at a counter come upright: the mix
    is 60 % upright).

Run: ``.venv/bin/python bench/capture.py`` (``make bench`` runs it with the others).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sane_env import (  # noqa: E402  (SANE must be pointed at the test backend first)
    sane_environment,
    use_sane_test_backend,
    write_sane_config,
)

SANE_FOLDER = use_sane_test_backend()

import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402

from mailroom.capture.cleanup import clean_page, prepare_pages  # noqa: E402
from mailroom.capture.pages import ScannedPage  # noqa: E402
from mailroom.capture.sane_options import ScanSettings  # noqa: E402
from mailroom.capture.sane_source import SaneSource  # noqa: E402
from mailroom.ocr.engine import detect_rotation  # noqa: E402
from tests.noisy_sheets import measure_marks, noisy_sheet  # noqa: E402
from tests.scanned_pages import text_page  # noqa: E402

FEEDER_PAGES = 10  # what SANE's test device holds in its feeder
SCAN_DPI = 300
AREA_MM = 200  # the test device scans at most 200 x 200 mm
DEVICE = "test:0"
# The test device's area, and a picture with lines on it (a solid black page is no page).
DEVICE_OPTIONS = {"br-x": AREA_MM, "br-y": AREA_MM}
ORIENTATION_PAGES = [0, 0, 0, 90, 0, 180, 0, 270, 0, 0, 90, 180, 0, 270, 0]


def scanner_figures() -> None:
    print(
        f"(a) SANE test device, feeder of {FEEDER_PAGES} pages, {SCAN_DPI} dpi grayscale, "
        f"{AREA_MM}x{AREA_MM} mm"
    )
    source = SaneSource(
        DEVICE,
        ScanSettings(resolution=SCAN_DPI, mode="gris", source="adf"),
        device_options=DEVICE_OPTIONS,
    )
    started = time.perf_counter()
    pages = list(source.pages())
    scanned = time.perf_counter() - started
    assert len(pages) == FEEDER_PAGES, len(pages)
    print(
        f"    our source: {len(pages)} pages in {scanned:.2f} s "
        f"({60 * len(pages) / scanned:.0f} pages/min; dpi carried: "
        f"{sorted({p.dpi for p in pages})}, pixels {sorted({p.image.size for p in pages})})"
    )
    baseline = scanimage_seconds()
    if baseline is not None:
        print(
            f"    baseline scanimage --batch, same device and settings: {FEEDER_PAGES} pages in "
            f"{baseline:.2f} s ({60 * FEEDER_PAGES / baseline:.0f} pages/min); ours / baseline "
            f"{baseline / scanned:.2f}x"
        )
    # The test device draws a grid, not a document: clean-up is timed on realistic scans
    # (text pages at 300 dpi in the counter's rotation mix), as prepare_pages runs them.
    documents = [
        ScannedPage(text_page(200 + n, SCAN_DPI, skew=0.8, turned=turned), SCAN_DPI, f"p{n}")
        for n, turned in enumerate(ORIENTATION_PAGES[:FEEDER_PAGES])
    ]
    started = time.perf_counter()
    prepared = prepare_pages(documents, "bench")
    cleanup = time.perf_counter() - started
    per_page = scanned / len(pages) + cleanup / len(documents)
    print(
        f"    clean-up of {len(documents)} realistic 300 dpi pages (orientation, deskew, blank "
        f"check, whitening; both cores): {cleanup:.2f} s, {len(prepared.pages)} kept "
        f"({60 * len(documents) / cleanup:.0f} pages/min)"
    )
    print(f"    scanner through clean-up: {60 / per_page:.0f} pages/min")


def scanimage_seconds() -> float | None:
    with tempfile.TemporaryDirectory() as folder:
        config = write_sane_config(Path(folder) / "sane", test_options={"test-picture": '"Grid"'})
        out = Path(folder) / "hoja%d.pnm"
        command = [
            "scanimage", "-d", DEVICE, "--source", "Automatic Document Feeder",
            "--mode", "Gray", "--resolution", str(SCAN_DPI), "-x", str(AREA_MM), "-y",
            str(AREA_MM), f"--batch={out}",
        ]  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(
            command, env=sane_environment(config), capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        written = len(list(Path(folder).glob("hoja*.pnm")))
    if written != FEEDER_PAGES:
        print(f"    scanimage --batch wrote {written} pages: {result.stderr.strip()[:300]}")
        return None
    return seconds


def separator_figures() -> float:
    print("(b) separator and carátula sheets: 100 noisy sheets, 10 text pages, 10 foreign QRs")
    figures = measure_marks(100)
    print(
        f"    detected {figures.detected}/{figures.sheets} ({100 * figures.rate:.0f} %), "
        f"false marks {figures.false_marks}"
    )
    print(
        f"    read_mark per page: sheet {figures.mark_ms:.1f} ms, text page "
        f"{figures.plain_ms:.1f} ms, foreign QR {figures.foreign_ms:.1f} ms"
    )
    full_detected, full_seconds = 0, 0.0
    for number in range(20):
        sheet = noisy_sheet(number, dpi=300 if number % 2 else 200)
        started = time.perf_counter()
        found = zxingcpp.read_barcodes(sheet, formats=zxingcpp.BarcodeFormat.QRCode)
        full_seconds += time.perf_counter() - started
        full_detected += any(code.text.startswith("OFICIALIA/") for code in found)
    text_seconds = 0.0
    for number in range(10):
        page = text_page(number, 300 if number % 2 else 200)
        started = time.perf_counter()
        zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
        text_seconds += time.perf_counter() - started
    print(
        f"    baseline zxing-cpp on the full page: {full_detected}/20 sheets, "
        f"{1000 * full_seconds / 20:.1f} ms a sheet, {100 * text_seconds:.1f} ms a text page"
    )
    print(
        f"    ours / full-page zxing on text pages (most of a batch): "
        f"{(100 * text_seconds) / max(figures.plain_ms, 0.01):.1f}x faster"
    )
    return figures.rate


def orientation_figures() -> None:
    print(
        f"(c) orientation on {len(ORIENTATION_PAGES)} scanned pages at 300 dpi "
        f"({ORIENTATION_PAGES.count(0)} upright, the rest turned 90/180/270)"
    )
    ours_ok, ours_times, osd_ok, osd_times = 0, [], 0, []
    with tempfile.TemporaryDirectory() as folder:
        for number, turned in enumerate(ORIENTATION_PAGES):
            image = text_page(100 + number, 300, skew=0.6, turned=turned)
            started = time.perf_counter()
            cleaned = clean_page(ScannedPage(image, 300, f"p{number}"), deskew=False, whiten=False)
            ours_times.append(time.perf_counter() - started)
            ours_ok += cleaned.turned == (360 - turned) % 360  # the turn that undoes it
            path = Path(folder) / f"{number}.png"
            image.save(path, dpi=(300, 300))
            started = time.perf_counter()
            rotation = detect_rotation(path, dpi=300)
            osd_times.append(time.perf_counter() - started)
            osd_ok += (rotation or 0) == (360 - turned) % 360
    pages = len(ORIENTATION_PAGES)
    print(
        f"    ours: {ours_ok}/{pages} right, {1000 * statistics.mean(ours_times):.0f} ms a page "
        f"(median {1000 * statistics.median(ours_times):.0f} ms)"
    )
    print(
        f"    baseline tesseract OSD on every page at 300 dpi: {osd_ok}/{pages} right, "
        f"{1000 * statistics.mean(osd_times):.0f} ms a page"
    )
    print(
        f"    ours / OSD cost: {statistics.mean(osd_times) / statistics.mean(ours_times):.1f}x "
        "cheaper"
    )


def main() -> int:
    if shutil.which("scanimage") is None or shutil.which("tesseract") is None:
        print("Faltan scanimage (sane-utils) o tesseract: ejecute make setup.")
        return 1
    Image.MAX_IMAGE_PIXELS = None
    scanner_figures()
    rate = separator_figures()
    orientation_figures()
    print("targets:")
    print(f"    separator detection 100 %: {100 * rate:.0f} %  {'PASS' if rate == 1 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
