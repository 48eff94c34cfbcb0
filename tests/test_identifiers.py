from __future__ import annotations

import pytest

from mailroom.errors import InvalidInput
from mailroom.identifiers import (
    curp_check_digit,
    is_generic_rfc,
    normalize_curp,
    normalize_rfc,
    rfc_check_digit,
    rfc_kind,
    validate_curp,
    validate_rfc,
)

# Published examples with correct check digits (python-stdnum's and phpcfdi/rfc's test lists):
# they pin the algorithms, independently of the values computed below.
REAL_CURPS = [
    "BEML920313HMCLNS09",
    "HEGG560427MVZRRL04",
    "PEGL890909MJCRMS08",
    "AAMG890608HDFLJL00",
    "MESJ890928HMNZNS00",
    "BOXW310820HNERXN09",
]
REAL_RFCS = [
    "GODE561231GR8",
    "CAMA911215CJ0",
    "COSC8001137NA",
    "SORC591116FJ6",  # física
    "DIM8701081LA",
    "A&A050908GT0",
    "SAT970701NN3",
    "AÑÑ801231JK0",  # moral
    "MUÑ110218LJ6",
    "&&&030828PX7",
    "AP&0305026J9",
    "YAT000229588",
]


def problem(error: pytest.ExceptionInfo[InvalidInput]) -> str:
    return error.value.details["problem"]


@pytest.mark.parametrize("curp", REAL_CURPS)
def test_published_curps_validate(curp: str) -> None:
    assert validate_curp(curp) == curp
    assert curp_check_digit(curp[:17]) == curp[17]


@pytest.mark.parametrize("rfc", REAL_RFCS)
def test_published_rfcs_validate(rfc: str) -> None:
    assert validate_rfc(rfc) == rfc
    assert rfc_check_digit(rfc[:-1]) == rfc[-1]


def test_sat_test_efirma_identities_pass_only_without_the_check_digit() -> None:
    # SAT's test CURP and company RFC do not follow the check-digit rules (the representative's
    # RFC does). They come from a certificate, whose issuer vouches for them: check_digit=False.
    assert validate_rfc("HEGT7610034S2") == "HEGT7610034S2"
    assert curp_check_digit("HEGT761003MDFRNN0") == "7"
    assert rfc_check_digit("AAA010101AA") == "1"
    with pytest.raises(InvalidInput, match="se esperaba 7"):
        validate_curp("HEGT761003MDFRNN09")
    with pytest.raises(InvalidInput, match="se esperaba 1"):
        validate_rfc("AAA010101AAA")
    assert validate_curp("HEGT761003MDFRNN09", check_digit=False) == "HEGT761003MDFRNN09"
    assert validate_rfc("AAA010101AAA", check_digit=False) == "AAA010101AAA"


def test_generic_rfcs_are_accepted() -> None:
    assert validate_rfc("XAXX010101000") == "XAXX010101000"
    assert validate_rfc(" xexx010101000 ") == "XEXX010101000"
    assert is_generic_rfc("XAXX010101000")
    assert not is_generic_rfc("GODE561231GR8")


def test_computed_values_round_trip() -> None:
    # Born in 2005 (letter in position 17), non-binary marker X, born abroad (NE).
    for curp in ["LOPJ050315HJCPRNA1", "PERA930101XJCRRN03", "RAMM100704MNEMRRB8"]:
        assert validate_curp(curp) == curp
    for rfc in ["ROMA850101AB8", "VECJ880326XX1"]:
        assert validate_rfc(rfc) == rfc


def test_normalisation() -> None:
    assert normalize_curp("  hegt761003mdfrnn09\n") == "HEGT761003MDFRNN09"
    assert normalize_rfc("gode-561231-gr8") == "GODE561231GR8"
    assert validate_rfc("GODE 561231 GR8") == "GODE561231GR8"
    # Ñ typed as N + combining tilde is the same letter.
    assert validate_rfc("mun\u0303110218lj6") == "MUÑ110218LJ6"


def test_rfc_kind() -> None:
    assert rfc_kind("GODE561231GR8") == "fisica"
    assert rfc_kind("sat970701nn3") == "moral"
    assert rfc_kind("XAXX010101000") == "fisica"
    with pytest.raises(InvalidInput, match="12 o 13 caracteres"):
        rfc_kind("ABC")


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("", "empty", "La CURP está vacía."),
        ("HEGT761003MDFRNN0", "length", "La CURP debe tener 18 caracteres; tiene 17."),
        ("HEGT761003MDFRNN09X", "length", "tiene 19"),
        ("HÉGT761003MDFRNN09", "characters", "sobra «É»"),
        ("HEGT761003MDFR😀09", "characters", "sobra «😀»"),
        ("PEÑA761003MDFRNN09", "characters", "RENAPO la escribe como X"),
        ("1EGT761003MDFRNN09", "structure", "Los caracteres 1 a 4 de la CURP deben ser letras"),
        ("HEGT7610O3MDFRNN09", "structure", "se encontró «7610O3»"),
        ("HEGT761003QDFRNN09", "sex", "debe ser H, M o X; se encontró «Q»"),
        ("HEGT761003MQQRNN09", "state", "La entidad de nacimiento «QQ» de la CURP no existe"),
        ("HEGT761003MDFRAN09", "structure", "deben ser consonantes"),
        ("HEGT761332MDFRNN09", "date", "La fecha 761332 de la CURP no existe"),
        ("HEGT000229MDFRNN00", "date", "La fecha 000229 de la CURP no existe"),  # 1900: no 29 Feb
        ("HEGT901003MDFRNNA9", "date", "2090-10-03 de la CURP está en el futuro"),
        ("HEGT761003MDFRNN0A", "check_digit", "debe ser un número; se encontró «A»"),
        (
            "PEGL890909MJCRMS09",
            "check_digit",
            "El dígito verificador de la CURP no corresponde: se esperaba 8",
        ),
    ],
)
def test_bad_curps_say_what_is_wrong(value: str, kind: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_curp(value)
    assert message in str(error.value)
    assert problem(error) == kind
    assert error.value.details["field"] == "curp"


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("   ", "empty", "El RFC está vacío."),
        ("GODE561231GR", "structure", "se encontró «E56123»"),  # 12 characters: read as moral
        (
            "GODE561231GR89",
            "length",
            "13 caracteres (persona física) o 12 (persona moral); tiene 14",
        ),
        ("GODE561231GR$", "characters", "sobra «$»"),
        ("GOD3561231GR8", "structure", "Los primeros 4 caracteres del RFC de una persona física"),
        ("S4T970701NN3", "structure", "Los primeros 3 caracteres del RFC de una persona moral"),
        ("GODE5612X1GR8", "structure", "se encontró «5612X1»"),
        ("GODE561331GR8", "date", "La fecha 561331 del RFC no existe"),
        ("SAT970230NN3", "date", "La fecha 970230 del RFC no existe"),
        ("SAT970701NÑ3", "structure", "homoclave"),
        ("GODE561231GRB", "check_digit", "debe ser un número o la letra A; se encontró «B»"),
        (
            "GODE561231GR9",
            "check_digit",
            "El dígito verificador del RFC no corresponde: se esperaba 8",
        ),
    ],
)
def test_bad_rfcs_say_what_is_wrong(value: str, kind: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_rfc(value)
    assert message in str(error.value)
    assert problem(error) == kind
    assert error.value.details["field"] == "rfc"


def test_check_digit_mismatch_carries_the_expected_digit() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_rfc("GODE561231GR9")
    assert error.value.details["expected"] == "8"


def test_confirmed_rfc_with_a_wrong_check_digit_can_be_accepted() -> None:
    # Real, SAT-confirmed RFC whose check digit does not follow the algorithm (python-stdnum).
    with pytest.raises(InvalidInput):
        validate_rfc("AAC0903183F6")
    assert validate_rfc("AAC0903183F6", check_digit=False) == "AAC0903183F6"
    # Everything else is still checked.
    with pytest.raises(InvalidInput, match="no existe"):
        validate_rfc("AAC0913183F6", check_digit=False)
    assert validate_curp("PEGL890909MJCRMS09", check_digit=False) == "PEGL890909MJCRMS09"


def test_x_for_non_binary_people_is_accepted() -> None:
    curp = "PERA930101XJCRRN0"
    assert validate_curp(curp + curp_check_digit(curp)) == "PERA930101XJCRRN03"
