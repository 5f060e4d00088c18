"""Evaluation of name matching on labelled pairs: ROC AUC, true-match rate at a
fixed false-match rate, precision and recall at a threshold, for Granica, the
baseline (rapidfuzz token_sort_ratio on anyascii, lower-cased) and optionally the
reference (OpenSanctions nomenklatura LogicV2), all in the same run.

Lines of the pairs file are JSON objects `{"a", "b", "same"}`; pairs marked
`"alias_quality": "Low"` (nicknames and kunyas that no name matcher is expected
to find) are left out unless asked for, and the count left out is reported.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from granica.errors import GranicaError, InputFormatError, ValidationError
from granica.names.params import DEFAULT_THRESHOLD
from granica.names.prepare import prepare
from granica.names.scoring import compare_prepared

BASELINE_THRESHOLD = 0.80
REFERENCE_THRESHOLD = 0.70  # yente's default match threshold for LogicV2


def read_pairs(path: Path | str, include_low: bool = False) -> tuple[list[dict[str, Any]], int]:
    """Labelled pairs from a JSONL file, and how many low-quality aliases were left out."""
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"pairs file not found: {path}", field="file")
    rows: list[dict[str, Any]] = []
    left_out = 0
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFormatError(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not {"a", "b", "same"} <= row.keys():
                raise InputFormatError(f"{path}:{lineno}: needs the keys a, b and same")
            if not include_low and row.get("alias_quality") == "Low":
                left_out += 1
                continue
            rows.append(row)
    return rows, left_out


def split_of(row: dict[str, Any]) -> str:
    """'tune' or 'holdout': a fixed split by list entry (all pairs of one UN entry
    on the same side), or by the first name where there is no entry id."""
    ref = row.get("ref")
    group = json.dumps(ref) if ref else str(row.get("a", ""))
    digest = hashlib.sha256(group.encode("utf-8")).digest()
    return "holdout" if digest[0] % 10 < 4 else "tune"


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    pos = sorted(s for s, y in zip(scores, labels) if y)
    neg = sorted(s for s, y in zip(scores, labels) if not y)
    if not pos or not neg:
        return float("nan")
    import bisect

    total = 0.0
    for s in pos:
        lo = bisect.bisect_left(neg, s)
        hi = bisect.bisect_right(neg, s)
        total += lo + (hi - lo) / 2
    return total / (len(pos) * len(neg))


def tmr_at_fmr(scores: Sequence[float], labels: Sequence[bool], fmr: float) -> tuple[float, float]:
    """True-match rate at the lowest threshold whose false-match rate is <= fmr,
    and that threshold (a pair matches when score >= threshold)."""
    neg = sorted((s for s, y in zip(scores, labels) if not y), reverse=True)
    pos = [s for s, y in zip(scores, labels) if y]
    if not neg or not pos:
        return float("nan"), float("nan")
    allowed = int(fmr * len(neg) + 1e-9)
    # Threshold just above the (allowed+1)-th highest negative.
    if allowed >= len(neg):
        threshold = min(scores)
    else:
        threshold = _next_up(neg[allowed])
    tmr = sum(1 for s in pos if s >= threshold) / len(pos)
    return tmr, threshold


def _next_up(x: float) -> float:
    import math

    return math.nextafter(x, math.inf)


def at_threshold(
    scores: Sequence[float], labels: Sequence[bool], threshold: float
) -> dict[str, float]:
    tp = sum(1 for s, y in zip(scores, labels) if y and s >= threshold)
    fp = sum(1 for s, y in zip(scores, labels) if not y and s >= threshold)
    fn = sum(1 for s, y in zip(scores, labels) if y and s < threshold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": precision, "recall": recall}


def figures(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> dict[str, Any]:
    """The contract figures for one scorer."""
    tmr1, _ = tmr_at_fmr(scores, labels, 0.01)
    tmr5, thr5 = tmr_at_fmr(scores, labels, 0.05)
    out: dict[str, Any] = {
        "pairs": len(scores),
        "auc": round(roc_auc(scores, labels), 4),
        "tmr_at_fmr_1pct": round(tmr1, 4),
        "tmr_at_fmr_5pct": round(tmr5, 4),
        "threshold_at_fmr_5pct": round(thr5, 4),
        "threshold": threshold,
    }
    out.update({k: round(v, 4) for k, v in at_threshold(scores, labels, threshold).items()})
    return out


# --- scorers ----------------------------------------------------------------------


def granica_scorer() -> Callable[[str, str], float]:
    def score(a: str, b: str) -> float:
        try:
            return compare_prepared(prepare(a), prepare(b)).score
        except GranicaError:
            return 0.0

    return score


def _fold(text: str) -> tuple[str, str]:
    try:
        from anyascii import anyascii
    except ImportError:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if c.isascii()), "unicodedata (anyascii not installed)"
    return anyascii(text), "anyascii"


def baseline_scorer() -> tuple[Callable[[str, str], float], str]:
    """rapidfuzz token_sort_ratio on anyascii-transliterated lower-cased strings."""
    from rapidfuzz import fuzz

    method = _fold("x")[1]

    def score(a: str, b: str) -> float:
        return fuzz.token_sort_ratio(_fold(a)[0].lower(), _fold(b)[0].lower()) / 100.0

    return score, f"rapidfuzz.fuzz.token_sort_ratio on {method}, lower-cased"


def reference_scorer(name: str) -> tuple[Callable[[str, str], float], str]:
    """OpenSanctions' nomenklatura LogicV2 (imported only here, for benchmarks)."""
    if name != "nomenklatura":
        raise ValidationError(
            f"unknown reference {name!r} (known: nomenklatura)", field="reference"
        )
    try:
        from followthemoney import EntityProxy
        from nomenklatura import __version__ as nk_version
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except ImportError as exc:
        raise ValidationError(
            "the reference matcher needs nomenklatura, which is not installed: "
            "pip install -e '.[bench]' (it is a benchmark dependency only)",
            field="reference",
        ) from exc
    algorithm = get_algorithm("logic-v2")
    if algorithm is None:  # pragma: no cover - depends on the installed version
        raise ValidationError("this nomenklatura has no logic-v2 algorithm", field="reference")
    config = ScoringConfig.defaults()
    counter = iter(range(1 << 62))

    def entity(name_: str) -> Any:
        # A fresh id per entity: nomenklatura caches results by entity id.
        return EntityProxy.from_dict(
            {"id": f"g{next(counter)}", "schema": "Person", "properties": {"name": [name_]}}
        )

    def score(a: str, b: str) -> float:
        return float(algorithm.compare(entity(a), entity(b), config).score)

    return score, f"nomenklatura {nk_version} LogicV2 (name only, Person)"


def _score_all(
    scorer: Callable[[str, str], float],
    rows: Sequence[dict[str, Any]],
    label: str,
    progress: TextIO | None,
) -> tuple[list[float], float]:
    out: list[float] = []
    started = time.perf_counter()
    for k, row in enumerate(rows, 1):
        out.append(scorer(str(row["a"]), str(row["b"])))
        if progress is not None and (k % 500 == 0 or k == len(rows)):
            print(f"  {label}: {k}/{len(rows)} pairs", file=progress, flush=True)
    return out, time.perf_counter() - started


def run_eval(
    path: Path | str,
    reference: str | None = None,
    include_low: bool = False,
    split: str | None = None,
    progress: TextIO | None = sys.stderr,
) -> dict[str, Any]:
    """Figures for Granica, the baseline and (optionally) the reference on one file."""
    rows, left_out = read_pairs(path, include_low=include_low)
    if split is not None:
        rows = [r for r in rows if split_of(r) == split]
    if not rows:
        raise InputFormatError(f"no pairs to evaluate in {path}", field="file")
    labels = [bool(r["same"]) for r in rows]

    scores, seconds = _score_all(granica_scorer(), rows, "granica", progress)
    result = figures(scores, labels, DEFAULT_THRESHOLD)
    result["ms_per_pair"] = round(seconds * 1000 / len(rows), 4)
    result["positives"] = sum(labels)
    result["negatives"] = len(labels) - sum(labels)
    result["left_out_low_quality_aliases"] = left_out
    result["split"] = split or "all"

    base, method = baseline_scorer()
    bscores, bseconds = _score_all(base, rows, "baseline", progress)
    result["baseline"] = figures(bscores, labels, BASELINE_THRESHOLD)
    result["baseline"]["method"] = method
    result["baseline"]["ms_per_pair"] = round(bseconds * 1000 / len(rows), 4)

    if reference is not None:
        ref, rmethod = reference_scorer(reference)
        rscores, rseconds = _score_all(ref, rows, "reference", progress)
        result["reference"] = figures(rscores, labels, REFERENCE_THRESHOLD)
        result["reference"]["method"] = rmethod
        result["reference"]["ms_per_pair"] = round(rseconds * 1000 / len(rows), 4)
    return result


def score_rows(rows: Iterable[dict[str, Any]]) -> list[tuple[float, dict[str, Any]]]:
    """Granica's score for each row (for error analysis)."""
    scorer = granica_scorer()
    return [(scorer(str(r["a"]), str(r["b"])), r) for r in rows]
