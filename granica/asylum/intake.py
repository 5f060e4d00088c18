"""Prints for an enrolment or a search from what the officer has: image files named per
finger, or an ANSI/NIST-ITL ten-print transaction from a live-scan station (type-4 or
type-14 finger records, amputations from 14.018 AMP)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from granica.asylum.models import FLAT, ROLLED
from granica.asylum.service import MAX_IMAGE_BYTES, PrintIn
from granica.errors import InputFormatError, ValidationError

# ANSI/NIST-ITL impression codes (Table 7): plain and rolled, live-scan and not.
_ROLLED_CODES = frozenset({1, 3})
_PLAIN_CODES = frozenset({0, 2, 8})
_AMPUTATION = {"XX": "amputated", "UP": "unable_to_print"}
SLAPS = frozenset({13, 14, 15})


def prints_from_files(files: Mapping[int, Path], missing: Mapping[int, str], *,
                      impression: str = FLAT, ppi: int | None = None) -> list[PrintIn]:
    """One PrintIn per finger position: the file's bytes, or the reason it is missing."""
    both = sorted(set(files) & set(missing))
    if both:
        raise ValidationError(f"finger {both[0]} is given both an image and a missing reason: "
                              "keep one", field="prints")
    out = []
    for position, path in sorted(files.items()):
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ValidationError(f"{path}: {size} bytes is over the {MAX_IMAGE_BYTES}-byte "
                                  "limit for one finger image", field=f"finger {position}")
        out.append(PrintIn(position=position, image=path.read_bytes(), impression=impression,
                           ppi=ppi))
    out += [PrintIn(position=p, missing_reason=r) for p, r in sorted(missing.items())]
    return out


def prints_from_transaction(data: bytes, missing: Mapping[int, str] | None = None
                            ) -> tuple[list[PrintIn], bytes | None]:
    """The prints (and the first facial image) of a ten-print transaction. Finger positions
    the transaction lacks may be explained in `missing`; slap images (positions 13-15) are not
    segmented here, so a station must send the segmented fingers as well."""
    from granica.biometrics.formats.an2k import read_transaction
    from granica.biometrics.formats.images import encode_image
    from granica.biometrics.formats.tenprint import read_tenprint

    tenprint = read_tenprint(read_transaction(data))
    out: list[PrintIn] = []
    slaps = 0
    for i, f in enumerate(tenprint.fingers):
        if f.position in SLAPS:
            slaps += 1
            continue
        if not 1 <= f.position <= 10:
            raise InputFormatError(f"finger record {i + 1} has position {f.position}: a ten-print "
                                   "enrolment takes positions 1 to 10 (and slaps 13-15)",
                                   field="transaction")
        if f.amputation in _AMPUTATION:
            out.append(PrintIn(position=f.position, missing_reason=_AMPUTATION[f.amputation]))
            continue
        if f.impression in _ROLLED_CODES:
            kind = ROLLED
        elif f.impression in _PLAIN_CODES:
            kind = FLAT
        else:
            raise InputFormatError(f"finger {f.position} has impression type {f.impression}, "
                                   "which is neither plain nor rolled", field="transaction")
        image = f.image if f.compression != "NONE" else encode_image(f.pixels(), "png", f.ppi)
        out.append(PrintIn(position=f.position, image=image, impression=kind, ppi=f.ppi))
    if slaps and not out:
        raise InputFormatError("the transaction holds only slap images (positions 13-15): send "
                               "the segmented fingers (type-14 records with positions 1 to 10)",
                               field="transaction")
    covered = {p.position for p in out}
    for position, reason in sorted((missing or {}).items()):
        if position in covered:
            raise ValidationError(f"finger {position} is in the transaction and also given a "
                                  "missing reason: keep one", field="prints")
        out.append(PrintIn(position=position, missing_reason=reason))
    face = tenprint.faces[0].image if tenprint.faces else None
    return out, face
