"""1:N search benchmark of the fingerprint engine (the same as `granica afis bench --indexed`):
the exhaustive scan and the cylinder index on the same mated probes, in the same run.

Run: nice -n 10 .venv/bin/python bench/afis_bench.py [GALLERY_SIZE]
Prints one JSON object; progress on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from granica.biometrics.benchmark import run_bench

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    result = run_bench(size, probes=5, indexed=True,
                       progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
