"""Accounts for tests: settings whose seat holds a fresh account of a given role."""

from __future__ import annotations

from dataclasses import replace

from mailroom.accounts import Accounts
from mailroom.config import Settings
from mailroom.permissions import Seat
from mailroom.store import Store

ADMIN = "admin.prueba"
PASSWORD = "cuaderno de guardia 2026"
"""Every test account's password (passes the policy; the tests never type a weak one here)."""


def administrator(store: Store, settings: Settings) -> Settings:
    """Settings seated as the store's test administrator, made the first time."""
    seated = replace(settings, seat=Seat())
    accounts = Accounts(store, seated)
    if not any(a.user_name == ADMIN for a in _all(store)):
        accounts.create(
            ADMIN, full_name="Rosa Méndez Luna", role="administrador", password=PASSWORD
        )
    seated.seat.sit(accounts.actor(accounts.get(ADMIN)))
    return seated


def seated(
    store: Store,
    settings: Settings,
    role: str,
    user: str | None = None,
    *,
    full_name: str | None = None,
    titular: bool = False,
) -> Settings:
    """Settings seated as a new account of ``role`` (named ``user``, default ``<role>.prueba``)."""
    admin = administrator(store, settings)
    accounts = Accounts(store, admin)
    name = user or f"{role}.prueba"
    if role == "administrador" and name == ADMIN:
        return admin
    account = accounts.create(
        name,
        full_name=full_name or f"Persona {role.capitalize()}",
        role=role,
        password=PASSWORD,
        titular=titular,
    )
    return replace(settings, seat=Seat(accounts.actor(account)))


def _all(store: Store) -> list[object]:
    from mailroom.accounts import _account

    return [_account(row) for row in store.reader().query("SELECT * FROM accounts")]


def admin_and_clerk(store: Store, settings: Settings) -> Accounts:
    """Rosa (administrador, seated in ``settings``) and Luis (oficial), both with ``PASSWORD``."""
    made = Accounts(store, settings)
    admin = made.create(
        "rosa.mendez", full_name="Rosa Méndez Luna", role="administrador", password=PASSWORD
    )
    settings.seat.sit(made.actor(admin))
    made.create("luis.perez", full_name="Luis Pérez Soto", role="oficial", password=PASSWORD)
    return made
