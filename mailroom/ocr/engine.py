"""One tesseract run per page: the searchable PDF page and its text, together.

Tesseract is called as a program, never through pytesseract's image API: handed a PIL image,
pytesseract re-encodes it as PNG and drops its resolution, which doubles the time, inflates the PDF
fivefold and yields a 36×47 in page where small table text vanishes. Here tesseract reads the file
as stored and is always told the page's resolution.

Each call is one page; the caller runs pages in parallel. Tesseract's own OpenMP threads are
switched off (``OMP_THREAD_LIMIT=1``): measured, one page took 4.8 s with default threading and
0.54 s per page with one thread and two pages in parallel, because the threads fight over cores.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailroom.errors import OcrFailed, StorageError, ToolMissing
from mailroom.fsutil import new_folder

# Tests and unusual installs point this at another binary; a bare name is looked up on PATH.
TESSERACT_COMMAND = "tesseract"

# The range tesseract accepts for --dpi; outside it, it silently uses another value and the PDF
# page would come out at the wrong size.
# Below this, tesseract's orientation guess is a coin toss (its own docs suggest about 2).
MIN_ORIENTATION_CONFIDENCE = 2.0
MIN_DPI = 70
MAX_DPI = 2400

_PROBE_TIMEOUT = 30.0
OCR_NICENESS = 10
_STDERR_TAIL_CHARS = 600
_WINDOWS_INSTALL_DIR = Path("Tesseract-OCR") / "tesseract.exe"
_LANGUAGE_CODE = re.compile(r"^[A-Za-z0-9_]+$")
_TABLE_RULE = re.compile(r"^[|¦]+|[|¦]+$")


@dataclass(frozen=True)
class PageOcr:
    text: str
    """Tesseract's text for the page, laid out as its ``txt`` output; empty for a blank page."""
    confidence: float
    """Mean word confidence (0–100) over the words tesseract scored; 0.0 when there are none."""
    pdf: bytes
    """Tesseract's one-page searchable PDF: the image as given plus an invisible text layer."""
    seconds: float


@dataclass(frozen=True)
class _Installation:
    command: str
    version: str
    languages: frozenset[str]


def check_tesseract(languages: str = "spa") -> str:
    """Return tesseract's version, or raise :class:`ToolMissing` saying how to install what lacks.

    ``languages`` is tesseract's ``-l`` value (``spa``, ``spa+eng``). The probe runs once per
    process and binary; a missing language is probed again once, in case it was just installed.
    """
    installation = _installation()
    missing = _missing_languages(installation, languages)
    if missing:
        _probe.cache_clear()
        installation = _installation()
        missing = _missing_languages(installation, languages)
    if missing:
        raise ToolMissing(
            _missing_language_message(missing, installation),
            languages=languages,
            installed=", ".join(sorted(installation.languages)),
        )
    return installation.version


def ocr_page(
    image_path: Path, *, dpi: int, work_dir: Path, languages: str = "spa", timeout: float = 300
) -> PageOcr:
    """OCR one page image (JPEG, PNG, TIFF as stored) into its searchable PDF page and text.

    Tesseract writes its output into a folder this call makes inside ``work_dir`` and removes
    (the caller's folder under the data folder, :func:`mailroom.tmpfiles.process_folder`: the
    output is the citizen's page, so never the system temp folder).

    Raises :class:`OcrFailed` when tesseract cannot read the image, fails or times out (the child
    is killed), :class:`ToolMissing` when tesseract or a language is not installed, and
    :class:`StorageError` when ``work_dir`` cannot be written. A blank or illegible page is not a
    failure: it gives empty text and confidence 0.
    """
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, not {dpi}")
    check_tesseract(languages)
    image_path = Path(image_path)
    if not image_path.is_file():
        raise OcrFailed(f"No se encontró la imagen de la página: {image_path}.", path=image_path)
    started = time.monotonic()
    with _output_folder(work_dir) as output:
        output_base = output / "pagina"
        _run_tesseract(image_path, output_base, dpi=dpi, languages=languages, timeout=timeout)
        pdf = output_base.with_suffix(".pdf").read_bytes()
        tsv = output_base.with_suffix(".tsv").read_text("utf-8", errors="replace")
    text, confidence = read_tsv(tsv)
    return PageOcr(text=text, confidence=confidence, pdf=pdf, seconds=time.monotonic() - started)


def detect_rotation(image: Path | bytes, *, dpi: int, timeout: float = 60) -> int | None:
    """Degrees clockwise that make the page upright (0, 90, 180, 270), by tesseract's orientation
    detection; ``None`` when it cannot tell (too little text, or not confident).

    ``image`` is a file, or an encoded image (PNG) that tesseract reads from its standard input,
    so that a copy made only to be looked at never touches the disk."""
    try:
        check_tesseract("osd")
    except ToolMissing:  # without the osd pack pages are simply OCRed as they come
        return None
    piped = image if isinstance(image, bytes) else None
    arguments = [
        _installation().command,
        "stdin" if piped is not None else str(image),
        "-",
        "--psm",
        "0",
        "--dpi",
        str(dpi),
        "-l",
        "osd",
    ]
    try:
        completed = _run(arguments, timeout, stdin=piped)
    except (subprocess.TimeoutExpired, OSError):
        return None
    found = dict(
        re.findall(
            r"^([A-Za-z ]+):\s*([-\d.]+)\s*$",
            completed.stdout.decode("utf-8", "replace"),
            flags=re.MULTILINE,
        )
    )
    rotate, confidence = (
        found.get("Rotate"),
        _float_or_none(found.get("Orientation confidence", "")),
    )
    if rotate is None or confidence is None or confidence < MIN_ORIENTATION_CONFIDENCE:
        return None
    return int(rotate) % 360


def read_tsv(tsv: str) -> tuple[str, float]:
    """The page's text and mean word confidence from tesseract's TSV output.

    The text is laid out as tesseract's ``txt`` renderer does (words joined by spaces, lines by
    newlines, paragraphs by a blank line), minus the vertical rules of tables that tesseract
    reads as "|": they are not text, and they clutter what the clerk sees and searches. Those
    artefacts are left out of the confidence too. A page without words gives ("", 0.0).
    """
    paragraphs: dict[tuple[str, str], dict[str, list[str]]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t", 11)
        if len(fields) < 12 or fields[0] != "5":
            continue
        word = _TABLE_RULE.sub("", fields[11].strip())
        if not word:
            continue
        block, paragraph, line = fields[2], fields[3], fields[4]
        paragraphs.setdefault((block, paragraph), {}).setdefault(line, []).append(word)
        confidence = _float_or_none(fields[10])
        if confidence is not None and confidence >= 0:
            confidences.append(confidence)
    text = "\n\n".join(
        "\n".join(" ".join(words) for words in lines.values()) for lines in paragraphs.values()
    )
    return text, (sum(confidences) / len(confidences) if confidences else 0.0)


@contextlib.contextmanager
def _output_folder(work_dir: Path) -> Iterator[Path]:
    """A folder of this run's own inside ``work_dir``, removed with tesseract's output."""
    try:
        folder = new_folder(work_dir, "ocr-")
    except OSError as error:
        raise StorageError(
            f"No se pudo escribir en la carpeta de trabajo del OCR {work_dir}: "
            f"{error.strerror or error}. Revise el espacio libre en disco y los permisos de la "
            "carpeta de datos.",
            path=work_dir,
        ) from error
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_tesseract(
    image_path: Path, output_base: Path, *, dpi: int, languages: str, timeout: float
) -> None:
    command = _installation().command
    # One run, two renderers: the PDF page, and the words with their confidences (from which the
    # text is laid out exactly as the txt renderer would).
    options = ["--dpi", str(dpi), "-l", languages, "pdf", "tsv"]
    arguments = [command, str(image_path), str(output_base), *options]
    try:
        completed = _run(arguments, timeout)
    except subprocess.TimeoutExpired as exc:
        # subprocess.run has already killed and reaped the child here.
        raise OcrFailed(
            f"El OCR de la página tardó más de {timeout:g} s y se canceló. "
            f"{_stderr_tail(exc.stderr)}".strip(),
            path=image_path,
        ) from exc
    except FileNotFoundError as exc:
        _probe.cache_clear()
        raise ToolMissing(_not_installed_message(), command=command) from exc
    except OSError as exc:
        raise OcrFailed(f"No se pudo ejecutar tesseract: {exc}.", path=image_path) from exc
    # A corrupt image makes tesseract exit 1, leaving empty output files behind.
    if completed.returncode != 0 or not _non_empty(output_base.with_suffix(".pdf")):
        raise OcrFailed(
            "No se pudo hacer el OCR de la página: tesseract no pudo leer la imagen o falló "
            f"(código {completed.returncode}). {_stderr_tail(completed.stderr)}".strip(),
            path=image_path,
            returncode=completed.returncode,
        )
    if not output_base.with_suffix(".tsv").exists():
        raise OcrFailed("Tesseract terminó sin entregar el texto de la página.", path=image_path)


def _installation() -> _Installation:
    return _probe(_resolve_command())


def _resolve_command() -> str:
    if getattr(sys, "frozen", False) and sys.platform == "win32":
        # A Windows installer may carry tesseract (with its tessdata) beside the program:
        # installer/windows/README.md. That copy wins over whatever else the PC has.
        beside = Path(sys.executable).parent / "tesseract" / "tesseract.exe"
        if beside.is_file():
            return str(beside)
    found = shutil.which(TESSERACT_COMMAND)
    if found:
        return found
    if sys.platform == "win32" and TESSERACT_COMMAND == "tesseract":
        # The Windows installer does not add itself to PATH; look where it installs by default.
        for base in (
            os.environ.get("PROGRAMFILES"),
            os.environ.get("PROGRAMFILES(X86)"),
            os.environ.get("LOCALAPPDATA"),
        ):
            if base and (Path(base) / _WINDOWS_INSTALL_DIR).is_file():
                return str(Path(base) / _WINDOWS_INSTALL_DIR)
    raise ToolMissing(_not_installed_message(), command=TESSERACT_COMMAND)


@functools.lru_cache(maxsize=8)
def _probe(command: str) -> _Installation:
    version_output = _run_probe(command, "--version")
    first_line = version_output.strip().splitlines()[0] if version_output.strip() else ""
    version = first_line.split()[-1] if first_line.lower().startswith("tesseract") else first_line
    listing = _run_probe(command, "--list-langs").splitlines()
    # The first line is "List of available languages in ...:"; then one code per line.
    codes = (line.strip() for line in listing[1:])
    languages = frozenset(code for code in codes if _LANGUAGE_CODE.match(code))
    return _Installation(command=command, version=version, languages=languages)


def _run_probe(command: str, option: str) -> str:
    try:
        completed = subprocess.run(
            [command, option],
            env=_child_environment(),
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            creationflags=_no_window_flag(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissing(_not_installed_message(), command=command, cause=exc) from exc
    # Tesseract 3 wrote these listings to stderr, later versions to stdout.
    output = (completed.stdout.strip() or completed.stderr).decode("utf-8", errors="replace")
    if completed.returncode != 0 or not output.strip():
        raise ToolMissing(_not_installed_message(), command=command, output=output[-300:])
    return output


def _missing_languages(installation: _Installation, languages: str) -> list[str]:
    requested = [code for code in languages.split("+") if code]
    if not requested:
        raise ValueError("languages must name at least one tesseract language, e.g. 'spa'")
    return [code for code in requested if code not in installation.languages]


def _not_installed_message() -> str:
    return (
        "No se encontró tesseract, el programa que lee el texto de las páginas escaneadas (OCR). "
        "Instálelo: en Debian/Ubuntu con «sudo apt-get install tesseract-ocr tesseract-ocr-spa»; "
        "en Windows con el instalador de Tesseract (UB Mannheim) en "
        "«C:\\Program Files\\Tesseract-OCR», marcando el idioma español. Luego reinicie Oficialía."
    )


def _missing_language_message(missing: list[str], installation: _Installation) -> str:
    packages = " ".join(f"tesseract-ocr-{code.lower().replace('_', '-')}" for code in missing)
    installed = ", ".join(sorted(installation.languages)) or "ninguno"
    return (
        f"Tesseract {installation.version} no tiene el idioma «{'+'.join(missing)}» "
        f"(instalados: {installed}). Instálelo: en Debian/Ubuntu con "
        f"«sudo apt-get install {packages}»; en Windows vuelva a ejecutar el instalador de "
        "Tesseract y marque ese idioma."
    )


def _run(
    arguments: list[str], timeout: float, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """One tesseract child: one OpenMP thread, at a lower priority, killed at the timeout, no
    console window."""
    return subprocess.run(
        _niced(arguments),
        input=stdin,
        env=_child_environment(),
        capture_output=True,
        timeout=timeout,
        creationflags=_no_window_flag(),
        check=False,
    )


def _niced(arguments: list[str]) -> list[str]:
    """OCR is background work: on two cores, tesseract at the clerk's own priority kept the
    desktop app's window from being scheduled (GUI-thread pauses of 80-130 ms, measured). ``nice``
    execs the command in place, so the timeout still kills tesseract itself."""
    nice = shutil.which("nice") if os.name == "posix" else None
    return [nice, "-n", str(OCR_NICENESS), *arguments] if nice else arguments


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["OMP_THREAD_LIMIT"] = "1"
    return environment


def _no_window_flag() -> int:
    # Without it each tesseract run flashes a console window over the clerk's app on Windows.
    return getattr(subprocess, "CREATE_NO_WINDOW", 0)


def _non_empty(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _stderr_tail(stderr: bytes | str | None) -> str:
    if not stderr:
        return ""
    text = stderr.decode("utf-8", errors="replace") if isinstance(stderr, bytes) else stderr
    text = " ".join(text.split())
    if not text:
        return ""
    tail = text[-_STDERR_TAIL_CHARS:]
    return f"Detalle de tesseract: {'…' if len(text) > len(tail) else ''}{tail}"


def _float_or_none(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
