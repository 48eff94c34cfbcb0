"""A local PostgreSQL cluster run from Debian's binaries (``initdb`` into a folder, ``pg_ctl``), for
the tests and for trying the backend out at state scale; see :mod:`sync.server.local_services`."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from sync.server.local_processes import (
    ACCOUNT,
    DATABASE_NAME,
    HOST,
    SOCKET_PATH_MAX,
    START_SECONDS,
    STOP_SECONDS,
    LocalService,
    ServiceAccount,
    ServiceFailed,
    descendants,
    free_port,
    log_tail,
    port_is_free,
    postgres_bindir,
    process_alive,
    service_account,
    signal_and_wait,
    unreachable_parent,
)

SUPERUSER = "oficialia"


class PostgresCluster(LocalService):
    """A PostgreSQL cluster in ``folder`` (data in ``folder/datos``, its log beside it): TCP on
    127.0.0.1 only, its Unix socket in the folder (never /tmp), password (SCRAM) authentication
    only, fsync on. Reused when the folder already holds one. The port is chosen on the first
    start (unless given) and kept, so URLs stay valid across a stop and a start."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.folder = Path(folder).absolute()
        self.data = self.folder / "datos"
        self.log = self.folder / "postgresql.log"
        self.port = port
        self._port_given = port is not None
        self._password_file = self.folder / "clave"
        self.account: ServiceAccount | None = None

    @property
    def password(self) -> str:
        return self._password_file.read_text(encoding="ascii").strip()

    def url(self, database: str = "postgres") -> str:
        if self.port is None:
            raise ServiceFailed("PostgreSQL no ha arrancado: no tiene puerto todavía.")
        return f"postgresql://{SUPERUSER}:{self.password}@{HOST}:{self.port}/{database}"

    def start(self) -> None:
        began = time.monotonic()
        bindir = postgres_bindir()
        self.account = service_account()
        self._prepare_folder()
        self.stop()  # one left running by an earlier run that was killed before stopping it
        if not (self.data / "PG_VERSION").is_file():
            self._initdb(bindir)
        self.port = self.port or self._previous_port()
        for _ in range(3):
            if self.port is None:
                self.port = free_port()
            self._write_settings()
            logged = self.log.stat().st_size if self.log.exists() else 0
            started = self._run(
                [str(bindir / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log),
                 "-w", "-t", str(int(START_SECONDS))]
            )  # fmt: skip
            if started.returncode == 0:
                break
            news = self._log_since(logged)
            if self._port_given or "could not bind" not in news:  # else another took the port
                raise ServiceFailed(
                    f"PostgreSQL no arrancó en {self.folder}.\n{started.stdout}{news[-2000:]}"
                )
            self.port = None
        else:
            raise ServiceFailed("PostgreSQL no encontró un puerto libre en 127.0.0.1.")
        self._wait_for_connections()
        self.startup_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stops the cluster as ``pg_ctl stop -m fast`` does (SIGINT: open sessions rolled back,
        a checkpoint, exit), sent by this process: pg_ctl would have to reach the folder by path
        as the account, and the postmaster, daemonised by pg_ctl, is not a child to wait for.
        Escalates to an immediate stop, then SIGKILL, if it does not end in time."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        workers = descendants(pid)
        stopped = signal_and_wait(
            pid, (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL), STOP_SECONDS
        )
        deadline = time.monotonic() + 10
        while any(process_alive(worker) for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.05)  # after a SIGKILL the backends notice the postmaster's death
        if not stopped:
            raise ServiceFailed(f"PostgreSQL (proceso {pid}) no se detuvo.")

    def postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            command = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError):
            return None
        return (
            pid if command.startswith(("postgres", "postmaster")) and process_alive(pid) else None
        )

    def create_database(self, name: str, *, exist_ok: bool = False) -> str:
        """Creates the database ``name`` (lowercase letters, digits, ``_``) and returns its URL."""
        from psycopg import sql

        if not DATABASE_NAME.fullmatch(name):
            raise ValueError(f"nombre de base de datos no válido: {name!r}")
        with self._admin() as connection:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if found.fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            elif not exist_ok:
                raise ServiceFailed(f"La base de datos «{name}» ya existe.")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drops ``name``, closing whatever connections a test left open to it."""
        from psycopg import sql

        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.url(), autocommit=True, connect_timeout=10)

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.account is not None:
            blocked = unreachable_parent(self.folder, self.account)
            if blocked is not None:
                raise ServiceFailed(
                    f"PostgreSQL no corre como root sino como «{ACCOUNT}», y esa cuenta no puede "
                    f"entrar en {blocked}. Elija una carpeta a su alcance (por ejemplo bajo /srv) "
                    f"o dele paso: chmod o+x {blocked}"
                )
            os.chown(self.folder, self.account.uid, self.account.gid)
        self.folder.chmod(0o700)
        if not self._password_file.exists():
            self._write(self._password_file, secrets.token_urlsafe(24) + "\n")

    def _initdb(self, bindir: Path) -> None:
        made = self._run(
            [str(bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
             f"--pwfile={self._password_file}", "--auth=scram-sha-256", "--encoding=UTF8",
             "--locale=C"]
        )  # fmt: skip
        if made.returncode != 0:
            raise ServiceFailed(f"initdb falló en {self.data}:\n{made.stdout}{made.stderr}")

    def _write_settings(self) -> None:
        main = self.data / "postgresql.conf"
        if "include = 'oficialia.conf'" not in main.read_text(encoding="utf-8"):
            with main.open("a", encoding="utf-8") as conf:
                conf.write("\ninclude = 'oficialia.conf'\n")
        sockets = str(self.folder) if len(str(self.folder)) <= SOCKET_PATH_MAX - 20 else ""
        settings = {
            "listen_addresses": HOST,
            "port": str(self.port),
            "unix_socket_directories": sockets,
            "unix_socket_permissions": "0700",
            # The exactly-once and crash proofs rely on commits reaching the disk.
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "max_connections": "200",  # several workers with a pool each, and the tests
            "timezone": "UTC",
            "log_timezone": "UTC",
        }
        lines = [
            f"{key} = '{value.replace(chr(39), chr(39) * 2)}'" for key, value in settings.items()
        ]
        self._write(self.data / "oficialia.conf", "\n".join(lines) + "\n")
        self._write(
            self.data / "pg_hba.conf",
            "# Only this machine, and only with the password (sync/server/local_services.py).\n"
            "local all all scram-sha-256\n"
            f"host all all {HOST}/32 scram-sha-256\n",
        )

    def _previous_port(self) -> int | None:
        """The port of the folder's last run, when free: the same URL as last time."""
        try:
            text = (self.data / "oficialia.conf").read_text(encoding="utf-8")
        except OSError:
            return None
        found = re.search(r"^port = '(\d+)'$", text, re.MULTILINE)
        return int(found.group(1)) if found and port_is_free(int(found.group(1))) else None

    def _wait_for_connections(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2) as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise ServiceFailed(
                        f"PostgreSQL arrancó pero no acepta conexiones: {error}\n"
                        + log_tail(self.log)
                    ) from error
                time.sleep(0.05)

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        if self.account is not None:
            os.chown(path, self.account.uid, self.account.gid)

    def _log_since(self, offset: int) -> str:
        try:
            with self.log.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        account: dict[str, Any] = {}
        if self.account is not None:
            account = {"user": self.account.uid, "group": self.account.gid, "extra_groups": []}
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.folder,
            umask=0o077,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"},
            timeout=START_SECONDS + 30,
            **account,
        )
