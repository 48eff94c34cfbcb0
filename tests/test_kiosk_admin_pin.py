from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.admin_pin import (
    LOCK_MINUTES,
    MAX_FAILURES,
    AdminPin,
    PinCheck,
    PinError,
    PinLocked,
)
from mailroom.errors import OficialiaError

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("America/Mexico_City")
GOOD = "482915"
WRONG = "000001"


class Clock:
    """Now, moved by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 10, 14, 20, 0, tzinfo=ZONE)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pin(tmp_path: Path, clock: Clock) -> AdminPin:
    admin_pin = AdminPin(tmp_path, clock=clock)
    admin_pin.set(GOOD)
    return admin_pin


def _lock_out(admin_pin: AdminPin) -> PinCheck:
    result = None
    for _ in range(MAX_FAILURES):
        result = admin_pin.check(WRONG)
    assert result is not None
    return result


def test_the_right_pin_opens_and_a_wrong_one_does_not(tmp_path: Path, clock: Clock) -> None:
    admin_pin = AdminPin(tmp_path, clock=clock)
    assert not admin_pin.is_set()
    admin_pin.set(GOOD)
    assert admin_pin.is_set()
    assert admin_pin.check(GOOD) == PinCheck(True, MAX_FAILURES, None, "")
    wrong = admin_pin.check(WRONG)
    assert not wrong.ok
    assert wrong.message == "PIN incorrecto. Le quedan 4 intentos."


def test_no_pin_set_refuses_every_pin(tmp_path: Path, clock: Clock) -> None:
    result = AdminPin(tmp_path, clock=clock).check(GOOD)
    assert not result.ok
    assert "no tiene PIN" in result.message and "oficialia kiosk pin" in result.message


def test_wrong_pins_count_down_and_a_success_resets_the_count(pin: AdminPin) -> None:
    assert [pin.check(WRONG).attempts_left for _ in range(3)] == [4, 3, 2]
    assert pin.check(GOOD).ok
    assert pin.check(WRONG).attempts_left == 4
    assert pin.check(WRONG).attempts_left == 3
    pin.check(WRONG)
    last = pin.check(WRONG)
    assert last.message == "PIN incorrecto. Le queda 1 intento."


def test_five_wrong_pins_lock_even_the_right_one_out(pin: AdminPin, clock: Clock) -> None:
    locked = _lock_out(pin)
    until = clock.now + timedelta(minutes=LOCK_MINUTES)
    assert not locked.ok and locked.attempts_left == 0
    assert locked.locked_until == until
    assert locked.message == (
        "Demasiados intentos. El acceso de administración queda bloqueado hasta las 14:35."
    )
    assert pin.locked_until() == until
    refused = pin.check(GOOD)
    assert not refused.ok
    assert refused.locked_until == until
    assert "bloqueado hasta las 14:35" in refused.message


def test_the_lock_ends_after_fifteen_minutes(pin: AdminPin, clock: Clock) -> None:
    _lock_out(pin)
    clock.advance(minutes=LOCK_MINUTES - 1)
    assert not pin.check(GOOD).ok
    clock.advance(minutes=1, seconds=1)
    assert pin.locked_until() is None
    # After a lock the count starts again from zero, not from the five that caused it.
    assert pin.check(WRONG).attempts_left == MAX_FAILURES - 1
    assert pin.check(GOOD).ok


def test_the_lock_survives_a_new_instance(pin: AdminPin, tmp_path: Path, clock: Clock) -> None:
    _lock_out(pin)
    again = AdminPin(tmp_path, clock=clock)
    assert again.locked_until() == clock.now + timedelta(minutes=LOCK_MINUTES)
    assert not again.check(GOOD).ok


def _check_in_another_process(data_dir: Path, typed: str) -> dict[str, object]:
    code = (
        "import json, sys; from pathlib import Path; from kiosk.admin_pin import AdminPin;"
        "r = AdminPin(Path(sys.argv[1])).check(sys.argv[2]);"
        "print(json.dumps({'ok': r.ok, 'left': r.attempts_left, 'locked': r.locked_until is not"
        " None, 'message': r.message}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), typed],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_the_count_and_the_lock_are_shared_between_processes(tmp_path: Path) -> None:
    real_clock = Clock(datetime.now(ZONE))  # the other process uses the real time
    admin_pin = AdminPin(tmp_path, clock=real_clock)
    admin_pin.set(GOOD)
    assert admin_pin.check(WRONG).attempts_left == 4
    assert _check_in_another_process(tmp_path, WRONG)["left"] == 3
    assert admin_pin.check(WRONG).attempts_left == 2
    admin_pin.check(WRONG)
    assert admin_pin.check(WRONG).locked_until is not None
    other = _check_in_another_process(tmp_path, GOOD)
    assert other["ok"] is False and other["locked"] is True
    assert str(other["message"]).startswith("Demasiados intentos.")


def test_checks_at_the_same_time_lose_no_failure(tmp_path: Path, clock: Clock) -> None:
    AdminPin(tmp_path, clock=clock).set(GOOD)
    threads = [
        threading.Thread(target=AdminPin(tmp_path, clock=clock).check, args=(WRONG,))
        for _ in range(MAX_FAILURES - 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AdminPin(tmp_path, clock=clock).check(WRONG).locked_until is not None


@pytest.mark.parametrize(
    "trivial", ["111111", "000000", "123456", "654321", "012345", "890123", "121212", "123123"]
)
def test_a_trivial_pin_is_refused(tmp_path: Path, trivial: str) -> None:
    with pytest.raises(PinError) as raised:
        AdminPin(tmp_path).set(trivial)
    assert "demasiado fácil de adivinar" in raised.value.message
    assert not AdminPin(tmp_path).is_set()


@pytest.mark.parametrize(
    "bad", ["12345", "1234567", "12a456", " 48291", "４８２９１５", "٤٨٢٩١٥", ""]
)
def test_a_pin_that_is_not_six_digits_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PinError) as raised:
        AdminPin(tmp_path).set(bad)
    assert raised.value.message == "El PIN debe tener exactamente 6 dígitos (del 0 al 9)."
    assert isinstance(raised.value, OficialiaError)


def test_a_malformed_guess_counts_as_a_wrong_one(pin: AdminPin) -> None:
    assert pin.check("48291").attempts_left == 4
    assert pin.check("x" * 10_000).attempts_left == 3


def test_the_file_holds_an_argon2id_hash_and_not_the_pin(pin: AdminPin) -> None:
    text = pin.hash_path.read_text(encoding="utf-8")
    assert json.loads(text)["hash"].startswith("$argon2id$")
    assert GOOD not in text
    assert pin.hash_path == pin.folder / "admin-pin.json"
    assert pin.folder.name == "kiosk"


def test_setting_the_pin_again_lifts_the_lock(pin: AdminPin) -> None:
    _lock_out(pin)
    pin.set("730461")
    assert pin.locked_until() is None
    assert pin.check("730461").ok
    assert not pin.check(GOOD).ok


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"failures": -1, "locked_until": null}',
        b'{"failures": "2", "locked_until": null}',
        b'{"failures": true, "locked_until": null}',
        b'{"failures": 0, "locked_until": "tomorrow"}',
        b'{"failures": 0, "locked_until": 1e308}',
        b"[" * 3000,
        b" " * 10_000,
    ],
)
def test_a_damaged_failures_record_keeps_the_screen_locked(pin: AdminPin, content: bytes) -> None:
    pin.failures_path.write_bytes(content)
    refused = pin.check(GOOD)
    assert not refused.ok and refused.attempts_left == 0
    assert "dañado" in refused.message and "oficialia kiosk pin" in refused.message
    pin.set("730461")  # what the message tells staff to do
    assert pin.check("730461").ok


@pytest.mark.parametrize(
    "content",
    [
        b"garbage",
        b'{"hash": 12}',
        b'{"hash": "482915"}',
        b'{"hash": "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"}',
        b'{"hash": "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"}',
        b'{"hash": "$argon2id$v=19$m=65536,t=3,p=4$!!!$???"}',
    ],
)
def test_a_damaged_hash_counts_as_no_pin(pin: AdminPin, content: bytes) -> None:
    pin.hash_path.write_bytes(content)
    assert not pin.is_set()
    refused = pin.check(GOOD)
    assert not refused.ok
    assert "no tiene PIN" in refused.message


def test_a_clock_set_back_does_not_stretch_the_lock(pin: AdminPin, clock: Clock) -> None:
    _lock_out(pin)
    clock.advance(days=-2)  # a kiosk without a clock battery boots in the past
    assert pin.locked_until() == clock.now + timedelta(minutes=LOCK_MINUTES)
    assert not pin.check(GOOD).ok
    clock.advance(minutes=LOCK_MINUTES, seconds=1)
    assert pin.check(GOOD).ok


def test_pin_locked_says_until_when(clock: Clock) -> None:
    error = PinLocked(clock.now)
    assert error.until == clock.now
    assert error.message.endswith("bloqueado hasta las 14:20.")
    assert isinstance(error, PinError)


def test_an_unwritable_folder_is_a_spanish_storage_error(tmp_path: Path) -> None:
    (tmp_path / "kiosk").write_text("a file where the folder should be")
    with pytest.raises(OficialiaError) as raised:
        AdminPin(tmp_path).set(GOOD)
    assert "No se pudo guardar el PIN" in raised.value.message
