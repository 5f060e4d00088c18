"""Fixtures of the exchange tests: a peer bureau whose key this node knows."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica.exchange.keys import public_text
from granica.settings import get_settings


@pytest.fixture
def hungary() -> Ed25519PrivateKey:
    """The Hungarian bureau's key, and this node's peers file naming it (on a dead port)."""
    key = Ed25519PrivateKey.generate()
    path = get_settings().resolved_peers_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[peers.HU]\nname = "SIRENE Hungary"\nurl = "http://127.0.0.1:9"\n'
                    f'public_key = "{public_text(key.public_key())}"\n', encoding="utf-8")
    return key
