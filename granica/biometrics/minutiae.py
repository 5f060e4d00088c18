"""Minutiae from a thinned ridge skeleton: crossing number (Arcelli & Baja; Maltoni et
al., Handbook of Fingerprint Recognition, ch. 3), ridge tracing for direction and for
removing the false minutiae that skeletons of noisy prints produce."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

# 8-neighbourhood in circular order, starting east, clockwise on screen (y down).
_DY = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
_DX = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)


@dataclass(frozen=True)
class MinutiaeParams:
    trace_steps: int = 12  # pixels walked along a ridge to read a minutia's direction
    short_ridge: int = 14  # minutiae joined by a ridge this short are noise
    border: float = 10.0  # minimum distance to the foreground edge, pixels
    cluster: float = 6.0  # minutiae closer than this are noise
    broken_gap: float = 16.0  # two facing endings this close are one broken ridge
    max_count: int = 120
    min_quality: float = 25.0  # minutiae of lower quality (0-100) are dropped


@numba.njit(cache=True)
def _crossing(skel: np.ndarray, y: int, x: int, dy: np.ndarray, dx: np.ndarray) -> int:
    c = 0
    for k in range(8):
        a = skel[y + dy[k], x + dx[k]]
        b = skel[y + dy[(k + 1) % 8], x + dx[(k + 1) % 8]]
        if a and not b:
            c += 1
    return c


@numba.njit(cache=True)
def crossing_numbers(skel: np.ndarray) -> np.ndarray:
    """Crossing number of every skeleton pixel (0 off the skeleton or on the image frame)."""
    h, w = skel.shape
    out = np.zeros((h, w), dtype=np.int8)
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            if skel[y, x]:
                out[y, x] = _crossing(skel, y, x, _DY, _DX)
    return out


@numba.njit(cache=True)
def _walk(
    skel: np.ndarray, cn: np.ndarray, y0: int, x0: int, y1: int, x1: int, steps: int,
    dy: np.ndarray, dx: np.ndarray,
) -> tuple[int, int, int, int, int, int]:
    """Follow the ridge from (y0, x0) through (y1, x1). Returns the position reached,
    how many pixels were walked, what stopped the walk (0 length reached, 1 ending,
    3 junction, 2 nowhere to go) and the stopping pixel."""
    vy = np.empty(steps + 2, dtype=np.int64)
    vx = np.empty(steps + 2, dtype=np.int64)
    vy[0], vx[0] = y0, x0
    vy[1], vx[1] = y1, x1
    n = 2
    py, px = y0, x0
    cy, cx = y1, x1
    h, w = skel.shape
    for step in range(1, steps + 1):
        c = cn[cy, cx]
        if c == 1:
            return cy, cx, step, 1, cy, cx
        if c >= 3:
            return cy, cx, step, 3, cy, cx
        if step == steps:
            break
        best_y, best_x, found = -1, -1, 0
        for k in range(8):
            ny, nx = cy + dy[k], cx + dx[k]
            if ny < 1 or nx < 1 or ny >= h - 1 or nx >= w - 1 or not skel[ny, nx]:
                continue
            seen = False
            for j in range(n):
                if vy[j] == ny and vx[j] == nx:
                    seen = True
                    break
            if seen:
                continue
            # Skip corner pixels that also touch the previous pixel (staircase duplicates).
            if abs(ny - py) <= 1 and abs(nx - px) <= 1:
                continue
            if found == 0 or (dy[k] == 0 or dx[k] == 0):
                best_y, best_x = ny, nx
                found = 1
        if found == 0:
            return cy, cx, step, 2, cy, cx
        py, px = cy, cx
        cy, cx = best_y, best_x
        vy[n], vx[n] = cy, cx
        n += 1
    return cy, cx, steps, 0, cy, cx


@numba.njit(cache=True)
def trace_minutiae(
    skel: np.ndarray, cn: np.ndarray, steps: int, short: int, dy: np.ndarray, dx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every crossing-number 1 or 3 pixel with its branches traced.

    Returns rows (y, x, cn, ex0, ey0, ex1, ey1, ex2, ey2) with the branch end points, and
    rows (stop_y, stop_x, kind, length) per branch for the short-ridge pruning.
    """
    h, w = skel.shape
    count = 0
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            if cn[y, x] == 1 or cn[y, x] == 3:
                count += 1
    rows = np.zeros((count, 9), dtype=np.float64)
    links = np.full((count, 3, 4), -1, dtype=np.int64)
    i = 0
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            c = cn[y, x]
            if c != 1 and c != 3:
                continue
            rows[i, 0], rows[i, 1], rows[i, 2] = y, x, c
            b = 0
            for k in range(8):
                a = skel[y + dy[k], x + dx[k]]
                nxt = skel[y + dy[(k + 1) % 8], x + dx[(k + 1) % 8]]
                if a and not nxt and b < 3:
                    # The last pixel of each run of neighbours starts one branch; prefer the
                    # 4-connected pixel of the run when the run has two.
                    sy, sx = y + dy[k], x + dx[k]
                    if dy[k] != 0 and dx[k] != 0:
                        kp = (k + 7) % 8
                        if skel[y + dy[kp], x + dx[kp]]:
                            sy, sx = y + dy[kp], x + dx[kp]
                    ey, ex, ln, kind, sty, stx = _walk(skel, cn, y, x, sy, sx, steps, dy, dx)
                    rows[i, 3 + 2 * b] = ex
                    rows[i, 4 + 2 * b] = ey
                    if kind == 1 or kind == 3:
                        # A second walk finds the minutia that ends a short ridge.
                        links[i, b, 0], links[i, b, 1] = sty, stx
                        links[i, b, 2], links[i, b, 3] = kind, ln
                    b += 1
            i += 1
    return rows, links


@numba.njit(cache=True)
def _mod(a: float, b: float) -> float:
    """a mod b with the sign of b, as Python's float % and np.mod compute it."""
    m = float(np.fmod(a, b))
    if m != 0.0:
        if (b < 0.0) != (m < 0.0):
            m += b
    else:
        m = math.copysign(0.0, b)
    return m


@numba.njit(cache=True)
def _turn(a: float, b: float) -> float:
    """Absolute difference of two angles, in [0, pi]."""
    return abs(_mod(a - b + math.pi, 2 * math.pi) - math.pi)


@numba.njit(cache=True)
def minutiae_angles(
    rows: np.ndarray, y: np.ndarray, x: np.ndarray, kind: np.ndarray, orientation: np.ndarray
) -> np.ndarray:
    """Direction of every traced minutia (image angles in [0, 2 pi)): a ridge ending points
    away from its ridge, a bifurcation along its trunk (the branch farthest from the other
    two, the dual of an ending); the smoother orientation field replaces the short trace
    wherever the two agree within 45 degrees, with the sense the trace gives."""
    n = rows.shape[0]
    angles = np.zeros(n)
    for i in range(n):
        if kind[i] == 1:
            ang = math.atan2(-(rows[i, 4] - y[i]), -(rows[i, 3] - x[i]))
        else:
            b0 = math.atan2(rows[i, 4] - y[i], rows[i, 3] - x[i])
            b1 = math.atan2(rows[i, 6] - y[i], rows[i, 5] - x[i])
            b2 = math.atan2(rows[i, 8] - y[i], rows[i, 7] - x[i])
            # The two branches that fork are the closest pair; the third is the trunk.
            d12 = _turn(b1, b2)
            d02 = _turn(b0, b2)
            d01 = _turn(b0, b1)
            ang = b0
            best = d12
            if d02 < best:
                ang, best = b1, d02
            if d01 < best:
                ang = b2
        o = float(orientation[y[i], x[i]])
        if _turn(o, ang) > math.pi / 2:
            o += math.pi
        if _turn(o, ang) < math.pi / 4:
            ang = o
        angles[i] = _mod(ang, 2 * math.pi)
    return angles


@numba.njit(cache=True)
def drop_broken_ridges(
    ends: np.ndarray, x: np.ndarray, y: np.ndarray, angles: np.ndarray, gap: float,
    keep: np.ndarray,
) -> None:
    """Clear `keep` for both endings of every pair that face each other across a gap
    shorter than `gap`: the two ends of one broken ridge."""
    for a in range(ends.size):
        i = ends[a]
        for c in range(a + 1, ends.size):
            j = ends[c]
            dx = float(x[i] - x[j])
            dy = float(y[i] - y[j])
            if math.sqrt(dx * dx + dy * dy) < gap and (
                _turn(angles[i], angles[j] + math.pi) < math.pi / 5
            ):
                link = math.atan2(float(y[j] - y[i]), float(x[j] - x[i]))
                if _turn(link, angles[i]) < math.pi / 3:
                    keep[i] = False
                    keep[j] = False


def detect(
    skel: np.ndarray,
    orientation: np.ndarray,
    coherence: np.ndarray,
    border_distance: Any,  # indexable as [ys, xs]: an array or extract.BorderDistance
    params: MinutiaeParams = MinutiaeParams(),
) -> np.ndarray:
    """Minutiae rows (x, y, angle, type, quality) in image angles (y down, clockwise on
    screen), type 1 ridge ending, 2 bifurcation."""
    sk = np.ascontiguousarray(skel, dtype=np.bool_)
    cn = crossing_numbers(sk)
    short = max(params.short_ridge, params.trace_steps)
    rows, links = trace_minutiae(sk, cn, short, short, _DY, _DX)
    n = rows.shape[0]
    if n == 0:
        return np.zeros((0, 5), dtype=np.float32)
    y = rows[:, 0].astype(np.int64)
    x = rows[:, 1].astype(np.int64)
    kind = rows[:, 2].astype(np.int64)
    keep = border_distance[y, x] >= params.border
    index = {(int(y[i]), int(x[i])): i for i in range(n)}
    # Short ridges between two minutiae: spurs, islands, bridges, holes.
    for i in range(n):
        for b in range(3):
            sty, stx, k, ln = links[i, b]
            if k < 0 or ln >= params.short_ridge:
                continue
            j = index.get((int(sty), int(stx)))
            if j is not None and j != i:
                keep[i] = False
                keep[j] = False
    angles = minutiae_angles(rows, y, x, kind, orientation)
    # Two endings facing each other across a small gap: one broken ridge.
    ends = np.array([e for e in np.flatnonzero(keep) if kind[e] == 1], dtype=np.int64)
    drop_broken_ridges(ends, x, y, angles, float(params.broken_gap), keep)
    idx = np.flatnonzero(keep)
    # Clusters of minutiae are noise (pores, scars, creases).
    if idx.size > 1:
        pts = np.stack([x[idx], y[idx]], axis=1).astype(np.float64)
        dist = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        np.fill_diagonal(dist, np.inf)
        close = (dist < params.cluster).any(axis=1)
        keep[idx[close]] = False
        idx = np.flatnonzero(keep)
    coh = coherence[y[idx], x[idx]]
    bd = border_distance[y[idx], x[idx]]
    quality = 100.0 * np.clip(coh / 0.7, 0, 1) * np.clip(bd / (3 * params.border), 0.4, 1)
    out = np.stack(
        [x[idx].astype(np.float64), y[idx].astype(np.float64), angles[idx],
         kind[idx].astype(np.float64) * 0 + np.where(kind[idx] == 1, 1, 2), quality],
        axis=1,
    ).astype(np.float32)
    if params.min_quality > 0:
        out = out[out[:, 4] >= params.min_quality]
    if out.shape[0] > params.max_count:
        out = out[np.argsort(-out[:, 4], kind="stable")[: params.max_count]]
    return out
