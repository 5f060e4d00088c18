"""How the `nistitl` package (0.6) does on the reference transactions, beside Granica's reader:
does it parse each file, and does writing it back give the same bytes?

Run: .venv/bin/python bench/nist_nistitl_eval.py; prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import nistitl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from granica.biometrics.formats import read_transaction  # noqa: E402
from granica.errors import InputFormatError  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    for path in sorted((SHARED / "formats" / "ansi_nist").glob("*/*")):
        if path.suffix not in (".an2", ".an2k", ".xml"):
            continue
        data = path.read_bytes()
        row: dict[str, object] = {"file": path.name}
        msg = nistitl.Message()
        try:
            msg.parse(data)
            row["nistitl"] = "identical" if msg.NIST == data else "parsed, written differently"
        except Exception as exc:  # nistitl raises its own NistException and others
            row["nistitl"] = f"error: {str(exc)[:80]}"
        try:
            row["granica"] = "identical" if read_transaction(data).to_bytes() == data else "differs"
        except InputFormatError as exc:
            row["granica"] = f"error: {exc.message[:80]}"
        rows.append(row)
    count = {k: sum(r[k] == "identical" for r in rows) for k in ("nistitl", "granica")}
    print(json.dumps({"files": len(rows), "byte_identical": count, "per_file": rows}))


if __name__ == "__main__":
    main()
