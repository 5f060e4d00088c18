"""Signing the audit chain with a key the database does not hold.

The Ed25519 private key lives in `settings.keys_dir` (created on first use,
mode 0600). `sign_head()` appends the chain head's sequence number and hash,
signed, to `settings.audit_anchor_file`, a file outside the database: a
database administrator who rewrites the chain cannot make it match what was
signed before. Pruning checkpoints are signed with the same key.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from granica import clock
from granica.errors import GranicaError, InputFormatError
from granica.settings import get_settings
from granica.storage import Database

PRIVATE_KEY_FILE = "audit-signing-key.pem"
ANCHOR_CONTEXT = b"granica-audit-anchor/1\n"
CHECKPOINT_CONTEXT = b"granica-audit-checkpoint/1\n"


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _keys_dir() -> Path:
    path = get_settings().keys_dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def signing_key() -> Ed25519PrivateKey:
    """The node's audit signing key, created (0600, never in the database) on first use."""
    path = _keys_dir() / PRIVATE_KEY_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        # Write under a temporary name, then link: two processes starting at once end up
        # with the same key, and no reader ever sees a half-written file.
        tmp = path.with_name(f".{PRIVATE_KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise GranicaError(f"{path} is not an Ed25519 private key; move it away to make a new one")
    _publish(loaded.public_key())
    return loaded


def _publish(public: Ed25519PublicKey) -> None:
    """Keep the public half beside it (auditors may copy it; verification reads it)."""
    pub = _keys_dir() / f"audit-{key_id_of(public)}.pub"
    if not pub.exists():
        pub.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every audit public key this node knows, by key id (old keys stay after a rotation)."""
    keys: dict[str, Ed25519PublicKey] = {}
    folder = get_settings().keys_dir
    if folder.exists():
        for pub in folder.glob("audit-*.pub"):
            loaded = serialization.load_pem_public_key(pub.read_bytes())
            if isinstance(loaded, Ed25519PublicKey):
                keys[key_id_of(loaded)] = loaded
        if (folder / PRIVATE_KEY_FILE).exists():
            public = signing_key().public_key()
            keys[key_id_of(public)] = public
    return keys


def _sign(context: bytes, values: dict[str, Any]) -> tuple[str, str]:
    key = signing_key()
    signature = key.sign(context + _canonical(values))
    return key_id_of(key.public_key()), base64.b64encode(signature).decode("ascii")


def _check(context: bytes, values: dict[str, Any], key_id: str, signature: str,
           keys: dict[str, Ed25519PublicKey] | None = None) -> bool:
    public = (keys if keys is not None else public_keys()).get(key_id)
    if public is None:
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), context + _canonical(values))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- checkpoints (pruning) ----------------------------------------------------------------

def checkpoint_values(seq: int, row_hash: str, rows_pruned: int, created_at: dt.datetime
                      ) -> dict[str, Any]:
    return {"seq": seq, "hash": row_hash, "rows_pruned": rows_pruned,
            "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")}


def sign_checkpoint(seq: int, row_hash: str, rows_pruned: int, created_at: dt.datetime) -> str:
    key_id, sig = _sign(CHECKPOINT_CONTEXT, checkpoint_values(seq, row_hash, rows_pruned,
                                                              created_at))
    return f"{key_id}:{sig}"


def check_checkpoint(seq: int, row_hash: str, rows_pruned: int, created_at: dt.datetime,
                     signature: str) -> bool:
    key_id, _, sig = signature.partition(":")
    return _check(CHECKPOINT_CONTEXT, checkpoint_values(seq, row_hash, rows_pruned, created_at),
                  key_id, sig)


# --- anchors ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    line: int
    seq: int
    hash: str
    signed_at: str
    key_id: str
    signature: str
    valid: bool

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "signed_at": self.signed_at,
                "key_id": self.key_id, "signature": self.signature}


def _anchor_values(seq: int, row_hash: str, signed_at: str) -> dict[str, Any]:
    return {"seq": seq, "hash": row_hash, "signed_at": signed_at}


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """Every line of the anchors file, each with whether its signature holds."""
    path = path or get_settings().audit_anchor_file
    if not path.exists():
        return []
    out: list[Anchor] = []
    keys = public_keys()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            seq, row_hash, signed_at = int(data["seq"]), str(data["hash"]), str(data["signed_at"])
            key_id, signature = str(data["key_id"]), str(data["signature"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputFormatError(f"{path} line {number} is not a signed anchor ({exc}); the "
                                   "anchors file was damaged or edited", field=f"line {number}")
        valid = _check(ANCHOR_CONTEXT, _anchor_values(seq, row_hash, signed_at), key_id, signature,
                       keys)
        out.append(Anchor(number, seq, row_hash, signed_at, key_id, signature, valid))
    return out


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # two signers never interleave half lines
        fh.write(json.dumps(record, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
        fcntl.flock(fh, fcntl.LOCK_UN)


def sign_head(db: Database) -> dict[str, Any] | None:
    """Sign the chain's current head and append it to the anchors file (None if the log is empty)."""
    from granica.audit.models import AuditHead

    with db.session() as s:
        head = s.execute(sa.select(AuditHead.seq, AuditHead.head_hash)
                         .where(AuditHead.id == 1)).first()
    if head is None or int(head[0]) == 0:
        return None
    seq, row_hash = int(head[0]), str(head[1])
    signed_at = clock.now().isoformat(timespec="seconds")
    key_id, signature = _sign(ANCHOR_CONTEXT, _anchor_values(seq, row_hash, signed_at))
    record = {"seq": seq, "hash": row_hash, "signed_at": signed_at, "key_id": key_id,
              "signature": signature}
    _append(get_settings().audit_anchor_file, record)
    return record


def sign_head_if_due(db: Database) -> dict[str, Any] | None:
    """The scheduler's job: sign when the last anchor is older than the signing interval and
    the chain has grown since. Returns the new anchor, or None when nothing was due."""
    from granica.audit.models import AuditHead

    anchors = [a for a in read_anchors() if a.valid]
    if anchors:
        last = anchors[-1]
        age = clock.now() - dt.datetime.fromisoformat(last.signed_at)
        if age < dt.timedelta(minutes=get_settings().audit_sign_interval_minutes):
            return None
        with db.session() as s:
            seq = s.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1))
        if seq == last.seq:
            return None
    return sign_head(db)
