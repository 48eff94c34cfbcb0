"""App-local accounts: creation, the password policy, argon2id hashes, signing in, the staged
lockout kept across restarts, resets, the last administrator, the audit trail, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from mailroom import audit
from mailroom.accounts import REFUSED, AccountRefused, Accounts, SignInLocked, SignInRefused
from mailroom.cli import main
from mailroom.clock import FixedClock
from mailroom.config import Settings, load_settings
from mailroom.errors import InvalidInput, NotFound
from mailroom.password_policy import WeakPassword
from mailroom.permissions import Forbidden, Seat
from mailroom.store import Store

OFFICE = ("OPM", "Oficialía de Partes Municipal")
ADMIN_PASSWORD = "tres tristes tigres comen trigo"
CLERK_PASSWORD = "lámpara-verde-junto-al-río"


def service(store: Store, clock: FixedClock, settings: Settings | None = None) -> Accounts:
    seated = replace(settings or load_settings(store.data_dir), seat=Seat())
    return Accounts(store, seated, clock)


@pytest.fixture
def accounts(store: Store, clock: FixedClock, settings: Settings) -> Accounts:
    made = service(store, clock, settings)
    admin = made.create(
        "admin", full_name="Rosa  Méndez", role="administrador", password=ADMIN_PASSWORD
    )
    made.settings.seat.sit(made.actor(admin))
    made.create("Ana.Ruiz", full_name="Ana Ruiz Soto", role="oficial", password=CLERK_PASSWORD)
    return made


def events(store: Store) -> list[dict]:
    return list(store.reader().query("SELECT * FROM events ORDER BY seq"))


def test_created_accounts_are_listed_with_a_normal_name_and_role(accounts: Accounts) -> None:
    listed = accounts.list_accounts()
    assert [(a.user_name, a.full_name, a.role, a.active) for a in listed] == [
        ("admin", "Rosa Méndez", "administrador", True),
        ("ana.ruiz", "Ana Ruiz Soto", "oficial", True),
    ]
    assert not any(a.must_change_password for a in listed)


@pytest.mark.parametrize(
    ("user_name", "role", "message"),
    [
        ("ana.ruiz", "oficial", "Ya existe la cuenta «ana.ruiz»"),
        ("Ana Ruiz", "oficial", "no es válido"),
        ("pedro", "jefe", "El rol «jefe» no existe"),
    ],
)
def test_bad_account_data_is_refused(
    accounts: Accounts, store: Store, user_name: str, role: str, message: str
) -> None:
    before = len(events(store))
    with pytest.raises(InvalidInput, match=message):
        accounts.create(user_name, full_name="Pedro Gil", role=role, password=CLERK_PASSWORD)
    assert len(accounts.list_accounts()) == 2
    assert len(events(store)) == before


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("corta-123", "al menos 10 caracteres"),
        ("Contraseña2024!", "de las que más se usan"),
        ("password12345", "de las que más se usan"),
        ("qwerty123456", "de las que más se usan"),
        ("1234567890", "de las que más se usan"),
        ("abcabcabcabc", "de las que más se usan"),
        ("Oficialia.2026", "de las que más se usan"),  # the office's name
        ("oficialiadepartesmunicipal", "de las que más se usan"),
        ("opm-2026-opm", "de las que más se usan"),  # the acronym, repeated around a year
        ("Municipal2026!", "de las que más se usan"),  # a word of the office's name
        ("pedro.gil1990", "de las que más se usan"),  # the user name and a year
        ("PedroGil1990!", "de las que más se usan"),  # the full name and a year
    ],
)
def test_the_policy_refuses_short_and_common_passwords(
    store: Store, clock: FixedClock, password: str, message: str
) -> None:
    with pytest.raises(WeakPassword, match=message) as refused:
        service(store, clock).create(
            "pedro.gil", full_name="Pedro Gil", role="oficial", password=password
        )
    assert password not in refused.value.message
    assert service(store, clock).list_accounts() == []
    assert events(store) == []


@pytest.mark.parametrize(
    "password", ["8273649182", "una tarde de lluvia en Tepic", "Gil-x7#pQ2-zz"]
)
def test_the_policy_accepts_long_uncommon_passwords(
    store: Store, clock: FixedClock, password: str
) -> None:
    made = service(store, clock).create(
        "pedro.gil", full_name="Pedro Gil", role="oficial", password=password
    )
    assert service(store, clock).sign_in("pedro.gil", password) == made


def test_only_an_argon2id_hash_is_stored(accounts: Accounts, store: Store) -> None:
    hashes = [row["password_hash"] for row in store.reader().query("SELECT * FROM accounts")]
    assert all(h.startswith("$argon2id$v=19$") for h in hashes)
    store.close()  # the write-ahead log is folded into the file
    files = sorted(store.data_dir.glob("oficialia.sqlite3*"))
    stored = b"".join(path.read_bytes() for path in files)
    assert b"$argon2id$" in stored
    for password in (ADMIN_PASSWORD, CLERK_PASSWORD):
        assert password.encode("utf-8") not in stored
        assert password.encode("utf-16-le") not in stored


def test_sign_in_returns_the_account(accounts: Accounts, store: Store) -> None:
    account = accounts.sign_in(" ANA.RUIZ ", CLERK_PASSWORD)
    assert (account.user_name, account.full_name, account.role) == (
        "ana.ruiz",
        "Ana Ruiz Soto",
        "oficial",
    )
    last = events(store)[-1]
    assert (last["kind"], last["actor"]) == ("inicio_sesion", "ana.ruiz")


def test_wrong_password_unknown_user_and_disabled_account_read_the_same(
    accounts: Accounts,
) -> None:
    messages = []
    for user_name, password in [
        ("ana.ruiz", "no es la contraseña"),
        ("nadie.aqui", CLERK_PASSWORD),
        ("Ana Ruiz!", CLERK_PASSWORD),  # not even a valid user name
    ]:
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in(user_name, password)
        assert type(refused.value) is SignInRefused
        messages.append(refused.value.message)
    accounts.disable("ana.ruiz")
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in("ana.ruiz", CLERK_PASSWORD)  # the right password, a disabled account
    messages.append(refused.value.message)
    assert messages == [REFUSED] * 4
    assert "contraseña no son correctos" in REFUSED


def test_failures_lock_in_stages_and_the_lock_survives_a_restart(
    accounts: Accounts, store: Store, clock: FixedClock
) -> None:
    for _ in range(4):
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in("ana.ruiz", "no es la contraseña")
        assert type(refused.value) is SignInRefused
    with pytest.raises(SignInLocked) as locked:
        accounts.sign_in("ana.ruiz", "no es la contraseña")
    assert locked.value.until == clock.now() + timedelta(minutes=1)
    assert "Espere hasta las 10:31" in locked.value.message

    store.close()  # the app closes and opens again: still locked, even for the right password
    with Store(store.data_dir) as reopened:
        again = service(reopened, clock)
        with pytest.raises(SignInLocked):
            again.sign_in("ana.ruiz", CLERK_PASSWORD)
        clock.instant += timedelta(minutes=1, seconds=1)
        for _ in range(4):
            with pytest.raises(SignInRefused) as refused:
                again.sign_in("ana.ruiz", "otra equivocada")
            assert type(refused.value) is SignInRefused
        with pytest.raises(SignInLocked) as locked:  # the 10th in a row: a quarter of an hour
            again.sign_in("ana.ruiz", "otra equivocada")
        assert locked.value.until == clock.now() + timedelta(minutes=15)
        clock.instant += timedelta(minutes=15)
        assert again.sign_in("ana.ruiz", CLERK_PASSWORD).user_name == "ana.ruiz"
        # A success starts the count again: four more failures do not lock.
        for _ in range(4):
            with pytest.raises(SignInRefused) as refused:
                again.sign_in("ana.ruiz", "no es la contraseña")
            assert type(refused.value) is SignInRefused
        kinds = [e["kind"] for e in events(reopened)]
        assert kinds.count("cuenta_bloqueada") == 2
        assert kinds.count("inicio_sesion_rechazado") == 1


def test_unknown_names_lock_like_real_ones(accounts: Accounts) -> None:
    for name in ("ana.ruiz", "nadie.aqui"):
        for _ in range(4):
            with pytest.raises(SignInRefused):
                accounts.sign_in(name, "no es la contraseña")
        with pytest.raises(SignInLocked):
            accounts.sign_in(name, "no es la contraseña")
    assert accounts.sign_in("admin", ADMIN_PASSWORD).user_name == "admin"  # others unaffected


def test_a_reset_sets_a_new_password_to_change_and_lifts_the_lock(
    accounts: Accounts, store: Store
) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("ana.ruiz", "no es la contraseña")
    with pytest.raises(WeakPassword):
        accounts.reset_password("ana.ruiz", "anaruiz2026")
    reset = accounts.reset_password("ana.ruiz", "nueva clave de ana 7")
    assert reset.must_change_password
    with pytest.raises(SignInRefused):
        accounts.sign_in("ana.ruiz", CLERK_PASSWORD)
    assert accounts.sign_in("ana.ruiz", "nueva clave de ana 7").must_change_password
    with pytest.raises(NotFound, match="No existe la cuenta «nadie»"):
        accounts.reset_password("nadie", "nueva clave de ana 7")


def test_the_last_active_administrator_cannot_be_disabled(accounts: Accounts, store: Store) -> None:
    with pytest.raises(AccountRefused, match="único administrador activo"):
        accounts.disable("admin")
    assert accounts.get("admin").active
    with pytest.raises(AccountRefused, match="único administrador activo"):
        accounts.set_role("admin", "supervisor")  # a demotion is the same loss
    luis = accounts.create(
        "luis.paz", full_name="Luis Paz", role="administrador", password="otro admin más"
    )
    assert not accounts.disable("admin").active
    # Rosa's seat is now a disabled account: her next action is refused.
    with pytest.raises(Forbidden, match="«admin» ya no está activa"):
        accounts.disable("luis.paz")
    accounts.settings.seat.sit(accounts.actor(luis))
    with pytest.raises(AccountRefused):
        accounts.disable("luis.paz")
    assert accounts.has_active_administrator()
    assert accounts.reactivate("admin").active


def test_every_change_and_sign_in_is_audited_without_passwords(
    accounts: Accounts, store: Store
) -> None:
    accounts.sign_in("ana.ruiz", CLERK_PASSWORD)
    with pytest.raises(SignInRefused):
        accounts.sign_in("ana.ruiz", ADMIN_PASSWORD)
    with pytest.raises(SignInRefused):
        accounts.sign_in(CLERK_PASSWORD, CLERK_PASSWORD)  # a password typed in the user box
    accounts.reset_password("ana.ruiz", "nueva clave de ana 7")
    accounts.disable("ana.ruiz")
    trail = events(store)
    assert [(e["kind"], e["actor"], json.loads(e["payload"])["cuenta"]) for e in trail] == [
        ("cuenta_creada", "ventanilla1", "admin"),
        ("cuenta_creada", "admin", "ana.ruiz"),
        ("inicio_sesion", "ana.ruiz", "ana.ruiz"),
        ("inicio_sesion_fallido", "ana.ruiz", "ana.ruiz"),
        ("inicio_sesion_fallido", "(desconocido)", "(no existe)"),
        ("contrasena_restablecida", "admin", "ana.ruiz"),
        ("cuenta_desactivada", "admin", "ana.ruiz"),
    ]
    written = json.dumps(trail, ensure_ascii=False).casefold()
    for password in (ADMIN_PASSWORD, CLERK_PASSWORD, "nueva clave de ana 7"):
        assert password.casefold() not in written
    assert audit.verify_chain(store.reader()).ok


def run(data_dir: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "usuarios", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_usuarios_commands(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "contrasena.txt"
    secret.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    create = ["crear", "rosa", "--nombre", "Rosa Méndez", "--rol", "administrador"]
    code, out, err = run(data_dir, capsys, *create, "--password-file", str(secret))
    assert (code, err) == (0, "")
    assert "Cuenta «rosa» creada: Rosa Méndez, administrador." in out
    # From now on there is an account: a command that changes accounts needs one.
    code, _, err = run(data_dir, capsys, *create, "--password-file", str(secret))
    assert code == 77 and "hace falta iniciar sesión con una cuenta" in err
    monkeypatch.setenv("OFICIALIA_USUARIO", "rosa")
    monkeypatch.setenv("OFICIALIA_PASSWORD_FILE", str(secret))
    code, _, err = run(data_dir, capsys, *create, "--password-file", str(secret))
    assert (code, err) == (65, "Error: Ya existe la cuenta «rosa».\n")

    weak = tmp_path / "debil.txt"
    weak.write_text("oficialia2026\n", encoding="utf-8")
    code, _, err = run(data_dir, capsys, "restablecer", "rosa", "--password-file", str(weak))
    assert code == 65 and "de las que más se usan" in err

    code, out, err = run(data_dir, capsys, "desactivar", "rosa")
    assert code == 65 and "único administrador activo" in err
    code, _, err = run(data_dir, capsys, "desactivar", "nadie")
    assert code == 4 and "No existe la cuenta «nadie»" in err

    clerk_secret = tmp_path / "ana.txt"
    clerk_secret.write_text(CLERK_PASSWORD, encoding="utf-8")
    ana = ["crear", "ana", "--nombre", "Ana Ruiz", "--rol", "oficial"]
    assert run(data_dir, capsys, *ana, "--password-file", str(clerk_secret))[0] == 0
    monkeypatch.setenv("OFICIALIA_PASSWORD_FILE", str(clerk_secret))
    code, _, err = run(data_dir, capsys, "--usuario", "ana", "listar")
    assert code == 77 and "«ana» (oficial) no puede administrar las cuentas" in err
    code, _, err = run(data_dir, capsys, "listar")
    assert code == 77 and REFUSED in err  # ana's password is not rosa's
    monkeypatch.setenv("OFICIALIA_PASSWORD_FILE", str(secret))

    code, out, _ = run(data_dir, capsys, "restablecer", "rosa", "--password-file", str(secret))
    assert code == 0 and "deberá cambiarla" in out
    code, _, err = run(data_dir, capsys, "listar")
    assert code == 65 and "debe cambiar su contraseña" in err
    both = tmp_path / "cambio.txt"
    both.write_text(ADMIN_PASSWORD + "\nun cuaderno nuevo de rosa\n", encoding="utf-8")
    code, out, _ = run(data_dir, capsys, "cambiar", "rosa", "--password-file", str(both))
    assert code == 0 and "Contraseña de «rosa» cambiada." in out
    secret.write_text("un cuaderno nuevo de rosa\n", encoding="utf-8")

    code, out, _ = run(data_dir, capsys, "listar", "--json")
    listed = json.loads(out)
    assert code == 0
    assert [
        (a["user_name"], a["role"], a["active"], a["must_change_password"]) for a in listed
    ] == [("ana", "oficial", True, False), ("rosa", "administrador", True, False)]
    assert run(data_dir, capsys, "titular", "ana", "sí")[0] == 0
    code, out, _ = run(data_dir, capsys, "listar")
    assert out == (
        "ana\tAna Ruiz\toficial\tactiva, titular de la e.firma\n"
        "rosa\tRosa Méndez\tadministrador\tactiva\n"
    )
    code, _, err = run(data_dir, capsys, *create, "--password-file", str(tmp_path / "no-hay"))
    assert code == 65 and "No se pudo leer el archivo de la contraseña" in err


def test_the_password_prompt_asks_twice(
    data_dir: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([ADMIN_PASSWORD, "otra cosa distinta"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    create = ["crear", "rosa", "--nombre", "Rosa Méndez", "--rol", "administrador"]
    code, _, err = run(data_dir, capsys, *create)
    assert code == 65 and "no coinciden" in err
    answers = iter([ADMIN_PASSWORD, ADMIN_PASSWORD])
    assert run(data_dir, capsys, *create)[0] == 0
    with Store(data_dir) as store:
        assert service(store, clock).sign_in("rosa", ADMIN_PASSWORD).user_name == "rosa"
