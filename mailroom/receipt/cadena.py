"""The *cadena original*: the acuse's fields as one canonical string, and its SHA-256.

Anyone holding the acuse can rebuild the string from what the page shows and check the digest
printed next to it (and encoded in the QR), so the order and the normalisation below are part of
the verification contract: changing either breaks the check for every acuse already handed out.

A sensitive filing's cadena carries its sender's RFC and CURP **masked** (``mailroom.masking``),
as the page shows them: the acuse prints the cadena in full, so clear values there would undo the
masking, and the contract is that the cadena can be retyped from what the page shows. The digest
still binds the folio, the time, the sender's name, the subject and every document's SHA-256; the
full identifiers stay in the office's register. Masking is deterministic, so sealing the acuse
later rebuilds the same digest.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime

from mailroom.config import Settings
from mailroom.errors import InvalidInput
from mailroom.masking import shown_sender
from mailroom.models import Filing, Sender

FIELD_SEPARATOR = "|"
LIST_SEPARATOR = ";"

_WHITESPACE = re.compile(r"\s+")


def clean(value: str) -> str:
    """One field's text as it goes into the cadena.

    - NFC, so "ñ" typed as one code point or as "n" + combining tilde hashes the same;
    - every run of whitespace (newlines, tabs) becomes one space and the ends are trimmed, as SAT
      does for the CFDI cadena original, so a line break cannot split a field and a retyped
      value matches;
    - other control characters are dropped: they print as nothing, so nobody could retype them
      from the page to check the digest;
    - ``|`` becomes ``/``: the pipe is the field separator, and a verifier must be able to split
      the string back into exactly the documented fields. Replacing (rather than escaping) keeps
      the string readable and retypeable from the printed page.
    """
    text = unicodedata.normalize("NFC", value)
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    text = _WHITESPACE.sub(" ", text).strip()
    return text.replace(FIELD_SEPARATOR, "/")


def _item(value: str) -> str:
    # Inside a list field ``;`` separates items, so an item's own ``;`` becomes ``,`` to keep
    # the item count unambiguous. The trailing ``:role`` / ``:pages`` is split off from the right,
    # so a ``:`` inside the text needs no treatment.
    return clean(value).replace(LIST_SEPARATOR, ",")


def _joined(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)


def received_at_iso(received_at: datetime) -> str:
    """ISO 8601 with the UTC offset: the offset is what legal deadlines are counted from."""
    if received_at.utcoffset() is None:
        raise InvalidInput(
            "La fecha de recepción del escrito no tiene zona horaria; no se puede emitir el acuse.",
            field="received_at",
        )
    return received_at.isoformat(timespec="seconds")


FieldValue = Callable[[Filing, Settings], str]


def _sender(filing: Filing) -> Sender:
    return shown_sender(filing.sender, sensitive=filing.sensitive)


# The fixed order of the cadena original. Append new fields only at the end, and only with a
# new acuse format version: verifiers split on "|" and read fields by position.
CADENA_ORIGINAL_FIELDS: tuple[tuple[str, FieldValue], ...] = (
    ("office", lambda f, s: clean(s.office)),
    ("folio", lambda f, s: clean(f.folio)),
    ("received_at", lambda f, s: received_at_iso(f.received_at)),
    ("channel", lambda f, s: f.channel.value),
    ("sender_name", lambda f, s: clean(f.sender.name)),
    ("sender_rfc", lambda f, s: clean(_sender(f).rfc or "")),
    ("sender_curp", lambda f, s: clean(_sender(f).curp or "")),
    ("subject", lambda f, s: clean(f.subject)),
    ("addressees", lambda f, s: _joined(f"{_item(a.area)}:{a.role.value}" for a in f.addressees)),
    ("fojas_declared", lambda f, s: "" if f.fojas_declared is None else str(f.fojas_declared)),
    ("pages_scanned", lambda f, s: str(f.pages_scanned)),
    ("annexes", lambda f, s: _joined(f"{_item(a.description)}:{a.pages}" for a in f.annexes)),
    ("documents", lambda f, s: _joined(f"{d.sha256}:{d.page_count}" for d in f.documents)),
    ("clerk", lambda f, s: clean(f.clerk)),
)

CADENA_ORIGINAL_FIELD_NAMES: tuple[str, ...] = tuple(name for name, _ in CADENA_ORIGINAL_FIELDS)


def cadena_original(filing: Filing, settings: Settings) -> str:
    """``||office|folio|...|clerk||`` in the order of :data:`CADENA_ORIGINAL_FIELDS`."""
    values = (value(filing, settings) for _, value in CADENA_ORIGINAL_FIELDS)
    return "||" + FIELD_SEPARATOR.join(values) + "||"


def digest(cadena: str) -> str:
    """SHA-256 (hex) of the cadena's UTF-8 bytes."""
    return hashlib.sha256(cadena.encode("utf-8")).hexdigest()
