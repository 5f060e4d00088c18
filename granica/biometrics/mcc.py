"""Minutia Cylinder-Code with bit-vector cylinders (R. Cappelli, M. Ferrara, D. Maltoni,
'Minutia Cylinder-Code: a new representation and matching technique for fingerprint
recognition', IEEE TPAMI 32(12), 2010; and 'Fingerprint indexing based on MCC', 2011).

Cylinders are rebuilt from a template's minutiae; each is 6 direction layers of
16 x 16 cells, one bit per cell, kept as 4 uint64 words per layer, plus a 4-word mask
of the cells that are valid. The numba kernels count bits with LLVM's ctpop intrinsic,
which compiles to the CPU's popcount instruction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

NS = 16  # cells per side
ND = 6  # direction layers
WORDS = NS * NS // 64  # uint64 words per layer


@dataclass(frozen=True)
class MCCParams:
    radius: float = 70.0
    sigma_s: float = 28.0 / 3.0
    sigma_d: float = 2.0 * math.pi / 9.0
    mu_psi: float = 0.01
    omega: float = 50.0  # convex-hull enlargement
    min_valid_cells: float = 0.75
    min_neighbours: int = 2
    min_matchable: float = 0.6
    max_rotation: float = math.pi / 2
    # LSS-R consolidation
    min_np: int = 4
    max_np: int = 12
    mu_p: float = 20.0
    tau_p: float = 0.4
    relax_iterations: int = 5
    relax_weight: float = 0.5
    mu_1: float = 5.0
    tau_1: float = -1.6
    mu_2: float = math.pi / 12
    tau_2: float = -30.0
    mu_3: float = math.pi / 12
    tau_3: float = -30.0


if TYPE_CHECKING:

    def popcount(x: int) -> int:
        """Bit count of a uint64 (what jitted code sees; the intrinsic below builds it)."""
        ...

else:

    @intrinsic
    def popcount(typingctx, x):  # type: ignore[no-untyped-def]
        """Bit count of a uint64 through LLVM's ctpop (one instruction on x86-64 with POPCNT)."""
        if not isinstance(x, types.Integer):
            return None
        sig = types.uint64(types.uint64)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
            return builder.call(fn, [args[0]])

        return sig, codegen


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull, counter-clockwise, by Andrew's monotone chain."""
    pts = np.unique(points.astype(np.float64), axis=0)  # sorted by x, then y
    if len(pts) < 3:
        return pts
    return _monotone_chain(np.ascontiguousarray(pts))


@numba.njit(cache=True)
def _monotone_chain(pts: np.ndarray) -> np.ndarray:
    n = pts.shape[0]
    out = np.empty((2 * n, 2))
    k = 0
    for i in range(n):  # lower hull
        while k >= 2 and (out[k - 1, 0] - out[k - 2, 0]) * (pts[i, 1] - out[k - 2, 1]) - (
            out[k - 1, 1] - out[k - 2, 1]
        ) * (pts[i, 0] - out[k - 2, 0]) <= 0:
            k -= 1
        out[k] = pts[i]
        k += 1
    lower = k + 1
    for i in range(n - 2, -1, -1):  # upper hull
        while k >= lower and (out[k - 1, 0] - out[k - 2, 0]) * (pts[i, 1] - out[k - 2, 1]) - (
            out[k - 1, 1] - out[k - 2, 1]
        ) * (pts[i, 0] - out[k - 2, 0]) <= 0:
            k -= 1
        out[k] = pts[i]
        k += 1
    return out[: k - 1].copy()


@numba.njit(cache=True)
def _in_hull_exact(px: float, py: float, hull: np.ndarray, omega: float) -> bool:
    nh = hull.shape[0]
    if nh < 3:
        best = 1e18
        for k in range(nh):
            d = math.hypot(px - hull[k, 0], py - hull[k, 1])
            best = min(best, d)
        return best <= omega or nh == 0
    inside = True
    for k in range(nh):
        ax, ay = hull[k, 0], hull[k, 1]
        bx, by = hull[(k + 1) % nh, 0], hull[(k + 1) % nh, 1]
        if (bx - ax) * (py - ay) - (by - ay) * (px - ax) < 0:
            inside = False
            break
    if inside:
        return True
    limit = omega * omega
    for k in range(nh):
        ax, ay = hull[k, 0], hull[k, 1]
        bx, by = hull[(k + 1) % nh, 0], hull[(k + 1) % nh, 1]
        ex, ey = bx - ax, by - ay
        ll = ex * ex + ey * ey
        t = 0.0 if ll == 0 else ((px - ax) * ex + (py - ay) * ey) / ll
        t = min(max(t, 0.0), 1.0)
        dx, dy = px - ax - t * ex, py - ay - t * ey
        if dx * dx + dy * dy <= limit:
            return True
    return False


@numba.njit(cache=True)
def _hull_edges(hull: np.ndarray) -> np.ndarray:
    """Unit outward normal and offset of each edge of a counter-clockwise convex hull:
    rows (nx, ny, c) with n . p - c the signed distance of p from the edge's line."""
    nh = hull.shape[0]
    out = np.zeros((nh, 3))
    for k in range(nh):
        ax, ay = hull[k, 0], hull[k, 1]
        bx, by = hull[(k + 1) % nh, 0], hull[(k + 1) % nh, 1]
        ll = math.hypot(bx - ax, by - ay)
        if ll > 0:
            nx, ny = (by - ay) / ll, -(bx - ax) / ll
            out[k, 0], out[k, 1], out[k, 2] = nx, ny, nx * ax + ny * ay
    return out


@numba.njit(cache=True)
def _in_hull(px: float, py: float, hull: np.ndarray, omega: float, edges: np.ndarray) -> bool:
    """Inside the convex hull enlarged by `omega` (Cappelli 2010, the valid cells). The
    distance of a point from a convex polygon is at least its largest distance from the
    edges' lines, so that one pass settles all but the points in the corner regions of the
    enlarged hull, which get the exact test."""
    if hull.shape[0] >= 3:
        far = -1e18
        for k in range(edges.shape[0]):
            far = max(far, edges[k, 0] * px + edges[k, 1] * py - edges[k, 2])
        if far > omega + 1e-9:
            return False
        if far < -1e-9:
            return True
    return _in_hull_exact(px, py, hull, omega)


@numba.njit(cache=True)
def _angle_norm(a: float) -> float:
    """Difference of angles folded into [-pi, pi)."""
    return (a + math.pi) % (2 * math.pi) - math.pi


@numba.njit(cache=True)
def _cylinders(
    xy: np.ndarray, theta: np.ndarray, hull: np.ndarray, radius: float, sigma_s: float,
    sigma_d: float, mu_psi: float, omega: float, min_vc: float, min_m: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = xy.shape[0]
    bits = np.zeros((n, ND, WORDS), dtype=np.uint64)
    masks = np.zeros((n, WORDS), dtype=np.uint64)
    valid = np.zeros(n, dtype=np.bool_)
    ds = 2.0 * radius / NS
    dd = 2.0 * math.pi / ND
    gs_norm = 1.0 / (sigma_s * math.sqrt(2.0 * math.pi))
    reach = 3.0 * sigma_s
    s2 = sigma_d * math.sqrt(2.0)
    acc = np.zeros((NS, NS, ND))
    cell_ok = np.zeros((NS, NS), dtype=np.bool_)
    edges = _hull_edges(hull) if hull.shape[0] >= 3 else np.zeros((0, 3))
    area = np.zeros(ND)
    for m in range(n):
        mx, my, mt = xy[m, 0], xy[m, 1], theta[m]
        c, s = math.cos(mt), math.sin(mt)
        acc[:] = 0.0
        # The cells that count: inside the radius and near the convex hull of the minutiae.
        in_radius = 0
        n_valid = 0
        for i in range(NS):
            for j in range(NS):
                cell_ok[i, j] = False
                u = (i + 0.5 - NS / 2.0) * ds
                v = (j + 0.5 - NS / 2.0) * ds
                if math.hypot(u, v) > radius:
                    continue
                in_radius += 1
                px = mx + c * u - s * v
                py = my + s * u + c * v
                if not _in_hull(px, py, hull, omega, edges):
                    continue
                n_valid += 1
                cell_ok[i, j] = True
                cell = i * NS + j
                masks[m, cell >> 6] |= np.uint64(1) << np.uint64(cell & 63)
        # Each neighbour adds to the cells within 3 sigma of it only (a window of about
        # 7 x 7 of the 16 x 16 cells); per cell the neighbours are summed in the same order
        # as a loop over all cells would, so the result does not depend on this shortcut.
        neigh = 0
        for t in range(n):
            if t == m or math.hypot(xy[t, 0] - mx, xy[t, 1] - my) > radius + reach:
                continue
            neigh += 1
            dphi = _angle_norm(mt - theta[t])
            for k in range(ND):
                centre = -math.pi + (k + 0.5) * dd
                alpha = _angle_norm(centre - dphi)
                area[k] = 0.5 * (math.erf((alpha + dd / 2) / s2) - math.erf((alpha - dd / 2) / s2))
            ex0 = xy[t, 0] - mx
            ey0 = xy[t, 1] - my
            tu = c * ex0 + s * ey0
            tv = -s * ex0 + c * ey0
            i0 = max(0, math.floor((tu - reach) / ds + NS / 2.0 - 0.5))
            i1 = min(NS - 1, math.ceil((tu + reach) / ds + NS / 2.0 - 0.5))
            j0 = max(0, math.floor((tv - reach) / ds + NS / 2.0 - 0.5))
            j1 = min(NS - 1, math.ceil((tv + reach) / ds + NS / 2.0 - 0.5))
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    if not cell_ok[i, j]:
                        continue
                    u = (i + 0.5 - NS / 2.0) * ds
                    v = (j + 0.5 - NS / 2.0) * ds
                    px = mx + c * u - s * v
                    py = my + s * u + c * v
                    ex = xy[t, 0] - px
                    ey = xy[t, 1] - py
                    d2 = ex * ex + ey * ey
                    if d2 > reach * reach:
                        continue
                    g = gs_norm * math.exp(-d2 / (2.0 * sigma_s * sigma_s))
                    for k in range(ND):
                        acc[i, j, k] += g * area[k]
        for i in range(NS):
            for j in range(NS):
                if not cell_ok[i, j]:
                    continue
                cell = i * NS + j
                w = cell >> 6
                b = np.uint64(1) << np.uint64(cell & 63)
                for k in range(ND):
                    if acc[i, j, k] >= mu_psi:
                        bits[m, k, w] |= b
        valid[m] = n_valid >= min_vc * in_radius and neigh >= min_m
    return bits, masks, valid


@dataclass(frozen=True)
class Cylinders:
    """The MCC form of one template: what a comparison needs, built once."""

    xy: np.ndarray  # float64 (n, 2), y up (mathematical frame)
    theta: np.ndarray  # float64 (n,), counter-clockwise
    bits: np.ndarray  # uint64 (n, ND, WORDS)
    masks: np.ndarray  # uint64 (n, WORDS)
    index: np.ndarray  # int32 (n,): row of each cylinder in the template's minutiae

    def __len__(self) -> int:
        return int(self.xy.shape[0])


def build_cylinders(minutiae: np.ndarray, params: MCCParams = MCCParams()) -> Cylinders:
    """Cylinders of the minutiae rows (x, y, angle, ...) of a `Template` (y down, angle
    counter-clockwise); only valid cylinders are kept."""
    m = np.asarray(minutiae, dtype=np.float64).reshape(-1, 5)
    xy = np.stack([m[:, 0], -m[:, 1]], axis=1) if len(m) else np.zeros((0, 2))
    theta = m[:, 2].copy()
    hull = _hull(xy) if len(m) else np.zeros((0, 2))
    bits, masks, valid = _cylinders(
        np.ascontiguousarray(xy), np.ascontiguousarray(theta), np.ascontiguousarray(hull, dtype=np.float64),
        params.radius, params.sigma_s, params.sigma_d, params.mu_psi, params.omega,
        params.min_valid_cells, params.min_neighbours,
    )
    keep = np.flatnonzero(valid)
    return Cylinders(
        xy=np.ascontiguousarray(xy[keep]), theta=np.ascontiguousarray(theta[keep]),
        bits=np.ascontiguousarray(bits[keep]), masks=np.ascontiguousarray(masks[keep]),
        index=keep.astype(np.int32),
    )


@numba.njit(cache=True)
def similarity_matrix(
    bits_a: np.ndarray, masks_a: np.ndarray, theta_a: np.ndarray,
    bits_b: np.ndarray, masks_b: np.ndarray, theta_b: np.ndarray,
    min_common: int, max_rotation: float,
) -> np.ndarray:
    """Local similarity of every cylinder pair (Cappelli 2010, eq. 7, bit-based):
    1 - |a xor b| / (|a| + |b|) over the cells valid in both, 0 when not matchable."""
    na, nb = bits_a.shape[0], bits_b.shape[0]
    out = np.zeros((na, nb), dtype=np.float32)
    for i in range(na):
        for j in range(nb):
            if abs(_angle_norm(theta_a[i] - theta_b[j])) > max_rotation:
                continue
            common = 0
            for w in range(WORDS):
                common += popcount(masks_a[i, w] & masks_b[j, w])
            if common < min_common:
                continue
            pa = 0
            pb = 0
            px = 0
            for w in range(WORDS):
                vm = masks_a[i, w] & masks_b[j, w]
                for k in range(ND):
                    ca = bits_a[i, k, w] & vm
                    cb = bits_b[j, k, w] & vm
                    pa += popcount(ca)
                    pb += popcount(cb)
                    px += popcount(ca ^ cb)
            if pa + pb == 0:
                continue
            out[i, j] = 1.0 - math.sqrt(px) / (math.sqrt(pa) + math.sqrt(pb))
    return out


@numba.njit(cache=True)
def _sigmoid(v: float, mu: float, tau: float) -> float:
    return 1.0 / (1.0 + math.exp(-tau * (v - mu)))


@numba.njit(cache=True)
def lss_score(gamma: np.ndarray, n_p: int) -> float:
    """Local Similarity Sort: mean of the n_p largest local similarities."""
    flat = gamma.ravel()
    if flat.size == 0:
        return 0.0
    n_p = min(n_p, flat.size)
    top = np.sort(flat)[flat.size - n_p:]
    return float(top.mean())


@numba.njit(cache=True)
def lssr(
    gamma: np.ndarray, xy_a: np.ndarray, th_a: np.ndarray, xy_b: np.ndarray, th_b: np.ndarray,
    n_p: int, iterations: int, w_r: float, mu1: float, tau1: float, mu2: float, tau2: float,
    mu3: float, tau3: float,
) -> tuple[float, np.ndarray]:
    """Local Similarity Sort with Relaxation (Cappelli 2010, section 5): the best one-to-one
    pairs are re-weighted by their geometric compatibility with the others; the score is
    the mean relaxed similarity of the n_p most efficient pairs. Returns the score and the
    (i, j, similarity) rows of the pairs behind it."""
    na, nb = gamma.shape
    n_r = min(na, nb)
    pairs = np.zeros((0, 3))
    if n_r == 0:
        return 0.0, pairs
    flat = gamma.ravel()
    order = np.argsort(-flat)
    used_a = np.zeros(na, dtype=np.bool_)
    used_b = np.zeros(nb, dtype=np.bool_)
    sel_i = np.empty(n_r, dtype=np.int64)
    sel_j = np.empty(n_r, dtype=np.int64)
    lam = np.empty(n_r)
    cnt = 0
    for o in order:
        v = flat[o]
        if v <= 0 or cnt == n_r:
            break
        i, j = o // nb, o % nb
        if used_a[i] or used_b[j]:
            continue
        used_a[i] = True
        used_b[j] = True
        sel_i[cnt], sel_j[cnt], lam[cnt] = i, j, v
        cnt += 1
    if cnt == 0:
        return 0.0, pairs
    rho = np.zeros((cnt, cnt))
    for r in range(cnt):
        ia, jb = sel_i[r], sel_j[r]
        for q in range(r + 1, cnt):
            ka, lb = sel_i[q], sel_j[q]
            da = math.hypot(xy_a[ia, 0] - xy_a[ka, 0], xy_a[ia, 1] - xy_a[ka, 1])
            db = math.hypot(xy_b[jb, 0] - xy_b[lb, 0], xy_b[jb, 1] - xy_b[lb, 1])
            d1 = abs(da - db)
            d2 = abs(_angle_norm(_angle_norm(th_a[ia] - th_a[ka]) - _angle_norm(th_b[jb] - th_b[lb])))
            ra = _angle_norm(th_a[ia] - math.atan2(xy_a[ka, 1] - xy_a[ia, 1], xy_a[ka, 0] - xy_a[ia, 0]))
            rb = _angle_norm(th_b[jb] - math.atan2(xy_b[lb, 1] - xy_b[jb, 1], xy_b[lb, 0] - xy_b[jb, 0]))
            d3 = abs(_angle_norm(ra - rb))
            v = _sigmoid(d1, mu1, tau1) * _sigmoid(d2, mu2, tau2) * _sigmoid(d3, mu3, tau3)
            rho[r, q] = v
            rho[q, r] = v
    cur = lam[:cnt].copy()
    nxt = np.empty(cnt)
    for _ in range(iterations):
        for r in range(cnt):
            acc = 0.0
            for q in range(cnt):
                if q != r:
                    acc += rho[r, q] * cur[q]
            nxt[r] = w_r * cur[r] + (1.0 - w_r) * acc / max(cnt - 1, 1)
        cur[:] = nxt
    eff = cur / lam[:cnt]
    k = min(n_p, cnt)
    best = np.argsort(-eff)[:k]
    pairs = np.empty((k, 3))
    total = 0.0
    for r in range(k):
        q = best[r]
        pairs[r, 0] = sel_i[q]
        pairs[r, 1] = sel_j[q]
        pairs[r, 2] = cur[q]
        total += cur[q]
    # Fewer pairs than n_p count as zeros: a few lucky pairs must not score high.
    return total / n_p, pairs


def n_pairs(na: int, nb: int, params: MCCParams = MCCParams()) -> int:
    z = 1.0 / (1.0 + math.exp(-params.tau_p * (min(na, nb) - params.mu_p)))
    return params.min_np + round(z * (params.max_np - params.min_np))
