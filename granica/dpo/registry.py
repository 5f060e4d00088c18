"""Where domains tell the Data Protection Officer what they hold about a person.

Each domain registers one provider, `subject_data(session, query) -> list[dict]`,
usually from its own `granica/<domain>/dpo.py` (imported on first use). Every dict
describes one record:

    {"record_type": "alert", "record_id": "...", "summary": "...", "data": {...},
     "subject_ids": ["..."],            # ids the audit log knows the record by (default record_id)
     "withhold": "discreet_check"}      # optional: a code from WITHHOLD_REASONS

The DPO service never reads the domains' tables itself.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from granica import clock
from granica.errors import ValidationError


@dataclass(frozen=True)
class SubjectQuery:
    """Who the request is about: names and date of birth, document numbers, or known ids."""

    surname: str | None = None
    given_names: str | None = None
    date_of_birth: dt.date | None = None
    nationality: str | None = None
    document_numbers: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not (self.surname or self.document_numbers or self.subject_ids):
            raise ValidationError("say who the request is about: a surname, a document number "
                                  "or a record id", field="surname")
        if self.date_of_birth is not None and self.date_of_birth > clock.today():
            raise ValidationError(f"date of birth {self.date_of_birth} is in the future",
                                  field="date_of_birth")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["date_of_birth"] = self.date_of_birth.isoformat() if self.date_of_birth else None
        out["document_numbers"] = list(self.document_numbers)
        out["subject_ids"] = list(self.subject_ids)
        return {k: v for k, v in out.items() if v not in (None, [], "")}


Provider = Callable[[Session, SubjectQuery], list[dict[str, Any]]]

# Domains whose `<domain>.dpo` module is imported to let it register its provider.
DOMAINS = ("sis", "border", "sirene", "asylum", "cooperation", "exchange", "analysis")

_providers: dict[str, Provider] = {}
_loaded = False


def register(domain: str, provider: Provider) -> None:
    """Register (or replace) a domain's provider."""
    _providers[domain] = provider


def unregister(domain: str) -> None:
    _providers.pop(domain, None)


def providers() -> dict[str, Provider]:
    global _loaded
    if not _loaded:
        for domain in DOMAINS:
            name = f"granica.{domain}.dpo"
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                # the domain (or its dpo module) does not exist yet; anything else is a bug
                if exc.name is None or not name.startswith(exc.name):
                    raise
        _loaded = True
    return dict(sorted(_providers.items()))
