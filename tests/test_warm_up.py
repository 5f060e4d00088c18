"""`granica serve` compiles the fingerprint kernels before the server answers anything (its
health check included), so the first border check with prints is not timed on JIT work."""

from __future__ import annotations

import pytest

from granica.storage import Database


def test_serve_warms_the_fingerprint_engine_before_it_answers(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from granica.biometrics import warmup
    from granica.cli import serve

    events: list[str] = []
    monkeypatch.setattr(warmup, "warm_up", lambda: events.append("warm-up") or 0.0)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: events.append("serving"))
    serve.serve(jobs=False, database=database)
    assert events == ["warm-up", "serving"]


def test_warm_up_runs_every_step_of_a_check_on_a_synthetic_print() -> None:
    from granica.biometrics.warmup import synthetic_print, warm_up

    image = synthetic_print()
    assert image.shape == (240, 240) and image.std() > 40  # ridges, not a flat grey
    assert warm_up() >= 0.0
