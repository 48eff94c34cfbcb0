"""Spoken guidance on the real kiosk window (offscreen, real parts as in tests/kiosk_citizen.py)
with a recording voice: what a citizen who cannot read the screen would hear, and that a first
touch on a button only names it. Then the kiosk's own voice, ``QtSpeaker``, against a
speech-dispatcher this test starts, whose espeak-ng writes its sound into a file: the words
really became sound."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import wave
from array import array
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

import shiboken6  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtTextToSpeech import QTextToSpeech  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit  # noqa: E402
from pytestqt.exceptions import TimeoutError as QtTimeout  # noqa: E402

from kiosk import guide as guide_module  # noqa: E402
from kiosk.guide import SpokenGuide  # noqa: E402
from kiosk.session import Screen, Timing  # noqa: E402
from kiosk.speech import DEFAULT_VOLUME, QtSpeaker, RecordingSpeaker  # noqa: E402
from tests.kiosk_citizen import GOOD_CURP, WAIT_MS, Kiosk  # noqa: E402
from tests.sane_env import use_sane_test_backend  # noqa: E402

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip


def weekday(moment: datetime) -> str:
    return WEEKDAYS[moment.weekday()]


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


class Listener:
    """A kiosk with the guide on, and what its voice was asked to say."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk, self.citizen = kiosk, kiosk.citizen
        self.speaker = RecordingSpeaker()
        self.guide = SpokenGuide(kiosk.window, self.speaker)
        self.since = 0
        self.guide.set_enabled(True)

    @property
    def last(self) -> str:
        return self.speaker.texts[-1]

    def heard(self, words: str) -> bool:
        """Whether ``words`` were said since the last button was used."""
        return any(words in text for text in self.speaker.texts[self.since :])

    def waits_to_hear(self, words: str) -> None:
        self.citizen.qtbot.waitUntil(lambda: self.heard(words), timeout=WAIT_MS)

    def waits_to_hear_the_screen(self, screen: Screen) -> str:
        """The heading the citizen sees on ``screen``, heard; returns what was said."""
        self.citizen.wait_for(screen)
        heading = self.citizen.window.screen_widget().question.text()  # type: ignore[attr-defined]
        assert heading
        self.waits_to_hear(heading)
        return next(text for text in reversed(self.speaker.texts) if heading in text)

    def use(self, words: str) -> None:
        """A button as the guide asks: touched once to hear it, then again to use it."""
        button = self.citizen.button(words)
        self.citizen.tap(words)
        assert self.last == (button.accessibleName() or button.text())
        self.since = len(self.speaker.texts)
        self.citizen.tap(words)


@pytest.fixture
def listener(open_kiosk) -> Iterator[Listener]:  # type: ignore[no-untyped-def]
    made = Listener(open_kiosk())
    yield made
    if shiboken6.isValid(made.guide):
        made.guide.set_enabled(False)  # off the application before the window goes


def to_identity(listener: Listener) -> None:
    listener.use("Entregar un escrito")
    listener.citizen.wait_for(Screen.PRIVACY)
    listener.use("Acepto y continúo")
    listener.citizen.wait_for(Screen.IDENTITY)


def own_runtime_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Qt's speech loads Qt Multimedia, whose PulseAudio client makes a ``pulse-*`` folder in
    the system temp folder when there is no ``XDG_RUNTIME_DIR``: the test gives it one."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))


# ---- the recording voice on the real window ------------------------------------------------


def test_with_speech_on_every_screen_is_heard_and_the_receipt_read(listener: Listener) -> None:
    citizen, window = listener.citizen, listener.kiosk.window
    office = listener.kiosk.desk.settings.office_name
    assert listener.heard("Toque un botón una vez para oír qué hace")
    assert listener.last == f"{office}. ¿Qué desea hacer?"
    registered: list[datetime] = []
    window.filing_registered.connect(lambda filing: registered.append(filing.received_at))

    listener.use("Entregar un escrito")
    said = listener.waits_to_hear_the_screen(Screen.PRIVACY)
    assert " ".join(listener.kiosk.desk.notice.short.split()) in said  # what is accepted, read
    listener.use("Acepto y continúo")
    listener.waits_to_hear_the_screen(Screen.IDENTITY)
    citizen.type_into("Nombre completo", "Ana")
    citizen.type_into("CURP", GOOD_CURP)
    listener.use("Continuar")
    said = listener.waits_to_hear_the_screen(Screen.SUBJECT)
    topic = window.screen_widget()
    assert topic.example.text() in said  # type: ignore[attr-defined]  # its one instruction
    citizen.type_into("Asunto", "Poda")
    listener.use("Continuar")  # the screen's second page: its own heading
    said = listener.waits_to_hear_the_screen(Screen.SUBJECT)
    assert topic.unsure_hint.text() in said  # type: ignore[attr-defined]
    listener.use("Atrás")  # back inside the screen: the session does not move, heard all the same
    listener.waits_to_hear(topic.example.text())  # type: ignore[attr-defined]
    listener.use("Continuar")
    listener.use("No sé")
    listener.waits_to_hear_the_screen(Screen.DOCUMENT)
    listener.use("Digitalizar")
    listener.waits_to_hear("10 páginas")  # how the scan went
    listener.use("Continuar")
    said = listener.waits_to_hear_the_screen(Screen.FOJAS)
    assert "10 hojas" in said
    listener.use("Sí")
    listener.waits_to_hear_the_screen(Screen.REVIEW)
    assert not listener.heard(GOOD_CURP)  # the CURP is read only on request, never by itself
    listener.use("Registrar")
    listener.waits_to_hear_the_screen(Screen.DONE)

    folio = listener.kiosk.session.receipt.folio  # type: ignore[union-attr]
    said = listener.last
    groups = folio.split("-")
    assert f"Su folio es: {', '.join(' '.join(group) for group in groups)}." in said
    [received] = registered
    day = f"{received.day} de {MONTHS[received.month - 1]} de {received.year}"
    assert (
        f"Recibido el {weekday(received)}, {day}, a las {received.hour}:{received.minute:02d}."
        in said
    )
    assert said.index("Recibido el") < said.index("Código de consulta")  # the folio, then its date
    assert "Tome su acuse." in said
    print(f"\nAl final, el quiosco dijo: {said}")


def test_a_first_touch_names_a_button_and_a_second_uses_it(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen, session = listener.citizen, listener.kiosk.session
    citizen.tap("Entregar un escrito")
    assert listener.last == "Entregar un escrito" and session.screen is Screen.WELCOME
    citizen.tap("Consultar un trámite")  # another button: named, and it is the one armed now
    assert listener.last == "Consultar un trámite" and session.screen is Screen.WELCOME
    citizen.tap("Entregar un escrito")
    assert listener.last == "Entregar un escrito" and session.screen is Screen.WELCOME
    monkeypatch.setattr(guide_module, "ARM_SECONDS", 0.0)  # too late: named again, not used
    citizen.tap("Entregar un escrito")
    assert session.screen is Screen.WELCOME
    monkeypatch.undo()
    citizen.tap("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    # A new screen: the footer's «Cancelar» is named before it is used.
    citizen.tap("Cancelar")
    assert listener.last == "Cancelar" and session.screen is Screen.PRIVACY


def test_a_touch_silences_what_is_being_said(listener: Listener) -> None:
    citizen, speaker = listener.citizen, listener.speaker
    heading = speaker.utterances[-1]
    assert speaker.speaking and not heading.interrupted
    welcome = listener.kiosk.window.screen_widget()
    citizen.qtbot.mouseClick(welcome.question, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert heading.interrupted and not speaker.speaking  # a touch on no button: silence
    listener.guide.repeat()
    again = speaker.utterances[-1]
    assert again.text == heading.text and not again.interrupted
    citizen.tap("Consultar un trámite")
    assert again.interrupted and listener.last == "Consultar un trámite"


def test_typed_characters_are_heard_except_in_a_masked_box(listener: Listener) -> None:
    to_identity(listener)
    citizen, speaker = listener.citizen, listener.speaker
    before = len(speaker.texts)
    citizen.type_into("Nombre completo", "Peña J")
    assert speaker.texts[before:] == ["P", "e", "eñe", "a", "espacio", "J"]
    citizen.qtbot.keyClick(citizen.box("Nombre completo"), Qt.Key.Key_Backspace)
    assert listener.last == "borrar" and citizen.box("Nombre completo").text() == "Peña "
    box = citizen.box("Nombre completo")
    # Qt Virtual Keyboard hands over its text as an input-method commit, not as keys.
    commit = QInputMethodEvent()
    commit.setCommitString("é")
    QApplication.sendEvent(box, commit)
    assert box.text() == "Peña é" and listener.last == "e con acento"

    curp = citizen.box("CURP")
    curp.setEchoMode(QLineEdit.EchoMode.Password)
    before = len(speaker.texts)
    citizen.type_into("CURP", "HEGT")
    assert curp.text() == "HEGT" and speaker.texts[before:] == []  # nothing of it heard


def test_the_idle_warning_is_heard(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    listener = Listener(open_kiosk(timing=Timing(idle_seconds=2.0, warning_seconds=30.0)))
    to_identity(listener)
    window = listener.kiosk.window
    listener.citizen.qtbot.waitUntil(window.idle_warning.isVisible, timeout=WAIT_MS)
    title = window.idle_warning.title.text()
    listener.waits_to_hear(title)
    # Its title, then the countdown as it stood (the seconds go on changing on the screen).
    countdown = re.sub(r"\d+", "#", window.idle_warning.countdown.text())
    assert re.sub(r"\d+", "#", listener.last) == f"{title} {countdown}"
    listener.guide.repeat()  # «Repetir» over the warning says the warning
    assert listener.last.startswith(title)
    listener.guide.set_enabled(False)


def test_pause_volume_and_the_wipe_that_puts_them_back(listener: Listener) -> None:
    speaker, guide, citizen = listener.speaker, listener.guide, listener.citizen
    guide.toggle_pause()
    assert speaker.paused
    guide.toggle_pause()
    assert speaker.speaking and not speaker.paused
    guide.volume_up()
    guide.volume_up()
    said = speaker.utterances[-1]
    assert (said.text, said.volume) == ("Volumen 9 de 10.", 0.9)  # heard at the new volume
    guide.volume_down()
    assert speaker.volume == 0.8

    listener.use("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    with citizen.qtbot.waitSignal(listener.kiosk.window.wiped, timeout=WAIT_MS):
        listener.use("Cancelar")
    assert not guide.enabled and speaker.volume == DEFAULT_VOLUME
    assert not speaker.speaking
    said = len(speaker.texts)
    citizen.tap("Entregar un escrito")  # the next citizen: one touch acts, nothing is said
    citizen.wait_for(Screen.PRIVACY)
    assert len(speaker.texts) == said


def test_a_kiosk_without_a_voice_says_why_and_stays_silent(
    open_kiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    if "speechd" not in QTextToSpeech.availableEngines():
        pytest.skip("Qt no trae el motor speechd")
    own_runtime_folder(tmp_path, monkeypatch)
    # No speech-dispatcher answers there, and libspeechd's autospawn cannot start one.
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{tmp_path / 'nadie.sock'}")
    monkeypatch.setenv("SPEECHD_CMD", str(tmp_path / "no-hay-speech-dispatcher"))
    speaker = QtSpeaker(engine="speechd")
    try:
        assert not speaker.available
        assert speaker.problem == (
            "La voz no funciona en este quiosco. Si la necesita, pida ayuda al personal."
        )
        speaker.say("Hola")  # silent, and no second line in the log
        warnings = [r for r in caplog.records
                    if r.name == "kiosk.speech" and r.levelname == "WARNING"]  # fmt: skip
        assert len(warnings) == 1 and "sin voz" in warnings[0].getMessage()
        guide = SpokenGuide(open_kiosk().window, speaker)
        guide.set_enabled(True)
        assert not guide.enabled
    finally:
        shiboken6.delete(speaker)  # now, while the test's runtime folder is still the one


# ---- the real voice ------------------------------------------------------------------------

MODULE_DIRS = (
    "/usr/lib/speech-dispatcher-modules",
    "/usr/lib/x86_64-linux-gnu/speech-dispatcher-modules",
    "/usr/lib64/speech-dispatcher-modules",
    "/usr/libexec/speech-dispatcher-modules",
)


def espeak_module() -> Path | None:
    for folder in MODULE_DIRS:
        if (Path(folder) / "sd_espeak-ng").exists():
            return Path(folder)
    return None


@pytest.fixture
def speech_dispatcher(tmp_path: Path, qtbot) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """speech-dispatcher with espeak-ng on a socket under ``tmp_path``; ALSA's default device is
    a file there (the machine has no sound card). Yields the address and the sound file."""
    program, modules = shutil.which("speech-dispatcher"), espeak_module()
    if program is None:
        pytest.skip("speech-dispatcher no está instalado (installer/system-packages.sh)")
    if modules is None:
        pytest.skip(f"no está el módulo sd_espeak-ng de speech-dispatcher en {MODULE_DIRS}")
    root = tmp_path / "speechd"
    config, home, log_dir = root / "config", root / "home", root / "log"
    for folder in (config / "modules", home, log_dir, root / "run"):
        folder.mkdir(parents=True)
    sound = root / "voz.wav"
    (config / "speechd.conf").write_text(
        'AudioOutputMethod "alsa"\n'
        'AddModule "espeak-ng" "sd_espeak-ng" "espeak-ng.conf"\n'
        'DefaultModule espeak-ng\nDefaultLanguage "es"\nLogLevel 3\n',
        encoding="utf-8",
    )
    (config / "modules" / "espeak-ng.conf").write_text("Debug 0\n", encoding="utf-8")
    # ALSA reads ~/.asoundrc: the default device writes what it is given into a WAV file.
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; file "{sound}"; format "wav" }}\n',
        encoding="utf-8",
    )
    socket = root / "run" / "speechd.sock"
    environment = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(root / "run"),
                   "XDG_CONFIG_HOME": str(home / ".config")}  # fmt: skip
    errors = (root / "stderr.txt").open("wb")
    server = subprocess.Popen(
        [program, "-s", "-t", "60", "-C", str(config), "-m", str(modules), "-L", str(log_dir),
         "-c", "unix_socket", "-S", str(socket), "-P", str(root / "run" / "pid")],
        env=environment, stdout=subprocess.DEVNULL, stderr=errors,
    )  # fmt: skip
    try:
        with contextlib.suppress(QtTimeout):  # said below, with the server's own words
            qtbot.waitUntil(lambda: socket.exists() or server.poll() is not None, timeout=10_000)
        if not socket.exists():
            said = (root / "stderr.txt").read_text(errors="replace")
            said += " ".join(p.read_text(errors="replace") for p in log_dir.glob("*.log"))
            pytest.skip(f"speech-dispatcher no abrió su socket {socket} (código "
                        f"{server.poll()}): {said[-600:]}")  # fmt: skip
        yield f"unix_socket:{socket}", sound
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors.close()


def samples_in(sound: Path) -> tuple[array, int]:
    """The samples of the WAV that ALSA's file device wrote, and their rate. The device fills in
    the header's length only when it closes, and espeak-ng keeps it open: the samples are
    whatever follows the header."""
    with wave.open(str(sound)) as header:
        assert (header.getnchannels(), header.getsampwidth()) == (1, 2)
        rate = header.getframerate()
    data = sound.read_bytes()
    start = data.index(b"data") + 8
    samples = array("h", data[start : start + (len(data) - start) // 2 * 2])
    return samples, rate


def test_the_kiosks_own_voice_really_speaks(
    speech_dispatcher: tuple[str, Path], qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    address, sound = speech_dispatcher
    if "speechd" not in QTextToSpeech.availableEngines():
        pytest.skip(f"Qt no trae el motor speechd: {QTextToSpeech.availableEngines()}")
    own_runtime_folder(tmp_path, monkeypatch)
    monkeypatch.setenv("SPEECHD_ADDRESS", address)  # libspeechd reads it when Qt connects
    monkeypatch.setenv("SPEECHD_CMD", "/nonexistent")  # never some other speech-dispatcher
    speaker = QtSpeaker(engine="speechd")
    try:
        assert speaker.available, speaker.problem
        assert speaker.tts.voice().name() == "Spanish (Latin America)"
        assert speaker.tts.rate() < 0  # slower than the engine's own
        states: list[QTextToSpeech.State] = []
        speaker.tts.stateChanged.connect(states.append)
        started: list[str] = []
        speaker.utterance_started.connect(started.append)
        sentence = "Bienvenido a la Oficialía de Partes. Toque la pantalla para empezar."
        with qtbot.waitSignal(speaker.utterance_finished, timeout=30_000) as finished:
            speaker.say(sentence)
        assert finished.args == [sentence] and started == [sentence]
        speaking = states.index(QTextToSpeech.State.Speaking)
        assert QTextToSpeech.State.Ready in states[speaking:], states
        assert not speaker.speaking

        samples, rate = samples_in(sound)
        seconds = len(samples) / rate
        # Eleven words at about 150 a minute: a few seconds, never a click nor a minute.
        assert 1.5 < seconds < 20, f"{seconds:.2f} s of sound"
        loud = sum(1 for sample in samples if abs(sample) > 1000)
        assert max(samples) > 5000 and loud > len(samples) // 10, "silence, not words"
        print(f"\nespeak-ng dijo {seconds:.2f} s a {rate} Hz; pico {max(samples)}")

        speaker.set_language("en_US")
        assert speaker.tts.voice().name() == "English (America)"
    finally:
        shiboken6.delete(speaker)  # its connection closes before the server goes
