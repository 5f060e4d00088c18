"""JSON API of the risk analysis (mounted under /api/v1): monthly report, trends, CIRAM
view, as JSON, CSV and PDF. Aggregates only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from granica.analysis import service
from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors

router = APIRouter(prefix="/analysis", tags=["risk analysis"])

Month = Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM, UTC")


@router.get("/report", responses=errors(422))
def report(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           month: str = Month, bcp: str | None = Query(None, max_length=20)) -> dict[str, Any]:
    """The monthly risk-analysis report of the country or one crossing point: FRAN
    indicators, seizures by goods and crossing point, inspections, incidents, refusals and
    the hit rate of each risk profile."""
    return service.monthly_report(session, principal, month, purpose, bcp=bcp)


@router.get("/report.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "the report as CSV"}, **errors(422)})
def report_csv(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
               month: str = Month, bcp: str | None = Query(None, max_length=20)) -> Response:
    data = service.monthly_report(session, principal, month, purpose, bcp=bcp)
    return Response(service.report_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="risk-{month}.csv"'})


@router.get("/report.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {}}, "description": "the printable report"},
    **errors(422)})
def report_pdf(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
               month: str = Month, bcp: str | None = Query(None, max_length=20)) -> Response:
    data = service.monthly_report(session, principal, month, purpose, bcp=bcp)
    return Response(service.report_pdf(data), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="risk-{month}.pdf"'})


@router.get("/trends", responses=errors(422))
def trends(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           month: str = Month, months: int = Query(12, ge=2, le=36),
           bcp: str | None = Query(None, max_length=20)) -> dict[str, Any]:
    """Seizures, incidents, persons and refusals per month, ending with `month`."""
    return service.trends(session, principal, month, purpose, months=months, bcp=bcp)


@router.get("/ciram", responses=errors(422))
def ciram(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
          month: str = Month) -> list[dict[str, Any]]:
    """Threat per border section (share of the pressure and its trend), CIRAM-style."""
    return service.ciram(session, principal, month, purpose)
