"""MRZ parse + validate throughput on one core (issue 6 target: >= 50,000 per second).

Generates a mix of valid TD1/TD2/TD3/MRV-A/MRV-B zones (distinct numbers, names, dates), then
times `parse_mrz` on them in this one process, and separately `parse_mrz(...).to_dict()`.
Clean zones are the easy case; two harder inputs are timed and reported apart (issue 15):
`ocr_noisy`, zones as a camera's OCR returns them (digits read as look-alike letters, the
fillers after a line's first one read as K, the run sometimes one short) parsed with from_ocr, with the share whose fields come back
exactly right; and `td1_long_number`, ID cards whose document number runs into the optional
data (Doc 9303 Part 5, 4.2.4), which leaves the position-by-position fast path.
Prints one JSON object. Usage: python bench/mrz_parse.py [--count N] [--seconds S]

Figures: `parse_per_second` is wall-clock throughput of a sustained loop (low when the machine
is shared), `parse_per_cpu_second` the same loop per second of this process's CPU time, and
`parse_per_second_best_short_runs` the fastest of many ~4 ms runs, the best estimate of what one
uncontended core does. `meets_target` is judged on the sustained rate per CPU second; the
best short run is reported beside it, not used for the verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
import timeit

from granica.documents import generate_mrz, parse_mrz

KINDS = ("TD1", "TD2", "TD3", "MRVA", "MRVB")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_corpus(count: int, seed: int = 6) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        expiry = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        fields = {
            "document_code": "V" if kind.startswith("MRV") else ("P" if kind == "TD3" else "ID"),
            "issuing_state": rng.choice(["SRB", "D", "FRA", "BIH", "UTO"]),
            "document_number": "".join(rng.choice(LETTERS + "0123456789") for _ in range(9)),
            "nationality": rng.choice(["SRB", "D", "HUN", "XXA", "MNE"]),
            "birth_date": birth.strftime("%y%m%d"),
            "sex": rng.choice("MF"),
            "expiry_date": expiry.strftime("%y%m%d"),
            "surname": "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 12))),
            "given_names": "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9))),
            "optional_data": "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 7))),
        }
        out.append(generate_mrz(kind, fields))
    return out


LOOKALIKE = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


def ocr_noisy(text: str, rng: random.Random) -> str:
    """What a general OCR engine makes of a zone: one or two digits read as their look-alike
    letter, fillers at the end of a line read as K, and sometimes a filler run one short."""
    lines = text.split("\n")
    row = len(lines) - 1 if len(lines) == 2 else 1  # the line of numbers and dates
    line = list(lines[row])
    digits = [i for i, c in enumerate(line) if c in LOOKALIKE]
    for i in rng.sample(digits, min(len(digits), rng.choice((1, 2)))):
        line[i] = LOOKALIKE[line[i]]
    lines[row] = "".join(line)
    first = lines[0]
    cut = len(first.rstrip("<"))
    if cut < len(first) - 3:  # the first filler stays: K right after a letter is a name's
        tail = "<" + "K" * (len(first) - cut - 1)
        lines[0] = first[:cut] + (tail[:-1] if rng.random() < 0.5 else tail)
    return "\n".join(lines)


def make_noisy(corpus: list[str], seed: int = 15) -> list[str]:
    rng = random.Random(seed)
    return [ocr_noisy(t, rng) for t in corpus]


def make_td1_long(count: int, seed: int = 16) -> list[str]:
    """TD1 cards with 10-14 character document numbers (the overflow into optional data)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        expiry = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        fields = {
            "document_code": "ID", "issuing_state": rng.choice(["BEL", "PRT", "NLD", "UTO"]),
            "document_number": "".join(rng.choice(LETTERS + "0123456789")
                                       for _ in range(rng.randint(10, 14))),
            "nationality": rng.choice(["BEL", "PRT", "NLD"]),
            "birth_date": birth.strftime("%y%m%d"), "sex": rng.choice("MF"),
            "expiry_date": expiry.strftime("%y%m%d"),
            "surname": "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 12))),
            "given_names": "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9))),
        }
        out.append(generate_mrz("TD1", fields))
    return out


def rate(fn, corpus: list[str], seconds: float) -> tuple[float, float, int]:
    """(per second of wall time, per second of this process's CPU time, count).

    The CPU-time figure is the one-core throughput even when other processes share the machine.
    """
    done = 0
    start, cpu = time.perf_counter(), time.process_time()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for text in corpus:
            fn(text)
        done += len(corpus)
    return done / (time.perf_counter() - start), done / (time.process_time() - cpu), done


def best_rate(fn, corpus: list[str], repeats: int = 800, chunk: int = 200) -> float:
    """Per second, from the fastest of many short runs: an estimate of one uncontended core.

    On a shared machine a long run mostly measures the other processes; runs of a few
    milliseconds that happened not to be interrupted show what one core really does.
    """
    part = corpus[:chunk]

    def run() -> None:
        for text in part:
            fn(text)

    return len(part) / min(timeit.repeat(run, number=1, repeat=repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20000, help="distinct MRZs in the corpus")
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    args = parser.parse_args()
    print(f"generating {args.count} MRZs ...", file=sys.stderr)
    corpus = make_corpus(args.count)
    today = dt.date(2026, 11, 27)
    assert all(parse_mrz(t, today=today).valid for t in corpus[:1000])
    print("timing parse_mrz ...", file=sys.stderr)
    parse_rate, parse_cpu_rate, parsed = rate(
        lambda t: parse_mrz(t, today=today), corpus, args.seconds
    )
    print("timing parse_mrz + to_dict ...", file=sys.stderr)
    dict_rate, dict_cpu_rate, _ = rate(
        lambda t: parse_mrz(t, today=today).to_dict(), corpus, args.seconds
    )
    print("timing short uncontended runs ...", file=sys.stderr)
    best = best_rate(lambda t: parse_mrz(t, today=today), corpus)
    short = min(args.seconds, 3.0)
    half = [t.replace("0", "O", 1) if i % 2 else t for i, t in enumerate(corpus[:2000])]
    _, half_cpu_rate, _ = rate(lambda t: parse_mrz(t, today=today), half, short)
    clean_fields = [parse_mrz(t, today=today).fields for t in corpus[:2000]]
    noisy = make_noisy(corpus[:2000])
    print("timing OCR-noisy zones (from_ocr) ...", file=sys.stderr)
    _, noisy_cpu_rate, _ = rate(
        lambda t: parse_mrz(t, today=today, from_ocr=True), noisy, short)
    recovered = sum(parse_mrz(t, today=today, from_ocr=True).fields == f
                    for t, f in zip(noisy, clean_fields, strict=True))
    long_numbers = make_td1_long(2000)
    assert all(parse_mrz(t, today=today).valid for t in long_numbers)
    print("timing TD1 long document numbers ...", file=sys.stderr)
    _, long_cpu_rate, _ = rate(lambda t: parse_mrz(t, today=today), long_numbers, short)
    inputs = {
        "canonical": {"zones": args.count, "parse_per_cpu_second": round(parse_cpu_rate)},
        "ocr_noisy": {"zones": len(noisy), "parse_per_cpu_second": round(noisy_cpu_rate),
                      "fields_recovered_exactly": round(recovered / len(noisy), 4)},
        "td1_long_number": {"zones": len(long_numbers),
                            "parse_per_cpu_second": round(long_cpu_rate)},
    }
    print(
        json.dumps(
            {
                "benchmark": "mrz_parse",
                "corpus": args.count,
                "types": list(KINDS),
                "parsed": parsed,
                "parse_per_second": round(parse_rate),
                "parse_per_cpu_second": round(parse_cpu_rate),
                "parse_per_second_best_short_runs": round(best),
                "parse_to_dict_per_second": round(dict_rate),
                "parse_to_dict_per_cpu_second": round(dict_cpu_rate),
                "parse_half_ocr_noise_per_cpu_second": round(half_cpu_rate),
                "inputs": inputs,
                "target_per_second": 50000,
                "meets_target": parse_cpu_rate >= 50000,
                "meets_target_on_harder_input": min(
                    noisy_cpu_rate, long_cpu_rate) >= 50000,
                "load_average_1min": round(os.getloadavg()[0], 2),
                "cores": 1,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
