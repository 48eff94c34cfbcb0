"""The registration form on real widgets (offscreen), typed into with qtbot.keyClicks, its
catalogs read from a store filled by the real down-sync code, and the duplicate warning against
a real registration of a sample scan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QWidget  # noqa: E402

from mailroom.clock import FixedClock  # noqa: E402
from mailroom.config import Settings  # noqa: E402
from mailroom.errors import DuplicateDocument, StorageError  # noqa: E402
from mailroom.intake import IntakeService  # noqa: E402
from mailroom.models import Addressee, AreaRole, NewFiling, Sender  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.filing_form import DuplicateWarning, FilingForm  # noqa: E402
from mailroom.ui.tasks import TaskRunner  # noqa: E402
from sync import downsync  # noqa: E402
from sync.server.catalogs import DEFAULTS  # noqa: E402
from tests.sync_fakes import ScriptedTransport, answer  # noqa: E402
from tests.ui_fixtures import waited_runner

TODAY = date(2026, 3, 9)
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
BAD_CURP = (
    "El dígito verificador de la CURP no corresponde: se esperaba 7. Revise que esté bien escrita."
)


@pytest.fixture
def runner(qtbot, store) -> Iterator[TaskRunner]:  # type: ignore[no-untyped-def]
    with waited_runner() as tasks:
        yield tasks


def make_form(qtbot, runner: TaskRunner, store: Store) -> FilingForm:  # type: ignore[no-untyped-def]
    form = FilingForm(runner, store.reader, today=lambda: TODAY)
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.catalogs_loaded, timeout=5000):
        form.resize(600, 1100)
        form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=5000)
    return form


def message(form: QWidget, field: str) -> str:
    label = form.findChild(QLabel, f"problema_{field}")
    assert label is not None
    return label.text() if label.isVisible() else ""


def leave(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Give the field the focus, then Tab out of it, as the clerk does."""
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: not widget.hasFocus(), timeout=2000)


def type_text(qtbot, widget: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """qtbot.keyClicks, also for «é» or «í» (QTest's own asserts on non-ASCII characters)."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


def fill_required(qtbot, form: FilingForm) -> None:  # type: ignore[no-untyped-def]
    type_text(qtbot, form.sender_name, "Juan Pérez Rulfo")
    qtbot.keyClicks(form.subject, "Solicitud de constancia de residencia")
    type_text(qtbot, form.addressees.area, "Secretaría del Ayuntamiento")
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    form.fojas.setFocus(Qt.FocusReason.TabFocusReason)  # Tab into it selects «Sin declarar»
    qtbot.keyClicks(form.fojas, "3")


def pull_default_catalogs(store: Store) -> None:
    def reply(method: str, path: str, kwargs: dict[str, object]):  # type: ignore[no-untyped-def]
        name = path.rsplit("/", 1)[1]
        return answer(200, {"items": DEFAULTS[name]}, headers={"ETag": f'"{name}"'})

    for name in ("procedures", "departments"):
        downsync.pull_catalog(store, ScriptedTransport(reply), name, datetime(2026, 3, 9, 9, 0))


def test_an_invalid_curp_is_explained_by_its_field_once_the_clerk_leaves_it(
    qtbot, runner, store
) -> None:
    form = make_form(qtbot, runner, store)
    qtbot.keyClicks(form.sender_curp, "hegt761003mdfrnn08")
    assert message(form, "sender_curp") == ""  # not while still typing
    leave(qtbot, form.sender_curp)
    assert message(form, "sender_curp") == BAD_CURP
    label = form.findChild(QLabel, "problema_sender_curp")
    assert label.parentWidget() is form.sender_curp.parentWidget()  # right under the field
    assert form.sender_curp.text() == "HEGT761003MDFRNN08"  # shown as it will be printed
    form.sender_curp.setFocus()
    qtbot.keyClick(form.sender_curp, Qt.Key.Key_Backspace)
    qtbot.keyClicks(form.sender_curp, "7")
    assert message(form, "sender_curp") == ""  # fixed: the message goes at once
    assert message(form, "sender_name") == ""  # a field never visited says nothing


def test_an_empty_form_says_what_is_missing_and_a_filled_one_is_ready(qtbot, runner, store) -> None:
    form = FilingForm(runner, store.reader, today=lambda: TODAY)
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.validity_changed, timeout=5000) as first:
        pass
    assert first.args == [False, "Falta: remitente, asunto, área turnada, fojas."]
    assert form.new_filing() is None
    assert message(form, "sender_name") == ""  # hidden widget: isVisible is False
    form.show()
    assert form.new_filing() is None  # an attempt shows every message at once
    assert message(form, "sender_name") == "El nombre del remitente es obligatorio."
    assert message(form, "subject") == "El asunto es obligatorio."
    assert message(form, "addressees") == "Turne el escrito al menos a un área."
    assert message(form, "fojas") == "Indique cuántas fojas entrega el remitente."
    states: list[tuple[bool, str]] = []
    form.validity_changed.connect(lambda ok, text: states.append((ok, text)))
    fill_required(qtbot, form)
    assert states[-1] == (True, "")
    assert states[0] == (False, "Falta: asunto, área turnada, fojas.")  # after the first key
    assert message(form, "sender_name") == "" and message(form, "fojas") == ""
    assert form.new_filing() == NewFiling(
        sender=Sender("Juan Pérez Rulfo"),
        subject="Solicitud de constancia de residencia",
        addressees=(Addressee("Secretaría del Ayuntamiento"),),
        fojas_declared=3,
    )


def test_the_whole_form_builds_the_filing_and_clear_empties_it(qtbot, runner, store) -> None:
    form = make_form(qtbot, runner, store)
    fojas: list[object] = []
    form.fojas_changed.connect(fojas.append)
    fill_required(qtbot, form)
    qtbot.keyClicks(form.sender_rfc, "gode561231gr8")
    qtbot.keyClicks(form.sender_email, "juan@ejemplo.mx")
    qtbot.keyClicks(form.document_number, "OF-7/2026")
    form.document_date.set_day(date(2026, 3, 2))
    form.priority.setCurrentIndex(1)
    form.response_due.set_day(date(2026, 3, 30))
    form.addressees.role.setCurrentIndex(1)
    type_text(qtbot, form.addressees.area, "Tesorería")
    qtbot.mouseClick(form.addressees.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.annexes.description, "Comprobante de domicilio")
    form.annexes.pages.setValue(2)
    qtbot.mouseClick(form.annexes.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.observations, "Original y copia")
    form.sensitive.setChecked(True)
    new = form.new_filing()
    assert new is not None and fojas[-1] == 3
    assert (new.sender.rfc, new.sender.email) == ("GODE561231GR8", "juan@ejemplo.mx")
    assert new.addressees[1] == Addressee("Tesorería", AreaRole.COPIA)
    assert [a.description for a in new.annexes] == ["Comprobante de domicilio"]
    assert new.annexes[0].pages == 2 and new.priority.value == "urgente" and new.sensitive
    assert (new.document_date, new.response_due) == (date(2026, 3, 2), date(2026, 3, 30))
    table = form.addressees.table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["directo", "copia"]
    form.clear()
    assert form.values().sender_name == "" and form.addressees.rows == []
    assert form.document_date.text() == "Sin fecha" and form.fojas.text() == "Sin declarar"
    assert fojas[-1] is None
    assert form.problems()[0].field == "sender_name"
    assert message(form, "sender_name") == ""  # a new filing starts without reproaches


def test_bad_dates_fojas_and_lists_get_spanish_messages(qtbot, runner, store) -> None:
    form = make_form(qtbot, runner, store)
    form.response_due.set_day(date(2026, 3, 1))
    assert message(form, "response_due") == (
        "La fecha límite de respuesta (01/03/2026) ya pasó; debe ser hoy (09/03/2026) o después."
    )
    form.response_due.setFocus()
    qtbot.keyClick(form.response_due, Qt.Key.Key_Delete)
    assert form.response_due.text() == "Sin fecha límite" and message(form, "response_due") == ""
    qtbot.keyClicks(form.response_due, "20")  # typing into an empty date starts from today
    assert form.response_due.text() == "20/03/2026" and message(form, "response_due") == ""
    assert form.values().response_due == "2026-03-20"
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert message(form, "addressees") == "Escriba o elija un área para agregarla."
    form.addressees.role.setCurrentIndex(1)
    qtbot.keyClicks(form.addressees.area, "Obras")
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert message(form, "addressees") == (
        "Al menos un área debe recibir el escrito como turno directo."
    )
    form.addressees.table.selectRow(0)
    qtbot.mouseClick(form.addressees.remove_button, Qt.MouseButton.LeftButton)
    assert form.addressees.table.rowCount() == 0
    assert message(form, "addressees") == "Turne el escrito al menos a un área."
    qtbot.mouseClick(form.annexes.add_button, Qt.MouseButton.LeftButton)
    assert message(form, "annexes") == "Escriba la descripción del anexo."


def test_synced_catalogs_feed_the_completers_and_bind_the_values(qtbot, runner, store) -> None:
    pull_default_catalogs(store)
    form = make_form(qtbot, runner, store)
    completer = form.addressees.area.completer()
    qtbot.keyClicks(form.addressees.area, "tesor")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "Tesorería Municipal"
    form.addressees.area.clear()
    qtbot.keyClicks(form.procedure, "licencia")
    names = form.procedure.completer().completionModel()
    offered = {names.index(row, 0).data() for row in range(names.rowCount())}
    assert offered == {"Licencia de construcción", "Licencia de funcionamiento"}
    qtbot.keyClicks(form.procedure, " de construccion")  # the popup still open, as at a counter
    leave(qtbot, form.procedure)
    assert form.procedure.text() == "Licencia de construcción"
    # The catalog names the department that handles it: turned there directly.
    assert form.addressees.rows[0].area == "Dirección de Desarrollo Urbano"
    type_text(qtbot, form.addressees.area, "obras públicas")
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert form.addressees.rows[1].area == "Dirección de Obras Públicas"  # the catalog's name
    type_text(qtbot, form.addressees.area, "Protección Civil")
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert message(form, "addressees") == (
        "El área «Protección Civil» no está en el catálogo; elija una de la lista."
    )
    assert form.new_filing() is None


def test_before_any_sync_the_departments_already_used_are_offered(
    qtbot, runner, store: Store, settings: Settings, clock: FixedClock
) -> None:
    new = NewFiling(
        sender=Sender("Ana"), subject="Bache", addressees=(Addressee("Obras Públicas"),)
    )
    IntakeService(store, settings, clock=clock).register(new, [SAMPLES / "solicitud.jpg"])
    form = make_form(qtbot, runner, store)
    assert not form.catalogs.departments_from_catalog
    qtbot.keyClicks(form.addressees.area, "obras")
    assert form.addressees.area.completer().currentCompletion() == "Obras Públicas"
    qtbot.keyClicks(form.addressees.area, " y Servicios")  # free text is fine without a catalog
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert message(form, "addressees") == ""


def test_the_duplicate_warning_names_the_earlier_folio_and_needs_a_reason(
    qtbot, runner, store: Store, settings: Settings, clock: FixedClock
) -> None:
    sample = SAMPLES / "comprobante.png"
    service = IntakeService(store, settings, clock=clock)
    first = NewFiling(sender=Sender("Ana"), subject="Pago", addressees=(Addressee("Tesorería"),))
    folio = service.register(first, [sample]).filing.folio
    form = make_form(qtbot, runner, store)
    warning = DuplicateWarning(form, runner=runner, reader=store.reader)
    form.layout().insertWidget(0, warning)
    form.duplicates_checked.connect(warning.show_hits)
    with qtbot.waitSignal(form.duplicates_checked, timeout=5000):
        form.check_duplicates([sample])
    assert warning.isVisible()
    assert warning.message.text() == (
        f"Este documento ya fue registrado con el folio {folio} (9 de marzo de 2026, 10:30)."
    )
    with qtbot.assertNotEmitted(warning.continued):
        qtbot.mouseClick(warning.continue_button, Qt.MouseButton.LeftButton)
    assert warning.problem.text() == "Para registrar un documento repetido escriba el motivo."
    assert warning.isVisible()
    type_text(qtbot, warning.reason, "Nueva presentación con firma autógrafa")
    with qtbot.waitSignal(warning.continued, timeout=1000) as continued:
        qtbot.mouseClick(warning.continue_button, Qt.MouseButton.LeftButton)
    assert continued.args == ["Nueva presentación con firma autógrafa"]
    assert not warning.isVisible()
    # The registration's own refusal shows the same, dates looked up off the GUI thread.
    with pytest.raises(DuplicateDocument) as refused:
        service.register(first, [sample])
    warning.show_duplicate(refused.value)
    assert warning.message.text() == f"Este documento ya fue registrado con el folio {folio}."
    qtbot.waitUntil(lambda: "(9 de marzo de 2026, 10:30)" in warning.message.text(), timeout=5000)
    assert warning.reason.text() == ""  # a new warning asks its own reason
    with qtbot.waitSignal(warning.cancelled, timeout=1000):
        qtbot.mouseClick(warning.cancel_button, Qt.MouseButton.LeftButton)
    assert not warning.isVisible()


def test_tab_walks_the_form_in_reading_order(qtbot, runner, store) -> None:
    form = make_form(qtbot, runner, store)
    form.focus_first()
    qtbot.waitUntil(form.sender_name.hasFocus, timeout=2000)
    visited = []
    for _ in range(18):
        visited.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    expected = [
        form.sender_name,
        form.sender_curp,
        form.sender_rfc,
        form.sender_email,
        form.sender_phone,
        form.sender_organization,
        form.sender_position,
        form.subject,
        form.procedure,
        form.document_number,
        form.document_date,
        form.fojas,
        form.priority,
        form.response_due,
        form.observations,
        form.sensitive,
        form.addressees.area,
        form.addressees.role,
    ]
    assert [w.accessibleName() or w.objectName() for w in visited] == [
        w.accessibleName() or w.objectName() for w in expected
    ]


def test_unreadable_catalogs_leave_the_form_usable_and_say_so(qtbot, runner) -> None:
    def broken_reader():  # type: ignore[no-untyped-def]
        raise StorageError("No se pudo abrir la base de datos de la oficina.")

    form = FilingForm(runner, broken_reader, today=lambda: TODAY)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(form.notice.isVisible, timeout=5000)
    assert form.notice.text() == (
        "No se pudo abrir la base de datos de la oficina. "
        "Puede escribir el área y el trámite a mano."
    )
    type_text(qtbot, form.addressees.area, "Protección Civil")
    qtbot.keyClick(form.addressees.area, Qt.Key.Key_Return)
    assert form.addressees.rows[0].area == "Protección Civil" and message(form, "addressees") == ""
