"""Many forms in one transaction, on SQLite and PostgreSQL: forms sent together get
consecutive references and numbers in their conversations and are all filed when the
transaction commits; a batch received from a bureau files each form once on one case per
conversation, even when a form of the batch fails and the batch is handled again."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica.exchange import models as xm
from granica.sirene import models as m
from granica.sirene import service
from granica.storage import Database
from tests.sirene.conftest import HU_ARREST, OPERATOR, RS_MISSING, form_body, receive, signed

pytestmark = pytest.mark.db
PURPOSE = "SIRENE batch test"


def test_sirene_forms_sent_in_one_transaction_are_numbered_in_turn_and_all_filed(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    with sirene_db.session() as s:
        first = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                  purpose=PURPOSE)["reference"]
        second = service.open_case(s, OPERATOR, alert_ref=HU_ARREST, counterpart="HU",
                                   purpose=PURPOSE)["reference"]
    with sirene_db.session() as s:
        sent = [service.send_form(s, OPERATOR, case, "M", fields={"text": f"note {n}"},
                                  purpose=PURPOSE)
                for n, case in enumerate([first, first, second, first])]
        # a read in the same transaction sees every form sent before it
        view = service.get_case(s, OPERATOR, first, purpose=PURPOSE)
        assert [x["reference"] for x in view["messages"]] == [
            sent[0]["reference"], sent[1]["reference"], sent[3]["reference"]]
    numbers = [int(x["reference"].rsplit("-", 1)[1]) for x in sent]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    with sirene_db.session() as s:
        filed = {(row.reference, row.case_id) for row in s.execute(
            sa.select(m.Message.reference, m.Message.case_id))}
        cases = dict(s.execute(sa.select(m.Case.reference, m.Case.id)).all())
        assert filed == {(x["reference"], cases[case]) for x, case in
                         zip(sent, [first, first, second, first])}
        queued = sorted((json.loads(e) for e in s.execute(
            sa.select(xm.OutboxMessage.envelope)).scalars()), key=lambda q: q["body"]["reference"])
    assert [(q["conversation"], q["seq"]) for q in queued] == [
        (first, 1), (first, 2), (second, 1), (first, 3)]
    assert [q["body"]["reference"] for q in queued] == [x["reference"] for x in sent]
    with sirene_db.session() as s:  # the numbers carry on in a later transaction
        later = service.send_form(s, OPERATOR, second, "M", fields={"text": "later"},
                                  purpose=PURPOSE)
    assert int(later["reference"].rsplit("-", 1)[1]) == numbers[-1] + 1


def test_sirene_a_batch_files_each_form_once_on_one_case_per_conversation(
        sirene_db: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    hu = peer_keys["HU"]

    def g(reference: str, **fields: str) -> dict[str, object]:
        return form_body("G", reference, {
            "surname": "Petrović", "forename": "Ana", "hit_time": "2026-12-07T08:40",
            "hit_place": "Röszke", "circumstances": "found at the border",
            "action_taken": "whereabouts recorded", **fields}, schengen_id=RS_MISSING)

    batch = [
        signed(hu, "HU", "HU-C-1", 1, g("HU-F-2026-000001")),
        signed(hu, "HU", "HU-C-1", 2, g("HU-F-2026-000002")),
        signed(hu, "HU", "HU-C-1", 3, g("HU-F-2026-000001")),  # the same form again
        # a form that fails its checks, after the first conversation opened its case: the
        # batch is handled again form by form, without the case of the failed attempt
        signed(hu, "HU", "HU-C-2", 1, g("HU-F-2026-000003", hit_time="yesterday")),
        signed(hu, "HU", "HU-C-2", 2, g("HU-F-2026-000004")),
    ]
    assert receive(sirene_db, *batch) == ["accepted"] * 5
    with sirene_db.session() as s:
        states = dict(s.execute(sa.select(xm.InboxMessage.id, xm.InboxMessage.state)).all())
        assert [states[x["id"]] for x in batch] == [xm.HANDLED] * 3 + [xm.FAILED, xm.HANDLED]
        cases = dict(s.execute(sa.select(m.Case.conversation, m.Case.id)).all())
        assert sorted(cases) == ["HU-C-1", "HU-C-2"]
        filed = sorted(s.execute(sa.select(m.Message.reference, m.Message.case_id)).all())
        assert filed == [("HU-F-2026-000001", cases["HU-C-1"]),
                         ("HU-F-2026-000002", cases["HU-C-1"]),
                         ("HU-F-2026-000004", cases["HU-C-2"])]
    # a later batch files onto the same case
    assert receive(sirene_db, signed(hu, "HU", "HU-C-1", 4, g("HU-F-2026-000005"))) == [
        "accepted"]
    with sirene_db.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(m.Case)).scalar_one() == 2
        assert s.execute(sa.select(sa.func.count()).select_from(m.Message)
                         .where(m.Message.case_id == cases["HU-C-1"])).scalar_one() == 3
