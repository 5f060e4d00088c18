"""Fixtures of the border tests: principals, a crossing point, MRZs and alerts entered through sis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from granica import clock
from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal, system_principal
from granica.border import service, sources
from granica.documents import generate_mrz
from granica.storage import Database

BCP = "RS-BATROVCI"


def principal(username: str, *roles: str, agency: str = "BORDER_POLICE") -> Principal:
    return Principal(user_id=f"u-{username}", username=username, agency=agency,
                     roles=frozenset(roles), permissions=permissions_of(roles))


GUARD = principal("guard1", "border_guard")
SUPERVISOR = principal("super1", "border_supervisor")
OFFICER = principal("officer1", "police_officer", agency="CRIMINAL_POLICE")
VALIDATOR = principal("validator1", "police_validator", agency="CRIMINAL_POLICE")
SYSTEM = system_principal("border tests")


def td3(surname: str, given: str, number: str, nationality: str, birth: str, expiry: str,
        sex: str = "M", issuing: str | None = None) -> str:
    """A TD3 passport MRZ (dates as YYMMDD) with right check digits."""
    return generate_mrz("TD3", {
        "document_code": "P", "issuing_state": issuing or nationality, "surname": surname,
        "given_names": given, "document_number": number, "nationality": nationality,
        "birth_date": birth, "sex": sex, "expiry_date": expiry, "optional_data": "",
    })


def future_expiry(years: int = 5) -> str:
    return (clock.today() + dt.timedelta(days=365 * years)).strftime("%y%m%d")


@pytest.fixture(autouse=True)
def _default_sources() -> Iterator[None]:
    yield
    sources.set_sources(None)
    sources.set_sltd_client(sources.LocalSltdClient())


@pytest.fixture
def border_db(database: Database) -> Database:
    """The test database with one crossing point and its lanes."""
    with database.session() as s:
        service.add_crossing_point(s, SUPERVISOR, code=BCP, name="Batrovci", kind="road",
                                   neighbour="HRV", lanes=[("E1", "entry", "all"),
                                                           ("X1", "exit", "all")],
                                   purpose="reference data")
    return database


def enter_alert(db: Database, category: str, data: dict[str, Any]) -> str:
    """Enter an alert as an officer and validate it as a second user (four eyes)."""
    from granica.sis import service as sis

    with db.session() as s:
        view = sis.create_alert(s, OFFICER, {"category": category, "data": data},
                                purpose="test alert")
    with db.session() as s:
        sis.validate_alert(s, VALIDATOR, view["alert_id"], purpose="test alert")
    return str(view["alert_id"])
