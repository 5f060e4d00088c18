"""Pydantic shapes of the alert register's API, derived from the category table where they
depend on the category (the `data` of each category is checked by sis/validation.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from granica.sis.categories import CATEGORIES, Category

# A calendar date as text (the services still refuse a 31 February).
DATE = r"^(1[89]|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class AlertIn(BaseModel):
    """A national alert to enter as a draft. `data` holds the category's fields
    (see `GET /api/v1/alerts/categories` for each category's fields and mandatory ones)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "category": "arrest",
        "data": {"surname": "Jovanović", "forenames": "Đorđe", "sex": "M",
                 "date_of_birth": "1980-04-12", "nationalities": ["RS"],
                 "reason": "armed robbery", "issuing_authority": "Viši sud u Beogradu",
                 "warrant_reference": "EAW-2026-00017", "warning_markers": ["armed"]}}})

    category: str = Field(description="one of: " + ", ".join(CATEGORIES))
    data: dict[str, Any]
    supplementary_information: str | None = Field(None, max_length=4000)
    sirene_only: bool = Field(False, strict=True)


class AlertChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data: dict[str, Any]
    supplementary_information: str | None = Field(None, max_length=4000)


class Reason(BaseModel):
    """Why the action (a flag) cannot be executed."""

    reason: str = Field(min_length=5, max_length=1000, pattern=r"\S")


class Assessment(BaseModel):
    """The individual assessment that justifies keeping an alert for another period."""

    reason: str = Field(min_length=10, max_length=1000, pattern=r"\S")


class HideIn(BaseModel):
    """Hide an arrest alert for an operation: how long (at most 48 hours) and what for."""

    hours: float = Field(default=48, gt=0, le=48)
    reason: str = Field(min_length=5, max_length=1000, pattern=r"\S")


class LinkIn(BaseModel):
    other_alert_id: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=1000)


class MisusedIdentityIn(BaseModel):
    victim: dict[str, Any]
    consent_reference: str = Field(min_length=1, max_length=200, pattern=r"\S")
    consent_given_on: str = Field(max_length=10, pattern=DATE, description="YYYY-MM-DD")


class HitIn(BaseModel):
    context: dict[str, Any] | None = None


class SearchResult(BaseModel):
    """One search result: the same shape for persons and objects, for every caller."""

    alert_id: str
    schengen_id: str
    issuing_country: str
    category: str
    score: float = Field(ge=0, le=1)
    match: Literal["strong", "possible"] = Field(
        description="strong: the identifier, or the name and the date of birth, agree; "
                    "possible: a namesake or a missing date of birth, to be verified before "
                    "acting on the alert")
    reasons: list[str]
    action_to_be_taken: str
    warnings: list[str]
    summary: str


class AlertOut(BaseModel):
    """An alert as the caller may see it (also the export's line shape)."""

    model_config = ConfigDict(extra="allow")

    alert_id: str
    schengen_id: str
    issuing_country: str
    category: str
    category_label: str
    kind: Literal["person", "object"]
    status: Literal["draft", "active"]
    action_to_be_taken: str
    warnings: list[str]
    summary: str
    data: dict[str, Any]
    review_date: str
    flags: list[dict[str, Any]]
    links: list[dict[str, Any]]
    misused_identity: list[dict[str, Any]]


class ImportReportOut(BaseModel):
    read: int
    imported: int
    rejected: int
    rejections: list[dict[str, Any]]


def category_schema(category: Category) -> dict[str, Any]:
    """What a client (or the entry form) needs to know about one category."""
    return {
        "code": category.code, "kind": category.kind, "label": category.label,
        "legal_basis": category.legal_basis, "action_to_be_taken": category.action_to_be_taken,
        "review_years": category.review_years, "entered_by": category.entered_by,
        "enter_permission": category.enter_permission,
        "validate_permission": category.validate_permission,
        "read_permission": category.read_permission, "verified": category.verified,
        "notes": list(category.notes), "mandatory": list(category.mandatory),
        "fields": [{"name": f.name, "kind": f.kind, "label": f.label, "max_length": f.max_length,
                    "choices": list(f.choices), "identifier": f.identifier, "help": f.help,
                    "mandatory": f.name in category.mandatory} for f in category.fields],
    }
