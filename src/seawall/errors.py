"""Seawall's one error model.

Every error Seawall raises on purpose derives from :class:`SeawallError` and is one of a few
kinds that say what the caller can do about it.  Each kind carries the exit status the
command line uses and the HTTP status the web app answers with, so both map errors in one
place (the CLI's root command group in ``seawall.cli.common`` and one FastAPI exception
handler in ``seawall.web.app``) instead of every command or route catching its own types.

=================  ===========  ===========
kind               exit status  HTTP status
=================  ===========  ===========
``SeawallError``   1            400
``NotFound``       1            404
``InvalidInput``   1            400
``ConfigError``    2            500
``AccessDenied``   1            403
``Conflict``       1            409
``Unavailable``    1            503
=================  ===========  ===========

The web app answers a browser with its error page (layout, security headers) and any other
client with JSON ``{"detail": message}``; both show :func:`user_message`.

Exit status 1 means "the command could not do what was asked" (an unknown case, a rejected
value, a duplicate), as every command has always answered; 2 means Seawall's own
configuration (instrument, pathway, scheme or operations files) is unusable, as the casework
and risk commands have always answered.

Stage-specific errors subclass one of the kinds (``class ImportFailed(InvalidInput)``) so a
caller may still catch the narrow type where it handles that case itself.  The kinds do not
derive from built-in exceptions on purpose: readers wrap library calls in ``except
ValueError`` / ``except OSError`` (archive members nest streams, hashing decodes through
Pillow and PyAV), and such a clause must never swallow a Seawall error raised beneath it.  A
narrow class that callers have always caught as ``ValueError`` keeps that base explicitly
(only ``ConfigError`` and ``NotFound`` are, see there).

Exceptions that are not Seawall errors on purpose: private control-flow exceptions (names
starting with ``_``) and ``seawall.evidence.truncation.TruncatedReadError``, which must stay
an ``OSError`` because it is raised from inside file-like reads that pytsk3 and dfVFS
callers handle as I/O errors.
"""

from __future__ import annotations

from collections.abc import Iterable


class SeawallError(Exception):
    """Base of every deliberate Seawall error: a message fit to show to the user."""

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:  # the message alone, whatever extra args were given
        return self.message or self.__class__.__name__


class NotFound(SeawallError, LookupError):
    """A named thing (case, file, hash set, user, exhibit …) does not exist.

    (A ``LookupError`` too, as the case lookups it replaces were; no reader catches that
    broad base round a library call, unlike ``ValueError`` and ``OSError``.)"""

    http_status = 404


class InvalidInput(SeawallError):
    """Input from a user or a file is malformed or out of range."""

    http_status = 400


class ConfigError(SeawallError, ValueError):
    """A configuration or data file shipped with or given to Seawall is invalid.

    ``problems`` lists each problem ("file:line: message") where a file has several; the
    message is then those lines, one per line.  (A ``ValueError`` too, as both configuration
    errors it replaces were: configuration is parsed inside ``except ValueError`` clauses.)"""

    exit_code = 2
    http_status = 500

    def __init__(self, message: str = "", *args: object,
                 problems: Iterable[str] | None = None) -> None:
        self.problems = list(problems) if problems is not None else [message]
        super().__init__(message or "\n".join(self.problems), *args)


class AccessDenied(SeawallError):
    """The user is authenticated but may not do this (role or case assignment)."""

    http_status = 403


class Conflict(SeawallError):
    """The request contradicts the current state (a duplicate, a decision already made)."""

    http_status = 409


class Unavailable(SeawallError):
    """A needed service or back-end is not reachable (a Dask scheduler, a database)."""

    http_status = 503


def user_message(exc: SeawallError) -> str:
    """What the command line and the web app say for an error: its message, saying so when
    it is the configuration that is at fault (one problem per line when there are several)."""
    if isinstance(exc, ConfigError):
        return "invalid configuration:" + ("\n" if len(exc.problems) > 1 else " ") + str(exc)
    return str(exc)


__all__ = [
    "AccessDenied",
    "ConfigError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "SeawallError",
    "Unavailable",
    "user_message",
]
