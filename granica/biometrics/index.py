"""Candidate generation for 1:N search without scanning the gallery: an index of the MCC
bit cylinders by locality-sensitive hashing (R. Cappelli, M. Ferrara, D. Maltoni,
'Fingerprint indexing based on Minutia Cylinder-Code', IEEE TPAMI 33(5), 2011).

Each hash function is a random subset of `bits` bit positions of a bit cylinder (here of
a coarser cylinder pooled from it, see `CylinderIndex`); a gallery finger's score for a
probe is the number of (probe cylinder, gallery cylinder) pairs whose hashes collide over
all `tables` functions, each weighted by the inverse of its bucket's size, per probe
cylinder and function. The best-scoring fraction of the gallery (the penetration rate) is
handed to the full comparison.

Each table is held as buckets over a flat array of finger numbers (compressed rows: the
bucket of hash h is ids[starts[h]:starts[h + 1]]). Fingers added after the last build wait
in a small pending list that is searched by sorting; removed fingers are tombstoned;
`compact` folds both into the tables. The index records the signature of each shard it was
built from (the shard object's serial number, its row count and its removal count, see
`Shard.signature`), so that a gallery changed other than through `Gallery.add` and
`Gallery.remove` (which keep the index in step), or another gallery's index, is detected
(`is_stale`) and rebuilt (`sync`), never silently searched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numba
import numpy as np

from granica.biometrics.compare import Probe
from granica.biometrics.gallery import Shard
from granica.biometrics.mcc import ND, NS, WORDS
from granica.errors import BiometricError


@dataclass(frozen=True)
class IndexParams:
    """The hash family and how many candidates a query keeps."""

    tables: int = 24  # hash functions (one table each)
    bits: int = 20  # blocks per function (2**bits buckets per table)
    # Hash bits are drawn from blocks of cells this close to the centre (as a fraction of
    # the radius): the outer cells are often invalid, which would make a cylinder's hash
    # depend on where the print ends rather than on its ridges.
    inner: float = 0.8
    pool: int = 4  # cells per side of a hash bit's block (see CylinderIndex)
    # Fraction of the live gallery handed to the full comparison. bench/afis_index.py, 100
    # mated probes, 7 December 2026: at 10,000 fingers rank-1 85% at 0.02, 87% at 0.05 and
    # 0.1, exhaustive 88%; the mate among the candidates 91% at 0.02, 97% at 0.05 and 0.1.
    penetration: float = 0.05
    min_candidates: int = 100
    seed: int = 2011


@dataclass(frozen=True)
class IndexQuery:
    """What a query hands to the full comparison: candidate rows per shard."""

    rows: list[np.ndarray]  # sorted rows of each shard
    penetration: float  # candidates / live fingers
    candidates: int
    live: int


def _shard_signature(shard: Shard) -> tuple[int, int, int]:
    """Which shard object, how many rows and how many removals (`Shard.signature`): read
    on every query, so it must not touch the shard's arrays."""
    return shard.signature


@numba.njit(cache=True)
def _hash_cylinders(bits: np.ndarray, words: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Hash of every cylinder (rows of `bits`, ND * WORDS uint64) under every function:
    bit j of function t is set when any cell of masks[t, j] in word words[t, j] is."""
    n = bits.shape[0]
    n_t, n_b = words.shape
    out = np.empty((n, n_t), dtype=np.uint32)
    zero = np.uint64(0)
    for c in range(n):
        for t in range(n_t):
            h = 0
            for j in range(n_b):
                if bits[c, words[t, j]] & masks[t, j] != zero:
                    h |= 1 << j
            out[c, t] = h
    return out


@numba.njit(cache=True)
def _accumulate(starts: np.ndarray, ids: np.ndarray, keys: np.ndarray, weight: np.ndarray,
                nf: int) -> np.ndarray:
    """Summed weight of every finger number over the buckets keys[c, t] of the tables
    (weight[c, t] per entry; a zero weight is skipped). Probe cylinder by cylinder and table
    by table, in bucket order: the order, hence the rounding, of a bincount over the buckets
    gathered in that order."""
    out = np.zeros(nf, np.float64)
    na, n_t = keys.shape
    for c in range(na):
        for t in range(n_t):
            w = weight[c, t]
            if w == 0.0:
                continue
            k = keys[c, t]
            for j in range(starts[k], starts[k + 1]):
                out[ids[j]] += w
    return out


@numba.njit(cache=True)
def _finish(counts: np.ndarray, scale: float, alive: np.ndarray, position: np.ndarray,
            pos: int) -> tuple[np.ndarray, int]:
    """Scores (counts / scale as float32; 0 for removed fingers and, when `pos` is not 0,
    for fingers of another known position) and how many are positive."""
    n = counts.size
    out = np.zeros(n, np.float32)
    positive = 0
    for i in range(n):
        if not alive[i] or (pos != 0 and position[i] != 0 and position[i] != pos):
            continue
        v = np.float32(counts[i] / scale)
        out[i] = v
        if v > 0:
            positive += 1
    return out, positive


@dataclass
class CylinderIndex:
    """The LSH index of the cylinders of a gallery's shards (see the module docstring)."""

    params: IndexParams = IndexParams()
    words: np.ndarray = field(init=False)  # (tables, bits): the word of each hash bit
    masks: np.ndarray = field(init=False)  # (tables, bits): its cells in that word
    # per finger number
    shard_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    row_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    n_cylinders: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, np.bool_))
    # the tables: ids[starts[t * B + h]:starts[t * B + h + 1]] are the fingers (one entry
    # per cylinder) whose hash under function t is h
    starts: np.ndarray = field(init=False)
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    pending_hashes: np.ndarray = field(init=False)
    pending_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    signatures: list[tuple[int, int, int]] = field(default_factory=list)
    build_s: float = 0.0

    def __post_init__(self) -> None:
        p = self.params
        if not 1 <= p.bits <= 22:  # 2**bits buckets per table
            raise BiometricError("an index hash has 1 to 22 bits", field="bits")
        if p.tables < 1:
            raise BiometricError("an index needs at least one table", field="tables")
        # A hash bit is one cell of a coarser cylinder: the OR of a `pool` x `pool` block of
        # cells of one direction layer. The bit cylinders are sparse (about 4% of the bits
        # set), so that single bits sampled at random are nearly always all zero; pooled
        # blocks are set about half the time and tolerate the small shifts of a distorted
        # print. A block of 4 rows or fewer lies in one 64-bit word (4 rows of 16 cells).
        pool = p.pool
        if pool not in (1, 2, 4):
            raise BiometricError("an index pools 1, 2 or 4 cells per side", field="pool")
        side = NS // pool
        blocks = [(a, b) for a in range(side) for b in range(side)
                  if math.hypot((a + 0.5) / side * 2 - 1, (b + 0.5) / side * 2 - 1) <= p.inner]
        if p.bits > ND * len(blocks):
            raise BiometricError(f"an index hash has at most {ND * len(blocks)} bits", field="bits")
        rng = np.random.default_rng(p.seed)
        words = np.zeros((p.tables, p.bits), np.int64)
        masks = np.zeros((p.tables, p.bits), np.uint64)
        for t in range(p.tables):
            for j, c in enumerate(rng.choice(ND * len(blocks), size=p.bits, replace=False)):
                k, q = divmod(int(c), len(blocks))
                a, b = blocks[q]
                m = 0
                for i in range(a * pool, (a + 1) * pool):
                    for jj in range(b * pool, (b + 1) * pool):
                        m |= 1 << ((i * NS + jj) % 64)
                words[t, j] = k * WORDS + (a * pool * NS) // 64
                masks[t, j] = m
        self.words, self.masks = words, masks
        self.starts = np.zeros(p.tables * (1 << p.bits) + 1, np.int32)
        self.pending_hashes = np.zeros((0, p.tables), np.uint32)

    # -- building -----------------------------------------------------------------------

    @classmethod
    def build(cls, shards: Sequence[Shard], params: IndexParams = IndexParams()) -> CylinderIndex:
        """The index of every live row of the shards."""
        import time

        t0 = time.perf_counter()
        index = cls(params)
        for s, shard in enumerate(shards):
            index._append(s, shard, np.arange(len(shard)))
        index.signatures = [_shard_signature(sh) for sh in shards]
        index.compact()
        index.build_s = time.perf_counter() - t0
        return index

    def hashes(self, bits: np.ndarray) -> np.ndarray:
        """(n, tables) hash values of n cylinders given as (n, ND * WORDS) uint64 rows."""
        out: np.ndarray = _hash_cylinders(np.ascontiguousarray(bits), self.words, self.masks)
        return out

    def _append(self, s: int, shard: Shard, rows: np.ndarray) -> None:
        rows = np.asarray(rows, np.int64)
        rows = rows[np.asarray(shard.position_array)[rows] >= 0] if rows.size else rows
        if rows.size == 0:
            return
        lo = np.asarray(shard.offsets[rows], np.int64)
        counts = np.asarray(shard.offsets[rows + 1], np.int64) - lo
        cyl = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        first = len(self.shard_of)
        self.shard_of = np.concatenate([self.shard_of, np.full(rows.size, s, np.int32)])
        self.row_of = np.concatenate([self.row_of, rows.astype(np.int32)])
        self.position = np.concatenate(
            [self.position, np.asarray(shard.position_array)[rows].astype(np.int16)])
        self.n_cylinders = np.concatenate([self.n_cylinders, counts.astype(np.int32)])
        self.alive = np.concatenate([self.alive, np.ones(rows.size, np.bool_)])
        self.pending_hashes = np.concatenate(
            [self.pending_hashes, self.hashes(np.asarray(shard.bits)[cyl])])
        self.pending_ids = np.concatenate(
            [self.pending_ids, np.repeat(np.arange(first, first + rows.size, dtype=np.int32), counts)])

    def add(self, s: int, shard: Shard, rows: Sequence[int] | np.ndarray) -> None:
        """Index rows just added to shard number `s` (they wait in the pending list until
        it grows past an eighth of the tables, then the tables are rebuilt)."""
        self._append(s, shard, np.asarray(rows, np.int64))
        self.follow(s, shard)
        if len(self.pending_ids) > max(100_000, len(self.ids) // (8 * self.params.tables)):
            self.compact()

    def follow(self, s: int, shard: Shard) -> None:
        """Record that the index is in step with this state of shard number `s` (after
        `add`, or after a `remove` that followed the shard's own)."""
        while len(self.signatures) <= s:
            self.signatures.append((0, 0, 0))
        self.signatures[s] = _shard_signature(shard)

    def remove(self, s: int, rows: Sequence[int] | np.ndarray) -> int:
        """Stop returning rows of shard `s` (tombstones; `compact` drops their entries).
        Returns how many live fingers were removed."""
        hit = self.alive & (self.shard_of == s) & np.isin(self.row_of, np.asarray(rows))
        self.alive[hit] = False
        return int(hit.sum())

    def remove_subject(self, shards: Sequence[Shard], subject: str) -> int:
        """Remove every finger of a data subject."""
        n = 0
        for s, shard in enumerate(shards):
            rows = [r for r, name in enumerate(shard.subjects) if name == subject]
            if rows:
                n += self.remove(s, rows)
        return n

    def compact(self) -> None:
        """Fold the pending list into the tables and drop removed fingers' entries. Each
        table counts collisions on its own, so each is rebuilt on its own."""
        n_b = 1 << self.params.bits
        ids_out, starts_out, base = [], [np.zeros(1, np.int64)], 0
        for t in range(self.params.tables):
            h, ids = self.pending_hashes[:, t], self.pending_ids
            if self.ids.size:
                lo, hi = int(self.starts[t * n_b]), int(self.starts[(t + 1) * n_b])
                sizes = np.diff(self.starts[t * n_b:(t + 1) * n_b + 1])
                h = np.concatenate([np.repeat(np.arange(n_b, dtype=np.uint32), sizes), h])
                ids = np.concatenate([self.ids[lo:hi], ids])
            keep = self.alive[ids]
            h, ids = h[keep], ids[keep]
            ids_out.append(ids[np.argsort(h, kind="stable")])
            starts_out.append(base + np.cumsum(np.bincount(h, minlength=n_b)))
            base += ids.size
        self.ids = np.concatenate(ids_out).astype(np.int32)
        starts = np.concatenate(starts_out)
        self.starts = starts.astype(np.int32 if base < 2**31 else np.int64)
        self.pending_hashes = np.zeros((0, self.params.tables), np.uint32)
        self.pending_ids = np.zeros(0, np.int32)

    # -- keeping up with the gallery ---------------------------------------------------

    def stale_shards(self, shards: Sequence[Shard]) -> list[int]:
        """Shards that changed since the index last saw them (rows added, removed or
        rewritten behind its back)."""
        out = [s for s, shard in enumerate(shards)
               if s >= len(self.signatures) or self.signatures[s] != _shard_signature(shard)]
        out += list(range(len(shards), len(self.signatures)))
        return out

    def is_stale(self, shards: Sequence[Shard]) -> bool:
        return bool(self.stale_shards(shards))

    def sync(self, shards: Sequence[Shard]) -> list[int]:
        """Rebuild the entries of every stale shard from the shard itself; returns them."""
        stale = self.stale_shards(shards)
        for s in stale:
            self.alive[self.shard_of == s] = False
            if s < len(shards):
                self._append(s, shards[s], np.arange(len(shards[s])))
        self.signatures = [_shard_signature(sh) for sh in shards]
        if stale:
            self.compact()
        return stale

    # -- querying ----------------------------------------------------------------------

    @property
    def live(self) -> int:
        return int(self.alive.sum())

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (
            self.shard_of, self.row_of, self.position, self.n_cylinders, self.alive,
            self.starts, self.ids, self.pending_hashes, self.pending_ids)))

    def bytes_per_finger(self) -> float:
        return self.nbytes / max(self.live, 1)

    def scores(self, probe: Probe, same_position: bool = True) -> np.ndarray:
        """Weighted collision count of every finger number, per probe cylinder and table
        (0 for removed fingers and, with `same_position`, fingers of another position).
        Removed fingers' entries count in their buckets' sizes until `compact`."""
        return self._scores(probe, same_position)[0]

    def _scores(self, probe: Probe, same_position: bool) -> tuple[np.ndarray, int]:
        """`scores` and how many of them are positive."""
        p = self.params
        c = probe.cylinders
        nf = len(self.shard_of)
        if len(c) == 0 or nf == 0:
            return np.zeros(nf, np.float32), 0
        ph = self.hashes(c.bits.reshape(len(c), ND * WORDS))  # (na, tables)
        n_b = 1 << p.bits
        keys = ph.astype(np.int64) + np.arange(p.tables, dtype=np.int64) * n_b
        # Each collision counts the inverse of its bucket's size: a bucket that many
        # cylinders fall into (a common ridge pattern) says little about which finger
        # it is. Counting every collision alike was tried: with 5,000 fingers it kept the
        # mate in the best 2% for 75% of the probes, against 92% weighted (the square root
        # of the size: 88%). Dividing by the gallery finger's cylinder count as well
        # favours prints with few minutiae (56% instead of 77% in the best 3%, unweighted).
        sizes = (self.starts[keys + 1] - self.starts[keys]).astype(np.float64)
        pending = range(p.tables if self.pending_ids.size else 0)
        for t in pending:
            col = np.sort(self.pending_hashes[:, t])
            sizes[:, t] += np.searchsorted(col, ph[:, t], "right") \
                - np.searchsorted(col, ph[:, t], "left")
        # The empty hash (no block set) is the largest bucket and says nothing of the ridges.
        weight = np.where(ph != 0, 1.0 / np.maximum(sizes, 1), 0.0)
        counts: np.ndarray = _accumulate(self.starts, self.ids, keys, weight, nf)
        for t in pending:
            # the summed weight of the probe cylinders whose hash each pending entry shares
            order = np.argsort(ph[:, t], kind="stable")
            probe_h = ph[order, t]
            cum = np.concatenate([[0.0], np.cumsum(weight[order, t])])
            ph_t = self.pending_hashes[:, t]
            w = cum[np.searchsorted(probe_h, ph_t, "right")] - cum[np.searchsorted(probe_h, ph_t, "left")]
            counts += np.bincount(self.pending_ids, weights=w, minlength=nf)
        pos = int(probe.template.finger_position) if same_position else 0
        score, positive = _finish(counts, float(len(c) * p.tables), self.alive, self.position, pos)
        return score, int(positive)

    def query(self, probe: Probe, n_shards: int, same_position: bool = True,
              penetration: float | None = None) -> IndexQuery:
        """The candidates of a probe: the best-scoring fraction `penetration` of the live
        gallery (at least `min_candidates`), as sorted rows of each shard."""
        p = self.params
        score, positive = self._scores(probe, same_position)
        live = self.live
        k = min(max(p.min_candidates, math.ceil((penetration or p.penetration) * live)),
                positive)
        if k == 0:
            chosen = np.zeros(0, np.int64)
        elif k < score.size:
            chosen = np.argpartition(-score, k - 1)[:k]
        else:
            chosen = np.arange(score.size)
        chosen = chosen[score[chosen] > 0]
        shard_of, row_of = self.shard_of[chosen], self.row_of[chosen]
        rows = [np.sort(row_of[shard_of == s]).astype(np.int64) for s in range(n_shards)]
        return IndexQuery(rows=rows, penetration=chosen.size / max(live, 1),
                          candidates=int(chosen.size), live=live)
