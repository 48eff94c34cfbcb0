"""HTTP to the backend: explicit timeouts, verified TLS, one ``requests.Session`` per thread.

``requests`` exceptions stop here: a connection that fails or times out becomes
:class:`~sync.errors.Offline`, and an error answer becomes the :mod:`sync.errors` kind that says
what to do (retry later, park the item, re-enrol).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from sync.errors import DeviceRevoked, Offline, Rejected, SyncError, Transient

REVOKED_CODES = ("dispositivo_revocado", "credencial_invalida")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class OfflineTimeout(Offline):
    """The connection was made but the answer did not come in time (a slow or cut link)."""

    code = "tiempo_agotado"


MAX_RETRY_AFTER_SECONDS = 3600.0


class Transport:
    """Calls to one backend base URL, which may carry a path prefix (a reverse proxy)."""

    def __init__(
        self,
        base_url: str,
        *,
        credential: str | None = None,
        ca_bundle: str = "",
        connect_timeout: float = 5,
        read_timeout: float = 30,
    ) -> None:
        parts = urlsplit(base_url)
        loopback = parts.hostname in LOOPBACK_HOSTS
        if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
            # The bearer credential must never cross a network in clear text.
            raise SyncError(
                f"La dirección del servidor {base_url!r} debe empezar con https:// "
                "(http:// solo se admite en este mismo equipo, 127.0.0.1)."
            )
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        # TLS is always verified: either against the system's authorities or the admin's bundle.
        self._verify: bool | str = ca_bundle or True
        self.timeouts = (connect_timeout, read_timeout)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []  # every thread's, so close() ends them all
        self._sessions_lock = threading.Lock()

    def url(self, path: str) -> str:
        # Plain concatenation, not urljoin: urljoin("https://h/prefix/", "/v1/x") drops the prefix.
        return self.base_url + "/" + path.lstrip("/")

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.verify = self._verify
            session.headers["User-Agent"] = "oficialia-sync/1"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        authenticated: bool = True,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if authenticated and self.credential:
            all_headers["Authorization"] = f"Bearer {self.credential}"
        try:
            return self.session().request(
                method,
                self.url(path),
                headers=all_headers,
                json=json,
                data=data,
                params=params,
                timeout=self.timeouts,
                # A redirect is never part of the protocol: it is a captive portal or a
                # misconfigured proxy, and following it would send the credential elsewhere.
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as error:
            raise Offline(
                f"No se pudo comprobar el certificado TLS de {self.base_url}: {error}. "
                "Revise la fecha del equipo y el ajuste sync_ca_bundle.",
                url=self.base_url,
            ) from error
        except (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError) as error:
            raise OfflineTimeout(
                f"El servidor {self.base_url} no respondió a tiempo.", url=self.base_url
            ) from error
        except requests.exceptions.RequestException as error:
            raise Offline(
                f"Sin conexión con el servidor {self.base_url}: {type(error).__name__}.",
                url=self.base_url,
            ) from error

    def close(self) -> None:
        """Close the sessions of every thread that used this transport (worker pool included);
        a thread calling again afterwards gets a fresh one."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()


def json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a protocol answer; anything else means we are not talking to it."""
    if "json" not in response.headers.get("Content-Type", ""):
        raise Offline(
            f"El servidor respondió {response.status_code} con algo que no es del protocolo "
            "(¿un portal de acceso a la red?)."
        )
    try:
        body = response.json()
    except ValueError as error:
        raise Offline("El servidor respondió con JSON dañado.") from error
    if not isinstance(body, dict):
        raise Offline("El servidor respondió con JSON inesperado.")
    return body


def error_for(response: requests.Response, doing: str) -> SyncError:
    """Classify an error answer: re-enrol, retry later, or park the item for a person."""
    status = response.status_code
    try:
        body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = str(body.get("error", ""))
    message = str(body.get("message") or f"el servidor respondió {status} al {doing}")
    if status in (401, 403) and (code in REVOKED_CODES or status == 401):
        return DeviceRevoked(
            f"El servidor rechazó este equipo: {message} "
            "Dé de alta el equipo de nuevo (oficialia enroll URL TOKEN).",
            server_code=code,
            server_message=message,
        )
    if status in (408, 425, 429) or status >= 500 or (300 <= status < 400):
        return Transient(
            f"El servidor no pudo atender al {doing} ({status}): {message}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            status=status,
            server_message=message,
        )
    return Rejected(
        message, server_code=code or f"http_{status}", status=status, server_message=message
    )


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: either delta-seconds or an HTTP date; at most
    ``MAX_RETRY_AFTER_SECONDS``, so a misconfigured server cannot stop this office for days."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER_SECONDS)
