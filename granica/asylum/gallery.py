"""The enrolled prints of one database as a live gallery: a finger joins when it is stored,
leaves when its subject is erased. A restart maps the gallery's store (the fingers'
cylinders, written beside the database by `granica.biometrics.store`) and loads from the
database only the fingers stored since; the store is brought up to date once that many
have changed, so a node with a million fingers is searchable without rebuilding them."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.asylum.models import ERASED, Finger, Subject
from granica.biometrics.live import GalleryRegistry, LiveGallery
from granica.biometrics.template import Template
from granica.settings import get_settings
from granica.storage import database_key

log = logging.getLogger(__name__)
# Fingers added or removed since the store was written before it is written again: each
# write adds one stored shard, and a restart rebuilds at most this many from templates.
PERSIST_AFTER = 5000

_galleries = GalleryRegistry(LiveGallery)


def store_folder(key: str) -> Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return get_settings().data_dir / "galleries" / f"asylum-{digest}"


def gallery_for(session: Session) -> LiveGallery:
    key = database_key(session)
    gallery = _galleries.get(key)
    if gallery.store is None:
        started = time.perf_counter()
        try:
            count = gallery.load_store(store_folder(key))
        except (OSError, ValueError) as exc:  # rebuilt from the templates and written again
            log.warning("fingerprint gallery store unreadable; rebuilding it",
                        extra={"fields": {"error": str(exc)}})
            gallery.store, count = store_folder(key), 0
        if count:
            log.info("fingerprint gallery mapped", extra={"fields": {
                "fingers": count, "seconds": round(time.perf_counter() - started, 2)}})
    return gallery


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
    if gallery.unsaved >= PERSIST_AFTER:
        persist(gallery)
    return gallery


def persist(gallery: LiveGallery) -> None:
    started = time.perf_counter()
    try:
        done = gallery.persist()
    except OSError as exc:  # the gallery stays searchable in memory; the next change retries
        log.warning("fingerprint gallery store not written", extra={"fields": {"error": str(exc)}})
        return
    log.info("fingerprint gallery stored", extra={"fields": {
        **done, "seconds": round(time.perf_counter() - started, 2)}})
