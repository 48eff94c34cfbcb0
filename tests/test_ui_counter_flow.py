"""The whole counter, driven through the real main window (offscreen) on the demo profile: the
demo e.firma, the reference backend under uvicorn on 127.0.0.1, real tesseract.

import the sample scan → fill the form → Registrar → the sealed acuse is on screen and its seal
verifies → the inbox lists the filing → a word of its OCR text typed without accents finds it;
and offline → online: the pending count goes to zero once the backend answers again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")
pytest.importorskip("uvicorn", reason="el servidor de referencia necesita el extra [server]")

from PySide6.QtCore import Qt  # noqa: E402

from mailroom.config import load_settings  # noqa: E402
from mailroom.demo_profile import (  # noqa: E402
    DEMO_ACCOUNTS,
    DemoBackend,
    DemoProfile,
    prepare_demo_profile,
)
from mailroom.filing_detail import FilingDetailService  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.app import RunningApp, build_app  # noqa: E402
from mailroom.ui.inbox_model import Column  # noqa: E402
from mailroom.workstation import CounterOutcome  # noqa: E402
from tests.accounts_helpers import administrator  # noqa: E402
from tests.test_ui_filing_form import fill_required  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


@pytest.fixture
def profile(tmp_path: Path) -> DemoProfile:
    return prepare_demo_profile(tmp_path / "demo")


@pytest.fixture
def backend(profile: DemoProfile) -> Iterator[DemoBackend]:
    server = DemoBackend(profile)
    server.start()
    yield server
    server.stop()


def open_app(qtbot, profile: DemoProfile, backend: DemoBackend) -> RunningApp:  # type: ignore[no-untyped-def]
    # The demo's administrator: the one who may open the office e.firma.
    running = build_app(
        load_settings(profile.data_dir), backend_url=backend.url, actor=DEMO_ACCOUNTS[0].actor
    )
    running.window.resize(1366, 768)
    running.window.show()
    qtbot.waitExposed(running.window)
    return running


def unlock_demo_efirma(qtbot, running: RunningApp, profile: DemoProfile) -> None:  # type: ignore[no-untyped-def]
    running.window.prefill_efirma(profile.efirma_cer, profile.efirma_key)
    running.window.open_efirma_dialog()
    dialog = running.window.efirma_dialog()
    qtbot.keyClicks(dialog.password_edit, profile.efirma_password)
    with qtbot.waitSignal(running.session.unlocked, timeout=20_000):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    dialog.close()
    assert running.window.sealing_indicator.text() == "Sellando acuses"


def register_sample(qtbot, running: RunningApp, sample: str) -> CounterOutcome:  # type: ignore[no-untyped-def]
    intake = running.window.intake
    intake.capture.add_files([str(SAMPLES / sample)])
    qtbot.waitUntil(lambda: intake.capture.page_count() == 1 and not intake.capture.is_busy())
    fill_required(qtbot, intake.form)
    intake.form.fojas.setValue(1)
    with qtbot.waitSignal(intake.filing_registered, timeout=30_000) as registered:
        qtbot.mouseClick(intake.register_button, Qt.MouseButton.LeftButton)
    return registered.args[0]


def test_the_counter_flow_from_scan_to_search(qtbot, profile, backend) -> None:  # type: ignore[no-untyped-def]
    running = open_app(qtbot, profile, backend)
    try:
        unlock_demo_efirma(qtbot, running, profile)
        window = running.window
        outcome = register_sample(qtbot, running, "solicitud.jpg")
        folio = outcome.registration.filing.folio

        # The sealed acuse is on screen at once, and its seal verifies.
        assert window.intake.pages.currentIndex() == 1
        assert window.intake.result_title.text() == f"Registrado con el folio {folio}"
        assert outcome.acuse.sealed and outcome.seal_problem is None
        qtbot.waitUntil(lambda: window.intake.acuse.view.page_image(0) is not None, timeout=10_000)
        seal = FilingDetailService(running.workstation.store, running.workstation.settings)
        summary = seal.verify_acuse(folio)
        assert summary.state == "valida", summary.headline
        assert summary.demo  # made with the demo PKI, and said so

        # The inbox lists it; once its OCR is done, a word typed without accents finds it.
        window.focus_search()
        qtbot.waitUntil(lambda: _folios(window) == [folio], timeout=10_000)
        qtbot.waitUntil(lambda: running.workstation.status().ocr.pages_pending == 0, timeout=60_000)
        qtbot.keyClicks(window.inbox.search, "Cardenas Ordonez")
        # The browse list already shows the folio: wait for the search's own row, with its
        # snippet of the OCR text.
        qtbot.waitUntil(lambda: "CÁRDENAS" in str(_cell(running, Column.MATCH)).upper())
        assert _folios(window) == [folio]
        assert window.inbox.message.text() == "1 coincidencia(s) mostradas"
    finally:
        running.close()


def test_offline_then_online_empties_the_pending_count(qtbot, profile, backend) -> None:  # type: ignore[no-untyped-def]
    backend.stop()  # enrolled, then the link goes down
    running = open_app(qtbot, profile, backend)
    try:
        register_sample(qtbot, running, "comprobante.png")
        panel = running.window.sync_panel
        with qtbot.waitSignal(panel.sync_finished, timeout=30_000):
            qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.pending_label.text() == "Pendientes: 1", timeout=10_000)
        assert "Sin conexión" in panel.connection_label.text()

        backend.start()  # the same port again: the enrolment's URL still holds
        with qtbot.waitSignal(panel.sync_finished, timeout=30_000):
            qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.pending_label.text() == "Pendientes: 0", timeout=10_000)
        running.window.inbox.apply()
        qtbot.waitUntil(
            lambda: "sincronizada · DEMO/" in str(_cell(running, Column.SYNC)), timeout=10_000
        )
    finally:
        running.close()


def _folios(window) -> list[str]:  # type: ignore[no-untyped-def]
    model = window.inbox.model
    return [model.data(model.index(row, Column.FOLIO)) for row in range(model.rowCount())]


def _cell(running: RunningApp, column: Column) -> object:
    model = running.window.inbox.model
    return model.data(model.index(0, column)) if model.rowCount() else None


def test_registrar_with_nothing_filled_says_what_is_missing_and_registers_nothing(
    qtbot, settings
) -> None:  # type: ignore[no-untyped-def]
    with Store(settings.data_dir) as store:
        actor = administrator(store, settings).seat.actor
    running = build_app(settings, start_background=False, actor=actor)
    try:
        intake = running.window.intake
        running.window.show()
        qtbot.waitExposed(running.window)
        with qtbot.waitSignal(intake.registration_failed, timeout=5_000) as refused:
            qtbot.mouseClick(intake.register_button, Qt.MouseButton.LeftButton)
        expected = (
            "Falta digitalizar o agregar el documento. "
            "Falta: remitente, asunto, área turnada, fojas."
        )
        assert refused.args == [expected]
        assert intake.explanation.text() == expected
        # Each field says it too, by the field (the form shows them all on an attempt).
        assert intake.form.problems()
        assert intake.pages.currentIndex() == 0
        assert running.workstation.store.reader().execute(
            "SELECT count(*) FROM filings"
        ).fetchone() == (0,)
    finally:
        running.close()
