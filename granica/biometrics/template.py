"""The engine's internal fingerprint template: an immutable, versioned, compact value.

Minutiae are stored in the ISO/IEC 19794-2 geometric convention so that
conversion to and from the interchange records is a matter of units only:
origin at the top-left pixel, x to the right, y downwards, angle in radians in
[0, 2*pi), measured counter-clockwise from the positive x axis.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np

from granica.errors import InputFormatError, UnsupportedVersionError

TEMPLATE_VERSION = 1
_MAGIC = b"GRT"
_HEADER = struct.Struct("<3sBHHHBBH")  # magic, version, width, height, ppi, finger, quality, count
_MINUTIA = struct.Struct("<HHHBB")  # x, y, angle (1/65536 turn), type, quality

ENDING = 1
BIFURCATION = 2
OTHER = 0


@dataclass(frozen=True)
class Template:
    """Minutiae of one finger at a known resolution.

    `minutiae` is a read-only float32 array of shape (n, 5): x, y (pixels),
    angle (radians), type (0 other, 1 ridge ending, 2 bifurcation), quality (0-100).
    """

    width: int
    height: int
    minutiae: np.ndarray
    ppi: int = 500
    finger_position: int = 0
    quality: int = 0
    version: int = field(default=TEMPLATE_VERSION)

    def __post_init__(self) -> None:
        m = np.asarray(self.minutiae, dtype=np.float32).reshape(-1, 5).copy()
        m[:, 2] = np.mod(m[:, 2], 2 * math.pi)
        m.setflags(write=False)
        object.__setattr__(self, "minutiae", m)

    def __len__(self) -> int:
        return int(self.minutiae.shape[0])

    def to_bytes(self) -> bytes:
        """Compact serialised form: 13-byte header plus 8 bytes per minutia."""
        m = self.minutiae
        parts = [
            _HEADER.pack(
                _MAGIC, TEMPLATE_VERSION, self.width, self.height, self.ppi,
                self.finger_position, self.quality, len(m),
            )
        ]
        for x, y, a, t, q in m:
            turn = int(round(float(a) / (2 * math.pi) * 65536)) % 65536
            parts.append(
                _MINUTIA.pack(
                    min(max(int(round(float(x))), 0), 65535),
                    min(max(int(round(float(y))), 0), 65535),
                    turn, int(t), min(max(int(round(float(q))), 0), 100),
                )
            )
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Template:
        """Read a serialised template; a clear error for anything that is not one."""
        if len(data) < _HEADER.size:
            raise InputFormatError(
                f"template is {len(data)} bytes, shorter than its {_HEADER.size}-byte header"
            )
        magic, version, width, height, ppi, finger, quality, count = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise InputFormatError("not a Granica template: the first three bytes are not 'GRT'")
        if version > TEMPLATE_VERSION:
            raise UnsupportedVersionError(
                f"template version {version} is newer than this Granica understands "
                f"({TEMPLATE_VERSION}); upgrade Granica or re-extract the template"
            )
        expected = _HEADER.size + count * _MINUTIA.size
        if len(data) != expected:
            raise InputFormatError(
                f"template declares {count} minutiae ({expected} bytes) but has {len(data)} bytes"
            )
        rows = []
        for i in range(count):
            x, y, turn, t, q = _MINUTIA.unpack_from(data, _HEADER.size + i * _MINUTIA.size)
            if t > 2:
                raise InputFormatError(f"minutia {i}: type {t} is not 0, 1 or 2")
            rows.append((x, y, turn / 65536 * 2 * math.pi, t, q))
        arr = np.array(rows, dtype=np.float32).reshape(-1, 5)
        return cls(width=width, height=height, minutiae=arr, ppi=ppi,
                   finger_position=finger, quality=quality)
