"""Scheduled jobs: a small registry that domains add their periodic work to, run once by
`granica jobs run` and continuously by `granica serve` in a background thread.

A job is a function of the Database, run at most once per interval; it opens its own
transactions (as the system principal when it touches audited data) and returns
something worth logging. A domain registers its jobs by calling `register()` from its
`granica/<domain>/jobs.py`, found in every package laid out as a domain (with a service.py);
the platform's own jobs are wired below. This module names no domain and no interface:
whoever counts job runs (the metrics) subscribes with `add_observer()`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import pkgutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import granica
from granica import clock
from granica.storage import Database

log = logging.getLogger("granica.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Database], Any]
    every: dt.timedelta
    description: str = ""


@dataclass
class JobResult:
    name: str
    ok: bool
    result: Any = None
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.name, "ok": self.ok, "result": self.result, "error": self.error,
                "seconds": round(self.seconds, 3)}


_registry: dict[str, Job] = {}
_nudged: set[str] = set()  # jobs asked to run at the scheduler's next look, before their time
_nudge = threading.Event()
_observers: list[Callable[[JobResult], None]] = []
_loaded = False
_load_lock = threading.Lock()


def register(name: str, run: Callable[[Database], Any], every: dt.timedelta,
             description: str = "") -> Job:
    """Add (or replace) a job; domains call this when their jobs module is imported."""
    job = Job(name, run, every, description)
    _registry[name] = job
    return job


def nudge(name: str) -> None:
    """Ask a running scheduler to run the job `name` now (a hit that the SIRENE Bureau must
    take up at once, say) instead of at its next interval; unknown names are ignored."""
    with _load_lock:
        _nudged.add(name)
    _nudge.set()


def nudge_after_commit(session: Any, name: str) -> None:
    """`nudge(name)` once the session's transaction has committed (the work is visible)."""
    from sqlalchemy import event

    key = f"nudge:{name}"
    if session.info.get(key) is None:

        def after_commit(s: Any) -> None:  # a savepoint's release fires this too: wait for the end
            if not s.in_nested_transaction() and s.info.get(key):
                s.info[key] = False
                nudge(name)

        event.listen(session, "after_commit", after_commit)
    session.info[key] = True


def add_observer(observer: Callable[[JobResult], None]) -> None:
    """Call `observer` with the result of every job run (the metrics count them)."""
    _observers.append(observer)


def job_modules() -> list[str]:
    """The domains' jobs modules, in name order: `granica.<package>.jobs` of every package
    laid out as a domain (with a `service.py`; granica.cli's `jobs` is a command)."""
    def has(package: str, module: str) -> bool:
        return importlib.util.find_spec(f"granica.{package}.{module}") is not None

    return [f"granica.{m.name}.jobs" for m in sorted(pkgutil.iter_modules(granica.__path__),
                                                     key=lambda m: m.name)
            if m.ispkg and has(m.name, "jobs") and has(m.name, "service")]


def _optional_module(name: str) -> ModuleType | None:
    # a module not written yet is skipped; one that exists and fails to import is an error
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and name.startswith(missing) and (missing == name or name[len(missing)] == "."):
            return None
        raise


def _system(purpose: str) -> Any:
    from granica.auth.principal import system_principal

    return system_principal(purpose)


def _wire_known_jobs() -> None:
    """The platform's own periodic work (audit signing and pruning, session expiry)."""
    if _optional_module("granica.audit.appender") is not None:
        from granica.audit.appender import chain_pending

        def append_audit(db: Database) -> Any:
            return {"chained": chain_pending(db.engine)}

        register("audit.append", append_audit, dt.timedelta(seconds=30),
                 "chain committed audit rows still pending (left by a stopped or crashed process)")
    if _optional_module("granica.audit.signing") is not None:
        from granica.audit.signing import sign_head_if_due

        register("audit.sign_head", sign_head_if_due, dt.timedelta(minutes=5),
                 "sign the audit chain head into the anchor file (when the signing interval passed)")
    if _optional_module("granica.audit.prune") is not None:
        from granica.audit.prune import prune

        def prune_audit(db: Database) -> Any:
            return prune(db).to_dict()

        register("audit.prune", prune_audit, dt.timedelta(days=1),
                 "prune audit rows past the retention period, keeping a signed checkpoint")
    auth = _optional_module("granica.auth.service")
    if auth is not None and hasattr(auth, "purge_expired_sessions"):
        def purge_sessions(db: Database) -> Any:
            with db.session() as s:
                return auth.purge_expired_sessions(s)

        register("auth.purge_sessions", purge_sessions, dt.timedelta(minutes=15),
                 "forget expired browser sessions")


def load_jobs() -> dict[str, Job]:
    """Every registered job (the packages' jobs modules are imported on first call)."""
    global _loaded
    with _load_lock:
        if not _loaded:
            _wire_known_jobs()
            for module in job_modules():
                importlib.import_module(module)
            _loaded = True
    return dict(_registry)


def run_job(job: Job, db: Database) -> JobResult:
    """Run one job; a failure is logged and reported, never raised (the others still run)."""
    started = time.perf_counter()
    try:
        result = job.run(db)
    except Exception as exc:  # one broken job must not stop the scheduler
        log.exception("job failed", extra={"fields": {"job": job.name}})
        out = JobResult(job.name, False, error=f"{type(exc).__name__}: {exc}",
                        seconds=time.perf_counter() - started)
    else:
        out = JobResult(job.name, True, result=result, seconds=time.perf_counter() - started)
        log.info("job done", extra={"fields": out.to_dict()})
    for observer in _observers:
        observer(out)
    return out


def run_all(db: Database, names: list[str] | None = None) -> list[JobResult]:
    """Run every job (or the named ones) once, now. Unknown names are refused."""
    from granica.errors import ValidationError

    jobs = load_jobs()
    if names:
        unknown = [n for n in names if n not in jobs]
        if unknown:
            raise ValidationError(f"unknown job(s) {', '.join(unknown)}; known jobs: "
                                  f"{', '.join(sorted(jobs))}", field="job")
        chosen = [jobs[n] for n in names]
    else:
        chosen = [jobs[n] for n in sorted(jobs)]
    return [run_job(job, db) for job in chosen]


@dataclass
class Scheduler:
    """Runs each job when its interval has passed since its last run (all of them at start)."""

    db: Database
    tick_seconds: float = 30.0
    last_run: dict[str, dt.datetime] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def due(self) -> list[Job]:
        now = clock.now()
        with _load_lock:
            asked = set(_nudged)
            _nudged.clear()
        return [job for name, job in sorted(load_jobs().items())
                if name in asked or name not in self.last_run
                or now - self.last_run[name] >= job.every]

    def run_due(self) -> list[JobResult]:
        results = []
        for job in self.due():
            if self._stop.is_set():
                break
            results.append(run_job(job, self.db))
            self.last_run[job.name] = clock.now()
        return results

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            _nudge.wait(self.tick_seconds)  # a nudge, a stop or the tick, whichever comes first
            _nudge.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="granica-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        _nudge.set()
        if self._thread is not None:
            self._thread.join(timeout)
