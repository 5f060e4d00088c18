"""Alert register at scale on PostgreSQL: the same measurements as bench/alerts_sqlite.py
(1,000,000 synthetic alerts; document/vehicle lookup p95 < 5 ms, person search by name + date
of birth p95 < 50 ms, import >= 5,000 alerts/s).

The server is GRANICA_BENCH_DATABASE_URL or GRANICA_TEST_PG_URL (an admin URL; databases
`granica_bench_alerts_*` are created there and the register is kept between runs); without
either, a throw-away server is started with scripts/pg-test.sh on port GRANICA_TEST_PG_PORT
(default 54331) and stopped at the end.

Usage: python bench/alerts_postgresql.py [--alerts N] [--import-sample N] [--queries N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from alerts_sqlite import ROOT, arguments, log, run

from granica.storage import Database


def main() -> None:
    args = arguments()
    admin_url = os.environ.get("GRANICA_BENCH_DATABASE_URL") or os.environ.get("GRANICA_TEST_PG_URL")
    started_own = False
    env = {**os.environ, "GRANICA_TEST_PG_PORT": os.environ.get("GRANICA_TEST_PG_PORT", "54331")}
    if not admin_url:
        log("no PostgreSQL URL given: starting a throw-away server with scripts/pg-test.sh")
        admin_url = subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "start"], env=env, check=True,
                                   capture_output=True, text=True).stdout.strip()
        started_own = True
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def make_db(name: str) -> Database:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if exists and name.endswith("_import"):
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return Database(admin_url.rsplit("/", 1)[0] + "/" + name)

    try:
        print(json.dumps(run("postgresql", make_db, args)))
    finally:
        admin.dispose()
        if started_own:
            subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "stop"], env=env, check=False)


if __name__ == "__main__":
    main()
