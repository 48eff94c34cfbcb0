"""CURP and RFC: structure, real dates and check digits, with messages that say what is wrong.

Both check-digit algorithms were verified against published real identifiers (python-stdnum's
and phpcfdi/rfc's test lists) before being trusted. Two findings shape this module:

* Some values SAT itself publishes do not satisfy the algorithms: the generic RFC
  ``XAXX010101000`` (check digit by the algorithm: 4) is accepted by name, being a real value for
  sales to the general public. SAT's *test* identities (RFC ``AAA010101AAA``: 1; CURP
  ``HEGT761003MDFRNN09``: 7) fail too; they are not special-cased — values read from a
  certificate are the issuer's word and are checked with ``check_digit=False``.
* Some RFCs in real use carry a check digit that does not follow the published algorithm
  (python-stdnum estimates 1.5 % and lists ~100 it confirmed on SAT's portal). A mismatch is
  still an error by default — usually it is a typing mistake — but the caller can pass
  ``check_digit=False`` once the clerk has confirmed the value against the person's document
  (e.g. the *constancia de situación fiscal*).
  The error's ``details["problem"] == "check_digit"`` tells the UI when to offer that.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import NoReturn

from mailroom.errors import InvalidInput

CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"

# RENAPO's entity codes; NE is "nacido en el extranjero". Mexico City keeps DF.
_STATE_CODES = (
    "AS BC BS CC CL CM CS CH DF DG GT GR HG JC MC MN MS NT NL OC PL QT QR SP SL SR TC TS TL VZ YN "
    "ZS NE"
)
CURP_STATES = frozenset(_STATE_CODES.split())

# SAT-published RFCs valid by definition: sales to the general public and to foreigners.
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})

_SEPARATORS = re.compile(r"[\s\-]+")
_CURP_CHARACTERS = re.compile(r"[A-Z0-9]*")
_RFC_CHARACTERS = re.compile(r"[A-Z0-9Ñ&]*")
_RFC_NAME = re.compile(r"[A-ZÑ&]+")
_CONSONANTS = re.compile(r"[B-DF-HJ-NP-TV-Z]{3}")


def normalize_curp(value: str) -> str:
    """Trimmed, upper-case, without the spaces or hyphens people type between the parts."""
    return _normalize(value)


def normalize_rfc(value: str) -> str:
    """Trimmed, upper-case, without separators: ``gode-561231-gr8`` → ``GODE561231GR8``."""
    return _normalize(value)


def _normalize(value: str) -> str:
    # NFC first: a keyboard may send Ñ as N + combining tilde, which would fail the character check.
    return _SEPARATORS.sub("", unicodedata.normalize("NFC", value or "")).upper()


def curp_check_digit(first17: str) -> str:
    """RENAPO's check digit over the first 17 characters."""
    total = sum(CURP_ALPHABET.index(char) * (18 - i) for i, char in enumerate(first17[:17]))
    return str((10 - total % 10) % 10)


def rfc_check_digit(rfc_without_check: str) -> str:
    """SAT's check digit over the first 11 (moral) or 12 (física) characters."""
    # A moral RFC is one character shorter; SAT pads it with a leading space (value 37).
    padded = rfc_without_check.rjust(12)
    total = sum(RFC_ALPHABET.index(char) * (13 - i) for i, char in enumerate(padded))
    remainder = 11 - total % 11
    return {11: "0", 10: "A"}.get(remainder, str(remainder))


def validate_curp(value: str, *, check_digit: bool = True) -> str:
    """The normalised CURP, or InvalidInput saying which part is wrong."""
    curp = normalize_curp(value)
    _curp_shape(curp)
    _curp_parts(curp)
    birth = _curp_birth_date(curp)
    if birth > date.today():
        _fail(
            "curp",
            "date",
            f"La fecha de nacimiento {birth.isoformat()} de la CURP "
            "está en el futuro; revise el año y el carácter 17.",
        )
    if not curp[17].isdigit():
        _fail(
            "curp",
            "check_digit",
            "El último carácter de la CURP es el dígito verificador y "
            f"debe ser un número; se encontró «{curp[17]}».",
        )
    expected = curp_check_digit(curp)
    if check_digit and curp[17] != expected:
        _fail(
            "curp",
            "check_digit",
            "El dígito verificador de la CURP no corresponde: se "
            f"esperaba {expected}. Revise que esté bien escrita.",
            expected=expected,
        )
    return curp


def _curp_shape(curp: str) -> None:
    if not curp:
        _fail("curp", "empty", "La CURP está vacía.")
    if "Ñ" in curp:
        # RENAPO writes Ñ as X; Ñ (24) and X (34) weigh the same mod 10, so the check digit
        # would not catch the slip.
        _fail("curp", "characters", "La CURP no lleva Ñ: RENAPO la escribe como X.")
    bad = _unexpected(curp, _CURP_CHARACTERS)
    if bad:
        _fail("curp", "characters", f"La CURP solo lleva letras sin acento y números; sobra {bad}.")
    if len(curp) != 18:
        _fail("curp", "length", f"La CURP debe tener 18 caracteres; tiene {len(curp)}.")


def _curp_parts(curp: str) -> None:
    if not curp[:4].isalpha():
        _fail(
            "curp",
            "structure",
            "Los caracteres 1 a 4 de la CURP deben ser letras (iniciales "
            f"de los apellidos y el nombre); se encontró «{curp[:4]}».",
        )
    if not curp[4:10].isdigit():
        _fail(
            "curp",
            "structure",
            "Los caracteres 5 a 10 de la CURP deben ser la fecha de "
            f"nacimiento en números (AAMMDD); se encontró «{curp[4:10]}».",
        )
    if curp[10] not in "HMX":
        _fail(
            "curp",
            "sex",
            "El carácter 11 de la CURP indica el sexo y debe ser H, M o X; "
            f"se encontró «{curp[10]}».",
        )
    if curp[11:13] not in CURP_STATES:
        _fail(
            "curp",
            "state",
            f"La entidad de nacimiento «{curp[11:13]}» de la CURP no existe; "
            "debe ser la clave de dos letras de la entidad, o NE si nació "
            "en el extranjero.",
        )
    if not _CONSONANTS.fullmatch(curp[13:16]):
        _fail(
            "curp",
            "structure",
            "Los caracteres 14 a 16 de la CURP deben ser consonantes de "
            f"los apellidos y el nombre; se encontró «{curp[13:16]}».",
        )


def _curp_birth_date(curp: str) -> date:
    # Character 17 tells the century: a digit for births up to 1999, a letter from 2000 on.
    century = 1900 if curp[16].isdigit() else 2000
    try:
        return date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        _fail(
            "curp",
            "date",
            f"La fecha {curp[4:10]} de la CURP no existe "
            f"(se lee como AAMMDD, año {century + int(curp[4:6])}).",
        )


def validate_rfc(value: str, *, check_digit: bool = True) -> str:
    """The normalised RFC of a persona física (13) or moral (12), or InvalidInput."""
    rfc = normalize_rfc(value)
    if rfc in GENERIC_RFCS:
        return rfc
    _rfc_shape(rfc)
    name_length = len(rfc) - 9
    _rfc_parts(rfc, name_length)
    expected = rfc_check_digit(rfc[:-1])
    if check_digit and rfc[-1] != expected:
        _fail(
            "rfc",
            "check_digit",
            "El dígito verificador del RFC no corresponde: se esperaba "
            f"{expected}. Revise que esté bien escrito.",
            expected=expected,
        )
    return rfc


def _rfc_shape(rfc: str) -> None:
    if not rfc:
        _fail("rfc", "empty", "El RFC está vacío.")
    bad = _unexpected(rfc, _RFC_CHARACTERS)
    if bad:
        _fail(
            "rfc",
            "characters",
            f"El RFC solo lleva letras (incluidas Ñ y &) y números; sobra {bad}.",
        )
    if len(rfc) not in (12, 13):
        _fail(
            "rfc",
            "length",
            "El RFC debe tener 13 caracteres (persona física) o 12 (persona "
            f"moral); tiene {len(rfc)}.",
        )


def _rfc_parts(rfc: str, name_length: int) -> None:
    kind = "física" if name_length == 4 else "moral"
    name, digits, homoclave = rfc[:name_length], rfc[name_length:-3], rfc[-3:-1]
    if not _RFC_NAME.fullmatch(name):
        _fail(
            "rfc",
            "structure",
            f"Los primeros {name_length} caracteres del RFC de una persona "
            f"{kind} deben ser letras; se encontró «{name}».",
        )
    if not digits.isdigit():
        _fail(
            "rfc",
            "structure",
            f"Los caracteres {name_length + 1} a {name_length + 6} del RFC "
            f"deben ser una fecha en números (AAMMDD); se encontró «{digits}».",
        )
    try:
        # The century is not written; 20YY exists whenever 19YY does (2000 was a leap year).
        date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        _fail("rfc", "date", f"La fecha {digits} del RFC no existe (se lee como AAMMDD).")
    if "Ñ" in homoclave or "&" in homoclave:
        _fail(
            "rfc",
            "structure",
            f"La homoclave del RFC («{homoclave}») solo lleva letras sin Ñ y números.",
        )
    if rfc[-1] not in "0123456789A":
        _fail(
            "rfc",
            "check_digit",
            "El último carácter del RFC es el dígito verificador y debe "
            f"ser un número o la letra A; se encontró «{rfc[-1]}».",
        )


def rfc_kind(rfc: str) -> str:
    """``"fisica"`` for 13 characters, ``"moral"`` for 12 (SAT's generic RFCs count as física)."""
    normalised = normalize_rfc(rfc)
    if len(normalised) == 13:
        return "fisica"
    if len(normalised) == 12:
        return "moral"
    raise InvalidInput(
        f"El RFC debe tener 12 o 13 caracteres; tiene {len(normalised)}.",
        field="rfc",
        problem="length",
    )


def is_generic_rfc(rfc: str) -> bool:
    """Whether this is SAT's RFC for the general public or for foreigners."""
    return normalize_rfc(rfc) in GENERIC_RFCS


def _unexpected(value: str, allowed: re.Pattern[str]) -> str:
    """The characters outside ``allowed``, quoted for a message ('' when there are none)."""
    if allowed.fullmatch(value):
        return ""
    extra = dict.fromkeys(char for char in value if not allowed.fullmatch(char))
    return ", ".join(f"«{char}»" for char in extra)


def _fail(field: str, problem: str, message: str, **details: str) -> NoReturn:
    raise InvalidInput(message, field=field, problem=problem, **details)
