"""The kiosk's proof, end to end on real parts: a scripted citizen who may only tap what is on
the screen files a three-page escrito while the state backend cannot be reached (the reference
backend under uvicorn behind ``tests/fault_proxy.py``, resetting every connection); the receipt
the ESC/POS printer on 127.0.0.1 received decodes to an image in which tesseract reads the folio
and zxing-cpp the QR; the link comes back and the filing reaches the backend exactly once; then
the citizen holds that receipt to the document camera (frames fed through ``QVideoFrameInput``)
and sees the trámite's status."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")
pytest.importorskip("uvicorn", reason="el servidor de referencia necesita el extra [server]")

import pytesseract  # noqa: E402
import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameInput  # noqa: E402

from kiosk.camera import DocumentCamera  # noqa: E402
from kiosk.fake_printer import FakeReceiptPrinter  # noqa: E402
from kiosk.session import Screen  # noqa: E402
from mailroom.filings import get_filing  # noqa: E402
from mailroom.models import SyncStatus  # noqa: E402
from sync import enrolment  # noqa: E402
from sync.transport import Transport  # noqa: E402
from tests.backend_server import running_backend  # noqa: E402
from tests.fault_proxy import PASS, Fault, FaultProxy  # noqa: E402
from tests.kiosk_citizen import WAIT_MS, keep_first_pages, kiosks, scan, walk_to_document  # noqa: E402
from tests.sane_env import use_sane_test_backend  # noqa: E402


class FedCamera(DocumentCamera):
    """The kiosk's camera, whole (capture session, video sink, preview, stills), fed through
    ``QVideoFrameInput`` instead of a device this machine does not have: when the screen asks
    it to start, it takes the test's frames."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = QVideoFrameInput()

    def start(self, device: str = "") -> bool:
        self.start_with_input(self.frames)
        return True

    def show(self, image: QImage) -> None:
        self.frames.sendVideoFrame(QVideoFrame(image))  # a new frame each time (see the camera)


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


class Link:
    """Whether the kiosk's network reaches the backend (every connection reset while down)."""

    def __init__(self) -> None:
        self.down = threading.Event()

    def choose(self, _: int) -> Fault:
        return Fault(kind="reset") if self.down.is_set() else PASS


@pytest.fixture
def printer() -> Iterator[FakeReceiptPrinter]:
    with FakeReceiptPrinter() as fake:
        yield fake


def read_folio(receipt: Image.Image) -> str:
    big = receipt.convert("L").resize((receipt.width * 2, receipt.height * 2))
    return re.sub(r"\s+", "", pytesseract.image_to_string(big, lang="spa"))


def as_frames(receipt: Image.Image) -> QImage:
    """The receipt on a grey desk in front of a 1280×720 camera."""
    desk = Image.new("RGB", (1280, 720), (90, 90, 90))
    paper = receipt.convert("RGB")
    paper.thumbnail((600, 700))
    desk.paste(paper, ((1280 - paper.width) // 2, (720 - paper.height) // 2))
    data = desk.tobytes()
    return QImage(data, 1280, 720, 1280 * 3, QImage.Format.Format_RGB888).copy()


def test_filed_offline_synced_once_then_found_by_its_qr(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, data_dir: Path, printer: FakeReceiptPrinter
) -> None:
    link = Link()
    with (
        running_backend(tmp_path / "servidor") as backend,
        FaultProxy(int(backend.url.rsplit(":", 1)[1]), link.choose) as proxy,
        kiosks(qtbot, data_dir, printer) as open_kiosk,
    ):
        camera = FedCamera()
        kiosk = open_kiosk(
            kiosk_camera="",
            camera=camera,
            backend_url=proxy.url,
            sync_connect_timeout_seconds=2,
            sync_read_timeout_seconds=2,
            sync_offline_interval_seconds=1,
        )
        desk, citizen = kiosk.desk, kiosk.citizen
        enrolment.enroll(
            desk.store,
            Transport(proxy.url),
            backend.enrolment_token(desk.settings.office),
            desk.settings.device,
            datetime.now(UTC),
        )
        link.down.set()
        desk.start()  # OCR and the sync loop, as the kiosk app does

        walk_to_document(kiosk)
        scan(kiosk)
        keep_first_pages(kiosk, 3)
        citizen.tap("Continuar")
        citizen.wait_for(Screen.FOJAS)
        citizen.tap("Sí")
        citizen.wait_for(Screen.REVIEW)
        citizen.tap("Registrar")
        citizen.wait_for(Screen.DONE)
        taps = citizen.taps
        print(f"\nTaps to file a three-page escrito offline: {taps}")
        folio = kiosk.window.screen_widget().folio.text()  # type: ignore[attr-defined]
        assert folio

        [receipt] = printer.receipts()
        assert folio in read_folio(receipt)
        [qr] = zxingcpp.read_barcodes(receipt)
        filing = get_filing(desk.store.reader(), folio)
        assert f"folio={folio}" in qr.text
        qtbot.waitUntil(lambda: proxy.stats["reset"] >= 1, timeout=WAIT_MS)
        assert get_filing(desk.store.reader(), folio).sync_status is not SyncStatus.SINCRONIZADA

        link.down.clear()
        desk.workstation.sync.worker.request_sync()

        def arrived() -> bool:
            state = get_filing(desk.store.reader(), folio).sync_status
            return state is SyncStatus.SINCRONIZADA

        qtbot.waitUntil(arrived, timeout=60_000)
        with backend.backend.connect() as connection:
            count = connection.execute(
                "SELECT count(*) FROM filings WHERE uuid = ?", [filing.id]
            ).fetchone()[0]
        assert count == 1  # exactly once

        citizen.tap("Terminar")
        citizen.wait_for(Screen.WELCOME)
        citizen.tap("Consultar un trámite")
        citizen.tap("Mostrar el QR a la cámara")
        assert camera.active
        frame = as_frames(receipt)
        with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS):
            camera.show(frame)

        def found() -> bool:
            if kiosk.session.screen is not Screen.LOOKUP_RESULT:
                camera.show(frame)  # a camera keeps sending frames until the QR is read
                return False
            return True

        qtbot.waitUntil(found, timeout=WAIT_MS)
        citizen.wait_for(Screen.LOOKUP_RESULT)
        assert citizen.sees(folio)
        assert citizen.sees("Última sincronización")
        assert not camera.active  # released once read
        print(f"Taps in all, lookup included: {citizen.taps}")
