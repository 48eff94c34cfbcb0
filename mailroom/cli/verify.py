"""``oficialia verify ARCHIVO.pdf``: every signature of a PDF, with a verdict a clerk can read.

Needs no data folder (``needs_store=False``): checking a citizen's PDF never creates one.
pyHanko is imported only when the command runs, so ``oficialia --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailroom.config import Settings
from mailroom.errors import UnreadableFile

# Distinct from 65 (an unreadable file): the PDF was read, but its signatures do not hold.
EXIT_SIGNATURES_INVALID = 5
EXIT_NOT_SIGNED = 6

if TYPE_CHECKING:
    from mailroom.store import Store


def add_verify_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    verify = commands.add_parser(
        "verify", parents=[common], help="verificar las firmas electrónicas de un PDF"
    )
    verify.add_argument("input", type=Path, metavar="ARCHIVO.pdf")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify, needs_store=False)


def cmd_verify(args: argparse.Namespace, store: Store | None, settings: Settings) -> int:
    from signing.trust import trust_store_from_settings
    from signing.verify import verify_pdf

    limit = settings.max_file_megabytes * 1024 * 1024
    try:
        size = args.input.stat().st_size
        if size > limit:
            raise UnreadableFile(
                f"El archivo mide {size / 1048576:.0f} MB, más que el máximo de "
                f"{settings.max_file_megabytes} MB (ajuste max_file_megabytes).",
                path=args.input,
            )
        data = args.input.read_bytes()
    except OSError as error:
        raise UnreadableFile(
            f"No se pudo leer el PDF {args.input}: {error.strerror}.", path=args.input
        ) from error
    trust = trust_store_from_settings(settings)
    report = verify_pdf(data, trust=trust, revocation=_checker(settings, trust), max_bytes=limit)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for warning in report.warnings:
            print(f"Aviso: {warning}")
        for number, signature in enumerate(report.signatures, start=1):
            label = "Firma" if signature.kind == "firma" else "Sello de tiempo"
            mark = "✔" if signature.ok else "✘"
            print(f"{mark} {label} {number} ({signature.field_name}): {signature.verdict}")
            if signature.level:
                print(
                    f"    Nivel PAdES: {signature.level}; revocación: {signature.revocation.status}"
                )
        print(report.verdict)
    if report.ok:
        return 0
    return EXIT_SIGNATURES_INVALID if report.signatures else EXIT_NOT_SIGNED


def _checker(settings: Settings, trust: Any) -> Any:
    """SAT's OCSP responder (``ocsp_url``), or ``None`` when revocation checks are off."""
    try:
        from signing.revocation import checker_from_settings
    except ImportError:  # the revocation module is not installed in this build
        return None
    return checker_from_settings(settings, responder_certificates=trust.ocsp_responders)
