"""Running a node: `granica serve` (web server plus scheduled jobs) and `granica demo`
(an embedded database with demo users and alerts, then serve). Registered as top-level
commands by `toplevel_serve.py`; heavy imports stay inside the functions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from granica.storage import Database

log = logging.getLogger("granica.serve")

DEMO_ALERT_COUNT = 10_000
TRAINING_PEOPLE = 20  # synthetic people a training demo enrols (the exercises' gallery)


@dataclass(frozen=True)
class DemoUser:
    username: str
    agency: str
    role: str
    display_name: str
    language: str = "en"

    @property
    def password(self) -> str:
        # known on purpose: printed at start so that a tester can log in as anyone
        return f"{self.role.replace('_', '-')}-Demo-2026"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("border.guard", "BORDER_POLICE", "border_guard", "Marko Marković", "sr-Latn"),
    DemoUser("border.supervisor", "BORDER_POLICE", "border_supervisor", "Јелена Петровић", "sr-Cyrl"),
    DemoUser("police.officer", "CRIMINAL_POLICE", "police_officer", "Nikola Jovanović"),
    DemoUser("police.validator", "CRIMINAL_POLICE", "police_validator", "Ana Nikolić"),
    DemoUser("sirene.operator", "SIRENE", "sirene_operator", "Milica Đorđević"),
    DemoUser("asylum.officer", "ASYLUM_OFFICE", "asylum_officer", "Stefan Ilić"),
    DemoUser("fingerprint.expert", "ASYLUM_OFFICE", "fingerprint_expert", "Dragana Pavlović"),
    DemoUser("customs.officer", "CUSTOMS", "customs_officer", "Vladimir Stojanović"),
    DemoUser("vet.inspector", "VETERINARY", "inspector", "Ivana Kostić"),
    DemoUser("phyto.inspector", "PHYTOSANITARY", "inspector", "Miloš Živković"),
    DemoUser("risk.analyst", "RISK_ANALYSIS", "risk_analyst", "Tamara Lazić"),
    DemoUser("dpo.officer", "DPO", "dpo", "Snežana Radović"),
    DemoUser("sys.admin", "SYSADMIN", "sysadmin", "Dejan Marinković"),
)


def demo_users() -> list[DemoUser]:
    """The named demo users, plus one for any agency role added since (every role is tried)."""
    from granica.auth.permissions import AGENCY_ROLES

    users = list(DEMO_USERS)
    covered = {(u.agency, u.role) for u in users}
    for agency, roles in sorted(AGENCY_ROLES.items()):
        for role in sorted(roles):
            if (agency, role) not in covered:
                name = f"{agency.lower().replace('_', '-')}.{role.replace('_', '-')}"[:64]
                users.append(DemoUser(name, agency, role, f"{agency.title()} {role}"))
    return users


def seed_demo_users(db: Database) -> list[tuple[DemoUser, bool]]:
    """Create the demo users that do not exist yet; returns (user, created) pairs."""
    from granica.auth import service as auth
    from granica.auth.principal import system_principal
    from granica.errors import NotFoundError

    actor = system_principal("demo set-up")
    out = []
    for user in demo_users():
        with db.session() as s:
            try:
                auth.get_user(s, user.username)
                out.append((user, False))
                continue
            except NotFoundError:
                pass
            auth.create_user(s, actor, username=user.username, password=user.password,
                             agency=user.agency, roles=[user.role],
                             display_name=user.display_name, language=user.language,
                             purpose="demo set-up")
        out.append((user, True))
    return out


def _check_schema(db: Database) -> None:
    from granica.api.system import check_health
    from granica.errors import ServiceUnavailable

    ok, report = check_health(db)
    if not ok:
        problem = report["database"].get("message") or report["migration"].get("message") or ""
        raise ServiceUnavailable(
            f"the database at {db.url.split('@')[-1]} is not ready ({problem}); "
            "run `granica db upgrade` first, or start with `granica serve --migrate`"
        )


def _warm_up_fingerprints() -> None:
    # Before the server answers (its health check included): numba compiles the fingerprint
    # kernels on first use, seconds a border check's fingerprint budget does not have.
    from granica.biometrics.warmup import warm_up

    warm_up()


def serve(host: str | None = None, port: int | None = None, *, jobs: bool = True,
          migrate: bool = False, database: Database | None = None, workers: int = 1) -> None:
    """Serve API and pages with uvicorn; scheduled jobs run in a background thread.

    With `workers` > 1, that many processes answer on one listening socket (the cores of the
    machine: one Python process uses one). The first worker also runs the scheduled jobs and
    the delivery of messages to other nodes; every worker chains its own commits' audit rows
    (the chain's head lock is held across processes)."""
    import faulthandler
    import signal

    from granica.ops.logging import configure_logging
    from granica.settings import get_settings
    from granica.storage import get_database

    settings = get_settings()
    configure_logging(settings.log_level)
    if workers < 1:
        from granica.errors import ValidationError

        raise ValidationError(f"--workers {workers}: give 1 or more processes", field="workers")
    # `kill -USR1 <pid>` prints every thread's stack to standard error: what a stuck node is doing
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    db = database or get_database()
    if migrate:
        db.upgrade()
    _check_schema(db)
    _warm_up_fingerprints()
    sock = listening_socket(host or settings.host, port or settings.port)
    if workers == 1:
        _serve_process(db, sock, jobs=jobs, delivery=True)
        return
    db.dispose()  # no connection crosses the fork
    _serve_workers(db, sock, workers, jobs=jobs)


def listening_socket(host: str, port: int) -> Any:
    """The server's listening TCP socket. Made here rather than by uvicorn so that several
    worker processes can share it; created with the TCP protocol number, which asyncio needs
    to see to turn Nagle's algorithm off on each connection (without it a keep-alive client,
    such as a kiosk, waits some 40 ms for every answer)."""
    import socket

    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        from granica.errors import ServiceUnavailable

        raise ServiceUnavailable(f"cannot listen on {host}:{port} ({exc.strerror}); "
                                 "stop what uses that port or choose another with --port") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_process(db: Database, sock: Any, *, jobs: bool, delivery: bool,
                   worker: int | None = None) -> None:
    """One serving process: uvicorn on the shared socket, the audit appender, and (when asked)
    the scheduler and the delivery worker."""
    import uvicorn

    from granica.api.app import create_app
    from granica.audit.appender import start_appender
    from granica.exchange.worker import DeliveryWorker
    from granica.jobs import Scheduler
    from granica.settings import get_settings

    settings = get_settings()
    app = create_app(db)
    scheduler = Scheduler(db) if jobs else None
    # Messages to and from other nodes (SIRENE bureaux, the central system): delivered
    # off the request path, retried while a peer is down.
    # (none on a training node: its data are synthetic and go nowhere)
    deliverer = None if settings.training or not delivery else DeliveryWorker(db)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None,
        access_log=False, server_header=False, proxy_headers=False,
    )
    server = uvicorn.Server(config)
    log.info("serving", extra={"fields": {"url": f"http://{host}:{port}", "worker": worker,
                                          "database": db.dialect, "jobs": scheduler is not None,
                                          "domains": app.state.mounted_domains}})
    if scheduler is not None:
        scheduler.start()
    # audit rows are chained off the request path, woken by each commit (granica.audit.appender)
    appender = start_appender(db.engine)
    if deliverer is not None:
        deliverer.start()
    try:
        server.run(sockets=[sock])
    finally:
        if deliverer is not None:
            deliverer.stop()
        if scheduler is not None:
            scheduler.stop()
        appender.stop()
        db.dispose()


def _serve_workers(db: Database, sock: Any, workers: int, *, jobs: bool) -> None:
    """Fork the workers and watch them: SIGTERM or SIGINT stops them all; a worker that dies
    stops the others too, and the command exits non-zero, for the service manager (systemd)
    to restart the node whole rather than run it short of a worker unnoticed."""
    import os
    import signal
    import sys

    children: dict[int, int] = {}
    for n in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                _serve_process(db, sock, jobs=jobs and n == 0, delivery=n == 0, worker=n)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception:
                log.exception("worker %d stopped on an error", n)
                code = 1
            finally:
                os._exit(code)
        children[pid] = n
    sock.close()
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        n = children.pop(pid, -1)
        if not stopping:
            failed = True
            log.error("worker %d ended (status %d): stopping the node", n, status)
            stop(signal.SIGTERM, None)
    if failed:
        sys.exit(1)


def prepare_demo(count: int = DEMO_ALERT_COUNT, echo: Any = print) -> Database:
    """Create (or reuse) the demo database: migrations, users of every agency, alerts."""
    from granica.settings import get_settings
    from granica.storage import get_database

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = get_database()
    where = (str((settings.data_dir / 'granica.db').resolve()) if settings.database_url is None
             else db.url.split('@')[-1])
    echo(f"Granica demo: database {where}")
    db.upgrade()
    users = seed_demo_users(db)
    echo("")
    echo("Demo users (user name / password / agency / role):")
    width = max(len(u.username) for u, _ in users)
    for user, created in users:
        mark = "" if created else "  (already there)"
        echo(f"  {user.username:<{width}}  {user.password:<28} {user.agency:<16} {user.role}{mark}")
    echo("")
    try:
        from granica.sis.demo import seed_demo_alerts
    except ModuleNotFoundError as exc:
        if exc.name not in ("granica.sis", "granica.sis.demo"):
            raise
        echo("Alert register not installed: no demo alerts.")
    else:
        added = seed_demo_alerts(db, count)
        echo(f"Demo alerts: {added} added (target {count:,}; a second run adds none).")
    from granica.border.demo import seed_demo_border

    echo(f"Demo border crossing points: {seed_demo_border(db)} added.")
    if settings.training:
        from granica.asylum.training import seed_population

        for first in range(0, TRAINING_PEOPLE, 5):
            with db.session() as s:
                seed_population(s, 5, first=first)
            echo(f"Training: {first + 5}/{TRAINING_PEOPLE} synthetic people in the fingerprint "
                 "database")
        echo("TRAINING NODE: synthetic data only; the live node's data are not here.")
    return db


def demo(count: int = DEMO_ALERT_COUNT, host: str | None = None, port: int | None = None,
         *, start_server: bool = True) -> None:
    from granica.settings import get_settings

    db = prepare_demo(count)
    settings = get_settings()
    url = f"http://{host or settings.host}:{port or settings.port}"
    print(f"Open {url} and log in as one of the users above. Stop with Ctrl+C.", flush=True)
    if start_server:
        serve(host, port, database=db)
