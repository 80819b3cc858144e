"""The role model: the roles a user can have and what each may do, defined once.

Routes, templates and commands ask :func:`allows` (or read :func:`abilities`) for a
:class:`Permission` rather than listing role names, so a new role or a changed grant is one
edit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    EXAMINER = "examiner"
    GRADER = "grader"
    INVESTIGATOR = "investigator"


# In the order the admin page and `seawall user add --help` list them.
ROLES: tuple[str, ...] = tuple(Role)


class Permission(StrEnum):
    SEE_MEDIA = "see_media"  # thumbnails, reveals, grading; investigators work from reports
    SUPERVISE = "supervise"  # disagreements, team welfare, the audit log, operations
    EDIT_CASEWORK = "edit_casework"  # triage records, suspects, assessments
    DECIDE = "decide"  # pathway decisions
    ADMINISTER = "administer"  # users, case assignments, every case, audit verification


GRANTS: Mapping[Permission, frozenset[Role]] = {
    Permission.SEE_MEDIA: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.EXAMINER, Role.GRADER}),
    Permission.SUPERVISE: frozenset({Role.ADMIN, Role.SUPERVISOR}),
    Permission.EDIT_CASEWORK: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.INVESTIGATOR, Role.EXAMINER}),
    Permission.DECIDE: frozenset({Role.ADMIN, Role.SUPERVISOR}),
    Permission.ADMINISTER: frozenset({Role.ADMIN}),
}


def allows(role: str, permission: Permission) -> bool:
    """True when a user with ``role`` may do what ``permission`` names."""
    return role in GRANTS[permission]


def abilities(role: str | None) -> dict[str, bool]:
    """{permission name: allowed} for ``role`` (all False without a user), for templates:
    ``{% if can.supervise %}``."""
    return {p.value: role is not None and allows(role, p) for p in Permission}
