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
from typing import Any

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


def answer(recorder: Any, case_id: str) -> str:
    """The request that failed and what the server answered, for the failure report."""
    interaction = recorder.interactions.get(case_id)
    if interaction is None or interaction.response is None:
        return ""
    request, response = interaction.request, interaction.response
    body = (request.body or b"")[:200].decode("utf-8", "replace")
    return (f" <- {request.method} {request.uri[:200]} {body} -> {response.status_code} "
            f"{response.content[:200].decode('utf-8', 'replace')}")


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
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        detail = " ".join(check.failure_info.failure.message.split())[:200]
                        run.failures[f"{recorder.label}: {check.name}: {detail}"
                                     f"{answer(recorder, case_id)}"] += 1
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
