"""Welfare: a user's own exposure counters and the supervisor's team view."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.accounts import assignments
from seawall.accounts.roles import Permission
from seawall.grading import service
from seawall.store.accounts_models import User
from seawall.store.grading_models import ExposureDay
from seawall.web import deps
from seawall.web.templating import render

router = APIRouter()


@router.get("/welfare")
def my_welfare(request: Request, user: User = Depends(deps.current_user),
               db: Session = Depends(deps.get_db),
               settings=Depends(deps.get_grading_settings)):
    rows = db.scalars(select(ExposureDay).where(ExposureDay.user_id == user.id)
                      .order_by(ExposureDay.day.desc(), ExposureDay.category).limit(60)).all()
    return render(request, "welfare.html", {
        "rows": rows, "today": service.today_totals(db, user),
        "paused": service.paused_reason(db, user),
        "break_due": service.break_due(db, user, settings)})


@router.get("/welfare/team")
def team_welfare(request: Request, user: User = Depends(deps.require(Permission.SUPERVISE)),
                 db: Session = Depends(deps.get_db)):
    # A supervisor sees the people on their cases; only an admin sees the whole force.
    team = None if assignments.sees_every_case(user) else assignments.team_user_ids(user)
    return render(request, "team.html", {
        "rows": service.exposure_report(db, days=7, user_ids=team),
        "force_wide": team is None})
