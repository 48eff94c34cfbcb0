"""The filing detail screen on real widgets (offscreen): a real sample registered and sealed on the
SAT-shaped test PKI, its OCR text after the real OCR worker (tesseract), the seal checked valid
and, once the stored acuse is tampered with, invalid; routing, status changes, cancellation and
reprints through the screen, each in the history; refusals shown in Spanish, nothing changed."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from mailroom import audit
from mailroom.ocr.worker import OcrWorker
from mailroom.store import Store
from mailroom.ui.filing_detail import FilingDetail
from mailroom.ui.tasks import TaskRunner
from tests import test_ui_acuse_view as acuse_tests
from tests.accounts_helpers import seated
from tests.test_ui_acuse_view import register_sample, sealed_acuse

# The acuse preview's fixtures: settings trusting the test PKI, their store, the task helper.
pki_settings = acuse_tests.pki_settings
pki_store = acuse_tests.pki_store
runner = acuse_tests.runner

SIGNER = "MARÍA GUADALUPE PÉREZ LÓPEZ"


def opened(qtbot, runner: TaskRunner, store: Store, settings, folio: str) -> FilingDetail:  # type: ignore[no-untyped-def]
    detail = FilingDetail(runner, store, settings)
    qtbot.addWidget(detail)
    detail.resize(1366, 768)
    detail.show()
    with qtbot.waitSignals([detail.loaded, detail.signatures_checked], timeout=20_000):
        detail.show_filing(folio)
    return detail


def reload(qtbot, detail: FilingDetail) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(detail.loaded, timeout=10_000):
        detail.refresh()


def history_rows(detail: FilingDetail) -> list[tuple[str, str, str]]:
    table = detail.history
    return [
        tuple(table.item(row, column).text() for column in (1, 2, 3))  # type: ignore[misc]
        for row in range(table.rowCount())
    ]


def event_count(store: Store) -> int:
    return int(store.reader().execute("SELECT count(*) FROM events").fetchone()[0])


def test_the_detail_shows_pages_text_after_ocr_and_a_valid_seal(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    detail = opened(qtbot, runner, pki_store, pki_settings, acuse.folio)

    assert detail.folio_label.text() == f"Folio {acuse.folio}"
    assert detail.status_label.text() == "Estado: registrado"
    assert detail.sync_label.text() == "Sincronización: pendiente de enviar"
    assert detail.institutional_label.text() == "Folio institucional: se asigna al sincronizar"
    assert detail.routes_label.text() == "Sin turnar"
    assert "OCR pendiente" in detail.text.toPlainText()
    panel = detail.signatures
    assert panel.headline.text() == "Sello válido."
    assert panel.values["signer"].text() == SIGNER
    assert panel.values["rfc"].text() == "PELG800101QX7"
    assert panel.demo.text().startswith("DEMO")  # the test root is not SAT's
    qtbot.waitUntil(lambda: detail.pages.page_image(0) is not None, timeout=10_000)
    assert detail.pages.count_label.text() == "1 página(s)"
    assert [row[1] for row in history_rows(detail)] == [
        "Escrito registrado",
        "Acuse sellado con la e.firma",
    ]

    progress = OcrWorker(pki_store, pki_settings).run_until_idle()
    assert progress.pages_done == 1
    reload(qtbot, detail)
    text = detail.text.toPlainText()
    assert "OCR pendiente" not in text and "confianza" in text
    assert "constancia de residencia" in text  # the sample's own words, read by tesseract
    assert detail.ocr_label.text() == "Texto reconocido en 1 de 1 página(s); 0 con error."
    assert history_rows(detail)[-1][1] == "Texto reconocido (OCR)"


def test_a_tampered_acuse_is_shown_invalid(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    path = pki_store.blobs.path(acuse.sha256)
    data = path.read_bytes()
    at = data.index(b"/Producer (pyHanko") + len(b"/Producer (p")
    path.write_bytes(data[:at] + b"x" + data[at + 1 :])  # one letter, inside the signed bytes

    detail = opened(qtbot, runner, pki_store, pki_settings, acuse.folio)

    panel = detail.signatures
    assert panel.headline.text() == "El sello del acuse NO es válido."
    assert f"Firma de {SIGNER} (RFC PELG800101QX7) ALTERADA" in panel.verdict.text()
    assert "está dañado (su huella SHA-256 no coincide)" in panel.verdict.text()
    assert detail.acuse.state_label.text().startswith("El PDF guardado del acuse")
    assert not detail.reprint_button.isEnabled() and not detail.acuse.print_button.isEnabled()


def test_routing_and_status_changes_go_to_the_history_and_illegal_ones_change_nothing(
    qtbot, runner, pki_store, pki_settings, clock
) -> None:  # type: ignore[no-untyped-def]
    folio = register_sample(pki_store, pki_settings, clock)
    clerk_settings = seated(pki_store, pki_settings, "oficial", "ventanilla1")
    detail = opened(qtbot, runner, pki_store, clerk_settings, folio)
    assert detail.cancel_button.toolTip().startswith("Solo un supervisor o un administrador")

    detail.open_route_dialog()
    dialog = detail.dialog
    assert dialog is not None and dialog.isVisible()  # open(), never exec()
    dialog.area.setEditText("Obras Públicas")
    dialog.note.setText("Revisar predial")
    with qtbot.waitSignals([detail.action_finished, detail.loaded], timeout=10_000):
        dialog.accept()
    assert detail.message_label.text() == f"Hecho: el escrito {folio} queda turnado."
    assert detail.status_label.text() == "Estado: turnado"
    assert detail.routes_label.text() == "Turnado a: Obras Públicas (directo)"
    assert history_rows(detail)[-1] == (
        "ventanilla1",
        "Turnado",
        "Obras Públicas (directo). Nota: Revisar predial",
    )

    before = event_count(pki_store)
    detail.open_status_dialog()
    dialog = detail.dialog
    assert dialog is not None and dialog.status.currentText() == "recibido por el área"
    dialog.status.setCurrentIndex(dialog.status.findData("atendida"))
    with qtbot.waitSignal(detail.action_failed, timeout=10_000) as failed:
        dialog.accept()
    message = (
        f"El escrito {folio} no puede pasar de «turnado» a «atendido» sin pasar antes por "
        "«recibido por el área»."
    )
    assert failed.args == [message] and detail.message_label.text() == message
    reload(qtbot, detail)
    assert detail.status_label.text() == "Estado: turnado"
    assert event_count(pki_store) == before

    with qtbot.waitSignals([detail.action_finished, detail.loaded], timeout=10_000):
        detail.change_status_to("recibida_por_area")
    assert detail.status_label.text() == "Estado: recibido por el área"
    assert history_rows(detail)[-1][1:] == (
        "Cambio de estado",
        "De «turnado» a «recibido por el área»",
    )
    assert audit.verify_chain(pki_store.reader()).ok


def test_cancel_is_for_supervisors_with_a_reason_and_freezes_the_filing(
    qtbot, runner, pki_store, pki_settings, clock
) -> None:  # type: ignore[no-untyped-def]
    folio = register_sample(pki_store, pki_settings, clock)
    clerk_settings = seated(pki_store, pki_settings, "oficial", "ana.ruiz")
    supervisor_settings = seated(pki_store, pki_settings, "supervisor", "jefa")
    clerk = opened(qtbot, runner, pki_store, clerk_settings, folio)
    assert not clerk.cancel_button.isEnabled()
    before = event_count(pki_store)
    with qtbot.waitSignal(clerk.action_failed, timeout=10_000):
        clerk.cancel_filing("Presentado por error")
    assert clerk.message_label.text().startswith(
        "La cuenta «ana.ruiz» (oficial) no puede cancelar escritos"
    )
    assert event_count(pki_store) == before

    supervisor = opened(qtbot, runner, pki_store, supervisor_settings, folio)
    assert supervisor.cancel_button.isEnabled()
    supervisor.open_cancel_dialog()
    dialog = supervisor.dialog
    assert dialog is not None
    label = dialog.form.labelForField(dialog.note)
    assert isinstance(label, QLabel) and label.text() == "Motivo (queda en la bitácora):"
    with qtbot.waitSignal(supervisor.action_failed, timeout=10_000):
        dialog.accept()  # no reason typed
    assert supervisor.message_label.text().startswith("Escriba el motivo de la cancelación")

    with qtbot.waitSignals([supervisor.action_finished, supervisor.loaded], timeout=10_000):
        supervisor.cancel_filing("El ciudadano se desistió por escrito")
    assert supervisor.status_label.text() == "Estado: cancelado"
    assert history_rows(supervisor)[-1][1:] == (
        "Escrito cancelado",
        "Motivo: El ciudadano se desistió por escrito",
    )
    for button in (supervisor.route_button, supervisor.status_button, supervisor.cancel_button):
        assert not button.isEnabled()
    assert supervisor.cancel_button.toolTip() == "El escrito ya está cancelado."
    assert audit.verify_chain(pki_store.reader()).ok


def test_reprint_records_the_event_and_opens_the_print_dialog(
    qtbot, runner, pki_store, pki_settings, clock, sat_pki
) -> None:  # type: ignore[no-untyped-def]
    acuse = sealed_acuse(pki_store, pki_settings, clock, sat_pki)
    detail = opened(qtbot, runner, pki_store, pki_settings, acuse.folio)

    with qtbot.waitSignals([detail.action_finished, detail.loaded], timeout=10_000):
        qtbot.mouseClick(detail.reprint_button, Qt.MouseButton.LeftButton)
    assert detail.tabs.currentWidget() is detail.acuse
    assert detail.acuse.print_dialog is not None and detail.acuse.print_dialog.isVisible()
    assert history_rows(detail)[-1][1:] == ("Acuse reimpreso", "Acuse sellado")
    payload = json.loads(
        pki_store.reader()
        .execute("SELECT payload FROM events WHERE kind = 'acuse_reimpreso'")
        .fetchone()[0]
    )
    assert payload["sha256"] == acuse.sha256
    detail.acuse.print_dialog.reject()
