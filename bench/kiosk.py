"""The citizen's kiosk: cold start, «Registrar» to the receipt's cut, the wipe, and the longest
GUI stall while scanning with OCR and sync at work — each beside a named baseline measured in
the same run, as median and worst of several runs.

1. Cold start to the welcome screen, a fresh interpreter each run: the parent times from
   spawning ``python -c DRIVER`` until the child prints that the welcome screen got its first
   paint. The kiosk's driver runs ``oficialia --data-dir DATA kiosk`` (``mailroom.entry`` →
   ``run_kiosk``, full screen) on a data folder made by one earlier start (a kiosk's daily
   power-on), watching from outside: it wraps ``kiosk.app.open_kiosk`` to put an event filter on
   the first welcome (``kiosk.first_welcome``: what a citizen sees and may already tap) and,
   once ``KioskShell.parts`` is set, on the real welcome screen (services open: a tap is answered
   at once). Baseline: a bare PySide6 ``QWidget`` shown full screen, start to first paint.
   Target: first welcome ≤ 2× the baseline; the time until the real one is printed beside it.
2. «Registrar» → the receipt's cut at the printer, for a 3-page scan: ``open_kiosk`` (so
   ``desk.start()`` runs OCR in the background; the device is not enrolled) on a fresh demo
   profile per run (the demo e.firma open: the acuse is sealed), SANE's ``test`` scanner, the
   fake ESC/POS printer on 127.0.0.1. A scripted citizen taps its way to the review screen
   (ten sheets from the feeder, seven removed), then taps «Registrar»; the clock stops when the
   printer has parsed the receipt's last command, its cut (``GS V``; what follows on the line
   are status questions). Baseline: the same 3 pages and the same ``NewFiling`` through
   ``Workstation.register`` alone (the counter's path: no capture handoff, no receipt), OCR
   started too. Target: ≤ 2 s.
3. The wipe: «Cancelar» on the review screen (3 pages, name, CURP and subject given) until the
   welcome screen's first paint, then a check that every box, the review's values, the page
   grid and the capture are empty. Floor: a bare ``QStackedWidget`` of the same size switching
   to another page, until that page's first paint. Target: ≤ 1 s.
4. The longest pause of the GUI thread (``StallProbe``, heap frozen as ``run_kiosk`` freezes
   it) from the tap on «Digitalizar» until the ten sheets of SANE's feeder show (each read
   delayed 50 ms: about 0.3 s a sheet), while OCR and sync run at once: three 10-page filings
   are registered just before (OCR starts on them at once) with the sync loop held, and let go
   at the tap (the device enrolled on the reference backend, ``DemoBackend``: a child process at
   the lowest priority, its autogroup too, as a real backend is another machine; the kiosk's
   sync thread still works through the window, its uploads slowed). How busy OCR and sync were
   inside the window is printed, how the GUI thread spent its longest pause (Linux's scheduler
   counts: computing, waiting for a CPU, or asleep) and how busy the machine's CPUs were, ours
   and other processes'. Baseline: the same probe on the same kiosk window on the same screen,
   idle, for 3 s. Target: ≤ 50 ms (worst run).

Offscreen (``QT_QPA_PLATFORM=offscreen`` with one 1920×1080 screen, the kiosk's panel). Data
folders and every temporary file go under ``--work-dir`` (default ``bench/.work-kiosk``),
removed at the end. ``--quick`` measures everything once, without warm-up runs (a smoke test);
``--parts`` picks figures (2 and 3 share their kiosks).
Run: ``.venv/bin/python bench/kiosk.py`` (``make bench`` runs it with the others). The exit
status is 0 unless the benchmark itself broke: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # first: this script's own folder would make "kiosk" mean it

import firstpaint  # noqa: E402 - bench/firstpaint.py, beside this script

TARGET_START_RATIO = 2.0
TARGET_RECEIPT_S = 2.0
TARGET_WIPE_S = 1.0
TARGET_STALL_MS = 50.0
PANEL = (1920, 1080)
SCANNER = "sane:test:0"
FEEDER_SHEETS = 10  # SANE's test device gives ten sheets per scan from its feeder
KEPT_PAGES = 3
NAME, CURP, SUBJECT = "Rosalía Ñúñez Quintero", "HEGT761003MDFRNN07", "Solicitud de poda"
LOAD_SAMPLE = ROOT / "resources" / "samples" / "escrito-10-fojas.pdf"
LOAD_FILINGS = 3
IDLE_SECONDS = 3.0  # about as long as the feeder's ten sheets take to show
# Gray squares a page clean-up tells from blank; each read delayed as a real feeder's pace.
SANE_TEST_OPTIONS = 'test-picture "Grid"\nread-delay true\nread-delay-duration 50000\n'
STEPS = firstpaint.KIOSK_STEPS
KIOSK_CONFIG = "# bench/kiosk.py\n" + firstpaint.KIOSK_CONFIG


QT_NOISE = ("This plugin does not support propagateSizeHints()", "Couldn't load pipewire",
            "Couldn't resolve pipewire")  # fmt: skip
"""Qt's offscreen plugin and a machine without PipeWire say these on every window; not ours."""


def quiet_qt_noise() -> None:
    from PySide6.QtCore import qInstallMessageHandler

    def handler(kind: Any, context: Any, message: str) -> None:
        if not any(noise in message for noise in QT_NOISE):
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def seconds(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):.2f} s (worst {max(values):.2f})"


def millis(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):.0f} ms (worst {max(values):.0f})"


def runs_list(values: Sequence[float], scale: float = 1.0, unit: str = "s") -> str:
    digits = 2 if unit == "s" else 0
    return "runs " + ", ".join(f"{scale * v:.{digits}f}" for v in values) + f" {unit}"


# -- the work folder and the environment ----------------------------------------------------


def prepare_environment(folder: Path) -> None:
    """Qt offscreen on one kiosk-sized screen; SANE's ``test`` backend alone (listing every
    backend Debian enables takes seconds), gray squares a page clean-up tells from blank."""
    screen = {"name": "panel", "x": 0, "y": 0, "width": PANEL[0], "height": PANEL[1]}
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpiX": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    sane = folder / "sane"
    sane.mkdir()
    (sane / "dll.conf").write_text("test\n", encoding="utf-8")
    (sane / "test.conf").write_text(SANE_TEST_OPTIONS, encoding="utf-8")
    os.environ["SANE_CONFIG_DIR"] = str(sane)
    for name in ("NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC"):
        os.environ.pop(name, None)  # no watchdog of ours to talk to


# -- 1. cold start: the children ------------------------------------------------------------

# The children run as ``python -c`` with the source tree as their folder; the watched start-ups
# are bench/firstpaint.py's (shared with bench/bundle.py), found after the source tree so that
# ``kiosk`` is the package, not this script.
_CHILD = (
    "import sys\n"
    f"sys.path.append({str(ROOT / 'bench')!r})\n"
    "import firstpaint\n"
    "firstpaint.CHILDREN[{kind!r}](sys.argv[1] if len(sys.argv) > 1 else '')\n"
)
BARE_CHILD = _CHILD.format(kind="bare")
KIOSK_CHILD = _CHILD.format(kind="kiosk")


def time_child(script: str, *args: str) -> dict[str, float]:
    """Seconds from spawning ``python -c script`` to each line it prints. Its standard error
    (Qt's offscreen plugin notes) is shown only if it fails."""
    command = [sys.executable, "-c", script, *args]
    with tempfile.TemporaryFile() as errors:  # under the work folder: tempfile.tempdir
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert child.stdout is not None
        times: dict[str, float] = {}
        for line in child.stdout:
            times.setdefault(line.strip(), time.perf_counter() - started)
        if child.wait(120) != 0 or "welcome" not in times:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace"))
            raise RuntimeError(f"a cold-start child failed ({child.returncode}): {sorted(times)}")
    return times


def start_figures(work: Path, runs: int, warm_up: bool) -> bool:
    data = work / "arranque"
    data.mkdir()
    (data / "config.toml").write_text(KIOSK_CONFIG, encoding="utf-8")
    first: dict[str, float] | None = None
    if warm_up:  # makes the database (migrations) and warms the OS file cache
        first = time_child(KIOSK_CHILD, str(data))
        time_child(BARE_CHILD)
    kiosk: list[dict[str, float]] = []
    bare: list[float] = []
    for _ in range(runs):  # alternating, so that a noisy moment hits both
        kiosk.append(time_child(KIOSK_CHILD, str(data)))
        bare.append(time_child(BARE_CHILD)["welcome"])
    shown = [times["first welcome"] for times in kiosk]
    ready = [times["welcome"] for times in kiosk]
    ratio = statistics.median(shown) / statistics.median(bare)
    met = ratio <= TARGET_START_RATIO
    print(
        f"kiosk start to the welcome a citizen sees: {seconds(shown)} vs bare window "
        f"{statistics.median(bare):.2f} s → {ratio:.1f}× (target ≤ {TARGET_START_RATIO:g}×: "
        f"{verdict(met)}); its services ready (real welcome painted): {seconds(ready)}"
    )
    steps = {step: statistics.median(times.get(step, 0.0) for times in kiosk) for step in STEPS}
    print(
        f"    kiosk: {runs_list(shown)}; medians: kiosk.app imported {steps['imported']:.2f} s, "
        f"first welcome painted {steps['first welcome']:.2f} s, desk open (on its thread) "
        f"{steps['desk']:.2f} s, screens built {steps['screens']:.2f} s, real welcome painted "
        f"{steps['welcome']:.2f} s"
    )
    print(f"    bare full-screen QWidget, start to first paint: {runs_list(bare)}")
    if first is not None:
        print(
            f"    not counted: the very first start (empty data folder: migrations; cold file "
            f"cache) {first['welcome']:.2f} s"
        )
    return met


# -- in-process helpers -----------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout_s: float = 120.0, what: str = "") -> None:
    """Run the event loop (sleeping in it, not spinning) until ``predicate()`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline, loop = time.perf_counter() + timeout_s, QEventLoop()
    while not predicate():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"waited {timeout_s:.0f} s in vain{': ' + what if what else ''}")
        QTimer.singleShot(5, loop.quit)
        loop.exec()


Stamps = dict[str, tuple[float, float]]  # what -> (started, ended), perf_counter seconds


def timed(stamps: Stamps, what: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` that records each call's start and end (from any thread; the last wins)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stamps[what] = (started, time.perf_counter())

    return wrapper


def paint_watch(widget: Any) -> Callable[[], float | None]:
    """From now, the time of ``widget``'s next paint (``None`` until it comes)."""
    from PySide6.QtCore import QEvent, QObject

    class Watch(QObject):
        painted: float | None = None

        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def] # noqa: N802
            if self.painted is None and event.type() == QEvent.Type.Paint:
                self.painted = time.perf_counter()
                widget.removeEventFilter(self)
            return False

    watch = Watch(widget)
    widget.installEventFilter(watch)
    return lambda: watch.painted


def new_probe():  # type: ignore[no-untyped-def]
    """A ``StallProbe`` that also says how the GUI thread spent its longest gap, from Linux's
    per-thread scheduler counts (``/proc/self/task/TID/schedstat``): on a CPU (its own work,
    Python or Qt's painting), waiting for a CPU (the machine busy), or neither: asleep, which
    is the probe's own few ms between ticks, and beyond that on the GUI thread waiting for the
    GIL another thread holds."""
    from mailroom.ui.tasks import StallProbe

    class Probe(StallProbe):
        split: tuple[float, float, float] | None = None  # ms on a CPU, queued, asleep

        def start(self) -> None:
            self.stat_path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
            self.stat, self.split = self.read_stat(), None
            super().start()

        def read_stat(self) -> tuple[float, float] | None:
            try:
                on_cpu, queued = self.stat_path.read_text().split()[:2]
            except OSError:
                return None
            return int(on_cpu) / 1e6, int(queued) / 1e6

        def _tick(self) -> None:
            longest, stat = self.longest_gap_ms, self.read_stat()
            super()._tick()
            if self.longest_gap_ms > longest and stat and self.stat:
                on_cpu, queued = stat[0] - self.stat[0], stat[1] - self.stat[1]
                self.split = (on_cpu, queued, max(0.0, self.longest_gap_ms - on_cpu - queued))
            self.stat = stat

    return Probe()


def described(split: tuple[float, float, float] | None) -> str:
    if split is None:
        return "(no scheduler counts)"
    return (f"the GUI thread on a CPU {split[0]:.0f} ms, waiting for a CPU {split[1]:.0f} ms, "
            f"asleep {split[2]:.0f} ms")  # fmt: skip


def make_printer():  # type: ignore[no-untyped-def]
    """The kiosk's fake ESC/POS printer, noting when each receipt's cut is parsed (on its
    connection's thread, so the time does not wait for our polling)."""
    from kiosk.fake_printer import FakeReceiptPrinter

    class TimedPrinter(FakeReceiptPrinter):
        cuts: list[float]

        def _cut(self) -> None:
            before = len(self._receipts)
            super()._cut()
            if len(self._receipts) > before:
                self.cuts.append(time.perf_counter())

    printer = TimedPrinter()
    printer.cuts = []
    printer.start()
    return printer


def demo_folder(folder: Path):  # type: ignore[no-untyped-def]
    """A fresh kiosk data folder with the demo e.firma (as ``make kiosk`` makes one)."""
    from mailroom.demo_profile import prepare_demo_profile

    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("demo_mode = true\n" + KIOSK_CONFIG, encoding="utf-8")
    return prepare_demo_profile(folder)


def open_efirma(profile):  # type: ignore[no-untyped-def]
    """``StartOptions.after_start``: the e.firma opened, as staff do each morning."""
    return lambda desk: desk.seal.open(
        profile.efirma_password, profile.efirma_cer, profile.efirma_key
    )


@dataclass
class Kiosk:
    running: Any  # kiosk.app.RunningKiosk
    citizen: Citizen

    @property
    def parts(self) -> Any:
        return self.running.parts

    def settle(self) -> None:
        wait_until(lambda: self.running.runner.active == 0, what="the task helper idle")


def start_kiosk(settings: Any, options: Any) -> Kiosk:
    """``open_kiosk`` as ``run_kiosk`` does it, waited until the screens show and the first
    checks (the demo e.firma, the scanner) are done; the heap then frozen as run_kiosk does."""
    from kiosk.app import open_kiosk

    running = open_kiosk(settings, options)
    wait_until(lambda: running.parts is not None, what="the kiosk's screens")
    kiosk = Kiosk(running, Citizen(running.parts))
    kiosk.settle()
    gc.collect()
    gc.freeze()
    return kiosk


def close_kiosk(kiosk: Kiosk) -> None:
    kiosk.running.close()  # its shell deleted there, timers and all
    gc.unfreeze()


class Citizen:
    """Taps only what a person could see (as ``tests/kiosk_citizen.py``'s citizen does; bench
    code does not import the tests)."""

    def __init__(self, parts: Any) -> None:
        self.window, self.session = parts.window, parts.session

    def button(self, words: str) -> Any:
        from PySide6.QtWidgets import QPushButton

        found = [b for b in self.window.findChildren(QPushButton) if _on_screen(b)
                 and words in (b.text(), b.accessibleName())]  # fmt: skip
        if len(found) != 1 or not found[0].isEnabled():
            raise RuntimeError(f"not one enabled «{words}» on the {self.session.screen} screen")
        return found[0]

    def tap(self, words: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.mouseClick(self.button(words), Qt.MouseButton.LeftButton)

    def type_into(self, name: str, text: str) -> None:
        """Tap the box, then type: key events carrying the text, as an on-screen keyboard
        sends them (QTest maps only ASCII to keys)."""
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QKeyEvent
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication, QLineEdit

        boxes = [e for e in self.window.findChildren(QLineEdit)
                 if e.accessibleName() == name and _on_screen(e)]  # fmt: skip
        if len(boxes) != 1:
            raise RuntimeError(f"no box «{name}» on {self.session.screen}")
        QTest.mouseClick(boxes[0], Qt.MouseButton.LeftButton)
        for character in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
                QApplication.sendEvent(boxes[0], event)

    def wait_for(self, screen: Any) -> None:
        wait_until(
            lambda: self.session.screen is screen and self.window.screen_widget().isVisible(),
            what=f"the {screen} screen",
        )


def _on_screen(widget: Any) -> bool:
    return bool(widget.isVisible() and not widget.visibleRegion().isEmpty())


def walk_to_document(kiosk: Kiosk) -> None:
    """Welcome → privacy → identity → subject → «No sé» → the document screen."""
    from kiosk.session import Screen

    citizen = kiosk.citizen
    citizen.tap("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    citizen.tap("Acepto y continúo")
    citizen.wait_for(Screen.IDENTITY)
    citizen.type_into("Nombre completo", NAME)
    citizen.type_into("CURP", CURP)
    citizen.tap("Continuar")
    citizen.wait_for(Screen.SUBJECT)
    citizen.type_into("Asunto", SUBJECT)
    citizen.tap("Continuar")
    citizen.tap("No sé")
    citizen.wait_for(Screen.DOCUMENT)
    kiosk.settle()


def scanned(kiosk: Kiosk) -> Callable[[], bool]:
    session = kiosk.citizen.session
    return lambda: session.answers.pages == FEEDER_SHEETS and kiosk.running.runner.active == 0


def walk_to_review(kiosk: Kiosk) -> None:
    """To the review screen with ``KEPT_PAGES`` pages: the feeder's ten, seven removed."""
    from kiosk.session import Screen

    citizen = kiosk.citizen
    walk_to_document(kiosk)
    citizen.tap("Digitalizar")
    wait_until(scanned(kiosk), what="the feeder's sheets")
    while citizen.session.answers.pages > KEPT_PAGES:
        citizen.tap(f"Quitar la página {KEPT_PAGES + 1}")
    citizen.tap("Continuar")
    citizen.wait_for(Screen.FOJAS)
    citizen.tap("Sí")
    citizen.wait_for(Screen.REVIEW)
    kiosk.settle()


# -- 2 and 3. «Registrar» to the receipt's cut, and the wipe --------------------------------


@dataclass(frozen=True)
class KioskRun:
    cut_s: float  # the tap on «Registrar» → the receipt's cut parsed by the printer
    done_s: float  # → the done screen's first paint
    register_s: float  # desk.register: capture handoff, Workstation.register, the seal
    print_s: float  # desk.print_receipt: the ticket drawn, sent, and its printout confirmed
    registrar_stall_ms: float
    registrar_split: tuple[float, float, float] | None
    wipe_s: float  # the tap on «Cancelar» → the welcome screen's first paint
    left: tuple[str, ...]  # what the wipe left of the citizen (nothing, we expect)


def kiosk_run(work: Path, printer: Any, index: int) -> KioskRun:
    """One kiosk on a fresh demo folder: a citizen registers 3 pages and leaves; the next fills
    everything in and cancels on the review screen."""
    from kiosk.app import StartOptions
    from kiosk.session import Screen
    from mailroom.config import load_settings

    profile = demo_folder(work / f"quiosco-{index}")
    settings = dataclasses.replace(load_settings(profile.data_dir), kiosk_printer=printer.spec)
    kiosk = start_kiosk(settings, StartOptions(after_start=open_efirma(profile)))
    try:
        if not kiosk.parts.desk.seal.is_open:
            raise RuntimeError("the demo e.firma did not open: the acuse would not be sealed")
        walk_to_review(kiosk)
        cut_s, done_s, stamps, probe = time_registrar(kiosk, printer)
        kiosk.citizen.tap("Terminar")
        kiosk.citizen.wait_for(Screen.WELCOME)
        kiosk.settle()
        walk_to_review(kiosk)
        wipe_s, left = time_wipe(kiosk)
    finally:
        close_kiosk(kiosk)
    register_s, print_s = (stamps[w][1] - stamps[w][0] for w in ("register", "print"))
    stall, split = probe.longest_gap_ms, probe.split
    return KioskRun(cut_s, done_s, register_s, print_s, stall, split, wipe_s, left)


def time_registrar(kiosk: Kiosk, printer: Any) -> tuple[float, float, Stamps, Any]:
    """The tap → the cut, → the done screen painted; the desk's two steps; the GUI's longest
    pause meanwhile."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from kiosk.session import Screen

    desk, window = kiosk.parts.desk, kiosk.parts.window
    stamps: Stamps = {}
    desk.register = timed(stamps, "register", desk.register)  # this desk only, undone below
    desk.print_receipt = timed(stamps, "print", desk.print_receipt)
    done = paint_watch(window.screens[Screen.DONE])
    cuts, button = len(printer.cuts), kiosk.citizen.button("Registrar")
    probe = new_probe()
    probe.start()
    started = time.perf_counter()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_until(lambda: len(printer.cuts) > cuts, timeout_s=60, what="the receipt's cut")
    wait_until(lambda: done() is not None and kiosk.running.runner.active == 0, what="done")
    probe.stop()
    del desk.register, desk.print_receipt
    receipt = kiosk.parts.session.receipt
    if receipt is None or not receipt.printed:
        raise RuntimeError(f"the receipt was not printed: {receipt}")
    return printer.cuts[cuts] - started, done() - started, stamps, probe  # type: ignore[operator]


def time_wipe(kiosk: Kiosk) -> tuple[float, tuple[str, ...]]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from kiosk.session import Screen

    window = kiosk.parts.window
    review = window.screens[Screen.REVIEW]
    if review.values["name"].text() != NAME or kiosk.parts.desk.capture is None:
        raise RuntimeError("the review screen does not show the citizen's answers")
    welcome = paint_watch(window.screens[Screen.WELCOME])
    button = kiosk.citizen.button("Cancelar")
    started = time.perf_counter()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_until(lambda: welcome() is not None, what="the welcome screen painted")
    return welcome() - started, leftovers(kiosk)  # type: ignore[operator]


def leftovers(kiosk: Kiosk) -> tuple[str, ...]:
    """What of the citizen is still in the kiosk after the wipe."""
    from PySide6.QtWidgets import QLineEdit

    from kiosk.session import Screen

    window, left = kiosk.parts.window, []
    if kiosk.parts.session.screen is not Screen.WELCOME:
        left.append(f"the session is on {kiosk.parts.session.screen}")
    if window.screen_widget() is not window.screens[Screen.WELCOME]:
        left.append("another screen shows")
    left += [f"box «{e.accessibleName()}»" for e in window.findChildren(QLineEdit) if e.text()]
    values = window.screens[Screen.REVIEW].values
    left += [f"review's {key}" for key, value in values.items() if value.text()]
    if window.screens[Screen.DOCUMENT].grid.tiles:
        left.append("the document screen's pages")
    if kiosk.parts.desk.capture is not None:
        left.append("the capture")
    return tuple(left)


def counter_registration(work: Path, index: int) -> float:
    """The baseline: the same 3 SANE pages and the same ``NewFiling`` (the kiosk's settings, the
    demo e.firma) through ``Workstation.register`` alone, OCR started; seconds it took."""
    from kiosk.desk import kiosk_settings, new_filing
    from kiosk.privacy import load_notice
    from kiosk.session import Answers, Identity, Topic
    from mailroom.capture.sane_options import ScanSettings
    from mailroom.capture.session import CaptureSession
    from mailroom.config import load_settings
    from mailroom.efirma_unlock import open_office_efirma
    from mailroom.workstation import Workstation

    profile = demo_folder(work / f"ventanilla-{index}")
    settings = kiosk_settings(load_settings(profile.data_dir))
    with Workstation(settings) as workstation:
        workstation.start()
        efirma = (profile.efirma_cer, profile.efirma_key, profile.efirma_password)
        signer = open_office_efirma(*efirma, settings, store=workstation.store).signer
        capture = CaptureSession(settings, workstation.store)
        capture.add(capture.read(SCANNER, scan=ScanSettings(source="adf")))
        while len(capture.pages) > KEPT_PAGES:
            capture.delete(KEPT_PAGES)
        version = load_notice(settings.data_dir, settings.office_name).version
        topic = Topic(SUBJECT, unsure=True)
        answers = Answers(version, Identity(NAME, CURP), topic, KEPT_PAGES, KEPT_PAGES)
        new, handoff = new_filing(answers, settings), capture.handoff()
        try:
            started = time.perf_counter()
            workstation.register(new, handoff.files, capture=handoff.report, signer=signer)
            return time.perf_counter() - started
        finally:
            handoff.discard()
            capture.clear()


def stack_switches(runs: int) -> list[float]:
    """The wipe's floor: a tap on a button that switches a bare ``QStackedWidget`` of the
    panel's size to its other page, until that page's first paint."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

    stack = QStackedWidget()
    buttons = []
    for number in range(2):
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(f"Página {number}"))
        buttons.append(QPushButton("Cambiar"))
        layout.addWidget(buttons[-1])
        stack.addWidget(page)
    for number, button in enumerate(buttons):
        button.clicked.connect(lambda _=False, n=number: stack.setCurrentIndex(1 - n))
    stack.resize(*PANEL)
    painted = paint_watch(stack.widget(0))
    stack.show()
    wait_until(lambda: painted() is not None, what="the bare stack shown")
    times = []
    for _ in range(runs):
        current = stack.currentIndex()
        painted = paint_watch(stack.widget(1 - current))
        started = time.perf_counter()
        QTest.mouseClick(buttons[current], Qt.MouseButton.LeftButton)
        wait_until(lambda: painted() is not None, what="the other page painted")  # noqa: B023
        times.append(painted() - started)  # type: ignore[operator]
    stack.close()
    stack.deleteLater()
    return times


def registrar_and_wipe_figures(work: Path, printer: Any, runs: int, warm_up: bool) -> list[bool]:
    first: tuple[KioskRun, float] | None = None
    if warm_up:  # the process's first registration loads pyHanko's, fpdf's and pdfium's parts
        first = (kiosk_run(work, printer, 0), counter_registration(work, 0))
    kiosk, counter = [], []
    for index in range(1, runs + 1):
        kiosk.append(kiosk_run(work, printer, index))
        counter.append(counter_registration(work, index))
    cuts = [r.cut_s for r in kiosk]
    met_receipt = statistics.median(cuts) <= TARGET_RECEIPT_S
    ratio = statistics.median(cuts) / statistics.median(counter)
    print(
        f"Registrar to the receipt's cut (3 pages, sealed): {seconds(cuts)} vs "
        f"Workstation.register alone {statistics.median(counter):.2f} s → {ratio:.1f}× "
        f"(target ≤ {TARGET_RECEIPT_S:g} s: {verdict(met_receipt)})"
    )
    median = {name: statistics.median(getattr(r, name) for r in kiosk)
              for name in ("register_s", "print_s", "done_s")}  # fmt: skip
    print(
        f"    the window tapped by a scripted citizen, OCR started (sync: not enrolled): "
        f"{runs_list(cuts)}; "
        f"medians: desk.register {median['register_s']:.2f} s (handoff + Workstation.register "
        f"+ seal) + desk.print_receipt {median['print_s']:.2f} s (until the printer confirms) "
        f"+ hand-offs; the done screen painted at {median['done_s']:.2f} s; the GUI's longest "
        f"pause meanwhile {millis([r.registrar_stall_ms for r in kiosk])}"
    )
    worst = max(kiosk, key=lambda r: r.registrar_stall_ms)
    print(
        f"    its longest: {worst.registrar_stall_ms:.0f} ms = {described(worst.registrar_split)}"
    )
    print(f"    Workstation.register (same pages, same NewFiling, sealed): {runs_list(counter)}")
    if first is not None:
        print(
            f"    not counted: the process's first registration, Registrar to cut "
            f"{first[0].cut_s:.2f} s (desk.register {first[0].register_s:.2f} s), "
            f"Workstation.register {first[1]:.2f} s"
        )
    return [met_receipt, wipe_figure(kiosk, runs, first)]


def wipe_figure(kiosk: Sequence[KioskRun], runs: int, first: tuple[KioskRun, float] | None) -> bool:
    wipes = [r.wipe_s for r in kiosk]
    floor = stack_switches(runs)
    left = sorted({item for r in kiosk for item in r.left})
    met = statistics.median(wipes) <= TARGET_WIPE_S and not left
    print(
        f"wipe to the welcome screen (Cancelar on the review, 3 pages): "
        f"{millis([1000 * w for w in wipes])} vs bare QStackedWidget switch "
        f"{1000 * statistics.median(floor):.0f} ms (target ≤ {TARGET_WIPE_S:g} s and nothing "
        f"left: {verdict(met)})"
    )
    print(
        f"    {runs_list(wipes, 1000, 'ms')}; floor {runs_list(floor, 1000, 'ms')}; left of the "
        f"citizen at the welcome's first paint: {', '.join(left) if left else 'nothing'}"
    )
    if first is not None:
        print(f"    not counted: the warm-up kiosk's wipe {1000 * first[0].wipe_s:.0f} ms")
    return met


# -- 4. the longest GUI stall while scanning, with OCR and sync at work ----------------------


class Activity:
    """When the OCR threads read a page and the sync thread ran a pass, and what each pass
    delivered (wrapping this workstation's own instances; the threads look both up at each
    call)."""

    def __init__(self, workstation: Any) -> None:
        self.spans: dict[str, list[list[Any]]] = {"ocr": [], "sync": []}  # start, end, result
        ocr, worker = workstation.ocr, workstation.sync.worker
        ocr._process = self._timed("ocr", ocr._process)
        worker.run_once = self._timed("sync", worker.run_once)

    def _timed(self, what: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            span = [time.perf_counter(), float("inf"), None]  # running until its end is set
            self.spans[what].append(span)
            try:
                span[2] = function(*args)
                return span[2]
            finally:
                span[1] = time.perf_counter()

        return wrapper

    def busy(self, what: str, start: float, end: float) -> float:
        """Thread-seconds spent on ``what`` inside [start, end], running spans included."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b, _ in list(self.spans[what]))

    def finished(self, what: str, start: float, end: float) -> list[Any]:
        """The results of the calls that ended inside [start, end]."""
        return [result for _, b, result in list(self.spans[what]) if start <= b <= end]


def cpu_seconds(pids: Sequence[int]) -> tuple[float, float]:
    """CPU-seconds so far: the whole machine's busy time (``/proc/stat``), and this benchmark's
    (this process with the children it reaped, tesseract among them, and ``pids``). Linux only;
    zeros elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        machine = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
        ours = 0
        for name in ["self", *(str(pid) for pid in pids if pid > 0)]:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            ours += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    except OSError:
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq = map(int, machine[:7])
    return (user + nice + system + irq + softirq) / tick, ours / tick


@dataclass(frozen=True)
class StallRun:
    stall_ms: float
    split: tuple[float, float, float] | None
    window_s: float
    ocr_s: float  # OCR thread-seconds inside the window
    ocr_pages: int  # pages the OCR finished inside the window
    sync_s: float
    synced: int  # filings the passes that ended inside the window delivered
    machine_cpus: float  # CPUs busy on average inside the window, all processes
    our_cpus: float  # of which this benchmark's (about: a child counts when reaped)


def busy_scan(kiosk: Kiosk, activity: Activity, load: Sequence[Path], backend: int) -> StallRun:
    """Filings registered with the sync loop held (OCR starts on them, their uploads wait), then
    the tap on «Digitalizar» with the sync loop let go at the same moment, and the GUI's longest
    pause until the feeder's ten sheets show; then «Cancelar»."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from kiosk.session import Screen

    walk_to_document(kiosk)
    workstation = kiosk.parts.desk.workstation
    hold_sync(workstation)
    register_load(kiosk.parts.desk, load)
    button = kiosk.citizen.button("Digitalizar")
    probe = new_probe()
    probe.start()
    started, cpu = time.perf_counter(), cpu_seconds([backend])
    workstation.start_sync()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_until(scanned(kiosk), what="the feeder's sheets")
    stall, ended, cpu_after = probe.stop(), time.perf_counter(), cpu_seconds([backend])
    kiosk.citizen.tap("Cancelar")
    kiosk.citizen.wait_for(Screen.WELCOME)
    kiosk.settle()
    passes = activity.finished("sync", started, ended)
    return StallRun(
        stall,
        probe.split,
        ended - started,
        activity.busy("ocr", started, ended),
        len(activity.finished("ocr", started, ended)),
        activity.busy("sync", started, ended),
        sum(len(getattr(p, "synced", ())) for p in passes),
        (cpu_after[0] - cpu[0]) / (ended - started),
        min(cpu_after[1] - cpu[1], cpu_after[0] - cpu[0]) / (ended - started),
    )


def hold_sync(workstation: Any) -> None:
    """Stop the sync loop as ``Workstation.close`` stops it (``start_sync`` starts it again): a
    loopback upload takes a fraction of a second, so uploads made while the load registers
    would be over before the tap."""
    workstation._sync_stop.set()
    workstation.sync.worker.stop_waiting()
    if workstation._sync_thread is not None:
        workstation._sync_thread.join(30)


def load_documents(folder: Path, runs: int) -> list[list[Path]]:
    """Per run, ``LOAD_FILINGS`` copies of the 10-page sample that differ in their metadata: the
    backend already holding a document would make its upload a no-op."""
    import pikepdf

    folder.mkdir()
    made = []
    for run in range(runs):
        made.append([folder / f"carga-{run}-{n}.pdf" for n in range(LOAD_FILINGS)])
        for path in made[-1]:
            with pikepdf.open(LOAD_SAMPLE) as pdf:
                pdf.docinfo["/Title"] = f"bench/kiosk.py {path.stem}"
                pdf.save(path)
    return made


def register_load(desk: Any, documents: Sequence[Path]) -> None:
    """The background's work: each document registered (sealed) on a worker, as the kiosk
    registers; OCR wakes at each."""
    from mailroom.models import Addressee, NewFiling, Sender

    new = NewFiling(
        Sender("Carga de fondo"),
        "Escrito de 10 fojas",
        addressees=(Addressee("Secretaría"),),
        fojas_declared=10,
    )
    done: list[bool] = []

    def register() -> None:
        try:
            for document in documents:
                desk.workstation.register(new, [document], signer=desk.seal.signer())
        finally:
            done.append(True)

    threading.Thread(target=register, name="bench-carga", daemon=True).start()
    wait_until(lambda: bool(done), what="the background filings registered")


@dataclass(frozen=True)
class IdleRun:
    stall_ms: float
    split: tuple[float, float, float] | None
    machine_cpus: float
    our_cpus: float


def idle_probe(seconds_: float, backend: int) -> IdleRun:
    """The baseline: the same probe on the same window, on the document screen, with nothing
    running (OCR and sync idle, no tap) for ``seconds_``."""
    probe = new_probe()
    probe.start()
    started, cpu = time.perf_counter(), cpu_seconds([backend])
    wait_until(lambda: time.perf_counter() > started + seconds_)
    probe.stop()
    after, elapsed = cpu_seconds([backend]), time.perf_counter() - started
    machine, ours = ((a - b) / elapsed for a, b in zip(after, cpu, strict=True))
    return IdleRun(probe.longest_gap_ms, probe.split, machine, ours)


def lowest_priority(session_leader: int) -> None:
    """A kiosk's backend is another machine: here it must not take this one's CPUs from the
    kiosk's GUI thread. It runs in a session of its own, and with Linux's autogroup scheduling
    (the default) a session competes with ours as a whole, whatever the nice value of its
    processes: both its processes and its autogroup go to the lowest priority."""
    os.setpriority(os.PRIO_PGRP, session_leader, 19)
    with contextlib.suppress(OSError):  # no autogroup (disabled, or not Linux)
        Path(f"/proc/{session_leader}/autogroup").write_text("19")


def stall_figures(work: Path, printer: Any, runs: int) -> bool:
    from kiosk.app import StartOptions
    from mailroom.demo_profile import DemoBackend

    profile = demo_folder(work / "estres")
    loads = load_documents(work / "carga", runs)
    if not profile.server_available:
        print("longest GUI stall: not measured, the reference backend needs the [server] extra")
        return False
    backend = DemoBackend(profile)
    settings = dataclasses.replace(backend.start(), kiosk_printer=printer.spec)
    try:
        lowest_priority(backend.pid or 0)
        options = StartOptions(backend_url=backend.url, after_start=open_efirma(profile))
        kiosk = start_kiosk(settings, options)
        try:
            workstation = kiosk.parts.desk.workstation
            if not workstation.status().sync_running:
                raise RuntimeError("the sync thread is not running: the device is not enrolled")
            wait_until(lambda: workstation.last_sync is not None, what="the first sync pass")
            walk_to_document(kiosk)  # first the idle window: OCR and sync have nothing yet
            idle = [idle_probe(IDLE_SECONDS, backend.pid or 0) for _ in range(runs)]
            kiosk.citizen.tap("Cancelar")
            kiosk.settle()
            activity = Activity(workstation)
            busy = [busy_scan(kiosk, activity, load, backend.pid or 0) for load in loads]
            passes = [result for _, _, result in activity.spans["sync"] if result is not None]
        finally:
            close_kiosk(kiosk)
    finally:
        backend.stop()
    return print_stalls(busy, idle, passes)


def print_stalls(busy: Sequence[StallRun], idle: Sequence[IdleRun], passes: Sequence[Any]) -> bool:
    stalls, idle_ms = [r.stall_ms for r in busy], [r.stall_ms for r in idle]
    met = max(stalls) <= TARGET_STALL_MS
    print(
        f"longest GUI stall, scanning {FEEDER_SHEETS} sheets with OCR and sync at work: "
        f"{millis(stalls)} vs idle window {statistics.median(idle_ms):.0f} ms (worst "
        f"{max(idle_ms):.0f}) (target ≤ {TARGET_STALL_MS:g} ms, worst run: {verdict(met)})"
    )
    for number, run in enumerate(busy, 1):
        print(
            f"    run {number}: {run.stall_ms:.0f} ms = {described(run.split)}; {run.window_s:.2f} "
            f"s from the tap to the sheets shown, in which OCR worked {run.ocr_s:.1f} thread-s "
            f"({run.ocr_pages} pages finished) and sync {run.sync_s:.1f} s ({run.synced} "
            f"filings delivered); CPUs busy {run.machine_cpus:.1f} of {os.cpu_count()}, this "
            f"benchmark's ~{run.our_cpus:.1f}, other processes' ~"
            f"{max(0.0, run.machine_cpus - run.our_cpus):.1f}"
        )
    for number, run in enumerate(idle, 1):
        print(f"    idle {number}: {run.stall_ms:.0f} ms over {IDLE_SECONDS:g} s = "
              f"{described(run.split)}; CPUs busy {run.machine_cpus:.1f}, this benchmark's "
              f"~{run.our_cpus:.1f}")  # fmt: skip
    online = sum(1 for p in passes if getattr(p, "online", False))
    print(f"    sync passes during the runs: {len(passes)} ({online} reached the backend)")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each measurement once, no warm-up")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--work-dir", help="where data folders go (default bench/.work-kiosk)")
    parser.add_argument("--parts", default="1234", help="which figures, e.g. 24 (default 1234)")
    options = parser.parse_args(argv)
    runs, warm_up = (1, False) if options.quick else (options.runs, True)
    with firstpaint.work_folder(options.work_dir, "kiosk") as work:
        prepare_environment(work)
        print(f"Qt offscreen, one {PANEL[0]}x{PANEL[1]} screen; {os.cpu_count()} cores, load "
              f"average {os.getloadavg()[0]:.1f} at the start; {runs} run(s) each"
              f"{'' if warm_up else ', no warm-up'}")  # fmt: skip
        met = []
        if "1" in options.parts:
            met.append(start_figures(work, runs, warm_up))
        from mailroom.entry import quiet_library_warnings
        from mailroom.ui.shell import application

        quiet_library_warnings()  # as ``oficialia kiosk`` does
        quiet_qt_noise()
        application()  # the kiosk's own (name, translations), as open_kiosk would make it
        printer = make_printer()
        try:
            if "2" in options.parts or "3" in options.parts:
                met += registrar_and_wipe_figures(work, printer, runs, warm_up)
            if "4" in options.parts:
                met.append(stall_figures(work, printer, runs))
        finally:
            printer.stop()
    print(
        f"targets met: {sum(met)} of {len(met)}; load average {os.getloadavg()[0]:.1f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
