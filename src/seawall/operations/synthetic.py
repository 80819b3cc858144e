"""Seeded synthetic data for demos and tests: a backlog with history, and a workforce.

Everything is invented (references start with ``SYN-``); the same seed and date give the
same data.  Proportions are loosely shaped on public figures (e.g. most people in dedicated
roles lacking the specialist course) so the demo's headline figures look plausible; they
are not the force's figures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from seawall.operations.model import Entry
from seawall.store import audit
from seawall.store.operations_models import Allocation, BacklogItem, Credential, Staff, Team

TYPE_MIX = {"phone": 0.45, "computer": 0.2, "storage": 0.25, "cloud_return": 0.1}
TYPE_HOURS = {"phone": 9.0, "computer": 24.0, "storage": 5.0, "cloud_return": 12.0}
BAND_MIX = {"very_high": 0.08, "high": 0.22, "medium": 0.35, "low": 0.35}

FIRST = ["Alex", "Sam", "Jo", "Chris", "Priya", "Tom", "Aisha", "Ben", "Kate", "Omar",
         "Lucy", "Dan", "Nia", "Raj", "Ellie", "Mark", "Zara", "Owen", "Hana", "Luke"]
LAST = ["Reed", "Patel", "Shaw", "Khan", "Lewis", "Evans", "Hughes", "Ahmed", "Price",
        "Wood", "Turner", "Hall", "Ward", "Cole", "Bell", "Ross"]


def backlog_entries(seed: int = 1, as_of: date | None = None, days: int = 360,
                    per_week: float = 14.0, open_share: float = 1.0) -> list[Entry]:
    """``days`` days of exhibits received at about ``per_week`` a week: most of the older
    ones reported with actual hours, recent and low-risk ones still open (a few in
    examination).  ``open_share`` scales how much is still open."""
    rng = random.Random(seed)
    as_of = as_of or date.today()
    entries: list[Entry] = []
    n_cases = 0
    t = 0.0
    rate = per_week / 7.0
    while True:
        t += rng.expovariate(rate / 1.6)  # cases arrive; ~1.6 exhibits per case
        if t >= days:
            break
        n_cases += 1
        received = as_of - timedelta(days=days - int(t))
        band = rng.choices(list(BAND_MIX), list(BAND_MIX.values()))[0]
        flagged = band in ("very_high", "high") and rng.random() < 0.25
        for x in range(1 + (rng.random() < 0.45) + (rng.random() < 0.15)):
            etype = rng.choices(list(TYPE_MIX), list(TYPE_MIX.values()))[0]
            actual = round(TYPE_HOURS[etype] * rng.lognormvariate(-0.1, 0.45), 1)
            estimate = round(TYPE_HOURS[etype] * rng.uniform(0.6, 1.1), 1)
            entries.append(Entry(
                case_reference=f"SYN-{seed:02d}-{n_cases:04d}",
                exhibit_reference=f"EX{x + 1:02d}", exhibit_type=etype, received=received,
                status="received", band=band, safeguarding=flagged,
                estimated_hours=estimate if rng.random() < 0.8 else None,
                actual_hours=actual))
    entries.sort(key=lambda e: (e.received, e.key))
    # Which exhibits are still open: shaped like a risk-ordered queue that is slightly over
    # capacity, so recent work and older low-risk work remain.
    tau = {"very_high": 6, "high": 25, "medium": 55, "low": 110}
    in_exam = 0
    for e in entries:
        age = (as_of - e.received).days
        p_open = 1.0 if age < 7 else math.exp(-(age - 7) / tau[e.band])
        if rng.random() >= p_open * open_share:
            wait = min(age - 2, int(rng.expovariate(1 / tau[e.band])))
            e.status, e.started = "reported", e.received + timedelta(days=max(0, wait))
            e.reported = min(as_of - timedelta(days=1),
                             e.started + timedelta(days=max(1, int((e.actual_hours or 0) // 5))))
            e.reported = max(e.reported, e.started)
        else:
            e.actual_hours = None
            if in_exam < 6 and age > 7 and rng.random() < 0.2:
                in_exam += 1
                e.status = "in_examination"
                e.started = as_of - timedelta(days=rng.randint(1, 6))
            else:
                e.status = "triaged" if rng.random() < 0.6 else "received"
    return entries


@dataclass
class SynthStaff:
    staff_number: str
    name: str
    team: str
    role: str
    hours_per_week: float
    credentials: list[dict]
    username: str | None = None


TEAMS = {
    "POLIT North": [("polit_ds", 1), ("polit_dc", 6), ("grader", 2)],
    "POLIT South": [("polit_ds", 1), ("polit_dc", 5), ("grader", 2)],
    "Digital Forensic Unit": [("df_examiner", 6)],
    "Local Investigation": [("generalist_dc", 8)],
}


def _cred(rng, code, as_of, level=None, valid_years=None, p_expiring=0.15):
    achieved = as_of - timedelta(days=rng.randint(60, 2000))
    expires = None
    if valid_years:
        expires = achieved + timedelta(days=365 * valid_years)
        if rng.random() < p_expiring:
            expires = as_of + timedelta(days=rng.randint(-30, 80))
        elif expires < as_of:
            achieved = as_of - timedelta(days=rng.randint(30, 300))
            expires = achieved + timedelta(days=365 * valid_years)
    return {"code": code, "level": level, "status": "held", "achieved_on": achieved,
            "expires_on": expires}


def workforce(seed: int = 1, as_of: date | None = None) -> list[SynthStaff]:
    """A force's register: four teams with plausible training gaps."""
    rng = random.Random(seed * 31 + 7)
    as_of = as_of or date.today()
    out: list[SynthStaff] = []
    n = 0
    for team, roles in TEAMS.items():
        for role, count in roles:
            for _ in range(count):
                n += 1
                creds: list[dict] = []
                if role in ("polit_dc", "polit_ds", "generalist_dc"):
                    level = 2 if role != "generalist_dc" or rng.random() < 0.3 else 1
                    creds.append(_cred(rng, "pip", as_of, level=level))
                    # Most people in dedicated roles lack the specialist course (the
                    # Police Foundation found 64%); generalists rarely have it.
                    if role == "polit_ds" or rng.random() < (
                            0.3 if role == "polit_dc" else 0.05):
                        creds.append(_cred(rng, "scaidp", as_of))
                    if rng.random() < (0.9 if role != "generalist_dc" else 0.5):
                        creds.append(_cred(rng, "risk_instrument", as_of, valid_years=2))
                    if role == "polit_ds" or rng.random() < (
                            0.6 if role != "generalist_dc" else 0.4):
                        creds.append(_cred(rng, "abe_interview", as_of, valid_years=3))
                if role == "polit_dc" and rng.random() < 0.35:
                    creds.append(_cred(rng, "iioc_grader", as_of, valid_years=3))
                if role == "grader":
                    creds.append(_cred(rng, "iioc_grader", as_of, valid_years=3))
                if role == "df_examiner":
                    creds.append(_cred(rng, "df_examiner", as_of, level=rng.choice([1, 2, 2, 3]),
                                       valid_years=3))
                if role in ("grader", "df_examiner", "polit_dc") and rng.random() < 0.8:
                    creds.append(_cred(rng, "welfare_screening", as_of, valid_years=1,
                                       p_expiring=0.25))
                out.append(SynthStaff(
                    staff_number=f"S{n:04d}",
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", team=team, role=role,
                    hours_per_week=rng.choice([37.0, 37.0, 37.0, 30.0, 22.5]),
                    credentials=creds))
    return out


def populate(session: Session, actor: str, seed: int = 1, as_of: date | None = None,
             days: int = 360, per_week: float = 14.0, staff: bool = True) -> dict:
    """Write synthetic backlog items (and, with ``staff``, a workforce with some open
    allocations) to the database, replacing earlier synthetic rows.  Audited; caller
    commits."""
    as_of = as_of or date.today()
    session.execute(delete(BacklogItem).where(BacklogItem.source == "synthetic"))
    counts = {"exhibits": 0, "staff": 0, "credentials": 0, "allocations": 0}
    staff_rows: list[Staff] = []
    if staff:
        synth = workforce(seed, as_of)
        numbers = [p.staff_number for p in synth]
        old = session.scalars(select(Staff).where(Staff.staff_number.in_(numbers))).all()
        for row in old:
            session.execute(update(BacklogItem).where(BacklogItem.examiner_id == row.id)
                            .values(examiner_id=None))
            session.delete(row)
        session.flush()
        teams = {t.name: t for t in session.scalars(select(Team)).all()}
        for p in synth:
            if p.team not in teams:
                teams[p.team] = Team(name=p.team)
                session.add(teams[p.team])
            row = Staff(staff_number=p.staff_number, name=p.name, team=teams[p.team],
                        role=p.role, hours_per_week=p.hours_per_week, username=p.username)
            for c in p.credentials:
                row.credentials.append(Credential(**c))
                counts["credentials"] += 1
            session.add(row)
            staff_rows.append(row)
        counts["staff"] = len(synth)
        session.flush()
    examiners = [s for s in staff_rows if s.role == "df_examiner"]
    rng = random.Random(seed * 13 + 5)
    entries = backlog_entries(seed, as_of, days=days, per_week=per_week)
    for e in entries:
        session.add(BacklogItem(
            case_reference=e.case_reference, exhibit_reference=e.exhibit_reference,
            exhibit_type=e.exhibit_type, received_on=e.received, status=e.status,
            risk_band=e.band, safeguarding=e.safeguarding, estimated_hours=e.estimated_hours,
            started_on=e.started, reported_on=e.reported, actual_hours=e.actual_hours,
            examiner=(rng.choice(examiners) if examiners and e.status != "received"
                      and e.started else None), source="synthetic"))
    counts["exhibits"] = len(entries)
    investigators = [s for s in staff_rows if s.role in ("polit_dc", "polit_ds")]
    open_cases = sorted({e.case_reference: e.band for e in entries
                         if e.status != "reported"}.items())
    for i, (case, band) in enumerate(open_cases):
        if not investigators or rng.random() < 0.4:
            continue
        who = investigators[(i * 7 + seed) % len(investigators)]
        session.add(Allocation(staff=who, case_reference=case, task="risk_assessment",
                               risk_band=band, hours=rng.choice([3.0, 6.0, 9.0]),
                               allocated_by=actor))
        counts["allocations"] += 1
    session.flush()
    audit.record(session, actor, "operations.synthetic", details={"seed": seed, **counts})
    return counts
