"""``python -m mailroom.updates.publish``: the state's IT creates and keeps the update channel.

Not part of the ``oficialia`` command the counter PCs run: it needs the channel's private keys,
which live with the state's IT (see ``installer/updates/README.md``)::

    python -m mailroom.updates.publish iniciar  --canal CANAL --claves CLAVES
    python -m mailroom.updates.publish publicar INSTALADOR.exe --version 0.2.0 --canal … --claves …
    python -m mailroom.updates.publish renovar  --canal CANAL --claves CLAVES [--rol targets]
    python -m mailroom.updates.publish rotar    ROL --canal CANAL --claves CLAVES
    python -m mailroom.updates.publish estado   --canal CANAL

``iniciar``, ``publicar``, ``renovar --rol`` and ``rotar`` run on the offline machine that keeps
the root and targets keys; plain ``renovar`` runs where the channel is served, with the snapshot
and timestamp keys (see :mod:`mailroom.updates.repository` for why each side signs only its own).

Each key's passphrase comes from ``OFICIALIA_FRASE_<ROL>`` (``OFICIALIA_FRASE_TIMESTAMP`` …) when
set, which is how a scheduled ``renovar`` runs; otherwise it is asked for on the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from securesystemslib.signer import Signer

from mailroom.errors import ConfigError, InvalidInput, OficialiaError
from mailroom.updates.keys import ROLES, create_key, load_key, retire_key
from mailroom.updates.repository import DEFAULT_DAYS, ChannelFolder

PASSPHRASE_ENV = "OFICIALIA_FRASE_{}"
_UPLOAD = (
    " Suba al servidor targets/ y metadata/ menos snapshot y timestamp, y ejecute allí "
    "«renovar»: hasta entonces los equipos no ven el cambio (installer/updates/README.md)."
)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except OficialiaError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailroom.updates.publish",
        description="Canal de actualizaciones de Oficialía para Windows (TUF).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")
    start = commands.add_parser("iniciar", help="crear las cuatro llaves y el canal")
    _common(start)
    start.set_defaults(handler=cmd_initialize)
    release = commands.add_parser("publicar", help="publicar un instalador nuevo")
    release.add_argument("installer", type=Path, metavar="INSTALADOR")
    release.add_argument("--version", required=True, help="versión del instalador, p. ej. 0.2.0")
    release.add_argument("--plataforma", default="windows", help="plataforma (windows)")
    _common(release)
    release.set_defaults(handler=cmd_publish)
    renew = commands.add_parser("renovar", help="renovar firmas y vencimientos")
    renew.add_argument(
        "--rol",
        action="append",
        choices=("root", "targets"),
        help="renovar root o targets (se repite; en la máquina sin red); sin él, snapshot y "
        "timestamp (en el servidor)",
    )
    _common(renew)
    renew.set_defaults(handler=cmd_renew)
    rotate = commands.add_parser("rotar", help="cambiar la llave de un rol")
    rotate.add_argument("role", choices=ROLES, metavar="ROL")
    _common(rotate)
    rotate.set_defaults(handler=cmd_rotate)
    state = commands.add_parser("estado", help="versión y vencimiento de cada rol")
    state.add_argument("--canal", type=Path, required=True, help="carpeta del canal")
    state.set_defaults(handler=cmd_status)
    return parser


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--canal", type=Path, required=True, help="carpeta del canal")
    command.add_argument("--claves", type=Path, required=True, help="carpeta de las llaves")
    command.add_argument(
        "--dias",
        action="append",
        default=[],
        metavar="ROL=N",
        help="días de vigencia de un rol (se repite); por omisión "
        + ", ".join(f"{role}={days}" for role, days in DEFAULT_DAYS.items()),
    )


def cmd_initialize(args: argparse.Namespace) -> int:
    channel = ChannelFolder(args.canal)
    if channel.exists():
        raise InvalidInput(f"{args.canal} ya tiene un canal.", path=args.canal)
    days = _days(args.dias)
    signers = {role: create_key(args.claves, role, _new_passphrase(role)) for role in ROLES}
    channel.initialize(signers, days=days)
    print(f"Canal creado en {args.canal}; llaves en {args.claves}.")
    print(
        f"Raíz de confianza para cada equipo: {channel.metadata_dir / 'root.json'} "
        "(cópiela como actualizaciones\\root.json en la carpeta de datos)."
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    channel = ChannelFolder(args.canal)
    targets = load_key(args.claves, "targets", _passphrase("targets"))
    name = channel.publish(
        args.installer, args.version, args.plataforma, targets, days=_days(args.dias)
    )
    print(f"Publicado {name}.{_UPLOAD}")
    return 0


def cmd_renew(args: argparse.Namespace) -> int:
    channel = ChannelFolder(args.canal)
    days = _days(args.dias)
    if args.rol:  # the offline side: root and targets only
        roles = tuple(sorted(set(args.rol)))
        channel.renew_offline_roles(roles, _signers(args.claves, roles), days=days)
        print(f"Renovado: {', '.join(roles)}.{_UPLOAD}")
        return 0
    channel.renew(_signers(args.claves, ("snapshot", "timestamp")), days=days)
    print("Renovado: snapshot y timestamp.")
    return cmd_status(args)


def cmd_rotate(args: argparse.Namespace) -> int:
    channel = ChannelFolder(args.canal)
    role = args.role
    root = load_key(args.claves, "root", _passphrase("root"))
    root_version = channel.load_root_version()
    retired = retire_key(args.claves, role, root_version)
    new_signer = create_key(args.claves, role, _new_passphrase(role))
    channel.rotate(role, new_signer, root, days=_days(args.dias))
    print(
        f"Llave de {role} cambiada (raíz versión {root_version + 1}). La anterior quedó en "
        f"{retired}: destrúyala cuando todos los equipos hayan consultado el canal."
    )
    if role in ("snapshot", "timestamp"):
        print(f"Copie la llave nueva {role}.pem al servidor antes de subir el canal.")
    print(_UPLOAD.strip())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    for state in ChannelFolder(args.canal).status():
        left = state.days_left(now)
        warning = ""
        if left <= 0:
            warning = "  ¡VENCIDO! Los equipos rechazan el canal: renuévelo."
        elif left < DEFAULT_DAYS[state.role] / 4:
            warning = "  vence pronto: renuévelo"
        print(
            f"{state.role:<10} versión {state.version:<4} vence {state.expires:%Y-%m-%d %H:%M} "
            f"UTC ({left:.1f} días){warning}"
        )
    return 0


def _signers(keys_dir: Path, roles: tuple[str, ...]) -> dict[str, Signer]:
    return {role: load_key(keys_dir, role, _passphrase(role)) for role in roles}


def _passphrase(role: str) -> bytes:
    variable = PASSPHRASE_ENV.format(role.upper())
    if variable in os.environ:
        return os.environ[variable].encode()
    if not sys.stdin.isatty():
        raise ConfigError(
            f"Falta la frase de la llave {role}: póngala en {variable} o ejecute el comando en "
            "una terminal.",
        )
    return getpass.getpass(f"Frase de la llave {role}: ").encode()


def _new_passphrase(role: str) -> bytes:
    variable = PASSPHRASE_ENV.format(role.upper())
    if variable in os.environ or not sys.stdin.isatty():
        return _passphrase(role)
    first = getpass.getpass(f"Frase nueva para la llave {role}: ")
    if getpass.getpass("Repítala: ") != first:
        raise InvalidInput(f"Las frases de la llave {role} no coinciden; no se creó la llave.")
    return first.encode()


def _days(pairs: list[str]) -> dict[str, int]:
    days = {}
    for pair in pairs:
        role, _, count = pair.partition("=")
        if role not in ROLES or not count.isdigit() or int(count) < 1:
            raise InvalidInput(
                f"--dias {pair!r} no es válido: use ROL=N con ROL uno de {', '.join(ROLES)} y N "
                "días (p. ej. --dias timestamp=14).",
            )
        days[role] = int(count)
    return days


if __name__ == "__main__":
    sys.exit(main())
