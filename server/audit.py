"""Writing the audit log: who saw or changed what (PDPA asks for both)."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from server.db import writer_beside
from server.models import AuditEntry


def audit(db: Session, *, action: str, user_id: int | None = None, entity: str | None = None,
          record_id: str | None = None, device_id: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    """Record one entry; a change's entry commits with the change, a view's from a read is kept at once."""
    with writer_beside(db) as writer:
        writer.add(AuditEntry(action=action, user_id=user_id, entity=entity, record_id=record_id,
                              device_id=device_id, detail=detail or {}))
