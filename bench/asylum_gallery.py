"""The national fingerprint database at scale (issue 12 targets):

- gallery start-up: a node with 1,000,000 enrolled fingers searchable within 60 s of start
  (the gallery's store mapped, the database's finger ids brought in step, the first search
  answered), with the memory per finger;
- enrolment of one ten-print subject (quality, extraction, the 1:N search by the category's
  rules, storing) against 10,000 subjects (100,000 fingers) in under 5 s and against 100,000
  subjects (1,000,000 fingers) in under 30 s.

The gallery is grown from real prints: the templates of two shared FVC sets, each copy
rotated (up to 30 degrees) and moved (up to 40 pixels) as a new finger of a new subject, its
cylinders moved with it (MCC cylinders are invariant under both, so nothing is rebuilt).
The enrolled subject is ten fingers of FVC2002 DB2_B that are not in the gallery.

The node (SQLite database and gallery store, in --dir, kept between runs) is built once; the
start-up and the enrolment are measured in a new process (the page cache is warm from the
build or the run before: a cold start reads the store from disk as well).

Usage: python bench/asylum_gallery.py [--fingers N] [--dir D] [--build-only]
Prints one JSON object (figures, targets, met) and writes bench/results/asylum_gallery.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "fingerprints"
GROWN_FROM = ("fvc2002_db1_b", "fvc2000_db3_b")
PROBE_SET, PROBE_PPI = "fvc2002_db2_b", 569
TARGETS = {100_000: 5.0, 1_000_000: 30.0}  # enrolment seconds by gallery fingers
STARTUP_TARGET = 60.0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _seed_templates() -> list[Any]:
    from granica.biometrics.capture import read_capture

    out = []
    for name in GROWN_FROM:
        for path in sorted((SHARED / name).glob("*.tif")):
            t = read_capture(path, 1).template
            if t is not None and len(t) >= 12:
                out.append(t)
    return out


def _grown_shard(base: Any, rows: int, first: int, rng: np.random.Generator) -> Any:
    """`rows` new fingers, row i the finger at position (first + i) % 10 + 1 of subject
    (first + i) // 10: copies of the base rows moved by a random rotation and shift."""
    from granica.biometrics.gallery import Shard

    pick = rng.integers(0, len(base), size=rows)
    grown = Shard.concat([(base, pick)])
    counts = np.diff(grown.offsets)
    angle = np.repeat(rng.uniform(-np.pi / 6, np.pi / 6, rows), counts)
    shift = np.repeat(rng.uniform(-40, 40, (rows, 2)), counts, axis=0)
    c, s = np.cos(angle), np.sin(angle)
    x, y = grown.xy[:, 0].astype(np.float64), grown.xy[:, 1].astype(np.float64)
    grown.xy = np.ascontiguousarray(np.stack([c * x - s * y, s * x + c * y], axis=1)
                                    + shift).astype(np.float32)
    grown.theta = np.mod(grown.theta + angle, 2 * np.pi).astype(np.float32)
    positions = (np.arange(first, first + rows) % 10 + 1).astype(np.int16)
    grown.position_array = positions
    grown.positions = positions.tolist()
    grown.subjects = [""] * rows  # set by the caller
    return grown


def build(folder: Path, fingers: int) -> None:
    import sqlalchemy as sa

    from granica.asylum.gallery import store_folder
    from granica.asylum.models import Counter, Finger, Subject
    from granica.biometrics import store
    from granica.biometrics.gallery import Shard
    from granica.settings import get_settings
    from granica.storage import Database

    started = time.perf_counter()
    seeds = _seed_templates()
    base = Shard.build([("seed", t) for t in seeds])
    _say(f"{len(seeds)} seed templates in {time.perf_counter() - started:.0f} s")
    db = Database(get_settings().resolved_database_url)
    db.upgrade()
    now = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(12)
    # as `LiveGallery.persist` writes a store: one shard per core at least, whole subjects
    k = max(os.cpu_count() or 1, -(-fingers // 250_000))
    per_shard = -(-fingers // k // 10) * 10
    shards = []
    for first in range(0, fingers, per_shard):
        rows = min(per_shard, fingers - first)
        shard = _grown_shard(base, rows, first, rng)
        subject_ids = [str(uuid.UUID(int=(first + i) // 10 + 1)) for i in range(rows)]
        finger_ids = [str(uuid.uuid4()) for _ in range(rows)]
        shard.subjects = subject_ids
        new_subjects = sorted(set(subject_ids))  # shards hold whole subjects (10 fingers)
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Subject.__table__), [
                {"id": sid, "reference": f"RS1{int(uuid.UUID(sid)):010d}", "rules": "2024",
                 "category": "applicant", "state": "active", "surname": "Bench",
                 "given_names": "Subject", "other_names": [], "nationalities": ["XXA"],
                 "place_of_birth": "", "sex": "X", "registration_place": "",
                 "registered_at": now, "captured_at": now, "operator": "bench",
                 "retained_until": now + dt.timedelta(days=3650), "created_at": now,
                 "updated_at": now}
                for sid in new_subjects])
            conn.execute(sa.insert(Finger.__table__), [
                {"id": fid, "subject_id": sid, "position": int(pos), "impression": "flat",
                 "template": tpl, "quality": 60, "minutiae": 30, "captured_at": now}
                for fid, sid, pos, tpl in zip(finger_ids, subject_ids, shard.positions,
                                              shard.templates)])
        shards.append((shard, finger_ids))
        _say(f"grew {first + rows:,} of {fingers:,} fingers "
             f"({time.perf_counter() - started:.0f} s)")
    with db.engine.begin() as conn:  # the next reference numbers follow the grown ones
        conn.execute(sa.insert(Counter.__table__), [{"prefix": "RS1",
                                                     "value": -(-fingers // 10)}])
    with db.session() as s:
        folder_of_store = store_folder(str(s.get_bind().engine.url.render_as_string(
            hide_password=True)))
    manifest = store.save(folder_of_store, shards)
    _say(f"store written: {len(manifest['shards'])} shards in {folder_of_store} "
         f"({time.perf_counter() - started:.0f} s)")
    (folder / "built.json").write_text(json.dumps({"fingers": fingers}), encoding="utf-8")


def measure() -> dict[str, Any]:
    """In a new process: start the gallery, then enrol one subject (JSON on stdout)."""
    from granica.asylum import service
    from granica.asylum.gallery import synced
    from granica.auth.principal import system_principal
    from granica.biometrics.warmup import warm_up
    from granica.settings import get_settings
    from granica.storage import Database

    warm_up()  # what `granica serve` does before it listens (JIT compilation)
    started = time.perf_counter()
    db = Database(get_settings().resolved_database_url)
    with db.session() as s:
        gallery = synced(s)
        fingers = len(gallery)
        searchable = gallery.gallery()
    from granica.biometrics.capture import read_capture
    from granica.biometrics.compare import prepare

    probe_tpl = read_capture(SHARED / PROBE_SET / "101_1.tif", 1, PROBE_PPI).template
    assert probe_tpl is not None
    searchable.search(prepare(probe_tpl), top=10)
    startup = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    nbytes = searchable.nbytes
    prints = [service.PrintIn(position=p, image=(SHARED / PROBE_SET / f"{100 + p}_2.tif")
                              .read_bytes(), ppi=PROBE_PPI) for p in range(1, 11)]
    data = service.EnrolmentIn(category="applicant", prints=prints, surname="Probe",
                               nationalities=["XXA"], sex="X")
    wall = time.perf_counter()
    with db.session() as s:
        outcome = service.enrol(s, system_principal("bench"), data, "benchmark")
    enrol = time.perf_counter() - wall
    return {"fingers": fingers, "startup_s": round(startup, 2),
            "gallery_bytes_per_finger": round(nbytes / max(fingers, 1)),
            "max_rss_gib": round(rss / 2**30, 2), "enrol_s": round(enrol, 2),
            "enrol_search_ms": outcome.search.duration_ms,
            "candidates": len(outcome.candidates)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fingers", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = (args.dir or Path(os.environ.get("TMPDIR", "/tmp"))
              / f"granica-bench-asylum-{args.fingers}").resolve()
    os.environ["GRANICA_DATA_DIR"] = str(folder / "granica-data")
    os.environ.pop("GRANICA_DATABASE_URL", None)
    if args.measure:
        print(json.dumps(measure()))
        return
    built = folder / "built.json"
    if not built.exists() or json.loads(built.read_text())["fingers"] != args.fingers:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        (folder / "granica-data").mkdir(parents=True)
        build(folder, args.fingers)
    if args.build_only:
        return
    _say("measuring start-up and one enrolment in a new process")
    run = subprocess.run([sys.executable, __file__, "--measure", "--fingers", str(args.fingers),
                          "--dir", str(folder)], capture_output=True, text=True, check=False,
                         env=os.environ.copy())
    if run.returncode:
        sys.exit(f"the measuring process failed:\n{run.stderr[-3000:]}")
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    target = TARGETS.get(args.fingers)
    result = {
        **figures,
        "startup_target_s": STARTUP_TARGET if args.fingers >= 1_000_000 else None,
        "startup_met": figures["startup_s"] < STARTUP_TARGET,
        "enrol_target_s": target,
        "enrol_met": None if target is None else figures["enrol_s"] < target,
        "cores": os.cpu_count(),
    }
    out = ROOT / "bench" / "results" / "asylum_gallery.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
