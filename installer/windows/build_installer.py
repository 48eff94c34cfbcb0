"""Build Oficialía's Windows installer from PyInstaller's one-folder bundle with NSIS.

    python installer\\windows\\build_installer.py [--bundle dist\\oficialia] [--version 0.1.0]
                                                 [--output dist\\Oficialia-0.1.0-instalador.exe]

Runs on Windows (NSIS 3 installed) and on Debian (package ``nsis``), where CI compiles it around a
stand-in program. It lists the bundle's top-level files and folders into ``bundle-files.nsh``
(beside the output) so the installer copies exactly them and its uninstaller removes exactly
them: never ``RMDir /r $INSTDIR``, which would wipe whatever else an admin keeps in a folder
they chose. See README.md beside this file.
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


class BuildError(Exception):
    """A problem the person building can fix; the message says how (in Spanish)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Construye el instalador de Windows (NSIS).")
    parser.add_argument("--bundle", type=Path, default=REPOSITORY / "dist" / "oficialia")
    parser.add_argument("--version", help="por omisión, resources/VERSION del paquete")
    parser.add_argument("--output", type=Path, help="el .exe del instalador")
    parser.add_argument("--makensis", help="ruta de makensis (por omisión, la del PATH)")
    args = parser.parse_args(argv)
    try:
        output = build(args.bundle, args.version, args.output, args.makensis)
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
) -> Path:
    """Compile the installer and return its path; raise :class:`BuildError` on any failure."""
    bundle = bundle.resolve()
    if not (bundle / "oficialia.exe").is_file():
        raise BuildError(
            f"No está {bundle / 'oficialia.exe'}. Construya antes el paquete: "
            "pyinstaller installer/oficialia.spec"
        )
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
