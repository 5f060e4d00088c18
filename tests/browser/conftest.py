"""Browser harness: a real Granica server on a free 127.0.0.1 port over a fresh database
(SQLite and PostgreSQL through the `database` fixture) with the demo users, and Debian's
Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from granica.storage import Database

CHROMIUM = os.environ.get("GRANICA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def wait_for_focus(page: object, element_id: str, timeout_ms: float = 10_000) -> None:
    """Wait until the element with this id has the focus. A page gives it with `autofocus`
    or a script, which Chromium applies at its next rendering step, after the load event
    on a busy machine: asserting the focus right after the load is a race."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "(id) => document.activeElement && document.activeElement.id === id",
        arg=element_id, timeout=timeout_ms)


@dataclass
class LiveServer:
    url: str
    database: Database
    users: dict[str, str]  # username -> password


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same algorithm (argon2id) at minimal cost: the server runs in this process."""
    from argon2 import PasswordHasher, Type

    from granica.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def live_server(database: Database) -> Iterator[LiveServer]:
    """uvicorn serving create_app(database) in a thread, on a socket bound before it starts."""
    import uvicorn

    from granica.api.app import create_app
    from granica.cli.serve import seed_demo_users

    users = {u.username: u.password for u, _ in seed_demo_users(database)}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(database), log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", database, users)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium, headless; each launch has its own new, empty profile folder."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # keep Playwright from ever looking for (or fetching) its own browsers
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (no cookies, no storage) and one page in it."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def keyboard_login(page: Any, server: LiveServer, username: str, target: str) -> None:
    """Open a page, get sent to the login form, and log in with the keyboard only; returns
    once the target page has loaded."""
    page.goto(server.url + target)
    page.wait_for_url("**/login**")
    # the user name field has the focus as the page opens
    wait_for_focus(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(server.users[username])
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    page.wait_for_url(server.url + target)
