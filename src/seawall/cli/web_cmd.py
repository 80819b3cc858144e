"""``seawall serve``: run the web application with uvicorn."""

from __future__ import annotations

import typer

from seawall.cli.common import DbOption


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies/--no-secure-cookies",
        help="Mark cookies Secure (set when served over HTTPS, directly or via a proxy)."),
    proxy_headers: bool = typer.Option(
        False, "--proxy-headers",
        help="Take the client address from the reverse proxy's X-Forwarded-For. Needed "
             "behind a proxy: otherwise every user shares the proxy's address, and its "
             "failed-login rate limit."),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", "--forwarded-allow-ips",
        help="Comma-separated proxy addresses (or networks) whose X-Forwarded-For is "
             "trusted, with --proxy-headers."),
    db: str | None = DbOption,
) -> None:
    """Serve the web interface (bind to localhost unless a TLS proxy is in front)."""
    import uvicorn

    from seawall.web import create_app

    web_app = create_app(db, secure_cookies=secure_cookies)
    uvicorn.run(web_app, host=host, port=port, proxy_headers=proxy_headers,
                forwarded_allow_ips=forwarded_allow_ips if proxy_headers else None,
                server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
