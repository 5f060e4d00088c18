"""The 1:N benchmark behind `granica afis bench`: a large gallery grown from real
templates (random rotation, translation, minutia drop-out), searched on one core and on
all cores."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from granica.biometrics.template import Template

DEFAULT_DATASET = Path(__file__).resolve().parents[3] / "shared" / "data" / "fingerprints" / "fvc2002_db1_b"


def perturb(tpl: Template, rng: np.random.Generator) -> Template:
    """A plausible other impression: rotated up to 30 degrees, shifted up to 40 pixels,
    10-30% of the minutiae dropped (the secondary set moved the same way)."""
    m = tpl.minutiae.astype(np.float64).copy()
    if len(m) == 0:
        return tpl
    a = rng.uniform(-math.pi / 6, math.pi / 6)
    cx, cy = m[:, 0].mean(), m[:, 1].mean()
    dx, dy = rng.uniform(-40, 40, size=2)
    drop = rng.uniform(0.1, 0.3)
    # Template angles are counter-clockwise with y down: a rotation by `a` on screen
    # turns (x, y) clockwise in pixel terms.
    c, s = math.cos(a), math.sin(a)

    def move(rows: np.ndarray) -> np.ndarray:
        r = rows.astype(np.float64).copy()
        x, y = r[:, 0] - cx, r[:, 1] - cy
        r[:, 0] = cx + c * x + s * y + dx + 100
        r[:, 1] = cy - s * x + c * y + dy + 100
        r[:, 2] = np.mod(r[:, 2] + a, 2 * math.pi)
        return r[rng.random(len(r)) >= drop].astype(np.float32)

    return Template(width=tpl.width + 200, height=tpl.height + 200, minutiae=move(m),
                    ppi=tpl.ppi, finger_position=tpl.finger_position, quality=tpl.quality,
                    secondary=move(tpl.secondary))


def mated_prints(
    background: Path, ppi: int = 500, say: Callable[[str], None] = lambda _m: None,
) -> tuple[list[tuple[str, Template]], list[tuple[str, Template]]]:
    """Fingers to hide in a grown gallery and their probes: the first impression of every
    finger of the shared sets beside `background` (not grown from, so no perturbed copy of
    a mate is in the gallery), and every other impression of the same fingers (seven per
    finger in the FVC sets: 350 probes over five sets, enough to resolve a loss of half a
    point of rank-1 identification, which 50 probes could not)."""
    from granica.biometrics.evaluation import FVC_SETS, list_samples
    from granica.biometrics.extract import extract

    hidden: list[tuple[str, Template]] = []
    probes: list[tuple[str, Template]] = []
    for folder in sorted(p for p in background.parent.iterdir()
                         if p.is_dir() and p.name != background.name):
        for s in list_samples(folder):
            tpl = extract(s.path, ppi=FVC_SETS.get(folder.name, ppi))
            (hidden if s.impression == 1 else probes).append((f"{folder.name}/{s.finger}", tpl))
        say(f"extracted the mated prints of {folder.name}")
    return hidden, probes


def search_both_ways(gallery: Any, probe: Any, mate: str, hits: dict[str, int],
                     times: dict[str, list[float]]) -> Any:
    """Search one mated probe exhaustively and through the index, adding to `hits` (rank-1
    is its mate) and `times` (seconds) under "exhaustive" and "indexed"; the index's query."""
    t0 = time.perf_counter()
    found = gallery.search(probe)
    times["exhaustive"].append(time.perf_counter() - t0)
    hits["exhaustive"] += bool(found) and found[0].subject == mate
    t0 = time.perf_counter()
    found, query = gallery.search_indexed(probe)
    times["indexed"].append(time.perf_counter() - t0)
    hits["indexed"] += bool(found) and found[0].subject == mate
    return query


def _indexed_figures(
    gallery: Any, probes: Sequence[tuple[str, Template]], say: Callable[[str], None],
) -> dict[str, object]:
    """Rank-1 identification of the mated probes by the exhaustive scan and by the indexed
    search, on the same probes in the same run, and what the index costs."""
    from granica.biometrics.compare import prepare
    from granica.biometrics.index import CylinderIndex

    t0, c0 = time.perf_counter(), time.process_time()
    gallery.index = CylinderIndex.build(gallery.shards)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    say(f"index built in {build_s:.1f} s ({gallery.index.bytes_per_finger():.0f} B/finger)")
    prepared = [(mate, prepare(t)) for mate, t in probes]
    gallery.search(prepared[0][1], indexed=True)  # warm the workers and the kernels
    hits = {"exhaustive": 0, "indexed": 0}
    times: dict[str, list[float]] = {"exhaustive": [], "indexed": []}
    penetration = []
    for mate, p in prepared:
        query = search_both_ways(gallery, p, mate, hits, times)
        penetration.append(query.penetration)
    rank1 = {k: 100.0 * v / len(prepared) for k, v in hits.items()}
    ex_s, ix_s = (float(np.mean(times[k])) for k in ("exhaustive", "indexed"))
    index = gallery.index
    say(f"rank-1 exhaustive {rank1['exhaustive']:.1f}%, indexed {rank1['indexed']:.1f}%")
    return {
        "mated_probes": len(prepared),
        "rank1_exhaustive_pct": round(rank1["exhaustive"], 2),
        "rank1_indexed_pct": round(rank1["indexed"], 2),
        "rank1_loss_points": round(rank1["exhaustive"] - rank1["indexed"], 2),
        "penetration_rate_mean": round(float(np.mean(penetration)), 5),
        "search_s_exhaustive_all_cores": round(ex_s, 4),
        "search_s_indexed_all_cores": round(ix_s, 4),
        "speedup": round(ex_s / ix_s, 1),
        # linear in the gallery (the buckets and the candidates both grow with it; the final
        # comparison of the best few does not, so this overestimates a little)
        "extrapolated_1m_indexed_search_s_all_cores": round(ix_s * 1_000_000 / len(gallery), 2),
        "index_build_s": round(build_s, 2),
        "index_build_cpu_s": round(build_cpu, 2),
        "index_bytes_per_finger": round(index.bytes_per_finger()),
        # the bucket starts are a fixed cost (tables x 2**bits), the rest grows per finger
        "index_fixed_bytes": int(index.starts.nbytes),
        "index_bytes_per_finger_variable": round(
            (index.nbytes - index.starts.nbytes) / max(index.live, 1)),
    }


def run_bench(
    size: int, dataset: Path | None = None, ppi: int = 500, probes: int = 5,
    shards: int | None = None, seed: int = 7, progress: Callable[[str], None] | None = None,
    indexed: bool = False,
) -> dict[str, object]:
    """The figures of `granica afis bench`. `indexed`: the mated prints of the other shared
    sets (`mated_prints`) are hidden in the gallery, and the indexed search is measured
    beside the exhaustive scan on them (`_indexed_figures`)."""
    from granica.biometrics.compare import prepare
    from granica.biometrics.evaluation import list_samples
    from granica.biometrics.extract import extract
    from granica.biometrics.gallery import Gallery, search_shard

    say = progress or (lambda _m: None)
    rng = np.random.default_rng(seed)
    samples = list_samples(dataset or DEFAULT_DATASET)
    t0 = time.perf_counter()
    base = [extract(s.path, ppi=ppi) for s in samples]
    extract_ms = (time.perf_counter() - t0) / len(base) * 1000
    say(f"extracted {len(base)} templates ({extract_ms:.0f} ms each)")
    template_bytes = float(np.mean([len(t.to_bytes()) for t in base]))
    hidden: list[tuple[str, Template]] = []
    mated: list[tuple[str, Template]] = []
    if indexed:
        hidden, mated = mated_prints(dataset or DEFAULT_DATASET, ppi, say)
    entries = [(f"s{i:07d}", perturb(base[i % len(base)], rng))
               for i in range(size - len(hidden))]
    for entry in hidden:
        entries.insert(int(rng.integers(0, len(entries) + 1)), entry)
    cores = os.cpu_count() or 1
    n_shards = shards or 2 * cores
    t0, c0 = time.perf_counter(), time.process_time()
    gallery = Gallery.build(entries, n_shards=n_shards, workers=cores)
    load_s = time.perf_counter() - t0
    load_cpu = time.process_time() - c0
    say(f"gallery of {size} fingers built in {load_s:.1f} s ({gallery.nbytes / size:.0f} B/finger)")
    probe_list = [prepare(base[int(i)]) for i in rng.integers(0, len(base), size=probes)]

    # One core: every shard in this process.
    gallery.search(probe_list[0], parallel=False)  # compile / warm caches
    # CPU seconds as well as wall seconds: on a shared machine the wall clock also counts
    # other people's processes.
    t0, c0 = time.perf_counter(), time.process_time()
    for p in probe_list:
        gallery.search(p, parallel=False)
    one_core = (time.perf_counter() - t0) / probes
    one_core_cpu = (time.process_time() - c0) / probes
    # The candidate-generation kernel alone (LSS over every finger).
    t0, c0 = time.perf_counter(), time.process_time()
    for p in probe_list:
        for i, s in enumerate(gallery.shards):
            search_shard(s, p, i, top=1, rescore=0)
    kernel = (time.perf_counter() - t0) / probes
    kernel_cpu = (time.process_time() - c0) / probes
    # All cores: one worker process per core.
    gallery.search(probe_list[0], parallel=True)
    t0 = time.perf_counter()
    for p in probe_list:
        gallery.search(p, parallel=True)
    all_cores = (time.perf_counter() - t0) / probes
    figures = _indexed_figures(gallery, mated, say) if indexed else {}
    gallery.close()
    per_finger, fixed = gallery.nbytes / size, 0
    if gallery.index is not None:
        index = gallery.index
        per_finger += (index.nbytes - index.starts.nbytes) / max(index.live, 1)
        fixed = index.starts.nbytes
    return {
        "gallery": size,
        "shards": n_shards,
        "cores": cores,
        "probes": probes,
        "search_s_1core": round(one_core, 4),
        "search_s_all_cores": round(all_cores, 4),
        "comparisons_per_s_per_core": round(size / one_core),
        "comparisons_per_s_all_cores": round(size / all_cores),
        "kernel_comparisons_per_s_per_core": round(size / kernel),
        "comparisons_per_cpu_s": round(size / one_core_cpu),
        "kernel_comparisons_per_cpu_s": round(size / kernel_cpu),
        "projected_1m_search_s_all_cores": round(all_cores * 1_000_000 / size, 2),
        "gallery_bytes_per_finger": round(gallery.nbytes / size),
        "template_bytes_mean": round(template_bytes, 1),
        "gallery_load_s": round(load_s, 2),
        "gallery_load_ms_per_finger": round(load_s / size * 1000, 3),
        "gallery_load_cpu_ms_per_finger": round(load_cpu / size * 1000, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "extract_ms": round(extract_ms, 1),
        **figures,
        # what a million fingers would hold in memory (gallery, and index when measured)
        "projected_1m_memory_gib": round((per_finger * 1e6 + fixed) / 2**30, 2),
    }
