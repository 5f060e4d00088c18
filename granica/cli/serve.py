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
          migrate: bool = False, database: Database | None = None) -> None:
    """Serve API and pages with uvicorn; scheduled jobs run in a background thread."""
    import faulthandler
    import signal

    import uvicorn

    from granica.api.app import create_app
    from granica.audit.appender import start_appender
    from granica.exchange.worker import DeliveryWorker
    from granica.jobs import Scheduler
    from granica.ops.logging import configure_logging
    from granica.settings import get_settings
    from granica.storage import get_database

    settings = get_settings()
    configure_logging(settings.log_level)
    # `kill -USR1 <pid>` prints every thread's stack to standard error: what a stuck node is doing
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    db = database or get_database()
    if migrate:
        db.upgrade()
    _check_schema(db)
    _warm_up_fingerprints()
    app = create_app(db)
    scheduler = Scheduler(db) if jobs else None
    # Messages to and from other nodes (SIRENE bureaux, the central system): delivered
    # off the request path, retried while a peer is down.
    # (none on a training node: its data are synthetic and go nowhere)
    delivery = None if settings.training else DeliveryWorker(db)
    config = uvicorn.Config(
        app, host=host or settings.host, port=port or settings.port, log_config=None,
        access_log=False, server_header=False, proxy_headers=False,
    )
    server = uvicorn.Server(config)
    log.info("serving", extra={"fields": {"url": f"http://{config.host}:{config.port}",
                                          "database": db.dialect, "jobs": jobs,
                                          "domains": app.state.mounted_domains}})
    if scheduler is not None:
        scheduler.start()
    # audit rows are chained off the request path, woken by each commit (granica.audit.appender)
    appender = start_appender(db.engine)
    if delivery is not None:
        delivery.start()
    try:
        server.run()
    finally:
        if delivery is not None:
            delivery.stop()
        if scheduler is not None:
            scheduler.stop()
        appender.stop()
        db.dispose()


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
