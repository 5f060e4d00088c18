"""Fixtures of the API contract tests: the browser tests' live server (uvicorn on a free
127.0.0.1 port over a fresh database with the demo users) and its cheap password hashing."""

from tests.browser.conftest import _cheap_password_hashing, live_server

__all__ = ["_cheap_password_hashing", "live_server"]
