"""1:N search: a gallery of templates held as compact MCC arrays in shards, searched in
parallel worker processes (or on Dask workers), with fusion over the fingers of a person.

Search is two steps: every gallery finger (or, with the cylinder index of
`granica.biometrics.index`, only the index's candidates) gets the LSS score from the
bit-vector kernel (candidate generation), then the best of each shard (`shortlist`) are
re-scored with the full LSS-R comparison, which also yields the paired minutiae (scoring).
One dispatch (`Gallery._search`) runs both ways in this process, its threads, worker
processes or on Dask workers.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Self

import numba
import numpy as np

from granica.biometrics.compare import (
    Probe,
    compare,
    compare_cylinders,
    min_common,
    on_fused_scale,
    prepare,
)
from granica.biometrics.mcc import ND, WORDS, Cylinders, MCCParams, build_cylinders, popcount
from granica.biometrics.template import Template
from granica.errors import BiometricError

if TYPE_CHECKING:
    from granica.biometrics.index import CylinderIndex, IndexQuery

_log = logging.getLogger(__name__)

# Every shard object gets a number of its own: with its row count and the version its
# removals bump, it tells an index (or a worker's copy) which state of the shard it holds,
# without reading the shard's arrays.
_SERIALS = itertools.count(1)


@dataclass(frozen=True)
class Candidate:
    """One ranked gallery entry."""

    subject: str
    finger_position: int
    score: float
    shard: int
    row: int


@dataclass
class Shard:
    """Templates of part of the gallery as flat arrays; row r's cylinders are
    offsets[r]:offsets[r+1]."""

    subjects: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    templates: list[bytes] = field(default_factory=list)
    bits: np.ndarray = field(default_factory=lambda: np.zeros((0, ND * WORDS), np.uint64))
    masks: np.ndarray = field(default_factory=lambda: np.zeros((0, WORDS), np.uint64))
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    norms: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    position_array: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    serial: int = field(default_factory=lambda: next(_SERIALS))
    version: int = 0  # bumped by `remove`

    def __len__(self) -> int:
        return len(self.subjects)

    @property
    def nbytes(self) -> int:
        return int(self.bits.nbytes + self.masks.nbytes + self.theta.nbytes + self.xy.nbytes
                   + self.norms.nbytes
                   + self.rows.nbytes + self.offsets.nbytes + sum(len(t) for t in self.templates))

    @classmethod
    def build(
        cls, entries: Sequence[tuple[str, Template]], params: MCCParams = MCCParams()
    ) -> Shard:
        bits, masks, theta, xy, rows, offsets = [], [], [], [], [], [0]
        shard = cls()
        for subject, tpl in entries:
            cyl = prepare(tpl, params, secondary=False).cylinders
            bits.append(cyl.bits.reshape(len(cyl), ND * WORDS))
            masks.append(cyl.masks)
            theta.append(cyl.theta.astype(np.float32))
            xy.append(cyl.xy.astype(np.float32))
            rows.append(cyl.index.astype(np.int16))
            offsets.append(offsets[-1] + len(cyl))
            shard.subjects.append(subject)
            shard.positions.append(int(tpl.finger_position))
            shard.templates.append(tpl.to_bytes())
        if entries:
            shard.bits = np.ascontiguousarray(np.concatenate(bits))
            shard.masks = np.ascontiguousarray(np.concatenate(masks))
            shard.theta = np.ascontiguousarray(np.concatenate(theta))
            shard.xy = np.ascontiguousarray(np.concatenate(xy))
            shard.rows = np.ascontiguousarray(np.concatenate(rows))
        shard.norms = _norms(shard.bits)
        shard.offsets = np.asarray(offsets, dtype=np.int64)
        shard.position_array = np.asarray(shard.positions, dtype=np.int16)
        return shard

    @classmethod
    def concat(cls, parts: Sequence[tuple[Shard, np.ndarray]]) -> Shard:
        """One shard of the given rows of other shards (their arrays copied, nothing
        rebuilt): how a stored gallery is compacted."""
        shard = cls()
        keep: list[tuple[Shard, np.ndarray, np.ndarray]] = []
        for part, rows in parts:
            rows = np.asarray(rows, dtype=np.int64)
            if rows.size:
                lo = np.asarray(part.offsets[rows], np.int64)
                counts = np.asarray(part.offsets[rows + 1], np.int64) - lo
                # the cylinder numbers of the rows, in order, without a loop per row
                cyl = np.repeat(lo - (np.cumsum(counts) - counts), counts) \
                    + np.arange(int(counts.sum()))
                keep.append((part, rows, cyl))
        if not keep:
            return shard
        for name in ("bits", "masks", "theta", "xy", "norms", "rows"):
            setattr(shard, name, np.ascontiguousarray(
                np.concatenate([getattr(p, name)[cyl] for p, _, cyl in keep])))
        counts = np.concatenate([np.diff(p.offsets)[rows] for p, rows, _ in keep])
        shard.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        for p, rows, _ in keep:
            shard.subjects += [p.subjects[r] for r in rows]
            shard.positions += [p.positions[r] for r in rows]
            shard.templates += [p.templates[r] for r in rows]
        shard.position_array = np.asarray(shard.positions, dtype=np.int16)
        return shard

    @property
    def signature(self) -> tuple[int, int, int]:
        """Which state of which shard this is (see `_SERIALS`)."""
        return (self.serial, len(self.subjects), self.version)

    def remove(self, rows: Sequence[int] | np.ndarray) -> None:
        """Mark rows removed: no search returns them, `concat` of the shard keeps the mark."""
        rows = np.asarray(rows, dtype=np.int64)
        self.position_array[rows] = -1
        for r in rows.tolist():
            self.positions[r] = -1
        self.version += 1

    def cylinders_of(self, row: int) -> Cylinders:
        """The cylinders of one row, as views of the shard's arrays (no rebuild)."""
        lo, hi = int(self.offsets[row]), int(self.offsets[row + 1])
        return Cylinders(
            xy=self.xy[lo:hi].astype(np.float64), theta=self.theta[lo:hi].astype(np.float64),
            bits=self.bits[lo:hi].reshape(hi - lo, ND, WORDS), masks=self.masks[lo:hi],
            index=self.rows[lo:hi].astype(np.int32),
        )

    def template_of(self, row: int) -> Template:
        return Template.from_bytes(self.templates[row])


@numba.njit(cache=True, nogil=True)  # nogil: the shards of one search scan in threads
def _lss_scan(
    p_bits: np.ndarray, p_masks: np.ndarray, p_theta: np.ndarray, p_norm: np.ndarray,
    p_position: int, bits: np.ndarray, masks: np.ndarray, theta: np.ndarray,
    norms: np.ndarray, offsets: np.ndarray,
    positions: np.ndarray, min_common: int, max_rotation: float, min_np: int, max_np: int,
    mu_p: float, tau_p: float, exact: bool,
) -> np.ndarray:
    """LSS score of the probe against every row of a shard (bit-vector MCC); norms are
    the square roots of each cylinder's bit count (used when not `exact`)."""
    n = offsets.size - 1
    na = p_bits.shape[0]
    scores = np.zeros(n, dtype=np.float32)
    top = np.zeros(max_np, dtype=np.float32)
    # |angle difference| <= max_rotation  <=>  cos(difference) >= cos(max_rotation): a dot
    # product instead of a floating-point modulo in the innermost loop.
    cos_lim = math.cos(max_rotation)
    pc = np.cos(p_theta)
    ps = np.sin(p_theta)
    gc = np.empty(256)
    gs = np.empty(256)
    for r in range(n):
        if positions[r] < 0:  # a row removed from a stored shard
            continue
        if p_position != 0 and positions[r] != 0 and positions[r] != p_position:
            continue
        lo, hi = offsets[r], offsets[r + 1]
        nb = hi - lo
        if na == 0 or nb == 0:
            continue
        if nb > gc.size:
            gc = np.empty(nb)
            gs = np.empty(nb)
        for j in range(nb):
            gc[j] = math.cos(theta[lo + j])
            gs[j] = math.sin(theta[lo + j])
        z = 1.0 / (1.0 + math.exp(-tau_p * (min(na, nb) - mu_p)))
        n_p = min_np + round(z * (max_np - min_np))
        for q in range(n_p):
            top[q] = 0.0
        floor = np.float32(0.0)
        for i in range(na):
            ci = pc[i]
            si = ps[i]
            for jj in range(nb):
                if ci * gc[jj] + si * gs[jj] < cos_lim:
                    continue
                j = lo + jj
                m0 = p_masks[i, 0] & masks[j, 0]
                m1 = p_masks[i, 1] & masks[j, 1]
                m2 = p_masks[i, 2] & masks[j, 2]
                m3 = p_masks[i, 3] & masks[j, 3]
                common = popcount(m0) + popcount(m1) + popcount(m2) + popcount(m3)
                if common < min_common:
                    continue
                px = 0
                if exact:
                    # Cappelli 2010 eq. 7: the norms of both cylinders inside the common
                    # area, as in the 1:1 comparison. Two more popcounts per word, and the
                    # ranking of the gallery that LSS-R's shortlist is taken from.
                    pa = 0
                    pb = 0
                    for k in range(ND):
                        base = k * WORDS
                        a0 = p_bits[i, base] & m0
                        a1 = p_bits[i, base + 1] & m1
                        a2 = p_bits[i, base + 2] & m2
                        a3 = p_bits[i, base + 3] & m3
                        b0 = bits[j, base] & m0
                        b1 = bits[j, base + 1] & m1
                        b2 = bits[j, base + 2] & m2
                        b3 = bits[j, base + 3] & m3
                        pa += popcount(a0) + popcount(a1) + popcount(a2) + popcount(a3)
                        pb += popcount(b0) + popcount(b1) + popcount(b2) + popcount(b3)
                        px += popcount(a0 ^ b0) + popcount(a1 ^ b1) + popcount(a2 ^ b2) \
                            + popcount(a3 ^ b3)
                    den = math.sqrt(pa) + math.sqrt(pb)
                else:
                    # Each cylinder's own bit count as its norm (precomputed): one popcount
                    # per word instead of three, but a pair that overlaps in a small area
                    # is undervalued (see `EXACT_LSS`).
                    for k in range(ND):
                        base = k * WORDS
                        px += popcount((p_bits[i, base] ^ bits[j, base]) & m0)
                        px += popcount((p_bits[i, base + 1] ^ bits[j, base + 1]) & m1)
                        px += popcount((p_bits[i, base + 2] ^ bits[j, base + 2]) & m2)
                        px += popcount((p_bits[i, base + 3] ^ bits[j, base + 3]) & m3)
                    den = p_norm[i] + norms[j]
                if den == 0:
                    continue
                v = np.float32(1.0 - math.sqrt(px) / den)
                # Keep the n_p largest in a small descending array (insertion).
                if v > floor:
                    q = n_p - 1
                    while q > 0 and top[q - 1] < v:
                        top[q] = top[q - 1]
                        q -= 1
                    top[q] = v
                    floor = top[n_p - 1]
        acc = 0.0
        for q in range(n_p):
            acc += top[q]
        scores[r] = acc / n_p
    return scores


def _norms(bits: np.ndarray) -> np.ndarray:
    counts = np.unpackbits(bits.view(np.uint8), axis=1).sum(axis=1) if len(bits) else np.zeros(0)
    return np.sqrt(counts).astype(np.float32)


def _probe_arrays(probe: Probe) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    c = probe.cylinders
    bits = np.ascontiguousarray(c.bits.reshape(len(c), ND * WORDS))
    return (
        bits,
        np.ascontiguousarray(c.masks),
        np.ascontiguousarray(c.theta.astype(np.float32)),
        _norms(bits),
        int(probe.template.finger_position),
    )


# How many of the rows a shard scans get the LSS-R comparison: at least RESCORE_MIN, and
# RESCORE_FRACTION of them in a large shard. LSS alone ranks a mate lower the more fingers
# it competes with, so a fixed shortlist loses mates as the gallery grows.
RESCORE_MIN = 30
RESCORE_FRACTION = 0.004
EXACT_LSS = True


def shortlist(scanned: int, rescore: int | None = None) -> int:
    """The LSS-R shortlist of a shard that scanned `scanned` rows (`rescore` fixes it)."""
    if rescore is not None:
        return rescore
    return max(RESCORE_MIN, math.ceil(RESCORE_FRACTION * scanned))


def search_shard(
    shard: Shard, probe: Probe, shard_index: int = 0, top: int = 10, rescore: int | None = None,
    params: MCCParams = MCCParams(), same_position: bool = True, rows: np.ndarray | None = None,
) -> list[Candidate]:
    """Rank one shard: LSS for every row (or only the given sorted `rows`, an index's
    candidates), LSS-R on the primary minutiae for the best rows (`shortlist`; the fused
    comparison follows in `Gallery`, over all shards' best)."""
    if len(shard) == 0:
        return []
    offsets, positions = shard.offsets, shard.position_array
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return []
        # The kernel scans consecutive rows of an offsets array and skips rows marked
        # removed, so the candidates are scanned in place, without copying their cylinders:
        # candidate k is scanned row 2k, and the odd rows between them are marked removed.
        offsets = np.empty(2 * rows.size, dtype=np.int64)
        offsets[0::2] = shard.offsets[rows]
        offsets[1::2] = shard.offsets[rows + 1]
        positions = np.full(2 * rows.size - 1, -1, dtype=np.int16)
        positions[0::2] = shard.position_array[rows]
    pb, pm, pt, pn, pos = _probe_arrays(probe)
    scores = _lss_scan(
        pb, pm, pt, pn, pos if same_position else 0, shard.bits, shard.masks, shard.theta,
        shard.norms, offsets, positions, min_common(params), params.max_rotation,
        params.min_np, params.max_np, params.mu_p, params.tau_p, EXACT_LSS,
    )
    if rows is None:
        rows = np.arange(len(shard))
    else:
        scores = scores[0::2]
    k = min(max(shortlist(len(rows), rescore), top), len(rows))
    # Ties broken by row so that every layout of shards gives the same ranking.
    out = []
    for i in np.lexsort((rows, -scores))[:k]:
        r = int(rows[i])
        if scores[i] <= 0:
            continue
        main = compare_cylinders(probe.cylinders, shard.cylinders_of(r), params)
        out.append(Candidate(shard.subjects[r], shard.positions[r],
                             on_fused_scale(main, SCALE_FMR), shard_index, int(r)))
    return out


# Candidate scores are on the fused comparisons' scale at this false-match rate (see
# compare.on_fused_scale), so that a gallery of mixed templates ranks consistently.
SCALE_FMR = 0.001


def _rescore(probe: Probe, shard: Shard, row: int, params: MCCParams) -> float:
    """The full 1:1 comparison of a probe that has a secondary set with one gallery row:
    LSS-R on the primary cylinders held in the shard, fused with the secondary set (rebuilt
    from the stored template, for the few rows that reach this step) when the row has one."""
    tpl = shard.template_of(row)
    secondary = build_cylinders(tpl.secondary, params) if len(tpl.secondary) else None
    candidate = Probe(tpl, shard.cylinders_of(row), secondary)
    return on_fused_scale(compare(probe, candidate, params), SCALE_FMR)


def _rank(cands: Iterable[Candidate], top: int) -> list[Candidate]:
    return sorted(cands, key=lambda c: (-c.score, c.subject, c.finger_position))[:top]


def _fuse(shards: Sequence[Shard], probe: Probe, cands: Iterable[Candidate], top: int) -> list[Candidate]:
    """The final step of a search: the best candidates over all shards by their primary
    LSS-R score (at least 20, so that a mate the primary set alone ranks low can still rise)
    get the fused comparison, and are ranked by it. Runs where the shards' results meet,
    so that every layout of shards gives the same list."""
    if probe.secondary is None:
        return _rank(cands, top)
    pool = _rank(cands, max(top, 20))
    rescored = [replace(c, score=_rescore(probe, shards[c.shard], c.row, MCCParams())) for c in pool]
    return _rank(rescored, top)


_THREADS: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _THREADS
    if _THREADS is None:
        _THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                      thread_name_prefix="gallery-scan")
    return _THREADS


# Worker processes get the shards once, at start-up (inherited when forking).
_WORKER_SHARDS: list[Shard] = []


def _worker_init(shards: list[Shard]) -> None:
    global _WORKER_SHARDS
    _WORKER_SHARDS = shards


def _worker_search(index: int, template: Template, top: int, rescore: int | None,
                   same_position: bool, rows: np.ndarray | None) -> list[Candidate]:
    # The template object itself travels (not its quantised bytes), so that every worker
    # builds exactly the probe the calling process built.
    probe = prepare(template)
    return search_shard(_WORKER_SHARDS[index], probe, index, top, rescore, MCCParams(),
                        same_position, rows)


def _dask_search(shard: Shard, index: int, template: Template, top: int, rescore: int | None,
                 same_position: bool, rows: np.ndarray | None) -> list[Candidate]:
    return search_shard(shard, prepare(template), index, top, rescore, MCCParams(),
                        same_position, rows)


class Gallery:
    """Templates split into shards; searched in this process (optionally in its threads),
    in worker processes or on Dask workers, exhaustively or through the cylinder index.
    Candidate generation by the index runs where the index is (here); only each shard's
    candidate rows travel to the process that scans the shard."""

    def __init__(self, shards: list[Shard], workers: int | None = None,
                 threads: bool = False) -> None:
        self.shards = shards
        self.workers = workers
        self.threads = threads  # scan the shards in this process's threads (no copies)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_state: list[tuple[int, int, int]] = []
        self._dask_client: Any = None
        self._dask_shards: Any = None
        self._dask_state: list[tuple[int, int, int]] = []
        self.index: CylinderIndex | None = None  # built by the first indexed search

    @classmethod
    def build(
        cls, entries: Sequence[tuple[str, Template]], n_shards: int = 4, workers: int | None = None
    ) -> Gallery:
        if n_shards < 1:
            raise BiometricError("a gallery needs at least one shard", field="n_shards")
        parts = [list(entries[i::n_shards]) for i in range(n_shards)]
        return cls([Shard.build(p) for p in parts], workers)

    def __len__(self) -> int:
        return sum(len(s) for s in self.shards)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.shards)

    def state(self) -> list[tuple[int, int, int]]:
        """The signature of every shard (what an index or a worker's copy was made from)."""
        return [s.signature for s in self.shards]

    # -- changing the gallery ------------------------------------------------------------

    def add(self, entries: Sequence[tuple[str, Template]], shard: int | None = None) -> int:
        """Enrol fingers in one shard (the smallest unless given); the index, if there is
        one, indexes them too. Returns the shard's number."""
        if not entries:
            raise BiometricError("no fingers to add", field="entries")
        s = min(range(len(self.shards)), key=lambda i: len(self.shards[i])) if shard is None else shard
        if not 0 <= s < len(self.shards):
            raise BiometricError(f"no shard {s} in a gallery of {len(self.shards)}", field="shard")
        old = self.shards[s]
        extra = Shard.build(entries)
        new = Shard.concat([(old, np.arange(len(old))), (extra, np.arange(len(extra)))])
        in_step = self.index is not None and not self.index.stale_shards(self.shards)
        self.shards[s] = new
        if in_step:
            assert self.index is not None
            self.index.add(s, new, np.arange(len(old), len(new)))
        return s

    def remove(self, shard: int, rows: Sequence[int] | np.ndarray) -> None:
        """Remove rows of a shard from every later search, the index's candidates included."""
        in_step = self.index is not None and not self.index.stale_shards(self.shards)
        self.shards[shard].remove(rows)
        if in_step:
            assert self.index is not None
            self.index.remove(shard, rows)
            self.index.follow(shard, self.shards[shard])

    def remove_subject(self, subject: str) -> int:
        """Remove every finger of a data subject; returns how many."""
        n = 0
        for s, shard in enumerate(self.shards):
            rows = [r for r, name in enumerate(shard.subjects)
                    if name == subject and shard.position_array[r] >= 0]
            if rows:
                self.remove(s, rows)
                n += len(rows)
        return n

    # -- searching -----------------------------------------------------------------------

    def _executor(self) -> ProcessPoolExecutor:
        # Workers hold copies of the shards: a gallery changed since they were started gets
        # new ones, so that a worker never scans rows another state of a shard numbered.
        if self._pool is not None and self._pool_state != self.state():
            self.close()
        if self._pool is None:
            import multiprocessing as mp

            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers or os.cpu_count() or 1, mp_context=ctx,
                initializer=_worker_init, initargs=(self.shards,),
            )
            self._pool_state = self.state()
        return self._pool

    def candidates(self, probe: Probe, same_position: bool = True,
                   penetration: float | None = None) -> IndexQuery:
        """Candidate generation by the cylinder index (`self.index`, built on first use).
        An index that is missing, was built for another gallery or that the shards changed
        behind is brought up to date first, never searched stale."""
        from granica.biometrics.index import CylinderIndex

        if self.index is None:
            self.index = CylinderIndex.build(self.shards)
        elif self.index.is_stale(self.shards):
            _log.warning("cylinder index stale: shards %s rebuilt", self.index.sync(self.shards))
        return self.index.query(probe, len(self.shards), same_position, penetration)

    def search(
        self, probe: Probe | Template, top: int = 10, rescore: int | None = None,
        parallel: bool = True, same_position: bool = True, indexed: bool = False,
        penetration: float | None = None, client: Any = None,
    ) -> list[Candidate]:
        """Ranked candidates for one finger, best first. `indexed`: only the cylinder
        index's candidates (`penetration` of the gallery) are scanned and compared;
        otherwise every finger is. `client`: the shards are scanned on that Dask
        distributed client's workers (`granica[cluster]`), scattered once and cached."""
        p = probe if isinstance(probe, Probe) else prepare(probe)
        rows = self.candidates(p, same_position, penetration).rows if indexed else None
        return self._search(p, top, rescore, parallel, same_position, rows, client)

    def search_indexed(
        self, probe: Probe | Template, top: int = 10, rescore: int | None = None,
        parallel: bool = True, same_position: bool = True, penetration: float | None = None,
        client: Any = None,
    ) -> tuple[list[Candidate], IndexQuery]:
        """`search(indexed=True)` that also returns the index's query (its penetration)."""
        p = probe if isinstance(probe, Probe) else prepare(probe)
        query = self.candidates(p, same_position, penetration)
        return self._search(p, top, rescore, parallel, same_position, query.rows, client), query

    def _search(self, p: Probe, top: int, rescore: int | None, parallel: bool,
                same_position: bool, rows: list[np.ndarray] | None, client: Any) -> list[Candidate]:
        """The one dispatch of a search: each shard (its candidate `rows` when given) scanned
        where its copy is, the shards' best fused here."""
        n = len(self.shards)

        def rows_of(i: int) -> np.ndarray | None:
            return None if rows is None else rows[i]

        if client is not None:
            state = self.state()
            if self._dask_shards is None or self._dask_client is not client \
                    or self._dask_state != state:
                self._dask_shards = client.scatter(self.shards, broadcast=False)
                self._dask_client, self._dask_state = client, state
            futures = [client.submit(_dask_search, s, i, p.template, top, rescore, same_position,
                                     rows_of(i), pure=False)
                       for i, s in enumerate(self._dask_shards)]
            found = [c for part in client.gather(futures) for c in part]
        elif self.threads and n > 1:
            parts = _thread_pool().map(lambda i: search_shard(
                self.shards[i], p, i, top, rescore, MCCParams(), same_position, rows_of(i)),
                range(n))
            found = [c for part in parts for c in part]
        elif not parallel or n == 1 or self.workers == 1:
            found = [c for i, s in enumerate(self.shards)
                     for c in search_shard(s, p, i, top, rescore, MCCParams(), same_position,
                                           rows_of(i))]
        else:
            futures = [self._executor().submit(_worker_search, i, p.template, top, rescore,
                                               same_position, rows_of(i)) for i in range(n)]
            found = [c for f in futures for c in f.result()]
        return _fuse(self.shards, p, found, top)

    def search_person(
        self, probes: Sequence[Probe | Template], top: int = 10, rescore: int = RESCORE_MIN,
        parallel: bool = True,
    ) -> list[tuple[str, float, dict[int, float]]]:
        """Ten-print search: each probe finger is searched among the gallery fingers of the
        same position and the per-finger scores of a subject are fused by the sum rule
        (a missing finger counts 0), normalised by the number of probe fingers. Each finger
        keeps its best `max(top, rescore)` (each one fully compared, which is what a search
        costs beyond the scan): a mate outside them adds nothing on that finger."""
        if not probes:
            raise BiometricError("no probe fingers to search with")
        per_subject: dict[str, dict[int, float]] = {}
        for pr in probes:
            p = pr if isinstance(pr, Probe) else prepare(pr)
            for c in self.search(p, top=max(top, rescore), rescore=rescore, parallel=parallel):
                fingers = per_subject.setdefault(c.subject, {})
                pos = int(p.template.finger_position)
                fingers[pos] = max(fingers.get(pos, 0.0), c.score)
        fused = [(s, float(sum(f.values()) / len(probes)), f) for s, f in per_subject.items()]
        return sorted(fused, key=lambda t: (-t[1], t[0]))[:top]

    def search_dask(
        self, client: Any, probe: Probe | Template, top: int = 10, rescore: int | None = None,
        same_position: bool = True, indexed: bool = False, penetration: float | None = None,
    ) -> list[Candidate]:
        """`search` with the shards on Dask distributed workers."""
        return self.search(probe, top, rescore, True, same_position, indexed, penetration, client)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
