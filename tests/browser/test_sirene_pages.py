"""The SIRENE operator in headless Chromium, with the keyboard alone: the duty board shows a
form G received from Croatia with its answer due (in local time), the case opens from the
board, the editor answers it with an M (a missing field is named first), and the board then
shows nothing due."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from tests.browser.conftest import LiveServer, keyboard_login
from tests.sirene.conftest import (  # noqa: F401
    RS_MISSING,
    form_body,
    peer_keys,
    receive,
    signed,
    sirene_db,
)


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def _hit_from_croatia(number: int) -> dict[str, Any]:
    """A form G from Croatia: our missing person's alert was hit at Bajakovo."""
    return form_body("G", f"HR-F-2026-{number:06d}", {
        "surname": "Petrović", "forename": "Ana", "hit_time": "2026-12-07T08:40",
        "hit_place": "Bajakovo", "circumstances": "found at the border",
        "action_taken": "whereabouts recorded"}, schengen_id=RS_MISSING)


@pytest.mark.acceptance
def test_sirene_duty_board_and_case_answered_with_the_keyboard(
        live_server: LiveServer, page: Any, sirene_db: Any,  # noqa: F811
        peer_keys: dict[str, Ed25519PrivateKey]) -> None:  # noqa: F811
    assert receive(live_server.database, signed(
        peer_keys["HR"], "HR", "HR-C-2026-000021", 1, _hit_from_croatia(21))) == ["accepted"]
    keyboard_login(page, live_server, "sirene.operator", "/sirene")
    assert page.locator("#count-due").inner_text() == "1"
    due = (clock.now() + dt.timedelta(hours=12)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    row = page.locator("#due tbody tr").first
    assert "HR-F-2026-000021" in row.inner_text()
    assert due.strftime("%H:") in row.inner_text() and "CET" in row.inner_text()  # local time
    link = page.locator("#due tbody tr a").first
    link_id = "case-link"
    page.evaluate(f"() => document.querySelector('#due tbody tr a').id = '{link_id}'")
    tab_to(page, link_id)
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert "/sirene/cases/RS-C-" in page.url and link is not None
    tab_to(page, "answer-HR-F-2026-000021")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    tab_to(page, "send-form")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")  # the text is missing
    assert "083" in page.locator("#form-error").inner_text()
    assert page.locator("#f_text").get_attribute("aria-invalid") == "true"
    tab_to(page, "f_text")
    page.keyboard.type("Whereabouts passed to the issuing authority")
    tab_to(page, "send-form")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert "RS-F-" in page.locator("#sent-notice").inner_text()
    assert "RS-F-" in page.locator("#answered-HR-F-2026-000021").inner_text()
    page.goto(live_server.url + "/sirene")
    assert page.locator("#count-due").inner_text() == "0"
    assert page.locator("#count-waiting").inner_text() == "0"


@pytest.mark.acceptance
def test_sirene_duty_board_refreshes_itself_and_can_be_paused(
        live_server: LiveServer, page: Any, sirene_db: Any,  # noqa: F811
        peer_keys: dict[str, Ed25519PrivateKey],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from granica.settings import reset_settings

    monkeypatch.setenv("GRANICA_SIRENE_DUTY_REFRESH_SECONDS", "1")
    reset_settings()
    keyboard_login(page, live_server, "sirene.operator", "/sirene")
    assert page.locator("#count-due").inner_text() == "0"
    assert "1" in page.locator("#refresh-note").inner_text()
    # a form arrives while the board is open: it shows without a reload
    assert receive(live_server.database, signed(
        peer_keys["HR"], "HR", "HR-C-2026-000031", 1, _hit_from_croatia(31))) == ["accepted"]
    page.wait_for_function("() => document.getElementById('count-due').textContent === '1'",
                           timeout=20_000)
    assert "HR-F-2026-000031" in page.locator("#due tbody").inner_text()
    # paused with the keyboard: a second form does not show until the refresh is resumed
    tab_to(page, "refresh-toggle")
    page.keyboard.press("Enter")
    assert page.locator("#refresh-toggle").get_attribute("aria-pressed") == "true"
    # a refresh already on its way when the pause was pressed lands first
    page.wait_for_function(
        "() => document.getElementById('duty-board').getAttribute('aria-busy') !== 'true'",
        timeout=20_000)
    assert receive(live_server.database, signed(
        peer_keys["HR"], "HR", "HR-C-2026-000032", 1, _hit_from_croatia(32))) == ["accepted"]
    page.wait_for_timeout(2_500)  # more than two refresh periods
    assert page.locator("#count-due").inner_text() == "1"
    page.keyboard.press("Enter")  # the focus stayed on the toggle: resume, refreshed at once
    assert page.locator("#refresh-toggle").get_attribute("aria-pressed") == "false"
    page.wait_for_function("() => document.getElementById('count-due').textContent === '2'",
                           timeout=20_000)
    assert page.evaluate("() => document.activeElement.id") == "refresh-toggle"
