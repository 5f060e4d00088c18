"""JSON API of the national fingerprint database (mounted under /api/v1): enrolment (JSON
with base64 images, or multipart), the police search, the fingerprint expert's queue,
comparison and decision, a search's hits, the subject by reference and its lifecycle,
retention, transmission deadlines and statistics. Thin routers: the service checks
permissions and audits."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field, StrictBool
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors
from granica.asylum import service
from granica.asylum import statistics as asylum_statistics
from granica.asylum.categories import rules
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.clock import IsoDate, IsoDateTime
from granica.errors import InputFormatError, ValidationError

router = APIRouter(prefix="/asylum", tags=["National fingerprint database"])

# base64 of the largest image the service takes (10 MB), with room for line breaks
MAX_BASE64 = service.MAX_IMAGE_BYTES * 4 // 3 + 1024
Impression = Literal["flat", "rolled"]


class PrintBody(BaseModel):
    position: int = Field(ge=1, le=10, description="ANSI/NIST finger position: 1 right thumb "
                          ".. 10 left little")
    impression: Impression = "flat"
    image_base64: str | None = Field(None, max_length=MAX_BASE64, description="the image "
                                     "(PNG, TIFF, BMP, JPEG or WSQ), base64")
    missing_reason: str | None = Field(None, max_length=40, description="why there is no "
                                       "image (GET /asylum/categories lists the reasons)")


class BiographicBody(BaseModel):
    surname: str = Field("", max_length=200)
    given_names: str = Field("", max_length=200)
    other_names: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list,
                                                                       max_length=20)
    nationalities: list[Annotated[str, Field(min_length=3, max_length=3)]] = Field(
        default_factory=list, max_length=10, description="ISO 3166 alpha-3 codes")
    date_of_birth: IsoDate | None = None
    age_uncertain: StrictBool = Field(False, description="the officer is not sure the person has "
                                "reached the minimum age (treated as under it)")
    place_of_birth: str = Field("", max_length=200)
    sex: Literal["M", "F", "X"] = "X"
    registration_place: str = Field("", max_length=200)
    registered_at: IsoDateTime | None = Field(None, description="when the application was "
                                              "registered or the person apprehended, with its "
                                              "offset or Z (default: now)")
    document: dict[str, Any] | None = Field(None, description="travel-document data")
    enrolment_key: str | None = Field(None, min_length=8, max_length=80, description="the "
                                      "client's key: a retried request finds what it stored")


class EnrolmentBody(BiographicBody):
    category: str = Field(min_length=1, max_length=40, description="EURODAC category code "
                          "(GET /asylum/categories)")
    prints: list[PrintBody] = Field(min_length=1, max_length=20, description="every finger "
                                    "1-10: an image or the reason it is missing")


class SearchBody(BaseModel):
    purpose: str = Field(min_length=5, max_length=300, description="why the search is made "
                         "(audited and reported)")
    case_reference: str = Field(min_length=1, max_length=80)
    prints: list[PrintBody] = Field(min_length=1, max_length=20)


class DecisionBody(BaseModel):
    decision: Literal["confirmed", "rejected", "inconclusive"]
    reason: str = Field(min_length=3, max_length=1000, description="what the prints show")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=3, max_length=300)


class CorrectionBody(BaseModel):
    field: Literal["surname", "given_names", "other_names", "nationalities", "date_of_birth",
                   "place_of_birth", "sex", "registration_place", "document"]
    value: str | list[str] | None = Field(None, description="the new value (a date as "
                                          "YYYY-MM-DD, nationalities as a list)")
    reason: str = Field(min_length=3, max_length=1000)


class RetentionBody(BaseModel):
    dry_run: StrictBool = Field(True, description="only list what has expired")


# --- conversions shared with the pages ----------------------------------------------


def decode_base64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InputFormatError(f"{where}: image_base64 is not valid base64 (A-Z a-z 0-9 + / "
                               "with = padding)", field=where) from None


def print_ins(items: list[PrintBody]) -> list[service.PrintIn]:
    out = []
    for i, p in enumerate(items):
        image = decode_base64(p.image_base64, f"prints[{i}]") if p.image_base64 else None
        if image is not None and len(image) > service.MAX_IMAGE_BYTES:
            raise ValidationError(f"prints[{i}]: image of {len(image)} bytes is over the "
                                  f"{service.MAX_IMAGE_BYTES} byte limit", field=f"prints[{i}]")
        out.append(service.PrintIn(position=p.position, image=image, impression=p.impression,
                                   missing_reason=p.missing_reason))
    return out


def aware(moment: dt.datetime | None, name: str) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValidationError(f"{name} {moment.isoformat()} has no offset: add Z or +01:00",
                              field=name)
    return moment


def enrolment_in(body: BiographicBody, category: str,
                 prints: list[service.PrintIn]) -> service.EnrolmentIn:
    return service.EnrolmentIn(
        category=category, prints=prints, surname=body.surname, given_names=body.given_names,
        other_names=body.other_names, nationalities=body.nationalities,
        date_of_birth=body.date_of_birth, age_uncertain=body.age_uncertain,
        place_of_birth=body.place_of_birth, sex=body.sex,
        registration_place=body.registration_place,
        registered_at=aware(body.registered_at, "registered_at"), document=body.document,
        enrolment_key=body.enrolment_key)


def outcome_dict(o: service.Outcome) -> dict[str, Any]:
    subject = o.subject
    return {
        "search": o.search.id, "kind": o.search.kind, "category": o.search.category,
        "reference": subject.reference if subject else None,
        "transmission_due": (subject.transmission_due.isoformat()
                             if subject and subject.transmission_due else None),
        "candidates": [{"candidate": c.id, "rank": c.rank, "score": c.score,
                        "state": c.state, "finger_scores": c.finger_scores}
                       for c in o.candidates],
        "warnings": o.warnings, "replayed": o.replayed, "duration_ms": o.search.duration_ms,
    }


def finger_png(image: bytes) -> bytes:
    """A stored print as PNG at the engine's working resolution (500 ppi): the frame the
    minutiae coordinates are given in, and a format every browser shows."""
    from PIL import Image

    from granica.biometrics.image import to_pixels

    buf = io.BytesIO()
    Image.fromarray(to_pixels(image).pixels).save(buf, format="PNG")
    return buf.getvalue()


def require(session: Session, principal: Principal, permission: str, action: str,
            purpose: str = "") -> None:
    """The permission first, so that a caller without it learns nothing from the input's
    checks (the service checks again and audits)."""
    audit.require(session, principal, permission, action=action, subject_type=service.SUBJECT,
                  purpose=purpose, what=action)


# --- routes ----------------------------------------------------------------------------


@router.get("/categories", responses=errors())
def categories(principal: CurrentPrincipal) -> dict[str, Any]:
    """The rule set this node applies: the categories (code, article, label, whether stored,
    which categories each is compared against) and the reasons a finger may be missing."""
    book = rules()
    return {"rules": book.name, "title": book.title, "minimum_age": book.minimum_age,
            "missing_reasons": book.missing_reasons,
            "categories": [{"code": c.code, "article": c.article, "label": c.label,
                            "stored": c.stored, "against": list(c.against),
                            "against_marked": list(c.against_marked),
                            "transmission_hours": c.transmission_hours,
                            "retention_months": c.retention_months}
                           for c in book.categories.values()]}


@router.post("/enrolments", status_code=201, responses=errors(400, 409, 413, 422))
def enrol(body: EnrolmentBody, session: DbSession, principal: CurrentPrincipal,
          purpose: StatedPurpose) -> dict[str, Any]:
    """Enrol a data subject: every finger 1-10 with an image (base64) or the reason it is
    missing. A print below the quality gate answers 422 `fingerprint_quality` with
    `details.retake` listing every finger to retake. The answer gives the reference number,
    the transmission deadline and the candidates queued for a fingerprint expert.

    Example: `{"category": "applicant", "surname": "Doe", "date_of_birth": "1990-01-01",
    "prints": [{"position": 1, "image_base64": "SUkqAA..."}, {"position": 2,
    "missing_reason": "bandaged"}, ...]}`
    """
    require(session, principal, service.ENROL, "asylum.enrol", purpose)
    data = enrolment_in(body, body.category, print_ins(body.prints))
    return outcome_dict(service.enrol(session, principal, data, purpose))


@router.post("/enrolments/upload", status_code=201, responses=errors(400, 409, 413, 422))
async def enrol_upload(
        session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
        category: Annotated[str, Form(min_length=1, max_length=40)],
        images: Annotated[list[UploadFile], File(description="the images, in the order of "
                                                 "`positions`")] = [],  # noqa: B006
        positions: Annotated[str, Form(max_length=40, description="finger positions of the "
                                       "images, comma-separated: 1,2,3")] = "",
        missing: Annotated[str, Form(max_length=600, description="missing fingers and why: "
                                     "4:bandaged,5:amputated")] = "",
        biographic: Annotated[str, Form(max_length=20000, description="the other fields of "
                                        "POST /asylum/enrolments, as a JSON object")] = "{}",
) -> dict[str, Any]:
    """Enrol from image files (multipart/form-data): `images` with their `positions`, the
    missing fingers with their reasons, the category, and the biographic data as JSON."""
    require(session, principal, service.ENROL, "asylum.enrol", purpose)
    prints = [service.PrintIn(position=p, image=await f.read())
              for p, f in zip(_positions(positions, len(images)), images, strict=True)]
    prints += _missing(missing)
    try:
        bio = BiographicBody.model_validate(json.loads(biographic or "{}"))
    except json.JSONDecodeError as exc:
        raise InputFormatError(f"biographic is not JSON ({exc.msg})", field="biographic") from None
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "biographic"
        raise ValidationError(f"biographic.{where}: {first['msg']}",
                              field=f"biographic.{where}") from None
    return outcome_dict(service.enrol(session, principal, enrolment_in(bio, category, prints),
                                      purpose))


def _positions(text: str, count: int) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) != count:
        raise ValidationError(f"positions names {len(parts)} finger(s) for {count} image(s): "
                              "give one position per image, in order", field="positions")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValidationError(f"positions {text!r} are not numbers 1-10",
                              field="positions") from None


def _missing(text: str) -> list[service.PrintIn]:
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        pos, _, reason = part.partition(":")
        if not pos.strip().isdigit() or not reason.strip():
            raise ValidationError(f"missing {part!r} is not position:reason (4:bandaged)",
                                  field="missing")
        out.append(service.PrintIn(position=int(pos), missing_reason=reason.strip()))
    return out


@router.post("/searches", status_code=201, responses=errors(400, 413, 422))
def search(body: SearchBody, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """A search on its own at an authority's request, with its purpose and case reference
    (audited): the candidates go to a fingerprint expert; GET .../hits gives the result."""
    require(session, principal, service.SEARCH, "asylum.search", body.purpose)
    return outcome_dict(service.search(session, principal, print_ins(body.prints),
                                       purpose=body.purpose, case_reference=body.case_reference))


@router.get("/searches/{search_id}/hits", responses=errors(404))
def hits(search_id: str, session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """A search's candidates with their state; only those an expert confirmed are hits."""
    return service.hits(session, principal, search_id)


@router.get("/queue", responses=errors())
def queue(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Candidates waiting for this fingerprint expert (pending, and disputed ones another
    expert found inconclusive)."""
    return service.queue(session, principal)


@router.get("/candidates/{candidate_id}/comparison", responses=errors(404))
def comparison(candidate_id: str, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """Side by side per finger: both prints' finger ids (GET /asylum/fingers/{id}/image),
    their minutiae (x, y, angle) and the paired minutiae (index on each side)."""
    return service.comparison(session, principal, candidate_id)


@router.post("/candidates/{candidate_id}/decision", responses=errors(404, 409))
def decide(candidate_id: str, body: DecisionBody, session: DbSession,
           principal: CurrentPrincipal) -> dict[str, Any]:
    """Confirmed (a hit, reported), rejected or inconclusive (a second expert decides)."""
    c = service.decide(session, principal, candidate_id, body.decision, body.reason)
    return {"candidate": c.id, "state": c.state, "hit": c.state == "confirmed",
            "reported_at": c.reported_at.isoformat() if c.reported_at else None}


@router.get("/fingers/{finger_id}/image", response_class=Response, responses={
    **errors(400, 404), 200: {"content": {"application/octet-stream": {}, "image/png": {}},
                              "description": "the image as stored, or as PNG"}})
def finger_image(finger_id: str, session: DbSession, principal: CurrentPrincipal,
                 format: Literal["original", "png"] = "original") -> Response:
    """One stored print as captured, or (`format=png`) as PNG at 500 ppi, the frame of the
    comparison's minutiae."""
    image = service.finger_image(session, principal, finger_id)
    if format == "png":
        return Response(finger_png(image), media_type="image/png")
    return Response(image, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{finger_id}"'})


@router.get("/subjects/{reference}", responses=errors(404))
def subject(reference: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """A data subject by national reference number, with its fingers and corrections."""
    return service.subject_view(session, principal, reference)


def _state(s: Any) -> dict[str, Any]:
    return {"reference": s.reference, "state": s.state,
            "marked_at": s.marked_at.isoformat() if s.marked_at else None}


@router.post("/subjects/{reference}/mark", responses=errors(404, 409))
def mark(reference: str, body: ReasonBody, session: DbSession,
         principal: CurrentPrincipal) -> dict[str, Any]:
    """Mark the subject: international protection granted."""
    return _state(service.mark(session, principal, reference, body.reason))


@router.post("/subjects/{reference}/block", responses=errors(404, 409))
def block(reference: str, body: ReasonBody, session: DbSession,
          principal: CurrentPrincipal) -> dict[str, Any]:
    """Block the subject: kept, no longer returned by searches."""
    return _state(service.block(session, principal, reference, body.reason))


@router.post("/subjects/{reference}/erase", responses=errors(404, 409))
def erase(reference: str, body: ReasonBody, session: DbSession,
          principal: CurrentPrincipal) -> dict[str, Any]:
    """Advance erasure (e.g. citizenship acquired): the data and the prints go."""
    return _state(service.erase(session, principal, reference, body.reason))


@router.post("/subjects/{reference}/corrections", responses=errors(404, 409))
def correct(reference: str, body: CorrectionBody, session: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    """Correct one field, keeping what it was (the subject's corrections)."""
    s = service.correct(session, principal, reference, body.field, body.value, body.reason)
    return {**_state(s), "field": body.field}


@router.post("/retention", responses=errors())
def retention(body: RetentionBody, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """Erase every subject whose retention period has ended (`dry_run`: list them only)."""
    due = service.retention(session, principal, dry_run=body.dry_run)
    return {"dry_run": body.dry_run, "subjects": due}


@router.get("/transmissions", responses=errors())
def transmissions(session: DbSession, principal: CurrentPrincipal,
                  warn_hours: float = Query(12, ge=0, le=720)) -> list[dict[str, Any]]:
    """Subjects not yet transmitted to the central system whose deadline is past or within
    `warn_hours`."""
    return service.transmission_status(session, principal, warn_hours=warn_hours)


@router.get("/statistics", responses=errors())
def statistics(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
               since: IsoDate | None = None, until: IsoDate | None = None) -> dict[str, Any]:
    """Per month (local time) and category: enrolments, searches, candidates, hits, rejected
    candidates, transmissions and the hours from registration to transmission."""
    return asylum_statistics.statistics(session, principal, since=since, until=until,
                                        purpose=purpose)


@router.get("/statistics.csv", response_class=Response, responses={
    **errors(), 200: {"content": {"text/csv": {}}, "description": "one row per month and "
                      "category"}})
def statistics_csv(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                   since: IsoDate | None = None, until: IsoDate | None = None) -> Response:
    result = asylum_statistics.statistics(session, principal, since=since, until=until,
                                          purpose=purpose)
    return Response(asylum_statistics.statistics_csv(result), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="asylum.csv"'})
