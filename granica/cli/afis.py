"""`granica afis ...`: evaluate and benchmark the fingerprint engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

NAME = "afis"
app = typer.Typer(help="Fingerprint engine: FVC evaluation and 1:N benchmark.", no_args_is_help=True)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@app.command("eval")
def eval_command(
    dataset: Path | None = typer.Option(None, "--dataset", help="folder of FINGER_IMPRESSION.ext images"),
    ppi: int = typer.Option(500, "--ppi", help="scan resolution (FVC2002 DB2: 569)"),
    baseline: str | None = typer.Option(None, "--baseline", help="'nbis' to also run NIST MINDTCT + BOZORTH3"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    ext: str | None = typer.Option(
        None, "--ext", help="image extension to use (e.g. tif, wsq); needed when the folder holds several"
    ),
    leave_sets_out: bool = typer.Option(
        False, "--leave-sets-out",
        help="tune on the FVC2000 sets and measure on the FVC2002 ones, and the reverse (needs --data-root)",
    ),
    data_root: Path | None = typer.Option(
        None, "--data-root", help="folder holding the six FVC B sets (fvc2000_db1_b ...)"
    ),
) -> None:
    """Run the FVC protocol: genuine = all same-finger pairs, impostor = all
    different-finger pairs; EER, FMR100, FMR1000, ZeroFMR as fractions.

    With --leave-sets-out --data-root DIR: each of the six FVC B sets is measured with the
    comparison configuration tuned on the other competition's three sets, NBIS in the same
    run (e.g. `granica afis eval --leave-sets-out --data-root ../shared/data/fingerprints --json`)."""
    from granica.biometrics.evaluation import evaluate, evaluate_leave_sets_out
    from granica.errors import ValidationError

    if baseline not in (None, "nbis"):
        raise ValidationError(f"--baseline {baseline!r}: the only baseline is 'nbis'", field="baseline")
    if leave_sets_out:
        if data_root is None:
            raise ValidationError("--leave-sets-out needs --data-root DIR", field="data_root")
        lso = evaluate_leave_sets_out(data_root, progress=_progress)
        print(json.dumps(lso) if as_json else json.dumps(lso, indent=2))
        return
    if dataset is None:
        raise ValidationError("give --dataset DIR (or --leave-sets-out --data-root DIR)", field="dataset")
    result = evaluate(dataset, ppi=ppi, baseline=baseline, progress=_progress, ext=ext)
    if as_json:
        print(json.dumps(result))
    else:
        for key in ("eer", "fmr100", "fmr1000", "zero_fmr", "genuine", "impostor", "extract_ms", "compare_ms"):
            line = f"{key:>10}: {result[key]}"
            if "baseline" in result:
                line += f"   (nbis: {result['baseline'][key]})"  # type: ignore[index]
            print(line)


@app.command("bench")
def bench_command(
    gallery: int = typer.Option(10000, "--gallery", help="gallery size in fingers"),
    dataset: Path | None = typer.Option(None, "--dataset", help="images to build the gallery from"),
    ppi: int = typer.Option(500, "--ppi"),
    probes: int = typer.Option(5, "--probes", help="number of probe searches timed"),
    shards: int = typer.Option(0, "--shards", help="shards (default: 2 x cores)"),
    as_json: bool = typer.Option(False, "--json"),
    indexed: bool = typer.Option(
        False, "--indexed", help="also hide the other shared sets' prints in the gallery and "
        "measure the cylinder index beside the exhaustive scan on them"),
) -> None:
    """1:N search time and finger comparisons per second per core, on 1 core and on all
    cores, against a gallery grown from the dataset's templates by random rotation,
    translation and minutia drop-out. With --indexed: rank-1 identification of mated
    probes by the exhaustive scan and by the indexed search, the penetration rate and the
    index's memory."""
    from granica.biometrics.benchmark import run_bench

    result = run_bench(gallery, dataset=dataset, ppi=ppi, probes=probes, shards=shards or None,
                       progress=_progress, indexed=indexed)
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))
