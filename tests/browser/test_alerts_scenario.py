"""Issue 2, "Done when", as a new user would try it in a real browser: a police officer enters
an alert on a Latin-script name, a second user validates it (four eyes), a border guard finds
it by the Cyrillic spelling and sees the action to be taken; every step is in the audit log,
`granica audit verify` passes, and fails naming the row once a row is altered in the database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from granica.audit.signing import sign_head
from granica.audit.verify import verify
from granica.cli.serve import DEMO_USERS
from granica.sis.categories import CATEGORIES
from granica.storage import Database
from granica.web import gettext
from tests.browser.conftest import LiveServer, keyboard_login, wait_for_focus

ROOT = Path(__file__).resolve().parents[2]
ALERT_URL = re.compile(r".*/alerts/([0-9a-f-]{36})$")

CREATE_PURPOSE = "EAW K-412/2026 from the Higher Court in Belgrade"
SEARCH_PURPOSE = "first-line check, Batrovci bus lane 3"
READ_PURPOSE = "border check"  # the border guard role's default purpose
DOB = "1979-03-14"
GUARD_LANGUAGE = next(u.language for u in DEMO_USERS if u.username == "border.guard")



def logout(page: Any) -> None:
    page.locator("form.logout button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?flash=logged_out")


def forced_validate(page: Any, server: LiveServer, alert_id: str) -> Any:
    """What a user could send without the button: the validate POST with a valid CSRF token."""
    token = page.locator("form.logout input[name=csrf_token]").input_value()
    return page.request.post(f"{server.url}/alerts/{alert_id}/validate",
                             form={"csrf_token": token}, max_redirects=0)


def enter_arrest_alert(page: Any, server: LiveServer, *, surname: str, forenames: str, dob: str,
                       warrant: str, purpose: str) -> str:
    """Fill the entry form for an arrest alert and save it; returns the new alert's id."""
    page.goto(server.url + "/alerts/new?category=arrest")
    page.fill("#surname", surname)
    page.fill("#forenames", forenames)
    page.select_option("#sex", "M")
    page.fill("#date_of_birth", dob)
    page.check("#warning_markers-armed")
    page.fill("#reason", "armed robbery of a post office, escaped before the trial")
    page.fill("#issuing_authority", "Higher Court in Belgrade")
    page.fill("#warrant_reference", warrant)
    page.fill("#purpose", purpose)
    page.click("#save-alert")
    page.wait_for_url(ALERT_URL)
    match = ALERT_URL.match(page.url)
    assert match, page.url
    return match.group(1)


def audit_rows(db: Database) -> list[Any]:
    with db.session() as s:
        return list(s.execute(sa.text(
            "SELECT seq, username, action, purpose, subject_ids, query, result_count, outcome "
            "FROM audit_log ORDER BY seq")).all())


def ids_of(row: Any) -> list[str]:
    value = row.subject_ids
    return json.loads(value) if isinstance(value, str) else list(value or [])


def query_of(row: Any) -> dict[str, Any]:
    value = row.query
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def cli_verify(db: Database) -> tuple[int, dict[str, Any]]:
    """`granica audit verify --json` in its own process, on this database and data folder
    (the folder holds the signing key and the anchors file)."""
    env = dict(os.environ, GRANICA_DATABASE_URL=db.url,
               GRANICA_DATA_DIR=os.environ["GRANICA_DATA_DIR"])
    python = ROOT / ".venv" / "bin" / "python"
    proc = subprocess.run([str(python if python.exists() else sys.executable), "-m", "granica",
                           "audit", "verify", "--json"],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON from the CLI (exit {proc.returncode}): "
                             f"{proc.stdout!r} {proc.stderr!r}") from exc


@pytest.mark.acceptance
def test_enter_validate_find_in_cyrillic_audited_and_verified(live_server: LiveServer,
                                                               page: Any) -> None:
    db = live_server.database
    arrest = CATEGORIES["arrest"]

    # --- 1. a police officer enters the alert through the form --------------------------------
    keyboard_login(page, live_server, "police.officer", "/alerts/new?category=arrest")
    alert_id = enter_arrest_alert(page, live_server, surname="Jovanović", forenames="Đorđe",
                                  dob=DOB, warrant="K-412/2026", purpose=CREATE_PURPOSE)
    assert page.locator("#alert-status").inner_text().strip().lower() == "draft"
    assert "not yet validated" in page.locator("#warnings").inner_text()
    # the creator is offered no way to validate, and the server refuses it all the same
    assert page.locator("#validate").count() == 0
    refused = forced_validate(page, live_server, alert_id)
    assert refused.status == 403, refused.status
    logout(page)

    # --- 2. a validator: cannot validate their own alert, validates the officer's -------------
    keyboard_login(page, live_server, "police.validator", "/alerts/queue")
    own_id = enter_arrest_alert(page, live_server, surname="Petrović", forenames="Petar",
                                dob="1990-01-02", warrant="K-413/2026", purpose="own entry")
    assert page.locator("#validate").count() == 0  # no button on one's own alert
    page.goto(live_server.url + "/alerts/queue")
    own_row = page.locator(f'tr[data-alert-id="{own_id}"]')
    assert own_row.count() == 1
    assert own_row.locator("button").count() == 0
    assert "colleague must validate" in own_row.inner_text()
    four_eyes = forced_validate(page, live_server, own_id)
    assert four_eyes.status == 422, four_eyes.status
    assert "four eyes" in four_eyes.text()

    page.focus(f"#validate-{alert_id}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/alerts/{alert_id}")
    assert page.locator("#alert-status").inner_text().strip().lower() == "active"
    logout(page)
    with db.session() as s:
        statuses = dict(s.execute(sa.text("SELECT id, status FROM sis_alert WHERE id IN (:a, :b)"),
                                  {"a": alert_id, "b": own_id}).all())
    assert statuses == {alert_id: "active", own_id: "draft"}

    # --- 3. a border guard searches in Cyrillic and opens the alert -------------------------
    keyboard_login(page, live_server, "border.guard", "/alerts")
    wait_for_focus(page, "name")
    page.keyboard.type("Ђорђе Јовановић")
    page.fill("#date_of_birth", DOB)
    page.fill("#purpose-person", SEARCH_PURPOSE)
    with page.expect_navigation(wait_until="load"):
        page.click("#search-person")
    page.wait_for_selector("#results")
    hit = page.locator(f'#results li.result[data-alert-id="{alert_id}"]')
    assert hit.count() == 1, page.locator("main").inner_text()
    assert page.locator(f'#results li.result[data-alert-id="{own_id}"]').count() == 0
    # the action to be taken, in the guard's language (the demo guard reads Serbian Latin)
    action = gettext(GUARD_LANGUAGE, arrest.action_to_be_taken)
    assert action != arrest.action_to_be_taken
    assert action in hit.locator(".result-action").inner_text()
    assert "armed" in hit.locator(".result-warnings").inner_text()

    # the guard opens the alert from its result (the read carries the role's default purpose)
    hit.locator(f'a[href="/alerts/{alert_id}"]').click()
    page.wait_for_url(f"**/alerts/{alert_id}")
    assert page.locator("#action-to-be-taken").inner_text().strip() == action
    warnings = page.locator("#warnings").inner_text()
    assert "armed" in warnings and "not yet validated" not in warnings
    # the officer reads what to do and the warnings before the data
    assert page.evaluate(
        "() => !!(document.querySelector('#warnings').compareDocumentPosition("
        "document.querySelector('#alert-data')) & Node.DOCUMENT_POSITION_FOLLOWING)")
    assert "Jovanović" in page.locator("#alert-data").inner_text()
    logout(page)

    # --- 4. every step is in the audit log ----------------------------------------------------
    rows = audit_rows(db)

    def find(action: str, username: str, outcome: str = "ok") -> list[Any]:
        return [r for r in rows if r.action == action and r.username == username
                and r.outcome == outcome and alert_id in ids_of(r)]

    created = find("alerts.create", "police.officer")
    assert len(created) == 1 and created[0].purpose == CREATE_PURPOSE
    assert len(find("alerts.validate", "police.officer", "denied")) == 1
    validated = find("alerts.validate", "police.validator")
    assert len(validated) == 1
    assert not [r for r in rows if r.action == "alerts.validate" and r.outcome == "ok"
                and own_id in ids_of(r)]
    searched = find("alerts.search.person", "border.guard")
    assert len(searched) == 1, [(r.action, r.username, r.outcome) for r in rows]
    search_row = searched[0]
    assert search_row.purpose == SEARCH_PURPOSE
    assert search_row.result_count is not None and search_row.result_count >= 1
    assert "Ђорђе Јовановић" in json.dumps(query_of(search_row), ensure_ascii=False)
    read = [r for r in find("alerts.read", "border.guard") if r.purpose == READ_PURPOSE]
    assert len(read) == 1
    assert created[0].seq < validated[0].seq < search_row.seq < read[0].seq
    logins = {r.username for r in rows if r.action == "auth.login" and r.outcome == "ok"}
    assert {"police.officer", "police.validator", "border.guard"} <= logins

    # --- 5. the chain verifies, in the process and with the CLI, against a signed head ---------
    assert sign_head(db) is not None
    result = verify(db)
    assert result.ok, result.message
    assert result.rows_checked == len(rows) and result.anchors_checked >= 1
    code, report = cli_verify(db)
    assert code == 0 and report["ok"] is True, report
    assert report["rows_checked"] == len(rows) and report["anchors_checked"] >= 1

    # --- 6. a row altered in the database is named by both -----------------------------------
    with db.session() as s:
        s.execute(sa.text("UPDATE audit_log SET purpose = 'x' WHERE seq = :seq"),
                  {"seq": search_row.seq})
    broken = verify(db)
    assert not broken.ok
    assert broken.first_bad_seq == search_row.seq and broken.problem == "changed"
    assert f"row {search_row.seq}" in broken.message
    code, report = cli_verify(db)
    assert code == 1, report
    assert report["ok"] is False and report["first_bad_seq"] == search_row.seq
    assert report["problem"] == "changed" and f"row {search_row.seq}" in report["message"]
