"""What makes an account password acceptable: at least ``MIN_LENGTH`` characters and not one
that people commonly choose (NIST SP 800-63B §5.1.1.2: compare against commonly used values and
context-specific words). Qt-free, no I/O but the shipped list in ``resources/passwords``.

A password is "common" when its *base* — lowercased, accents removed, and the digits and symbols
around the letters set aside — is on the shipped list, is the office's name or acronym, a word of
it, the user name or a part of the full name, or when the whole is one short unit repeated.
``Contraseña2024!``, ``Oficialia.2026`` and ``juan.perez1990`` (for Juan Pérez) are all refused.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from mailroom.errors import InvalidInput, ToolMissing
from mailroom.resources import resource_dir

__all__ = ["MIN_LENGTH", "WeakPassword", "check_password", "common_passwords"]

MIN_LENGTH = 10
LIST_FILE = "comunes.txt"
# Parts of a name shorter than this (de, la, y) are not worth refusing on their own.
MIN_WORD = 4
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SEPARATORS = re.compile(r"[\W_]+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")

TOO_SHORT = (
    "La contraseña debe tener al menos {n} caracteres. Una frase de varias palabras es más "
    "fácil de recordar y más difícil de adivinar."
)
TOO_COMMON = (
    "Esa contraseña es de las que más se usan o se adivina fácilmente (palabras como "
    "«contraseña», series como 123456, el nombre de la oficina o el de la persona, aunque lleven "
    "números o signos). Elija otra, por ejemplo una frase de varias palabras."
)


class WeakPassword(InvalidInput):
    """A password the policy refuses; the message says why and what to do."""

    code = "contrasena_debil"


def check_password(
    password: str,
    *,
    user_name: str = "",
    full_name: str = "",
    office_names: Iterable[str] = (),
) -> None:
    """Raise ``WeakPassword`` unless ``password`` meets the policy."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(TOO_SHORT.format(n=MIN_LENGTH), field="contrasena")
    if _common(password, [user_name, full_name, *office_names]):
        raise WeakPassword(TOO_COMMON, field="contrasena")


def _common(password: str, context: list[str]) -> bool:
    whole = _plain(password)
    base = _EDGES.sub("", whole)
    compact = _SEPARATORS.sub("", base)
    if _repeated(_SEPARATORS.sub("", whole)):
        return True
    if not base:  # only digits and symbols: refused when the digits are a run or a series
        return whole in common_passwords() or _digit_run(whole)
    # The letters alone catch a word with digits inside (pass2024word) or doubled (opm2026opm).
    letters = _NOT_LETTERS.sub("", whole)
    known = common_passwords() | _context_words(context)
    return any(form in known for form in (whole, base, compact, letters, _unit(letters)))


def _context_words(context: list[str]) -> set[str]:
    words: set[str] = set()
    for text in context:
        plain = _plain(text)
        joined = _SEPARATORS.sub("", plain)
        if joined:
            words.add(joined)
        parts = [p for p in _SEPARATORS.split(plain) if p]
        words.update(p for p in parts if len(p) >= MIN_WORD)
        if len(parts) > 1:
            words.add("".join(p[0] for p in parts))  # the acronym: opm, jp
            # first name with a surname, in either order: juanperez, perezjuan
            words.update(a + b for a in parts for b in parts if a != b)
    return {w for w in words if w}


def _digit_run(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not digits:
        return True  # only symbols
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return len(steps) <= 1 or any(run in digits for run in ("123456", "654321", "012345"))


def _repeated(text: str) -> bool:
    """One unit of up to four characters, repeated: aaaaaaaaaa, abcabcabcabc, 1212121212."""
    for size in range(1, 5):
        unit = text[:size]
        if len(text) >= size * 2 and (unit * len(text))[: len(text)] == text:
            return True
    return False


def _unit(text: str) -> str:
    """The shortest piece that ``text`` is a repetition of (``text`` itself when none)."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def common_passwords() -> frozenset[str]:
    path = resource_dir("passwords") / LIST_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        # Without the list every password would pass: refuse to set any instead.
        raise ToolMissing(
            f"No se pudo leer la lista de contraseñas comunes ({path}: {error}). La instalación "
            "está incompleta; vuelva a instalar Oficialía.",
            path=str(path),
        ) from error
    return frozenset(
        _plain(line.strip()) for line in lines if line.strip() and not line.startswith("#")
    )
