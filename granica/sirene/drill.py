"""A link drill between SIRENE bureaux: several nodes on 127.0.0.1 (each a `granica serve`
process with its own data folder), border guards' hits on each other's alerts, forms G
and their answers, a node killed while the others send to it and one killed while it
sends, a forged message and a replayed one; then what was sent, delivered, duplicated,
lost, refused and answered within its deadline, counted from each node's own records.

`seed()` is what `granica sirene drill-seed` runs as each node before it starts;
`run()` is `granica sirene drill`."""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.errors import GranicaError
from granica.exchange.envelope import Envelope
from granica.exchange.nodes import LocalNode, local_nodes
from granica.storage import Database

CODES = ("RS", "HU", "HR", "AT", "SI", "BG", "RO", "SK")
ALPHA3 = {"RS": "SRB", "HU": "HUN", "HR": "HRV", "AT": "AUT", "SI": "SVN", "BG": "BGR",
          "RO": "ROU", "SK": "SVK"}
PURPOSE = "SIRENE link drill"
# A person per bureau, wanted by that bureau: who crosses into the next node's country.
PEOPLE = [("PETROVIC", "ANA", "1990-01-05", "F"), ("KOVACS", "PETER", "1980-04-12", "M"),
          ("HORVAT", "IVAN", "1975-06-30", "M"), ("HUBER", "JOHANN", "1969-11-02", "M"),
          ("NOVAK", "MAJA", "1988-03-14", "F"), ("IVANOV", "GEORGI", "1972-08-21", "M"),
          ("POPESCU", "ION", "1983-09-09", "M"), ("KRAL", "JAN", "1979-12-24", "M")]
CATEGORIES = ("missing_no_protection", "arrest", "judicial_procedure", "arrest", "refusal_of_entry",
              "arrest", "judicial_procedure", "arrest")


def drill_alerts(codes: list[str]) -> list[dict[str, Any]]:
    """One alert per bureau (its national copy is in every node's register)."""
    out = []
    for i, code in enumerate(codes):
        surname, forename, born, sex = PEOPLE[i]
        data: dict[str, Any] = {
            "surname": surname.title(), "forenames": forename.title(), "sex": sex,
            "date_of_birth": born, "nationalities": [code],
            "reason": "link drill: synthetic person", "issuing_authority": "SIRENE drill"}
        if CATEGORIES[i] == "arrest":
            data["warrant_reference"] = f"EAW-DRILL-{i + 1:03d}"
        out.append({"schengen_id": f"{code}9900000000{i + 1:04d}00", "issuing_country": code,
                    "category": CATEGORIES[i], "data": data})
    return out


def seed(db: Database, code: str, alerts_file: Path) -> dict[str, str]:
    """This node's part of the drill's set-up: the alerts, a crossing point, a border guard
    and a SIRENE operator, with a token each (returned)."""
    from granica.auth import service as auth
    from granica.auth.principal import system_principal
    from granica.border import service as border
    from granica.sis import service as sis

    who = system_principal(PURPOSE)
    with db.session() as s, alerts_file.open("rb") as fh:
        report = sis.import_alerts(s, who, fh, purpose=PURPOSE)
    if report.rejected:
        raise GranicaError(f"drill alerts refused: {report.rejected}")
    bcp = f"{code}-DRILL"
    tokens = {"bcp": bcp}
    with db.session() as s:
        border.add_crossing_point(s, who, code=bcp, name=f"Drill crossing {code}", kind="road",
                                  neighbour="XXX", lanes=[("E1", "entry", "all")], purpose=PURPOSE)
        for username, agency, role in (("drill.guard", "BORDER_POLICE", "border_guard"),
                                       ("drill.sirene", "SIRENE", "sirene_operator")):
            auth.create_user(s, who, username=username, password=secrets.token_urlsafe(24) + "aA1!",
                             agency=agency, roles=[role], display_name=f"Drill {role}",
                             station=bcp if role == "border_guard" else None)
            tokens[role] = auth.issue_token(s, who, username, name="link drill", days=1)
    return tokens


def mrz_of(index: int, code: str) -> str:
    from granica.documents import generate_mrz

    surname, forename, born, sex = PEOPLE[index]
    return generate_mrz("TD3", {
        "document_code": "P", "issuing_state": ALPHA3[code], "surname": surname,
        "given_names": forename, "document_number": f"D{index + 1}{code}00042",
        "nationality": ALPHA3[code], "birth_date": born[2:].replace("-", ""), "sex": sex,
        "expiry_date": (clock.today() + dt.timedelta(days=3 * 365)).strftime("%y%m%d"),
        "optional_data": ""})


@dataclass
class Bureau:
    node: LocalNode
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.node.code

    def call(self, method: str, path: str, role: str = "sirene_operator", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}", "X-Purpose": PURPOSE}
        answer = httpx.request(method, f"{self.node.url}/api/v1{path}", headers=headers,
                               timeout=30, **kw)
        if answer.status_code >= 400:
            raise GranicaError(f"node {self.code}: {method} {path} answered "
                               f"{answer.status_code}: {answer.text[:400]}")
        return answer.json()

    def ledger(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/sirene/ledger")
        return result

    def check(self, index: int, origin: str) -> dict[str, Any]:
        """The border guard checks the person of bureau `origin` entering this country."""
        result: dict[str, Any] = self.call("POST", "/border/checks", role="border_guard", json={
            "bcp": self.tokens["bcp"], "lane": "E1", "direction": "entry",
            "mrz": mrz_of(index, origin)})
        if result.get("decision") != "hit":
            raise GranicaError(f"node {self.code}: the check of {PEOPLE[index][0]} gave "
                               f"{result.get('decision')!r}, not a hit on {origin}'s alert "
                               f"({json.dumps(result, default=str)[:600]})")
        return result


def wait_for(what: str, test: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = test()
        except (httpx.HTTPError, GranicaError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.3)
    raise GranicaError(f"drill: {what} did not happen within {timeout:g} s (last: {last})")


def _received(bureau: Bureau, sender: str, form: str, count: int = 1) -> list[dict[str, Any]]:
    rows = [r for r in bureau.ledger() if r["direction"] == "in" and r["sender"] == sender
            and r["form"] == form]
    return rows if len(rows) >= count else []


def _case_of(bureau: Bureau, reference: str) -> str:
    row = next(r for r in bureau.ledger() if r["reference"] == reference)
    return str(row["case"])


def _answer(bureau: Bureau, received: dict[str, Any], text: str) -> dict[str, Any]:
    result: dict[str, Any] = bureau.call(
        "POST", f"/sirene/cases/{_case_of(bureau, received['reference'])}/forms",
        json={"form": "M", "fields": {"text": text}, "reply_to": received["reference"]})
    return result


def _forged(target: Bureau, claimed: str) -> dict[str, Any]:
    """A form that claims to come from `claimed`, signed with a key nobody configured."""
    envelope = Envelope(str(uuid.uuid4()), claimed, target.code, "sirene.form",
                        f"{claimed}-C-FORGED", 1, clock.now(),
                        {"form": "M", "reference": f"{claimed}-F-FORGED", "fields":
                         {"text": "release the person"}, "header": {}, "attachments": []})
    answer = httpx.post(f"{target.node.url}/api/v1/exchange/inbox", timeout=30,
                        json={"messages": [envelope.signed_with(Ed25519PrivateKey.generate())
                                           .to_dict()]})
    ack: dict[str, Any] = answer.json()["acks"][0]
    return ack


def _replayed(sender: Bureau, target: Bureau) -> dict[str, Any]:
    """A genuine message the sender delivered before, posted to the target once more."""
    path = sender.node.data_dir / "granica.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT envelope FROM exchange_outbox WHERE recipient = ? AND "
                           "state = 'delivered' ORDER BY created_at LIMIT 1",
                           (target.code,)).fetchone()
    if row is None:
        raise GranicaError(f"drill: {sender.code} delivered nothing to {target.code} to replay")
    answer = httpx.post(f"{target.node.url}/api/v1/exchange/inbox", timeout=30,
                        json={"messages": [json.loads(row[0])]})
    ack: dict[str, Any] = answer.json()["acks"][0]
    return ack


def tally(ledgers: dict[str, list[dict[str, Any]]], forged_rejected: int) -> dict[str, Any]:
    """The drill's figures, from each node's own ledger of forms in and out."""
    sent = [(code, r) for code, rows in ledgers.items() for r in rows if r["direction"] == "out"]
    received: dict[tuple[str, str, str], int] = {}
    for code, rows in ledgers.items():
        for r in rows:
            if r["direction"] == "in":
                key = (r["sender"], code, r["reference"])
                received[key] = received.get(key, 0) + 1
    delivered = sum(1 for code, r in sent if (code, r["recipient"], r["reference"]) in received)
    asked = [r for _, r in sent if r["due_at"]]
    within = [r for r in asked if r["answered_at"] and r["answered_at"] <= r["due_at"]]
    return {"sent": len(sent), "delivered": delivered,
            "duplicated": sum(n - 1 for n in received.values() if n > 1),
            "lost": len(sent) - delivered, "forged_rejected": forged_rejected,
            "answered_within_deadline": len(within), "answers_asked": len(asked),
            "answered_late": sum(1 for r in asked if r["answered_at"] and r not in within)}


def run(nodes: int = 3, root: Path | None = None, *, timeout: float = 120.0,
        progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The drill (see the module's text); `root` keeps the nodes' folders for a look after."""
    if not 3 <= nodes <= len(CODES):
        raise GranicaError(f"a drill runs 3 to {len(CODES)} nodes")
    started = time.monotonic()
    folder = root or Path(tempfile.mkdtemp(prefix="granica-drill-"))
    codes = list(CODES[:nodes])
    progress(f"setting up {nodes} nodes in {folder}")
    bureaux = [Bureau(n) for n in local_nodes(codes, folder)]
    alerts_file = folder / "drill-alerts.jsonl"
    alerts_file.write_text("".join(json.dumps(a) + "\n" for a in drill_alerts(codes)), "utf-8")
    events: list[str] = []
    try:
        for b in bureaux:
            # short back-off: a drill's outage lasts seconds, not the hour the setting is for
            b.node.extra_env.update({"GRANICA_EXCHANGE_RETRY_MAX_SECONDS": "2", "GRANICA_LOG_LEVEL": "INFO"})
            b.tokens = b.node.cli_json("sirene", "drill-seed", str(alerts_file))
            b.node.start()
            progress(f"node {b.code} up on {b.node.url}")
        first, second, third = bureaux[0], bureaux[1], bureaux[2]
        # 1. a guard of the first node stops the person of the second bureau's arrest alert, and
        #    a guard of the second finds the first's missing person
        first.check(1, second.code)
        second.check(0, first.code)
        events.append(f"hits: {first.code} on {second.code}'s alert, {second.code} on "
                      f"{first.code}'s")
        # 2. the third node is killed; the first node's hit on its alert and three follow-ups
        #    queue up, then the first node itself is killed while it sends
        third.node.stop(kill=True)
        first.check(2, third.code)
        case = wait_for(f"{first.code}'s case for the hit on {third.code}'s alert", lambda: next(
            (r["case"] for r in first.ledger() if r["recipient"] == third.code), None), timeout)
        for n in range(3):
            first.call("POST", f"/sirene/cases/{case}/forms", json={
                "form": "M", "fields": {"text": f"follow-up {n + 1}: travel route and companions"}})
        first.node.stop(kill=True)
        events.append(f"SIGKILL {third.code} (recipient), then {first.code} (sender, 4 forms "
                      "queued)")
        progress(events[-1])
        first.node.start()
        third.node.start()
        # 3. the other nodes' bureaux answer what reached them
        for bureau, sender in ((second, first), (first, second), (third, first)):
            [g] = wait_for(f"form G from {sender.code} at {bureau.code}",
                           functools.partial(_received, bureau, sender.code, "G"), timeout)
            _answer(bureau, g, f"{bureau.code}: hit confirmed, the issuing authority informed")
        wait_for(f"the three follow-ups at {third.code}",
                 lambda: _received(third, first.code, "M", 3), timeout)
        # 4. a forged form and a replayed one
        forged = _forged(second, first.code)
        replay = _replayed(first, second)
        events.append(f"forged form: {forged['status']} ({forged.get('reason')}); replayed "
                      f"message: {replay['status']}")
        progress(events[-1])

        def settled() -> Any:
            ledgers = {b.code: b.ledger() for b in bureaux}
            figures = tally(ledgers, 0)
            answered = figures["answered_within_deadline"] + figures["answered_late"]
            done = figures["lost"] == 0 and answered >= figures["answers_asked"]
            return ledgers if done else None

        ledgers = wait_for("every form delivered and every answer back", settled, timeout)
        refused = sum(1 for r in second.call("GET", "/exchange/status")["refusals"]
                      if r["claimed_sender"] == first.code and r["reason"] == "bad_signature")
        result = tally(ledgers, refused if forged["status"] == "refused" else 0)
        result.update({"replay": replay["status"], "nodes": {b.code: b.node.url for b in bureaux},
                       "events": events, "seconds": round(time.monotonic() - started, 1)})
        return result
    finally:
        for b in bureaux:
            b.node.stop(kill=True)
