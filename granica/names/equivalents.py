"""The given-name equivalents table: names that are one name across languages.

The table is data (`given_name_equivalents.txt` beside this module, with its
source); this module reads it and says what is wrong with a line it cannot read.
Matching its forms against a name's spellings is `granica.names.prepare`'s work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from granica.errors import ValidationError

TABLE = Path(__file__).with_name("given_name_equivalents.txt")
SEPARATOR = " | "


@dataclass(frozen=True, slots=True)
class EquivalentName:
    """One line of the table: a name's forms in several languages, and where they are from."""

    line: int
    source: str
    forms: tuple[str, ...]


def read_table(path: Path = TABLE) -> tuple[EquivalentName, ...]:
    """Every name of the table, in file order; comment and blank lines skipped."""
    names: list[EquivalentName] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        source, bar, rest = text.partition(SEPARATOR)
        forms = tuple(dict.fromkeys(rest.split()))
        if not bar or not source.strip():
            raise ValidationError(
                f"{path.name} line {number}: expected 'source | form form ...'; "
                "write the source article, then ' | ', then the forms",
                field="equivalents",
            )
        if len(forms) < 2:
            raise ValidationError(
                f"{path.name} line {number}: a name needs at least two forms to be "
                f"equivalent, found {len(forms)}",
                field="equivalents",
            )
        names.append(EquivalentName(line=number, source=source.strip(), forms=forms))
    return tuple(names)
