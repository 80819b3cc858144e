"""The one role model: every grant, and no page or route that lists role names itself."""

from __future__ import annotations

import re
from pathlib import Path

import seawall.web
from seawall.accounts.roles import ROLES, Permission, abilities, allows

WEB = Path(seawall.web.__file__).parent


def test_grants_per_role():
    table = {role: {p.value for p in Permission if allows(role, p)} for role in ROLES}
    assert table == {
        "admin": {"see_media", "supervise", "edit_casework", "decide", "administer"},
        "supervisor": {"see_media", "supervise", "edit_casework", "decide"},
        "examiner": {"see_media", "edit_casework"},
        "grader": {"see_media"},
        "investigator": {"edit_casework"},
    }
    assert not any(allows("superuser", p) for p in Permission)


def test_abilities_for_templates():
    assert abilities("grader")["see_media"] and not abilities("grader")["supervise"]
    assert not any(abilities(None).values())


def test_web_layer_names_no_roles():
    """Routes and templates ask for a permission; only accounts.roles lists role names."""
    literal = re.compile(r"""role\s*(==|!=|in|not in)\s*[("']""")
    offenders = [f"{path.relative_to(WEB)}: {line.strip()}"
                 for path in sorted(WEB.rglob("*")) if path.suffix in (".py", ".html")
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if literal.search(line)]
    assert offenders == []
