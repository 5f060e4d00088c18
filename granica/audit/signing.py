"""Signing the audit chain with a key the database does not hold.

The Ed25519 private key lives in `settings.keys_dir` (created on first use,
mode 0600), or outside the data folder: a key file named by
GRANICA_AUDIT_SIGNING_KEY_FILE, or the key itself in GRANICA_AUDIT_SIGNING_KEY.
`sign_head()` appends the chain head's sequence number and hash, signed and
chained to the line before, to `settings.audit_anchor_file`, a file outside
the database: a database administrator who rewrites the chain cannot make it
match what was signed before. Pruning checkpoints are signed with the same key.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from granica import clock
from granica.errors import GranicaError, InputFormatError
from granica.settings import get_settings
from granica.storage import Database, unit_of_work

log = logging.getLogger("granica.audit")

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


def _external_key() -> bool:
    """Whether the signing key is kept outside the data folder (a key file or the environment)."""
    settings = get_settings()
    return settings.audit_signing_key is not None or settings.audit_signing_key_file is not None


def _key_file() -> Path:
    return get_settings().audit_signing_key_file or get_settings().keys_dir / PRIVATE_KEY_FILE


def create_key_file(path: Path) -> None:
    """Write a new Ed25519 private key to `path` (PEM, 0600) unless one is there."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Write under a temporary name, then link: two processes starting at once end up
    # with the same key, and no reader ever sees a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
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


def signing_key() -> Ed25519PrivateKey:
    """The node's audit signing key: from GRANICA_AUDIT_SIGNING_KEY (PEM), else from the key
    file (GRANICA_AUDIT_SIGNING_KEY_FILE, default in the keys folder), created there (0600,
    never in the database) on first use."""
    settings = get_settings()
    if settings.audit_signing_key is not None:
        where = "GRANICA_AUDIT_SIGNING_KEY"
        pem = settings.audit_signing_key.get_secret_value().encode("utf-8")
    else:
        path = _key_file()
        if not path.exists():
            create_key_file(path)
        where, pem = str(path), path.read_bytes()
    loaded = load_private_key(pem, where)
    _publish(loaded.public_key())
    return loaded


def load_private_key(pem: bytes, where: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM text; the error names `where` it came from."""
    try:
        loaded = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise GranicaError(f"{where} is not a PEM private key ({exc})") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise GranicaError(f"{where} is not an Ed25519 private key; give an Ed25519 key "
                           "(or move the file away to make a new one)")
    return loaded


def _publish(public: Ed25519PublicKey) -> None:
    """Keep the public half in the keys folder (auditors may copy it; with the key in the data
    folder, verification reads it from there)."""
    pub = _keys_dir() / f"audit-{key_id_of(public)}.pub"
    if not pub.exists():
        pub.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))


def public_keys() -> dict[str, Ed25519PublicKey]:
    """The audit public keys verification trusts, by key id: the signing key's own and those in
    the trusted folder (old keys stay after a rotation). With the key outside the data folder,
    public keys dropped into the data folder are not trusted, so whoever can write there
    cannot re-sign the anchors with a key of their own."""
    settings = get_settings()
    keys: dict[str, Ed25519PublicKey] = {}
    folder = settings.audit_public_keys_dir or (None if _external_key() else settings.keys_dir)
    if folder is not None and folder.exists():
        for pub in folder.glob("audit-*.pub"):
            loaded = serialization.load_pem_public_key(pub.read_bytes())
            if isinstance(loaded, Ed25519PublicKey):
                keys[key_id_of(loaded)] = loaded
    if settings.audit_signing_key is not None or _key_file().exists():
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
# Each line of the anchors file signs the chain head and the digest of the line before it, so
# the file is itself a chain: a line removed from its middle breaks it, and its newest line
# (number and digest) is also kept in the database (audit_anchor_head), so that losing the
# end of the file, or the whole file, is seen too. Lines written before the file was chained
# (no "n") are accepted only as its beginning.

ANCHOR_CHAIN_CONTEXT = b"granica-audit-anchor/2\n"
ANCHOR_GENESIS = "0" * 64


@dataclass(frozen=True)
class Anchor:
    line: int
    seq: int
    hash: str
    signed_at: str
    key_id: str
    signature: str
    valid: bool
    n: int | None = None  # the anchor's number in the file (None: written before chaining)
    prev: str | None = None  # digest of the line before
    digest: str = ""  # of this line, what the next line's `prev` must be

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "hash": self.hash, "signed_at": self.signed_at,
                               "key_id": self.key_id, "signature": self.signature}
        if self.n is not None:
            out.update(n=self.n, prev=self.prev)
        return out


def _anchor_values(seq: int, row_hash: str, signed_at: str) -> dict[str, Any]:
    return {"seq": seq, "hash": row_hash, "signed_at": signed_at}


def _chained_values(n: int, prev: str, seq: int, row_hash: str, signed_at: str
                    ) -> dict[str, Any]:
    return {"n": n, "prev": prev, **_anchor_values(seq, row_hash, signed_at)}


def anchor_digest(record: dict[str, Any]) -> str:
    """The digest of one anchors-file line (its whole record, signature included)."""
    return hashlib.sha256(_canonical(record)).hexdigest()


def _parse(path: Path, number: int, line: str, keys: dict[str, Ed25519PublicKey] | None
           ) -> Anchor:
    try:
        data = json.loads(line)
        seq, row_hash, signed_at = int(data["seq"]), str(data["hash"]), str(data["signed_at"])
        key_id, signature = str(data["key_id"]), str(data["signature"])
        n = int(data["n"]) if "n" in data else None
        prev = str(data["prev"]) if n is not None else None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputFormatError(f"{path} line {number} is not a signed anchor ({exc}); the "
                               "anchors file was damaged or edited", field=f"line {number}")
    if n is None:
        context, values = ANCHOR_CONTEXT, _anchor_values(seq, row_hash, signed_at)
    else:
        context, values = ANCHOR_CHAIN_CONTEXT, _chained_values(n, prev or "", seq, row_hash,
                                                                signed_at)
    valid = keys is None or _check(context, values, key_id, signature, keys)
    return Anchor(number, seq, row_hash, signed_at, key_id, signature, valid, n, prev,
                  anchor_digest(data))


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """Every line of the anchors file, each with whether its signature holds."""
    path = path or get_settings().audit_anchor_file
    if not path.exists():
        return []
    keys = public_keys()
    return [_parse(path, number, line, keys)
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if line.strip()]


def chain_problem(anchors: list[Anchor]) -> str | None:
    """Why the anchors file is not one unbroken chain of lines, or None when it is."""
    prev: Anchor | None = None
    for anchor in anchors:
        if anchor.n is None:
            if prev is not None and prev.n is not None:
                return (f"anchors file line {anchor.line} is unchained although line "
                        f"{prev.line} before it is chained: lines were moved or inserted")
        else:
            want_n = prev.n + 1 if prev is not None and prev.n is not None else 1
            want_prev = prev.digest if prev is not None else ANCHOR_GENESIS
            if anchor.n != want_n or anchor.prev != want_prev:
                after = f"line {prev.line} (anchor {prev.n})" if prev else "the file's start"
                return (f"anchors file line {anchor.line} (anchor {anchor.n}) does not follow "
                        f"{after}: the anchors before it were removed, reordered or replaced")
        prev = anchor
    return None


def _last_line(fh: IO[bytes]) -> bytes:
    """The last non-empty line of an open file, read from its end (the file is not read)."""
    end = fh.seek(0, os.SEEK_END)
    block, tail = 4096, b""
    while end > 0:
        start = max(0, end - block)
        fh.seek(start)
        tail = fh.read(end - start) + tail
        lines = [ln for ln in tail.split(b"\n") if ln.strip()]
        if len(lines) > 1 or (lines and start == 0):
            return lines[-1]
        end = start
    return b""


def last_anchor(path: Path | None = None) -> Anchor | None:
    """The newest line of the anchors file, read from its end (signature not checked)."""
    path = path or get_settings().audit_anchor_file
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        line = _last_line(fh).decode("utf-8")
    return _parse(path, 0, line, None) if line else None


def _chain_head(engine: sa.Engine) -> tuple[int, str] | None:
    from granica.audit.models import AuditHead

    with unit_of_work(Session(engine, expire_on_commit=False)) as s:
        head = s.execute(sa.select(AuditHead.seq, AuditHead.head_hash)
                         .where(AuditHead.id == 1)).first()
    if head is None or int(head[0]) == 0:
        return None
    return int(head[0]), str(head[1])


def _store_anchor_head(engine: sa.Engine, record: dict[str, Any]) -> None:
    from granica.audit.models import AuditAnchorHead

    values = {"anchors": record["n"], "digest": anchor_digest(record), "seq": record["seq"],
              "signed_at": record["signed_at"]}
    with unit_of_work(Session(engine, expire_on_commit=False)) as s:
        row = s.get(AuditAnchorHead, 1, with_for_update=True)
        if row is None:
            s.add(AuditAnchorHead(id=1, **values))
        elif row.anchors < values["anchors"]:  # never backwards, whatever the signers' order
            for name, value in values.items():
                setattr(row, name, value)


def sign_head_of(engine: sa.Engine) -> dict[str, Any] | None:
    """Sign the chain's committed head as the next line of the anchors file, and note that
    line in the database. None if the log is empty. The file stays locked from reading its
    last line to storing the new one, so two signers never fork the file's own chain."""
    path = get_settings().audit_anchor_file
    if _chain_head(engine) is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            # the head read under the lock: the file's anchors never go back in the chain
            seq, row_hash = _chain_head(engine) or (0, "")
            line = _last_line(fh).decode("utf-8")
            last = _parse(path, 0, line, None) if line else None
            n = (last.n or 0) + 1 if last is not None else 1
            prev = last.digest if last is not None else ANCHOR_GENESIS
            signed_at = clock.now().isoformat(timespec="milliseconds")
            key_id, signature = _sign(ANCHOR_CHAIN_CONTEXT,
                                      _chained_values(n, prev, seq, row_hash, signed_at))
            record = {**_chained_values(n, prev, seq, row_hash, signed_at), "key_id": key_id,
                      "signature": signature}
            fh.seek(0, os.SEEK_END)
            fh.write((json.dumps(record, sort_keys=True) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
            _store_anchor_head(engine, record)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    _pending.pop(path, None)
    return record


def sign_head(db: Database) -> dict[str, Any] | None:
    """Sign the chain's current head and append it to the anchors file (None if the log is empty)."""
    return sign_head_of(db.engine)


def sign_head_if_due(db: Database) -> dict[str, Any] | None:
    """The scheduler's job: sign when the last anchor is older than the signing interval and
    the chain has grown since. Returns the new anchor, or None when nothing was due. Reads only
    the anchors file's last line and the head row."""
    last = last_anchor()
    if last is not None:
        age = clock.now() - dt.datetime.fromisoformat(last.signed_at)
        if age < dt.timedelta(seconds=get_settings().audit_sign_interval_seconds):
            return None
        head = _chain_head(db.engine)
        if head is None or head[0] == last.seq:
            return None
    return sign_head(db)


# --- signing at commit ----------------------------------------------------------------------
# Writers note their rows in the session; once the appender has chained them after the commit
# (granica.audit.appender), the head is signed when its oldest row not yet anchored is older
# than the signing interval, or when enough rows wait. The check costs no I/O; a signature
# (and one fsync) is due at most every interval.

@dataclass
class Waiting:
    since: dt.datetime
    rows: int = 0


_pending: dict[Path, Waiting] = {}
_pending_lock = threading.Lock()
_SESSION_KEY = "granica.audit.unanchored"


def note_row(session: Session, occurred_at: dt.datetime) -> None:
    """Called by `record()`: one audit row is waiting in this session's transaction."""
    waiting = session.info.get(_SESSION_KEY)
    if waiting is None:
        session.info[_SESSION_KEY] = Waiting(occurred_at, 1)
    else:
        waiting.rows += 1


def rows_noted(session: Session) -> int:
    """How many audit rows this session's transaction has noted so far."""
    waiting: Waiting | None = session.info.get(_SESSION_KEY)
    return waiting.rows if waiting is not None else 0


def forget_rows_after(session: Session, rows: int) -> None:
    """A savepoint was rolled back: only the first `rows` noted rows are still written."""
    waiting: Waiting | None = session.info.get(_SESSION_KEY)
    if waiting is None:
        return
    if rows:
        waiting.rows = rows
    else:
        del session.info[_SESSION_KEY]


def take_waiting(session: Session) -> Waiting | None:
    """The rows this session's transaction wrote (forgotten from the session)."""
    waiting: Waiting | None = session.info.pop(_SESSION_KEY, None)
    return waiting


def rows_committed(engine: sa.Engine, waiting: Waiting) -> None:
    """Committed and chained rows: sign the head if that is due now."""
    settings = get_settings()
    path = settings.audit_anchor_file
    with _pending_lock:
        known = _pending.setdefault(path, Waiting(waiting.since))
        known.rows += waiting.rows
        due = (known.rows >= settings.audit_sign_every_rows
               or clock.now() - known.since
               >= dt.timedelta(seconds=settings.audit_sign_interval_seconds))
    if due:
        try:
            sign_head_of(engine)
        except Exception:  # the act is committed: a failed signature waits for the next one
            log.exception("signing the audit chain head after a commit failed")
