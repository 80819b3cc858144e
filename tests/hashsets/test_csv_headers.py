"""Hash and PDQ lists as people have them: a header line, named columns, ``;``, quotes,
a BOM, CRLF; bad rows reported by line and nothing half-imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from seawall.hashsets.base import ImportFailed
from seawall.hashsets.service import import_hashset
from seawall.store.hashset_models import HashEntry, HashSetVersion
from tests.hashsets.conftest import MD5_A, SHA1_A, md5n
from tests.hashsets.test_imports import entries

PDQ_1 = "f" * 63 + "0"
PDQ_2 = "0" * 63 + "1"


def write(tmp_path, text: str, name: str = "list.csv", bom: bool = False) -> object:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


@pytest.mark.parametrize("text", [
    f"hash,category\n{MD5_A},B\n{md5n(1)},A\n",
    f"HASH;Category\r\n{MD5_A};B\r\n{md5n(1)};A\r\n",
    f'"Hash","Category"\n"{MD5_A}","B"\n"{md5n(1)}","A"\n',
    f"category\tmd5\nB\t{MD5_A}\nA\t{md5n(1)}\n",
])
def test_hashlist_header_with_category_column(session, tmp_path, text):
    path = write(tmp_path, text, bom=True)
    version = import_hashset(session, path, "hashlist", "l")  # no --category needed
    assert entries(session, "l") == {("md5", MD5_A): "B", ("md5", md5n(1)): "A"}
    assert version.rows_read == 2
    assert version.format_detail["header"]["line"] == 1


def test_hashlist_named_columns_several_digests_and_file_names(session, tmp_path):
    text = (f"MD5,SHA1,FileName\n{MD5_A},{SHA1_A},\"a, b.jpg\"\n"
            f"{md5n(2)},,c.jpg\n")
    import_hashset(session, write(tmp_path, text), "hashlist", "l", category="known_benign")
    assert entries(session, "l") == {("md5", MD5_A): "known_benign",
                                     ("sha1", SHA1_A): "known_benign",
                                     ("md5", md5n(2)): "known_benign"}


def test_hashlist_single_column_header_takes_category_option(session, tmp_path):
    import_hashset(session, write(tmp_path, f"md5\n{MD5_A}\n"), "hashlist", "l", category="A")
    assert entries(session, "l") == {("md5", MD5_A): "A"}
    with pytest.raises(ImportFailed, match="--category"):  # no category anywhere
        import_hashset(session, write(tmp_path, f"md5\n{MD5_A}\n"), "hashlist", "m")


def test_header_bad_rows_are_reported_by_line_and_nothing_is_imported(session, tmp_path):
    import_hashset(session, write(tmp_path, f"{md5n(9)}\n", "old.txt"), "hashlist", "l",
                   category="A")
    text = (f"hash,category\n{MD5_A},B\n{md5n(1)},Z\nnot-hex,A\n,A\n"
            f"{'ab' * 17},A\n")
    with pytest.raises(ImportFailed) as failed:
        import_hashset(session, write(tmp_path, text), "hashlist", "l")
    assert [i.where for i in failed.value.issues] == ["line 3", "line 4", "line 5", "line 6"]
    assert "category 'Z'" in str(failed.value) and "no value in the hash column" in str(
        failed.value)
    assert entries(session, "l") == {("md5", md5n(9)): "A"}  # version 1 left as it was
    assert session.scalar(select(func.count()).select_from(HashSetVersion)) == 1


def test_a_first_line_that_is_neither_hash_nor_header_is_a_row_error(session, tmp_path):
    with pytest.raises(ImportFailed, match="line 1: neither a hash nor a header"):
        import_hashset(session, write(tmp_path, f"FileName,Size\n{MD5_A},1\n"), "hashlist",
                       "l", category="A")
    assert session.scalar(select(func.count()).select_from(HashEntry)) == 0


@pytest.mark.parametrize("text", [
    f"pdq,category\n{PDQ_1},A\n{PDQ_2},\n",
    f"\ufeffPDQ;Category\r\n\"{PDQ_1}\";\"A\"\r\n{PDQ_2};\r\n",
    f"Hash\n{PDQ_1.upper()}\n{PDQ_2}\n",
    f"{PDQ_1};A\n\"{PDQ_2}\"\n",  # no header: ';' and quotes still read
])
def test_pdq_lists_with_headers_separators_and_quotes(session, tmp_path, text):
    path = tmp_path / "pdq.csv"
    path.write_bytes(text.encode())
    import_hashset(session, path, "pdq", "p", category="C" if "Hash\n" in text else "B")
    got = entries(session, "p")
    assert got == {("pdq", PDQ_1): "C" if "Hash\n" in text else "A",
                   ("pdq", PDQ_2): "C" if "Hash\n" in text else "B"}


def test_pdq_header_row_errors(session, tmp_path):
    text = f"pdq,category\n{PDQ_1},A\n{'0' * 64},A\n{PDQ_2},nope\n"
    with pytest.raises(ImportFailed) as failed:
        import_hashset(session, write(tmp_path, text), "pdq", "p")
    assert [i.where for i in failed.value.issues] == ["line 3", "line 4"]
    assert session.scalar(select(func.count()).select_from(HashEntry)) == 0


def seawall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_cli_imports_a_spreadsheet_csv_and_says_it_skipped_the_header(db_url, tmp_path):
    path = write(tmp_path, f"Hash;Category\r\n{MD5_A};B\r\n", bom=True)
    run = seawall("hashset", "import", path, "--format", "hashlist", "--name", "csv",
                  "--db", db_url)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout + run.stderr
    assert "imported csv version 1: 1 entries" in out
    assert "skipped the header on line 1; columns read by name: hash, category" in out
    pdq = write(tmp_path, f"pdq,category\n{PDQ_1},A\nzz,A\n", "p.csv")
    run = seawall("hashset", "import", pdq, "--format", "pdq", "--name", "p", "--db", db_url)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "nothing was changed" in out
    assert "line 3: pdq: 'zz' is not hexadecimal" in out
    listed = json.loads(seawall("hashset", "list", "--format", "json", "--db", db_url).stdout)
    assert [s["name"] for s in listed] == ["csv"]
