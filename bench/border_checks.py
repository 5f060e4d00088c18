"""Border checks against the running API with a large alert register (issue 6 targets: with
1,000,000 alerts, a check without fingerprints p95 < 100 ms and >= 100 checks/s on 2 cores).

Loads synthetic alerts through `sis.service.import_alerts` (persons in Latin and Cyrillic,
stolen documents, vehicles) into a bench database that is kept between runs, starts
`uvicorn` on 127.0.0.1 with the app, and drives `POST /api/v1/border/checks` from a second
process with a kiosk's bearer token: first one request at a time (latency), then several
at once (throughput), each phase bounded in time. Prints one JSON object.

Usage: python bench/border_checks.py [--alerts N] [--seconds S] [--concurrency C]
       [--workers W] [--database-url URL]
The database defaults to PostgreSQL when GRANICA_BENCH_DATABASE_URL or GRANICA_TEST_PG_URL
names a server (a database `granica_bench_border_<N>` is created there), else a SQLite file
under the system's temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import socket
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

BCP = "RS-BENCH"
KIOSK = "bench.kiosk"
SURNAMES = ("Petrović", "Jovanović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić",
            "Stanković", "Pavlović", "Milošević", "Popović", "Živković", "Todorović", "Kovačević",
            "Müller", "Schmidt", "Nowak", "Kowalski", "Horvat", "Novak", "Smith", "Dubois",
            "Rossi", "Ivanov", "Shevchenko", "Yilmaz", "Haddad", "Khan", "Popescu", "Nagy")
FORENAMES = ("Marko", "Miloš", "Nikola", "Stefan", "Jelena", "Milica", "Ana", "Ivana", "Đorđe",
             "Luka", "Jovana", "Dragan", "Zoran", "Anna", "Peter", "Maria", "Ahmed", "Olena",
             "Sergei", "Mehmet", "Fatima", "John", "Elena", "Andrei", "Katarzyna", "Tomasz")
SYLLABLES = ("ka", "ri", "mo", "ven", "sto", "la", "dra", "ni", "pe", "tro", "vi", "ja", "ko",
             "bor", "sla", "mi", "ra", "din", "go", "zo", "lu", "ne", "ta", "š", "ć", "ič")
LATIN_TO_CYR = {"lj": "љ", "nj": "њ", "dž": "џ", "a": "а", "b": "б", "v": "в", "g": "г",
                "d": "д", "đ": "ђ", "e": "е", "ž": "ж", "z": "з", "i": "и", "j": "ј", "k": "к",
                "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т",
                "ć": "ћ", "u": "у", "f": "ф", "h": "х", "c": "ц", "č": "ч", "š": "ш"}


def log(message: str) -> None:
    print(f"[border bench] {message}", file=sys.stderr, flush=True)


def to_cyrillic(text: str) -> str:
    out, i, low = [], 0, text.lower()
    while i < len(low):
        pair = low[i:i + 2]
        if pair in LATIN_TO_CYR:
            out.append(LATIN_TO_CYR[pair])
            i += 2
        else:
            out.append(LATIN_TO_CYR.get(low[i], low[i]))
            i += 1
    return "".join(out).capitalize()


def made_up_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def person(rng: random.Random) -> tuple[str, str, dt.date]:
    surname = rng.choice(SURNAMES) if rng.random() < 0.3 else made_up_surname(rng)
    forename = rng.choice(FORENAMES)
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
    return surname, forename, birth


# --- the register ----------------------------------------------------------------------------

def alert_record(i: int) -> tuple[str, dict[str, Any], tuple[str, str, dt.date] | None]:
    """Alert number i, the same on every run: 80% persons (a third entered in Cyrillic),
    12% stolen documents, 8% stolen vehicles. Returns (category, data, Latin name or None)."""
    rng = random.Random(i * 7919 + 6)
    r = rng.random()
    if r < 0.80:
        surname, forename, birth = person(rng)
        latin = (surname, forename, birth)
        if rng.random() < 0.33:
            surname, forename = to_cyrillic(surname), to_cyrillic(forename)
        category = rng.choice(("arrest", "refusal_of_entry", "missing_no_protection",
                               "judicial_procedure"))
        data: dict[str, Any] = {
            "surname": surname, "forenames": forename, "sex": rng.choice("MF"),
            "date_of_birth": birth.isoformat(), "reason": "bench",
            "issuing_authority": "Bench authority",
        }
        if category == "arrest":
            data["warrant_reference"] = f"W-{i}"
            if rng.random() < 0.1:
                data["warning_markers"] = ["armed"]
        return category, data, latin
    if r < 0.92:
        return "issued_document", {
            "document_type": "passport", "document_number": f"S{i:08d}",
            "document_country": "DE", "document_status": "stolen", "purpose": "seizure",
            "reason": "bench", "issuing_authority": "Bench authority"}, None
    return "motor_vehicle", {"vin": f"WBA{i:014d}", "plate": f"B{i:07d}", "plate_country": "DE",
                             "purpose": "seizure",
                             "reason": "bench", "issuing_authority": "Bench authority"}, None


def alert_lines(count: int) -> Iterator[str]:
    review = (dt.date.today() + dt.timedelta(days=900)).isoformat()
    for i in range(count):
        category, data, _ = alert_record(i)
        yield json.dumps({"schengen_id": f"DE{i:012d}B", "issuing_country": "DE",
                          "category": category, "status": "active", "review_date": review,
                          "data": data})


def prepare_database(url: str, alerts: int) -> None:
    """Migrate, load the alerts unless already there, add the crossing point and kiosk user."""
    import sqlalchemy as sa

    from granica.auth.principal import system_principal
    from granica.border import service as border
    from granica.sis import service as sis
    from granica.sis.models import Alert
    from granica.storage import Database

    db = Database(url)
    db.upgrade()
    with db.session() as s:
        have = s.scalar(sa.select(sa.func.count()).select_from(Alert)) or 0
    system = system_principal("border benchmark set-up")
    if have != alerts:
        if have:
            raise SystemExit(f"the bench database holds {have} alerts, not {alerts}; "
                             "drop it or use another --database-url")
        log(f"loading {alerts:,} alerts (once; the database is kept for the next run)")
        started = time.perf_counter()

        def progress(report: Any) -> None:
            if report.read % 50_000 < 2000:
                rate = report.read / (time.perf_counter() - started)
                log(f"  {report.read:,} read, {report.imported:,} stored ({rate:,.0f}/s)")

        with db.session() as s:
            report = sis.import_alerts(s, system, alert_lines(alerts), purpose="benchmark data",
                                       batch_size=5000, progress=progress, max_bytes=1 << 40)
        if report.rejected:
            raise SystemExit(f"{len(report.rejected)} alerts rejected, first: {report.rejected[0]}")
        log(f"loaded in {time.perf_counter() - started:,.0f} s")
    with db.session() as s:
        if not any(p.code == BCP for p, _ in border.list_crossing_points(s)):
            border.add_crossing_point(s, system, code=BCP, name="Bench crossing", purpose="bench")
    db.dispose()


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

def requests(seed: int, alerts: int) -> Iterator[dict[str, Any]]:
    """Travellers: about 95% unknown, about 5% the person of an alert (in Latin, as the MRZ)."""
    from granica.documents import generate_mrz

    rng = random.Random(seed)
    expiry = (dt.date.today() + dt.timedelta(days=1500)).strftime("%y%m%d")
    n = 0
    while True:
        n += 1
        known = alert_record(rng.randrange(alerts))[2] if alerts and rng.random() < 0.05 else None
        surname, forename, birth = known or person(rng)
        nationality = rng.choice(("SRB", "D", "USA", "UKR", "TUR", "BIH", "HRV"))
        mrz = generate_mrz("TD3", {
            "document_code": "P", "issuing_state": nationality, "surname": surname,
            "given_names": forename, "document_number": f"B{seed % 100:02d}{n:06d}",
            "nationality": nationality, "birth_date": birth.strftime("%y%m%d"),
            "sex": rng.choice("MF"), "expiry_date": expiry, "optional_data": ""})
        yield {"bcp": BCP, "lane": f"K{seed % 10}", "direction": "entry", "mrz": mrz}


def load_client(port: int, token: str, seconds: float, concurrency: int,
                alerts: int) -> dict[str, Any]:
    latencies: list[float] = []
    decisions: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "X-Purpose": "border check benchmark"}
        for body in requests(1000 + k + int(time.time()) % 100_000 * 10, alerts):
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
                    d = json.loads(payload)["decision"]
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
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "concurrency": concurrency, "seconds": round(elapsed, 2), "checks": len(latencies),
        "checks_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                       "max": round(max(latencies, default=0.0), 1)},
        "decisions": decisions, "errors": len(errors), "first_error": errors[0] if errors else None,
    }


# --- orchestration ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(args: argparse.Namespace) -> tuple[str, str]:
    if args.database_url:
        return args.database_url, "given"
    server = os.environ.get("GRANICA_BENCH_DATABASE_URL") or os.environ.get("GRANICA_TEST_PG_URL")
    if server and server.startswith("postgresql"):
        import sqlalchemy as sa

        name = f"granica_bench_border_{args.alerts}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return server.rsplit("/", 1)[0] + "/" + name, "postgresql"
    folder = Path(tempfile.gettempdir()) / "granica-bench-border"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / f'alerts-{args.alerts}.db'}", "sqlite"


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


def run_phase(port: int, token: str, seconds: float, concurrency: int, alerts: int) -> dict[str, Any]:
    """The load runs in a second process, as a kiosk fleet would."""
    out = subprocess.run(
        [sys.executable, __file__, "--load-client", "--port", str(port), "--token", token,
         "--seconds", str(seconds), "--concurrency", str(concurrency), "--alerts", str(alerts)],
        capture_output=True, text=True, timeout=seconds + 120, check=True)
    return dict(json.loads(out.stdout))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--alerts", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=30, help="length of the throughput phase")
    p.add_argument("--latency-seconds", type=float, default=10)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--database-url")
    p.add_argument("--load-client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--token", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.load_client:
        print(json.dumps(load_client(args.port, args.token, args.seconds, args.concurrency,
                                     args.alerts)))
        return

    url, backend = database_url(args)
    log(f"database: {backend} ({url.split('@')[-1]})")
    started = time.perf_counter()
    prepare_database(url, args.alerts)
    token = kiosk_token(url)
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="granica-bench-data-"))
    env = {**os.environ, "GRANICA_DATABASE_URL": url, "GRANICA_DATA_DIR": str(data_dir),
           "GRANICA_LOG_LEVEL": "WARNING"}
    log(f"starting the API on 127.0.0.1:{port} with {args.workers} worker(s)")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "granica.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_ready(port, server)
        log("warming up")
        run_phase(port, token, 3, 2, args.alerts)
        log(f"latency: one check at a time for {args.latency_seconds:.0f} s")
        single = run_phase(port, token, args.latency_seconds, 1, args.alerts)
        log(f"throughput: {args.concurrency} clients for {args.seconds:.0f} s")
        loaded = run_phase(port, token, args.seconds, args.concurrency, args.alerts)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    result = {
        "bench": "border_checks",
        "alerts": args.alerts,
        "database": backend,
        "api_workers": args.workers,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "single_client": single,
        "loaded": loaded,
        "targets": {"p95_ms": 100, "checks_per_second": 100},
        "p95_under_100ms": single["latency_ms"]["p95"] < 100,
        "throughput_at_least_100": loaded["checks_per_second"] >= 100,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
