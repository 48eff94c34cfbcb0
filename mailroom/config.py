"""Settings, layered: built-in defaults < machine-wide file < user file < data-dir file <
environment.

Nothing is read at import time; call :func:`load_settings`. Every setting is documented in the
README (a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from mailroom.errors import ConfigError
from mailroom.permissions import Seat

APP_NAME = "oficialia"
CONFIG_FILE = "config.toml"
ENV_HOME = "OFICIALIA_HOME"
ENV_PREFIX = "OFICIALIA_"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    office: str = "OPM"
    office_name: str = "Oficialía de Partes Municipal"
    device: str = "C01"
    folio_pattern: str = "{office}-{year}-{device}-{seq:06d}"
    timezone: str = "America/Mexico_City"
    clerk: str = ""
    ocr_languages: str = "spa"
    ocr_workers: int = 0
    default_dpi: int = 300
    max_pdf_pages: int = 2000
    max_image_megapixels: int = 120
    max_file_megabytes: int = 512
    scanner: str = ""  # default page source for the desktop's "Digitalizar": sane:…, folder:…
    acuse_verification_url: str = "https://verifica.example.gob.mx/acuse"
    ocsp_url: str = "https://cfdi.sat.gob.mx/edofiel"
    tsa_url: str = ""
    trust_extra_dir: str = ""
    trust_test_roots: str = ""
    network_timeout_seconds: int = 10
    backend_url: str = ""
    sync_ca_bundle: str = ""
    sync_connect_timeout_seconds: int = 5
    sync_read_timeout_seconds: int = 30
    sync_interval_seconds: int = 60
    sync_offline_interval_seconds: int = 300
    sync_workers: int = 3
    watch_interval_seconds: int = 5
    efirma_idle_minutes: int = 15
    session_idle_minutes: int = 10
    supervisors: str = ""
    demo_mode: bool = False
    kiosk_printer: str = ""  # the kiosk's receipt printer: tcp:HOST[:PORT], usb:VID:PID, serial:DEV
    kiosk_system_printer: str = ""  # a system (CUPS/Windows) printer for the full acuse PDF
    kiosk_camera: str = ""  # document camera: empty = the first one, "no" = none
    kiosk_idle_seconds: int = 90
    kiosk_warning_seconds: int = 30
    kiosk_done_seconds: int = 20
    kiosk_max_pages: int = 30
    kiosk_efirma_closing_hour: str = "20:00"
    kiosk_admin_idle_seconds: int = 60
    update_url: str = ""  # the state's TUF update channel (Windows installs)
    update_root: str = ""  # its trusted root.json; empty: DATA/actualizaciones/root.json
    retention_years: int = 5  # how long documents are kept after reception (mailroom.retention)
    retention_by_procedure: str = ""  # per procedure type: "tipo=años; tipo=años"
    seat: Seat = field(default_factory=lambda: Seat(), compare=False, repr=False)
    """Who is acting (not a setting: the app fills it at sign-in; see mailroom.permissions)."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "oficialia.sqlite3"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_ocr_workers(self) -> int:
        return self.ocr_workers if self.ocr_workers > 0 else max(1, os.cpu_count() or 1)

    @property
    def supervisor_names(self) -> frozenset[str]:
        """The login names in ``supervisors`` (comma-separated, spaces ignored): obsolete, each
        becomes a supervisor account at the next start (``Accounts.adopt_supervisors``)."""
        return frozenset(name.strip() for name in self.supervisors.split(",") if name.strip())


SETTING_NAMES = tuple(
    f.name for f in dataclasses.fields(Settings) if f.name not in ("data_dir", "seat")
)


def default_data_dir() -> Path:
    """A packaged build's is the machine's one folder (:func:`machine_data_dir`): a counter PC
    is shared by a shift of clerks and a kiosk runs as a service account, all on the same
    filings. A run from source keeps a per-user folder."""
    from mailroom.resources import frozen

    if frozen():
        return machine_data_dir()
    return user_data_dir()


def user_data_dir(name: str = APP_NAME) -> Path:
    """This user's own folder (a run from source; the demos, also in a packaged build)."""
    return Path(platformdirs.user_data_dir(name, appauthor=False))


def machine_data_dir(platform: str = sys.platform) -> Path:
    """The per-machine data folder an installer makes: ``/var/lib/oficialia`` (group
    ``oficialia``) on Linux, ``%ProgramData%\\Oficialia`` on Windows."""
    if platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "Oficialia")
    return Path("/var/lib") / APP_NAME


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--data-dir`` wins, then ``OFICIALIA_HOME``, then :func:`default_data_dir`."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser().resolve()
    return default_data_dir()


def config_files(data_dir: Path) -> list[Path]:
    """The files read, lowest precedence first."""
    return [
        Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE,
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE,
        data_dir / CONFIG_FILE,
    ]


def load_settings(data_dir: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
    resolved = resolve_data_dir(data_dir)
    values: dict[str, object] = {}
    for path in config_files(resolved):
        values.update(_read_file(path))
    for name in SETTING_NAMES:
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _build(resolved, values)


def _read_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            # Imported only once a file is open: most machines have no config file at all, and
            # the desktop app's window waits for the settings before its first paint.
            import tomllib

            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(
                    f"No se pudo leer la configuración {path}: {error}", path=path
                ) from error
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"No se pudo leer la configuración {path}: {error}", path=path) from error
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise ConfigError(
            f"La configuración {path} tiene claves desconocidas: {', '.join(unknown)}. "
            f"Claves válidas: {', '.join(SETTING_NAMES)}.",
            path=path,
        )
    return data


def _build(data_dir: Path, values: dict[str, object]) -> Settings:
    kwargs: dict[str, object] = {}
    types = {f.name: f.type for f in dataclasses.fields(Settings)}
    for name, raw in values.items():
        kind = types[name]
        if kind in ("bool", bool):
            kwargs[name] = _flag(name, raw)
            continue
        try:
            kwargs[name] = int(raw) if kind in ("int", int) else str(raw)  # type: ignore[call-overload]
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"El ajuste {name} debe ser un número entero (se leyó {raw!r}).", setting=name
            ) from error
    if not kwargs.get("clerk"):
        kwargs["clerk"] = _login_name()
    settings = Settings(data_dir=data_dir, **kwargs)  # type: ignore[arg-type]
    _validate(settings)
    return settings


def _flag(name: str, raw: object) -> bool:
    """A yes/no setting: TOML's true/false, or 1/0, true/false, sí/no from the environment."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "sí", "si", "yes"):
        return True
    if text in ("0", "false", "no", ""):
        return False
    raise ConfigError(f"El ajuste {name} debe ser true o false (se leyó {raw!r}).", setting=name)


def _validate(settings: Settings) -> None:
    try:
        settings.zone  # noqa: B018 - constructing the zone is the check
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"Zona horaria desconocida: {settings.timezone!r} "
            "(use un nombre como America/Mexico_City).",
            setting="timezone",
        ) from error
    for name in ("office", "device"):
        value = getattr(settings, name)
        if not value or not value.replace("_", "").isalnum():
            raise ConfigError(
                f"El ajuste {name} debe ser alfanumérico y no vacío (se leyó {value!r}).",
                setting=name,
            )
    try:
        settings.folio_pattern.format(office="X", year=2026, device="Y", seq=1)
    except (KeyError, ValueError, IndexError) as error:
        raise ConfigError(
            f"El patrón de folio {settings.folio_pattern!r} no es válido; use los campos "
            "{office}, {year}, {device} y {seq}.",
            setting="folio_pattern",
        ) from error
    if any(not name.isprintable() or " " in name for name in settings.supervisor_names):
        raise ConfigError(
            f"El ajuste supervisors lleva usuarios separados por comas, sin espacios dentro de "
            f"un nombre (se leyó {settings.supervisors!r}).",
            setting="supervisors",
        )
    _validate_kiosk(settings)
    _validate_retention(settings)
    if "{seq" not in settings.folio_pattern:
        raise ConfigError("El patrón de folio debe incluir {seq}.", setting="folio_pattern")
    scheme, separator, rest = settings.scanner.partition(":")
    if settings.scanner and not (separator and (scheme == "sane" or (scheme == "folder" and rest))):
        raise ConfigError(
            f"El ajuste scanner {settings.scanner!r} no es válido: use sane:DISPOSITIVO "
            "(p. ej. sane:test:0) o folder:CARPETA; vacío usa el primer escáner que se encuentre.",
            setting="scanner",
        )
    for name in (
        "default_dpi",
        "max_pdf_pages",
        "max_image_megapixels",
        "max_file_megabytes",
        "sync_connect_timeout_seconds",
        "sync_read_timeout_seconds",
        "sync_interval_seconds",
        "sync_offline_interval_seconds",
        "sync_workers",
        "watch_interval_seconds",
        "efirma_idle_minutes",
        "session_idle_minutes",
        "kiosk_idle_seconds",
        "kiosk_warning_seconds",
        "kiosk_done_seconds",
        "kiosk_max_pages",
        "kiosk_admin_idle_seconds",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"El ajuste {name} debe ser mayor que cero.", setting=name)


def _validate_kiosk(settings: Settings) -> None:
    hour, _, minute = settings.kiosk_efirma_closing_hour.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ConfigError(
            f"El ajuste kiosk_efirma_closing_hour lleva una hora HH:MM, p. ej. 20:00 (se leyó "
            f"{settings.kiosk_efirma_closing_hour!r}).",
            setting="kiosk_efirma_closing_hour",
        )
    scheme = settings.kiosk_printer.partition(":")[0]
    if settings.kiosk_printer and scheme not in ("tcp", "usb", "serial"):
        raise ConfigError(
            f"El ajuste kiosk_printer {settings.kiosk_printer!r} no es válido: use "
            "tcp:DIRECCIÓN[:PUERTO], usb:VID:PID o serial:DISPOSITIVO; vacío, sin impresora.",
            setting="kiosk_printer",
        )


def parse_retention_by_procedure(text: str) -> dict[str, int]:
    """``"licencias=10; quejas=3"`` as ``{"licencias": 10, "quejas": 3}`` (types casefolded)."""
    periods: dict[str, int] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        kind, equals, years = item.partition("=")
        key = " ".join(kind.split()).casefold()
        if not equals or not key or not years.strip().isdigit() or int(years) <= 0:
            raise ConfigError(
                f"El ajuste retention_by_procedure lleva «tipo=años» separados por punto y coma, "
                f"con años enteros mayores que cero, p. ej. «licencias=10; quejas=3» (no se "
                f"entendió {item.strip()!r}).",
                setting="retention_by_procedure",
            )
        if key in periods:
            raise ConfigError(
                f"El ajuste retention_by_procedure repite el tipo de trámite {kind.strip()!r}.",
                setting="retention_by_procedure",
            )
        periods[key] = int(years)
    return periods


def _validate_retention(settings: Settings) -> None:
    if settings.retention_years <= 0:
        raise ConfigError(
            "El ajuste retention_years (años que se conservan los documentos) debe ser mayor "
            "que cero.",
            setting="retention_years",
        )
    parse_retention_by_procedure(settings.retention_by_procedure)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "oficialia"
