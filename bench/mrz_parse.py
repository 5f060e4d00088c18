"""MRZ parse + validate throughput on one core (issue 6 target: >= 50,000 per second).

Generates a mix of valid TD1/TD2/TD3/MRV-A/MRV-B zones (distinct numbers, names, dates), then
times `parse_mrz` on them in this one process, and separately `parse_mrz(...).to_dict()`.
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
    noisy = [t.replace("0", "O", 1) if i % 2 else t for i, t in enumerate(corpus[:2000])]
    print("timing parse_mrz on half-noisy input ...", file=sys.stderr)
    print("timing short uncontended runs ...", file=sys.stderr)
    best = best_rate(lambda t: parse_mrz(t, today=today), corpus)
    _, noisy_cpu_rate, _ = rate(lambda t: parse_mrz(t, today=today), noisy, min(args.seconds, 3.0))
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
                "parse_half_ocr_noise_per_cpu_second": round(noisy_cpu_rate),
                "target_per_second": 50000,
                "meets_target": parse_cpu_rate >= 50000,
                "load_average_1min": round(os.getloadavg()[0], 2),
                "cores": 1,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
