"""Scripted HTTP answers for the unit tests of single sync modules (integration tests use the
real backend: tests/backend_server.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from sync.transport import Transport


def answer(
    status: int, body: Any = None, *, headers: dict[str, str] | None = None, text: str = ""
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if body is not None:
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
    else:
        response._content = text.encode()
        if text:
            response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers.update(headers or {})
    return response


class ScriptedTransport(Transport):
    """A Transport whose ``request`` asks ``reply(method, path, kwargs)``, not the network."""

    def __init__(self, reply: Callable[[str, str, dict[str, Any]], requests.Response]) -> None:
        super().__init__("https://backend.invalid")
        self.reply = reply
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append((method, path, kwargs))
        return self.reply(method, path, kwargs)
