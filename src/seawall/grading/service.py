"""The grading workflow: queue of unknown media, clusters, dual grading, supervisor
resolution and overrides, reveals and welfare counters.

Only media that no hash set knows are queued: the matching verdicts (by default
``seawall.matching.service.file_results``; the caller may hand in another lookup) must
report no deciding match and not known-benign.

The rules are enforced here, not by the pages:

* a grade is accepted only for files in the grader's own queue (unknown media of the case,
  not final, not disputed, not already graded by them), so no grader can touch a file a
  trusted hash set categorises;
* a grade below a hinted category (a near-miss or indicative match) needs independent
  graders, as the most severe categories do; graders who disagree go to a supervisor;
* changing a hash-set category or a final grade is :func:`override`: a supervisor's action
  with a mandatory reason, recorded as such (``FinalGrade.method == "override"``);
* nothing is graded that cannot be shown: a file whose thumbnail cannot be made from the
  evidence (no exact duplicate of it can be shown either) is refused, with the reason;
* ``FinalGrade.method`` says how a grade became final: ``single_grader``, ``consensus``
  (two or more graders agreed), ``supervisor`` (a disagreement resolved) or ``override``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from seawall.accounts.roles import Permission, allows
from seawall.errors import InvalidInput
from seawall.grading import schemes, thumbnails
from seawall.grading.settings import GradingSettings
from seawall.hashing.content import DAMAGED_VIDEO
from seawall.matching.pdq_index import PdqIndex, hex_to_words
from seawall.matching.service import file_results
from seawall.matching.verdict import FileVerdict, VerdictLookup
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.grading_models import ExposureDay, FinalGrade, Grade, Reveal
from seawall.store.models import Case, Exhibit, FileRecord, utcnow

MEDIA_CLASSES = ("image", "video")
# Gaps between grading actions longer than this are not counted as grading time.
ACTIVE_GAP = timedelta(minutes=5)

class GradingError(InvalidInput, ValueError):
    """A grading request that cannot be carried out (shown to the user)."""


# How a grade became final (FinalGrade.method).
SINGLE_GRADER = "single_grader"
CONSENSUS = "consensus"
SUPERVISOR = "supervisor"
OVERRIDE = "override"
FINAL_METHOD_LABELS = {
    SINGLE_GRADER: "one grader",
    CONSENSUS: "independent graders agreed",
    SUPERVISOR: "supervisor resolved a disagreement",
    OVERRIDE: "supervisor override",
}
# Graders whose agreement a grade below a hinted category needs (as for category A).
DUAL = 2


def is_supervisor(user: User) -> bool:
    """May resolve disagreements and override hash-set categories and final grades."""
    return allows(user.role, Permission.SUPERVISE)


def _is_unknown(verdict: FileVerdict | None, scheme: str) -> tuple[bool, str | None]:
    """(unknown?, most severe hinted category) for one file's matching verdict.  Only
    indicative matches (an untrusted set or another scheme) may hint at a category."""
    if verdict is None:
        return False, None  # no verdict from matching: do not expose a grader to it
    matches = verdict.matches
    if (verdict.known_benign or verdict.category is not None
            or not all(m.indicative for m in matches)):
        return False, None
    hinted = [m.category for m in matches if m.category and m.excluded is None]
    return True, max(hinted, key=lambda c: schemes.severity(scheme, c), default=None)


@dataclass
class QueueItem:
    """One grading decision: a cluster of stacks of exact duplicates."""

    key: str
    stacks: list[list[FileRecord]]
    near_miss: str | None = None
    priority: tuple = field(default=())

    @property
    def files(self) -> list[FileRecord]:
        return [f for stack in self.stacks for f in stack]

    @property
    def representative(self) -> FileRecord:
        return self.stacks[0][0]

    @property
    def file_ids(self) -> list[int]:
        return [f.id for f in self.files]


def _active_grades(session: Session, file_ids: Iterable[int]) -> dict[int, list[Grade]]:
    """Active (not withdrawn) grades per file: the latest per user."""
    ids = list(file_ids)
    out: dict[int, dict[int, Grade]] = defaultdict(dict)
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(Grade).where(
            Grade.file_id.in_(ids[start:start + 500]), Grade.withdrawn_at.is_(None))
            .order_by(Grade.at, Grade.id))
        for grade in rows:
            out[grade.file_id][grade.user_id] = grade
    return {fid: list(by_user.values()) for fid, by_user in out.items()}


def _case_media(session: Session, case: Case) -> list[FileRecord]:
    return list(session.scalars(
        select(FileRecord).join(Exhibit, FileRecord.exhibit_id == Exhibit.id)
        .where(Exhibit.case_id == case.id, FileRecord.media_class.in_(MEDIA_CLASSES),
               # A damaged video whose decodable frames were hashed can still be seen and
               # graded; other media with an error cannot be shown.
               or_(FileRecord.error.is_(None), FileRecord.error.startswith(DAMAGED_VIDEO)))
        .order_by(FileRecord.id)))


def _queue_status(session: Session, case: Case, user: User, records: list[FileRecord],
                  verdicts: VerdictLookup) -> dict[int, tuple[str | None, str | None]]:
    """file id -> (why it is not in the user's queue or None, most severe hinted category).

    A file is in the user's queue when matching calls it unknown, it has no final grade, its
    graders do not disagree and the user has not graded it yet."""
    ids = [r.id for r in records]
    results = verdicts(session, ids)
    finals = dict(session.execute(select(FinalGrade.file_id, FinalGrade.category).where(
        FinalGrade.case_id == case.id, FinalGrade.file_id.in_(ids))).all()) if ids else {}
    grades = _active_grades(session, ids)
    out: dict[int, tuple[str | None, str | None]] = {}
    for record in records:
        result = results.get(record.id)
        unknown, near_miss = _is_unknown(result, case.scheme)
        file_grades = grades.get(record.id, [])
        reason = None
        if record.id in finals:
            reason = ("it already has a final grade "
                      f"({schemes.label(case.scheme, finals[record.id])})")
        elif record.error and not record.error.startswith(DAMAGED_VIDEO):
            reason = "it could not be read or decoded, so it cannot be shown"
        elif result is None:
            reason = "matching has no verdict on it yet"
        elif not unknown:
            reason = (f"a trusted hash set already puts it in "
                      f"{schemes.label(case.scheme, result.category)}"
                      if result.category is not None
                      else "a trusted hash set knows it as benign")
        elif any(g.user_id == user.id for g in file_grades):
            reason = "you have already graded it"
        elif len({g.category for g in file_grades}) > 1:
            reason = "its graders disagree: it is waiting for a supervisor"
        out[record.id] = (reason, near_miss)
    return out


def build_queue(session: Session, case: Case, user: User, settings: GradingSettings,
                verdicts: VerdictLookup = file_results) -> list[QueueItem]:
    """The user's queue for ``case``, most urgent first: near-misses (and indicative matches)
    of severe known material, then larger clusters.  Excludes files already final, disputed,
    or graded by this user."""
    media = _case_media(session, case)
    if not media:
        return []
    status = _queue_status(session, case, user, media, verdicts)
    near = {fid: hint for fid, (reason, hint) in status.items() if reason is None}
    pending = [record for record in media if record.id in near]

    # Exact duplicates stack (same SHA-256, else MD5); each stack then joins a PDQ cluster.
    stacks: dict[str, list[FileRecord]] = {}
    for record in pending:
        stacks.setdefault(record.sha256 or record.md5 or f"id:{record.id}", []).append(record)
    stack_list = list(stacks.values())
    parent = list(range(len(stack_list)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Near-duplicate pairs come from matching's exact PDQ index (all pairs within the
    # threshold, as brute force would find them, without a quadratic Python loop).
    hashed = [(i, s[0].pdq) for i, s in enumerate(stack_list) if s[0].pdq_eligible]
    if len(hashed) > 1:
        words = hex_to_words(h for _, h in hashed)
        qi, rows, _dist = PdqIndex.build(words).search(words, settings.pdq_cluster_threshold)
        for a, b in zip(qi.tolist(), rows.tolist(), strict=True):
            if a != b:
                parent[find(hashed[a][0])] = find(hashed[b][0])
    clusters: dict[int, list[list[FileRecord]]] = defaultdict(list)
    for i, stack in enumerate(stack_list):
        clusters[find(i)].append(stack)

    items = []
    for member_stacks in clusters.values():
        member_stacks.sort(key=lambda s: (-len(s), s[0].id))
        files = [f for s in member_stacks for f in s]
        near_cats = [near[f.id] for f in files if near.get(f.id)]
        worst = max(near_cats, key=lambda c: schemes.severity(case.scheme, c), default=None)
        item = QueueItem(key=f"c{min(f.id for f in files)}", stacks=member_stacks,
                         near_miss=worst)
        item.priority = (-(schemes.severity(case.scheme, worst) + 1 if worst else 0),
                         -len(files), files[0].id)
        items.append(item)
    items.sort(key=lambda it: it.priority)
    return items


def graders_required(settings: GradingSettings, scheme: str, category: str,
                     hint: str | None = None) -> int:
    """Independent graders needed before ``category`` is final for a file whose matches hint
    at ``hint``: the category's own number (``settings.graders_required``), and never fewer
    than for the hinted category; a grade *below* the hint needs at least :data:`DUAL`."""
    needed = settings.graders_required.get(category, 1)
    if hint:
        needed = max(needed, settings.graders_required.get(hint, 1))
        if schemes.severity(scheme, category) < schemes.severity(scheme, hint):
            needed = max(needed, DUAL)
    return needed


def _finalise(session: Session, case: Case, file_id: int, required: int) -> str:
    """Make a file's grade final if its graders agree and are at least ``required``;
    returns its state: "final", "pending" (more graders needed) or "disputed"."""
    grades = _active_grades(session, [file_id]).get(file_id, [])
    cats = {g.category for g in grades}
    if len(cats) > 1:
        return "disputed"
    if grades and len(grades) >= required:
        names = session.scalars(select(User.username).where(
            User.id.in_([g.user_id for g in grades])).order_by(User.username)).all()
        session.add(FinalGrade(case_id=case.id, file_id=file_id, category=cats.pop(),
                               method=CONSENSUS if len(grades) > 1 else SINGLE_GRADER,
                               decided_by=",".join(names)[:200]))
        return "final"
    return "pending"


def _case_files(session: Session, case: Case, file_ids: list[int]) -> list[FileRecord]:
    ids = sorted(set(file_ids))
    if not ids:
        raise GradingError("no files given")
    records = list(session.scalars(
        select(FileRecord).join(Exhibit, FileRecord.exhibit_id == Exhibit.id)
        .where(Exhibit.case_id == case.id, FileRecord.id.in_(ids),
               FileRecord.media_class.in_(MEDIA_CLASSES))))
    if len(records) != len(ids):
        raise GradingError("some files are not media of this case")
    return records


def _not_in_queue(status: dict[int, tuple[str | None, str | None]]) -> str | None:
    """The refusal for files outside the user's queue (None when all are in it)."""
    refused = [(fid, reason) for fid, (reason, _hint) in sorted(status.items()) if reason]
    if not refused:
        return None
    shown = "; ".join(f"file {fid}: {reason}" for fid, reason in refused[:2])
    more = f"; {len(refused) - 2} more" if len(refused) > 2 else ""
    return (f"Not graded, only files in your queue can be ({shown}{more}). A supervisor "
            "overrides a hash-set category from the file's page.")


def _not_displayable(session: Session, records: list[FileRecord],
                     reader: thumbnails.MediaReader | None) -> str | None:
    """The refusal for media nobody can have seen (None when every file can be shown).
    Exact duplicates share their content: one of them shown is all of them shown."""
    by_content: dict[str, list[FileRecord]] = defaultdict(list)
    for record in records:
        by_content[record.sha256 or record.md5 or f"id:{record.id}"].append(record)
    refused: list[tuple[int, str]] = []
    with thumbnails.shared_sources():
        for copies in by_content.values():
            problems = []
            for record in copies:
                problem = thumbnails.display_problem(session, record, reader)
                if problem is None:
                    break
                problems.append((record.id, problem))
            else:
                refused.extend(problems)
    if not refused:
        return None
    fid, problem = refused[0]
    more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    return (f"Not graded: file {fid}{more} cannot be displayed, and media nobody could see "
            f"cannot be graded; tell your supervisor. ({problem[:120]})")


def submit_grade(session: Session, settings: GradingSettings, case: Case, user: User,
                 file_ids: list[int], category: str,
                 reader: thumbnails.MediaReader | None = None,
                 verdicts: VerdictLookup = file_results) -> dict:
    """Grade files of the user's queue (one decision, e.g. a whole cluster) and audit it.
    ``reader`` reads originals to check they can be shown (default: the evidence).
    Caller commits."""
    if category not in schemes.codes(case.scheme):
        raise GradingError(f"unknown category {category!r} for scheme {case.scheme}")
    reason = paused_reason(session, user)
    if reason:
        raise GradingError(reason)
    records = _case_files(session, case, file_ids)
    ids = [r.id for r in records]
    status = _queue_status(session, case, user, records, verdicts)
    refusal = _not_in_queue(status) or _not_displayable(session, records, reader)
    if refusal:
        raise GradingError(refusal)
    now = utcnow()
    seconds = _active_seconds(session, user, now)
    decision = uuid.uuid4().hex
    for record in records:
        session.add(Grade(case_id=case.id, file_id=record.id, user_id=user.id,
                          category=category, decision=decision, at=now))
    session.flush()
    states = {fid: _finalise(session, case, fid, graders_required(
        settings, case.scheme, category, status[fid][1])) for fid in ids}
    counters = _exposure(session, user.id, now, category)
    counters.items_graded += len(ids)
    counters.seconds_grading += seconds
    audit.record(session, user.username, "grade", case=case.reference,
                 target=",".join(map(str, ids))[:1000],
                 details={"category": category, "files": ids, "decision": decision})
    return {"decision": decision, "states": states}


def undo_last(session: Session, case: Case, user: User) -> dict | None:
    """Withdraw the user's latest decision in ``case``; None if there is nothing to undo."""
    last = session.scalar(select(Grade).where(
        Grade.case_id == case.id, Grade.user_id == user.id, Grade.withdrawn_at.is_(None))
        .order_by(Grade.at.desc(), Grade.id.desc()).limit(1))
    if last is None:
        return None
    grades = list(session.scalars(select(Grade).where(Grade.decision == last.decision)))
    ids = [g.file_id for g in grades]
    finals = list(session.scalars(select(FinalGrade).where(FinalGrade.file_id.in_(ids))))
    if any(f.method not in (SINGLE_GRADER, CONSENSUS) for f in finals):
        raise GradingError("a supervisor has already decided these files")
    for final in finals:
        session.delete(final)  # the consensus relied on the grade being withdrawn
    now = utcnow()
    for grade in grades:
        grade.withdrawn_at = now
    audit.record(session, user.username, "grade.undo", case=case.reference,
                 target=",".join(map(str, ids))[:1000],
                 details={"decision": last.decision, "category": last.category, "files": ids})
    return {"decision": last.decision, "files": ids, "category": last.category}


def disputed(session: Session, case: Case) -> list[tuple[FileRecord, list[tuple[str, str]]]]:
    """Files whose graders disagree and no supervisor has resolved: (file, [(user, cat)])."""
    finals = set(session.scalars(select(FinalGrade.file_id).where(FinalGrade.case_id == case.id)))
    ids = [fid for fid in session.scalars(select(Grade.file_id).where(
        Grade.case_id == case.id, Grade.withdrawn_at.is_(None)).distinct()) if fid not in finals]
    grades = _active_grades(session, ids)
    names = dict(session.execute(select(User.id, User.username)).all())
    out = []
    for fid in sorted(ids):
        file_grades = grades.get(fid, [])
        if len({g.category for g in file_grades}) > 1:
            out.append((session.get(FileRecord, fid),
                        [(names.get(g.user_id, "?"), g.category) for g in file_grades]))
    return out


def resolve(session: Session, case: Case, supervisor: User, file_id: int, category: str) -> None:
    """A supervisor's final grade for a disputed file.  Caller commits."""
    if category not in schemes.codes(case.scheme):
        raise GradingError(f"unknown category {category!r}")
    if file_id not in {f.id for f, _ in disputed(session, case)}:
        raise GradingError("this file is not awaiting resolution")
    session.add(FinalGrade(case_id=case.id, file_id=file_id, category=category,
                           method=SUPERVISOR, decided_by=supervisor.username))
    audit.record(session, supervisor.username, "grade.resolve", case=case.reference,
                 target=str(file_id), details={"category": category})


def override(session: Session, case: Case, supervisor: User, record: FileRecord,
             category: str, reason: str, reader: thumbnails.MediaReader | None = None,
             verdicts: VerdictLookup = file_results) -> dict:
    """A supervisor's final grade that replaces a trusted hash-set category (or a final
    grade), with a mandatory reason; recorded as ``override`` and audited with what it
    replaced.  The file must be displayable, as for any grade.  Caller commits."""
    if not is_supervisor(supervisor):
        raise GradingError("Only a supervisor can override a hash match or a final grade.")
    if category not in schemes.codes(case.scheme):
        raise GradingError(f"unknown category {category!r} for scheme {case.scheme}")
    reason = " ".join(reason.split())
    if not reason:
        raise GradingError("An override needs a reason.")
    if record.media_class not in MEDIA_CLASSES:
        raise GradingError("Only pictures and videos are graded.")
    target = file_grading(session, record, verdicts)
    if target.result is None:
        raise GradingError("matching has no verdict on this file, so there is nothing to "
                           "override")
    if not target.overridable:
        raise GradingError("Nothing to override: this file is unknown media; it is graded "
                           "in the grading queue.")
    refusal = _not_displayable(session, [record], reader)
    if refusal:
        raise GradingError(refusal)
    previous = target.final
    replaced = {"category": target.result.category,
                "known_benign": target.result.known_benign,
                "final": ({"category": previous.category, "method": previous.method,
                           "decided_by": previous.decided_by} if previous else None),
                "matches": [m.summary() for m in target.result.matches if not m.indicative]}
    if previous is not None:
        session.delete(previous)
        session.flush()
    session.add(FinalGrade(case_id=case.id, file_id=record.id, category=category,
                           method=OVERRIDE, decided_by=supervisor.username,
                           reason=reason[:2000]))
    audit.record(session, supervisor.username, "grade.override", case=case.reference,
                 target=str(record.id),
                 details={"category": category, "reason": reason[:2000], "replaced": replaced})
    return replaced


@dataclass
class FileGrading:
    """Everything the file page shows about how a file is categorised."""

    result: FileVerdict | None  # matching's verdict (None: matching has none)
    final: FinalGrade | None
    grades: list[tuple[str, Grade]]  # (grader, grade), oldest first, withdrawn ones too
    overridable: bool  # a supervisor may override its category


def file_grading(session: Session, record: FileRecord,
                 verdicts: VerdictLookup = file_results) -> FileGrading:
    result = verdicts(session, [record.id]).get(record.id)
    final = session.scalar(select(FinalGrade).where(FinalGrade.file_id == record.id))
    grades = [(name, grade) for grade, name in session.execute(
        select(Grade, User.username).join(User, User.id == Grade.user_id)
        .where(Grade.file_id == record.id).order_by(Grade.at, Grade.id))]
    overridable = record.media_class in MEDIA_CLASSES and (final is not None or (
        result is not None and (result.category is not None or result.known_benign)))
    return FileGrading(result, final, grades, overridable)


# --- reveals and welfare -------------------------------------------------------------------

def _exposure(session: Session, user_id: int, now: datetime, category: str) -> ExposureDay:
    row = session.scalar(select(ExposureDay).where(
        ExposureDay.user_id == user_id, ExposureDay.day == now.date(),
        ExposureDay.category == category))
    if row is None:
        row = ExposureDay(user_id=user_id, day=now.date(), category=category, reveals=0,
                          items_graded=0, seconds_grading=0)
        session.add(row)
        session.flush()
    return row


def _active_seconds(session: Session, user: User, now: datetime) -> int:
    """Grading time since the user's previous grading action, if it was recent enough."""
    last = session.scalar(select(func.max(Grade.at)).where(Grade.user_id == user.id))
    if last is None or now - last > ACTIVE_GAP:
        return 0
    return int((now - last).total_seconds())


def today_totals(session: Session, user: User, now: datetime | None = None) -> dict:
    now = now or utcnow()
    row = session.execute(select(
        func.coalesce(func.sum(ExposureDay.reveals), 0),
        func.coalesce(func.sum(ExposureDay.items_graded), 0),
        func.coalesce(func.sum(ExposureDay.seconds_grading), 0))
        .where(ExposureDay.user_id == user.id, ExposureDay.day == now.date())).one()
    return {"reveals": int(row[0]), "items_graded": int(row[1]), "minutes": int(row[2]) // 60}


def paused_reason(session: Session, user: User) -> str | None:
    """Why grading is paused for the user today (an admin-set daily limit), or None."""
    totals = today_totals(session, user)
    if user.daily_reveal_limit is not None and totals["reveals"] >= user.daily_reveal_limit:
        return ("You have reached today's limit of revealed items. Grading is paused until "
                "tomorrow; please take a break and talk to your supervisor if you need to.")
    if (user.daily_grading_minutes_limit is not None
            and totals["minutes"] >= user.daily_grading_minutes_limit):
        return ("You have reached today's grading time limit. Grading is paused until "
                "tomorrow; please take a break.")
    return None


def break_due(session: Session, user: User, settings: GradingSettings) -> bool:
    """True after an unbroken stretch of grading longer than ``settings.break_after``."""
    now = utcnow()
    times = session.scalars(select(Grade.at).where(
        Grade.user_id == user.id, Grade.at >= now - settings.break_after - ACTIVE_GAP)
        .order_by(Grade.at.desc())).all()
    if not times or now - times[0] > ACTIVE_GAP:
        return False
    start = times[0]
    for earlier in times[1:]:
        if start - earlier > ACTIVE_GAP:
            break
        start = earlier
    return now - start >= settings.break_after


def reveal(session: Session, settings: GradingSettings, case: Case, user: User,
           record: FileRecord) -> Reveal:
    """Grant a short window to see one item unblurred; audited and counted.  Caller commits."""
    reason = paused_reason(session, user)
    if reason:
        raise GradingError(reason)
    now = utcnow()
    row = Reveal(user_id=user.id, file_id=record.id, at=now,
                 expires_at=now + settings.reveal_window)
    session.add(row)
    final = session.scalar(select(FinalGrade.category).where(FinalGrade.file_id == record.id))
    _exposure(session, user.id, now, final or "").reveals += 1
    audit.record(session, user.username, "media.reveal", case=case.reference,
                 target=str(record.id))
    return row


def has_reveal(session: Session, user: User, file_id: int) -> bool:
    return session.scalar(select(Reveal.id).where(
        Reveal.user_id == user.id, Reveal.file_id == file_id,
        Reveal.expires_at > utcnow()).limit(1)) is not None


def exposure_report(session: Session, days: int = 7, user_ids=None) -> list[dict]:
    """Per user and category, counters over the last ``days`` days (supervisor view), for
    the users in ``user_ids`` (ids or a SELECT of them; None: everyone)."""
    since = utcnow().date() - timedelta(days=days - 1)
    query = (select(User.username, ExposureDay.category, func.sum(ExposureDay.reveals),
                    func.sum(ExposureDay.items_graded), func.sum(ExposureDay.seconds_grading))
             .join(User, User.id == ExposureDay.user_id).where(ExposureDay.day >= since))
    if user_ids is not None:
        query = query.where(ExposureDay.user_id.in_(user_ids))
    rows = session.execute(query.group_by(User.username, ExposureDay.category)
                           .order_by(User.username, ExposureDay.category)).all()
    return [{"user": u, "category": c or "-", "reveals": int(r or 0),
             "items_graded": int(i or 0), "minutes": int(s or 0) // 60} for u, c, r, i, s in rows]
