"""The work the screens hand to the task helper: reading pages from the scanner or a camera
still into the citizen's capture, and reading a receipt's QR. Qt-free; every function here runs
on a worker thread and raises an ``OficialiaError`` with a Spanish message a citizen can act on.

Pages are read from the feeder (a kiosk's escrito is several sheets); a scanner without one is
asked for its glass instead, so a flatbed-only kiosk still works one page per tap.
"""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from kiosk.wording import QT_TRANSLATE_NOOP, Wording, refusal
from mailroom.capture.sane_errors import (
    CoverOpen,
    FeederEmpty,
    PaperJam,
    ScannerBusy,
    ScannerOptionUnavailable,
)
from mailroom.capture.sane_options import ScanSettings
from mailroom.capture.session import Arrival, CaptureSession, SessionPage
from mailroom.capture.sources import open_source
from mailroom.config import Settings
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.ocr.engine import MAX_DPI, MIN_DPI

LETTER_WIDTH_INCHES = 8.5
"""A cropped photo is taken to be a letter-size sheet (the usual escrito) for its resolution."""
NO_QR_WORDING = QT_TRANSLATE_NOOP(
    "ScannerOps",
    "No encontramos el código QR en la hoja. Ponga su ticket boca abajo sobre el cristal del "
    "escáner y pruebe otra vez.",
)
NO_QR = NO_QR_WORDING.source
SCANNER_UNAVAILABLE_WORDING = QT_TRANSLATE_NOOP(
    "ScannerOps",
    "El escáner no está disponible en este momento. Por favor, entregue su escrito en "
    "ventanilla, o inténtelo más tarde.",
)
SCANNER_UNAVAILABLE = SCANNER_UNAVAILABLE_WORDING.source
UNREADABLE_PAGE = QT_TRANSLATE_NOOP(
    "ScannerOps", "No pudimos leer esa hoja. Revise que esté bien colocada y vuelva a intentarlo."
)
SCANNER_WORDINGS: dict[type[OficialiaError], Wording] = {
    FeederEmpty: QT_TRANSLATE_NOOP("ScannerOps",
        "El escáner no tiene hojas. Coloque su escrito en la bandeja del escáner."),
    PaperJam: QT_TRANSLATE_NOOP("ScannerOps",
        "Se atoró una hoja en el escáner. Sáquela con cuidado y revise que no tenga grapas."),
    CoverOpen: QT_TRANSLATE_NOOP("ScannerOps",
        "La tapa del escáner está abierta. Ciérrela bien."),
    ScannerBusy: QT_TRANSLATE_NOOP("ScannerOps",
        "El escáner está ocupado. Espere unos segundos."),
}  # fmt: skip
"""The kiosk's words for what the citizen can fix at the scanner (the scanner's own messages
are written for clerks)."""
CITIZEN_FAULTS = (FeederEmpty, PaperJam, CoverOpen, ScannerBusy, InvalidInput)
"""What a citizen can fix at the scanner (no sheets, a jam, the cover, a blank scan); any
other fault (no scanner, no permission, a cable) is for staff, who read it in the log."""

PagePublisher = Callable[[SessionPage], None]


def citizen_message(error: OficialiaError) -> Wording | OficialiaError | None:
    """What the citizen reads of a fault they can fix (the kiosk's words, or the error when it
    carries a kiosk wording); ``None``: staff's to fix (the citizen reads
    ``SCANNER_UNAVAILABLE``)."""
    if not isinstance(error, CITIZEN_FAULTS + _photo_errors()):
        return None
    for kind, wording in SCANNER_WORDINGS.items():
        if isinstance(error, kind):
            return wording
    if isinstance(error.details.get("wording"), Wording):
        return error
    return UNREADABLE_PAGE  # the capture's checks (a blank image, too large): said for clerks


def _photo_errors() -> tuple[type[OficialiaError], ...]:
    try:  # a photo without a whole sheet on it: the citizen moves the sheet and tries again
        from kiosk.page_crop import PhotoError
    except ImportError:  # a build without the camera's cropping
        return ()
    return (PhotoError,)


def preview(page: SessionPage, side: int) -> Image.Image:
    """The page large enough to see what it is (the capture keeps 160 px thumbnails)."""
    with Image.open(io.BytesIO(page.encoded)) as image:
        image.draft("L", (side, side))  # JPEG: decode at a fraction of the size, much faster
        small = image.convert("L")
    small.thumbnail((side, side), reducing_gap=2.0)
    return small


def scan_into(
    capture: CaptureSession,
    spec: str,
    cancel: threading.Event,
    on_page: PagePublisher,
    progress: Callable[[int, int | None], None] | None = None,
) -> Arrival:
    def read(source: str) -> Arrival:
        return capture.read(spec, scan=ScanSettings(source=source), progress=progress,
                            cancel=cancel, on_page=on_page)  # fmt: skip

    if not spec.startswith("sane:"):
        return capture.read(spec, progress=progress, cancel=cancel, on_page=on_page)
    try:
        return read("adf")
    except ScannerOptionUnavailable:
        return read("plano")  # no feeder: one sheet from the glass


def photo_into(
    capture: CaptureSession,
    frame: Image.Image,
    folder_for: Callable[[], Path],
    cancel: threading.Event,
    on_page: PagePublisher,
) -> Arrival:
    """A camera still, cropped to the sheet, read into the capture as one page. The PNG lives
    only while it is read: the capture keeps its own copy."""
    from kiosk.page_crop import crop_page

    cropped = crop_page(frame).image
    dpi = round(cropped.width / LETTER_WIDTH_INCHES)
    dpi = max(MIN_DPI, min(MAX_DPI, dpi))
    folder = folder_for()
    try:
        path = folder / "foto.png"
        cropped.save(path, dpi=(dpi, dpi))
        return capture.read(f"file:{path}", cancel=cancel, on_page=on_page)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_qr(image: Image.Image) -> str | None:
    """The text of the first QR code in ``image``, or ``None``."""
    import zxingcpp

    qr_only = zxingcpp.BarcodeFormat.QRCode  # decoding only QR codes is faster
    for found in zxingcpp.read_barcodes(image, formats=qr_only):  # type: ignore[arg-type]
        if found.text:
            return str(found.text)
    return None


def scan_for_qr(settings: Settings, spec: str, cancel: threading.Event) -> str:
    """One sheet from the scanner's glass (the feeder without one), and the QR on it."""
    for source in ("plano", "adf"):
        try:
            pages = open_source(spec, settings, ScanSettings(source=source)).pages(cancel=cancel)
            page = next(iter(pages), None)
            if hasattr(pages, "close"):
                pages.close()  # the device is released now, not when collected
        except ScannerOptionUnavailable:
            continue
        if page is None:
            break
        text = read_qr(page.image)
        if text:
            return text
        break
    raise refusal(NO_QR_WORDING, "qr")
