"""Three bureaux as separate processes on 127.0.0.1 (Serbia, Hungary, Croatia), driven as a
new user would through the API by `granica sirene drill --nodes 3 --json`: a Serbian border
guard's hit on a Hungarian arrest alert becomes a case and a form G at the Hungarian node,
whose answer M arrives on the Serbian case inside the deadline; Croatia is killed while
Serbia sends to it, then Serbia is killed while it sends; both catch up with nothing lost or
duplicated; a forged form is refused and recorded, a replayed one acknowledged and not filed
again. The command's JSON keys are a contract."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def rows(node: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{node / 'granica.db'}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.acceptance
def test_sirene_three_bureaux_hit_answer_crash_and_forgery(tmp_path: Path) -> None:
    granica = Path(sys.executable).with_name("granica")
    folder = tmp_path / "drill"
    done = subprocess.run([str(granica), "sirene", "drill", "--nodes", "3", "--json",
                           "--keep", str(folder)], capture_output=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result = json.loads(done.stdout)
    for key in ("sent", "delivered", "duplicated", "lost", "forged_rejected",
                "answered_within_deadline"):
        assert isinstance(result[key], int), key
    assert result["sent"] == 9  # G RS->HU, G HU->RS, G RS->HR, 3 follow-ups, 3 answers M
    assert result["delivered"] == result["sent"]
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["forged_rejected"] == 1 and result["replay"] == "duplicate"
    assert result["answers_asked"] == 3 and result["answered_within_deadline"] == 3
    assert b"drill: node RS up" in done.stderr  # the command shows its progress
    # the Serbian case of the hit on the Hungarian arrest alert: G out, M in, answered in time
    [(case_ref, category)] = rows(folder / "RS", "SELECT reference, alert_category "
                                         "FROM sirene_case WHERE counterpart = 'HU' AND origin = 'hit'")
    assert category == "arrest"
    forms = rows(folder / "RS", "SELECT m.direction, m.letter, m.due_at, m.answered_at FROM "
                 "sirene_message m JOIN sirene_case c ON c.id = m.case_id WHERE c.reference = "
                 f"'{case_ref}' ORDER BY m.message_time")
    assert [(d, f) for d, f, *_ in forms][:1] == [("out", "G")]
    assert ("in", "M") in [(d, f) for d, f, *_ in forms]
    g = forms[0]
    assert g[2] is not None and g[3] is not None and str(g[3]) <= str(g[2])
    # the forged form is recorded by the node it was sent to, and nothing of it was filed
    refused = rows(folder / "HU", "SELECT reason, claimed_sender FROM exchange_refusal")
    assert ("bad_signature", "RS") in refused
    assert rows(folder / "HU", "SELECT count(*) FROM sirene_message WHERE reference LIKE "
                "'%FORGED%'") == [(0,)]
    # every form of the killed nodes' exchange was filed once at Croatia
    assert rows(folder / "HR", "SELECT letter, count(*) FROM sirene_message WHERE direction = "
                "'in' GROUP BY letter ORDER BY letter") == [("G", 1), ("M", 3)]
