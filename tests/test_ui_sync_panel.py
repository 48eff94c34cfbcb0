"""The sync status panel on real widgets (offscreen) against the real reference backend on
127.0.0.1, through the real task helper: offline, back online, a parked item retried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import Qt  # noqa: E402

from mailroom.config import Settings  # noqa: E402
from mailroom.intake import IntakeService  # noqa: E402
from mailroom.models import NewFiling, Sender  # noqa: E402
from mailroom.samples import render_page_image  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.sync_panel import SyncPanel  # noqa: E402
from mailroom.ui.tasks import StallProbe, TaskRunner  # noqa: E402
from sync import enrolment, outbox  # noqa: E402
from sync.controls import SyncControls  # noqa: E402
from sync.server.backend import Backend, BackendConfig  # noqa: E402
from sync.server.serve import ThreadedServer  # noqa: E402
from sync.transport import Transport  # noqa: E402
from tests.backend_server import BackendServer, running_backend  # noqa: E402

REJECTION = "El servidor rechazó el escrito: la dependencia destinataria no existe en el catálogo."


@pytest.fixture
def tasks(qtbot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.wait_all(30_000), "una tarea de sincronización no terminó"


@contextmanager
def backend_on_port(data_dir: Path, port: int) -> Iterator[None]:
    """The backend started again on the port (and data) the device was enrolled with, as when
    the office's server comes back after an outage."""
    server = ThreadedServer(Backend(BackendConfig(data_dir=data_dir)))
    server.server.config.port = port
    server.start()
    try:
        yield
    finally:
        server.stop()


def enrol(store: Store, settings: Settings, backend: BackendServer) -> None:
    token = backend.enrolment_token(settings.office)
    enrolment.enroll(store, Transport(backend.url), token, settings.device, datetime.now(UTC))


def register(store: Store, settings: Settings, folder: Path, subject: str) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hoja.jpg"
    render_page_image([subject], dpi=100).save(path, "JPEG", dpi=(100, 100), quality=80)
    registered = IntakeService(store, settings).register(
        NewFiling(Sender("Ana Ruiz"), subject), [path]
    )
    return registered.filing.folio, str(registered.filing.id)


def make_panel(qtbot, store: Store, settings: Settings, tasks: TaskRunner) -> SyncPanel:
    panel = SyncPanel(SyncControls(store, settings), tasks)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=10_000):
        panel.refresh()
    return panel


def click_and_wait_for_refresh(qtbot, panel: SyncPanel, button, done_signal) -> None:
    """Click, then wait for the action's own signal and the refresh that follows it."""
    with qtbot.waitSignals([done_signal, panel.refreshed], order="strict", timeout=30_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def institutional_folio(store: Store, uuid: str) -> str | None:
    row = (
        store.reader()
        .execute("SELECT institutional_folio FROM filings WHERE uuid = ?", [uuid])
        .fetchone()
    )
    return row[0]


def test_offline_then_back_online_sends_the_pending_filing(
    qtbot, tasks: TaskRunner, store: Store, settings: Settings, tmp_path: Path, frozen_heap: None
) -> None:
    server_dir = tmp_path / "servidor"
    with running_backend(server_dir) as backend:
        enrol(store, settings, backend)
        port = urlsplit(backend.url).port
    assert port is not None
    folio, uuid = register(store, settings, tmp_path / "hojas", "Solicitud de poda")
    panel = make_panel(qtbot, store, settings, tasks)

    click_and_wait_for_refresh(qtbot, panel, panel.sync_button, panel.sync_finished)

    assert panel.connection_label.text() == "Sin conexión"
    assert panel.connection_label.toolTip() != ""  # why: the transport's Spanish reason
    assert panel.pending_label.text() == "Pendientes: 1"
    assert panel.last_success_label.text() == "Última sincronización correcta: nunca"
    assert panel.message_label.text().startswith("Sin conexión")
    assert panel.sync_button.isEnabled()

    probe = StallProbe()
    with backend_on_port(server_dir, port):
        probe.start()
        click_and_wait_for_refresh(qtbot, panel, panel.sync_button, panel.sync_finished)
        longest_stall_ms = probe.stop()

    assert panel.connection_label.text() == "En línea"
    assert panel.pending_label.text() == "Pendientes: 0"
    assert panel.report is not None and panel.report.synced == 1
    assert panel.message_label.text() == "Enviados: 1; en espera: 0; requieren atención: 0."
    assert panel.last_success_label.text() != "Última sincronización correcta: nunca"
    assert panel.problem_text(folio) is None  # the offline note went away with the delivery
    assert (institutional_folio(store, uuid) or "").startswith(f"{settings.office}/")
    # The pass (ping, pull, upload, receipt) ran off the GUI thread: the window kept painting.
    assert longest_stall_ms <= 50, f"el hilo de la interfaz se detuvo {longest_stall_ms:.0f} ms"


def test_parked_item_shows_its_reason_and_retry_puts_it_back(
    qtbot, tasks: TaskRunner, store: Store, settings: Settings, tmp_path: Path
) -> None:
    with running_backend(tmp_path / "servidor") as backend:
        enrol(store, settings, backend)
        folio, uuid = register(store, settings, tmp_path / "hojas", "Queja vecinal")
        outbox.park(store, uuid, datetime.now(UTC), REJECTION, "rechazado")
        panel = make_panel(qtbot, store, settings, tasks)

        assert panel.problem_text(folio) == f"{folio}: {REJECTION}"
        assert panel.pending_label.text() == "Pendientes: 0"
        assert panel.report is not None and panel.report.needs_attention == 1

        retry = panel.retry_buttons[folio]
        assert retry.text() == "Reintentar"
        click_and_wait_for_refresh(qtbot, panel, retry, panel.retry_finished)

        assert panel.message_label.text().startswith(f"{folio} vuelve a la cola")
        assert panel.report.needs_attention == 0
        assert panel.pending_label.text() == "Pendientes: 1"
        assert outbox.item(store.reader(), uuid).state == "pendiente"
        assert panel.problem_text(folio) is None  # back in the queue, no longer a problem

        click_and_wait_for_refresh(qtbot, panel, panel.sync_button, panel.sync_finished)

        assert panel.pending_label.text() == "Pendientes: 0"
        assert panel.problem_text(folio) is None and folio not in panel.retry_buttons
        assert institutional_folio(store, uuid) is not None


def test_not_enrolled_device_and_unknown_folio_say_so(
    qtbot, tasks: TaskRunner, store: Store, settings: Settings
) -> None:
    panel = make_panel(qtbot, store, settings, tasks)
    assert panel.connection_label.text() == "Equipo sin dar de alta en el servidor"

    click_and_wait_for_refresh(qtbot, panel, panel.sync_button, panel.sync_finished)

    assert "alta" in panel.message_label.text()  # NotEnrolled's Spanish message, not a traceback
    assert panel.sync_button.isEnabled()

    # A folio that is not in the queue (say, cancelled meanwhile): the store's Spanish answer.
    with qtbot.waitSignals([panel.retry_finished, panel.refreshed], order="strict", timeout=10_000):
        panel.retry("OPM-2026-C01-999999")
    assert panel.message_label.text() == (
        "No hay un escrito por enviar con folio 'OPM-2026-C01-999999'."
    )
