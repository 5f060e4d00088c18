"""Acceptance: `granica synth alerts`, `granica alerts import|export|search --json` end to end
(in-process through the Typer app, on the test database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from granica.cli import app
from granica.errors import ValidationError
from granica.storage import Database

pytestmark = [pytest.mark.acceptance, pytest.mark.db]


def test_alerts_cli_synth_import_search_export(database: Database, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRANICA_TOKEN", raising=False)
    runner = CliRunner()
    synth = tmp_path / "alerts.jsonl"
    r = runner.invoke(app, ["synth", "alerts", "--count", "300", "--out", str(synth), "--seed", "9"])
    assert r.exit_code == 0, r.output
    lines = synth.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    # two bad lines at the end: the good ones still go in and the bad ones are reported by line
    with synth.open("a", encoding="utf-8") as fh:
        fh.write('{"broken": \n')
        fh.write(lines[0] + "\n")
    r = runner.invoke(app, ["alerts", "import", str(synth), "--json"])
    assert r.exit_code == 1, r.output
    report = json.loads(r.stdout)
    assert report["imported"] == 300 and report["rejected"] == 2
    assert [x["line"] for x in report["rejections"]] == [301, 302]
    assert "malformed JSON" in report["rejections"][0]["message"]
    assert "imported" in r.stderr  # progress on stderr

    person = next(json.loads(x) for x in lines if json.loads(x)["category"] == "arrest")
    name = f"{person['data']['forenames']} {person['data']['surname']}"
    r = runner.invoke(app, ["alerts", "search", "--name", name, "--dob", person["data"]["date_of_birth"],
                            "--json"])
    assert r.exit_code == 0, r.output
    results = json.loads(r.stdout)
    assert person["schengen_id"] in [x["schengen_id"] for x in results]
    assert set(results[0]) == {"alert_id", "schengen_id", "issuing_country", "category", "score",
                               "match", "reasons", "action_to_be_taken", "warnings", "summary"}
    mine = next(x for x in results if x["schengen_id"] == person["schengen_id"])
    assert mine["match"] == "strong"  # name and date of birth agree

    out = tmp_path / "export.jsonl"
    r = runner.invoke(app, ["alerts", "export", "--out", str(out)])
    assert r.exit_code == 0, r.output
    exported = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {e["schengen_id"] for e in exported} == {json.loads(x)["schengen_id"] for x in lines}

    r = runner.invoke(app, ["alerts", "search", "--name", "Marko", "--dob", "1980-02-31", "--json"])
    assert isinstance(r.exception, ValidationError) and r.exception.field == "date_of_birth"


def test_alerts_cli_reindex_rebuilds_the_keys_the_search_needs(database: Database,
                                                                 tmp_path: Path) -> None:
    import sqlalchemy as sa

    from granica.sis.models import AlertIdentifier, AlertNameKey

    runner = CliRunner()
    synth = tmp_path / "alerts.jsonl"
    assert runner.invoke(app, ["synth", "alerts", "--count", "60", "--out", str(synth),
                               "--seed", "4"]).exit_code == 0
    assert runner.invoke(app, ["alerts", "import", str(synth), "--json"]).exit_code == 0

    def index() -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
        with database.session() as s:
            return (set(s.execute(sa.select(AlertNameKey.alert_id, AlertNameKey.key)).tuples()),
                    set(s.execute(sa.select(AlertIdentifier.alert_id, AlertIdentifier.kind,
                                            AlertIdentifier.value)).tuples()))

    before = index()
    assert before[0] and before[1]
    with database.session() as s:  # an index gone stale (keys of another name library)
        s.execute(sa.delete(AlertNameKey))
        s.execute(sa.delete(AlertIdentifier))
    r = runner.invoke(app, ["alerts", "reindex"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"reindexed": 60}
    assert "reindexed 60 alerts" in r.stderr
    assert index() == before
    person = next(json.loads(x) for x in synth.read_text(encoding="utf-8").splitlines()
                  if json.loads(x)["category"] == "arrest")
    r = runner.invoke(app, ["alerts", "search", "--name",
                            f"{person['data']['forenames']} {person['data']['surname']}", "--json"])
    assert person["schengen_id"] in [x["schengen_id"] for x in json.loads(r.stdout)]
