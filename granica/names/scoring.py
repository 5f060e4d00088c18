"""Scoring two person names, with the reasons for the score.

Owns the comparison: name parts are paired by how well they match (exact,
transliteration, romanisation, phonetic, spelling distance), then the pairing
is judged as a whole: parts left unmatched on both sides (a different name in
the same place) cost much, a part missing on one side (a dropped middle name)
little, the first given name missing much (Qusay Saddam Hussein is not Saddam
Hussein); name order may be rotated (surname first) unless BIN/IBN fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA, Levenshtein

from granica.errors import EmptyNameError, GranicaError
from granica.names.params import DEFAULT_THRESHOLD, PARAMS, MatchParams
from granica.names.parse import INITIAL, NUMBER, PARTICLE, PATRONYMIC
from granica.names.prepare import PartForms, PreparedName, PreparedPart, part_forms, prepare

# How two parts matched (the `how` of a reason).
EXACT = "exact"
TRANSLITERATION = "transliteration"
ROMANISATION = "romanisation"
PHONETIC = "phonetic"
SKELETON = "consonant_skeleton"
SPELLING = "spelling_distance"
INITIAL_MATCH = "initial"
TRUNCATED = "truncated"
CONCATENATED = "concatenated"
NONE = "none"

_sim_cache: dict[tuple[int, int], tuple[float, str]] = {}
_SIM_CACHE_MAX = 4_000_000


def part_similarity(
    a: PartForms, b: PartForms, params: MatchParams = PARAMS
) -> tuple[float, str]:
    """Score in [0, 1] of two name parts and how they matched (cached by pair)."""
    key = (a.uid, b.uid) if a.uid <= b.uid else (b.uid, a.uid)
    hit = _sim_cache.get(key)
    if hit is not None:
        return hit
    result = _part_similarity(a, b, params)
    if len(_sim_cache) > _SIM_CACHE_MAX:
        _sim_cache.clear()
    _sim_cache[key] = result
    return result


def _part_similarity(a: PartForms, b: PartForms, params: MatchParams) -> tuple[float, str]:
    if a is b or a.primary == b.primary:
        return params.exact, EXACT
    if not a.forms.isdisjoint(b.forms):
        return params.transliteration, TRANSLITERATION
    if not a.canons.isdisjoint(b.canons):
        return params.romanisation, ROMANISATION
    if a.vowelless or b.vowelless:
        if not a.skels.isdisjoint(b.skels):
            return params.skeleton, SKELETON
        for sa in a.skels:
            for sb in b.skels:
                if min(len(sa), len(sb)) >= 4 and Levenshtein.distance(sa, sb, score_cutoff=1) <= 1:
                    return params.skeleton_near, SKELETON
        if a.vowelless and b.vowelless:
            return _spelling(a, b, params)
        return 0.0, NONE
    if (
        len(a.metaphone) >= 3
        and a.metaphone == b.metaphone
        and OSA.normalized_similarity(a.primary, b.primary) >= 0.5
    ):
        spelled = _spelling(a, b, params)
        if spelled[0] > params.phonetic:
            return spelled
        return params.phonetic, PHONETIC
    return _spelling(a, b, params)


def _spelling(a: PartForms, b: PartForms, params: MatchParams) -> tuple[float, str]:
    best = 0.0
    for fa in a.forms:
        for fb in b.forms:
            if max(len(fa), len(fb)) < 4:
                continue
            s = OSA.normalized_similarity(fa, fb, score_cutoff=params.fuzzy_floor)
            if s > best:
                best = s
    if best <= 0.0:
        return 0.0, NONE
    score = 1.0 - (1.0 - best) * params.fuzzy_slope
    return min(score, params.romanisation - 0.01), SPELLING


def _pair_score(
    pa: PreparedPart, pb: PreparedPart, params: MatchParams
) -> tuple[float, str]:
    """Part score in the context of the names: roles, initials, MRZ truncation."""
    ra, rb = pa.role, pb.role
    if ra == INITIAL or rb == INITIAL:
        fa, fb = pa.forms, pb.forms
        if ra == INITIAL and rb == INITIAL:
            return (params.exact, EXACT) if fa.primary == fb.primary else (0.0, NONE)
        initial, other = (fa, fb) if ra == INITIAL else (fb, fa)
        letter = initial.primary[:1]
        if letter and any(f.startswith(letter) for f in other.forms):
            return params.initial, INITIAL_MATCH
        return 0.0, NONE
    if (ra == NUMBER) != (rb == NUMBER):
        return 0.0, NONE
    score, how = part_similarity(pa.forms, pb.forms, params)
    if (ra == PATRONYMIC) != (rb == PATRONYMIC) and score < params.romanisation:
        return 0.0, NONE  # a patronymic is not a given name spelled differently
    if score < params.truncated and (pa.truncatable or pb.truncatable):
        short, long_ = (pa, pb) if pa.truncatable else (pb, pa)
        stem = short.forms.primary
        if len(stem) >= 2 and any(
            f.startswith(stem) and len(f) > len(stem) for f in long_.forms.forms
        ):
            return params.truncated, TRUNCATED
    return score, how


@dataclass(slots=True)
class NameComparison:
    """The result of comparing two names: score in [0, 1], the decision at the
    threshold, and the reasons (JSON-serialisable dicts)."""

    a: str
    b: str
    score: float
    match: bool
    threshold: float
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "match": self.match,
            "threshold": self.threshold,
            "reasons": self.reasons,
        }


def compare(a: str, b: str, threshold: float = DEFAULT_THRESHOLD) -> NameComparison:
    """Compare two person names in any script and spelling.

    >>> compare("Ђорђе Јовановић", "JOVANOVIC<<DJORDJE").match
    True

    Raises granica.errors.EmptyNameError when a name has nothing to compare.
    """
    return compare_prepared(prepare(a), prepare(b), threshold)


def compare_prepared(
    p: PreparedName,
    q: PreparedName,
    threshold: float = DEFAULT_THRESHOLD,
    params: MatchParams = PARAMS,
) -> NameComparison:
    """Compare two prepared names (see prepare()); symmetric by construction."""
    try:
        swapped = q.sort_key < p.sort_key
        first, second = (q, p) if swapped else (p, q)
        score, reasons = _best_of_variants(first, second, params, explain=True)
    except GranicaError:
        raise
    except Exception as exc:  # the contract: nothing but domain errors escapes
        raise EmptyNameError(f"the names could not be compared: {exc}", field="name") from exc
    if swapped:
        reasons = [_flip(r) for r in reasons]
    score = min(1.0, max(0.0, score))
    return NameComparison(p.original, q.original, score, score >= threshold, threshold, reasons)


def _flip(reason: dict[str, Any]) -> dict[str, Any]:
    out = dict(reason)
    if "a" in reason or "b" in reason:
        out.pop("a", None)
        out.pop("b", None)
        if "b" in reason:
            out["a"] = reason["b"]
        if "a" in reason:
            out["b"] = reason["a"]
    if "side" in reason:
        out["side"] = "b" if reason["side"] == "a" else "a"
    return out


def score_prepared(p: PreparedName, q: PreparedName, params: MatchParams = PARAMS) -> float:
    """Only the score (no reasons): the fast path for candidate ranking."""
    first, second = (q, p) if q.sort_key < p.sort_key else (p, q)
    return min(1.0, max(0.0, _best_of_variants(first, second, params, explain=False)[0]))


def _best_of_variants(
    p: PreparedName, q: PreparedName, params: MatchParams, explain: bool
) -> tuple[float, list[dict[str, Any]]]:
    if not p.alternatives and not q.alternatives:
        return _score(p, q, params, explain)
    best: tuple[float, list[dict[str, Any]]] = (-1.0, [])
    best_names = (p, q)
    for pv in p.variants():
        for qv in q.variants():
            found = _score(pv, qv, params, explain=False)
            if found[0] > best[0]:
                best, best_names = found, (pv, qv)
    if not explain:
        return best
    score, reasons = _score(best_names[0], best_names[1], params, explain=True)
    for side, chosen, whole in (("a", best_names[0], p), ("b", best_names[1], q)):
        if whole.alternatives:
            text = " ".join(part.text for part in chosen.parts)
            reasons.append({side: text, "how": "alternative_name"})
    return score, reasons


def _score(
    p: PreparedName, q: PreparedName, params: MatchParams, explain: bool = True
) -> tuple[float, list[dict[str, Any]]]:
    A, B = p.parts, q.parts
    n, m = len(A), len(B)

    # 1. Pair the parts: best pairs first (a greedy assignment is exact enough for
    # names of a few parts, and keeps compare fast). A word on one side may be
    # two on the other ("Ramimakhlouf" / "Rami Makhlouf").
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]] = []
    for i in range(n):
        pa = A[i]
        for j in range(m):
            s, how = _pair_score(pa, B[j], params)
            if s >= params.part_match:
                cands.append((s, (i,), (j,), how))
    if n != m:
        _concatenations(A, B, cands, params, flip=False)
        _concatenations(B, A, cands, params, flip=True)
    cands.sort(
        key=lambda c: (-c[0], abs(c[1][0] / max(n, 1) - c[2][0] / max(m, 1)), c[1], c[2])
    )
    a_used = [-1] * n
    b_used = [-1] * m
    pairs: list[tuple[int, int, float, str, float]] = []  # i, j, score, how, weight
    for s, ii, jj, how in cands:
        if any(a_used[i] >= 0 for i in ii) or any(b_used[j] >= 0 for j in jj):
            continue
        for i in ii:
            a_used[i] = jj[0]
            for j in jj:
                b_used[j] = ii[0]
                w = (A[i].weight / len(jj) + B[j].weight / len(ii)) / 2
                pairs.append((i, j, s, how, w))
    pairs.sort(key=lambda t: (t[0], t[1]))

    # 3. Order: rotate B (surname first vs last) to keep most pairs in order.
    # Around BIN/IBN the order is the family tree: out-of-order pairs count as
    # unmatched ("Salman bin Muhammad" is not "Muhammad bin Salman").
    nasab = p.nasab or q.nasab
    lead_a = _lead(A, range(n))
    rotation, in_order = _best_order(pairs, m, allow_rotation=not nasab, lead_a=lead_a)
    disordered = [pairs[k] for k in range(len(pairs)) if not in_order[k]]
    if nasab and disordered:
        for i, j, *_rest in disordered:
            a_used[i] = -1
            b_used[j] = -1
        pairs = [pairs[k] for k in range(len(pairs)) if in_order[k]]
        in_order = [True] * len(pairs)

    num = 0.0
    den = 0.0
    initials_only = True
    for k, (i, j, s, how, w) in enumerate(pairs):
        num += (s if in_order[k] else s * params.out_of_order) * w
        den += w
        if how != INITIAL_MATCH and A[i].role != INITIAL and B[j].role != INITIAL:
            initials_only = False
    ua = sum(A[i].weight for i in range(n) if a_used[i] < 0)
    ub = sum(B[j].weight for j in range(m) if b_used[j] < 0)
    sub = min(ua, ub)
    indel = max(ua, ub) - sub
    den += params.substitution * sub + params.indel * indel

    # 4. The first given name: missing on one side while the other side's first
    # name is matched further in (a son named after his father's chain).
    lead_cost = 0.0
    lead_b = _lead(B, [(rotation + k) % m for k in range(m)])
    lead_missing: list[tuple[str, str]] = []
    if lead_a is not None and lead_b is not None:
        if a_used[lead_a] < 0 and b_used[lead_b] >= 0 and b_used[lead_b] != lead_a:
            lead_cost += A[lead_a].weight
            lead_missing.append(("a", A[lead_a].text))
        if b_used[lead_b] < 0 and a_used[lead_a] >= 0 and a_used[lead_a] != lead_b:
            lead_cost += B[lead_b].weight
            lead_missing.append(("b", B[lead_b].text))
    den += params.leading * lead_cost
    score = num / den if den > 0 else 0.0
    if initials_only and pairs:
        score *= params.initials_only  # "N. N." is no evidence for Nursultan Nazarbayev

    if not explain:
        return score, []
    reasons: list[dict[str, Any]] = []
    for k, (i, j, s, how, _w) in enumerate(sorted(pairs, key=lambda t: (t[0], t[1]))):
        reasons.append({"a": A[i].text, "b": B[j].text, "how": how, "score": round(s, 3)})
    for i, j, *_rest in disordered:
        detail = "around bin/ibn: counted as unmatched" if nasab else "name order differs"
        reasons.append({"how": "out_of_order", "a": A[i].text, "b": B[j].text, "detail": detail})
    if rotation and pairs:
        reasons.append({"how": "order_rotated", "detail": "surname first on one side"})
    for i in range(n):
        if a_used[i] < 0:
            reasons.append({"a": A[i].text, "how": "unmatched", "role": A[i].role})
    for j in range(m):
        if b_used[j] < 0:
            reasons.append({"b": B[j].text, "how": "unmatched", "role": B[j].role})
    for side, text in lead_missing:
        reasons.append({side: text, "how": "first_given_name_unmatched"})
    for side, name in (("a", p), ("b", q)):
        for word in name.ignored:
            reasons.append({side: word, "how": "ignored"})
        if name.overflow:
            reasons.append({"how": "too_many_parts", "side": side})
    return score, reasons


def _lead(parts: tuple[PreparedPart, ...], order: Any) -> int | None:
    for k in order:
        if parts[k].role not in (PARTICLE, NUMBER):
            return int(k)
    return None


def _concatenations(
    A: tuple[PreparedPart, ...],
    B: tuple[PreparedPart, ...],
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]],
    params: MatchParams,
    flip: bool,
) -> None:
    """Candidates pairing one part of A with two adjacent parts of B, joined."""
    for i, pa in enumerate(A):
        la = len(pa.forms.primary)
        if la < 5 or pa.role == INITIAL:
            continue
        for j in range(len(B) - 1):
            b1, b2 = B[j].forms.primary, B[j + 1].forms.primary
            if abs(len(b1) + len(b2) - la) > 2 or B[j].role == INITIAL:
                continue
            joined = part_forms(b1 + b2)
            s, _how = part_similarity(pa.forms, joined, params)
            if s < params.part_match:
                continue
            if flip:
                cands.append((s, (j, j + 1), (i,), CONCATENATED))
            else:
                cands.append((s, (i,), (j, j + 1), CONCATENATED))


def _best_order(
    pairs: list[tuple[int, int, float, str, float]],
    m: int,
    allow_rotation: bool,
    lead_a: int | None,
) -> tuple[int, list[bool]]:
    """Rotation of B's parts that keeps the most matched weight in order, and
    which pairs are in order under it (a weighted longest increasing subsequence).
    Among equally good rotations, the one that lines up the first names wins."""
    if len(pairs) <= 1:
        rot = pairs[0][1] if pairs and allow_rotation and pairs[0][0] == lead_a else 0
        return rot, [True] * len(pairs)
    order = sorted(range(len(pairs)), key=lambda k: pairs[k][0])
    best_rot, best_keep, best_key = 0, [True] * len(pairs), (-1.0, False)
    leads = {pairs[k][1] for k in range(len(pairs)) if pairs[k][0] == lead_a}
    for rot in range(m if allow_rotation else 1):
        js = [(pairs[k][1] - rot) % m for k in order]
        ws = [pairs[k][4] for k in order]
        dp = ws[:]
        prev = [-1] * len(order)
        for x in range(len(order)):
            for y in range(x):
                # <=: two parts on one side joined to one part on the other.
                if js[y] <= js[x] and dp[y] + ws[x] > dp[x]:
                    dp[x] = dp[y] + ws[x]
                    prev[x] = y
        end = max(range(len(order)), key=lambda x: dp[x])
        key = (round(dp[end], 9), rot in leads)
        if key > best_key:
            keep = [False] * len(pairs)
            x = end
            while x >= 0:
                keep[order[x]] = True
                x = prev[x]
            best_rot, best_keep, best_key = rot, keep, key
    return best_rot, best_keep
