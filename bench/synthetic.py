"""Synthetic fingerprints for the asylum database's training mode (issue 12): how fast they
are made and how Granica's own engine sees them.

- seconds per master finger and per impression (one core);
- enrolment-gate pass rates (quality >= ENROLMENT_THRESHOLD, a template, and the asylum
  service's minimum of minutiae) of "good" and of "poor" impressions;
- fused MCC scores of mated pairs (impressions of one finger) and of non-mated pairs
  (different fingers): median and 5th / 95th percentiles, and the share of each at or above
  the asylum candidate threshold, threshold_for(asylum_candidate_fmr).

Usage: python bench/synthetic.py [--fingers 50] [--impressions 3] [--seed 1000]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np


def _distribution(scores: list[float], threshold: float) -> dict[str, Any]:
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return {"pairs": 0}
    return {
        "pairs": int(s.size),
        "median": round(float(np.median(s)), 4),
        "p05": round(float(np.percentile(s, 5)), 4),
        "p95": round(float(np.percentile(s, 95)), 4),
        "above_threshold": round(float(np.mean(s >= threshold)), 4),
    }


def run(fingers: int, impressions: int, first_seed: int) -> dict[str, Any]:
    from granica.asylum.service import MIN_MINUTIAE
    from granica.biometrics.capture import read_capture
    from granica.biometrics.compare import compare, prepare, threshold_for
    from granica.biometrics.quality import ENROLMENT_THRESHOLD
    from granica.biometrics.synthetic import impression, master_finger
    from granica.settings import get_settings

    def gate(image: np.ndarray) -> tuple[bool, Any]:
        cap = read_capture(image, 1, 500)
        ok = (cap.template is not None and cap.quality.score >= ENROLMENT_THRESHOLD
              and len(cap.template) >= MIN_MINUTIAE)
        return ok, cap

    t_master = t_impression = 0.0
    probes: list[tuple[int, Any]] = []
    good_pass = poor_pass = 0
    patterns: dict[str, int] = {}
    for f in range(fingers):
        t0 = time.perf_counter()
        master = master_finger(first_seed + f)
        t_master += time.perf_counter() - t0
        patterns[master.pattern] = patterns.get(master.pattern, 0) + 1
        for k in range(impressions):
            t0 = time.perf_counter()
            image = impression(master, k)
            t_impression += time.perf_counter() - t0
            ok, cap = gate(image)
            good_pass += ok
            if cap.template is not None:
                probes.append((f, prepare(cap.template)))
        poor_pass += gate(impression(master, impressions, quality="poor"))[0]
    threshold = threshold_for(get_settings().asylum_candidate_fmr)
    mated: list[float] = []
    non_mated: list[float] = []
    for i, (fa, pa) in enumerate(probes):
        for fb, pb in probes[i + 1:]:
            (mated if fa == fb else non_mated).append(compare(pa, pb).score)
    return {
        "fingers": fingers, "impressions_per_finger": impressions,
        "patterns": dict(sorted(patterns.items())),
        "seconds_per_master": round(t_master / fingers, 3),
        "seconds_per_impression": round(t_impression / (fingers * impressions), 3),
        "gate": {"threshold": ENROLMENT_THRESHOLD, "min_minutiae": MIN_MINUTIAE,
                 "good_pass_rate": round(good_pass / (fingers * impressions), 4),
                 "poor_pass_rate": round(poor_pass / fingers, 4)},
        "candidate_fmr": get_settings().asylum_candidate_fmr,
        "threshold": threshold,
        "mated": _distribution(mated, threshold),
        "non_mated": _distribution(non_mated, threshold),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--fingers", type=int, default=50)
    ap.add_argument("--impressions", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1000, help="seed of the first master finger")
    args = ap.parse_args()
    print(json.dumps(run(args.fingers, args.impressions, args.seed), indent=2))


if __name__ == "__main__":
    main()
