"""Acceptance in Debian's Chromium: an officer enrols a subject from FVC images in the pages,
a second enrolment of other impressions of the same fingers produces a candidate, a
fingerprint expert compares them side by side (keyboard only, zoom) and confirms, the
search's result shows the hit, and every step is audited."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from granica.asylum.gallery import forget_galleries
from granica.audit.models import AuditEntry
from tests.asylum.test_asylum_service import _folder
from tests.browser.conftest import LiveServer, keyboard_login

# --- in the browser --------------------------------------------------------------------


def tab_to(pg: Any, element_id: str, limit: int = 120) -> None:
    for _ in range(limit):
        if pg.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        pg.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def _submit(pg: Any, element_id: str) -> None:
    tab_to(pg, element_id)
    with pg.expect_navigation(wait_until="load"):
        pg.keyboard.press("Enter")


def _enrol_in_browser(pg: Any, server: LiveServer, fingers: list[int], impression: int) -> None:
    pg.goto(server.url + "/asylum/enrol")
    pg.keyboard.type("Haidari")  # the surname has the focus
    for i, f in enumerate(fingers, start=1):
        pg.set_input_files(f"#finger_{i}", str(_folder() / f"{f}_{impression}.tif"))
    for pos in range(len(fingers) + 1, 11):
        tab_to(pg, f"missing_{pos}")
        pg.select_option(f"#missing_{pos}", "bandaged")
    _submit(pg, "enrol-submit")


@pytest.mark.acceptance
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_asylum_pages_officer_enrols_expert_confirms_in_chromium(
        live_server: LiveServer, page: Any) -> None:
    forget_galleries()
    pg = page
    keyboard_login(pg, live_server, "asylum.officer", "/asylum/enrol")
    _enrol_in_browser(pg, live_server, [101, 102], 1)
    reference = pg.locator("#reference").inner_text()
    assert reference.startswith("RS1") and "CET" in pg.locator("#transmission-due").inner_text()
    _enrol_in_browser(pg, live_server, [101, 102], 3)
    search_url = pg.url.split("?")[0]
    assert reference in pg.locator("#candidate-1").inner_text()
    assert "HIT" not in pg.locator("#candidates").inner_text()
    pg.context.clear_cookies()
    keyboard_login(pg, live_server, "fingerprint.expert", "/asylum/queue")
    _submit(pg, "compare-1")
    assert pg.locator("svg.asylum-svg").count() == 4
    assert pg.locator("g.minutia.paired").count() >= 2 * 2 * 6
    # both prints drawn (the PNGs decoded by the browser), and zoom by the keyboard
    href = pg.locator("#svg-probe-1 image").get_attribute("href")
    assert pg.evaluate("(u) => fetch(u).then(r => r.headers.get('content-type'))", href) \
        == "image/png"
    before = pg.locator("#svg-probe-1").get_attribute("width")
    tab_to(pg, "zoom-in")
    pg.keyboard.press("Enter")
    assert int(pg.locator("#svg-probe-1").get_attribute("width")) > int(before)
    tab_to(pg, "decision-confirmed")
    pg.keyboard.press("Space")
    tab_to(pg, "reason")
    pg.keyboard.type("12 or more minutiae agree on both fingers")
    _submit(pg, "decide-submit")
    assert "confirmed" in pg.locator("#decided-notice").inner_text()
    pg.goto(search_url)
    assert "HIT" in pg.locator("#candidate-1").inner_text()
    with live_server.database.session() as s:
        rows = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action.in_(
            ("asylum.enrol", "asylum.compare", "asylum.image", "asylum.decide", "asylum.hit")))))
    actions = {r.action for r in rows}
    assert actions == {"asylum.enrol", "asylum.compare", "asylum.image", "asylum.decide",
                       "asylum.hit"}
    hit = next(r for r in rows if r.action == "asylum.hit")
    assert hit.username == "fingerprint.expert" and len(hit.subject_ids) == 2
