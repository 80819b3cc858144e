"""Jinja2 templates and the common page context."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from seawall.accounts.roles import abilities
from seawall.display import finalize_keep_line_breaks
from seawall.grading import schemes

FLASH_COOKIE = "seawall_flash"
TEMPLATES_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# File names and references are evidence: no hidden or reordering characters (see display).
templates.env.finalize = finalize_keep_line_breaks


def case_path(case_or_reference, *parts) -> str:
    """URL path of a case page: /cases/<quoted reference>/<parts...>."""
    reference = getattr(case_or_reference, "reference", case_or_reference)
    tail = "".join(f"/{quote(str(p), safe='')}" for p in parts)
    return f"/cases/{quote(reference, safe='')}{tail}"


templates.env.globals["case_path"] = case_path
# Category codes ("not_indecent") are shown by their scheme's label everywhere.
templates.env.globals["category_label"] = schemes.label


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200,
           headers: dict | None = None):
    """Render a page with the user, what their role allows (``can.supervise`` …), their
    CSRF token and the navigation in the context."""
    web_session = getattr(request.state, "web_session", None)
    user = getattr(request.state, "user", None)
    ctx = {
        "user": user,
        "can": abilities(user.role if user is not None else None),
        "csrf_token": web_session.csrf_token if web_session is not None
        else getattr(request.state, "prelogin_csrf", ""),
    }
    flash = request.cookies.get(FLASH_COOKIE)
    ctx["flash"] = flash[:300] if flash else None
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                          headers=headers)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect_with_flash(request: Request, url: str, message: str) -> RedirectResponse:
    """303 to ``url``, showing ``message`` once on the next page.  A cookie rather than a
    query parameter, so nobody can craft a link that puts their text on a Seawall page."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLASH_COOKIE, message[:300], httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/")
    return response
