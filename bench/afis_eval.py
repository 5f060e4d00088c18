"""FVC protocol on the six shared FVC B sets by leave-sets-out, this engine against NBIS.

Run: nice -n 10 .venv/bin/python bench/afis_eval.py [--no-baseline] [--data-root DIR]
The comparison is tuned on the three FVC2000 sets and measured on the three FVC2002 ones,
and the reverse; each set's figures come from the configuration tuned without it.
Prints one JSON object (leave-sets-out figures first, then NBIS from the same run, the
folds' choices, the shipped defaults' in-sample figures); progress on stderr.
Needs the NBIS library (scripts/build_nbis.sh) for the baseline and the secondary minutiae.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from granica.biometrics.evaluation import evaluate_leave_sets_out

    data = ROOT.parent / "shared" / "data" / "fingerprints"
    if "--data-root" in sys.argv:
        data = Path(sys.argv[sys.argv.index("--data-root") + 1])

    def say(m: str) -> None:
        print(m, file=sys.stderr, flush=True)

    out = evaluate_leave_sets_out(data, baseline="--no-baseline" not in sys.argv, progress=say)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
