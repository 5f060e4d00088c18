"""The SIS alert categories as data: every person category (domain.md §1.1) and object category (§1.2).

Each category says which fields it carries, which are mandatory, the action to be taken on a
hit, its review period and which permission may enter, validate and see it. Validation, the
entry form, the API shapes and the search filters are all derived from this one table: a new
category is a new row here. Facts the domain notes mark "(unverified)" carry `verified=False`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

FieldKind = Literal[
    "text", "longtext", "date", "partial_date", "country", "countries", "choice", "choices",
    "bool", "texts", "refs", "documents", "decimal",
]
AlertKind = Literal["person", "object"]

# Permissions (granica.auth.permissions) used below.
ENTER = "alerts.enter"
VALIDATE = "alerts.validate"
READ_PERSON = "alerts.person.read"
READ_DISCREET = "alerts.person.read_discreet"
READ_OBJECT = "alerts.object.read"
READ_SUPPLEMENTARY = "alerts.supplementary.read"

SEX = ("M", "F", "X", "U")
# 1862 Art 20(3): warning markers
WARNING_MARKERS = ("armed", "violent", "absconded", "suicide_risk", "public_health_threat",
                   "terrorism_activity")
DOCUMENT_TYPES = ("passport", "identity_card", "residence_permit", "travel_document",
                  "driving_licence", "visa", "other")
DOCUMENT_STATUS = ("stolen", "misappropriated", "lost", "invalid", "false")
OBJECT_PURPOSES = ("seizure", "evidence", "discreet_check", "inquiry_check", "specific_check")
# object alerts entered for a check (1862 Art 36) rather than seizure: the holder is not told
DISCREET_PURPOSES = ("discreet_check", "inquiry_check", "specific_check")


@dataclass(frozen=True)
class IdentifierKind:
    """An index of object identifiers (FieldSpec.identifier names one)."""

    code: str
    label: str  # in a search result's reasons: "VIN WVW... exact"
    short: str  # in an alert's one-line summary


IDENTIFIER_KINDS: dict[str, IdentifierKind] = {k.code: k for k in (
    IdentifierKind("vin", "VIN", "VIN"),
    IdentifierKind("plate", "registration plate", "plate"),
    IdentifierKind("document", "document number", "no."),
    IdentifierKind("serial", "serial number", "serial"),
    IdentifierKind("banknote", "banknote serial", "serial"),
    IdentifierKind("container", "container number", "container"),
    IdentifierKind("hull", "hull number", "hull"),
    IdentifierKind("registration", "registration", "reg."),
    IdentifierKind("imei", "IMEI", "IMEI"),
    IdentifierKind("payment", "card or account number", "card/account"),
)}

# What a search form or caller may look for, and the identifier kinds each one searches.
IDENTIFIER_SEARCHES: dict[str, tuple[str, tuple[str, ...]]] = {
    "document": ("document number", ("document",)),
    "vehicle": ("VIN or plate", ("vin", "plate")),
    "firearm": ("firearm serial number", ("serial",)),
}


@dataclass(frozen=True)
class LongerReview:
    """A longer review period when a date in the alert lies far enough ahead."""

    field: str
    beyond_years: int
    years: int


# 1861 Art 39: a refusal whose national decision is valid longer than 3 years is reviewed at 5
REFUSAL_REVIEW = LongerReview("decision_valid_until", beyond_years=3, years=5)


@dataclass(frozen=True)
class FieldSpec:
    """One field of an alert's data: its kind, bound and label (the form and the API use it)."""

    name: str
    kind: FieldKind
    label: str
    max_length: int = 200
    choices: tuple[str, ...] = ()
    # which object identifier index the value goes into (lookups by VIN, plate, ...)
    identifier: str | None = None
    help: str = ""


@dataclass(frozen=True)
class Category:
    code: str
    kind: AlertKind
    label: str
    legal_basis: str
    action_to_be_taken: str
    review_years: int
    fields: tuple[FieldSpec, ...]
    mandatory: tuple[str, ...]
    entered_by: str = ""
    enter_permission: str = ENTER
    validate_permission: str = VALIDATE
    read_permission: str = READ_PERSON
    # what the action becomes when this country has flagged the alert (1862 Arts 24-25)
    flagged_action: str = "do not execute the action in this country (flag); inform the issuer via SIRENE"
    discreet: bool = False
    # on this country's national wanted and refusal lists when this country issued it
    national_list: bool = False
    longer_review: LongerReview | None = None
    verified: bool = True
    notes: tuple[str, ...] = ()

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    @cached_property
    def identifier_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.identifier)


# --- person fields (1862 Art 20(3)) ---------------------------------------------------------------

def _person_fields(*extra: FieldSpec) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("surname", "text", "Surname(s)", 100),
        FieldSpec("forenames", "text", "Forename(s)", 100),
        FieldSpec("names_at_birth", "texts", "Name(s) at birth", 100),
        FieldSpec("aliases", "texts", "Previous names and aliases", 100),
        FieldSpec("date_of_birth", "partial_date", "Date of birth", 10,
                  help="YYYY-MM-DD, or YYYY-MM / YYYY when day or month is unknown"),
        FieldSpec("place_of_birth", "text", "Place of birth", 100),
        FieldSpec("sex", "choice", "Sex", 1, choices=SEX),
        FieldSpec("nationalities", "countries", "Nationalities", 2),
        FieldSpec("physical_characteristics", "longtext", "Objective physical characteristics", 500),
        FieldSpec("warning_markers", "choices", "Warning markers", 30, choices=WARNING_MARKERS),
        FieldSpec("reason", "longtext", "Reason for the alert", 1000),
        FieldSpec("issuing_authority", "text", "Issuing authority", 200),
        FieldSpec("decision_reference", "text", "Decision reference", 100),
        FieldSpec("offence_type", "text", "Type of offence", 200),
        FieldSpec("national_register_number", "text", "National register number", 30),
        FieldSpec("identity_documents", "documents", "Identity documents", 30,
                  help="list of {type, number, country, issue_date}"),
        FieldSpec("photo_refs", "refs", "Photographs and facial images (references)", 200),
        FieldSpec("fingerprint_refs", "refs", "Dactyloscopic records (references)", 200),
        *extra,
    )


_PERSON_MANDATORY = ("surname", "forenames", "sex", "reason", "issuing_authority")


def _person(code: str, label: str, basis: str, action: str, years: int, *,
            extra: tuple[FieldSpec, ...] = (), mandatory: tuple[str, ...] = _PERSON_MANDATORY,
            entered_by: str = "competent authority", read: str = READ_PERSON,
            flagged: str | None = None, discreet: bool = False, national_list: bool = False,
            longer_review: LongerReview | None = None, verified: bool = True,
            notes: tuple[str, ...] = ()) -> Category:
    return Category(
        code=code, kind="person", label=label, legal_basis=basis, action_to_be_taken=action,
        review_years=years, fields=_person_fields(*extra), mandatory=mandatory,
        entered_by=entered_by, read_permission=read, discreet=discreet,
        national_list=national_list, longer_review=longer_review, verified=verified, notes=notes,
        **({"flagged_action": flagged} if flagged else {}),
    )


_CHILD = FieldSpec("case_category", "choice", "Art 32 case category", 40,
                   choices=("parental_abduction", "trafficking", "forced_marriage", "fgm",
                            "terrorism", "armed_group_recruitment", "vulnerable_adult", "other"))

PERSON_CATEGORIES: tuple[Category, ...] = (
    _person(
        "arrest", "Arrest for surrender or extradition", "Reg. 2018/1862 Art 26",
        "Arrest the person; the SIRENE Bureau sends the European Arrest Warrant / A form", 5,
        extra=(FieldSpec("warrant_reference", "text", "EAW / extradition request reference", 100),),
        mandatory=(*_PERSON_MANDATORY, "warrant_reference", "date_of_birth"),
        entered_by="judicial authority", national_list=True,
        flagged="Do not arrest (flag); communicate the whereabouts to the issuer via SIRENE",
        notes=("deleted on surrender, revocation or expiry (Art 55)",
               "may be made temporarily unavailable to end users during an operation (Art 26(4))"),
    ),
    _person(
        "missing_protection", "Missing person to be placed under protection",
        "Reg. 2018/1862 Art 32(1)(a)",
        "Locate the person, communicate the whereabouts to the issuer and protect the person", 5,
        extra=(_CHILD,),
    ),
    _person(
        "missing_no_protection", "Missing person not to be placed under protection",
        "Reg. 2018/1862 Art 32(1)(b)",
        "Locate the person and communicate the whereabouts (adults: only with their consent)", 5,
        extra=(_CHILD,), verified=False,
        notes=("adults' whereabouts only with consent (unverified)",),
    ),
    _person(
        "prevent_travel_child_abduction", "Child at risk of parental abduction (prevent travel)",
        "Reg. 2018/1862 Art 32(1)(c)",
        "Stop the travel, protect the child and inform the issuer", 1, extra=(_CHILD,),
    ),
    _person(
        "prevent_travel_child_at_risk",
        "Child at risk of trafficking, forced marriage, FGM, terrorism or armed-group recruitment",
        "Reg. 2018/1862 Art 32(1)(d)",
        "Stop the travel, protect the child and inform the issuer", 1, extra=(_CHILD,),
    ),
    _person(
        "prevent_travel_vulnerable_adult", "Vulnerable adult to be prevented from travelling",
        "Reg. 2018/1862 Art 32(1)(e)",
        "Stop the travel, protect the person and inform the issuer", 1, extra=(_CHILD,),
        verified=False, notes=("the Art 32(1)(e) category itself is unverified",),
    ),
    _person(
        "judicial_procedure", "Person sought to assist with a judicial procedure",
        "Reg. 2018/1862 Art 34",
        "Communicate the place of residence or domicile to the issuer (Art 35)", 3,
        extra=(FieldSpec("procedure_role", "choice", "Role in the procedure", 20,
                         choices=("witness", "summoned", "judgment_service", "sentence_service")),),
        entered_by="judicial authority", verified=False,
        notes=("the action (communicate residence, Art 35) is unverified",),
    ),
    _person(
        "discreet_check", "Discreet check on a person", "Reg. 2018/1862 Art 36",
        "Do not alert the person. Collect and send the Art 37(1) data: fact of location; place, "
        "time and reason of the check; route and destination; companions and occupants; "
        "vehicle, objects and documents carried", 1,
        read=READ_DISCREET, discreet=True, entered_by="national law; serious crime or security",
    ),
    _person(
        "inquiry_check", "Inquiry check on a person", "Reg. 2018/1862 Art 36",
        "Interview the person and send the Art 37(1) data with the answers", 1,
        read=READ_DISCREET, discreet=True, verified=False,
        notes=("inquiry check = interview (unverified)",),
    ),
    _person(
        "specific_check", "Specific check on a person", "Reg. 2018/1862 Art 36",
        "Search the person, vehicle and objects carried and send the Art 37(1) data", 1,
        read=READ_DISCREET, discreet=True, verified=False,
        notes=("specific check = search (unverified)",),
    ),
    _person(
        "information_union_interest", "Information alert on a third-country national in the Union interest",
        "Reg. 2018/1862 Art 37a (Reg. 2022/1190)",
        "Inform the issuer and Europol of the location and circumstances", 1,
        entered_by="issuer on a Europol proposal", verified=False,
        notes=("the action (inform issuer/Europol) is unverified",),
    ),
    _person(
        "unknown_wanted", "Unknown wanted person (crime-scene prints)", "Reg. 2018/1862 Art 40",
        "Identify the person under national law and inform the issuer", 3,
        mandatory=("fingerprint_refs", "reason", "issuing_authority"),
        entered_by="only finger/palm marks from terrorist or serious-crime scenes",
    ),
    _person(
        "refusal_of_entry", "Refusal of entry or stay", "Reg. 2018/1861 Art 24",
        "Refuse entry; consult the issuer if the person holds a visa or residence permit", 3,
        extra=(FieldSpec(REFUSAL_REVIEW.field, "date", "National decision valid until", 10,
                         help=f"a decision valid more than {REFUSAL_REVIEW.beyond_years} years "
                              f"gives a {REFUSAL_REVIEW.years}-year review"),),
        entered_by="national decision", national_list=True, longer_review=REFUSAL_REVIEW,
        notes=((f"review {REFUSAL_REVIEW.years} years when the national decision is valid "
                f"longer than {REFUSAL_REVIEW.beyond_years} years"),
               "consultation for visa/permit holders (unverified)"),
    ),
    _person(
        "restrictive_measure", "Refusal of entry under an EU restrictive measure",
        "Reg. 2018/1861 Art 25",
        "Refuse entry or transit", 3, entered_by="EU restrictive measure", national_list=True,
    ),
    _person(
        "return", "Return decision", "Reg. 2018/1860 Art 3",
        "Verify the departure; on exit inform the issuer, who replaces the alert by an entry ban", 3,
        extra=(
            FieldSpec("threat_to_public_policy", "bool", "Threat to public policy or security", 5),
            FieldSpec("last_day_voluntary_departure", "date", "Last day of voluntary departure", 10),
            FieldSpec("decision_suspended", "bool", "Return decision suspended", 5),
        ),
        mandatory=(*_PERSON_MANDATORY, "last_day_voluntary_departure"),
        entered_by="return authority", national_list=True, verified=False,
        notes=("review period for return alerts is unverified (3 years assumed)",
               "replacement by an entry-ban alert on exit is unverified"),
    ),
)

# --- objects (1862 Art 38(2)) ---------------------------------------------------------------------

_OBJECT_COMMON = (
    FieldSpec("purpose", "choice", "Purpose of the alert", 20, choices=OBJECT_PURPOSES),
    FieldSpec("description", "longtext", "Description", 500),
    FieldSpec("make", "text", "Make / type", 60),
    FieldSpec("model", "text", "Model", 60),
    FieldSpec("colour", "text", "Colour", 40),
    FieldSpec("theft_date", "date", "Date of theft or loss", 10),
    FieldSpec("owner", "text", "Owner", 200),
    FieldSpec("reason", "longtext", "Reason for the alert", 1000),
    FieldSpec("issuing_authority", "text", "Issuing authority", 200),
    FieldSpec("photo_refs", "refs", "Photographs (references)", 200),
)
_OBJECT_MANDATORY = ("purpose", "reason", "issuing_authority")

_OBJECT_ACTION = {
    "seizure": "Seize the object and contact the issuer via the SIRENE Bureau (Art 39)",
    "evidence": "Seize the object as evidence and contact the issuer via the SIRENE Bureau",
    "discreet_check": "Do not alert the holder; record place, time, route and occupants and send them to the issuer",
    "inquiry_check": "Question the holder and send the answers with the Art 37(1) data to the issuer",
    "specific_check": "Search the object and send the Art 37(1) data to the issuer",
}

VIN = FieldSpec("vin", "text", "Vehicle identification number (VIN)", 17, identifier="vin")
PLATE = FieldSpec("plate", "text", "Registration plate", 15, identifier="plate")
PLATE_COUNTRY = FieldSpec("plate_country", "country", "Country of registration", 2)
SERIAL = FieldSpec("serial_number", "text", "Serial number", 40, identifier="serial")
DOC_TYPE = FieldSpec("document_type", "choice", "Document type", 20, choices=DOCUMENT_TYPES)
DOC_NUMBER = FieldSpec("document_number", "text", "Document number", 30, identifier="document")
DOC_COUNTRY = FieldSpec("document_country", "country", "Issuing country", 2)
DOC_STATUS = FieldSpec("document_status", "choice", "Stolen, lost, invalid or false", 20,
                       choices=DOCUMENT_STATUS)


def _object(code: str, label: str, basis: str, own: tuple[FieldSpec, ...],
            mandatory: tuple[str, ...], *, verified: bool = True,
            notes: tuple[str, ...] = ()) -> Category:
    return Category(
        code=code, kind="object", label=label, legal_basis=basis,
        action_to_be_taken=_OBJECT_ACTION["seizure"],
        # SIS II kept object alerts 10 years; the recast period is unverified (domain.md §1.1)
        review_years=10, fields=(*own, *_OBJECT_COMMON),
        mandatory=(*mandatory, *_OBJECT_MANDATORY), entered_by="police or judicial authority",
        read_permission=READ_OBJECT, verified=verified,
        notes=("review period: SIS II 10 years; recast period unverified", *notes),
    )


OBJECT_CATEGORIES: tuple[Category, ...] = (
    _object("motor_vehicle", "Motor vehicle (any propulsion)", "Art 38(2)(a)",
            (VIN, PLATE, PLATE_COUNTRY), ("vin",)),
    _object("trailer", "Trailer over 750 kg", "Art 38(2)(b)", (VIN, PLATE, PLATE_COUNTRY), ("vin",)),
    _object("caravan", "Caravan", "Art 38(2)(b)", (VIN, PLATE, PLATE_COUNTRY), ("vin",)),
    _object("industrial_equipment", "Industrial equipment", "Art 38(2)(c)", (SERIAL,),
            ("serial_number", "make")),
    _object("boat", "Boat", "Art 38(2)(d)",
            (FieldSpec("hull_id", "text", "Hull identification number", 20, identifier="hull"),
             FieldSpec("registration", "text", "Registration", 20, identifier="registration"),
             FieldSpec("boat_name", "text", "Name of the boat", 60)), ("hull_id",)),
    _object("boat_engine", "Boat engine", "Art 38(2)(e)", (SERIAL,), ("serial_number", "make")),
    _object("container", "Container", "Art 38(2)(f)",
            (FieldSpec("container_number", "text", "Container number (ISO 6346)", 11,
                       identifier="container"),), ("container_number",)),
    _object("aircraft", "Aircraft", "Art 38(2)(g)",
            (FieldSpec("registration", "text", "Registration mark", 10, identifier="registration"),
             SERIAL), ("registration",)),
    _object("aircraft_engine", "Aircraft engine", "Art 38(2)(h)", (SERIAL,),
            ("serial_number", "make")),
    _object("firearm", "Firearm", "Art 38(2)(i)",
            (SERIAL, FieldSpec("calibre", "text", "Calibre", 20),
             FieldSpec("firearm_type", "choice", "Type of firearm", 20,
                       choices=("pistol", "revolver", "rifle", "shotgun", "submachine_gun",
                                "assault_rifle", "other"))),
            ("serial_number", "make", "calibre")),
    _object("blank_document", "Blank official document", "Art 38(2)(j)",
            (DOC_TYPE, DOC_NUMBER, DOC_COUNTRY, DOC_STATUS),
            ("document_type", "document_number", "document_country")),
    _object("issued_document", "Issued identity document", "Art 38(2)(k)",
            (DOC_TYPE, DOC_NUMBER, DOC_COUNTRY, DOC_STATUS,
             FieldSpec("holder_name", "text", "Name of the holder", 200)),
            ("document_type", "document_number", "document_country", "document_status")),
    _object("registration_certificate", "Vehicle registration certificate", "Art 38(2)(l)",
            (DOC_NUMBER, DOC_COUNTRY, DOC_STATUS), ("document_number", "document_country")),
    _object("vehicle_plate", "Vehicle registration plate", "Art 38(2)(l)",
            (PLATE, PLATE_COUNTRY), ("plate", "plate_country")),
    _object("banknote", "Registered or false banknote", "Art 38(2)(m)",
            (FieldSpec("banknote_serial", "text", "Banknote serial number", 20, identifier="banknote"),
             FieldSpec("currency", "text", "Currency (ISO 4217)", 3),
             FieldSpec("face_value", "decimal", "Face value", 12),
             FieldSpec("banknote_status", "choice", "Registered or false", 12,
                       choices=("registered", "false"))),
            ("banknote_serial", "currency", "face_value")),
    _object("it_item", "IT item", "Art 38(2)(n)",
            (SERIAL, FieldSpec("imei", "text", "IMEI", 15, identifier="imei")), ("serial_number",)),
    _object("vehicle_part", "Identifiable part of a motor vehicle", "Art 38(2)(o)", (SERIAL,),
            ("serial_number",)),
    _object("industrial_part", "Identifiable part of industrial equipment", "Art 38(2)(o)",
            (SERIAL,), ("serial_number",)),
    _object("payment_means", "Non-cash means of payment", "Art 36 / Art 38(2)",
            (FieldSpec("card_or_account", "text", "Card or account number", 34, identifier="payment"),
             FieldSpec("payment_issuer", "text", "Issuer", 100)), ("card_or_account",),
            verified=False, notes=("place of non-cash payment means among object categories unverified",)),
    _object("other_high_value", "Other high-value identifiable object", "Art 38(2)(p) (delegated act)",
            (SERIAL,), ("serial_number", "description"), verified=False,
            notes=("the list of such objects is set by a delegated act (unverified)",)),
)

CATEGORIES: dict[str, Category] = {c.code: c for c in (*PERSON_CATEGORIES, *OBJECT_CATEGORIES)}
# this country's wanted and refusal lists (border checks tag these hits "national")
NATIONAL_LIST_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES.values()
                                                  if c.national_list)

# Fields every alert carries besides its category's data.
ALERT_FIELDS = ("alert_id", "schengen_id", "issuing_country", "category", "data",
                "supplementary_information", "status", "sirene_only")


def get_category(code: str) -> Category:
    """The category with this code; a ValidationError naming the known codes otherwise."""
    from granica.errors import ValidationError

    try:
        return CATEGORIES[code]
    except KeyError:
        raise ValidationError(
            f"unknown alert category '{code}'; known categories: {', '.join(sorted(CATEGORIES))}",
            field="category",
        ) from None


def action_for(category: Category, purpose: str | None) -> str:
    """Object alerts entered for a check rather than seizure carry that check's action."""
    if category.kind == "object" and purpose in _OBJECT_ACTION:
        return _OBJECT_ACTION[purpose]
    return category.action_to_be_taken


def is_discreet(category: Category, data: dict[str, object]) -> bool:
    if category.kind == "object":
        return data.get("purpose") in DISCREET_PURPOSES
    return category.discreet


def visible_categories(permissions: frozenset[str]) -> list[Category]:
    return [c for c in CATEGORIES.values() if c.read_permission in permissions]

