"""Candidate generation for name search: blocking keys and the in-memory NameIndex.

Search is two steps (as in yente): candidate generation from short keys, cheap
and high-recall, then careful scoring of the few candidates with compare_prepared.

Blocking keys, for stores that persist them (the alert register keeps a table
`(alert_id, key)` on SQLite and PostgreSQL and fetches candidates with
`key IN (...)`):

- a key is a short ASCII string (at most ~20 characters; CJK words as written),
  at most MAX_KEYS (12) per name, deterministic, independent of the rest of the data;
- `s:` keys are consonant skeletons of each name part (Mohammed, Muhammad and
  محمد all give `s:mhmd`; Ђорђе gives `s:jrj` and `s:drd`, like DJORDJE and DORDE):
  a query shares at least one `s:` key with every true match whose names share
  one part that matches exactly, by transliteration, romanisation or skeleton;
- `c:` keys are the romanisation-neutral spellings, for ranking (more keys in
  common, better candidate);
- particles, initials and the weak parts (Abd, Allah, Din, Abu) give no key
  unless the name has nothing else.

Rank the fetched rows by the number (or, better, the rarity: log(N / rows with
that key)) of keys they share, score the best few hundred with compare_prepared,
and keep those at or above the threshold. Spelling mistakes in every part of a
name (a one-word name with a typo) are not found by keys; that is the price of
a key table that stays small.
"""

from __future__ import annotations

import math
import threading
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from granica.errors import EmptyNameError
from granica.names.scoring import compare_prepared, score_prepared
from granica.names.params import DEFAULT_THRESHOLD
from granica.names.parse import INITIAL, NUMBER, PARTICLE
from granica.names.prepare import PreparedName, prepare

MAX_KEYS = 12


def blocking_keys_prepared(p: PreparedName) -> set[str]:
    """Blocking keys of a prepared name (see the module docstring)."""
    keys: set[str] = set()
    for variant in p.variants():
        for key in _keys_of_one(variant):
            if len(keys) < MAX_KEYS or key in keys:
                keys.add(key)
    return keys


def _keys_of_one(p: PreparedName) -> list[str]:
    strong: list[tuple[int, int, list[str]]] = []
    weak: list[tuple[int, int, list[str]]] = []
    for part in p.parts:
        if part.role in (PARTICLE, INITIAL):
            continue
        forms = part.forms
        if part.role == NUMBER:
            strong.append((0, 0, [f"n:{forms.primary}"]))
            continue
        skels = sorted(f"s:{s}" for s in forms.skels)
        canons = sorted(f"c:{c}" for c in forms.canons)
        rank = 2 if forms.weak else (1 if forms.common else 0)
        (weak if forms.weak else strong).append((rank, -len(forms.primary), skels + canons))
    chosen = strong or weak
    chosen.sort(key=lambda t: (t[0], t[1]))
    keys: list[str] = []
    # Skeleton keys first (recall), then the canon keys (ranking), to MAX_KEYS.
    for want in ("s:", "n:", "c:"):
        for _rank, _len, ks in chosen:
            for k in ks:
                if k.startswith(want) and k not in keys and len(keys) < MAX_KEYS:
                    keys.append(k)
    return keys


def blocking_keys(name: str) -> set[str]:
    """Blocking keys of a name: short strings, at most 12, shared by true matches.

    Raises granica.errors.EmptyNameError when the name has nothing to compare.
    """
    return blocking_keys_prepared(prepare(name))


@dataclass(slots=True)
class Candidate:
    """One search result: the record, its best-matching name, score and reasons."""

    record_id: str
    score: float
    matched_name: str
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def match(self) -> bool:
        return self.score >= DEFAULT_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "score": round(self.score, 4),
            "matched_name": self.matched_name,
            "reasons": self.reasons,
        }


@lru_cache(maxsize=300_000)
def _prepared(name: str) -> PreparedName:
    return prepare(name)


class NameIndex:
    """In-memory index of the names of records (alerts), several names each.

    add() and remove() are cheap; search() generates candidates from blocking
    keys weighted by rarity, then scores the best `pool` of them. Thread-safe
    for concurrent searches; writes take a lock.
    """

    def __init__(self, pool: int = 150, max_key_share: float = 0.05) -> None:
        self.pool = pool
        self.max_key_share = max_key_share
        self._lock = threading.Lock()
        self._names: list[str] = []
        self._owner: list[str] = []
        self._keys_of: list[tuple[str, ...]] = []
        self._alive = np.zeros(1024, dtype=bool)
        self._records: dict[str, list[int]] = {}
        self._postings: dict[str, array] = {}
        self._live_names = 0

    def __len__(self) -> int:
        """Number of records (not names) in the index."""
        return len(self._records)

    @property
    def name_count(self) -> int:
        return self._live_names

    def add(self, record_id: str, names: Iterable[str]) -> int:
        """Index the names of a record (replacing what it had); returns how many
        names were indexed. Names with nothing to compare are skipped."""
        prepared: list[tuple[str, set[str]]] = []
        for name in names:
            try:
                keys = blocking_keys_prepared(_prepared(name))
            except EmptyNameError:
                continue
            prepared.append((name, keys))
        with self._lock:
            if record_id in self._records:
                self._remove_locked(record_id)
            ids: list[int] = []
            for name, keys in prepared:
                nid = len(self._names)
                self._names.append(name)
                self._owner.append(record_id)
                self._keys_of.append(tuple(keys))
                if nid >= len(self._alive):
                    grown = np.zeros(len(self._alive) * 2, dtype=bool)
                    grown[: len(self._alive)] = self._alive
                    self._alive = grown
                self._alive[nid] = True
                for key in keys:
                    posting = self._postings.get(key)
                    if posting is None:
                        posting = self._postings[key] = array("i")
                    posting.append(nid)
                ids.append(nid)
            self._records[record_id] = ids
            self._live_names += len(ids)
        return len(prepared)

    def remove(self, record_id: str) -> bool:
        """Forget a record; returns False when it was not indexed."""
        with self._lock:
            if record_id not in self._records:
                return False
            self._remove_locked(record_id)
            return True

    def _remove_locked(self, record_id: str) -> None:
        ids = self._records.pop(record_id)
        for nid in ids:
            self._alive[nid] = False
        self._live_names -= len(ids)
        # Postings keep the dead ids (masked at search time); compact() drops them.

    def compact(self) -> None:
        """Drop removed names from the postings (after many removals)."""
        with self._lock:
            alive = self._alive
            for key, posting in list(self._postings.items()):
                arr = np.frombuffer(posting, dtype=np.int32)
                kept = arr[alive[arr]]
                if len(kept) == 0:
                    del self._postings[key]
                elif len(kept) != len(arr):
                    self._postings[key] = array("i", kept.tobytes())

    def candidates(self, p: PreparedName, pool: int | None = None) -> list[int]:
        """Name ids sharing blocking keys with `p`, rarest-keys-first, at most `pool`."""
        pool = pool or self.pool
        keys = blocking_keys_prepared(p)
        total = max(self._live_names, 1)
        lists = []
        for key in keys:
            posting = self._postings.get(key)
            if posting is not None and len(posting):
                lists.append((len(posting), key, posting))
        if not lists:
            return []
        lists.sort()
        cap = max(int(total * self.max_key_share), 2000)
        chosen = [t for t in lists if t[0] <= cap] or lists[:1]
        arrays = [np.frombuffer(t[2], dtype=np.int32) for t in chosen]
        weights = np.concatenate(
            [np.full(len(a), math.log(1 + total / t[0])) for a, t in zip(arrays, chosen)]
        )
        ids = np.concatenate(arrays)
        uniq, inverse = np.unique(ids, return_inverse=True)
        sums = np.bincount(inverse, weights=weights)
        sums *= self._alive[uniq]
        live = int(np.count_nonzero(sums))
        if live == 0:
            return []
        if live > pool:
            top = np.argpartition(-sums, pool - 1)[:pool]
        else:
            top = np.nonzero(sums)[0]
        top = top[np.argsort(-sums[top], kind="stable")]
        return [int(x) for x in uniq[top]]

    def search(self, name: str, limit: int = 20, explain: bool = True) -> list[Candidate]:
        """Records whose names best match `name`, best first (at most `limit`).

        Raises granica.errors.EmptyNameError when the name has nothing to compare.
        """
        p = _prepared(name)
        best: dict[str, tuple[float, int]] = {}
        names, owner = self._names, self._owner
        for nid in self.candidates(p):
            try:
                q = _prepared(names[nid])
            except EmptyNameError:  # pragma: no cover - never indexed
                continue
            s = score_prepared(p, q)
            rid = owner[nid]
            old = best.get(rid)
            if old is None or s > old[0]:
                best[rid] = (s, nid)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        out: list[Candidate] = []
        for rid, (s, nid) in ranked:
            reasons = compare_prepared(p, _prepared(names[nid])).reasons if explain else []
            out.append(Candidate(rid, s, names[nid], reasons))
        return out
