"""Compiling the fingerprint engine's numba kernels before the first real print: a node
calls `warm_up()` at start-up, so that no check pays for JIT compilation in its budget."""

from __future__ import annotations

import logging
import time

import numpy as np

from granica.biometrics.template import Template
from granica.errors import GranicaError

log = logging.getLogger("granica.biometrics")

SIZE = 240  # pixels at 500 ppi: large enough for extraction to find ridges, small to be quick
RIDGE_PERIOD = 9.0  # pixels between ridges, a typical adult print at 500 ppi


def synthetic_print(size: int = SIZE) -> np.ndarray:
    """A grey-level image of a whorl-like ridge pattern (no person's print)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy = size * 0.5, size * 0.55
    r = np.hypot(x - cx, (y - cy) * 1.2)
    theta = np.arctan2(y - cy, x - cx)
    # a ridge spacing that drifts with the angle gives endings and bifurcations to find
    phase = 2 * np.pi * r / RIDGE_PERIOD + 1.5 * np.sin(3 * theta) + 0.02 * x
    ridges: np.ndarray = np.clip(128 + 100 * np.cos(phase), 0, 255).astype(np.uint8)
    return ridges


def _fallback_template(size: int = SIZE) -> Template:
    # synthetic minutiae on a jittered grid, used only if the extraction found too few
    rng = np.random.default_rng(7)
    grid = np.array([(x, y) for x in range(30, size - 30, 25) for y in range(30, size - 30, 25)],
                    dtype=np.float32)
    grid += rng.uniform(-6, 6, grid.shape).astype(np.float32)
    n = len(grid)
    minutiae = np.column_stack([grid, rng.uniform(0, 2 * np.pi, n), rng.integers(1, 3, n),
                                np.full(n, 60)]).astype(np.float32)
    return Template(width=size, height=size, minutiae=minutiae)


def warm_up() -> float:
    """Run extraction, a 1:1 comparison and a 1:N gallery search once on a synthetic print,
    which compiles (or loads from numba's cache) every kernel a check uses. Returns the
    seconds it took."""
    from granica.biometrics.compare import compare, prepare
    from granica.biometrics.extract import extract
    from granica.biometrics.gallery import Gallery

    started = time.perf_counter()
    image = synthetic_print()
    try:
        template = extract(image, ppi=500, finger_position=1)
    except GranicaError as exc:  # e.g. NBIS missing: its own error surfaces at the first check
        log.warning("fingerprint warm-up: extraction failed", extra={"fields": {"error": str(exc)}})
        template = _fallback_template()
    if len(template) < 12:
        template = _fallback_template()
    probe = prepare(template)
    compare(probe, probe)
    with Gallery.build([("warm-up", template)], n_shards=1, workers=1) as gallery:
        gallery.search(probe, top=1, rescore=1, parallel=False)
    seconds = time.perf_counter() - started
    log.info("fingerprint engine warmed up", extra={"fields": {"seconds": round(seconds, 2)}})
    return seconds
