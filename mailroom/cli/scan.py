"""``oficialia scanners`` and the scanner half of ``oficialia intake --scanner``.

Intake from a scanner: scan every page (progress on stderr) → clean up (blank sides out,
near-blank pages kept for review) → one scan PDF in the data folder's ``tmp`` → registration with
what the clean-up did. The scan PDF is deleted whatever happens; a failure or a Ctrl-C before
registration registers nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.capture.sane_options import MODES
from mailroom.config import Settings
from mailroom.errors import InvalidInput, OficialiaError

if TYPE_CHECKING:
    from mailroom.capture.pages import CaptureReport
    from mailroom.capture.sane_options import ScanSettings

# The document's name in the register: the scan has no file name of its own.
SCAN_FILENAME = "digitalizacion.pdf"


def add_scan_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    scanners = commands.add_parser(
        "scanners", parents=[common], help="escáneres que se ven desde este equipo (SANE)"
    )
    scanners.add_argument("--json", action="store_true")
    scanners.set_defaults(handler=cmd_scanners, needs_store=False)


def add_intake_scan_options(intake: argparse.ArgumentParser) -> None:
    intake.add_argument(
        "--scanner",
        nargs="?",
        const="",
        metavar="DISPOSITIVO",
        help="digitalizar con este escáner (el primero si se omite el nombre)",
    )
    intake.add_argument(
        "--adf", action="store_true", help="todas las hojas del alimentador automático"
    )
    intake.add_argument("--duplex", action="store_true", help="ambos lados de cada hoja")
    intake.add_argument("--resolucion", type=int, metavar="PPP", help="300 si se omite")
    intake.add_argument("--modo", choices=MODES, help="gris si se omite")


def cmd_scanners(args: argparse.Namespace, store: object, settings: Settings) -> int:
    from mailroom.capture.sane_errors import NoScanner
    from mailroom.capture.sane_source import list_scanners, no_scanner_message

    scanners = list_scanners()
    if args.json:
        print(json.dumps([asdict(s) for s in scanners], ensure_ascii=False, indent=2))
    for scanner in scanners if not args.json else []:
        print(f"{scanner.name}\t{scanner.vendor} {scanner.model} ({scanner.type})")
    if not scanners:
        raise NoScanner(no_scanner_message())
    return 0


@dataclass(frozen=True)
class ScannedDocument:
    path: Path
    """The scan PDF, in the data folder's ``tmp``; gone when the ``with`` block ends."""
    report: CaptureReport


def scan_settings(args: argparse.Namespace) -> ScanSettings | None:
    """What ``intake`` asked the scanner for, or ``None`` without ``--scanner`` (and then no
    scanner option may be given). Checked before anything is scanned."""
    from mailroom.capture.sane_options import ScanSettings
    from mailroom.capture.sane_source import DEFAULT_RESOLUTION

    if args.scanner is not None:
        source = "duplex" if args.duplex else "adf" if args.adf else "plano"
        resolution = DEFAULT_RESOLUTION if args.resolucion is None else args.resolucion
        return ScanSettings(resolution=resolution, mode=args.modo or "gris", source=source)
    given = [
        option
        for option, value in (
            ("--adf", args.adf),
            ("--duplex", args.duplex),
            ("--resolucion", args.resolucion is not None),
            ("--modo", args.modo is not None),
        )
        if value
    ]
    if given:
        raise InvalidInput(
            f"{', '.join(given)}: solo con --scanner (digitalizar en este momento).",
            field="scanner",
        )
    return None


@contextmanager
def scanned_for_intake(
    device: str | None, scan: ScanSettings | None, settings: Settings
) -> Iterator[ScannedDocument | None]:
    """Scan, clean up and write the scan PDF; ``None`` when nothing is to be scanned."""
    if scan is None:
        yield None
        return
    from mailroom.capture.cleanup import prepare_pages
    from mailroom.capture.sane_source import first_scanner
    from mailroom.capture.scan_pdf import write_scan_pdf
    from mailroom.capture.sources import open_source
    from mailroom.tmpfiles import scratch

    source = open_source(f"sane:{device or first_scanner()}", settings, scan)

    status = _Status()
    try:
        prepared = prepare_pages(
            source.pages(progress=status.scanned), source.name, progress=status.prepared
        )
    except (OficialiaError, KeyboardInterrupt):
        status.end()
        print("No se registró ningún escrito.", file=sys.stderr)
        raise
    status.end()
    if not prepared.pages:
        raise InvalidInput(
            f"Las {prepared.report.scanned_pages} páginas digitalizadas salieron en blanco: revise "
            "que el documento esté del lado correcto (boca abajo en el cristal) y digitalice de "
            "nuevo. No se registró ningún escrito.",
            field="scanner",
        )
    with scratch(settings.data_dir, "digitalizacion-") as folder:
        path = write_scan_pdf(prepared.pages, folder / SCAN_FILENAME)
        yield ScannedDocument(path, prepared.report)


class _Status:
    """One line on stderr, rewritten as pages are scanned and cleaned up."""

    def __init__(self) -> None:
        self.scanned_pages = 0
        self.prepared_pages = 0
        self.total: int | None = None
        self.shown = False

    def scanned(self, done: int, total: int | None) -> None:
        self.scanned_pages = done
        self._show()

    def prepared(self, done: int, total: int | None) -> None:
        self.prepared_pages, self.total = done, total
        self._show()

    def end(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = False

    def _show(self) -> None:
        print(
            f"\rPáginas digitalizadas: {self.scanned_pages} · listas: {self.prepared_pages}",
            end="",
            file=sys.stderr,
            flush=True,
        )
        self.shown = True
