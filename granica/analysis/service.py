"""Risk analysis over every domain, in aggregate only: the monthly report (FRAN indicators,
seizures by goods and crossing point, inspections, incidents, risk-profile hit rates,
refusals), twelve-month trends and a CIRAM-style view per border section."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.cooperation import service as cooperation
from granica.errors import ValidationError

PERMISSION = "analysis.read"
# CIRAM threat levels by the share of the country's pressure on one border section.
THREAT_LEVELS = ((0.5, "high"), (0.2, "medium"), (0.0, "low"))


@dataclass(frozen=True)
class Period:
    label: str
    since: dt.datetime
    until: dt.datetime


def month(text: str) -> Period:
    """A calendar month in UTC from 'YYYY-MM'."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
        raise ValidationError(f"month '{text}' must be written YYYY-MM, e.g. 2026-11",
                              field="month")
    year, mon = int(text[:4]), int(text[5:])
    if not 1 <= mon <= 12 or year < 1990:
        raise ValidationError(f"month '{text}' does not exist", field="month")
    since = dt.datetime(year, mon, 1, tzinfo=dt.UTC)
    until = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=dt.UTC)
    return Period(text, since, until)


def _previous(period: Period, n: int) -> list[Period]:
    out = [period]
    while len(out) < n:
        first = out[0].since
        prev_month = first - dt.timedelta(days=1)
        out.insert(0, month(f"{prev_month.year:04d}-{prev_month.month:02d}"))
    return out


def _require(session: Session, principal: Principal, purpose: str, what: str) -> None:
    audit.require(session, principal, PERMISSION, action="analysis.report",
                  subject_type="statistics", purpose=purpose, what=what)


def monthly_report(session: Session, principal: Principal, month_text: str, purpose: str,
                   bcp: str | None = None) -> dict[str, Any]:
    """The country's (or one crossing point's) monthly risk-analysis report."""
    _require(session, principal, purpose, "see risk analysis")
    period = month(month_text)
    lists = cooperation.code_lists()
    goods = cooperation.goods_totals(session, since=period.since, until=period.until, bcp=bcp)
    seizures_by_goods: dict[str, dict[str, float]] = {}
    seizures_by_bcp: dict[str, int] = {}
    for category, where, count, quantity, over in goods:
        slot = seizures_by_goods.setdefault(category, {"seizures": 0, "quantity": 0.0,
                                                       "over_threshold": 0})
        slot["seizures"] += count
        slot["quantity"] += quantity
        slot["over_threshold"] += over
        seizures_by_bcp[where or "(between crossing points)"] = (
            seizures_by_bcp.get(where or "(between crossing points)", 0) + count)
    incidents = cooperation.incident_persons(session, since=period.since, until=period.until,
                                             bcp=bcp)
    incidents_by_type: dict[str, dict[str, int]] = {}
    for category, _where, count, persons in incidents:
        slot_i = incidents_by_type.setdefault(category, {"incidents": 0, "persons": 0})
        slot_i["incidents"] += count
        slot_i["persons"] += persons
    inspections = cooperation.counts_by(session, "category", kind="inspection",
                                        since=period.since, until=period.until, bcp=bcp)
    inspections_by_type: dict[str, int] = {}
    for category, _where, count in inspections:
        inspections_by_type[category] = inspections_by_type.get(category, 0) + count
    cases = cooperation.counts_by(session, "category", kind="case", since=period.since,
                                  until=period.until, bcp=bcp)
    cases_by_type: dict[str, int] = {}
    for category, _where, count in cases:
        cases_by_type[category] = cases_by_type.get(category, 0) + count
    refusals = _refusals(session, principal, purpose, period, bcp)
    profiles = _profiles(session, period)
    fran = _fran(incidents, refusals, cases_by_type)
    audit.record(session, principal, "analysis.report", purpose=purpose,
                 subject_type="statistics", query={"month": period.label, "bcp": bcp})
    return {
        "month": period.label, "bcp": bcp,
        "generated_from": period.since.isoformat(), "generated_until": period.until.isoformat(),
        "fran": fran,
        "seizures_by_goods": {k: {**v, "label": lists.goods[k].label,
                                  "unit": lists.goods[k].unit}
                              for k, v in sorted(seizures_by_goods.items())
                              if k in lists.goods},
        "seizures_by_bcp": dict(sorted(seizures_by_bcp.items())),
        "incidents_by_type": {k: {**v, "label": lists.incident_types.get(k, k)}
                              for k, v in sorted(incidents_by_type.items())},
        "inspections_by_type": dict(sorted(inspections_by_type.items())),
        "cases_by_type": dict(sorted(cases_by_type.items())),
        "refusals": refusals,
        "risk_profiles": profiles,
    }


def _refusals(session: Session, principal: Principal, purpose: str, period: Period,
              bcp: str | None) -> dict[str, Any]:
    from granica.border import service as border

    return border.refusal_statistics(
        session, principal, purpose, date_from=period.since.date(),
        date_to=(period.until - dt.timedelta(days=1)).date(), bcp_code=bcp)


def _profiles(session: Session, period: Period) -> list[dict[str, Any]]:
    from granica.auth.principal import system_principal

    rates = cooperation.hit_rates(session, since=period.since, until=period.until)
    if not rates:
        return []
    profiles = {p.id: p for p in cooperation.list_profiles(
        session, system_principal("risk analysis report"), include_retired=True)}
    out = []
    for pid, (flags, found, nothing) in rates.items():
        profile = profiles.get(pid)
        resolved = found + nothing
        out.append({"id": pid, "name": profile.name if profile else pid, "flags": flags,
                    "found": found, "nothing_found": nothing,
                    "hit_rate": round(found / resolved, 3) if resolved else None,
                    "active": profile.active if profile else False})
    return sorted(out, key=lambda p: (-(p["hit_rate"] or 0.0), p["name"]))


def _fran(incidents: list[tuple[str, str | None, int, int]], refusals: dict[str, Any],
          cases_by_type: dict[str, int]) -> dict[str, dict[str, Any]]:
    """FRAN indicators that Granica's own records give (labels from the code list)."""
    between = sum(p for c, b, _n, p in incidents if c == "unauthorised_crossing" and not b)
    at_bcp = sum(p for c, b, _n, p in incidents if c == "unauthorised_crossing" and b)
    facilitation = sum(n for c, _b, n, _p in incidents if c == "facilitation_thb")
    false_docs = sum(p or n for c, _b, n, p in incidents if c == "document_fraud")
    values = {"1A": between, "1B": at_bcp, "2": facilitation + cases_by_type.get("smuggling", 0),
              "4": int(refusals.get("total", 0)), "6": false_docs}
    labels = cooperation.code_lists().fran
    return {code: {"label": labels[code], "value": value} for code, value in values.items()}


def trends(session: Session, principal: Principal, month_text: str, purpose: str,
           months: int = 12, bcp: str | None = None) -> dict[str, Any]:
    """Seizures, incidents, persons in incidents and refusals per month, for `months`."""
    _require(session, principal, purpose, "see risk analysis")
    if not 2 <= months <= 36:
        raise ValidationError("months must be between 2 and 36", field="months")
    periods = _previous(month(month_text), months)
    series: dict[str, list[float]] = {"seizures": [], "incidents": [], "persons": [],
                                      "refusals": []}
    for p in periods:
        goods = cooperation.goods_totals(session, since=p.since, until=p.until, bcp=bcp)
        incidents = cooperation.incident_persons(session, since=p.since, until=p.until, bcp=bcp)
        refusals = _refusals(session, principal, purpose, p, bcp)
        series["seizures"].append(sum(n for _c, _b, n, _q, _o in goods))
        series["incidents"].append(sum(n for _c, _b, n, _p in incidents))
        series["persons"].append(sum(n for _c, _b, _x, n in incidents))
        series["refusals"].append(int(refusals.get("total", 0)))
    audit.record(session, principal, "analysis.trends", purpose=purpose,
                 subject_type="statistics", query={"month": month_text, "months": months,
                                                   "bcp": bcp})
    return {"months": [p.label for p in periods], "series": series}


def ciram(session: Session, principal: Principal, month_text: str, purpose: str,
          window: int = 3) -> list[dict[str, Any]]:
    """Per border section (crossing point): the threat, from its share of the pressure
    (incidents, persons and seizures of the last `window` months) and its trend.

    CIRAM's vulnerability and impact are the analysts' judgement (capacity, staff,
    consequences); they are not derived from counts here, so the view shows the threat and
    leaves those two to the assessment (Reg 2019/1896 Art 29, 32).
    """
    _require(session, principal, purpose, "see risk analysis")
    periods = _previous(month(month_text), window * 2)
    recent, before = periods[window:], periods[:window]

    def pressure(ps: list[Period]) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in ps:
            for _c, b, n, persons in cooperation.incident_persons(session, since=p.since,
                                                                  until=p.until):
                out[b or "(between)"] = out.get(b or "(between)", 0.0) + n + persons
            for _c, b, n, _q, _o in cooperation.goods_totals(session, since=p.since,
                                                             until=p.until):
                out[b or "(between)"] = out.get(b or "(between)", 0.0) + n
        return out

    now_p, then_p = pressure(recent), pressure(before)
    total = sum(now_p.values()) or 1.0
    rows = []
    for section in sorted(set(now_p) | set(then_p)):
        share = now_p.get(section, 0.0) / total
        level = next(name for bound, name in THREAT_LEVELS if share >= bound)
        previous = then_p.get(section, 0.0)
        change = (now_p.get(section, 0.0) - previous) / previous if previous else None
        rows.append({"section": section, "pressure": now_p.get(section, 0.0),
                     "share": round(share, 3), "threat": level,
                     "trend": None if change is None else round(change, 3)})
    audit.record(session, principal, "analysis.ciram", purpose=purpose,
                 subject_type="statistics", query={"month": month_text, "window": window})
    return sorted(rows, key=lambda r: -float(r["pressure"]))


def report_csv(report: dict[str, Any]) -> str:
    """The monthly report as one CSV table: section, key, label, measure, value."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["month", "section", "key", "label", "measure", "value"])
    m = report["month"]
    for code, row in report["fran"].items():
        out.writerow([m, "fran", code, row["label"], "value", row["value"]])
    for code, row in report["seizures_by_goods"].items():
        for measure in ("seizures", "quantity", "over_threshold"):
            out.writerow([m, "seizures", code, row["label"], measure, row[measure]])
    for code, n in report["seizures_by_bcp"].items():
        out.writerow([m, "seizures_by_bcp", code, code, "seizures", n])
    for code, row in report["incidents_by_type"].items():
        for measure in ("incidents", "persons"):
            out.writerow([m, "incidents", code, row["label"], measure, row[measure]])
    for code, n in report["inspections_by_type"].items():
        out.writerow([m, "inspections", code, code, "inspections", n])
    for code, n in report["refusals"].get("by_reason", {}).items():
        out.writerow([m, "refusals", code, code, "refusals", n])
    for p in report["risk_profiles"]:
        for measure in ("flags", "found", "nothing_found", "hit_rate"):
            out.writerow([m, "risk_profiles", p["id"], p["name"], measure,
                          "" if p[measure] is None else p[measure]])
    return buf.getvalue()


def report_pdf(report: dict[str, Any], title: str = "Monthly risk analysis") -> bytes:
    """A printable report: the FRAN table, seizures and profile hit rates with bar charts."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _pdf_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=f"{title} {report['month']}")
    story: list[Any] = [Paragraph(f"{title}: {report['month']}"
                                  + (f", {report['bcp']}" if report["bcp"] else ""),
                                  styles["Title"])]

    def table(rows: list[list[Any]]) -> Table:
        t = Table(rows, hAlign="LEFT")
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
        return t

    def bars(labels: list[str], values: list[float]) -> Drawing:
        drawing = Drawing(440, 180)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 40, 30, 380, 130
        chart.data = [values or [0]]
        chart.categoryAxis.categoryNames = [label[:12] for label in labels] or [""]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        chart.bars[0].fillColor = colors.HexColor("#1f5fa8")
        drawing.add(chart)
        return drawing

    story.append(Paragraph("FRAN indicators", styles["Heading2"]))
    story.append(table([["Indicator", "", "Value"]] + [
        [code, row["label"], row["value"]] for code, row in report["fran"].items()]))
    story.append(Spacer(1, 8))
    story.append(Paragraph("Seizures by goods", styles["Heading2"]))
    goods = report["seizures_by_goods"]
    if goods:
        story.append(bars([row["label"] for row in goods.values()],
                          [float(row["seizures"]) for row in goods.values()]))
        story.append(table([["Goods", "Seizures", "Quantity", "Over threshold"]] + [
            [row["label"], row["seizures"], f"{row['quantity']:g} {row['unit']}",
             row["over_threshold"]] for row in goods.values()]))
    else:
        story.append(Paragraph("No seizures in this period.", styles["Normal"]))
    story.append(Paragraph("Risk profiles: hit rate", styles["Heading2"]))
    profiles = report["risk_profiles"]
    if profiles:
        story.append(bars([p["name"] for p in profiles],
                          [float(p["hit_rate"] or 0.0) for p in profiles]))
        story.append(table([["Profile", "Flags", "Found", "Nothing found", "Hit rate"]] + [
            [p["name"], p["flags"], p["found"], p["nothing_found"],
             "" if p["hit_rate"] is None else f"{p['hit_rate']:.0%}"] for p in profiles]))
    else:
        story.append(Paragraph("No risk-profile flags in this period.", styles["Normal"]))
    doc.build(story)
    return buf.getvalue()


def _pdf_font() -> str:
    """DejaVu Sans (Debian's fonts-dejavu-core) for Cyrillic names; Helvetica otherwise."""
    from granica.ops.fonts import pdf_font

    return pdf_font() or "Helvetica"
