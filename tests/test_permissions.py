"""Who may do what, checked in the services: every action × every role against the one table,
a refused call writing nothing; the kiosk as its device; a store without accounts; a role row
changed behind the application; an account disabled mid-shift; the old supervisors setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from mailroom import audit, libro, settings_editor
from mailroom.accounts import Accounts
from mailroom.arco_service import ArcoService
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings
from mailroom.corrections import CorrectionService
from mailroom.efirma_unlock import open_office_efirma
from mailroom.errors import OficialiaError
from mailroom.filing_detail import FilingDetailService
from mailroom.intake import IntakeService
from mailroom.libro import Period
from mailroom.models import Addressee, NewFiling, Sender
from mailroom.permissions import PERMISSIONS, Action, Actor, Forbidden, Seat, allowed, reader_for
from mailroom.reports import ReportService
from mailroom.retention import RetentionService
from mailroom.routing import RoutingService
from mailroom.store import Store
from mailroom.store.check import check_store
from mailroom.trust_admin import TrustAdmin
from signing.demo_pki import DemoPki, create_demo_pki
from sync.enrolment import enroll_at
from tests.accounts_helpers import PASSWORD, administrator, seated
from tests.test_acuses import register, scan
from tests.trust_fixtures import make_certificate


@dataclass
class Office:
    store: Store
    settings: Settings
    clock: FixedClock
    folder: Path
    folio: str
    pki: DemoPki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return create_demo_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def office(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path, pki: DemoPki
) -> Office:
    quiet = replace(settings, ocsp_url="", tsa_url="", trust_test_roots=str(pki.trust_dir))
    folio = register(store, quiet, tmp_path, "Licencia de construcción")
    administrator(store, quiet)  # from here on, an empty seat is refused
    return Office(store, quiet, clock, tmp_path, folio, pki)


def _register(o: Office, s: Settings) -> object:
    files = [scan(o.folder / "otro.jpg", "Solicitud de poda")]
    return IntakeService(o.store, s).register(NewFiling(Sender("Juan Pérez"), "Poda"), files)


def _efirma(o: Office, s: Settings) -> object:
    password = o.pki.password_file.read_text(encoding="utf-8").strip()
    return open_office_efirma(o.pki.office_cer, o.pki.office_key, password, s, store=o.store)


def _libro(o: Office, s: Settings) -> object:
    return libro.preview(reader_for(o.store, s, Action.LIBRO), Period.day(o.clock.now().date()))


def _trust(o: Office, s: Settings) -> object:
    source = o.folder / "raiz.pem"
    source.write_bytes(make_certificate("Autoridad Estatal de Prueba").pem)
    return TrustAdmin(o.store, s, o.clock).add(source)


def _settings_saved(o: Office, s: Settings) -> object:
    return settings_editor.save(s.data_dir, settings_editor.AdminChoices.of(s), acting=s)


def _enrol(o: Office, s: Settings) -> object:
    """Allowed: the token goes to the server, and nothing listens on this port (so the permission
    passed and the network said no); refused: before anything is sent."""
    with pytest.raises(OficialiaError) as failed:
        enroll_at(s, o.store, "http://127.0.0.1:9/", "token-de-prueba", o.clock.now())
    if isinstance(failed.value, Forbidden):
        raise failed.value
    return failed.value


SERVICES: dict[Action, Callable[[Office, Settings], Any]] = {
    Action.REGISTRAR: _register,
    Action.TURNAR: lambda o, s: RoutingService(o.store, s, o.clock).route(
        o.folio, [Addressee("Obras Públicas")]
    ),
    Action.REIMPRIMIR: lambda o, s: RoutingService(o.store, s, o.clock).reprint_acuse(o.folio),
    Action.BUSCAR: lambda o, s: FilingDetailService(o.store, s, o.clock).load(o.folio),
    Action.LIBRO: _libro,
    Action.CANCELAR: lambda o, s: RoutingService(o.store, s, o.clock).cancel(
        o.folio, "El ciudadano se desistió por escrito"
    ),
    Action.CUENTAS: lambda o, s: Accounts(o.store, s, o.clock).create(
        "nueva.cuenta", full_name="Nueva Cuenta", role="oficial", password=PASSWORD
    ),
    Action.EFIRMA_OFICINA: _efirma,
    Action.CORREGIR: lambda o, s: CorrectionService(o.store, s, o.clock).correct(
        o.folio, "asunto", "Licencia de obra mayor", "Así lo pidió el ciudadano por escrito"
    ),
    Action.REPORTES: lambda o, s: ReportService(o.store, s, o.clock).report(
        o.clock.now().date(), o.clock.now().date()
    ),
    Action.AJUSTES: _settings_saved,
    Action.CONFIANZA: _trust,
    Action.ENROLAR: _enrol,
    Action.ARCO: lambda o, s: ArcoService(o.store, s, o.clock).find("nombre", "María Peña"),
    Action.RETENCION: lambda o, s: RetentionService(o.store, s, o.clock).apply(),
}

WHO = {
    "oficial": lambda o: seated(o.store, o.settings, "oficial"),
    "oficial titular": lambda o: seated(o.store, o.settings, "oficial", "titular", titular=True),
    "supervisor": lambda o: seated(o.store, o.settings, "supervisor"),
    "administrador": lambda o: administrator(o.store, o.settings),
    "quiosco": lambda o: replace(o.settings, seat=Seat(Actor.device("K01"))),
    "sin sesión": lambda o: replace(o.settings, seat=Seat()),
}


def snapshot(store: Store) -> dict[str, int]:
    db = store.reader()
    return {
        table: db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]  # noqa: S608
        for table in db.table_names()
        if not table.startswith(("_", "filings_fts", "sqlite_"))
    }


def expected(who: str, action: Action) -> bool:
    table = {
        "oficial": ("oficial", False),
        "oficial titular": ("oficial", True),
        "supervisor": ("supervisor", False),
        "administrador": ("administrador", False),
    }
    if who == "quiosco":
        return action in (Action.REGISTRAR, Action.REIMPRIMIR, Action.EFIRMA_OFICINA)
    if who == "sin sesión":
        return False
    role, titular = table[who]
    return action in PERMISSIONS[role] or (titular and action is Action.EFIRMA_OFICINA)  # type: ignore[index]


@pytest.mark.parametrize("action", list(SERVICES), ids=str)
@pytest.mark.parametrize("who", list(WHO))
def test_each_role_may_do_what_the_table_says_and_nothing_else(
    office: Office, who: str, action: Action
) -> None:
    settings = WHO[who](office)
    actor = settings.seat.actor
    if actor is not None:
        assert allowed(actor, action) == expected(who, action)
    before = snapshot(office.store)
    if expected(who, action):
        SERVICES[action](office, settings)
        return
    with pytest.raises(Forbidden) as refused:
        SERVICES[action](office, settings)
    assert refused.value.exit_code == 77
    message = refused.value.message
    if who == "sin sesión":
        assert "hace falta iniciar sesión con una cuenta" in message
    elif who == "quiosco":
        assert message.startswith("Un quiosco no puede")
    else:
        assert f"«{actor.name}»" in message and "no puede" in message  # type: ignore[union-attr]
    assert snapshot(office.store) == before


def test_every_action_is_in_the_table_and_in_the_test() -> None:
    granted = set().union(*PERMISSIONS.values())
    assert granted == set(Action) == set(SERVICES)
    assert PERMISSIONS["oficial"] < PERMISSIONS["supervisor"] < PERMISSIONS["administrador"]


def test_without_any_account_the_os_user_acts_as_before(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    folio = register(store, settings, tmp_path)
    change = RoutingService(store, settings).cancel(folio, "Se registró dos veces")
    assert change.actor == "ventanilla1"


def test_a_role_changed_behind_the_application_is_refused(office: Office) -> None:
    clerk = seated(office.store, office.settings, "oficial", "ana.ruiz")
    office.store.write(
        lambda db: db.execute(
            "UPDATE accounts SET role = 'supervisor' WHERE user_name = 'ana.ruiz'"
        )
    )
    before = snapshot(office.store)
    for attempt in (
        lambda: RoutingService(office.store, clerk, office.clock).cancel(office.folio, "porque sí"),
        lambda: RoutingService(office.store, clerk, office.clock).route(
            office.folio, [Addressee("Obras Públicas")]
        ),
    ):
        with pytest.raises(Forbidden, match="no coinciden con los que registró la bitácora"):
            attempt()
    assert snapshot(office.store) == before
    report = check_store(office.store)
    assert not report.ok
    assert report.account_problems == (
        "la cuenta «ana.ruiz» dice rol supervisor, activa; la bitácora, rol oficial, activa",
    )
    # Put back as the trail says, the account works again.
    office.store.write(
        lambda db: db.execute("UPDATE accounts SET role = 'oficial' WHERE user_name = 'ana.ruiz'")
    )
    RoutingService(office.store, clerk, office.clock).route(
        office.folio, [Addressee("Obras Públicas")]
    )
    assert audit.verify_chain(office.store.reader()).ok
    assert check_store(office.store).ok


def test_an_account_disabled_mid_shift_stops_at_its_next_action(office: Office) -> None:
    clerk = seated(office.store, office.settings, "oficial", "ana.ruiz")
    routing = RoutingService(office.store, clerk, office.clock)
    routing.reprint_acuse(office.folio)
    Accounts(office.store, administrator(office.store, office.settings)).disable("ana.ruiz")
    with pytest.raises(Forbidden, match="«ana.ruiz» ya no está activa"):
        routing.reprint_acuse(office.folio)


def registered_by(office: Office, filing_id: str) -> str:
    (actor,) = (
        office.store.reader()
        .execute(
            "SELECT actor FROM events WHERE kind = 'escrito_registrado' AND filing_uuid = ?",
            [filing_id],
        )
        .fetchone()
    )
    return str(actor)


def test_acuse_and_trail_name_the_account(office: Office) -> None:
    clerk = seated(office.store, office.settings, "oficial", "ana.ruiz", full_name="Ana Ruiz Soto")
    registration = _register(office, clerk)
    filing = registration.filing  # type: ignore[attr-defined]
    assert filing.clerk == "Ana Ruiz Soto (ana.ruiz)"
    actor = registered_by(office, filing.id)
    assert actor == "ana.ruiz"


def test_the_kiosk_registers_as_its_device(office: Office) -> None:
    kiosk = replace(office.settings, seat=Seat(Actor.device("K01")))
    registration = _register(office, kiosk)
    filing = registration.filing  # type: ignore[attr-defined]
    assert filing.clerk == "Quiosco K01"
    actor = registered_by(office, filing.id)
    assert actor == "dispositivo:K01"


def test_the_supervisors_setting_becomes_accounts_that_set_their_password(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "config.toml"
    config.write_text('supervisors = "jefa, ventanilla9"\n', encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list"]) == 77  # accounts now exist
    assert "hace falta iniciar sesión" in capsys.readouterr().err
    with Store(data_dir) as store:
        service = Accounts(store, replace(_settings(data_dir), seat=Seat()))
        adopted = {a.user_name: a for a in _rows(store)}
        assert {name: a.role for name, a in adopted.items()} == {
            "jefa": "supervisor",
            "ventanilla9": "supervisor",
        }
        assert service.needs_claim("jefa")
        from mailroom.accounts import SignInRefused

        with pytest.raises(SignInRefused):  # nobody signs in to a claimable account
            service.sign_in("jefa", "")
        with pytest.raises(SignInRefused):  # only the OS user of the same name claims it
            service.claim("jefa", "ventanilla9", "una clave para la jefa")
        account = service.claim("jefa", "jefa", "una clave para la jefa")
        assert not account.must_change_password and not service.needs_claim("jefa")
        assert service.sign_in("jefa", "una clave para la jefa").role == "supervisor"
    secret = tmp_path / "jefa.txt"
    secret.write_text("una clave para la jefa", encoding="utf-8")
    monkeypatch.setenv("OFICIALIA_PASSWORD_FILE", str(secret))
    assert main(["--data-dir", str(data_dir), "--usuario", "jefa", "list"]) == 0
    # The next start does not make them again.
    assert main(["--data-dir", str(data_dir), "--usuario", "jefa", "list"]) == 0
    with Store(data_dir) as store:
        kinds = [row["kind"] for row in store.reader().query("SELECT kind FROM events")]
    assert kinds.count("cuenta_migrada") == 2


def test_no_password_reaches_a_log(
    office: Office, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    accounts = Accounts(office.store, administrator(office.store, office.settings))
    accounts.create("luis.paz", full_name="Luis Paz", role="oficial", password="clave de luis 77")
    for attempt in ("equivocada de luis", "clave de luis 77"):
        try:
            accounts.sign_in("luis.paz", attempt)
        except Exception as error:  # noqa: BLE001 - the message is what is checked
            assert attempt not in str(error)
    out = capsys.readouterr()
    written = caplog.text + out.out + out.err
    trail = str(list(office.store.reader().query("SELECT * FROM events")))
    for secret in ("equivocada de luis", "clave de luis 77", PASSWORD):
        assert secret not in written and secret not in trail


def _settings(data_dir: Path) -> Settings:
    from mailroom.config import load_settings

    return load_settings(data_dir)


def _rows(store: Store) -> list[Any]:
    from mailroom.accounts import _account

    return [_account(row) for row in store.reader().query("SELECT * FROM accounts")]


def test_the_command_line_seals_only_for_who_may_open_the_office_efirma(
    office: Office, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seated(office.store, office.settings, "oficial", "ana.ruiz")
    seated(office.store, office.settings, "oficial", "beto.luna", titular=True)
    secret = tmp_path / "cuenta.txt"
    secret.write_text(PASSWORD, encoding="utf-8")
    monkeypatch.setenv("OFICIALIA_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("OFICIALIA_TRUST_TEST_ROOTS", str(office.pki.trust_dir))
    monkeypatch.setenv("OFICIALIA_OCSP_URL", "")
    data_dir = str(office.store.data_dir)
    seal = [
        "acuse",
        office.folio,
        "-o",
        str(tmp_path / "acuse.pdf"),
        "--cer",
        str(office.pki.office_cer),
        "--key",
        str(office.pki.office_key),
        "--password-file",
        str(office.pki.password_file),
    ]
    office.store.close()
    assert main(["--data-dir", data_dir, "--usuario", "ana.ruiz", *seal]) == 77
    assert "no puede abrir la e.firma de la oficina" in capsys.readouterr().err
    assert not (tmp_path / "acuse.pdf").exists()
    assert main(["--data-dir", data_dir, "--usuario", "beto.luna", *seal]) == 0
    assert (tmp_path / "acuse.pdf").read_bytes().startswith(b"%PDF")
