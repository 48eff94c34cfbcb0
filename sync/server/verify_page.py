"""The public page the acuse's QR opens: ``GET /acuse?folio=…&digest=…``.

Plain HTML for a phone, in Spanish, with no scripts, no external files, no cookies and a strict
Content-Security-Policy (the only inline style is allowed by its hash). Without parameters it is a
form to type the folio and check code by hand. The lookup and the rate limit are in
:mod:`sync.server.verification`; this module only reads the request and writes the page.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from mailroom.receipt.spanish import MONTHS, utc_offset
from sync.server import verification
from sync.server.backend import Backend
from sync.server.verification import RateDecision, VerifiedAcuse, VerifyPageConfig

PAGE_PATH = "/acuse"
STATUS_TEXT = {
    "recibida": "Recibido; aún no se turna al área que lo atiende",
    "turnada": "Turnado al área que lo atiende",
    "en_tramite": "En trámite",
    "atendida": "Atendido",
    "cancelada": "Cancelado",
}
STYLE = (
    "*{box-sizing:border-box}"
    "body{margin:0;font:1.125rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f4f4f4}"
    "main{max-width:36rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:0 0 .5rem}"
    "section{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;"
    "border-left:.4rem solid #777}"
    ".ok{border-left-color:#1b7a3a}.none{border-left-color:#9a6b00}.stop{border-left-color:#b00020}"
    "dl{margin:0}dt{font-weight:600;margin-top:.75rem}dd{margin:0}"
    "dd,p,input{overflow-wrap:anywhere}"
    "label{display:block;font-weight:600;margin-top:1rem}"
    ".hint{font-size:1rem;color:#444;margin:.25rem 0}"
    "input{display:block;width:100%;font:inherit;padding:.6rem;margin-top:.25rem;"
    "border:1px solid #888;border-radius:.4rem}"
    "button{font:inherit;font-weight:600;margin-top:1.25rem;padding:.7rem 1.5rem;border:0;"
    "border-radius:.4rem;background:#1a4d8f;color:#fff;width:100%}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def install(app: FastAPI, backend: Backend, config: VerifyPageConfig | None = None) -> None:
    """Serve the page on ``app``; the settings come from the environment unless given."""
    settings = config or VerifyPageConfig.from_environment()

    @app.get(PAGE_PATH, include_in_schema=False)
    async def verify_acuse(request: Request) -> HTMLResponse:
        folio = request.query_params.get("folio", "").strip()
        typed = request.query_params.get("digest", "")
        if not folio and not typed:
            return _page(_form(), 200)
        code = verification.normalized_code(typed)
        problem = _input_problem(folio, code)
        if problem:
            return _page(_message("stop", "Revise los datos", problem) + _form(folio), 400)
        assert code is not None
        client = verification.client_key(
            request.client.host if request.client else None, request.headers, settings
        )
        decision, found = await run_in_threadpool(_check, backend, settings, client, folio, code)
        if not decision.allowed:
            return _too_many(backend.now(), decision)
        if found is None:
            return _page(_not_found() + _form(folio), 200)
        return _page(_found(found) + _form(heading="Verificar otro acuse"), 200)


def _check(
    backend: Backend, config: VerifyPageConfig, client: str, folio: str, code: str
) -> tuple[RateDecision, VerifiedAcuse | None]:
    with backend.connect() as connection:
        decision = verification.count_hit(connection, client, backend.now(), config)
        if not decision.allowed:
            return decision, None
        return decision, verification.lookup(connection, folio, code)


def _input_problem(folio: str, code: str | None) -> str:
    if not folio:
        return "Falta el folio: escríbalo tal como aparece en su acuse."
    if len(folio) > verification.MAX_FOLIO_CHARS:
        return "Ese folio es demasiado largo; escríbalo tal como aparece en su acuse."
    if code is None:
        return (
            "El código de verificación lleva de 16 a 64 caracteres, solo números del 0 al 9 "
            "y letras de la a a la f. Cópielo del acuse («SHA-256 de la cadena original»)."
        )
    return ""


def _page(content: str, status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex"><title>Verificar un acuse de recibo</title>'
        f"<style>{STYLE}</style></head><body><main>"
        f"<h1>Verificar un acuse de recibo</h1>{content}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def _message(kind: str, title: str, text: str) -> str:
    return f'<section class="{kind}" role="status"><h2>{title}</h2><p>{escape(text)}</p></section>'


def _found(acuse: VerifiedAcuse) -> str:
    rows = (
        ("Folio del acuse", acuse.folio),
        ("Recibido", spoken_time(acuse.received_at)),
        ("Oficina", f"{acuse.office_name}, clave {acuse.office_code}"),
        ("Folio institucional", acuse.institutional_folio),
        ("Estado", STATUS_TEXT.get(acuse.status, acuse.status)),
    )
    items = "".join(f"<dt>{title}</dt><dd>{escape(value)}</dd>" for title, value in rows)
    return (
        '<section class="ok" role="status"><h2>Acuse válido</h2>'
        "<p>El servidor estatal registró un escrito con este folio y este código de "
        f"verificación.</p><dl>{items}</dl>"
        "<p>Compare estos datos con los de su acuse. Por su privacidad, esta página no muestra "
        "nombres ni documentos.</p></section>"
    )


def _not_found() -> str:
    # The one answer for an unknown folio and for a wrong code: telling them apart would let
    # anyone learn which folios exist.
    return _message(
        "none",
        "No encontramos ese acuse",
        "No hay un acuse registrado con ese folio y ese código de verificación. Revise que los "
        "haya escrito igual que en su acuse. Si lo recibió hace poco, puede que la oficina aún "
        "no lo haya enviado al servidor estatal: intente más tarde o pregunte en la oficina "
        "que lo recibió.",
    )


def _too_many(now: datetime, decision: RateDecision) -> HTMLResponse:
    minutes = max(1, -(-decision.retry_after_seconds // 60))
    until = now + timedelta(seconds=decision.retry_after_seconds)
    text = (
        "Se hicieron muchas consultas desde esta conexión en poco tiempo. Vuelva a intentar "
        f"en {minutes} {'minuto' if minutes == 1 else 'minutos'} (después de las "
        f"{_clock(until)}, hora del servidor)."
    )
    return _page(
        _message("stop", "Demasiadas consultas", text),
        429,
        {"Retry-After": str(decision.retry_after_seconds)},
    )


def _form(folio: str = "", heading: str = "Escriba los datos de su acuse") -> str:
    return (
        f'<section><h2>{heading}</h2><form method="get">'
        '<label for="folio">Folio del acuse</label>'
        f'<input id="folio" name="folio" required maxlength="{verification.MAX_FOLIO_CHARS}" '
        'autocomplete="off" autocapitalize="characters" spellcheck="false" '
        f'value="{escape(folio, quote=True)}">'
        '<label for="digest">Código de verificación</label>'
        '<p class="hint" id="digest-hint">Es el «SHA-256 de la cadena original» impreso en el '
        "acuse; basta con sus primeros 16 caracteres.</p>"
        '<input id="digest" name="digest" required minlength="16" maxlength="80" '
        'autocomplete="off" autocapitalize="none" spellcheck="false" '
        'aria-describedby="digest-hint">'
        '<button type="submit">Verificar</button></form></section>'
    )


def spoken_time(moment: datetime) -> str:
    """``9 de marzo de 2026, 10:30 (UTC-06:00)``: the time as the office's clock showed it."""
    return f"{moment.day} de {MONTHS[moment.month - 1]} de {moment.year}, {_clock(moment)}"


def _clock(moment: datetime) -> str:
    """``10:30 (UTC-06:00)``, or ``10:30`` for a moment without a time zone."""
    time = f"{moment:%H:%M}"
    return time if moment.utcoffset() is None else f"{time} ({utc_offset(moment)})"
