"""``oficialia usuarios``: the app's own accounts (crear, listar, desactivar, restablecer).

A password is asked twice at a prompt that does not show it, or read from ``--password-file``
for scripts; it is never printed nor taken on the command line (where ``ps`` and the shell's
history would keep it).
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import InvalidInput, UnreadableFile

if TYPE_CHECKING:
    from mailroom.accounts import Accounts
    from mailroom.store import Store

ROLE_CHOICES = ("oficial", "supervisor", "administrador")


def add_account_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    accounts = commands.add_parser(
        "usuarios", parents=[common], help="cuentas de quienes atienden la ventanilla"
    )
    actions = accounts.add_subparsers(
        dest="accounts_command", required=True, metavar="{crear,listar,desactivar,restablecer}"
    )
    create = actions.add_parser("crear", parents=[common], help="crear una cuenta")
    create.add_argument("usuario", help="nombre de usuario (minúsculas, p. ej. maria.lopez)")
    create.add_argument("--nombre", required=True, help="nombre completo, como va en el acuse")
    create.add_argument("--rol", required=True, choices=ROLE_CHOICES, help="rol de la cuenta")
    _password_file_option(create)
    create.set_defaults(handler=cmd_create)
    listing = actions.add_parser("listar", parents=[common], help="listar las cuentas")
    listing.add_argument("--json", action="store_true", help="salida JSON")
    listing.set_defaults(handler=cmd_list)
    disable = actions.add_parser("desactivar", parents=[common], help="desactivar una cuenta")
    disable.add_argument("usuario")
    disable.set_defaults(handler=cmd_disable)
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
        args.usuario, full_name=args.nombre, role=args.rol, password=password, actor=settings.clerk
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
        print(f"{account.user_name}\t{account.full_name}\t{account.role}\t{state}")
    return 0


def cmd_disable(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    account = _service(store, settings).disable(args.usuario, actor=settings.clerk)
    print(f"Cuenta «{account.user_name}» desactivada: ya no puede iniciar sesión.")
    return 0


def cmd_reset(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    service = _service(store, settings)
    service.get(args.usuario)  # say so before asking for a password for nobody
    password = _password(args.password_file)
    account = service.reset_password(args.usuario, password, actor=settings.clerk)
    print(f"Contraseña de «{account.user_name}» restablecida; deberá cambiarla al iniciar sesión.")
    return 0


def _service(store: Store, settings: Settings) -> Accounts:
    from mailroom.accounts import Accounts
    from mailroom.clock import SystemClock

    return Accounts(
        store,
        SystemClock(settings.zone),
        office_names=(settings.office, settings.office_name),
    )


def _password(path: Path | None) -> str:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UnreadableFile(
                f"No se pudo leer el archivo de la contraseña {path}: {error}.", path=str(path)
            ) from error
        return text.rstrip("\r\n")  # the line end an editor adds is not part of it
    password = getpass.getpass("Contraseña nueva (al menos 10 caracteres): ")
    if getpass.getpass("Repítala: ") != password:
        raise InvalidInput(
            "Las dos contraseñas no coinciden; no se cambió nada.", field="contrasena"
        )
    return password
