"""A person using only the keyboard logs in, switches to Cyrillic and logs out."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, wait_for_focus


def tab_to(page: Any, selector: str, limit: int = 30) -> None:
    """Press Tab until the element matching `selector` has the focus (as a person would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def focus_ring(page: Any) -> str:
    return str(page.evaluate(
        "() => getComputedStyle(document.activeElement).outlineStyle + ' ' +"
        " getComputedStyle(document.activeElement).outlineWidth"))


@pytest.mark.acceptance
def test_keyboard_only_login_switch_to_cyrillic_and_logout(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.url.endswith("/login")
    assert page.title().startswith("Log in")

    # the user name field has the focus when the page opens, visibly marked
    wait_for_focus(page, "username")
    assert focus_ring(page).startswith("solid")
    page.keyboard.type("border.guard")
    page.keyboard.press("Tab")
    page.keyboard.type(live_server.users["border.guard"])
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    assert page.locator("h1").inner_text().startswith(("Welcome", "Dobro došli"))
    assert "Marko Marković" in page.locator("header").inner_text()

    # the skip link is the first stop, shows itself, and moves the focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    tab_to(page, 'button[name="language"][value="sr-Cyrl"]')
    assert focus_ring(page).startswith("solid")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.wait_for_selector('html[lang="sr-Cyrl"]')
    assert "Ваша овлашћења" in page.locator("main").inner_text()
    assert "Управа граничне полиције" in page.locator("header").inner_text()
    shots = os.environ.get("GRANICA_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "home-sr-Cyrl.png"), full_page=True)

    tab_to(page, "form.logout button")
    assert page.evaluate("() => document.activeElement.innerText").strip() == "Одјава"
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?flash=logged_out")
    assert "Одјавили сте се" in page.locator("main").inner_text()
    # logged out for real: the home page sends us back to the login form
    page.goto(live_server.url + "/")
    assert "/login" in page.url
