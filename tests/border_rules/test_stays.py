"""The 90/180-day calculator against the worked examples in ../shared/data/schengen/stays.jsonl."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from granica.border.stay import assess_stay, assess_stay_json
from granica.cli import app
from granica.errors import InputFormatError, ValidationError
from tests.conftest import shared_path


def _examples() -> list[dict[str, Any]]:
    path = shared_path("schengen", "stays.jsonl")
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.acceptance
def test_every_verifiable_example_gives_its_expected_answer() -> None:
    examples = _examples()
    verifiable = [e for e in examples if e["check"] != "unverifiable"]
    assert len(verifiable) == len(examples) - 1
    failures = []
    for example in verifiable:
        got = assess_stay(example["stays"], example["control_date"], example["intended"]).to_dict()
        for key, expected in example["expected"].items():
            if got[key] != expected:
                failures.append(f"{example['id']}: {key} = {got[key]!r}, expected {expected!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.acceptance
def test_cli_gives_the_same_answers() -> None:
    runner = CliRunner()
    # Every fifth example: the library test above covers them all, this one the CLI's plumbing.
    for example in _examples()[::5]:
        if example["check"] == "unverifiable":
            continue
        payload = {k: example[k] for k in ("stays", "control_date", "intended")}
        out = runner.invoke(app, ["border", "stay", "--json"], input=json.dumps(payload))
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert {
            "days_used",
            "days_remaining",
            "allowed",
            "last_allowed_day",
            "overstay_days",
            "explanation",
        } <= set(data)
        for key, expected in example["expected"].items():
            assert data[key] == expected, (example["id"], key)


def test_the_unverifiable_example_has_exits_before_entries() -> None:
    bad = [e for e in _examples() if e["check"] == "unverifiable"]
    assert [e["id"] for e in bad] == ["sem2014-ex3"]
    with pytest.raises(
        ValidationError, match=r"stays\[0\]: exit 2013-11-04 is before entry 2014-08-15"
    ):
        assess_stay(bad[0]["stays"], bad[0]["control_date"], bad[0]["intended"])


@pytest.mark.parametrize(
    ("stays", "control", "intended", "match"),
    [
        (
            [["2026-02-30", "2026-03-02"]],
            "2026-04-01",
            None,
            r"stays\[0\] entry: '2026-02-30' is not a possible date",
        ),
        (
            [["2026-03-05", "2026-03-02"]],
            "2026-04-01",
            None,
            r"stays\[0\]: exit 2026-03-02 is before entry",
        ),
        ([["2026-03-01"]], "2026-04-01", None, r"stays\[0\]: expected \[entry, exit\]"),
        ([], "yesterday", None, "control_date"),
        ([], "2026-04-01", ["2026-05-01", "2026-04-01"], "intended: exit"),
    ],
)
def test_bad_input_names_the_item(
    stays: list[Any], control: str, intended: Any, match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        assess_stay(stays, control, intended)


def test_overlaps_count_once_or_are_rejected_on_request() -> None:
    stays = [["2026-02-04", "2026-02-06"], ["2026-02-01", "2026-02-05"]]
    assert assess_stay(stays, "2026-02-15").days_used == 6
    with pytest.raises(ValidationError, match=r"stays\[0\].*overlaps stays\[1\]"):
        assess_stay(stays, "2026-02-15", reject_overlaps=True)


def test_open_stay_ends_on_the_control_date() -> None:
    result = assess_stay([["2026-03-01", None]], "2026-03-10")
    assert result.days_used == 10
    assert result.last_allowed_day == dt.date(2026, 5, 29)


def test_malformed_json_is_an_input_format_error() -> None:
    with pytest.raises(InputFormatError, match="not valid JSON"):
        assess_stay_json("{stays: ")
    with pytest.raises(ValidationError, match="control_date is missing"):
        assess_stay_json('{"stays": []}')


def test_cli_reports_bad_input_on_stderr_with_exit_code() -> None:
    out = CliRunner().invoke(
        app,
        ["border", "stay", "--json"],
        input='{"stays": [["2026-01-05", "2026-01-01"]], "control_date": "2026-02-01"}',
    )
    assert out.exit_code != 0
    assert isinstance(out.exception, ValidationError)
    assert "stays[0]" in out.exception.message


def _naive_window_count(days: set[dt.date], end: dt.date) -> int:
    return len([d for d in days if (end - d).days in range(180)])


_day = st.integers(min_value=0, max_value=500)


@settings(max_examples=80, deadline=None)
@given(
    stays=st.lists(st.tuples(_day, st.integers(min_value=0, max_value=60)), max_size=5),
    control=_day,
    plan=st.tuples(_day, st.integers(min_value=0, max_value=120)),
)
def test_allowed_matches_a_day_by_day_recount(
    stays: list[tuple[int, int]], control: int, plan: tuple[int, int]
) -> None:
    base = dt.date(2025, 1, 1)
    pairs = [[base + dt.timedelta(days=a), base + dt.timedelta(days=a + n)] for a, n in stays]
    start = base + dt.timedelta(days=max(control, plan[0]))
    intended = [start, start + dt.timedelta(days=plan[1])]
    result = assess_stay(pairs, base + dt.timedelta(days=control), intended)
    present = {p[0] + dt.timedelta(days=i) for p in pairs for i in range((p[1] - p[0]).days + 1)}
    plan_days = [intended[0] + dt.timedelta(days=i) for i in range(plan[1] + 1)]
    everything = present | set(plan_days)
    assert result.allowed == all(_naive_window_count(everything, d) <= 90 for d in plan_days)
    used = {d for d in present if d <= base + dt.timedelta(days=control)}
    assert result.days_used == _naive_window_count(used, base + dt.timedelta(days=control))
    assert result.days_used + result.days_remaining - result.overstay_days == 90
    if result.allowed:
        assert result.last_allowed_day is not None and result.last_allowed_day >= intended[1]


def test_same_day_exit_and_reentry_is_not_an_overlap() -> None:
    stays = [["2026-02-01", "2026-02-05"], ["2026-02-05", "2026-02-07"]]
    assert assess_stay(stays, "2026-02-15", reject_overlaps=True).days_used == 7


def test_implausible_years_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"stays\[0\] entry: 0001-01-01 is outside"):
        assess_stay([["0001-01-01", "2026-01-01"]], "2026-02-01")


def test_very_long_inputs_stay_fast() -> None:
    result = assess_stay([["1950-01-01", "2150-01-01"]], "2026-01-01", ["2026-01-01", "2199-01-01"])
    assert result.days_used == 180 and result.overstay_days == 90
    assert result.allowed is False and result.last_allowed_day is None
