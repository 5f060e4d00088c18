"""Fixtures of the cooperation tests: officers of four agencies and two crossing points."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from granica import clock
from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal
from granica.storage import Database

BCP = "RS-BATROVCI"
OTHER_BCP = "RS-HORGOS"


def officer(username: str, agency: str, *roles: str, station: str | None = None) -> Principal:
    return Principal(user_id=f"u-{username}", username=username, agency=agency,
                     roles=frozenset(roles), permissions=permissions_of(roles), station=station)


CUSTOMS = officer("carinik", "CUSTOMS", "customs_officer", station=BCP)
GUARD = officer("granicar", "BORDER_POLICE", "border_guard", station=BCP)
SUPERVISOR = officer("nadzornik", "BORDER_POLICE", "border_supervisor", station=BCP)
VET = officer("veterinar", "VETERINARY", "inspector")
ANALYST = officer("analiticar", "RISK_ANALYSIS", "risk_analyst")
ASYLUM = officer("azil", "ASYLUM_OFFICE", "asylum_officer")


@pytest.fixture
def coop_db(database: Database) -> Database:
    from granica.border import service as border

    with database.session() as s:
        for code, name in ((BCP, "Batrovci"), (OTHER_BCP, "Horgoš")):
            border.add_crossing_point(s, SUPERVISOR, code=code, name=name, kind="road",
                                      neighbour="HRV", lanes=[("E1", "entry", "all")],
                                      purpose="reference data")
    return database


def seizure(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "occurred_at": (clock.now() - dt.timedelta(hours=2)).isoformat(),
        "bcp": BCP,
        "goods": [{"category": "cigarettes", "quantity": 120000, "hs_code": "240220"}],
        "vehicle_plate": "BG 1234 AB", "vehicle_country": "BG", "carrier": "Trans Balkan d.o.o.",
        "origin": "TR", "destination": "DE", "transport_mode": "lorry",
        "concealment": "false floor of the trailer",
    }
    base.update(over)
    return base
