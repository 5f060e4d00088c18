"""Logging in and out of the pages, CSRF protection, bearer tokens for the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import ADMIN, GUARD, Seeded, csrf_of, login


def test_page_without_login_redirects_to_login_and_back(client: TestClient) -> None:
    r = client.get("/api/docs?x=1")
    assert r.status_code == 200  # the API reference is public
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    target = login(client, *GUARD, next_url="/api/docs")
    assert target == "/api/docs"
    home = client.get("/")
    assert home.status_code == 200
    assert "Marko Marković" in home.text and "Border Police" in home.text
    # the home page lists what this user may do, from the permissions
    assert "check travellers at a border crossing point" in home.text
    assert "back up and restore the database" not in home.text


@pytest.mark.acceptance
def test_login_sets_strict_httponly_session_and_logout_ends_it(client: TestClient) -> None:
    token = csrf_of(client)
    r = client.post("/login", data={"username": GUARD[0], "password": GUARD[1],
                                    "csrf_token": token})
    assert r.status_code == 303
    cookies = [c for c in r.headers.get_list("set-cookie") if c.startswith("granica_session=")]
    assert cookies, r.headers
    assert "HttpOnly" in cookies[0] and "SameSite=strict" in cookies[0]
    session_value = client.cookies["granica_session"]
    # a new CSRF token after login: one planted before it is worthless
    assert client.cookies["granica_csrf"] != token
    assert client.get("/api/v1/me").json()["username"] == GUARD[0]

    r = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert "granica_session" not in client.cookies
    page = client.get(r.headers["location"])
    assert "You have logged out" in page.text
    # the old cookie value is dead on the server, not only forgotten by the browser
    replay = TestClient(client.app, cookies={"granica_session": session_value})
    assert replay.get("/api/v1/me").status_code == 401


def test_wrong_password_shows_the_reason_on_the_login_page(client: TestClient) -> None:
    token = csrf_of(client)
    r = client.post("/login", data={"username": GUARD[0], "password": "not-the-password-1",
                                    "csrf_token": token})
    assert r.status_code == 401
    assert "wrong username or password" in r.text
    assert 'value="marko.guard"' in r.text  # the user name is kept, the password is not
    assert "not-the-password-1" not in r.text


@pytest.mark.acceptance
def test_posts_without_the_pages_csrf_token_are_refused(client: TestClient) -> None:
    csrf_of(client)  # the browser has a CSRF cookie, but the forged form lacks the field
    r = client.post("/login", data={"username": GUARD[0], "password": GUARD[1]})
    assert r.status_code == 403
    assert "CSRF" in r.text and "reload the page" in r.text
    r = client.post("/login", data={"username": GUARD[0], "password": GUARD[1],
                                    "csrf_token": "forged-" + "x" * 40})
    assert r.status_code == 403
    assert "granica_session" not in client.cookies

    login(client, *GUARD)
    r = client.post("/logout", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    r = client.post("/language", data={"language": "sr-Cyrl"})
    assert r.status_code == 403


def test_open_redirect_after_login_is_refused(client: TestClient) -> None:
    assert login(client, *GUARD, next_url="//evil.example/phish") == "/"


def test_a_new_login_ends_the_browsers_previous_session(client: TestClient) -> None:
    login(client, *GUARD)
    first = client.cookies["granica_session"]
    # (the login page sends a logged-in user home, so post the form as a second tab would)
    r = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                    "csrf_token": csrf_of(client, "/")})
    assert r.status_code == 303
    assert client.get("/api/v1/me").json()["username"] == ADMIN[0]
    old = TestClient(client.app, cookies={"granica_session": first})
    assert old.get("/api/v1/me").status_code == 401


def test_api_answers_401_without_credentials_and_accepts_bearer_tokens(
    client: TestClient, seeded: Seeded
) -> None:
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "authentication_required" and "Bearer" in body["message"]
    assert r.headers["www-authenticate"] == "Bearer"

    r = client.get("/api/v1/me", headers={"Authorization": "Bearer gr_not-a-real-token"})
    assert r.status_code == 401 and "unknown token" in r.json()["message"]

    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {seeded.token}"})
    assert r.status_code == 200
    me = r.json()
    assert me["username"] == GUARD[0] and me["agency"] == "BORDER_POLICE"
    assert me["via"] == "token" and "border.check" in me["permissions"]


def test_admin_sees_other_permissions_than_guard(client: TestClient) -> None:
    login(client, *ADMIN)
    me = client.get("/api/v1/me").json()
    assert me["agency"] == "SYSADMIN" and "users.manage" in me["permissions"]
    assert "border.check" not in me["permissions"]
