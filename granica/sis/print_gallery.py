"""The alert prints held in memory as a `granica.biometrics.Gallery`, one per database, so
that a 1:N search ranks every stored print without rebuilding its cylinders: prints join on
attach, leave on deletion, and the whole gallery is loaded from the database on first use."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.biometrics.compare import Probe
from granica.biometrics.gallery import Gallery, Shard
from granica.biometrics.template import Template
from granica.sis.models import AlertFingerprint

# A change rebuilds one shard (its prints' cylinders) at the next search; more shards make
# that cheaper and each search a little dearer (every shard re-scores its best rows).
SHARDS = 4
# Candidates kept per probe finger; only these alerts get the full 1:1 comparison.
CANDIDATES = 30


class AlertPrintGallery:
    """The prints of one database: print id -> (alert id, template), sharded by print id."""

    def __init__(self, shards: int = SHARDS) -> None:
        self._lock = threading.Lock()
        self._prints: dict[str, tuple[str, Template]] = {}
        self._shards = [Shard() for _ in range(shards)]
        self._dirty: set[int] = set()

    def _shard(self, print_id: str) -> int:
        return zlib.crc32(print_id.encode("ascii")) % len(self._shards)

    def __len__(self) -> int:
        return len(self._prints)

    def add(self, print_id: str, alert_id: str, template: Template) -> None:
        with self._lock:
            self._prints[print_id] = (alert_id, template)
            self._dirty.add(self._shard(print_id))

    def remove_alerts(self, alert_ids: Iterable[str]) -> None:
        gone = set(alert_ids)
        with self._lock:
            for print_id in [p for p, (a, _) in self._prints.items() if a in gone]:
                del self._prints[print_id]
                self._dirty.add(self._shard(print_id))

    def sync(self, session: Session) -> None:
        """Match the database: load prints this process has not seen (the first time: all of
        them; later: those attached by another process or worker) and drop deleted ones
        (and those whose transaction rolled back)."""
        ids = set(session.scalars(sa.select(AlertFingerprint.id)))
        with self._lock:
            known = set(self._prints)
        missing, gone = ids - known, known - ids
        if missing:
            ordered = sorted(missing)
            for start in range(0, len(ordered), 1000):
                chunk = ordered[start:start + 1000]
                for row in session.execute(sa.select(AlertFingerprint.id, AlertFingerprint.alert_id,
                                                     AlertFingerprint.template)
                                           .where(AlertFingerprint.id.in_(chunk))):
                    self.add(row.id, row.alert_id, Template.from_bytes(row.template))
        if gone:
            with self._lock:
                for print_id in gone:
                    self._prints.pop(print_id, None)
                    self._dirty.add(self._shard(print_id))

    def _gallery(self) -> Gallery:
        with self._lock:
            for index in sorted(self._dirty):
                self._shards[index] = Shard.build(
                    [entry for print_id, entry in sorted(self._prints.items())
                     if self._shard(print_id) == index])
            self._dirty.clear()
            return Gallery(list(self._shards), workers=1)

    def candidates(self, probes: Sequence[Probe], top: int = CANDIDATES) -> list[str]:
        """The alerts whose prints rank among the best `top` for any probe finger."""
        gallery = self._gallery()
        if not len(gallery):
            return []
        out: dict[str, None] = {}
        for probe in probes:
            for c in gallery.search(probe, top=top, rescore=top, parallel=False):
                out.setdefault(c.subject)
        return list(out)


_galleries: dict[str, AlertPrintGallery] = {}
_galleries_lock = threading.Lock()


def gallery_for(session: Session) -> AlertPrintGallery:
    """The gallery of the database this session talks to."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _galleries_lock:
        return _galleries.setdefault(key, AlertPrintGallery())


def forget_galleries() -> None:
    """Drop every gallery (a database was replaced, e.g. restored from a backup)."""
    with _galleries_lock:
        _galleries.clear()
