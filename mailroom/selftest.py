"""``oficialia --self-test``: what a broken package breaks, checked one thing at a time.

An admin runs it after installing (and the package tests run it on every build): each check
prints one line, and the first failure ends the run with a Spanish message and a non-zero exit
code. Everything it makes (a throwaway data folder, a throwaway e.firma, a generated page) lives
in the data folder's ``tmp/`` and goes when it ends; the office's filings are never touched.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from mailroom import tmpfiles
from mailroom.errors import OficialiaError, SelfTestFailed

EXIT_FAILED = SelfTestFailed.exit_code
PACKAGES = ("mailroom", "signing", "sync", "kiosk")
# Not in a packaged build: the reference backend runs on the state's servers, and these modules
# exist for developers (screenshots of the source tree, the catalogue update with lupdate).
LEFT_OUT = ("sync.server", "mailroom.ui.screenshots", "kiosk.screenshots")
# Imported by our modules only inside functions, so a missing one shows only when used.
LIBRARIES = (
    "pytesseract",
    "pypdfium2",
    "pdfplumber",
    "img2pdf",
    "zxingcpp",
    "segno",
    "fpdf",
    "pyhanko.sign.signers",
    "pyhanko.sign.validation",
    "requests",
    "argon2",
    "escpos.printer",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtMultimedia",
    "PySide6.QtTextToSpeech",
    "PySide6.QtQuickWidgets",
)
WORDS = ("OFICIALIA", "PARTES", "ACUSE")
PAGE_TEXT = ("OFICIALIA DE PARTES", "PRUEBA DE ACUSE 2026")


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Path], str]
    """Given a scratch folder; returns what it found (printed after «bien»)."""


def run_self_test(data_dir: Path, out: Callable[[str], None] = print) -> int:
    started = time.monotonic()
    from mailroom.version import version

    out(f"Autoprueba de Oficialía {version()} ({'paquete' if _frozen() else 'código fuente'})")
    try:
        scratch_root = tmpfiles.work_folder(data_dir, "autoprueba-")
    except OficialiaError as error:
        out(f"FALLÓ: no se pudo preparar la carpeta de trabajo: {error.message}")
        return EXIT_FAILED
    try:
        for number, check in enumerate(CHECKS, start=1):
            folder = scratch_root / str(number)
            folder.mkdir()
            check_started = time.monotonic()
            try:
                found = check.run(folder)
            except OficialiaError as error:
                out(f"FALLÓ {check.name}: {error.message}")
                return error.exit_code if error.exit_code != 1 else EXIT_FAILED
            except Exception as error:  # noqa: BLE001 - a broken build fails in any way
                out(f"FALLÓ {check.name}: {type(error).__name__}: {error}")
                out("El paquete está dañado o incompleto: reinstale Oficialía.")
                return EXIT_FAILED
            out(f"  bien  {check.name}: {found} ({time.monotonic() - check_started:.1f} s)")
    finally:
        import shutil

        shutil.rmtree(scratch_root, ignore_errors=True)
    out(f"Todo en orden ({time.monotonic() - started:.1f} s).")
    return 0


def _frozen() -> bool:
    from mailroom.resources import frozen

    return frozen()


def module_names() -> Iterator[str]:
    """Every module of our packages a packaged build carries."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        yield package_name
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.endswith("__main__"):
                continue
            if any(info.name == gone or info.name.startswith(gone + ".") for gone in LEFT_OUT):
                continue
            yield info.name


def check_modules(folder: Path) -> str:
    names = [*module_names(), *LIBRARIES]
    if sys.platform != "win32":
        names.append("sane")
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise SelfTestFailed(
                f"falta el módulo {name} ({error}). El paquete está incompleto: reinstale "
                "Oficialía."
            ) from error
    return f"{len(names)} módulos"


def check_trust(folder: Path) -> str:
    from mailroom.config import load_settings
    from signing.trust import bundle_dir, trust_store_from_settings

    store = trust_store_from_settings(load_settings(folder))
    if store.warnings or not store.roots:
        detail = "; ".join(store.warnings) or "no tiene ninguna raíz"
        raise SelfTestFailed(f"el paquete de autoridades ({bundle_dir()}) falla: {detail}")
    return (
        f"{len(store.roots)} raíces y {len(store.intermediates)} autoridades intermedias, "
        f"{len(store.ocsp_responders)} respondedores OCSP"
    )


def check_tesseract(folder: Path) -> str:
    from mailroom.ocr.engine import check_tesseract as installed

    return f"tesseract {installed('spa')} con español"


def _test_page(folder: Path) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    from mailroom.resources import font_file

    page = Image.new("L", (2550, 1100), 255)  # the top of a letter page at 300 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(font_file("DejaVuSans-Bold.ttf")), 64)
    for line, text in enumerate(PAGE_TEXT):
        draw.text((300, 300 + 160 * line), text, fill=0, font=font)
    path = folder / "pagina.png"
    page.save(path, dpi=(300, 300))
    return path


def check_ocr(folder: Path) -> str:
    from mailroom.ocr.engine import ocr_page

    result = ocr_page(_test_page(folder), dpi=300, work_dir=folder, languages="spa")
    read = result.text.upper()
    missing = [word for word in WORDS if word not in read]
    if missing:
        raise SelfTestFailed(
            f"tesseract no leyó la página de prueba (faltan {', '.join(missing)}; leyó "
            f"«{result.text.strip()[:80]}»). Revise la instalación de tesseract y su español."
        )
    return f"{len(result.text.split())} palabras leídas en {result.seconds:.1f} s"


def check_acuse(folder: Path) -> str:
    from mailroom.acuses import AcuseService
    from mailroom.config import load_settings
    from mailroom.intake import IntakeService
    from mailroom.models import Addressee, Channel, NewFiling, Sender
    from mailroom.store import Store
    from signing import load_credentials
    from signing.demo_pki import create_demo_pki
    from signing.office import office_signer
    from signing.trust import trust_store_from_settings
    from signing.verify import verify_pdf

    pki = create_demo_pki(folder / "efirma")
    data = folder / "datos"
    # No network: no OCSP or time-stamp server is asked; the acuse is sealed offline (B-B).
    settings = load_settings(
        data, ocsp_url="", tsa_url="", backend_url="", trust_test_roots=str(pki.trust_dir)
    )
    page = _test_page(folder)
    with Store(settings.data_dir) as store:
        filing = NewFiling(
            sender=Sender("Autoprueba de instalación"),
            subject="Comprobación del paquete",
            channel=Channel.VENTANILLA,
            addressees=(Addressee("Oficialía de Partes"),),
            fojas_declared=1,
        )
        folio = IntakeService(store, settings).register(filing, [page]).filing.folio
        credentials = load_credentials(pki.office_cer, pki.office_key, pki.password)
        trust = trust_store_from_settings(settings)
        signer = office_signer(credentials, settings, store=store, trust=trust)
        acuse = AcuseService(store, settings).seal(folio, signer)
        pdf = acuse.pdf
    report = verify_pdf(pdf, trust=trust)
    if not report.ok:
        raise SelfTestFailed(f"el acuse sellado no se pudo validar: {report.verdict}")
    return f"acuse {folio} de {len(pdf) // 1024} KiB sellado y validado"


def _offscreen() -> None:
    """Paint offscreen whatever the machine has (the self-test runs over SSH too)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # Qt Multimedia looks for PipeWire first and says so when it is absent: noise here.
    rules = os.environ.get("QT_LOGGING_RULES", "")
    os.environ["QT_LOGGING_RULES"] = ";".join(
        filter(None, (rules, "qt.multimedia.symbolsresolver=false"))
    )


def _ui() -> ModuleType:
    from mailroom.ui import self_test

    return self_test


CHECKS = (
    Check("módulos", check_modules),
    Check("autoridades de confianza", check_trust),
    Check("complementos de Qt", lambda folder: _ui().check_qt_plugins(folder)),
    Check("tesseract", check_tesseract),
    Check("OCR de una página", check_ocr),
    Check("acuse sellado con una e.firma de prueba", check_acuse),
    Check("ventana de la ventanilla", lambda folder: _ui().check_clerk_window(folder)),
    Check("ventana del quiosco", lambda folder: _ui().check_kiosk(folder)),
)


def main(data_dir: Path) -> int:
    _offscreen()
    return run_self_test(data_dir)
