"""The 1:N benchmark behind `granica afis bench`: a large gallery grown from real
templates (random rotation, translation, minutia drop-out), searched on one core and on
all cores."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

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


def run_bench(
    size: int, dataset: Path | None = None, ppi: int = 500, probes: int = 5,
    shards: int | None = None, seed: int = 7, progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
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
    entries = [(f"s{i:07d}", perturb(base[i % len(base)], rng)) for i in range(size)]
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
    gallery.close()
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
    }
