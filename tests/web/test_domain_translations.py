"""The alert register's and the border checks' pages in Serbian Latin and Serbian Cyrillic:
every message of their templates and navigation is in both catalogues, and the pages show them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from granica.storage import Database
from tests.border.conftest import BCP, border_db, enter_alert, future_expiry, td3  # noqa: F401
from tests.web.conftest import GUARD, csrf_of, login, seed_users
from tests.web.translation_checks import assert_in_both_scripts, template_message_ids

OFFICER = ("petra.officer", "Officer-Lantern-Word-31")

# Latin-script tokens a Cyrillic message keeps: placeholders, codes, the form's letters.
KEPT_LATIN = re.compile(r"%\(\w+\)s|\{[^}]*\}|\b(?:MRZ|SIRENE|SIS|PDF|VIN|IMEI|ISO|M/F/X|V|B)\b|^[EHI]:")
# Messages whose Serbian reads the same as the English.
SAME_IN_SERBIAN = frozenset({"MRZ", "Model"})


def domain_message_ids() -> set[str]:
    """What the sis and border pages show through `_()`: their templates, navigation entries,
    the object kinds of the search form, the categories' field labels and hints, the statuses."""
    import granica.border.pages as border_pages
    import granica.sis.pages as sis_pages
    from granica.sis.categories import CATEGORIES

    ids = (template_message_ids("sis", sis_pages.NAV_ITEMS)
           | template_message_ids("border", border_pages.NAV_ITEMS))
    ids.update(sis_pages.OBJECT_KINDS.values())
    for category in CATEGORIES.values():
        for spec in category.fields:
            ids.update((spec.label, spec.help))
    ids.update(data_message_ids())
    ids.update(("draft", "active", "GO", "REFER", "HIT", "invalid input",
                "choose at least one reason of the standard form"))
    return {i for i in ids if i}


def data_message_ids() -> set[str]:
    """Texts of the data the pages show: each category's name, legal basis and actions to be
    taken, and the border check's reasons."""
    from granica.border.reading import MESSAGES
    from granica.sis.categories import CATEGORIES

    ids = set(MESSAGES.values())
    for c in CATEGORIES.values():
        ids.update((c.label, c.legal_basis, c.action_to_be_taken, c.flagged_action))
    return ids


def test_every_domain_page_message_is_translated_and_cyrillic_matches_latin() -> None:
    ids = domain_message_ids()
    assert len(ids) > 150
    # the whole Cyrillic message transliterates to the Latin one, codes included
    assert_in_both_scripts(ids, KEPT_LATIN, same_in_serbian=SAME_IN_SERBIAN,
                           compare_without_kept=False)


@pytest.fixture
def app_client(border_db: Database) -> Iterator[TestClient]:  # noqa: F811
    from granica.api.app import create_app
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    seeded = seed_users(border_db)
    with seeded.database.session() as s:
        auth.create_user(s, system_principal("test set-up"), username=OFFICER[0],
                         password=OFFICER[1], agency="CRIMINAL_POLICE", roles=["police_officer"])
    with TestClient(create_app(border_db), follow_redirects=False) as client:
        yield client


def _login_in(client: TestClient, user: tuple[str, str], language: str) -> None:
    client.cookies.clear()
    login(client, *user)
    r = client.post("/language", data={"language": language, "next": "/",
                                       "csrf_token": csrf_of(client, "/")})
    assert r.status_code == 303


# (Latin, Cyrillic) pairs written out by hand, so the test does not trust the transliteration.
SEARCH = [("Pretraga registra upozorenja", "Претрага регистра упозорења"),
          ("Pretraži lica", "Претражи лица"), ("Pretraži predmete", "Претражи предмете"),
          ("Ime i prezime (ćirilica ili latinica, bilo kojim redom)",
           "Име и презиме (ћирилица или латиница, било којим редом)"),
          ("serijski broj vatrenog oružja", "серијски број ватреног оружја"),
          ("Nije pronađeno nijedno upozorenje.", "Није пронађено ниједно упозорење."),
          (">Upozorenja<", ">Упозорења<"), (">Novo upozorenje<", ">Ново упозорење<")]
ENTRY = [("Radnja koju treba preduzeti", "Радња коју треба предузети"),
         ("Sačuvaj kao nacrt za potvrdu", "Сачувај као нацрт за потврду"),
         ("Prezime (prezimena)", "Презиме (презимена)"), ("Mesto rođenja", "Место рођења"),
         ("Polja označena sa * su obavezna.", "Поља означена са * су обавезна.")]
LANE = [("Kontrolna traka", "Контролна трака"), ("Granični prelaz", "Гранични прелаз"),
        ("Čeka se sledeći putnik.", "Чека се следећи путник.")]
GO = [("PROLAZ", "ПРОЛАЗ"), ("Nema upozorenja, isprava je važeća: putnik može da nastavi.",
                             "Нема упозорења, исправа је важећа: путник може да настави.")]
REFER = [("UPUTITI", "УПУТИТИ"), ("Zaustavite putnika i uputite ga na drugu liniju kontrole.",
                                  "Зауставите путника и упутите га на другу линију контроле.")]
HIT = [("POGODAK", "ПОГОДАК"), ("Pronađeno je upozorenje: preduzmite radnju navedenu ispod.",
                                "Пронађено је упозорење: предузмите радњу наведену испод."),
       ("Radnja koju treba preduzeti", "Радња коју треба предузети"), ("Pažnja", "Пажња")]
CATEGORIES_SHOWN = [("Hapšenje radi predaje ili izručenja", "Хапшење ради предаје или изручења"),
                    ("Uredba 2018/1862, čl. 26", "Уредба 2018/1862, чл. 26"),
                    ("Vatreno oružje", "Ватрено оружје"), ("čl. 38(2)(i)", "чл. 38(2)(и)")]
REFER_REASON = [("Mašinski čitljiva zona nije mogla biti očitana",
                 "Машински читљива зона није могла бити очитана")]
HIT_DATA = [("Uhapsite lice; SIRENE biro šalje evropski nalog za hapšenje",
             "Ухапсите лице; СИРЕНЕ биро шаље европски налог за хапшење"),
            ("Hapšenje radi predaje ili izručenja", "Хапшење ради предаје или изручења")]
ENGLISH = [">Alerts<", ">New alert<", ">Border lane<", "Search persons", "Action to be taken",
           "Save as draft", "Waiting for the next traveller", "the traveller may proceed",
           "refer the traveller", "carry out the action", ">GO<", ">REFER<", ">HIT<",
           # words of the data (categories, legal bases, actions, reasons)
           "Arrest for surrender", "Arrest the person", "Reg. 2018/", "Art 3",
           "The MRZ could not be read", "Missing person", "Seize the object", "Firearm"]


def _assert_shown(html: str, pairs: list[tuple[str, str]], language: str) -> None:
    for lat, cyr in pairs:
        assert (cyr if language == "sr-Cyrl" else lat) in html, (language, lat)
        if language == "sr-Cyrl":
            assert lat not in html, f"Latin text on a Cyrillic page: {lat!r}"
    for english in ENGLISH:
        assert english not in html, (language, english)


@pytest.mark.acceptance
@pytest.mark.parametrize("language", ["sr-Latn", "sr-Cyrl"])
def test_alert_and_border_pages_in_serbian(app_client: TestClient, border_db: Database,  # noqa: F811
                                           language: str) -> None:
    client = app_client
    enter_alert(border_db, "arrest", {
                    "surname": "Јовановић", "forenames": "Милош", "sex": "M",
                    "date_of_birth": "1979-11-02", "warning_markers": ["violent"],
                    "reason": "murder", "issuing_authority": "Court",
                    "warrant_reference": "K-9/2026"})
    _login_in(client, OFFICER, language)
    page = client.get("/alerts?name=Nepostojeći+Neko")
    assert page.status_code == 200 and f'<html lang="{language}">' in page.text
    _assert_shown(page.text, SEARCH, language)
    chooser = client.get("/alerts/new")  # every category with its legal basis
    assert chooser.status_code == 200 and 'id="categories-person"' in chooser.text
    _assert_shown(chooser.text, CATEGORIES_SHOWN, language)
    form = client.get("/alerts/new?category=arrest")
    assert form.status_code == 200 and 'id="alert-form"' in form.text
    _assert_shown(form.text, ENTRY, language)

    _login_in(client, GUARD, language)
    lane = client.get("/border/lane")
    assert lane.status_code == 200
    _assert_shown(lane.text, LANE, language)
    token = csrf_of(client, "/border/lane")
    base = {"csrf_token": token, "bcp": BCP, "lane": "E1", "direction": "entry"}
    go = client.post("/border/lane", data={**base, "mrz": td3(
        "SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())})
    assert 'data-decision="go"' in go.text
    _assert_shown(go.text, GO, language)
    refer = client.post("/border/lane", data={**base, "mrz": "P<GARBAGE"})
    assert 'data-decision="refer"' in refer.text
    _assert_shown(refer.text, REFER + REFER_REASON, language)
    hit = client.post("/border/lane", data={**base, "mrz": td3(
        "JOVANOVIC", "MILOS", "011122233", "SRB", "791102", future_expiry())})
    assert 'data-decision="hit"' in hit.text
    _assert_shown(hit.text, HIT + HIT_DATA, language)

