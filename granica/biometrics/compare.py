"""1:1 comparison of templates with MCC: a probe prepared once, a score in [0, 1],
the paired minutiae behind it, and the thresholds for chosen false-match rates.

When both templates carry a secondary minutiae set (MINDTCT's), each set is compared with
MCC on its own and the score is the mean of the two (score-level fusion of two
extractors: on the six FVC B sets it brought the mean EER from 3.4% to 2.2%);
the paired minutiae shown to an examiner are those of the primary set."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from granica.biometrics.mcc import (
    NS,
    Cylinders,
    MCCParams,
    build_cylinders,
    lss_score,
    lssr,
    n_pairs,
    similarity_matrix,
)
from granica.biometrics.template import Template
from granica.errors import BiometricError

# Score thresholds measured on the six FVC B sets (impostor scores pooled over 6 x 2,880
# pairs, templates written and read back, 27 November 2026): fused comparisons (pooled
# FNMR there 4.3%, 7.1%, 10.2%) and primary-set-only ones (5.8%, 10.8%, 16.0%). The 1e-4
# entries rest on two impostor scores only. Re-measure with `calibrate()` for other sensors.
PRIMARY_THRESHOLDS: dict[float, float] = {0.01: 0.0196, 0.001: 0.0280, 0.0001: 0.0373}
FUSED_THRESHOLDS: dict[float, float] = {0.01: 0.0178, 0.001: 0.0213, 0.0001: 0.0260}
DEFAULT_THRESHOLDS = FUSED_THRESHOLDS
FUSION_WEIGHT = 0.5  # weight of the primary set's score in a fused comparison

# Exponent of the quality weighting of the fusion: 0 is the plain weighted mean; with b > 0
# a pair's primary share grows as its primary minutiae's quality over its secondary ones'
# (see `fusion_share`). Chosen per fold by `evaluation.leave_sets_out` with the weight.
FUSION_QUALITY = 0.0
QUALITY_TOP = 20  # a set's quality: the mean quality of its QUALITY_TOP best minutiae

_S = TypeVar("_S", float, np.ndarray)


def set_quality(minutiae: np.ndarray) -> float:
    """Quality of one template's minutiae set in [0, 1]: the mean quality of its best
    QUALITY_TOP minutiae (the ones a comparison leans on), 0 for an empty set. Both
    extractors write 0-100 (MINDTCT's reliability scaled)."""
    q = np.asarray(minutiae, dtype=np.float64).reshape(-1, 5)[:, 4]
    if q.size == 0:
        return 0.0
    return float(np.sort(q)[-QUALITY_TOP:].mean()) / 100.0


def fusion_share(weight: float, primary_quality: _S, secondary_quality: _S, exponent: float) -> _S:
    """The primary set's share of a fused score: `weight`, tilted towards the set of higher
    quality by `exponent` (qualities: the geometric mean of the two templates' `set_quality`),
    w q_p^b / (w q_p^b + (1 - w) q_s^b); the plain `weight` when b = 0 or both are 0."""
    if exponent == 0:
        return primary_quality * 0.0 + weight
    a = weight * np.power(primary_quality, exponent)
    b = (1.0 - weight) * np.power(secondary_quality, exponent)
    total = a + b
    return np.where(total > 0, a / np.maximum(total, 1e-12), weight)  # type: ignore[return-value]


@dataclass(frozen=True)
class Probe:
    """A template prepared for comparison against many candidates."""

    template: Template
    cylinders: Cylinders
    secondary: Cylinders | None = None


@dataclass(frozen=True)
class Comparison:
    """Score of one comparison and the minutiae pairs that produced it.

    `pairs` rows: (probe minutia row, candidate minutia row, local similarity), rows into
    each template's `minutiae` array.
    """

    score: float
    pairs: np.ndarray
    fused: bool = False

    def is_match(self, fmr: float = 0.001) -> bool:
        return self.score >= threshold_for(fmr, fused=self.fused)


def prepare(template: Template, params: MCCParams = MCCParams(), secondary: bool = True) -> Probe:
    """Build the cylinders of `template` once, to compare it with many candidates
    (`secondary=False` skips those of the secondary set, for a ranking-only gallery)."""
    if not isinstance(template, Template):
        raise BiometricError(f"expected a Template, got {type(template).__name__}")
    if template.ppi != 500:
        raise BiometricError(
            f"template is at {template.ppi} ppi; the comparator works at 500 ppi "
            "(re-extract it from the image)", field="ppi",
        )
    extra = (build_cylinders(template.secondary, params)
             if secondary and len(template.secondary) else None)
    return Probe(template, build_cylinders(template.minutiae, params), extra)


@functools.lru_cache(maxsize=8)
def min_common(params: MCCParams) -> int:
    """How many valid cells two cylinders must share to be compared (cached per parameters)."""
    # Matchable cylinders share this many valid cells of those inside the radius.
    inside = sum(
        1 for i in range(NS) for j in range(NS)
        if ((i + 0.5 - NS / 2) ** 2 + (j + 0.5 - NS / 2) ** 2) * (2 * params.radius / NS) ** 2
        <= params.radius ** 2
    )
    return round(params.min_matchable * inside)


def fuse(primary: _S, secondary: _S, weight: float | _S = FUSION_WEIGHT) -> _S:
    """Score-level fusion of the two minutiae sets' scores (one pair's, or arrays of them);
    `weight` is the primary set's share (one for all, or per pair from `fusion_share`)."""
    return weight * primary + (1.0 - weight) * secondary


def pair_qualities(a: Template, b: Template) -> tuple[float, float]:
    """Quality of a pair's primary sets and of its secondary sets (geometric means)."""
    return (float(np.sqrt(set_quality(a.minutiae) * set_quality(b.minutiae))),
            float(np.sqrt(set_quality(a.secondary) * set_quality(b.secondary))))


def compare(
    probe: Probe | Template, candidate: Probe | Template, params: MCCParams = MCCParams(),
    fusion_weight: float = FUSION_WEIGHT, fusion_quality: float = FUSION_QUALITY,
) -> Comparison:
    """MCC similarity with LSS-R consolidation, and the paired minutiae; fused over both
    minutiae sets when both templates have a secondary one (`fusion_weight`: the primary
    set's share of the fused score, tilted by the sets' quality with `fusion_quality`)."""
    a = probe if isinstance(probe, Probe) else prepare(probe, params)
    b = candidate if isinstance(candidate, Probe) else prepare(candidate, params)
    main = compare_cylinders(a.cylinders, b.cylinders, params)
    if a.secondary is None or b.secondary is None:
        return main
    other = compare_cylinders(a.secondary, b.secondary, params)
    share = fusion_weight
    if fusion_quality != 0:
        qp, qs = pair_qualities(a.template, b.template)
        share = float(fusion_share(fusion_weight, qp, qs, fusion_quality))
    return Comparison(float(fuse(main.score, other.score, share)), main.pairs, fused=True)


def compare_cylinders(ca: Cylinders, cb: Cylinders, params: MCCParams = MCCParams()) -> Comparison:
    """The comparison on prebuilt cylinders (what galleries keep in memory)."""
    if len(ca) == 0 or len(cb) == 0:
        return Comparison(0.0, np.zeros((0, 3), dtype=np.float32))
    gamma = similarity_matrix(
        ca.bits, ca.masks, ca.theta, cb.bits, cb.masks, cb.theta,
        min_common(params), params.max_rotation,
    )
    n_p = n_pairs(len(ca), len(cb), params)
    score, pairs = lssr(
        gamma, ca.xy, ca.theta, cb.xy, cb.theta, n_p, params.relax_iterations,
        params.relax_weight, params.mu_1, params.tau_1, params.mu_2, params.tau_2,
        params.mu_3, params.tau_3,
    )
    out = np.zeros((len(pairs), 3), dtype=np.float32)
    if len(pairs):
        out[:, 0] = ca.index[pairs[:, 0].astype(np.int64)]
        out[:, 1] = cb.index[pairs[:, 1].astype(np.int64)]
        out[:, 2] = pairs[:, 2]
    return Comparison(float(score), out)


def quick_score(a: Probe, b: Probe, params: MCCParams = MCCParams()) -> float:
    """The cheaper LSS score (no relaxation), used to rank large galleries."""
    ca, cb = a.cylinders, b.cylinders
    if len(ca) == 0 or len(cb) == 0:
        return 0.0
    gamma = similarity_matrix(
        ca.bits, ca.masks, ca.theta, cb.bits, cb.masks, cb.theta,
        min_common(params), params.max_rotation,
    )
    return float(lss_score(gamma, n_pairs(len(ca), len(cb), params)))


def threshold_for(fmr: float, fused: bool = True) -> float:
    """Score threshold for the false-match rate `fmr` (one of the table's keys or between
    them) for fused comparisons, or with `fused=False` for primary-set-only ones."""
    table = FUSED_THRESHOLDS if fused else PRIMARY_THRESHOLDS
    keys = sorted(table)
    if fmr in table:
        return table[fmr]
    xs = np.log10(np.array(keys))
    ys = np.array([table[k] for k in keys])
    return float(np.interp(np.log10(fmr), xs, ys))


def on_fused_scale(result: Comparison, fmr: float) -> float:
    """The score of `result` on the fused comparisons' scale: a primary-only score (one side
    had no secondary minutiae, e.g. a template imported from an ISO record) is scaled so
    that it meets the fused threshold exactly when it meets its own at `fmr`. Lets one
    threshold rank and decide comparisons of both kinds."""
    if result.fused:
        return result.score
    return result.score * threshold_for(fmr, fused=True) / threshold_for(fmr, fused=False)


def calibrate(impostor_scores: np.ndarray, fmr: float) -> float:
    """Smallest threshold whose false-match rate on `impostor_scores` is at most `fmr`."""
    s = np.sort(np.asarray(impostor_scores, dtype=np.float64))
    if s.size == 0:
        raise BiometricError("cannot calibrate a threshold without impostor scores")
    k = int(np.floor(fmr * s.size))
    # Scores at or above the threshold match; allow at most k impostors above it.
    return float(np.nextafter(s[s.size - 1 - k], np.inf)) if k < s.size else float(s[0])
