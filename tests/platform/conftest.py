"""Platform test helpers: a cheaper argon2id cost so that login tests stay quick on a busy machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, Type

from granica.auth import passwords


@pytest.fixture(autouse=True)
def _quick_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Production keeps argon2-cffi's RFC 9106 profile (64 MiB); tests that check the real
    # parameters opt out with the `real_argon2` marker.
    if request.node.get_closest_marker("real_argon2") is None:
        light = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
        monkeypatch.setattr(passwords, "_hasher", lambda: light)
    yield
