"""A guard at a lane, as a new user would work: log in, open the lane screen, let the MRZ
reader type a passport (keyboard wedge) and read GO; then a traveller whose alert was
entered in Cyrillic, and read HIT with the action to be taken (issue 6, "Done when")."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from granica import clock
from granica.border import service
from granica.cli.serve import DEMO_USERS
from granica.sis.categories import CATEGORIES
from granica.web import gettext
from tests.border.conftest import SUPERVISOR, enter_alert, td3
from tests.browser.conftest import LiveServer, wait_for_focus

BCP = "RS-HORGOS"
# the decision words are shown in the demo guard's own language (sr-Latn)
GUARD_LANGUAGE = next(u.language for u in DEMO_USERS if u.username == "border.guard")
# the action to be taken, as the category declares it, in the guard's language
ARREST = gettext(GUARD_LANGUAGE, CATEGORIES["arrest"].action_to_be_taken)


def scan(page: Any, mrz: str) -> None:
    """What a keyboard-wedge MRZ reader does: type each line and press Enter. The last
    Enter submits the check; wait until the answer page has loaded with its style sheet
    and its script (which puts the focus back in the MRZ field), not just until its first
    element exists: on a loaded machine those are seconds apart."""
    page.locator("#mrz").focus()
    lines = mrz.split("\n")
    for line in lines[:-1]:
        page.keyboard.type(line)
        page.keyboard.press("Enter")
    page.keyboard.type(lines[-1])
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    wait_for_focus(page, "mrz")


def shoot(page: Any, name: str) -> None:
    """With GRANICA_SCREENSHOTS=folder, keep what the guard saw."""
    folder = os.environ.get("GRANICA_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


@pytest.mark.acceptance
def test_border_guard_checks_go_then_cyrillic_alert_hit(live_server: LiveServer, page: Any) -> None:
    db = live_server.database
    with db.session() as s:
        service.add_crossing_point(s, SUPERVISOR, code=BCP, name="Horgoš", neighbour="HUN",
                                   lanes=[("P1", "entry", "all")], purpose="reference data")
    enter_alert(db, "arrest", {
        "surname": "Ђорђевић", "forenames": "Никола", "sex": "M", "date_of_birth": "1984-06-21",
        "warning_markers": ["violent"], "reason": "armed robbery",
        "issuing_authority": "Higher Court in Novi Sad", "warrant_reference": "K-77/2026"})
    expiry = (clock.today() + dt.timedelta(days=4 * 365)).strftime("%y%m%d")

    page.goto(live_server.url + "/border/lane")
    page.wait_for_url("**/login?**")
    page.fill("#username", "border.guard")
    page.fill("#password", live_server.users["border.guard"])
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/border/lane")
    page.wait_for_load_state()

    # the MRZ field has the focus: the reader can type at once
    wait_for_focus(page, "mrz")
    scan(page, td3("HARRIS", "EMILY", "533112244", "GBR", "910417", expiry, sex="F"))
    page.wait_for_selector("[data-decision]")
    assert page.locator("[data-decision]").get_attribute("data-decision") == "go"
    assert page.locator("#decision-word").inner_text().strip() == gettext(GUARD_LANGUAGE, "GO")
    assert "HARRIS" in page.locator("#result").inner_text()
    shoot(page, "border-lane-go.png")

    # the next traveller: the field is ready again, the alert was entered in Cyrillic
    assert page.evaluate("() => document.activeElement.id") == "mrz"
    scan(page, td3("DJORDJEVIC", "NIKOLA", "009988776", "SRB", "840621", expiry))
    page.wait_for_selector("[data-decision='hit']")
    assert page.locator("#decision-word").inner_text().strip() == gettext(GUARD_LANGUAGE, "HIT")
    result = page.locator("#result").inner_text()
    assert ARREST in result and ARREST != CATEGORIES["arrest"].action_to_be_taken
    # warnings come first, above the decision and the action
    assert result.index("VIOLENT") < result.index(gettext(GUARD_LANGUAGE, "HIT")) < result.index(ARREST)
    shoot(page, "border-lane-hit.png")
