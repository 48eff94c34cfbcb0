"""A scripted citizen for the kiosk's window, and the real parts it stands in front of.

The citizen does only what a person at the panel could: tap a button it can see (found by the
words on it, or by its accessible name for the many «Quitar» under the pages), and type into a
box it can see after tapping it. Every tap is counted: the count is how long the kiosk makes a
person work, and it is printed so a change that adds taps shows in the test output.

The kiosk is real: a ``KioskDesk`` on a fresh data folder, SANE's ``test`` scanner (its feeder
gives ten sheets per scan), the real task helper on its own thread pool, and the fake ESC/POS
printer on 127.0.0.1 that ships with the kiosk. OCR and sync are not started (``desk.start()`` is
not called): a registration does not wait for them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, Qt, QThreadPool
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from kiosk.desk import KioskDesk
from kiosk.fake_printer import FakeReceiptPrinter
from kiosk.i18n import SPANISH, use_language
from kiosk.session import KioskSession, Screen, Timing
from kiosk.window import KioskWindow
from mailroom.config import load_settings
from mailroom.ui.tasks import TaskRunner

SCANNER = "sane:test:0"
FEEDER_SHEETS = 10  # SANE's test device: ten sheets per scan from its feeder
GOOD_CURP = "HEGT761003MDFRNN07"
WAIT_MS = 30_000


class Citizen:
    def __init__(self, qtbot, window: KioskWindow) -> None:  # type: ignore[no-untyped-def]
        self.qtbot, self.window = qtbot, window
        self.taps = 0

    # -- looking -----------------------------------------------------------------------------

    @staticmethod
    def on_screen(widget: QWidget) -> bool:
        """Shown and not scrolled away or covered (a widget in a hidden screen is not)."""
        return widget.isVisible() and not widget.visibleRegion().isEmpty()

    def buttons(self) -> list[QPushButton]:
        return [b for b in self.window.findChildren(QPushButton) if self.on_screen(b)]

    def button(self, words: str) -> QPushButton:
        found = [b for b in self.buttons() if words in (b.text(), b.accessibleName())]
        shown = sorted(b.text() for b in self.buttons())
        assert found, f"no «{words}» on the screen; the buttons there: {shown}"
        assert len(found) == 1, f"{len(found)} buttons «{words}» on the screen"
        return found[0]

    def sees_button(self, words: str) -> bool:
        return any(words in (b.text(), b.accessibleName()) for b in self.buttons())

    def sees(self, words: str) -> bool:
        return any(words in label.text() for label in self.window.findChildren(QLabel)
                   if self.on_screen(label))  # fmt: skip

    def box(self, name: str) -> QLineEdit:
        found = [e for e in self.window.findChildren(QLineEdit)
                 if e.accessibleName() == name and self.on_screen(e)]  # fmt: skip
        assert len(found) == 1, f"no box «{name}» on the screen"
        return found[0]

    # -- acting ------------------------------------------------------------------------------

    def tap(self, words: str) -> None:
        button = self.button(words)
        assert button.isEnabled(), f"«{words}» is off"
        assert button.height() >= 64, f"«{words}» is {button.height()} px tall"
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        self.taps += 1

    def type_into(self, name: str, text: str) -> None:
        box = self.box(name)
        assert box.isEnabled() and box.height() >= 64
        self.qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        self.taps += 1
        for character in text:
            if character.isascii():
                self.qtbot.keyClicks(box, character)
            else:  # QTest maps only ASCII to keys; an on-screen keyboard sends the text itself
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
                    QApplication.sendEvent(box, event)

    def wait_for(self, screen: Screen, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: self.window.session.screen is screen, timeout=timeout)
        self.qtbot.waitUntil(lambda: self.window.screen_widget().isVisible(), timeout=timeout)

    def footer_is_there(self) -> None:
        """«Atrás» and «Cancelar», as on every step."""
        assert self.button("Atrás").isEnabled() and self.button("Cancelar").isEnabled()


@dataclass
class Kiosk:
    window: KioskWindow
    desk: KioskDesk
    session: KioskSession
    citizen: Citizen
    printer: FakeReceiptPrinter
    data_dir: Path


OpenKiosk = Callable[..., Kiosk]


@contextmanager
def kiosks(qtbot, data_dir: Path, printer: FakeReceiptPrinter) -> Iterator[OpenKiosk]:  # type: ignore[no-untyped-def]
    """``open_kiosk(timing=, max_pages=, **settings)`` for the test's ``open_kiosk`` fixture (a
    fixture imported by name trips ruff's F811: each module has its three lines)."""
    opened: list[tuple[Kiosk, TaskRunner, QThreadPool]] = []

    def open_one(timing: Timing | None = None, max_pages: int = 30, **settings: object) -> Kiosk:
        camera = settings.pop("camera", None)
        speaker = settings.pop("speaker", None)
        loaded = load_settings(data_dir, device="K07", scanner=SCANNER)
        changes = {"kiosk_printer": printer.spec, "kiosk_camera": "no", **settings}
        desk = KioskDesk(dataclasses.replace(loaded, **changes))  # type: ignore[arg-type]
        pool = QThreadPool()
        pool.setMaxThreadCount(4)
        runner = TaskRunner(pool)
        session = KioskSession(timing=timing or Timing(), max_pages=max_pages)
        window = KioskWindow(desk, runner, session, camera=camera, speaker=speaker)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.resize(1920, 1080)
        with qtbot.waitActive(window):  # typing needs the keyboard focus, so an active window
            window.show()
            window.activateWindow()
        kiosk = Kiosk(window, desk, session, Citizen(qtbot, window), printer, data_dir)
        opened.append((kiosk, runner, pool))
        return kiosk

    try:
        yield open_one
    finally:
        for kiosk, runner, pool in opened:
            runner.wait_all(30_000)
            pool.waitForDone(30_000)
            if shiboken6.isValid(kiosk.window):  # pytest-qt may have closed and deleted it
                kiosk.window.close()
            kiosk.desk.close()
        # The language is the application's (Qt's translators): the next test starts in Spanish.
        use_language(QApplication.instance(), SPANISH)  # type: ignore[arg-type]


def add_catalogs(desk: KioskDesk) -> None:
    """Two departments and a procedure, as a sync would bring them."""
    departments = [("OBRAS", "Dirección de Obras Públicas"), ("TESO", "Tesorería Municipal")]
    procedures = [("LIC-CONS", "Licencia de construcción", "OBRAS")]

    def write(db) -> None:  # type: ignore[no-untyped-def]
        for name in ("departments", "procedures"):
            db.execute(
                "INSERT INTO catalogs (name, etag, fetched_at, body) VALUES (?, '', '', '{}')",
                [name],
            )
        for code, name in departments:
            db.execute("INSERT INTO catalog_items VALUES ('departments', ?, ?, ?)",
                       [code, name, json.dumps({"code": code, "name": name})])  # fmt: skip
        for code, name, department in procedures:
            data = json.dumps({"code": code, "name": name, "department": department})
            db.execute("INSERT INTO catalog_items VALUES ('procedures', ?, ?, ?)",
                       [code, name, data])  # fmt: skip

    desk.store.write(write)


def walk_to_document(kiosk: Kiosk, *, curp: str = GOOD_CURP) -> None:
    """Welcome → privacy → identity → topic, checking the footer on each step."""
    citizen = kiosk.citizen
    citizen.tap("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    citizen.footer_is_there()
    citizen.tap("Acepto y continúo")
    citizen.wait_for(Screen.IDENTITY)
    citizen.footer_is_there()
    citizen.type_into("Nombre completo", "Rosalía Ñúñez Quintero")
    citizen.type_into("CURP", curp)
    citizen.tap("Continuar")
    citizen.wait_for(Screen.SUBJECT)
    citizen.footer_is_there()
    citizen.type_into("Asunto", "Solicitud de poda de un árbol")
    citizen.tap("Continuar")
    citizen.tap("No sé")
    citizen.wait_for(Screen.DOCUMENT)
    citizen.footer_is_there()


def scan(kiosk: Kiosk, pages: int = FEEDER_SHEETS) -> None:
    citizen = kiosk.citizen
    citizen.tap("Digitalizar")
    citizen.qtbot.waitUntil(
        lambda: citizen.sees(f"{pages} páginas. Revise que se vean bien."), timeout=WAIT_MS
    )


def keep_first_pages(kiosk: Kiosk, keep: int) -> None:
    """«Quitar» under the first page after the ones kept, until only those are left."""
    while kiosk.session.answers.pages > keep:
        kiosk.citizen.tap(f"Quitar la página {keep + 1}")
