"""FVC protocol on the six shared FVC B sets, this engine against the NBIS baseline.

Run: nice -n 10 .venv/bin/python bench/afis_eval.py [--no-baseline] [SET ...]
Prints one JSON object (per-set figures, means, target checks); progress on stderr.
Needs the NBIS library (scripts/build_nbis.sh) for the baseline.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETS = {
    "fvc2000_db1_b": 500, "fvc2000_db2_b": 500, "fvc2000_db3_b": 500,
    "fvc2002_db1_b": 500, "fvc2002_db2_b": 569, "fvc2002_db3_b": 500,
}


def main() -> None:
    from granica.biometrics.evaluation import evaluate

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    baseline = None if "--no-baseline" in sys.argv else "nbis"
    data = ROOT.parent / "shared" / "data" / "fingerprints"
    started = time.perf_counter()
    results = {}
    for name in args or list(SETS):
        def say(m: str) -> None:
            print(m, file=sys.stderr, flush=True)
        results[name] = evaluate(data / name, ppi=SETS[name], baseline=baseline, progress=say)
    eers = [r["eer"] for r in results.values()]
    out: dict[str, object] = {
        "sets": results,
        "mean_eer": sum(eers) / len(eers),
        "mean_extract_ms": sum(r["extract_ms"] for r in results.values()) / len(results),
        "mean_compare_ms": sum(r["compare_ms"] for r in results.values()) / len(results),
        "target_mean_eer_le_0.025": sum(eers) / len(eers) <= 0.025,
    }
    if baseline:
        nb = [r["baseline"]["eer"] for r in results.values()]
        out["baseline_mean_eer"] = sum(nb) / len(nb)
        out["target_half_of_nbis_per_set"] = {
            k: r["eer"] <= r["baseline"]["eer"] / 2 for k, r in results.items()
        }
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
