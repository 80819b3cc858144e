"""Forensic indicators pre-filled from a case's scans and matches, each with evidence links.

The assessor confirms or corrects every indicator; these are leads, never findings.

* ``category_counts`` - distinct media per category (still / moving), as the case counts
  page shows them (distinct by content; the most severe category of copies counts).
* ``category_a`` - any media in the scheme's most severe category (Category A in the UK).
* ``indecent_total`` / ``indecent_moving`` - distinct media in a non-benign category.
* ``unknown_share`` - share of media no hash set knows: possible new material.
* ``possible_production`` - camera-original images (EXIF make/model) whose camera matches a
  seized device of the case (make and model, and serial where both have one), among
  indecent or not-yet-graded images.  Unknown (None) when no seized device has make/model.
* ``multi_device`` - indecent media found on more than one exhibit.
* ``time_span_days`` - days between the earliest and latest indecent media (EXIF capture
  time, else file creation, else modification time).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.casework import conditions
from seawall.casework.instruments import Instrument
from seawall.hashsets.scheme import case_scheme
from seawall.matching.service import file_results
from seawall.matching.verdict import NO_VERDICT, FileVerdict, VerdictLookup
from seawall.store.casework_models import SeizedDevice, Suspect
from seawall.store.models import Case, Exhibit, FileRecord, utcnow

MEDIA: dict[str | None, str] = {"image": "still", "video": "moving"}
MAX_LINKED_FILES = 20  # evidence links listed per indicator; counts always cover everything


def _case_path(case: Case, *parts) -> str:
    from urllib.parse import quote

    tail = "".join(f"/{quote(str(p), safe='')}" for p in parts)
    return f"/cases/{quote(case.reference, safe='')}{tail}"


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().casefold())


def _camera_matches(exif: dict, device: SeizedDevice) -> bool:
    make, model = _norm(exif.get("make")), _norm(exif.get("model"))
    dmake, dmodel = _norm(device.make), _norm(device.model)
    if not (make and model and dmake and dmodel):
        return False
    # Vendors repeat the make inside the model ("Canon" / "Canon EOS 80D"): compare without it.
    strip = lambda m, k: m[len(k):].strip() if m.startswith(k) else m  # noqa: E731
    if not (make.startswith(dmake) or dmake.startswith(make)):
        return False
    if strip(model, make) != strip(dmodel, dmake):
        return False
    serial, dserial = _norm(exif.get("serial")), _norm(device.serial)
    return not (serial and dserial and serial != dserial)


def _timestamp(record: FileRecord) -> datetime | None:
    raw = (record.exif or {}).get("datetime_original")
    if raw:
        try:
            return datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            pass  # damaged EXIF dates are common; fall back to file system times
    return record.crtime or record.mtime


def compute(session: Session, case: Case, results: VerdictLookup | None = None) -> dict:
    """Indicators for ``case``: {"computed_at", "scheme", "available", "warnings",
    "indicators": {id: {"value", "summary", "evidence": [{"label", "href"}], ...}}}.
    ``results`` are the matching verdicts (default: ``matching.service.file_results``); the
    web app hands in its own so every page of a case agrees on what a file is."""
    scheme = case_scheme(case.scheme)
    warnings: list[str] = []
    rows = session.execute(
        select(FileRecord, Exhibit.reference)
        .join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
        .where(Exhibit.case_id == case.id, FileRecord.media_class.in_(list(MEDIA)))
        .order_by(FileRecord.id)).all()
    try:
        verdicts: dict[int, FileVerdict] = dict(
            (results or file_results)(session, [r[0].id for r in rows]))
        available = True
    except Exception as exc:  # noqa: BLE001 - the assessment must still open without matching
        verdicts, available = {}, False
        warnings.append(f"matching results unavailable ({exc.__class__.__name__}): forensic "
                        "indicators could not be computed; answer the items by hand")
    columns = [*scheme.names, "known_benign", "unknown"]
    rank = {c: i for i, c in enumerate(columns)}
    distinct: dict[tuple, str] = {}
    pertinent: list[tuple[FileRecord, str]] = []
    candidates: list[tuple[FileRecord, str, str]] = []  # images that may be camera-original
    for record, exhibit in rows:
        verdict = verdicts.get(record.id, NO_VERDICT)
        category, column = verdict.category, verdict.column
        if category is not None:
            rank.setdefault(column, len(rank))
            if column not in columns:
                columns.append(column)
        key = (MEDIA[record.media_class], record.sha256 or record.sha1 or record.md5
               or f"file:{record.id}")
        if key not in distinct or rank[column] < rank[distinct[key]]:
            distinct[key] = column
        is_pertinent = category is not None and not scheme.is_benign(category)
        if is_pertinent:
            pertinent.append((record, exhibit))
        if (record.media_class == "image" and (is_pertinent or column == "unknown")
                and record.exif and record.exif.get("make") and record.exif.get("model")):
            candidates.append((record, exhibit, column))
    counts = {c: {"still": 0, "moving": 0} for c in columns}
    for (motion, _), column in distinct.items():
        counts[column][motion] += 1
    media_total = len(distinct)
    indecent = {k: c for k, c in distinct.items()
                if c not in ("known_benign", "unknown") and not scheme.is_benign(c)}
    most_severe = scheme.names[0] if scheme.names else None
    file_link = lambda r, ex: {"label": f"{ex}: {r.path}", "href": _case_path(case, "files", r.id)}  # noqa: E731
    out: dict[str, dict] = {}
    summary = ", ".join(f"{c}: {n['still']} still / {n['moving']} moving"
                        for c, n in counts.items() if n["still"] or n["moving"]) or "no media"
    out["category_counts"] = {
        "title": "Counts per category", "value": counts if available else None,
        "summary": summary, "evidence": [{"label": "Case counts", "href": _case_path(case)}]}
    a_count = sum(1 for c in indecent.values() if c == most_severe)
    out["category_a"] = {
        "title": f"Category {most_severe} present", "value": (a_count > 0) if available else None,
        "summary": f"{a_count} distinct media in category {most_severe}",
        "evidence": [file_link(r, ex) for r, ex in pertinent
                     if verdicts.get(r.id, NO_VERDICT).category == most_severe
                     ][:MAX_LINKED_FILES]}
    moving = sum(1 for (motion, _) in indecent if motion == "moving")
    out["indecent_total"] = {
        "title": "Volume of indecent media", "value": len(indecent) if available else None,
        "summary": f"{len(indecent)} distinct indecent media ({moving} moving)",
        "evidence": [{"label": "Case counts", "href": _case_path(case)}]}
    out["indecent_moving"] = {
        "title": "Indecent videos", "value": moving if available else None,
        "summary": f"{moving} distinct indecent videos", "evidence": []}
    unknown_n = sum(1 for c in distinct.values() if c == "unknown")
    share = round(unknown_n / media_total, 4) if media_total and available else None
    out["unknown_share"] = {
        "title": "Share of unknown media (possible new material)", "value": share,
        "summary": (f"{unknown_n} of {media_total} distinct media ({share:.0%}) are not known "
                    "to any hash set") if share is not None else "no media",
        "evidence": [{"label": "Grade unknown media", "href": _case_path(case, "grade")}]}
    devices = session.scalars(select(SeizedDevice).where(SeizedDevice.case_id == case.id)
                              .order_by(SeizedDevice.reference)).all()
    described = [d for d in devices if d.make and d.model]
    produced = [(r, ex, col, d) for r, ex, col in candidates for d in described
                if _camera_matches(r.exif, d)]
    graded = [p for p in produced if p[2] != "unknown"]
    if not available or not described:
        production = None
        why = ("no seized device has make and model recorded" if available
               else "matching unavailable")
        production_summary = f"cannot tell: {why}"
    else:
        production = bool(produced)
        production_summary = (f"{len(produced)} camera-original images match a seized device "
                              f"({len(graded)} indecent, {len(produced) - len(graded)} not yet "
                              "graded)") if produced else (
            f"no indecent or unknown camera-original image matches the {len(described)} "
            "described seized device(s)")
    out["possible_production"] = {
        "title": "Camera-original images from a seized device (possible production)",
        "value": production, "summary": production_summary,
        "devices": sorted({d.reference for *_, d in produced}),
        "evidence": [file_link(r, ex) | {"label": f"{ex}: {r.path} ({col}; "
                                                  f"{r.exif.get('make')} {r.exif.get('model')}"
                                                  f" = {d.reference})"}
                     for r, ex, col, d in produced][:MAX_LINKED_FILES]}
    by_exhibit: dict[str, set] = {}
    for record, exhibit in pertinent:
        by_exhibit.setdefault(exhibit, set()).add(record.sha256 or record.md5 or record.id)
    shared = set()
    seen: dict = {}
    for exhibit, keys in by_exhibit.items():
        for key in keys:
            if key in seen and seen[key] != exhibit:
                shared.add(key)
            seen.setdefault(key, exhibit)
    out["multi_device"] = {
        "title": "Indecent media on several devices",
        "value": (len(by_exhibit) > 1) if available else None,
        "summary": (", ".join(f"{ex}: {len(k)}" for ex, k in sorted(by_exhibit.items()))
                    or "none") + f"; {len(shared)} identical items on more than one exhibit",
        "exhibits": {ex: len(k) for ex, k in sorted(by_exhibit.items())},
        "evidence": [{"label": f"Files of {ex}",
                      "href": _case_path(case, "files") + f"?exhibit={ex}"}
                     for ex in sorted(by_exhibit)]}
    stamped = sorted(((t, r, ex) for r, ex in pertinent if (t := _timestamp(r)) is not None),
                     key=lambda x: x[0])
    if not available:
        span, span_summary, span_evidence = None, "matching unavailable", []
    elif not pertinent:
        span, span_summary, span_evidence = 0, "no indecent media", []
    elif not stamped:
        span, span_summary, span_evidence = None, "indecent media carry no usable dates", []
    else:
        first, last = stamped[0], stamped[-1]
        span = (last[0] - first[0]).days
        span_summary = f"{span} days ({first[0]:%Y-%m-%d} to {last[0]:%Y-%m-%d})"
        span_evidence = [file_link(first[1], first[2]) | {"label": f"earliest: {first[1].path}"},
                         file_link(last[1], last[2]) | {"label": f"latest: {last[1].path}"}]
    out["time_span_days"] = {"title": "Time span of indecent media", "value": span,
                             "summary": span_summary, "evidence": span_evidence}
    return {"computed_at": utcnow().isoformat(timespec="seconds"), "scheme": scheme.name,
            "available": available, "warnings": warnings, "indicators": out}


def age_on(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def facts(suspect: Suspect | None, indicators: dict, on: date | None = None) -> dict:
    """Flat facts for pre-fill and pathway rules: suspect.* and indicator.* values."""
    on = on or utcnow().date()
    out = {f"indicator.{k}": v.get("value")
           for k, v in (indicators.get("indicators") or {}).items()}
    out["suspect.age"] = age_on(suspect.date_of_birth, on) if suspect else None
    return out


def _facts_in(cond) -> set[str]:
    if "all" in cond or "any" in cond:
        return set().union(*(_facts_in(c) for c in cond.get("all", cond.get("any", []))))
    if "not" in cond:
        return _facts_in(cond["not"])
    return {cond["fact"]} if "fact" in cond else set()


def prefill(instrument: Instrument, known: dict, indicators: dict) -> dict[str, dict]:
    """Suggested answers {item: {"answer", "note", "source", "evidence"}} from the first
    pre-fill rule of each item that is definitely true.  Suggestions only: the assessor
    confirms or corrects each one."""
    lookup = lambda kind, name: known.get(name) if kind == "fact" else None  # noqa: E731
    found = indicators.get("indicators") or {}
    out = {}
    for item in instrument.items:
        for rule in item.prefill:
            if conditions.evaluate(rule["when"], lookup) is True:
                names = _facts_in(rule["when"])
                evidence = [e for n in sorted(names) if n.startswith("indicator.")
                            for e in found.get(n.split(".", 1)[1], {}).get("evidence", [])]
                out[item.id] = {"answer": rule["answer"], "note": rule.get("note", ""),
                                "source": "forensic" if any(n.startswith("indicator.")
                                                            for n in names) else "record",
                                "evidence": evidence[:MAX_LINKED_FILES]}
                break
    return out
