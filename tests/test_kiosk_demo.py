"""``make kiosk``'s demo profile on a fresh folder: device K01, SANE's test scanner, the admin
PIN, the demo e.firma opened as staff would, and the receipt printer on 127.0.0.1 keeping each
ticket as a PNG a person can look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from kiosk.admin_pin import AdminPin
from kiosk.demo import DEMO_PIN, KIOSK_DEMO_DEVICE, kiosk_demo_dir, prepare_kiosk_demo
from kiosk.desk import KioskDesk
from kiosk.session import Answers, Identity, Topic
from mailroom.config import load_settings


def test_the_demo_files_seals_and_keeps_its_tickets(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.sane_env import use_sane_test_backend

    use_sane_test_backend(tmp_path_factory)  # this process's SANE is already the test one
    folder = tmp_path / "quiosco-demo"
    demo = prepare_kiosk_demo(folder)
    try:
        assert (folder / "sane" / "dll.conf").read_text() == "test\n"
        assert AdminPin(folder).check(DEMO_PIN).ok
        settings = demo.settings(load_settings(folder))
        assert settings.device == KIOSK_DEMO_DEVICE and settings.demo_mode
        assert settings.scanner == "sane:test:0"
        assert settings.kiosk_printer == demo.printer.spec
        desk = KioskDesk(settings)
        try:
            demo.open_efirma(desk)
            assert desk.seal.is_open
            capture = desk.new_capture()
            capture.add(capture.read(desk.scan_spec()))
            answers = Answers(desk.notice.version, Identity(name="Ana Demo"),
                              Topic(subject="Prueba del quiosco", unsure=True), 1, 1)  # fmt: skip
            filed = desk.register(answers, capture)
            assert filed.sealed and filed.folio.startswith("DEMO-")
            assert desk.print_receipt(filed).printed
        finally:
            desk.close()
        [ticket] = sorted(demo.tickets_dir.glob("recibo-*.png"))
        assert Image.open(ticket).width == 576
    finally:
        demo.close()
    # A second start reuses the profile (its filings, its PIN) and does not refuse the folder.
    again = prepare_kiosk_demo(folder)
    again.close()
    assert AdminPin(folder).check(DEMO_PIN).ok


def test_the_demo_folder_is_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OFICIALIA_HOME", raising=False)
    own = kiosk_demo_dir(None)
    assert own.name.endswith("-quiosco-demo")
    monkeypatch.setenv("OFICIALIA_HOME", str(tmp_path / "x"))
    assert kiosk_demo_dir(None) == tmp_path / "x"
    assert kiosk_demo_dir(str(tmp_path / "y")) == tmp_path / "y"
