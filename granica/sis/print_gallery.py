"""The alert prints held in memory as a `granica.biometrics.live.LiveGallery`, one per
database, so that a 1:N search ranks every stored print without rebuilding its cylinders:
prints join on attach, leave on deletion, and the whole gallery is loaded from the database
on first use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.biometrics.compare import Probe
from granica.biometrics.live import GalleryRegistry, LiveGallery
from granica.biometrics.template import Template
from granica.sis.models import AlertFingerprint
from granica.storage import database_key

# A change rebuilds one shard (its prints' cylinders) at the next search; more shards make
# that cheaper and each search a little dearer (every shard re-scores its best rows).
SHARDS = 4
# Candidates kept per probe finger; only these alerts get the full 1:1 comparison.
CANDIDATES = 30


class AlertPrintGallery(LiveGallery):
    """The prints of one database: print id -> (alert id, template)."""

    def __init__(self, shards: int = SHARDS) -> None:
        super().__init__(shards)

    def remove_alerts(self, alert_ids: Iterable[str]) -> None:
        self.remove_subjects(alert_ids)

    def sync_with(self, session: Session) -> None:
        """Match the database's prints (see LiveGallery.sync)."""

        def load(ids: list[str]) -> Iterator[tuple[str, str, Template]]:
            rows = session.execute(sa.select(AlertFingerprint.id, AlertFingerprint.alert_id,
                                             AlertFingerprint.template)
                                   .where(AlertFingerprint.id.in_(ids)))
            for row in rows:
                yield row.id, row.alert_id, Template.from_bytes(row.template)

        self.sync(set(session.scalars(sa.select(AlertFingerprint.id))), load)

    def candidates(self, probes: Sequence[Probe], top: int = CANDIDATES) -> list[str]:
        """The alerts whose prints rank among the best `top` for any probe finger."""
        out: dict[str, None] = {}
        for probe in probes:
            for c in self.search(probe, top=top):
                out.setdefault(c.subject)
        return list(out)


_galleries = GalleryRegistry(AlertPrintGallery)


def gallery_for(session: Session) -> AlertPrintGallery:
    """The gallery of the database this session talks to."""
    return _galleries.get(database_key(session))


def forget_galleries() -> None:
    """Drop every gallery (a database was replaced, e.g. restored from a backup)."""
    _galleries.clear()
