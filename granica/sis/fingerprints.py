"""Fingerprints of person alerts: attaching templates (quality-gated), 1:1 verification of an
alphanumeric hit against the alert's prints, and the 1:N search over every alert's prints
(1862 Art 43: prints confirm an identity; they are searched where it cannot be ascertained)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.biometrics.template import Template
from granica.errors import BiometricError, GranicaError, ValidationError
from granica.settings import get_settings
from granica.sis.categories import get_category
from granica.sis.models import Alert, AlertFingerprint
from granica.sis.print_gallery import gallery_for
from granica.sis.visibility import (
    SUBJECT,
    can_see,
    load_alert,
    require_national,
    require_visible,
    search_results,
)
from granica.storage import new_id

# Fewer minutiae than this give too few pairs for a score to mean anything (the MCC
# consolidation pairs a handful of minutiae; a dozen leaves room for partial overlap).
MIN_MINUTIAE = 12
MAX_PRINTS = 10  # ten flat prints per alert; rolled and palm prints are not compared here

# One print to attach or compare: an image (bytes or a path), a Template, or either with the
# finger position (ANSI/NIST: 0 unknown, 1 right thumb .. 10 left little).
PrintSource: TypeAlias = bytes | Path | Template
PrintInput: TypeAlias = PrintSource | tuple[int, PrintSource]


class FingerprintQualityError(ValidationError):
    """A print below the enrolment quality gate: retake it."""

    code = "fingerprint_quality"


@dataclass(frozen=True)
class Verification:
    """Result of a 1:1 comparison of a traveller's prints with an alert's prints."""

    alert_id: str
    decision: str  # confirmed | not_confirmed | no_prints
    score: float
    threshold: float
    fmr: float
    paired_minutiae: int
    finger_position: int  # the alert's print that scored best (0 unknown)
    compared: int  # comparisons made

    @property
    def confirmed(self) -> bool:
        return self.decision == "confirmed"

    def as_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "decision": self.decision,
                "score": round(self.score, 4), "threshold": self.threshold, "fmr": self.fmr,
                "paired_minutiae": self.paired_minutiae,
                "finger_position": self.finger_position, "compared": self.compared}


def _split(item: PrintInput) -> tuple[int | None, PrintSource]:
    if isinstance(item, tuple):
        position, source = item
        return int(position), source
    return None, item


def template_of(item: PrintInput, field: str, *, gate: bool) -> Template:
    """The template of one print, read from an image or taken as given; `gate` applies the
    enrolment quality gate. Errors name `field` and say what to do."""
    from granica.biometrics.extract import extract, extract_features
    from granica.biometrics.image import ImageQualityError, to_pixels
    from granica.biometrics.quality import ENROLMENT_THRESHOLD, assess

    position, source = _split(item)
    if position is not None and not 0 <= position <= 10:
        raise ValidationError(f"{field}: finger position {position} is not 0 (unknown) to 10",
                              field=field)
    if isinstance(source, Template):
        template = source
        if position is not None and position != template.finger_position:
            template = replace(template, finger_position=position)
    else:
        try:
            image = to_pixels(source)
            try:
                # Extracted once for both the quality gate and the template.
                feat = extract_features(image)
            except ImageQualityError:
                feat = None  # assess() scores it 0 with the reason; extract() raises it
            if gate:
                report = assess(image, features=feat)
                if report.score < ENROLMENT_THRESHOLD:
                    raise FingerprintQualityError(
                        f"{field}: quality {report.score} is below the enrolment gate "
                        f"{ENROLMENT_THRESHOLD} ({'; '.join(report.explain()) or 'unusable'}); "
                        "retake the print", field=field, quality=report.score)
            template = extract(image, finger_position=position or 0, features=feat)
        except FingerprintQualityError:
            raise
        except ImageQualityError as exc:  # decoded, but blank, too small or without ridges
            error = FingerprintQualityError if gate else BiometricError
            raise error(f"{field}: {exc.message} (retake the print)", field=field) from exc
        except GranicaError as exc:
            raise BiometricError(f"{field}: {exc.message}", field=field) from exc
    if template.ppi != 500:
        raise BiometricError(f"{field}: template at {template.ppi} ppi; re-extract it at 500 ppi",
                             field=field)
    if gate and len(template) < MIN_MINUTIAE:
        raise FingerprintQualityError(
            f"{field}: only {len(template)} minutiae (at least {MIN_MINUTIAE} are needed to "
            "compare reliably); retake the print with more of the finger on the sensor",
            field=field, minutiae=len(template))
    return template


def _person_alert(session: Session, alert_id: str) -> Alert:
    alert = load_alert(session, alert_id)
    if get_category(alert.category).kind != "person":
        raise ValidationError(f"alert {alert.schengen_id} is an alert on an object: fingerprints "
                              "belong to person alerts", field="alert_id")
    return alert


def attach_fingerprints(session: Session, principal: Principal, alert_id: str,
                        images_or_templates: Sequence[PrintInput], purpose: str) -> list[dict[str, Any]]:
    """Attach prints to a national person alert; every print passes the quality gate or
    nothing is stored. Returns what was stored (id, finger position, quality, minutiae)."""
    alert = _person_alert(session, alert_id)
    audit.require(session, principal, "alerts.enter", action="alerts.fingerprints.attach",
                  subject_type=SUBJECT, subject_ids=[alert.id], purpose=purpose,
                  what="attach fingerprints to alerts")
    require_visible(session, principal, alert, "alerts.fingerprints.attach", purpose)
    require_national(session, principal, alert, "alerts.fingerprints.attach", purpose)
    if not images_or_templates:
        raise ValidationError("no fingerprints given: attach at least one print",
                              field="fingerprints")
    held = session.scalar(sa.select(sa.func.count()).select_from(AlertFingerprint)
                          .where(AlertFingerprint.alert_id == alert.id)) or 0
    if held + len(images_or_templates) > MAX_PRINTS:
        raise ValidationError(f"alert {alert.schengen_id} holds {held} prints; at most "
                              f"{MAX_PRINTS} are kept", field="fingerprints")
    # all prints are checked before any is stored
    templates = [template_of(item, f"fingerprints[{i}]", gate=True)
                 for i, item in enumerate(images_or_templates)]
    now = clock.now()
    rows = [AlertFingerprint(id=new_id(), alert_id=alert.id, finger_position=t.finger_position,
                             template=t.to_bytes(), quality=t.quality, created_by=principal.username,
                             created_at=now) for t in templates]
    session.add_all(rows)
    gallery = gallery_for(session)  # a rolled-back attach leaves it at the next search's sync
    for r, t in zip(rows, templates):
        gallery.add(r.id, alert.id, t)
    audit.record(session, principal, "alerts.fingerprints.attach", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[alert.id], result_count=len(rows),
                 details={"finger_positions": [r.finger_position for r in rows],
                          "qualities": [r.quality for r in rows]})
    return [{"id": r.id, "finger_position": r.finger_position, "quality": r.quality,
             "minutiae": len(t)} for r, t in zip(rows, templates)]


def _probes(probe_templates: Sequence[PrintInput]) -> list[Template]:
    if not probe_templates:
        raise ValidationError("no probe fingerprints given", field="fingerprints")
    if len(probe_templates) > MAX_PRINTS:
        raise ValidationError(f"{len(probe_templates)} probe prints; at most {MAX_PRINTS}",
                              field="fingerprints")
    return [template_of(p, f"fingerprints[{i}]", gate=False) for i, p in enumerate(probe_templates)]


def _comparable(a: int, b: int) -> bool:
    # Known positions must agree; an unknown position on either side is compared with all.
    return a == 0 or b == 0 or a == b


def _best(probes: Sequence[Any], stored: Sequence[AlertFingerprint]) -> tuple[float, int, int, int]:
    """Best (score, paired minutiae, stored finger position, comparisons) over the pairs of
    prints that may show the same finger."""
    from granica.biometrics.compare import compare, on_fused_scale, prepare

    fmr = get_settings().fingerprint_fmr
    best = (0.0, 0, 0)
    n = 0
    for row in stored:
        # Cylinders built once per stored print, not once per probe finger.
        candidate = prepare(Template.from_bytes(row.template))
        for probe in probes:
            if not _comparable(probe.template.finger_position, row.finger_position):
                continue
            n += 1
            result = compare(probe, candidate)
            score = on_fused_scale(result, fmr)
            if score > best[0]:
                best = (score, len(result.pairs), row.finger_position)
    return best[0], best[1], best[2], n


def _threshold() -> tuple[float, float]:
    from granica.biometrics.compare import threshold_for

    fmr = get_settings().fingerprint_fmr
    return fmr, threshold_for(fmr)


def verify_fingerprints(session: Session, principal: Principal, alert_id: str,
                        probe_templates: Sequence[PrintInput], purpose: str) -> Verification:
    """1:1: do the traveller's prints match the prints of this alert? (audited)"""
    from granica.biometrics.compare import prepare

    alert = _person_alert(session, alert_id)
    require_visible(session, principal, alert, "alerts.fingerprints.verify", purpose)
    probes = [prepare(t) for t in _probes(probe_templates)]
    stored = list(session.scalars(sa.select(AlertFingerprint)
                                  .where(AlertFingerprint.alert_id == alert.id)))
    fmr, threshold = _threshold()
    if not stored:
        result = Verification(alert.id, "no_prints", 0.0, threshold, fmr, 0, 0, 0)
    else:
        score, paired, position, n = _best(probes, stored)
        result = Verification(alert.id, "confirmed" if score >= threshold else "not_confirmed",
                              score, threshold, fmr, paired, position, n)
    audit.record(session, principal, "alerts.fingerprints.verify", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[alert.id],
                 query={"probe_prints": len(probes)}, result_count=int(result.confirmed),
                 details={"decision": result.decision, "score": round(result.score, 4),
                          "fmr": fmr})
    return result


def _reason(score: float, paired: int, threshold: float, fmr: float) -> str:
    return (f"fingerprint score {score:.3f} (threshold {threshold:.4f} at FMR {fmr:g}), "
            f"{paired} minutiae paired")


def search_fingerprints(session: Session, principal: Principal,
                        probe_templates: Sequence[PrintInput], purpose: str,
                        limit: int = 10) -> list[dict[str, Any]]:
    """1:N: the alerts whose prints match the probe prints at the configured false-match
    rate, best first, among the alerts the caller may see. Each result has the sis search
    shape plus `fingerprint` (score, paired minutiae, threshold)."""
    from granica.biometrics.compare import prepare

    if not 1 <= limit <= 100:
        raise ValidationError(f"limit {limit} is not between 1 and 100", field="limit")
    probes = [prepare(t) for t in _probes(probe_templates)]
    fmr, threshold = _threshold()
    # The gallery ranks every stored print from its cylinders built once (on attach, or when
    # the gallery was loaded); the caller's visibility then narrows the candidates, and only
    # visible candidates get the full comparison, so nothing of an alert the caller may not
    # see is compared in full or returned.
    gallery = gallery_for(session)
    gallery.sync_with(session)
    candidates = gallery.candidates(probes)
    alerts = {a.id: a for a in session.scalars(sa.select(Alert).where(Alert.id.in_(candidates)))
              if can_see(principal, a)} if candidates else {}
    by_alert: dict[str, list[AlertFingerprint]] = {}
    if alerts:
        for row in session.scalars(sa.select(AlertFingerprint)
                                   .where(AlertFingerprint.alert_id.in_(list(alerts)))):
            by_alert.setdefault(row.alert_id, []).append(row)
    scored: list[tuple[float, int, str]] = []
    for alert_id, rows in by_alert.items():
        score, paired, _, _ = _best(probes, rows)
        if score >= threshold:
            scored.append((score, paired, alert_id))
    scored.sort(key=lambda t: (-t[0], t[2]))
    top = scored[:limit]
    # the sis score is in [0, 1]: a score at twice the threshold or more counts as certain
    shaped = search_results(session, [(float(np.clip(s / (2 * threshold), 0.0, 1.0)),
                                 [_reason(s, p, threshold, fmr)], alerts[a])
                                for s, p, a in top])
    for (s, p, _), r in zip(top, shaped):
        r["fingerprint"] = {"score": round(s, 4), "paired_minutiae": p,
                            "threshold": threshold, "fmr": fmr}
    audit.record(session, principal, "alerts.fingerprints.search", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[a for _, _, a in top],
                 query={"probe_prints": len(probes), "limit": limit}, result_count=len(top),
                 details={"fmr": fmr, "alerts_compared": len(by_alert),
                          "gallery_prints": len(gallery)})
    return shaped
