"""A customs officer and a risk analyst in headless Chromium (issue 14): the seizure form is
filled and sent with the keyboard alone, a wrong quantity is named on the page and nothing is
stored, the record page shows what was stored, and the month's analysis draws it in a chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from granica.border import service as border
from granica.cooperation.models import CoopRecord
from tests.border.conftest import SUPERVISOR
from tests.browser.conftest import LiveServer, keyboard_login

BCP = "RS-BATROVCI"


def stored_records(server: LiveServer) -> int:
    with server.database.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(CoopRecord)) or 0)


def fill_by_keyboard(page: Any, values: dict[str, str]) -> None:
    """Focus each field with the keyboard (Tab from the one before) and type, as a user would
    who never takes the mouse: a field the Tab order skips fails here."""
    for field, value in values.items():
        for _ in range(40):
            if page.evaluate("() => document.activeElement && document.activeElement.id") == field:
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError(f"Tab never reached #{field}")
        tag = page.evaluate("() => document.activeElement.tagName")
        if tag == "SELECT":
            page.select_option(f"#{field}", value)
        else:
            page.keyboard.type(value)


@pytest.mark.acceptance
def test_cooperation_seizure_form_record_and_chart_in_the_browser(
        live_server: LiveServer, page: Any) -> None:
    with live_server.database.session() as s:
        border.add_crossing_point(s, SUPERVISOR, code=BCP, name="Batrovci", kind="road",
                                  neighbour="HRV", lanes=[("E1", "entry", "all")],
                                  purpose="reference data")
    keyboard_login(page, live_server, "customs.officer", "/cooperation/new/seizure")
    when = (dt.datetime.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    page.locator("#occurred_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#occurred_at").focus()
    fields = {"bcp": BCP, "category": "cigarettes", "quantity": "-5"}
    fill_by_keyboard(page, fields)
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    error = page.locator("#form-error")
    assert "greater than 0" in error.inner_text()
    assert page.locator("#quantity").get_attribute("aria-invalid") == "true"
    assert stored_records(live_server) == 0  # nothing half-stored

    page.locator("#quantity").fill("")
    page.locator("#quantity").focus()
    page.keyboard.type("120000")
    fill_by_keyboard(page, {"hs_code": "240220", "vehicle_plate": "BG 1234 AB",
                            "carrier": "Trans Balkan d.o.o."})
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert "/cooperation/records/" in page.url
    body = page.locator("main").inner_text()
    assert "SZ-RS-" in body and "120000" in body and "BG 1234 AB" in body
    assert stored_records(live_server) == 1

    page.context.clear_cookies()
    month = when.strftime("%Y-%m")
    keyboard_login(page, live_server, "risk.analyst", f"/analysis?month={month}")
    chart = page.locator("svg").first
    assert chart.is_visible()
    assert "igarette" in page.locator("main").inner_text()  # Cigarettes / cigarettes
