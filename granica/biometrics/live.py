"""A gallery that changes while it is searched: entries (an id, the subject it belongs to and
its template) join and leave one at a time, and only the shards they touched are rebuilt
before the next search. Domains keep one per database and bring it in step with their
tables through `sync`."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from granica.biometrics.compare import Probe
from granica.biometrics.gallery import Candidate, Gallery, Shard
from granica.biometrics.template import Template

# Loads the given entry ids: (entry id, subject, template) for each one still stored.
Loader = Callable[[list[str]], Iterable[tuple[str, str, Template]]]


class LiveGallery:
    """Entry id -> (subject, template), sharded by a hash of the entry id."""

    def __init__(self, shards: int = 4) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, Template]] = {}
        self._shards = [Shard() for _ in range(shards)]
        self._dirty: set[int] = set()

    def _shard(self, entry_id: str) -> int:
        return zlib.crc32(entry_id.encode("utf-8")) % len(self._shards)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry_id: str, subject: str, template: Template) -> None:
        with self._lock:
            self._entries[entry_id] = (subject, template)
            self._dirty.add(self._shard(entry_id))

    def discard(self, entry_ids: Iterable[str]) -> None:
        with self._lock:
            for entry_id in entry_ids:
                if self._entries.pop(entry_id, None) is not None:
                    self._dirty.add(self._shard(entry_id))

    def remove_subjects(self, subjects: Iterable[str]) -> None:
        gone = set(subjects)
        with self._lock:
            ids = [e for e, (s, _) in self._entries.items() if s in gone]
        self.discard(ids)

    def sync(self, stored: set[str], load: Loader, chunk: int = 1000) -> None:
        """Match what is stored: load the entries this process has not seen (the first time
        all of them; later those another process added) and drop those no longer stored
        (deleted, or whose transaction rolled back)."""
        with self._lock:
            known = set(self._entries)
        missing, gone = sorted(stored - known), known - stored
        for start in range(0, len(missing), chunk):
            for entry_id, subject, template in load(missing[start:start + chunk]):
                self.add(entry_id, subject, template)
        if gone:
            self.discard(gone)

    def gallery(self) -> Gallery:
        """The searchable gallery as of now (shards touched since the last call rebuilt)."""
        with self._lock:
            for index in sorted(self._dirty):
                self._shards[index] = Shard.build(
                    [entry for entry_id, entry in sorted(self._entries.items())
                     if self._shard(entry_id) == index])
            self._dirty.clear()
            return Gallery(list(self._shards), workers=1)

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
