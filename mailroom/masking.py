"""How a sensitive filing shows its sender's identifiers and contact: partly hidden.

A filing marked *sensible* (``Filing.sensitive``) prints its sender's CURP, RFC, e-mail and phone
masked wherever paper or a screen shows them to someone who does not need them: the acuse (and
its cadena original, which the acuse prints) and the libro de registro. The office keeps the full
values; only what is shown is masked.

What stays visible is just enough for the citizen to recognise their own data, and nothing the
name printed beside it does not already give away:

- CURP ``GOMA850101HDFRRN09`` -> ``GOMA************09``: the four letters come from the name; the
  birth date, sex and state of birth (the sensitive part) and the name's inner consonants are
  hidden; the last two characters (homonym and check digit) stay.
- RFC ``GOMA850101AB1`` -> ``GOMA******AB1`` (a company's ``ABC850101XY1`` -> ``ABC******XY1``):
  the six digits of the birth or founding date are hidden, the letters and the homoclave stay.
- e-mail ``maria.gomez@example.com`` -> ``m***@e***.com``: the first letter of the user and of
  the domain and the ending; always three stars, so the length is not told either.
- phone ``55 1234 5678`` -> ``** **** 5678``: every digit but the last four.

Masking is deterministic (the same value always masks the same way): the acuse's cadena carries
the masked values and must be rebuilt to the same digest when the acuse is sealed later.
"""

from __future__ import annotations

import dataclasses

from mailroom.models import Sender

STAR = "*"


def mask_curp(curp: str) -> str:
    curp = curp.strip()
    if len(curp) <= 6:
        return STAR * len(curp)
    return curp[:4] + STAR * (len(curp) - 6) + curp[-2:]


def mask_rfc(rfc: str) -> str:
    rfc = rfc.strip()
    if len(rfc) in (12, 13):
        letters = len(rfc) - 9  # 4 for a person, 3 for a company; then 6 date digits, 3 homoclave
        return rfc[:letters] + STAR * 6 + rfc[-3:]
    if len(rfc) <= 4:
        return STAR * len(rfc)
    return rfc[:2] + STAR * (len(rfc) - 4) + rfc[-2:]


def mask_email(email: str) -> str:
    email = email.strip()
    user, at, domain = email.rpartition("@")
    if not at or not user:
        return STAR * 3
    name, dot, ending = domain.rpartition(".")
    if not dot or not name:
        return f"{user[0]}{STAR * 3}@{STAR * 3}"
    return f"{user[0]}{STAR * 3}@{name[0]}{STAR * 3}.{ending}"


def mask_phone(phone: str) -> str:
    phone = phone.strip()
    digits = sum(c.isdigit() for c in phone)
    keep = min(4, max(0, digits - 4))  # a short number keeps fewer, never all of it
    masked: list[str] = []
    for char in reversed(phone):
        if char.isdigit():
            masked.append(char if keep > 0 else STAR)
            keep -= 1
        else:
            masked.append(char)
    return "".join(reversed(masked))


def masked_sender(sender: Sender) -> Sender:
    """The sender with CURP, RFC, e-mail and phone masked (name and organisation as they are)."""
    return dataclasses.replace(
        sender,
        curp=mask_curp(sender.curp) if sender.curp else sender.curp,
        rfc=mask_rfc(sender.rfc) if sender.rfc else sender.rfc,
        email=mask_email(sender.email) if sender.email else sender.email,
        phone=mask_phone(sender.phone) if sender.phone else sender.phone,
    )


def shown_sender(sender: Sender, *, sensitive: bool) -> Sender:
    """What may be shown of a sender: masked for a sensitive filing, whole otherwise."""
    return masked_sender(sender) if sensitive else sender
