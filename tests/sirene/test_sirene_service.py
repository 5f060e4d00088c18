"""The bureau's side on SQLite and PostgreSQL: a hit becomes a case and a form G to the
issuer, the issuer's reply lands on the case inside its deadline, forms received open cases
with their deadlines on the duty board, and bad forms are refused with the reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.audit.models import AuditEntry
from granica.auth.principal import system_principal
from granica.errors import NotFoundError, PermissionDenied, TooLargeError, ValidationError
from granica.exchange import models as xm
from granica.sirene import models as m
from granica.sirene import service
from granica.sis import service as sis
from granica.storage import Database
from tests.sirene.conftest import (
    GUARD,
    HU_ARREST,
    OPERATOR,
    OTHER_GUARD,
    RS_ARREST,
    RS_MISSING,
    form_body,
    receive,
    signed,
)

pytestmark = pytest.mark.db
PURPOSE = "SIRENE test"


def outbox(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        return [json.loads(r.envelope) for r in
                s.scalars(sa.select(xm.OutboxMessage).order_by(xm.OutboxMessage.created_at))]


def hit(db: Database, schengen_id: str, who: Any = GUARD) -> str:
    with db.session() as s:
        alert = sis.alert_brief(s, schengen_id)
        assert alert is not None
        return sis.report_hit(s, who, alert["alert_id"], purpose="border check",
                              context={"bcp": "RS-BATROVCI", "lane": "E1", "direction": "entry",
                                       "document_number": "HU1234567",
                                       "checked_at": clock.now().isoformat()})


def take(db: Database) -> dict[str, int]:
    with db.session() as s:
        return service.take_hits(s, system_principal(service.INBOX))


def test_sirene_hit_on_a_foreign_alert_opens_a_case_and_sends_g_then_the_reply_answers_it(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    report_id = hit(sirene_db, HU_ARREST)
    hit(sirene_db, RS_MISSING)  # our own alert: no form to anyone
    assert take(sirene_db) == {"sent": 1, "national": 1}
    assert take(sirene_db) == {}  # each report is taken up once
    [g] = outbox(sirene_db)
    assert g["recipient"] == "HU" and g["kind"] == "sirene.form"
    body = g["body"]
    assert body["form"] == "G" and body["header"]["schengen_id"] == HU_ARREST
    assert body["fields"]["surname"] == "Kovács" and body["fields"]["hit_place"] == "RS-BATROVCI E1"
    assert body["fields"]["document_serial"] == "HU1234567"
    assert body["urgent"] is True  # an arrest alert: the answer is due at once
    with sirene_db.session() as s:
        [case] = service.list_cases(s, OPERATOR, text="kovács", purpose=PURPOSE)
        assert case["origin"] == "hit" and case["state"] == "waiting"
        assert case["conversation"] == g["conversation"] == case["reference"]
        board = service.duty_board(s, OPERATOR, purpose=PURPOSE)
        assert [w["reference"] for w in board["waiting"]] == [body["reference"]]
    # Hungary answers with an M on the same conversation, 20 minutes later
    clock.advance(dt.timedelta(minutes=20))
    reply = form_body("M", "HU-F-2026-000001", {"text": "Arrest confirmed, EAW follows"},
                      schengen_id=HU_ARREST, reply_to=body["reference"])
    assert receive(sirene_db, signed(peer_keys["HU"], "HU", g["conversation"], 1, reply)) == \
        ["accepted"]
    with sirene_db.session() as s:
        view = service.get_case(s, OPERATOR, case["reference"], purpose=PURPOSE)
        sent, got = view["messages"]
        assert (sent["form"], got["form"]) == ("G", "M")
        assert sent["answered_by"] == "HU-F-2026-000001" and sent["answered_within_deadline"]
        assert got["reply_to"] == sent["reference"] and got["due_at"] is None
        assert service.duty_board(s, OPERATOR, purpose=PURPOSE)["waiting"] == []
        # the guard who reported the hit sees the case's progress, not the forms' content
        mine = service.case_for_hit(s, GUARD, report_id, purpose="my hit")
        assert [x["form"] for x in mine["messages"]] == ["G", "M"]
        assert mine["messages"][1]["fields"] == {}
        with pytest.raises(PermissionDenied):
            service.case_for_hit(s, OTHER_GUARD, report_id, purpose="curious")
        with pytest.raises(PermissionDenied):
            service.get_case(s, GUARD, case["reference"], purpose="curious")
    with sirene_db.session() as s:
        actions = [a for (a,) in s.execute(sa.select(AuditEntry.action))]
        assert {"sirene.open", "sirene.send", "sirene.receive", "sirene.read"} <= set(actions)
        denied = s.scalars(sa.select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert {d.username for d in denied} >= {"guard1", "guard2"}


def test_sirene_form_received_opens_a_case_due_in_12_hours_then_overdue_then_answered(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    g = form_body("G", "HR-F-2026-000007", {
        "surname": "Petrović", "forename": "Ana", "hit_time": "2026-12-07T08:40",
        "hit_place": "Bajakovo", "circumstances": "found at the border",
        "action_taken": "whereabouts recorded"}, schengen_id=RS_MISSING)
    assert receive(sirene_db, signed(peer_keys["HR"], "HR", "HR-C-2026-000003", 1, g)) == \
        ["accepted"]
    with sirene_db.session() as s:
        [case] = service.list_cases(s, OPERATOR, state="new", purpose=PURPOSE)
        assert case["counterpart"] == "HR" and case["alert_category"] == "missing_no_protection"
        assert case["conversation"] == "HR-C-2026-000003"
        board = service.duty_board(s, OPERATOR, purpose=PURPOSE)
        [due] = board["due"]
        assert due["due_at"] == (start + dt.timedelta(hours=12)).isoformat()
        assert due["shift"] == "2026-12-07 22:00-06:00"  # due 21:00 UTC = 22:00 in Belgrade
    clock.advance(dt.timedelta(hours=12, minutes=30))
    with sirene_db.session() as s:
        assert [n["level"] for n in service.notify_deadlines(s)] == ["overdue"]
        assert service.notify_deadlines(s) == []  # once per level
        assert service.duty_board(s, OPERATOR, purpose=PURPOSE)["counts"]["overdue"] == 1
    clock.advance(dt.timedelta(hours=1))
    with sirene_db.session() as s:
        assert [n["level"] for n in service.notify_deadlines(s)] == ["escalated"]
        sent = service.send_form(s, OPERATOR, case["reference"], "M",
                                 fields={"text": "Issuing authority informed"},
                                 reply_to="HR-F-2026-000007", purpose=PURPOSE)
        assert sent["recipient"] == "HR"
    with sirene_db.session() as s:
        view = service.get_case(s, OPERATOR, case["case_id"], purpose=PURPOSE)
        received = view["messages"][0]
        assert received["answered_by"] == sent["reference"]
        assert received["answered_within_deadline"] is False
        stats = service.statistics(s, OPERATOR, purpose=PURPOSE)
        assert stats["replies"] == {"answered": 1, "within_deadline": 0, "late": 1, "open": 0}
        assert {"direction": "in", "form": "G", "country": "HR", "count": 1} in stats["forms"]
        assert service.statistics_csv(stats).splitlines()[0] == "direction,form,country,count"
    [m_out] = outbox(sirene_db)
    assert m_out["conversation"] == "HR-C-2026-000003" and m_out["body"]["reply_to"] == \
        "HR-F-2026-000007"


def test_sirene_a_bad_form_is_kept_with_its_reason_and_files_nothing(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    bad = form_body("G", "HU-F-2026-000009", {"hit_time": "yesterday"}, schengen_id=RS_MISSING)
    assert receive(sirene_db, signed(peer_keys["HU"], "HU", "HU-C-1", 1, bad)) == ["accepted"]
    with sirene_db.session() as s:
        row = s.scalars(sa.select(xm.InboxMessage)).one()
        assert row.state == xm.FAILED and "hit_time" in (row.error or "")
        assert s.scalar(sa.select(sa.func.count()).select_from(m.Case)) == 0


def test_sirene_sending_checks_fields_attachments_and_categories(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    with sirene_db.session() as s:
        case = service.open_case(s, OPERATOR, alert_ref=RS_MISSING, counterpart="HU",
                                 purpose=PURPOSE)
        with pytest.raises(ValidationError, match="fill in the mandatory field 083"):
            service.send_form(s, OPERATOR, case["reference"], "M", fields={}, purpose=PURPOSE)
        with pytest.raises(ValidationError, match="form A is for alerts of the categories arrest"):
            service.send_form(s, OPERATOR, case["reference"], "A",
                              fields={"surname": "Petrović", "facts": "x"},
                              attachments=[service.Upload("eaw.pdf", "application/pdf", b"%PDF")],
                              purpose=PURPOSE)
        six = [service.Upload(f"p{i}.pdf", "application/pdf", b"x") for i in range(6)]
        with pytest.raises(ValidationError, match="at most 5"):
            service.send_form(s, OPERATOR, case["reference"], "L",
                              fields={"content": "pictures"}, attachments=six, purpose=PURPOSE)
        big = [service.Upload("big.tif", "image/tiff", b"\0" * (10 * 1024 * 1024 + 1))]
        with pytest.raises(TooLargeError, match="at most 10,485,760"):
            service.send_form(s, OPERATOR, case["reference"], "L",
                              fields={"content": "pictures"}, attachments=big, purpose=PURPOSE)
        with pytest.raises(ValidationError, match="received no form 'HU-F-1'"):
            service.send_form(s, OPERATOR, case["reference"], "M", fields={"text": "x"},
                              reply_to="HU-F-1", purpose=PURPOSE)
        with pytest.raises(ValidationError, match="no link to bureau 'AT'"):
            service.open_case(s, OPERATOR, alert_ref=RS_MISSING, counterpart="AT", purpose=PURPOSE)
        with pytest.raises(PermissionDenied):
            service.send_form(s, GUARD, case["reference"], "M", fields={"text": "x"},
                              purpose=PURPOSE)
        photo = service.Upload("photo.jpg", "image/jpeg", b"\xff\xd8 picture")
        sent = service.send_form(s, OPERATOR, case["reference"], "L",
                                 fields={"content": "pictures"}, attachments=[photo],
                                 purpose=PURPOSE)
    assert sent["delivery"] == "pending" and sent["due_at"] is None
    [envelope] = outbox(sirene_db)
    assert envelope["body"]["attachments"][0]["name"] == "photo.jpg"
    with sirene_db.session() as s:
        view = service.get_case(s, OPERATOR, case["reference"], purpose=PURPOSE)
        assert view["messages"][0]["attachments"][0]["size"] == len(photo.content)
        assert view["state"] == "in_progress"


def test_sirene_flag_request_flags_the_national_copy(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    with sirene_db.session() as s:
        case = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                 purpose=PURPOSE)
        service.send_form(s, OPERATOR, case["reference"], "F",
                          fields={"ground": "extradition_refusal_ground",
                                  "reason": "own national, extradition barred by the Constitution"},
                          purpose=PURPOSE)
    with sirene_db.session() as s:
        alert = sis.get_alert(s, OPERATOR, HU_ARREST, purpose=PURPOSE)
        assert [f["country"] for f in alert["flags"]] == ["RS"]
    [f] = outbox(sirene_db)
    assert f["body"]["form"] == "F"


def test_sirene_closed_cases_are_erased_a_year_after_their_alert_went(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    with sirene_db.session() as s:
        kept = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                 purpose=PURPOSE)
        gone = service.open_case(s, OPERATOR, alert_ref=RS_MISSING, counterpart="HU",
                                 purpose=PURPOSE)
        service.send_form(s, OPERATOR, gone["reference"], "M", fields={"text": "x"},
                          purpose=PURPOSE)
        for case in (kept, gone):
            service.set_state(s, OPERATOR, case["reference"], "closed", purpose=PURPOSE)
    with sirene_db.session() as s:
        alert = sis.alert_brief(s, RS_MISSING)
        assert alert is not None
        sis.delete_alert(s, system_principal("test"), alert["alert_id"], reason="purpose achieved",
                         purpose=PURPOSE)
    clock.advance(dt.timedelta(days=364))
    with sirene_db.session() as s:
        assert service.erase_expired_cases(s, system_principal("test")) == \
            {"erased": 0, "kept_alert_still_held": 0}
    clock.advance(dt.timedelta(days=2))
    with sirene_db.session() as s:
        assert service.erase_expired_cases(s, system_principal("test")) == \
            {"erased": 1, "kept_alert_still_held": 1}
    with sirene_db.session() as s:
        assert [c.reference for c in s.scalars(sa.select(m.Case))] == [kept["reference"]]
        assert s.scalar(sa.select(sa.func.count()).select_from(m.Message)) == 0


def test_sirene_the_deletion_of_our_alert_is_notified_and_its_cases_closed(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    with sirene_db.session() as s:
        ours = service.open_case(s, OPERATOR, alert_ref=RS_MISSING, counterpart="HR",
                                 purpose=PURPOSE)
        theirs = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                   purpose=PURPOSE)
        assert service.notify_deleted_alerts(s, system_principal("test")) == {}
        alert = sis.alert_brief(s, RS_MISSING)
        assert alert is not None
        sis.delete_alert(s, system_principal("test"), alert["alert_id"], reason="found",
                         purpose=PURPOSE)
    with sirene_db.session() as s:
        assert service.notify_deleted_alerts(s, system_principal("test")) == \
            {"notified": 1, "closed": 1}
        assert service.notify_deleted_alerts(s, system_principal("test")) == {}
        states = {c.reference: c.state for c in s.scalars(sa.select(m.Case))}
    assert states == {ours["reference"]: "closed", theirs["reference"]: "new"}
    [notice] = outbox(sirene_db)
    assert notice["recipient"] == "HR" and notice["body"]["fields"]["notice"] == "alert_deleted"


def test_sirene_form_q_adds_the_victim_to_our_alert(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    q = form_body("Q", "HR-F-2026-000031", {
        "consent": True, "consent_date": "2026-12-01", "surname": "Petrović",
        "forename": "Ana", "date_of_birth": "1991-02-03",
        "distinguishing": "born a year later; her stolen passport was used"},
        schengen_id=RS_MISSING)
    assert receive(sirene_db, signed(peer_keys["HR"], "HR", "HR-C-2026-000031", 1, q)) == \
        ["accepted"]
    with sirene_db.session() as s:
        alert = sis.get_alert(s, OPERATOR, RS_MISSING, purpose=PURPOSE)
        [victim] = alert["misused_identity"]
        assert victim["victim"]["date_of_birth"] == "1991-02-03"
        assert victim["consent_reference"] == "form Q HR-F-2026-000031 of HR"
        [case] = service.list_cases(s, OPERATOR, text=RS_MISSING, purpose=PURPOSE)
        notes = service.get_case(s, OPERATOR, case["case_id"], purpose=PURPOSE)["notes"]
        assert "were added to the alert" in notes[0]["text"]


def test_sirene_form_a_with_the_warrant_goes_to_every_bureau(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    warrant = service.Upload("eaw.pdf", "application/pdf", b"%PDF-1.4 scanned warrant")
    fields = {"surname": "Jovanović", "forename": "Marko", "facts": "armed robbery, Novi Sad"}
    with sirene_db.session() as s:
        with pytest.raises(ValidationError, match="form A needs 1 attachment"):
            service.distribute_alert(s, OPERATOR, RS_ARREST, "A", fields=fields, purpose=PURPOSE)
        with pytest.raises(ValidationError, match="form A is for alerts of the categories arrest"):
            service.distribute_alert(s, OPERATOR, RS_MISSING, "A", fields=fields,
                                     attachments=[warrant], purpose=PURPOSE)
        with pytest.raises(ValidationError, match="only the issuing bureau"):
            service.distribute_alert(s, OPERATOR, HU_ARREST, "A", fields=fields,
                                     attachments=[warrant], purpose=PURPOSE)
        sent = service.distribute_alert(s, OPERATOR, RS_ARREST, "A", fields=fields,
                                        attachments=[warrant], purpose=PURPOSE)
        assert sorted(x["recipient"] for x in sent) == ["HR", "HU"]
        # news for all later goes on the same cases
        service.distribute_alert(s, OPERATOR, RS_ARREST, "M", fields={"text": "alias Marko J."},
                                 purpose=PURPOSE)
    with sirene_db.session() as s:
        cases = service.list_cases(s, OPERATOR, text=RS_ARREST, purpose=PURPOSE)
        assert sorted(c["counterpart"] for c in cases) == ["HR", "HU"]
        assert all(c["urgent"] and c["origin"] == "alert" for c in cases)
    bodies = [e["body"] for e in outbox(sirene_db)]
    assert sorted(b["form"] for b in bodies) == ["A", "A", "M", "M"]
    assert all(b["attachments"][0]["name"] == "eaw.pdf" for b in bodies if b["form"] == "A")


def test_sirene_tasks_on_a_case_are_on_the_duty_board_until_done(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    clock.freeze(dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC))
    with sirene_db.session() as s:
        case = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                 purpose=PURPOSE)
        with pytest.raises(ValidationError, match="1 to 1000 characters"):
            service.add_task(s, OPERATOR, case["reference"], " ", purpose=PURPOSE)
        with pytest.raises(ValidationError, match="time zone"):
            service.add_task(s, OPERATOR, case["reference"], "ask the court",
                             due_at=dt.datetime(2026, 12, 7, 12, 0), purpose=PURPOSE)
        view = service.add_task(s, OPERATOR, case["reference"], "ask the court for the EAW copy",
                                due_at=dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC),
                                assign_to="mira.sirene", purpose=PURPOSE)
        [task] = view["tasks"]
        board = service.duty_board(s, OPERATOR, purpose=PURPOSE)
        assert [t["text"] for t in board["tasks"]] == ["ask the court for the EAW copy"]
        assert board["tasks"][0]["shift"] == "2026-12-07 06:00-14:00"
        assert not board["tasks"][0]["overdue"]
    clock.advance(dt.timedelta(hours=4))
    with sirene_db.session() as s:
        assert service.duty_board(s, OPERATOR, purpose=PURPOSE)["tasks"][0]["overdue"]
        with pytest.raises(NotFoundError):
            service.complete_task(s, OPERATOR, case["reference"], "no-such-task", purpose=PURPOSE)
        done = service.complete_task(s, OPERATOR, case["reference"], task["task_id"],
                                     purpose=PURPOSE)
        assert done["tasks"][0]["done_by"] == "sirene1"
        assert service.duty_board(s, OPERATOR, purpose=PURPOSE)["tasks"] == []
