"""The file page says why a set match does not count (held for review, negative set)."""

from __future__ import annotations

import pytest

from seawall.matching import FileVerdict, SetMatch
from seawall.matching.verdict import NO_VERDICT

from .conftest import CASE1

HELD = ("held for review: this entry matched 60 files of the case by PDQ (a likely false "
        "positive)")


@pytest.fixture
def fake_matching(ids):
    held = SetMatch(set="partner", version=2, kind="pdq", distance=4, category="A",
                    indicative=True, excluded=HELD)
    special = {ids["far"]: FileVerdict(category=None, known_benign=False, matches=(held,))}

    def provider(_session, file_ids):
        return {fid: special.get(fid, NO_VERDICT) for fid in file_ids}

    return provider


def test_file_page_says_why_a_match_does_not_count(as_user, ids):
    page = as_user("alice").get(f"/cases/{CASE1}/files/{ids['far']}")
    assert page.status_code == 200
    assert f"no: {HELD}" in page.text and "yes (trusted)" not in page.text
