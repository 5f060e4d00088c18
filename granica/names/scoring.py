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

from granica.errors import GranicaError, ValidationError
from granica.names.params import DEFAULT_THRESHOLD, PARAMS, MatchParams
from granica.names.parse import INITIAL, NUMBER, PATRONYMIC, patronymic_stem
from granica.names.prepare import (
    PartForms,
    PreparedName,
    PreparedPart,
    lead_index,
    part_forms,
    prepare,
)

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
PATRONYMIC_STEM = "patronymic_stem"
EQUIVALENT = "equivalent_name"
NONE = "none"

_sim_cache: dict[tuple[int, int], tuple[float, str]] = {}
_SIM_CACHE_MAX = 4_000_000


def part_similarity(a: PartForms, b: PartForms, params: MatchParams = PARAMS) -> tuple[float, str]:
    """Score in [0, 1] of two name parts and how they matched.

    Cached by pair for the life of the process: the cache assumes one set of
    part-level parameters (code that tunes them clears `_sim_cache`)."""
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
    found = _by_sound_or_spelling(a, b, params)
    if found[0] < params.equivalent and not a.equivalents.isdisjoint(b.equivalents):
        # One name in two languages (Jovan / Ivan): weaker than a close spelling.
        return params.equivalent, EQUIVALENT
    return found


def _by_sound_or_spelling(a: PartForms, b: PartForms, params: MatchParams) -> tuple[float, str]:
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
        and OSA.normalized_similarity(a.primary, b.primary) >= 0.65
    ):
        spelled = _spelling(a, b, params)
        if spelled[0] > params.phonetic:
            return spelled
        return params.phonetic, PHONETIC
    return _spelling(a, b, params)


def _spelling(a: PartForms, b: PartForms, params: MatchParams) -> tuple[float, str]:
    best = 0.0
    floor = params.fuzzy_floor
    for fa in a.forms:
        la = len(fa)
        for fb in b.forms:
            lb = len(fb)
            longest = max(lb, la)
            if abs(la - lb) > (1.0 - floor) * longest:
                continue  # the lengths alone put them below the floor
            if longest < 4:
                if len(fa) == len(fb) == 3 and _one_transposition(fa, fb):
                    best = max(best, 0.8)  # a typing slip in a short name: SOK / SKO
                continue
            s = OSA.normalized_similarity(fa, fb, score_cutoff=floor)
            best = max(best, s)
    if best <= 0.0:
        return 0.0, NONE
    score = 1.0 - (1.0 - best) * params.fuzzy_slope
    return min(score, params.romanisation - 0.01), SPELLING


def _one_transposition(x: str, y: str) -> bool:
    diff = [k for k in range(len(x)) if x[k] != y[k]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and x[diff[0]] == y[diff[1]]
        and x[diff[1]] == y[diff[0]]
    )


def _pair_score(pa: PreparedPart, pb: PreparedPart, params: MatchParams) -> tuple[float, str]:
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
    if ra == PATRONYMIC and rb == PATRONYMIC and score < params.romanisation:
        # Vladimirovich / Wladimirowicz: compare the fathers' names.
        stem_a = part_forms(patronymic_stem(pa.forms.primary))
        stem_b = part_forms(patronymic_stem(pb.forms.primary))
        stem_score, _how = part_similarity(stem_a, stem_b, params)
        if stem_score * params.patronymic_stem > score:
            return stem_score * params.patronymic_stem, PATRONYMIC_STEM
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
    swapped = q.sort_key < p.sort_key
    first, second = (q, p) if swapped else (p, q)
    score, reasons = _guarded(first, second, params, explain=True)
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
    return min(1.0, max(0.0, _guarded(first, second, params, explain=False)[0]))


def _guarded(
    p: PreparedName, q: PreparedName, params: MatchParams, explain: bool
) -> tuple[float, list[dict[str, Any]]]:
    try:
        return _best_of_variants(p, q, params, explain)
    except GranicaError:
        raise
    except Exception as exc:  # the contract: nothing but domain errors escapes
        raise ValidationError(
            f"the names {p.original[:40]!r} and {q.original[:40]!r} could not be compared: {exc}",
            field="name",
        ) from exc


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
    FA, FB = p.forms, q.forms
    GA, GB = p.flags, q.flags
    WA, WB = p.weights, q.weights
    n, m = len(A), len(B)
    part_match = params.part_match
    cache = _sim_cache

    # 1. Pair the parts: best pairs first (a greedy assignment is exact enough for
    # names of a few parts, and keeps compare fast). A word on one side may be
    # two on the other ("Ramimakhlouf" / "Rami Makhlouf").
    cands: list[tuple[float, float, tuple[int, ...], tuple[int, ...], str]] = []
    for i in range(n):
        fa = FA[i]
        ga = GA[i]
        ua = fa.uid
        for j in range(m):
            fb = FB[j]
            if ga or GB[j]:
                s, how = _pair_score(A[i], B[j], params)
            elif fa is fb:
                s, how = params.exact, EXACT
            else:
                ub = fb.uid
                hit = cache.get((ua, ub) if ua <= ub else (ub, ua))
                s, how = hit if hit is not None else part_similarity(fa, fb, params)
            if s >= part_match:
                cands.append((-s, abs(i / n - j / m), (i,), (j,), how))
    if n != m:
        _concatenations(A, B, cands, params, flip=False)
        _concatenations(B, A, cands, params, flip=True)
    cands.sort()
    a_used = [-1] * n
    b_used = [-1] * m
    pairs: list[tuple[int, int, float, str, float]] = []  # i, j, score, how, weight
    for neg_s, _d, ii, jj, how in cands:
        if len(ii) == 1 and len(jj) == 1:
            i, j = ii[0], jj[0]
            if a_used[i] >= 0 or b_used[j] >= 0:
                continue
            a_used[i] = j
            b_used[j] = i
            pairs.append((i, j, -neg_s, how, (WA[i] + WB[j]) / 2))
            continue
        if any(a_used[i] >= 0 for i in ii) or any(b_used[j] >= 0 for j in jj):
            continue
        for i in ii:
            a_used[i] = jj[0]
            for j in jj:
                b_used[j] = ii[0]
                pairs.append((i, j, -neg_s, how, (WA[i] / len(jj) + WB[j] / len(ii)) / 2))
    pairs.sort()

    # 2. Order: rotate B (surname first vs last) to keep most pairs in order.
    # Around BIN/IBN the order is the family tree: out-of-order pairs count as
    # unmatched ("Salman bin Muhammad" is not "Muhammad bin Salman").
    nasab = p.nasab or q.nasab
    lead_a = p.lead
    rotations = None if not nasab else _family_first(pairs, n, m, p.family_last, q.family_last)
    rotation, in_order = _best_order(pairs, m, rotations, lead_a, q.lead)
    disordered = [pairs[k] for k in range(len(pairs)) if not in_order[k]]
    # The syllables of a Korean given name have one order: out of it, they are
    # other names (Jo Yong Chol is not Jo Chol Song).
    strict = nasab or (p.korean and q.korean)
    if strict and disordered:
        for i, j, *_rest in disordered:
            a_used[i] = -1
            b_used[j] = -1
        pairs = [pairs[k] for k in range(len(pairs)) if in_order[k]]
        in_order = [True] * len(pairs)

    num = 0.0
    den = 0.0
    initials_only = True
    out_of_order = params.out_of_order
    for k, (i, j, s, how, w) in enumerate(pairs):
        num += (s if in_order[k] else s * out_of_order) * w
        den += w
        if initials_only and how != INITIAL_MATCH:
            initials_only = False
    ua_w = 0.0
    for i in range(n):
        if a_used[i] < 0:
            ua_w += WA[i]
    ub_w = 0.0
    for j in range(m):
        if b_used[j] < 0:
            ub_w += WB[j]
    sub = min(ua_w, ub_w)
    den += params.substitution * sub + params.indel * (max(ua_w, ub_w) - sub)

    # 3. The first given name: missing on one side while the other side's first
    # name is matched further in (a son named after his father's chain), or
    # different on both sides (siblings share the rest of the chain).
    lead_b = q.lead if rotation == 0 else lead_index(B, [(rotation + k) % m for k in range(m)])
    lead_missing: list[tuple[str, str]] = []
    lead_cost = 0.0
    both_differ = False
    if lead_a is not None and lead_b is not None:
        a_lead_free = a_used[lead_a] < 0
        b_lead_free = b_used[lead_b] < 0
        if a_lead_free and b_lead_free:
            both_differ = True
            lead_missing.append(("a", A[lead_a].text))
            lead_missing.append(("b", B[lead_b].text))
        elif a_lead_free and b_used[lead_b] != lead_a:
            lead_cost += WA[lead_a]
            lead_missing.append(("a", A[lead_a].text))
        elif b_lead_free and a_used[lead_a] != lead_b:
            lead_cost += WB[lead_b]
            lead_missing.append(("b", B[lead_b].text))
    den += params.leading * lead_cost
    score = num / den if den > 0 else 0.0
    if both_differ:
        score *= params.leading_substitution
    if initials_only and pairs:
        # Only initials against names: "N. N." is no evidence for Nursultan Nazarbayev.
        score *= params.initials_only

    if not explain:
        return score, []
    reasons: list[dict[str, Any]] = []
    for i, j, s, how, _w in sorted(pairs):
        reasons.append({"a": A[i].text, "b": B[j].text, "how": how, "score": round(s, 3)})
    for i, j, *_rest in disordered:
        detail = "name order differs"
        if strict:
            detail = "around bin/ibn: counted as unmatched" if nasab else "korean syllable order"
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


def _concatenations(
    A: tuple[PreparedPart, ...],
    B: tuple[PreparedPart, ...],
    cands: list[tuple[float, float, tuple[int, ...], tuple[int, ...], str]],
    params: MatchParams,
    flip: bool,
) -> None:
    """Candidates pairing one part of A with two adjacent parts of B, joined."""
    for i, pa in enumerate(A):
        word = pa.forms.primary
        la = len(word)
        if la < 5 or pa.role == INITIAL:
            continue
        for j in range(len(B) - 1):
            b1, b2 = B[j].forms.primary, B[j + 1].forms.primary
            if (
                abs(len(b1) + len(b2) - la) > 2
                or word[:1] != b1[:1]
                or word[-1:] != b2[-1:]
                or B[j].role == INITIAL
            ):
                continue
            joined = part_forms(b1 + b2)
            s, _how = part_similarity(pa.forms, joined, params)
            if s < params.part_match:
                continue
            if flip:
                cands.append((-s, 0.0, (j, j + 1), (i,), CONCATENATED))
            else:
                cands.append((-s, 0.0, (i,), (j, j + 1), CONCATENATED))


_NO_ROTATION = frozenset({0})


def _family_first(
    pairs: list[tuple[int, int, float, str, float]],
    n: int,
    m: int,
    a_family_last: bool,
    b_family_last: bool,
) -> frozenset[int]:
    """Around BIN/IBN the only rotation allowed moves the family name after the
    chain (AL-HAMRAOUI) from first place on one side to last place on the
    other: "Hamraoui Kamel" is Kamal ben Maoeldi al-Hamraoui surname first."""
    allowed = {0}
    for i, j, *_rest in pairs:
        if a_family_last and i == n - 1 and j == 0 and m > 1:
            allowed.add(1)  # B writes A's family name first
        if b_family_last and j == m - 1 and i == 0 and m > 1:
            allowed.add(m - 1)  # A writes B's family name first
    return frozenset(allowed)


def _best_order(
    pairs: list[tuple[int, int, float, str, float]],
    m: int,
    rotations: frozenset[int] | None,
    lead_a: int | None,
    lead_b: int | None,
) -> tuple[int, list[bool]]:
    """Rotation of B's parts that keeps the most matched weight in order, and
    which pairs are in order under it (a weighted longest increasing subsequence).
    Among equally good rotations, the one that lines up the first names wins.
    `rotations` are the rotations allowed (None: all); `pairs` is sorted by
    (i, j); lead_a and lead_b are the unrotated first names."""
    k_pairs = len(pairs)
    if k_pairs <= 1:
        rot = 0
        if (
            k_pairs
            and pairs[0][0] == lead_a
            and pairs[0][1] != lead_b
            and (rotations is None or pairs[0][1] in rotations)
        ):
            rot = pairs[0][1]
        return rot, [True] * k_pairs
    # Fast path: already in order, first names lined up (the common case).
    monotone = all(pairs[k - 1][1] <= pairs[k][1] for k in range(1, k_pairs))
    if monotone and (rotations == _NO_ROTATION or _leads_paired(pairs, lead_a, lead_b)):
        return 0, [True] * k_pairs
    best_rot, best_keep, best_key = 0, [True] * k_pairs, (-1.0, False)
    leads = {j for i, j, *_rest in pairs if i == lead_a}
    ws = [pair[4] for pair in pairs]
    first_matched = min(j for _i, j, *_rest in pairs) if pairs else m
    for rot in range(m) if rotations is None else sorted(rotations):
        if 0 < rot <= first_matched and rotations is None:
            # Rotating moves B's first `rot` parts to the end (a surname written
            # first); if none of them matches, it would only hide missing names.
            continue
        js = [(pair[1] - rot) % m for pair in pairs]
        dp = ws[:]
        prev = [-1] * k_pairs
        for x in range(k_pairs):
            for y in range(x):
                # <=: two parts on one side joined to one part on the other.
                if js[y] <= js[x] and dp[y] + ws[x] > dp[x]:
                    dp[x] = dp[y] + ws[x]
                    prev[x] = y
        end = max(range(k_pairs), key=lambda x: dp[x])
        key = (round(dp[end], 9), rot in leads)
        if key > best_key:
            keep = [False] * k_pairs
            x = end
            while x >= 0:
                keep[x] = True
                x = prev[x]
            best_rot, best_keep, best_key = rot, keep, key
    return best_rot, best_keep


def _leads_paired(
    pairs: list[tuple[int, int, float, str, float]], lead_a: int | None, lead_b: int | None
) -> bool:
    for i, j, *_rest in pairs:
        if i == lead_a:
            return j == lead_b
    return True
