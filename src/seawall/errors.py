"""Seawall's one error model.

Every error Seawall raises on purpose derives from :class:`SeawallError` and is one of a few
kinds that say what the caller can do about it.  Each kind carries the exit status the
command line uses and the HTTP status the web app answers with, so both map errors in one
place (``cli.common.run_guarded`` / the CLI's error hook, and one FastAPI exception handler)
instead of every command or route catching its own exception types.

Stage-specific errors subclass one of the kinds (``class ImportFailed(InvalidInput)``) so a
caller may still catch the narrow type where it handles that case itself.
"""

from __future__ import annotations


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
    """A named thing (case, file, hash set, user, exhibit …) does not exist."""

    exit_code = 2
    http_status = 404


class InvalidInput(SeawallError, ValueError):
    """Input from a user or a file is malformed or out of range."""

    exit_code = 2
    http_status = 400


class ConfigError(SeawallError, ValueError):
    """A configuration or data file shipped with or given to Seawall is invalid."""

    exit_code = 2
    http_status = 500


class AccessDenied(SeawallError, PermissionError):
    """The user is authenticated but may not do this (role or case assignment)."""

    exit_code = 3
    http_status = 403


class Conflict(SeawallError):
    """The request contradicts the current state (a duplicate, a decision already made)."""

    exit_code = 1
    http_status = 409


class Unavailable(SeawallError, RuntimeError):
    """A needed service or back-end is not reachable (a Dask scheduler, a database)."""

    exit_code = 1
    http_status = 503


__all__ = [
    "AccessDenied",
    "ConfigError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "SeawallError",
    "Unavailable",
]
