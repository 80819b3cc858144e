"""The ``seawall`` command.  Each ``*_cmd`` module registers its commands on ``app``."""

from __future__ import annotations

import importlib

import typer

from seawall.cli.common import SeawallGroup

app = typer.Typer(
    name="seawall",
    cls=SeawallGroup,
    help="Seawall: scan seized media, match it against known-hash sets, grade, report.",
    no_args_is_help=True,
    add_completion=False,
)

# One module per stage; each defines register(app).  Add a line to add a command group.
COMMAND_MODULES = [
    "seawall.cli.scan_cmd",
    "seawall.cli.web_cmd",
    "seawall.cli.user_cmd",
    "seawall.cli.case_cmd",
    "seawall.cli.audit_cmd",
    "seawall.cli.demo_cmd",
    "seawall.cli.hashset_cmd",
    "seawall.cli.match_cmd",
    "seawall.cli.report_cmd",
    "seawall.cli.risk_cmd",
    "seawall.cli.casework_cmd",
    "seawall.cli.backlog_cmd",
    "seawall.cli.workforce_cmd",
    "seawall.cli.process_cmd",
]


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    for group in app.registered_groups:  # `seawall case`, `seawall hashset`, ...
        group.cls = SeawallGroup


_register_all()


def main() -> None:
    app()
