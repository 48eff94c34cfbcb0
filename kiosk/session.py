"""One citizen at the kiosk, from the welcome screen back to it: which screen is up, what was
answered, when to warn and when to wipe. Qt-free; the window shows ``session.screen`` and calls
these methods when the citizen taps, and ``tick`` from a timer.

The citizen's pages are not kept here: they live in the capture (``mailroom.capture.session``),
which the kiosk's desk creates per citizen and removes on wipe. Here only their count matters,
because it becomes the declared fojas the citizen confirms.

Every way out of a session (registered and shown, cancelled, walked away) ends in ``wipe``,
which forgets every answer and tells its listeners (the window empties its fields, the desk
removes the session's files, the camera and scanner are released).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.wording import QT_TRANSLATE_NOOP, refusal
from mailroom.errors import InvalidInput
from mailroom.identifiers import validate_curp


class Screen(StrEnum):
    WELCOME = "bienvenida"
    PRIVACY = "aviso"
    IDENTITY = "identidad"
    SUBJECT = "asunto"
    DOCUMENT = "documento"
    FOJAS = "fojas"
    REVIEW = "revision"
    DONE = "listo"
    LOOKUP = "consulta"
    LOOKUP_RESULT = "resultado"


FILING_STEPS = (
    Screen.PRIVACY,
    Screen.IDENTITY,
    Screen.SUBJECT,
    Screen.DOCUMENT,
    Screen.FOJAS,
    Screen.REVIEW,
)
"""The steps the indicator counts ("Paso 3 de 6") while a citizen hands in an escrito."""

LOOKUP_STEPS = (Screen.LOOKUP, Screen.LOOKUP_RESULT)


class IdleAction(StrEnum):
    NONE = "nada"
    WARN = "avisar"
    WIPE = "borrar"


class WipeReason(StrEnum):
    FINISHED = "terminado"
    CANCELLED = "cancelado"
    IDLE = "inactividad"
    RESTART = "reinicio"


@dataclass(frozen=True)
class Identity:
    name: str = ""
    curp: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Topic:
    """What the escrito is about: the citizen's words, and where it goes (a procedure from the
    catalog, a department, or ``unsure``: the general office routes it)."""

    subject: str = ""
    procedure: str | None = None
    department: str | None = None
    unsure: bool = False


@dataclass(frozen=True)
class Answers:
    privacy_version: str | None = None
    identity: Identity = Identity()
    topic: Topic = Topic()
    pages: int = 0
    fojas: int | None = None


@dataclass(frozen=True)
class Timing:
    idle_seconds: float = 90.0
    warning_seconds: float = 30.0
    done_seconds: float = 20.0


@dataclass(frozen=True)
class Receipt:
    """What the last screen shows: the folio large, the QR, and whether the ticket printed."""

    folio: str
    check_code: str
    status_url: str
    printed: bool
    problem: str = ""


MAX_NAME = 200
MAX_SUBJECT = 500

Listener = Callable[[WipeReason], None]


@dataclass
class KioskSession:
    """The state machine. ``now`` is monotonic seconds, given by the caller (a timer in the app,
    plain numbers in tests)."""

    timing: Timing = Timing()
    max_pages: int = 30
    screen: Screen = Screen.WELCOME
    answers: Answers = Answers()
    receipt: Receipt | None = None
    warning_since: float | None = None
    number: int = 1
    """Which citizen this is since the kiosk started; a wipe starts the next one."""
    _last_touch: float = 0.0
    _shown_since: float = 0.0
    _listeners: list[Listener] = field(default_factory=list)

    # -- what the screen shows ---------------------------------------------------------------

    @property
    def steps(self) -> tuple[Screen, ...]:
        if self.screen in LOOKUP_STEPS:
            return LOOKUP_STEPS
        if self.screen in FILING_STEPS:
            return FILING_STEPS
        return ()

    @property
    def step(self) -> tuple[int, int] | None:
        """``(3, 6)`` for "Paso 3 de 6"; ``None`` on the welcome and final screens."""
        steps = self.steps
        return (steps.index(self.screen) + 1, len(steps)) if steps else None

    @property
    def in_progress(self) -> bool:
        """Something of a citizen may be on screen or in memory (wipe before the next one)."""
        return self.screen is not Screen.WELCOME

    @property
    def warning(self) -> bool:
        return self.warning_since is not None

    def on_wipe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- the citizen's taps ------------------------------------------------------------------

    def start_filing(self, now: float) -> None:
        self._go(Screen.PRIVACY, now)

    def start_lookup(self, now: float) -> None:
        self._go(Screen.LOOKUP, now)

    def accept_privacy(self, version: str, now: float) -> None:
        self._expect(Screen.PRIVACY)
        if not version:
            raise refusal(
                QT_TRANSLATE_NOOP(
                    "KioskSession",
                    "Aún no acepta el aviso. Léalo y, si está de acuerdo, "
                    "toque «Acepto y continúo».",
                ),
                "aviso",
            )
        self._answer(privacy_version=version)
        self._go(Screen.IDENTITY, now)

    def give_identity(self, identity: Identity, now: float) -> None:
        self._expect(Screen.IDENTITY)
        self._answer(identity=checked_identity(identity))
        self._go(Screen.SUBJECT, now)

    def give_topic(self, topic: Topic, now: float) -> None:
        self._expect(Screen.SUBJECT)
        self._answer(topic=checked_topic(topic))
        self._go(Screen.DOCUMENT, now)

    def pages_changed(self, count: int, now: float) -> None:
        self._answer(pages=max(0, count))
        self.touch(now)

    def document_done(self, now: float) -> None:
        self._expect(Screen.DOCUMENT)
        check_page_count(self.answers.pages, self.max_pages)
        self._go(Screen.FOJAS, now)

    def confirm_fojas(self, fojas: int, now: float) -> None:
        self._expect(Screen.FOJAS)
        if fojas < 1 or fojas > self.max_pages:
            raise refusal(
                QT_TRANSLATE_NOOP("KioskSession",
                    "Ese número de hojas no sirve. Escriba un número de 1 a %1.")
                .filled(self.max_pages), "fojas"
            )  # fmt: skip
        self._answer(fojas=fojas)
        self._go(Screen.REVIEW, now)

    def registered(self, receipt: Receipt, now: float) -> None:
        self._expect(Screen.REVIEW)
        self.receipt = receipt
        self._go(Screen.DONE, now)

    def looked_up(self, now: float) -> None:
        self._expect(Screen.LOOKUP)
        self._go(Screen.LOOKUP_RESULT, now)

    def back(self, now: float) -> None:
        """One screen back; from the first step, back to the welcome screen (a wipe)."""
        steps = self.steps
        if self.screen is Screen.DONE or not steps:
            return
        index = steps.index(self.screen)
        if index == 0:
            self.wipe(WipeReason.CANCELLED)
            return
        self._go(steps[index - 1], now)

    def cancel(self) -> None:
        self.wipe(WipeReason.CANCELLED)

    def finish(self) -> None:
        """The citizen tapped "Terminar" on the last screen (or it timed out)."""
        self.wipe(WipeReason.FINISHED)

    # -- time --------------------------------------------------------------------------------

    def touch(self, now: float) -> None:
        """Any touch: the citizen is still there (it also answers the idle warning)."""
        self._last_touch = now
        self.warning_since = None

    def tick(self, now: float) -> IdleAction:
        """What the timer must do now; a wipe it asks for has already happened."""
        if self.screen is Screen.WELCOME:
            return IdleAction.NONE
        if self.screen is Screen.DONE:
            if now - self._shown_since >= self.timing.done_seconds:
                self.wipe(WipeReason.FINISHED)
                return IdleAction.WIPE
            return IdleAction.NONE
        if self.warning_since is not None:
            if now - self.warning_since >= self.timing.warning_seconds:
                self.wipe(WipeReason.IDLE)
                return IdleAction.WIPE
            return IdleAction.NONE
        if now - self._last_touch >= self.timing.idle_seconds:
            self.warning_since = now
            return IdleAction.WARN
        return IdleAction.NONE

    def seconds_left(self, now: float) -> int:
        """For the warning's countdown."""
        if self.warning_since is None:
            return int(self.timing.warning_seconds)
        return max(0, round(self.timing.warning_seconds - (now - self.warning_since)))

    def wipe(self, reason: WipeReason) -> None:
        """Forget everything of this citizen and go back to the welcome screen; every listener
        runs even if one fails (what the others remove must not stay behind)."""
        self.screen = Screen.WELCOME
        self.answers = Answers()
        self.receipt = None
        self.warning_since = None
        self.number += 1
        errors: list[BaseException] = []
        for listener in list(self._listeners):
            try:
                listener(reason)
            except Exception as error:  # noqa: BLE001 - collected, the first re-raised below
                errors.append(error)
        if errors:
            raise errors[0]

    # -- helpers -----------------------------------------------------------------------------

    def _go(self, screen: Screen, now: float) -> None:
        self.screen = screen
        self._shown_since = now
        self.touch(now)

    def _answer(self, **changes: object) -> None:
        self.answers = dataclasses.replace(self.answers, **changes)  # type: ignore[arg-type]

    def _expect(self, screen: Screen) -> None:
        if self.screen is not screen:
            raise refusal(QT_TRANSLATE_NOOP("KioskSession",
                "Esta pantalla ya no está activa. Siga en la que ve ahora."),
                "pantalla")  # fmt: skip


def checked_identity(identity: Identity) -> Identity:
    """The identity with tidy text, or ``InvalidInput`` in plain words (field = which box)."""
    name = " ".join(identity.name.split())
    if len(name) < 3:
        raise refusal(
            QT_TRANSLATE_NOOP("KioskSession", "Falta su nombre. Escriba su nombre completo."),
            "name",
        )
    if len(name) > MAX_NAME:
        raise refusal(
            QT_TRANSLATE_NOOP(
                "KioskSession", "El nombre es muy largo. Escriba solo su nombre y sus apellidos."
            ),
            "name",
        )
    curp = "".join(identity.curp.split()).upper()
    if curp:
        curp = checked_curp(curp)
    email = identity.email.strip()
    if email:
        local, _, domain = email.partition("@")
        if not local or "." not in domain or " " in email:
            raise refusal(QT_TRANSLATE_NOOP("KioskSession",
                "El correo no está completo. Debe ser como nombre@correo.com. "
                "Si no lo tiene, déjelo en blanco."), "email")  # fmt: skip
    phone = "".join(ch for ch in identity.phone if ch.isdigit())
    if identity.phone.strip() and len(phone) != 10:
        raise refusal(
            QT_TRANSLATE_NOOP(
                "KioskSession",
                "El teléfono debe tener 10 números. Revise que estén todos o déjelo en blanco.",
            ),
            "phone",
        )
    return Identity(name=name, curp=curp, email=email, phone=phone)


def checked_curp(curp: str) -> str:
    """The CURP, or a message a citizen understands (the clerk's messages name its parts)."""
    if len(curp) != 18:
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "La CURP tiene 18 letras y números; usted escribió %1. Revísela o déjela vacía.")
            .filled(len(curp)), "curp")  # fmt: skip
    try:
        return validate_curp(curp)
    except InvalidInput as error:
        if "verificador" in error.message:
            raise refusal(QT_TRANSLATE_NOOP("KioskSession",
                "El último número de la CURP sirve para comprobarla y no coincide. "
                "Revise cada letra y número, o déjela vacía."), "curp") from error  # fmt: skip
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "Esa CURP no es válida. Cópiela tal como viene en su credencial, o déjela vacía."),
            "curp") from error  # fmt: skip


def checked_topic(topic: Topic) -> Topic:
    subject = " ".join(topic.subject.split())
    if len(subject) < 3:
        raise refusal(
            QT_TRANSLATE_NOOP(
                "KioskSession",
                "Falta el asunto. Escriba en pocas palabras de qué trata su escrito.",
            ),
            "subject",
        )
    if len(subject) > MAX_SUBJECT:
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "Escriba el asunto en menos de %1 letras: el detalle va en su escrito.")
            .filled(MAX_SUBJECT), "subject")  # fmt: skip
    if not (topic.unsure or topic.procedure or topic.department):
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "Falta elegir el trámite o el área. Si no sabe, toque «No sé»."),
            "destination")  # fmt: skip
    return dataclasses.replace(topic, subject=subject)


def check_page_count(pages: int, max_pages: int) -> None:
    if pages < 1:
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "Aún no hay páginas. Ponga su escrito en el escáner y toque «Digitalizar»."),
            "pages")  # fmt: skip
    if pages > max_pages:
        raise refusal(QT_TRANSLATE_NOOP("KioskSession",
            "Su escrito tiene %1 páginas y aquí se aceptan hasta %2. "
            "Por favor, entréguelo en ventanilla.").filled(pages, max_pages), "pages")  # fmt: skip
