"""Writing the audit log: who saw or changed what (PDPA asks for both)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from server.core.dates import utc_now
from server.core.db import writer_beside
from server.models import AuditEntry
from server.program.field_checks import mask_citizen_id


def audit(db: Session, *, action: str, user_id: int | None = None, entity: str | None = None,
          record_id: str | None = None, device_id: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    """Record one entry; a change's entry commits with the change, a view's from a read is kept at once.

    Written at once, as one statement: nothing ever reads an entry back through the session, and every
    view of personal data writes one (an ORM object would cost more than the page's own queries)."""
    with writer_beside(db) as writer:
        writer.execute(_ADD_ENTRY, {"at": utc_now(), "action": action, "user_id": user_id, "entity": entity,
                                    "record_id": record_id, "device_id": device_id, "detail": detail or {}})


# A statement on the table, not the model: it flushes nothing else of the caller's session before it.
_ADD_ENTRY = insert(AuditEntry.__table__)  # type: ignore[attr-defined]


# Values the log keeps of a change are shown to administrators; a citizen ID stays masked even there.
_MASKED = {"citizen_id": mask_citizen_id}


def changed_values(before: dict[str, Any], after: dict[str, Any], names: list[str]) -> dict[str, list[Any]]:
    """{field: [old, new]} for a change's entry, as JSON values (dates as text, citizen IDs masked)."""
    def plain(name: str, value: Any) -> Any:
        if value is not None and name in _MASKED:
            return _MASKED[name](value)
        if value is None or isinstance(value, (bool, int, float, str, list, dict)):
            return value
        return str(value)

    return {name: [plain(name, before.get(name)), plain(name, after.get(name))] for name in names}
