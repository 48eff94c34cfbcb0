"""``oficialia kiosk``: the citizen's self-service kiosk, full screen, on the configured data
folder or (``--demo``) on the kiosk's demo profile; ``oficialia kiosk pin`` sets the admin PIN.

PySide6 and the kiosk are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from mailroom.cli.app import NO_DISPLAY_EXIT
from mailroom.config import Settings, load_settings
from mailroom.errors import InvalidInput

NO_DISPLAY_MESSAGE = (
    "No hay pantalla: el quiosco necesita una sesión gráfica (no se encontró DISPLAY ni "
    "WAYLAND_DISPLAY).\n"
    "En un quiosco, arránquelo bajo cage (installer/kiosk-session.sh o el servicio "
    "installer/oficialia-kiosk.service); para probarlo: make kiosk en un escritorio."
)


def add_kiosk_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    kiosk = commands.add_parser(
        "kiosk", parents=[common], help="abrir el quiosco de autoservicio (pantalla completa)"
    )
    kiosk.add_argument(
        "--demo",
        action="store_true",
        help="perfil de demostración: e.firma, servidor, escáner test e impresora de prueba",
    )
    kiosk.add_argument(
        "--ventana",
        action="store_true",
        help="en una ventana de 1920×1080 en lugar de pantalla completa (para probarlo)",
    )
    kiosk.set_defaults(handler=cmd_kiosk, needs_store=False)
    actions = kiosk.add_subparsers(dest="kiosk_command", metavar="{pin,auditar,supervisar}")
    audit = actions.add_parser(
        "auditar",
        parents=[common],
        help="medir la accesibilidad de cada pantalla del quiosco (tamaños, contraste, letra)",
    )
    audit.add_argument(
        "--capturas", type=Path, help="guardar aquí la imagen de cada pantalla medida"
    )
    audit.set_defaults(handler=cmd_kiosk_audit, needs_store=False)
    pin = actions.add_parser(
        "pin", parents=[common], help="fijar el PIN de 6 dígitos de la pantalla de administración"
    )
    pin.add_argument(
        "--pin-file", type=Path, help="leer el PIN de este archivo (para scripts) en vez de pedirlo"
    )
    pin.set_defaults(handler=cmd_kiosk_pin, needs_store=False)
    from kiosk.supervisor import build_parser as supervisor_options

    supervise = actions.add_parser(
        "supervisar",
        parents=[common, supervisor_options(add_help=False)],
        help="mantener el quiosco abierto: reiniciarlo si termina o si su pantalla se congela "
        "(el papel de systemd donde no lo hay, como Windows)",
    )
    supervise.set_defaults(handler=cmd_kiosk_supervise, needs_store=False)


def cmd_kiosk_supervise(args: argparse.Namespace, store: object, settings: Settings) -> int:
    from kiosk.supervisor import run

    if args.heartbeat_timeout <= 0:
        raise InvalidInput("--heartbeat-timeout debe ser mayor que cero.", field="heartbeat")
    if args.heartbeat_file is None:
        from kiosk.supervisor import HEARTBEAT_NAME

        args.heartbeat_file = settings.data_dir / "kiosk" / HEARTBEAT_NAME
    return run(args)


def main_kiosk(argv: list[str]) -> int:
    """``oficialia [--data-dir X] kiosk …`` without the rest of the command line (see
    ``mailroom.entry``)."""
    from mailroom.cli.app import run_alone

    return run_alone(argv, add_kiosk_commands, _settings)


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "demo", False):
        from kiosk.demo import kiosk_demo_dir

        return load_settings(kiosk_demo_dir(getattr(args, "data_dir", None)))
    return load_settings(getattr(args, "data_dir", None))


def cmd_kiosk(args: argparse.Namespace, store: object, settings: Settings) -> int:
    from mailroom.ui.shell import has_display, platform_plugin_problem

    if not has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return NO_DISPLAY_EXIT
    if problem := platform_plugin_problem():
        print(problem, file=sys.stderr)
        return NO_DISPLAY_EXIT
    if args.demo:
        return _run_demo(args)
    from kiosk.app import StartOptions, run_kiosk

    return run_kiosk(settings, StartOptions(full_screen=not args.ventana))


def _run_demo(args: argparse.Namespace) -> int:
    from kiosk.app import StartOptions, run_kiosk
    from kiosk.demo import kiosk_demo_dir, prepare_kiosk_demo
    from mailroom.demo_profile import DemoBackend

    folder = kiosk_demo_dir(getattr(args, "data_dir", None))
    demo = prepare_kiosk_demo(folder)
    print(f"Quiosco de demostración en {folder}", file=sys.stderr)
    print(f"PIN de administración: {demo.pin} (esquina superior izquierda, 3 s)", file=sys.stderr)
    print(f"Los tickets impresos se guardan en {demo.tickets_dir}", file=sys.stderr)
    try:
        with DemoBackend(demo.profile) as backend:
            if backend.message:
                print(backend.message, file=sys.stderr)
            settings = demo.settings(backend.settings)
            options = StartOptions(
                backend_url=backend.url,
                after_start=demo.open_efirma,
                full_screen=not args.ventana,
            )
            return run_kiosk(settings, options)
    finally:
        demo.close()


def cmd_kiosk_audit(args: argparse.Namespace, store: object, settings: Settings) -> int:
    """Every screen of the kiosk on its demo profile, in each look, measured offscreen at
    1920 × 1080 (no display needed); the table on standard output, exit 1 below a goal."""
    import os
    import shutil

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.screenshots import report, run_audit
    from mailroom.errors import OficialiaError

    work = settings.data_dir / "tmp" / "auditoria-quiosco"
    shutil.rmtree(work, ignore_errors=True)  # what a stopped run left
    out = args.capturas or work / "capturas"
    try:
        audits, _ = run_audit(out, work)
    except OficialiaError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(audits)


def cmd_kiosk_pin(args: argparse.Namespace, store: object, settings: Settings) -> int:
    from kiosk.admin_pin import AdminPin

    if args.pin_file is not None:
        try:
            pin = args.pin_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            print(f"Error: no se pudo leer {args.pin_file}: {error}", file=sys.stderr)
            return 66  # EX_NOINPUT
    else:
        pin = getpass.getpass("PIN nuevo (6 dígitos): ")
        if getpass.getpass("Repita el PIN: ") != pin:
            print("Error: los dos PIN no coinciden; no se cambió nada.", file=sys.stderr)
            return 65  # EX_DATAERR
    AdminPin(settings.data_dir).set(pin)
    print(f"PIN de administración del quiosco guardado en {settings.data_dir}.")
    return 0
