"""Training mode: a node of its own (data folder and database apart from the live ones, a
banner on every page, nothing transmitted), and the three exercises done through the pages
as a trainee would: an enrolment from the exercise's synthetic captures (scored in full, then
with two fingers swapped and a wrong reason, each fault named), quality retakes (the gate
refuses the poor first captures; the unusable finger recorded as missing), and a hit
verification in the expert's queue; the scores per trainee in the page and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from granica.asylum import training
from granica.asylum.gallery import forget_galleries
from granica.asylum.models import Candidate, Subject, TrainingExercise
from granica.auth.principal import system_principal
from granica.errors import ConflictError
from granica.settings import Settings, get_settings, reset_settings
from granica.storage import Database
from tests.web.conftest import _cheap_password_hashing, csrf_of, login  # noqa: F401

pytestmark = [pytest.mark.db, pytest.mark.acceptance]

OFFICER = ("ana.trainee", "Trainee-Lantern-Word-51", "ASYLUM_OFFICE", ["asylum_officer"])
EXPERT = ("milan.trainee", "Trainee-Lantern-Word-52", "ASYLUM_OFFICE", ["fingerprint_expert"])
SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def training_node(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("GRANICA_TRAINING", "1")
    reset_settings()
    yield database
    reset_settings()


def _client(database: Database) -> Iterator[TestClient]:
    from granica.api.app import create_app
    from granica.auth import service as auth

    forget_galleries()
    actor = system_principal("test set-up")
    with database.session() as s:
        for name, password, agency, roles in (OFFICER, EXPERT):
            auth.create_user(s, actor, username=name, password=password, agency=agency,
                             roles=roles)
    with TestClient(create_app(database), follow_redirects=False) as c:
        yield c


@pytest.fixture
def client(training_node: Database) -> Iterator[TestClient]:
    yield from _client(training_node)


@pytest.fixture
def live_client(database: Database) -> Iterator[TestClient]:
    yield from _client(database)


def _start(client: TestClient, kind: str) -> TrainingExercise:
    r = client.post("/asylum/training", data={"csrf_token": csrf_of(client, "/asylum/training"),
                                              "kind": kind})
    assert r.status_code == 303, r.text
    exercise_id = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/asylum/training/{exercise_id}")
    assert page.status_code == 200 and 'id="training-banner"' in page.text
    from granica.storage import get_database

    with get_database().session() as s:
        ex = s.get(TrainingExercise, exercise_id)
        assert ex is not None
        s.expunge(ex)
    return ex


def _capture(client: TestClient, ex: TrainingExercise, position: int, number: int) -> bytes:
    r = client.get(f"/asylum/training/{ex.id}/captures/{position}-{number}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    return r.content


def _enrol(client: TestClient, ex: TrainingExercise, images: dict[int, bytes],
           missing: dict[int, str], **changes: str) -> tuple[int, str]:
    card = ex.plan["card"]
    data = {"csrf_token": csrf_of(client, "/asylum/enrol"), "category": card["category"],
            "surname": card["surname"], "given_names": card["given_names"],
            "nationalities": card["nationality"], "date_of_birth": card["date_of_birth"],
            "sex": card["sex"], "registration_place": "Preševo", "purpose": "asylum procedure"}
    data.update({f"missing_{p}": reason for p, reason in missing.items()})
    data.update(changes)
    files = [(f"finger_{p}", (f"finger-{p}.png", img, "image/png")) for p, img in images.items()]
    r = client.post("/asylum/enrol", data=data, files=files)
    return r.status_code, r.text


def _check(client: TestClient, ex: TrainingExercise, retaken: list[int] | None = None
           ) -> tuple[int, int, list[str]]:
    token = csrf_of(client, f"/asylum/training/{ex.id}")
    r = client.post(f"/asylum/training/{ex.id}/check",
                    data={"csrf_token": token, "retaken": [str(p) for p in retaken or []]})
    assert r.status_code == 303, r.text
    page = client.get(f"/asylum/training/{ex.id}").text
    points = re.search(r'id="points"><strong>(\d+) / (\d+)</strong>', page)
    assert points, page
    feedback = re.findall(r"<li>(.*?)</li>", page.split('id="feedback"', 1)[1].split("</ul>")[0]) \
        if '<ul id="feedback">' in page else []
    return int(points.group(1)), int(points.group(2)), feedback


def test_asylum_training_node_keeps_apart_from_the_live_node(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = Settings(data_dir=tmp_path)
    node = Settings(data_dir=tmp_path, training=True)
    assert node.data_dir == tmp_path / "training"
    assert node.resolved_database_url != live.resolved_database_url
    assert node.audit_anchor_file.parent == tmp_path / "training"
    with pytest.raises(ValueError, match="GRANICA_TRAINING_DATABASE_URL"):
        Settings(data_dir=tmp_path, training=True, database_url="postgresql+psycopg://h/live")
    with pytest.raises(ValueError, match="is the live database"):
        Settings(data_dir=tmp_path, training=True, database_url="postgresql+psycopg://h/live",
                 training_database_url="postgresql+psycopg://h/live")
    apart = Settings(data_dir=tmp_path, training=True, database_url="postgresql+psycopg://h/l",
                     training_database_url="postgresql+psycopg://h/training")
    assert apart.resolved_database_url.endswith("/training")


@SQLITE_ONLY
def test_asylum_training_exercises_only_on_a_training_node(live_client: TestClient,
                                                           database: Database) -> None:
    login(live_client, OFFICER[0], OFFICER[1])
    home = live_client.get("/").text
    assert 'id="training-banner"' not in home and "/asylum/training" not in home
    r = live_client.get("/asylum/training")
    assert r.status_code == 409 and "granica serve --training" in r.text
    with database.session() as s, pytest.raises(ConflictError, match="training node"):
        training.start(s, system_principal(), "enrolment")


def test_asylum_training_enrolment_exercise_scored(client: TestClient,
                                                   training_node: Database) -> None:
    assert 'id="training-banner"' in client.get("/login").text
    assert login(client, OFFICER[0], OFFICER[1]) == "/"
    statistics = "/asylum/statistics?purpose=asylum+procedure"
    for page in ("/", "/asylum/enrol", "/asylum/subjects", statistics, "/asylum/training"):
        r = client.get(page)
        assert 'id="training-banner"' in r.text, page
    assert "/asylum/training" in client.get("/").text  # the nav shows it on a training node

    ex = _start(client, "enrolment")
    (missing_pos, reason), = ex.plan["expect"]["missing"].items()
    images = {int(p): _capture(client, ex, int(p), 1) for p in ex.plan["fingers"]
              if p != missing_pos}
    status, text = _enrol(client, ex, images, {int(missing_pos): reason})
    assert status == 303, text
    points, most, feedback = _check(client, ex)
    assert (points, most, feedback) == (ex.max_points, ex.max_points, [])

    # the same exercise done wrong: two fingers swapped, the wrong reason, another category
    ex2 = _start(client, "enrolment")
    (missing_pos, reason), = ex2.plan["expect"]["missing"].items()
    present = sorted(int(p) for p in ex2.plan["fingers"] if p != missing_pos)
    images = {p: _capture(client, ex2, p, 1) for p in present}
    a, b = present[0], present[1]
    images[a], images[b] = images[b], images[a]
    wrong = "unable_to_print"
    category = "applicant" if ex2.plan["card"]["category"] != "applicant" else "illegally_staying"
    status, text = _enrol(client, ex2, images, {int(missing_pos): wrong}, category=category)
    assert status == 303, text
    points, most, feedback = _check(client, ex2)
    assert points == most - 2 - 3 - 1, feedback  # two fingers, the reason, the category
    text = " | ".join(feedback)
    assert f"stored as finger {a} " in text and f"is finger {b} " in text
    assert f"stored as finger {b} " in text and f"is finger {a} " in text
    assert f"reason &#39;{reason}&#39;" in text and f"recorded: {wrong}" in text
    assert "category" in text

    # checked once: a second check is refused, the score stays
    r = client.post(f"/asylum/training/{ex2.id}/check",
                    data={"csrf_token": csrf_of(client, f"/asylum/training/{ex2.id}")})
    assert r.status_code == 409 and "start a new one" in r.text
    # nothing of training goes to the central system
    with training_node.session() as s:
        subject = s.scalars(sa.select(Subject)).first()
        assert subject is not None
        from granica.asylum import transmission

        with pytest.raises(ConflictError, match="never sent"):
            transmission.transmit(s, system_principal(), subject.reference)
        assert transmission.transmit_due(training_node) == {"sent": 0, "failed": []}


@SQLITE_ONLY
def test_asylum_training_quality_and_verification(client: TestClient,
                                                  training_node: Database) -> None:
    login(client, OFFICER[0], OFFICER[1])
    ex = _start(client, "quality")
    expect = ex.plan["expect"]
    unusable = expect["unusable"][0]
    firsts = {int(p): _capture(client, ex, int(p), 1) for p in ex.plan["fingers"]}
    status, text = _enrol(client, ex, firsts, {})
    assert status == 422, text  # the gate sends the poor first captures back
    refused = {int(p) for p in re.findall(r"finger (\d+) \(flat\): quality", text)}
    assert refused == {*expect["retake"], unusable}
    retakes = {p: (_capture(client, ex, p, 2) if p in refused else img)
               for p, img in firsts.items()}
    status, text = _enrol(client, ex, retakes, {})
    refused = {int(p) for p in re.findall(r"finger (\d+) \(flat\): quality", text)}
    assert status == 422 and refused == {unusable}
    del retakes[unusable]
    status, text = _enrol(client, ex, retakes, {unusable: "poor_quality"})
    assert status == 303, text
    points, most, feedback = _check(client, ex, retaken=expect["retake"])
    assert (points, feedback) == (most, [])

    # the expert's exercise: the candidate is in the queue, compared side by side, decided
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    login(client, EXPERT[0], EXPERT[1])
    ex = _start(client, "verification")
    candidate_id = ex.plan["candidate_id"]
    assert candidate_id in client.get("/asylum/queue").text
    assert client.get(f"/asylum/candidates/{candidate_id}").status_code == 200
    truth = "confirmed" if ex.plan["mated"] else "rejected"
    with training_node.session() as s:
        candidate = s.get(Candidate, candidate_id)
        assert candidate is not None
        mated_score = candidate.score
    if ex.plan["mated"]:
        from granica.biometrics.compare import threshold_for

        assert mated_score >= threshold_for(get_settings().asylum_candidate_fmr)
    r = client.post(f"/asylum/candidates/{candidate_id}/decision",
                    data={"csrf_token": csrf_of(client, f"/asylum/candidates/{candidate_id}"),
                          "decision": truth, "reason": "12 paired minutiae in the core area"})
    assert r.status_code == 303, r.text
    assert _check(client, ex) == (3, 3, [])
    # a wrong decision on the next one is named
    ex = _start(client, "verification")
    wrong = "rejected" if ex.plan["mated"] else "confirmed"
    candidate_id = ex.plan["candidate_id"]
    client.post(f"/asylum/candidates/{candidate_id}/decision",
                data={"csrf_token": csrf_of(client, f"/asylum/candidates/{candidate_id}"),
                      "decision": wrong, "reason": "looks so"})
    points, _, feedback = _check(client, ex)
    assert points == 0 and any(f"you decided &#39;{wrong}&#39;" in f for f in feedback)
    assert any("what the prints show" in f for f in feedback)

    page = client.get("/asylum/training").text
    assert "<svg" in page and EXPERT[0] in page and "50 %" in page  # 3 of 6 points

    from granica.cli import app as cli

    result = CliRunner().invoke(cli, ["asylum", "training", "scores", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["trainee"]: r for r in json.loads(result.output)}
    assert rows[OFFICER[0]]["points"] == rows[OFFICER[0]]["max_points"]
    assert rows[EXPERT[0]]["by_kind"]["verification"] == {"exercises": 2, "points": 3,
                                                         "max_points": 6}
