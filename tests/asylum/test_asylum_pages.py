"""The national fingerprint database's pages: an officer enrols from FVC2002 DB1_B files (a
noisy print is sent back with the retake list), a second enrolment of other impressions of
the same fingers shows a candidate, the expert compares side by side (both prints, the
minutiae drawn over them, paired ones numbered) and confirms, and the search's result shows
the hit; every message of the pages in both Serbian scripts; and the same story in headless
Chromium with the keyboard, audited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from granica.asylum.categories import rules
from granica.asylum.gallery import forget_galleries
from granica.audit.models import AuditEntry
from granica.auth.principal import system_principal
from granica.storage import Database
from tests.asylum.test_asylum_service import _folder
from tests.web.conftest import _cheap_password_hashing, csrf_of, login  # noqa: F401
from tests.web.translation_checks import assert_in_both_scripts, template_message_ids

pytestmark = pytest.mark.db

USERS = {
    "officer": ("stefan.asylum", "Asylum-Lantern-Word-41", "ASYLUM_OFFICE", ["asylum_officer"]),
    "expert": ("dragana.expert", "Expert-Lantern-Word-42", "ASYLUM_OFFICE",
               ["fingerprint_expert"]),
}
KEPT_LATIN = re.compile(r"%\(\w+\)s|\b(?:EURODAC|ISO|CSV|AMP|XX|UP|EU|UTC|Art)\b")


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    from granica.api.app import create_app
    from granica.auth import service as auth

    forget_galleries()
    actor = system_principal("test set-up")
    with database.session() as s:
        for name, password, agency, roles in USERS.values():
            auth.create_user(s, actor, username=name, password=password, agency=agency,
                             roles=roles)
    with TestClient(create_app(database), follow_redirects=False) as c:
        yield c


def files(fingers: list[int], impression: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(f"finger_{i + 1}", (f"{f}_{impression}.tif",
                                 (_folder() / f"{f}_{impression}.tif").read_bytes(), "image/tiff"))
            for i, f in enumerate(fingers)]


def form(token: str, fingers: int, **kw: str) -> dict[str, str]:
    data = {"csrf_token": token, "category": "applicant", "surname": "Haidari",
            "given_names": "Amir", "nationalities": "AFG", "date_of_birth": "1994-05-06",
            "sex": "M", "registration_place": "Preševo"}
    data.update({f"missing_{p}": "bandaged" for p in range(fingers + 1, 11)})
    data.update(kw)
    return data


def test_asylum_pages_enrol_compare_confirm(client: TestClient, database: Database) -> None:
    login(client, *USERS["officer"][:2])
    page_html = client.get("/asylum/enrol").text
    assert 'id="enrol-form"' in page_html and 'id="finger_10"' in page_html
    token = csrf_of(client, "/asylum/enrol")
    noisy = client.post("/asylum/enrol", data=form(token, 2),
                        files=[("finger_1", ("noise.png", _noise_png(), "image/png")),
                               ("finger_2", files([102], 1)[0][1])])
    assert noisy.status_code == 422, noisy.text[:400]
    assert 'id="retake-1"' in noisy.text and 'aria-invalid="true"' in noisy.text
    first = client.post("/asylum/enrol", data=form(token, 2), files=files([101, 102], 1))
    assert first.status_code == 303, first.text[:600]
    result = client.get(first.headers["location"])
    assert 'id="enrolled-notice"' in result.text and "CET" in result.text
    reference = re.search(r'id="reference">(RS1\d+)<', result.text).group(1)  # type: ignore[union-attr]
    second = client.post("/asylum/enrol", data=form(token, 2), files=files([101, 102], 2))
    assert second.status_code == 303
    search_url = second.headers["location"].split("?")[0]
    assert reference in client.get(search_url).text
    assert 'id="hit-count"' in client.get(search_url).text
    assert client.get("/asylum/queue").status_code == 403  # an officer is not an expert
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    login(client, *USERS["expert"][:2])
    queue = client.get("/asylum/queue").text
    candidate = re.search(r'href="/asylum/candidates/([\w-]+)"', queue).group(1)  # type: ignore[union-attr]
    compare = client.get(f"/asylum/candidates/{candidate}")
    assert compare.status_code == 200
    assert compare.text.count('<svg xmlns="http://www.w3.org/2000/svg" id="svg-') == 4
    assert 'class="minutia paired"' in compare.text and 'id="zoom-in"' in compare.text
    finger_id = re.search(r'href="/asylum/fingers/([\w-]+)\.png"', compare.text).group(1)  # type: ignore[union-attr]
    png = client.get(f"/asylum/fingers/{finger_id}.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    path = f"/asylum/candidates/{candidate}/decision"
    token = csrf_of(client, f"/asylum/candidates/{candidate}")
    bad = client.post(path, data={"csrf_token": token, "decision": "confirmed", "reason": ""})
    assert bad.status_code == 422 and "give the reason" in bad.text
    done = client.post(path, data={"csrf_token": token, "decision": "confirmed",
                                   "reason": "ridge detail agrees on both fingers"})
    assert done.status_code == 303 and "decided=confirmed" in done.headers["location"]
    result = client.get(search_url).text
    assert "HIT" in result and 'class="asylum-hit"' in result
    subject = client.get(f"/asylum/subjects?reference={reference}")
    assert subject.status_code == 200 and "Haidari" in subject.text
    assert client.get("/asylum/subjects?reference=RS10").status_code == 404
    stats = client.get("/asylum/statistics")
    assert stats.status_code == 200 and "<svg" in stats.text
    assert 'id="total-hits">1<' in stats.text
    with database.session() as s:
        actions = set(s.scalars(sa.select(AuditEntry.action)))
    assert {"asylum.enrol", "asylum.compare", "asylum.image", "asylum.decide",
            "asylum.hit", "asylum.statistics"} <= actions


def _noise_png() -> bytes:
    """A capture of noise: it decodes, but shows no ridge structure (quality 0)."""
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    noise = np.random.default_rng(1).random((400, 400)) * 255
    Image.fromarray(noise.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_asylum_police_search_page_and_serbian(client: TestClient) -> None:
    login(client, *USERS["expert"][:2])
    token = csrf_of(client, "/asylum/search")
    bad = client.post("/asylum/search", data={"csrf_token": token, "purpose": "x",
                                              "case_reference": "KU-1"},
                      files=files([101], 1))
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    for language, title in (("sr-Latn", "Pretraga otisaka prstiju"),
                            ("sr-Cyrl", "Претрага отисака прстију")):
        r = client.post("/language", data={"language": language, "next": "/",
                                           "csrf_token": csrf_of(client, "/")})
        assert r.status_code == 303
        assert title in client.get("/asylum/search").text


def page_message_ids() -> set[str]:
    from granica.asylum import pages

    ids = template_message_ids("asylum", pages.NAV_ITEMS)
    ids.update(pages.FINGERS.values())
    ids.update(pages.STATES.values())
    ids.update(pages.DECISION_LABELS.values())
    ids.update(("enrolments", "searches", "hits", "Enrolments, searches and hits per month",
                "enrolment", "request", "flat", "rolled", "male", "female", "unspecified"))
    book = rules()
    ids.update(c.label for c in book.categories.values())
    ids.update(book.missing_reasons.values())
    # the training node's data texts (exercise kinds, the cards' notes, the scores' chart)
    from granica.asylum import pages_training, training

    ids.update(pages_training.KIND_LABELS.values())
    from granica.asylum.pages import ANSWERS

    ids.update(ANSWERS.values())
    ids.update(training.MISSING_STORIES.values())
    ids.update((training.QUALITY_NOTE, "Share of the possible points per trainee"))
    return {i for i in ids if i}


def test_asylum_every_page_message_is_in_both_serbian_scripts() -> None:
    ids = page_message_ids()
    assert len(ids) > 80
    assert_in_both_scripts(ids, KEPT_LATIN)
