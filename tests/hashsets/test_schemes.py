from pathlib import Path

import pytest

from seawall.hashsets.scheme import KNOWN_BENIGN, SchemeError, load_scheme, parse_scheme


def test_shipped_schemes_and_severity_order():
    uk = load_scheme("uk")
    assert uk.names == ["A", "B", "C", "uncategorised", "not_indecent"]
    assert uk.is_benign("not_indecent") and uk.is_benign(KNOWN_BENIGN)
    assert not uk.is_benign("C")
    us = load_scheme("vics-us")
    assert us.names[0] == "CAM" and us.is_benign("non_pertinent")
    assert load_scheme("us").name == "vics-us"  # alias used by the grading screen


def test_vics_uk_dialect_is_the_documented_assumption():
    table = load_scheme("uk").dialect("UK")
    assert table.assumption
    assert table.codes == {"0": "uncategorised", "1": "A", "2": "B", "3": "C",
                           "4": "not_indecent"}


def test_force_config_dir_overrides(tmp_path: Path, monkeypatch):
    text = load_scheme("uk").toml_text.replace('"1" = "A", "2" = "B"', '"1" = "B", "2" = "A"')
    (tmp_path / "uk.toml").write_text(text)
    monkeypatch.setenv("SEAWALL_SCHEME_DIR", str(tmp_path))
    assert load_scheme("uk").dialect("UK").codes["1"] == "B"


@pytest.mark.parametrize("text, message", [
    ("name = 'x'", "no categories"),
    ("name = 'x'\n[[categories]]\nname = 'A'", "integer 'severity'"),
    ("name = 'x'\n[[categories]]\nname='A'\nseverity=1\n[dialects.UK]\ncodes={'1'='Z'}",
     "unknown category"),
    ("name = ", "not valid TOML"),
])
def test_bad_scheme_files(text, message):
    with pytest.raises(SchemeError, match=message):
        parse_scheme(text)


def test_case_scheme_fails_loudly(tmp_path: Path, monkeypatch):
    """A case's scheme that is unknown or malformed is a ConfigError wherever it is used: no
    stage grades or counts in another scheme's categories instead."""
    from seawall.errors import ConfigError
    from seawall.grading import schemes
    from seawall.hashsets.scheme import UnknownScheme, case_scheme

    assert case_scheme(None).name == "uk" and case_scheme("us").name == "vics-us"
    with pytest.raises(UnknownScheme, match="unknown category scheme 'nope'"):
        case_scheme("nope")
    (tmp_path / "force-broken.toml").write_text("name = 'force-broken'\n[[categories]]\n")
    monkeypatch.setenv("SEAWALL_SCHEME_DIR", str(tmp_path))
    with pytest.raises(ConfigError):
        case_scheme("force-broken")
    with pytest.raises(ConfigError):  # once fell back to the UK categories
        schemes.categories("force-broken")
