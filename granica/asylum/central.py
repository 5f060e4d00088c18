"""The stand-in central system (`GRANICA_NODE_ROLE=eurodac-central`, `granica serve --role
eurodac-central`): what the national nodes are tested against.

`receive_transaction()`, the exchange's handler of `asylum.transaction`, checks each
transaction against the application profile and the rules (the reference number starts with
the sender's letters and the category's digit, the TOT names a category, no other node's
reference), answers a failing one with a rejection listing every fault, and otherwise reads
the prints (WSQ decoded in a child process: the data come from outside), compares them with
the stored records as the category's comparison rules say, stores the record when the
category's data are stored (one per reference number: a resend replaces its prints, it is
not a second subject) and answers hit (with the candidates) or no hit. The answer goes back
through the exchange in the same transaction, so it leaves exactly when the transaction was
taken; the exchange hands each message to this handler once."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.asylum.categories import Category, rules
from granica.asylum.central_models import (
    HIT,
    NO_HIT,
    REJECTED,
    CentralFinger,
    CentralRecord,
    CentralTransaction,
)
from granica.asylum.transmission import (
    ANSWER,
    CENTRAL,
    UPDATE_ACTIONS,
    Values,
    describe,
    encoded,
    faults_of,
    transaction_bytes,
    values,
)
from granica.audit import service as audit
from granica.auth.principal import system_principal
from granica.biometrics.capture import read_capture
from granica.biometrics.compare import Probe, prepare, threshold_for
from granica.biometrics.formats import (
    TaggedRecord,
    TenPrint,
    TransactionHeader,
    build_transaction,
    read_tenprint,
    read_transaction,
)
from granica.biometrics.formats.tenprint import dat_date, gmt_stamp
from granica.biometrics.live import GalleryRegistry, LiveGallery
from granica.biometrics.template import Template
from granica.errors import GranicaError, ValidationError
from granica.exchange import service as exchange
from granica.exchange.envelope import Envelope
from granica.settings import get_settings
from granica.storage import Database, database_key, new_id

log = logging.getLogger("granica.asylum.central")

RECORD = "asylum_central_record"  # audit subject type
CANDIDATES = 10  # candidates in one answer
_CONTROL = re.compile(r"[\x00-\x1f]")

_galleries = GalleryRegistry(LiveGallery)


def forget_galleries() -> None:
    _galleries.clear()


def _gallery(session: Session) -> LiveGallery:
    """The stored records' fingers, in step with the tables."""
    gallery = _galleries.get(database_key(session))

    def load(ids: list[str]) -> Iterator[tuple[str, str, Template]]:
        for row in session.execute(sa.select(CentralFinger.id, CentralFinger.record_id,
                                             CentralFinger.template)
                                   .where(CentralFinger.id.in_(ids))):
            yield row.id, row.record_id, Template.from_bytes(row.template)

    stored = set(session.scalars(sa.select(CentralFinger.id)
                                 .where(CentralFinger.template.is_not(None))))
    gallery.sync(stored, load)
    return gallery


class _Rejected(Exception):
    def __init__(self, faults: list[dict[str, Any]]) -> None:
        super().__init__(describe(faults))
        self.faults = faults


def _fault(rule: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"rule": rule, "message": message, "record": None, "field": field, "verified": False}


def _check_rules(tp: TenPrint, sender: str, v: Values,
                 session: Session) -> tuple[str, Category | None, list[dict[str, Any]]]:
    """The reference number and the category, and what is wrong with them."""
    faults: list[dict[str, Any]] = []
    reference = tp.descriptive.get(v.fields["reference"], "").strip()
    code = v.category_of(tp.header.tot)
    category: Category | None = None
    if code is None:
        faults.append(_fault("category.tot", f"1.004 TOT {tp.header.tot!r} names no category "
                             f"(known: {', '.join(f'{t} {c}' for c, t in v.tot.items())})",
                             "1.004"))
    else:
        try:
            category = rules().category(code)
        except ValidationError as exc:
            faults.append(_fault("category.rules", exc.message, "1.004"))
    letters = re.match(r"[A-Z]*", reference)
    prefix = letters.group() if letters else ""
    tag = f"2.{v.fields['reference']:03d}"
    if not reference:
        faults.append(_fault("reference.missing", f"no reference number ({tag})", tag))
    elif prefix != sender:
        faults.append(_fault("reference.origin", f"reference number {reference} does not start "
                             f"with the sender's letters {sender}", tag))
    elif category is not None and reference[len(prefix):len(prefix) + 1] != category.digit:
        faults.append(_fault("reference.category", f"reference number {reference} does not "
                             f"carry the digit {category.digit} of category {category.code} "
                             f"(TOT {tp.header.tot})", tag))
    if reference:
        owner = session.scalar(sa.select(CentralRecord.origin)
                               .where(CentralRecord.reference == reference))
        if owner is not None and owner != sender:
            faults.append(_fault("reference.owner", f"reference number {reference} is one of "
                                 f"{owner}'s records", tag))
    return reference, category, faults


def _read_prints(tp: TenPrint) -> list[tuple[int, Template | None, bytes | None, str | None]]:
    """(position, template or None, image, amputation code) for each finger sent."""
    out: list[tuple[int, Template | None, bytes | None, str | None]] = []
    faults: list[dict[str, Any]] = []
    for f in tp.fingers:
        if not f.image:
            out.append((f.position, None, None, f.amputation))
            continue
        try:
            capture = read_capture(f.pixels(), f.position, f.ppi or None)
        except GranicaError as exc:
            faults.append(_fault("fingers.image", f"finger {f.position}: {exc.message}",
                                 "14.999"))
            continue
        out.append((f.position, capture.template, f.image, None))
    if not faults and not any(t is not None for _, t, _, _ in out):
        faults.append(_fault("fingers.quality", "no print gives a usable template: retake "
                             "the prints and send them again", "14.999"))
    if faults:
        raise _Rejected(faults)
    return out


def _compare(session: Session, category: Category, probes: list[Probe],
             own: str | None) -> list[dict[str, Any]]:
    """The stored records the category's rules compare with, above the threshold."""
    if not category.searched or not probes:
        return []
    ranked = _gallery(session).search_person(probes, top=CANDIDATES * 3)
    ids = [r for r, _, _ in ranked if r != own]
    records = {r.id: r for r in session.scalars(sa.select(CentralRecord)
                                                .where(CentralRecord.id.in_(ids)))} if ids else {}
    threshold = threshold_for(get_settings().asylum_candidate_fmr)
    out: list[dict[str, Any]] = []
    for record_id, score, _fingers in ranked:
        r = records.get(record_id)
        if r is None or score < threshold or \
                not category.compares_with(r.category, r.marked_at is not None):
            continue
        out.append({"reference": r.reference, "score": round(float(score), 4),
                    "member_state": r.origin, "category": r.category})
        if len(out) == CANDIDATES:
            break
    return out


def _store(session: Session, record: CentralRecord | None, category: Category, tp: TenPrint,
           reference: str, sender: str, prints: list[tuple[int, Template | None, bytes | None,
                                                          str | None]],
           now: dt.datetime) -> CentralRecord:
    """Store the record (a resend replaces the prints of the record with this reference)."""
    v = values()
    captured = tp.descriptive.get(v.fields["captured"], "")
    try:
        captured_on = dt.datetime.strptime(captured, "%Y%m%d").date()
    except ValueError:
        captured_on = None
    taken = dt.datetime.combine(captured_on, dt.time(), dt.UTC) if captured_on else now
    if record is None:
        record = CentralRecord(id=new_id(), reference=reference, origin=sender,
                               category=category.code, tot=tp.header.tot,
                               last_tcn=tp.header.tcn, transmissions=0, received_at=now,
                               updated_at=now)
        session.add(record)
    else:
        session.execute(sa.delete(CentralFinger).where(CentralFinger.record_id == record.id))
    record.category, record.tot, record.last_tcn = category.code, tp.header.tot, tp.header.tcn
    record.sex = (tp.descriptive.get(v.fields["sex"]) or "X")[:1]
    record.captured_on, record.operator = captured_on, tp.descriptive.get(v.fields["operator"],
                                                                          "")[:64]
    record.transmissions += 1
    record.updated_at = now
    record.retained_until = category.retained_until(taken)
    session.flush()
    gallery = _galleries.get(database_key(session))
    gallery.remove_subjects([record.id])
    for position, template, image, amputation in prints:
        row = CentralFinger(id=new_id(), record_id=record.id, position=position,
                            template=template.to_bytes() if template is not None else None,
                            image=image, amputation=amputation)
        session.add(row)
        if template is not None:  # a rolled-back transaction leaves at the next sync
            gallery.add(row.id, record.id, template)
    return record


def _taken(session: Session, sender: str, tcn: str) -> bool:
    """Whether this sender's transaction `tcn` was taken before (sent twice in two
    messages): it is taken, and answered, once."""
    if session.scalar(sa.select(CentralTransaction.id).where(
            CentralTransaction.sender == sender, CentralTransaction.tcn == tcn)) is None:
        return False
    log.warning("transaction received twice, taken once", extra={"fields": {
        "sender": sender, "tcn": tcn}})
    return True


def receive_transaction(session: Session, envelope: Envelope) -> None:
    """The exchange's handler of `asylum.transaction` on the central system."""
    settings = get_settings()
    if settings.node_role != CENTRAL:
        raise ValidationError(f"this node's role is {settings.node_role}, not {CENTRAL}: it "
                              "takes no transactions for the central system", field="kind")
    v = values()
    now = clock.now()
    body = envelope.body
    # what the message says of itself, until the transaction says better (a rejection of an
    # unreadable one still names it; one without a number is named by its message)
    tcn = str(body.get("tcn") or "")[:40] or envelope.id
    reference = str(body.get("reference") or "")[:40]
    data = b""
    tot, requester = "", envelope.sender
    category: Category | None = None
    candidates: list[dict[str, Any]] = []
    stored: CentralRecord | None = None
    try:
        try:
            data = transaction_bytes(body)
            tx = read_transaction(data)
            tp = read_tenprint(tx)
        except GranicaError as exc:
            if _taken(session, envelope.sender, tcn):
                return
            raise _Rejected([_fault("structure", exc.message)]) from None
        tot, tcn, requester = tp.header.tot, tp.header.tcn[:40] or tcn, tp.header.ori
        if _taken(session, envelope.sender, tcn):
            return
        faults = faults_of(tx, len(data))
        found, category, rule_faults = _check_rules(tp, envelope.sender, v, session)
        reference = found or reference
        if faults or rule_faults or category is None:
            raise _Rejected(faults + rule_faults)
        prints = _read_prints(tp)
        record = session.scalars(sa.select(CentralRecord)
                                 .where(CentralRecord.reference == reference)).first()
        probes = _probes(prints)
        candidates = _compare(session, category, probes, record.id if record else None)
        if category.stored:
            stored = _store(session, record, category, tp, reference, envelope.sender, prints,
                            now)
        result, faults = (HIT if candidates else NO_HIT), []
    except _Rejected as rejected:
        result, faults, candidates = REJECTED, rejected.faults, []
    answer_tcn = f"EU{uuid.uuid4().hex[:20].upper()}"
    session.add(CentralTransaction(
        id=new_id(), message_id=envelope.id, sender=envelope.sender, reference=reference,
        tcn=tcn, tot=tot[:16], category=category.code if category else None,
        received_at=now, result=result, faults=faults, candidates=candidates, size=len(data),
        content=data if stored is not None else None, answer_tcn=answer_tcn))
    answer = encode_answer(v, requester=requester or envelope.sender, request_tcn=tcn,
                           answer_tcn=answer_tcn, reference=reference, result=result,
                           candidates=candidates, faults=faults, now=now,
                           xml=data.lstrip()[:1] == b"<")  # answered in the request's encoding
    exchange.send(session, envelope.sender, ANSWER, envelope.conversation,
                  {"reference": reference, "tcr": tcn, "tcn": answer_tcn,
                   "transaction": base64.b64encode(answer).decode("ascii")})
    audit.record(session, system_principal("central system"), "asylum.central.receive",
                 purpose="central system", subject_type=RECORD,
                 subject_ids=[stored.id] if stored is not None else [],
                 result_count=len(candidates),
                 details={"sender": envelope.sender, "tcn": tcn, "result": result,
                          "faults": [f["rule"] for f in faults], "reference": reference,
                          "stored": stored is not None})


def receive_update(session: Session, envelope: Envelope) -> None:
    """A national node marked (protection granted) or erased in advance a subject it had
    sent: the record follows. Only the node that sent a record may change it; anything else
    is logged and audited as refused (the message is still taken, once)."""
    body = envelope.body
    reference, action = str(body.get("reference") or "")[:40], str(body.get("action") or "")
    record = session.scalars(sa.select(CentralRecord)
                             .where(CentralRecord.reference == reference)).first()
    refused = None
    if action not in UPDATE_ACTIONS:
        refused = f"unknown action {action[:20]!r}"
    elif record is None:
        refused = "no record with this reference"
    elif record.origin != envelope.sender:
        refused = f"the record was sent by {record.origin}, not {envelope.sender}"
    if refused is not None or record is None:
        log.warning("update refused", extra={"fields": {"sender": envelope.sender,
                                                        "reference": reference,
                                                        "why": refused}})
        audit.record(session, system_principal("central system"), "asylum.central.update",
                     purpose="central system", subject_type=RECORD,
                     details={"sender": envelope.sender, "reference": reference,
                              "action": action[:20], "refused": refused})
        return
    now = clock.now()
    if action == "mark":
        record.marked_at = record.marked_at or now
        record.updated_at = now
    else:
        _erase_record(session, record)
    audit.record(session, system_principal("central system"), "asylum.central.update",
                 purpose="central system", subject_type=RECORD, subject_ids=[record.id],
                 details={"sender": envelope.sender, "reference": reference, "action": action,
                          "reason": str(body.get("reason") or "")[:300]})


def _erase_record(session: Session, record: CentralRecord) -> None:
    """The record, its fingers and the transactions' content go; the transactions' rows
    (who sent what when, and the answer) stay for the audit."""
    session.execute(sa.delete(CentralFinger).where(CentralFinger.record_id == record.id))
    session.execute(sa.update(CentralTransaction)
                    .where(CentralTransaction.reference == record.reference)
                    .values(content=None))
    gallery = _galleries.get(database_key(session))
    gallery.remove_subjects([record.id])
    session.delete(record)
    session.flush()


def retention_due(db: Database) -> dict[str, Any]:
    """The central system's job: erase the records whose retention period has ended (counted
    from the date of fingerprinting, by category, as the national node counts it)."""
    if get_settings().node_role != CENTRAL:
        return {"erased": 0}
    now = clock.now()
    with db.session() as s:
        due = list(s.scalars(sa.select(CentralRecord).where(
            CentralRecord.retained_until.is_not(None), CentralRecord.retained_until < now)
            .limit(1000)))
        for record in due:
            _erase_record(s, record)
        if due:
            audit.record(s, system_principal("central system retention"),
                         "asylum.central.retention", purpose="central system",
                         subject_type=RECORD, subject_ids=[r.id for r in due],
                         result_count=len(due),
                         details={"references": [r.reference for r in due][:1000]})
    return {"erased": len(due)}


def _probes(prints: list[tuple[int, Template | None, bytes | None, str | None]]) -> list[Probe]:
    return [prepare(t) for _, t, _, _ in sorted(prints, key=lambda p: p[0]) if t is not None]


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text)[:300]


def encode_answer(v: Values, *, requester: str, request_tcn: str, answer_tcn: str,
                  reference: str, result: str, candidates: list[dict[str, Any]],
                  faults: list[dict[str, Any]], now: dt.datetime, xml: bool = False) -> bytes:
    """The answer as an ANSI/NIST-ITL transaction: type-1 (TCR = the request's TCN) and a
    type-2 record with the reference number, the result, the candidates or the faults
    (in the XML encoding with `xml`)."""
    header = TransactionHeader(
        tot=v.reject_tot if result == REJECTED else v.answer_tot, dai=_clean(requester) or "X",
        ori=v.central_ori, tcn=answer_tcn, tcr=_clean(request_tcn) or "X",
        date=dat_date(now.date()), version=v.version, priority=v.priority, gmt=gmt_stamp(now))
    f = v.fields
    tx = build_transaction(TenPrint(header=header, descriptive={
        f["reference"]: _clean(reference) or "-", f["result"]: result}))
    t2 = tx.records[1]
    assert isinstance(t2, TaggedRecord)
    if candidates:
        t2.set(f["candidates"], [[c["reference"], f"{c['score']:.4f}", c["member_state"],
                                  c["category"]] for c in candidates])
    if faults:
        t2.set(f["faults"], [[_clean(str(x["rule"])), _clean(str(x["message"]))]
                             for x in faults])
    return encoded(tx, xml=xml)
