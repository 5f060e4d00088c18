"""`granica asylum enrol|search|retention|selftest` in-process through the Typer app on the
test database: enrolment from image files and from an ANSI/NIST-ITL transaction, a search
finding the subject, the retention job with --dry-run, bad input named, and the selftest on
one shared FVC set (the six-set figures are in the issue note)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica.asylum.gallery import forget_galleries
from granica.asylum.models import Finger, Subject
from granica.cli import app
from granica.errors import InputFormatError, ValidationError
from granica.storage import Database
from tests.conftest import shared_path

SELFTEST_KEYS = {"subjects", "searches", "rank1_identification_rate",
                 "false_candidates_per_search", "enrol_ms", "search_ms"}


def _folder() -> Path:
    return shared_path("fingerprints", "fvc2002_db1_b")


def _fingers(impression: int, fingers: tuple[int, ...] = (101, 102, 103)) -> list[str]:
    args = []
    for position, f in enumerate(fingers, 1):
        args += ["--finger", f"{position}={_folder() / f'{f}_{impression}.tif'}"]
    return args


def _missing(start: int) -> list[str]:
    return [a for p in range(start, 11) for a in ("--missing", f"{p}=bandaged")]


@pytest.fixture
def runner(database: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("GRANICA_TOKEN", raising=False)
    forget_galleries()
    return CliRunner()


@pytest.fixture
def bare_runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """For the selftest, which makes its own throwaway database."""
    monkeypatch.delenv("GRANICA_TOKEN", raising=False)
    return CliRunner()


def _json(runner: CliRunner, args: list[str]) -> dict[str, object]:
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, (r.output, r.exception)
    out: dict[str, object] = json.loads(r.stdout)
    return out


@pytest.mark.acceptance
def test_asylum_cli_enrol_search_and_retention(runner: CliRunner, database: Database) -> None:
    first = _json(runner, ["asylum", "enrol", "--category", "applicant", *_fingers(1),
                           *_missing(4), "--surname", "Test", "--nationality", "AFG",
                           "--date-of-birth", "1990-01-01", "--sex", "m"])
    assert str(first["reference"]).startswith("RS1") and first["candidates"] == []
    assert first["transmission_due"]
    found = _json(runner, ["asylum", "search", "--purpose", "police request 17/2026",
                           "--case-reference", "KU-17/2026", *_fingers(4)])
    with database.session() as s:
        subject = s.scalars(sa.select(Subject).where(Subject.reference == first["reference"])).one()
    candidates = found["candidates"]
    assert isinstance(candidates, list) and candidates[0]["subject"] == subject.id
    # nothing is due yet: the dry run lists nothing and erases nothing
    due = _json(runner, ["asylum", "retention", "--dry-run"])
    assert due == {"dry_run": True, "erased": 0, "subjects": []}


@pytest.mark.acceptance
def test_asylum_cli_enrols_from_an_ansi_nist_transaction(runner: CliRunner, database: Database,
                                                         tmp_path: Path) -> None:
    from granica.biometrics.formats.images import read_image
    from granica.biometrics.formats.tenprint import (
        TransactionHeader,
        build_transaction,
        tenprint_from_images,
    )

    images = {p: read_image((_folder() / f"10{p + 3}_1.tif").read_bytes())[0] for p in (1, 2, 3)}
    header = TransactionHeader(tot="CPS", dai="RSEURODAC", ori="RSASYLUM1", tcn="RS-T-0001",
                               date="20260302")
    tx = build_transaction(tenprint_from_images(images, header, compression="WSQ20"))
    path = tmp_path / "enrolment.an2"
    tx.write(path)
    out = _json(runner, ["asylum", "enrol", "--category", "applicant", "--transaction", str(path),
                         *_missing(4), "--surname", "Transaction", "--nationality", "SYR"])
    with database.session() as s:
        subject = s.scalars(sa.select(Subject).where(Subject.reference == out["reference"])).one()
        fingers = list(s.scalars(sa.select(Finger).where(Finger.subject_id == subject.id)))
    assert subject.surname == "Transaction" and len(fingers) == 10
    assert sorted(f.position for f in fingers if f.template is not None) == [1, 2, 3]


def test_asylum_cli_names_what_is_wrong(runner: CliRunner, database: Database,
                                        tmp_path: Path) -> None:
    base = ["asylum", "enrol", "--category", "applicant"]
    cases: list[tuple[list[str], str, str]] = [
        ([*base, "--finger", "one=x.tif"], "finger", "POSITION=VALUE"),
        ([*base, "--finger", "11=x.tif"], "finger", "positions are 1"),
        ([*base, "--finger", f"1={tmp_path / 'absent.tif'}"], "finger", "no such file"),
        ([*base, *_fingers(1), *_missing(4), "--date-of-birth", "1990-02-31"], "date_of_birth",
         "YYYY-MM-DD"),
        ([*base, *_fingers(1), *_missing(3)], "prints", "both an image and a missing reason"),
        ([*base], "finger", "give the prints"),
    ]
    for args, field, words in cases:
        r = runner.invoke(app, args)
        assert isinstance(r.exception, ValidationError), (args, r.output)
        assert r.exception.field == field and words in r.exception.message, r.exception.message
    corrupt = tmp_path / "corrupt.an2"
    corrupt.write_bytes(b"1.001:57\x1d1.002:0502\x1cthis is not a transaction")
    r = runner.invoke(app, [*base, "--transaction", str(corrupt), *_missing(1)])
    assert isinstance(r.exception, InputFormatError), r.output
    with database.session() as s:  # nothing was stored by any of them
        assert s.scalar(sa.select(sa.func.count()).select_from(Subject)) == 0


@pytest.mark.acceptance
def test_asylum_selftest_on_one_shared_set(bare_runner: CliRunner) -> None:
    r = bare_runner.invoke(app, ["asylum", "selftest", "--dataset", str(_folder()), "--fingers", "3",
                            "--json"])
    assert r.exit_code == 0, (r.output, r.exception)
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert SELFTEST_KEYS <= set(result)
    # 10 fingers of the set: 3 subjects of 3 fingers and one person never enrolled; the
    # subjects are searched with their 7 other impressions, the stranger with all 8
    assert result["subjects"] == 3 and result["searches"] == 29
    assert result["rank1_identification_rate"] >= 0.97
    assert result["false_candidates_per_search"] <= 0.05
    assert result["enrol_ms"] > 0 and result["search_ms"] > 0
    assert "searched 29/29" in r.stderr


def test_asylum_selftest_refuses_what_it_cannot_use(bare_runner: CliRunner,
                                                    tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here", encoding="utf-8")
    cases = [
        (["--dataset", str(tmp_path)], "no finger with two impressions"),
        (["--dataset", str(tmp_path / "absent")], "is not a folder"),
        (["--dataset", str(_folder()), "--fingers", "11"], "1 to 10 fingers"),
        (["--dataset", str(_folder()), "--ppi", "500", "--ppi", "569"], "--ppi values"),
    ]
    for args, words in cases:
        r = bare_runner.invoke(app, ["asylum", "selftest", *args])
        assert isinstance(r.exception, ValidationError), (args, r.output)
        assert words in r.exception.message, r.exception.message


def test_asylum_selftest_knows_folders_of_the_same_fingers(tmp_path: Path) -> None:
    from granica.asylum.selftest import deal, folder_key, read_folder, same_fingers_groups

    assert folder_key(Path("/data/fingerprints/fvc2000_db1_b")) == "fvc2000db1b"
    assert folder_key(Path("/data/FVC2000/DB1_B")) == "fvc2000db1b"
    groups = same_fingers_groups()
    assert groups["fvc2000db1b"] == groups["fvc2000db2b"]
    assert "fvc2002db1b" not in groups
    # the same finger numbers dealt from either folder make the same person
    one = deal(read_folder(shared_path("fingerprints", "fvc2000_db1_b"), None), 3, "g")
    two = deal(read_folder(shared_path("fingerprints", "fvc2000_db2_b"), None), 3, "g")
    assert [p.identity for p in one[0]] == [p.identity for p in two[0]] == \
        ["g/101,102,103", "g/104,105,106", "g/107,108,109"]
    assert [p.identity for p in one[1]] == ["g/110"]


@pytest.mark.acceptance
def test_asylum_cli_transmit_keeps_the_reference_on_resend(
        runner: CliRunner, database: Database, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from granica.audit.signing import create_key_file, load_private_key
    from granica.exchange.keys import forget_cached_key, public_text
    from granica.settings import reset_settings

    enrolled = _json(runner, ["asylum", "enrol", "--category", "applicant", *_fingers(1),
                              *_missing(4), "--surname", "Sent"])
    reference = str(enrolled["reference"])
    monkeypatch.setenv("GRANICA_EXCHANGE_PEERS_FILE", str(tmp_path / "peers.toml"))
    reset_settings()
    r = runner.invoke(app, ["asylum", "transmit", reference])
    assert r.exception is not None and "EU-CENTRAL" in str(r.exception), r.output
    key = tmp_path / "central.pem"
    create_key_file(key)
    public = public_text(load_private_key(key.read_bytes(), str(key)).public_key())
    (tmp_path / "peers.toml").write_text(
        f'[peers.EU-CENTRAL]\nurl = "http://127.0.0.1:9"\npublic_key = "{public}"\n',
        encoding="utf-8")
    reset_settings()
    forget_cached_key()
    first = _json(runner, ["asylum", "transmit", reference])
    again = _json(runner, ["asylum", "transmit", reference])
    assert (first["reference"], again["reference"]) == (reference, reference)
    assert (first["tcn"], again["tcn"]) == (f"{reference}T001", f"{reference}T002")
    shown = _json(runner, ["asylum", "transmissions", reference])
    sent = shown["transmissions"]
    assert isinstance(sent, list) and [t["tcn"] for t in sent] == [first["tcn"], again["tcn"]]
    assert shown["transmitted_at"] is None  # no answer from the central system yet
