"""The engine's internal fingerprint template: an immutable, versioned, compact value.

Minutiae are stored in the ISO/IEC 19794-2 geometric convention so that
conversion to and from the interchange records is a matter of units only:
origin at the top-left pixel, x to the right, y downwards, angle in radians in
[0, 2*pi), measured counter-clockwise from the positive x axis.

A template holds the minutiae of Granica's own extractor and, from version 2, a
second set found in the same image by NIST MINDTCT: two extractors err in different
places, and the comparison fuses the scores of both sets (see `compare`). The
interchange records carry the primary set only.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np

from granica.errors import InputFormatError, UnsupportedVersionError

TEMPLATE_VERSION = 2
_MAGIC = b"GRT"
_HEADER = struct.Struct("<3sBHHHBBH")  # magic, version, width, height, ppi, finger, quality, count
_MINUTIA = struct.Struct("<HHHBB")  # x, y, angle (1/65536 turn), type, quality
_COUNT = struct.Struct("<H")  # version 2: number of secondary minutiae after the primary ones

ENDING = 1
BIFURCATION = 2
OTHER = 0


@dataclass(frozen=True, eq=False)
class Template:
    """Minutiae of one finger at a known resolution.

    `minutiae` is a read-only float32 array of shape (n, 5): x, y (pixels),
    angle (radians), type (0 other, 1 ridge ending, 2 bifurcation), quality (0-100).
    `secondary` has the same form: the minutiae of the second extractor (may be empty).
    Two templates are equal when every field and every minutia is; equal templates hash
    alike, so templates can be set members and dictionary keys.
    """

    width: int
    height: int
    minutiae: np.ndarray
    ppi: int = 500
    finger_position: int = 0
    quality: int = 0
    secondary: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.float32))

    def __post_init__(self) -> None:
        for name in ("minutiae", "secondary"):
            m = np.asarray(getattr(self, name), dtype=np.float32).reshape(-1, 5).copy()
            m[:, 2] = np.mod(m[:, 2], 2 * math.pi)
            m.setflags(write=False)
            object.__setattr__(self, name, m)

    def __len__(self) -> int:
        return int(self.minutiae.shape[0])

    @property
    def version(self) -> int:
        """The serialised form's version: 2 with a second extractor's set, else 1."""
        return 2 if len(self.secondary) else 1

    def _scalars(self) -> tuple[int, int, int, int, int]:
        return (self.width, self.height, self.ppi, self.finger_position, self.quality)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return (self._scalars() == other._scalars()
                and np.array_equal(self.minutiae, other.minutiae)
                and np.array_equal(self.secondary, other.secondary))

    def __hash__(self) -> int:
        return hash((self._scalars(), self.minutiae.tobytes(), self.secondary.tobytes()))

    def to_bytes(self) -> bytes:
        """Compact serialised form: 13-byte header plus 8 bytes per minutia; with a
        secondary set (version 2), a 2-byte count and 8 bytes per secondary minutia
        follow. A template without one is written as version 1, which older readers know."""
        m = self.minutiae
        version = self.version
        parts = [
            _HEADER.pack(
                _MAGIC, version, self.width, self.height, self.ppi,
                self.finger_position, self.quality, len(m),
            )
        ]
        parts.extend(_pack_rows(m))
        if version == 2:
            parts.append(_COUNT.pack(len(self.secondary)))
            parts.extend(_pack_rows(self.secondary))
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
        if version < 1:
            raise InputFormatError(f"template version {version} does not exist (versions start at 1)")
        end = _HEADER.size + count * _MINUTIA.size
        if len(data) < end + (_COUNT.size if version >= 2 else 0):
            raise InputFormatError(
                f"template declares {count} minutiae ({end} bytes) but has {len(data)} bytes"
            )
        primary = _unpack_rows(data, _HEADER.size, count, "minutia")
        secondary = np.zeros((0, 5), np.float32)
        if version >= 2:
            (n2,) = _COUNT.unpack_from(data, end)
            start = end + _COUNT.size
            end = start + n2 * _MINUTIA.size
            if len(data) != end:
                raise InputFormatError(
                    f"template declares {count} + {n2} minutiae ({end} bytes) but has "
                    f"{len(data)} bytes"
                )
            secondary = _unpack_rows(data, start, n2, "secondary minutia")
        elif len(data) != end:
            raise InputFormatError(
                f"template declares {count} minutiae ({end} bytes) but has {len(data)} bytes"
            )
        return cls(width=width, height=height, minutiae=primary, ppi=ppi,
                   finger_position=finger, quality=quality, secondary=secondary)


def _pack_rows(m: np.ndarray) -> list[bytes]:
    out = []
    for x, y, a, t, q in m:
        turn = round(float(a) / (2 * math.pi) * 65536) % 65536
        out.append(
            _MINUTIA.pack(
                min(max(round(float(x)), 0), 65535),
                min(max(round(float(y)), 0), 65535),
                turn, int(t), min(max(round(float(q)), 0), 100),
            )
        )
    return out


def _unpack_rows(data: bytes, start: int, count: int, what: str) -> np.ndarray:
    rows = []
    for i in range(count):
        x, y, turn, t, q = _MINUTIA.unpack_from(data, start + i * _MINUTIA.size)
        if t > 2:
            raise InputFormatError(f"{what} {i}: type {t} is not 0, 1 or 2")
        if q > 100:
            raise InputFormatError(f"{what} {i}: quality {q} is above 100")
        rows.append((x, y, turn / 65536 * 2 * math.pi, t, q))
    return np.array(rows, dtype=np.float32).reshape(-1, 5)
