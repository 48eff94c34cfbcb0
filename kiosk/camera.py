"""The kiosk's document camera on Qt Multimedia: a live picture for the screen and the latest
frame, whole, for a photo of a sheet or a receipt's QR.

One ``QMediaCaptureSession`` feeds one ``QVideoSink`` (never a ``QVideoWidget``: it draws
nothing offscreen, and the kiosk shows the picture in its own panel). The source is a
``QCamera``, or, for tests and benchmarks, a ``QVideoFrameInput`` (Qt 6.8+) whose frames take
the same path through the session and the sink, no camera needed.

Frames arrive at the camera's rate (often 30 a second, 1080p, in YUV). Turning one into a
``QImage`` costs about 13 ms on the kiosk's class of machine, so the frame slot only keeps the
latest ``QVideoFrame`` (shared, not copied) and a timer turns at most ``PREVIEW_RATE`` a second
into the preview, which leaves the GUI thread most of its time for the citizen's taps. What is
done with a still (a QImage → PIL copy, the sheet's crop, a QR read) belongs on a worker thread,
in the caller.

A camera that stops sending frames (unplugged, or a driver that hangs without an error) is
noticed by a watchdog and reported like a camera error, through ``failed``.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import (
    QCamera,
    QCameraDevice,
    QMediaCaptureSession,
    QMediaDevices,
    QVideoFrame,
    QVideoFrameInput,
    QVideoSink,
)

from kiosk.i18n import citizen_text
from kiosk.wording import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

PREVIEW_RATE = 15
"""Preview frames a second at most."""
PREVIEW_WIDTH = 1280
"""The preview's largest width; the panel shows it smaller still."""
STALL_SECONDS = 6.0
"""A started camera that sends no frame for this long has stopped (some take 2-3 s to start)."""
CAMERA_OFF = "no"
"""The ``kiosk_camera`` setting that means the kiosk has no camera to use."""

NO_CAMERA = QT_TRANSLATE_NOOP(
    "DocumentCamera", "No se encontró la cámara. Use el escáner o pida ayuda en la ventanilla."
)
CAMERA_DISABLED = QT_TRANSLATE_NOOP(
    "DocumentCamera",
    "La cámara está desactivada en este quiosco. Use el escáner o pida ayuda en la ventanilla.",
)
CAMERA_STOPPED = QT_TRANSLATE_NOOP(
    "DocumentCamera", "La cámara dejó de responder. Use el escáner o pida ayuda en la ventanilla."
)


def camera_names() -> list[str]:
    """The descriptions of the cameras this computer has, as ``kiosk_camera`` matches them."""
    return [device.description() for device in QMediaDevices.videoInputs()]


def find_camera(device: str) -> QCameraDevice | None:
    """The camera ``device`` names: ``""`` the system's default (else the first), otherwise the
    first whose description contains the text (any case); ``None`` when there is none."""
    wanted = device.strip().casefold()
    inputs = QMediaDevices.videoInputs()
    if not wanted:
        default = QMediaDevices.defaultVideoInput()
        return default if not default.isNull() else next(iter(inputs), None)
    return next((found for found in inputs if wanted in found.description().casefold()), None)


class DocumentCamera(QObject):
    """The camera's live picture (``frame_arrived``) and its latest frame, until ``stop``."""

    frame_arrived = Signal(QImage)  # the latest frame, at most PREVIEW_WIDTH wide
    failed = Signal(str)  # a Spanish message; the camera is already stopped

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink = QVideoSink(self)
        self._sink.videoFrameChanged.connect(self._frame_changed)
        self._session = QMediaCaptureSession(self)
        self._session.setVideoSink(self._sink)
        self._devices = QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self._inputs_changed)
        self._camera: QCamera | None = None
        self._input: QVideoFrameInput | None = None
        self._latest: QVideoFrame | None = None
        self._shown_at = 0.0
        self._preview_timer = QTimer(self, singleShot=True)
        self._preview_timer.timeout.connect(self._show_latest)
        self._watchdog = QTimer(self, singleShot=True, interval=round(STALL_SECONDS * 1000))
        self._watchdog.timeout.connect(self._stalled)

    @property
    def active(self) -> bool:
        return self._camera is not None or self._input is not None

    def start(self, device: str = "") -> bool:
        """Start the camera ``device`` names (see :func:`find_camera`; ``"no"``: none). False,
        with ``failed`` emitted, when there is none to start."""
        self.stop()
        if device.strip().casefold() == CAMERA_OFF:
            self.failed.emit(citizen_text(CAMERA_DISABLED))
            return False
        found = find_camera(device)
        if found is None:
            log.info("no hay cámara que coincida con %r entre %s", device, camera_names())
            self.failed.emit(citizen_text(NO_CAMERA))
            return False
        camera = QCamera(found)  # no parent: stop() drops the last reference, freeing the device
        camera.errorOccurred.connect(self._camera_error)
        self._camera = camera
        self._session.setCamera(camera)
        camera.start()
        if self._camera is None:  # an error while starting has stopped it already
            return False
        if camera.error() != QCamera.Error.NoError:  # one raised before we listened
            self._camera_error(camera.error(), camera.errorString())
            return False
        self._watchdog.start()
        return True

    def start_with_input(self, frame_input: QVideoFrameInput) -> None:
        """Take frames from ``frame_input`` (``sendVideoFrame``) instead of a camera: for tests
        and benchmarks, through the same session and sink as a camera's. Send a new
        ``QVideoFrame`` each time: the sink ignores a frame equal to the one it holds."""
        self.stop()
        self._input = frame_input
        self._session.setVideoFrameInput(frame_input)

    def stop(self) -> None:
        """Release the camera (its light goes off) and forget the last frame."""
        self._preview_timer.stop()
        self._watchdog.stop()
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.errorOccurred.disconnect(self._camera_error)
            camera.stop()
            self._session.setCamera(None)  # type: ignore[arg-type]  # nullptr: the stubs say no
        if self._input is not None:
            # Detached before our reference goes (nullptr, which PySide's stubs do not allow).
            self._session.setVideoFrameInput(None)  # type: ignore[arg-type]
            self._input = None
        self._latest = None
        # The sink holds a frame too: the next citizen must not see the last one's sheet.
        self._sink.setVideoFrame(QVideoFrame())

    def latest_frame(self) -> QImage | None:
        """A copy of the latest frame at full resolution; ``None`` before the first one."""
        if self._latest is None:
            return None
        image = self._latest.toImage()  # converted once per frame: the preview may have done it
        return None if image.isNull() else image.copy()

    # -- the frames ---------------------------------------------------------------------------

    def _frame_changed(self, frame: QVideoFrame) -> None:
        # Called for every frame: keep it and arm the timer, nothing more.
        if not self.active or not frame.isValid():
            return  # the empty frame stop() leaves in the sink, or one queued before stop()
        self._latest = frame
        if self._camera is not None:
            self._watchdog.start()
        if not self._preview_timer.isActive():
            waited = time.monotonic() - self._shown_at
            wait = max(0.0, 1.0 / PREVIEW_RATE - waited)
            self._preview_timer.start(round(wait * 1000))

    def _show_latest(self) -> None:
        if self._latest is None:
            return
        image = self._latest.toImage()
        if image.isNull():
            return
        self._shown_at = time.monotonic()
        if image.width() > PREVIEW_WIDTH:
            # Fast: the panel scales it down again to its own size.
            image = image.scaledToWidth(PREVIEW_WIDTH, Qt.TransformationMode.FastTransformation)
        self.frame_arrived.emit(image)

    # -- failures -----------------------------------------------------------------------------

    def _camera_error(self, error: QCamera.Error, description: str) -> None:
        log.warning("la cámara falló: %s (%s)", description, error)
        self._fail()

    def _stalled(self) -> None:
        log.warning("la cámara no envió imagen en %.0f s", STALL_SECONDS)
        self._fail()

    def _inputs_changed(self) -> None:
        camera = self._camera
        if camera is not None and camera.cameraDevice() not in QMediaDevices.videoInputs():
            log.warning("la cámara %s se desconectó", camera.cameraDevice().description())
            self._fail()

    def _fail(self) -> None:
        self.stop()
        self.failed.emit(citizen_text(CAMERA_STOPPED))
