"""The FastAPI application factory.

Pages live in ``seawall.web.routes.*`` modules, each exposing ``router``; add a module name to
``ROUTER_MODULES`` to add pages.  :func:`check_route_protection` runs when the app is built
and refuses to start if any route lacks the protection its path calls for, so a new page
cannot silently skip authentication, CSRF or the per-case check.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from seawall.errors import ConfigError, SeawallError, user_message
from seawall.matching.service import file_results
from seawall.matching.verdict import VerdictLookup
from seawall.store import audit
from seawall.store.db import get_engine
from seawall.web import deps
from seawall.web.config import WebSettings
from seawall.web.templating import render

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")

ROUTER_MODULES = [
    "seawall.web.routes.auth",
    "seawall.web.routes.cases",
    "seawall.web.routes.media",
    "seawall.web.routes.grading",
    "seawall.web.routes.reports",
    "seawall.web.routes.admin",
    "seawall.web.routes.welfare",
    "seawall.web.routes.casework",
    "seawall.web.routes.operations",
]

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def public(endpoint: Callable) -> Callable:
    """Mark a route endpoint as reachable without a session (login page, health check)."""
    endpoint.seawall_public = True
    return endpoint


class RouteProtectionError(ConfigError, RuntimeError):
    """A route lacks the protection its path calls for: the app refuses to start."""


def _dependency_calls(dependant) -> set:
    calls = set()
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        calls.add(dep.call)
        stack.extend(dep.dependencies)
    return calls


def check_route_protection(app: FastAPI) -> None:
    """Raise RouteProtectionError unless every route is protected as its path requires."""
    problems = []
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/static":
            continue
        if not isinstance(route, APIRoute):
            problems.append(f"{route.path}: only API routes and /static are allowed")
            continue
        calls = _dependency_calls(route.dependant)
        unsafe = set(route.methods) - deps.SAFE_METHODS
        if getattr(route.endpoint, "seawall_public", False):
            if unsafe and deps.public_csrf not in calls:
                problems.append(f"{route.path}: public state-changing route without public_csrf")
            if "{case_ref}" in route.path:
                problems.append(f"{route.path}: case routes cannot be public")
            continue
        if deps.current_user not in calls:
            problems.append(f"{route.path}: no current_user dependency")
        if "{case_ref}" in route.path and deps.case_access not in calls:
            problems.append(f"{route.path}: case route without case_access")
        if "{file_id}" in route.path and deps.case_file not in calls:
            problems.append(f"{route.path}: file route without case_file")
    if problems:
        raise RouteProtectionError("unprotected routes:\n  " + "\n  ".join(problems))


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Copy a module's routes onto the app itself, so ``app.routes`` is the flat route table
    that check_route_protection and the generated security tests walk (recent FastAPI keeps
    included routers as lazily expanded nodes)."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise RouteProtectionError(f"{route!r}: page modules may only define API routes")
        app.router.add_api_route(route.path, route.endpoint, methods=sorted(route.methods),
                                 dependencies=route.dependencies, name=route.name,
                                 include_in_schema=False)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers


def _audit_refusal(sessionmaker, request: Request, username: str) -> None:
    # Its own transaction: the request's was rolled back with the refusal.
    route = request.scope.get("route")
    case = request.path_params.get("case_ref")
    with sessionmaker() as session:
        audit.record(session, username, "access.denied",
                     case=case[:200] if isinstance(case, str) else None,
                     target=request.url.path[:500],
                     details={"method": request.method,
                              "route": getattr(route, "path", None)})
        session.commit()


def _error_response(request: Request, status: int, message: str,
                    headers: Mapping[str, str] | None = None) -> Response:
    """The error page (with the layout, through the same render as every page) for a
    browser; JSON ``{"detail": ...}`` for anything else."""
    if _wants_html(request):
        return render(request, "error.html", {"status": status, "message": message},
                      status_code=status, headers=headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def create_app(db_url: str | None = None, *, secure_cookies: bool = False,
               settings: WebSettings | None = None, media_reader=None,
               verdicts: VerdictLookup = file_results) -> FastAPI:
    """Build the web app for the database at ``db_url`` (default: SEAWALL_DB or seawall.db).

    ``media_reader(session, file_record) -> bytes`` replaces reading originals from evidence
    (tests inject one; see seawall.grading.thumbnails); ``verdicts`` replaces the matching
    verdicts the grading queue and the casework indicators work from."""
    settings = settings or WebSettings()
    settings.db_url = db_url or settings.db_url
    settings.secure_cookies = secure_cookies or settings.secure_cookies
    # No interactive API docs: they would be unauthenticated routes describing the surface.
    app = FastAPI(title="Seawall", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessionmaker = sessionmaker(bind=get_engine(settings.db_url),
                                          expire_on_commit=False)
    app.state.media_reader = media_reader
    app.state.verdicts = verdicts

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for name in ROUTER_MODULES:
        _add_routes(app, importlib.import_module(name).router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            # Case data and media must not linger in browser or proxy caches.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Pragma", "no-cache")
        if settings.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.middleware("http")
    async def audit_refusals(request: Request, call_next):
        """Every refusal of a logged-in user (not assigned to the case, wrong role, bad CSRF
        token) is an audit entry, whichever check refused: probing leaves a trace."""
        response = await call_next(request)
        user = getattr(request.state, "user", None)
        if response.status_code == 403 and user is not None:
            await run_in_threadpool(_audit_refusal, app.state.sessionmaker, request,
                                    user.username)
        return response

    @app.exception_handler(deps.LoginRequired)
    async def login_required(request: Request, _exc: deps.LoginRequired):
        if request.method == "GET" and "hx-request" not in request.headers:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        response = PlainTextResponse("Login required.", status_code=401)
        response.headers["HX-Redirect"] = "/login"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error_response(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(SeawallError)
    async def seawall_error(request: Request, exc: SeawallError):
        """Every Seawall error a route lets through, mapped once by its kind (404 for
        NotFound, 400 for InvalidInput, 403 for AccessDenied ...; see seawall.errors)."""
        if exc.http_status >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method,
                      request.url.path, exc)
        return _error_response(request, exc.http_status, user_message(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # Do not echo the submitted values back (they may include passwords).
        fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()]
        if _wants_html(request):
            names = ", ".join(sorted({f.rsplit(".", 1)[-1] for f in fields}))
            return render(request, "error.html", {"status": 400,
                                                  "message": f"Invalid value for: {names}."},
                          status_code=400)
        return JSONResponse({"detail": "Invalid request.", "fields": fields}, status_code=400)

    check_route_protection(app)
    return app
