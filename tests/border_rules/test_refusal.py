"""Refusal of entry: the reason letters, the officer's decision and the traveller's PDF copy."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from granica.border import refusal
from granica.border.refusal import (
    RefusalDecision,
    load_config,
    parse_config,
    render_refusal_pdf,
    validate_decision,
)
from granica.errors import ValidationError
from granica.ops import fonts
from granica.ops.fonts import find_font
from tests.conftest import missing, shared_path


def _decision(**changes: object) -> RefusalDecision:
    base = RefusalDecision(
        surname="Петровић",
        given_names="Ђорђе",
        birth_date=dt.date(1980, 1, 2),
        nationality="XXA",
        document="passport 123456",
        border_crossing_point="Horgoš",
        authority="Border police",
        officer="officer 17",
        decided_at=dt.datetime(2026, 11, 27, 10, 30),
        reasons=["c", "H"],
        language="en",
        details={"H": "SIS"},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def pdf_font() -> Path:
    """The Cyrillic font the PDF needs; a missing one skips, and fails under CI like the
    shared-data skips (tests.conftest.shared_path)."""
    font = find_font()
    if font is None:
        missing("needs a TTF with Cyrillic: install Debian package fonts-dejavu-core "
                f"or set {refusal.FONT_ENV}")
    return font


def test_missing_font_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "FONT_CANDIDATES", ())
    monkeypatch.setenv(refusal.FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="fonts-dejavu-core"):
        pdf_font()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        pdf_font()


def test_particulars_are_declared_by_the_configuration() -> None:
    config = load_config()
    assert {letter: what for letter, (what, _) in config.particulars().items()} == {
        "E": "documents missing", "H": "register holding the alert",
        "I": "provisions of national law"}
    with pytest.raises(ValidationError, match=r"details\[H\]: give the register holding the "
                       r"alert: 'SIS' or 'national'"):
        validate_decision(_decision(details={"H": "Europol"}))
    raw = {"labels": {"en": {"title": "t"}},
           "reason": [{"letter": "A", "detail": "witness", "text": {"en": "a"}}]}
    with pytest.raises(ValidationError, match=r"reason\[0\]\) has detail 'witness'"):
        parse_config(raw)


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_configured_letters_agree_with_the_shared_list() -> None:
    shared = json.loads(shared_path("schengen", "refusal_reasons.json").read_text("utf-8"))
    config = load_config()
    assert list(config.reasons) == [item["letter"] for item in shared]
    assert config.status == "unconfirmed"
    for reason in config.reasons.values():
        assert set(reason.texts) == set(config.labels)  # every language has every reason


def test_decision_is_normalised() -> None:
    decision = validate_decision(_decision(reasons=["h", "C", "c"]))
    assert decision.reasons == ("C", "H")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"reasons": []}, "at least one reason"),
        ({"reasons": ["A", "J"]}, r"reasons\[1\]: 'J' is not a refusal reason"),
        ({"language": "tlh"}, "language: 'tlh' has no wording"),
        ({"details": {}}, r"details\[H\]"),
        (
            {"details": {"H": "SIS", "E": "return ticket"}},
            r"details\[E\]: particulars given for a reason not ticked",
        ),
        ({"surname": " ", "given_names": ""}, "surname"),
    ],
)
def test_bad_decisions_name_the_field(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        validate_decision(_decision(**changes))


def test_pdf_has_the_reasons_in_english_and_both_serbian_scripts() -> None:
    pdf_font()
    config = load_config()
    pdf = render_refusal_pdf(_decision())
    assert pdf.startswith(b"%PDF")
    text = " ".join(_pdf_text(pdf).split())
    for lang in ("en", "sr-Latn", "sr-Cyrl"):
        assert " ".join(config.labels[lang]["title"].split()) in text
        for letter in ("C", "H"):
            words = config.reasons[letter].texts[lang].split()
            assert " ".join(words[:6]) in text, (lang, letter)
    assert "[X] C" in text and "[X] H" in text and "[ ] A" in text and "[X] A" not in text
    assert "Петровић" in text and "Horgoš" in text


def test_serbian_traveller_gets_serbian_only() -> None:
    pdf = render_refusal_pdf(_decision(language="sr-Latn"))
    text = _pdf_text(pdf)
    assert load_config().labels["en"]["title"] not in text
    assert load_config().labels["sr-Latn"]["title"] in text


def test_etias_wording_of_c_once_in_force() -> None:
    pdf = render_refusal_pdf(_decision(etias_in_force=True))
    assert "ETIAS" in " ".join(_pdf_text(pdf).split())
