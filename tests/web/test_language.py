"""Pages in English, Serbian Latin and Serbian Cyrillic, chosen per user."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from granica.web.i18n import LANGUAGES, message_ids, translations
from tests.web.conftest import GUARD, csrf_of, login


@pytest.mark.acceptance
def test_language_switch_renders_cyrillic_and_is_kept_for_the_next_login(client: TestClient) -> None:
    login(client, *GUARD)
    assert "Your permissions" in client.get("/").text
    r = client.post("/language", data={"language": "sr-Cyrl", "next": "/",
                                       "csrf_token": csrf_of(client, "/")})
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = client.get("/").text
    assert '<html lang="sr-Cyrl">' in page
    assert "Ваша овлашћења" in page and "Одјава" in page
    assert "Управа граничне полиције" in page  # the agency, in Cyrillic too
    assert "Your permissions" not in page

    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    client.cookies.clear()  # another browser: the choice lives with the user, not the cookie
    login(client, *GUARD)
    assert "Ваша овлашћења" in client.get("/").text


def test_language_switch_before_login_uses_a_cookie(client: TestClient) -> None:
    r = client.post("/language", data={"language": "sr-Latn", "next": "/login",
                                       "csrf_token": csrf_of(client)})
    assert r.status_code == 303
    page = client.get("/login").text
    assert '<html lang="sr-Latn">' in page and "Korisničko ime" in page


def test_unknown_language_is_refused(client: TestClient) -> None:
    r = client.post("/language", data={"language": "tlh", "csrf_token": csrf_of(client)})
    assert r.status_code == 400 and "unknown language" in r.text


def test_every_page_message_is_translated_in_both_scripts() -> None:
    ids = message_ids()
    assert len(ids) > 40
    placeholder = re.compile(r"%\(\w+\)s")
    for lang in ("sr-Latn", "sr-Cyrl"):
        catalogue = translations(lang)
        for msg in ids:
            text = catalogue.gettext(msg)
            assert text != msg or msg in ("Granica",), f"{lang}: '{msg}' is not translated"
            assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(msg)), (lang, msg)
    cyrl = translations("sr-Cyrl")
    for msg in ids:
        leftover = re.sub(r"%\(\w+\)s|OpenAPI|API|SIRENE", "", cyrl.gettext(msg))
        assert not re.search(r"[A-Za-z]", leftover), f"Latin letters in Cyrillic: {leftover!r}"
    assert set(LANGUAGES) == {"en", "sr-Latn", "sr-Cyrl"}


@pytest.mark.parametrize(("utc", "shown"), [
    (dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC), "2026-07-01 12:00 CEST"),
    (dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC), "2026-01-16 00:30 CET"),
    (dt.datetime(2026, 1, 15, 23, 30), "2026-01-16 00:30 CET"),  # naive values are UTC
])
def test_localtime_shows_utc_in_belgrade_time(utc: dt.datetime, shown: str) -> None:
    from granica.web import localtime

    assert localtime(utc) == shown
    assert localtime(None) == "—"
