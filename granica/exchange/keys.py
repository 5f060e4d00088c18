"""This node's key for signing messages, and public keys as peers write them.

The private key is a PEM file (GRANICA_EXCHANGE_SIGNING_KEY_FILE, default
`<data_dir>/keys/exchange-ed25519.pem`), created on first use with mode 0600 and
never stored in the database. A public key travels as the base64 of its 32 raw
bytes: short enough for a peers file or a phone call between two duty officers.
"""

from __future__ import annotations

import base64
import binascii
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from granica.audit.signing import create_key_file, load_private_key
from granica.errors import ValidationError
from granica.settings import get_settings

_lock = threading.Lock()
_cached: dict[str, Ed25519PrivateKey] = {}


def signing_key() -> Ed25519PrivateKey:
    """This node's signing key (created on first use)."""
    path = get_settings().resolved_exchange_key_file
    where = str(path)
    with _lock:
        key = _cached.get(where)
        if key is None:
            if not path.exists():
                create_key_file(path)
            key = load_private_key(path.read_bytes(), where)
            _cached[where] = key
    return key


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_from_text(text: str, where: str) -> Ed25519PublicKey:
    """A public key from the base64 of its 32 raw bytes; the error names `where`."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValidationError(
            f"{where}: the public key must be the base64 of 32 bytes, as "
            "`granica exchange keys` prints it on the peer", field="public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


def forget_cached_key() -> None:
    """Read the key file again on next use (tests give nodes new data folders)."""
    with _lock:
        _cached.clear()
