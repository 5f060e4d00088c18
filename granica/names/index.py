"""Candidate generation for name search: blocking keys and the in-memory NameIndex.

Search is two steps (as in yente): candidate generation from short keys, cheap
and high-recall, then careful scoring of the few candidates with compare_prepared.

Blocking keys, for stores that persist them (the alert register keeps a table
`(alert_id, key)` on SQLite and PostgreSQL and fetches candidates with
`key IN (...)`):

- a key is a short string (ASCII except for scripts Granica has no table for,
  such as CJK, which are kept as written), at most 34 characters, at most
  MAX_KEYS (12) per name, deterministic and independent of the rest of the data:
  a stored key never needs recomputing unless this module's version changes;
- `s:` keys are consonant skeletons of each name part (Mohammed, Muhammad and
  محمد all give `s:mhmd`; Ђорђе gives `s:drd` like DORDE and `s:djrdj` like
  DJORDJE): a true match that shares one name part matching exactly, by
  transliteration, by romanisation or by skeleton, shares an `s:` key;
- `c:` keys are the romanisation-neutral spellings (`c:mahamad`), and `i:` the
  first sounds of the first and last names (`i:bf` for Vladimir Putin and
  Vladimir Pulin): they rank candidates and catch a misspelt rare part;
- `n:` keys are numbers written in a name;
- particles, initials and weak parts (Abd, Allah, Din, Abu) give no key unless
  the name has nothing else.

Fetch the rows sharing a key, rank them by the summed rarity of the keys they
share (log(1 + N / rows with that key), halved for `c:` and `i:` keys; skip keys
held by more than a few percent of the rows), score the best hundred or so with
compare_prepared, and keep those at or above the threshold. NameIndex does
exactly that in memory. A name misspelt in every part (a one-word name with a
typo, "Ramimakhlouf" for "Rami Makhlouf") shares no key and is not found: that
is the price of a key table that stays small.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from granica.errors import EmptyNameError
from granica.names.params import DEFAULT_THRESHOLD
from granica.names.prepare import (
    F_INITIAL,
    F_NUMBER,
    F_PARTICLE,
    PartForms,
    PreparedName,
    prepare,
)
from granica.names.scoring import compare_prepared, score_prepared

MAX_KEYS = 12
MAX_KEY_CHARS = 34
_KEY_WEIGHT = {"c:": 0.5, "i:": 0.5}


def blocking_keys_prepared(p: PreparedName) -> frozenset[str]:
    """Blocking keys of a prepared name (see the module docstring); cached on it."""
    if p.keys is not None:
        return p.keys
    keys: list[str] = []
    for variant in p.variants():
        for key in _keys_of_one(variant):
            if key not in keys and len(keys) < MAX_KEYS:
                keys.append(key)
    p.keys = frozenset(keys)
    return p.keys


def _keys_of_one(p: PreparedName) -> list[str]:
    strong: list[tuple[int, int, PartForms]] = []
    weak: list[tuple[int, int, PartForms]] = []
    keys: list[str] = []
    heads: list[str] = []
    for part, flags in zip(p.parts, p.flags):
        if flags & (F_PARTICLE | F_INITIAL):
            continue
        forms = part.forms
        if flags & F_NUMBER:
            keys.append(f"n:{forms.primary}")
            continue
        if forms.weak:
            weak.append((2, -len(forms.primary), forms))
            continue
        strong.append((1 if forms.common else 0, -len(forms.primary), forms))
        heads.append(forms.head)
    chosen = strong or weak
    if len(chosen) > 1:
        chosen.sort(key=lambda t: (t[0], t[1]))
    # The first and last names' initial sounds, in either order: finds a true
    # match whose rare part has a spelling mistake ("Pulin" for "Putin").
    if len(heads) >= 2:
        first, last = heads[0], heads[-1]
        keys.append("i:" + (first + last if first <= last else last + first))
    for _rank, _len, forms in chosen:
        keys.extend(k for k in forms.skel_keys if k not in keys)
    for _rank, _len, forms in chosen:
        keys.extend(k for k in forms.canon_keys if k not in keys)
    if not keys:
        # Only initials or particles ("N. N."): their own keys, so it can be found.
        for forms in p.forms:
            keys.extend(k for k in forms.skel_keys if k not in keys)
    return [k[:MAX_KEY_CHARS] for k in keys[:MAX_KEYS]]


def blocking_keys(name: str) -> set[str]:
    """Blocking keys of a name: short strings, at most 12, shared by true matches.

    Raises granica.errors.EmptyNameError when the name has nothing to compare.
    """
    return set(blocking_keys_prepared(prepare(name)))


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
    keys weighted by rarity, then scores the best `pool` of them. Searches may
    run concurrently; writes take a lock.
    """

    def __init__(self, pool: int = 120, max_key_share: float = 0.03, widen: int = 16) -> None:
        self.pool = pool
        self.widen = widen
        self.max_key_share = max_key_share
        self._lock = threading.Lock()
        self._names: list[str] = []
        self._sketches: list[str] = []
        self._owner: list[str] = []
        self._alive = bytearray()  # 1 live, 0 removed; read by numpy without a copy
        self._records: dict[str, list[int]] = {}
        self._postings: dict[str, array[int]] = {}
        self._live_names = 0
        self._scratch = np.zeros(1024, dtype=np.float64)  # key weights per name id

    def __len__(self) -> int:
        """Number of records (not names) in the index."""
        return len(self._records)

    @property
    def name_count(self) -> int:
        return self._live_names

    def add(self, record_id: str, names: Iterable[str]) -> int:
        """Index the names of a record (replacing what it had); returns how many
        names were indexed. Names with nothing to compare are skipped."""
        prepared: list[tuple[str, frozenset[str], str]] = []
        for name in names:
            try:
                p = _prepared(name)
            except EmptyNameError:
                continue
            prepared.append((name, blocking_keys_prepared(p), p.sketch))
        with self._lock:
            if record_id in self._records:
                self._remove_locked(record_id)
            ids: list[int] = []
            postings = self._postings
            for name, keys, sketch in prepared:
                nid = len(self._names)
                self._names.append(name)
                self._sketches.append(sketch)
                self._owner.append(record_id)
                self._alive.append(1)
                for key in keys:
                    posting = postings.get(key)
                    if posting is None:
                        posting = postings[key] = array("i")
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
            self._alive[nid] = 0
        self._live_names -= len(ids)
        # Postings keep the dead ids (masked at search time); compact() drops them.

    def compact(self) -> None:
        """Drop removed names from the postings (after many removals)."""
        with self._lock:
            alive = np.frombuffer(self._alive, dtype=np.uint8) > 0
            for key, posting in list(self._postings.items()):
                arr = np.frombuffer(posting, dtype=np.int32)
                kept = arr[alive[arr]]
                if len(kept) == 0:
                    del self._postings[key]
                elif len(kept) != len(arr):
                    self._postings[key] = array("i", kept.tobytes())

    def candidates(self, p: PreparedName, pool: int | None = None) -> list[int]:
        """Name ids sharing blocking keys with `p`, the rarest keys weighing most,
        best first, at most `pool`."""
        keys = blocking_keys_prepared(p)
        # Under the lock: numpy reads the postings in place, and an array that is
        # being read cannot grow (the views are gone when _candidates returns).
        with self._lock:
            return self._candidates(p, keys, pool or self.pool)

    def _candidates(self, p: PreparedName, keys: frozenset[str], pool: int) -> list[int]:
        total = max(self._live_names, 1)
        found = []
        for key in keys:
            posting = self._postings.get(key)
            if posting is not None and len(posting):
                found.append((len(posting), key, posting))
        if not found:
            return []
        found.sort()
        cap = max(int(total * self.max_key_share), 5000)
        chosen = [t for t in found if t[0] <= cap] or found[:1]
        size = len(self._names)
        if len(self._scratch) < size:
            self._scratch = np.zeros(max(size, 2 * len(self._scratch)), dtype=np.float64)
        sums = self._scratch  # all zeros between searches: only touched ids are reset
        arrays = []
        for length, key, posting in chosen:
            ids = np.frombuffer(posting, dtype=np.int32)
            # Rarity weight (IDF), less for the spelling and initials keys: names
            # in the query's own script share those too, and would crowd out
            # the same name in another script. Ids within one posting are distinct.
            sums[ids] += math.log(1.0 + total / length) * _KEY_WEIGHT.get(key[:2], 1.0)
            arrays.append(ids)
        touched = np.concatenate(arrays) if len(arrays) > 1 else arrays[0].copy()
        values = sums[touched]
        sums[touched] = 0.0
        wide = pool * self.widen
        if len(touched) > 2 * wide:
            # Each id appears once per shared key: keep enough for `wide` distinct.
            keep = np.argpartition(-values, 2 * wide - 1)[: 2 * wide]
            touched, values = touched[keep], values[keep]
        hit, first = np.unique(touched, return_index=True)
        values = values[first]
        alive = np.frombuffer(self._alive, dtype=np.uint8)[hit] > 0
        hit, values = hit[alive], values[alive]
        if len(hit) > wide:
            keep = np.argpartition(-values, wide - 1)[:wide]
            hit, values = hit[keep], values[keep]
        if len(hit) > pool:
            # Many names share the same keys (all the Vladimir P.s): rank them by
            # how alike their skeletons are too, then keep the best `pool`.
            sketches = self._sketches
            alike = cdist(
                [p.sketch], [sketches[x] for x in hit], scorer=fuzz.token_sort_ratio,
                dtype=np.float64, workers=1,
            )[0]  # fmt: skip
            rank = values / max(float(values.max()), 1e-9) + alike / 100.0
        else:
            rank = values
        best = np.argsort(-rank, kind="stable")[:pool]
        return [int(x) for x in hit[best]]

    def search(self, name: str, limit: int = 20, explain: bool = True) -> list[Candidate]:
        """Records whose names best match `name`, best first (at most `limit`).

        Raises granica.errors.EmptyNameError when the name has nothing to compare.
        """
        p = _prepared(name)
        best: dict[str, tuple[float, int]] = {}
        names, owner = self._names, self._owner
        for nid in self.candidates(p):
            s = score_prepared(p, _prepared(names[nid]))
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
