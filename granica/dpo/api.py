"""JSON API of the Data Protection Officer: subject reports and exports for access requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.dpo import service
from granica.dpo.registry import SubjectQuery

router = APIRouter(prefix="/dpo", tags=["data protection"])


class SubjectQueryIn(BaseModel):
    """Who the request is about: a surname (with given names, date of birth), documents or ids."""

    surname: str | None = Field(None, max_length=200)
    given_names: str | None = Field(None, max_length=200)
    date_of_birth: dt.date | None = None
    nationality: str | None = Field(None, max_length=3)
    document_numbers: list[str] = Field(default_factory=list, max_length=20)
    subject_ids: list[str] = Field(default_factory=list, max_length=100)

    def query(self) -> SubjectQuery:
        return SubjectQuery(surname=self.surname, given_names=self.given_names,
                            date_of_birth=self.date_of_birth, nationality=self.nationality,
                            document_numbers=tuple(self.document_numbers),
                            subject_ids=tuple(self.subject_ids))


class ExportIn(SubjectQueryIn):
    request_reference: str = Field(..., max_length=100)
    withhold: dict[str, str] = Field(default_factory=dict,
                                     description="record id -> reason code to withhold")


@router.post("/subject-report")
def subject_report(body: SubjectQueryIn, session: DbSession, principal: CurrentPrincipal,
                   purpose: StatedPurpose) -> dict[str, Any]:
    """Everything stored about a person in every domain, and every access to it
    (permission `dpo.subject_access`). Records the law lets us withhold carry `withhold`.

    Example: `POST /api/v1/dpo/subject-report` `{"surname": "Petrović", "date_of_birth": "1980-05-02"}`
    """
    report = service.subject_report(session, principal, body.query(), purpose=purpose)
    return {"query": report.query, "records": report.records, "accesses": report.accesses,
            "errors": report.errors}


@router.post("/export")
def export(body: ExportIn, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> dict[str, Any]:
    """The answer to a data subject's access request: `document` goes to the person,
    `withheld` (with reasons) stays with the DPO. Permission `dpo.subject_access`.
    """
    result = service.export_for_subject(session, principal, body.query(), purpose=purpose,
                                        request_reference=body.request_reference,
                                        withhold=body.withhold)
    return {"document": result.document, "withheld": result.withheld,
            "audit_seq": result.audit_seq}
