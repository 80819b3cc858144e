"""``seawall casework``: case triage from the command line, JSON in and out.  Every change is
audited with the OS login name as the actor, like the other CLI commands."""

from __future__ import annotations

import json

import typer

from seawall.cli.common import DbOption, console, fail, read_json


def _echo(data) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _run(db: str | None, action):
    """Run ``action(session, service)`` in one transaction and return its result."""
    from seawall.casework import service
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        return action(session, service)


def _case(session, reference: str):
    # The store imports SQLAlchemy: imported when a command runs, not for --help.
    from seawall.store.queries import case_by_reference

    return case_by_reference(session, reference)


def _actor() -> str:
    from seawall.store.audit import cli_actor

    return cli_actor()


def _facts(values: list[str]) -> dict:
    out = {}
    for value in values:
        key, sep, answer = value.partition("=")
        if not sep:
            fail(f"--fact takes NAME=yes|no|unknown, not {value!r}")
        out[key.strip()] = answer.strip()
    return out


def show(case: str, db: str | None = DbOption) -> None:
    """Print a case's casework as JSON."""
    _echo(_run(db, lambda s, svc: svc.case_json(s, _case(s, case))))


def triage(db: str | None = DbOption) -> None:
    """Print every suspect, most urgent first, as JSON."""
    from sqlalchemy import select

    from seawall.store.models import Case

    _echo(_run(db, lambda s, svc: svc.triage_rows(
        s, s.scalars(select(Case).order_by(Case.reference)).all())))


def set_case(case: str, status: str | None = typer.Option(None, "--status"),
             summary: str | None = typer.Option(None, "--summary"),
             db: str | None = DbOption) -> None:
    """Change a case's casework status or summary."""
    changes = _run(db, lambda s, svc: svc.update_case(
        s, _case(s, case), actor=_actor(), status=status, summary=summary))
    console.print(f"{case}: {', '.join(changes) or 'nothing changed'}")


def officer(case: str, username: str,
            role: str = typer.Option("investigator", "--role",
                                     help="e.g. officer_in_charge, investigator, dmi."),
            remove: bool = typer.Option(False, "--remove"),
            db: str | None = DbOption) -> None:
    """Record (or remove) an officer working the case."""
    def action(s, svc):
        fn = svc.remove_officer if remove else svc.add_officer
        return fn(s, _case(s, case), username, role, actor=_actor())

    done = _run(db, action)
    console.print(("removed" if remove else "added") if done else "nothing to do")


def suspect_add(case: str, reference: str,
                dob: str | None = typer.Option(None, "--dob", help="YYYY-MM-DD."),
                circumstances: str = typer.Option("", "--circumstances"),
                db: str | None = DbOption) -> None:
    """Add a suspect under a pseudonymous REFERENCE (no names)."""
    _run(db, lambda s, svc: svc.add_suspect(s, _case(s, case), reference,
                                            actor=_actor(), date_of_birth=dob,
                                            circumstances=circumstances))
    console.print(f"suspect {reference} added to {case}")


def suspect_set(case: str, reference: str,
                dob: str | None = typer.Option(None, "--dob", help="YYYY-MM-DD."),
                circumstances: str | None = typer.Option(None, "--circumstances"),
                fact: list[str] = typer.Option([], "--fact",
                                               help="Pathway fact NAME=yes|no|unknown "
                                                    "(admission, consent ...)."),
                db: str | None = DbOption) -> None:
    """Change a suspect's date of birth, circumstances or pathway facts."""
    facts = _facts(fact)

    def action(s, svc):
        c = _case(s, case)
        return svc.update_suspect(s, svc.get_suspect(s, c, reference), actor=_actor(),
                                  date_of_birth=dob if dob is not None else False,
                                  circumstances=circumstances, facts=facts)

    changes = _run(db, action)
    console.print(f"{reference}: {', '.join(changes) or 'nothing changed'}")


def offence_add(case: str, kind: str,
                suspect: str | None = typer.Option(None, "--suspect"),
                description: str = typer.Option("", "--description"),
                legislation: str = typer.Option("", "--legislation"),
                status: str = typer.Option("suspected", "--status"),
                db: str | None = DbOption) -> None:
    """Record an offence (kind: possession, making, distribution, production ...)."""
    def action(s, svc):
        c = _case(s, case)
        who = svc.get_suspect(s, c, suspect) if suspect else None
        return svc.add_offence(s, c, kind, actor=_actor(), suspect=who,
                               description=description, legislation=legislation,
                               status=status).id

    console.print(f"offence {_run(db, action)} added")


def device_add(case: str, reference: str,
               make: str = typer.Option("", "--make"),
               model: str = typer.Option("", "--model"),
               serial: str = typer.Option("", "--serial"),
               exhibit: str | None = typer.Option(None, "--exhibit",
                                                  help="Scanned exhibit reference."),
               suspect: str | None = typer.Option(None, "--suspect"),
               description: str = typer.Option("", "--description"),
               db: str | None = DbOption) -> None:
    """Record a seized device (its camera make/model/serial find possible production)."""
    def action(s, svc):
        c = _case(s, case)
        who = svc.get_suspect(s, c, suspect) if suspect else None
        svc.add_device(s, c, reference, actor=_actor(), description=description,
                       make=make, model=model, serial=serial, exhibit=exhibit,
                       suspect=who)

    _run(db, action)
    console.print(f"device {reference} recorded")


def indicators(case: str, suspect: str | None = typer.Option(None, "--suspect"),
               instrument: str = typer.Option("seawall-prioritisation", "--instrument"),
               db: str | None = DbOption) -> None:
    """Print forensic indicators (and, with --suspect, the pre-filled answers)."""
    def action(s, svc):
        from seawall.casework import indicators as ind

        c = _case(s, case)
        if suspect is None:
            return ind.compute(s, c)
        prepared = svc.prepare(s, c, svc.get_suspect(s, c, suspect), instrument)
        return {**prepared["indicators"], "prefill": prepared["suggestions"],
                "changed_since_last_assessment": prepared["changed"]}

    _echo(_run(db, action))


def assess(case: str, suspect: str,
           instrument: str = typer.Option(..., "--instrument"),
           answers: str = typer.Option(..., "--answers", help="JSON file ('-': stdin)."),
           reason: str = typer.Option("", "--reason", help="Why (re)assessed."),
           use_prefill: bool = typer.Option(
               False, "--use-prefill",
               help="Take forensic pre-fills for items the file leaves out (you confirm "
                    "them by using this flag)."),
           db: str | None = DbOption) -> None:
    """Record an assessment (a reassessment keeps the history) and print it as JSON."""
    data = read_json(answers)

    def action(s, svc):
        c = _case(s, case)
        who = svc.get_suspect(s, c, suspect)
        given = dict(data)
        if use_prefill:
            for item, suggestion in svc.prepare(s, c, who, instrument)["suggestions"].items():
                given.setdefault(item, suggestion["answer"])
        return svc.assessment_json(svc.assess(s, c, who, instrument, given,
                                              actor=_actor(), reason=reason))

    _echo(_run(db, action))


def recommend(case: str, suspect: str, db: str | None = DbOption) -> None:
    """Print the pathway recommendation and eligibility checklist (advice only)."""
    def action(s, svc):
        c = _case(s, case)
        return svc.recommendation(s, c, svc.get_suspect(s, c, suspect))

    _echo(_run(db, action))


def decide(case: str, suspect: str, pathway: str,
           reason: str = typer.Option("", "--reason",
                                      help="Required when departing from the advice."),
           db: str | None = DbOption) -> None:
    """Record the pathway decision (urgent_specialist, standard_investigation,
    low_risk_diversion)."""
    from seawall.casework.service import DecisionRejected, record_rejected_decision

    def action(s, svc):
        c = _case(s, case)
        return svc.decision_json(svc.decide(s, c, svc.get_suspect(s, c, suspect), pathway,
                                            actor=_actor(), reason=reason))

    try:
        _echo(_run(db, action))
    except DecisionRejected as exc:
        # The attempt's transaction was rolled back; the refusal is recorded on its own.
        rejected = exc
        _run(db, lambda s, _svc: record_rejected_decision(s, _actor(), rejected))
        raise


def history(case: str, suspect: str, db: str | None = DbOption) -> None:
    """Print every assessment and decision for a suspect, oldest first."""
    def action(s, svc):
        c = _case(s, case)
        return svc.history(s, svc.get_suspect(s, c, suspect))

    _echo(_run(db, action))


def register(app: typer.Typer) -> None:
    cw = typer.Typer(help="Case triage: suspects, offences, devices, risk assessments and "
                          "pathway decisions.", no_args_is_help=True)
    app.add_typer(cw, name="casework")
    cw.command("show")(show)
    cw.command("triage")(triage)
    cw.command("set")(set_case)
    cw.command("officer")(officer)
    cw.command("suspect-add")(suspect_add)
    cw.command("suspect-set")(suspect_set)
    cw.command("offence-add")(offence_add)
    cw.command("device-add")(device_add)
    cw.command("indicators")(indicators)
    cw.command("assess")(assess)
    cw.command("recommend")(recommend)
    cw.command("decide")(decide)
    cw.command("history")(history)
