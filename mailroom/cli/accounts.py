"""``oficialia usuarios``: the app's own accounts (crear, listar, desactivar, reactivar, rol,
titular, restablecer, cambiar), and ``--usuario``: which account a command acts as.

A password is asked twice at a prompt that does not show it, or read from ``--password-file``
for scripts; it is never printed nor taken on the command line (where ``ps`` and the shell's
history would keep it).
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, UnreadableFile

if TYPE_CHECKING:
    from mailroom.accounts import Accounts
    from mailroom.store import Store

ROLE_CHOICES = ("oficial", "supervisor", "administrador")
ENV_USER = "OFICIALIA_USUARIO"
ENV_PASSWORD_FILE = "OFICIALIA_PASSWORD_FILE"


def add_account_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    accounts = commands.add_parser(
        "usuarios", parents=[common], help="cuentas de quienes atienden la ventanilla"
    )
    actions = accounts.add_subparsers(
        dest="accounts_command",
        required=True,
        metavar="{crear,listar,desactivar,reactivar,rol,titular,restablecer,cambiar}",
    )
    create = actions.add_parser("crear", parents=[common], help="crear una cuenta")
    create.add_argument("usuario", help="nombre de usuario (minúsculas, p. ej. maria.lopez)")
    create.add_argument("--nombre", required=True, help="nombre completo, como va en el acuse")
    create.add_argument("--rol", required=True, choices=ROLE_CHOICES, help="rol de la cuenta")
    create.add_argument(
        "--titular",
        action="store_true",
        help="puede abrir la e.firma de la oficina aunque no sea administrador",
    )
    _password_file_option(create)
    create.set_defaults(handler=cmd_create)
    listing = actions.add_parser("listar", parents=[common], help="listar las cuentas")
    listing.add_argument("--json", action="store_true", help="salida JSON")
    listing.set_defaults(handler=cmd_list)
    disable = actions.add_parser("desactivar", parents=[common], help="desactivar una cuenta")
    disable.add_argument("usuario")
    disable.set_defaults(handler=cmd_disable)
    enable = actions.add_parser("reactivar", parents=[common], help="reactivar una cuenta")
    enable.add_argument("usuario")
    enable.set_defaults(handler=cmd_reactivate)
    role = actions.add_parser("rol", parents=[common], help="cambiar el rol de una cuenta")
    role.add_argument("usuario")
    role.add_argument("rol", choices=ROLE_CHOICES)
    role.set_defaults(handler=cmd_role)
    titular = actions.add_parser(
        "titular",
        parents=[common],
        help="permitir (sí) o no (no) que la cuenta abra la e.firma de la oficina",
    )
    titular.add_argument("usuario")
    titular.add_argument("valor", choices=("sí", "si", "no"))
    titular.set_defaults(handler=cmd_titular)
    change = actions.add_parser(
        "cambiar", parents=[common], help="cambiar la contraseña propia (pide la actual)"
    )
    change.add_argument("usuario")
    _password_file_option(change)
    change.set_defaults(handler=cmd_change)
    reset = actions.add_parser(
        "restablecer",
        parents=[common],
        help="poner una contraseña nueva (la persona debe cambiarla al entrar)",
    )
    reset.add_argument("usuario")
    _password_file_option(reset)
    reset.set_defaults(handler=cmd_reset)


def _password_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        help="leer la contraseña de este archivo (para scripts) en vez de pedirla",
    )


def cmd_create(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    password = _password(args.password_file)
    account = _service(store, settings).create(
        args.usuario,
        full_name=args.nombre,
        role=args.rol,
        password=password,
        titular=args.titular,
    )
    print(f"Cuenta «{account.user_name}» creada: {account.full_name}, {account.role}.")
    return 0


def cmd_list(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    accounts = _service(store, settings).list_accounts()
    if args.json:
        from mailroom.cli.output import print_json

        print_json(accounts)
        return 0
    if not accounts:
        print(
            "No hay cuentas. Cree la primera con «oficialia usuarios crear … --rol administrador»."
        )
        return 0
    for account in accounts:
        state = "activa" if account.active else "desactivada"
        if account.active and account.must_change_password:
            state += ", debe cambiar la contraseña"
        if account.titular:
            state += ", titular de la e.firma"
        print(f"{account.user_name}\t{account.full_name}\t{account.role}\t{state}")
    return 0


def cmd_disable(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    account = _service(store, settings).disable(args.usuario)
    print(f"Cuenta «{account.user_name}» desactivada: ya no puede iniciar sesión.")
    return 0


def cmd_reactivate(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    account = _service(store, settings).reactivate(args.usuario)
    print(f"Cuenta «{account.user_name}» activa de nuevo.")
    return 0


def cmd_role(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    account = _service(store, settings).set_role(args.usuario, args.rol)
    print(f"Cuenta «{account.user_name}»: ahora es {account.role}.")
    return 0


def cmd_titular(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    account = _service(store, settings).set_titular(args.usuario, args.valor != "no")
    if account.titular:
        print(f"Cuenta «{account.user_name}»: puede abrir la e.firma de la oficina.")
    else:
        print(f"Cuenta «{account.user_name}»: ya no abre la e.firma de la oficina.")
    return 0


def cmd_change(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    service = _service(store, settings)
    if args.password_file is not None:
        lines = _read_secret_file(args.password_file).split("\n")
        if len(lines) != 2:
            raise InvalidInput(
                "El archivo debe llevar la contraseña actual en la primera línea y la nueva en "
                "la segunda.",
                field="contrasena",
            )
        current, new = lines[0], lines[1].rstrip("\r")
    else:
        current = getpass.getpass("Contraseña actual: ")
        new = _password(None)
    account = service.change_password(args.usuario, current.rstrip("\r"), new)
    print(f"Contraseña de «{account.user_name}» cambiada.")
    return 0


def cmd_reset(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    service = _service(store, settings)
    service.get(args.usuario)  # say so before asking for a password for nobody
    password = _password(args.password_file)
    account = service.reset_password(args.usuario, password)
    print(f"Contraseña de «{account.user_name}» restablecida; deberá cambiarla al iniciar sesión.")
    return 0


def _service(store: Store, settings: Settings) -> Accounts:
    from mailroom.accounts import Accounts

    return Accounts(store, settings)


def take_seat(args: argparse.Namespace, store: Store, settings: Settings) -> None:
    """Sign in the account named with ``--usuario`` (or ``OFICIALIA_USUARIO``) and seat it, so
    that what the command does is checked against its role and recorded in its name. The old
    ``supervisors`` setting's users become accounts here, the first time."""
    service = _service(store, settings)
    if settings.supervisor_names:
        service.adopt_supervisors(settings.supervisor_names)
    user = getattr(args, "seat_user", None) or os.environ.get(ENV_USER)
    if not user or getattr(args, "accounts_command", None) == "cambiar":
        return  # changing one's own password proves who one is by itself
    from mailroom.accounts import MUST_CHANGE

    file = os.environ.get(ENV_PASSWORD_FILE)
    if file:
        password = _read_secret_file(Path(file)).rstrip("\r\n")
    else:
        password = getpass.getpass(f"Contraseña de {user}: ")
    account = service.sign_in(user, password)
    if account.must_change_password:
        raise InvalidInput(MUST_CHANGE.format(user=account.user_name), field="contrasena")
    settings.seat.sit(service.actor(account))


def _read_secret_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableFile(
            f"No se pudo leer el archivo de la contraseña {path}: {error}.", path=str(path)
        ) from error
    return text.rstrip("\n")  # the line end an editor adds is not part of it


def _password(path: Path | None) -> str:
    if path is not None:
        return _read_secret_file(path).rstrip("\r")
    password = getpass.getpass("Contraseña nueva (al menos 10 caracteres): ")
    if getpass.getpass("Repítala: ") != password:
        raise InvalidInput(
            "Las dos contraseñas no coinciden; no se cambió nada.", field="contrasena"
        )
    return password
