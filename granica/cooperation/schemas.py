"""What agencies send and get back: one input model per record kind, checked against the code
lists, and the shapes of records, notifications, profiles and flags."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from granica import clock
from granica.cooperation.codelists import codelists

Country = Annotated[str, Field(pattern=r"^[A-Z]{2,3}$", description="ISO 3166 code, e.g. RS or SRB")]
ShortText = Annotated[str, Field(max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _code(check: Any, value: str) -> str:
    """Run a code-list check inside a validator (pydantic then names the field)."""
    from granica.errors import ValidationError

    try:
        return str(check(value))
    except ValidationError as exc:
        raise ValueError(exc.message) from None


@functools.lru_cache(maxsize=4096)
def _hs_code(value: str) -> str:
    """An HS/CN code checked once per distinct value (an import repeats a few codes)."""
    return _code(codelists().check_hs_code, value)


def _member(value: str, allowed: Any, what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}'; use one of: {', '.join(map(str, allowed))}")
    return value


class PersonRef(_Strict):
    """A person named in a record (suspect, carrier, driver, victim)."""

    name: ShortText
    birth_date: dt.date | None = None
    nationality: Country | None = None
    role: str | None = Field(None, max_length=40)
    document_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=40)

    @field_validator("birth_date")
    @classmethod
    def _born_in_the_past(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not dt.date(1900, 1, 1) <= value <= clock.today():
            raise ValueError(f"birth date {value} is impossible (before 1900 or in the future)")
        return value


class RecordBase(_Strict):
    occurred_at: dt.datetime = Field(description="when it happened (UTC, or with an offset)")
    bcp: str | None = Field(None, max_length=20, description="border crossing point code")
    location: str = Field("", max_length=200, description="place, if not at a crossing point")
    shared_with: list[str] = Field(
        default_factory=list,
        description="agency codes that may see the record besides the owner; ['*'] for all")
    notes: str = Field("", max_length=2000)

    @field_validator("shared_with")
    @classmethod
    def _agencies(cls, value: list[str]) -> list[str]:
        from granica.auth.permissions import AGENCIES

        for code in value:
            if code != "*" and code not in AGENCIES:
                raise ValueError(f"unknown agency '{code}'; use one of: *, {', '.join(AGENCIES)}")
        return sorted(set(value))


class GoodsLine(_Strict):
    category: str
    quantity: float = Field(gt=0, description="in the category's unit (see the code lists)")
    unit: str | None = None
    substance: str | None = None
    hs_code: str | None = None
    un_number: str | None = None
    cites_appendix: str | None = None
    species: str | None = Field(None, max_length=200)
    serials: list[str] = Field(default_factory=list, max_length=1000)
    description: str = Field("", max_length=300)

    @field_validator("substance")
    @classmethod
    def _substance(cls, value: str | None) -> str | None:
        return None if value is None else _member(value, codelists().substances,
                                                  "substance code")

    @field_validator("hs_code")
    @classmethod
    def _hs(cls, value: str | None) -> str | None:
        return None if value is None else _hs_code(value)

    @field_validator("un_number")
    @classmethod
    def _un(cls, value: str | None) -> str | None:
        return None if value is None else _code(codelists().check_un_number, value)

    @field_validator("cites_appendix")
    @classmethod
    def _cites(cls, value: str | None) -> str | None:
        cites = codelists().cites
        return None if value is None else _member(
            value, cites["appendices"] + cites["eu_annexes"], "CITES appendix or EU annex")

    @model_validator(mode="after")
    def _by_category(self) -> GoodsLine:
        lists = codelists()
        category = lists.goods.get(self.category)
        if category is None:
            raise ValueError(f"unknown goods category '{self.category}'; use one of: "
                             f"{', '.join(lists.goods)}")
        if self.unit is None:
            self.unit = category.unit
        elif self.unit != category.unit:
            raise ValueError(f"{self.category} is counted in '{category.unit}', not '{self.unit}'")
        present = {"substance": self.substance, "hs_code": self.hs_code,
                   "un_number": self.un_number, "cites_appendix": self.cites_appendix,
                   "species": self.species, "serials": self.serials}
        missing = [n for n in category.needs if not present.get(n)]
        if missing:
            raise ValueError(f"a seizure of {category.label.lower()} needs "
                             f"{', '.join(missing)}")
        return self


class SeizureIn(RecordBase):
    goods: list[GoodsLine] = Field(min_length=1, max_length=100)
    vehicle_plate: str | None = Field(None, max_length=20)
    vehicle_country: Country | None = None
    carrier: str | None = Field(None, max_length=200, description="transport company")
    origin: Country | None = None
    destination: Country | None = None
    transport_mode: str | None = None
    concealment: str = Field("", max_length=300)
    detection: str = "bcp_check"
    value_eur: float | None = Field(None, ge=0)
    persons: list[PersonRef] = Field(default_factory=list, max_length=200)

    @field_validator("transport_mode")
    @classmethod
    def _mode(cls, value: str | None) -> str | None:
        return None if value is None else _member(value, codelists().transport_modes,
                                                  "transport mode")

    @field_validator("detection")
    @classmethod
    def _detection(cls, value: str) -> str:
        return _member(value, codelists().incident["detection"], "detection mode")


class ChedCommodity(_Strict):
    hs_code: str
    description: str = Field("", max_length=300)
    net_weight_kg: float = Field(gt=0)
    species: str | None = Field(None, max_length=200)

    @field_validator("hs_code")
    @classmethod
    def _hs(cls, value: str) -> str:
        return _hs_code(value)


CheckOutcome = Literal["satisfactory", "not_satisfactory", "not_done", "pending"]


class InspectionIn(RecordBase):
    """A consignment at a border inspection post (modelled on the CHED, Impl. Reg 2019/1715)."""

    ched_type: str
    ched_reference: str | None = Field(None, max_length=40)
    consignor: str = Field(max_length=200)
    consignee: str = Field(max_length=200)
    operator: str | None = Field(None, max_length=200)
    country_of_origin: Country
    transport_mode: str
    transport_id: str = Field(max_length=40, description="plate, flight or vessel")
    commodities: list[ChedCommodity] = Field(min_length=1, max_length=100)
    checks: dict[str, CheckOutcome]
    decision: str
    not_acceptable_action: str | None = None
    refusal_reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ched(self) -> InspectionIn:
        lists = codelists()
        _member(self.ched_type, lists.ched["types"], "CHED type")
        _member(self.transport_mode, lists.transport_modes, "transport mode")
        for name in self.checks:
            _member(name, lists.ched["checks"], "check")
        if "documentary" not in self.checks:
            raise ValueError("every consignment gets a documentary check: give checks.documentary")
        _member(self.decision, lists.ched["decisions"], "decision")
        if self.decision == "not_acceptable":
            if self.not_acceptable_action is None:
                raise ValueError("a consignment not acceptable needs not_acceptable_action")
            _member(self.not_acceptable_action, lists.ched["not_acceptable_actions"], "action")
            if not self.refusal_reasons:
                raise ValueError("a consignment not acceptable needs refusal_reasons")
        for reason in self.refusal_reasons:
            _member(reason, lists.ched["refusal_reasons"], "refusal reason")
        return self


class IncidentIn(RecordBase):
    """An incident at or between crossing points (EUROSUR single event, Impl. Reg 2021/581)."""

    type: str
    stage: str = "committed"
    detection: str = "surveillance"
    direction: str = "entry"
    impact_level: str = "low"
    persons_total: int = Field(0, ge=0, le=100000)
    minors: int = Field(0, ge=0, le=100000)
    nationalities: list[Country] = Field(default_factory=list)
    transport_mode: str | None = None
    vehicle_plate: str | None = Field(None, max_length=20)
    description: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _eurosur(self) -> IncidentIn:
        lists = codelists()
        _member(self.type, lists.incident_types, "incident type")
        _member(self.stage, lists.incident["stages"], "stage")
        _member(self.detection, lists.incident["detection"], "detection mode")
        _member(self.direction, lists.incident["direction"], "direction")
        _member(self.impact_level, lists.incident["impact_levels"], "impact level")
        if self.transport_mode is not None:
            _member(self.transport_mode, lists.transport_modes, "transport mode")
        if self.minors > self.persons_total:
            raise ValueError(f"minors ({self.minors}) cannot exceed persons_total "
                             f"({self.persons_total})")
        return self


class CaseIn(RecordBase):
    """A case of trafficking in human beings or migrant smuggling."""

    case_type: str
    stage: str = "suspicion"
    title: str = Field(max_length=200)
    route: list[Country] = Field(default_factory=list, max_length=20,
                                 description="origin, transit countries, destination")
    suspects: list[PersonRef] = Field(default_factory=list, max_length=200)
    victims: int = Field(0, ge=0, le=100000)
    minors: int = Field(0, ge=0, le=100000)
    unaccompanied_minors: int = Field(0, ge=0, le=100000)
    exploitation: list[str] = Field(default_factory=list)
    vehicles: list[str] = Field(default_factory=list, max_length=100)
    documents: list[str] = Field(default_factory=list, max_length=100)
    phones: list[str] = Field(default_factory=list, max_length=100)
    linked_records: list[str] = Field(default_factory=list, max_length=100,
                                      description="references of seizures and incidents")
    nrm_referral: bool = False

    @model_validator(mode="after")
    def _case(self) -> CaseIn:
        lists = codelists()
        _member(self.case_type, lists.case["types"], "case type")
        _member(self.stage, lists.case["stages"], "case stage")
        for form in self.exploitation:
            _member(form, lists.case["exploitation"], "form of exploitation")
        for person in self.suspects:
            if person.role is not None:
                _member(person.role, lists.case["suspect_roles"], "suspect role")
        if self.unaccompanied_minors > self.minors:
            raise ValueError("unaccompanied_minors cannot exceed minors")
        return self


INPUT_MODELS: dict[str, type[RecordBase]] = {
    "seizure": SeizureIn, "inspection": InspectionIn, "incident": IncidentIn, "case": CaseIn,
}


class RecordOut(BaseModel):
    id: str
    reference: str
    kind: str
    category: str
    owner_agency: str
    created_by: str
    created_at: dt.datetime
    occurred_at: dt.datetime
    bcp: str | None
    shared_with: list[str]
    summary: str
    data: dict[str, Any]
    version: int


class RecordList(BaseModel):
    records: list[RecordOut]
    total: int


class SubscriptionIn(_Strict):
    kind: Literal["vehicle", "company", "route", "commodity", "bcp", "person", "phone",
                  "document"]
    value: str = Field(min_length=1, max_length=200)
    urgent: bool = Field(False, strict=True)
    bcp: str | None = Field(None, max_length=20,
                            description="tell the shift at this crossing point")


class SubscriptionOut(BaseModel):
    id: str
    agency: str
    kind: str
    value: str
    label: str
    urgent: bool
    bcp: str | None
    created_at: dt.datetime
    active: bool


class NotificationOut(BaseModel):
    id: str
    record_id: str
    record_reference: str
    urgent: bool
    bcp: str | None
    message: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class ProfileCriteria(_Strict):
    """Every criterion given must hold; lists mean any one of them."""

    bcp: list[str] = Field(default_factory=list)
    direction: Literal["entry", "exit"] | None = None
    nationality: list[Country] = Field(default_factory=list)
    origin: list[Country] = Field(default_factory=list)
    destination: list[Country] = Field(default_factory=list)
    carrier: list[str] = Field(default_factory=list)
    commodity: list[str] = Field(default_factory=list, description="HS code prefixes")
    vehicle_plate_prefix: list[str] = Field(default_factory=list)
    hours: tuple[int, int] | None = Field(None, description="local hours [from, to) of the day")

    @field_validator("commodity")
    @classmethod
    def _hs(cls, value: list[str]) -> list[str]:
        return [_hs_code(v) for v in value]

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (0 <= value[0] < 24 and 0 < value[1] <= 24):
            raise ValueError("hours are two numbers from 0 to 24, e.g. [22, 6] for the night")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ProfileCriteria:
        if not any([self.bcp, self.nationality, self.origin, self.destination, self.carrier,
                    self.commodity, self.vehicle_plate_prefix]):
            raise ValueError("a risk profile needs at least one criterion besides direction "
                             "and hours (a crossing point, route, carrier, commodity...)")
        return self


class ProfileIn(_Strict):
    name: str = Field(min_length=3, max_length=200)
    reason: str = Field(min_length=3, max_length=500,
                        description="what the officer is told when the profile flags a check")
    criteria: ProfileCriteria
    agencies: list[str] = Field(default_factory=list,
                                description="the other agencies writing the profile")
    valid_from: dt.datetime | None = None
    valid_to: dt.datetime | None = None


class ProfileOut(BaseModel):
    id: str
    name: str
    reason: str
    criteria: dict[str, Any]
    agencies: list[str]
    created_by: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    active: bool
    flags: int = 0
    found: int = 0
    nothing_found: int = 0
    hit_rate: float | None = None


class ScreeningIn(_Strict):
    """The facts of a check that risk profiles look at."""

    bcp: str | None = Field(None, max_length=20)
    direction: Literal["entry", "exit"] | None = None
    nationality: Country | None = None
    origin: Country | None = None
    destination: Country | None = None
    carrier: str | None = Field(None, max_length=200)
    commodity: str | None = None
    vehicle_plate: str | None = Field(None, max_length=20)
    subject: str = Field("", max_length=200, description="who or what was checked")
    check_ref: str | None = Field(None, max_length=36)


class Flag(BaseModel):
    profile_id: str
    profile_name: str
    reason: str
    hit_id: str
    criteria_met: list[str]

