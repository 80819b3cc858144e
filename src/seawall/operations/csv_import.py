"""CSV import of existing case-management data: backlog exhibits, staff, credentials.

Every row is checked before anything is written; problems are reported per row and column
(line numbers as a spreadsheet shows them: the header is line 1).  By default a file with
any error imports nothing, so a half-imported backlog never misleads a forecast;
``skip_invalid`` imports the good rows and still reports the bad ones.  Rows are matched on
their natural key (case + exhibit reference, staff number, staff + credential + level) and
updated in place on re-import (case-insensitively: ``op-1`` is ``OP-1``).

Rules that keep a re-import from quietly damaging the data: a blank cell means "no change"
for an existing row; a status may not move backwards (a reported exhibit would lose its
report date and hours); unrecognised columns are reported, not silently ignored; dates
before :data:`OLDEST_PLAUSIBLE_YEARS` years ago or in the future are rejected; a row with
fewer fields than the header is rejected; ``;``-separated files (a European spreadsheet's
CSV, with decimal commas) are read too.  Within one case, differing bands are reported and
the most urgent applies to the whole case.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.operations.bands import normalise_band
from seawall.operations.config import BacklogConfig
from seawall.operations.workforce.config import WorkforceConfig
from seawall.store import audit
from seawall.store.models import Case, Exhibit, utcnow
from seawall.store.operations_models import (
    BACKLOG_STATUSES,
    BacklogItem,
    Credential,
    Staff,
    Team,
)

MAX_ROWS = 200_000
OLDEST_PLAUSIBLE_YEARS = 30  # a received date before this is a typo or a 1970 default

TYPE_ALIASES = {
    "phone": "phone", "mobile": "phone", "handset": "phone", "smartphone": "phone",
    "tablet": "phone", "computer": "computer", "laptop": "computer", "desktop": "computer",
    "pc": "computer", "storage": "storage", "usb": "storage", "hdd": "storage",
    "sd": "storage", "sd_card": "storage", "external_drive": "storage",
    "storage_media": "storage", "cloud_return": "cloud_return", "cloud": "cloud_return",
    "cloud_account": "cloud_return", "provider_return": "cloud_return",
}
STATUS_ALIASES = {"received": "received", "new": "received", "triaged": "triaged",
                  "in_examination": "in_examination", "in_exam": "in_examination",
                  "examining": "in_examination", "in_progress": "in_examination",
                  "reported": "reported", "complete": "reported", "completed": "reported",
                  "done": "reported"}
TRUE = {"y", "yes", "true", "1", "t"}
FALSE = {"n", "no", "false", "0", "f", ""}

BACKLOG_COLUMNS = {
    "case_reference": ("case_reference", "case", "case_ref", "case_number"),
    "exhibit_reference": ("exhibit_reference", "exhibit", "exhibit_ref", "exhibit_number"),
    "exhibit_type": ("exhibit_type", "type", "device_type"),
    "received": ("received", "received_on", "date_received"),
    "status": ("status",),
    "risk_band": ("risk_band", "band", "risk"),
    "estimated_hours": ("estimated_hours", "estimate", "estimate_hours"),
    "started": ("started", "started_on", "date_started"),
    "reported": ("reported", "reported_on", "date_reported"),
    "actual_hours": ("actual_hours", "hours_spent"),
    "safeguarding": ("safeguarding", "child_at_risk", "safeguarding_flag"),
    "examiner": ("examiner", "examiner_staff_number"),
    "notes": ("notes",),
    "path": ("path", "exhibit_path", "evidence_path"),
}
BACKLOG_REQUIRED = ("case_reference", "exhibit_reference", "exhibit_type", "received")


@dataclass
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # imported, but look at these
    imported: bool = False
    fatal: bool = False  # the file as a whole is unusable (header, encoding)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "skipped": self.skipped, "imported": self.imported,
                "errors": [e.as_dict() for e in self.errors],
                "warnings": [w.as_dict() for w in self.warnings]}


class _Row:
    """One CSV row with typed getters that record errors instead of raising."""

    def __init__(self, line: int, values: dict[str, str], errors: list[RowError],
                 decimal_comma: bool = False):
        self.line, self.values, self.errors, self.ok = line, values, errors, True
        self.decimal_comma = decimal_comma

    def given(self, col: str) -> bool:
        """Whether the cell has a value (a blank cell on re-import means "no change")."""
        return bool((self.values.get(col) or "").strip())

    def error(self, column: str | None, message: str) -> None:
        self.ok = False
        self.errors.append(RowError(self.line, column, message))

    def text(self, col: str, required: bool = False, max_len: int = 200) -> str | None:
        value = (self.values.get(col) or "").strip()
        if not value:
            if required:
                self.error(col, "is required")
            return None
        if len(value) > max_len:
            self.error(col, f"longer than {max_len} characters")
            return None
        return value

    def date(self, col: str, required: bool = False) -> date | None:
        value = self.text(col, required)
        if value is None:
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        self.error(col, f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        return None

    def number(self, col: str, minimum: float = 0.0, maximum: float = 10_000.0,
               integer: bool = False) -> float | None:
        value = self.text(col)
        if value is None:
            return None
        if self.decimal_comma and "." not in value:
            value = value.replace(",", ".")
        try:
            num = int(value) if integer else float(value)
        except ValueError:
            self.error(col, f"{value!r} is not a {'whole ' if integer else ''}number")
            return None
        if not minimum <= num <= maximum:
            self.error(col, f"{value} is outside {minimum:g}..{maximum:g}")
            return None
        return num

    def flag(self, col: str, default: bool | None = False) -> bool | None:
        value = (self.values.get(col) or "").strip().lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return default if value == "" else False
        self.error(col, f"{value!r} is not yes/no")
        return default

    def choice(self, col: str, aliases: dict[str, str], required: bool = False,
               default: str | None = None) -> str | None:
        value = self.text(col, required)
        if value is None:
            return default
        key = value.lower().replace("-", "_").replace(" ", "_")
        if key not in aliases:
            valid = ", ".join(sorted(set(aliases.values())))
            self.error(col, f"{value!r} is not one of: {valid}")
            return None
        return aliases[key]


def _dialect(text: str) -> str:
    """',' or ';' (a spreadsheet set to a European locale saves CSV with semicolons)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _read(text: str, columns: dict[str, tuple[str, ...]], required: Iterable[str],
          result: ImportResult) -> list[_Row]:
    """Parse CSV text, map header aliases to canonical names, check required columns.

    Line numbers are spreadsheet rows (the header is row 1; a cell with line breaks is
    still one row)."""
    if text.startswith("\ufeff"):  # Excel's UTF-8 byte-order mark
        text = text[1:]
    delimiter = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append(RowError(1, None, "the file is empty"))
        result.fatal = True
        return []
    except csv.Error as exc:
        result.errors.append(RowError(1, None, f"unreadable CSV: {exc}"))
        result.fatal = True
        return []
    lookup = {alias: canon for canon, aliases in columns.items() for alias in aliases}
    mapped: list[str | None] = []
    for name in header:
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        mapped.append(lookup.get(key))
        if name.strip() and key not in lookup:
            result.warnings.append(RowError(1, name.strip(), (
                "column not recognised, its values are ignored (known columns: "
                + ", ".join(columns) + ")")))
    missing = [c for c in required if c not in mapped]
    if missing:
        result.errors.append(RowError(1, None, "missing column(s): " + ", ".join(missing)))
        result.fatal = True
        return []
    # Trailing unnamed header cells (a stray delimiter) need no value.
    needed = max(i for i, name in enumerate(header) if name.strip()) + 1
    rows: list[_Row] = []
    line, malformed = 1, 0
    try:
        for record in reader:
            line += 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                result.errors.append(RowError(line, None, f"more than {MAX_ROWS} rows"))
                result.fatal = True
                break
            if len(record) > len(header) or len(record) < needed:
                result.errors.append(RowError(line, None, f"{len(record)} fields, header has "
                                                          f"{len(header)}"))
                malformed += 1
                continue
            values = {c: v for c, v in zip(mapped, record, strict=False) if c}
            rows.append(_Row(line, values, result.errors, decimal_comma=delimiter == ";"))
    except csv.Error as exc:
        result.errors.append(RowError(line + 1, None, f"unreadable CSV: {exc}"))
        result.fatal = True
    result.rows = len(rows) + malformed
    return rows


def _finish(result: ImportResult, rows: list[_Row], skip_invalid: bool,
            apply: Callable[[_Row], bool]) -> ImportResult:
    good = [r for r in rows if r.ok]
    if (result.errors and not skip_invalid) or result.fatal:
        result.skipped = result.rows
        return result
    result.skipped = result.rows - len(good)
    for row in good:
        if apply(row):
            result.created += 1
        else:
            result.updated += 1
    result.imported = True
    return result


# Backlog CSV column -> BacklogItem attribute (a blank cell leaves it unchanged).
BACKLOG_FIELDS = {
    "case_reference": "case_reference", "exhibit_reference": "exhibit_reference",
    "exhibit_type": "exhibit_type", "received": "received_on", "status": "status",
    "risk_band": "risk_band", "estimated_hours": "estimated_hours", "started": "started_on",
    "reported": "reported_on", "actual_hours": "actual_hours",
    "safeguarding": "safeguarding", "examiner": "examiner_id", "notes": "notes",
    "path": "path",
}
_STATUS_STEP = {s: i for i, s in enumerate(BACKLOG_STATUSES)}


def import_backlog(session: Session, text: str, cfg: BacklogConfig, actor: str,
                   skip_invalid: bool = False, today: date | None = None) -> ImportResult:
    """Import backlog exhibits from CSV text (see the module docstring).  Caller commits."""
    result = ImportResult()
    today = today or utcnow().date()
    oldest = today.replace(year=today.year - OLDEST_PLAUSIBLE_YEARS, day=min(today.day, 28))
    rows = _read(text, BACKLOG_COLUMNS, BACKLOG_REQUIRED, result)
    seen: dict[tuple[str, str], int] = {}
    staff_ids = dict(session.execute(select(Staff.staff_number, Staff.id)).all())
    stored = {(c.lower(), e.lower()): (c, e, status, reported) for c, e, status, reported in
              session.execute(select(BacklogItem.case_reference, BacklogItem.exhibit_reference,
                                     BacklogItem.status, BacklogItem.reported_on)).all()}
    case_bands: dict[str, list[tuple[str, int]]] = {}
    parsed: dict[int, dict] = {}
    for row in rows:
        case = row.text("case_reference", required=True)
        exhibit = row.text("exhibit_reference", required=True)
        key = (case.lower(), exhibit.lower()) if case and exhibit else None
        before = stored.get(key) if key else None
        etype = row.choice("exhibit_type", TYPE_ALIASES, required=before is None)
        if etype is not None and etype not in cfg.exhibit_types:
            row.error("exhibit_type", f"{etype!r} is not configured")
        received = row.date("received", required=before is None)
        status = row.choice("status", STATUS_ALIASES, default=before[2] if before else "received")
        band = None
        raw_band = row.text("risk_band")
        if raw_band:
            try:
                band = normalise_band(raw_band, cfg.bands)
            except ValueError as exc:
                row.error("risk_band", str(exc))
        estimate = row.number("estimated_hours", 0.0, 5000.0)
        started, reported = row.date("started"), row.date("reported")
        actual = row.number("actual_hours", 0.0, 5000.0)
        safeguarding = row.flag("safeguarding")
        examiner = row.text("examiner", max_len=50)
        if examiner and examiner not in staff_ids:
            row.error("examiner", f"no staff member {examiner!r} (import staff first)")
        if received and received > today:
            row.error("received", f"{received} is in the future")
        if received and received < oldest:
            row.error("received", f"{received} is implausibly old (before {oldest}); "
                                  "check the date")
        for col, value in (("started", started), ("reported", reported)):
            if value and value > today:
                row.error(col, f"{value} is in the future")
        if received and started and started < received:
            row.error("started", "is before the received date")
        if received and reported and reported < received:
            row.error("reported", "is before the received date")
        if started and reported and reported < started:
            row.error("reported", "is before the started date")
        if status == "reported" and reported is None and not (before and before[3]):
            row.error("reported", "is required when status is reported")
        if status in ("received", "triaged") and (started or reported):
            row.error("status", f"{status} but a started/reported date is given")
        if before and row.given("status") and status in _STATUS_STEP \
                and _STATUS_STEP[status] < _STATUS_STEP.get(before[2], 0):
            row.error("status", f"would move {before[0]}/{before[1]} back from {before[2]} "
                                f"to {status}, losing its dates and hours; use `seawall "
                                "backlog status` (one step back, audited) to correct it")
        if key:
            if key in seen:
                row.error("exhibit_reference",
                          f"{case}/{exhibit} already appears on line {seen[key]}")
            else:
                seen[key] = row.line
        if case and band:
            case_bands.setdefault(case.lower(), []).append((band, row.line))
        parsed[row.line] = dict(
            case_reference=case, exhibit_reference=exhibit, exhibit_type=etype,
            received_on=received, status=status, risk_band=band, estimated_hours=estimate,
            started_on=started, reported_on=reported, actual_hours=actual,
            safeguarding=bool(safeguarding),
            examiner_id=staff_ids.get(examiner) if examiner else None,
            notes=row.text("notes", max_len=2000), path=row.text("path", max_len=4000))
        parsed[row.line]["_given"] = {attr for col, attr in BACKLOG_FIELDS.items()
                                      if row.given(col)}
    _band_conflicts(case_bands, cfg, result)

    cases = {ref.lower(): (ref, i) for ref, i in
             session.execute(select(Case.reference, Case.id)).all()}

    def apply(row: _Row) -> bool:
        values = dict(parsed[row.line])
        given = values.pop("_given")
        key = (values["case_reference"].lower(), values["exhibit_reference"].lower())
        found = session.scalar(select(BacklogItem).where(
            BacklogItem.case_reference == stored[key][0],
            BacklogItem.exhibit_reference == stored[key][1])) if key in stored else None
        created = found is None
        item = found if found is not None else BacklogItem(source="csv")
        if created:
            session.add(item)
            for attr, value in values.items():
                setattr(item, attr, value)
        else:
            # Existing rows keep their references' spelling; a blank cell changes nothing.
            for attr, value in values.items():
                if attr in given and attr not in ("case_reference", "exhibit_reference"):
                    setattr(item, attr, value)
        case = cases.get(item.case_reference.lower())
        item.case_id = case[1] if case else None
        if item.case_id is not None:
            item.exhibit_id = session.scalar(select(Exhibit.id).where(
                Exhibit.case_id == item.case_id,
                Exhibit.reference == item.exhibit_reference))
        return created

    _finish(result, rows, skip_invalid, apply)
    if result.imported:
        session.flush()
        audit.record(session, actor, "operations.backlog.import", details={
            "rows": result.rows, "created": result.created, "updated": result.updated,
            "skipped": result.skipped, "warnings": len(result.warnings)})
    return result


def _band_conflicts(case_bands: dict[str, list[tuple[str, int]]], cfg: BacklogConfig,
                    result: ImportResult) -> None:
    """One case, one band: where a file gives a case differing bands, say so on each line
    that differs from the most urgent (which applies to the whole case)."""
    rank = {band: i for i, band in enumerate(cfg.band_order)}
    for found in case_bands.values():
        if len({band for band, _line in found}) < 2:
            continue
        top, top_line = min(found, key=lambda bl: (rank[bl[0]], bl[1]))
        label = cfg.bands[top].label.lower()
        for band, line in found:
            if band != top:
                result.warnings.append(RowError(line, "risk_band", (
                    f"{cfg.bands[band].label.lower()} here but {label} on line {top_line}: "
                    f"the case's most urgent band, {label}, applies to all its exhibits")))


STAFF_COLUMNS = {
    "staff_number": ("staff_number", "staff_no", "collar_number", "id"),
    "name": ("name", "full_name"),
    "team": ("team", "unit"),
    "role": ("role", "role_profile"),
    "hours_per_week": ("hours_per_week", "hours"),
    "username": ("username", "seawall_user", "login"),
    "dedicated": ("dedicated", "dedicated_ocsa", "dedicated_online_csa"),
    "active": ("active",),
}
CREDENTIAL_COLUMNS = {
    "staff_number": ("staff_number", "staff_no", "collar_number"),
    "credential": ("credential", "code", "course", "accreditation"),
    "level": ("level",),
    "status": ("status",),
    "achieved": ("achieved", "achieved_on", "date_achieved", "completed"),
    "expires": ("expires", "expires_on", "expiry", "expiry_date"),
}
CREDENTIAL_STATUSES = {"held": "held", "in_training": "in_training",
                       "training": "in_training", "lapsed": "lapsed"}


def import_staff(session: Session, text: str, workforce_cfg: WorkforceConfig, actor: str,
                 skip_invalid: bool = False) -> ImportResult:
    """Import the staff register from CSV text.  Caller commits."""
    result = ImportResult()
    rows = _read(text, STAFF_COLUMNS, ("staff_number", "name", "role"), result)
    role_aliases = {k: k for k in workforce_cfg.roles}
    seen: dict[str, int] = {}
    for row in rows:
        number = row.text("staff_number", required=True, max_len=50)
        row.text("name", required=True)
        row.choice("role", role_aliases, required=True)
        row.number("hours_per_week", 0.0, 80.0)
        row.text("team", max_len=100)
        row.flag("dedicated", default=None)
        row.flag("active", default=True)
        if number in seen:
            row.error("staff_number", f"already appears on line {seen[number]}")
        elif number:
            seen[number] = row.line
    teams = {t.name: t for t in session.scalars(select(Team)).all()}

    def apply(row: _Row) -> bool:
        number = row.text("staff_number")
        staff = session.scalar(select(Staff).where(Staff.staff_number == number))
        created = staff is None
        if created:
            staff = Staff(staff_number=number)
            session.add(staff)
        team_name = row.text("team", max_len=100)
        if team_name and team_name not in teams:
            teams[team_name] = Team(name=team_name)
            session.add(teams[team_name])
        staff.team = teams.get(team_name) if team_name else None
        staff.name = row.text("name")
        staff.role = row.choice("role", role_aliases)
        staff.hours_per_week = row.number("hours_per_week", 0.0, 80.0) or 37.0
        staff.username = row.text("username", max_len=100)
        staff.dedicated_ocsa = row.flag("dedicated", default=None)
        staff.active = bool(row.flag("active", default=True))
        return created

    _finish(result, rows, skip_invalid, apply)
    if result.imported:
        session.flush()
        audit.record(session, actor, "operations.staff.import", details=result.as_dict())
    return result


def import_credentials(session: Session, text: str, workforce_cfg: WorkforceConfig,
                       actor: str, skip_invalid: bool = False) -> ImportResult:
    """Import training and accreditations from CSV text.  A blank expiry is filled from the
    credential's configured validity.  Caller commits."""
    result = ImportResult()
    rows = _read(text, CREDENTIAL_COLUMNS, ("staff_number", "credential"), result)
    creds = workforce_cfg.credentials
    cred_aliases = {k: k for k in creds}
    staff_ids = dict(session.execute(select(Staff.staff_number, Staff.id)).all())
    seen: dict[tuple, int] = {}
    parsed: dict[int, dict] = {}
    for row in rows:
        number = row.text("staff_number", required=True, max_len=50)
        if number and number not in staff_ids:
            row.error("staff_number", f"no staff member {number!r} (import staff first)")
        code = row.choice("credential", cred_aliases, required=True)
        level = row.number("level", 0, 10, integer=True)
        levels = creds[code].levels if code else ()
        if levels and level is None:
            row.error("level", f"{code} needs a level ({', '.join(map(str, levels))})")
        elif levels and level not in levels:
            row.error("level", f"{level} is not a level of {code}")
        elif code and not levels and level is not None:
            row.error("level", f"{code} has no levels")
        status = row.choice("status", CREDENTIAL_STATUSES, default="held")
        achieved, expires = row.date("achieved"), row.date("expires")
        if achieved and expires and expires < achieved:
            row.error("expires", "is before the achieved date")
        if status == "held" and achieved is None:
            row.error("achieved", "is required for a held credential")
        valid = creds[code].valid_years if code else None
        if expires is None and achieved and valid:
            expires = achieved + timedelta(days=round(365.25 * valid))
        key = (number, code, level)
        if key in seen:
            row.error("credential", f"already appears on line {seen[key]}")
        else:
            seen[key] = row.line
        parsed[row.line] = dict(staff_id=staff_ids.get(number), code=code, level=level,
                                status=status, achieved_on=achieved, expires_on=expires)

    def apply(row: _Row) -> bool:
        values = parsed[row.line]
        query = select(Credential).where(Credential.staff_id == values["staff_id"],
                                         Credential.code == values["code"])
        query = query.where(Credential.level.is_(None) if values["level"] is None
                            else Credential.level == values["level"])
        cred = session.scalar(query)
        created = cred is None
        if created:
            cred = Credential()
            session.add(cred)
        for key, value in values.items():
            setattr(cred, key, value)
        return created

    _finish(result, rows, skip_invalid, apply)
    if result.imported:
        session.flush()
        audit.record(session, actor, "operations.credentials.import", details=result.as_dict())
    return result


BACKLOG_STATUSES_HELP = ", ".join(BACKLOG_STATUSES)
