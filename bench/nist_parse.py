"""Parse speed of the ANSI/NIST-ITL reader: a 10 MB ten-print and every reference transaction.

Run: .venv/bin/python bench/nist_parse.py [--megabytes 10]; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from granica.biometrics.formats import (  # noqa: E402
    TransactionHeader,
    build_transaction,
    read_image,
    read_transaction,
    tenprint_from_images,
)
from granica.biometrics.formats.an2k import TaggedRecord  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def big_transaction(megabytes: float) -> bytes:
    folder = SHARED / "fingerprints" / "fvc2000_db1_b"
    images = {i + 1: read_image(folder / f"{101 + i}_1.tif")[0] for i in range(10)}
    header = TransactionHeader(
        tot="CND1", dai="EUCS000001", ori="DE0000001", tcn="BENCH", date="20261127"
    )
    tx = build_transaction(
        tenprint_from_images(images, header, descriptive={3: "DE"}, compression="NONE")
    )
    fingers = [r for r in tx.records if r.type == 14]
    while sum(len(r.to_bytes()) for r in tx.records) < megabytes * 1_000_000:
        tx.records.extend(fingers)
    for idc, record in enumerate(tx.records[2:], start=1):
        assert isinstance(record, TaggedRecord)
        record.set(2, f"{idc:02d}")
    return tx.to_bytes()


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=10.0)
    args = parser.parse_args()
    print("building the transaction...", file=sys.stderr)
    data = big_transaction(args.megabytes)
    tx = read_transaction(data)
    parse = best_of(5, lambda: read_transaction(data))
    write = best_of(5, tx.to_bytes)
    refs = sorted(
        p for p in (SHARED / "formats" / "ansi_nist").glob("*/*") if p.suffix in (".an2", ".an2k")
    )
    ref_bytes = [p.read_bytes() for p in refs]
    ref_parse = best_of(3, lambda: [read_transaction(b) for b in ref_bytes])
    identical = sum(read_transaction(b).to_bytes() == b for b in ref_bytes)
    print(
        json.dumps(
            {
                "transaction_bytes": len(data),
                "records": len(tx),
                "parse_seconds": round(parse, 4),
                "write_seconds": round(write, 4),
                "parse_mb_per_second": round(len(data) / 1e6 / parse, 1),
                "reference_files": len(refs),
                "reference_bytes": sum(map(len, ref_bytes)),
                "reference_parse_all_seconds": round(ref_parse, 4),
                "reference_byte_identical": identical,
            }
        )
    )


if __name__ == "__main__":
    main()
