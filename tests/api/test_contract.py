"""The OpenAPI document is a contract: schemathesis generates requests from it against a real
Granica server on 127.0.0.1 and every default check must pass, once with a powerful token
(a SIRENE operator) and once with a low-privilege one (a border guard).

Bounded for a shared 2-core machine: a fixed number of examples per operation, derandomized
with a fixed seed, no stateful phase. The figures (operations, requests, seconds) are printed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.engine import Status, events

from granica.api.app import API_PREFIX
from tests.browser.conftest import LiveServer

SEED = 20261206
MAX_EXAMPLES = 10
TOKENS = {"powerful": "sirene.operator", "low-privilege": "border.guard"}


@dataclass
class Run:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def issue_tokens(server: LiveServer) -> dict[str, str]:
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    actor = system_principal("API contract tests")
    with server.database.session() as s:
        return {key: auth.issue_token(s, actor, username, name=f"contract {key}")
                for key, username in TOKENS.items()}


def run_schemathesis(schema_url: str, token: str) -> Run:
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 30,
    })
    schema = schemathesis.openapi.from_url(schema_url, config=config)
    run = Run()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            run.operations.add(recorder.label)
            run.requests += len(recorder.interactions)
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        detail = " ".join(failure.message.split())[:300]
                        run.failures[f"{recorder.label}: {check.name}: {detail}"] += 1
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            run.errors.extend(f"after run: {f.title}" for f in event.failures)
    return run


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_operation_keeps_the_openapi_contract(live_server: LiveServer) -> None:
    schema_url = f"{live_server.url}{API_PREFIX}/openapi.json"
    problems = []
    for key, token in issue_tokens(live_server).items():
        started = time.monotonic()
        run = run_schemathesis(schema_url, token)
        elapsed = time.monotonic() - started
        print(f"schemathesis ({key} token): {len(run.operations)} operations, "
              f"{run.requests} requests, {elapsed:.1f} s")
        problems += [f"[{key}] {name} (x{n})" for name, n in sorted(run.failures.items())]
        problems += [f"[{key}] error: {text}" for text in run.errors]
        assert run.operations, "schemathesis tested no operation"
    assert not problems, "the API breaks its OpenAPI contract:\n" + "\n".join(problems)
