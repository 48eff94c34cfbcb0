"""The admin's settings, without Qt: what is in effect now, and saving a few choices into the data
folder's ``config.toml`` (the file that wins over the machine-wide and user files).

Saving checks first and writes after: the choices go through :func:`mailroom.config.load_settings`
itself (so exactly what would refuse to start is refused here, with the same Spanish message), plus
what that function cannot know: an empty office name, a server address that is not http(s), OCR
languages tesseract does not have on this machine. Only keys whose value changes are written; the
file keeps every other key, and its comments, as they were (lines are edited in place and the
result is read back; if the file was written in a way line editing cannot follow, it is written
anew from its values). The write is atomic: a failure leaves the old file.

Saving is an administrator's (``Action.AJUSTES``), checked on the store before the file is touched.

Changing the device code is allowed but warned about: folio sequences are per device and year, so
a device that already registered filings this year starts another numbering under the new code.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import sqlite_utils

from mailroom import config
from mailroom.config import CONFIG_FILE, ENV_PREFIX, SETTING_NAMES, Settings, load_settings
from mailroom.errors import ConfigError, ToolMissing
from mailroom.libro import write_atomically
from mailroom.ocr import engine
from mailroom.permissions import Action, authorize
from mailroom.store.database import connect

EDITABLE = (
    "office",
    "office_name",
    "device",
    "folio_pattern",
    "backend_url",
    "scanner",
    "ocr_languages",
)
NOT_LANGUAGES = frozenset({"osd"})  # tesseract's orientation data, not a language to read
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


@dataclass(frozen=True)
class AdminChoices:
    """The settings the admin screen edits, as text."""

    office: str
    office_name: str
    device: str
    folio_pattern: str
    backend_url: str
    scanner: str
    ocr_languages: str

    @classmethod
    def of(cls, settings: Settings) -> AdminChoices:
        return cls(**{name: str(getattr(settings, name)) for name in EDITABLE})

    def stripped(self) -> AdminChoices:
        return AdminChoices(**{name: getattr(self, name).strip() for name in EDITABLE})


@dataclass(frozen=True)
class CurrentSettings:
    settings: Settings
    choices: AdminChoices
    config_path: Path  # where the choices are saved
    from_environment: tuple[str, ...]  # editable settings an OFICIALIA_* variable fixes
    ocr_languages_installed: tuple[str, ...]  # empty when tesseract is missing
    tesseract_problem: str  # why there is no list (tesseract missing), or ""


@dataclass(frozen=True)
class SettingsPlan:
    settings: Settings  # what the app will load once the choices are saved
    changed: tuple[str, ...]  # the keys to write
    warnings: tuple[str, ...]  # Spanish; saving goes ahead anyway


def config_path(data_dir: Path) -> Path:
    return Path(data_dir) / CONFIG_FILE


def read_current(data_dir: Path) -> CurrentSettings:
    """The settings in effect and what the screen needs to edit them (runs tesseract once)."""
    settings = load_settings(data_dir)
    try:
        languages, problem = installed_ocr_languages(), ""
    except ToolMissing as error:
        languages, problem = (), error.message
    return CurrentSettings(
        settings=settings,
        choices=AdminChoices.of(settings),
        config_path=config_path(settings.data_dir),
        from_environment=tuple(n for n in EDITABLE if ENV_PREFIX + n.upper() in os.environ),
        ocr_languages_installed=languages,
        tesseract_problem=problem,
    )


def installed_ocr_languages() -> tuple[str, ...]:
    """The languages tesseract can read on this machine (``tesseract --list-langs``)."""
    # mailroom.ocr probes tesseract once per process (and finds it on Windows too); there is no
    # public accessor for the list yet, so this reads the probe the engine itself uses.
    installation = engine._installation()
    return tuple(sorted(installation.languages - NOT_LANGUAGES))


def check(
    current: Settings, choices: AdminChoices, installed: tuple[str, ...] | None = None
) -> None:
    """The checks that need no file, database or program, for the screen to run as the admin
    types: ``load_settings``'s own validation and :func:`plan`'s extra ones. ``installed``: the
    OCR languages tesseract has (``None``: unknown, not checked). Raises ``ConfigError`` with the
    setting's name in ``details["setting"]``."""
    choices = choices.stripped()
    # The very checks load_settings runs on every start (config has no public name for them).
    config._validate(dataclasses.replace(current, **dataclasses.asdict(choices)))
    _check_extra(choices, installed)


def plan(
    data_dir: Path,
    choices: AdminChoices,
    *,
    db: sqlite_utils.Database | None = None,
    today: date | None = None,
) -> SettingsPlan:
    """Check the choices as the app would at start-up; raises ``ConfigError`` (Spanish) for one
    it would refuse, returns what saving would change and anything worth a warning. ``db``: the
    store's reader, to warn about a device code change (opened here when not given)."""
    choices = choices.stripped()
    current = load_settings(data_dir)
    changed = tuple(n for n in EDITABLE if getattr(choices, n) != str(getattr(current, n)))
    try:
        installed: tuple[str, ...] | None = installed_ocr_languages()
    except ToolMissing:
        installed = None  # no tesseract here: the OCR will say so; the choice may be for later
    _check_extra(choices, installed)
    proposed = load_settings(data_dir, **{n: getattr(choices, n) for n in changed})
    warnings = [
        f"La variable de entorno {ENV_PREFIX}{name.upper()} fija el ajuste {name}: lo que se "
        "guarde en el archivo no se usará mientras exista."
        for name in changed
        if ENV_PREFIX + name.upper() in os.environ
    ]
    if "device" in changed:
        day = today or datetime.now(current.zone).date()
        warnings.extend(_device_warnings(db, current, proposed, day))
    return SettingsPlan(proposed, changed, tuple(warnings))


def save(
    data_dir: Path,
    choices: AdminChoices,
    *,
    db: sqlite_utils.Database | None = None,
    today: date | None = None,
    acting: Settings | None = None,
) -> SettingsPlan:
    """Check, then write the changed keys into the data folder's config file atomically; returns
    the plan with the settings as loaded again from the files. Only an administrator may
    (``Action.AJUSTES``): ``acting`` carries who is acting (its seat); without it nobody is, which
    is allowed only while the store has no account."""
    _authorize(data_dir, db, acting)
    checked = plan(data_dir, choices, db=db, today=today)
    path = config_path(checked.settings.data_dir)
    if checked.changed:
        values = {n: getattr(choices.stripped(), n) for n in checked.changed}
        _write(path, values)
    return dataclasses.replace(checked, settings=load_settings(data_dir))


def _authorize(data_dir: Path, db: sqlite_utils.Database | None, acting: Settings | None) -> None:
    """The check before anything is read or written. The file is not the store, so the check is
    made on the store's reader (opened here when not given; no database yet, no account)."""
    who = acting if acting is not None else load_settings(data_dir)
    if db is not None:
        authorize(db, who, Action.AJUSTES)
        return
    if not who.database_path.exists():
        return  # a fresh install: no store, so no account, and anyone may set it up
    opened = connect(who.database_path)
    try:
        authorize(opened, who, Action.AJUSTES)
    finally:
        opened.conn.close()


def _check_extra(choices: AdminChoices, installed: tuple[str, ...] | None) -> None:
    if not choices.office_name:
        raise ConfigError("El nombre de la oficina no puede quedar vacío.", setting="office_name")
    url = urlparse(choices.backend_url)
    if choices.backend_url and (url.scheme not in ("http", "https") or not url.hostname):
        raise ConfigError(
            f"La dirección del servidor {choices.backend_url!r} no es válida: debe empezar con "
            "https:// (o http://) y llevar el nombre del servidor; déjela vacía para usar la "
            "que se guardó al dar de alta el equipo.",
            setting="backend_url",
        )
    codes = [code for code in choices.ocr_languages.split("+") if code]
    if not codes:
        raise ConfigError("Elija al menos un idioma para el OCR.", setting="ocr_languages")
    missing = [code for code in codes if installed is not None and code not in installed]
    if missing:
        raise ConfigError(
            f"Tesseract no tiene en este equipo el idioma {', '.join(missing)} "
            f"(instalados: {', '.join(installed or ()) or 'ninguno'}).",
            setting="ocr_languages",
        )


def _device_warnings(
    db: sqlite_utils.Database | None, current: Settings, proposed: Settings, today: date
) -> list[str]:
    if db is None:
        if not current.database_path.exists():
            return []  # nothing registered on this machine yet
        opened = connect(current.database_path)
        try:
            return _device_warnings(opened, current, proposed, today)
        finally:
            opened.conn.close()
    registered = _filings_of(db, current.device, today.year)
    if not registered:
        return []
    next_seq = _filings_of(db, proposed.device, today.year, last=True) + 1
    next_folio = proposed.folio_pattern.format(
        office=proposed.office, year=today.year, device=proposed.device, seq=next_seq
    )
    return [
        f"Este equipo ya registró {registered} escrito(s) en {today.year} con la clave "
        f"{current.device}. Los folios se numeran por equipo: con la clave {proposed.device} el "
        f"siguiente será {next_folio}. Use una clave que ningún otro equipo de la oficina use."
    ]


def _filings_of(db: sqlite_utils.Database, device: str, year: int, *, last: bool = False) -> int:
    aggregate = "coalesce(max(seq), 0)" if last else "count(*)"
    sql = f"SELECT {aggregate} FROM filings WHERE device = ? AND year = ?"
    return int(db.execute(sql, [device, year]).fetchone()[0])


def _write(path: Path, changes: dict[str, str]) -> None:
    try:
        text = path.read_text("utf-8")
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        text, mode = "", 0o644
    except OSError as error:
        raise ConfigError(
            f"No se pudo leer {path}: {error.strerror or error}.", path=path
        ) from error
    expected = {**tomllib.loads(text), **changes}
    edited = edit_toml(text, changes)
    if _parsed(edited) != expected:  # e.g. a value written over several lines
        edited = render_toml(expected)
    data = edited.encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, write, mode=mode)


def _parsed(text: str) -> dict[str, object] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def edit_toml(text: str, changes: dict[str, str]) -> str:
    """``text`` with each changed key's line replaced (or added at the end)."""
    pending = dict(changes)
    lines = []
    for line in text.splitlines(keepends=True):
        match = _KEY_LINE.match(line)
        if match and match.group(1) in pending:
            key = match.group(1)
            line = f"{key} = {toml_value(pending.pop(key))}\n"
        lines.append(line)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.extend(f"{key} = {toml_value(value)}\n" for key, value in pending.items())
    return "".join(lines)


def render_toml(values: dict[str, object]) -> str:
    ordered = sorted(values, key=lambda k: SETTING_NAMES.index(k) if k in SETTING_NAMES else 999)
    header = "# Configuración de Oficialía en esta carpeta de datos (vea el README).\n"
    return header + "".join(f"{key} = {toml_value(values[key])}\n" for key in ordered)


def toml_value(value: object) -> str:
    """A TOML scalar: booleans and integers as such, anything else as a basic string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = []
    for char in str(value):
        if char in _ESCAPES:
            escaped.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
