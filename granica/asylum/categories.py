"""The EURODAC categories of data subjects, read from `categories.toml` (one rule set chosen
by the `asylum_rules` setting): who is in each, from what age, the transmission deadline, the
retention period and the comparison rules."""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from granica.errors import ValidationError
from granica.settings import get_settings

CATALOGUE = Path(__file__).with_name("categories.toml")


@dataclass(frozen=True)
class Category:
    code: str
    article: str
    digit: str
    label: str
    stored: bool
    against: tuple[str, ...]
    against_marked: tuple[str, ...] = ()
    transmission_hours: int | None = None
    retention_months: int | None = None
    unverified: tuple[str, ...] = ()

    @property
    def searched(self) -> bool:
        return bool(self.against or self.against_marked)

    def compares_with(self, stored_category: str, marked: bool) -> bool:
        """Whether data of this category are compared with stored data of `stored_category`."""
        return stored_category in self.against or (marked and stored_category in self.against_marked)

    def transmission_due(self, registered_at: dt.datetime) -> dt.datetime | None:
        if self.transmission_hours is None:
            return None
        return registered_at + dt.timedelta(hours=self.transmission_hours)

    def retained_until(self, captured_at: dt.datetime) -> dt.datetime | None:
        if self.retention_months is None:
            return None
        return add_months(captured_at, self.retention_months)


@dataclass(frozen=True)
class Rules:
    name: str
    title: str
    source: str
    minimum_age: int
    categories: dict[str, Category]
    missing_reasons: dict[str, str]

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise ValidationError(
                f"unknown category {code!r} under the {self.name} rules (known: "
                f"{', '.join(sorted(self.categories))})", field="category") from None

    def by_digit(self, digit: str) -> Category:
        for c in self.categories.values():
            if c.digit == digit:
                return c
        raise ValidationError(f"no category has the reference digit {digit!r}", field="reference")


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later (the last day of the month where that day is missing)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


@functools.lru_cache(maxsize=4)
def _load(path: Path, name: str) -> Rules:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sets = data.get("rules", {})
    if name not in sets:
        raise ValidationError(f"no rule set {name!r} in {path} (known: {', '.join(sorted(sets))})",
                              field="asylum_rules")
    raw = sets[name]
    cats = {}
    for code, c in raw["categories"].items():
        cats[code] = Category(
            code=code, article=str(c["article"]), digit=str(c["digit"]), label=c["label"],
            stored=bool(c["stored"]), against=tuple(c.get("against", ())),
            against_marked=tuple(c.get("against_marked", ())),
            transmission_hours=c.get("transmission_hours"),
            retention_months=c.get("retention_months"),
            unverified=tuple(c.get("unverified", ())))
    for c in cats.values():
        unknown = (set(c.against) | set(c.against_marked)) - set(cats)
        if unknown:
            raise ValidationError(f"category {c.code} is compared against unknown categories "
                                  f"{sorted(unknown)} in {path}", field="against")
        if c.stored and c.retention_months is None:
            raise ValidationError(f"stored category {c.code} has no retention period in {path}",
                                  field="retention_months")
    digits = [c.digit for c in cats.values()]
    if len(set(digits)) != len(digits):
        raise ValidationError(f"two categories share a reference digit in {path}", field="digit")
    return Rules(name=name, title=raw["title"], source=raw["source"],
                 minimum_age=int(raw["minimum_age"]), categories=cats,
                 missing_reasons=dict(data.get("missing_reasons", {})))


def rules() -> Rules:
    """The rule set this node applies."""
    return _load(CATALOGUE, get_settings().asylum_rules)
