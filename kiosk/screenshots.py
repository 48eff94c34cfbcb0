"""``make screenshots``: every screen of the citizen's kiosk rendered to PNG at 1920×1080.

    python -m kiosk.screenshots OUT_DIR [--only quiosco-listo] [--work-dir CARPETA]

Opens the real kiosk (``kiosk.app.open_kiosk``, in a 1920×1080 window) on its demo profile in a
work folder (``build/capturas-quiosco`` of the repository unless ``--work-dir`` says otherwise;
removed at the end): the demo e.firma opened at start, SANE's ``test`` scanner, the receipt
printer on 127.0.0.1, no camera and no server. It is then driven as a citizen would: buttons
tapped by the words on them, a name typed with its accents and its Ñ, an escrito scanned from
the feeder, registered, then looked up with the folio and code of its ticket; then the idle
warning (by the window's own timer), the admin screen (the demo PIN on its pad) and «Fuera de
servicio». Every waiting is on the kiosk's own state, polled through the event loop with a time
limit; nothing sleeps.

Each shot also lists the texts the layout cut (``mailroom.ui.screen_check.cut_texts``, with its
checks for wrapped labels too: the kiosk's type is large): the script fails when any is cut.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from kiosk.app import KioskParts, RunningKiosk, StartOptions, open_kiosk
from kiosk.audit import ScreenAudit, measure, table
from kiosk.demo import DEMO_PIN, KioskDemo, prepare_kiosk_demo
from kiosk.i18n import (
    NAME_SOURCE,
    SOURCE_CODE,
    SPANISH,
    available_languages,
    catalogue,
    current_code,
    use_language,
)
from kiosk.session import Screen, Timing
from kiosk.theme import LOOKS, NORMAL, Look
from kiosk.widgets import qimage_to_pil
from mailroom.capture.sane_source import no_scanner_message
from mailroom.errors import OficialiaError
from mailroom.ui.screen_check import ScreenshotError, settle, wait_until

WIDTH, HEIGHT = 1920, 1080
REPOSITORY = Path(__file__).resolve().parents[1]
CITIZEN = "María Guadalupe Hernández Ñúñez"
PHONE = "55 1234 5678"
SUBJECT = "Solicitud de poda de un árbol frente a mi domicilio"
FLOW = (
    "quiosco-bienvenida",
    "quiosco-aviso",
    "quiosco-identidad",
    "quiosco-inactividad",
    "quiosco-asunto",
    "quiosco-documento",
    "quiosco-hojas",
    "quiosco-revision",
    "quiosco-listo",
    "quiosco-consulta",
    "quiosco-resultado",
)
"""The citizen's screens in the order one person meets them (the idle warning over the
identity screen, with the name typed: what it would erase)."""
SCREENS = (*FLOW, "quiosco-administracion", "quiosco-fuera-de-servicio")
PROFILE_FOLDER = "demo-quiosco"
START_SECONDS = 60.0
REGISTER_SECONDS = 120.0  # sealed with the e.firma and printed: seconds on a slow machine


class KioskShooter:
    """Drives one running kiosk through its screens and saves the ones asked for."""

    def __init__(
        self,
        running: RunningKiosk,
        out_dir: Path,
        only: Sequence[str],
        look: Look = NORMAL,
        language: str = SOURCE_CODE,
    ) -> None:
        self.running = running
        self.shell = running.shell
        self.out_dir = out_dir
        self.only = set(only)
        self.look = look
        self.language = language
        self.saved: list[Path] = []
        self.cut: dict[str, list[str]] = {}
        self.audits: list[ScreenAudit] = []
        self.folio = ""
        self.check_code = ""

    @property
    def parts(self) -> KioskParts:
        parts = self.shell.parts
        if parts is None:
            raise ScreenshotError("El quiosco no está en servicio: " + self._notice())
        return parts

    def _notice(self) -> str:
        notice = self.shell.out_of_service
        return f"{notice.title.text()} {notice.staff.text()}".strip()

    def shot(self, name: str) -> None:
        if name not in self.only:
            return
        wait_until(lambda: self.running.runner.active == 0, "que el quiosco termine lo que hace")
        settle()
        self.shell.repaint()
        path = self.out_dir / f"{file_name(name, self.look, self.language)}.png"
        image = self.shell.grab()
        if (image.width(), image.height()) != (WIDTH, HEIGHT):
            raise ScreenshotError(f"{name}: la ventana mide {image.width()}×{image.height()}, no "
                                  f"{WIDTH}×{HEIGHT}.")  # fmt: skip
        if not image.save(str(path), "PNG"):
            raise ScreenshotError(f"No se pudo escribir {path}.")
        self.saved.append(path)
        audit = measure(self.shell, qimage_to_pil(image.toImage()), screen=name,
                        language=self.language, look=self.look,
                        catalogue=untranslated_sources() if name in FLOW else ())  # fmt: skip
        self.audits.append(audit)
        if audit.cut:
            self.cut[name] = list(audit.cut)

    def say(self, words: str) -> str:
        """``words`` as the kiosk shows them in the citizen's language."""
        return translated(words) if self.language != SOURCE_CODE else words

    def choose_look(self) -> None:
        """The citizen's taps on their language, «Letra grande» and «Alto contraste», on the
        welcome screen (the wipe undid them)."""
        if self.language != SOURCE_CODE:
            data_dir = self.parts.desk.settings.data_dir
            names = {lang.code: lang.name for lang in available_languages(data_dir)}
            if self.language not in names:
                raise ScreenshotError(f"El quiosco no tiene el idioma {self.language}.")
            self.tap(names[self.language], translate=False)
            wait_until(lambda: current_code() == self.language, "el idioma", 10)
            self.wait_for(Screen.WELCOME)
        for wanted, words in ((self.look.large, "Letra grande"),
                              (self.look.contrast, "Alto contraste")):  # fmt: skip
            if wanted:
                self.tap(words)

    # -- what a person at the panel does -----------------------------------------------------

    def buttons(self) -> list[QPushButton]:
        return [b for b in self.shell.findChildren(QPushButton)
                if b.isVisible() and not b.visibleRegion().isEmpty()]  # fmt: skip

    def tap(self, words: str, *, translate: bool = True) -> None:
        """The one button on the screen with these words (or this accessible name), in the
        citizen's language."""
        words = self.say(words) if translate else words
        found = [b for b in self.buttons() if words in (b.text(), b.accessibleName())]
        if len(found) != 1:
            shown = sorted(b.text() for b in self.buttons())
            raise ScreenshotError(f"{len(found)} botones «{words}» en pantalla; hay: {shown}")
        wait_until(found[0].isEnabled, f"el botón «{words}» activo", 30)
        QTest.mouseClick(found[0], Qt.MouseButton.LeftButton)

    def type_into(self, name: str, text: str) -> None:
        """Tap the box asking for ``name`` and type; an on-screen keyboard sends each letter's
        text, accents and Ñ included (QTest maps only ASCII to keys)."""
        name = self.say(name)
        boxes = [e for e in self.shell.findChildren(QLineEdit)
                 if e.accessibleName() == name and e.isVisible()]  # fmt: skip
        if len(boxes) != 1:
            raise ScreenshotError(f"No hay un recuadro «{name}» en pantalla.")
        box = boxes[0]
        QTest.mouseClick(box, Qt.MouseButton.LeftButton)
        for character in text:
            if character.isascii():
                QTest.keyClicks(box, character)
                continue
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
                QApplication.sendEvent(box, event)

    def wait_for(self, screen: Screen, timeout: float = 30.0) -> None:
        window = self.parts.window
        wait_until(lambda: window.session.screen is screen, f"la pantalla «{screen}»", timeout)
        wait_until(lambda: window.screen_widget().isVisible(), f"la pantalla «{screen}»", 5)

    # -- the citizen's screens ---------------------------------------------------------------

    def started(self) -> None:
        notice = self.shell.out_of_service  # its staff line is written only when it fails
        wait_until(lambda: self.shell.parts is not None or notice.staff.text(), "el arranque",
                   START_SECONDS)  # fmt: skip
        seal = self.parts.desk.seal
        wait_until(lambda: seal.is_open, "la e.firma de demostración abierta", START_SECONDS)
        self.choose_look()
        self.shot("quiosco-bienvenida")

    def privacy(self) -> None:
        self.tap("Entregar un escrito")
        self.wait_for(Screen.PRIVACY)
        self.shot("quiosco-aviso")

    def identity(self) -> None:
        self.tap("Acepto y continúo")
        self.wait_for(Screen.IDENTITY)
        self.type_into("Nombre completo", CITIZEN)
        self.type_into("Teléfono", PHONE)
        self.shot("quiosco-identidad")

    def idle_warning(self) -> None:
        """The window's own timer finds the citizen gone: the idle time made short for a
        moment, nothing touched meanwhile."""
        window = self.parts.window
        session, warning = window.session, window.idle_warning
        usual = session.timing
        session.timing = Timing(0.5, usual.warning_seconds, usual.done_seconds)
        try:
            wait_until(lambda: warning.isVisible() and warning.countdown.text(), "el aviso", 10)
        finally:
            session.timing = usual
        self.shot("quiosco-inactividad")
        self.tap("Sí, continuar")
        wait_until(lambda: not warning.isVisible(), "que el aviso se cierre", 5)

    def subject(self) -> None:
        self.tap("Continuar")
        self.wait_for(Screen.SUBJECT)
        self.type_into("Asunto", SUBJECT)
        self.shot("quiosco-asunto")

    def document(self) -> None:
        self.tap("Continuar")
        self.tap("No sé")
        self.wait_for(Screen.DOCUMENT)
        self.tap("Digitalizar")
        screen, session = self.parts.window.screen_widget(), self.parts.window.session

        def scanned() -> bool:
            return session.answers.pages > 0 and not screen.reading  # type: ignore[attr-defined]

        wait_until(scanned, "las páginas del alimentador", 60)
        self.shot("quiosco-documento")

    def fojas(self) -> None:
        self.tap("Continuar")
        self.wait_for(Screen.FOJAS)
        self.shot("quiosco-hojas")

    def review(self) -> None:
        self.tap("Sí")
        self.wait_for(Screen.REVIEW)
        self.shot("quiosco-revision")

    def done(self) -> None:
        self.tap("Registrar")
        self.wait_for(Screen.DONE, REGISTER_SECONDS)
        receipt = self.parts.window.session.receipt
        assert receipt is not None
        self.folio, self.check_code = receipt.folio, receipt.check_code
        self.shot("quiosco-listo")

    def lookup(self) -> None:
        self.tap("Terminar")
        self.wait_for(Screen.WELCOME)
        self.choose_look()
        self.tap("Consultar un trámite")
        self.wait_for(Screen.LOOKUP)
        self.type_into("Folio", self.folio)
        self.type_into("Código de consulta", self.check_code)
        self.shot("quiosco-consulta")

    def lookup_result(self) -> None:
        self.tap("Consultar")
        self.wait_for(Screen.LOOKUP_RESULT)
        self.shot("quiosco-resultado")
        self.tap("Terminar")
        self.wait_for(Screen.WELCOME)

    # -- staff's screens ---------------------------------------------------------------------

    def admin(self) -> None:
        """The admin screen as staff reach it: the corner's signal, then the PIN on the pad."""
        self.shell.open_admin()
        admin = self.shell.admin
        assert admin is not None
        wait_until(admin.isVisible, "la pantalla de administración", 5)
        for digit in DEMO_PIN:
            self.tap(digit)
        wait_until(lambda: admin.pages.currentIndex() == 1 or admin.pin_message.text(),
                   "el PIN revisado", 30)  # fmt: skip
        if admin.pin_message.text():
            raise ScreenshotError(f"El PIN de demostración no abrió: {admin.pin_message.text()}")
        wait_until(lambda: "revisando" not in admin.printer_label.text(), "el estado", 30)
        self.shot("quiosco-administracion")
        self.tap("Volver al quiosco")
        wait_until(lambda: not admin.isVisible(), "que se cierre la administración", 5)

    def out_of_service(self) -> None:
        self.shell.show_out_of_service(no_scanner_message())
        wait_until(self.shell.out_of_service.isVisible, "«Fuera de servicio»", 5)
        self.shot("quiosco-fuera-de-servicio")


def file_name(screen: str, look: Look, language: str = SOURCE_CODE) -> str:
    """``quiosco-aviso`` in Spanish and the normal look, ``quiosco-aviso-grande`` with large
    text, ``quiosco-aviso-en-contraste`` in English with high contrast …"""
    parts = [screen]
    if language != SOURCE_CODE:
        parts.append(language.split("_")[0])
    if look != NORMAL:
        parts.append(look.name)
    return "-".join(parts)


def translated(words: str) -> str:
    """``words`` (a Spanish text of the kiosk's catalogue) in the language in use."""
    for context, source in catalogue():
        if source == words:
            text = QCoreApplication.translate(context, source)
            if text != source:
                return text
    return words


def untranslated_sources() -> frozenset[str]:
    """The Spanish texts the language in use translates: one of them on screen was missed
    (empty in Spanish)."""
    if current_code() == SOURCE_CODE:
        return frozenset()
    return frozenset(source for context, source in catalogue()
                     if context != NAME_SOURCE.context  # «Español» is Spanish's own name
                     and QCoreApplication.translate(context, source) != source)  # fmt: skip


def shoot(
    out_dir: Path,
    work_dir: Path,
    only: Sequence[str] = SCREENS,
    look: Look = NORMAL,
    language: str = SOURCE_CODE,
) -> KioskShooter:
    """Render ``only`` (names from ``SCREENS``) into ``out_dir`` in ``look``, measuring each
    (``kiosk.audit``); the demo profile goes in ``work_dir/demo-quiosco`` (left there: ``main``
    removes it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work_dir / PROFILE_FOLDER, ignore_errors=True)
    demo = prepare_kiosk_demo(work_dir / PROFILE_FOLDER)
    try:
        running = open_demo_kiosk(demo)
        shooter = KioskShooter(running, out_dir, only, look, language)
        try:
            _drive(shooter, only)
        finally:
            running.close()
            use_language(QCoreApplication.instance(), SPANISH)  # type: ignore[arg-type]
            settle()
    finally:
        demo.close()
    return shooter


def open_demo_kiosk(demo: KioskDemo) -> RunningKiosk:
    settings = dataclasses.replace(demo.settings(demo.profile.settings), kiosk_camera="no")
    options = StartOptions(full_screen=False, after_start=demo.open_efirma, backend_url=None)
    running = open_kiosk(settings, options)
    running.shell.resize(WIDTH, HEIGHT)
    wait_until(running.shell.isVisible, "la ventana del quiosco", 10)
    return running


def _drive(shooter: KioskShooter, only: Sequence[str]) -> None:
    steps: list[Callable[[], None]] = [
        shooter.started,
        shooter.privacy,
        shooter.identity,
        shooter.idle_warning,
        shooter.subject,
        shooter.document,
        shooter.fojas,
        shooter.review,
        shooter.done,
        shooter.lookup,
        shooter.lookup_result,
    ]
    last = max((FLOW.index(name) for name in only if name in FLOW), default=0)
    for step in steps[: last + 1]:
        step()
    if "quiosco-administracion" in only:
        shooter.admin()
    if "quiosco-fuera-de-servicio" in only:
        shooter.out_of_service()


def default_work_dir(out_dir: Path) -> Path:
    """The repository's build area (ignored by git), else a folder beside ``out_dir``."""
    if (REPOSITORY / "pyproject.toml").exists():
        return REPOSITORY / "build" / "capturas-quiosco"
    return out_dir.resolve().parent / "capturas-quiosco-trabajo"


LOOK_NAMES = {look.name: look for look in LOOKS}
LANGUAGES = (SOURCE_CODE, "en_US")


def run_audit(
    out_dir: Path,
    work_dir: Path,
    looks: Sequence[Look] = LOOKS,
    only: Sequence[str] = SCREENS,
    languages: Sequence[str] = LANGUAGES,
) -> tuple[list[ScreenAudit], list[Path]]:
    """Every screen in ``only``, in each language and look, rendered into ``out_dir`` and
    measured; the demo profile and the folders this run made under ``work_dir`` are removed at
    the end."""
    work_dir = work_dir.resolve()
    made = [folder for folder in (work_dir, *work_dir.parents) if not folder.exists()]
    profile = work_dir / PROFILE_FOLDER
    shooters = []
    try:
        for language in languages:
            for look in looks:  # staff's screens: Spanish and the normal look, shot once
                plain = look == NORMAL and language == SOURCE_CODE
                shown = [name for name in only if plain or name in FLOW]
                shooters.append(shoot(out_dir, work_dir, shown, look, language))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        for folder in made:  # deepest first; only the folders this run made, once empty
            with contextlib.suppress(OSError):
                folder.rmdir()
    audits = [audit for shooter in shooters for audit in shooter.audits]
    return audits, [path for shooter in shooters for path in shooter.saved]


def report(audits: Sequence[ScreenAudit]) -> int:
    """The table on standard output, each failure on standard error; 1 when any."""
    print(table(audits))
    failed = [audit for audit in audits if audit.failures()]
    for audit in failed:
        for problem in audit.failures():
            print(f"{audit.screen} ({audit.language}, {audit.look}): {problem}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Capturas de pantalla del quiosco")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--only", action="append", choices=SCREENS)
    parser.add_argument(
        "--modo",
        action="append",
        choices=sorted(LOOK_NAMES),
        help="normal, grande (letra grande) o contraste; por omisión los tres",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="carpeta de trabajo (por omisión build/capturas-quiosco); lo creado se borra al final",
    )
    parser.add_argument(
        "--idioma",
        action="append",
        choices=LANGUAGES,
        help="es_MX o en_US; por omisión los dos",
    )
    args = parser.parse_args(argv)
    work_dir = args.work_dir or default_work_dir(args.out_dir)
    looks = [LOOK_NAMES[name] for name in args.modo] if args.modo else list(LOOKS)
    languages = args.idioma or LANGUAGES
    try:
        audits, saved = run_audit(args.out_dir, work_dir, looks, args.only or SCREENS, languages)
    except OficialiaError as error:
        print(error.message, file=sys.stderr)
        return 1
    for path in saved:
        print(path)
    return report(audits)


if __name__ == "__main__":
    sys.exit(main())
