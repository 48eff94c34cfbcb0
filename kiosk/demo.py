"""The kiosk's demo profile (``make kiosk``, ``oficialia kiosk --demo``): works on a fresh
machine with nothing attached.

It is the clerk's demo profile (``mailroom.demo_profile``: its own folder, a DEMO e.firma, the
reference backend on 127.0.0.1) with the kiosk's device code, SANE's ``test`` scanner and a
built-in receipt printer on 127.0.0.1 whose receipts are kept as PNG files in the demo folder's
``tickets/``, so a person can look at what a citizen would take home. The demo e.firma is opened
as soon as the kiosk starts, as staff would at the start of the day. Qt-free.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.admin_pin import AdminPin
from kiosk.fake_printer import FakeReceiptPrinter
from mailroom.config import APP_NAME, CONFIG_FILE, ENV_HOME, Settings, user_data_dir
from mailroom.demo_profile import DemoProfile, prepare_demo_profile

KIOSK_DEMO_DEVICE = "K01"
DEMO_PIN = "246810"
"""The demo's admin PIN (printed when the demo starts); a real kiosk's is set with
``oficialia kiosk pin``."""
TICKETS_FOLDER = "tickets"
SANE_FOLDER = "sane"
DEMO_CONFIG = (
    "# Perfil de demostración del quiosco de Oficialía (make kiosk)\n"
    "demo_mode = true\n"
    f'device = "{KIOSK_DEMO_DEVICE}"\n'
    'scanner = "sane:test:0"\n'
)
# SANE's `test` device, which Debian ships disabled, with a page a person can tell from blank.
SANE_DLL = "test\n"
SANE_TEST = 'test-picture "Color pattern"\n'


@dataclass
class KioskDemo:
    profile: DemoProfile
    printer: FakeReceiptPrinter

    pin: str = DEMO_PIN

    @property
    def tickets_dir(self) -> Path:
        return self.profile.data_dir / TICKETS_FOLDER

    def settings(self, base: Settings) -> Settings:
        return dataclasses.replace(base, kiosk_printer=self.printer.spec)

    def open_efirma(self, desk: object) -> None:
        """``StartOptions.after_start``: the demo e.firma opened, as staff would each morning."""
        profile = self.profile
        seal = desk.seal  # type: ignore[attr-defined]
        seal.open(profile.efirma_password, profile.efirma_cer, profile.efirma_key)

    def close(self) -> None:
        self.printer.stop()


def kiosk_demo_dir(explicit: str | None) -> Path:
    """The folder given (``--data-dir``, else ``OFICIALIA_HOME``) or the kiosk demo's own,
    beside (never inside) the office's real data and the clerk's demo."""
    given = explicit or os.environ.get(ENV_HOME)
    if given:
        return Path(given)
    return user_data_dir(APP_NAME + "-quiosco-demo")


def prepare_kiosk_demo(folder: Path) -> KioskDemo:
    """Create or reuse the profile; start the receipt printer (stop it with ``close``). SANE is
    pointed at the profile's ``test`` scanner before anything in this process touches SANE."""
    folder = folder.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_FILE
    if not config.exists() and not (folder / "oficialia.sqlite3").exists():
        config.write_text(DEMO_CONFIG, encoding="utf-8")
    sane = folder / SANE_FOLDER
    sane.mkdir(exist_ok=True)
    (sane / "dll.conf").write_text(SANE_DLL, encoding="utf-8")
    (sane / "test.conf").write_text(SANE_TEST, encoding="utf-8")
    os.environ.setdefault("SANE_CONFIG_DIR", str(sane))
    profile = prepare_demo_profile(folder)
    pin = AdminPin(folder)
    if not pin.is_set():
        pin.set(DEMO_PIN)
    printer = FakeReceiptPrinter(keep_dir=folder / TICKETS_FOLDER)
    printer.start()
    return KioskDemo(profile, printer)
