"""Person-name matching across scripts and spellings (no database, no web).

The alert register, the border checks and the SIRENE Bureau use this package:

- `compare(a, b)` -> NameComparison(score, match, reasons); `prepare(name)` once
  and `compare_prepared(p, q)` for one probe against many names;
- `blocking_keys(name)` -> the short keys a store persists to fetch candidates;
- `NameIndex`: an in-memory candidate index (add, remove, search);
- `to_latin`, `to_serbian_cyrillic`, `detect_script`, `mrz_name`.

Names with nothing to compare raise granica.errors.EmptyNameError.
"""

from __future__ import annotations

from granica.names.index import Candidate, NameIndex, blocking_keys, blocking_keys_prepared
from granica.names.mrz import mrz_name
from granica.names.params import DEFAULT_THRESHOLD
from granica.names.prepare import PreparedName, prepare
from granica.names.scoring import NameComparison, compare, compare_prepared, score_prepared
from granica.names.script import detect_script
from granica.names.translit import to_latin, to_serbian_cyrillic

__all__ = [
    "DEFAULT_THRESHOLD",
    "Candidate",
    "NameComparison",
    "NameIndex",
    "PreparedName",
    "blocking_keys",
    "blocking_keys_prepared",
    "compare",
    "compare_prepared",
    "detect_script",
    "mrz_name",
    "prepare",
    "score_prepared",
    "to_latin",
    "to_serbian_cyrillic",
]
