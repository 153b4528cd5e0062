"""Uploads of households kept on the server between the preview and the confirmation: a list whose columns
wait to be mapped, or rows that checked out (full citizen IDs: kept an hour at most, taken once)."""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session

from server.models import ImportPreview, User, utcnow
from server.program.household_import import COLUMNS

# A preview not confirmed within this time must be uploaded again (it holds full citizen IDs).
PREVIEW_LIFETIME = timedelta(hours=1)


def _recent(preview: ImportPreview) -> bool:
    created = preview.created_at if preview.created_at.tzinfo else preview.created_at.replace(tzinfo=timezone.utc)
    return utcnow() - created <= PREVIEW_LIFETIME


def forget_previews(db: Session, *, user: User) -> None:
    """Drop this user's earlier previews and anyone's that are too old to be confirmed."""
    too_old = utcnow() - PREVIEW_LIFETIME
    db.exec(delete(ImportPreview).where(or_(ImportPreview.user_id == user.id,
                                            ImportPreview.created_at < too_old)))


def waiting_list(db: Session, *, user: User, preview_id: str | None) -> ImportPreview | None:
    """The user's own recent upload whose columns are still to be mapped."""
    waiting = db.get(ImportPreview, preview_id) if preview_id else None
    if waiting is None or waiting.user_id != user.id or waiting.headers is None:
        return None
    return waiting if _recent(waiting) else None


def take_preview(db: Session, *, user: User, preview_id: str | None) -> list[dict[str, str]] | None:
    """The rows of the user's own, recent preview, which is deleted in the same transaction (so it is
    confirmed at most once); None for an unknown, someone else's or expired preview."""
    preview = db.get(ImportPreview, preview_id) if preview_id else None
    if preview is None or preview.user_id != user.id or preview.headers is not None:
        return None  # (a list whose columns are not mapped yet is never confirmed as it is)
    rows: Any = preview.rows if _recent(preview) else None
    taken = db.exec(delete(ImportPreview).where(ImportPreview.id == preview.id,
                                                ImportPreview.user_id == user.id))
    if taken.rowcount != 1 or not isinstance(rows, list):
        return None
    return [{k: str(v) for k, v in r.items() if k in COLUMNS} for r in rows if isinstance(r, dict)]
