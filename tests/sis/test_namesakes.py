"""With more namesakes than the candidate query keeps, the person whose date of birth is
asked for is still among the candidates, and the same query always gives the same answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from granica.auth.principal import Principal
from granica.sis import search, service
from granica.storage import Database

pytestmark = pytest.mark.db

NAMESAKES = 150  # more than search.MAX_CANDIDATES, all sharing every name key


def test_alerts_namesakes_beyond_the_candidate_limit(database: Database, sirene: Principal,
                                                      guard: Principal) -> None:
    assert NAMESAKES > search.MAX_CANDIDATES
    born = [dt.date(1985, 1, 1) + dt.timedelta(days=i) for i in range(NAMESAKES)]
    lines = [json.dumps({
        "schengen_id": f"RS{i:016d}", "issuing_country": "RS", "category": "refusal_of_entry",
        "data": {"surname": "Petrović", "forenames": "Marko", "sex": "M",
                 "date_of_birth": day.isoformat(), "nationalities": ["RS"], "reason": "test",
                 "issuing_authority": "test authority"}}) for i, day in enumerate(born)]
    with database.session() as s:
        assert service.import_alerts(s, sirene, lines, purpose="namesakes").imported == NAMESAKES
    with database.session() as s:
        dob_of = {str(a): str(d) for a, d in s.execute(sa.text("SELECT id, date_of_birth FROM sis_alert"))}
    # the alerts a tie broken by id (or not at all) would cut first
    last = sorted(dob_of)[-(NAMESAKES - search.MAX_CANDIDATES):]
    for alert_id in last[::10]:
        with database.session() as s:
            found = search.search_person(s, guard, name="Marko Petrović",
                                         date_of_birth=dob_of[alert_id], purpose="border check")
        assert found and found[0]["alert_id"] == alert_id, dob_of[alert_id]
    with database.session() as s:
        first = search.search_person(s, guard, name="Марко Петровић", purpose="check", limit=50)
        again = search.search_person(s, guard, name="Марко Петровић", purpose="check", limit=50)
    assert [r["alert_id"] for r in first] == [r["alert_id"] for r in again]
    assert len(first) == 50
