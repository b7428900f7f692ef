"""Submitting files to the bureaus' drop folders and storing their acknowledgements.

Invariants: one ``crb_submissions`` row per (bureau, file name) (unique key), so a file of a
date is dropped once however often the job runs that day; an acknowledgement changes a
submission only while it is ``sent``. A rejected file's errors are kept as ``crb_rejections``
until a later file of the same bureau and type is accepted: every file is a full file, so it
carries the corrected records (docs/crb.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.crb.export import BureauFile
from app.crb.models import CrbRejection, CrbSubmission, SubmissionStatus
from integrations.crb.folders import BureauFolder, ack_name

MAX_REJECTIONS_KEPT = 1_000
"""Errors stored per file (the bureau's validator stops at the same number)."""
MAX_PAGE = 200


def submit(
    session: Session, files: list[BureauFile], bureau_root: Path, now: datetime
) -> list[BureauFile]:
    """Drop each file not yet submitted into its bureau's inbox and record it; returns the
    files dropped now."""
    sent = []
    for f in files:
        known = session.scalar(
            select(CrbSubmission.id).where(
                CrbSubmission.bureau == f.bureau, CrbSubmission.file_name == f.name
            )
        )
        if known is not None:
            continue
        BureauFolder(bureau_root, f.bureau).drop(f.name, f.data)
        submission = CrbSubmission(
            bureau=f.bureau,
            kind=f.kind.value,
            file_type=f.file_type.value,
            business_date=f.as_of,
            file_name=f.name,
            file_sha256=f.sha256,
            records=f.records,
            status=SubmissionStatus.SENT,
            rejections=0,
            sent_at=now,
        )
        session.add(submission)
        sent.append(f)
    session.flush()
    return sent


def read_acknowledgements(session: Session, bureau_root: Path, now: datetime) -> int:
    """Store the answer of every sent file whose acknowledgement has arrived."""
    answered = 0
    for submission in session.scalars(
        select(CrbSubmission)
        .where(CrbSubmission.status == SubmissionStatus.SENT)
        .order_by(CrbSubmission.id)
    ):
        folder = BureauFolder(bureau_root, submission.bureau)
        path = folder.acknowledgements / ack_name(submission.file_name)
        if not path.is_file():
            continue
        _store(session, submission, _errors_of(path.read_bytes(), submission.file_sha256), now)
        answered += 1
    session.flush()
    return answered


Error = dict[str, object]


def _errors_of(raw: bytes, sha256: str) -> list[Error]:
    """The errors an acknowledgement reports (empty: accepted); an acknowledgement that cannot
    be read, or that answers another file, rejects the whole file (record 0)."""
    try:
        ack = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [{"record": 0, "field": "file", "reason": "unreadable acknowledgement"}]
    if not isinstance(ack, dict) or ack.get("sha256") != sha256:
        return [{"record": 0, "field": "file", "reason": "acknowledged a different file"}]
    errors = ack.get("errors")
    found = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    if ack.get("status") != "accepted" and not found:
        return [{"record": 0, "field": "file", "reason": "rejected"}]
    return found


def _store(session: Session, submission: CrbSubmission, errors: list[Error], now: datetime) -> None:
    submission.status = SubmissionStatus.REJECTED if errors else SubmissionStatus.ACCEPTED
    submission.rejections = len(errors)
    submission.acknowledged_at = now
    if not errors:
        _resolve_earlier(session, submission, now)
        return
    for error in errors[:MAX_REJECTIONS_KEPT]:
        record = error.get("record", 0)
        session.add(
            CrbRejection(
                submission_id=submission.id,
                record=record if isinstance(record, int) and record >= 0 else 0,
                field=str(error.get("field", ""))[:40],
                reason=str(error.get("reason", ""))[:200],
            )
        )


def _resolve_earlier(session: Session, accepted: CrbSubmission, now: datetime) -> None:
    earlier = select(CrbSubmission.id).where(
        CrbSubmission.bureau == accepted.bureau,
        CrbSubmission.file_type == accepted.file_type,
        CrbSubmission.id < accepted.id,
    )
    session.execute(
        update(CrbRejection)
        .where(CrbRejection.submission_id.in_(earlier), CrbRejection.resolved_at.is_(None))
        .values(resolved_at=now)
    )


def open_rejections(
    session: Session, after_id: int = 0, limit: int = MAX_PAGE
) -> list[dict[str, object]]:
    """Unresolved rejected records, oldest first: what the next files must correct."""
    rows = session.execute(
        select(CrbRejection, CrbSubmission)
        .join(CrbSubmission, CrbSubmission.id == CrbRejection.submission_id)
        .where(CrbRejection.resolved_at.is_(None), CrbRejection.id > after_id)
        .order_by(CrbRejection.id)
        .limit(min(limit, MAX_PAGE))
    )
    return [
        {
            "id": r.id,
            "bureau": s.bureau,
            "file": s.file_name,
            "record": r.record,
            "field": r.field,
            "reason": r.reason,
        }
        for r, s in rows
    ]


def list_submissions(
    session: Session, after_id: int = 0, limit: int = MAX_PAGE
) -> list[CrbSubmission]:
    return list(
        session.scalars(
            select(CrbSubmission)
            .where(CrbSubmission.id > after_id)
            .order_by(CrbSubmission.id)
            .limit(min(limit, MAX_PAGE))
        )
    )
