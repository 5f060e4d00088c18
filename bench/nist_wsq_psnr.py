"""WSQ quality: the pgafis WSQ copies of FVC2000 DB1_B against the TIFF originals, our own WSQ
encoder at 0.75 bit/pixel on the same TIFFs, and the jnbis reference decode.

Run: .venv/bin/python bench/nist_wsq_psnr.py; prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from granica.biometrics.formats import (  # noqa: E402
    decode_wsq,
    encode_wsq,
    psnr,
    raster_offset_psnr,
    read_image,
)

SHARED = ROOT.parent / "shared" / "data"


def summary(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def main() -> None:
    wsq_dir = SHARED / "formats" / "wsq" / "pgafis_fvc2000_db1_b"
    tif_dir = SHARED / "fingerprints" / "fvc2000_db1_b"
    as_is, aligned, offsets, ours, ratios = [], [], [], [], []
    start = time.perf_counter()
    files = sorted(wsq_dir.glob("*.wsq"))
    for n, path in enumerate(files, start=1):
        decoded, _ = read_image(path)
        original, _ = read_image(tif_dir / f"{path.stem}.tif")
        as_is.append(psnr(decoded, original))
        best, offset = raster_offset_psnr(decoded, original)
        aligned.append(best)
        offsets.append(offset)
        data = encode_wsq(original, ppi=500)
        ours.append(psnr(decode_wsq(data)[0], original))
        ratios.append(original.size / len(data))
        if n % 20 == 0:
            print(f"{n}/{len(files)}", file=sys.stderr)
    sample = SHARED / "formats" / "wsq" / "jnbis_sample"
    got, _ = decode_wsq((sample / "sample.wsq").read_bytes())
    want = np.asarray(Image.open(sample / "sample.png").convert("L"))
    within_one = float(np.mean(np.abs(got.astype(int) - want.astype(int)) <= 1))
    print(
        json.dumps(
            {
                "files": len(files),
                "pgafis_wsq_vs_tiff_psnr_db_as_is": summary(as_is),
                "pgafis_wsq_vs_tiff_psnr_db_raster_aligned": summary(aligned),
                "pgafis_raster_offsets": sorted(set(offsets)),
                "granica_wsq_0_75bpp_psnr_db": summary(ours),
                "granica_wsq_compression_ratio": summary(ratios),
                "jnbis_sample_within_one_grey_level": within_one,
                "seconds": round(time.perf_counter() - start, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
