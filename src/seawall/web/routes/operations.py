"""Force operations pages and JSON API: the DF backlog (queue, forecast, what-if) and the
workforce (gap map, training, assignment suggestions).  Supervisors and admins only.

The backlog spans every case, so these pages show case and exhibit references (never
media) beyond a supervisor's own case assignments; each view is audited.  The same report
builders as ``seawall backlog`` / ``seawall workforce`` supply the figures.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from seawall.accounts.roles import Permission
from seawall.errors import InvalidInput
from seawall.operations import charts, reports
from seawall.operations.bands import normalise_band
from seawall.operations.csv_import import import_backlog
from seawall.operations.simulation import Scenario
from seawall.operations.workforce.allocations import close_allocation, open_allocations
from seawall.operations.workforce.planning import gap_chart
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.web_models import SimulationJob
from seawall.web import deps, simulations
from seawall.web.templating import render

router = APIRouter()

supervisors = deps.require(Permission.SUPERVISE)
MAX_UPLOAD = 20 * 1024 * 1024


def _configs():
    return reports.configs()  # an invalid file is a ConfigError: the 500 page says why


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, "as_of must be a YYYY-MM-DD date.") from None


# The what-if form's fields, as query parameters (blank: unchanged).
SCENARIO_FIELDS = ("examiners", "hours_per_day", "arrivals", "automated", "days",
                   "replications", "seed")


def _scenario(form: dict[str, str]) -> Scenario:
    """A scenario from the form's strings; blank means unchanged.  Bad values answer 400."""
    def num(name, kind):
        value = form.get(name, "").strip()
        if not value:
            return None
        try:
            return kind(value)
        except ValueError:
            raise HTTPException(400, f"{name} must be a number.") from None

    scenario = Scenario(
        examiners=num("examiners", int), hours_per_day=num("hours_per_day", float),
        arrival_multiplier=num("arrivals", float) or 1.0,
        automated_share=num("automated", float) or 0.0,
        horizon_days=num("days", int), replications=num("replications", int),
        seed=num("seed", int))
    try:
        scenario.validate()
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if scenario.seed is not None and not 0 <= scenario.seed < 2**32:
        raise HTTPException(400, "seed must be between 0 and 4294967295")
    return scenario


def _simulation_form(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:50] for name in SCENARIO_FIELDS}


def _start_simulation(request: Request, user: User, db: Session, form: dict[str, str],
                      as_of: str | None) -> SimulationJob:
    """Validate the scenario, start (or rejoin) its simulation and give it INLINE_WAIT."""
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    scenario = _scenario(form)

    def work(session: Session, progress) -> dict:
        report = reports.simulate(session, bcfg, day, scenario, progress)
        return {"data": report.as_dict(),
                "charts": {k: charts.data_uri(v) for k, v in report.charts(bcfg).items()}}

    runs = scenario.replications or int(bcfg.simulation.get("replications", 30))
    try:
        job_id, finished = simulations.start(
            request.app.state.sessionmaker, user.username,
            {"as_of": day.isoformat(), **form}, 2 * runs, work)  # baseline + scenario
    except simulations.TooManySimulations as exc:
        raise HTTPException(429, str(exc)) from None
    simulations.wait(finished)
    job = simulations.get(db, job_id, user.username)
    if job is None:  # pragma: no cover - just created for this user
        raise HTTPException(500, "The simulation could not be started.")
    return job


def _simulation_job(db: Session, user: User, job_id: str) -> SimulationJob:
    job = simulations.get(db, job_id, user.username)
    if job is None:
        raise HTTPException(404, "No such simulation (they are kept for an hour).")
    return job


def _simulation_page(request: Request, job: SimulationJob, fragment: bool = False):
    bcfg, _wcfg = _configs()
    context = {"job": job, "as_of": job.params.get("as_of"), "bands": bcfg.bands,
               "band_order": bcfg.band_order, "default_examiners": bcfg.examiners,
               "form": {name: job.params.get(name, "") for name in SCENARIO_FIELDS}}
    return render(request, "_simulation.html" if fragment else "operations_simulate.html",
                  context)


def _simulation_json(job: SimulationJob) -> JSONResponse:
    if job.status == "done" and job.result is not None:
        return JSONResponse(job.result["data"])
    body = {"job": job.id, "status": job.status, "runs_done": job.runs_done,
            "runs_total": job.runs_total,
            "url": f"/api/operations/backlog/simulate/jobs/{job.id}"}
    if job.error:
        body["error"] = job.error
    return JSONResponse(body, status_code=202 if job.status == "running" else 500)


def _audit_view(db: Session, user: User, page: str, details: dict | None = None) -> None:
    audit.record(db, user.username, "operations.view", target=page, details=details)
    db.commit()


# --- pages -----------------------------------------------------------------------------------

@router.get("/operations/backlog")
def backlog_page(request: Request, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    fc = reports.forecast(db, bcfg, day)
    queue = reports.queue(db, bcfg, day, limit=None)
    predicted = {(i["case_reference"], i["exhibit_reference"]): i for i in fc["items"]}
    rows = []
    for q in queue["items"][:100]:
        p = predicted.get((q["case_reference"], q["exhibit_reference"]), {})
        rows.append({**q, "predicted_start": p.get("predicted_start"),
                     "predicted_finish": p.get("predicted_finish"),
                     "breach": p.get("breach")})
    _audit_view(db, user, "backlog", {"as_of": day.isoformat()})
    return render(request, "operations_backlog.html", {
        "fc": fc, "queue": queue, "rows": rows, "as_of": day, "bands": bcfg.bands,
        "chart": charts.data_uri(charts.forecast_by_band(fc["bands"]))})


@router.get("/operations/backlog/simulate")
def simulate_page(request: Request, as_of: str | None = None,
                  user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    """The what-if form and its simulation: the result when it is quick, else a progress
    fragment that htmx polls until the result replaces it."""
    form = _simulation_form(request)
    job = _start_simulation(request, user, db, form, as_of)
    _audit_view(db, user, "backlog.simulate", {"scenario": form, "job": job.id})
    return _simulation_page(request, job)


@router.get("/operations/backlog/simulate/jobs/{job_id}")
def simulation_job_page(request: Request, job_id: str, user: User = Depends(supervisors),
                        db: Session = Depends(deps.get_db)):
    """A simulation's progress or result (htmx: the fragment alone)."""
    return _simulation_page(request, _simulation_job(db, user, job_id),
                            fragment="hx-request" in request.headers)


@router.get("/operations/backlog/policies")
def policies_page(request: Request, as_of: str | None = None,
                  user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    """Priority policies side by side on the same random streams."""
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    form = _simulation_form(request)
    scenario = _scenario(form)
    report = reports.compare_policies(db, bcfg, day, scenario)
    _audit_view(db, user, "backlog.policies", {"scenario": vars(scenario)})
    return render(request, "operations_policies.html", {
        "data": report.as_dict(bcfg), "form": form, "as_of": day, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "default_examiners": bcfg.examiners,
        "chart": charts.data_uri(report.chart(bcfg))})


@router.post("/operations/backlog/import")
async def import_page(request: Request, file: UploadFile,
                      user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    form = await request.form()
    skip_invalid = form.get("skip_invalid") == "1"
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, "The file is larger than 20 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(400, "The file is not UTF-8 text; save the CSV as UTF-8.") from None
    bcfg, _wcfg = _configs()
    result = import_backlog(db, text, bcfg, user.username, skip_invalid=skip_invalid)
    if result.imported:
        db.commit()
    else:
        db.rollback()
    return render(request, "operations_import.html", {
        "result": result, "filename": file.filename or "upload.csv"},
        status_code=200 if result.imported else 400)


@router.get("/operations/workforce")
def workforce_page(request: Request, as_of: str | None = None,
                   user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    day = _as_of(as_of)
    report = reports.gaps(db, bcfg, wcfg, day)
    _audit_view(db, user, "workforce", {"as_of": day.isoformat()})
    return render(request, "operations_workforce.html", {
        "r": report, "as_of": day, "tasks": wcfg.tasks, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "allocations": open_allocations(db),
        "chart": charts.data_uri(gap_chart(report["gap_map"]))})


@router.post("/operations/workforce/allocations/{allocation_id}/close")
def close_allocation_page(allocation_id: int, user: User = Depends(supervisors),
                          db: Session = Depends(deps.get_db)):
    """Close an allocation whose work is done (it stops counting towards the workload)."""
    close_allocation(db, user.username, allocation_id)  # NotFound: 404, Conflict: 409
    db.commit()
    return RedirectResponse("/operations/workforce#allocations", status_code=303)


def _suggestions(db: Session, task: str | None, band: str | None, hours: str | None,
                 day: date) -> tuple[dict | None, list[str], str | None]:
    bcfg, wcfg = _configs()
    if not task:
        return None, [], None
    tasks = list(wcfg.assignment.new_case_tasks) if task == "new-case" else [task]
    try:
        band_key = normalise_band(band, bcfg.bands)
        work_hours = float(hours) if hours else None
        if work_hours is not None and not 0 < work_hours <= 1000:
            raise ValueError("hours must be between 0 and 1000")
        return reports.suggestions(db, wcfg, tasks, band_key, day, work_hours), tasks, None
    except (ValueError, InvalidInput) as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/operations/workforce/suggest")
def suggest_page(request: Request, task: str | None = None, band: str | None = None,
                 hours: str | None = None, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    day = _as_of(as_of)
    report, tasks, _err = _suggestions(db, task, band, hours, day)
    _audit_view(db, user, "workforce.suggest", {"task": task, "band": band})
    return render(request, "operations_suggest.html", {
        "report": report, "tasks": wcfg.tasks, "bands": bcfg.bands,
        "band_order": bcfg.band_order, "form": {"task": task or "", "band": band or "",
                                                "hours": hours or ""}})


# --- JSON API --------------------------------------------------------------------------------

@router.get("/api/operations/backlog/queue")
def api_queue(as_of: str | None = None, limit: int | None = None,
              user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    day = _as_of(as_of)
    if limit is not None and limit < 1:
        raise HTTPException(400, "limit must be positive.")
    data = reports.queue(db, bcfg, day, limit)
    _audit_view(db, user, "api.backlog.queue")
    return JSONResponse(data)


@router.get("/api/operations/backlog/forecast")
def api_forecast(as_of: str | None = None, examiners: int | None = None,
                 hours_per_day: float | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    if examiners is not None and not 0 <= examiners <= 1000:
        raise HTTPException(400, "examiners must be between 0 and 1000.")
    if hours_per_day is not None and not 0 < hours_per_day <= 24:
        raise HTTPException(400, "hours_per_day must be in (0, 24].")
    bcfg, _wcfg = reports.configs(examiners=examiners, hours_per_day=hours_per_day)
    data = reports.forecast(db, bcfg, _as_of(as_of))
    _audit_view(db, user, "api.backlog.forecast")
    return JSONResponse(data)


@router.get("/api/operations/backlog/simulate")
def api_simulate(request: Request, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    """The simulation's figures, or (202) the job to poll while it runs."""
    form = _simulation_form(request)
    job = _start_simulation(request, user, db, form, as_of)
    _audit_view(db, user, "api.backlog.simulate", {"scenario": form, "job": job.id})
    return _simulation_json(job)


@router.get("/api/operations/backlog/simulate/jobs/{job_id}")
def api_simulation_job(job_id: str, user: User = Depends(supervisors),
                       db: Session = Depends(deps.get_db)):
    return _simulation_json(_simulation_job(db, user, job_id))


@router.get("/api/operations/backlog/policies")
def api_policies(request: Request, as_of: str | None = None,
                 user: User = Depends(supervisors), db: Session = Depends(deps.get_db)):
    bcfg, _wcfg = _configs()
    scenario = _scenario(_simulation_form(request))
    data = reports.compare_policies(db, bcfg, _as_of(as_of), scenario).as_dict(bcfg)
    _audit_view(db, user, "api.backlog.policies", {"scenario": vars(scenario)})
    return JSONResponse(data)


@router.get("/api/operations/workforce/gaps")
def api_gaps(as_of: str | None = None, user: User = Depends(supervisors),
             db: Session = Depends(deps.get_db)):
    bcfg, wcfg = _configs()
    data = reports.gaps(db, bcfg, wcfg, _as_of(as_of))
    _audit_view(db, user, "api.workforce.gaps")
    return JSONResponse(data)


@router.get("/api/operations/workforce/suggest")
def api_suggest(task: str, band: str | None = None, hours: str | None = None,
                as_of: str | None = None, user: User = Depends(supervisors),
                db: Session = Depends(deps.get_db)):
    report, _tasks, _err = _suggestions(db, task, band, hours, _as_of(as_of))
    _audit_view(db, user, "api.workforce.suggest", {"task": task, "band": band})
    return JSONResponse(report)
