"""How an audit row is hashed: canonical JSON of its fields chained to the previous hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64

CHAINED_FIELDS = (
    "seq", "occurred_at", "user_id", "username", "agency", "action", "purpose",
    "subject_type", "subject_ids", "query", "result_count", "outcome", "details",
)


def canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8")


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = {k: fields[k] for k in CHAINED_FIELDS}
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(payload)).hexdigest()


PENDING_CONTEXT = b"granica-audit-pending/1\n"


def seal(fields: dict[str, Any]) -> str:
    """The content hash of a pending row: every chained field but its (not yet known) seq."""
    payload = {k: fields[k] for k in CHAINED_FIELDS if k != "seq"}
    return hashlib.sha256(PENDING_CONTEXT + canonical(payload)).hexdigest()


def fields_of(row: Any, seq: int | None) -> dict[str, Any]:
    """The chained fields of a stored audit row (chained or pending), as `record()` hashed them."""
    return {
        "seq": seq,
        "occurred_at": row.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "user_id": row.user_id, "username": row.username, "agency": row.agency,
        "action": row.action, "purpose": row.purpose, "subject_type": row.subject_type,
        "subject_ids": row.subject_ids, "query": row.query, "result_count": row.result_count,
        "outcome": row.outcome, "details": row.details,
    }
