"""Fixtures for the API and page tests: an app on the `database` fixture with two users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from granica.storage import Database

GUARD = ("marko.guard", "Correct-Horse-Battery-7")
ADMIN = ("ana.admin", "Staple-Lantern-Orbit-42")


@dataclass
class Seeded:
    database: Database
    token: str  # a bearer token of the guard


def seed_users(database: Database) -> Seeded:
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    actor = system_principal("test set-up")
    with database.session() as s:
        auth.create_user(s, actor, username=GUARD[0], password=GUARD[1], agency="BORDER_POLICE",
                         roles=["border_guard"], display_name="Marko Marković")
        auth.create_user(s, actor, username=ADMIN[0], password=ADMIN[1], agency="SYSADMIN",
                         roles=["sysadmin"], display_name="Ana Adminović")
        token = auth.issue_token(s, actor, GUARD[0], name="kiosk 1")
    return Seeded(database, token)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its production cost takes most of a second per hash on a shared CI machine;
    these tests are about the pages, so they hash with the same algorithm at minimal cost."""
    from argon2 import PasswordHasher, Type

    from granica.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def seeded(database: Database) -> Seeded:
    return seed_users(database)


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    from granica.api.app import create_app

    with TestClient(create_app(seeded.database), follow_redirects=False) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page puts in its forms (read from the page, as a browser would)."""
    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str, next_url: str = "/") -> str:
    token = csrf_of(client)
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token, "next": next_url})
    assert r.status_code == 303, r.text
    return str(r.headers["location"])
