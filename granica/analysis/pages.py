"""The risk analyst's screen: the monthly report with its charts, the twelve-month trends,
the CIRAM-style threat per border section, and the CSV and PDF exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from granica import clock
from granica.analysis import service
from granica.api.deps import DbSession, PagePrincipal, StatedPurpose
from granica.errors import GranicaError
from granica.web import charts, gettext, page_language, render
from granica.web.nav import NavItem

router = APIRouter(prefix="/analysis", include_in_schema=False)

NAV_ITEMS = (
    NavItem("Risk analysis", "/analysis", "Monthly report over all agencies: FRAN indicators, "
            "seizures, incidents, refusals, risk profiles, trends, CIRAM.",
            permission="analysis.read", order=45),
)


def _this_month() -> str:
    today = clock.today()
    return f"{today.year:04d}-{today.month:02d}"


@router.get("", response_class=HTMLResponse)
def report_page(request: Request, session: DbSession, principal: PagePrincipal,
                purpose: StatedPurpose, month: str = "", bcp: str = "") -> Response:
    month = month or _this_month()
    language = page_language(request)

    def t(text: str) -> str:
        return gettext(language, text)

    ctx: dict[str, Any] = {"month": month, "bcp": bcp, "error": None, "report": None}
    try:
        report = service.monthly_report(session, principal, month, purpose, bcp=bcp or None)
        trend = service.trends(session, principal, month, purpose, bcp=bcp or None)
        ctx["ciram"] = service.ciram(session, principal, month, purpose)
    except GranicaError as exc:
        ctx["error"] = exc.message
        return render(request, "analysis/report.html", ctx, status_code=exc.http_status)
    goods = report["seizures_by_goods"]
    ctx["report"] = report
    ctx["seizure_chart"] = Markup(charts.bar_chart(
        t("Seizures by goods"), [t(g["label"]) for g in goods.values()],
        {t("seizures"): [g["seizures"] for g in goods.values()],
         t("over the EUROSUR threshold"): [g["over_threshold"] for g in goods.values()]}))
    ctx["fran_chart"] = Markup(charts.bar_chart(
        t("FRAN indicators"), list(report["fran"]),
        {t("this month"): [r["value"] for r in report["fran"].values()]}))
    rated = [p for p in report["risk_profiles"] if p["hit_rate"] is not None]
    ctx["profile_chart"] = Markup(charts.bar_chart(
        t("Hit rate of each risk profile (share of flags where something was found)"),
        [p["name"] for p in rated], {t("hit rate"): [p["hit_rate"] for p in rated]})) \
        if rated else None
    ctx["trend_chart"] = Markup(charts.line_chart(
        t("Twelve months"), trend["months"],
        {t(name): values for name, values in trend["series"].items()}))
    return render(request, "analysis/report.html", ctx)
