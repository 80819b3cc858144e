"""Seawall's web application: server-rendered pages (FastAPI, Jinja2, vendored htmx)."""

from seawall.web.app import create_app

__all__ = ["create_app"]
