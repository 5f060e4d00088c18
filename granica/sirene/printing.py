"""A SIRENE form as PDF, for reading and for the paper file: the case, the header (times in
UTC, as the form has them, and in local time), then each field by its number and label."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from granica.ops.fonts import pdf_font
from granica.settings import get_settings
from granica.sirene.forms import catalogue


def _when(value: str | None) -> str:
    if not value:
        return "—"
    moment = dt.datetime.fromisoformat(value)
    local = moment.astimezone(ZoneInfo(get_settings().local_timezone))
    return (f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
            f"({local:%Y-%m-%d %H:%M} {local.tzname()})")


def _text(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def form_pdf(case: dict[str, Any], message: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font() or "Helvetica"
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12)
    title = ParagraphStyle("title", parent=body, fontSize=14, leading=18, spaceAfter=4)
    cat = catalogue()
    spec = cat.forms.get(message["form"])
    labels = {h.name: (h.no, h.label) for h in cat.header}
    if spec:
        labels.update({f.name: (f.no, f.label) for f in spec.fields})

    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), body)

    rows = [
        ("001", labels["message_time"][1], _when(message["message_time"])),
        ("002", labels["reference"][1], message["reference"]),
        ("003", labels["sender"][1], f"{message['sender']} "
         f"{message['header'].get('officer') or ''}".strip()),
        ("004", labels["recipient"][1], message["recipient"]),
    ]
    for name, value in message["header"].items():
        if name in labels and value not in (None, "", []):
            rows.append((labels[name][0], labels[name][1], _text(value)))
    for name, value in message["fields"].items():
        no, label = labels.get(name, ("", name))
        rows.append((no, label, _text(value)))
    if message.get("reply_to"):
        rows.append(("", "Answers the form", message["reply_to"]))
    if message.get("due_at"):
        rows.append(("", "Answer due", _when(message["due_at"])))
    for a in message.get("attachments", []):
        rows.append(("", "Attachment", f"{a['name']} ({a['size']:,} bytes, SHA-256 {a['sha256']})"))
    table = Table([[cell(a), cell(b), cell(c)] for a, b, c in rows],
                  colWidths=[14 * mm, 58 * mm, 104 * mm], repeatRows=0)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    heading = f"SIRENE {message['form']}: {spec.title if spec else ''}"
    story = [Paragraph(escape(heading), title),
             Paragraph(escape(f"Case {case['reference']} with {case['counterpart']} · Schengen id "
                              f"{case['schengen_id'] or '—'} · {case['subject']}"), body),
             Spacer(1, 4 * mm), table]
    if message.get("urgent"):
        story.insert(1, Paragraph("<b>URGENT</b>", body))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=heading, leftMargin=15 * mm, rightMargin=15 * mm,
                      topMargin=15 * mm, bottomMargin=15 * mm).build(story)
    return out.getvalue()
