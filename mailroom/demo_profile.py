"""The demo profile behind ``make run``: its own data folder, a DEMO e.firma, the sample filings,
and the reference backend on 127.0.0.1 for as long as the app runs.

    profile = prepare_demo_profile()              # idempotent; keeps registered filings
    with DemoBackend(profile) as backend:         # or backend.start(store) / backend.stop()
        settings = backend.settings               # backend_url and ocsp_url of this run

Qt-free; the app runs both through its task helper (they write files and wait for a process).

* The folder is the demo's alone: one holding an office's database, or a ``config.toml`` without
  ``demo_mode``, is refused. Its ``config.toml`` sets office ``DEMO``, ``demo_mode`` (the DEMO
  mark on every acuse page) and ``trust_test_roots`` = the demo authorities, trusted nowhere else.
* Two accounts, made once (``DEMO_ACCOUNTS``: an administrador and an oficial with passwords the
  sign-in screen shows), so that ``make run`` opens on a sign-in anyone can pass.
* The e.firma comes from ``signing.demo_pki``. ``ocsp_url`` is empty in the file (revocation is
  not checked); while :class:`DemoBackend` runs, a local responder for the demo authority gives
  the unlock and every seal a real, verified "vigente" answer, offline.
* The backend is a child process: ``oficialia serve-backend`` through this module's ``__main__``,
  which also ends it when its standard input reaches end-of-file. Only the parent holds the write
  end, so however the app ends (closed, crashed, SIGKILLed) the backend follows: no orphan.
  ``PR_SET_PDEATHSIG`` would fire when the *thread* that started the child ends, and the app
  starts it from a pool thread that the pool retires after 30 idle seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from mailroom.config import CONFIG_FILE, ENV_PREFIX, Settings, load_settings
from mailroom.errors import InvalidInput, OficialiaError
from mailroom.permissions import Actor, Seat
from mailroom.store import Store
from signing.demo_pki import DemoOcspResponder, DemoPki, create_demo_pki

DEMO_APP_NAME = "oficialia-demo"
EFIRMA_FOLDER = "demo-efirma"

BACKEND_FOLDER = "servidor-demo"
BACKEND_LOG = "servidor-demo.log"
PORT_FILE = "puerto"
DEMO_OFFICE = "DEMO"
DEMO_OFFICE_NAME = "Oficialía de Partes — DEMOSTRACIÓN"
DEMO_DEVICE = "C01"
CONFIG_DEFAULTS: dict[str, object] = {  # written when missing; the user may change them
    "office": DEMO_OFFICE,
    "office_name": DEMO_OFFICE_NAME,
    "device": DEMO_DEVICE,
    "ocr_languages": "spa",
    "tsa_url": "",
}
SERVER_MISSING = (
    "La demostración funciona sin conexión: faltan fastapi y uvicorn para el servidor de "
    "sincronización de prueba (instale el extra con pip install -e '.[server]'). Los escritos "
    "quedan pendientes de sincronizar."
)


@dataclass(frozen=True)
class DemoAccount:
    user_name: str
    full_name: str
    role: str
    password: str  # shown on the demo's sign-in screen: this is a demonstration

    @property
    def actor(self) -> Actor:
        """The account as the one acting (tests and benches that start the app signed in)."""
        return Actor(self.user_name, self.full_name, "cuenta", role=self.role)  # type: ignore[arg-type]


DEMO_ACCOUNTS = (
    DemoAccount("admin.demo", "Rosa Méndez Luna", "administrador", "tinta verde sobre papel"),
    DemoAccount("oficial.demo", "Javier Ortiz Paredes", "oficial", "sello de goma azul"),
)
"""Made when the demo's store has no account; the first is its administrator."""


class DemoProfileError(OficialiaError):
    code = "demostracion"


@dataclass(frozen=True)
class DemoProfile:
    data_dir: Path
    settings: Settings  # as config.toml says; DemoBackend.settings adds this run's URLs
    efirma: DemoPki
    samples_dir: Path
    sample_files: tuple[Path, ...]  # the sample filings to import (PDF, JPEG, PNG, TIFF)
    server_available: bool  # the [server] extra is installed
    notes: tuple[str, ...] = ()  # Spanish, for the user (e.g. the demo runs offline)

    @property
    def efirma_cer(self) -> Path:
        return self.efirma.office_cer

    @property
    def efirma_key(self) -> Path:
        return self.efirma.office_key

    @property
    def efirma_password(self) -> str:
        return self.efirma.password


def default_demo_dir() -> Path:
    """The demo's data folder: beside the office's, never inside it."""
    return Path(platformdirs.user_data_dir(DEMO_APP_NAME, appauthor=False))


def prepare_demo_profile(data_dir: Path | None = None) -> DemoProfile:
    """Create (or reuse) the demo's folder, configuration, e.firma and samples."""
    folder = Path(data_dir or default_demo_dir()).expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pki = create_demo_pki(folder / EFIRMA_FOLDER)
        _write_config(folder, pki)
        samples_dir, sample_files = _samples(folder)
    except OSError as error:
        raise DemoProfileError(
            f"No se pudo preparar la demostración en {folder} ({error.strerror or error}). "
            "Revise que esa carpeta se pueda escribir o elija otra con --data-dir.",
            path=folder,
        ) from error
    _create_demo_accounts(folder)
    server = server_extra_installed()
    return DemoProfile(
        data_dir=folder,
        settings=load_settings(folder),
        efirma=pki,
        samples_dir=samples_dir,
        sample_files=sample_files,
        server_available=server,
        notes=() if server else (SERVER_MISSING,),
    )


def _create_demo_accounts(folder: Path) -> None:
    from mailroom.accounts import Accounts

    # A seat of its own: the settings handed back in the profile start with nobody in theirs.
    settings = dataclasses.replace(load_settings(folder), seat=Seat())
    with Store(folder) as store:
        accounts = Accounts(store, settings)
        if accounts.has_accounts():
            return
        try:
            for demo in DEMO_ACCOUNTS:
                account = accounts.create(
                    demo.user_name,
                    full_name=demo.full_name,
                    role=demo.role,
                    password=demo.password,
                )
                if settings.seat.actor is None:  # the administrator makes the next one
                    settings.seat.sit(accounts.actor(account))
        except InvalidInput:
            pass  # made meanwhile by the other app starting on this folder (the kiosk's demo)


def server_extra_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("fastapi", "uvicorn"))


def _write_config(folder: Path, pki: DemoPki) -> None:
    path = folder / CONFIG_FILE
    try:
        current: dict[str, object] | None = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        current = None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DemoProfileError(
            f"La configuración de la demostración {path} está dañada ({error}); bórrela y se "
            "volverá a crear.",
            path=path,
        ) from error
    if current is None and (folder / "oficialia.sqlite3").exists():
        raise DemoProfileError(
            f"La carpeta {folder} ya tiene la base de datos de una oficina. La demostración "
            "usa una carpeta propia: elija otra (--data-dir) o quite esa carpeta.",
            path=folder,
        )
    current = current or {}
    if current and current.get("demo_mode") is not True:
        raise DemoProfileError(
            f"La configuración {path} no es de demostración (no tiene demo_mode = true); no se "
            "convierte una oficina en demostración. Use otra carpeta (--data-dir).",
            path=path,
        )
    # SAT's OCSP knows nothing of the demo authority: DemoBackend sets this run's own responder.
    enforced = {"demo_mode": True, "trust_test_roots": str(pki.trust_dir), "ocsp_url": ""}
    wanted = {**CONFIG_DEFAULTS, **current, **enforced}
    if wanted != current:
        text = "".join(f"{key} = {_toml(value)}\n" for key, value in wanted.items())
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # two apps starting at once
        temporary.write_text("# Perfil de demostración de Oficialía (make run)\n" + text, "utf-8")
        os.replace(temporary, path)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def _samples(folder: Path) -> tuple[Path, tuple[Path, ...]]:
    """The sample filings (:func:`mailroom.samples.samples_dir`: the demo folder's own copy,
    except in a source checkout)."""
    from mailroom.samples import generate_samples, samples_dir

    out = samples_dir(folder)
    samples = generate_samples(out)
    # The single page images of the 10-page letter are there for the OCR benchmark; the demo
    # offers the letter once, as its PDF.
    return out, tuple(out / s.filename for s in samples if "/" not in s.filename)


class DemoBackendFailed(DemoProfileError):
    code = "servidor_de_demostracion"
    retryable = True


class DemoBackend:
    """The demo's services for one run: the reference backend (a child process, this device
    enrolled once) and the demo authority's OCSP responder (a thread). ``start`` blocks until the
    backend answers ``/v1/ping`` (run it off the GUI thread) and returns :attr:`settings`.

    While running, ``OFICIALIA_BACKEND_URL`` and ``OFICIALIA_OCSP_URL`` name this run's services,
    so ``load_settings`` on the demo folder finds them too; ``stop`` puts the old values back.
    Without the [server] extra only the responder runs and :attr:`message` says so.
    """

    def __init__(
        self, profile: DemoProfile, *, startup_timeout: float = 30.0, stop_timeout: float = 5.0
    ) -> None:
        self.profile = profile
        self.backend_dir = profile.data_dir / BACKEND_FOLDER
        self.log_path = profile.data_dir / BACKEND_LOG
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._ocsp: DemoOcspResponder | None = None
        self._saved_environment: dict[str, str | None] = {}
        self.url: str | None = None
        self.message = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def settings(self) -> Settings:
        """The profile's settings with this run's backend and OCSP URLs."""
        return dataclasses.replace(
            self.profile.settings,
            backend_url=self.url or self.profile.settings.backend_url,
            ocsp_url=self._ocsp.url if self._ocsp is not None else self.profile.settings.ocsp_url,
        )

    def start(self, store: Store | None = None) -> Settings:
        """Start both services and enrol the device (``store``: the app's, if it has one open)."""
        if self._ocsp is not None:
            return self.settings  # already running
        try:
            self._ocsp = DemoOcspResponder(self.profile.efirma)
            self._ocsp.start()
            if not self.profile.server_available:
                self.message = SERVER_MISSING
            else:
                self.url = self._launch()
                self._enrol(store)
                self.message = f"Servidor de sincronización de demostración en {self.url}."
        except BaseException:
            self.stop()
            raise
        self._export(ENV_PREFIX + "OCSP_URL", self._ocsp.url)
        if self.url:
            self._export(ENV_PREFIX + "BACKEND_URL", self.url)
        return self.settings

    def stop(self) -> None:
        """End the backend (end of input, SIGTERM, then SIGKILL after ``stop_timeout``)."""
        process, self._process = self._process, None
        if process is not None:
            _terminate(process, self._stop_timeout)
        if self._ocsp is not None:
            self._ocsp.stop()
            self._ocsp = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}
        self.url = None

    def __enter__(self) -> DemoBackend:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _export(self, name: str, value: str) -> None:
        self._saved_environment.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def _launch(self) -> str:
        """Spawn the backend and wait for its ping; a port taken meanwhile is retried once."""
        port_file = self.backend_dir / PORT_FILE
        self.backend_dir.mkdir(parents=True, exist_ok=True)
        # The same port as last time keeps the URL saved at enrolment right.
        remembered = _read_port(port_file)
        remembered = _bindable(remembered) if remembered else None
        for port in [p for p in (remembered, _bindable(), _bindable()) if p][:2]:
            url = f"http://127.0.0.1:{port}"
            self._process = self._spawn(port)
            if self._await_ping(url):
                port_file.write_text(f"{port}\n", encoding="utf-8")
                return url
            self._process = None
        raise DemoBackendFailed(
            "El servidor de sincronización de demostración se cerró al arrancar. Vea el registro "
            f"{self.log_path}.",
            log=self.log_path,
        )

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "mailroom.demo_profile", "serve-backend"]
        command += ["--data-dir", str(self.backend_dir), "--port", str(port)]
        environment = {**os.environ, "PYTHONPATH": _source_path()}
        environment.pop(ENV_PREFIX + "BACKEND_FAULT_HOOKS", None)  # never in a demo
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                command,
                stdin=subprocess.PIPE,  # its end-of-file is the parent going away
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,  # Ctrl+C in a terminal reaches the app, which stops it
            )

    def _await_ping(self, url: str) -> bool:
        """True once ``/v1/ping`` answers as the backend; False if the process ended first."""
        from sync.connectivity import ping
        from sync.transport import Transport

        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        transport = Transport(url, connect_timeout=1, read_timeout=2)
        while self._process.poll() is None:
            if ping(transport, datetime.now(UTC)).online:
                transport.close()
                return True
            if time.monotonic() > deadline:
                _terminate(self._process, self._stop_timeout)
                raise DemoBackendFailed(
                    f"El servidor de sincronización de demostración no respondió en "
                    f"{self._startup_timeout:.0f} s. Vea el registro {self.log_path}.",
                    log=self.log_path,
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=0.05)
        transport.close()
        return False

    def _enrol(self, store: Store | None) -> None:
        """Enrol this device once; again only if the backend is a new one (its key changed)."""
        from sync import enrolment
        from sync.server import devices
        from sync.server.backend import Backend, BackendConfig
        from sync.transport import Transport

        assert self.url is not None
        server = Backend(BackendConfig(data_dir=self.backend_dir))  # the child's own database
        office, device = self.profile.settings.office, self.profile.settings.device
        target = store or Store(self.profile.data_dir)
        try:
            enrolled = enrolment.current(target.reader())
            if (
                enrolled is not None
                and not enrolled.revoked
                and enrolled.server_key_id == server.key_id
                and enrolment.credential_path(target.data_dir).is_file()
            ):
                return
            with server.connect() as connection:
                lifetime = server.config.token_lifetime
                token = devices.issue_token(connection, office, server.now(), lifetime)
            with contextlib.closing(Transport(self.url)) as transport:
                enrolment.enroll(target, transport, token, device, server.now())
        finally:
            if store is None:
                target.close()


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    """End of input, SIGTERM to the process group (uvicorn and anything it started), then
    SIGKILL when it has not exited within ``timeout`` (Windows: terminate, then kill)."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for polite in (True, False):
        with contextlib.suppress(OSError):  # ProcessLookupError: it is already gone
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGTERM if polite else signal.SIGKILL)
            elif polite:
                process.terminate()
            else:
                process.kill()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def _bindable(port: int = 0) -> int | None:
    """``port`` (0: any) if it can be bound on 127.0.0.1 now, else ``None``."""
    with socket.socket() as probe:
        if os.name == "posix":  # as uvicorn binds: a just-closed port in TIME_WAIT is usable
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return None
        return int(probe.getsockname()[1])


def _read_port(path: Path) -> int | None:
    try:
        port = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return port if 1024 <= port <= 65535 else None


def _source_path() -> str:
    """PYTHONPATH for the child: this source tree first (a checkout run without installing)."""
    root = str(Path(__file__).resolve().parents[1])
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))


def _exit_when_parent_goes(stream: object, grace_seconds: float = 5.0) -> None:
    """In the backend child: shut down once the parent's end of standard input closes."""

    def watch() -> None:
        try:
            while stream.read(4096):  # type: ignore[attr-defined]
                pass
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn finishes its requests and exits
        threading.Event().wait(grace_seconds)
        os._exit(1)  # it did not: go anyway

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


DEMO_BACKEND_NICENESS = 10


def _serve_backend(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m mailroom.demo_profile")
    parser.add_argument("command", choices=["serve-backend"])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    _exit_when_parent_goes(sys.stdin.buffer)
    if hasattr(os, "nice"):
        # The demo's backend stands in for the state's server, which runs elsewhere: on the
        # counter PC it must not take CPU from the clerk's window (as tesseract does not).
        os.nice(DEMO_BACKEND_NICENESS)
    from sync.server.backend import Backend, BackendConfig
    from sync.server.serve import serve_forever

    backend = Backend(BackendConfig(data_dir=Path(args.data_dir)))
    print(
        f"Servidor de sincronización de demostración en http://127.0.0.1:{args.port} "
        f"(datos: {args.data_dir}; llave {backend.key_id})",
        file=sys.stderr,
    )
    serve_forever(backend, "127.0.0.1", args.port)
    return 0


if __name__ == "__main__":
    sys.exit(_serve_backend(sys.argv[1:]))
