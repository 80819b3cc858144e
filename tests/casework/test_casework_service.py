"""Cases, suspects, forensic indicators from a small scanned and matched case, assessments
with history, and audited pathway decisions."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from seawall.casework import indicators, service
from seawall.matching import NO_VERDICT, FileVerdict
from seawall.store.audit import verify
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.models import Case, Exhibit, FileRecord
from seawall.store.queries import case_by_reference

PHONE = {"make": "Apple", "model": "iPhone 12", "serial": None,
         "datetime_original": "2023:06:01 12:00:00"}
CANON = {"make": "Canon", "model": "Canon EOS 80D", "serial": "123"}
VERDICTS: dict[int, FileVerdict] = {}


def results(_session, file_ids):
    return {fid: VERDICTS.get(fid, NO_VERDICT) for fid in file_ids}


def verdict(category=None, benign=False):
    return FileVerdict(category=category, known_benign=benign)


@pytest.fixture
def url(empty_db_url):
    url = empty_db_url
    VERDICTS.clear()
    with session_scope(url) as s:
        case = Case(reference="OP-CW", scheme="uk")
        phone = Exhibit(case=case, reference="EX1-PHONE", source_kind="directory", status="done")
        laptop = Exhibit(case=case, reference="EX2-LAPTOP", source_kind="directory",
                         status="done")
        s.add_all([case, phone, laptop])
        specs = [  # key, exhibit, media, sha, exif, mtime, verdict
            ("own_photo", phone, "image", "a", PHONE, None, verdict("A")),
            ("shared_1", phone, "image", "b", None, datetime(2022, 1, 1), verdict("C")),
            ("old_video", laptop, "video", "c", None, datetime(2020, 1, 1), verdict("B")),
            ("new_image", laptop, "image", "d", CANON, None, verdict()),
            ("shared_2", laptop, "image", "b", None, datetime(2022, 1, 1), verdict("C")),
            ("logo", laptop, "image", "e", None, datetime(2019, 1, 1), verdict(benign=True)),
            ("notes", laptop, "other", "f", None, None, verdict()),
        ]
        for key, exhibit, media, sha, exif, mtime, result in specs:
            record = FileRecord(exhibit=exhibit, file_key=key, path=f"/{key}", media_class=media,
                                sha256=sha * 64, exif=exif, mtime=mtime)
            s.add(record)
            s.flush()
            VERDICTS[record.id] = result
    return url


def test_indicators_from_scans_and_matches(url):
    with session_scope(url) as s:
        case = case_by_reference(s, "OP-CW")
        found = indicators.compute(s, case, results)
        ind = found["indicators"]
        assert found["available"] and found["scheme"] == "uk"
        counts = ind["category_counts"]["value"]
        assert counts["A"] == {"still": 1, "moving": 0}
        assert counts["B"] == {"still": 0, "moving": 1}
        assert counts["C"] == {"still": 1, "moving": 0}  # same content on two exhibits: once
        assert counts["unknown"] == {"still": 1, "moving": 0}
        assert counts["known_benign"] == {"still": 1, "moving": 0}
        assert ind["category_a"]["value"] is True
        assert ind["indecent_total"]["value"] == 3 and ind["indecent_moving"]["value"] == 1
        assert ind["unknown_share"]["value"] == 0.2
        # No seized device described yet: production cannot be judged either way.
        assert ind["possible_production"]["value"] is None
        assert ind["multi_device"]["value"] is True
        assert ind["multi_device"]["exhibits"] == {"EX1-PHONE": 2, "EX2-LAPTOP": 2}
        assert ind["time_span_days"]["value"] == (datetime(2023, 6, 1, 12)
                                                  - datetime(2020, 1, 1)).days
        assert ind["time_span_days"]["evidence"][0]["href"].startswith("/cases/OP-CW/files/")

        service.add_device(s, case, "PHONE-1", actor="t", make="apple", model="iPhone 12",
                           exhibit="EX1-PHONE")
        ind = indicators.compute(s, case, results)["indicators"]
        production = ind["possible_production"]
        assert production["value"] is True and production["devices"] == ["PHONE-1"]
        assert len(production["evidence"]) == 1 and "/own_photo" in production["evidence"][0][
            "label"]
        # A camera that is not a seized device, and a serial mismatch, are not production.
        service.add_device(s, case, "CAM-2", actor="t", make="Canon", model="EOS 80D",
                           serial="999")
        ind = indicators.compute(s, case, results)["indicators"]
        assert ind["possible_production"]["devices"] == ["PHONE-1"]


def test_matching_unavailable_leaves_indicators_unknown(url):
    def broken(_s, _ids):
        raise RuntimeError("no index")

    with session_scope(url) as s:
        found = indicators.compute(s, case_by_reference(s, "OP-CW"), broken)
        assert not found["available"] and found["warnings"]
        assert all(i["value"] is None for i in found["indicators"].values())


def test_prefill_assessment_reassessment_and_history(url):
    with session_scope(url) as s:
        case = case_by_reference(s, "OP-CW")
        suspect = service.add_suspect(s, case, "S-001", actor="ivan",
                                      date_of_birth="1990-02-03", circumstances="NCA referral")
        service.add_device(s, case, "PHONE-1", actor="ivan", make="Apple", model="iPhone 12",
                           suspect=suspect)
        prepared = service.prepare(s, case, suspect, "seawall-prioritisation", results)
        suggested = {k: v["answer"] for k, v in prepared["suggestions"].items()}
        assert suggested == {"production": "yes", "category_a": "yes",
                             "collection_scale": "yes"}
        assert prepared["suggestions"]["production"]["evidence"]
        assert service.prepare(s, case, suspect, "cport", results)["suggestions"][
            "young_age"]["source"] == "record"

        answers = {i: "no" for i in ("prev_contact_sexual", "prev_noncontact_sexual",
                                     "prev_custody", "access_household", "access_other",
                                     "grooming_incitement", "sexual_communication_adults",
                                     "distribution", "other_convictions", "domestic_abuse",
                                     "substance_misuse")}
        first = service.assess(s, case, suspect, "seawall-prioritisation",
                               answers | {"production": "yes"}, actor="ivan", results=results)
        assert first.status == "incomplete" and first.band == "incomplete"
        assert first.result["missing"] == ["category_a", "collection_scale"]
        assert first.answers["production"]["source"] == "forensic (confirmed)"

        second = service.assess(
            s, case, suspect, "seawall-prioritisation",
            answers | {"production": {"answer": "no", "note": "photos are of a car"},
                       "category_a": "yes", "collection_scale": "unknown"},
            actor="ivan", results=results,
            review={"possible_production": {"status": "corrected",
                                            "note": "reviewed: not indecent"}})
        assert (second.version, second.supersedes_id) == (2, first.id)
        assert second.status == "complete" and (second.score, second.band) == (2, "low")
        assert second.answers["production"]["source"] == "forensic (corrected)"
        assert second.indicators["review"]["possible_production"]["status"] == "corrected"
        assert second.reason == "reassessment"

        with pytest.raises(service.CaseworkError, match="say what is wrong"):
            service.assess(s, case, suspect, "seawall-prioritisation", answers, actor="ivan",
                           results=results, review={"multi_device": {"status": "corrected"}})

        # New forensic results arrive: the reassessment records why.
        laptop = s.scalar(select(Exhibit).where(Exhibit.reference == "EX2-LAPTOP"))
        record = FileRecord(exhibit=laptop, file_key="late", path="/late", media_class="video",
                            sha256="9" * 64)
        s.add(record)
        s.flush()
        VERDICTS[record.id] = verdict("A")
        prepared = service.prepare(s, case, suspect, "seawall-prioritisation", results)
        assert "indecent_total" in prepared["changed"]
        third = service.assess(s, case, suspect, "seawall-prioritisation",
                               second.answers, actor="ivan", results=results)
        assert third.reason.startswith("new forensic results: ")
        history = service.history(s, suspect)
        assert [a["version"] for a in history["assessments"]] == [1, 2, 3]
        assert history["assessments"][0]["band"] == "incomplete"  # kept, never rewritten


def test_pathway_decision_needs_reason_to_depart_and_is_audited(url):
    with session_scope(url) as s:
        case = case_by_reference(s, "OP-CW")
        suspect = service.add_suspect(s, case, "S-002", actor="ivan", date_of_birth="1980-01-01")
        service.update_suspect(s, suspect, actor="ivan",
                               facts={"admission": "yes", "consent": "yes",
                                      "evidence_sufficient": "yes"})
        service.add_device(s, case, "PHONE-1", actor="ivan", make="Nokia", model="3310")
        items = service.prepare(s, case, suspect, "seawall-prioritisation",
                                results)["instrument"].items
        service.assess(s, case, suspect, "seawall-prioritisation",
                       {i.id: "no" for i in items}, actor="ivan", results=results)
        advice = service.recommendation(s, case, suspect, results)
        assert advice["recommended"] == "low_risk_diversion", advice
        with pytest.raises(service.CaseworkError, match="needs a written reason"):
            service.decide(s, case, suspect, "standard_investigation", actor="sam",
                           results=results)
        with pytest.raises(service.CaseworkError, match="pathway must be one of"):
            service.decide(s, case, suspect, "prison", actor="sam", results=results)
        agreed = service.decide(s, case, suspect, "low_risk_diversion", actor="sam",
                                results=results)
        assert not agreed.departure
        departed = service.decide(s, case, suspect, "standard_investigation", actor="sam",
                                  reason="Further devices still to be examined.",
                                  results=results)
        assert departed.departure and departed.recommended == "low_risk_diversion"
        service.update_case(s, case, actor="sam", status="diversion")
        with pytest.raises(service.CaseworkError):
            service.update_case(s, case, actor="sam", status="lost")
        data = service.case_json(s, case)
        assert data["status"] == "diversion"
        assert data["suspects"][0]["facts"]["admission"] == "yes"
        rows = service.triage_rows(s, [case])
        assert rows[0]["band"] == "low" and rows[0]["decision"] == "standard_investigation"

    with session_scope(url) as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.seq))]
        assert actions.count("casework.pathway.decide") == 2
        for action in ("casework.suspect.add", "casework.suspect.update", "casework.device.add",
                       "casework.assessment", "casework.case.update"):
            assert action in actions
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "casework.pathway.decide").order_by(AuditEntry.seq)).all()[-1]
        assert entry.details["departure"] is True and entry.actor == "sam"
        assert entry.details["reason"] == "Further devices still to be examined."
        assert verify(s) == []


def test_validation_errors(url):
    with session_scope(url) as s:
        case = case_by_reference(s, "OP-CW")
        with pytest.raises(service.CaseworkError, match="date"):
            service.add_suspect(s, case, "S-9", actor="t", date_of_birth="31/12/1990")
        with pytest.raises(service.CaseworkError, match="without '/'"):
            service.add_suspect(s, case, "a/b", actor="t")
        with pytest.raises(service.CaseworkError, match="no scanned exhibit"):
            service.add_device(s, case, "D", actor="t", exhibit="EX-NOPE")
        with pytest.raises(service.CaseworkError, match="offence kind"):
            service.add_offence(s, case, "speeding", actor="t")
        suspect = service.add_suspect(s, case, "S-9", actor="t")
        with pytest.raises(service.CaseworkError, match="unknown pathway fact"):
            service.update_suspect(s, suspect, actor="t", facts={"mood": "yes"})
        with pytest.raises(service.CaseworkError, match="not allowed"):
            service.assess(s, case, suspect, "cport", {"young_age": "maybe"}, actor="t",
                           results=results)
