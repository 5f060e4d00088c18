"""Coverage-guided fuzzing of the format readers with atheris (not part of the pytest run).

Run: .venv/bin/python tests/formats/fuzz_atheris.py [an2k|minutiae|wsq] -atheris_runs=200000
Any input that raises something other than InputFormatError/TooLargeError aborts the run and is
written by libFuzzer as crash-*; add it (rebuilt in code) to the regression lists of the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    from granica.biometrics.formats import decode_wsq, read_minutiae, read_transaction
    from granica.errors import InputFormatError, TooLargeError


def _an2k(data: bytes) -> None:
    try:
        tx = read_transaction(data)
    except (InputFormatError, TooLargeError):
        return
    if tx.to_bytes() != data:
        raise AssertionError("accepted input did not write back byte-identical")


def _minutiae(data: bytes) -> None:
    for lax in (False, True):
        try:
            read_minutiae(data, lax=lax)
        except (InputFormatError, TooLargeError):
            pass


def _wsq(data: bytes) -> None:
    try:
        decode_wsq(data)
    except (InputFormatError, TooLargeError):
        pass


TARGETS = {"an2k": _an2k, "minutiae": _minutiae, "wsq": _wsq}


def main() -> None:
    target = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in TARGETS else "an2k"
    atheris.Setup(sys.argv, TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
