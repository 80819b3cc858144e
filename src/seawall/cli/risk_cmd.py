"""``seawall risk``: list, show, check and score risk instruments (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seawall.cli.common import fail, read_json


# The risk commands exit 2 for any instrument or answers they cannot use (1 is `risk check`
# finding problems), so an unknown instrument and invalid answers keep that status here.
def _load(name: str, instrument_file: Path | None):
    from seawall.casework import instruments

    if instrument_file is not None:
        return instruments.load_file(instrument_file)
    try:
        return instruments.get(name)
    except instruments.UnknownInstrument as exc:
        fail(str(exc), 2)


def list_instruments(
        show: str | None = typer.Option(None, "--show", metavar="NAME",
                                        help="Show the items of one instrument."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the loaded instruments (shipped plus $SEAWALL_INSTRUMENT_DIR)."""
    from seawall.casework import instruments

    loaded = instruments.load_all()
    if show is None:
        if as_json:
            typer.echo(json.dumps([i.summary() for i in loaded.values()], indent=2))
            return
        for inst in loaded.values():
            typer.echo(f"{inst.name}\t{inst.kind}\t{len(inst.items)} items\t{inst.title}")
        return
    if show not in loaded:
        fail(f"no instrument {show!r} (loaded: {', '.join(sorted(loaded))})", 2)
    inst = loaded[show]
    if as_json:
        typer.echo(json.dumps(inst.describe(), indent=2))
        return
    typer.echo(f"{inst.name}: {inst.title} ({inst.version})")
    if inst.label:
        typer.echo(inst.label)
    for item in inst.items:
        allowed = ", ".join(f"{a.value} ({a.points:+d})" for a in item.answers)
        typer.echo(f"\n{item.id}: {item.question}")
        typer.echo(f"  answers: {allowed}, unknown (counts as {item.unknown_as})")
    typer.echo("\nbands: " + ", ".join(
        f"{b.id} {b.min}-{b.max}" + (f" ({b.timescale_days} days)"
                                     if b.timescale_days is not None else "")
        for b in inst.bands))


def score(instrument: str = typer.Option(..., "--instrument", help="Instrument name."),
          answers: str = typer.Option(..., "--answers",
                                      help="JSON file mapping item id to answer ('-': "
                                           "stdin)."),
          instrument_file: Path | None = typer.Option(
              None, "--instrument-file", help="Score with this YAML file instead.")) -> None:
    """Score answers and print JSON: band, score, complete, missing, reasons."""
    from seawall.casework.scoring import AnswerError
    from seawall.casework.scoring import score as do_score

    inst = _load(instrument, instrument_file)
    if instrument_file is not None and inst.name != instrument:
        fail(f"{instrument_file} defines {inst.name!r}, not {instrument!r}", 2)
    data = read_json(answers)
    try:
        result = do_score(inst, data)
    except AnswerError as exc:
        fail("invalid answers:\n" + "\n".join(exc.problems), 2)
    typer.echo(json.dumps(result, indent=2))


def check(files: list[Path] = typer.Argument(..., help="Instrument YAML files.")) -> None:
    """Validate instrument files; problems are listed with their line numbers."""
    from seawall.casework import instruments
    from seawall.errors import ConfigError

    problems = []
    for path in files:
        try:
            inst = instruments.load_file(path)
            typer.echo(f"{path}: ok ({inst.name}, {len(inst.items)} items)")
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        fail("\n".join(problems), 1)


def register(app: typer.Typer) -> None:
    risk = typer.Typer(help="Risk instruments: list them, show their items, score answers.",
                       no_args_is_help=True)
    app.add_typer(risk, name="risk")
    risk.command("instruments")(list_instruments)
    risk.command("score")(score)
    risk.command("check")(check)
