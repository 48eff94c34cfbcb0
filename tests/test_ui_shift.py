"""The shift at the counter, driven through the real window (offscreen): the app opens on the
sign-in; clerk A signs in, chooses a PIN and registers; the counter locks after its idle time
(the timer driven, not waited for), A's PIN opens it again; «Otra persona» lets clerk B sign in
and register; the acuses and the audit trail name the right people, and what A left half typed
is never shown to B and comes back for A. Also the refusals (wrong password, wrong PIN, the
lockout after five wrong passwords), the first administrator of a new office, and the demo's
accounts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest

pytest.importorskip("pytestqt", reason="pytest-qt no está instalado")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLineEdit, QWidget  # noqa: E402

from mailroom.accounts import PIN_REFUSED, PIN_SPENT_MESSAGE, PIN_TRIES, REFUSED, Accounts  # noqa: E402
from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.store import Store  # noqa: E402
from mailroom.ui.app import RunningApp, build_app  # noqa: E402
from mailroom.workstation import CounterOutcome  # noqa: E402
from tests.accounts_helpers import PASSWORD, administrator  # noqa: E402
from tests.test_ui_filing_form import fill_required  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
ANA = ("ana.lopez", "Ana López Ruiz")
BETO = ("beto.cruz", "Alberto Cruz Díaz")
HALF_TYPED = "Remitente que quedo a medias"  # keyClicks types ASCII only


@pytest.fixture
def clerks(settings: Settings) -> Settings:
    """Two oficiales besides the office's administrator; nobody signed in."""
    with Store(settings.data_dir) as store:
        accounts = Accounts(store, administrator(store, settings))
        for user, full_name in (ANA, BETO):
            accounts.create(user, full_name=full_name, role="oficial", password=PASSWORD)
    return settings


@pytest.fixture
def running(qtbot, clerks: Settings) -> Iterator[RunningApp]:  # type: ignore[no-untyped-def]
    app = open_app(qtbot, clerks)
    yield app
    for screen in app.window.intakes.screens():
        screen.capture.clear()  # so closing asks nothing
    app.close()


def open_app(qtbot, settings: Settings) -> RunningApp:  # type: ignore[no-untyped-def]
    app = build_app(settings, start_background=False)
    app.window.resize(1366, 768)
    app.window.show()
    qtbot.waitExposed(app.window)
    return app


def sign_in(qtbot, running: RunningApp, user: str, password: str, *, new_pin: str = "") -> None:  # type: ignore[no-untyped-def]
    """Type the user name and password and press Enter; choose ``new_pin`` when asked."""
    screen = running.window.cover.sign_in
    assert running.window.cover.currentWidget() is screen
    qtbot.keyClicks(screen.user_edit, user)
    qtbot.keyClicks(screen.password_edit, password)
    if not new_pin:
        with qtbot.waitSignal(running.shift.seated, timeout=10_000):
            qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
        return
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.currentWidget() is screen.pin, timeout=10_000)
    qtbot.keyClicks(screen.pin_edit, new_pin)
    qtbot.keyClicks(screen.pin_repeat, new_pin)
    with qtbot.waitSignal(running.shift.seated, timeout=10_000):
        qtbot.mouseClick(screen.save_pin_button, Qt.MouseButton.LeftButton)


def refused(qtbot, screen, button, message: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``button`` and wait until the screen says ``message``."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text() == message, timeout=10_000)


def register(qtbot, running: RunningApp, sample: str) -> CounterOutcome:  # type: ignore[no-untyped-def]
    intake = running.window.intake
    intake.capture.add_files([str(SAMPLES / sample)])
    qtbot.waitUntil(
        lambda: intake.capture.page_count() == 1 and not intake.capture.is_busy(), timeout=60_000
    )
    fill_required(qtbot, intake.form)
    intake.form.fojas.setValue(1)
    with qtbot.waitSignal(intake.filing_registered, timeout=30_000) as registered:
        qtbot.mouseClick(intake.register_button, Qt.MouseButton.LeftButton)
    outcome: CounterOutcome = registered.args[0]
    return outcome


def lock_by_idleness(qtbot, running: RunningApp) -> None:  # type: ignore[no-untyped-def]
    """The idle timer, shortened and let run out (the real one waits ``session_idle_minutes``)."""
    timer = running.shift.idle_timer
    assert timer.isActive() and timer.interval() == 10 * 60_000  # session_idle_minutes's default
    timer.setInterval(200)
    timer.start()
    with qtbot.waitSignal(running.shift.covered, timeout=5_000):
        pass
    timer.setInterval(10 * 60_000)


def visible_texts(window: QWidget) -> list[str]:
    return [e.text() for e in window.findChildren(QLineEdit) if e.isVisible() and e.text()]


def acuse_text(outcome: CounterOutcome) -> str:
    with pdfplumber.open(io.BytesIO(outcome.acuse.pdf)) as pdf:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


def test_two_clerks_share_the_counter_and_each_acuse_names_who_received(
    qtbot, running: RunningApp
) -> None:  # type: ignore[no-untyped-def]
    window, shift = running.window, running.shift
    # The window opens on the sign-in: nothing of the counter shows or can be done.
    assert window.cover.currentWidget() is window.cover.sign_in
    assert not window.tabs.isVisible() and not window.sync_dock.isVisible()
    assert not window.register_action.isEnabled() and not window.new_action.isEnabled()
    assert running.workstation.settings.seat is shift.seat  # the seat the services read
    assert running.workstation.intake.settings.seat is shift.seat

    sign_in(qtbot, running, ANA[0], PASSWORD, new_pin="2580")
    assert window.tabs.isVisible() and window.sync_dock.isVisible()
    assert window.shift_label.text() == "Sesión: Ana López Ruiz (oficial)"
    assert shift.seat.actor is not None and shift.seat.actor.name == ANA[0]
    assert not window.unlock_action.isVisible()  # an oficial does not open the office e.firma
    assert not window.settings_action.isVisible() and not window.admin_action.isVisible()
    first = register(qtbot, running, "solicitud.jpg")

    # A starts the next filing and leaves it half typed.
    window.new_filing()
    ana_screen = window.intake
    ana_screen.capture.add_files([str(SAMPLES / "escrito-10-fojas.pdf")])
    qtbot.waitUntil(lambda: ana_screen.capture.page_count() == 10, timeout=60_000)
    qtbot.waitUntil(lambda: not ana_screen.capture.is_busy(), timeout=60_000)
    qtbot.keyClicks(ana_screen.form.sender_name, HALF_TYPED)

    lock_by_idleness(qtbot, running)
    lock = window.cover.lock_screen
    assert window.cover.currentWidget() is lock and lock.title.text() == "Bloqueado: Ana López Ruiz"
    assert not ana_screen.isVisible() and not window.register_action.isEnabled()
    assert window.shift_label.text() == "Bloqueado: Ana López Ruiz"
    qtbot.keyClicks(lock.pin_edit, "1111")
    refused(qtbot, lock, lock.unlock_button, PIN_REFUSED)
    qtbot.keyClicks(lock.pin_edit, "2580")
    with qtbot.waitSignal(shift.seated, timeout=10_000):
        qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)
    assert window.intake is ana_screen and ana_screen.isVisible()
    assert ana_screen.form.sender_name.text() == HALF_TYPED

    # Locked again; another person signs in fully.
    window.lock_action.trigger()
    assert window.cover.currentWidget() is lock
    qtbot.mouseClick(lock.other_button, Qt.MouseButton.LeftButton)
    assert window.cover.currentWidget() is window.cover.sign_in
    assert window.cover.sign_in.back_button.isVisible()  # «Volver» to the locked person
    sign_in(qtbot, running, BETO[0], PASSWORD, new_pin="4826")
    assert window.shift_label.text() == "Sesión: Alberto Cruz Díaz (oficial)"
    beto_screen = window.intake
    assert beto_screen is not ana_screen and window.tabs.indexOf(ana_screen) == -1
    assert not ana_screen.isVisible() and beto_screen.isVisible()
    assert beto_screen.capture.page_count() == 0 and beto_screen.form.sender_name.text() == ""
    window.tabs.setCurrentWidget(beto_screen)
    assert HALF_TYPED not in visible_texts(window)
    second = register(qtbot, running, "comprobante.png")

    # Each acuse and each registration's audit event name who received it.
    received = {
        row[0]: row[1]
        for row in running.workstation.store.reader().execute("SELECT folio, clerk FROM filings")
    }
    ana_folio, beto_folio = first.registration.filing.folio, second.registration.filing.folio
    assert received == {
        ana_folio: "Ana López Ruiz (ana.lopez)",
        beto_folio: "Alberto Cruz Díaz (beto.cruz)",
    }
    assert "Recibió Ana López Ruiz (ana.lopez)" in acuse_text(first)
    assert "Recibió Alberto Cruz Díaz (beto.cruz)" in acuse_text(second)
    registered = running.workstation.store.reader().execute(
        "SELECT f.folio, e.actor FROM events e JOIN filings f ON f.uuid = e.filing_uuid "
        "WHERE e.kind = 'escrito_registrado'"
    )
    assert dict(registered.fetchall()) == {ana_folio: ANA[0], beto_folio: BETO[0]}

    # B signs out; A signs in with the password and finds the form as it was left.
    window.sign_out_action.trigger()
    assert window.cover.currentWidget() is window.cover.sign_in
    assert window.cover.sign_in.credentials.message.text() == "Sesión cerrada."
    sign_in(qtbot, running, ANA[0], PASSWORD)
    assert window.intake is ana_screen and ana_screen.isVisible()
    assert ana_screen.form.sender_name.text() == HALF_TYPED
    assert ana_screen.capture.page_count() == 10
    assert window.tabs.indexOf(beto_screen) == -1

    running.runner.wait_all(10_000)  # the lock's and sign-out's audit events are written
    shift_events = running.workstation.store.reader().execute(
        "SELECT actor, kind FROM events WHERE kind IN ('inicio_sesion', 'sesion_bloqueada', "
        "'desbloqueo_fallido', 'desbloqueo', 'cierre_sesion') ORDER BY seq"
    )
    assert shift_events.fetchall() == [
        (ANA[0], "inicio_sesion"),
        (ANA[0], "inicio_sesion"),  # again when choosing the PIN: the password proves who
        (ANA[0], "sesion_bloqueada"),
        (ANA[0], "desbloqueo_fallido"),
        (ANA[0], "desbloqueo"),
        (ANA[0], "sesion_bloqueada"),
        (BETO[0], "inicio_sesion"),
        (BETO[0], "inicio_sesion"),
        (ANA[0], "cierre_sesion"),  # B took the counter
        (BETO[0], "cierre_sesion"),
        (ANA[0], "inicio_sesion"),
    ]


def test_a_wrong_password_is_refused_and_the_fifth_locks_the_name(
    qtbot, running: RunningApp
) -> None:  # type: ignore[no-untyped-def]
    screen = running.window.cover.sign_in
    page = screen.credentials
    qtbot.keyClicks(screen.user_edit, ANA[0])
    for _ in range(4):
        qtbot.keyClicks(screen.password_edit, "no es la clave buena")
        refused(qtbot, page, screen.enter_button, REFUSED)
        assert screen.password_edit.text() == ""  # typed again, from empty
    qtbot.keyClicks(screen.password_edit, "tampoco es esta")
    qtbot.mouseClick(screen.enter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text().startswith("Demasiados intentos"), timeout=10_000)
    assert "Espere hasta las" in page.message.text()
    # Locked: even the right password is refused now, and nobody got in.
    qtbot.keyClicks(screen.password_edit, PASSWORD)
    qtbot.mouseClick(screen.enter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.enter_button.isEnabled(), timeout=10_000)
    assert page.message.text().startswith("Demasiados intentos")
    assert running.shift.actor is None and running.shift.seat.actor is None
    assert running.window.cover.currentWidget() is screen
    # An unknown name gets the very words of a wrong password.
    screen.user_edit.setText("nadie.aqui")
    qtbot.keyClicks(screen.password_edit, PASSWORD)
    refused(qtbot, page, screen.enter_button, REFUSED)


def test_too_many_wrong_pins_ask_for_the_password(qtbot, running: RunningApp) -> None:  # type: ignore[no-untyped-def]
    sign_in(qtbot, running, ANA[0], PASSWORD, new_pin="2580")
    running.shift.lock()
    lock = running.window.cover.lock_screen
    for _ in range(PIN_TRIES - 1):
        qtbot.keyClicks(lock.pin_edit, "9999")
        refused(qtbot, lock, lock.unlock_button, PIN_REFUSED)
    qtbot.keyClicks(lock.pin_edit, "9999")
    refused(qtbot, lock, lock.unlock_button, PIN_SPENT_MESSAGE)
    assert lock.with_password and lock.password_edit.isVisible() and not lock.pin_edit.isVisible()
    qtbot.keyClicks(lock.password_edit, PASSWORD)
    with qtbot.waitSignal(running.shift.seated, timeout=10_000):
        qtbot.keyClick(lock.password_edit, Qt.Key.Key_Return)
    assert running.window.shift_label.text() == "Sesión: Ana López Ruiz (oficial)"


def test_a_reset_password_must_be_changed_and_a_pin_chosen(
    qtbot, running: RunningApp, clerks: Settings
) -> None:  # type: ignore[no-untyped-def]
    with Store(clerks.data_dir) as store:
        Accounts(store, administrator(store, clerks)).reset_password(BETO[0], "clave temporal 4711")
    screen = running.window.cover.sign_in
    qtbot.keyClicks(screen.user_edit, BETO[0])
    qtbot.keyClicks(screen.password_edit, "clave temporal 4711")
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.currentWidget() is screen.new_password, timeout=10_000)
    page = screen.new_password
    qtbot.keyClicks(screen.new_edit, "corto")
    qtbot.keyClicks(screen.repeat_edit, "corto")
    qtbot.mouseClick(screen.save_password_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "al menos 10 caracteres" in page.message.text(), timeout=10_000)
    qtbot.keyClicks(screen.new_edit, "mi perro come galletas")
    qtbot.keyClicks(screen.repeat_edit, "mi gato come galletas")
    refused(
        qtbot,
        page,
        screen.save_password_button,
        "Las dos contraseñas no son iguales; escríbalas de nuevo.",
    )
    screen.new_edit.setText("mi perro come galletas")
    screen.repeat_edit.setText("mi perro come galletas")
    qtbot.mouseClick(screen.save_password_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.currentWidget() is screen.pin, timeout=10_000)
    qtbot.keyClicks(screen.pin_edit, "1234")
    qtbot.keyClicks(screen.pin_repeat, "1234")
    refused(
        qtbot,
        screen.pin,
        screen.save_pin_button,
        "Ese PIN es muy fácil de adivinar (un número repetido o seguido); elija otro.",
    )
    screen.pin_edit.setText("7391")
    screen.pin_repeat.setText("7391")
    with qtbot.waitSignal(running.shift.seated, timeout=10_000):
        qtbot.mouseClick(screen.save_pin_button, Qt.MouseButton.LeftButton)
    accounts = Accounts(running.workstation.store, running.workstation.settings)
    assert not accounts.get(BETO[0]).must_change_password and accounts.has_pin(BETO[0])
    assert accounts.sign_in(BETO[0], "mi perro come galletas").user_name == BETO[0]


def test_the_first_run_creates_the_administrator_and_signs_them_in(
    qtbot, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    running = open_app(qtbot, settings)
    try:
        cover = running.window.cover
        first = cover.first_run
        assert cover.currentWidget() is first
        qtbot.keyClicks(first.user_edit, "rosa.mendez")
        first.name_edit.setText("Rosa Méndez Luna")
        qtbot.keyClicks(first.password_edit, "oficialia")
        qtbot.keyClicks(first.repeat_edit, "oficialia")
        qtbot.mouseClick(first.create_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "al menos 10 caracteres" in first.message.text(), timeout=10_000)
        for edit in (first.password_edit, first.repeat_edit):
            edit.setText("Oficialía de Partes Municipal 2026")
        qtbot.mouseClick(first.create_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "de las que más se usan" in first.message.text(), timeout=10_000)
        assert not Accounts(running.workstation.store, settings).has_accounts()
        for edit in (first.password_edit, first.repeat_edit):
            edit.setText("la llave de la bodega norte")
        qtbot.mouseClick(first.create_button, Qt.MouseButton.LeftButton)
        screen = cover.sign_in
        qtbot.waitUntil(lambda: cover.currentWidget() is screen, timeout=10_000)
        assert screen.currentWidget() is screen.pin
        assert first.password_edit.text() == ""
        qtbot.keyClicks(screen.pin_edit, "48151")
        qtbot.keyClicks(screen.pin_repeat, "48151")
        with qtbot.waitSignal(running.shift.seated, timeout=10_000):
            qtbot.mouseClick(screen.save_pin_button, Qt.MouseButton.LeftButton)
        window = running.window
        assert window.shift_label.text() == "Sesión: Rosa Méndez Luna (administrador)"
        assert window.unlock_action.isVisible() and window.settings_action.isVisible()
        assert window.admin_action.isVisible()
        account = Accounts(running.workstation.store, settings).get("rosa.mendez")
        assert account.role == "administrador" and account.full_name == "Rosa Méndez Luna"
    finally:
        running.close()


def test_the_demo_offers_its_two_accounts_on_the_sign_in(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mailroom.demo_profile import DEMO_ACCOUNTS, prepare_demo_profile

    profile = prepare_demo_profile(tmp_path / "demo")
    running = open_app(qtbot, load_settings(profile.data_dir))
    try:
        screen = running.window.cover.sign_in
        assert running.window.cover.currentWidget() is screen  # accounts exist: no first run
        assert screen.demo_label.isVisible()
        assert screen.demo_label.text().splitlines() == [
            "Demostración: administrador, usuario «admin.demo», contraseña «tinta verde sobre "
            "papel»",
            "Demostración: oficial, usuario «oficial.demo», contraseña «sello de goma azul»",
        ]
        oficial = DEMO_ACCOUNTS[1]
        sign_in(qtbot, running, oficial.user_name, oficial.password, new_pin="3719")
        assert running.window.shift_label.text() == "Sesión: Javier Ortiz Paredes (oficial)"
        assert running.window.detail.cancel_button.toolTip().startswith(
            "Solo un supervisor o un administrador"
        )
        # An oficial hands a citizen the full privacy notice on paper (here, into a PDF file).
        window = running.window
        assert window.notice_action.isEnabled() and not window.admin_action.isVisible()
        window.print_notice()
        printer = window._notice_printer
        assert printer is not None and printer.print_dialog is not None
        printer.print_dialog.reject()
        target = tmp_path / "aviso.pdf"
        printer.printer.setOutputFileName(str(target))
        with qtbot.waitSignal(printer.printed, timeout=30_000):
            printer.print_to(printer.printer)
        assert target.read_bytes().startswith(b"%PDF")
        assert window.statusBar().currentMessage() == f"Aviso de privacidad enviado a {target}."
    finally:
        running.close()
    again = prepare_demo_profile(tmp_path / "demo")  # made once: prepared again, the same two
    with Store(again.data_dir) as store:
        names = [row[0] for row in store.reader().execute("SELECT user_name FROM accounts")]
    assert sorted(names) == ["admin.demo", "oficial.demo"]


def test_a_supervisor_from_the_old_setting_sets_the_first_password_at_the_counter(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("getpass.getuser", lambda: "jefa.turno")
    settings = load_settings(tmp_path / "datos", supervisors="jefa.turno, otro.jefe")
    running = open_app(qtbot, settings)
    try:
        screen = running.window.cover.sign_in
        # Someone else typing the other migrated name without a password is refused.
        qtbot.keyClicks(screen.user_edit, "otro.jefe")
        qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: screen.credentials.message.text() == "Escriba su contraseña.", timeout=10_000
        )
        screen.user_edit.setText("jefa.turno")
        qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: screen.currentWidget() is screen.new_password, timeout=10_000)
        assert "venía del ajuste supervisors" in screen.new_password.note.text()
        screen.new_edit.setText("la jefa del turno de la tarde")
        screen.repeat_edit.setText("la jefa del turno de la tarde")
        qtbot.mouseClick(screen.save_password_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.currentWidget() is screen.pin, timeout=10_000)
        screen.pin_edit.setText("5820")
        screen.pin_repeat.setText("5820")
        with qtbot.waitSignal(running.shift.seated, timeout=10_000):
            qtbot.mouseClick(screen.save_pin_button, Qt.MouseButton.LeftButton)
        assert running.window.shift_label.text() == "Sesión: jefa.turno (supervisor)"
        accounts = Accounts(running.workstation.store, running.workstation.settings)
        assert accounts.sign_in("jefa.turno", "la jefa del turno de la tarde").role == "supervisor"
        assert accounts.needs_claim("otro.jefe")
    finally:
        running.close()
