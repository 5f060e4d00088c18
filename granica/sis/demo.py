"""Demo alerts for `granica demo`: synthetic alerts of every category, bulk-loaded."""

from __future__ import annotations

import json

import sqlalchemy as sa

from granica.auth.principal import system_principal
from granica.settings import get_settings
from granica.sis.models import Alert
from granica.sis.service import import_alerts
from granica.sis.synth import synth_alerts
from granica.storage import Database

DEMO_SEED = 7


def seed_demo_alerts(db: Database, count: int = 10_000) -> int:
    """Add `count` synthetic alerts (national ones active, as if validated); returns how many
    were added. The alerts are the same on every run, so a second run adds none."""
    principal = system_principal("demo data")
    with db.session() as session:
        have = session.scalar(sa.select(sa.func.count()).select_from(Alert)) or 0
        if have >= count:
            return 0
        lines = (json.dumps(a, ensure_ascii=False) for a in
                 synth_alerts(count, seed=DEMO_SEED, country=get_settings().country))
        report = import_alerts(session, principal, lines, purpose="demo data", batch_size=5000,
                               max_bytes=1 << 62)
    return report.imported
