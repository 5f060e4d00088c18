"""Refusal of entry (Schengen Borders Code Art. 14, Annex V Part B): lettered reasons, the officer's
decision and the traveller's copy of the standard form as PDF, in the traveller's language and Serbian.

Pure functions, no database. The reasons' wording is configuration (config/refusal_reasons.toml),
marked unconfirmed until checked against the official annex.
"""

from __future__ import annotations

import datetime as dt
import io
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from granica.errors import ValidationError
from granica.ops.fonts import FONT_ENV, pdf_font

# The particulars the officer adds to a ticked reason, by the reason's `detail` kind in the
# configuration: what the form asks for and, where it is a choice, the values allowed.
PARTICULARS: dict[str, tuple[str, tuple[str, ...]]] = {
    "documents": ("documents missing", ()),
    "register": ("register holding the alert", ("SIS", "national")),
    "law": ("provisions of national law", ()),
}


@dataclass(frozen=True, slots=True)
class RefusalReason:
    letter: str
    texts: dict[str, str]
    detail: str  # what the officer adds: "none", "documents" (E), "register" (H), "law" (I)
    after_etias: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RefusalConfig:
    status: str
    legal_basis: str
    official_languages: tuple[str, ...]
    language_names: dict[str, str]
    labels: dict[str, dict[str, str]]
    reasons: dict[str, RefusalReason]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def particulars(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Letter -> (what the officer adds, allowed values or none) for the reasons that ask
        for particulars (E, H and I on the standard form)."""
        return {letter: PARTICULARS[r.detail] for letter, r in self.reasons.items()
                if r.detail in PARTICULARS}


@lru_cache(maxsize=1)
def load_config() -> RefusalConfig:
    """The refusal reasons and form labels from granica/border/config/refusal_reasons.toml."""
    raw = (
        resources.files("granica.border.config").joinpath("refusal_reasons.toml").read_text("utf-8")
    )
    return parse_config(tomllib.loads(raw))


def parse_config(data: Mapping[str, Any]) -> RefusalConfig:
    labels: dict[str, dict[str, str]] = dict(data["labels"])
    reasons: dict[str, RefusalReason] = {}
    for i, item in enumerate(data["reason"]):
        letter = str(item["letter"]).upper()
        missing = [lang for lang in labels if lang not in item["text"]]
        if missing:
            raise ValidationError(
                f"refusal reason {letter} (reason[{i}]) has no text for {missing}",
                field=f"reason[{i}]",
            )
        if letter in reasons:
            raise ValidationError(
                f"refusal reason {letter} appears twice in the configuration", field=f"reason[{i}]"
            )
        detail = str(item.get("detail", "none"))
        if detail != "none" and detail not in PARTICULARS:
            raise ValidationError(
                f"refusal reason {letter} (reason[{i}]) has detail {detail!r}; use none or one "
                f"of {', '.join(PARTICULARS)}",
                field=f"reason[{i}]",
            )
        reasons[letter] = RefusalReason(
            letter,
            dict(item["text"]),
            detail,
            dict(item.get("after_etias", {})),
        )
    return RefusalConfig(
        status=str(data.get("status", "unconfirmed")),
        legal_basis=str(data.get("legal_basis", "")),
        official_languages=tuple(data.get("official_languages", ())),
        language_names=dict(data.get("language_names", {})),
        labels=labels,
        reasons=reasons,
    )


@dataclass(frozen=True, slots=True)
class RefusalDecision:
    """The officer's decision as entered; `validate_decision` returns it normalised."""

    surname: str
    given_names: str
    birth_date: dt.date | None
    nationality: str
    document: str
    border_crossing_point: str
    authority: str
    officer: str
    decided_at: dt.datetime
    reasons: Sequence[str]
    language: str = "en"
    remarks: str = ""
    # Per-letter particulars the form asks for: E the documents missing, H "SIS" or "national",
    # I the provisions of national law.
    details: Mapping[str, str] = field(default_factory=dict)
    etias_in_force: bool = False


def validate_decision(
    decision: RefusalDecision, config: RefusalConfig | None = None
) -> RefusalDecision:
    """Check a refusal decision: at least one known reason letter, a supported language, a named person."""
    config = config or load_config()
    if not decision.reasons:
        letters_known = list(config.reasons)
        raise ValidationError(
            "reasons: a refusal needs at least one reason letter "
            f"({letters_known[0]} to {letters_known[-1]})",
            field="reasons",
        )
    letters: list[str] = []
    for i, raw in enumerate(decision.reasons):
        letter = str(raw).strip().upper()
        if letter not in config.reasons:
            known = ", ".join(config.reasons)
            raise ValidationError(
                f"reasons[{i}]: {raw!r} is not a refusal reason letter (known: {known})",
                field=f"reasons[{i}]",
            )
        if letter not in letters:
            letters.append(letter)
    details = {str(k).upper(): v for k, v in decision.details.items()}
    for letter in details:
        if letter not in letters:
            raise ValidationError(
                f"details[{letter}]: particulars given for a reason not ticked",
                field=f"details[{letter}]",
            )
    for letter, (what, choices) in config.particulars().items():
        given = details.get(letter, "").strip()
        if letter in letters and choices and given.upper() not in {c.upper() for c in choices}:
            raise ValidationError(
                f"details[{letter}]: give the {what}: "
                + " or ".join(repr(c) for c in choices),
                field=f"details[{letter}]",
            )
    if decision.language not in config.labels:
        raise ValidationError(
            f"language: {decision.language!r} has no wording yet (available: {', '.join(config.labels)}); "
            "add it to granica/border/config/refusal_reasons.toml",
            field="language",
        )
    if not decision.surname.strip() and not decision.given_names.strip():
        raise ValidationError("surname: the person refused must be named", field="surname")
    if not decision.border_crossing_point.strip():
        raise ValidationError("border_crossing_point is empty", field="border_crossing_point")
    return replace(decision, reasons=tuple(sorted(letters)), details=details)


# --- PDF --------------------------------------------------------------------------------------


def _register_font() -> str | None:
    return pdf_font()


_CYR_TO_LAT = str.maketrans(
    {
        "Ђ": "Dj",
        "ђ": "dj",
        "Љ": "Lj",
        "љ": "lj",
        "Њ": "Nj",
        "њ": "nj",
        "Џ": "Dz",
        "џ": "dz",
        "Ћ": "C",
        "ћ": "c",
        "Ч": "C",
        "ч": "c",
        "Ш": "S",
        "ш": "s",
        "Ж": "Z",
        "ж": "z",
        "Ј": "J",
        "ј": "j",
        "đ": "dj",
        "Đ": "Dj",
    }
)


def _latin_fallback(text: str) -> str:
    """Text the built-in Helvetica can show: Cyrillic transliterated, diacritics dropped."""
    import cyrtranslit

    text = cyrtranslit.to_latin(text.translate(_CYR_TO_LAT), "sr")
    decomposed = unicodedata.normalize("NFD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def form_languages(decision: RefusalDecision, config: RefusalConfig) -> list[str]:
    """The traveller's language first, then the Serbian versions it does not already cover."""
    out = [decision.language]
    out.extend(lang for lang in config.official_languages if lang not in out)
    return out


def render_refusal_pdf(decision: RefusalDecision, config: RefusalConfig | None = None) -> bytes:
    """The traveller's copy of the standard refusal form as PDF bytes (validated first)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    config = config or load_config()
    decision = validate_decision(decision, config)
    font = _register_font()
    fallback = font is None
    font = font or "Helvetica"

    def t(text: str) -> str:
        return escape(_latin_fallback(text) if fallback else text)

    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=19, spaceAfter=4)
    chosen = ParagraphStyle("chosen", parent=body, leftIndent=6)

    story: list[Any] = []
    if fallback:
        story.append(
            Paragraph(
                t(
                    "NOTE: no font with Cyrillic was found (install Debian package fonts-dejavu-core or set "
                    f"{FONT_ENV}); Serbian Cyrillic text is shown transliterated."
                ),
                small,
            )
        )
    birth = decision.birth_date.isoformat() if decision.birth_date else "-"
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M")
    for n, lang in enumerate(form_languages(decision, config)):
        labels = config.labels[lang]
        if n:
            story.append(PageBreak())
        story.append(Paragraph(t(labels["title"]), title))
        story.append(
            Paragraph(t(f"{labels['subtitle']} ({config.language_names.get(lang, lang)})"), body)
        )
        if config.status != "confirmed":
            story.append(Paragraph(t(labels["unconfirmed"]), small))
        story.append(Spacer(1, 4 * mm))
        rows = [
            (labels["surname"], decision.surname),
            (labels["given_names"], decision.given_names),
            (labels["birth_date"], birth),
            (labels["nationality"], decision.nationality),
            (labels["document"], decision.document),
            (labels["place"], decision.border_crossing_point),
            (labels["date"], when),
            (labels["authority"], decision.authority),
            (labels["officer"], decision.officer),
        ]
        table = Table(
            [[Paragraph(t(a), body), Paragraph(t(b), body)] for a, b in rows],
            colWidths=[55 * mm, 110 * mm],
        )
        table.setStyle(
            TableStyle(
                [("GRID", (0, 0), (-1, -1), 0.4, "#888888"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            )
        )
        story.append(table)
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(t(labels["reasons"]), body))
        for letter, reason in config.reasons.items():
            texts = (
                reason.after_etias
                if (decision.etias_in_force and reason.after_etias)
                else reason.texts
            )
            ticked = letter in decision.reasons
            line = f"[{'X' if ticked else ' '}] {letter} {texts[lang]}"
            if ticked and decision.details.get(letter):
                line += f" ({decision.details[letter]})"
            story.append(Paragraph(t(line), chosen if ticked else small))
        if decision.remarks:
            story.append(Spacer(1, 3 * mm))
            story.append(Paragraph(t(f"{labels['remarks']}: {decision.remarks}"), body))
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(t(labels["appeal"]), small))
        story.append(Spacer(1, 12 * mm))
        story.append(
            Paragraph(
                t(
                    f"{labels['signature_officer']}: ____________________    "
                    f"{labels['signature_person']}: ____________________"
                ),
                small,
            )
        )

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title="Refusal of entry",
        author=decision.authority,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    doc.build(story)
    return buffer.getvalue()
