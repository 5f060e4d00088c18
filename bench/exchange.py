"""Exchange between two nodes on this machine: messages per second delivered and
acknowledged, p95 from send to acknowledgement, and the catch-up of a queue built
up while the peer was down for an hour (the sender's clock moved on an hour).

This process is the sending node (RS: its own data folder, the delivery worker in a
thread); the receiving node (HU) is a `granica serve` process. Prints JSON and writes
bench/results/exchange.json. Targets (issue 13): >= 200 messages/s, p95 < 200 ms,
10,000 queued messages caught up in < 120 s, in order per conversation. The steady figures
include the processor time per message of each node (sender_cpu_ms, receiver_cpu_ms), which
a busy machine disturbs less than the rates and latencies.

    python bench/exchange.py [--seconds 10 --rate 250 --queued 10000] [--forms]

With `--forms` the traffic is SIRENE forms M sent by the bureau's service on 150 cases
(checked, filed, audited, then queued) and filed by the receiving bureau on its cases: the
figures of the SIRENE Bureau's link (bench/results/sirene.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORM_BODY = {"form": "G", "text": "x" * 3000}  # about the size of a form G with its fields
CONVERSATIONS = 50
WARM_UP_S = 3.0
TARGETS = {"messages_per_s": 200.0, "p95_ms": 200.0, "catch_up_s": 120.0}


def process_cpu_s(pid: int | None = None) -> float | None:
    """Processor seconds used so far by this process (every thread), or by process `pid`
    (from /proc; None where there is none)."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_message(before: float | None, after: float | None, count: int) -> float | None:
    if before is None or after is None or not count:
        return None
    return round((after - before) * 1000 / count, 2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


class Traffic:
    """What is sent: link-load messages straight to the exchange, or SIRENE forms M through
    the bureau's service on cases opened for the purpose (one conversation per case)."""

    def __init__(self, db: object, *, forms: bool) -> None:
        self.forms = forms
        self.cases: dict[str, list[str]] = {}
        if forms:
            self._open_cases(db)

    def _open_cases(self, db: object) -> None:
        from granica.auth.principal import system_principal
        from granica.sirene import service as sirene
        from granica.sis import service as sis

        self.who = system_principal("SIRENE link benchmark")
        alert = {"schengen_id": "HU9900000000042000", "issuing_country": "HU",
                 "category": "arrest", "data": {
                     "surname": "Kovács", "forenames": "Péter", "sex": "M",
                     "date_of_birth": "1980-04-12", "nationalities": ["HU"],
                     "reason": "benchmark", "issuing_authority": "court",
                     "warrant_reference": "EAW-BENCH-1"}}
        with db.session() as s:  # type: ignore[attr-defined]
            sis.import_alerts(s, self.who, [json.dumps(alert)], purpose="benchmark")
        for group in ("warm", "case", "queued"):
            with db.session() as s:  # type: ignore[attr-defined]
                self.cases[group] = [
                    sirene.open_case(s, self.who, alert_ref=alert["schengen_id"],
                                     counterpart="HU", purpose="benchmark")["reference"]
                    for _ in range(CONVERSATIONS)]

    def names(self, group: str) -> list[str]:
        return self.cases[group] if self.forms else [f"{group}-{n}" for n in range(CONVERSATIONS)]

    def send(self, session: object, group: str, n: int) -> None:
        if not self.forms:
            from granica.exchange import service

            service.send(session, "HU", service.LOAD,  # type: ignore[arg-type]
                         f"{group}-{n % CONVERSATIONS}", FORM_BODY)
            return
        from granica.sirene import service as sirene

        sirene.send_form(session, self.who, self.cases[group][n % CONVERSATIONS],  # type: ignore[arg-type]
                         "M", fields={"text": f"{group} {n}: " + "x" * 2000}, purpose="benchmark")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=250.0, help="messages offered per second")
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--forms", action="store_true", help="SIRENE forms through the service")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.out = args.out or ROOT / "bench" / "results" / ("sirene.json" if args.forms
                                                         else "exchange.json")

    root = Path(tempfile.mkdtemp(prefix="granica-bench-exchange-"))
    from granica.exchange.nodes import local_nodes

    print("setting up nodes RS and HU ...", file=sys.stderr, flush=True)
    serbia, hungary = local_nodes(["RS", "HU"], root)
    for key, value in serbia.env().items():
        if key.startswith("GRANICA_"):
            os.environ[key] = value

    import sqlalchemy as sa

    from granica import clock
    from granica.exchange import models as m
    from granica.exchange.worker import DeliveryWorker
    from granica.storage import get_database

    db = get_database()
    sender = Traffic(db, forms=args.forms)
    hungary.start()
    worker = DeliveryWorker(db, idle_seconds=0.05)
    worker.start()
    results: dict[str, object] = {"rate_offered_per_s": args.rate, "seconds": args.seconds,
                                  "warm_up_s_not_counted": WARM_UP_S}
    try:
        def offer(seconds: float, prefix: str) -> tuple[int, float, float, int]:
            """Traffic at the offered rate, one transaction per tick, then drained."""
            started = time.perf_counter()
            sent = 0
            while time.perf_counter() - started < seconds:
                due = int(args.rate * (time.perf_counter() - started)) - sent
                if due > 0:
                    with db.session() as s:
                        for n in range(due):
                            sender.send(s, prefix, sent + n)
                    sent += due
                time.sleep(0.05)
            offered_for = time.perf_counter() - started
            deadline = time.monotonic() + 60
            pending = sent
            while time.monotonic() < deadline:
                with db.session() as s:
                    pending = s.execute(sa.select(sa.func.count()).select_from(m.OutboxMessage)
                                        .where(m.OutboxMessage.state == m.PENDING)).scalar_one()
                if not pending:
                    break
                time.sleep(0.1)
            return sent, offered_for, time.perf_counter() - started, pending

        # 1. A warm link (a bureau's link is up all day): warm-up traffic is not counted,
        # then steady traffic at the offered rate.
        print(f"warm-up: {args.rate:g}/s for {WARM_UP_S:g} s ...", file=sys.stderr, flush=True)
        offer(WARM_UP_S, "warm")
        print(f"steady traffic: {args.rate:g}/s for {args.seconds:g} s ...", file=sys.stderr,
              flush=True)
        receiver_pid = hungary.process.pid if hungary.process else None
        cpu_before = process_cpu_s(), process_cpu_s(receiver_pid)
        sent, offered_for, drained_for, pending = offer(args.seconds, "case")
        cpu_after = process_cpu_s(), process_cpu_s(receiver_pid)
        with db.session() as s:
            rows = s.execute(sa.select(m.OutboxMessage.created_at, m.OutboxMessage.delivered_at)
                             .where(m.OutboxMessage.state == m.DELIVERED,
                                    m.OutboxMessage.conversation.in_(sender.names("case")))
                             ).all()
        latencies = [(d - c).total_seconds() * 1000 for c, d in rows if d is not None]
        results["steady"] = {
            "sent": sent, "delivered": len(latencies), "pending_left": pending,
            "messages_per_s": round(len(latencies) / drained_for, 1),
            "offered_per_s": round(sent / offered_for, 1),
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            # processor time per message sent: the sender's service and delivery thread,
            # and the receiving node (less sensitive than the rates to a busy machine)
            "sender_cpu_ms": cpu_ms_per_message(cpu_before[0], cpu_after[0], sent),
            "receiver_cpu_ms": cpu_ms_per_message(cpu_before[1], cpu_after[1], sent),
        }

        # 2. The peer down for an hour: the queue builds up, then catches up.
        print(f"peer down: queueing {args.queued:,} messages ...", file=sys.stderr, flush=True)
        hungary.stop(kill=True)
        with db.session() as s:
            for n in range(args.queued):
                sender.send(s, "queued", n)
        clock.advance(dt.timedelta(hours=1))  # an hour later, for the sender
        hungary.start()
        started = time.perf_counter()
        deadline = time.monotonic() + 600
        pending = last_pending = args.queued
        while time.monotonic() < deadline:
            with db.session() as s:
                pending = s.execute(sa.select(sa.func.count()).select_from(m.OutboxMessage)
                                    .where(m.OutboxMessage.state == m.PENDING)).scalar_one()
            if pending != last_pending:
                print(f"  {args.queued - pending:,}/{args.queued:,} delivered", file=sys.stderr,
                      end="\r", flush=True)
                last_pending = pending
            if not pending:
                break
            time.sleep(0.2)
        catch_up = time.perf_counter() - started
        print(file=sys.stderr)
        # In order: on the receiving node, each conversation handled in number order.
        hungary.stop()
        conn = sqlite3.connect(str(hungary.data_dir / "granica.db"))
        queued = sender.names("queued")
        handled = conn.execute(
            f"SELECT conversation, seq FROM exchange_inbox WHERE conversation IN "
            f"({','.join('?' * len(queued))}) AND state = 'handled' ORDER BY handled_at, rowid",
            queued).fetchall()
        if args.forms:
            results["catch_up_forms_filed"] = conn.execute(
                "SELECT count(*) FROM sirene_message WHERE direction = 'in'").fetchone()[0]
        conn.close()
        last: dict[str, int] = {}
        in_order = True
        for conversation, seq in handled:
            if seq != last.get(conversation, 0) + 1:
                in_order = False
            last[conversation] = seq
        results["catch_up"] = {"queued": args.queued, "pending_left": pending,
                               "seconds": round(catch_up, 1), "handled": len(handled),
                               "in_order_per_conversation": in_order}
    finally:
        worker.stop()
        hungary.stop(kill=True)
        clock.reset()

    steady = results["steady"]
    caught = results["catch_up"]
    assert isinstance(steady, dict) and isinstance(caught, dict)
    results["targets"] = {
        f"messages_per_s>={TARGETS['messages_per_s']:g}":
            steady["messages_per_s"] >= TARGETS["messages_per_s"] and not steady["pending_left"],
        f"p95_ms<{TARGETS['p95_ms']:g}": steady["p95_ms"] < TARGETS["p95_ms"],
        f"catch_up_s<{TARGETS['catch_up_s']:g}":
            caught["seconds"] < TARGETS["catch_up_s"] and not caught["pending_left"],
        "in_order_per_conversation": caught["in_order_per_conversation"]
            and caught["handled"] == args.queued,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
