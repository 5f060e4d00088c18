"""The 1:N search over alert prints goes through an in-memory gallery: prints join it on
attach and leave on deletion, it is loaded from the database on first use, and a search
does not rebuild the stored prints' cylinders."""

from __future__ import annotations

from typing import Any

import pytest

from granica.auth.principal import Principal
from granica.biometrics import gallery as biometric_gallery
from granica.biometrics.template import Template
from granica.sis import print_gallery, service
from granica.storage import Database
from tests.conftest import shared_path
from tests.sis.conftest import arrest_payload

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    from granica.biometrics.extract import extract

    folder = shared_path("fingerprints", "fvc2002_db1_b")
    return {name: extract(folder / f"{name}.tif", finger_position=2)
            for name in ("101_1", "101_2", "102_1")}


def _alert(db: Database, officer: Principal, validator: Principal, surname: str,
           template: Template) -> str:
    with db.session() as s:
        alert_id = service.create_alert(s, officer, arrest_payload(surname=surname),
                                        purpose="new EAW")["alert_id"]
    with db.session() as s:
        service.validate_alert(s, validator, alert_id, purpose="validate")
        from granica.sis.fingerprints import attach_fingerprints

        attach_fingerprints(s, officer, alert_id, [template], purpose="prints from the file")
    return alert_id


def test_search_uses_the_gallery_kept_on_attach_and_delete(
        database: Database, officer: Principal, validator: Principal, guard: Principal,
        templates: dict[str, Template], monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = _alert(database, officer, validator, "Petrović", templates["101_1"])
    other = _alert(database, officer, validator, "Marković", templates["102_1"])
    with database.session() as s:
        gallery = print_gallery.gallery_for(s)
    assert len(gallery) == 2  # added on attach

    builds: list[int] = []
    real = biometric_gallery.Shard.build

    def counted(entries: Any, *args: Any, **kwargs: Any) -> Any:
        builds.append(len(entries))
        return real(entries, *args, **kwargs)

    monkeypatch.setattr(biometric_gallery.Shard, "build", counted)

    def search() -> list[str]:
        with database.session() as s:
            return [r["alert_id"] for r in service.search_fingerprints(
                s, guard, [templates["101_2"]], "identify a traveller without papers")]

    assert search() == [wanted]
    built = sum(builds)
    assert built <= 2  # the shards holding the new prints, once
    assert search() == [wanted] and sum(builds) == built  # no cylinders rebuilt

    with database.session() as s:
        service.delete_alert(s, validator, wanted, reason="surrendered", purpose="EAW executed")
    assert len(gallery) == 1  # left on deletion
    assert search() == []

    # a new process: the gallery is loaded from the database on first use
    print_gallery.forget_galleries()
    assert search() == []
    with database.session() as s:
        fresh = print_gallery.gallery_for(s)
    assert fresh is not gallery and len(fresh) == 1
    with database.session() as s:
        assert service.search_fingerprints(s, guard, [templates["102_1"]], "identify")[0][
            "alert_id"] == other


def test_a_rolled_back_attach_leaves_the_gallery(
        database: Database, officer: Principal, validator: Principal, guard: Principal,
        templates: dict[str, Template]) -> None:
    from granica.sis.fingerprints import attach_fingerprints

    with database.session() as s:
        alert_id = service.create_alert(s, officer, arrest_payload(), purpose="new EAW")["alert_id"]
    with database.session() as s:
        service.validate_alert(s, validator, alert_id, purpose="validate")
    with pytest.raises(RuntimeError), database.session() as s:
        attach_fingerprints(s, officer, alert_id, [templates["101_1"]], purpose="prints")
        raise RuntimeError("the transaction fails after the attach")
    with database.session() as s:
        assert service.search_fingerprints(s, guard, [templates["101_2"]], "identify") == []
        assert len(print_gallery.gallery_for(s)) == 0
