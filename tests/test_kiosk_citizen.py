"""A citizen at the kiosk, tapping only what is on the screen: filing a three-page escrito from
the welcome screen to the folio, cancelling, mistakes explained in plain words, a printer without
paper, and looking a trámite up. Real parts throughout (see ``tests/kiosk_citizen.py``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailroom.permissions import Seat
from mailroom.privacy import save_notice

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QLineEdit  # noqa: E402

from kiosk.lookup import NOT_FOUND_MESSAGE  # noqa: E402
from kiosk.printer import PrinterState  # noqa: E402
from kiosk.session import Answers, Identity, Screen, Topic  # noqa: E402
from mailroom import tmpfiles  # noqa: E402
from mailroom.filings import get_filing  # noqa: E402
from mailroom.models import Channel  # noqa: E402
from tests.kiosk_citizen import (  # noqa: E402
    GOOD_CURP,
    WAIT_MS,
    Kiosk,
    add_catalogs,
    keep_first_pages,
    scan,
    walk_to_document,
)
from tests.sane_env import use_sane_test_backend  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _sane(tmp_path_factory: pytest.TempPathFactory) -> None:
    use_sane_test_backend(tmp_path_factory)


def test_a_citizen_files_a_three_page_escrito_and_leaves_with_the_folio(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    add_catalogs(kiosk.desk)
    citizen, window = kiosk.citizen, kiosk.window

    citizen.tap("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    assert window.step.text() == "Paso 1 de 6"
    assert citizen.sees("Aviso de privacidad simplificado")
    citizen.tap("Leer el aviso completo")
    full = window.screen_widget().full_view  # type: ignore[attr-defined]
    assert citizen.on_screen(full) and full.toPlainText() == kiosk.desk.notice.full
    citizen.tap("Acepto y continúo")

    citizen.wait_for(Screen.IDENTITY)
    assert window.step.text() == "Paso 2 de 6"
    citizen.footer_is_there()
    assert citizen.sees("La CURP tiene 18 letras y números.")
    citizen.type_into("Nombre completo", "Rosalía Ñúñez Quintero")
    citizen.type_into("CURP", GOOD_CURP.lower())
    citizen.type_into("Teléfono", "55 1234 5678")
    citizen.tap("Continuar")

    citizen.wait_for(Screen.SUBJECT)
    citizen.footer_is_there()
    citizen.type_into("Asunto", "Permiso para construir una barda")
    citizen.tap("Continuar")
    assert citizen.sees("¿A qué trámite o área va dirigido?")
    citizen.footer_is_there()
    citizen.qtbot.waitUntil(lambda: citizen.sees_button("Área: Tesorería Municipal"))
    citizen.type_into("Buscar trámite o área", "licencia")
    citizen.tap("Trámite: Licencia de construcción")
    citizen.tap("Continuar")

    citizen.wait_for(Screen.DOCUMENT)
    assert window.step.text() == "Paso 4 de 6"
    citizen.footer_is_there()
    scan(kiosk)  # the feeder gives ten sheets: the citizen takes seven away
    keep_first_pages(kiosk, 3)
    citizen.tap("Girar la página 2")
    assert kiosk.desk.capture is not None and kiosk.desk.capture.pages[1].turn == 90
    citizen.tap("Continuar")

    citizen.wait_for(Screen.FOJAS)
    citizen.footer_is_there()
    assert citizen.sees("Su escrito tiene 3 hojas. ¿Es correcto?")
    citizen.tap("Sí")

    citizen.wait_for(Screen.REVIEW)
    citizen.footer_is_there()
    assert citizen.sees("HEGT••••••••••••07")  # the CURP, partly hidden
    assert citizen.sees("Trámite: Licencia de construcción (Dirección de Obras Públicas)")
    assert citizen.sees("3 hojas")
    citizen.tap("Registrar")
    assert not citizen.button("Registrar").isEnabled()  # a second tap cannot register again
    assert not citizen.button("Cancelar").isEnabled()

    citizen.wait_for(Screen.DONE)
    print(f"\nTaps to file a three-page escrito: {citizen.taps}")
    done = window.screen_widget()
    folio = done.folio.text()  # type: ignore[attr-defined]
    assert done.folio.font().pixelSize() >= 72  # type: ignore[attr-defined]
    assert done.qr.pixmap().width() >= 360  # type: ignore[attr-defined]
    assert citizen.sees("Tome su acuse.")
    assert len(kiosk.printer.receipts()) == 1
    filing = get_filing(kiosk.desk.store.reader(), folio)
    assert filing.channel is Channel.KIOSCO
    assert filing.fojas_declared == 3 and filing.pages_scanned == 3
    assert filing.privacy_notice_sha256 == kiosk.desk.notice.version
    assert filing.sender.curp == GOOD_CURP and filing.sender.phone == "5512345678"
    assert filing.procedure_type == "Licencia de construcción"
    assert [a.area for a in filing.addressees] == ["Dirección de Obras Públicas"]
    device = (
        kiosk.desk.store.reader()
        .execute("SELECT device FROM filings WHERE folio = ?", [folio])
        .fetchone()[0]
    )
    assert device == kiosk.desk.settings.device == "K07"

    with citizen.qtbot.waitSignal(window.wiped, timeout=WAIT_MS) as wiped:
        citizen.tap("Terminar")
    assert wiped.args == ["terminado"]
    assert kiosk.session.screen is Screen.WELCOME and done.folio.text() == ""  # type: ignore[attr-defined]


def test_cancel_on_the_review_screen_leaves_nothing_of_the_citizen(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    citizen, window = kiosk.citizen, kiosk.window
    walk_to_document(kiosk)
    scan(kiosk)
    keep_first_pages(kiosk, 2)
    citizen.tap("Continuar")
    citizen.wait_for(Screen.FOJAS)
    citizen.tap("Sí")
    citizen.wait_for(Screen.REVIEW)
    QGuiApplication.clipboard().setText("Rosalía Ñúñez Quintero")

    with citizen.qtbot.waitSignal(window.wiped, timeout=1_000) as wiped:
        citizen.tap("Cancelar")
    assert wiped.args == ["cancelado"]
    assert kiosk.session.screen is Screen.WELCOME
    assert window.screen_widget() is window.screens[Screen.WELCOME]
    assert citizen.sees_button("Entregar un escrito")
    edits = window.findChildren(QLineEdit)
    assert len(edits) >= 7 and [e.text() for e in edits] == [""] * len(edits)
    assert not any(e.isUndoAvailable() for e in edits)  # no Ctrl+Z back to the last citizen
    assert kiosk.desk.capture is None
    assert window.screens[Screen.DOCUMENT].grid.tiles == []  # type: ignore[attr-defined]
    assert window.screens[Screen.REVIEW].values["name"].text() == ""  # type: ignore[attr-defined]
    assert QGuiApplication.clipboard().text() == ""
    citizen.qtbot.waitUntil(lambda: kiosk.window.runner.active == 0)
    assert tmpfiles.work_left(kiosk.data_dir) == []
    assert kiosk.desk.store.reader().execute("SELECT count(*) FROM filings").fetchone()[0] == 0


def test_a_mistyped_curp_is_explained_next_to_it_and_the_citizen_stays(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    citizen, window = kiosk.citizen, kiosk.window
    citizen.tap("Entregar un escrito")
    citizen.tap("Acepto y continúo")
    citizen.wait_for(Screen.IDENTITY)
    citizen.type_into("Nombre completo", "Tomás Hernández")
    citizen.type_into("CURP", GOOD_CURP[:-1] + "8")
    citizen.tap("Continuar")
    assert kiosk.session.screen is Screen.IDENTITY
    assert citizen.sees("El último número de la CURP sirve para comprobarla y no coincide.")
    curp = citizen.box("CURP")
    assert curp.hasFocus() and curp.property("problem") is True
    # Nameless: that is said too, under the name.
    window.screen_widget().name.setText("")  # type: ignore[attr-defined]
    citizen.type_into("CURP", "")
    citizen.tap("Continuar")
    assert citizen.sees("Escriba su nombre completo.") and citizen.box("Nombre completo").hasFocus()


def test_more_pages_than_the_kiosk_takes_are_sent_to_the_counter(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk(max_pages=4)
    citizen = kiosk.citizen
    walk_to_document(kiosk)
    scan(kiosk)
    ventanilla = "Su escrito tiene 10 páginas y aquí se aceptan hasta 4."
    assert citizen.sees(ventanilla) and citizen.sees("entréguelo en ventanilla")
    citizen.tap("Continuar")
    assert kiosk.session.screen is Screen.DOCUMENT and citizen.sees(ventanilla)


def test_a_printer_without_paper_is_said_before_scanning_and_the_folio_shows_anyway(
    open_kiosk, printer
) -> None:  # type: ignore[no-untyped-def]
    printer.set_state(PrinterState.SIN_PAPEL)
    kiosk: Kiosk = open_kiosk()
    citizen = kiosk.citizen
    citizen.tap("Entregar un escrito")
    citizen.qtbot.waitUntil(lambda: citizen.sees("La impresora de tickets no tiene papel."))
    citizen.tap("Acepto y continúo")
    assert citizen.sees("La impresora de tickets no tiene papel.")  # still, on the next screen
    citizen.tap("Cancelar")
    walk_to_document(kiosk)
    # Asked again for this citizen: said before anything is scanned.
    citizen.qtbot.waitUntil(lambda: citizen.sees("La impresora de tickets no tiene papel."))
    scan(kiosk)
    keep_first_pages(kiosk, 1)
    citizen.tap("Continuar")
    citizen.tap("Sí")
    citizen.wait_for(Screen.REVIEW)
    citizen.tap("Registrar")
    citizen.wait_for(Screen.DONE)
    assert citizen.sees("No se pudo imprimir su ticket: anote su folio o tómele una foto")
    assert not citizen.sees("Tome su acuse")
    assert kiosk.window.screen_widget().folio.text().endswith("-K07-000001")  # type: ignore[attr-defined]
    assert citizen.sees("Código de consulta: ")


def test_a_trámite_is_found_by_folio_and_code_and_never_by_the_folio_alone(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    desk, citizen = kiosk.desk, kiosk.citizen
    capture = desk.new_capture()
    capture.add(capture.read("sane:test:0"))
    answers = Answers(
        privacy_version=desk.notice.version,
        identity=Identity(name="Rosalía Ñúñez Quintero"),
        topic=Topic(subject="Solicitud de poda de un árbol", unsure=True),
        pages=10,
        fojas=10,
    )
    filed = desk.register(answers, capture)
    desk.discard_capture()

    citizen.tap("Consultar un trámite")
    citizen.wait_for(Screen.LOOKUP)
    assert kiosk.window.step.text() == "Paso 1 de 2"
    citizen.footer_is_there()
    citizen.type_into("Folio", filed.folio)
    citizen.tap("Consultar")
    assert citizen.sees("Escriba también el código de consulta")
    assert kiosk.session.screen is Screen.LOOKUP
    citizen.type_into("Código de consulta", "AAAA-AAAA")
    citizen.tap("Consultar")
    citizen.qtbot.waitUntil(lambda: citizen.sees(NOT_FOUND_MESSAGE), timeout=WAIT_MS)
    assert kiosk.session.screen is Screen.LOOKUP

    citizen.box("Código de consulta").setText("")
    citizen.type_into("Código de consulta", filed.check_code.lower().replace("-", ""))
    citizen.tap("Consultar")
    citizen.wait_for(Screen.LOOKUP_RESULT)
    citizen.footer_is_there()
    assert citizen.sees(filed.folio) and citizen.sees("Registrada")
    assert citizen.sees(desk.settings.office_name)
    assert citizen.sees("Este quiosco aún no se ha sincronizado")
    with citizen.qtbot.waitSignal(kiosk.window.wiped, timeout=WAIT_MS):
        citizen.tap("Terminar")
    assert kiosk.session.screen is Screen.WELCOME


def test_a_receipt_laid_on_the_scanner_without_a_qr_is_explained(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    citizen = kiosk.citizen
    citizen.tap("Consultar un trámite")
    citizen.wait_for(Screen.LOOKUP)
    assert not any(b.text() == "Mostrar el QR a la cámara" for b in citizen.buttons())
    citizen.tap("Leer con el escáner")
    citizen.qtbot.waitUntil(
        lambda: citizen.sees("No encontramos el código QR en la hoja."), timeout=WAIT_MS
    )
    assert kiosk.session.screen is Screen.LOOKUP
    assert citizen.button("Leer con el escáner").isEnabled()  # the way forward: try again


def test_a_notice_changed_at_the_counter_is_the_next_citizens(open_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk: Kiosk = open_kiosk()
    citizen, window = kiosk.citizen, kiosk.window
    first = kiosk.desk.notice.version
    # An administrator saves a new notice at the counter while the kiosk runs (no account
    # exists in this data folder, so the operating system's user may).
    office = replace(kiosk.desk.settings, seat=Seat())
    saved = save_notice(
        kiosk.desk.store, office, "Aviso breve nuevo de la oficina.", "Aviso integral nuevo."
    )
    citizen.tap("Entregar un escrito")
    citizen.wait_for(Screen.PRIVACY)
    assert citizen.sees("Aviso breve nuevo de la oficina.")
    assert kiosk.desk.notice.version == saved.version != first
    # A damaged file keeps the notice the kiosk had: nobody meets a blank one.
    (kiosk.desk.settings.data_dir / "aviso-de-privacidad" / "aviso-integral.txt").write_bytes(
        b"\xff\xfe no es UTF-8"
    )
    citizen.tap("Acepto y continúo")
    citizen.wait_for(Screen.IDENTITY)
    assert kiosk.desk.refresh_notice().version == saved.version
    assert window.step.text() == "Paso 2 de 6"
