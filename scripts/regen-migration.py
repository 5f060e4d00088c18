"""Regenerates the single initial-schema migration from the models.

Granica has not been deployed anywhere yet, so the schema is one revision
(0001_initial). Once a release is out, new revisions are added with
`alembic revision --autogenerate` instead and this script is retired.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from granica.storage import Database  # noqa: E402
from granica.storage.migrate import MIGRATIONS, alembic_config  # noqa: E402

target = MIGRATIONS / "versions" / "0001_initial.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    db = Database(f"sqlite:///{tmp}/empty.db")
    cfg = alembic_config(db)
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001",
                     version_path=str(MIGRATIONS / "versions"))
    produced = next((MIGRATIONS / "versions").glob("0001_*.py"))
    text = produced.read_text()
    text = text.replace("granica.storage.UTCDateTime()", "granica.storage.UTCDateTime()")
    # the chain's mutex row exists from the start
    text = text.replace(
        "def downgrade() -> None:",
        "    op.execute(\"INSERT INTO audit_head (id, seq, head_hash) VALUES (1, 0, '\" + \"0\" * 64 + \"')\")\n\n\ndef downgrade() -> None:",
        1,
    ) if "audit_head" in text else text
    produced.unlink()
    target.write_text(text)
    db.dispose()
print(f"wrote {target.relative_to(ROOT)}")
