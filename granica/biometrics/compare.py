"""1:1 comparison of templates with MCC: a probe prepared once, a score in [0, 1],
the paired minutiae behind it, and the thresholds for chosen false-match rates."""

from __future__ import annotations

import functools
from dataclasses import dataclass

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

# Score thresholds measured on the six FVC B sets (impostor scores pooled over
# 6 x 2,880 pairs, 27 November 2026; pooled FNMR there 7.9%, 12.7%, 23.2%); the 1e-4 entry
# rests on two impostor scores only. Re-measure with `calibrate()` for other sensors.
DEFAULT_THRESHOLDS: dict[float, float] = {0.01: 0.0188, 0.001: 0.0255, 0.0001: 0.0418}


@dataclass(frozen=True)
class Probe:
    """A template prepared for comparison against many candidates."""

    template: Template
    cylinders: Cylinders


@dataclass(frozen=True)
class Comparison:
    """Score of one comparison and the minutiae pairs that produced it.

    `pairs` rows: (probe minutia row, candidate minutia row, local similarity), rows into
    each template's `minutiae` array.
    """

    score: float
    pairs: np.ndarray

    def is_match(self, fmr: float = 0.001) -> bool:
        return self.score >= threshold_for(fmr)


def prepare(template: Template, params: MCCParams = MCCParams()) -> Probe:
    """Build the cylinders of `template` once, to compare it with many candidates."""
    if not isinstance(template, Template):
        raise BiometricError(f"expected a Template, got {type(template).__name__}")
    if template.ppi != 500:
        raise BiometricError(
            f"template is at {template.ppi} ppi; the comparator works at 500 ppi "
            "(re-extract it from the image)", field="ppi",
        )
    return Probe(template, build_cylinders(template.minutiae, params))


@functools.lru_cache(maxsize=8)
def _min_common(params: MCCParams) -> int:
    # Matchable cylinders share this many valid cells of those inside the radius.
    inside = sum(
        1 for i in range(NS) for j in range(NS)
        if ((i + 0.5 - NS / 2) ** 2 + (j + 0.5 - NS / 2) ** 2) * (2 * params.radius / NS) ** 2
        <= params.radius ** 2
    )
    return int(round(params.min_matchable * inside))


def compare(
    probe: Probe | Template, candidate: Probe | Template, params: MCCParams = MCCParams()
) -> Comparison:
    """MCC similarity with LSS-R consolidation, and the paired minutiae."""
    a = probe if isinstance(probe, Probe) else prepare(probe, params)
    b = candidate if isinstance(candidate, Probe) else prepare(candidate, params)
    return compare_cylinders(a.cylinders, b.cylinders, params)


def compare_cylinders(ca: Cylinders, cb: Cylinders, params: MCCParams = MCCParams()) -> Comparison:
    """The comparison on prebuilt cylinders (what galleries keep in memory)."""
    if len(ca) == 0 or len(cb) == 0:
        return Comparison(0.0, np.zeros((0, 3), dtype=np.float32))
    gamma = similarity_matrix(
        ca.bits, ca.masks, ca.theta, cb.bits, cb.masks, cb.theta,
        _min_common(params), params.max_rotation,
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
        _min_common(params), params.max_rotation,
    )
    return float(lss_score(gamma, n_pairs(len(ca), len(cb), params)))


def threshold_for(fmr: float) -> float:
    """Score threshold for the false-match rate `fmr` (one of DEFAULT_THRESHOLDS' keys or
    between them)."""
    keys = sorted(DEFAULT_THRESHOLDS)
    if fmr in DEFAULT_THRESHOLDS:
        return DEFAULT_THRESHOLDS[fmr]
    xs = np.log10(np.array(keys))
    ys = np.array([DEFAULT_THRESHOLDS[k] for k in keys])
    return float(np.interp(np.log10(fmr), xs, ys))


def calibrate(impostor_scores: np.ndarray, fmr: float) -> float:
    """Smallest threshold whose false-match rate on `impostor_scores` is at most `fmr`."""
    s = np.sort(np.asarray(impostor_scores, dtype=np.float64))
    if s.size == 0:
        raise BiometricError("cannot calibrate a threshold without impostor scores")
    k = int(np.floor(fmr * s.size))
    # Scores at or above the threshold match; allow at most k impostors above it.
    return float(np.nextafter(s[s.size - 1 - k], np.inf)) if k < s.size else float(s[0])
