"""The hashset / match / counts commands, on their own Typer app (no other stage needed)."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from seawall.cli import hashset_cmd, match_cmd
from seawall.store.models import Case, Exhibit, FileRecord
from tests.hashsets.conftest import MD5_A, md5n, write_vics

app = typer.Typer()
hashset_cmd.register(app)
match_cmd.register(app)
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_cli_import_list_match_counts_remove(db_url, session, tmp_path):
    case = Case(reference="OP-9", scheme="uk")
    ex = Exhibit(case=case, reference="EX-1", source_kind="folder")
    session.add_all([case, ex, FileRecord(exhibit=ex, file_key="1", path="/a.jpg", md5=MD5_A,
                                          media_class="image")])
    session.commit()
    vics = write_vics(tmp_path / "caid.json", [{"Category": 2, "MD5": MD5_A},
                                               {"Category": 1, "MD5": md5n(1)}])
    r = run("hashset", "import", vics, "--format", "vics", "--name", "caid", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert "imported caid version 1: 2 entries" in r.output

    bad = tmp_path / "bad.txt"
    bad.write_text(f"{MD5_A}\nnot-a-hash\n")
    r = run("hashset", "import", bad, "--format", "hashlist", "--name", "caid", "--category",
            "A", "--db", db_url)
    assert r.exit_code == 1 and "nothing was changed" in r.output

    r = run("hashset", "list", "--format", "json", "--db", db_url)
    [info] = json.loads(r.stdout)
    assert info["name"] == "caid" and info["version"] == 1 and info["entries"] == 2

    r = run("match", "--case", "OP-9", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert "1 matched" in r.output
    r = run("counts", "--case", "OP-9", "--format", "json", "--db", db_url)
    counts = json.loads(r.stdout)
    assert counts["total"]["B"] == {"still": 1, "moving": 0}
    assert counts["exhibits"]["EX-1"]["B"]["still"] == 1
    r = run("counts", "--case", "OP-9", "--db", db_url)
    assert r.exit_code == 0 and "case total (distinct)" in r.stdout and "1 / 0" in r.stdout

    r = run("hashset", "remove", "caid", "--db", db_url)
    assert r.exit_code == 0
    assert run("hashset", "remove", "caid", "--db", db_url).exit_code == 1
    assert run("match", "--case", "OP-9", "--db", db_url).exit_code == 1  # no sets left
