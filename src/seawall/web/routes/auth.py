"""Login, logout, the home redirect and the health check."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session

from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.web_models import WebSession
from seawall.web import auth, deps
from seawall.web.app import public
from seawall.web.config import WebSettings
from seawall.web.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only local paths: "//host" or "/\host" would be an open redirect.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/cases"


def _cookie_args(settings: WebSettings) -> dict:
    return {"httponly": True, "samesite": "strict", "secure": settings.secure_cookies,
            "path": "/"}


def _login_page(request: Request, settings: WebSettings, next_url: str, error: str | None = None,
                status_code: int = 200, headers: dict | None = None):
    token = request.cookies.get(deps.PRELOGIN_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    request.state.prelogin_csrf = token
    response = render(request, "login.html", {"error": error, "next": next_url},
                      status_code=status_code, headers=headers)
    response.set_cookie(deps.PRELOGIN_COOKIE, token, **_cookie_args(settings))
    return response


@router.get("/login")
@public
def login_form(request: Request, next: str | None = None,
               settings: WebSettings = Depends(deps.get_settings)):
    return _login_page(request, settings, _safe_next(next))


@router.post("/login", dependencies=[Depends(deps.public_csrf)])
@public
def login(request: Request, username: str = Form(""), password: str = Form(""),
          next: str = Form("/cases"), db: Session = Depends(deps.get_db),
          settings: WebSettings = Depends(deps.get_settings)):
    result = auth.attempt_login(db, settings, username, password, deps.client_ip(request))
    if result.user is None:
        db.commit()
        retry = {"Retry-After": str(result.retry_after)} if result.retry_after else None
        return _login_page(request, settings, _safe_next(next), result.error, result.status,
                           retry)
    token, _row = auth.start_session(db, settings, result.user, deps.client_ip(request),
                                     request.headers.get("user-agent"))
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(deps.SESSION_COOKIE, token, **_cookie_args(settings))
    response.delete_cookie(deps.PRELOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, user: User = Depends(deps.current_user),
           db: Session = Depends(deps.get_db)):
    row: WebSession = request.state.web_session
    auth.end_session(db, row)
    audit.record(db, user.username, "logout")
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(deps.SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(user: User = Depends(deps.current_user)):
    return RedirectResponse("/cases", status_code=303)


@router.get("/healthz")
@public
def health():
    return PlainTextResponse("ok")
