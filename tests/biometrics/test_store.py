"""The gallery's store beside the database: a gallery mapped from it searches exactly like
one rebuilt from the templates; removals and additions after loading, written by appending
or by a whole rewrite, read back the same; a store of another layout is not used, a damaged
one is named, and a half-written addition (a crash before the manifest) is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from granica.biometrics import store
from granica.biometrics.capture import read_capture
from granica.biometrics.compare import Probe, prepare
from granica.biometrics.live import LiveGallery
from granica.biometrics.template import Template
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def prints() -> dict[tuple[int, int], Template]:
    folder = shared_path("fingerprints", "fvc2002_db1_b")
    out = {}
    for finger in range(101, 111):
        for impression in (1, 2):
            t = read_capture(folder / f"{finger}_{impression}.tif", 1).template
            assert t is not None
            out[(finger, impression)] = t
    return out


def _gallery(prints: dict[tuple[int, int], Template], folder: Path | None = None) -> LiveGallery:
    g = LiveGallery(shards=3)
    if folder is not None:
        g.store = folder
    for (finger, impression), t in prints.items():
        if impression == 1:
            g.add(f"e{finger}", f"s{finger}", t)
    return g


def _ranking(g: LiveGallery, probe: Probe) -> list[tuple[str, float]]:
    return [(c.subject, round(c.score, 6)) for c in g.search(probe, top=5, rescore=30)]


def test_a_mapped_gallery_searches_like_a_rebuilt_one(prints: dict[tuple[int, int], Template],
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "gallery"
    built = _gallery(prints, folder)
    probes = [prepare(prints[(f, 2)]) for f in (101, 105, 110)]
    expected = [_ranking(built, p) for p in probes]
    assert [r[0][0] for r in expected] == ["s101", "s105", "s110"]
    done = built.persist()
    assert done["whole"] and done["entries"] == 10 and built.unsaved == 0
    mapped = LiveGallery(shards=3)
    assert mapped.load_store(folder) == 10 and len(mapped) == 10
    assert [_ranking(mapped, p) for p in probes] == expected
    assert mapped.known() == {f"e{f}" for f in range(101, 111)}


def test_changes_after_loading_are_appended_and_read_back(
        prints: dict[tuple[int, int], Template], tmp_path: Path) -> None:
    folder = tmp_path / "gallery"
    first = _gallery(prints, folder).persist()
    g = LiveGallery(shards=3)
    g.load_store(folder)
    probe = prepare(prints[(105, 2)])
    g.remove_subjects(["s105"])  # a stored finger leaves
    assert "s105" not in [s for s, _ in _ranking(g, probe)]
    g.add("e105b", "s105b", prints[(105, 2)])  # and a new one joins
    assert _ranking(g, probe)[0][0] == "s105b"
    assert g.unsaved == 2
    done = g.persist()
    assert not done["whole"] and done["removed_noted"] == 1
    assert done["shards"] == first["shards"] + 1  # one shard added, nothing rewritten
    again = LiveGallery(shards=3)
    assert again.load_store(folder) == 10
    assert _ranking(again, probe)[0][0] == "s105b"
    assert "e105" not in again.known() and "e105b" in again.known()
    # removing most of the stored rows rewrites the store with only the kept ones
    again.discard([f"e{f}" for f in range(101, 108)])
    done = again.persist()
    assert done["whole"] and done["entries"] == 4 and done["removed_noted"] == 0
    last = LiveGallery()
    assert last.load_store(folder) == 4
    assert last.known() == {"e105b", "e108", "e109", "e110"}


def test_a_store_of_another_layout_is_not_used(prints: dict[tuple[int, int], Template],
                                               tmp_path: Path) -> None:
    folder = tmp_path / "gallery"
    _gallery(prints, folder).persist()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["layout"] = "written-by-an-older-template-version"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    g = LiveGallery()
    assert g.load_store(folder) == 0 and len(g) == 0 and g.store == folder
    assert store.load(tmp_path / "absent") is None


def test_a_damaged_store_is_named_and_a_half_written_addition_ignored(
        prints: dict[tuple[int, int], Template], tmp_path: Path) -> None:
    folder = tmp_path / "gallery"
    g = _gallery(prints, folder)
    g.persist()
    # a crash while appending: the shard folder is there, the manifest does not list it
    (folder / "shard-0009").mkdir()
    (folder / "shard-0009" / "bits.npy").write_bytes(b"half")
    loaded = store.load(folder)
    assert loaded is not None and sum(len(s) for s, _ in loaded[0]) == 10
    g.add("e-new", "s-new", prints[(101, 2)])
    g.persist()
    assert not (folder / "shard-0009").exists()
    blob = next(folder.glob("shard-*/templates.bin"))
    blob.write_bytes(blob.read_bytes()[:-10])
    with pytest.raises(ValueError, match="templates do not match"):
        store.load(folder)
