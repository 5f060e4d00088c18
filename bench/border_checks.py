"""Border checks against the running API with a large alert register (issue 10 targets: with
1,000,000 alerts, a check without fingerprints p95 < 50 ms for one client, and >= 100
checks/s on 2 cores with p95 < 100 ms at that rate).

The travellers are what a crossing point sees: 5% are the persons of alerts, the others carry
surnames and given names drawn from the register's own person alerts (namesakes, whom the
name search finds and must score), not names made up to miss.

Loads the alert register's synthetic alerts (`granica.sis.synth`) through
`sis.service.import_alerts` into a bench database that is kept between runs (or copies the
register of bench/alerts_postgresql.py when it exists), starts
`granica serve --workers W` on 127.0.0.1, and drives `POST /api/v1/border/checks` from a second
process with a kiosk's bearer token: first one request at a time (latency), then several
at once (throughput), each phase bounded in time. Prints one JSON object.

Usage: python bench/border_checks.py [--alerts N] [--seconds S] [--concurrency C]
       [--workers W] [--database-url URL]
The database defaults to PostgreSQL when GRANICA_BENCH_DATABASE_URL or GRANICA_TEST_PG_URL
names a server (a database `granica_bench_border_<N>` is created there), else a SQLite file
under the system's temporary folder. The first run at a given size spends most of its time
loading the register (at the import rate of sis); later runs reuse it and take about 1.5 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from granica.exchange.nodes import free_port

BCP = "RS-BENCH"
KIOSK = "bench.kiosk"
NAME_SAMPLE = 5000  # person alerts whose names make up the travellers' names
SEED = 6


def log(message: str) -> None:
    print(f"[border bench] {message}", file=sys.stderr, flush=True)


def namesake(rng: random.Random, names: dict[str, list[str]]) -> tuple[str, str, dt.date]:
    """A traveller whose surname and given name are drawn, each on its own, from the names in
    the register (so travellers share names with alerts the way real namesakes do), with a
    date of birth of their own: the person search finds candidates and has to score them."""
    birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(365 * 60))
    return rng.choice(names["surnames"]), rng.choice(names["given_names"]), birth


# --- the register ----------------------------------------------------------------------------

def alert_lines(count: int) -> Iterator[str]:
    """The alert register's own synthetic alerts (granica.sis.synth), as import lines."""
    from granica.sis.synth import synth_alerts

    for alert in synth_alerts(count, seed=SEED):
        yield json.dumps(alert, ensure_ascii=False)


def schema_current(url: str) -> bool:
    from granica.storage import Database
    from granica.storage.migrate import pending_changes

    db = Database(url)
    try:
        db.upgrade()
        return not pending_changes(db)
    finally:
        db.dispose()


def prepare_database(url: str, alerts: int) -> dict[str, Any]:
    """Load the alerts unless already there, add the crossing point; returns a sample of
    person alerts (names in MRZ form, date of birth) for the travellers who should hit, and
    the surnames and given names of a random sample of person alerts for all the others."""
    import sqlalchemy as sa

    from granica.auth.principal import system_principal
    from granica.border import service as border
    from granica.documents import transliterate
    from granica.errors import GranicaError
    from granica.sis import service as sis
    from granica.sis.models import Alert
    from granica.storage import Database

    db = Database(url)
    db.upgrade()
    with db.session() as s:
        have = s.scalar(sa.select(sa.func.count()).select_from(Alert)) or 0
    system = system_principal("border benchmark set-up")
    if have < alerts:
        log(f"loading {alerts - have:,} alerts through sis import (once; the database is kept)")
        started = time.perf_counter()
        last = [started]

        def progress(report: Any) -> None:
            now = time.perf_counter()
            if now - last[0] > 15:
                last[0] = now
                log(f"  {have + report.imported:,} alerts ({report.imported / (now - started):,.0f}/s)")

        lines = alert_lines(alerts)
        for _ in range(have):  # resume an interrupted load where it stopped
            next(lines)
        with db.session() as s:
            report = sis.import_alerts(s, system, lines, purpose="benchmark data",
                                       batch_size=5000, progress=progress, max_bytes=1 << 40)
        log(f"loaded {report.imported:,} in {time.perf_counter() - started:,.0f} s "
            f"({len(report.rejected)} rejected)")
    with db.session() as s:
        if not any(p.code == BCP for p, _ in border.list_crossing_points(s)):
            border.add_crossing_point(s, system, code=BCP, name="Bench crossing", purpose="bench")
        rows = s.execute(sa.select(Alert.data).where(
            Alert.kind == "person", Alert.status == "active", Alert.sirene_only.is_(False),
            Alert.category.in_(("arrest", "refusal_of_entry", "missing_no_protection",
                                "judicial_procedure", "return")),
            sa.func.length(Alert.date_of_birth) == 10).limit(500)).all()
        sample = s.execute(sa.select(Alert.data).where(Alert.kind == "person")
                           .order_by(sa.func.random()).limit(NAME_SAMPLE)).all()
    db.dispose()

    def mrz_name(value: str) -> str:
        return transliterate(value).replace("<", " ").strip()

    known = []
    for (data,) in rows:
        try:
            known.append({"surname": mrz_name(data["surname"]),
                          "given_names": mrz_name(data["forenames"]),
                          "birth_date": data["date_of_birth"]})
        except GranicaError:  # a name the MRZ cannot carry: not a traveller for this bench
            continue
    surnames, given = [], []
    for (data,) in sample:
        try:
            surname = mrz_name(data.get("surname") or "")
            forenames = mrz_name(data.get("forenames") or "")
        except GranicaError:
            continue
        if surname and forenames:
            surnames.append(surname)
            given.append(forenames.split()[0])
    return {"known": known, "names": {"surnames": surnames, "given_names": given}}


def kiosk_token(url: str) -> str:
    from granica.auth import service as auth
    from granica.auth.principal import system_principal
    from granica.errors import NotFoundError
    from granica.storage import Database

    db = Database(url)
    system = system_principal("border benchmark set-up")
    with db.session() as s:
        try:
            auth.get_user(s, KIOSK)
        except NotFoundError:
            auth.create_user(s, system, username=KIOSK, password="Bench-Kiosk-Password-1",
                             agency="BORDER_POLICE", roles=["border_kiosk"])
        token = auth.issue_token(s, system, KIOSK, name=f"bench {time.time():.0f}")
    db.dispose()
    return token


# --- the load (runs in a second process) -------------------------------------------------------

def requests(seed: int, travellers: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Travellers: 5% the person of a (visible) alert, as their passport reads; the others
    namesakes made of the register's own surnames and given names."""
    from granica.documents import generate_mrz

    rng = random.Random(seed)
    expiry = (dt.date.today() + dt.timedelta(days=1500)).strftime("%y%m%d")
    known, names = travellers["known"], travellers["names"]
    n = 0
    while True:
        n += 1
        if known and rng.random() < 0.05:
            k = rng.choice(known)
            surname, forename = k["surname"], k["given_names"]
            birth = dt.date.fromisoformat(k["birth_date"])
        else:
            surname, forename, birth = namesake(rng, names)
        nationality = rng.choice(("SRB", "D", "USA", "UKR", "TUR", "BIH", "HRV"))
        mrz = generate_mrz("TD3", {
            "document_code": "P", "issuing_state": nationality, "surname": surname,
            "given_names": forename, "document_number": f"B{seed % 100:02d}{n:06d}",
            "nationality": nationality, "birth_date": birth.strftime("%y%m%d"),
            "sex": rng.choice("MF"), "expiry_date": expiry, "optional_data": ""})
        yield {"bcp": BCP, "lane": f"K{seed % 10}", "direction": "entry", "mrz": mrz}


def load_client(port: int, token: str, seconds: float, concurrency: int,
                travellers: dict[str, Any]) -> dict[str, Any]:
    latencies: list[float] = []
    server_ms: list[float] = []  # the check's own time as the server measured it
    decisions: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "X-Purpose": "border check benchmark"}
        for body in requests(1000 + k + int(time.time()) % 100_000 * 10, travellers):
            if time.perf_counter() >= stop_at:
                break
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/border/checks", json.dumps(body), headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(str(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                if resp.status == 200:
                    latencies.append(ms)
                    answer = json.loads(payload)
                    server_ms.append(float(answer["duration_ms"]))
                    d = answer["decision"]
                    decisions[d] = decisions.get(d, 0) + 1
                else:
                    errors.append(f"HTTP {resp.status}: {payload[:200]!r}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    def percentiles(samples: list[float]) -> list[float]:
        if len(samples) < 2:
            return [0.0] * 99
        return statistics.quantiles(samples, n=100, method="inclusive")

    q, s = percentiles(latencies), percentiles(server_ms)
    return {
        "concurrency": concurrency, "seconds": round(elapsed, 2), "checks": len(latencies),
        "checks_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                       "max": round(max(latencies, default=0.0), 1)},
        # the check inside the server; the rest of the latency is HTTP, the API's
        # authentication and serialisation, and waiting for a worker
        "check_ms": {"p50": round(s[49], 1), "p95": round(s[94], 1)},
        "decisions": decisions, "errors": len(errors), "first_error": errors[0] if errors else None,
    }


# --- orchestration ---------------------------------------------------------------------------


def database_url(args: argparse.Namespace) -> tuple[str, str]:
    if args.database_url:
        return args.database_url, "given"
    server = os.environ.get("GRANICA_BENCH_DATABASE_URL") or os.environ.get("GRANICA_TEST_PG_URL")
    if server and server.startswith("postgresql"):
        return pg_database(server, args.alerts), "postgresql"
    folder = Path(tempfile.gettempdir()) / "granica-bench-border"
    folder.mkdir(exist_ok=True)
    url = f"sqlite:///{folder / f'alerts-{args.alerts}.db'}"
    if (folder / f"alerts-{args.alerts}.db").exists() and not schema_current(url):
        log("the kept SQLite bench database has an old schema: starting it again")
        for f in folder.glob(f"alerts-{args.alerts}.db*"):
            f.unlink()
    return url, "sqlite"


def pg_database(server: str, alerts: int) -> str:
    """`granica_bench_border_<N>` on the server; a copy of the alert register's own bench
    database (`granica_bench_alerts_<N>`, bench/alerts_postgresql.py) when that one exists,
    which saves loading the alerts again."""
    import sqlalchemy as sa

    name, register = f"granica_bench_border_{alerts}", f"granica_bench_alerts_{alerts}"
    url = server.rsplit("/", 1)[0] + "/" + name
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")

    def exists(db: str) -> bool:
        with admin.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (db,)).first() is not None

    try:
        if exists(name) and not schema_current(url):
            log(f"{name} has an old schema: making it again")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists(name):
            cloned = False
            if exists(register) and schema_current(server.rsplit("/", 1)[0] + "/" + register):
                try:
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{register}"')
                    cloned = True
                    log(f"copied the alert register from {register}")
                except sa.exc.OperationalError as exc:  # someone is connected to it right now
                    log(f"could not copy {register} ({str(exc.orig).strip()}); loading instead")
            if not cloned:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return url


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped at start (exit {proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer /health in time")


def run_phase(port: int, token: str, seconds: float, concurrency: int, known: Path) -> dict[str, Any]:
    """The load runs in a second process, as a kiosk fleet would."""
    out = subprocess.run(
        [sys.executable, __file__, "--load-client", "--port", str(port), "--token", token,
         "--seconds", str(seconds), "--concurrency", str(concurrency), "--known", str(known)],
        capture_output=True, text=True, timeout=seconds + 120, check=True)
    return dict(json.loads(out.stdout))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--alerts", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=30, help="length of the throughput phase")
    p.add_argument("--latency-seconds", type=float, default=10)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--workers", type=int, default=2, help="`granica serve` worker processes")
    p.add_argument("--database-url")
    p.add_argument("--load-client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--token", default="", help=argparse.SUPPRESS)
    p.add_argument("--known", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.load_client:
        travellers = json.loads(Path(args.known).read_text())
        print(json.dumps(load_client(args.port, args.token, args.seconds, args.concurrency,
                                     travellers)))
        return

    url, backend = database_url(args)
    log(f"database: {backend} ({url.split('@')[-1]})")
    started = time.perf_counter()
    travellers = prepare_database(url, args.alerts)
    if not travellers["names"]["surnames"]:
        raise SystemExit("the register holds no person alert with a name the MRZ can carry")
    token = kiosk_token(url)
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="granica-bench-data-"))
    known_file = data_dir / "known-travellers.json"
    known_file.write_text(json.dumps(travellers))
    env = {**os.environ, "GRANICA_DATABASE_URL": url, "GRANICA_DATA_DIR": str(data_dir),
           "GRANICA_LOG_LEVEL": "WARNING"}
    log(f"starting the API on 127.0.0.1:{port} with {args.workers} worker(s)")
    # the node as it is deployed, `granica serve` (the audit appender, the workers sharing one
    # socket), without its scheduled jobs: the first job run verifies the whole audit chain,
    # work of its own that is not a border check's
    server = subprocess.Popen(
        [sys.executable, "-m", "granica", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--no-jobs"],
        env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_ready(port, server)
        log("warming up")
        run_phase(port, token, 3, 2, known_file)
        log(f"latency: one check at a time for {args.latency_seconds:.0f} s")
        single = run_phase(port, token, args.latency_seconds, 1, known_file)
        log(f"throughput: {args.concurrency} clients for {args.seconds:.0f} s")
        loaded = run_phase(port, token, args.seconds, args.concurrency, known_file)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)
    result = {
        "bench": "border_checks",
        "alerts": args.alerts,
        "database": backend,
        "api_workers": args.workers,
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],  # a shared machine skews it
        "python": platform.python_version(),
        "travellers": {"alert_persons": 0.05, "namesakes_from_register": 0.95,
                       "name_sample": len(travellers["names"]["surnames"])},
        "single_client": single,
        "loaded": loaded,
        "targets": {"single_p95_ms": 50, "loaded_p95_ms": 100, "checks_per_second": 100},
        "single_p95_under_50ms": single["latency_ms"]["p95"] < 50,
        "loaded_p95_under_100ms": loaded["latency_ms"]["p95"] < 100,
        "throughput_at_least_100": loaded["checks_per_second"] >= 100,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
