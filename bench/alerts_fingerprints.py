"""Alert register 1:N fingerprint search on SQLite: the gallery of alert prints
(granica.sis.print_gallery) against comparing every stored print in full, as the search
did before it (one `prepare` and one comparison per stored print per probe finger).

N person alerts each get one synthetic template (a jittered minutiae grid: no person's
print); the probes are distorted copies of some of them (the mate must be found first).
Reports the gallery's first search (loading it), the next searches' p50/p95, the full
scan's, and the recall of both.

Usage: python bench/alerts_fingerprints.py [--alerts N] [--queries N] [--dir D]
Prints one JSON object; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import sqlalchemy as sa

from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal, system_principal
from granica.biometrics.template import Template
from granica.storage import Database

sys.path.insert(0, str(ROOT / "bench"))
from alerts_sqlite import lines, log, percentiles  # noqa: E402


def synthetic_template(rng: np.random.Generator) -> Template:
    n = int(rng.integers(25, 45))
    xy = rng.uniform(40, 360, (n, 2))
    minutiae = np.column_stack([xy, rng.uniform(0, 2 * np.pi, n), rng.integers(1, 3, n),
                                rng.integers(40, 90, n)])
    return Template(width=400, height=400, minutiae=minutiae.astype(np.float32))


def distorted(template: Template, rng: np.random.Generator) -> Template:
    """The same finger again: moved, slightly rotated, jittered, a few minutiae lost."""
    m = template.minutiae.copy()
    keep = rng.random(len(m)) > 0.15
    m = m[keep]
    angle = rng.uniform(-0.15, 0.15)
    c, s = np.cos(angle), np.sin(angle)
    centre = m[:, :2].mean(axis=0)
    xy = (m[:, :2] - centre) @ np.array([[c, -s], [s, c]]).T + centre + rng.uniform(-15, 15, 2)
    m[:, :2] = xy + rng.normal(0, 2.0, xy.shape)
    m[:, 2] = m[:, 2] + angle + rng.normal(0, 0.08, len(m))
    return Template(width=400, height=400, minutiae=m)


def full_scan(session: Any, probes: list[Any]) -> list[str]:
    """The search before the gallery: every stored print prepared and compared in full."""
    from granica.biometrics.compare import threshold_for
    from granica.settings import get_settings
    from granica.sis.fingerprints import _best
    from granica.sis.models import AlertFingerprint

    threshold = threshold_for(get_settings().fingerprint_fmr)
    by_alert: dict[str, list[Any]] = {}
    for row in session.scalars(sa.select(AlertFingerprint)):
        by_alert.setdefault(row.alert_id, []).append(row)
    scored = [(_best(probes, rows)[0], alert_id) for alert_id, rows in by_alert.items()]
    return [a for s, a in sorted(scored, reverse=True) if s >= threshold][:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()

    from granica.biometrics.compare import prepare
    from granica.biometrics.warmup import warm_up
    from granica.sis import print_gallery, service
    from granica.sis.fingerprints import attach_fingerprints
    from granica.sis.models import Alert

    warm_up()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="granica-bench-fp-"))
    db = Database(f"sqlite:///{folder / f'fingerprints-{args.alerts}.db'}")
    db.upgrade()
    loader = system_principal("benchmark load")
    officer = Principal(user_id="u-bench", username="bench", agency="CRIMINAL_POLICE",
                        roles=frozenset({"police_officer"}), via="session",
                        permissions=permissions_of({"police_officer"}))
    guard = Principal(user_id="u-guard", username="guard", agency="BORDER_POLICE",
                      roles=frozenset({"border_guard"}), via="session",
                      permissions=permissions_of({"border_guard"}))
    rng = np.random.default_rng(3)
    with db.session() as s:
        have = s.scalar(sa.select(sa.func.count()).select_from(Alert).where(
            Alert.category == "arrest")) or 0
    if have < args.alerts:
        log(f"loading {args.alerts:,} arrest alerts with one print each")
        arrests = (x for x in lines(args.alerts * 12, 21) if '"category": "arrest"' in x)
        with db.session() as s:
            service.import_alerts(s, loader, [next(arrests) for _ in range(args.alerts)],
                                  purpose="benchmark", max_bytes=1 << 62)
        with db.session() as s:
            ids = list(s.scalars(sa.select(Alert.id).where(Alert.category == "arrest",
                                                           Alert.issuing_country == "RS")))
            # prints belong to national alerts; foreign ones come with theirs from SIS
            foreign = list(s.scalars(sa.select(Alert.id).where(Alert.category == "arrest",
                                                               Alert.issuing_country != "RS")))
            s.execute(sa.update(Alert).where(Alert.id.in_(foreign)).values(issuing_country="RS"))
        ids += foreign
        for alert_id in ids:
            with db.session() as s:
                attach_fingerprints(s, officer, alert_id, [synthetic_template(rng)], "benchmark")
    with db.session() as s:
        from granica.sis.models import AlertFingerprint

        stored = [(r.alert_id, Template.from_bytes(r.template))
                  for r in s.scalars(sa.select(AlertFingerprint).order_by(AlertFingerprint.id))]
    queries = [(stored[i][0], distorted(stored[i][1], rng))
               for i in rng.choice(len(stored), args.queries, replace=False)]

    print_gallery.forget_galleries()  # a fresh process: the first search loads the gallery
    times: list[float] = []
    found = 0
    for mate, probe in queries:
        started = time.perf_counter()
        with db.session() as s:
            results = service.search_fingerprints(s, guard, [probe], "benchmark")
        times.append(time.perf_counter() - started)
        found += bool(results) and results[0]["alert_id"] == mate
    scan_times: list[float] = []
    scan_found = 0
    for mate, probe in queries[: max(3, args.queries // 4)]:
        started = time.perf_counter()
        with db.session() as s:
            top = full_scan(s, [prepare(probe)])
        scan_times.append(time.perf_counter() - started)
        scan_found += bool(top) and top[0] == mate
    print(json.dumps({
        "bench": "alerts_fingerprints", "prints": len(stored),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": os.getloadavg()},
        "gallery": {"first_search_ms": round(times[0] * 1000, 1), **percentiles(times[1:]),
                    "recall": round(found / len(queries), 3)},
        "full_scan": {**percentiles(scan_times), "recall": round(scan_found / len(scan_times), 3)},
    }))
    db.dispose()


if __name__ == "__main__":
    main()
