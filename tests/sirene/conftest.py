"""Fixtures of the SIRENE tests: this node is Serbia's bureau; Hungary's and Croatia's are
peers whose keys the tests hold, so a test can send this node their signed forms."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.auth.principal import system_principal
from granica.exchange import service as exchange
from granica.exchange.envelope import Envelope
from granica.exchange.keys import public_text
from granica.settings import get_settings
from granica.sis import service as sis
from granica.storage import Database
from tests.border.conftest import principal

OPERATOR = principal("sirene1", "sirene_operator", agency="SIRENE")
GUARD = principal("guard1", "border_guard")
OTHER_GUARD = principal("guard2", "border_guard")

HU_ARREST = "HU0100000000004201"
RS_MISSING = "RS0100000000000701"
RS_ARREST = "RS0100000000000702"


@pytest.fixture
def peer_keys() -> dict[str, Ed25519PrivateKey]:
    """The keys of HU and HR, and this node's peers file naming them (on dead ports: what
    this node sends stays in its outbox, where the tests read it)."""
    keys = {code: Ed25519PrivateKey.generate() for code in ("HU", "HR")}
    path = get_settings().resolved_peers_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'[peers.{code}]\nname = "SIRENE {code}"\nurl = "http://127.0.0.1:9"\n'
                            f'public_key = "{public_text(k.public_key())}"\n\n'
                            for code, k in keys.items()), encoding="utf-8")
    return keys


def alert_line(schengen_id: str, country: str, category: str, **data: Any) -> str:
    base = {"surname": "Kovács", "forenames": "Péter", "sex": "M", "nationalities": [country],
            "date_of_birth": "1980-04-12", "reason": "decision of the competent authority",
            "issuing_authority": "court"}
    if category == "arrest":
        base["warrant_reference"] = "EAW-2026-00042"
    return json.dumps({"schengen_id": schengen_id, "issuing_country": country,
                       "category": category, "data": {**base, **data}})


@pytest.fixture
def sirene_db(database: Database, peer_keys: dict[str, Ed25519PrivateKey]) -> Database:
    """A Hungarian arrest alert (the national copy), a Serbian missing-person alert and a
    Serbian arrest alert."""
    with database.session() as s:
        report = sis.import_alerts(s, system_principal("sirene tests"), [
            alert_line(HU_ARREST, "HU", "arrest"),
            alert_line(RS_MISSING, "RS", "missing_no_protection", surname="Petrović",
                       forenames="Ana", sex="F", nationalities=["RS"]),
            alert_line(RS_ARREST, "RS", "arrest", surname="Jovanović", forenames="Marko",
                       nationalities=["RS"]),
        ], purpose="test alerts")
    assert report.imported == 3, report.to_dict()
    return database


def signed(key: Ed25519PrivateKey, sender: str, conversation: str, seq: int,
           body: dict[str, Any]) -> dict[str, Any]:
    envelope = Envelope(str(uuid.uuid4()), sender, "RS", "sirene.form", conversation, seq,
                        clock.now(), body)
    return envelope.signed_with(key).to_dict()


def form_body(letter: str, reference: str, fields: dict[str, Any], *, schengen_id: str = "",
              reply_to: str | None = None, case: str = "", **header: Any) -> dict[str, Any]:
    return {"form": letter, "reference": reference, "message_time": clock.now().isoformat(),
            "case": case, "header": {"schengen_id": schengen_id, **header}, "fields": fields,
            "reply_to": reply_to, "urgent": False, "attachments": []}


def receive(db: Database, *messages: dict[str, Any]) -> list[str]:
    return [a.status for a in exchange.receive(db, list(messages))]
