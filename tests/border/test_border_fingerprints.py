"""Acceptance: fingerprints at the border (issue 6, domain.md §1.4) with real FVC 2002 prints:
a person hit confirmed or not by 1:1 verification, a traveller without papers identified by
the 1:N search, a slow fingerprint step that refers, and bad images refused before storage."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from granica.audit.models import AuditEntry
from granica.auth.principal import Principal
from granica.biometrics.template import Template
from granica.border import service
from granica.border.models import BorderCheck, BorderRecheck
from granica.border.schemas import CheckRequest, FingerprintInput
from granica.errors import PermissionDenied
from granica.settings import reset_settings
from granica.sis import fingerprints as fp
from granica.sis import service as sis
from granica.sis.models import AlertFingerprint, HitReport
from granica.storage import Database
from tests.border.conftest import BCP, GUARD, OFFICER, enter_alert, future_expiry, td3
from tests.conftest import shared_path
from tests.web.conftest import Seeded, _cheap_password_hashing, seed_users  # noqa: F401

pytestmark = pytest.mark.acceptance

PURPOSE = "border check at Batrovci"


def _png(path: Path) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    with Image.open(path) as im:
        im.convert("L").save(buf, format="PNG", dpi=(500, 500))
    return buf.getvalue()


@pytest.fixture(scope="module")
def prints() -> dict[str, Any]:
    """Finger 101 impressions 1 and 2 and finger 102 impression 2 as PNG, and the template of
    101_1 extracted once for the whole module (extraction is the slow part)."""
    from granica.biometrics.extract import extract

    folder = shared_path("fingerprints", "fvc2002_db1_b")
    png = {name: _png(folder / f"{name}.tif") for name in ("101_1", "101_2", "102_2")}
    return {"png": png, "enrolled": extract(png["101_1"], finger_position=2)}


@pytest.fixture(scope="module", autouse=True)
def warm_engine() -> None:
    """What `granica serve` does before it answers: compile the fingerprint kernels, so that
    numba's JIT (seconds, with its on-disk cache absent) is not timed as the source's answer."""
    from granica.biometrics.warmup import warm_up

    warm_up()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _wanted(db: Database, prints: dict[str, Any]) -> str:
    """A validated arrest alert with the right index finger of FVC person 101 attached."""
    alert_id = enter_alert(db, "arrest", {
        "surname": "Николић", "forenames": "Душан", "sex": "M", "date_of_birth": "1983-05-21",
        "nationalities": ["RS"], "reason": "armed robbery", "issuing_authority": "Court in Niš",
        "warrant_reference": "K-77/2026",
    })
    with db.session() as s:
        stored = fp.attach_fingerprints(s, OFFICER, alert_id, [prints["enrolled"]],
                                        purpose="prints from the arrest file")
    assert [r["finger_position"] for r in stored] == [2] and stored[0]["minutiae"] >= fp.MIN_MINUTIAE
    return alert_id


def _check(db: Database, req: CheckRequest, who: Principal = GUARD) -> service.CheckResult:
    with db.session() as s:
        return service.check(s, who, req, PURPOSE)


def _traveller_mrz() -> str:
    return td3("NIKOLIC", "DUSAN", "023456789", "SRB", "830521", future_expiry())


def test_prints_confirm_or_rule_out_a_person_hit(border_db: Database, prints: dict[str, Any]) -> None:
    alert_id = _wanted(border_db, prints)
    same_finger = CheckRequest(bcp=BCP, lane="E1", mrz=_traveller_mrz(), fingerprints=[
        FingerprintInput(image=_b64(prints["png"]["101_2"]), finger_position=2)])
    result = _check(border_db, same_finger)
    assert result.decision == "hit" and result.complete, result.reasons
    hit = result.hits[0]
    assert hit.alert_id == alert_id and hit.fingerprint == "confirmed"
    assert hit.fingerprint_score is not None and "confirmed by fingerprints" in hit.summary
    assert {s.name: s.status for s in result.sources}["fingerprints"] == "ok"

    other_finger = same_finger.model_copy(update={"fingerprints": [
        FingerprintInput(image=_b64(prints["png"]["102_2"]))]})
    result = _check(border_db, other_finger)
    # the name still matches, so it stays a hit for second line, marked as not confirmed
    assert result.decision == "hit" and result.hits[0].fingerprint == "not_confirmed"
    assert "NOT confirmed" in result.hits[0].summary
    # without prints nothing is compared
    result = _check(border_db, same_finger.model_copy(update={"fingerprints": []}))
    assert result.hits[0].fingerprint == "" and "fingerprints" not in {s.name for s in result.sources}
    with border_db.session() as s:
        verified = s.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "alerts.fingerprints.verify")).all()
        assert [a.details["decision"] for a in verified] == ["confirmed", "not_confirmed"]  # type: ignore[index]
        assert all(a.username == GUARD.username for a in verified)


def test_no_document_prints_search_finds_the_alert(border_db: Database,
                                                   prints: dict[str, Any]) -> None:
    alert_id = _wanted(border_db, prints)
    probe = [FingerprintInput(image=_b64(prints["png"]["101_2"]))]
    result = _check(border_db, CheckRequest(bcp=BCP, lane="E1", fingerprints=probe))
    assert result.decision == "hit", result.reasons
    assert [(h.alert_id, h.source, h.fingerprint) for h in result.hits] == [
        (alert_id, "fingerprints", "identified")]
    assert result.hits[0].action and result.hits[0].hit_report_id
    # a garbled MRZ does not ascertain the identity either: the prints are searched
    garbled = CheckRequest(bcp=BCP, mrz="P<SRBNIKOL<<D\n0234", fingerprints=probe)
    assert [h.alert_id for h in _check(border_db, garbled).hits] == [alert_id]
    # another finger is nobody's: refer (no document), no hit
    stranger = CheckRequest(bcp=BCP, fingerprints=[
        FingerprintInput(image=_b64(prints["png"]["102_2"]))])
    result = _check(border_db, stranger)
    assert result.decision == "refer" and result.hits == [] and result.complete
    with border_db.session() as s:
        assert {r.alert_id for r in s.scalars(sa.select(HitReport))} == {alert_id}
        searches = s.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "alerts.fingerprints.search")).all()
        assert [a.result_count for a in searches] == [1, 1, 0]


def test_search_and_verify_in_sis(border_db: Database, prints: dict[str, Any]) -> None:
    alert_id = _wanted(border_db, prints)
    with border_db.session() as s:
        probe = [fp.template_of(prints["png"]["101_2"], "probe", gate=False)]
        v = fp.verify_fingerprints(s, GUARD, alert_id, probe, purpose=PURPOSE)
        assert v.confirmed and v.score >= v.threshold and v.paired_minutiae > 0
        assert v.finger_position == 2
        found = fp.search_fingerprints(s, GUARD, probe, purpose=PURPOSE, limit=5)
        assert [r["alert_id"] for r in found] == [alert_id]
        assert found[0]["fingerprint"]["score"] == pytest.approx(v.score, abs=1e-3)
        # visibility: a principal who may not read person alerts finds nothing
        outsider = Principal(user_id="u-x", username="x", agency="CUSTOMS", roles=frozenset(),
                             permissions=frozenset({"alerts.object.read"}))
        assert fp.search_fingerprints(s, outsider, probe, purpose=PURPOSE) == []
    # a guard may not attach prints
    with border_db.session() as s, pytest.raises(PermissionDenied):
        fp.attach_fingerprints(s, GUARD, alert_id, [prints["enrolled"]], purpose=PURPOSE)


def test_poor_print_is_refused_and_nothing_stored(border_db: Database,
                                                  prints: dict[str, Any]) -> None:
    alert_id = _wanted(border_db, prints)
    sparse = Template(width=300, height=300, minutiae=np.array(
        [[50.0 + 20 * i, 60.0, 0.5, 1, 60] for i in range(5)], dtype=np.float64),
        ppi=500, finger_position=3, quality=60)
    blank = io.BytesIO()
    from PIL import Image

    Image.new("L", (300, 300), 255).save(blank, format="PNG")
    for bad in (sparse, blank.getvalue()):
        with border_db.session() as s, pytest.raises(fp.FingerprintQualityError) as err:
            fp.attach_fingerprints(s, OFFICER, alert_id, [prints["enrolled"], bad],
                                   purpose="prints from the arrest file")
        assert err.value.field == "fingerprints[1]" and err.value.http_status == 422
        assert "retake" in err.value.message
    with border_db.session() as s:  # only the first attach (in _wanted) is stored
        assert s.scalar(sa.select(sa.func.count()).select_from(AlertFingerprint)) == 1


def test_slow_fingerprint_step_refers(border_db: Database, prints: dict[str, Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _wanted(border_db, prints)
    release = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        # answers long after the budget, and then without touching the database, so that
        # nothing is still writing when the test's database goes away
        release.wait(10)
        return []

    monkeypatch.setattr(sis, "search_fingerprints", slow)  # what border calls
    monkeypatch.setenv("GRANICA_BORDER_FINGERPRINT_BUDGET_MS", "1500")
    reset_settings()
    try:
        result = _check(border_db, CheckRequest(bcp=BCP, fingerprints=[
            FingerprintInput(image=_b64(prints["png"]["101_2"]))]))
    finally:
        release.set()
        reset_settings()
    assert result.decision == "refer" and not result.complete
    assert result.missed_sources == ["fingerprints"]
    assert any(r.code == "incomplete" and "Fingerprints" in r.message for r in result.reasons)
    # the traveller's prints are not kept, so there is nothing to re-check automatically
    assert not result.recheck_queued
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(BorderRecheck)) == 0


@pytest.fixture
def api(border_db: Database) -> Iterator[tuple[TestClient, Seeded]]:
    from granica.api.app import create_app

    seeded = seed_users(border_db)
    with TestClient(create_app(border_db), follow_redirects=False) as c:
        yield c, seeded


def test_corrupt_image_is_a_422_naming_the_field(api: tuple[TestClient, Seeded],
                                                 prints: dict[str, Any]) -> None:
    client, seeded = api
    headers = {"Authorization": f"Bearer {seeded.token}", "X-Purpose": "e-gate 7"}
    good = _b64(prints["png"]["101_2"])
    for bad in ("%%% not base64 %%%", _b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)):
        r = client.post("/api/v1/border/checks", headers=headers, json={
            "bcp": BCP, "mrz": _traveller_mrz(),
            "fingerprints": [{"image": good}, {"image": bad}]})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "fingerprints[1].image", r.json()
    with seeded.database.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(BorderCheck)) == 0
    # the same request with good prints goes through
    r = client.post("/api/v1/border/checks", headers=headers, json={
        "bcp": BCP, "mrz": _traveller_mrz(), "fingerprints": [{"image": good}]})
    assert r.status_code == 200 and r.json()["decision"] == "go", r.text


def test_prints_turn_a_namesake_into_a_hit(border_db: Database, prints: dict[str, Any]) -> None:
    """A traveller born on another day than the alert says is only a possible match by name;
    his prints matching the alert's make it a hit, reported to the SIRENE Bureau."""
    alert_id = _wanted(border_db, prints)
    other_birthday = td3("NIKOLIC", "DUSAN", "023456789", "SRB", "821130", future_expiry())
    no_prints = CheckRequest(bcp=BCP, lane="E1", mrz=other_birthday)
    result = _check(border_db, no_prints)
    assert result.decision == "refer" and result.hits[0].match == "possible", result.reasons
    assert result.hits[0].hit_report_id == ""
    result = _check(border_db, no_prints.model_copy(update={"fingerprints": [
        FingerprintInput(image=_b64(prints["png"]["101_2"]), finger_position=2)]}))
    assert result.decision == "hit", result.reasons
    assert (result.hits[0].fingerprint, result.hits[0].match) == ("confirmed", "possible")
    with border_db.session() as s:
        assert [r.alert_id for r in s.scalars(sa.select(HitReport))] == [result.hits[0].alert_id]
    assert result.hits[0].alert_id == alert_id and result.hits[0].hit_report_id
