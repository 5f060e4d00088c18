"""The indexed search on Dask distributed workers and in worker processes: the index stays
in the calling process and only each shard's candidate rows travel, so the candidates and
their scores are those of the search in this process."""

from __future__ import annotations

import numpy as np
import pytest

from granica.biometrics.benchmark import perturb
from granica.biometrics.compare import Probe, prepare
from granica.biometrics.gallery import Candidate, Gallery
from granica.biometrics.index import CylinderIndex, IndexParams
from granica.biometrics.template import Template

# a penetration that leaves out most of this small gallery, so that the index decides
PARAMS = IndexParams(penetration=0.05, min_candidates=10)
FINGERS = (101, 102, 103, 104, 105)


def _gallery(fvc_all: dict[str, Template], workers: int | None = None) -> Gallery:
    rng = np.random.default_rng(5)
    # the mates' first impressions among 300 fingers grown from the other fingers' prints
    enrolled = [(f"{f}_1", fvc_all[f"{f}_1"]) for f in FINGERS]
    others = [t for k, t in sorted(fvc_all.items()) if int(k.split("_")[0]) not in FINGERS]
    background = [(f"bg{i}", perturb(others[i % len(others)], rng)) for i in range(300)]
    gallery = Gallery.build(enrolled + background, n_shards=3, workers=workers)
    gallery.index = CylinderIndex.build(gallery.shards, PARAMS)
    return gallery


def _probes(fvc_all: dict[str, Template]) -> list[Probe]:
    return [prepare(fvc_all[f"{f}_2"]) for f in FINGERS]


def _key(found: list[Candidate]) -> list[tuple[str, int, int, float]]:
    return [(c.subject, c.shard, c.row, c.score) for c in found]


def test_dask_workers_give_the_indexed_search_of_this_process(fvc_all: dict[str, Template]) -> None:
    distributed = pytest.importorskip("distributed")
    gallery = _gallery(fvc_all)
    probes = _probes(fvc_all)
    local = [gallery.search_indexed(p, top=5, parallel=False) for p in probes]
    assert all(q.candidates < 0.2 * len(gallery) for _, q in local)  # the index chose
    # the mates (impression 1 enrolled) come first: the search is a real one
    assert sum(found[0].subject == f"{f}_1" for (found, _), f in zip(local, FINGERS)) >= 4
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        remote = [gallery.search(p, top=5, indexed=True, client=client) for p in probes]
        # removing a finger reaches the workers' copies and the index alike
        gone = local[0][0][0]
        gallery.remove(gone.shard, [gone.row])
        after = gallery.search(probes[0], top=5, indexed=True, client=client)
    assert [_key(found) for found, _ in local] == [_key(found) for found in remote]
    assert (gone.shard, gone.row) not in {(c.shard, c.row) for c in after}
    assert _key(after) == _key(gallery.search(probes[0], top=5, indexed=True, parallel=False))


def test_worker_processes_give_the_indexed_search_of_this_process(
    fvc_all: dict[str, Template],
) -> None:
    probes = _probes(fvc_all)
    with _gallery(fvc_all, workers=2) as gallery:
        local = [gallery.search(p, top=5, indexed=True, parallel=False) for p in probes]
        pooled = [gallery.search(p, top=5, indexed=True, parallel=True) for p in probes]
        exhaustive = [gallery.search(p, top=5, parallel=True) for p in probes]
    assert [_key(f) for f in local] == [_key(f) for f in pooled]
    # the mate the exhaustive scan ranks first, the index keeps first
    assert [f[0].subject for f in exhaustive] == [f[0].subject for f in pooled]
