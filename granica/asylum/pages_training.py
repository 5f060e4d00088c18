"""The training node's pages: the trainee's exercises (start one, its card and captures, the
check and its feedback) and the scores per trainee as a chart. Mounted by
granica.asylum.pages; shown only when the node runs in training mode."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal
from granica.asylum import service, training
from granica.errors import GranicaError
from granica.web import gettext, page_language, render
from granica.web.charts import bar_chart
from granica.web.nav import NavItem

router = APIRouter(prefix="/asylum/training", include_in_schema=False)

NAV_ITEMS = (
    NavItem("Training", "/asylum/training", "Exercises on synthetic people: enrolment, "
            "quality retakes and hit verification, with your score.",
            permission=service.ENROL, order=39, training_only=True),
)
KIND_LABELS = {"enrolment": "Enrolment", "quality": "Quality retakes",
               "verification": "Hit verification"}


def _context(request: Request, extra: dict[str, object]) -> dict[str, object]:
    from granica.asylum.pages import common

    return {**common(), "kinds": KIND_LABELS, **extra}


def _index_page(request: Request, session: DbSession, principal: PagePrincipal,
                error: str | None, status_code: int = 200) -> Response:
    """The exercises page: the trainee's exercises, the scores and their chart."""
    rows = [training.view(ex) for ex in training.exercises(session, principal)]
    table = training.scores(session, principal)
    language = page_language(request)
    chart = Markup(bar_chart(
        gettext(language, "Share of the possible points per trainee"),
        [r["trainee"] for r in table],
        {gettext(language, KIND_LABELS[k]): [
            round(100 * r["by_kind"][k]["points"] / r["by_kind"][k]["max_points"], 1)
            if k in r["by_kind"] and r["by_kind"][k]["max_points"] else 0.0 for r in table]
         for k in training.KINDS}, unit="%")) if table else None
    return render(request, "asylum/training.html", _context(request, {
        "exercises": rows, "scores": table, "chart": chart, "error": error}),
        status_code=status_code)


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    return _index_page(request, session, principal,
                       request.query_params.get("error", "")[:300] or None)


@router.post("", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def start(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    form = await request.form()
    try:
        ex = training.start(session, principal, str(form.get("kind") or ""))
    except GranicaError as exc:
        session.rollback()
        return _index_page(request, session, principal, exc.message, exc.http_status)
    return RedirectResponse(f"/asylum/training/{ex.id}", status_code=303)


@router.get("/{exercise_id}", response_class=HTMLResponse)
def exercise(exercise_id: str, request: Request, session: DbSession,
             principal: PagePrincipal) -> Response:
    ex = training.get(session, principal, exercise_id)
    return render(request, "asylum/training_exercise.html", _context(request, {
        "ex": training.view(ex), "fingers": service.FINGER_NAMES, "error": None}))


@router.post("/{exercise_id}/check", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def check(exercise_id: str, request: Request, session: DbSession,
                principal: PagePrincipal) -> Response:
    form = await request.form()
    retaken = [int(str(v)) for v in form.getlist("retaken") if str(v).isdigit()]
    try:
        training.check(session, principal, exercise_id, retaken=retaken)
    except GranicaError as exc:
        session.rollback()
        ex = training.get(session, principal, exercise_id)
        return render(request, "asylum/training_exercise.html", _context(request, {
            "ex": training.view(ex), "fingers": service.FINGER_NAMES, "error": exc.message}),
            status_code=exc.http_status)
    return RedirectResponse(f"/asylum/training/{exercise_id}", status_code=303)


@router.get("/{exercise_id}/captures/{position}-{number}.png")
def capture(exercise_id: str, position: int, number: int, session: DbSession,
            principal: PagePrincipal) -> Response:
    png = training.capture_png(session, principal, exercise_id, position, number)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})
