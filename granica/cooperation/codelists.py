"""The cooperation domain's vocabulary, read once from `config/codelists.toml`.

Validation, the forms and the statistics all derive from these tables, so a new goods
category, UN number or incident type is one row in the TOML file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from granica.errors import ValidationError

RECORD_KINDS = ("seizure", "inspection", "incident", "case")


@dataclass(frozen=True)
class GoodsCategory:
    code: str
    label: str
    unit: str
    needs: tuple[str, ...] = ()
    threshold: float | None = None
    substance_thresholds: dict[str, float] = field(default_factory=dict)
    excise: bool = False


@dataclass(frozen=True)
class CodeLists:
    sources: dict[str, str]
    goods: dict[str, GoodsCategory]
    substances: dict[str, dict[str, str]]
    hs_chapters: dict[str, str]
    un_numbers: dict[str, str]
    cites: dict[str, list[str]]
    incident_types: dict[str, str]
    incident: dict[str, list[str]]
    transport_modes: dict[str, str]
    ched: dict[str, Any]
    case: dict[str, Any]
    fran: dict[str, str]
    sharing: dict[str, list[str]]
    limits: dict[str, int]

    # --- checks that name the field and the allowed values --------------------------
    def goods_category(self, code: str, field_name: str = "category") -> GoodsCategory:
        found = self.goods.get(code)
        if found is None:
            raise ValidationError(
                f"unknown goods category '{code}'; use one of: {', '.join(self.goods)}",
                field=field_name)
        return found

    def check_member(self, value: str, allowed: Any, field_name: str, what: str) -> str:
        if value not in allowed:
            raise ValidationError(
                f"unknown {what} '{value}'; use one of: {', '.join(map(str, allowed))}",
                field=field_name)
        return value

    def check_substance(self, code: str, field_name: str = "substance") -> str:
        return self.check_member(code, self.substances, field_name, "substance code")

    def check_un_number(self, value: str, field_name: str = "un_number") -> str:
        number = value.strip().upper().removeprefix("UN").strip()
        if not re.fullmatch(r"\d{4}", number):
            raise ValidationError(
                f"UN number '{value}' is not 4 digits (write it as on the orange plate, "
                "e.g. 1203)", field=field_name)
        return self.check_member(number, self.un_numbers, field_name, "UN number")

    def check_hs_code(self, value: str, field_name: str = "hs_code") -> str:
        code = re.sub(r"[\s.]", "", value)
        if not re.fullmatch(r"\d{2}(\d{2}){0,4}", code):
            raise ValidationError(
                f"HS/CN code '{value}' must have 2, 4, 6, 8 or 10 digits (e.g. 240220)",
                field=field_name)
        if code[:2] not in self.hs_chapters:
            raise ValidationError(
                f"HS chapter '{code[:2]}' of code '{value}' is not in the code list; check the "
                "declaration or ask the administration to add the chapter", field=field_name)
        return code


def _goods(raw: dict[str, Any]) -> dict[str, GoodsCategory]:
    out: dict[str, GoodsCategory] = {}
    for code, row in raw.items():
        thresholds = row.get("thresholds", {})
        out[code] = GoodsCategory(
            code=code, label=str(row["label"]), unit=str(row["unit"]),
            needs=tuple(row.get("needs", ())),
            threshold=float(row["threshold"]) if "threshold" in row else None,
            substance_thresholds={k: float(v) for k, v in thresholds.items()},
            excise=bool(row.get("excise", False)),
        )
    return out


@functools.cache
def codelists() -> CodeLists:
    text = resources.files("granica.cooperation.config").joinpath("codelists.toml").read_text(
        encoding="utf-8")
    raw = tomllib.loads(text)
    return CodeLists(
        sources=raw["sources"], goods=_goods(raw["goods"]), substances=raw["substances"],
        hs_chapters=raw["hs_chapters"], un_numbers=raw["un_numbers"], cites=raw["cites"],
        incident_types=raw["incident_types"], incident=raw["incident"],
        transport_modes=raw["transport_modes"], ched=raw["ched"], case=raw["case"],
        fran=raw["fran"], sharing=raw["sharing"], limits=raw["limits"],
    )
