"""The envelope of a message between nodes: who to whom, what kind, which conversation
and place in it, when, the body, and the sender's signature over all of it.

The signature covers the canonical JSON of every field but itself (keys sorted, no
spaces, UTF-8), so a receiver checks exactly the bytes the sender signed whatever
JSON library either side uses.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")  # a node's code: RS, HU, EU-CENTRAL
KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")  # sirene.form, exchange.ping
ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_CONVERSATION = 128
FIELDS = ("v", "id", "sender", "recipient", "kind", "conversation", "seq", "created_at", "body")


class EnvelopeError(ValueError):
    """An envelope that cannot be read: `reason` is a short code, the text says what is wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    sender: str
    recipient: str
    kind: str
    conversation: str
    seq: int
    created_at: dt.datetime
    body: dict[str, Any]
    signature: str = ""

    def fields(self) -> dict[str, Any]:
        return {
            "v": VERSION, "id": self.id, "sender": self.sender, "recipient": self.recipient,
            "kind": self.kind, "conversation": self.conversation, "seq": self.seq,
            "created_at": iso(self.created_at), "body": self.body,
        }

    def signed_bytes(self) -> bytes:
        return canonical(self.fields())

    def to_dict(self) -> dict[str, Any]:
        return {**self.fields(), "signature": self.signature}

    def signed_with(self, key: Ed25519PrivateKey) -> Envelope:
        signature = base64.b64encode(key.sign(self.signed_bytes())).decode("ascii")
        return Envelope(self.id, self.sender, self.recipient, self.kind, self.conversation,
                        self.seq, self.created_at, self.body, signature)

    def signature_holds(self, key: Ed25519PublicKey) -> bool:
        try:
            raw = base64.b64decode(self.signature, validate=True)
            key.verify(raw, self.signed_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse(raw: Any) -> Envelope:
    """An Envelope from its JSON object; EnvelopeError names the field at fault."""
    if not isinstance(raw, dict):
        raise EnvelopeError("malformed", "a message must be a JSON object")
    missing = [f for f in (*FIELDS, "signature") if f not in raw]
    if missing:
        raise EnvelopeError("malformed", f"the message lacks {', '.join(missing)}")
    extra = sorted(set(raw) - {*FIELDS, "signature"})
    if extra:
        raise EnvelopeError("malformed", f"the message has unknown fields {', '.join(extra)}")
    if raw["v"] != VERSION:
        raise EnvelopeError("unsupported_version",
                            f"envelope version {raw['v']!r} is not supported (this node reads {VERSION})")
    checks = (
        ("id", ID, "a lower-case UUID"),
        ("sender", CODE, "a node code such as HU"),
        ("recipient", CODE, "a node code such as RS"),
        ("kind", KIND, "a dotted kind such as sirene.form"),
    )
    for name, pattern, what in checks:
        value = raw[name]
        if not isinstance(value, str) or not pattern.match(value):
            raise EnvelopeError("malformed", f"{name} must be {what}, not {str(value)[:40]!r}")
    conversation = raw["conversation"]
    if not isinstance(conversation, str) or not 1 <= len(conversation) <= MAX_CONVERSATION:
        raise EnvelopeError("malformed", f"conversation must be text of 1 to {MAX_CONVERSATION} characters")
    seq = raw["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise EnvelopeError("malformed", "seq must be a whole number from 1")
    created = raw["created_at"]
    try:
        if not isinstance(created, str) or not created.endswith("Z"):
            raise ValueError
        created_at = dt.datetime.fromisoformat(created)
    except ValueError:
        raise EnvelopeError("malformed", "created_at must be an ISO 8601 UTC time ending in Z, "
                            f"not {str(created)[:40]!r}") from None
    if not isinstance(raw["body"], dict):
        raise EnvelopeError("malformed", "body must be a JSON object")
    if not isinstance(raw["signature"], str) or not raw["signature"]:
        raise EnvelopeError("bad_signature", "the message is not signed")
    return Envelope(raw["id"], raw["sender"], raw["recipient"], raw["kind"], conversation, seq,
                    created_at, raw["body"], raw["signature"])
