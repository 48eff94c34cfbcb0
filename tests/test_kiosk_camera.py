"""The document camera's adapter, fed through ``QVideoFrameInput`` (this machine has no camera):
frames take the same session → sink path a camera's would, the preview is throttled, the
latest frame comes back whole, ``stop`` forgets it, and a missing camera is said in Spanish."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageChops
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameInput

from kiosk.camera import PREVIEW_RATE, DocumentCamera, camera_names
from kiosk.page_crop import crop_page
from kiosk.widgets import qimage_to_pil
from tests.camera_frames import desk_photo, lean_of

WAIT_MS = 3000


def qimage_of(picture: Image.Image) -> QImage:
    rgb = picture.convert("RGB")
    data = rgb.tobytes()
    made = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return made.convertToFormat(QImage.Format.Format_RGB32)  # a copy, and a camera-like format


def frame_of(picture: Image.Image) -> QVideoFrame:
    return QVideoFrame(qimage_of(picture))


@pytest.fixture
def camera(qtbot):  # type: ignore[no-untyped-def]
    made = DocumentCamera()
    yield made
    made.stop()
    made.deleteLater()


@pytest.fixture
def frames(camera: DocumentCamera) -> QVideoFrameInput:
    frame_input = QVideoFrameInput()
    camera.start_with_input(frame_input)
    return frame_input


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return desk_photo(tilt=-6.0, seed=31).image


def test_a_frame_is_previewed_smaller_and_kept_whole(qtbot, camera, frames, photo) -> None:  # type: ignore[no-untyped-def]
    assert camera.active and camera.latest_frame() is None

    with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS) as arrived:
        assert frames.sendVideoFrame(frame_of(photo))

    preview: QImage = arrived.args[0]
    assert (preview.width(), preview.height()) == (1280, 720)
    latest = camera.latest_frame()
    assert latest is not None and (latest.width(), latest.height()) == (1920, 1080)
    difference = ImageChops.difference(qimage_to_pil(latest), photo)
    assert max(high for _, high in difference.getextrema()) == 0


def test_stop_releases_the_source_and_forgets_the_last_frame(qtbot, camera, frames, photo) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS):
        frames.sendVideoFrame(frame_of(photo))

    camera.stop()

    assert not camera.active and camera.latest_frame() is None
    with qtbot.assertNotEmitted(camera.frame_arrived, wait=200):
        frames.sendVideoFrame(frame_of(photo))  # no longer attached: goes nowhere
    assert camera.latest_frame() is None
    # Started again, it shows what it is sent now, not what it had.
    again = QVideoFrameInput()
    camera.start_with_input(again)
    assert camera.latest_frame() is None
    with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS):
        again.sendVideoFrame(frame_of(Image.new("RGB", (640, 480), (10, 200, 30))))
    latest = camera.latest_frame()
    assert latest is not None and latest.width() == 640


def test_a_camera_turned_off_in_the_settings_does_not_start(qtbot, camera) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(camera.failed, timeout=WAIT_MS) as failed:
        assert camera.start("no") is False
    assert failed.args == [
        "La cámara está desactivada en este quiosco. Use el escáner o pida ayuda en la ventanilla."
    ]
    assert not camera.active


def test_a_camera_that_is_not_there_does_not_start(qtbot, camera) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(camera.failed, timeout=WAIT_MS) as failed:
        assert camera.start("Cámara que no existe 4K") is False
    assert failed.args == [
        "No se encontró la cámara. Use el escáner o pida ayuda en la ventanilla."
    ]
    assert not camera.active and camera.latest_frame() is None


def test_no_camera_on_this_machine_means_the_first_one_does_not_start(qtbot, camera) -> None:  # type: ignore[no-untyped-def]
    if camera_names():
        pytest.skip(f"this machine has a camera: {camera_names()}")
    with qtbot.waitSignal(camera.failed, timeout=WAIT_MS) as failed:
        assert camera.start() is False
    assert failed.args == [
        "No se encontró la cámara. Use el escáner o pida ayuda en la ventanilla."
    ]


class Pusher(QObject):
    """Sends frames through a ``QVideoFrameInput`` from a timer, faster than a camera does."""

    finished = Signal()

    def __init__(self, frame_input: QVideoFrameInput, frames: list[QVideoFrame]) -> None:
        super().__init__()
        self.frame_input, self.frames = frame_input, list(frames)
        self.timer = QTimer(self, interval=10)  # 100 a second
        self.timer.timeout.connect(self._push)

    def _push(self) -> None:
        if not self.frames:
            self.timer.stop()
            self.finished.emit()
            return
        self.frame_input.sendVideoFrame(self.frames.pop(0))


def test_a_flood_of_frames_is_previewed_at_most_fifteen_times_a_second(
    qtbot, camera, frames, photo
) -> None:  # type: ignore[no-untyped-def]
    shown: list[float] = []
    camera.frame_arrived.connect(lambda _image: shown.append(time.monotonic()))
    picture = qimage_of(photo)
    # A new QVideoFrame each time: the sink ignores a frame equal to the one it holds.
    pusher = Pusher(frames, [QVideoFrame(picture) for _ in range(100)])
    started = time.monotonic()
    with qtbot.waitSignal(pusher.finished, timeout=10_000):
        pusher.timer.start()
    finished = time.monotonic()
    with qtbot.waitSignal(camera.frame_arrived, timeout=200, raising=False):
        pass  # the last frame's preview, when it is still due
    elapsed = max(finished, *shown) - started
    rate = len(shown) / elapsed
    print(f"100 frames in {finished - started:.2f} s → {len(shown)} previews ({rate:.1f}/s)")
    assert len(shown) >= 10 and rate <= 20
    gaps = [later - earlier for earlier, later in zip(shown, shown[1:], strict=False)]
    # Qt's coarse timers may fire up to 5% early.
    assert all(gap >= 0.9 / PREVIEW_RATE for gap in gaps), gaps


def test_frames_sent_all_at_once_give_one_preview_of_the_last(qtbot, camera, frames) -> None:  # type: ignore[no-untyped-def]
    colours = [(level, 255 - level, 90) for level in range(0, 200, 2)]
    with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS) as arrived:
        for colour in colours:
            frames.sendVideoFrame(frame_of(Image.new("RGB", (320, 240), colour)))
    with qtbot.assertNotEmitted(camera.frame_arrived, wait=300):
        pass
    preview: QImage = arrived.args[0]
    assert qimage_to_pil(preview).getpixel((5, 5)) == colours[-1]


def test_the_latest_frame_crops_to_a_level_sheet_off_the_gui_thread(
    qtbot, camera, frames, photo
) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(camera.frame_arrived, timeout=WAIT_MS):
        frames.sendVideoFrame(frame_of(photo))
    still = camera.latest_frame()
    assert still is not None

    # As the kiosk does: the still is converted and cropped on a worker thread.
    with ThreadPoolExecutor(max_workers=1) as worker:
        cropped = worker.submit(lambda: crop_page(qimage_to_pil(still))).result(timeout=30)

    assert cropped.angle == pytest.approx(6.0, abs=1.0)
    assert abs(lean_of(cropped.image)) <= 0.5
    assert cropped.image.width == pytest.approx(700, rel=0.03)


@pytest.mark.parametrize("size", [(333, 211), (1, 1)])
def test_qimage_to_pil_copies_every_row(qapp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Odd widths pad each row of an RGB888 QImage: the stride must be honoured."""
    picture = Image.effect_noise(size, 60).convert("RGB")
    picture.putpixel((size[0] - 1, size[1] - 1), (255, 0, 0))
    copied = qimage_to_pil(qimage_of(picture))
    assert copied.mode == "RGB" and copied.size == size
    assert copied.tobytes() == picture.tobytes()


def test_qimage_to_pil_turns_grey_into_rgb(qapp) -> None:  # type: ignore[no-untyped-def]
    gray = QImage(4, 3, QImage.Format.Format_Grayscale8)
    gray.fill(77)
    assert qimage_to_pil(gray).getpixel((3, 2)) == (77, 77, 77)
    with pytest.raises(ValueError):
        qimage_to_pil(QImage())
