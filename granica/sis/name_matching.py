"""The one place where the alert register meets name matching (`granica.names`).

Search, its API and its result shape depend only on this module. Blocking keys are
persisted (sis_alert_name_key); after `granica.names` changes its keys,
`granica alerts reindex` rebuilds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from granica import names as _names
from granica.errors import EmptyNameError

# A name matches from this score on, in the search and in the DPO's subject-access requests:
# the names library's decision threshold, declared (and measured) there.
MATCH_THRESHOLD: float = _names.DEFAULT_THRESHOLD


@dataclass(frozen=True)
class NameScore:
    score: float
    reasons: list[str] = field(default_factory=list)


@lru_cache(maxsize=200_000)
def prepare(name: str) -> Any:
    """Prepare a name once to compare it with many (raises EmptyNameError).

    Cached: names repeat a lot in a register (the same candidates come back query after
    query), and preparing is the expensive half of a comparison.
    """
    return _names.prepare(name)


def _reason(r: Any) -> str:
    if isinstance(r, dict) and "a" in r and "b" in r:
        return f"name part '{r['a']}' ~ '{r['b']}': {r.get('how', 'similar')} ({float(r.get('score', 0)):.2f})"
    return str(r)


def compare(p: Any, q: Any) -> NameScore:
    """Score two prepared names in 0..1 with the reasons."""
    result = _names.compare_prepared(p, q)
    reasons = [_reason(r) for r in (getattr(result, "reasons", None) or [])]
    return NameScore(max(0.0, min(1.0, float(result.score))), reasons)


def score(p: Any, q: Any) -> float:
    """Only the score, no reasons: the fast path for ranking many candidates."""
    return max(0.0, min(1.0, float(_names.score_prepared(p, q))))


@lru_cache(maxsize=200_000)
def _keys(name: str) -> frozenset[str]:
    try:
        return frozenset(k[:64] for k in _names.blocking_keys(name))
    except EmptyNameError:
        return frozenset()


def blocking_keys(name: str) -> set[str]:
    """Short keys under which a name is indexed; two spellings of a name share at least one."""
    return set(_keys(name))


def to_latin(name: str) -> str:
    return str(_names.to_latin(name))
