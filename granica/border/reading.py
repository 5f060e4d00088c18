"""Reading the travel document for a check: the MRZ or the typed data page, and the rules every
document must pass (dates, countries, expiry). Pure functions; no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from granica import clock
from granica.border.schemas import Reason, TypedDocument
from granica.documents import parse_mrz
from granica.documents.mrz import country_codes

# Nationals of the EU, EEA and Switzerland enjoy free movement (minimum check, SBC Art 8(2));
# the node's own nationals (settings.document_country) are checked as a member state's own
# nationals, see `free_movement`. ICAO codes (D = Germany).
FREE_MOVEMENT = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "D", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE", "ISL", "LIE", "NOR", "CHE",
})


def free_movement(nationality: str, own_country: str) -> bool:
    """Minimum check: a free-movement national, or a national of the node's own country."""
    return nationality in FREE_MOVEMENT or (bool(nationality) and nationality == own_country)

MESSAGES = {
    "no_document": "No travel document was presented or read: refer to second line.",
    "mrz_unreadable": "The MRZ could not be read",
    "mrz_check_digit": "A check digit of the MRZ is wrong",
    "impossible_date": "A date on the document is impossible",
    "unknown_country": "Unknown country code",
    "document_expired": "The travel document has expired",
    "validity_short": "The document is not valid for 3 months after the intended departure "
                      "(SBC Art 6(1)(a))",
    "incomplete_document": "Document data is incomplete",
    "duplicate_crossing": "This crossing was already checked",
    "already_entered": "An entry is recorded with no exit since",
    "already_exited": "An exit is recorded with no entry since",
    "incomplete": "Not every source answered: the check is incomplete",
    "stay_exhausted": "The intended stay exceeds 90 days in any 180 (refusal reason F)",
    "overstay": "The traveller has overstayed",
    "stay_unavailable": "The 90/180-day calculation is not available",
    "risk_profile": "A risk profile of the agencies flags this crossing: control it",
    "possible_match": "A namesake in the alerts (the date of birth differs or is not "
                      "recorded): verify the identity at second line and report the hit "
                      "if it is the person",
}


@dataclass(frozen=True)
class DocumentData:
    """The document as the check uses it, from the MRZ or typed."""

    document_type: str = ""
    document_number: str = ""
    issuing_state: str = ""
    nationality: str = ""
    surname: str = ""
    given_names: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    expiry_date: dt.date | None = None

    @classmethod
    def of(cls, row: Any) -> DocumentData:
        """The document as a stored check (or anything with the same columns) holds it."""
        return cls(row.document_type, row.document_number, row.issuing_state,
                   row.nationality, row.surname, row.given_names, row.birth_date, row.sex,
                   row.expiry_date)

    def view(self) -> dict[str, Any]:
        return {
            "document_type": self.document_type, "document_number": self.document_number,
            "issuing_state": self.issuing_state, "nationality": self.nationality,
            "surname": self.surname, "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }


def reason(code: str, detail: str = "") -> Reason:
    base = MESSAGES[code]
    return Reason(code=code, message=f"{base}: {detail}" if detail else base)


def known_country_codes() -> frozenset[str]:
    """Codes valid in an MRZ (the documents library's table)."""
    return frozenset(country_codes())


# MrzResult warning codes that make a check fail closed (others are shown, e.g. expires_soon)
_MRZ_WARNING_REASONS = {
    "unknown_country_code": "unknown_country",
    "impossible_date": "impossible_date",
    "expired": "document_expired",
    "no_expiry_date": "incomplete_document",
    "unknown_document_code": "mrz_unreadable",
}


def read_mrz(text: str) -> tuple[DocumentData | None, list[Reason]]:
    """Parse and validate the MRZ; every problem becomes a reason (the check fails closed)."""
    result = parse_mrz(text, today=clock.today())
    if result.errors or not result.fields:
        detail = "; ".join(e.get("message", str(e)) for e in result.errors)
        return None, [reason("mrz_unreadable", detail[:300] or "no fields recognised")]
    reasons: list[Reason] = []
    bad = [k for k, ok in result.checks.items() if not ok]
    if bad:
        fixed = ", ".join(f"{c.get('field', '?')} read {c.get('read', '?')!r} as "
                          f"{c.get('corrected', '?')!r}" for c in result.corrections)
        reasons.append(reason("mrz_check_digit", ", ".join(bad) + (
            f" (OCR correction proposed: {fixed}; rescan or compare with the data page)"
            if fixed else "; rescan the document or type the data page")))
    for w in result.warnings:
        code = _MRZ_WARNING_REASONS.get(w.get("code", ""))
        if code:
            reasons.append(reason(code, w.get("message", "")))
    f = result.fields
    doc = DocumentData(
        document_type=f.get("document_code", "").replace("<", ""),
        document_number=f.get("document_number", "").replace("<", ""),
        issuing_state=f.get("issuing_state", "").replace("<", ""),
        nationality=f.get("nationality", "").replace("<", ""),
        surname=f.get("surname", "").replace("<", " ").strip(),
        given_names=f.get("given_names", "").replace("<", " ").strip(),
        birth_date=result.birth_date, sex=f.get("sex", "").replace("<", ""),
        expiry_date=result.expiry_date,
    )
    return doc, reasons


def typed_document(d: TypedDocument) -> DocumentData:
    return DocumentData(
        document_type=d.document_type.strip().upper(),
        document_number=d.document_number.strip().upper().replace(" ", ""),
        issuing_state=d.issuing_state.strip().upper(),
        nationality=d.nationality.strip().upper(),
        surname=" ".join(d.surname.split()), given_names=" ".join(d.given_names.split()),
        birth_date=d.birth_date, sex=d.sex.strip().upper(), expiry_date=d.expiry_date,
    )


def document_problems(doc: DocumentData, today: dt.date) -> list[Reason]:
    """Rules on the document whatever its source: dates, countries, expiry, completeness."""
    out: list[Reason] = []
    missing = [n for n in ("document_number", "surname") if not getattr(doc, n)]
    if missing:
        out.append(reason("incomplete_document", ", ".join(missing) + " missing"))
    if doc.birth_date is None:
        out.append(reason("incomplete_document", "birth_date missing"))
    elif doc.birth_date > today:
        out.append(reason("impossible_date", f"birth date {doc.birth_date} is in the future"))
    if doc.expiry_date is None:
        out.append(reason("incomplete_document", "expiry_date missing"))
    else:
        if doc.birth_date and doc.expiry_date <= doc.birth_date:
            out.append(reason("impossible_date", f"expiry {doc.expiry_date} before birth"))
        elif doc.expiry_date < today:
            out.append(reason("document_expired", f"expired on {doc.expiry_date}"))
    known = known_country_codes()
    if known:
        for name in ("issuing_state", "nationality"):
            code = getattr(doc, name)
            if not code or code not in known:
                out.append(reason("unknown_country", f"{name} {code!r}"))
    return out


def dedupe(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:  # the MRZ and the rules may both find the same fault
            seen.add(r.code)
            out.append(r)
    return out
