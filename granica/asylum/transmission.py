"""Transmission of enrolled data subjects to the central system, and its answers.

`transmit()` encodes a subject as an ANSI/NIST-ITL transaction (type-1 header, type-2 data,
one type-14 print per finger position or the finger's amputation code, a type-10 face where
there is one) under the configured application profile, checks it against the profile, and
hands it to `granica.exchange` in the same transaction as the record of the transmission, so
that it exists exactly when the transmission was committed. The exchange delivers it to the
central peer, retrying while the peer is down. A resend keeps the reference number (the
central system treats it as the same subject) and gets a new transaction control number.

The central system answers with a transaction of its own (hit with the candidates, no hit,
or rejected with the faults); `receive_answer()`, the exchange's handler of
`asylum.answer`, records it on the transmission and marks the subject transmitted.
`transmit_due()` is the job that transmits every subject not yet sent, the earliest
deadline first.

The codes the profile leaves to the nodes (TOT per category, identifiers, type-2 field
numbers) are data in `transmission.toml` (GRANICA_ASYLUM_ITL_VALUES_FILE)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import io
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.asylum import service
from granica.asylum.central_models import HIT, NO_HIT, REJECTED, RESULTS, Transmission
from granica.asylum.models import ERASED, ROLLED, Finger, Subject
from granica.audit import service as audit
from granica.auth.principal import Principal, system_principal
from granica.biometrics.formats import (
    Deviation,
    FaceImage,
    FingerImage,
    Profile,
    TaggedRecord,
    TenPrint,
    Transaction,
    TransactionHeader,
    build_transaction,
    load_profile,
    read_transaction,
    to_xml,
    validate,
)
from granica.biometrics.formats.tenprint import dat_date, finger_from_pixels, gmt_stamp
from granica.biometrics.image import to_pixels
from granica.errors import ConflictError, GranicaError, NotFoundError, ValidationError
from granica.exchange import service as exchange
from granica.exchange.envelope import Envelope
from granica.settings import get_settings
from granica.storage import Database, new_id

log = logging.getLogger("granica.asylum")

TRANSACTION = "asylum.transaction"  # exchange kind: a subject sent to the central system
ANSWER = "asylum.answer"  # exchange kind: the central system's answer
UPDATE = "asylum.update"  # exchange kind: a transmitted subject marked or erased nationally
UPDATE_ACTIONS = ("mark", "erase")
VALUES = Path(__file__).with_name("transmission.toml")
NATIONAL = "national"
CENTRAL = "eurodac-central"
JOB_BATCH = 200  # subjects transmitted by one run of the job


@dataclass(frozen=True)
class Values:
    """What the application profile leaves to the nodes (transmission.toml)."""

    version: str
    priority: str
    ori: str
    central_ori: str
    compression: str
    ppi: int
    impression: dict[str, int]
    tot: dict[str, str]
    answer_tot: str
    reject_tot: str
    fields: dict[str, int]
    amputation: dict[str, str]

    def node_ori(self, country: str) -> str:
        return self.ori.format(country=country)

    def category_of(self, tot: str) -> str | None:
        return next((c for c, t in self.tot.items() if t == tot), None)


@functools.lru_cache(maxsize=4)
def _read_values(path: Path) -> Values:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        answer = raw["answer"]
        return Values(
            version=str(raw["version"]), priority=str(raw["priority"]), ori=str(raw["ori"]),
            central_ori=str(raw["central_ori"]), compression=str(raw["compression"]),
            ppi=int(raw["ppi"]), impression={k: int(v) for k, v in raw["impression"].items()},
            tot={k: str(v) for k, v in raw["tot"].items()}, answer_tot=str(answer["tot"]),
            reject_tot=str(answer["reject_tot"]),
            fields={k: int(v) for k, v in raw["type2"].items()},
            amputation={k: str(v) for k, v in raw["amputation"].items()})
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"{path}: the exchange values with the central system cannot be "
                              f"read ({type(exc).__name__}: {exc})",
                              field="asylum_itl_values_file") from exc


def values() -> Values:
    return _read_values(get_settings().asylum_itl_values_file or VALUES)


@functools.lru_cache(maxsize=4)
def _profile(name: str) -> Profile:
    return load_profile(name)


def profile() -> Profile:
    """The application profile transactions to the central system are checked against."""
    return _profile(get_settings().asylum_itl_profile)


def conversation(reference: str) -> str:
    """The exchange conversation of one subject with the central system (both ways)."""
    return f"asylum-{reference}"


def faults_of(tx: Transaction, size: int) -> list[dict[str, Any]]:
    """Every deviation of a transaction from the profile, as the answers list them."""
    return [fault(d) for d in validate(tx, profile(), size=size)]


def fault(d: Deviation) -> dict[str, Any]:
    return {"rule": d.rule, "message": d.message, "record": d.record, "field": d.field,
            "verified": d.verified}


def describe(faults: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f['rule']}: {f['message']}" for f in faults)


# --- encoding a subject -----------------------------------------------------------------


def _one_per_position(fingers: list[Finger]) -> list[Finger]:
    """The print sent for each position: the rolled one where there is one, else the flat;
    a position with no print is sent with its reason."""
    chosen: dict[int, Finger] = {}
    for f in fingers:
        have = chosen.get(f.position)
        if have is None or (have.image is None and f.image is not None) or \
                (f.image is not None and f.impression == ROLLED and have.impression != ROLLED):
            chosen[f.position] = f
    return [chosen[p] for p in sorted(chosen)]


def _finger(f: Finger, v: Values) -> FingerImage:
    impression = v.impression.get(f.impression, 0)
    if f.image is None:
        code = v.amputation.get(f.missing_reason or "", "UP")
        return FingerImage(f.position, b"", v.compression, 0, 0, v.ppi, impression, 14,
                           amputation=code)
    image = to_pixels(f.image)  # as the enrolment read it: at 500 ppi
    return finger_from_pixels(f.position, image.pixels, ppi=image.ppi,
                              compression=v.compression, impression=impression)


def _face(data: bytes) -> FaceImage:
    from PIL import Image, UnidentifiedImageError

    labels = {"JPEG": "JPEGB", "PNG": "PNG", "JPEG2000": "JP2"}
    try:
        with Image.open(io.BytesIO(data)) as im:
            label = labels.get(str(im.format), str(im.format))
            return FaceImage(data, label, int(im.size[0]), int(im.size[1]))
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(f"the facial image cannot be read ({exc})", field="face") from exc


def encode(session: Session, subject: Subject, tcn: str, now: dt.datetime) -> bytes:
    """The subject as an ANSI/NIST-ITL transaction (in the configured encoding)."""
    v = values()
    tot = v.tot.get(subject.category)
    if tot is None:
        raise ValidationError(
            f"no transaction type (1.004 TOT) is configured for category {subject.category} in "
            f"{get_settings().asylum_itl_values_file or VALUES}: it cannot be transmitted",
            field="category")
    settings = get_settings()
    captured = dat_date(subject.captured_at.date())
    header = TransactionHeader(tot=tot, dai=v.central_ori, ori=v.node_ori(settings.country),
                               tcn=tcn, date=captured, version=v.version, priority=v.priority,
                               gmt=gmt_stamp(now))
    f = v.fields
    descriptive = {f["member_state"]: settings.country, f["reference"]: subject.reference,
                   f["sex"]: subject.sex, f["captured"]: captured,
                   f["application"]: " ".join(x for x in (subject.registration_place,
                                                          subject.registered_at.date().isoformat())
                                              if x),
                   f["operator"]: subject.operator}
    fingers = list(session.scalars(sa.select(Finger).where(Finger.subject_id == subject.id)))
    tp = TenPrint(header=header, descriptive=descriptive,
                  fingers=[_finger(x, v) for x in _one_per_position(fingers)],
                  faces=[_face(subject.face)] if subject.face else [],
                  source_agency=header.ori, capture_date=captured)
    return encoded(build_transaction(tp), xml=settings.asylum_itl_encoding == "xml")


def encoded(tx: Transaction, *, xml: bool) -> bytes:
    """A transaction in the traditional or the XML encoding."""
    return to_xml(tx) if xml else tx.to_bytes()


# --- transmitting -----------------------------------------------------------------------


def transmit(session: Session, principal: Principal, reference: str) -> Transmission:
    """Send one data subject to the central system (again, if it was sent before: the same
    reference number, a new transaction control number). The transaction is checked against
    the profile first: one that fails it is not sent, and the error lists every fault."""
    audit.require(session, principal, service.ENROL, action="asylum.transmit",
                  subject_type=service.SUBJECT, what="transmit a data subject to the central system")
    settings = get_settings()
    if settings.node_role != NATIONAL:
        raise ConflictError(f"this node's role is {settings.node_role}: only a national node "
                            "transmits to the central system", field="reference")
    if settings.training:
        raise ConflictError("a training node's subjects are synthetic: they are never sent "
                            "to the central system", field="reference")
    subject = service.subject_by_reference(session, reference)
    if subject.state == ERASED:
        raise ConflictError(f"{reference} was erased: there is nothing to transmit",
                            field="reference")
    earlier = session.scalar(sa.select(sa.func.count()).select_from(Transmission)
                             .where(Transmission.subject_id == subject.id)) or 0
    tcn = f"{subject.reference}T{earlier + 1:03d}"
    now = clock.now()
    data = encode(session, subject, tcn, now)
    faults = faults_of(read_transaction(data), len(data))
    if faults:
        raise ValidationError(
            f"the transaction of {reference} fails the {profile().name} profile, so it was not "
            f"sent: {describe(faults)}", field="reference", faults=faults)
    peer = settings.asylum_central_peer
    body = {"reference": subject.reference, "tcn": tcn,
            "transaction": base64.b64encode(data).decode("ascii")}
    message = exchange.send(session, peer, TRANSACTION, conversation(subject.reference), body)
    row = Transmission(id=new_id(), subject_id=subject.id, reference=subject.reference, tcn=tcn,
                       peer=peer, message_id=message.id, sent_by=principal.username, sent_at=now,
                       candidates=[], faults=[])
    session.add(row)
    audit.record(session, principal, "asylum.transmit", purpose="asylum procedure",
                 subject_type=service.SUBJECT, subject_ids=[subject.id],
                 details={"reference": subject.reference, "tcn": tcn, "peer": peer,
                          "resend": earlier > 0, "bytes": len(data)})
    session.flush()
    return row


def notify_central(session: Session, subject: Subject, action: str, reason: str) -> bool:
    """Tell the central system that a subject it holds was marked (protection granted) or
    erased in advance, so that its record follows; in the same transaction as the change.
    Returns whether a message was queued (not for a subject never transmitted, nor on a
    training node)."""
    if action not in UPDATE_ACTIONS:
        raise ValueError(f"unknown update {action!r}")
    settings = get_settings()
    if settings.node_role != NATIONAL or settings.training:
        return False
    if not session.scalar(sa.select(sa.func.count()).select_from(Transmission)
                          .where(Transmission.subject_id == subject.id)):
        return False
    exchange.send(session, settings.asylum_central_peer, UPDATE, conversation(subject.reference),
                  {"reference": subject.reference, "action": action, "reason": reason[:300]})
    return True


def transmit_due(db: Database) -> dict[str, Any]:
    """The job: transmit every subject never sent, the earliest deadline first (those sent
    and waiting for the answer, or rejected and waiting for an officer, are left alone)."""
    if get_settings().node_role != NATIONAL or get_settings().training:
        return {"sent": 0, "failed": []}
    sendable = list(values().tot)
    with db.session() as s:
        references = list(s.scalars(
            sa.select(Subject.reference)
            .where(Subject.transmitted_at.is_(None), Subject.state != ERASED,
                   Subject.category.in_(sendable),
                   ~sa.exists().where(Transmission.subject_id == Subject.id))
            .order_by(sa.nulls_last(Subject.transmission_due.asc()), Subject.registered_at)
            .limit(JOB_BATCH)))
    sent, failed = 0, []
    principal = system_principal("asylum transmission")
    for reference in references:
        try:
            with db.session() as s:
                transmit(s, principal, reference)
            sent += 1
        except GranicaError as exc:  # one subject that cannot go must not hold the others
            failed.append({"reference": reference, "error": exc.message[:300]})
            log.warning("transmission failed", extra={"fields": {"reference": reference,
                                                                 "error": exc.message[:300]}})
    return {"sent": sent, "failed": failed}


# --- the central system's answers -------------------------------------------------------


@dataclass
class Answer:
    """What an answer transaction says."""

    tot: str
    tcn: str
    tcr: str
    reference: str
    result: str
    candidates: list[dict[str, Any]]
    faults: list[dict[str, Any]]


def _items(record: TaggedRecord, number: int) -> list[list[str]]:
    f = record.get(number)
    return f.items() if f is not None and f.value else []


def transaction_bytes(body: dict[str, Any]) -> bytes:
    """The ANSI/NIST-ITL bytes a message carries (base64 in its body)."""
    try:
        return base64.b64decode(str(body.get("transaction") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("the message's transaction is not base64",
                              field="transaction") from None


def read_answer(data: bytes) -> Answer:
    tx = read_transaction(data)
    t1 = tx.header
    v = values()
    t2 = next((r for r in tx.records if isinstance(r, TaggedRecord) and r.type == 2), None)
    if t2 is None:
        raise ValidationError("the answer has no type-2 record", field="2")
    tot = t1.value(4, "") or ""
    result = t2.value(v.fields["result"], "") or ""
    if tot not in (v.answer_tot, v.reject_tot) or result not in RESULTS or \
            (result == REJECTED) != (tot == v.reject_tot):
        raise ValidationError(f"the answer's TOT {tot!r} and result {result!r} do not agree "
                              f"({v.answer_tot}: {HIT}/{NO_HIT}, {v.reject_tot}: {REJECTED})",
                              field="1.004")
    candidates = [{"reference": c[0], "score": float(c[1]) if len(c) > 1 else 0.0,
                   "member_state": c[2] if len(c) > 2 else "",
                   "category": c[3] if len(c) > 3 else ""}
                  for c in _items(t2, v.fields["candidates"])]
    faults = [{"rule": f[0], "message": f[1] if len(f) > 1 else ""}
              for f in _items(t2, v.fields["faults"])]
    return Answer(tot, t1.value(9, "") or "", t1.value(10, "") or "",
                  t2.value(v.fields["reference"], "") or "", result, candidates, faults)


def receive_answer(session: Session, envelope: Envelope) -> None:
    """The exchange's handler of `asylum.answer`: the central system's answer recorded on the
    transmission it answers; a hit or no hit marks the subject transmitted. An answer to a
    transmission already answered (the central answered twice) is kept once."""
    settings = get_settings()
    if settings.node_role != NATIONAL:
        raise ValidationError(f"this node's role is {settings.node_role}: answers of the "
                              "central system go to national nodes", field="kind")
    if envelope.sender != settings.asylum_central_peer:
        raise ValidationError(f"{envelope.sender} is not the central system "
                              f"({settings.asylum_central_peer}): its answer is not taken",
                              field="sender")
    answer = read_answer(transaction_bytes(envelope.body))
    row = session.scalars(sa.select(Transmission).where(Transmission.tcn == answer.tcr)
                          .with_for_update()).first()
    if row is None or row.reference != answer.reference:
        raise NotFoundError(f"the answer refers to transaction {answer.tcr!r} of "
                            f"{answer.reference!r}, which this node did not send",
                            field="1.010")
    if row.answered_at is not None:
        log.warning("answer received twice, kept once", extra={"fields": {
            "tcn": row.tcn, "reference": row.reference, "answer": answer.tcn}})
        return
    now = clock.now()
    row.answered_at, row.result, row.answer_tcn = now, answer.result, answer.tcn[:40]
    row.candidates, row.faults = answer.candidates, answer.faults
    subject = session.get(Subject, row.subject_id)
    assert subject is not None
    if answer.result != REJECTED and subject.transmitted_at is None:
        subject.transmitted_at = now
        subject.updated_at = now
    audit.record(session, system_principal("answer of the central system"), "asylum.answer",
                 purpose="asylum procedure", subject_type=service.SUBJECT,
                 subject_ids=[subject.id], result_count=len(answer.candidates),
                 details={"reference": row.reference, "tcn": row.tcn, "result": answer.result,
                          "candidates": [c["reference"] for c in answer.candidates],
                          "faults": [f["rule"] for f in answer.faults]})


def transmissions(session: Session, principal: Principal, reference: str) -> dict[str, Any]:
    """A subject's transmissions to the central system and the answers (the latest last)."""
    audit.require(session, principal, service.ENROL, action="asylum.read",
                  subject_type=service.SUBJECT, what="see a subject's transmissions")
    subject = service.subject_by_reference(session, reference)
    rows = list(session.scalars(sa.select(Transmission).where(Transmission.subject_id == subject.id)
                                .order_by(Transmission.sent_at, Transmission.tcn)))
    states = exchange.delivery_states(session, [r.message_id for r in rows])
    audit.record(session, principal, "asylum.read", purpose="asylum procedure",
                 subject_type=service.SUBJECT, subject_ids=[subject.id], result_count=len(rows),
                 query={"transmissions": reference})

    def iso(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {"reference": subject.reference, "transmitted_at": iso(subject.transmitted_at),
            "transmission_due": iso(subject.transmission_due),
            "transmissions": [{"tcn": r.tcn, "peer": r.peer, "sent_at": iso(r.sent_at),
                               "sent_by": r.sent_by, "delivery": states.get(r.message_id),
                               "answered_at": iso(r.answered_at), "result": r.result,
                               "candidates": r.candidates, "faults": r.faults} for r in rows]}
