"""Audit log throughput: rows appended per second (one transaction per row, and batched) and
rows verified per second, on SQLite and (with GRANICA_BENCH_PG_URL) PostgreSQL. Prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from granica.audit.service import record  # noqa: E402
from granica.audit.signing import sign_head  # noqa: E402
from granica.audit.verify import verify  # noqa: E402
from granica.auth.principal import system_principal  # noqa: E402
from granica.settings import reset_settings  # noqa: E402
from granica.storage import Database  # noqa: E402


def run(db: Database, rows: int, single: int) -> dict[str, float]:
    who = system_principal("bench")
    started = time.perf_counter()
    for i in range(single):
        with db.session() as s:
            record(s, who, "alerts.read", purpose="bench", subject_type="alert",
                   subject_ids=[f"a{i}"], result_count=1)
    single_rate = single / (time.perf_counter() - started)
    started = time.perf_counter()
    batch = 1000
    for start in range(0, rows, batch):
        with db.session() as s:
            for i in range(start, min(rows, start + batch)):
                record(s, who, "alerts.search", purpose="bench", subject_type="alert",
                       subject_ids=[f"a{i}"], query={"surname": "Petrović"}, result_count=3)
        print(f"  {min(rows, start + batch)}/{rows}", file=sys.stderr, end="\r")
    batched_rate = rows / (time.perf_counter() - started)
    sign_head(db)
    started = time.perf_counter()
    result = verify(db)
    elapsed = time.perf_counter() - started
    assert result.ok, result.message
    return {"append_per_s_one_tx_each": round(single_rate, 1),
            "append_per_s_batched": round(batched_rate, 1),
            "verify_rows_per_s": round(result.rows_checked / elapsed, 1),
            "rows": result.rows_checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=200)
    args = parser.parse_args()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRANICA_DATA_DIR"] = tmp
        reset_settings()
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        print("sqlite", file=sys.stderr)
        out["sqlite"] = run(db, args.rows, args.single)
        db.dispose()
        pg = os.environ.get("GRANICA_BENCH_PG_URL") or os.environ.get("GRANICA_TEST_PG_URL")
        if pg:
            name = f"granica_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                os.remove(Path(tmp) / "audit-anchors.jsonl")
                pdb = Database(pg.rsplit("/", 1)[0] + "/" + name)
                pdb.upgrade()
                print("postgresql", file=sys.stderr)
                out["postgresql"] = run(pdb, args.rows, args.single)
                pdb.dispose()
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
