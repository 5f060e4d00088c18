"""How an audit row is hashed: canonical JSON of its fields chained to the previous hash."""

from __future__ import annotations

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
