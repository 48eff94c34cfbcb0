"""The self-test's checks that need Qt (see :mod:`mailroom.selftest`): the plugins a packaged
build must carry, and each app painting one frame offscreen."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mailroom.errors import SelfTestFailed
from mailroom.ui.shell import platform_plugin


def check_qt_plugins(folder: Path) -> str:
    from PySide6.QtCore import QLibraryInfo

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    qml = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.QmlImportsPath))
    wanted = {
        "pantalla (platforms)": _platform_names(),
        "formatos de imagen": ("imageformats",),
        "voz (texttospeech)": ("texttospeech",),
        "multimedia": ("multimedia",),
    }
    missing = []
    for label, names in wanted.items():
        if label.startswith("pantalla"):
            found = [n for n in names if platform_plugin(plugins / "platforms", n) is not None]
            missing += [f"{label}: {n}" for n in names if n not in found]
        elif not any((plugins / name).is_dir() for name in names):
            missing.append(label)
    if not (qml / "QtQuick" / "VirtualKeyboard").is_dir():
        missing.append("teclado en pantalla (QML QtQuick.VirtualKeyboard)")
    if missing:
        raise SelfTestFailed(
            f"faltan complementos de Qt en {plugins}: {', '.join(missing)}. Reinstale Oficialía."
        )
    return f"{', '.join(_platform_names())}, imágenes, voz, multimedia y teclado"


def _platform_names() -> tuple[str, ...]:
    if sys.platform == "win32":
        return ("windows", "offscreen")
    return ("xcb", "offscreen")


def check_clerk_window(folder: Path) -> str:
    from mailroom.config import load_settings
    from mailroom.ui.app import build_app

    running = build_app(load_settings(folder / "datos"), start_background=False)
    try:
        running.window.resize(1366, 768)
        return _painted(running.window.grab(), "la ventanilla")
    finally:
        running.close()


def check_kiosk(folder: Path) -> str:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from kiosk.app import StartOptions, open_kiosk
    from kiosk.fake_printer import FakeReceiptPrinter
    from mailroom.config import load_settings

    with FakeReceiptPrinter() as printer:
        settings = load_settings(
            folder / "datos", kiosk_printer=printer.spec, kiosk_camera="no", device="K99"
        )
        running = open_kiosk(settings, StartOptions(full_screen=False))
        try:
            deadline = time.monotonic() + 60
            while running.parts is None and time.monotonic() < deadline:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if running.parts is None:
                raise SelfTestFailed("el quiosco no terminó de abrir en 60 s")
            QCoreApplication.processEvents()
            return _painted(running.shell.grab(), "el quiosco")
        finally:
            running.close()


def _painted(pixmap: object, what: str) -> str:
    from PySide6.QtGui import QImage, QPixmap

    assert isinstance(pixmap, QPixmap)
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32)
    if image.isNull() or image.width() < 100:
        raise SelfTestFailed(f"{what} no se pudo pintar")
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 13) for y in range(0, image.height(), 13)
    }
    if len(colours) < 3:
        raise SelfTestFailed(f"{what} se pintó en blanco: falta texto o estilo")
    return f"un cuadro de {image.width()}×{image.height()} pintado"
