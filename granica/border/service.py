"""The border service: every function the API, the pages, the CLI, the jobs and other domains
call. Its rooms hold the work: `checks` (the check in steps), `reading` (the document),
`movements` (entries/exits, 90/180), `queue` (supervisor, re-checks), `refusals`, `retention`,
`reference`. Every change of border data goes through here, with its permission check and audit."""

from __future__ import annotations

from granica.border.checks import check, check_result_of, decode_fingerprints, get_check
from granica.border.movements import record_crossing_after_referral
from granica.border.queue import QueueView, recheck_pending, shift_queue
from granica.border.reading import FREE_MOVEMENT, MESSAGES, DocumentData, read_mrz
from granica.border.reference import (
    add_crossing_point,
    add_shift,
    crossing_point,
    list_crossing_points,
    seed_sltd,
)
from granica.border.refusals import (
    decide_refusal,
    refusal_languages,
    refusal_letters,
    refusal_particulars,
    refusal_pdf,
    refusal_statistics,
)
from granica.border.retention import purge_expired
from granica.border.schemas import CheckResult

__all__ = [
    "FREE_MOVEMENT", "MESSAGES", "CheckResult", "DocumentData", "QueueView",
    "add_crossing_point", "add_shift", "check", "check_result_of", "crossing_point",
    "decide_refusal", "decode_fingerprints", "get_check", "list_crossing_points",
    "purge_expired", "read_mrz", "recheck_pending", "record_crossing_after_referral",
    "refusal_languages", "refusal_letters", "refusal_particulars", "refusal_pdf",
    "refusal_statistics", "seed_sltd", "shift_queue",
]
