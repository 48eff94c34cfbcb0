"""The kiosk's session state machine, without Qt: screens, steps, answers, idle and wipe."""

from __future__ import annotations

import pytest

from kiosk.session import (
    FILING_STEPS,
    Identity,
    IdleAction,
    KioskSession,
    Receipt,
    Screen,
    Timing,
    Topic,
    WipeReason,
    checked_curp,
)
from mailroom.errors import InvalidInput
from mailroom.identifiers import curp_check_digit

VALID_CURP = "GODE561231HDFRRN0" + curp_check_digit("GODE561231HDFRRN0")


def walk_to_review(session: KioskSession, now: float = 0.0) -> None:
    session.start_filing(now)
    session.accept_privacy("a" * 64, now)
    session.give_identity(Identity(name="  María   Pérez  ", curp=VALID_CURP.lower()), now)
    session.give_topic(Topic(subject="Solicitud de poda", unsure=True), now)
    session.pages_changed(3, now)
    session.document_done(now)
    session.confirm_fojas(3, now)


def test_the_filing_steps_in_order_with_the_indicator() -> None:
    session = KioskSession()
    assert session.step is None
    session.start_filing(0)
    seen = [session.step]
    session.accept_privacy("v1", 0)
    seen.append(session.step)
    session.give_identity(Identity(name="Ana Ruiz"), 0)
    session.give_topic(Topic(subject="Permiso de obra", department="Obras Públicas"), 0)
    session.pages_changed(2, 0)
    session.document_done(0)
    session.confirm_fojas(2, 0)
    seen.append(session.step)
    assert seen == [(1, 6), (2, 6), (6, 6)]
    assert session.screen is Screen.REVIEW
    assert session.answers.identity.name == "Ana Ruiz"
    assert session.answers.fojas == 2


def test_answers_are_tidied() -> None:
    session = KioskSession()
    walk_to_review(session)
    assert session.answers.identity.name == "María Pérez"
    assert session.answers.identity.curp == VALID_CURP
    assert session.answers.privacy_version == "a" * 64


def test_back_walks_the_steps_and_from_the_first_one_wipes() -> None:
    session = KioskSession()
    wiped: list[WipeReason] = []
    session.on_wipe(wiped.append)
    walk_to_review(session)
    for expected in reversed(FILING_STEPS[:-1]):
        session.back(1)
        assert session.screen is expected
    assert session.answers.identity.name == "María Pérez"  # going back keeps the answers
    session.back(1)
    assert session.screen is Screen.WELCOME
    assert wiped == [WipeReason.CANCELLED]
    assert session.answers.identity.name == ""


def test_cancel_forgets_everything_and_counts_the_next_citizen() -> None:
    session = KioskSession()
    walk_to_review(session)
    number = session.number
    session.cancel()
    assert session.screen is Screen.WELCOME
    assert session.answers.identity.name == "" and session.answers.pages == 0
    assert session.number == number + 1


def test_the_privacy_notice_must_be_accepted_before_any_data() -> None:
    session = KioskSession()
    session.start_filing(0)
    with pytest.raises(InvalidInput):
        session.give_identity(Identity(name="Ana Ruiz"), 0)
    with pytest.raises(InvalidInput):
        session.accept_privacy("", 0)
    assert session.screen is Screen.PRIVACY


@pytest.mark.parametrize(
    ("identity", "field", "words"),
    [
        (Identity(name=""), "name", "nombre completo"),
        (Identity(name="Ana Ruiz", curp="GODE561231"), "curp", "18 letras"),
        (
            Identity(
                name="Ana Ruiz",
                curp=VALID_CURP[:-1] + "9" if VALID_CURP[-1] != "9" else VALID_CURP[:-1] + "8",
            ),
            "curp",
            "no coincide",
        ),
        (Identity(name="Ana Ruiz", email="ana@"), "email", "correo"),
        (Identity(name="Ana Ruiz", phone="55 12"), "phone", "10 números"),
    ],
)
def test_identity_problems_in_plain_words(identity: Identity, field: str, words: str) -> None:
    session = KioskSession()
    session.start_filing(0)
    session.accept_privacy("v1", 0)
    with pytest.raises(InvalidInput) as caught:
        session.give_identity(identity, 0)
    assert caught.value.details["field"] == field
    assert words in caught.value.message
    assert session.screen is Screen.IDENTITY


def test_curp_message_explains_the_check_digit_without_jargon() -> None:
    wrong = VALID_CURP[:-1] + str((int(VALID_CURP[-1]) + 1) % 10)
    with pytest.raises(InvalidInput) as caught:
        checked_curp(wrong)
    assert "comprobarla" in caught.value.message
    assert "verificador" not in caught.value.message


def test_topic_needs_a_destination_or_no_se() -> None:
    session = KioskSession()
    session.start_filing(0)
    session.accept_privacy("v1", 0)
    session.give_identity(Identity(name="Ana Ruiz"), 0)
    with pytest.raises(InvalidInput) as caught:
        session.give_topic(Topic(subject="Queja por bache"), 0)
    assert "No sé" in caught.value.message
    session.give_topic(Topic(subject="Queja por bache", unsure=True), 0)
    assert session.screen is Screen.DOCUMENT


def test_pages_needed_and_limited() -> None:
    session = KioskSession(max_pages=5)
    session.start_filing(0)
    session.accept_privacy("v1", 0)
    session.give_identity(Identity(name="Ana Ruiz"), 0)
    session.give_topic(Topic(subject="Queja", unsure=True), 0)
    with pytest.raises(InvalidInput) as caught:
        session.document_done(0)
    assert "Digitalizar" in caught.value.message
    session.pages_changed(6, 0)
    with pytest.raises(InvalidInput) as caught:
        session.document_done(0)
    assert "ventanilla" in caught.value.message
    session.pages_changed(5, 0)
    session.document_done(0)
    with pytest.raises(InvalidInput):
        session.confirm_fojas(0, 0)
    session.confirm_fojas(5, 0)
    assert session.screen is Screen.REVIEW


def test_idle_warns_then_wipes() -> None:
    session = KioskSession(timing=Timing(idle_seconds=90, warning_seconds=30))
    wiped: list[WipeReason] = []
    session.on_wipe(wiped.append)
    session.start_filing(100)
    assert session.tick(189) is IdleAction.NONE
    assert session.tick(190) is IdleAction.WARN
    assert session.warning
    assert session.seconds_left(200) == 20
    assert session.tick(219) is IdleAction.NONE
    assert session.tick(220) is IdleAction.WIPE
    assert wiped == [WipeReason.IDLE]
    assert session.screen is Screen.WELCOME and not session.warning


def test_a_touch_answers_the_warning() -> None:
    session = KioskSession(timing=Timing(idle_seconds=10, warning_seconds=5))
    session.start_filing(0)
    assert session.tick(10) is IdleAction.WARN
    session.touch(12)
    assert not session.warning
    assert session.tick(16) is IdleAction.NONE
    assert session.tick(22) is IdleAction.WARN


def test_the_welcome_screen_never_times_out() -> None:
    session = KioskSession(timing=Timing(idle_seconds=1, warning_seconds=1))
    assert session.tick(1000) is IdleAction.NONE


def test_the_done_screen_returns_to_welcome_by_itself() -> None:
    session = KioskSession(timing=Timing(done_seconds=20))
    wiped: list[WipeReason] = []
    session.on_wipe(wiped.append)
    walk_to_review(session)
    session.registered(Receipt("OPM-2026-K01-000001", "AAAA-BBBB", "https://x", True), 50)
    assert session.screen is Screen.DONE and session.step is None
    assert session.tick(69) is IdleAction.NONE
    assert session.tick(70) is IdleAction.WIPE
    assert wiped == [WipeReason.FINISHED]
    assert session.receipt is None


def test_a_failing_wipe_listener_does_not_stop_the_others() -> None:
    session = KioskSession()
    ran: list[str] = []

    def broken(reason: WipeReason) -> None:
        raise OSError("disco")

    session.on_wipe(broken)
    session.on_wipe(lambda reason: ran.append(reason.value))
    walk_to_review(session)
    with pytest.raises(OSError):
        session.cancel()
    assert ran == ["cancelado"]
    assert session.screen is Screen.WELCOME


def test_lookup_steps() -> None:
    session = KioskSession()
    session.start_lookup(0)
    assert session.step == (1, 2)
    session.looked_up(0)
    assert session.screen is Screen.LOOKUP_RESULT
    session.back(0)
    assert session.screen is Screen.LOOKUP


def test_a_stale_tap_on_a_screen_no_longer_shown_is_refused() -> None:
    session = KioskSession()
    walk_to_review(session)
    with pytest.raises(InvalidInput):
        session.accept_privacy("v2", 0)
    assert session.answers.privacy_version == "a" * 64
