"""Thumbnails and reveals.  Media leave the server only here: authorised per case and role,
audited before the bytes are sent, never cached, blurred unless deliberately revealed."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from seawall.grading import service, thumbnails
from seawall.grading.settings import GradingSettings
from seawall.store import audit
from seawall.store.models import FileRecord
from seawall.web import deps
from seawall.web.templating import case_path, render

router = APIRouter()
log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _media_file(record: FileRecord) -> FileRecord:
    if record.media_class not in service.MEDIA_CLASSES:
        raise HTTPException(404, "Not an image or video.")
    return record


@router.get("/cases/{case_ref}/files/{file_id}/thumb")
def thumbnail(request: Request, clear: bool = False,
              record: FileRecord = Depends(deps.case_file),
              access: deps.CaseAccess = Depends(deps.media_access),
              settings: GradingSettings = Depends(deps.get_grading_settings)):
    _media_file(record)
    db, user = access.db, access.user
    if clear and not service.has_reveal(db, user, record.id):
        raise HTTPException(403, "Reveal this item first.")
    try:
        data = thumbnails.thumbnail_for(db, record, clear=clear, size=settings.thumbnail_size,
                                        reader=request.app.state.media_reader)
    except thumbnails.ThumbnailError as exc:
        log.warning("thumbnail of file %s failed: %s", record.id, exc)
        raise HTTPException(404, "No thumbnail available for this file.") from None
    # Audit first and commit, so no picture leaves without its record.
    audit.record(db, user.username, "media.view", case=access.case.reference,
                 target=str(record.id), details={"clear": clear})
    db.commit()
    return Response(data, media_type="image/jpeg",
                    headers=NO_STORE | {"Content-Disposition": "inline"})


@router.post("/cases/{case_ref}/files/{file_id}/reveal")
def reveal(request: Request, record: FileRecord = Depends(deps.case_file),
           access: deps.CaseAccess = Depends(deps.media_access),
           settings: GradingSettings = Depends(deps.get_grading_settings)):
    _media_file(record)
    try:
        service.reveal(access.db, settings, access.case, access.user, record)
    except service.GradingError as exc:
        raise HTTPException(423, str(exc)) from None
    access.db.commit()
    if "hx-request" in request.headers:
        return render(request, "_thumb.html", {"case": access.case, "f": record,
                                               "revealed": True})
    return RedirectResponse(case_path(access.case, "files", record.id), status_code=303)
