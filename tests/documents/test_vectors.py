"""Acceptance: every MRZ vector in ../shared/data/mrz/vectors.jsonl gives its expected fields and verdict."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from granica.documents import generate_mrz, parse_mrz
from tests.conftest import shared_path

TODAY = dt.date(2026, 11, 27)


def _vectors() -> list[dict[str, Any]]:
    path = shared_path("mrz", "vectors.jsonl")
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def vectors() -> list[dict[str, Any]]:
    return _vectors()


@pytest.mark.acceptance
def test_every_vector_gives_expected_fields_and_verdict(vectors: list[dict[str, Any]]) -> None:
    assert len(vectors) == 99
    failures = []
    for i, record in enumerate(vectors):
        result = parse_mrz(record["mrz"], today=TODAY)
        problems = []
        if result.type != record["type"]:
            problems.append(f"type {result.type} != {record['type']}")
        if result.valid != record["valid"]:
            problems.append(f"valid {result.valid} != {record['valid']} (checks {result.checks})")
        if result.fields != record["expected"]:
            problems.append(f"fields {result.fields} != {record['expected']}")
        if record.get("malformed") and not result.errors:
            problems.append("malformed input gave no error")
        failing = sorted(k for k, ok in result.checks.items() if not ok)
        named = sorted(k for k in record.get("invalid_check_digits", []) if k != "line_length")
        if not record.get("ocr_noise") and not record.get("malformed") and failing != named:
            problems.append(f"failing checks {failing} != {named}")
        if problems:
            failures.append(f"vector {i} ({record['source']}): " + "; ".join(problems))
    assert not failures, "\n".join(failures)


def test_ocr_noise_vectors_are_corrected_and_reported(vectors: list[dict[str, Any]]) -> None:
    noisy = [r for r in vectors if r.get("ocr_noise")]
    assert noisy
    for record in noisy:
        result = parse_mrz(record["mrz"], today=TODAY)
        clean = parse_mrz(record["clean_mrz"], today=TODAY)
        assert result.corrections, record["mrz"]
        assert result.fields == clean.fields
        assert clean.valid
        # The corrected lines are the clean MRZ, character for character.
        assert "\n".join(result.lines) == record["clean_mrz"]


def test_valid_vectors_round_trip_through_the_generator(vectors: list[dict[str, Any]]) -> None:
    for record in vectors:
        if not record["valid"]:
            continue
        parsed = parse_mrz(record["mrz"], today=TODAY)
        again = parse_mrz(generate_mrz(parsed.type or "", parsed.fields), today=TODAY)
        assert again.valid, record["mrz"]
        assert again.fields == parsed.fields


def test_filler_counting_prado_cards_get_a_warning(vectors: list[dict[str, Any]]) -> None:
    for record in vectors:
        if record.get("valid_if_filler_included"):
            result = parse_mrz(record["mrz"], today=TODAY)
            assert not result.valid
            assert "number_digit_counts_filler" in result.warning_codes
