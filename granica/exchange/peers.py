"""The nodes this node exchanges messages with, from a TOML file:

    [peers.HU]
    name = "SIRENE Hungary"
    url = "http://127.0.0.1:8102"
    public_key = "base64 of the 32-byte Ed25519 public key"

The file is read again when it changes, so a peer is added without a restart.
A mistake in it is reported with the peer and the field, and no peer is used
from a file that cannot be read.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from granica.errors import NotFoundError, ValidationError
from granica.exchange.envelope import CODE
from granica.exchange.keys import public_from_text
from granica.settings import get_settings


@dataclass(frozen=True, slots=True)
class Peer:
    code: str
    name: str
    url: str
    public_key: Ed25519PublicKey

    @property
    def inbox_url(self) -> str:
        return self.url.rstrip("/") + "/api/v1/exchange/inbox"


_lock = threading.Lock()
_cache: dict[Path, tuple[float, dict[str, Peer]]] = {}


def read_peers(path: Path) -> dict[str, Peer]:
    """Every peer in the file at `path` (none when it does not exist)."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: not a TOML file ({exc}); fix it or move it away",
                              field="peers") from exc
    table = data.get("peers", {})
    if not isinstance(table, dict):
        raise ValidationError(f"{path}: 'peers' must be a table of [peers.CODE] sections",
                              field="peers")
    peers: dict[str, Peer] = {}
    for code, entry in table.items():
        where = f"{path} [peers.{code}]"
        if not CODE.match(code):
            raise ValidationError(f"{where}: a peer's code is upper-case letters and digits "
                                  "(HU, HR, EU-CENTRAL)", field="peers")
        if not isinstance(entry, dict):
            raise ValidationError(f"{where}: expected a table with url and public_key",
                                  field="peers")
        url = entry.get("url")
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError(f"{where}: url must be the peer's http(s) address, "
                                  f"not {url!r}", field="url")
        key = entry.get("public_key")
        if not isinstance(key, str):
            raise ValidationError(f"{where}: public_key is missing; ask the peer for the key "
                                  "`granica exchange keys` prints there", field="public_key")
        name = entry.get("name", code)
        peers[code] = Peer(code, str(name), str(url), public_from_text(key, where))
    return peers


def peers() -> dict[str, Peer]:
    """The configured peers (the file is read again when it changed)."""
    path = get_settings().resolved_peers_file
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return {}
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        found = read_peers(path)
        _cache[path] = (mtime, found)
        return found


def peer(code: str) -> Peer:
    found = peers().get(code)
    if found is None:
        known = ", ".join(sorted(peers())) or "none"
        raise NotFoundError(f"no peer {code!r} is configured (known: {known}); add it to "
                            f"{get_settings().resolved_peers_file}", field="recipient")
    return found
