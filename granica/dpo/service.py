"""The DPO's subject access: everything stored about a person, every access to it, and the export.

Law lets the authorities withhold some data from the person it concerns
(discreet, inquiry and specific check alerts; ongoing investigations). The
export for the data subject leaves those records, and the accesses to them,
out without a trace; the DPO's own copy and the audit log keep each withheld
record with its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.audit.search import accesses_to, entry_dict
from granica.auth.principal import Principal
from granica.dpo.registry import SubjectQuery, providers
from granica.errors import GranicaError, ValidationError
from granica.settings import get_settings

# Grounds on which a record may be withheld from the data subject.
WITHHOLD_REASONS: dict[str, str] = {
    "discreet_check": "alert for discreet check: disclosure would defeat its purpose "
                      "(Regulation (EU) 2018/1862 Art. 67, alerts under Art. 36; national law)",
    "inquiry_check": "alert for inquiry check: disclosure would defeat its purpose "
                     "(Regulation (EU) 2018/1862 Art. 67, alerts under Art. 36)",
    "specific_check": "alert for specific check: disclosure would defeat its purpose "
                      "(Regulation (EU) 2018/1862 Art. 67, alerts under Art. 36)",
    "ongoing_investigation": "disclosure would prejudice an ongoing investigation or "
                             "prosecution (Directive (EU) 2016/680 Art. 15(1)(a)-(b))",
    "national_security": "protection of national security (Directive (EU) 2016/680 "
                         "Art. 15(1)(d))",
    "rights_of_others": "protection of the rights and freedoms of others (Directive (EU) "
                        "2016/680 Art. 15(1)(e))",
}

# Who accessed the data is released by agency, not by officer name.
RELEASED_ACCESS_FIELDS = ("occurred_at", "agency", "action", "purpose", "outcome")


@dataclass
class SubjectReport:
    """What the DPO sees: every record (withheld ones marked) and every access to them."""

    query: dict[str, Any]
    records: list[dict[str, Any]]
    accesses: list[dict[str, Any]]
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SubjectExport:
    """The document for the data subject, and what was withheld from it with the reasons."""

    document: dict[str, Any]
    withheld: list[dict[str, Any]]
    audit_seq: int

    def to_json(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, indent=2, sort_keys=True,
                          default=str)


def _ids(item: dict[str, Any]) -> list[str]:
    ids = [str(i) for i in item.get("subject_ids") or []]
    if item.get("record_id"):
        ids.append(str(item["record_id"]))
    return ids


def _collect(session: Session, query: SubjectQuery) -> SubjectReport:
    records: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for domain, provider in providers().items():
        try:
            found = provider(session, query)
        except GranicaError as exc:
            # one domain failing must not hide the others; the DPO sees which one failed
            errors.append({"domain": domain, "error": exc.message})
            continue
        for item in found:
            entry = dict(item)
            entry["domain"] = domain
            code = entry.get("withhold")
            if code is not None and code not in WITHHOLD_REASONS:
                # withhold rather than disclose when a domain names a ground we do not know
                entry["withhold_text"] = f"withheld by the {domain} domain (ground '{code}')"
            records.append(entry)
    ids = sorted(set(query.subject_ids) | {i for r in records for i in _ids(r)})
    accesses = [entry_dict(row) for row in accesses_to(session, ids)]
    return SubjectReport(query.to_dict(), records, accesses, errors)


def subject_report(session: Session, principal: Principal, query: SubjectQuery, *,
                   purpose: str) -> SubjectReport:
    """Everything stored about a person and every access to it (for the DPO's eyes)."""
    audit.require(session, principal, "dpo.subject_access", action="dpo.subject_report",
                  subject_type="person", subject_ids=query.subject_ids, purpose=purpose,
                  what="list what is stored about a person")
    report = _collect(session, query)
    ids = sorted(set(query.subject_ids) | {i for r in report.records for i in _ids(r)})
    audit.record(session, principal, "dpo.subject_report", purpose=purpose,
                 subject_type="person", subject_ids=ids, query=report.query,
                 result_count=len(report.records))
    return report


def export_for_subject(
    session: Session,
    principal: Principal,
    query: SubjectQuery,
    *,
    purpose: str,
    request_reference: str,
    withhold: dict[str, str] | None = None,
) -> SubjectExport:
    """The JSON answer to a data subject's access request.

    `withhold` maps record ids to a reason code from WITHHOLD_REASONS, for what the
    DPO decides to withhold beyond what the domains mark (e.g. an investigation the
    DPO was told of). Withheld records and the accesses to them are left out of the
    document; each is kept, with its reason, in the result and in the audit row.
    """
    audit.require(session, principal, "dpo.subject_access", action="dpo.export",
                  subject_type="person", subject_ids=query.subject_ids, purpose=purpose,
                  what="export a data subject's data")
    if not request_reference.strip():
        raise ValidationError("give the reference of the data subject's request",
                              field="request_reference")
    extra = dict(withhold or {})
    for record_id, code in extra.items():
        if code not in WITHHOLD_REASONS:
            raise ValidationError(f"unknown reason '{code}' to withhold record {record_id}; "
                                  f"use one of {', '.join(WITHHOLD_REASONS)}", field="withhold")
    report = _collect(session, query)
    released: list[dict[str, Any]] = []
    withheld: list[dict[str, Any]] = []
    hidden_ids: set[str] = set()
    for item in report.records:
        reason: str | None = extra.get(str(item.get("record_id"))) or item.get("withhold")
        if reason:
            withheld.append({"domain": item["domain"], "record_type": item.get("record_type"),
                             "record_id": item.get("record_id"), "reason": reason,
                             "reason_text": WITHHOLD_REASONS.get(reason)
                             or item.get("withhold_text", reason)})
            hidden_ids.update(_ids(item))
            continue
        released.append({k: v for k, v in item.items()
                         if k not in ("withhold", "withhold_text", "subject_ids")})
    accesses = [
        {k: a[k] for k in RELEASED_ACCESS_FIELDS}
        for a in report.accesses
        if not hidden_ids.intersection(a["subject_ids"])
    ]
    settings = get_settings()
    document = {
        "request_reference": request_reference,
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "controller": {"country": settings.country, "system": settings.node_name},
        "subject": report.query,
        "records": released,
        "accesses": accesses,
    }
    all_ids = sorted(set(query.subject_ids) | {i for r in report.records for i in _ids(r)})
    entry = audit.record(
        session, principal, "dpo.export", purpose=purpose, subject_type="person",
        chained=True,  # the export cites its own row's place in the chain
        subject_ids=all_ids, query=report.query, result_count=len(released),
        details={"request_reference": request_reference,
                 "withheld": [{"record_id": w["record_id"], "domain": w["domain"],
                               "reason": w["reason"]} for w in withheld]},
    )
    return SubjectExport(document, withheld, entry.seq)
