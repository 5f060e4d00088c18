"""Cooperation between agencies at scale (issue 14 targets): with 1,000,000 seizures,
inspections and incidents and 1,000 active risk profiles,

- the border check's risk-profile step (`cooperation.service.screen`) p95 < 10 ms,
- the monthly report for the whole country in < 10 s, on SQLite and on PostgreSQL,
- CSV import >= 5,000 rows/s (through the same reader and service the CLI uses).

The register (40 % seizures with their goods lines, 30 % inspections, 30 % incidents, with
their shares) is seeded once per backend with Core executemany inserts and kept between runs
in --dir (SQLite) or a named PostgreSQL database; the seeded rows carry no search keys, which
neither figure reads. The import rate is measured on an empty database through the reader
and service the CLI uses.

Usage: python bench/cooperation.py [--records N] [--profiles N] [--screens N] [--dir D]
       [--backends sqlite,postgresql] [--build-only] [--only import] [--import-sample N]
       (PostgreSQL from GRANICA_TEST_PG_URL)
`--only import` measures the import rate alone (no register is built or read), e.g.
`--only import --import-sample 5000` for a quick figure; its JSON is not written to --out.
The import figure carries the machine's 1-minute load average: on a shared machine other
processes slow it, so compare figures taken at a similar load.
Prints one JSON object (each figure with its target and whether it is met) and writes it to
bench/results/cooperation.json; progress on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal, system_principal
from granica.storage import Database

SEED = 14
BCPS = ["RS-BATROVCI", "RS-HORGOS", "RS-PRESEVO", "RS-GRADINA", "RS-KELEBIJA", "RS-SID"]
CARRIERS = [f"Carrier {i:03d} d.o.o." for i in range(400)]
COUNTRIES = ["TR", "BG", "MK", "GR", "DE", "AT", "HU", "IT", "RO", "AL", "BA", "ME"]
GOODS = [("cigarettes", "240220", 50_000), ("alcohol", "2208", 500), ("fuel", None, 3000),
         ("counterfeit", "6109", 400), ("cash", None, 20_000), ("raw_tobacco", "2401", 300)]
MONTH = "2026-10"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def officer(agency: str, *roles: str) -> Principal:
    return Principal(user_id=f"bench-{agency}", username=f"bench-{agency.lower()}",
                     agency=agency, roles=frozenset(roles), permissions=permissions_of(roles))


def csv_rows(kind: str, count: int, rng: random.Random, start: dt.datetime,
             span_days: int) -> Iterator[str]:
    """CSV lines as agencies' spreadsheets hold them (header first)."""
    if kind == "seizure":
        yield "occurred_at;bcp;category;quantity;hs_code;un_number;vehicle_plate;carrier;origin;destination\n"
    else:
        yield "occurred_at;bcp;type;persons_total;minors;nationalities;impact_level\n"
    for i in range(count):
        when = start + dt.timedelta(seconds=rng.randrange(span_days * 86400))
        bcp = rng.choice(BCPS)
        if kind == "seizure":
            category, hs, scale = rng.choice(GOODS)
            un = "1202" if category == "fuel" else ""
            yield (f"{when.isoformat()};{bcp};{category};{rng.randint(1, scale)};{hs or ''};{un};"
                   f"BG{rng.randrange(100000):05d}AB;{rng.choice(CARRIERS)};"
                   f"{rng.choice(COUNTRIES)};{rng.choice(COUNTRIES)}\n")
        else:
            persons = rng.randint(0, 30)
            yield (f"{when.isoformat()};{bcp if rng.random() < 0.3 else ''};"
                   f"{rng.choice(['unauthorised_crossing', 'document_fraud', 'goods'])};"
                   f"{persons};{rng.randint(0, persons)};AF,SY;low\n")


def import_csv(db: Database, kind: str, count: int, seed: int, start: dt.datetime,
               span_days: int, label: str) -> dict[str, Any]:
    from granica.cooperation import service, tabular

    rng = random.Random(seed)
    principal = dataclasses.replace(system_principal("benchmark"), agency="CUSTOMS")
    # the files exist before the clock starts: writing them is not importing them
    chunk = 50_000
    files = ["".join(csv_rows(kind, min(chunk, count - done), rng, start, span_days)).encode()
             for done in range(0, count, chunk)]
    done = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for data in files:
        with db.session() as s:
            done += service.import_records(
                s, principal, kind, tabular.read_csv(kind, io.BytesIO(data), "bench.csv"),
                purpose="benchmark import")["imported"]
        rate = done / max(time.perf_counter() - wall, 1e-9)
        log(f"  {label}: {done:,}/{count:,} {kind} rows ({rate:,.0f}/s)")
    seconds = time.perf_counter() - wall
    # the machine's load while measuring: other processes on its cores slow the figure
    return {"rows": count, "seconds": round(seconds, 2),
            "rows_per_s": round(count / seconds), "cpu_s": round(time.process_time() - cpu, 2),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def add_profiles(db: Database, count: int, rng: random.Random) -> None:
    from granica.cooperation import service
    from granica.cooperation.schemas import ProfileIn

    customs = officer("CUSTOMS", "customs_officer")
    with db.session() as s:
        existing = s.scalar(sa.text("SELECT count(*) FROM coop_risk_profile WHERE active"))
        for i in range(int(existing or 0), count):
            criteria: dict[str, Any] = {"carrier": [rng.choice(CARRIERS)]}
            if i % 3 == 0:
                criteria["commodity"] = ["24"]
            if i % 4 == 0:
                criteria["origin"] = [rng.choice(COUNTRIES)]
            if i % 5 == 0:
                criteria["bcp"] = [rng.choice(BCPS)]
            service.create_profile(s, customs, ProfileIn(
                name=f"bench profile {i}", reason="benchmark", criteria=criteria,
                agencies=["BORDER_POLICE"]), purpose="benchmark")


SEED_CHUNK = 20_000
KIND_SHARE = (("seizure", 0.4), ("inspection", 0.3), ("incident", 0.3))
CHED = [("CHED-P", "0207"), ("CHED-PP", "0808"), ("CHED-D", "1006"), ("CHED-A", "0102")]
INCIDENT_TYPES = ["unauthorised_crossing", "document_fraud", "goods", "facilitation_thb"]
PREFIX = {"seizure": "SZ", "inspection": "IN", "incident": "IC"}


def _seed_rows(kind: str, start_index: int, count: int, rng: random.Random,
               start: dt.datetime, span_days: int, now: dt.datetime
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of coop_record, coop_goods and coop_share shaped as the service stores them."""
    from granica.cooperation.codelists import codelists

    lists = codelists()
    owner = {"seizure": "CUSTOMS", "inspection": "VETERINARY", "incident": "BORDER_POLICE"}[kind]
    shares = [a for a in lists.sharing[kind] if a != owner]
    records, goods, shared = [], [], []
    for i in range(start_index, start_index + count):
        record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        when = start + dt.timedelta(seconds=rng.randrange(span_days * 86400))
        bcp: str | None = rng.choice(BCPS)
        persons = 0
        if kind == "seizure":
            category, hs, scale = rng.choice(GOODS)
            quantity = float(rng.randint(1, scale))
            unit = lists.goods[category].unit
            limit = lists.goods[category].threshold
            data: dict[str, Any] = {
                "goods": [{"category": category, "quantity": quantity, "unit": unit,
                           "hs_code": hs}],
                "vehicle_plate": f"BG{rng.randrange(100000):05d}AB",
                "carrier": rng.choice(CARRIERS), "origin": rng.choice(COUNTRIES),
                "destination": rng.choice(COUNTRIES)}
            goods.append({"record_id": record_id, "category": category, "substance": None,
                          "quantity": quantity, "unit": unit, "hs_code": hs,
                          "un_number": "1202" if category == "fuel" else None,
                          "over_threshold": limit is not None and quantity >= limit})
            summary = f"Seizure: {quantity:g} {unit} {category}"
        elif kind == "inspection":
            category, hs = rng.choice(CHED)
            decision = "not_acceptable" if rng.random() < 0.05 else "acceptable_internal_market"
            data = {"ched_type": category, "consignor": rng.choice(CARRIERS),
                    "consignee": rng.choice(CARRIERS), "country_of_origin": rng.choice(COUNTRIES),
                    "transport_mode": "lorry", "transport_id": f"TR{rng.randrange(100000):05d}",
                    "commodities": [{"hs_code": hs, "net_weight_kg": rng.randint(100, 20000)}],
                    "checks": {"documentary": "satisfactory"}, "decision": decision}
            summary = f"{category} consignment: {decision}"
        else:
            category = rng.choice(INCIDENT_TYPES)
            bcp = bcp if rng.random() < 0.3 else None
            persons = rng.randint(0, 30)
            data = {"type": category, "persons_total": persons,
                    "minors": rng.randint(0, persons), "nationalities": ["AF", "SY"],
                    "impact_level": "low"}
            summary = f"{category}, {persons} persons"
        records.append({
            "id": record_id, "reference": f"{PREFIX[kind]}-BENCH-{i:09d}", "kind": kind,
            "category": category, "owner_agency": owner, "created_by": "bench-seed",
            "created_at": now, "updated_at": now, "occurred_at": when, "bcp": bcp,
            "shared_all": False, "personal": False, "summary": summary, "persons": persons,
            "data": data, "version": 1, "import_batch": None})
        shared.extend({"record_id": record_id, "agency": a} for a in shares)
    return records, goods, shared


def seed(db: Database, records: int, have: dict[str, int]) -> dict[str, Any]:
    """The register at the issue's size, written with Core executemany inserts (not the
    import path, which is measured on its own), in chunks with progress on stderr."""
    from granica.cooperation.models import CoopGoods, CoopRecord, CoopShare

    tables = [cast(sa.Table, m.__table__) for m in (CoopRecord, CoopGoods, CoopShare)]
    start, now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC)
    wall = time.perf_counter()
    written = 0
    for kind, share in KIND_SHARE:
        wanted = round(records * share)
        rng = random.Random(f"{SEED}-{kind}-{have.get(kind, 0)}")
        done = have.get(kind, 0)
        while done < wanted:
            n = min(SEED_CHUNK, wanted - done)
            rows = _seed_rows(kind, done, n, rng, start, 1035, now)
            with db.engine.begin() as conn:
                for table, batch in zip(tables, rows):
                    if batch:
                        conn.execute(table.insert(), batch)
            done += n
            written += n
            log(f"  seed: {kind} {done:,}/{wanted:,} "
                f"({written / max(time.perf_counter() - wall, 1e-9):,.0f} records/s)")
    seconds = time.perf_counter() - wall
    return {"records_written": written, "seconds": round(seconds, 1),
            "records_per_s": round(written / seconds) if written else None}


def build(db: Database, records: int, profiles: int) -> dict[str, Any]:
    from granica.border import service as border

    with db.session() as s:
        have = {str(k): int(n) for k, n in s.execute(sa.text(
            "SELECT kind, count(*) FROM coop_record GROUP BY kind"))}
        if not border.list_crossing_points(s):
            sup = officer("BORDER_POLICE", "border_supervisor")
            for code in BCPS:
                border.add_crossing_point(s, sup, code=code, name=code, kind="road",
                                          neighbour="HRV", lanes=[("E1", "entry", "all")],
                                          purpose="benchmark")
    built: dict[str, Any] = {"had": have, "seed": seed(db, records, have)}
    add_profiles(db, profiles, random.Random(SEED))
    with db.session() as s:
        built["total"] = int(s.scalar(sa.text("SELECT count(*) FROM coop_record")) or 0)
    return built


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def screening(db: Database, count: int) -> dict[str, Any]:
    from granica.cooperation import service
    from granica.cooperation.schemas import ScreeningIn

    rng = random.Random(SEED + 7)
    guard = officer("BORDER_POLICE", "border_guard")
    times: list[float] = []
    flagged = 0
    for i in range(count):
        facts = ScreeningIn(bcp=rng.choice(BCPS), direction="entry",
                            carrier=rng.choice(CARRIERS), origin=rng.choice(COUNTRIES),
                            commodity=rng.choice(["240220", "2208", "8703"]),
                            vehicle_plate=f"BG{rng.randrange(100000):05d}AB", subject=f"s{i}")
        started = time.perf_counter()
        with db.session() as s:
            flags = service.screen(s, guard, facts, purpose="benchmark check")
        times.append((time.perf_counter() - started) * 1000)
        flagged += bool(flags)
    return {"screens": count, "flagged_share": round(flagged / count, 3),
            "p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2),
            "target_p95_ms": 10, "met": percentile(times, 0.95) < 10}


def monthly(db: Database) -> dict[str, Any]:
    from granica.analysis import service as analysis
    from granica.border import service as border  # noqa: F401  (the report's refusals)

    analyst = officer("RISK_ANALYSIS", "risk_analyst")
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        with db.session() as s:
            report = analysis.monthly_report(s, analyst, MONTH, purpose="benchmark")
        runs.append(time.perf_counter() - started)
    seizures = sum(int(v["seizures"]) for v in report["seizures_by_goods"].values())
    inspections = sum(int(n) for n in report["inspections_by_type"].values())
    incidents = sum(int(v["incidents"]) for v in report["incidents_by_type"].values())
    return {"month": MONTH, "seconds": round(max(runs), 2),
            "first_run_s": round(runs[0], 2), "warm_s": round(min(runs[1:]), 2),
            "seizures_in_month": seizures, "inspections_in_month": inspections,
            "incidents_in_month": incidents, "target_s": 10, "met": max(runs) < 10}


def _postgresql(server: str, dbname: str, fresh: bool = False) -> Database:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}"')
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": dbname}).first():
            conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    admin.dispose()
    return Database(server.rsplit("/", 1)[0] + "/" + dbname)


def import_rate(name: str, fresh: Database, sample_size: int) -> dict[str, Any]:
    """The import of `sample_size` seizure rows into an empty database."""
    log(f"{name}: import rate on an empty database")
    fresh.upgrade()
    build(fresh, 0, 0)  # the crossing points the rows name
    sample = import_csv(fresh, "seizure", sample_size, SEED + 99,
                        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 300, "import sample")
    fresh.dispose()
    return {**sample, "target_rows_per_s": 5000, "met": sample["rows_per_s"] >= 5000}


def backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    only_import = args.only == "import"
    if name == "sqlite":
        folder = Path(args.dir)
        folder.mkdir(parents=True, exist_ok=True)
        db = Database(f"sqlite:///{folder / f'coop-{args.records}.db'}")
        fresh_dir = tempfile.mkdtemp(prefix="coop-import-")
        fresh = Database(f"sqlite:///{fresh_dir}/import.db")
    else:
        server = os.environ.get("GRANICA_TEST_PG_URL")
        if not server:
            return {"skipped": "GRANICA_TEST_PG_URL is not set (run through `make bench`)"}
        if not only_import:
            db = _postgresql(server, f"granica_bench_coop_{args.records}")
        fresh = _postgresql(server, "granica_bench_coop_import", fresh=True)
    if only_import:
        return {"import": import_rate(name, fresh, args.import_sample)}
    db.upgrade()
    log(f"{name}: building {args.records:,} records and {args.profiles:,} profiles")
    out: dict[str, Any] = {"build": build(db, args.records, args.profiles)}
    if args.build_only:
        return out
    out["import"] = import_rate(name, fresh, args.import_sample)
    log(f"{name}: screening against {args.profiles:,} profiles")
    out["screening"] = screening(db, args.screens)
    log(f"{name}: monthly report")
    out["monthly_report"] = monthly(db)
    db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--screens", type=int, default=500)
    parser.add_argument("--import-sample", type=int, default=20_000)
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "granica-bench"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--build-only", action="store_true",
                        help="seed the register and the profiles, measure nothing")
    parser.add_argument("--only", choices=["import"],
                        help="measure only this figure (not written to --out)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cooperation.json"))
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "cooperation", "records": args.records,
                              "profiles": args.profiles}
    for name in args.backends.split(","):
        result[name] = backend(name.strip(), args)
    text = json.dumps(result, indent=2)
    print(text)
    if not args.build_only and not args.only:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
