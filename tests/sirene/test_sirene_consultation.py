"""Consultations between bureaux before a decision (form R, a placeholder letter; 1861 Arts
27-28, 1860 Art 9): the question decides the time to answer (10 or 14 calendar days), and
no answer by then counts as no objection in either direction: the silence is recorded as
the answer at the deadline with a note on the case, nothing escalates, the duty board
clears; an answer in time is an answer as usual."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.auth.principal import system_principal
from granica.errors import ValidationError
from granica.sirene import service
from granica.sirene.forms import CatalogueError, catalogue, parse_catalogue
from granica.sis import service as sis
from granica.storage import Database
from tests.sirene.conftest import OPERATOR, alert_line, form_body, receive, signed

pytestmark = [pytest.mark.db, pytest.mark.acceptance]
PURPOSE = "SIRENE test"
RS_REFUSAL = "RS0100000000000901"
HU_REFUSAL = "HU0100000000009902"
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def refusals(sirene_db: Database) -> Database:
    with sirene_db.session() as s:
        report = sis.import_alerts(s, system_principal("test"), [
            alert_line(RS_REFUSAL, "RS", "refusal_of_entry", surname="Haddad", forenames="Omar",
                       nationalities=["SY"]),
            alert_line(HU_REFUSAL, "HU", "refusal_of_entry", surname="Karimi", forenames="Ali",
                       nationalities=["AF"])], purpose="test alerts")
    assert report.imported == 2, report.to_dict()
    return sirene_db


def test_sirene_consultation_silence_counts_as_no_objection(
        refusals: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    db = refusals
    clock.freeze(START)
    # Hungary plans a residence permit for a person with our refusal alert: 10 days to answer
    r = form_body("R", "HU-F-2026-000031", {
        "question": "permit_on_refusal_alert", "decision": "residence permit for family reasons",
        "document": "residence permit HU 7700123"}, schengen_id=RS_REFUSAL)
    assert receive(db, signed(peer_keys["HU"], "HU", "HU-C-2026-000031", 1, r)) == ["accepted"]
    with db.session() as s:
        [due] = service.duty_board(s, OPERATOR, purpose=PURPOSE)["due"]
    assert due["due_at"] == (START + dt.timedelta(days=10)).isoformat()

    # we consult Hungary before our refusal alert on its permit holder: 14 days
    with db.session() as s:
        case = service.open_case(s, OPERATOR, alert_ref=HU_REFUSAL, counterpart="HU",
                                 purpose=PURPOSE)
        with pytest.raises(ValidationError, match="R01"):
            service.send_form(s, OPERATOR, case["reference"], "R",
                              fields={"decision": "refusal alert"}, purpose=PURPOSE)
    with db.session() as s:
        sent = service.send_form(s, OPERATOR, case["reference"], "R", fields={
            "question": "refusal_alert_on_permit_holder",
            "decision": "refusal of entry alert for a threat to public order"}, purpose=PURPOSE)
        [waiting] = service.duty_board(s, OPERATOR, purpose=PURPOSE)["waiting"]
    assert waiting["reference"] == sent["reference"]
    assert waiting["due_at"] == (START + dt.timedelta(days=14)).isoformat()

    clock.freeze(START + dt.timedelta(days=10, minutes=5))  # our answer is late: silence
    with db.session() as s:
        assert service.notify_deadlines(s) == []  # nothing overdue: it counts as no objection
        board = service.duty_board(s, OPERATOR, purpose=PURPOSE)
        assert board["counts"]["due"] == board["counts"]["overdue"] == 0
        [ours] = service.list_cases(s, OPERATOR, text=RS_REFUSAL, purpose=PURPOSE)
        view = service.get_case(s, OPERATOR, ours["case_id"], purpose=PURPOSE)
    received = view["messages"][0]
    assert received["answered_by"] == "silence"
    assert any("counted as no objection" in n["text"] for n in view["notes"])

    clock.freeze(START + dt.timedelta(days=14, minutes=5))  # Hungary did not answer us
    with db.session() as s:
        settled = service.lapse_silences(s)
        assert [(x["reference"], x["direction"]) for x in settled] == [(sent["reference"], "out")]
        assert service.duty_board(s, OPERATOR, purpose=PURPOSE)["counts"]["waiting"] == 0
        assert service.lapse_silences(s) == []


def test_sirene_consultation_times_are_data() -> None:
    spec = catalogue().forms["R"]
    assert spec.silence == "no_objection" and spec.status == "unverified"
    assert spec.reply_hours_for({"question": "permit_on_return_alert"}) == 240
    assert spec.reply_hours_for({"question": "refusal_alert_on_permit_holder"}) == 336
    assert catalogue().forms["M"].reply_hours_for({"notice": "purpose_achieved"}) == 360
    with pytest.raises(CatalogueError, match="silence 'consent'"):
        parse_catalogue({"forms": {"R": {"silence": "consent", "fields": []}}})
