"""The enrolled prints of one database as a live gallery: a finger joins when it is stored,
leaves when its subject is erased, and a restart loads every stored finger from the
database at the first search (or at `warm`)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.asylum.models import ERASED, Finger, Subject
from granica.biometrics.live import GalleryRegistry, LiveGallery
from granica.biometrics.template import Template
from granica.storage import database_key

_galleries = GalleryRegistry(LiveGallery)


def gallery_for(session: Session) -> LiveGallery:
    return _galleries.get(database_key(session))


def forget_galleries() -> None:
    _galleries.clear()


def synced(session: Session) -> LiveGallery:
    """The gallery, in step with the stored fingers of subjects not erased."""
    gallery = gallery_for(session)
    stored = (sa.select(Finger.id).join(Subject, Subject.id == Finger.subject_id)
              .where(Finger.template.is_not(None), Subject.state != ERASED))

    def load(ids: list[str]) -> Iterator[tuple[str, str, Template]]:
        rows = session.execute(sa.select(Finger.id, Finger.subject_id, Finger.template)
                               .where(Finger.id.in_(ids)))
        for row in rows:
            assert row.subject_id is not None and row.template is not None
            yield row.id, row.subject_id, Template.from_bytes(row.template)

    gallery.sync(set(session.scalars(stored)), load)
    return gallery
