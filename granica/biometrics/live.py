"""A gallery that changes while it is searched: entries (an id, the subject it belongs to and
its template) join and leave one at a time, and only the shards they touched are rebuilt
before the next search. Domains keep one per database and bring it in step with their
tables through `sync`."""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from granica.biometrics.compare import Probe
from granica.biometrics.gallery import Candidate, Gallery, Shard
from granica.biometrics.template import Template

# Loads the given entry ids: (entry id, subject, template) for each one still stored.
Loader = Callable[[list[str]], Iterable[tuple[str, str, Template]]]


MAX_STORED_SHARDS = 16  # more, and the store is rewritten whole in balanced shards
THREADS_FROM = 20_000  # fingers; below, one thread is quicker than handing out the shards


class LiveGallery:
    """Entry id -> (subject, template). Entries loaded from a store (`load_store`) stay in
    its memory-mapped shards, a removed one marked so that no search returns it; entries
    added since live in a few small shards, sharded by a hash of the entry id, each rebuilt
    when it changes. `persist` writes those to the store."""

    def __init__(self, shards: int = 4) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, Template]] = {}
        self._shards = [Shard() for _ in range(shards)]
        self._dirty: set[int] = set()
        # stored part: shards, the entry of each row, where each entry is, removed since
        self._base: list[Shard] = []
        self._base_ids: list[list[str]] = []
        self._where: dict[str, tuple[int, int]] = {}
        self._by_subject: dict[str, list[str]] = {}
        self._removed: list[str] = []
        self.store: Path | None = None  # where `persist` writes; set by the domain

    def _shard(self, entry_id: str) -> int:
        return zlib.crc32(entry_id.encode("utf-8")) % len(self._shards)

    def __len__(self) -> int:
        return len(self._entries) + len(self._where)

    @property
    def unsaved(self) -> int:
        """Entries added or removed since the store was written or read."""
        return len(self._entries) + len(self._removed)

    def add(self, entry_id: str, subject: str, template: Template) -> None:
        with self._lock:
            if entry_id in self._where:
                return  # stored already
            self._entries[entry_id] = (subject, template)
            self._dirty.add(self._shard(entry_id))

    def _drop_stored(self, entry_id: str) -> None:
        shard, row = self._where.pop(entry_id)
        self._base[shard].remove([row])  # bumps its version: an index over it sees the change
        self._removed.append(entry_id)

    def discard(self, entry_ids: Iterable[str]) -> None:
        with self._lock:
            for entry_id in entry_ids:
                if entry_id in self._where:
                    self._drop_stored(entry_id)
                elif self._entries.pop(entry_id, None) is not None:
                    self._dirty.add(self._shard(entry_id))

    def remove_subjects(self, subjects: Iterable[str]) -> None:
        gone = set(subjects)
        with self._lock:
            ids = [e for e, (s, _) in self._entries.items() if s in gone]
            ids += [e for s in gone for e in self._by_subject.get(s, ()) if e in self._where]
        self.discard(ids)

    def known(self) -> set[str]:
        with self._lock:
            return set(self._entries) | set(self._where)

    def sync(self, stored: set[str], load: Loader, chunk: int = 1000) -> int:
        """Match what is stored: load the entries this process has not seen (the first time
        all of them; later those another process added) and drop those no longer stored
        (deleted, or whose transaction rolled back). Returns how many were loaded."""
        known = self.known()
        missing, gone = sorted(stored - known), known - stored
        for start in range(0, len(missing), chunk):
            for entry_id, subject, template in load(missing[start:start + chunk]):
                self.add(entry_id, subject, template)
        if gone:
            self.discard(gone)
        return len(missing)

    def _built(self) -> list[Shard]:
        for index in sorted(self._dirty):
            self._shards[index] = Shard.build(
                [entry for entry_id, entry in sorted(self._entries.items())
                 if self._shard(entry_id) == index])
        self._dirty.clear()
        return list(self._shards)

    def gallery(self) -> Gallery:
        """The searchable gallery as of now (shards touched since the last call rebuilt)."""
        with self._lock:
            shards = [*self._base, *self._built()]
            # a large gallery scans its shards on every core (threads share the mapping)
            big = sum(len(x) for x in shards) >= THREADS_FROM
            return Gallery(shards, workers=1, threads=big)

    # --- the store beside the database --------------------------------------------------

    def _take(self, loaded: list[tuple[Shard, list[str]]], removed: set[str]) -> None:
        self._base, self._base_ids = [s for s, _ in loaded], [ids for _, ids in loaded]
        self._where, self._by_subject = {}, {}
        for i, (shard, ids) in enumerate(loaded):
            for row, (entry_id, subject) in enumerate(zip(ids, shard.subjects)):
                self._where[entry_id] = (i, row)
                self._by_subject.setdefault(subject, []).append(entry_id)
        for entry_id in removed & set(self._where):
            self._drop_stored(entry_id)
        self._removed = []
        for entry_id in set(self._entries) & set(self._where):
            del self._entries[entry_id]
            self._dirty.add(self._shard(entry_id))

    def load_store(self, folder: Path) -> int:
        """Map the store in `folder` (if there is one of this layout): returns how many
        entries it gave."""
        from granica.biometrics import store

        self.store = folder
        loaded = store.load(folder)
        if loaded is None:
            return 0
        with self._lock:
            self._take(*loaded)
            return len(self._where)

    def persist(self, compact_above: float = 0.25) -> dict[str, Any]:
        """Write what changed to the store: the added entries as one new stored shard and
        the removed ones as a list; the whole store again (only the entries kept) when
        more than `compact_above` of the stored rows are removed, or there is none yet."""
        from granica.biometrics import store

        if self.store is None:
            raise ValueError("this gallery has no store folder")
        with self._lock:
            shards = self._built()
            added = [(s, sorted(e for e in self._entries if self._shard(e) == i))
                     for i, s in enumerate(shards)]
            fresh = Shard.concat([(s, np.arange(len(s))) for s, _ in added])
            fresh_ids = [e for _, ids in added for e in ids]
            stored_rows = sum(len(s) for s in self._base)
            whole = (not store.exists(self.store) or not stored_rows
                     or len(self._removed) > compact_above * stored_rows
                     or len(self._base) >= MAX_STORED_SHARDS)
            if whole:
                alive = [(shard, np.flatnonzero(shard.position_array >= 0), ids)
                         for shard, ids in zip(self._base, self._base_ids)]
                alive.append((fresh, np.arange(len(fresh)), fresh_ids))
                manifest = store.save(self.store, _balanced(alive))
            else:
                manifest = store.append(self.store, [(fresh, fresh_ids)], self._removed)
            loaded = store.load(self.store)
            assert loaded is not None
            self._entries.clear()
            self._shards = [Shard() for _ in self._shards]
            self._take(*loaded)
        return {"entries": len(self._where), "shards": len(self._base), "whole": whole,
                "removed_noted": manifest.get("removed", 0)}

    def search(self, probe: Probe, top: int, rescore: int | None = None) -> list[Candidate]:
        gallery = self.gallery()
        if not len(gallery):
            return []
        return gallery.search(probe, top=top, rescore=rescore or top, parallel=False)

    def search_person(self, probes: Sequence[Probe], top: int,
                      rescore: int = 30) -> list[tuple[str, float, dict[int, float]]]:
        gallery = self.gallery()
        if not len(gallery) or not probes:
            return []
        return gallery.search_person(probes, top=top, rescore=rescore, parallel=False)


def _balanced(parts: Sequence[tuple[Shard, np.ndarray, Sequence[str]]]
              ) -> list[tuple[Shard, list[str]]]:
    """The given rows of the shards regrouped into shards of about the same size (one per
    core at least, at most 250,000 rows each), copying each row's arrays once."""
    total = sum(len(rows) for _, rows, _ in parts)
    if not total:
        return []
    k = max(os.cpu_count() or 1, -(-total // 250_000))
    size = -(-total // k)
    groups: list[list[tuple[Shard, np.ndarray, list[str]]]] = [[]]
    room = size
    for shard, rows, ids in parts:
        start = 0
        while start < len(rows):
            take = rows[start:start + room]
            groups[-1].append((shard, take, [ids[r] for r in take]))
            start += len(take)
            room -= len(take)
            if room == 0:
                groups.append([])
                room = size
    return [(Shard.concat([(s, r) for s, r, _ in g]), [e for _, _, ids in g for e in ids])
            for g in groups if g]


G = TypeVar("G", bound=LiveGallery)


class GalleryRegistry(Generic[G]):
    """One gallery per database (by a key naming it), made on first use."""

    def __init__(self, factory: Callable[[], G]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._galleries: dict[str, G] = {}

    def get(self, key: str) -> G:
        with self._lock:
            if key not in self._galleries:
                self._galleries[key] = self._factory()
            return self._galleries[key]

    def clear(self) -> None:
        """Drop every gallery (a database was replaced, e.g. restored from a backup)."""
        with self._lock:
            self._galleries.clear()
