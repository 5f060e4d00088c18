"""Tunables of the name matcher, read here and nowhere else.

The name-level costs (substitution, indel, leading, part_match) were chosen by a
small grid search on the tuning 60% of ../shared/data/names/pairs.jsonl (split by
list entry, granica.names.evaluate.split_of) and checked on the held-out 40%
(searched again with the given-name equivalents: indel, out_of_order, equivalent);
the part-level scores are set by hand so that their order is the order of the
evidence (exact > transliteration > skeleton across scripts > romanisation >
phonetic > spelling distance).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchParams:
    """How much each kind of evidence counts (a small parameters object)."""

    # Score of a name-part pair by how it matched.
    exact: float = 1.0
    transliteration: float = 1.0
    romanisation: float = 0.93
    phonetic: float = 0.86
    skeleton: float = 0.95
    skeleton_near: float = 0.8
    initial: float = 0.72
    patronymic_stem: float = 0.9
    truncated: float = 0.88
    # One name in two languages (Jovan / Ivan), by the equivalents table.
    equivalent: float = 0.75
    # Spelling distance: pairs below this normalised similarity do not match.
    fuzzy_floor: float = 0.70
    # Spelling distance: score = 1 - (1 - similarity) * slope.
    fuzzy_slope: float = 1.5
    # A part-pair counts as matched at or above this score.
    part_match: float = 0.55
    # Weights of name parts.
    weight_common: float = 0.55
    weight_weak: float = 0.35
    weight_particle: float = 0.1
    weight_initial: float = 0.45
    weight_number: float = 0.3
    # Costs of what is left unmatched, relative to a part's weight.
    substitution: float = 10.0  # a different name in place of one (Hans vs Franz)
    indel: float = 0.1  # a name missing on one side (a dropped middle name)
    leading: float = 2.0  # the first given name missing (Qusay Saddam vs Saddam)
    # Both first given names there and different (Ali vs Hala Saddam Hussein):
    # multiplier. Zero: siblings share everything else, so nothing else counts.
    # As a penalty (0.05 to 0.5) it lowered the tuning AUC from 0.777 to 0.755-0.749
    # at the same TMR (issue 15): the aliases whose first names differ (Faisal
    # Santos / Hilarion del Rosario Santos) cannot be told from siblings by name.
    leading_substitution: float = 0.0
    # Matched pairs out of order: multiplier of their score.
    out_of_order: float = 0.6
    # A name whose matched parts are all initials ("N. N."): multiplier.
    initials_only: float = 0.6


PARAMS = MatchParams()

# Decision threshold of compare(); measured (bench/names_eval.py, issue 15) it
# gives precision 0.991 at recall 0.647 on the tuning part and precision 0.987 at
# recall 0.624 on the held-out part. Held-out: AUC 0.757, TMR 0.624 at 5% FMR,
# 0.518 at 1% FMR (tuning: AUC 0.777, TMR 0.668 and 0.543).
DEFAULT_THRESHOLD = 0.70

# Longest name Granica reads: parts beyond this are ignored (and reported).
MAX_PARTS = 24
MAX_PART_CHARS = 64
