"""Fault hooks: make the backend misbehave on purpose, so the client's retry logic can be proven.

Off unless the server starts with ``--fault-hooks`` (or ``OFICIALIA_BACKEND_FAULT_HOOKS=1``, or
``BackendConfig(fault_hooks=True)``). Switched at runtime, either in-process
(``backend.faults.fail_next(...)``, what ``tests/backend_server.py`` does) or over HTTP with
``POST /_faults`` and a JSON body of the fields below (that endpoint answers 404 when the hooks are
off and is left out of the OpenAPI document):

* ``drop_after_commit: N`` — the next N filing commits are committed, then the connection is
  dropped without an answer (the client must replay and get the same receipt).
* ``fail_next: N`` with ``fail_status`` (503 or 429) and ``retry_after`` seconds — the next N
  requests (any path) get that status with ``Retry-After``.
* ``captive_portal: true|false`` — ``GET /v1/ping`` answers 200 with an HTML login page.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class InjectedFailure:
    status: int
    retry_after: int


class FaultHooks:
    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._drops = 0
        self._failures = 0
        self._failure = InjectedFailure(503, 1)
        self.captive_portal = False

    def drop_after_commit(self, count: int = 1) -> None:
        with self._lock:
            self._drops = count

    def fail_next(self, count: int, *, status: int = 503, retry_after: int = 1) -> None:
        if status not in (429, 503):
            raise ValueError("fail_status must be 429 or 503")
        with self._lock:
            self._failures = count
            self._failure = InjectedFailure(status, retry_after)

    def set_captive_portal(self, on: bool) -> None:
        self.captive_portal = on

    def reset(self) -> None:
        with self._lock:
            self._drops = self._failures = 0
            self.captive_portal = False

    def take_failure(self) -> InjectedFailure | None:
        if not self.enabled:
            return None
        with self._lock:
            if self._failures <= 0:
                return None
            self._failures -= 1
            return self._failure

    def take_drop(self) -> bool:
        if not self.enabled:
            return False
        with self._lock:
            if self._drops <= 0:
                return False
            self._drops -= 1
            return True

    def portal_active(self) -> bool:
        return self.enabled and self.captive_portal

    def apply(self, settings: dict[str, object]) -> None:
        """``POST /_faults``: the body's fields, each optional."""
        if "drop_after_commit" in settings:
            self.drop_after_commit(_count(settings["drop_after_commit"]))
        if "fail_next" in settings:
            status = settings.get("fail_status", 503)
            retry_after = settings.get("retry_after", 1)
            if not isinstance(status, int) or not isinstance(retry_after, int):
                raise ValueError("fail_status and retry_after must be integers")
            self.fail_next(_count(settings["fail_next"]), status=status, retry_after=retry_after)
        if "captive_portal" in settings:
            self.set_captive_portal(bool(settings["captive_portal"]))
        if settings.get("reset"):
            self.reset()


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("counts must be integers ≥ 0")
    return value
