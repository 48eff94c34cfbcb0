"""Build Oficialía's Windows installer from PyInstaller's one-folder bundle with NSIS.

    python installer\\windows\\build_installer.py [--bundle dist\\oficialia] [--version 0.1.0]
                                                 [--output dist\\Oficialia-0.1.0-instalador.exe]
                                                 [--raiz-actualizaciones CANAL\\metadata\\root.json]
                                                 [--canal-actualizaciones https://…]

Runs on Windows (NSIS 3 installed) and on Debian (package ``nsis``), where CI compiles it around a
stand-in program. It lists the bundle's top-level files and folders into ``bundle-files.nsh``
(beside the output) so the installer copies exactly them and its uninstaller removes exactly
them: never ``RMDir /r $INSTDIR``, which would wipe whatever else an admin keeps in a folder
they chose. With the state's update channel (its trusted ``root.json`` and its address), the
installer also seeds the PC's signed updates: see ``actualizaciones.nsh``. See README.md beside
this file.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
SCRIPT = HERE / "oficialia.nsi"
# Where NSIS's own installer puts makensis when it is not on PATH.
WINDOWS_MAKENSIS = (
    Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)")) / "NSIS" / "makensis.exe",
    Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "NSIS" / "makensis.exe",
)
# PyInstaller >= 6 puts everything but the executables in _internal; older layouts at the top.
VERSION_FILES = (Path("_internal") / "resources" / "VERSION", Path("resources") / "VERSION")
GUI_EXE = "oficialiaw.exe"
# The address of a channel goes into a TOML string and an NSIS string, unescaped: no quotes,
# backslashes, backticks, spaces or non-ASCII (percent-encode those, as a URL should anyway).
CHANNEL_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~:/?#@!$&()*+,;=%\[\]-]*)?"
)
UPDATE_CONFIG = """\
# Oficialía: configuración de este equipo. El instalador escribió update_url, la dirección del
# canal de actualizaciones firmadas del estado, porque no había este archivo; no lo vuelve a
# cambiar. Los demás ajustes posibles están en el README de Oficialía.
update_url = "{url}"
"""


class BuildError(Exception):
    """A problem the person building can fix; the message says how (in Spanish)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Construye el instalador de Windows (NSIS).")
    parser.add_argument("--bundle", type=Path, default=REPOSITORY / "dist" / "oficialia")
    parser.add_argument("--version", help="por omisión, resources/VERSION del paquete")
    parser.add_argument("--output", type=Path, help="el .exe del instalador")
    parser.add_argument("--makensis", help="ruta de makensis (por omisión, la del PATH)")
    parser.add_argument(
        "--raiz-actualizaciones",
        type=Path,
        metavar="ROOT_JSON",
        help="raíz de confianza del canal del estado (CANAL/metadata/root.json): el instalador "
        "la deja en actualizaciones\\root.json de la carpeta de datos si no hay una",
    )
    parser.add_argument(
        "--canal-actualizaciones",
        metavar="URL",
        help="dirección del canal (update_url): el instalador la escribe en config.toml y crea "
        "la tarea que busca e instala actualizaciones cada noche; pide --raiz-actualizaciones",
    )
    args = parser.parse_args(argv)
    try:
        output = build(
            args.bundle,
            args.version,
            args.output,
            args.makensis,
            update_root=args.raiz_actualizaciones,
            update_url=args.canal_actualizaciones,
        )
    except BuildError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Instalador: {output}")
    return 0


def build(
    bundle: Path,
    version: str | None = None,
    output: Path | None = None,
    makensis: str | None = None,
    *,
    update_root: Path | None = None,
    update_url: str | None = None,
) -> Path:
    """Compile the installer and return its path; raise :class:`BuildError` on any failure.
    ``update_root`` and ``update_url``: the state's update channel, for the installer to seed
    (``update_url`` needs ``update_root``: a nightly task with no trusted root would only fail)."""
    bundle = bundle.resolve()
    if not (bundle / "oficialia.exe").is_file():
        raise BuildError(
            f"No está {bundle / 'oficialia.exe'}. Construya antes el paquete: "
            "pyinstaller installer/oficialia.spec"
        )
    if update_url is not None:
        update_url = check_channel_url(update_url)
        if update_root is None:
            raise BuildError(
                "Con --canal-actualizaciones hace falta también --raiz-actualizaciones (el "
                "root.json del canal, CANAL/metadata/root.json): sin él los equipos no pueden "
                "comprobar nada de lo que el canal les entregue."
            )
    if update_root is not None:
        update_root = update_root.resolve()
        check_trusted_root(update_root)
    version = version or bundle_version(bundle)
    output = (output or bundle.parent / f"Oficialia-{version}-instalador.exe").resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    listing = output.parent / "bundle-files.nsh"
    listing.write_text(bundle_listing(bundle), encoding="utf-8-sig")
    defines = {
        "VERSION": version,
        "VERSION_QUAD": version_quad(version),
        "BUNDLE_DIR": str(bundle),
        "BUNDLE_LIST": str(listing),
        "OUTFILE": str(output),
    }
    if (bundle / GUI_EXE).is_file():
        defines["GUI_EXE"] = GUI_EXE
    if update_root is not None:
        defines["UPDATE_ROOT_FILE"] = str(update_root)
    if update_url is not None:
        config = output.parent / "config-actualizaciones.toml"
        config.write_text(UPDATE_CONFIG.format(url=update_url), encoding="utf-8", newline="\n")
        defines["UPDATE_CONFIG_FILE"] = str(config)
        defines["UPDATE_URL"] = update_url.replace("$", "$$")  # "$" starts an NSIS variable
    command = [find_makensis(makensis), "-V2", "-INPUTCHARSET", "UTF8"]
    command += [f"-D{name}={value}" for name, value in defines.items()]
    completed = subprocess.run(
        [*command, str(SCRIPT)], capture_output=True, text=True, errors="replace", check=False
    )
    if completed.returncode != 0 or not output.is_file():
        raise BuildError(
            f"makensis falló (código {completed.returncode}):\n"
            f"{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
        )
    return output


def check_channel_url(url: str) -> str:
    """The channel's address as the installer writes it (without a trailing slash)."""
    url = url.strip().rstrip("/")
    if not CHANNEL_URL.fullmatch(url):
        raise BuildError(
            f"La dirección del canal {url!r} no es válida: debe empezar con https:// (o http://) "
            "y no llevar espacios, comillas, diagonales invertidas ni acentos (codifíquelos con "
            "%, como en cualquier URL)."
        )
    return url


def check_trusted_root(path: Path) -> int:
    """Check that ``path`` is a TUF root signed by its own root keys; return its version."""
    try:
        from tuf.api.exceptions import UnsignedMetadataError
        from tuf.api.metadata import Metadata, Root
        from tuf.api.serialization import DeserializationError
    except ImportError as error:
        raise BuildError(
            "Para revisar la raíz de confianza se necesita python-tuf: ejecute este programa "
            'con el Python de Oficialía (pip install -e ".[dev]").'
        ) from error
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BuildError(f"No se pudo leer {path}: {error.strerror or error}.") from error
    wrong = (
        f"{path} no es la raíz de confianza de un canal de actualizaciones: use el root.json "
        "que deja «canal iniciar» (o «rotar root») en CANAL/metadata/."
    )
    try:
        metadata = Metadata.from_bytes(data)
    except DeserializationError as error:
        raise BuildError(wrong) from error
    root = metadata.signed
    if not isinstance(root, Root):
        raise BuildError(wrong)
    try:
        metadata.verify_delegate(Root.type, metadata)
    except UnsignedMetadataError as error:
        raise BuildError(f"{wrong} (no trae las firmas de sus propias llaves root)") from error
    return root.version


def bundle_version(bundle: Path) -> str:
    """The version stamped in the bundle (resources/VERSION), else pyproject.toml's."""
    for relative in VERSION_FILES:
        if (bundle / relative).is_file():
            text = (bundle / relative).read_text(encoding="utf-8").strip()
            if text:
                return text
    with open(REPOSITORY / "pyproject.toml", "rb") as project:
        return str(tomllib.load(project)["project"]["version"])


def version_quad(version: str) -> str:
    """``1.2.3rc1`` → ``1.2.3.0``: Windows' file version is four numbers, each below 65536."""
    numbers = []
    for part in version.split(".")[:4]:
        digits = re.match(r"\d*", part)
        numbers.append(str(min(int(digits.group() or 0), 65535)) if digits else "0")
    numbers += ["0"] * (4 - len(numbers))
    return ".".join(numbers)


def bundle_listing(bundle: Path) -> str:
    """NSIS macros that install and uninstall each top-level entry of the bundle."""
    files, folders, uninstall = [], [], []
    for entry in sorted(bundle.iterdir(), key=lambda entry: entry.name.lower()):
        name = entry.name.replace("$", "$$")
        if entry.is_dir():
            folders += [
                f'  SetOutPath "$INSTDIR\\{name}"',
                f'  File /r "${{BUNDLE_DIR}}\\{name}\\*"',
            ]
            uninstall.append(f'  RMDir /r "$INSTDIR\\{name}"')
        else:
            files.append(f'  File "${{BUNDLE_DIR}}\\{name}"')
            uninstall.append(f'  Delete "$INSTDIR\\{name}"')
    return "\n".join(
        [
            "; Written by build_installer.py from the bundle's top level: do not edit.",
            "!macro INSTALL_BUNDLE",
            '  SetOutPath "$INSTDIR"',
            *files,
            *folders,
            '  SetOutPath "$INSTDIR"',
            "!macroend",
            "!macro UNINSTALL_BUNDLE",
            *uninstall,
            "!macroend",
            "",
        ]
    )


def find_makensis(given: str | None) -> str:
    if given:
        return given
    found = shutil.which("makensis")
    if found:
        return found
    if sys.platform == "win32":
        for candidate in WINDOWS_MAKENSIS:
            if candidate.is_file():
                return str(candidate)
    raise BuildError(
        "No se encontró makensis. En Windows instale NSIS 3 (nsis.sourceforge.io); "
        "en Debian/Ubuntu: sudo apt-get install nsis."
    )


if __name__ == "__main__":
    sys.exit(main())
