"""Request and result shapes of the border domain, shared by the service, the API and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from granica.clock import IsoDate


class TypedDocument(BaseModel):
    """Document data typed by the guard (or sent by a kiosk) when there is no MRZ."""

    document_type: str = Field(default="P", max_length=5, examples=["P"])
    document_number: str = Field(default="", max_length=40, examples=["L898902C3"])
    issuing_state: str = Field(default="", max_length=3, examples=["UTO"])
    nationality: str = Field(default="", max_length=3, examples=["UTO"])
    surname: str = Field(default="", max_length=200, examples=["ERIKSSON"])
    given_names: str = Field(default="", max_length=200, examples=["ANNA MARIA"])
    birth_date: IsoDate | None = Field(default=None, examples=["1974-08-12"])
    sex: str = Field(default="", max_length=1, examples=["F"])
    expiry_date: IsoDate | None = Field(default=None, examples=["2032-04-15"])


class FingerprintInput(BaseModel):
    """One print of the traveller, captured at the lane: a PNG (or TIFF, BMP, JPEG) or WSQ
    image, base64-encoded. Used to confirm an alert hit (1:1) and, when the identity cannot
    be ascertained from a document, to search the alerts' prints (1:N)."""

    image: str = Field(..., min_length=1, max_length=8_000_000,
                       description="base64 of the PNG or WSQ file (500 ppi)")
    finger_position: int = Field(default=0, ge=0, le=10,
                                 description="ANSI/NIST finger position, 0 when unknown")


class CheckRequest(BaseModel):
    """One person at one crossing. Give `mrz` (lines separated by newlines) or `document`."""

    bcp: str = Field(..., max_length=20, description="border crossing point code",
                     examples=["RS-BATROVCI"])
    lane: str = Field(default="", max_length=20, examples=["L3"])
    direction: Literal["entry", "exit"] = "entry"
    mrz: str | None = Field(default=None, max_length=400, description="MRZ lines as read")
    document: TypedDocument | None = None
    free_movement_family_member: bool = Field(strict=True,
        default=False, description="third-country family member of an EU citizen (minimum check)")
    vehicle_plate: str = Field(default="", max_length=20)
    vehicle_country: str = Field(default="", max_length=3)
    crossing_ref: str | None = Field(
        default=None, min_length=1, max_length=80,
        description="the client's identifier of this crossing; a second check of the same "
        "crossing is refused")
    intended_exit: IsoDate | None = Field(
        default=None, description="last day of the intended stay (entries of third-country nationals)")
    visa_number: str = Field(default="", max_length=20)
    carrier: str = Field(default="", max_length=200,
                         description="the haulier or bus company, for vehicles with a load")
    commodity: str = Field(default="", max_length=10, pattern=r"^(\d{2,10})?$",
                           description="HS code of the main goods carried (2 to 10 digits)")
    origin: str = Field(default="", max_length=3, pattern=r"^([A-Z]{2,3})?$",
                        description="country the journey or the load comes from (ISO 3166)")
    destination: str = Field(default="", max_length=3, pattern=r"^([A-Z]{2,3})?$",
                             description="country the journey or the load goes to (ISO 3166)")
    fingerprints: list[FingerprintInput] = Field(
        default_factory=list, max_length=10,
        description="the traveller's prints, if taken: they confirm or rule out a person hit "
        "and are searched against the alerts' prints when there is no valid document")


class Reason(BaseModel):
    code: str
    message: str


def is_confirmed(match: str, fingerprint: str) -> bool:
    """A hit to act on: the identifying data agree, or the prints confirmed a namesake."""
    return match == "strong" or fingerprint in ("confirmed", "identified")


class HitView(BaseModel):
    source: str
    alert_id: str
    category: str
    category_label: str
    action: str
    warnings: list[str] = []
    score: float | None = None
    summary: str = ""
    flagged: bool = False
    hit_report_id: str = ""
    # 1:1 against the alert's prints: confirmed | not_confirmed | no_prints ("" not compared);
    # a 1:N fingerprint hit is "identified"
    fingerprint: str = ""
    fingerprint_score: float | None = None
    # strong: the document, vehicle, or name and date of birth agree (a hit, reported to the
    # SIRENE Bureau); possible: a namesake (the date of birth differs or is not recorded),
    # referred to second line to verify the identity, reported only when it is the person
    match: Literal["strong", "possible"] = "strong"

    @property
    def confirmed(self) -> bool:
        return is_confirmed(self.match, self.fingerprint)


class SourceView(BaseModel):
    name: str
    label: str
    status: str
    ms: int
    hits: int
    error: str = ""


class StayView(BaseModel):
    days_used: int
    days_remaining: int
    allowed: bool | None = None
    last_allowed_day: dt.date | None = None
    overstay_days: int = 0
    explanation: str = ""


class CheckResult(BaseModel):
    """The decision for the guard: go, refer (stop and refer to second line) or hit."""

    check_id: str
    decision: Literal["go", "refer", "hit"]
    complete: bool
    missed_sources: list[str] = []
    warnings: list[str] = []
    reasons: list[Reason] = []
    hits: list[HitView] = []
    kind: Literal["minimum", "thorough"]
    direction: Literal["entry", "exit"]
    bcp: str
    lane: str = ""
    checked_at: dt.datetime
    document: dict[str, Any] = {}
    stay: StayView | None = None
    sources: list[SourceView] = []
    duration_ms: int = 0
    recheck_queued: bool = False


class RefusalRequest(BaseModel):
    check_id: str | None = None
    bcp: str = Field(..., max_length=20)
    reasons: list[str] = Field(..., min_length=1, examples=[["C", "E"]])
    details: dict[str, str] = Field(
        default_factory=dict, description="particulars by letter: E the documents missing, "
        "H 'SIS' or 'national', I the provisions of national law", examples=[{"H": "SIS"}])
    remarks: str = Field(default="", max_length=2000)
    language: str = Field(default="en", max_length=10)
    document: TypedDocument | None = None
