"""Demo reference data for the border screens: crossing points with lanes, a day shift, and a
few stolen passports in the local SLTD stand-in (what a guard needs to try the lane page)."""

from __future__ import annotations

import datetime as dt

from granica import clock
from granica.auth.principal import system_principal
from granica.border import service
from granica.storage import Database

# (code, name, kind, neighbour ICAO code, lanes as (code, direction, kind))
CROSSING_POINTS = (
    ("RS-BATROVCI", "Batrovci", "road", "HRV",
     (("E1", "entry", "all"), ("E2", "entry", "tcn"), ("X1", "exit", "all"))),
    ("RS-HORGOS", "Horgoš", "road", "HUN",
     (("E1", "entry", "all"), ("EG1", "entry", "egate"), ("X1", "exit", "all"))),
    ("RS-PRESEVO", "Preševo", "road", "MKD", (("E1", "entry", "all"), ("X1", "exit", "all"))),
    ("RS-BEG", "Beograd Nikola Tesla airport", "air", None,
     (("A1", "entry", "all"), ("A2", "exit", "all"), ("K1", "entry", "kiosk"))),
)

# Demo numbers of "stolen" and "lost" passports; a guard scanning one gets an SLTD hit.
SLTD = (("SLTD00001", "UKR", "stolen"), ("SLTD00002", "TUR", "lost"),
        ("SLTD00003", "USA", "stolen"))


def seed_demo_border(db: Database) -> int:
    """Add the crossing points (and their shifts and SLTD records) not there yet."""
    who = system_principal("demo set-up")
    added = 0
    with db.session() as s:
        have = {p.code for p, _ in service.list_crossing_points(s)}
    for code, name, kind, neighbour, lanes in CROSSING_POINTS:
        if code in have:
            continue
        with db.session() as s:
            service.add_crossing_point(s, who, code=code, name=name, kind=kind,
                                       neighbour=neighbour, lanes=lanes, purpose="demo set-up")
            start = dt.datetime.combine(clock.today(), dt.time(6), dt.UTC)
            service.add_shift(s, who, bcp_code=code, starts_at=start,
                              ends_at=start + dt.timedelta(hours=12),
                              supervisor="border.supervisor", purpose="demo set-up")
        added += 1
    if added == len(CROSSING_POINTS):  # a fresh demo database: the SLTD stand-in is empty too
        with db.session() as s:
            service.seed_sltd(s, who, SLTD, "demo set-up")
    return added
