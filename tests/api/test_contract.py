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
MAX_EXAMPLES = 5
TOKENS = {"powerful": "sirene.operator", "low-privilege": "border.guard"}

# Operations whose schema-valid requests a rule the schema cannot state may refuse with 422
# (positive_data_acceptance then accepts 422 there, and only there): a rule across fields,
# one over stored state, or one per alert category.
BUSINESS_RULES = {
    ("POST", "/api/v1/alerts"): "the mandatory fields of each category (sis/categories.py)",
    ("PUT", "/api/v1/alerts/{alert_id}"): "the fields of the alert's category",
    ("POST", "/api/v1/alerts/{alert_id}/validate"): "four eyes: not the user who entered it",
    ("GET", "/api/v1/alerts/search/vehicle"): "a VIN or a plate, at least one of the two",
    ("POST", "/api/v1/border/checks"): "a crossing point of the reference data",
    ("POST", "/api/v1/border/refusals"): "a crossing point of the reference data",
    ("POST", "/api/v1/cooperation/profiles"): "at least one criterion besides direction, hours",
    ("POST", "/api/v1/dpo/subject-report"): "a surname, a document number or a record id",
    ("POST", "/api/v1/dpo/export"): "a surname, a document number or a record id",
}
ACCEPTED = ["2xx", "3xx", 401, 403, 404, 409, 429]


@dataclass
class Run:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def issue_tokens(server: LiveServer) -> dict[str, str]:
    """Tokens of the two users, and the crossing point of the border examples."""
    from granica.auth import service as auth
    from granica.auth.principal import system_principal
    from granica.border import service as border

    actor = system_principal("API contract tests")
    with server.database.session() as s:
        border.add_crossing_point(s, actor, code="RS-BATROVCI", name="Batrovci", kind="road",
                                  neighbour="HRV", lanes=[("E1", "entry", "all"),
                                                          ("L3", "entry", "all")],
                                  purpose="reference data")
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


def run_schemathesis(schema_url: str, token: str, every_method: bool) -> Run:
    """One run of every phase but the stateful one; `every_method` sends each method a path
    does not declare (the answer, 405 with Allow, does not depend on who asks: once is enough)."""
    coverage = {} if every_method else {"unexpected-methods": ["PATCH"]}
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}, "coverage": coverage},
        "request-timeout": 30,
        "operations": [
            {"include-method": method, "include-path": path,
             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 422]}}}
            for method, path in BUSINESS_RULES
        ],
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
        run = run_schemathesis(schema_url, token, every_method=key == "powerful")
        elapsed = time.monotonic() - started
        print(f"schemathesis ({key} token): {len(run.operations)} operations, "
              f"{run.requests} requests, {elapsed:.1f} s")
        problems += [f"[{key}] {name} (x{n})" for name, n in sorted(run.failures.items())]
        problems += [f"[{key}] error: {text}" for text in run.errors]
        assert run.operations, "schemathesis tested no operation"
    assert not problems, "the API breaks its OpenAPI contract:\n" + "\n".join(problems)
